//! `foi digest`: the team's digest, queued or printed.

use crate::app::Globals;
use crate::services::digest;
use clap::Args;

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Print the digest instead of queueing it to [team] digest_to
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(g: &Globals, a: DigestArgs) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    if a.dry_run {
        print!("{}", digest::render(&digest::build(&app).await?));
    } else {
        let r = digest::queue(&app).await?;
        println!("{r}");
    }
    Ok(())
}
