//! The queries the dashboard asks on every view read through their indexes, on both stores.
//! Each hot query is named in `foi::store::plans` with the index that must serve it; this test
//! builds a round of 3,000 bodies whose letters have all gone (register imported, round created,
//! launched, sent through the file transport, as a user does it), lets each database gather
//! its statistics the way it does in service (SQLite: the limited `ANALYZE` every `foi`
//! command runs at start; PostgreSQL: the `ANALYZE` its autovacuum runs), and asks each for
//! its plans. On PostgreSQL sequential scans are switched off for the `EXPLAIN`, so a table of
//! a few thousand rows still shows whether the index serves the query.

mod common;

use common::{foi, ok, PgDb};
use std::path::Path;

/// A round of 3,000 bodies, every letter sent; then a command, whose start refreshes SQLite's
/// statistics.
fn seed(d: &Path, env: &[(&str, &str)]) {
    ok(foi(d, &["init"], env));
    let (reg, round) = common::bulk_round(d, "plans", 3000, |i| format!("foi{i}"));
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "plans",
        ],
        env,
    ));
    ok(foi(d, &["round", "create", round.to_str().unwrap()], env));
    let mut e = env.to_vec();
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(
        d,
        &["round", "launch", "plans", "--yes", "--enqueue-only"],
        &e,
    ));
    ok(foi(d, &["send"], &e));
    ok(foi(d, &["status", "plans", "--format", "json"], env));
}

/// A reply to every letter and twenty messages for triage, as a round in progress has them
/// (written by SQL: the plans, not the matching, are under test here).
async fn add_replies(db: &foi::store::Db) {
    let copy =
        |state: &str, filter: &str| {
            format!(
            "INSERT INTO messages (request_id, direction, kind, message_id, subject, from_addr, \
             to_addr, state, attempts, raw_sha256, raw_size, created_at, received_at, copy_for) \
             SELECT {req}, 'in', 'reply', message_id || '.{state}', subject, to_addr, from_addr, \
             '{state}', 0, raw_sha256 || '{state}', raw_size, created_at, created_at, 0 \
             FROM messages WHERE direction = 'out' {filter}",
            req = if state == "triage" { "NULL" } else { "request_id" },
        )
        };
    foi::store::sql::execute(db, &copy("matched", ""))
        .await
        .unwrap();
    foi::store::sql::execute(db, &copy("triage", "AND id <= 20"))
        .await
        .unwrap();
}

async fn check(db: &foi::store::Db) {
    let plans = foi::store::plans::hot(db).await.unwrap();
    assert!(plans.len() >= 6);
    let wrong: Vec<String> = plans
        .iter()
        .filter(|p| !p.uses_its_index())
        .map(|p| {
            format!(
                "{} should use {}; the plan is:\n{}",
                p.query, p.index, p.plan
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// A seeded SQLite store (kept alive by the directory) and its URL.
async fn seeded_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking({
        let d = d.clone();
        move || seed(&d, &[])
    })
    .await
    .unwrap();
    let url = format!("sqlite://{}?mode=rw", d.join("foi.db").display());
    (dir, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reads_each_hot_query_through_its_index() {
    let (_dir, url) = seeded_sqlite().await;
    let db = foi::store::connect(&url, 10).await.unwrap();
    add_replies(&db).await;
    // What every `foi` command and, every few hours, `foi serve` do.
    foi::store::optimize(&db).await.unwrap();
    check(&db).await;
}

/// The same plans before SQLite has any statistics (a store just filled by one long command,
/// before any `ANALYZE` saw it): each hot query's index must win on its shape alone,
/// not on what `ANALYZE` happened to measure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_reads_each_hot_query_through_its_index_without_statistics() {
    let (_dir, url) = seeded_sqlite().await;
    {
        let db = foi::store::connect(&url, 1).await.unwrap();
        add_replies(&db).await;
        let had = foi::store::sql::scalar(&db, "SELECT CAST(COUNT(*) AS TEXT) FROM sqlite_stat1")
            .await
            .unwrap();
        assert_ne!(had.as_deref(), Some("0"), "the seed gathered statistics");
        foi::store::sql::execute(&db, "DROP TABLE sqlite_stat1")
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    // A new connection reads no statistics (`connect` alone does not analyse).
    let db = foi::store::connect(&url, 10).await.unwrap();
    check(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_reads_each_hot_query_through_its_index() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || seed(&d, &[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
    let db = foi::store::connect(&pg.url, 10).await.unwrap();
    let n = foi::store::sql::scalar(&db, "SELECT CAST(COUNT(*) AS TEXT) FROM messages")
        .await
        .unwrap();
    assert_eq!(
        n.as_deref(),
        Some("3000"),
        "the seeded letters are in PostgreSQL"
    );
    add_replies(&db).await;
    // What autovacuum does by itself once a table has grown.
    foi::store::sql::execute(&db, "ANALYZE").await.unwrap();
    check(&db).await;
}
