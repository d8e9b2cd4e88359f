//! No single input stops foi: a message the parser panics on, in the middle of a directory
//! or first in a Maildir, costs that message its parse and nothing else (it is a row, listed
//! as unparseable with the reason); an ingest stopped between storing bytes and making the
//! row is taken up by the next; a file whose reading stopped the whole process twice is
//! recorded as failed instead of stopping every later run. Run on SQLite and PostgreSQL.

mod common;

use common::docs::{mail_with, Envelope};
use common::{test_app, Backend};
use foi::domain::message::InboundState;
use foi::services::ingest::{self, IngestSummary};

fn message(n: usize, body: &str) -> Vec<u8> {
    mail_with(
        &Envelope {
            from: &format!("foi@body{n}.example"),
            subject: &format!("Message {n}"),
            message_id: &format!("m{n}@body.example"),
            date: "Mon, 15 Jun 2026 10:00:00 +0100",
        },
        body,
        &[],
    )
    .into_bytes()
}

/// The parser `foi` uses, except that it panics (as mail-parser 0.11.2 did on a malformed
/// message) on a message whose body says so.
fn panicking_parser(raw: &[u8]) -> Result<foi::domain::mail::ParsedMail, String> {
    if raw.windows(13).any(|w| w == b"PANIC-IN-HERE") {
        panic!("range start index 9 out of range for slice of length 4");
    }
    foi::inbound::mime::parse(raw)
}

async fn a_panicking_message_in_a_directory_costs_only_its_parse(backend: Backend) {
    let mut t = test_app(backend).await;
    t.app.mail_parser = panicking_parser;
    // A directory of 7 messages, the 4th one the parser panics on.
    let dir = t.dir.path().join("mail");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..7 {
        let body = if i == 3 {
            "PANIC-IN-HERE"
        } else {
            "An answer."
        };
        std::fs::write(dir.join(format!("{i}.eml")), message(i, body)).unwrap();
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let catalog = ingest::catalog(&t.app).await.unwrap();
    let mut summary = IngestSummary::default();
    for f in &files {
        for raw in foi::inbound::sources::messages_in_file(f).unwrap() {
            ingest::ingest_bytes(&t.app, &catalog, &raw, &mut summary)
                .await
                .unwrap();
        }
    }
    assert_eq!(summary.seen, 7);
    assert_eq!(summary.unparseable, 1, "{summary:?}");
    assert_eq!(
        summary.triage, 6,
        "the six after and before it: {summary:?}"
    );
    let inbox = foi::services::inbox::all(&t.app).await.unwrap();
    assert_eq!(inbox.len(), 7, "every message is a row");
    let bad: Vec<_> = inbox
        .iter()
        .filter(|m| m.state == InboundState::Unparseable)
        .collect();
    assert_eq!(bad.len(), 1);
    let why = bad[0].parse_error.as_deref().unwrap();
    assert!(
        why.contains("malformed message") && why.contains("kept as it arrived"),
        "{why}"
    );
    // Listed in triage with the others, and its raw bytes are there to read.
    let triage = foi::services::triage::waiting(&t.app).await.unwrap();
    assert!(triage.iter().any(|m| m.id == bad[0].id), "in triage");
    let raw = t
        .app
        .raw_store()
        .get(bad[0].raw_sha256.as_deref().unwrap())
        .unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("PANIC-IN-HERE"));
    // Nothing waits as arriving.
    assert!(t.app.raw_store().arriving().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_panicking_message_in_a_directory_costs_only_its_parse() {
    a_panicking_message_in_a_directory_costs_only_its_parse(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_panicking_message_in_a_directory_costs_only_its_parse() {
    a_panicking_message_in_a_directory_costs_only_its_parse(Backend::Postgres).await;
}

/// In a Maildir with the panicking message first, all three are stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_message_first_in_a_maildir_stops_nothing() {
    let mut t = test_app(Backend::Sqlite).await;
    t.app.mail_parser = panicking_parser;
    let md = t.dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    std::fs::write(md.join("new/1000.a"), message(1, "PANIC-IN-HERE")).unwrap();
    std::fs::write(md.join("new/1001.b"), message(2, "Second.")).unwrap();
    std::fs::write(md.join("cur/1002.c:2,S"), message(3, "Third.")).unwrap();
    let catalog = ingest::catalog(&t.app).await.unwrap();
    let mut summary = IngestSummary::default();
    for f in foi::inbound::sources::maildir_files(&md).unwrap() {
        for raw in foi::inbound::sources::messages_in_file(&f).unwrap() {
            ingest::ingest_bytes(&t.app, &catalog, &raw, &mut summary)
                .await
                .unwrap();
        }
    }
    assert_eq!((summary.seen, summary.unparseable), (3, 1), "{summary:?}");
    assert_eq!(foi::services::inbox::all(&t.app).await.unwrap().len(), 3);
}

/// A parse that never ends is given up at the limit; the message is kept and listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parse_that_hangs_is_given_up() {
    fn hangs(_: &[u8]) -> Result<foi::domain::mail::ParsedMail, String> {
        std::thread::sleep(std::time::Duration::from_secs(5));
        Err("never reached in time".into())
    }
    let r = ingest::parse_alone(
        hangs,
        b"From: a@b.example\r\n\r\nx",
        std::time::Duration::from_millis(200),
    )
    .await;
    let why = r.unwrap_err();
    assert!(why.contains("took longer than 0 seconds"), "{why}");
}

/// An ingest stopped after the raw store and before the row (the note of its arrival is
/// still there) is taken up by the next ingest, once.
async fn an_interrupted_ingest_is_taken_up_by_the_next(backend: Backend) {
    let t = test_app(backend).await;
    let raw = message(9, "Stored, then the process stopped.");
    // Written by a process that has since ended.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let sha = t.app.raw_store().put_arriving_as(&raw, pid).unwrap();
    assert_eq!(t.app.raw_store().abandoned_arrivals(), vec![sha.clone()]);
    // A note of a running ingest (this process) is left to it.
    let other = message(10, "Being ingested right now by another process.");
    let busy = t.app.raw_store().put_arriving(&other).unwrap();
    assert_eq!(t.app.raw_store().abandoned_arrivals(), vec![sha.clone()]);
    assert!(foi::services::inbox::all(&t.app).await.unwrap().is_empty());
    // The next ingest (of nothing new) takes it up.
    let s = ingest::ingest_all(&t.app, Vec::<Vec<u8>>::new())
        .await
        .unwrap();
    assert_eq!(s.seen, 1, "{s:?}");
    let inbox = foi::services::inbox::all(&t.app).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].raw_sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(t.app.raw_store().arriving(), vec![busy]);
    // And only once: the same bytes arriving again are a duplicate.
    let s = ingest::ingest_all(&t.app, vec![raw]).await.unwrap();
    assert_eq!((s.seen, s.duplicates), (1, 1), "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_interrupted_ingest_is_taken_up_by_the_next() {
    an_interrupted_ingest_is_taken_up_by_the_next(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_interrupted_ingest_is_taken_up_by_the_next() {
    an_interrupted_ingest_is_taken_up_by_the_next(Backend::Postgres).await;
}

/// A file whose reading stopped the whole process twice (its row still says `reading`) is
/// recorded as failed on the third start, not read again.
async fn a_file_that_stopped_the_process_twice_waits_for_a_person(backend: Backend) {
    let t = test_app(backend).await;
    let raw = mail_with(
        &Envelope {
            from: "foi@body1.example",
            subject: "Reply",
            message_id: "r1@body.example",
            date: "Mon, 15 Jun 2026 10:00:00 +0100",
        },
        "Attached.",
        &[("answer.txt", "text/plain", b"Our answer is attached.")],
    );
    ingest::ingest_all(&t.app, vec![raw.into_bytes()])
        .await
        .unwrap();
    let item = foi::services::inbox::all(&t.app).await.unwrap().remove(0);
    let sha = item.attachments[0].sha256.clone();
    let now = chrono::Utc::now();
    // Two runs began reading it and never finished.
    assert_eq!(
        foi::store::extracts::begin_reading(&t.app.db, &sha, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        foi::store::extracts::begin_reading(&t.app.db, &sha, now)
            .await
            .unwrap(),
        2
    );
    let s = foi::services::extract::run_pending(&t.app, 10)
        .await
        .unwrap();
    assert_eq!((s.read, s.failed), (1, 1), "{s:?}");
    let failures = foi::store::extracts::failures(&t.app.db, 10).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "answer.txt");
    assert!(failures[0].1.contains("stopped 2 times"), "{failures:?}");
    // Not read again by itself; `--failed` reads it (and this time it is fine).
    let s = foi::services::extract::run_pending(&t.app, 10)
        .await
        .unwrap();
    assert_eq!(s.read, 0);
    let s = foi::services::extract::run(&t.app, foi::services::extract::Scope::Failed, |_| {})
        .await
        .unwrap();
    assert_eq!((s.read, s.text), (1, 1), "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_file_that_stopped_the_process_twice_waits_for_a_person() {
    a_file_that_stopped_the_process_twice_waits_for_a_person(Backend::Sqlite).await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_file_that_stopped_the_process_twice_waits_for_a_person() {
    a_file_that_stopped_the_process_twice_waits_for_a_person(Backend::Postgres).await;
}

/// A 1 MB body of unclosed `<script>` tags (178 s to ingest with the old scanner) is
/// ingested with its text, its row made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unclosed_script_body_is_ingested_with_its_text() {
    let t = test_app(Backend::Sqlite).await;
    let mut raw = b"From: foi@body1.example\r\nSubject: Response\r\nMessage-ID: <s1@body.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Our answer.</p>".to_vec();
    raw.extend(common::docs::unclosed_script_html(1 << 20));
    let s = ingest::ingest_all(&t.app, vec![raw]).await.unwrap();
    assert_eq!((s.seen, s.unparseable), (1, 0), "{s:?}");
    let m = foi::services::inbox::all(&t.app).await.unwrap().remove(0);
    assert!(m.text.starts_with("Our answer."), "{}", &m.text[..40]);
}
