//! The delivery worker: drains the outbox through a transport, throttled, within the send
//! window, with retries and exactly-once bookkeeping (see `store::outbox`).
//!
//! No database transaction is held while talking to the SMTP server: the claim is committed
//! first, the send happens, then the outcome is committed.

use super::transport::{SendError, Transport};
use crate::config::SendConfig;
use crate::domain::message::OutboundState;
use crate::store::{self, outbox, StoreError};
use chrono::{DateTime, Datelike, NaiveTime, Utc, Weekday};
use chrono_tz::Europe::London;
use indicatif::ProgressBar;
use std::fs::File;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// What the delivery worker needs: the database, the clock, the calendar (a sent request
/// letter starts its statutory clock), the raw message store and the data directory (for
/// SQLite's single-worker lock). Nothing else of the application.
#[derive(Clone)]
pub struct Delivery {
    pub db: store::Db,
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub calendar: crate::clock::SharedCalendar,
    pub raw: crate::rawstore::RawStore,
    pub data_dir: std::path::PathBuf,
    /// How long a claim holds without renewal (renewed while its SMTP transaction lives).
    pub claim_lease: Duration,
    /// Where a copy of each delivered letter goes (`[smtp] save_sent_to`), if anywhere.
    pub sent_copy: Option<SentCopy>,
}

/// A copy of each delivered letter appended to an IMAP folder, for servers that keep none of
/// submitted mail. Best effort: the letter is sent and recorded whatever happens here.
#[derive(Clone)]
pub struct SentCopy {
    pub imap: crate::config::ImapConfig,
    pub folder: String,
    pub auth: std::sync::Arc<crate::mailbox::MailboxAuth>,
}

impl SentCopy {
    async fn save(&self, raw: &[u8]) -> Result<(), crate::inbound::SourceError> {
        let mut inbox = crate::inbound::imap::Inbox::open(&self.imap, &self.auth).await?;
        let r = inbox.append(&self.folder, raw).await;
        inbox.close().await;
        r
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("another foi process is delivering from this SQLite database ({0}); let it finish, or stop it")]
    Busy(String),
    #[error("cannot open the send lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    #[error("[send] {0}")]
    Config(String),
    /// The mailbox cannot be signed in to: letters stay queued until it can.
    #[error("{0}")]
    Mailbox(String),
}

/// Throttle and retry settings.
#[derive(Debug, Clone)]
pub struct Throttle {
    /// 0 = unlimited.
    pub per_minute: u32,
    /// 0 = unlimited.
    pub per_day: u32,
    /// Europe/London [start, end) wall-clock window; None = any time.
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub weekdays_only: bool,
    pub max_attempts: u32,
    pub backoff_base: Duration,
    /// Sends in flight at once.
    pub concurrency: u32,
}

impl Throttle {
    pub fn from_config(c: &SendConfig) -> Result<Throttle, DeliveryError> {
        let parse = |s: &str, key: &str| {
            NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| {
                DeliveryError::Config(format!("{key} `{s}` is not HH:MM (e.g. 09:00)"))
            })
        };
        let window = match (c.window_start.trim(), c.window_end.trim()) {
            ("", "") => None,
            (s, e) => Some((parse(s, "window_start")?, parse(e, "window_end")?)),
        };
        Ok(Throttle {
            per_minute: c.per_minute,
            per_day: c.per_day,
            window,
            weekdays_only: c.weekdays_only,
            max_attempts: c.max_attempts.max(1),
            backoff_base: Duration::from_secs(c.backoff_base_secs),
            concurrency: c.concurrency.max(1),
        })
    }

    /// Whether `now` is inside the send window.
    pub(crate) fn in_window(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&London);
        if self.weekdays_only && matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        match self.window {
            None => true,
            Some((s, e)) => {
                let t = local.time();
                t >= s && t < e
            }
        }
    }

    /// Delay before attempt `attempts + 1` after a transient failure: base × 2^(attempts-1),
    /// at most an hour.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let f = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
        (self.backoff_base * f).min(Duration::from_secs(3600))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retried: u32,
    pub failed: u32,
    pub bounced: u32,
    pub recovered_uncertain: u64,
    /// The last temporary failure (an unreachable server, a 4xx), if any.
    pub last_error: Option<String>,
    /// A one-off run stopped with messages waiting for a retry later than
    /// [`MAX_FOREGROUND_WAIT`].
    pub gave_up: bool,
}

/// The longest a one-off `foi send` waits for a retry; beyond it the letters stay queued
/// (for `foi serve`, or the next `foi send`).
pub(crate) const MAX_FOREGROUND_WAIT: Duration = Duration::from_secs(10);

/// Holds the SQLite single-worker lock for as long as it lives.
pub struct SendLock(#[allow(dead_code)] Option<File>);

/// Takes the delivery lock and marks what a dead worker left in `sending` as `uncertain`.
/// SQLite: one worker at a time (an exclusive file lock), so everything in `sending` is
/// orphaned. PostgreSQL: many workers; only claims older than a lease are orphaned.
pub async fn prepare(ctx: &Delivery, lease: Duration) -> Result<(SendLock, u64), DeliveryError> {
    if store::is_sqlite(&ctx.db) {
        let path = ctx.data_dir.join("send.lock");
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| DeliveryError::Lock {
                path: path.display().to_string(),
                source,
            })?;
        if f.try_lock().is_err() {
            return Err(DeliveryError::Busy(path.display().to_string()));
        }
        let n = store::outbox::recover_uncertain(&ctx.db, None, look_until(ctx)).await?;
        Ok((SendLock(Some(f)), n))
    } else {
        let cutoff = ctx.clock.now() - chrono::Duration::from_std(lease).unwrap_or_default();
        let n = store::outbox::recover_uncertain(&ctx.db, Some(cutoff), look_until(ctx)).await?;
        Ok((SendLock(None), n))
    }
}

/// Letters made uncertain at a start are looked for (in the sent folder, among replies) for
/// an hour, then wait for a person or are resent (`services::outbox::settle_in_doubt`).
fn look_until(ctx: &Delivery) -> DateTime<Utc> {
    ctx.clock.now() + chrono::Duration::hours(1)
}

/// How the loop ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Return when nothing is queued any more (waiting for retries that are due later).
    UntilEmpty,
    /// Keep polling until shut down (the service).
    Forever,
}

/// A unique id for this worker, recorded on the messages it claims.
pub(crate) fn worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

/// Delivers queued messages until the outbox is empty (or forever), honouring the throttle
/// and the shutdown signal. `throttle.concurrency` sends are in flight at once (each its own
/// claim → send → record sequence), so database bookkeeping overlaps SMTP time. A shutdown
/// lets the sends in flight finish and be recorded.
pub async fn deliver(
    ctx: &Delivery,
    transport: &Transport,
    throttle: &Throttle,
    mode: Mode,
    shutdown: watch::Receiver<bool>,
    progress: Option<&ProgressBar>,
) -> Result<DeliveryReport, DeliveryError> {
    let shared = Shared {
        report: Mutex::new(DeliveryReport::default()),
        day_budget: Mutex::new(if throttle.per_day > 0 {
            // Read once before the lanes start, so they share one figure.
            let now = ctx.clock.now();
            let sent = outbox::sent_since(&ctx.db, now - chrono::Duration::hours(24)).await?
                + outbox::count_in_state(&ctx.db, OutboundState::Sending).await?;
            Some((throttle.per_day as u64).saturating_sub(sent))
        } else {
            None
        }),
        worker: worker_id(),
    };
    let lanes = (0..throttle.concurrency.max(1)).map(|_| {
        lane(
            ctx,
            transport,
            throttle,
            mode,
            shutdown.clone(),
            progress,
            &shared,
        )
    });
    for r in futures::future::join_all(lanes).await {
        r?;
    }
    let report = shared.report.lock().expect("report lock").clone();
    Ok(report)
}

/// Sends one claimed letter, renewing its claim every third of the lease while the SMTP
/// transaction is alive (a slow server never makes a live send look abandoned).
async fn send_renewing(
    ctx: &Delivery,
    transport: &Transport,
    worker: &str,
    c: &outbox::Claimed,
    bytes: &[u8],
) -> Result<String, SendError> {
    let period = (ctx.claim_lease / 3).max(Duration::from_secs(1));
    let send = transport.send(&c.from_addr, &c.to_addr, &c.message_id, bytes);
    tokio::pin!(send);
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            r = &mut send => return r,
            _ = renew.tick() => {
                if let Err(e) = outbox::renew_claim(&ctx.db, c.id, worker, ctx.clock.now()).await {
                    tracing::warn!(message = %c.message_id, "could not renew the claim: {e}");
                }
            }
        }
    }
}

struct Shared {
    report: Mutex<DeliveryReport>,
    /// Sends left under the daily limit (`None`: not yet read, or no limit). Lanes take from
    /// it before claiming, so concurrent lanes cannot overshoot the limit together.
    day_budget: Mutex<Option<u64>>,
    worker: String,
}

/// Reserves the next send slot under the per-minute limit, for the whole deployment (every
/// lane of every process takes its slot from the database); returns how long to wait first.
/// Real time, not the injected clock: this paces what the mail server receives.
async fn reserve_slot(
    ctx: &Delivery,
    interval: Option<Duration>,
) -> Result<Duration, DeliveryError> {
    let Some(iv) = interval else {
        return Ok(Duration::ZERO);
    };
    let now = chrono::Utc::now();
    let slot = store::pacing::reserve_slot(&ctx.db, now, iv).await?;
    Ok((slot - now).to_std().unwrap_or(Duration::ZERO))
}

async fn lane(
    ctx: &Delivery,
    transport: &Transport,
    throttle: &Throttle,
    mode: Mode,
    mut shutdown: watch::Receiver<bool>,
    progress: Option<&ProgressBar>,
    shared: &Shared,
) -> Result<(), DeliveryError> {
    let raw = ctx.raw.clone();
    let interval = (throttle.per_minute > 0)
        .then(|| Duration::from_secs_f64(60.0 / throttle.per_minute as f64));
    let idle = Duration::from_millis(500);
    let count =
        |f: &dyn Fn(&mut DeliveryReport)| f(&mut shared.report.lock().expect("report lock"));
    loop {
        if *shutdown.borrow() {
            break;
        }
        let now = ctx.clock.now();
        let wait = if !throttle.in_window(now) {
            Some(Duration::from_secs(30))
        } else if throttle.per_day > 0
            && !take_from_day_budget(ctx, shared, throttle.per_day, mode, now).await?
        {
            Some(Duration::from_secs(60))
        } else {
            None
        };
        if let Some(w) = wait {
            // A one-off drain (`foi send`, a foreground launch) stops here and leaves the rest
            // queued; the service waits for the window or the next day.
            if mode == Mode::UntilEmpty {
                break;
            }
            tracing::info!("outside the send window or over the daily limit; waiting {w:?}");
            sleep_or_shutdown(w, &mut shutdown).await;
            continue;
        }
        // Pace before claiming, so nothing waits in `sending` and a shutdown here leaves no claim.
        let pause = reserve_slot(ctx, interval).await?;
        if !pause.is_zero() {
            sleep_or_shutdown(pause, &mut shutdown).await;
            if *shutdown.borrow() {
                break;
            }
        }
        let Some(c) = outbox::claim(&ctx.db, &shared.worker, ctx.clock.now()).await? else {
            if throttle.per_day > 0 {
                // Nothing claimed: give the reserved send back.
                if let Some(b) = shared.day_budget.lock().expect("budget lock").as_mut() {
                    *b += 1;
                }
            }
            match (mode, outbox::next_due(&ctx.db).await?) {
                (Mode::UntilEmpty, None) => break,
                (Mode::UntilEmpty, Some(Some(t)))
                    if (t - ctx.clock.now()).to_std().unwrap_or(Duration::ZERO)
                        > MAX_FOREGROUND_WAIT =>
                {
                    count(&|r| r.gave_up = true);
                    break;
                }
                (_, Some(Some(t))) => {
                    let d = (t - ctx.clock.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(Duration::from_secs(5));
                    sleep_or_shutdown(d.max(Duration::from_millis(50)), &mut shutdown).await;
                }
                _ => sleep_or_shutdown(idle, &mut shutdown).await,
            }
            continue;
        };
        // Claimed: from here the message is sent and recorded even if a shutdown arrives.
        let (result, bytes) = match raw.get(&c.raw_sha256) {
            Ok(bytes) => (
                send_renewing(ctx, transport, &shared.worker, &c, &bytes).await,
                Some(bytes),
            ),
            Err(e) => (
                Err(SendError::Permanent(format!("stored message missing: {e}"))),
                None,
            ),
        };
        let now = ctx.clock.now();
        match result {
            Err(SendError::Auth(e)) => {
                // Not the letter's fault: it goes back to the queue as it was, and this run
                // stops (the service retries later; `/health` says why).
                outbox::release(&ctx.db, c.id).await?;
                tracing::error!(message = %c.message_id, "{e}");
                return Err(DeliveryError::Mailbox(e));
            }
            Ok(reply) => {
                outbox::mark_sent(&ctx.db, &ctx.calendar.get(), c.id, &reply, "foi send", now)
                    .await?;
                if let (Some(copy), Some(bytes)) = (&ctx.sent_copy, bytes) {
                    if let Err(e) = copy.save(&bytes).await {
                        tracing::warn!(message = %c.message_id, "sent, but no copy was saved in {}: {e}", copy.folder);
                    }
                }
                count(&|r| r.sent += 1);
                if let Some(p) = progress {
                    p.inc(1);
                }
            }
            Err(SendError::Transient(e)) => {
                if c.attempts as u32 >= throttle.max_attempts {
                    outbox::mark_transient(&ctx.db, c.id, &e, None, now).await?;
                    count(&|r| r.failed += 1);
                    if let Some(p) = progress {
                        p.inc(1);
                    }
                } else {
                    let at = now
                        + chrono::Duration::from_std(throttle.backoff(c.attempts as u32))
                            .unwrap_or_default();
                    outbox::mark_transient(&ctx.db, c.id, &e, Some(at), now).await?;
                    count(&|r| r.retried += 1);
                }
                count(&|r| r.last_error = Some(e.clone()));
                tracing::warn!(message = %c.message_id, "transient failure: {e}");
            }
            Err(SendError::Permanent(e)) => {
                outbox::mark_bounced(&ctx.db, c.id, &e, now).await?;
                count(&|r| r.bounced += 1);
                if let Some(p) = progress {
                    p.inc(1);
                }
                tracing::warn!(message = %c.message_id, "bounced: {e}");
            }
        }
    }
    Ok(())
}

/// Takes one send from the daily budget (read from the database — sent in the last 24 hours,
/// plus any in flight — when the run starts). `false` when the limit is reached.
async fn take_from_day_budget(
    ctx: &Delivery,
    shared: &Shared,
    per_day: u32,
    mode: Mode,
    now: DateTime<Utc>,
) -> Result<bool, DeliveryError> {
    let known = *shared.day_budget.lock().expect("budget lock");
    // Only the service, which runs across days, reads the budget again once it is spent.
    let refresh = known == Some(0) && mode == Mode::Forever;
    if refresh {
        let sent = outbox::sent_since(&ctx.db, now - chrono::Duration::hours(24)).await?
            + outbox::count_in_state(&ctx.db, OutboundState::Sending).await?;
        let fresh = (per_day as u64).saturating_sub(sent);
        let mut g = shared.day_budget.lock().expect("budget lock");
        if g.unwrap_or(0) == 0 {
            *g = Some(fresh);
        }
    }
    let mut g = shared.day_budget.lock().expect("budget lock");
    match g.as_mut() {
        Some(b) if *b > 0 => {
            *b -= 1;
            Ok(true)
        }
        _ => Ok(false),
    }
}

async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = shutdown.changed() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn throttle() -> Throttle {
        Throttle::from_config(&SendConfig {
            window_start: "09:00".into(),
            window_end: "16:00".into(),
            weekdays_only: true,
            ..SendConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn send_window_is_london_time_on_weekdays() {
        let t = throttle();
        // Mon 1 July 2024 08:30 UTC = 09:30 BST: inside.
        assert!(t.in_window(Utc.with_ymd_and_hms(2024, 7, 1, 8, 30, 0).unwrap()));
        // 07:30 UTC = 08:30 BST: before the window.
        assert!(!t.in_window(Utc.with_ymd_and_hms(2024, 7, 1, 7, 30, 0).unwrap()));
        // 15:30 UTC = 16:30 BST: after.
        assert!(!t.in_window(Utc.with_ymd_and_hms(2024, 7, 1, 15, 30, 0).unwrap()));
        // In winter London is UTC: 15:30 UTC on Mon 2 Dec 2024 is inside.
        assert!(t.in_window(Utc.with_ymd_and_hms(2024, 12, 2, 15, 30, 0).unwrap()));
        // Saturday.
        assert!(!t.in_window(Utc.with_ymd_and_hms(2024, 7, 6, 10, 0, 0).unwrap()));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let t = throttle();
        assert_eq!(t.backoff(1), Duration::from_secs(30));
        assert_eq!(t.backoff(2), Duration::from_secs(60));
        assert_eq!(t.backoff(3), Duration::from_secs(120));
        assert_eq!(t.backoff(30), Duration::from_secs(3600));
    }

    #[test]
    fn bad_window_is_a_config_error() {
        let e = Throttle::from_config(&SendConfig {
            window_start: "9am".into(),
            window_end: "16:00".into(),
            ..SendConfig::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("window_start `9am`"), "{e}");
    }
}
