//! Real-world mail: a received message's identity is its bytes, not its Message-ID.
//!
//! * Inbound messages are unique by `(direction, raw_sha256)`, enforced here so two ingests
//!   at once cannot both store the same bytes. Rows that already repeat the same bytes are the
//!   same message: their events move to the first row and the repeats go.
//! * The Message-ID stays unique for *our* letters only (that is what makes queueing
//!   idempotent); mail systems reuse Message-IDs, and a different message with a reused one
//!   is stored like any other.
//! * Attachments keep their place in the message (`position`), the attached message they were
//!   found in (`parent_position`) and how they were packed (`source`); messages keep the
//!   sender's display name, a note on how their text was decoded, and (for a bounce) the
//!   recipients that failed.
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
        // Repeats: inbound rows whose bytes an earlier inbound row already has.
        let repeats = "SELECT m.id FROM messages m WHERE m.direction = 'in' \
                       AND m.raw_sha256 IS NOT NULL AND m.id > (SELECT MIN(k.id) FROM messages k \
                       WHERE k.direction = 'in' AND k.raw_sha256 = m.raw_sha256)";
        db.execute_unprepared(&format!(
            "UPDATE events SET message_id = (SELECT MIN(k.id) FROM messages k, messages d \
             WHERE d.id = events.message_id AND k.direction = 'in' AND k.raw_sha256 = d.raw_sha256) \
             WHERE message_id IN ({repeats})"
        ))
        .await?;
        // Their attachment rows go with them (foreign keys cascade).
        db.execute_unprepared(&format!("DELETE FROM messages WHERE id IN ({repeats})"))
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ux_messages_direction_message_id")
            .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_messages_out_message_id ON messages (message_id) \
             WHERE direction = 'out'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_messages_direction_raw ON messages (direction, raw_sha256)",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_messages_message_id ON messages (message_id)")
            .await?;
        for sql in [
            "ALTER TABLE attachments ADD COLUMN position integer NOT NULL DEFAULT 0",
            "ALTER TABLE attachments ADD COLUMN parent_position integer NULL",
            "ALTER TABLE attachments ADD COLUMN source varchar NOT NULL DEFAULT 'mime'",
            "ALTER TABLE messages ADD COLUMN from_name text NULL",
            "ALTER TABLE messages ADD COLUMN decoding_note text NULL",
            "ALTER TABLE messages ADD COLUMN failed_recipients text NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        // Rows from before: their order within each message is their position.
        db.execute_unprepared(
            "UPDATE attachments SET position = (SELECT COUNT(*) FROM attachments a2 \
             WHERE a2.message_id = attachments.message_id AND a2.id < attachments.id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m20261125_000002_mail_identity cannot be reverted: messages with reused Message-IDs would collide".into(),
        ))
    }
}
