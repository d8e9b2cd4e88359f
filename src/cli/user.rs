//! `foi user add NAME --role editor|viewer` (password from FOI_NEW_PASSWORD or a prompt).

use crate::app::Globals;
use crate::store::users::{self, Role};
use crate::web::auth;
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

pub async fn run(g: &Globals, cmd: UserCommand) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    match cmd {
        UserCommand::Add { name, role } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let password = read_password()?;
            if password.chars().count() < 10 {
                anyhow::bail!("the password must have at least 10 characters (set FOI_NEW_PASSWORD or type it at the prompt)");
            }
            let hash = auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let u = users::add(&app.db, &name, role, &hash, app.clock.now()).await?;
            println!("user {} added as {}", u.name, u.role.as_str());
        }
        UserCommand::SetupLink => {
            if users::count(&app.db).await? > 0 {
                anyhow::bail!(
                    "foi is already set up (there are users); log in, or `foi user add NAME`"
                );
            }
            let (t, _) = auth::first_run_token(&app).await?;
            println!("http://{}/setup?token={t}", app.config.web.bind);
        }
    }
    Ok(())
}
