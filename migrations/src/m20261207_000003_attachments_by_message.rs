//! A message's attachments read by key: the request page, the report's unread-file check and
//! search's snippets ask for the attachments of a few messages; without an index on
//! `attachments.message_id` each asked for every attachment of every round (neither store
//! indexes a foreign key by itself). And the latest reading of any file found by index
//! (`extracts.extracted_at`): part of what says whether a round's findings have changed.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_attachments_message ON attachments (message_id)",
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_extracts_at ON extracts (extracted_at)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_attachments_message")
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_extracts_at")
            .await?;
        Ok(())
    }
}
