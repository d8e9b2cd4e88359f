//! The query plans of the questions the dashboard asks on every view, for the tests (and for
//! whoever wonders why a page is slow): each named with the index that must serve it. On
//! PostgreSQL sequential scans are switched off for the `EXPLAIN`, so a small test table
//! still shows whether an index *can* serve the query.

use super::entities::{attachment, message, request};
use super::{authorities, inbox, letters, outbox, requests, StoreError};
use sea_orm::sea_query::{PostgresQueryBuilder, SelectStatement, SqliteQueryBuilder};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryTrait,
    Statement, TransactionTrait,
};

/// One hot query: its name, the index it must use, and the plan the database chose.
#[derive(Debug, Clone)]
pub struct Plan {
    pub query: &'static str,
    pub index: &'static str,
    pub plan: String,
}

impl Plan {
    /// Whether the database reads the query through its index.
    pub fn uses_its_index(&self) -> bool {
        self.plan.contains(self.index)
    }
}

/// The plan of every hot query, on this database.
pub async fn hot(db: &DatabaseConnection) -> Result<Vec<Plan>, StoreError> {
    let b = db.get_database_backend();
    let day = chrono::NaiveDate::from_ymd_opt(2028, 1, 1).expect("a date");
    let queries: Vec<(&'static str, &'static str, SelectStatement)> = vec![
        (
            "a register's abolished bodies (board, rounds page)",
            "ix_authorities_abolished",
            authorities::abolished_select("icbs-2026").into_query(),
        ),
        (
            "letters not yet gone (outbox, chasers)",
            "ix_messages_state",
            outbox::unsent_select().into_query(),
        ),
        (
            "a request's letters (chaser plan, request page)",
            "ix_messages_request_direction",
            letters::histories_select(Some(&[1, 2, 3])).into_query(),
        ),
        (
            "a request's replies (the board's kept counts, refreshed on every change)",
            "ix_messages_request_direction",
            message::Entity::find()
                .filter(<message::Column as sea_orm::ColumnTrait>::eq(
                    &message::Column::RequestId,
                    1,
                ))
                .filter(<message::Column as sea_orm::ColumnTrait>::eq(
                    &message::Column::Direction,
                    "in",
                ))
                .into_query(),
        ),
        (
            "open requests due from a date (calendar health)",
            "ix_requests_round_deadline",
            request::Entity::find()
                .filter(requests::deadlines_condition(1, day))
                .into_query(),
        ),
        (
            "sent requests at a domain (triage suggestion)",
            "ix_requests_to_domain",
            requests::to_domain_select(db, "nhs.net").into_query(),
        ),
        (
            "a message's attachments (request page, report)",
            "ix_attachments_message",
            attachment::Entity::find()
                .filter(<attachment::Column as sea_orm::ColumnTrait>::is_in(
                    &attachment::Column::MessageId,
                    [1, 2, 3],
                ))
                .into_query(),
        ),
        (
            "replies waiting in triage (the navigation count on every page, the triage page)",
            "ix_messages_state",
            inbox::triage_select().into_query(),
        ),
        (
            "a message by its Message-ID (matching a reply)",
            "ix_messages_message_id",
            message::Entity::find()
                .filter(<message::Column as sea_orm::ColumnTrait>::eq(
                    &message::Column::MessageId,
                    "<x@y>",
                ))
                .into_query(),
        ),
    ];
    let mut out = Vec::new();
    for (query, index, stmt) in queries {
        out.push(Plan {
            query,
            index,
            plan: explain(db, b, stmt).await?,
        });
    }
    Ok(out)
}

async fn explain(
    db: &DatabaseConnection,
    b: DbBackend,
    query: SelectStatement,
) -> Result<String, StoreError> {
    // The statement with its values written in by sea-query (as a person would type it into
    // psql or sqlite3): a plan for these values, not a generic one for parameters.
    let sql = match b {
        DbBackend::Postgres => query.to_string(PostgresQueryBuilder),
        _ => query.to_string(SqliteQueryBuilder),
    };
    let lines = match b {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await?;
            let rows = txn
                .query_all_raw(Statement::from_string(b, format!("EXPLAIN {sql}")))
                .await?;
            txn.commit().await?;
            rows.iter()
                .filter_map(|r| r.try_get_by_index::<String>(0).ok())
                .collect::<Vec<_>>()
        }
        _ => db
            .query_all_raw(Statement::from_string(
                b,
                format!("EXPLAIN QUERY PLAN {sql}"),
            ))
            .await?
            .iter()
            .filter_map(|r| r.try_get::<String>("", "detail").ok())
            .collect(),
    };
    Ok(lines.join("\n"))
}
