//! The scheduler: cron expressions (the `cron` crate, with seconds) evaluated in
//! Europe/London time, for the inbox poll, the deadline check (chasers), the digest and the
//! bank-holiday refresh.
//!
//! Catch-up rule: at each tick the scheduler looks for the latest scheduled time at or before
//! now that has not been run. Runs missed while the service was down are therefore caught up
//! once (as the latest missed tick), not once per missed tick; and a second start finds
//! nothing to do. Every run is recorded with its start, end and outcome.
//!
//! Many processes, one database: each tick is *claimed* by inserting its run row, which only
//! one process can do (`store::jobs::claim`); the others record nothing. One job runs in one
//! process at a time: while a run's claim holds, no process starts that job. The claim has a
//! lease, renewed while the job runs; a run whose process died is found with its lease lapsed,
//! marked `abandoned` and tried again by whichever process ticks next, as is a failed run (up
//! to [`MAX_ATTEMPTS`], after a pause that doubles). A newer tick replaces an old retry.

use crate::config::ScheduleConfig;
use crate::store::jobs;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use cron::Schedule;
use std::future::Future;
use std::str::FromStr;

/// What the scheduler runs jobs against: where job runs are recorded, the time, and the jobs
/// themselves (the use cases in `services::jobs`). The scheduler knows nothing else.
pub trait JobHost {
    fn db(&self) -> &crate::store::Db;
    fn now(&self) -> DateTime<Utc>;
    /// Runs one job; the text says what it did.
    fn run(&self, job: Job) -> impl Future<Output = Result<String, String>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    InboxPoll,
    DeadlineCheck,
    Digest,
    CalendarUpdate,
    SourceFetch,
}

impl Job {
    /// Every job the scheduler knows.
    pub const ALL: [Job; 5] = [
        Job::InboxPoll,
        Job::DeadlineCheck,
        Job::Digest,
        Job::CalendarUpdate,
        Job::SourceFetch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::InboxPoll => "inbox_poll",
            Job::DeadlineCheck => "deadline_check",
            Job::Digest => "digest",
            Job::CalendarUpdate => "calendar_update",
            Job::SourceFetch => "source_fetch",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("[schedule] {key} = \"{expr}\" is not a cron expression ({message}); use sec min hour day-of-month month day-of-week, e.g. \"0 0 9 * * Mon-Fri\"")]
    Cron {
        key: &'static str,
        expr: String,
        message: String,
    },
}

pub struct Scheduler {
    jobs: Vec<(Job, Schedule)>,
}

/// How far back a first start looks for a tick to run.
const LOOKBACK_DAYS: i64 = 8;

/// How long a run's claim holds without renewal; renewed every third of it while the job
/// runs, so a claim lapses within two minutes of its process dying.
pub const LEASE: Duration = Duration::seconds(90);

/// Attempts in all at one tick: the first run and two retries.
pub const MAX_ATTEMPTS: i32 = 3;

/// The pause before retrying a failed run: 1 minute after the first attempt, 2 after the
/// second.
fn retry_after(attempt: i32) -> Duration {
    Duration::minutes(1 << (attempt - 1).clamp(0, 10))
}

/// This process, as recorded on the runs it claims: host and process id.
pub fn holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}

/// One run the scheduler wants: the job, the tick it is for, and which attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub job: Job,
    pub at: DateTime<Utc>,
    pub attempt: i32,
}

impl Scheduler {
    pub fn from_config(c: &ScheduleConfig) -> Result<Scheduler, ScheduleError> {
        let parse = |key: &'static str, expr: &str| {
            Schedule::from_str(expr).map_err(|e| ScheduleError::Cron {
                key,
                expr: expr.into(),
                message: e.to_string(),
            })
        };
        Ok(Scheduler {
            jobs: vec![
                (Job::InboxPoll, parse("inbox_poll", &c.inbox_poll)?),
                (
                    Job::DeadlineCheck,
                    parse("deadline_check", &c.deadline_check)?,
                ),
                (Job::Digest, parse("digest", &c.digest)?),
                (
                    Job::CalendarUpdate,
                    parse("calendar_update", &c.calendar_update)?,
                ),
                (Job::SourceFetch, parse("source_fetch", &c.source_fetch)?),
            ],
        })
    }

    /// The latest tick of `s` in (`after`, `now`], in London time.
    fn latest_tick(
        s: &Schedule,
        after: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        s.after(&after.with_timezone(&London))
            .map(|t| t.with_timezone(&Utc))
            .take_while(|t| *t <= now)
            .last()
    }

    /// The runs due at `now`: each job's newest unrun tick, else a retry of its latest run
    /// if that failed or was abandoned; nothing for a job whose run is still held.
    pub async fn due(
        &self,
        db: &crate::store::Db,
        now: DateTime<Utc>,
    ) -> Result<Vec<Due>, crate::store::StoreError> {
        let mut out = Vec::new();
        for (job, s) in &self.jobs {
            let latest = jobs::latest_of(db, job.name()).await?;
            if let Some(l) = &latest {
                let held = l.outcome == "running" && l.lease_until.is_some_and(|u| u > now);
                if held {
                    continue;
                }
                if l.outcome == "running" {
                    // Its process died: the run is abandoned, and retried below.
                    jobs::abandon(db, l.id, now).await?;
                }
            }
            let after = latest
                .as_ref()
                .map(|l| l.due_at)
                .unwrap_or(now - Duration::days(LOOKBACK_DAYS));
            if let Some(t) = Self::latest_tick(s, after, now) {
                out.push(Due {
                    job: *job,
                    at: t,
                    attempt: 1,
                });
            } else if let Some(l) = latest.filter(|l| l.attempt < MAX_ATTEMPTS) {
                let retry = match l.outcome.as_str() {
                    "running" => true,
                    "error" => l
                        .finished_at
                        .is_some_and(|f| f + retry_after(l.attempt) <= now),
                    _ => false,
                };
                if retry {
                    out.push(Due {
                        job: *job,
                        at: l.due_at,
                        attempt: l.attempt + 1,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Runs every due job once, in this process, where this process wins its claim. Returns
    /// what ran here and how.
    pub async fn tick(
        &self,
        host: &impl JobHost,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Job, String)>, crate::store::StoreError> {
        let mut ran = Vec::new();
        let me = holder();
        for due in self.due(host.db(), now).await? {
            let job = due.job;
            let claimed = jobs::claim(
                host.db(),
                job.name(),
                due.at,
                due.attempt,
                &me,
                host.now(),
                host.now() + LEASE,
            )
            .await?;
            let Some(id) = claimed else {
                // Another process has this run.
                continue;
            };
            let result = run_renewing(host, job, id).await;
            let (outcome, detail) = match result {
                Ok(d) => ("ok", d),
                Err(e) => {
                    tracing::error!(job = job.name(), attempt = due.attempt, "{e}");
                    ("error", e)
                }
            };
            jobs::finish(host.db(), id, outcome, &detail, host.now()).await?;
            ran.push((job, format!("{outcome}: {detail}")));
        }
        Ok(ran)
    }

    /// When the next tick of any job comes after `now`.
    pub fn next_tick(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.jobs
            .iter()
            .filter_map(|(_, s)| s.after(&now.with_timezone(&London)).next())
            .map(|t| t.with_timezone(&Utc))
            .min()
    }
}

/// Runs `job`, renewing its claim every third of the lease while it runs.
async fn run_renewing(host: &impl JobHost, job: Job, id: i32) -> Result<String, String> {
    let period = (LEASE / 3)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(30));
    let run = host.run(job);
    tokio::pin!(run);
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            r = &mut run => return r,
            _ = renew.tick() => {
                if let Err(e) = jobs::renew(host.db(), id, host.now() + LEASE).await {
                    tracing::warn!(job = job.name(), "could not renew the job's claim: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn latest_tick_is_in_london_time_and_only_the_last_missed_one() {
        let s = Schedule::from_str("0 0 9 * * Mon-Fri").unwrap();
        // From Fri 3 July 2026 10:00 BST to Wed 8 July 12:00 BST: ticks Mon, Tue, Wed 09:00 BST.
        let after = Utc.with_ymd_and_hms(2026, 7, 3, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 7, 8, 11, 0, 0).unwrap();
        let t = Scheduler::latest_tick(&s, after, now).unwrap();
        assert_eq!(
            t,
            Utc.with_ymd_and_hms(2026, 7, 8, 8, 0, 0).unwrap(),
            "09:00 BST is 08:00 UTC"
        );
        // In winter 09:00 London is 09:00 UTC.
        let t = Scheduler::latest_tick(
            &s,
            Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        )
        .unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap());
        // Nothing new since the last tick.
        assert_eq!(Scheduler::latest_tick(&s, now, now), None);
    }

    #[test]
    fn a_bad_cron_expression_names_the_key() {
        let e = Scheduler::from_config(&ScheduleConfig {
            digest: "every monday".into(),
            ..ScheduleConfig::default()
        })
        .err()
        .unwrap()
        .to_string();
        assert!(e.starts_with("[schedule] digest = \"every monday\""), "{e}");
    }
}
