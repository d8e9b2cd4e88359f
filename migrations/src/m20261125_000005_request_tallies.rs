//! The board's counts without counting: `request_tallies` holds, per round, how many requests
//! there are of each (state, replies waiting or not, coded or not, day it becomes overdue).
//! A trigger on `requests` keeps it, in the same transaction as every insert, update or delete,
//! whichever code path made it; the board sums a few dozen rows instead of counting 100,000.
//! `foi db recompute` rebuilds it and says whether it had drifted.
//!
//! `overdue_from` is never NULL here ('9999-12-31' stands for "no clock running"), so the
//! unique key can take every row. On PostgreSQL the trigger first takes a per-round advisory
//! lock: two transactions moving requests between the same two tallies in opposite directions
//! would otherwise wait on each other's rows.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE: &[&str] = &[
    "CREATE TABLE request_tallies (
        round_id INTEGER NOT NULL,
        state TEXT NOT NULL,
        waiting INTEGER NOT NULL,
        coded INTEGER NOT NULL,
        overdue_from TEXT NOT NULL,
        n INTEGER NOT NULL
    )",
    "CREATE UNIQUE INDEX ux_request_tallies ON request_tallies (round_id, state, waiting, coded, overdue_from)",
    "CREATE TRIGGER request_tally_insert AFTER INSERT ON requests BEGIN
        INSERT INTO request_tallies (round_id, state, waiting, coded, overdue_from, n)
        VALUES (NEW.round_id, NEW.state, NEW.waiting_count > 0, NEW.coded_count > 0, COALESCE(NEW.overdue_from, '9999-12-31'), 1)
        ON CONFLICT (round_id, state, waiting, coded, overdue_from) DO UPDATE SET n = n + 1;
    END",
    "CREATE TRIGGER request_tally_delete AFTER DELETE ON requests BEGIN
        UPDATE request_tallies SET n = n - 1
        WHERE round_id = OLD.round_id AND state = OLD.state AND waiting = (OLD.waiting_count > 0)
          AND coded = (OLD.coded_count > 0) AND overdue_from = COALESCE(OLD.overdue_from, '9999-12-31');
    END",
    "CREATE TRIGGER request_tally_update AFTER UPDATE OF round_id, state, waiting_count, coded_count, overdue_from ON requests BEGIN
        UPDATE request_tallies SET n = n - 1
        WHERE round_id = OLD.round_id AND state = OLD.state AND waiting = (OLD.waiting_count > 0)
          AND coded = (OLD.coded_count > 0) AND overdue_from = COALESCE(OLD.overdue_from, '9999-12-31');
        INSERT INTO request_tallies (round_id, state, waiting, coded, overdue_from, n)
        VALUES (NEW.round_id, NEW.state, NEW.waiting_count > 0, NEW.coded_count > 0, COALESCE(NEW.overdue_from, '9999-12-31'), 1)
        ON CONFLICT (round_id, state, waiting, coded, overdue_from) DO UPDATE SET n = n + 1;
    END",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE request_tallies (
        round_id INTEGER NOT NULL,
        state VARCHAR NOT NULL,
        waiting INTEGER NOT NULL,
        coded INTEGER NOT NULL,
        overdue_from DATE NOT NULL,
        n INTEGER NOT NULL
    )",
    "CREATE UNIQUE INDEX ux_request_tallies ON request_tallies (round_id, state, waiting, coded, overdue_from)",
    "CREATE FUNCTION request_tally() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM pg_advisory_xact_lock(7031, OLD.round_id);
            UPDATE request_tallies SET n = n - 1
            WHERE round_id = OLD.round_id AND state = OLD.state
              AND waiting = (OLD.waiting_count > 0)::int AND coded = (OLD.coded_count > 0)::int
              AND overdue_from = COALESCE(OLD.overdue_from, DATE '9999-12-31');
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            PERFORM pg_advisory_xact_lock(7031, NEW.round_id);
            INSERT INTO request_tallies (round_id, state, waiting, coded, overdue_from, n)
            VALUES (NEW.round_id, NEW.state, (NEW.waiting_count > 0)::int, (NEW.coded_count > 0)::int,
                    COALESCE(NEW.overdue_from, DATE '9999-12-31'), 1)
            ON CONFLICT (round_id, state, waiting, coded, overdue_from)
            DO UPDATE SET n = request_tallies.n + 1;
        END IF;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER request_tally_insert_delete AFTER INSERT OR DELETE ON requests
        FOR EACH ROW EXECUTE FUNCTION request_tally()",
    "CREATE TRIGGER request_tally_update AFTER UPDATE OF round_id, state, waiting_count, coded_count, overdue_from ON requests
        FOR EACH ROW EXECUTE FUNCTION request_tally()",
];

/// Fills the tallies from the requests there are (the same on both databases).
pub const REBUILD: &str = "INSERT INTO request_tallies (round_id, state, waiting, coded, overdue_from, n)
    SELECT round_id, state, CASE WHEN waiting_count > 0 THEN 1 ELSE 0 END, CASE WHEN coded_count > 0 THEN 1 ELSE 0 END,
           COALESCE(overdue_from, '9999-12-31'), COUNT(*)
    FROM requests GROUP BY 1, 2, 3, 4, 5";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let statements = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES,
            _ => SQLITE,
        };
        for sql in statements {
            db.execute_unprepared(sql).await?;
        }
        db.execute_unprepared(REBUILD).await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m20261125_000005_request_tallies cannot be reverted".into(),
        ))
    }
}
