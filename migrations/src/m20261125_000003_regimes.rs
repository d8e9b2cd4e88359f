//! Which law each body answers under (`foia`, `foisa`, `eir`, `eisr`): on the body (from its
//! register) and on each request (the round may override the register), so every clock runs
//! on the right calendar. Existing rows are FOIA, as before.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "ALTER TABLE authorities ADD COLUMN regime varchar NOT NULL DEFAULT 'foia'",
            "ALTER TABLE requests ADD COLUMN regime varchar NOT NULL DEFAULT 'foia'",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m20261125_000003_regimes cannot be reverted".into(),
        ))
    }
}
