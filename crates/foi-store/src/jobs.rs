//! Runs of scheduled jobs: when each was due, started and finished, and how it went.

use super::entities::job_run;
use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct JobRun {
    pub job: String,
    pub due_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub detail: Option<String>,
}

fn to_run(m: job_run::Model) -> JobRun {
    // A job that had nothing to do because it is not set up (no [imap] host, say) did not
    // succeed at anything: it says so, rather than "ok".
    let skipped = m
        .detail
        .as_deref()
        .is_some_and(|d| d.starts_with("skipped:"));
    JobRun {
        job: m.job,
        due_at: m.due_at,
        started_at: m.started_at,
        finished_at: m.finished_at,
        outcome: if skipped && m.outcome == "ok" {
            "not configured".into()
        } else {
            m.outcome
        },
        detail: m.detail,
    }
}

/// The tick of the latest finished run of `job`.
pub async fn last_done(
    db: &DatabaseConnection,
    job: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job))
        .filter(job_run::Column::Outcome.ne("running"))
        .order_by_desc(job_run::Column::DueAt)
        .one(db)
        .await?
        .map(|m| m.due_at))
}

pub async fn start(
    db: &DatabaseConnection,
    job: &str,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i32, StoreError> {
    Ok(job_run::ActiveModel {
        job: Set(job.into()),
        due_at: Set(due_at),
        started_at: Set(now),
        outcome: Set("running".into()),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}

pub async fn finish(
    db: &DatabaseConnection,
    id: i32,
    outcome: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if let Some(m) = job_run::Entity::find_by_id(id).one(db).await? {
        let mut am: job_run::ActiveModel = m.into();
        am.finished_at = Set(Some(now));
        am.outcome = Set(outcome.into());
        am.detail = Set(Some(detail.into()));
        am.update(db).await?;
    }
    Ok(())
}

/// The latest run of each job.
pub async fn latest(db: &DatabaseConnection) -> Result<Vec<JobRun>, StoreError> {
    let mut out: Vec<JobRun> = Vec::new();
    for m in job_run::Entity::find()
        .order_by_desc(job_run::Column::Id)
        .all(db)
        .await?
    {
        if !out.iter().any(|r| r.job == m.job) {
            out.push(to_run(m));
        }
    }
    out.sort_by(|a, b| a.job.cmp(&b.job));
    Ok(out)
}

/// All runs of one job, oldest first (tests and diagnostics).
pub async fn runs(db: &DatabaseConnection, job: &str) -> Result<Vec<JobRun>, StoreError> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job))
        .order_by_asc(job_run::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_run)
        .collect())
}
