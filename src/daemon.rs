//! The long-running process behind `foi serve`: the delivery worker, the scheduler and the
//! web server, with a graceful shutdown on SIGTERM / Ctrl-C (the send in flight finishes and
//! is recorded; nothing is left in `sending`).
//!
//! **Supervision.** The worker and the scheduler each run under a supervisor. When one stops
//! with an error (or panics), `/health` answers 503 naming it and the error, and the
//! supervisor restarts it after a pause that doubles from 1 s up to 5 minutes; once it runs
//! again `/health` is 200. A database outage or another process holding SQLite's send lock is
//! therefore survived without a restart of the whole service, and is never silent.

use crate::app::App;
use crate::outbound::worker::{self, Mode, Throttle};
use crate::schedule::Scheduler;
pub use crate::tasks::{TaskStatus, Tasks};
use std::future::Future;
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

/// The pause before restart number `n` (1-based): 1 s, 2 s, 4 s … at most 5 minutes.
pub fn restart_backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.saturating_sub(1).min(9)).min(Duration::from_secs(300))
}

/// Runs `make()` until shutdown, restarting it when it stops with an error, panics, or
/// returns while the service is still meant to run.
async fn supervise<F, Fut>(
    name: &'static str,
    tasks: Arc<Tasks>,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
    make: F,
) where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let mut restarts = 0u32;
    loop {
        if *shutdown.borrow() {
            break;
        }
        tasks.set(
            name,
            TaskStatus::Running {
                since: app.clock.now(),
            },
        );
        let outcome = tokio::spawn(make()).await;
        if *shutdown.borrow() {
            break;
        }
        let error = match outcome {
            Ok(Ok(())) => "stopped unexpectedly".to_string(),
            Ok(Err(e)) => e,
            Err(join) if join.is_panic() => format!("crashed: {join}"),
            Err(join) => join.to_string(),
        };
        restarts += 1;
        let pause = restart_backoff(restarts);
        let now = app.clock.now();
        tracing::error!(task = name, restarts, "{error}; restarting in {pause:?}");
        tasks.set(
            name,
            TaskStatus::Restarting {
                error,
                since: now,
                restarts,
                retry_at: now + chrono::Duration::from_std(pause).unwrap_or_default(),
            },
        );
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Runs until `shutdown` turns true. Returns when every part has stopped.
pub async fn serve(app: Arc<App>, shutdown: watch::Receiver<bool>) -> Result<(), ServeError> {
    let scheduler = Arc::new(
        Scheduler::from_config(&app.config.schedule)
            .map_err(|e| ServeError::Setup(e.to_string()))?,
    );
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
    let tasks = Arc::new(Tasks::default());
    let worker_task = spawn_delivery(&app, &tasks, &shutdown)?;
    let (sched_app, sched_rx) = (app.clone(), shutdown.clone());
    let sched_task = tokio::spawn(supervise(
        "scheduler",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || run_scheduler(sched_app.clone(), scheduler.clone(), sched_rx.clone()),
    ));
    // Replies as they arrive: IMAP IDLE, beside the scheduled poll.
    let idle_on = app.config.imap.idle && !app.config.imap.host.trim().is_empty();
    let idle_task = idle_on.then(|| spawn_idle(&app, &tasks, &shutdown));
    let extract_task = spawn_extractor(&app, &tasks, &shutdown);
    let optimize_task = spawn_optimizer(&app, &tasks, &shutdown);
    let settle_task = spawn_settler(&app, &tasks, &shutdown);

    // The web server.
    let mut web_rx = shutdown.clone();
    announce(&app, local, idle_on);
    let router = crate::web::router_with_tasks(app.clone(), tasks.clone());
    let web = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = web_rx.wait_for(|v| *v).await;
    });
    if let Err(e) = web.await {
        tracing::error!("web server: {e}");
    }
    let _ = worker_task.await;
    let _ = sched_task.await;
    if let Some(t) = idle_task {
        let _ = t.await;
    }
    let _ = extract_task.await;
    let _ = optimize_task.await;
    let _ = settle_task.await;
    Ok(())
}

/// Letters whose sending process stopped, looked for every half minute (in every process,
/// not only at a start): found delivered, or `uncertain` with what was checked
/// (`services::outbox::settle_in_doubt`).
fn spawn_settler(app: &Arc<App>, tasks: &Arc<Tasks>, shutdown: &watch::Receiver<bool>) -> Task {
    let (st_app, st_rx) = (app.clone(), shutdown.clone());
    tokio::spawn(supervise(
        "letters_in_doubt",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || {
            let (a, mut rx) = (st_app.clone(), st_rx.clone());
            async move {
                loop {
                    match crate::services::outbox::settle_in_doubt(&a).await {
                        Ok(s) if s.found + s.uncertain + s.resent > 0 => tracing::warn!(
                            found = s.found,
                            uncertain = s.uncertain,
                            resent = s.resent,
                            "letters whose sending process stopped were looked for: see `foi outbox`"
                        ),
                        Ok(_) => {}
                        // The database may be away for a moment: the next pass tries again.
                        Err(e) => tracing::warn!("could not look for letters in doubt: {e}"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                        _ = rx.wait_for(|v| *v) => return Ok(()),
                    }
                }
            }
        },
    ))
}

/// The query planner's statistics refreshed every six hours (SQLite's `ANALYZE`, within an analysis limit).
fn spawn_optimizer(app: &Arc<App>, tasks: &Arc<Tasks>, shutdown: &watch::Receiver<bool>) -> Task {
    let (op_app, op_rx) = (app.clone(), shutdown.clone());
    tokio::spawn(supervise(
        "db_optimize",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || {
            let (a, mut rx) = (op_app.clone(), op_rx.clone());
            async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(6 * 3600)) => {}
                        _ = rx.wait_for(|v| *v) => return Ok(()),
                    }
                    crate::services::health::optimize_database(&a)
                        .await
                        .map_err(|e| format!("refreshing the database's statistics: {e}"))?;
                }
            }
        },
    ))
}

type Task = tokio::task::JoinHandle<()>;

/// The delivery worker, restarted by its supervisor if it stops.
fn spawn_delivery(
    app: &Arc<App>,
    tasks: &Arc<Tasks>,
    shutdown: &watch::Receiver<bool>,
) -> Result<Task, ServeError> {
    let transport = Arc::new(
        app.transport()
            .map_err(|e| ServeError::Setup(e.to_string()))?,
    );
    let throttle = Arc::new(
        Throttle::from_config(&app.config.send).map_err(|e| ServeError::Setup(e.to_string()))?,
    );
    let delivery = app.delivery();
    let lease = app.claim_lease();
    let worker_rx = shutdown.clone();
    Ok(tokio::spawn(supervise(
        "delivery_worker",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || {
            let (d, t, th, rx) = (
                delivery.clone(),
                transport.clone(),
                throttle.clone(),
                worker_rx.clone(),
            );
            async move {
                let (_lock, recovered) = worker::prepare(&d, lease)
                    .await
                    .map_err(|e| format!("delivery worker not started: {e}"))?;
                if recovered > 0 {
                    tracing::warn!("{recovered} message(s) found mid-send after a crash are now `uncertain`: see `foi outbox`");
                }
                worker::deliver(&d, &t, &th, Mode::Forever, rx, None)
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("delivery worker stopped: {e}"))
            }
        },
    )))
}

/// Replies as they arrive over IMAP IDLE (where the server offers it).
fn spawn_idle(app: &Arc<App>, tasks: &Arc<Tasks>, shutdown: &watch::Receiver<bool>) -> Task {
    let (idle_app, idle_rx) = (app.clone(), shutdown.clone());
    tokio::spawn(supervise(
        "inbox_idle",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || {
            let (a, mut rx) = (idle_app.clone(), idle_rx.clone());
            async move {
                match crate::services::ingest::watch_imap(&a, rx.clone()).await {
                    Ok(crate::services::ingest::WatchEnd::NoIdle) => {
                        tracing::info!("the IMAP server does not offer IDLE: replies are read on the [schedule] inbox_poll");
                        let _ = rx.wait_for(|v| *v).await;
                        Ok(())
                    }
                    Ok(_) => Ok(()),
                    Err(e) => Err(format!("reading replies as they arrive (IMAP IDLE): {e}")),
                }
            }
        },
    ))
}

/// Reading attachments in the background, after they are stored.
fn spawn_extractor(app: &Arc<App>, tasks: &Arc<Tasks>, shutdown: &watch::Receiver<bool>) -> Task {
    let (ex_app, ex_rx) = (app.clone(), shutdown.clone());
    tokio::spawn(supervise(
        "extractor",
        tasks.clone(),
        app.clone(),
        shutdown.clone(),
        move || {
            let (a, mut rx) = (ex_app.clone(), ex_rx.clone());
            async move {
                loop {
                    if *rx.borrow() {
                        return Ok(());
                    }
                    let s = crate::services::extract::run_pending(&a, 20)
                        .await
                        .map_err(|e| format!("reading attachments: {e}"))?;
                    if s.read > 0 {
                        tracing::info!("{}", s.line());
                        continue;
                    }
                    if s.indexed > 0 {
                        tracing::info!("{} document(s) added to the search index", s.indexed);
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(3)) => {}
                        _ = rx.changed() => {}
                    }
                }
            }
        },
    ))
}

/// What the running service does, on standard output.
fn announce(app: &App, local: std::net::SocketAddr, idle_on: bool) {
    println!("foi is running: dashboard and health check at http://{local}/ (GET /health)");
    println!("letters: {}", transport_line(app));
    println!("replies: {}", replies_line(app, idle_on));
    for line in jobs_lines(app) {
        println!("job: {line}");
    }
    if let Some(p) = app.mailbox.problem() {
        println!(
            "warning: the mailbox {} needs signing in again: {}. Nothing is sent or read until `foi mailbox login`; queued letters wait.",
            app.mailbox.mailbox, p.reason
        );
    }
}

fn transport_line(app: &App) -> String {
    let c = &app.config.smtp;
    match c.transport {
        crate::config::Transport::File => {
            "written as files in the data directory (no [smtp] transport = \"smtp\")".into()
        }
        crate::config::Transport::Smtp => format!(
            "sent by SMTP via {}:{} ({})",
            c.host,
            c.port,
            match c.auth {
                crate::config::MailAuth::Password => "password",
                crate::config::MailAuth::Xoauth2 => "OAuth",
            }
        ),
    }
}

/// Each scheduled job, on (with its schedule) or off (and why).
fn jobs_lines(app: &App) -> Vec<String> {
    let c = &app.config;
    let s = &c.schedule;
    let job = |name: &str, cron: &str, off: Option<&str>| match off {
        Some(why) => format!("{name}: off ({why})"),
        None => format!("{name}: on, `{cron}` (Europe/London)"),
    };
    vec![
        job(
            "inbox poll",
            &s.inbox_poll,
            c.imap.host.trim().is_empty().then_some("no [imap] host"),
        ),
        job("deadline check and chasers", &s.deadline_check, None),
        job(
            "weekly digest",
            &s.digest,
            c.team.digest_to.is_none().then_some("no [team] digest_to"),
        ),
        job(
            "bank-holiday update",
            &s.calendar_update,
            c.calendar
                .source
                .trim()
                .is_empty()
                .then_some("no [calendar] source"),
        ),
        job("desk-research sources fetched again", &s.source_fetch, None),
    ]
}

fn replies_line(app: &App, idle: bool) -> String {
    let c = &app.config.imap;
    if c.host.trim().is_empty() {
        return "not read from a mailbox (no [imap] host; `foi ingest FILE` reads files)".into();
    }
    let poll = &app.config.schedule.inbox_poll;
    if idle {
        format!(
            "read from {} on {} as they arrive (IMAP IDLE), and on the schedule `{poll}`",
            c.folder, c.host
        )
    } else {
        format!(
            "read from {} on {} on the schedule `{poll}`",
            c.folder, c.host
        )
    }
}

/// The scheduler's loop: tick, then sleep until the next tick (at most a minute). A failed
/// tick (the database unreachable, say) ends the loop with the error, for the supervisor.
async fn run_scheduler(
    app: Arc<App>,
    scheduler: Arc<Scheduler>,
    mut rx: watch::Receiver<bool>,
) -> Result<(), String> {
    loop {
        if *rx.borrow() {
            return Ok(());
        }
        let now = app.clock.now();
        let ran = scheduler
            .tick(app.as_ref(), now)
            .await
            .map_err(|e| format!("scheduler: {e}"))?;
        for (job, outcome) in ran {
            tracing::info!(job = job.name(), "{outcome}");
        }
        let wait = scheduler
            .next_tick(app.clock.now())
            .and_then(|t| (t - app.clock.now()).to_std().ok())
            .unwrap_or(Duration::from_secs(60))
            .min(Duration::from_secs(60))
            .max(Duration::from_millis(200));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = rx.changed() => {}
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_pauses_double_and_are_capped() {
        assert_eq!(restart_backoff(1), Duration::from_secs(1));
        assert_eq!(restart_backoff(2), Duration::from_secs(2));
        assert_eq!(restart_backoff(4), Duration::from_secs(8));
        assert_eq!(restart_backoff(40), Duration::from_secs(300));
    }
}
