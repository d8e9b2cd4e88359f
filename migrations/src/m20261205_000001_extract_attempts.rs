//! How many times reading a file was begun. A row is written with status `reading` before a
//! file is read and replaced by the result after; a row still `reading` means the process
//! stopped while reading it. After two such stops the file is recorded as failed and waits
//! for a person (`foi extract --failed`), so one file can never stop every later run.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Extracts {
    Table,
    Attempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Extracts::Table)
                    .add_column(
                        ColumnDef::new(Extracts::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Extracts::Table)
                    .drop_column(Extracts::Attempts)
                    .to_owned(),
            )
            .await
    }
}
