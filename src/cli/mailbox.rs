//! `foi mailbox login|logout|status|test`: signing in to the team's mailbox with OAuth 2.0
//! (Microsoft 365, Google Workspace) and checking that IMAP and SMTP work.
//! No command prints a token, whatever happens.

use crate::app::{App, Globals};
use crate::config::OAuthFlow;
use crate::mailbox::check::{self, Outcome};
use clap::{Args, Subcommand};
use std::io::Write;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Sign in to the mailbox on another device (OAuth device code), and keep the sign-in
    Login,
    /// Forget the stored sign-in (tokens are deleted from the data directory)
    Logout,
    /// Whether the mailbox is signed in, and until when the current access token lasts
    Status,
    /// Connect to IMAP and SMTP and say, step by step, what works and what does not
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Also send a test message to this address (and look for it in the IMAP folder)
    #[arg(long)]
    pub send_to: Option<String>,
    /// How long to wait for the test message to arrive, in seconds
    #[arg(long, default_value_t = 60)]
    pub wait: u64,
    /// table (default) or json
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub async fn run(g: &Globals, cmd: MailboxCommand) -> anyhow::Result<()> {
    let app = App::open(g).await?;
    match cmd {
        MailboxCommand::Login => login(&app).await,
        MailboxCommand::Logout => {
            if app.mailbox.forget().await? {
                println!("Signed out: the mailbox's tokens were deleted from the data directory. Sending and reading replies stop until `foi mailbox login`.");
            } else {
                println!("Nothing to forget: nobody was signed in.");
            }
            Ok(())
        }
        MailboxCommand::Status => status(&app),
        MailboxCommand::Test(a) => test(&app, a).await,
    }
}

async fn login(app: &App) -> anyhow::Result<()> {
    if app.config.oauth.flow == OAuthFlow::ClientCredentials {
        // No person signs in: check the app's own credentials instead.
        app.mailbox.access_token().await?;
        println!("The app signed in with its own credentials (client credentials); nothing to store for a person. Run `foi mailbox test` to check IMAP and SMTP.");
        return Ok(());
    }
    if app.config.oauth.provider == crate::config::OAuthProvider::Google {
        eprintln!("note: Google allows only some scopes in device sign-in, and may refuse https://mail.google.com/; if it does, use an app password (auth = \"password\") as the README explains.");
    }
    let client = app.mailbox.client()?;
    let start = client.start_device().await?;
    println!(
        "To sign in the mailbox {}, open {} in a browser (on any device) and enter the code {}",
        app.mailbox.mailbox, start.verification_uri, start.user_code
    );
    if let Some(direct) = &start.verification_uri_complete {
        println!("(or open {direct})");
    }
    println!(
        "Waiting for the sign-in (the code lasts {} minutes)…",
        start.expires_in.as_secs().div_ceil(60)
    );
    std::io::stdout().flush()?;
    let grant = client.finish_device(&start).await?;
    let has_refresh = grant.refresh_token.is_some();
    app.mailbox.signed_in(grant).await?;
    println!(
        "Signed in. The sign-in is kept in {} (readable by this account only){}.",
        app.mailbox.token_file().path().display(),
        if has_refresh {
            ""
        } else {
            "; no refresh token was issued, so it lasts only until the access token expires"
        }
    );
    println!(
        "Queued letters go out with the next `foi send` or within a minute under `foi serve`."
    );
    Ok(())
}

fn status(app: &App) -> anyhow::Result<()> {
    if !app.mailbox.uses_oauth() {
        println!("The mailbox signs in with a password (auth = \"password\"); there is nothing to sign in to.");
        return Ok(());
    }
    if let Some(p) = app.mailbox.problem() {
        println!(
            "The mailbox {} needs signing in: {}",
            app.mailbox.mailbox, p.reason
        );
        std::process::exit(3);
    }
    match app.mailbox.token_file().load()? {
        Some(s) => {
            println!("The mailbox {} is signed in.", app.mailbox.mailbox);
            if let Some(at) = s.signed_in_at {
                println!("Signed in: {}", at.format("%d %b %Y %H:%M UTC"));
            }
            if let Some(exp) = s.expires_at {
                println!(
                    "Current access token lasts until {} (renewed automatically).",
                    exp.format("%d %b %Y %H:%M:%S UTC")
                );
            }
            println!(
                "Refresh token: {}",
                if s.refresh_token.is_some() {
                    "kept"
                } else {
                    "none"
                }
            );
        }
        None => {
            println!("The app signs in with its own credentials; no token has been fetched yet.")
        }
    }
    Ok(())
}

async fn test(app: &App, a: TestArgs) -> anyhow::Result<()> {
    let report = check::run(
        &app.config,
        &app.data_dir,
        app.mailbox.clone(),
        a.send_to.as_deref(),
        Duration::from_secs(a.wait),
    )
    .await;
    if a.format == "json" {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "passed": report.passed(),
                "steps": report.steps,
            }))?
        );
    } else {
        for s in &report.steps {
            let mark = match s.outcome {
                Outcome::Ok => "ok  ",
                Outcome::Failed => "FAIL",
                Outcome::Info => "info",
            };
            if s.detail.is_empty() {
                println!("{mark}  {:<5} {}", s.protocol, s.step);
            } else {
                println!("{mark}  {:<5} {}: {}", s.protocol, s.step, s.detail);
            }
        }
        if report.passed() {
            println!("Everything foi needs from the mailbox works.");
        } else {
            println!("Something foi needs does not work: see the FAIL lines above.");
        }
    }
    if !report.passed() {
        std::process::exit(1);
    }
    Ok(())
}
