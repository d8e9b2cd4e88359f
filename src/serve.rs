//! `foi serve`: the delivery worker, the scheduler and the web server in one process, with a
//! graceful shutdown on SIGTERM / Ctrl-C (the send in flight finishes and is recorded; nothing
//! is left in `sending`).

use crate::app::App;
use crate::outbound::transport::Transport;
use crate::outbound::worker::{self, Mode, Throttle};
use crate::schedule::Scheduler;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "cannot listen on {bind}: {source}. Set [web] bind (or FOI__WEB__BIND) to a free address"
    )]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Setup(String),
}

/// Runs until `shutdown` turns true. Returns when every part has stopped.
pub async fn serve(app: Arc<App>, shutdown: watch::Receiver<bool>) -> Result<(), ServeError> {
    let scheduler = Scheduler::from_config(&app.config.schedule)
        .map_err(|e| ServeError::Setup(e.to_string()))?;
    let transport = Transport::from_config(&app.config.smtp, &app.data_dir)
        .map_err(|e| ServeError::Setup(e.to_string()))?;
    let throttle =
        Throttle::from_config(&app.config.send).map_err(|e| ServeError::Setup(e.to_string()))?;
    let bind = app.config.web.bind.clone();
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .map_err(|source| ServeError::Bind {
            bind: bind.clone(),
            source,
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| ServeError::Setup(e.to_string()))?;

    // The delivery worker.
    let worker_app = app.clone();
    let worker_rx = shutdown.clone();
    let lease = Duration::from_secs(app.config.smtp.timeout_secs * 2 + 60);
    let worker_task = tokio::spawn(async move {
        match worker::prepare(&worker_app, lease).await {
            Ok((_lock, recovered)) => {
                if recovered > 0 {
                    tracing::warn!("{recovered} message(s) found mid-send after a crash are now `uncertain`: see `foi outbox`");
                }
                if let Err(e) = worker::deliver(
                    &worker_app,
                    &transport,
                    &throttle,
                    Mode::Forever,
                    worker_rx,
                    None,
                )
                .await
                {
                    tracing::error!("delivery worker stopped: {e}");
                }
            }
            Err(e) => tracing::warn!("delivery worker not started: {e}"),
        }
    });

    // The scheduler.
    let sched_app = app.clone();
    let mut sched_rx = shutdown.clone();
    let sched_task = tokio::spawn(async move {
        loop {
            if *sched_rx.borrow() {
                break;
            }
            let now = sched_app.clock.now();
            match scheduler.tick(&sched_app, now).await {
                Ok(ran) => {
                    for (job, outcome) in ran {
                        tracing::info!(job = job.name(), "{outcome}");
                    }
                }
                Err(e) => tracing::error!("scheduler: {e}"),
            }
            let wait = scheduler
                .next_tick(sched_app.clock.now())
                .and_then(|t| (t - sched_app.clock.now()).to_std().ok())
                .unwrap_or(Duration::from_secs(60))
                .min(Duration::from_secs(60))
                .max(Duration::from_millis(200));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = sched_rx.changed() => {}
            }
        }
    });

    // The web server.
    let mut web_rx = shutdown.clone();
    println!("foi is running: dashboard and health check at http://{local}/ (GET /health)");
    let web =
        axum::serve(listener, crate::web::router(app.clone())).with_graceful_shutdown(async move {
            let _ = web_rx.wait_for(|v| *v).await;
        });
    if let Err(e) = web.await {
        tracing::error!("web server: {e}");
    }
    let _ = worker_task.await;
    let _ = sched_task.await;
    Ok(())
}

/// A channel that turns true on SIGTERM or Ctrl-C.
pub fn shutdown_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down: finishing the send in flight");
        let _ = tx.send(true);
    });
    rx
}
