//! Full-text search over what bodies sent us: one row per received message (subject and
//! body) and per attachment read (file name and extracted text) in `search_docs`, indexed by
//! SQLite FTS5 (an external-content table kept by triggers) or by a PostgreSQL `tsvector`
//! column with a GIN index. Both index the same words: the text is split at every character
//! that is not a letter or digit and lowercased (FTS5's `unicode61` tokenizer; on PostgreSQL
//! the text is reduced that way before `to_tsvector('simple', …)`), so a search finds the same
//! documents on either store.
//!
//! Also: `codings.suggestion` records whether a coded value was the workbench's suggestion
//! taken as it was (`accepted`), a different value chosen where one was suggested
//! (`changed`), or NULL where nothing was suggested.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_key TEXT NOT NULL UNIQUE,
        message_id INTEGER NULL,
        attachment_id INTEGER NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL
    )",
    "CREATE INDEX ix_search_docs_message ON search_docs (message_id)",
    "CREATE INDEX ix_search_docs_attachment ON search_docs (attachment_id)",
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_docs', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END",
    "ALTER TABLE codings ADD COLUMN suggestion TEXT NULL",
];

// `to_tsvector` refuses a document whose vector passes 1 MB; the first 400,000 characters of a
// document are indexed (a 150-page plan is about that), the whole text is kept and shown.
const POSTGRES: &[&str] = &[
    "CREATE TABLE search_docs (
        id SERIAL PRIMARY KEY,
        doc_key TEXT NOT NULL UNIQUE,
        message_id INTEGER NULL,
        attachment_id INTEGER NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A') ||
            to_tsvector('simple', regexp_replace(left(body, 400000), '[^[:alnum:]]+', ' ', 'g'))
        ) STORED
    )",
    "CREATE INDEX ix_search_docs_message ON search_docs (message_id)",
    "CREATE INDEX ix_search_docs_attachment ON search_docs (attachment_id)",
    "CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv)",
    "ALTER TABLE codings ADD COLUMN suggestion TEXT NULL",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let stmts = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for s in stmts {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("DROP TABLE search_fts").await?;
        }
        db.execute_unprepared("DROP TABLE search_docs").await?;
        db.execute_unprepared("ALTER TABLE codings DROP COLUMN suggestion")
            .await?;
        Ok(())
    }
}
