//! Events that are not about one request: a triage message dismissed, an outbox retry of the
//! digest. `events.request_id` becomes nullable and `events.message_id` names the message an
//! event is about, so every action a person or the scheduler takes leaves an event.
//!
//! SQLite cannot drop a NOT NULL constraint in place, so there the table is rebuilt (rows
//! copied as they are); PostgreSQL alters the column.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLS: &str = "\"id\", \"request_id\", \"at\", \"actor\", \"kind\", \"from_state\", \"to_state\", \"effective_on\", \"note\", \"data\"";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing on SQLite too: a failure leaves the old table as it was.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match db.get_database_backend() {
            DbBackend::Sqlite => {
                // One batch inside the migration's transaction.
                db.execute_unprepared(&format!(
                    "CREATE TABLE \"events_new\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
                     \"request_id\" integer NULL, \"message_id\" integer NULL, \
                     \"at\" timestamp_with_timezone_text NOT NULL, \"actor\" varchar NOT NULL, \
                     \"kind\" varchar NOT NULL, \"from_state\" varchar NULL, \"to_state\" varchar NULL, \
                     \"effective_on\" date_text NULL, \"note\" text NULL, \"data\" text NULL, \
                     FOREIGN KEY (\"request_id\") REFERENCES \"requests\" (\"id\") ON DELETE CASCADE, \
                     FOREIGN KEY (\"message_id\") REFERENCES \"messages\" (\"id\") ON DELETE CASCADE ); \
                     INSERT INTO \"events_new\" ({COLS}) SELECT {COLS} FROM \"events\"; \
                     DROP TABLE \"events\"; \
                     ALTER TABLE \"events_new\" RENAME TO \"events\";"
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE \"events\" ALTER COLUMN \"request_id\" DROP NOT NULL",
                )
                .await?;
                db.execute_unprepared(
                    "ALTER TABLE \"events\" ADD COLUMN \"message_id\" integer NULL \
                     REFERENCES \"messages\" (\"id\") ON DELETE CASCADE",
                )
                .await?;
                db.execute_unprepared("DROP INDEX IF EXISTS \"ix_events_request\"")
                    .await?;
            }
        }
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS \"ix_events_request\" ON \"events\" (\"request_id\")",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS \"ix_events_message\" ON \"events\" (\"message_id\")",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Events without a request cannot be put back under a NOT NULL column.
        Err(DbErr::Migration(
            "m20261125_000001_events_without_request cannot be reverted".into(),
        ))
    }
}
