//! How the service is: the mailbox's sign-in, the database, each scheduled job's last run, the
//! outbox by state and the calendar's health (`GET /health`, `foi health`), and the counts the
//! dashboard's navigation shows.

use crate::app::App;
use crate::domain::message::OutboundState;
use crate::store::{self, inbox, jobs, outbox, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

use super::calendar::CalendarHealth;

/// The mailbox's sign-in, as the health report shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxHealth {
    pub name: String,
    /// `xoauth2` or `password`.
    pub auth: &'static str,
    /// `ok` or `needs_login`.
    pub status: &'static str,
    /// What a person must do, when the mailbox needs signing in again.
    pub error: Option<String>,
}

/// The health report (the supervised tasks are added by the process that runs them).
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub mailbox: MailboxHealth,
    pub status: &'static str,
    pub now: DateTime<Utc>,
    /// `sqlite` or `postgres`.
    pub database: &'static str,
    pub jobs: Vec<jobs::JobRun>,
    /// Runs of the last 24 hours that failed or were abandoned (newest 20): they stay here
    /// after the next run succeeds.
    pub job_problems: Vec<jobs::JobRun>,
    /// Letters in each state that is not "sent".
    pub outbox: BTreeMap<&'static str, u64>,
    pub calendar: CalendarHealth,
    pub warnings: Vec<String>,
    /// Files that could not be read (the newest 50), each with the reason in words.
    pub unreadable_files: Vec<UnreadableFile>,
}

/// An attachment or kept document whose text could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableFile {
    pub file: String,
    pub reason: String,
}

/// The states the health report counts letters in.
const COUNTED: [OutboundState; 6] = [
    OutboundState::Queued,
    OutboundState::Sending,
    OutboundState::Failed,
    OutboundState::Bounced,
    OutboundState::Uncertain,
    OutboundState::Approval,
];

/// The health report: the last run of each scheduled job, the outbox by state, the mailbox's
/// sign-in and the calendar's warnings.
pub async fn report(app: &App) -> Result<Health, StoreError> {
    let names = crate::schedule::Job::ALL.map(|j| j.name());
    let jobs = jobs::latest(&app.db, &names).await?;
    let now = app.clock.now();
    let job_problems =
        jobs::recent_problems(&app.db, now - chrono::Duration::hours(24), 20).await?;
    let mut counts = BTreeMap::new();
    for s in COUNTED {
        counts.insert(s.as_str(), outbox::count_in_state(&app.db, s).await?);
    }
    let calendar = super::calendar::health(app, now).await?;
    let mut warnings = calendar.warnings.clone();
    // A claim older than its lease: the process sending it stopped, or lost the database.
    let lease = chrono::Duration::from_std(app.claim_lease()).unwrap_or_default();
    let stranded = outbox::claimed_before(&app.db, now - lease).await?;
    if stranded > 0 {
        warnings.push(format!(
            "{stranded} letter(s) in `sending` past their claim's lease: the process sending them stopped; they are checked and marked `uncertain` within a minute (see `foi outbox`)"
        ));
    }
    let problem = app.mailbox.problem();
    let mailbox = MailboxHealth {
        name: app.mailbox.mailbox.clone(),
        auth: if app.mailbox.uses_oauth() {
            "xoauth2"
        } else {
            "password"
        },
        status: if problem.is_some() {
            "needs_login"
        } else {
            "ok"
        },
        error: problem.map(|p| {
            format!(
                "the mailbox {} needs signing in again: {}",
                app.mailbox.mailbox, p.reason
            )
        }),
    };
    Ok(Health {
        mailbox,
        status: if stranded > 0 { "warning" } else { "ok" },
        now,
        database: store::backend_name(&app.db),
        jobs,
        job_problems,
        outbox: counts,
        warnings,
        calendar,
        unreadable_files: store::extracts::failures(&app.db, 50)
            .await?
            .into_iter()
            .map(|(file, reason)| UnreadableFile { file, reason })
            .collect(),
    })
}

/// What the dashboard's navigation counts: replies waiting in triage, chasers awaiting
/// approval, and letters with a problem (failed, bounced, uncertain).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NavCounts {
    pub triage: u64,
    pub approval: u64,
    pub problems: u64,
}

pub async fn nav_counts(app: &App) -> Result<NavCounts, StoreError> {
    let triage = inbox::triage_count(&app.db).await?;
    let approval = outbox::count_in_state(&app.db, OutboundState::Approval).await?;
    let mut problems = 0;
    for s in OutboundState::ALL.iter().filter(|s| s.is_problem()) {
        problems += outbox::count_in_state(&app.db, *s).await?;
    }
    Ok(NavCounts {
        triage,
        approval,
        problems,
    })
}

/// Refreshes the query planner's statistics (SQLite's `ANALYZE` within an analysis limit; nothing to do on
/// PostgreSQL): `foi serve` runs it every few hours so query plans follow the data's growth.
pub async fn optimize_database(app: &App) -> Result<(), StoreError> {
    crate::store::optimize(&app.db).await
}
