use clap::Parser;

fn main() {
    // Everything foi writes (the database, the raw mail of every reply, tokens) is for its
    // owner only: new files 0600, new directories 0700.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let cli = foi::cli::Cli::parse();
    // Reading one document (a child of foi): no runtime, no logging set-up, nothing but it.
    if let foi::cli::Command::ReadFile { name, content_type } = &cli.command {
        std::process::exit(foi::cli::read_file(name, content_type));
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FOI_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
                // async-imap traces every line it writes, the XOAUTH2 sign-in (a token) and
                // the password included: never below info, whatever FOI_LOG asks for.
                .add_directive("async_imap=info".parse().expect("static directive")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    if let Err(e) = runtime.block_on(foi::cli::run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
