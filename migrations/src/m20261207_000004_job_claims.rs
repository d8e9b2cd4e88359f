//! Jobs that run once across processes. Several `foi serve` processes on one PostgreSQL each
//! run the scheduler; a tick of a job is *claimed* by inserting its run row, and the unique
//! index on (job, due_at, attempt) lets exactly one process insert it. The others find the
//! row there and record nothing. A claim has a lease (`lease_until`, renewed while the job
//! runs, `holder` naming the process): a run whose process died is found with its lease
//! lapsed and tried again by any process, as is a run that failed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Attempt,
    Holder,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = |c: ColumnDef| {
            Table::alter()
                .table(JobRuns::Table)
                .add_column(c)
                .to_owned()
        };
        manager
            .alter_table(add(ColumnDef::new(JobRuns::Attempt)
                .integer()
                .not_null()
                .default(1)
                .to_owned()))
            .await?;
        manager
            .alter_table(add(ColumnDef::new(JobRuns::Holder)
                .string()
                .null()
                .to_owned()))
            .await?;
        manager
            .alter_table(add(ColumnDef::new(JobRuns::LeaseUntil)
                .timestamp_with_time_zone()
                .null()
                .to_owned()))
            .await?;
        let db = manager.get_connection();
        // Before claims, two processes could each record a run of the same tick: number them
        // so the history is kept and the claim index can be made.
        db.execute_unprepared(
            "UPDATE job_runs SET attempt = 1 + (SELECT COUNT(*) FROM job_runs j2 \
             WHERE j2.job = job_runs.job AND j2.due_at = job_runs.due_at AND j2.id < job_runs.id)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_job_runs_tick ON job_runs (job, due_at, attempt)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ux_job_runs_tick").await?;
        for c in [JobRuns::LeaseUntil, JobRuns::Holder, JobRuns::Attempt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JobRuns::Table)
                        .drop_column(c)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
