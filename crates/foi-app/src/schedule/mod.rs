//! The scheduler: cron expressions (the `cron` crate, with seconds) evaluated in
//! Europe/London time, for the inbox poll, the deadline check (chasers), the digest and the
//! bank-holiday refresh.
//!
//! Catch-up rule: at each tick the scheduler looks for the latest scheduled time at or before
//! now that has not been run. Runs missed while the service was down are therefore caught up
//! once (as the latest missed tick), not once per missed tick; and a second start finds
//! nothing to do. Every run is recorded with its start, end and outcome.

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

    /// The jobs due at `now` with the tick each is run for.
    pub async fn due(
        &self,
        db: &crate::store::Db,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Job, DateTime<Utc>)>, crate::store::StoreError> {
        let mut out = Vec::new();
        for (job, s) in &self.jobs {
            let after = jobs::last_done(db, job.name())
                .await?
                .unwrap_or(now - Duration::days(LOOKBACK_DAYS));
            if let Some(t) = Self::latest_tick(s, after, now) {
                out.push((*job, t));
            }
        }
        Ok(out)
    }

    /// Runs every due job once. Returns what ran and how.
    pub async fn tick(
        &self,
        host: &impl JobHost,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Job, String)>, crate::store::StoreError> {
        let mut ran = Vec::new();
        for (job, due_at) in self.due(host.db(), now).await? {
            let id = jobs::start(host.db(), job.name(), due_at, host.now()).await?;
            let (outcome, detail) = match host.run(job).await {
                Ok(d) => ("ok", d),
                Err(e) => {
                    tracing::error!(job = job.name(), "{e}");
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
