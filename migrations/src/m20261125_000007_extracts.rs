//! The text read out of each attachment, once per content (keyed by its SHA-256: the same file
//! sent twice is read once), with the extractor and its version (a better extractor reads old
//! files again), what came of it (text, no text: needs OCR, failed with a reason) and what it
//! hides (flags, JSON).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Extracts {
    Table,
    Sha256,
    Extractor,
    Version,
    Status,
    Reason,
    Text,
    Flags,
    ExtractedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Extracts::Table)
                    .col(
                        ColumnDef::new(Extracts::Sha256)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Extracts::Extractor).string().not_null())
                    .col(ColumnDef::new(Extracts::Version).integer().not_null())
                    .col(ColumnDef::new(Extracts::Status).string().not_null())
                    .col(ColumnDef::new(Extracts::Reason).text().null())
                    .col(ColumnDef::new(Extracts::Text).text().not_null())
                    .col(ColumnDef::new(Extracts::Flags).text().not_null())
                    .col(
                        ColumnDef::new(Extracts::ExtractedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Extracts::Table).to_owned())
            .await
    }
}
