//! `foi user add NAME --role editor|viewer`, `list`, `disable`, `enable`, `reset-password`
//! (passwords from FOI_NEW_PASSWORD or a prompt).

use crate::app::Globals;
use crate::services::users::{self, Role};
use clap::Subcommand;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a dashboard user
    Add {
        name: String,
        #[arg(long, default_value = "viewer")]
        role: String,
    },
    /// Show the one-time link for creating the first editor (while there are no users)
    SetupLink,
    /// List the users, their roles and whether they can log in
    List {
        #[arg(long, value_enum, default_value_t = crate::output::Format::Table)]
        format: crate::output::Format,
    },
    /// Stop a user logging in (their sessions end); their history stays
    Disable { name: String },
    /// Let a disabled user log in again
    Enable { name: String },
    /// Set a new password (from FOI_NEW_PASSWORD or a prompt); the user's sessions end
    ResetPassword { name: String },
}

fn read_password() -> anyhow::Result<String> {
    if let Some(p) = crate::config::secret("FOI_NEW_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    let tty = stdin.is_terminal();
    if tty {
        eprint!("Password for the new user (not shown): ");
        std::io::stderr().flush()?;
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = String::new();
    let r = stdin.lock().read_line(&mut line);
    if tty {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    r?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The service's error in the command's words: a short password names where it came from.
fn explain(e: users::UserError) -> anyhow::Error {
    match e {
        users::UserError::ShortPassword => anyhow::anyhow!(
            "the password must have at least {} characters (set FOI_NEW_PASSWORD or type it at the prompt)",
            users::MIN_PASSWORD
        ),
        e => e.into(),
    }
}

pub async fn run(g: &Globals, cmd: UserCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let password = read_password()?;
            let u = users::add(&app, &name, role, &password)
                .await
                .map_err(explain)?;
            println!("user {} added as {}", u.name, u.role.as_str());
        }
        UserCommand::List { format } => {
            let all = users::list(&app).await?;
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|u| {
                    vec![
                        u.name.clone(),
                        u.role.as_str().into(),
                        crate::domain::dates::short(u.created_at.date_naive()),
                        match u.disabled_at {
                            Some(t) => format!(
                                "disabled since {}",
                                crate::domain::dates::short(t.date_naive())
                            ),
                            None => "can log in".into(),
                        },
                    ]
                })
                .collect();
            print!(
                "{}",
                crate::output::render(format, &["name", "role", "added", "status"], &rows, &all)
            );
        }
        UserCommand::Disable { name } => {
            users::disable(&app, &name).await?;
            println!("user {name} disabled: they cannot log in, and their sessions have ended");
        }
        UserCommand::Enable { name } => {
            users::enable(&app, &name).await?;
            println!("user {name} can log in again");
        }
        UserCommand::ResetPassword { name } => {
            let password = read_password()?;
            users::reset_password(&app, &name, &password)
                .await
                .map_err(explain)?;
            println!("password of {name} changed; their sessions have ended");
        }
        UserCommand::SetupLink => {
            println!("{}", users::setup_link(&app).await?);
        }
    }
    Ok(())
}
