//! The scheduled jobs, as use cases: what the scheduler (and `foi digest`) runs.

use crate::app::App;
use crate::schedule::{Job, JobHost};
use crate::store::Db;
use chrono::{DateTime, Utc};
use std::future::Future;

/// Runs one job; the text says what it did.
pub(crate) async fn run_job(app: &App, job: Job) -> Result<String, String> {
    match job {
        Job::InboxPoll => {
            if app.config.imap.host.trim().is_empty() {
                return Ok("skipped: no [imap] host configured".into());
            }
            let s = super::ingest::ingest_imap(app)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} new message(s), {} matched, {} to triage",
                s.seen - s.duplicates,
                s.matched,
                s.triage
            ))
        }
        Job::DeadlineCheck => {
            let actions = super::chasers::run_chasers(app, None, false)
                .await
                .map_err(|e| e.to_string())?;
            let mut overdue = 0usize;
            super::chasers::overdue_each(app, None, |_| {
                overdue += 1;
                Ok::<(), super::chasers::ChaseError>(())
            })
            .await
            .map_err(|e| e.to_string())?;
            Ok(format!(
                "{} chaser(s) created; {overdue} request(s) overdue",
                actions.len(),
            ))
        }
        Job::Digest => super::digest::queue(app).await.map_err(|e| e.to_string()),
        Job::CalendarUpdate => {
            let source = app.config.calendar.source.trim();
            if source.is_empty() {
                return Ok("skipped: no [calendar] source configured".into());
            }
            let r = super::calendar::update(app, source, "foi serve (calendar_update)")
                .await
                .map_err(|e| e.to_string())?;
            Ok(r.summary())
        }
        Job::SourceFetch => {
            let mut said = Vec::new();
            for r in crate::store::rounds::list(&app.db)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|r| r.kind == "desk")
            {
                let s = super::sources::fetch_round(app, &r.slug, None, |_| {})
                    .await
                    .map_err(|e| e.to_string())?;
                if !s.lines.is_empty() {
                    said.push(format!("{}: {}", r.slug, s.line()));
                }
            }
            Ok(if said.is_empty() {
                "no desk-research sources to fetch".into()
            } else {
                said.join("; ")
            })
        }
    }
}

impl JobHost for App {
    fn db(&self) -> &Db {
        &self.db
    }
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    fn run(&self, job: Job) -> impl Future<Output = Result<String, String>> + Send {
        run_job(self, job)
    }
}
