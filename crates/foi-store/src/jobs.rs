//! Runs of scheduled jobs: when each was due, started and finished, and how it went; and the
//! claims that let exactly one of several processes run each tick (migration `job_claims`).

use super::entities::job_run;
use super::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
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
    /// 1 for a tick's first run; 2, 3 for its retries.
    pub attempt: i32,
    /// The process that ran it (host:pid).
    pub holder: Option<String>,
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
        attempt: m.attempt,
        holder: m.holder,
    }
}

/// A job's latest run: the one the scheduler decides from.
#[derive(Debug, Clone)]
pub struct Latest {
    pub id: i32,
    pub due_at: DateTime<Utc>,
    pub attempt: i32,
    pub outcome: String,
    pub finished_at: Option<DateTime<Utc>>,
    /// `None` on runs recorded before claims had leases: treated as lapsed.
    pub lease_until: Option<DateTime<Utc>>,
}

/// The latest run of `job` (latest tick, then latest attempt), read through `ux_job_runs_tick`.
pub async fn latest_of(db: &DatabaseConnection, job: &str) -> Result<Option<Latest>, StoreError> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::Job.eq(job))
        .order_by_desc(job_run::Column::DueAt)
        .order_by_desc(job_run::Column::Attempt)
        .one(db)
        .await?
        .map(|m| Latest {
            id: m.id,
            due_at: m.due_at,
            attempt: m.attempt,
            outcome: m.outcome,
            finished_at: m.finished_at,
            lease_until: m.lease_until,
        }))
}

/// Claims attempt `attempt` of `job`'s tick `due_at` for `holder`, its lease running until
/// `lease_until`. Exactly one process can: the run row is inserted, and the unique index
/// turns every other process's insert into nothing. `Some(id)` when this process won it.
pub async fn claim(
    db: &DatabaseConnection,
    job: &str,
    due_at: DateTime<Utc>,
    attempt: i32,
    holder: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<i32>, StoreError> {
    let row = job_run::ActiveModel {
        job: Set(job.into()),
        due_at: Set(due_at),
        started_at: Set(now),
        outcome: Set("running".into()),
        attempt: Set(attempt),
        holder: Set(Some(holder.into())),
        lease_until: Set(Some(lease_until)),
        ..Default::default()
    };
    let done = job_run::Entity::insert(row)
        .on_conflict_do_nothing_on([
            job_run::Column::Job,
            job_run::Column::DueAt,
            job_run::Column::Attempt,
        ])
        .exec(db)
        .await?;
    Ok(match done {
        sea_orm::TryInsertResult::Inserted(r) => Some(r.last_insert_id),
        _ => None,
    })
}

/// Extends a running claim's lease (the job is still running in this process).
pub async fn renew(
    db: &DatabaseConnection,
    id: i32,
    lease_until: DateTime<Utc>,
) -> Result<(), StoreError> {
    job_run::Entity::update_many()
        .col_expr(job_run::Column::LeaseUntil, Expr::value(lease_until))
        .filter(job_run::Column::Id.eq(id))
        .filter(job_run::Column::Outcome.eq("running"))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a running claim whose lease lapsed as `abandoned` (its process died or lost the
/// database): true when this call did it.
pub async fn abandon(
    db: &DatabaseConnection,
    id: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = job_run::Entity::update_many()
        .col_expr(job_run::Column::Outcome, Expr::value("abandoned"))
        .col_expr(job_run::Column::FinishedAt, Expr::value(now))
        .col_expr(
            job_run::Column::Detail,
            Expr::value("its process stopped before it finished (the claim lapsed); tried again"),
        )
        .filter(job_run::Column::Id.eq(id))
        .filter(job_run::Column::Outcome.eq("running"))
        .filter(
            sea_orm::Condition::any()
                .add(job_run::Column::LeaseUntil.is_null())
                .add(job_run::Column::LeaseUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
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
        am.lease_until = Set(None);
        am.update(db).await?;
    }
    Ok(())
}

/// The latest run of each of these jobs: one indexed look-up each (the whole history is never
/// read).
pub async fn latest(db: &DatabaseConnection, names: &[&str]) -> Result<Vec<JobRun>, StoreError> {
    let mut out = Vec::new();
    for name in names {
        if let Some(m) = job_run::Entity::find()
            .filter(job_run::Column::Job.eq(*name))
            .order_by_desc(job_run::Column::DueAt)
            .order_by_desc(job_run::Column::Attempt)
            .one(db)
            .await?
        {
            out.push(to_run(m));
        }
    }
    out.sort_by(|a, b| a.job.cmp(&b.job));
    Ok(out)
}

/// Runs since `since` that did not go well (`error`, `abandoned`), newest first, at most
/// `limit`: what `/health` keeps showing after the next run succeeds.
pub async fn recent_problems(
    db: &DatabaseConnection,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<JobRun>, StoreError> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::DueAt.gte(since))
        .filter(job_run::Column::Outcome.is_in(["error", "abandoned"]))
        .order_by_desc(job_run::Column::DueAt)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(to_run)
        .collect())
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
