//! The evidence bundle for escalating one request: a request that was clarified, extended and
//! chased twice is bundled; the archive holds every message byte for byte (checked against the
//! files the mail transport wrote and the files ingested), a timeline whose dates are the ones
//! `foi request show` gives, and a filled ICO complaint; the same record gives the same bytes.

mod common;

use common::{foi, ok};
use std::path::Path;

const REF: &str = "MSK26-X0001";

fn reply(n: usize, subject: &str, date: &str, text: &str) -> String {
    format!(
        "From: foi@body1.example\r\nTo: projects@arma.uk.net\r\nSubject: {subject} [FOI ref {REF}]\r\nMessage-ID: <b{n}@body1.example>\r\nDate: {date}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
}

fn at(d: &Path, day: &str, args: &[&str]) -> String {
    ok(foi(
        d,
        args,
        &[("FOI_TODAY", day), ("FOI__SEND__PER_MINUTE", "0")],
    ))
}

#[test]
fn a_clarified_extended_and_twice_chased_request_is_bundled_whole_and_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_for(dir.path(), &d, "bundle", csv);
    at(
        &d,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, "2026-05-05", &["send"]);

    // The body asks what we mean; we say; the clock restarts.
    let mut ingested: Vec<Vec<u8>> = Vec::new();
    let clar = reply(
        1,
        "Clarification needed",
        "Thu, 7 May 2026 10:00:00 +0100",
        "Could you clarify which services you mean by MSK?",
    );
    let f = dir.path().join("clarification.eml");
    std::fs::write(&f, &clar).unwrap();
    at(&d, "2026-05-07", &["ingest", f.to_str().unwrap()]);
    ingested.push(clar.into_bytes());
    at(
        &d,
        "2026-05-07",
        &[
            "request",
            "set",
            REF,
            "clarification_requested",
            "--date",
            "2026-05-07",
        ],
    );
    at(
        &d,
        "2026-05-11",
        &[
            "request",
            "set",
            REF,
            "awaiting_response",
            "--date",
            "2026-05-11",
            "--note",
            "clarified by phone",
        ],
    );
    // An extension to consider the public interest (s.10(3)).
    let ext = reply(
        2,
        "Extension",
        "Mon, 8 Jun 2026 09:00:00 +0100",
        "We need more time to consider the public interest; we will reply by 1 July 2026.",
    );
    let f = dir.path().join("extension.eml");
    std::fs::write(&f, &ext).unwrap();
    at(&d, "2026-06-08", &["ingest", f.to_str().unwrap()]);
    ingested.push(ext.into_bytes());
    at(
        &d,
        "2026-06-08",
        &[
            "request",
            "set",
            REF,
            "extended",
            "--due",
            "2026-07-01",
            "--date",
            "2026-06-08",
        ],
    );

    // No answer: the first reminder goes on its own; the second after approval.
    at(&d, "2026-07-03", &["chase", "msk-2026"]);
    at(&d, "2026-07-03", &["send"]);
    at(&d, "2026-07-16", &["chase", "msk-2026"]);
    at(&d, "2026-07-16", &["chase", "msk-2026", "--all"]);
    at(&d, "2026-07-16", &["send"]);

    let show = at(&d, "2026-07-20", &["request", "show", REF]);
    let due = show
        .split("due ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .expect("a due date")
        .trim()
        .to_string();
    let b1 = dir.path().join("b1.zip");
    let b2 = dir.path().join("b2.zip");
    let out = at(
        &d,
        "2026-07-20",
        &["request", "bundle", REF, "--out", b1.to_str().unwrap()],
    );
    assert!(out.contains("written to"), "{out}");
    at(
        &d,
        "2026-07-20",
        &["request", "bundle", REF, "--out", b2.to_str().unwrap()],
    );
    let bytes = std::fs::read(&b1).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&b2).unwrap(),
        "the same record gives the same bytes"
    );

    let files = common::unzip(&bytes);
    let names: Vec<&String> = files.keys().collect();
    // Every letter that went out, as the transport wrote it.
    let mut sent: Vec<Vec<u8>> = std::fs::read_dir(d.join("outbox-files/new"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(sent.len(), 3, "the request and two reminders went out");
    let mut in_bundle_sent: Vec<Vec<u8>> = files
        .iter()
        .filter(|(k, _)| k.starts_with("messages/") && k.contains("-sent-"))
        .map(|(_, v)| v.clone())
        .collect();
    sent.sort();
    in_bundle_sent.sort();
    assert_eq!(
        in_bundle_sent, sent,
        "sent letters byte for byte: {names:?}"
    );
    let mut got_in: Vec<Vec<u8>> = files
        .iter()
        .filter(|(k, _)| k.starts_with("messages/") && k.contains("-received"))
        .map(|(_, v)| v.clone())
        .collect();
    got_in.sort();
    ingested.sort();
    assert_eq!(got_in, ingested, "received messages byte for byte");

    // The timeline: the due date `foi request show` gives, each event, each message.
    let csv = String::from_utf8(files["timeline.csv"].clone()).unwrap();
    let due_row = csv
        .lines()
        .find(|l| l.contains(",response due,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(due_row.starts_with(&due), "{due_row} vs due {due}");
    assert!(
        due_row.contains("Set on the record, not by the 20-working-day rule"),
        "an extended date is said to be the body's: {due_row}"
    );
    for what in [
        "clarification_requested",
        "extended",
        "clarified by phone",
        "reminder-1",
        "reminder-2",
        "request sent",
        "reply received",
    ] {
        assert!(
            csv.contains(what),
            "{what} missing from the timeline:\n{csv}"
        );
    }
    let html = String::from_utf8(files["timeline.html"].clone()).unwrap();
    assert!(html.contains("Statutory dates"), "{html}");
    assert!(html.contains("href=\"messages/"), "{html}");

    // The ICO complaint, filled from the record, naming what is enclosed.
    let ico = String::from_utf8(files["ico-complaint.txt"].clone()).unwrap();
    assert!(ico.contains("Body 1 (X0001)"), "{ico}");
    assert!(ico.contains("Enclosed (this bundle):"), "{ico}");
    assert!(ico.contains("messages/01-sent-request.eml"), "{ico}");
    assert!(!ico.contains("{{"), "every field filled: {ico}");

    // The request page links to the same bundle.
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-07-20")], "viewer");
    let page = web.get(&format!("/requests/{REF}")).body;
    assert!(
        page.contains(&format!("href=\"/requests/{REF}/bundle\"")),
        "{page}"
    );
    let got = web.get(&format!("/requests/{REF}/bundle"));
    assert_eq!(got.status, 200);
    assert_eq!(
        got.bytes, bytes,
        "the dashboard's bundle is the command's, byte for byte"
    );
}
