//! A request's letters or replies read by key whatever the statistics say: the board's kept
//! counts (`inbound_count`, `waiting_count`, `last_inbound_at`) are refreshed with
//! `request_id = ? AND direction = 'in'`, and a request's letters are read with
//! `request_id IN (…) AND direction = 'out'`. With only `ix_messages_request (request_id)` and
//! `ux_messages_direction_raw (direction, …)` to choose from, SQLite without statistics (a
//! store freshly filled, before it has been analysed) took the direction index and
//! read every reply of every round once per request: `foi code import` of a 10,000-body
//! round took 5.5 s, at 33,000 bodies minutes. One index on `(request_id, direction, state)`
//! matches more of each question than either, so both stores take it on their own; it
//! replaces `ix_messages_request`, its first column.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_messages_request_direction \
             ON messages (request_id, direction, state)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_messages_request")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS ix_messages_request ON messages (request_id)",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_messages_request_direction")
            .await?;
        Ok(())
    }
}
