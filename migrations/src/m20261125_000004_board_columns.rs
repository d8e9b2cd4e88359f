//! The board at any size: what a round's board filters and sorts on is kept on each request
//! (in the same transaction as the change that moves it; `foi db recompute` rebuilds it), and
//! indexed, so the database pages through 100,000 bodies as cheaply as 1,000.
//!
//! * `inbound_count`, `last_inbound_at`, `waiting_count` (replies matched but not yet
//!   classified) and `coded_count` (variables coded, first pass) mirror `messages` and `codings`;
//! * `deadline_on` is the due date the board shows (the internal review's while one is
//!   requested, else the response's) and `overdue_from`, while a clock runs, the first working
//!   day after it on the request's own calendar: a request is overdue on any day on or after
//!   `overdue_from`.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Requests {
    Table,
    RoundId,
    Reference,
    State,
    InboundCount,
    LastInboundAt,
    WaitingCount,
    CodedCount,
    DeadlineOn,
    OverdueFrom,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            integer(Requests::InboundCount).default(0).to_owned(),
            timestamp_with_time_zone_null(Requests::LastInboundAt),
            integer(Requests::WaitingCount).default(0).to_owned(),
            integer(Requests::CodedCount).default(0).to_owned(),
            date_null(Requests::DeadlineOn),
            date_null(Requests::OverdueFrom),
        ] {
            let mut col = col;
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
        }
        // Each board order is (a condition, then) one of these, ending in the reference, which
        // within a round orders by body code. Each also carries what the filters test
        // (state, replies waiting, coding, overdue), so a filtered walk along an order reads
        // the index and fetches only the rows it shows.
        let indexes: [(&str, &[Requests]); 5] = {
            use Requests::*;
            [
                (
                    "ix_requests_round_reference",
                    &[
                        RoundId,
                        Reference,
                        State,
                        WaitingCount,
                        CodedCount,
                        OverdueFrom,
                    ],
                ),
                (
                    "ix_requests_round_state",
                    &[
                        RoundId,
                        State,
                        Reference,
                        WaitingCount,
                        CodedCount,
                        OverdueFrom,
                    ],
                ),
                (
                    "ix_requests_round_deadline",
                    &[
                        RoundId,
                        DeadlineOn,
                        Reference,
                        State,
                        WaitingCount,
                        CodedCount,
                        OverdueFrom,
                    ],
                ),
                (
                    "ix_requests_round_overdue",
                    &[
                        RoundId,
                        OverdueFrom,
                        Reference,
                        State,
                        WaitingCount,
                        CodedCount,
                    ],
                ),
                // "Needs coding" counted from the index alone.
                ("ix_requests_round_coded", &[RoundId, CodedCount, State]),
            ]
        };
        for (name, cols) in indexes {
            let mut ix = Index::create();
            ix.name(name).table(Requests::Table);
            for c in cols {
                ix.col(*c);
            }
            m.create_index(ix.to_owned()).await?;
        }
        // Replies waiting are few among many: a partial index holds just those requests, in
        // body order (the same statement on SQLite and PostgreSQL).
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_requests_round_waiting ON requests (round_id, reference, state, coded_count, overdue_from) WHERE waiting_count > 0",
            )
            .await?;
        // Responses to code, in body order. The predicate is the text `store::board` queries
        // with (`NEEDS_CODING_SQL`): a database uses a partial index only for a query that
        // states its condition.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_requests_round_to_code ON requests (round_id, reference) WHERE coded_count = 0 AND state IN ('answered_full', 'answered_part', 'refused', 'not_held', 'internal_review_requested', 'internal_review_answered', 'referred_to_ico', 'desk_research')",
            )
            .await?;
        // The same responses by the day they became overdue (an internal review awaited is a
        // response to code with a clock running): "Needs coding" in the default order.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_requests_round_to_code_overdue ON requests (round_id, overdue_from, reference) WHERE coded_count = 0 AND state IN ('answered_full', 'answered_part', 'refused', 'not_held', 'internal_review_requested', 'internal_review_answered', 'referred_to_ico', 'desk_research')",
            )
            .await?;
        // The counts of existing rows; the dates need the calendar, so `foi` fills them at its
        // next start (`store::board::recompute_if_needed`).
        m.get_connection()
            .execute_unprepared(
                "UPDATE requests SET \
                 inbound_count = (SELECT COUNT(*) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in'), \
                 last_inbound_at = (SELECT MAX(m.received_at) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in'), \
                 waiting_count = (SELECT COUNT(*) FROM messages m WHERE m.request_id = requests.id AND m.direction = 'in' AND m.state = 'matched'), \
                 coded_count = (SELECT COUNT(DISTINCT c.variable) FROM codings c WHERE c.request_id = requests.id AND c.pass = 1)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m20261125_000004_board_columns cannot be reverted".into(),
        ))
    }
}
