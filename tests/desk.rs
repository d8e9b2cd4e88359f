//! Desk research from documents: each body's published plan is fetched from a real HTTP server
//! on loopback, kept (every distinct version), read, searched and suggested from, and the
//! report says how many documents the findings rest on and when each was retrieved. The
//! fetcher's refusals (scheme, private address, size, redirects, content type) are each a
//! recorded reason.

mod common;

use common::docs::pdf_pages;
use common::{foi, ok};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SLUG: &str = "arma-jfp-2025";

fn plan_msk() -> Vec<u8> {
    pdf_pages(&[
        "Joint Forward Plan 2025 to 2030\nOur priorities for the population",
        "Elective recovery\nWe will expand community MSK services and first contact physiotherapy.",
        "Orthopaedic waiting lists will fall.\nMSK hubs open in every place.",
    ])
}
fn plan_pain() -> Vec<u8> {
    pdf_pages(&[
        "Joint Forward Plan\nLiving well",
        "Chronic pain services will be redesigned with persistent pain support groups.",
    ])
}
fn plan_neither() -> Vec<u8> {
    pdf_pages(&["Joint Forward Plan\nFinance and estates", "Digital records"])
}
fn plan_moved() -> Vec<u8> {
    pdf_pages(&[
        "Joint Forward Plan (moved)\nMusculoskeletal conditions are a priority.",
        "A pain management programme for people with chronic pain.",
    ])
}
fn changing(v: usize) -> Vec<u8> {
    if v == 0 {
        pdf_pages(&["Joint Forward Plan draft\nNo clinical areas yet"])
    } else {
        pdf_pages(&[
            "Joint Forward Plan final\nRheumatology capacity grows",
            "Chronic pain clinics",
        ])
    }
}

/// A small HTTP/1.1 server for the plans, one connection at a time.
struct Site {
    port: u16,
}

fn respond(s: &mut std::net::TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

impl Site {
    fn start() -> Site {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let changes = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut s) = conn else { continue };
                let mut line = String::new();
                let mut r = BufReader::new(s.try_clone().unwrap());
                if r.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let pdf = |b: Vec<u8>| (vec![("Content-Type", "application/pdf".to_string())], b);
                let (status, headers, body) = match path.as_str() {
                    "/plans/msk.pdf" => ("200 OK", pdf(plan_msk()).0, plan_msk()),
                    "/plans/pain.pdf" => ("200 OK", pdf(plan_pain()).0, plan_pain()),
                    "/plans/neither.pdf" => ("200 OK", pdf(plan_neither()).0, plan_neither()),
                    "/old-plan" => (
                        "301 Moved Permanently",
                        vec![("Location", "/plans/moved.pdf".to_string())],
                        Vec::new(),
                    ),
                    "/plans/moved.pdf" => (
                        "200 OK",
                        vec![
                            ("Content-Type", "application/pdf".to_string()),
                            ("Last-Modified", "Tue, 01 Apr 2025 09:00:00 GMT".to_string()),
                            ("ETag", "\"moved-1\"".to_string()),
                        ],
                        plan_moved(),
                    ),
                    "/plans/changing.pdf" => {
                        let v = changes.fetch_add(1, Ordering::SeqCst).min(1);
                        ("200 OK", pdf(changing(v)).0, changing(v))
                    }
                    "/loop" => (
                        "302 Found",
                        vec![("Location", "/loop".to_string())],
                        Vec::new(),
                    ),
                    "/logo.png" => (
                        "200 OK",
                        vec![("Content-Type", "image/png".to_string())],
                        b"\x89PNG\r\n\x1a\n".to_vec(),
                    ),
                    _ => ("404 Not Found", Vec::new(), b"not here".to_vec()),
                };
                respond(&mut s, status, &headers, &body);
            }
        });
        Site { port }
    }
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json(d: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    serde_json::from_str(&ok(foi(d, args, env))).unwrap()
}

fn suggested(all: &Value, code: &str, var: &str) -> Option<String> {
    let body = all.as_array()?.iter().find(|b| b["authority"] == code)?;
    let s = body["suggestions"]
        .as_array()?
        .iter()
        .find(|s| s["variable"] == var)?;
    Some(s["values"][0].as_str()?.to_string())
}

const ALLOW: (&str, &str) = ("FOI__FETCH__ALLOW_PRIVATE", "true");

/// The whole desk-research scenario on one store (`db`: the database URL's environment).
fn plans_scenario(db: &[(&str, &str)]) {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let env = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        let mut e: Vec<(&str, &str)> = db.to_vec();
        e.extend_from_slice(extra);
        e
    };
    ok(foi(&d, &["init"], &env(&[])));
    let round_file = root().join("config/rounds/arma-jfp-2025.toml");
    ok(foi(
        &d,
        &["round", "create", round_file.to_str().unwrap()],
        &env(&[]),
    ));
    // Six bodies' plans: MSK only, pain only, neither, behind a redirect, gone, changing.
    let sources = [
        ("QOQ", "/plans/msk.pdf"),
        ("QHM", "/plans/pain.pdf"),
        ("QF7", "/plans/neither.pdf"),
        ("QWO", "/old-plan"),
        ("QYG", "/plans/gone.pdf"),
        ("QOP", "/plans/changing.pdf"),
    ];
    for (code, path) in sources {
        ok(foi(
            &d,
            &["round", "source", SLUG, code, &site.url(path)],
            &env(&[]),
        ));
    }

    // Loopback is refused unless the config allows it (only tests do).
    let out = ok(foi(
        &d,
        &["round", "fetch", SLUG, "--code", "QOQ"],
        &env(&[]),
    ));
    assert!(
        out.contains("refused")
            && out.contains("127.0.0.1 is on a private, loopback or link-local network address"),
        "{out}"
    );

    let out = ok(foi(&d, &["round", "fetch", SLUG], &env(&[ALLOW])));
    assert!(
        out.contains(
            "5 new versions kept, 0 unchanged, 1 failed (tried again next time), 0 refused"
        ),
        "{out}"
    );
    assert!(out.contains("the server answered 404 Not Found"), "{out}");
    let read = ok(foi(&d, &["extract"], &env(&[])));
    assert!(read.contains("5 files read: 5 with text"), "{read}");

    // Found by search like a reply's attachment, with the page.
    let hits = json(
        &d,
        &["search", "\"persistent pain\"", "--format", "json"],
        &env(&[]),
    );
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0]["reference"], "JFP25-QHM");
    assert_eq!(hits[0]["attachment"], "pain.pdf");
    assert_eq!(hits[0]["location"], "page 2");
    assert_eq!(hits[0]["message_id"], Value::Null);
    assert_eq!(hits[0]["source_url"], site.url("/plans/pain.pdf"));
    let hits = json(&d, &["search", "orthop*", "--format", "json"], &env(&[]));
    assert_eq!(hits[0]["reference"], "JFP25-QOQ");
    assert_eq!(hits[0]["location"], "page 3");

    // Fetched again: the changed plan is a second version; the rest unchanged; the 404 is
    // tried again and recorded again.
    let out = ok(foi(&d, &["round", "fetch", SLUG], &env(&[ALLOW])));
    assert!(
        out.contains("1 new version kept, 4 unchanged, 1 failed"),
        "{out}"
    );
    assert!(out.contains("changed since"), "{out}");
    ok(foi(&d, &["extract"], &env(&[])));

    // Suggestions follow how each plan was written (the changed plan: its latest version).
    let all = json(
        &d,
        &["code", "suggest", SLUG, "--format", "json"],
        &env(&[]),
    );
    let expect = [
        ("QOQ", "yes", "no"),
        ("QHM", "no", "yes"),
        ("QF7", "no", "no"),
        ("QWO", "yes", "yes"),
        ("QOP", "yes", "yes"),
    ];
    for (code, msk, pain) in expect {
        assert_eq!(
            suggested(&all, code, "msk_reference").as_deref(),
            Some(msk),
            "{code} msk_reference: {all}"
        );
        assert_eq!(
            suggested(&all, code, "pain_reference").as_deref(),
            Some(pain),
            "{code} pain_reference: {all}"
        );
    }
    assert_eq!(
        suggested(&all, "QYG", "msk_reference"),
        None,
        "nothing read, nothing suggested"
    );

    // A file the team already has is kept as a source too.
    let local = dir.path().join("Our plan.pdf");
    std::fs::write(&local, plan_msk()).unwrap();
    let out = ok(foi(
        &d,
        &["round", "source", SLUG, "QE1", local.to_str().unwrap()],
        &env(&[]),
    ));
    assert!(out.contains("Our plan.pdf kept"), "{out}");
    ok(foi(&d, &["extract"], &env(&[])));

    // The report: documents read, bodies without one and why, retrieval dates, versions.
    let md = ok(foi(&d, &["report", SLUG], &env(&[])));
    assert!(
        md.contains(
            "These findings rest on the 6 documents read of the 42 ICBs, retrieved between"
        ),
        "{md}"
    );
    assert!(md.contains("No document was read for 36:"), "{md}");
    assert!(
        md.contains("(QYG): not fetched: the server answered 404 Not Found"),
        "{md}"
    );
    let j = json(&d, &["report", SLUG, "--format", "json"], &env(&[]));
    let src = |code: &str| {
        j["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(src("QOP")["versions"], 2);
    assert_eq!(src("QOQ")["versions"], 1);
    assert_eq!(src("QOQ")["reading"], "read");
    assert!(src("QOQ")["retrieved"].as_str().unwrap().ends_with("2026"));
    assert_eq!(j["documents"]["read"], 6);

    // With the 2024 FOI round: different questions, the same bodies, counted together.
    let fix24 = root().join("tests/fixtures/arma-msk-2024-codings.csv");
    let round24 = root().join("config/rounds/arma-msk-2024.toml");
    ok(foi(
        &d,
        &["round", "create", round24.to_str().unwrap()],
        &env(&[]),
    ));
    ok(foi(
        &d,
        &["code", "import", "arma-msk-2024", fix24.to_str().unwrap()],
        &env(&[]),
    ));
    for (r, msk) in [
        ("JFP25-QOQ", "yes"),
        ("JFP25-QHM", "no"),
        ("JFP25-QT1", "no"),
    ] {
        let msk_ref = format!("msk_reference={msk}");
        ok(foi(
            &d,
            &[
                "code",
                "set",
                r,
                &msk_ref,
                "system_wide_approach=no",
                "msk_outcomes=no",
                "msk_target=no",
                "pain_reference=no",
                "pain_outcomes=no",
            ],
            &env(&[]),
        ));
    }
    let c = json(
        &d,
        &[
            "report",
            SLUG,
            "--compare",
            "arma-msk-2024",
            "--format",
            "json",
        ],
        &env(&[]),
    );
    let c = &c["comparison"];
    assert_eq!(c["together_base"], 3, "{c}");
    let row = c["together"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| {
            t["current"] == "No meaningful reference to MSK" && t["baseline"] == "No MSK lead"
        })
        .unwrap_or_else(|| panic!("{c}"));
    assert_eq!(
        row["count"], 1,
        "QT1 had no MSK lead in 2024 and no MSK in its plan: {row}"
    );
    assert_eq!(row["bodies"][0], "QT1");
    let md = ok(foi(
        &d,
        &["report", SLUG, "--compare", "arma-msk-2024"],
        &env(&[]),
    ));
    assert!(
        md.contains("Over the 3 ICBs fully coded in both rounds:"),
        "{md}"
    );

    // The dashboard: each fetch, the redirect, and the kept copy byte for byte.
    let (_serve, web) = common::dashboard(&d, db, "editor");
    let page = web.get("/requests/JFP25-QWO").body;
    assert!(page.contains("Source document"), "{page}");
    assert!(page.contains("(redirected)"), "{page}");
    assert!(page.contains("Musculoskeletal"), "{page}");
    assert!(
        page.contains("MSK: 0; musculoskeletal: 1 mention on 1 page"),
        "the hints counted: {page}"
    );
    let link = page
        .split("href=\"/sources/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to the kept copy");
    let got = web.get(&format!("/sources/{link}"));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.bytes,
        plan_moved(),
        "the kept copy is the served document"
    );
    let page = web.get("/requests/JFP25-QOP").body;
    assert!(page.contains("distinct versions kept: 2"), "{page}");
    let page = web.get("/requests/JFP25-QF7").body;
    assert!(
        page.contains("Because none of its hints (chronic pain, persistent pain, pain management, pain service, pain services) is in the document read."),
        "{page}"
    );
}

#[test]
fn plans_are_fetched_kept_by_version_read_searched_suggested_and_reported_on_sqlite() {
    plans_scenario(&[]);
}

#[test]
fn plans_are_fetched_kept_by_version_read_searched_suggested_and_reported_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::PgDb::create());
    plans_scenario(&[("FOI_DATABASE_URL", pg.url.as_str())]);
}

#[test]
fn the_fetcher_refuses_what_it_must_and_says_why() {
    let site = Site::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    let round_file = root().join("config/rounds/arma-jfp-2025.toml");
    ok(foi(
        &d,
        &["round", "create", round_file.to_str().unwrap()],
        &[],
    ));

    // Not a web address: refused when recorded.
    for bad in ["file:///etc/passwd", "ftp://example.org/plan.pdf"] {
        let out = foi(&d, &["round", "source", SLUG, "QOQ", bad], &[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not a web address"), "{bad}: {err}");
    }

    let sources = [
        ("QOQ", "/loop"),
        ("QHM", "/logo.png"),
        ("QF7", "/plans/msk.pdf"),
    ];
    for (code, path) in sources {
        ok(foi(
            &d,
            &["round", "source", SLUG, code, &site.url(path)],
            &[],
        ));
    }
    let limits = [
        ALLOW,
        ("FOI__FETCH__MAX_BYTES", "1000"),
        ("FOI__FETCH__MAX_REDIRECTS", "3"),
    ];
    let out = json(&d, &["round", "fetch", SLUG, "--format", "json"], &limits);
    let note = |code: &str| -> (String, String) {
        let l = out
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["code"] == code)
            .unwrap_or_else(|| panic!("{code}: {out}"));
        (
            l["outcome"].as_str().unwrap().to_string(),
            l["note"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        note("QOQ"),
        (
            "refused".into(),
            "more than 3 redirects: the address may loop; open it in a browser to check".into()
        )
    );
    let (o, n) = note("QHM");
    assert_eq!(o, "refused");
    assert!(
        n.starts_with("the server sent image/png, not a document"),
        "{n}"
    );
    let (o, n) = note("QF7");
    assert_eq!(o, "refused");
    assert!(n.contains("larger than the 1,000-byte limit"), "{n}");
    // Each refusal is kept on the request's record with its reason.
    let events = ok(foi(&d, &["request", "show", "JFP25-QOQ"], &[]));
    assert!(events.contains("more than 3 redirects"), "{events}");
    // Nothing was kept.
    assert!(ok(foi(&d, &["extract"], &[])).contains("0 files read"));
}
