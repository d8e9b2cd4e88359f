//! The registers page's counts (bodies, and bodies without a verified FOI address) are kept
//! by a trigger on `authorities` rather than counted on every view: after imports, a
//! re-import that changes addresses, and address changes from the registers page, they equal
//! a count of the bodies themselves, on both stores; a tampered tally is found and corrected
//! by `foi db recompute`.

mod common;

use common::{test_app, Backend};
use foi::services::registers;

/// (register, bodies, unverified) counted from the bodies themselves.
async fn counted(app: &foi::app::App) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    for name in registers::names(app).await.unwrap() {
        let bodies = registers::list(app, Some(&name)).await.unwrap();
        let unverified = bodies
            .iter()
            .filter(|b| b.record.foi_email.is_none() || !b.record.email_verified)
            .count();
        out.push((name, bodies.len() as u64, unverified as u64));
    }
    out
}

/// One register's kept counts: (register, bodies, unverified).
async fn kept_of(app: &foi::app::App, name: &str) -> (String, u64, u64) {
    registers::summaries(app)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.0 == name)
        .unwrap()
}

async fn check(app: &foi::app::App, step: &str) {
    let kept = registers::summaries(app).await.unwrap();
    assert_eq!(kept, counted(app).await, "{step}: kept counts differ");
}

async fn kept_counts_follow_every_change(backend: Backend) {
    let t = test_app(backend).await;
    let app = &t.app;
    let csv = "code,name,region,foi_email,foi_email_verified\n\
               A1,Body 1,R,foi@a1.example,yes\n\
               A2,Body 2,R,foi@a2.example,no\n\
               A3,Body 3,R,,no\n";
    registers::import(app, "alpha", "alpha.csv", csv.as_bytes())
        .await
        .unwrap();
    let other = "code,name,region,foi_email,foi_email_verified\nB1,Other 1,R,foi@b1.example,yes\n";
    registers::import(app, "beta", "beta.csv", other.as_bytes())
        .await
        .unwrap();
    check(app, "after two imports").await;
    let alpha = kept_of(app, "alpha").await;
    assert_eq!(alpha, ("alpha".into(), 3, 2), "3 bodies, 2 unverified");
    // A re-import verifies one address, removes another and adds a body.
    let again = "code,name,region,foi_email,foi_email_verified\n\
                 A1,Body 1,R,,no\n\
                 A2,Body 2,R,foi@a2.example,yes\n\
                 A3,Body 3,R,,no\n\
                 A4,Body 4,R,foi@a4.example,yes\n";
    registers::import(app, "alpha", "alpha.csv", again.as_bytes())
        .await
        .unwrap();
    check(app, "after a re-import").await;
    // The registers page sets and verifies an address, and clears another.
    registers::set_address(app, "alpha", "A3", "foi@a3.example", true, "phoned", "ed")
        .await
        .unwrap();
    registers::set_address(app, "alpha", "A4", "", false, "bounced", "ed")
        .await
        .unwrap();
    check(app, "after address changes").await;
    let alpha = kept_of(app, "alpha").await;
    assert_eq!(alpha, ("alpha".into(), 4, 2));
    // A tally edited by hand is found by the recomputation and put right.
    foi::store::sql::execute(&app.db, "UPDATE register_tallies SET n = n + 7")
        .await
        .unwrap();
    assert_ne!(registers::summaries(app).await.unwrap(), counted(app).await);
    let r = foi::store::board_values::recompute(&app.db, &app.calendar.get())
        .await
        .unwrap();
    assert!(r.stale_tallies > 0, "the tampered tallies are found");
    check(app, "after the recomputation").await;
    let again = foi::store::board_values::recompute(&app.db, &app.calendar.get())
        .await
        .unwrap();
    assert_eq!(again.stale_tallies, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_register_counts_follow_every_change() {
    kept_counts_follow_every_change(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_register_counts_follow_every_change() {
    kept_counts_follow_every_change(Backend::Postgres).await;
}
