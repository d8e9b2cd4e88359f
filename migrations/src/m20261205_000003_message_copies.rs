//! One reply, several requests: a received message that answers several requests of a round
//! (a shared FOI team answering for several bodies) is stored once as it arrived and linked to
//! each further request by a copy row, so each request's thread, classification, coding,
//! timeliness, bundle and publication stand on their own.
//!
//! `messages.copy_for` is 0 for a message itself and, on a copy, the id of the request it
//! links the message to. The bytes' uniqueness becomes `(direction, raw_sha256, copy_for)`:
//! the same bytes are still stored once, and linked at most once to each request.
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
            "ALTER TABLE messages ADD COLUMN copy_for integer NOT NULL DEFAULT 0",
            "DROP INDEX IF EXISTS ux_messages_direction_raw",
            "CREATE UNIQUE INDEX ux_messages_direction_raw ON messages (direction, raw_sha256, copy_for)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "DELETE FROM messages WHERE copy_for <> 0",
            "DROP INDEX IF EXISTS ux_messages_direction_raw",
            "CREATE UNIQUE INDEX ux_messages_direction_raw ON messages (direction, raw_sha256)",
            "ALTER TABLE messages DROP COLUMN copy_for",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
