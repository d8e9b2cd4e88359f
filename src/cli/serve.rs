//! `foi serve` (the service: worker, scheduler, dashboard) and `foi health`.

use crate::app::Globals;
use crate::output;
use std::sync::Arc;

pub async fn serve(g: &Globals) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    let loaded = app.load_shipped_registers().await?;
    let fresh = loaded.iter().any(|s| s.added > 0);
    println!(
        "data directory: {} ({}{})",
        app.data_dir.display(),
        app.database_name(),
        if fresh {
            ", initialised now with the shipped registers"
        } else {
            ""
        }
    );
    match app.config.smtp.transport {
        crate::config::Transport::File => println!(
            "letters are written to {} (file transport) until [smtp] is configured",
            app.data_dir.join("outbox-files/new").display()
        ),
        crate::config::Transport::Smtp => println!(
            "letters go by SMTP via {}:{}",
            app.config.smtp.host, app.config.smtp.port
        ),
    }
    if !crate::services::users::any(&app).await? {
        // The link is printed once, when it is made; `foi user setup-link` shows it again.
        let (link, new) = crate::services::users::first_run_token(&app).await?;
        if new {
            println!("no users yet: create the first editor at http://{}/setup?token={link} (or: foi user add NAME --role editor)", app.config.web.bind);
        } else {
            println!("no users yet: `foi user setup-link` shows the one-time setup link (or: foi user add NAME --role editor)");
        }
    }
    let shutdown = crate::daemon::shutdown_signal();
    crate::daemon::serve(Arc::new(app), shutdown).await?;
    println!("foi stopped");
    Ok(())
}

pub async fn health(g: &Globals) -> anyhow::Result<()> {
    let app = super::open(g).await?;
    println!("{}", output::json(&crate::web::health_json(&app).await?));
    Ok(())
}
