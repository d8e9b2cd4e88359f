//! Documents kept for desk research: every attempt to fetch a body's recorded source (or a file
//! the team added) in `source_fetches`, with the URL asked for, where it ended after redirects,
//! the HTTP status, the headers that date it (`Last-Modified`, `ETag`), when, and what came of
//! it (`kept`, `unchanged`, `failed`, `refused`, with the reason). The bytes of a kept document
//! are in the raw store under `sha256`; its text is read into `extracts` like an attachment's.
//! Distinct `sha256` values of a request's kept fetches are the document's versions.
//!
//! `search_docs.source_id` lets a kept document be searched beside replies;
//! `attachments.publishable` records that a person marked an original file safe to publish.
//!
//! PostgreSQL: the search index is written through at once (`fastupdate = off`), and each
//! document's `tsvector` is kept in its row, its text stored apart (see below). With GIN's
//! default pending list, documents indexed since the last vacuum are scanned one by one on
//! every search, which doubled the time of a common word after a day's ingest; replies arrive
//! a few at a time, so writing each into the index directly costs nothing noticeable.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SourceFetches {
    Table,
    Id,
    RequestId,
    Url,
    FinalUrl,
    Redirects,
    HttpStatus,
    Outcome,
    Reason,
    Sha256,
    Size,
    ContentType,
    Filename,
    LastModified,
    Etag,
    FetchedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Publishable,
}

#[derive(DeriveIden)]
enum SearchDocs {
    Table,
    SourceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SourceFetches::Table)
                    .col(
                        ColumnDef::new(SourceFetches::Id)
                            .integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(SourceFetches::RequestId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(SourceFetches::Url).text().not_null())
                    .col(ColumnDef::new(SourceFetches::FinalUrl).text().null())
                    .col(ColumnDef::new(SourceFetches::Redirects).text().not_null())
                    .col(ColumnDef::new(SourceFetches::HttpStatus).integer().null())
                    .col(ColumnDef::new(SourceFetches::Outcome).string().not_null())
                    .col(ColumnDef::new(SourceFetches::Reason).text().null())
                    .col(ColumnDef::new(SourceFetches::Sha256).string().null())
                    .col(ColumnDef::new(SourceFetches::Size).big_integer().null())
                    .col(ColumnDef::new(SourceFetches::ContentType).text().null())
                    .col(ColumnDef::new(SourceFetches::Filename).text().null())
                    .col(ColumnDef::new(SourceFetches::LastModified).text().null())
                    .col(ColumnDef::new(SourceFetches::Etag).text().null())
                    .col(
                        ColumnDef::new(SourceFetches::FetchedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_source_fetches_request")
                    .table(SourceFetches::Table)
                    .col(SourceFetches::RequestId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SearchDocs::Table)
                    .add_column(ColumnDef::new(SearchDocs::SourceId).integer().null())
                    .to_owned(),
            )
            .await?;
        // An original file is published only once a person has marked it safe.
        manager
            .alter_table(
                Table::alter()
                    .table(Attachments::Table)
                    .add_column(
                        ColumnDef::new(Attachments::Publishable)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("ALTER INDEX ix_search_docs_tsv SET (fastupdate = off)")
                .await?;
            db.execute_unprepared("SELECT gin_clean_pending_list('ix_search_docs_tsv')")
                .await?;
            // Ranking reads the `tsvector` of every match. By default PostgreSQL moves it out of
            // the row into TOAST storage (the row is over 2 KB with the text), so each match
            // costs index lookups in the TOAST table: 31,000 buffer reads to rank 10,000 matches.
            // The text is moved out instead and the vector kept in the row (compressed): 1,700.
            for sql in [
                "ALTER TABLE search_docs ALTER COLUMN body SET STORAGE EXTERNAL",
                "ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE MAIN",
                // Rows already indexed are written again under the new storage.
                "UPDATE search_docs SET title = title",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            let db = manager.get_connection();
            for sql in [
                "ALTER INDEX ix_search_docs_tsv RESET (fastupdate)",
                "ALTER TABLE search_docs ALTER COLUMN body SET STORAGE EXTENDED",
                "ALTER TABLE search_docs ALTER COLUMN tsv SET STORAGE EXTENDED",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(SearchDocs::Table)
                    .drop_column(SearchDocs::SourceId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Attachments::Table)
                    .drop_column(Attachments::Publishable)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(SourceFetches::Table).to_owned())
            .await
    }
}
