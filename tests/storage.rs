//! Storage tests, run on SQLite and on PostgreSQL.

mod common;

use common::{test_app, Backend};
use foi::domain::register::parse_register;
use foi::store::authorities;

async fn registers_load_and_reload_idempotently(backend: Backend) {
    let t = test_app(backend).await;
    let first = t.app.load_shipped_registers().await.unwrap();
    assert_eq!(first[0].added, 42);
    assert_eq!(first[1].added, 36);
    let second = t.app.load_shipped_registers().await.unwrap();
    assert_eq!(
        (second[0].added, second[0].updated, second[0].unchanged),
        (0, 0, 42)
    );
    assert_eq!(
        (second[1].added, second[1].updated, second[1].unchanged),
        (0, 0, 36)
    );
    let l24 = authorities::list(&t.app.db, Some("icbs-2024"))
        .await
        .unwrap();
    let l26 = authorities::list(&t.app.db, Some("icbs-2026"))
        .await
        .unwrap();
    assert_eq!(l24.len(), 42);
    assert_eq!(l26.len(), 36);
    let qhg = l24.iter().find(|a| a.record.code == "QHG").unwrap();
    assert_eq!(qhg.record.successors, vec!["S1Y5D".to_string()]);
    let s1 = l26.iter().find(|a| a.record.code == "S1Y5D").unwrap();
    assert_eq!(s1.record.predecessors, vec!["QHG", "QUE", "QM7(part)"]);
    assert!(authorities::list(&t.app.db, Some("nope")).await.is_err());
}

async fn a_failing_import_changes_nothing(backend: Backend) {
    let t = test_app(backend).await;
    let text = "ods_code,name,foi_email\nA1,One,a@one.org\nB2,Two,b@two.org\n";
    let mut records = parse_register(text, "t.csv").unwrap();
    authorities::import_register(&t.app.db, "test", "t.csv", &records, chrono::Utc::now())
        .await
        .unwrap();
    // Change A1 and add two rows with the same new code: the database's unique index fails the
    // second one half way through, and the transaction must undo the first two changes.
    records[0].name = "One renamed".into();
    let mut dup = records[1].clone();
    dup.code = "C3".into();
    records.push(dup.clone());
    records.push(dup);
    let err =
        authorities::import_register(&t.app.db, "test", "t.csv", &records, chrono::Utc::now())
            .await;
    assert!(err.is_err(), "duplicate insert must fail");
    let after = authorities::list(&t.app.db, Some("test")).await.unwrap();
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].record.name, "One", "rolled back");
}

#[tokio::test]
async fn sqlite_registers_load_and_reload_idempotently() {
    registers_load_and_reload_idempotently(Backend::Sqlite).await;
}
#[tokio::test]
async fn postgres_registers_load_and_reload_idempotently() {
    registers_load_and_reload_idempotently(Backend::Postgres).await;
}
#[tokio::test]
async fn sqlite_a_failing_import_changes_nothing() {
    a_failing_import_changes_nothing(Backend::Sqlite).await;
}
#[tokio::test]
async fn postgres_a_failing_import_changes_nothing() {
    a_failing_import_changes_nothing(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    use sea_orm::{ConnectionTrait, Statement};
    let t = test_app(Backend::Sqlite).await;
    let q = |sql: &str| Statement::from_string(sea_orm::DbBackend::Sqlite, sql.to_string());
    let jm = t
        .app
        .db
        .query_one_raw(q("PRAGMA journal_mode"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jm.try_get_by_index::<String>(0).unwrap(), "wal");
    let fk = t
        .app
        .db
        .query_one_raw(q("PRAGMA foreign_keys"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fk.try_get_by_index::<i32>(0).unwrap(), 1);
    let bt = t
        .app
        .db
        .query_one_raw(q("PRAGMA busy_timeout"))
        .await
        .unwrap()
        .unwrap();
    assert!(bt.try_get_by_index::<i32>(0).unwrap() >= 1000);
    assert!(t.dir.path().join("data/foi.db").exists());
}
