use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = foi::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FOI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = foi::cli::run(cli).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
