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

/// Actions on messages that are on no request leave an event naming who took them.
async fn triage_dismissal_and_outbox_retry_leave_events(backend: Backend) {
    use foi::domain::message::OutboundState;
    let t = test_app(backend).await;
    let raw = b"From: someone@elsewhere.example\r\nTo: projects@arma.uk.net\r\nSubject: Hello\r\nMessage-ID: <x1@elsewhere.example>\r\n\r\nNothing to do with a request.\r\n".to_vec();
    let s = foi::services::ingest::ingest_all(&t.app, vec![raw])
        .await
        .unwrap();
    assert_eq!(s.triage, 1);
    let id = foi::store::inbox::triage(&t.app.db).await.unwrap()[0].id;
    foi::services::triage::dismiss(&t.app, id, "ann")
        .await
        .unwrap();
    let evs = foi::store::events::for_message(&t.app.db, id)
        .await
        .unwrap();
    assert_eq!(evs.len(), 1, "{evs:?}");
    assert_eq!(evs[0].event.actor, "ann");
    assert_eq!(evs[0].event.kind, "triage_dismissed");
    assert_eq!(evs[0].event.request_id, None);
    assert!(foi::store::inbox::triage(&t.app.db)
        .await
        .unwrap()
        .is_empty());
    // A second dismissal is refused: it is not in triage any more.
    assert!(foi::services::triage::dismiss(&t.app, id, "ann")
        .await
        .is_err());

    // The team's digest (on no request) fails, then is retried by an operator.
    let digest_to = "team@arma.uk.net";
    let mut config = t.app.config.clone();
    config.team.digest_to = Some(digest_to.into());
    let app = foi::app::App::with_config(
        &foi::app::Globals {
            data_dir: t.app.data_dir.clone(),
            database_url: t.pg.as_ref().map(|p| p.url.clone()),
            ..Default::default()
        },
        config,
    )
    .await
    .unwrap();
    foi::services::digest::queue(&app).await.unwrap();
    let claimed = foi::store::outbox::claim(&app.db, "w", app.clock.now())
        .await
        .unwrap()
        .unwrap();
    foi::store::outbox::mark_transient(&app.db, claimed.id, "421 try later", None, app.clock.now())
        .await
        .unwrap();
    let n = foi::services::outbox::retry(&app, Some(claimed.id), "bob")
        .await
        .unwrap();
    assert_eq!(n, 1);
    let evs = foi::store::events::for_message(&app.db, claimed.id)
        .await
        .unwrap();
    assert_eq!(evs.last().unwrap().event.actor, "bob");
    assert_eq!(evs.last().unwrap().event.kind, "retry_chosen");
    assert_eq!(
        foi::store::outbox::count_in_state(&app.db, OutboundState::Queued)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn sqlite_triage_dismissal_and_outbox_retry_leave_events() {
    triage_dismissal_and_outbox_retry_leave_events(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_triage_dismissal_and_outbox_retry_leave_events() {
    triage_dismissal_and_outbox_retry_leave_events(Backend::Postgres).await;
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
    use foi::store::sql::scalar;
    let t = test_app(Backend::Sqlite).await;
    let db = &t.app.db;
    let jm = scalar(db, "PRAGMA journal_mode").await.unwrap();
    assert_eq!(jm.as_deref(), Some("wal"));
    let fk = scalar(db, "PRAGMA foreign_keys").await.unwrap();
    assert_eq!(fk.as_deref(), Some("1"));
    let bt: i64 = scalar(db, "PRAGMA busy_timeout")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(bt >= 1000);
    assert!(t.dir.path().join("data/foi.db").exists());
}
