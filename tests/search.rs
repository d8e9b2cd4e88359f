//! Reading and searching replies end to end: replies carrying every kind of document a body
//! sends are delivered into the real Dovecot, ingested over IMAP, read by `foi extract`, and a
//! phrase unique to each file is found by `foi search` (on SQLite and on PostgreSQL, the same
//! results) and by the dashboard's search box in a real Chromium. A worker killed in the middle
//! of reading picks up where it stopped and reads nothing twice.

mod common;

use common::docs::{
    docx_with, mail_with, ods_with, pdf_pages, pdf_with, xlsx_with, zip_of, Envelope,
};
use common::mail::MailPeers;
use common::webdriver::Browser;
use common::{env_refs, foi, ok, PgDb};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// A reply to `reference` with a covering note and `files` (name, content type, bytes).
fn reply(reference: &str, n: usize, note: &str, files: &[(String, &str, Vec<u8>)]) -> String {
    let files: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(n, c, d)| (n.as_str(), *c, d.as_slice()))
        .collect();
    mail_with(
        &Envelope {
            from: &format!("foi@body{n}.example"),
            subject: &format!("Response [FOI ref {reference}]"),
            message_id: &format!("s{n}@body.example"),
            date: "Mon, 15 Jun 2026 10:00:00 +0100",
        },
        note,
        &files,
    )
}

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// The register: six bodies.
fn register() -> String {
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=6 {
        csv.push_str(&format!("X{i:04},Body {i},Test,foi@body{i}.example\n"));
    }
    csv
}

/// One reply per body, each carrying a kind of document with a phrase of its own.
fn replies(refs: &[String]) -> Vec<String> {
    let f = |name: &str, ct: &'static str, data: Vec<u8>| (name.to_string(), ct, data);
    vec![
        reply(
            &refs[0],
            1,
            "Please find our response attached.",
            &[f(
                "response.pdf",
                PDF,
                pdf_pages(&[
                    "Freedom of Information response",
                    "The quokka physiotherapy pathway is commissioned county-wide.",
                ]),
            )],
        ),
        reply(
            &refs[1],
            2,
            "Our letter is attached.",
            &[f(
                "letter.docx",
                DOCX,
                docx_with("We run a wombat rheumatology clinic for adults"),
            )],
        ),
        reply(
            &refs[2],
            3,
            "The figures are in the spreadsheet.",
            &[f(
                "figures.xlsx",
                XLSX,
                xlsx_with("numbat waiting list summary", "Jane Doe band 8a"),
            )],
        ),
        reply(
            &refs[3],
            4,
            "Returns attached.",
            &[f(
                "returns.ods",
                ODS,
                ods_with("Returns", "platypus orthopaedic returns by quarter"),
            )],
        ),
        reply(
            &refs[4],
            5,
            "The archive holds our answer.",
            &[f(
                "answer.zip",
                "application/zip",
                zip_of(&[(
                    "inner/echidna.pdf",
                    &pdf_with(Some("The echidna spinal service reopened in May")),
                )]),
            )],
        ),
        reply(
            &refs[5],
            6,
            "The bilby covering note: a scan and a damaged file are attached.",
            &[
                f("scan.pdf", PDF, pdf_with(None)),
                f(
                    "damaged.pdf",
                    PDF,
                    b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n%%EOF garbage"
                        .to_vec(),
                ),
            ],
        ),
    ]
}

/// (reference, attachment or "(message)", where) of each hit of `query`.
fn search(d: &Path, env: &[(&str, &str)], query: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["search", query, "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(foi(d, &args, env))).unwrap()
}

fn key(h: &Value) -> String {
    format!(
        "{} {} {}",
        h["reference"].as_str().unwrap_or("-"),
        h["attachment"].as_str().unwrap_or("(message)"),
        h["location"].as_str().unwrap_or("")
    )
}

/// The whole scenario on one store; returns every query's hits for comparison across stores.
fn scenario(pg: Option<&PgDb>, peers: &MailPeers, browser: bool) -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let mut owned: Vec<(String, String)> = vec![
        ("FOI__IMAP__HOST".into(), "localhost".into()),
        ("FOI__IMAP__PORT".into(), peers.get("IMAPS_PORT").into()),
        ("FOI__IMAP__SECURITY".into(), "tls".into()),
        ("FOI__IMAP__CA_FILE".into(), peers.get("TLS_CA").into()),
        ("FOI__IMAP__USERNAME".into(), peers.get("MAIL_USER").into()),
        ("FOI_IMAP_PASSWORD".into(), peers.get("MAIL_PASS").into()),
        ("FOI__SEND__PER_MINUTE".into(), "0".into()),
    ];
    if let Some(pg) = pg {
        owned.push(("FOI_DATABASE_URL".into(), pg.url.clone()));
    }
    let env = env_refs(&owned);
    // The round on this store.
    let reg = dir.path().join("six.csv");
    std::fs::write(&reg, register()).unwrap();
    ok(foi(
        &d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "six",
        ],
        &env,
    ));
    let round = dir.path().join("round.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"six\"");
    std::fs::write(&round, text).unwrap();
    ok(foi(&d, &["round", "create", round.to_str().unwrap()], &env));
    let mut launch_env = env.clone();
    launch_env.push(("FOI_TODAY", "2026-05-05"));
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &launch_env,
    ));
    ok(foi(&d, &["send"], &launch_env));
    let status: Vec<Value> = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &env,
    )))
    .unwrap();
    let mut refs: Vec<(String, String)> = status
        .iter()
        .map(|r| {
            (
                r["authority"].as_str().unwrap().to_string(),
                r["reference"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    refs.sort();
    let refs: Vec<String> = refs.into_iter().map(|(_, r)| r).collect();
    assert_eq!(refs.len(), 6);

    // The replies arrive in the real mailbox; foi reads them over IMAP.
    let files = tempfile::tempdir_in("/tmp").unwrap();
    // Each store reads its own copy of the mailbox: earlier runs' messages were read there.
    for (i, m) in replies(&refs).iter().enumerate() {
        let p = files.path().join(format!("r{i}.eml"));
        std::fs::write(&p, m).unwrap();
        peers.drop_into_inbox(&p);
    }
    let ingested = ok(foi(&d, &["ingest", "--imap"], &env));
    assert!(ingested.contains("6 matched"), "{ingested}");
    assert!(
        ingested.contains("attachments wait to be read: foi extract"),
        "ingest says attachments wait: {ingested}"
    );
    // The covering notes are searchable at once, before any attachment is read.
    let note = search(&d, &env, "bilby", &[]);
    assert_eq!(note.len(), 1, "{note:?}");
    assert_eq!(note[0]["attachment"], Value::Null);
    assert_eq!(note[0]["reference"].as_str(), Some(refs[5].as_str()));
    assert!(note[0]["snippet"].as_str().unwrap().contains("**bilby**"));

    // Reading: the PDF, DOCX, XLSX, ODS and the PDF inside the ZIP have text; the scan needs
    // OCR; the damaged PDF is a recorded failure.
    let read = ok(foi(&d, &["extract"], &env));
    assert!(
        read.contains("7 files read: 5 with text, 1 with no text (need OCR), 1 failed"),
        "{read}"
    );

    let mut all = BTreeMap::new();
    let mut expect_one =
        |q: &str, reference: &str, attachment: &str, location: Option<&str>, word: &str| {
            let hits = search(&d, &env, q, &[]);
            assert_eq!(hits.len(), 1, "{q}: {hits:?}");
            let h = &hits[0];
            assert_eq!(h["reference"].as_str(), Some(reference), "{q}");
            assert_eq!(
                h["authority"].as_str().map(|a| a.starts_with("Body ")),
                Some(true),
                "{q}: {h}"
            );
            assert!(h["message_id"].as_i64().is_some(), "{q}: {h}");
            assert_eq!(h["attachment"].as_str(), Some(attachment), "{q}: {h}");
            assert_eq!(h["location"].as_str(), location, "{q}: {h}");
            let snippet = h["snippet"].as_str().unwrap();
            // A phrase is marked whole (FTS5) or word by word (PostgreSQL).
            assert!(snippet.contains(&format!("**{word}")), "{q}: {snippet}");
            all.insert(q.to_string(), hits.iter().map(key).collect::<Vec<_>>());
        };
    expect_one(
        "quokka physiotherapy",
        &refs[0],
        "response.pdf",
        Some("page 2"),
        "quokka",
    );
    expect_one(
        "\"wombat rheumatology clinic\"",
        &refs[1],
        "letter.docx",
        None,
        "wombat",
    );
    expect_one(
        "numbat",
        &refs[2],
        "figures.xlsx",
        Some("sheet Answers"),
        "numbat",
    );
    // The hidden sheet is read (and flagged on the request page): what it hides is findable.
    expect_one(
        "\"Jane Doe\"",
        &refs[2],
        "figures.xlsx",
        Some("sheet Staff"),
        "Jane",
    );
    expect_one(
        "platypus",
        &refs[3],
        "returns.ods",
        Some("sheet Returns"),
        "platypus",
    );
    expect_one(
        "echidna spinal",
        &refs[4],
        "answer.zip",
        Some("page 1"),
        "echidna",
    );
    // A prefix, a phrase in the wrong order, OR, NOT.
    expect_one(
        "orthop*",
        &refs[3],
        "returns.ods",
        Some("sheet Returns"),
        "orthopaedic",
    );
    let mut run = |q: &str, extra: &[&str]| {
        let hits = search(&d, &env, q, extra);
        let keys: Vec<String> = hits.iter().map(key).collect();
        all.insert(format!("{q} {extra:?}"), keys.clone());
        keys
    };
    assert!(run("\"clinic rheumatology wombat\"", &[]).is_empty());
    assert_eq!(run("wombat OR numbat", &[]).len(), 2);
    assert_eq!(run("numbat NOT summary", &[]).len(), 0);
    assert_eq!(run("numbat NOT wombat", &[]).len(), 1);
    // Filters: by round and by body.
    assert_eq!(run("wombat OR numbat", &["--round", "msk-2026"]).len(), 2);
    assert_eq!(run("wombat OR numbat", &["--body", "X0002"]).len(), 1);
    assert!(run("wombat", &["--round", "arma-msk-2024"]).is_empty());
    // What a person types never reaches the query syntax: these are words, not errors.
    for hostile in [
        r#"x" OR 1=1 --"#,
        "NEAR(a b)",
        "title:quokka",
        "quokka:* | !x",
        "'); DROP TABLE search_docs; --",
    ] {
        run(hostile, &[]);
    }
    assert_eq!(
        run("response:quokka", &[]).len(),
        1,
        "response:quokka is two words"
    );
    let empty = foi(&d, &["search", "***"], &env);
    assert!(!empty.status.success());
    assert!(
        common::stderr(&empty).contains("type at least one word"),
        "{}",
        common::stderr(&empty)
    );

    // Coded while two files could not be read: the report's data-quality section says so.
    ok(foi(&d, &["code", "set", &refs[5], "msk_lead=no"], &env));
    let report = ok(foi(&d, &["report", "msk-2026", "--format", "md"], &env));
    assert!(
        report.contains("coded without the text of scan.pdf (no text: needs OCR)")
            && report.contains("coded without the text of damaged.pdf (not read:"),
        "{report}"
    );
    assert!(
        !report.contains("coded without the text of response.pdf"),
        "{report}"
    );

    if browser {
        ok(foi(
            &d,
            &["user", "add", "ann", "--role", "editor"],
            &[("FOI_NEW_PASSWORD", "a long enough password")],
        ));
        let addr = format!("127.0.0.1:{}", common::http::free_port());
        let _serve = common::serve(&d, &addr, &env);
        let b = Browser::start();
        let base = format!("http://{addr}");
        b.goto(&format!("{base}/login"));
        b.type_into("#name", "ann");
        b.type_into("#password", "a long enough password");
        b.click("form[action='/login'] button");
        b.wait_for("<h1>Rounds</h1>");
        // The search box in the header of every page.
        b.type_into("#top-search", "quokka");
        b.click("form.search button");
        let page = b.wait_for("1 document matches.");
        assert!(page.contains("<mark>quokka</mark>"), "{page}");
        assert!(
            page.contains(&format!("href=\"/requests/{}\"", refs[0])),
            "{page}"
        );
        assert!(
            page.contains("response.pdf") && page.contains("page 2"),
            "{page}"
        );
        // Hostile words come back escaped.
        b.goto(&format!(
            "{base}/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        ));
        let page = b.wait_for("No document matches.");
        assert!(!page.contains("<script>alert"), "escaped");
        // The request page: the scan needs OCR, the damaged file's failure in words.
        b.goto(&format!("{base}/requests/{}", refs[5]));
        let page = b.wait_for("damaged.pdf");
        assert!(page.contains("needs OCR"), "{page}");
        assert!(page.contains("text not read"), "{page}");
    }
    all
}

#[test]
fn every_kind_of_document_over_imap_is_read_and_found_alike_on_both_stores() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let peers = MailPeers::start();
    let sqlite = scenario(None, &peers, true);
    // The same mailbox again (each message a second time) into a PostgreSQL store.
    let pg = rt.block_on(PgDb::create());
    let peers2 = MailPeers::start();
    let postgres = scenario(Some(&pg), &peers2, false);
    assert_eq!(sqlite, postgres, "the same results on both stores");
}

/// Counts finished extractions and their times straight from the SQLite file (a row still
/// `reading` is a file being read, not yet an extraction).
fn extracted(d: &Path) -> BTreeMap<String, String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}?mode=ro", d.join("foi.db").display());
        let db = foi::store::connect(&url, 10).await.unwrap();
        foi::store::sql::rows(
            &db,
            "SELECT sha256, extracted_at FROM extracts WHERE status <> 'reading'",
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            (
                r["sha256"].as_str().unwrap().to_string(),
                r["extracted_at"].to_string(),
            )
        })
        .collect()
    })
}

#[test]
fn a_reader_killed_mid_way_resumes_and_reads_each_file_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let mut csv = String::from("code,name,region,foi_email\n");
    csv.push_str("X0001,Body 1,Test,foi@body1.example\n");
    common::msk_round_for(dir.path(), &d, "one", &csv);
    let env = [("FOI_TODAY", "2026-05-05"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    ok(foi(&d, &["send"], &env));
    let status: Vec<Value> = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &[],
    )))
    .unwrap();
    let reference = status[0]["reference"].as_str().unwrap().to_string();
    // 24 PDFs of 60 pages each, every one different: long enough to stop the reader among them.
    let n = 24;
    let files: Vec<(String, &str, Vec<u8>)> = (0..n)
        .map(|i| {
            let pages: Vec<String> = (0..60)
                .map(|p| format!("Document {i} page {p} text about services"))
                .collect();
            let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
            (format!("doc{i}.pdf"), PDF, pdf_pages(&refs))
        })
        .collect();
    let eml = dir.path().join("many.eml");
    std::fs::write(&eml, reply(&reference, 1, "Many files.", &files)).unwrap();
    ok(foi(&d, &["ingest", eml.to_str().unwrap()], &[]));

    // Start the service, and kill it (SIGKILL: no clean stop) once some files are read.
    let addr = format!("127.0.0.1:{}", common::http::free_port());
    let mut serve = common::serve(&d, &addr, &[]);
    let start = std::time::Instant::now();
    let before = loop {
        let e = extracted(&d);
        if e.len() >= 2 {
            let _ = serve.0.kill();
            let _ = serve.0.wait();
            break extracted(&d);
        }
        assert!(
            start.elapsed().as_secs() < 120,
            "nothing read in two minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(
        before.len() < n,
        "the reader was stopped mid-way ({} of {n} read)",
        before.len()
    );
    // Start it again; it reads what is left and nothing twice.
    let addr = format!("127.0.0.1:{}", common::http::free_port());
    let serve = common::serve(&d, &addr, &[]);
    let start = std::time::Instant::now();
    while extracted(&d).len() < n {
        assert!(
            start.elapsed().as_secs() < 180,
            "not all read after a restart"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(serve);
    let after = extracted(&d);
    assert_eq!(after.len(), n, "every file read");
    for (sha, at) in &before {
        assert_eq!(
            after.get(sha),
            Some(at),
            "a file read before the kill was not read again"
        );
    }
    // Nothing waits, and every file is in the search index once.
    assert!(ok(foi(&d, &["extract"], &[])).contains("0 files read"));
    let hits = search(&d, &[], "services", &["--limit", "100"]);
    let mut names: Vec<&str> = hits
        .iter()
        .filter_map(|h| h["attachment"].as_str())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "{names:?}");
    assert_eq!(hits.len(), n, "one document per file: {hits:?}");
}
