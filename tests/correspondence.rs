//! Writing to a body from the request: a clarification written on the request page (previewed,
//! then sent through the outbox) goes threaded to the body's question, restarts the clock from
//! the day the body receives it (FOIA s.1(3), s.10(6)), and the body's answer to it is matched;
//! a follow-up from the command line changes nothing but the thread. On SQLite and PostgreSQL.
//! Also: the same with the real SMTP peer and Dovecot across a SIGKILL mid-send; a letter to
//! every body of a round; a resend after a bounce; one reply answering two requests.

mod common;

use common::{foi, ok, PgDb};
use mail_parser::MimeHeaders;
use serde_json::Value;
use std::path::Path;

fn at(d: &Path, env: &[(&str, &str)], day: &str, args: &[&str]) -> String {
    let mut e = env.to_vec();
    e.push(("FOI_TODAY", day));
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(d, args, &e))
}

fn request(d: &Path, env: &[(&str, &str)], reference: &str) -> Value {
    let shown: Value = serde_json::from_str(&at(
        d,
        env,
        "2026-05-20",
        &["request", "show", reference, "--format", "json"],
    ))
    .unwrap();
    let mut r = shown["request"].clone();
    // The dates, beside the state, as the tests read them.
    for k in ["received_on", "due_on"] {
        r[k] = r["clocks"][k].clone();
    }
    r
}

/// The file transport's copy of the letter whose Message-ID contains `part` (delivered by
/// `foi send` or by the running server's own worker, whichever took it: it goes once).
fn sent_copy(d: &Path, part: &str) -> String {
    let dir = d.join("outbox-files").join("new");
    let start = std::time::Instant::now();
    loop {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string();
            if header(&text, "Message-ID").contains(part) {
                return text;
            }
        }
        assert!(
            start.elapsed().as_secs() < 30,
            "no letter with a Message-ID containing {part} in {}",
            dir.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// A header's value, its folded lines unfolded.
fn header(mail: &str, name: &str) -> String {
    let head = mail
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .replace("\r\n ", " ");
    head.lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(|l| l[name.len() + 1..].trim().to_string())
        .unwrap_or_default()
}

fn walk(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_on(dir.path(), &d, "write", csv, "", env);
    at(
        &d,
        env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, env, "2026-05-05", &["send"]);
    let ours = header(&sent_copy(&d, "x0001.request"), "Message-ID");

    // Body 1 asks what we mean, in reply to our request.
    let q = dir.path().join("question.eml");
    std::fs::write(
        &q,
        format!("From: foi@body1.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: Freedom of Information request\r\nMessage-ID: <clar-q1@body1.example>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\nDate: Tue, 12 May 2026 10:00:00 +0100\r\n\r\nBefore we can proceed, could you please clarify what you mean by an MSK lead?\r\n"),
    )
    .unwrap();
    at(&d, env, "2026-05-12", &["ingest", q.to_str().unwrap()]);
    at(
        &d,
        env,
        "2026-05-12",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "clarification_requested",
            "--date",
            "2026-05-12",
        ],
    );
    assert_eq!(
        request(&d, env, "MSK26-X0001")["due_on"],
        Value::Null,
        "the clock stopped"
    );

    // On the request page: a draft, a preview of exactly what will go, then send.
    let mut web_env = env.to_vec();
    web_env.push(("FOI_TODAY", "2026-05-14"));
    let (_serve, web) = common::dashboard(&d, &web_env, "editor");
    let path = "/requests/MSK26-X0001";
    assert!(web.get(path).body.contains("Write to the body"));
    let page = web.get(&format!("{path}/write?kind=clarification"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Dear Body 1,"), "a draft to start from");
    let csrf = web.csrf(path);
    let text = "Dear Body 1,\n\nBy an MSK lead we mean the person accountable for musculoskeletal services across the ICB.\n\nYours faithfully,\nARMA";
    let preview = web.post(
        &format!("{path}/write"),
        &[("csrf", &csrf), ("kind", "clarification"), ("text", text)],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    for s in [
        "This is what will go",
        "foi@body1.example",
        "[FOI ref MSK26-X0001]",
        "&lt;clar-q1@body1.example&gt;",
        "the 20 working days start afresh",
        "By an MSK lead we mean",
    ] {
        assert!(
            preview.body.contains(s),
            "{s} in the preview: {}",
            preview.body
        );
    }
    let previewed = preview
        .body
        .split("name=\"previewed\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    // A text changed after its preview is shown again, not sent.
    let changed = web.post(
        &format!("{path}/write"),
        &[
            ("csrf", &csrf),
            ("kind", "clarification"),
            ("text", "Something else"),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert!(
        changed
            .body
            .contains("The letter changed since its preview"),
        "{}",
        changed.body
    );
    let unsent = || -> Vec<Value> {
        serde_json::from_str(&at(&d, env, "2026-05-14", &["outbox", "--format", "json"])).unwrap()
    };
    assert!(unsent().is_empty(), "nothing queued before it is confirmed");
    let sent = web.post(
        &format!("{path}/write"),
        &[
            ("csrf", &csrf),
            ("kind", "clarification"),
            ("text", text),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert!(sent.status < 400, "{}", sent.body);
    let queued = unsent();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["kind"], "clarification");
    let ours_clar = queued[0]["message_id"].as_str().unwrap().to_string();
    // The same form again (a double click) queues nothing more.
    web.post(
        &format!("{path}/write"),
        &[
            ("csrf", &csrf),
            ("kind", "clarification"),
            ("text", text),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert_eq!(unsent().len(), 1, "queued once");

    // Delivered on Thu 14 May: threaded to their question; the clock restarts from then.
    at(&d, env, "2026-05-14", &["send"]);
    let mail = sent_copy(&d, "clarification");
    assert_eq!(header(&mail, "In-Reply-To"), "<clar-q1@body1.example>");
    assert!(header(&mail, "References").contains("<clar-q1@body1.example>"));
    assert!(
        header(&mail, "Subject").contains("[FOI ref MSK26-X0001]"),
        "{mail}"
    );
    let r = request(&d, env, "MSK26-X0001");
    assert_eq!(r["state"], "awaiting_response");
    assert_eq!(r["received_on"], "2026-05-14");
    let due = at(
        &d,
        env,
        "2026-05-14",
        &["deadline", "--received", "2026-05-14"],
    );
    assert_eq!(
        r["due_on"],
        due.trim(),
        "due 20 working days from the day they receive it"
    );
    let thread = web.get(path).body;
    assert!(
        thread.contains("By an MSK lead we mean") && thread.contains("Our clarification"),
        "the letter is in the thread"
    );

    // Their answer, in reply to our clarification, is matched to the request.
    let a = dir.path().join("answer.eml");
    std::fs::write(
        &a,
        format!("From: foi@body1.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: your clarification\r\nMessage-ID: <answer-1@body1.example>\r\nIn-Reply-To: {ours_clar}\r\nDate: Wed, 10 Jun 2026 10:00:00 +0100\r\n\r\nPlease find our response attached.\r\n"),
    )
    .unwrap();
    let out = at(&d, env, "2026-06-10", &["ingest", a.to_str().unwrap()]);
    assert!(out.contains("1 matched"), "{out}");

    // A follow-up from the command line: in the thread, nothing else changes.
    let before = request(&d, env, "MSK26-X0002");
    let f = dir.path().join("follow.txt");
    std::fs::write(&f, "Dear Body 2,\n\nA reminder that our request is open.\n").unwrap();
    let shown = at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "write",
            "MSK26-X0002",
            "--kind",
            "follow_up",
            "--text-file",
            f.to_str().unwrap(),
        ],
    );
    assert!(shown.contains("Nothing was queued"), "{shown}");
    at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "write",
            "MSK26-X0002",
            "--kind",
            "follow_up",
            "--text-file",
            f.to_str().unwrap(),
            "--yes",
        ],
    );
    at(&d, env, "2026-05-20", &["send"]);
    let mail = sent_copy(&d, "x0002.follow-up");
    assert!(mail.contains("A reminder that our request is open."));

    // With a file, from the command line: a kind that is not sent is refused by name.
    let map = dir.path().join("Map of services.pdf");
    std::fs::write(&map, "%PDF-1.4 a map of MSK services\n%%EOF\n").unwrap();
    let exe = dir.path().join("run.exe");
    std::fs::write(&exe, "MZ").unwrap();
    let mut refused_env = env.to_vec();
    refused_env.push(("FOI_TODAY", "2026-05-20"));
    let refused = foi(
        &d,
        &[
            "request",
            "write",
            "MSK26-X0002",
            "--kind",
            "other",
            "--text-file",
            f.to_str().unwrap(),
            "--attach",
            exe.to_str().unwrap(),
            "--yes",
        ],
        &refused_env,
    );
    assert!(!refused.status.success());
    assert!(
        common::stderr(&refused).contains("`run.exe` is a kind of file that is not sent (.exe)"),
        "{}",
        common::stderr(&refused)
    );
    std::fs::write(&f, "Dear Body 2,\n\nOur map is attached.\n").unwrap();
    let shown = at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "write",
            "MSK26-X0002",
            "--kind",
            "other",
            "--text-file",
            f.to_str().unwrap(),
            "--attach",
            map.to_str().unwrap(),
        ],
    );
    assert!(
        shown.contains("Attached: Map of services.pdf (PDF, "),
        "{shown}"
    );
    at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "write",
            "MSK26-X0002",
            "--kind",
            "other",
            "--text-file",
            f.to_str().unwrap(),
            "--attach",
            map.to_str().unwrap(),
            "--yes",
        ],
    );
    at(&d, env, "2026-05-20", &["send"]);
    let mail = sent_copy(&d, "x0002.other");
    let parsed = mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .unwrap();
    let att = parsed.attachments().next().expect("the file is attached");
    assert_eq!(att.attachment_name(), Some("Map of services.pdf"));
    assert_eq!(
        att.content_type()
            .map(|c| format!("{}/{}", c.c_type, c.subtype().unwrap_or(""))),
        Some("application/pdf".into())
    );
    assert!(String::from_utf8_lossy(att.contents()).contains("a map of MSK services"));

    // With a file, from the request page: chosen, previewed with its kind, sent with it.
    let path2 = "/requests/MSK26-X0002";
    let csrf = web.csrf(path2);
    let bad = web.post_multipart(
        &format!("{path2}/write"),
        &[("csrf", &csrf), ("kind", "other"), ("text", "Dear Body 2")],
        &[("attach", "run.exe", "MZ")],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("is a kind of file that is not sent"));
    let text2 = "Dear Body 2,\n\nThe table we discussed is attached.";
    let preview = web.post_multipart(
        &format!("{path2}/write"),
        &[("csrf", &csrf), ("kind", "other"), ("text", text2)],
        &[("attach", "table.csv", "service,lead\nMSK,yes\n")],
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview.body.contains("table.csv") && preview.body.contains("CSV table"),
        "{}",
        preview.body
    );
    let hidden = |name: &str| {
        preview
            .body
            .split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_string()
    };
    let (token, previewed) = (hidden("file"), hidden("previewed"));
    let sent = web.post(
        &format!("{path2}/write"),
        &[
            ("csrf", &csrf),
            ("kind", "other"),
            ("text", text2),
            ("file", &token),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert!(sent.status < 400, "{}", sent.body);
    at(&d, env, "2026-05-20", &["send"]);
    let thread = web.get(path2).body;
    assert!(
        thread.contains("Sent with: table.csv") && thread.contains("Map of services.pdf"),
        "the files are listed in the thread"
    );
    let after = request(&d, env, "MSK26-X0002");
    assert_eq!(
        (
            after["state"].clone(),
            after["due_on"].clone(),
            after["received_on"].clone()
        ),
        (
            before["state"].clone(),
            before["due_on"].clone(),
            before["received_on"].clone()
        )
    );
}

#[test]
fn sqlite_a_clarification_written_on_the_request_page_restarts_the_clock() {
    walk(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_clarification_written_on_the_request_page_restarts_the_clock() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || walk(&[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
}

/// A correction to a whole round: one letter to all 36 bodies, each filled for its body and
/// threaded into its own request; from the board, two ticked bodies only.
#[test]
fn a_letter_to_every_body_of_a_round_goes_once_into_each_thread() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    // Through the real SMTP peer.
    let peers = common::mail::MailPeers::start();
    let owned = peers.smtp_env();
    let env = common::env_refs(&owned);
    let peer_copy = |part: &str| -> String {
        peers
            .smtp_messages()
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).to_string())
            .find(|m| header(m, "Message-ID").contains(part))
            .unwrap_or_else(|| panic!("no letter {part} at the peer"))
    };
    at(&d, &env, "2026-05-05", &["init"]);
    at(
        &d,
        &env,
        "2026-05-05",
        &[
            "round",
            "create",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/rounds/msk-2026.toml"),
        ],
    );
    at(
        &d,
        &env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, &env, "2026-05-05", &["send"]);
    let status: Vec<Value> = serde_json::from_str(&at(
        &d,
        &env,
        "2026-05-06",
        &["status", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(status.len(), 36);

    // From the board: two ticked, previewed, sent.
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-05-06")], "editor");
    let board = web.get("/rounds/msk-2026").body;
    assert!(board.contains("Write to all 36 shown") && board.contains("Write to the ticked"));
    let csrf = web.csrf("/rounds/msk-2026");
    let (a, b) = (
        status[0]["reference"].as_str().unwrap(),
        status[1]["reference"].as_str().unwrap(),
    );
    let text = "Dear {{body}},\n\nPlease note a correction to our request {{reference}}: question 3 concerns adults only.\n";
    let preview = web.post(
        "/rounds/msk-2026/write",
        &[
            ("csrf", &csrf),
            ("ref", a),
            ("ref", b),
            ("kind", "follow_up"),
            ("text", text),
        ],
    );
    assert!(
        preview.body.contains("This is what will go: 2 letters"),
        "{}",
        preview.body
    );
    assert!(
        preview
            .body
            .contains(&format!("Dear {},", status[0]["name"].as_str().unwrap())),
        "filled for the first body"
    );
    let previewed = preview
        .body
        .split("name=\"previewed\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let sent = web.post(
        "/rounds/msk-2026/write",
        &[
            ("csrf", &csrf),
            ("ref", a),
            ("ref", b),
            ("kind", "follow_up"),
            ("text", text),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert!(sent.status < 400, "{}", sent.body);
    let unsent: Vec<Value> =
        serde_json::from_str(&at(&d, &env, "2026-05-06", &["outbox", "--format", "json"])).unwrap();
    assert_eq!(
        unsent.iter().filter(|m| m["kind"] == "follow_up").count(),
        2
    );
    // An unknown placeholder is refused before anything goes.
    let bad = web.post(
        "/rounds/msk-2026/write",
        &[
            ("csrf", &csrf),
            ("filter", "all"),
            ("kind", "other"),
            ("text", "Dear {{name}}"),
        ],
    );
    assert!(bad.body.contains("is not a placeholder"), "{}", bad.body);
    drop(_serve);

    // From the command line, to all 36.
    let f = dir.path().join("correction.txt");
    std::fs::write(&f, "Dear {{body}},\n\nA correction to request {{reference}}, due {{due_on}}: question 3 concerns adults only.\n").unwrap();
    let shown = at(
        &d,
        &env,
        "2026-05-06",
        &[
            "round",
            "write",
            "msk-2026",
            "--filter",
            "all",
            "--kind",
            "other",
            "--text-file",
            f.to_str().unwrap(),
        ],
    );
    assert!(shown.starts_with("36 letter(s)"), "{shown}");
    let out = at(
        &d,
        &env,
        "2026-05-06",
        &[
            "round",
            "write",
            "msk-2026",
            "--filter",
            "all",
            "--kind",
            "other",
            "--text-file",
            f.to_str().unwrap(),
            "--yes",
        ],
    );
    assert!(out.starts_with("36 letter(s) queued"), "{out}");
    at(&d, &env, "2026-05-06", &["send"]);
    let counts = peers.message_id_counts();
    let others: Vec<_> = counts
        .iter()
        .filter(|(k, _)| k.contains(".other-"))
        .collect();
    assert_eq!(others.len(), 36, "36 letters at the peer");
    assert!(others.iter().all(|(_, n)| **n == 1), "each once");
    for r in &status {
        let reference = r["reference"].as_str().unwrap();
        let lower = reference.to_ascii_lowercase();
        let request = peer_copy(&format!("{lower}.request"));
        let letter = peer_copy(&format!("{lower}.other-"));
        assert_eq!(
            header(&letter, "In-Reply-To"),
            header(&request, "Message-ID"),
            "{reference}: threaded into its own request"
        );
        assert!(header(&letter, "Subject").contains(reference));
        let body = foi::inbound::mime::parse(letter.as_bytes()).unwrap().text;
        assert!(
            body.contains(&format!(
                "A correction to request {reference}, due Wednesday 3 June 2026"
            )) && body.contains(&format!("Dear {},", r["name"].as_str().unwrap())),
            "{body}"
        );
    }
    // Each letter is in its own request's evidence bundle and on its body's published page.
    let site = dir.path().join("site");
    at(
        &d,
        &env,
        "2026-05-06",
        &["publish", "msk-2026", "--out", site.to_str().unwrap()],
    );
    let mut published = String::new();
    let mut stack = vec![site.clone()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "html") {
                published.push_str(&std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    for r in &status {
        let reference = r["reference"].as_str().unwrap();
        let correction = format!("A correction to request {reference}");
        assert!(
            published.contains(&correction),
            "{reference}: the letter is published"
        );
        let zip = dir.path().join(format!("{reference}.zip"));
        at(
            &d,
            &env,
            "2026-05-06",
            &[
                "request",
                "bundle",
                reference,
                "--out",
                zip.to_str().unwrap(),
            ],
        );
        let files = common::unzip(&std::fs::read(&zip).unwrap());
        assert!(
            files
                .iter()
                .filter(|(name, _)| name.ends_with(".eml"))
                .any(|(_, b)| foi::inbound::mime::parse(b)
                    .map(|m| m.text.contains(&correction))
                    .unwrap_or(false)),
            "{reference}: the letter is in the bundle"
        );
    }
}

/// A bounced request letter resent to a corrected address: the register changes (with an
/// event), the letter goes again with the same reference, and the clock counts from then.
#[test]
fn a_bounced_letter_is_resent_to_the_corrected_address_and_the_clock_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    // Through the real SMTP peer.
    let peers = common::mail::MailPeers::start();
    let owned = peers.smtp_env();
    let env = common::env_refs(&owned);
    let peer_copy = |part: &str| -> String {
        peers
            .smtp_messages()
            .into_iter()
            .map(|(_, b)| String::from_utf8_lossy(&b).to_string())
            .find(|m| header(m, "Message-ID").contains(part))
            .unwrap_or_else(|| panic!("no letter {part} at the peer"))
    };
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_on(dir.path(), &d, "resend", csv, "", &env);
    at(
        &d,
        &env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, &env, "2026-05-05", &["send"]);
    let ours = header(&peer_copy("x0001.request"), "Message-ID");
    let bounce = dir.path().join("bounce.eml");
    std::fs::write(
        &bounce,
        format!("From: MAILER-DAEMON@mx.body1.example\r\nTo: projects@arma.uk.net\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.body1.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered: 550 5.1.1 mailbox unknown. This mailbox is no longer monitored; please send requests to FOI.Team@newbody1.example\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.body1.example\r\n\r\nFinal-Recipient: rfc822; foi@body1.example\r\nAction: failed\r\nStatus: 5.1.1\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: projects@arma.uk.net\r\nMessage-ID: {ours}\r\nSubject: Freedom of Information request\r\n--R--\r\n"),
    )
    .unwrap();
    at(
        &d,
        &env,
        "2026-05-06",
        &["ingest", bounce.to_str().unwrap()],
    );

    let (serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-05-11")], "editor");
    let page = web.get("/requests/MSK26-X0001").body;
    assert!(
        page.contains("The request letter bounced"),
        "offered: {page}"
    );
    assert!(
        page.contains("foi.team@newbody1.example"),
        "the address the bounce names is suggested"
    );
    drop(serve);
    // Not a letter that bounced: refused.
    let refused = foi(
        &d,
        &["request", "resend", "MSK26-X0001", "--to", "not an address"],
        &[("FOI_TODAY", "2026-05-11")],
    );
    assert!(!refused.status.success());
    let out = at(
        &d,
        &env,
        "2026-05-11",
        &[
            "request",
            "resend",
            "MSK26-X0001",
            "--to",
            "foi.team@newbody1.example",
        ],
    );
    assert!(out.contains("queued again"), "{out}");
    at(&d, &env, "2026-05-11", &["send"]);
    let again = peer_copy("x0001.request-resent-1");
    assert!(
        header(&again, "To").contains("foi.team@newbody1.example"),
        "{again}"
    );
    assert_eq!(
        header(&again, "X-RcptTo"),
        "foi.team@newbody1.example",
        "delivered to the corrected address"
    );
    assert!(header(&again, "Subject").contains("[FOI ref MSK26-X0001]"));
    let r = request(&d, &env, "MSK26-X0001");
    assert_eq!(r["state"], "awaiting_response");
    assert_eq!(
        r["received_on"], "2026-05-11",
        "the clock counts from the resend"
    );
    let due = at(
        &d,
        &env,
        "2026-05-11",
        &["deadline", "--received", "2026-05-11"],
    );
    assert_eq!(r["due_on"], due.trim());
    let bodies: Vec<Value> = serde_json::from_str(&at(
        &d,
        &env,
        "2026-05-11",
        &[
            "authorities",
            "list",
            "--register",
            "resend",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(
        bodies[0]["foi_email"], "foi.team@newbody1.example",
        "{bodies:?}"
    );
    let shown: Value = serde_json::from_str(&at(
        &d,
        &env,
        "2026-05-11",
        &["request", "show", "MSK26-X0001", "--format", "json"],
    ))
    .unwrap();
    assert!(shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "address_corrected"));
    // Sent again once: a second resend is refused (the letter did not bounce this time).
    let twice = foi(
        &d,
        &[
            "request",
            "resend",
            "MSK26-X0001",
            "--to",
            "foi.team@newbody1.example",
        ],
        &[("FOI_TODAY", "2026-05-12")],
    );
    assert!(!twice.status.success());
    assert!(
        common::stderr(&twice).contains("did not bounce"),
        "{}",
        common::stderr(&twice)
    );
}

/// One FOI team answering for two bodies in one e-mail: the reply (threaded to one request,
/// naming both references) is linked to both requests, counted once in the inbox, shown in
/// each thread and bundle, and each request is classified on its own; triage can put one
/// message on two requests.
fn one_reply_for_two_requests(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_on(dir.path(), &d, "shared", csv, "", env);
    at(
        &d,
        env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, env, "2026-05-05", &["send"]);
    let ours = header(&sent_copy(&d, "x0001.request"), "Message-ID");
    let reply = dir.path().join("joint.eml");
    std::fs::write(
        &reply,
        format!("From: foi@cluster.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: Your requests MSK26-X0001 and MSK26-X0002\r\nMessage-ID: <joint-1@cluster.example>\r\nIn-Reply-To: {ours}\r\nDate: Tue, 19 May 2026 10:00:00 +0100\r\n\r\nWe answer for both ICBs. Neither holds the information.\r\n"),
    )
    .unwrap();
    at(&d, env, "2026-05-19", &["ingest", reply.to_str().unwrap()]);
    let inbox = |d: &Path| -> Vec<Value> {
        serde_json::from_str::<Value>(&at(d, env, "2026-05-20", &["inbox", "--format", "json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    assert_eq!(inbox(&d).len(), 1, "the inbox counts the message once");
    let shown = |reference: &str| -> Value {
        serde_json::from_str(&at(
            &d,
            env,
            "2026-05-20",
            &["request", "show", reference, "--format", "json"],
        ))
        .unwrap()
    };
    for (r, other) in [
        ("MSK26-X0001", "MSK26-X0002"),
        ("MSK26-X0002", "MSK26-X0001"),
    ] {
        let v = shown(r);
        let msgs = v["inbound"].as_array().unwrap();
        assert_eq!(msgs.len(), 1, "{r}: {v}");
        assert_eq!(msgs[0]["also_on"], serde_json::json!([other]), "{r}");
        assert!(msgs[0]["text"]
            .as_str()
            .unwrap()
            .contains("answer for both"));
    }
    assert_eq!(shown("MSK26-X0001")["inbound"][0]["match_rule"], "thread");
    assert_eq!(
        shown("MSK26-X0002")["inbound"][0]["match_rule"],
        "reference"
    );
    assert_eq!(shown("MSK26-X0003")["inbound"], serde_json::json!([]));

    // Each request is classified on its own, and each body's timeliness uses the reply.
    at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "not_held",
            "--date",
            "2026-05-19",
        ],
    );
    assert_eq!(request(&d, env, "MSK26-X0001")["state"], "not_held");
    assert_eq!(
        request(&d, env, "MSK26-X0002")["state"],
        "awaiting_response",
        "classifying one request leaves the other as it was"
    );
    at(
        &d,
        env,
        "2026-05-20",
        &[
            "request",
            "set",
            "MSK26-X0002",
            "refused",
            "--date",
            "2026-05-19",
        ],
    );
    let status: Value = serde_json::from_str(&at(
        &d,
        env,
        "2026-05-20",
        &["status", "msk-2026", "--format", "json"],
    ))
    .unwrap();
    let first = |code: &str| {
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["reference"].as_str().unwrap().ends_with(code))
            .map(|r| r["first_response"].clone())
            .unwrap()
    };
    assert_eq!(first("X0001"), "2026-05-19");
    assert_eq!(first("X0002"), "2026-05-19");
    assert_eq!(first("X0003"), Value::Null);
    // In each body's evidence bundle.
    for r in ["MSK26-X0001", "MSK26-X0002"] {
        let zip = dir.path().join(format!("{r}.zip"));
        at(
            &d,
            env,
            "2026-05-20",
            &["request", "bundle", r, "--out", zip.to_str().unwrap()],
        );
        let files = common::unzip(&std::fs::read(&zip).unwrap());
        assert!(
            files
                .values()
                .any(|b| String::from_utf8_lossy(b).contains("joint-1@cluster.example")),
            "{r}'s bundle has the reply: {:?}",
            files.keys().collect::<Vec<_>>()
        );
    }

    // Triage: a message no rule could place, put on two requests by a person.
    let lost = dir.path().join("lost.eml");
    std::fs::write(
        &lost,
        "From: someone@elsewhere.example\r\nTo: projects@arma.uk.net\r\nSubject: Our answers\r\nMessage-ID: <lost-1@elsewhere.example>\r\nDate: Wed, 20 May 2026 10:00:00 +0100\r\n\r\nThe answers for two of your requests are attached.\r\n",
    )
    .unwrap();
    at(&d, env, "2026-05-20", &["ingest", lost.to_str().unwrap()]);
    let id = inbox(&d)
        .iter()
        .find(|m| m["subject"] == "Our answers")
        .map(|m| m["id"].as_i64().unwrap())
        .unwrap()
        .to_string();
    let out = at(
        &d,
        env,
        "2026-05-20",
        &["triage", "assign", &id, "MSK26-X0001", "Body 3"],
    );
    assert!(out.contains("linked to MSK26-X0003"), "{out}");
    assert_eq!(inbox(&d).len(), 2, "still one row per message in the inbox");
    for r in ["MSK26-X0001", "MSK26-X0003"] {
        let v = shown(r);
        assert!(
            v["inbound"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["subject"] == "Our answers"),
            "{r}: {v}"
        );
    }
}

#[test]
fn sqlite_one_reply_for_two_requests_is_on_both() {
    one_reply_for_two_requests(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_reply_for_two_requests_is_on_both() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || {
        one_reply_for_two_requests(&[("FOI_DATABASE_URL", url.as_str())])
    })
    .await
    .unwrap();
}

/// With real peers: a clarification written on the request page goes to the SMTP peer
/// threaded to the body's question (read from Dovecot); `foi serve` is killed (SIGKILL) while
/// the peer holds its answer to that very letter, and the letter is then either known sent or
/// marked uncertain, never sent twice; once resolved, the body has it exactly once, and the
/// body's answer to it (from Dovecot) is matched to the request.
#[test]
fn a_clarification_reaches_the_smtp_peer_once_across_a_sigkill() {
    let peers = common::mail::MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let mut owned = peers.smtp_env();
    owned.extend([
        ("FOI__IMAP__HOST".into(), "localhost".into()),
        ("FOI__IMAP__PORT".into(), peers.get("IMAPS_PORT").into()),
        ("FOI__IMAP__SECURITY".into(), "tls".into()),
        ("FOI__IMAP__CA_FILE".into(), peers.get("TLS_CA").into()),
        ("FOI__IMAP__USERNAME".into(), peers.get("MAIL_USER").into()),
        ("FOI_IMAP_PASSWORD".into(), peers.get("MAIL_PASS").into()),
    ]);
    let env = common::env_refs(&owned);
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\n";
    common::msk_round_on(dir.path(), &d, "peer", csv, "", &env);
    at(
        &d,
        &env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, &env, "2026-05-05", &["send"]);
    let ids = peers.message_id_counts();
    let ours = ids
        .keys()
        .find(|k| k.contains("x0001.request"))
        .expect("the request letter reached the peer")
        .clone();
    let drop_mail = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        peers.drop_into_inbox(&p);
    };
    drop_mail("question.eml", format!("From: foi@body1.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: Freedom of Information request\r\nMessage-ID: <peer-q1@body1.example>\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\nDate: Tue, 12 May 2026 10:00:00 +0100\r\n\r\nCould you please clarify what you mean by an MSK lead?\r\n"));
    let out = at(&d, &env, "2026-05-12", &["ingest", "--imap"]);
    assert!(out.contains("1 matched"), "{out}");
    at(
        &d,
        &env,
        "2026-05-12",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "clarification_requested",
            "--date",
            "2026-05-12",
        ],
    );

    // The peer holds its answer to the clarification for 6 seconds (once).
    peers.set_rules("data foi@body1.example 1 pause 6\n");
    let mut web_env = env.clone();
    web_env.push(("FOI_TODAY", "2026-05-14"));
    let (mut serve, web) = common::dashboard(&d, &web_env, "editor");
    let path = "/requests/MSK26-X0001";
    let csrf = web.csrf(path);
    let text = "Dear Body 1,\n\nBy an MSK lead we mean the person accountable for MSK services.\n\nYours faithfully,\nARMA";
    let preview = web.post(
        &format!("{path}/write"),
        &[("csrf", &csrf), ("kind", "clarification"), ("text", text)],
    );
    assert!(
        preview.body.contains("&lt;peer-q1@body1.example&gt;"),
        "{}",
        preview.body
    );
    let previewed = preview
        .body
        .split("name=\"previewed\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let sent = web.post(
        &format!("{path}/write"),
        &[
            ("csrf", &csrf),
            ("kind", "clarification"),
            ("text", text),
            ("confirmed", "yes"),
            ("previewed", &previewed),
        ],
    );
    assert!(sent.status < 400, "{}", sent.body);
    // The server's own worker takes it; kill the server while the peer holds the answer.
    let start = std::time::Instant::now();
    while !peers
        .smtp_events()
        .iter()
        .any(|e| e["stage"] == "data" && e["reply"] == "pause 6")
    {
        assert!(
            start.elapsed().as_secs() < 30,
            "the server never sent the clarification"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    serve.0.kill().unwrap(); // SIGKILL
    serve.0.wait().unwrap();
    drop(serve);
    std::thread::sleep(std::time::Duration::from_secs(7)); // the peer finishes its pause

    // A new worker finds the letter left mid-send: uncertain, never sent again on its own.
    at(&d, &env, "2026-05-14", &["send"]);
    let clar = |ids: &std::collections::HashMap<String, usize>| {
        ids.iter()
            .filter(|(k, _)| k.contains("clarification"))
            .map(|(k, n)| (k.clone(), *n))
            .collect::<Vec<_>>()
    };
    let at_peer = clar(&peers.message_id_counts());
    assert!(
        at_peer.iter().all(|(_, n)| *n == 1),
        "sent twice: {at_peer:?}"
    );
    let unsent: Vec<Value> =
        serde_json::from_str(&at(&d, &env, "2026-05-14", &["outbox", "--format", "json"])).unwrap();
    assert_eq!(unsent.len(), 1, "the letter is in doubt: {unsent:?}");
    assert_eq!(unsent[0]["state"], "uncertain");
    // The operator checks the peer and decides.
    let how = if at_peer.is_empty() {
        "--resend"
    } else {
        "--sent"
    };
    println!(
        "after the kill the peer had {} copy; resolved {how}",
        at_peer.len()
    );
    let id = unsent[0]["id"].as_i64().unwrap().to_string();
    at(&d, &env, "2026-05-14", &["outbox", "resolve", &id, how]);
    at(&d, &env, "2026-05-14", &["send"]);
    let at_peer = clar(&peers.message_id_counts());
    assert_eq!(at_peer.len(), 1, "{at_peer:?}");
    assert_eq!(at_peer[0].1, 1, "exactly once");
    let ours_clar = at_peer[0].0.clone();
    let mail = peers
        .smtp_messages()
        .into_iter()
        .map(|(_, b)| String::from_utf8_lossy(&b).to_string())
        .find(|m| m.contains(&ours_clar))
        .unwrap();
    assert_eq!(header(&mail, "In-Reply-To"), "<peer-q1@body1.example>");
    assert!(header(&mail, "Subject").contains("[FOI ref MSK26-X0001]"));
    let r = request(&d, &env, "MSK26-X0001");
    assert_eq!(r["state"], "awaiting_response");
    assert_eq!(r["received_on"], "2026-05-14", "the clock restarts");

    // Their answer, threaded to our clarification, read from Dovecot and matched.
    drop_mail("answer.eml", format!("From: foi@body1.example\r\nTo: projects@arma.uk.net\r\nSubject: RE: your clarification\r\nMessage-ID: <peer-a1@body1.example>\r\nIn-Reply-To: {ours_clar}\r\nDate: Wed, 10 Jun 2026 10:00:00 +0100\r\n\r\nPlease find our response.\r\n"));
    let out = at(&d, &env, "2026-06-10", &["ingest", "--imap"]);
    assert!(out.contains("1 matched"), "{out}");
    let shown: Value = serde_json::from_str(&at(
        &d,
        &env,
        "2026-06-10",
        &["request", "show", "MSK26-X0001", "--format", "json"],
    ))
    .unwrap();
    let answer = shown["inbound"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["subject"] == "RE: your clarification")
        .cloned()
        .expect("the answer is on the request");
    assert_eq!(answer["match_rule"], "thread");
}

/// In a real browser: a private note (shown in the thread), a clarification with a file
/// (previewed, then sent), and a letter to the ticked bodies of the board (previewed with its
/// count, then sent to each); every page on the way passes axe-core.
#[test]
fn writing_and_notes_in_a_browser() {
    use common::webdriver::{axe_source, axe_violations, Browser};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let env: &[(&str, &str)] = &[];
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_on(dir.path(), &d, "browser", csv, "", env);
    at(
        &d,
        env,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, env, "2026-05-05", &["send"]);
    at(
        &d,
        env,
        "2026-05-12",
        &[
            "request",
            "set",
            "MSK26-X0001",
            "clarification_requested",
            "--date",
            "2026-05-12",
        ],
    );
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-05-14")], "editor");
    let b = Browser::start();
    let axe = axe_source();
    let base = format!("http://{}", web.addr);
    b.goto(&format!("{base}/login"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    b.wait_for("<h1>Rounds</h1>");

    // A note, in the thread.
    b.goto(&format!("{base}/requests/MSK26-X0001"));
    b.wait_for("Add a note");
    b.type_into(
        "#note-text",
        "Rang their FOI lead; answer promised by Friday",
    );
    b.click("form[action='/requests/MSK26-X0001/note'] button");
    let page = b.wait_for("Private note by ann");
    assert!(page.contains("answer promised by Friday"));
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the request page with a note: {v:?}");

    // A clarification with a file.
    let file = dir.path().join("definitions.txt");
    std::fs::write(
        &file,
        "MSK lead: the person accountable for MSK services.\n",
    )
    .unwrap();
    b.click("a[href='/requests/MSK26-X0001/write?kind=clarification']");
    b.wait_for("Attach files");
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the writing page: {v:?}");
    b.type_into(
        "#write-text",
        "By an MSK lead we mean the accountable person.",
    );
    b.type_into("#write-attach", file.to_str().unwrap());
    b.click("form[action='/requests/MSK26-X0001/write'] button[type=submit]");
    let preview = b.wait_for("This is what will go");
    assert!(
        preview.contains("definitions.txt") && preview.contains("text file"),
        "the file is in the preview"
    );
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the preview: {v:?}");
    b.click("button[name=confirmed]");
    b.wait_for("<h2>Thread</h2>");
    // Queued (and perhaps already sent by the server's worker): the request's events say.
    let events = |r: &str| -> String {
        at(
            &d,
            env,
            "2026-05-14",
            &["request", "show", r, "--format", "json"],
        )
    };
    assert!(events("MSK26-X0001").contains("clarification_queued"));

    // To the ticked bodies of the board.
    b.goto(&format!("{base}/rounds/msk-2026"));
    b.wait_for("Write to the ticked");
    b.click("input[name=ref][value='MSK26-X0002']");
    b.click("input[name=ref][value='MSK26-X0003']");
    b.click("#write-chosen button");
    b.wait_for("Write to 2 bodies");
    b.type_into(
        "#many-text",
        "Dear {{body}}, a correction to {{reference}}.",
    );
    b.click("form[action='/rounds/msk-2026/write'] button[type=submit]");
    let preview = b.wait_for("This is what will go: 2 letters");
    assert!(
        preview.contains("a correction to MSK26-X0002"),
        "filled for the first body"
    );
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the preview of a letter to many: {v:?}");
    b.click("button[name=confirmed]");
    b.wait_for("Show:");
    for r in ["MSK26-X0002", "MSK26-X0003"] {
        assert!(events(r).contains("follow_up_queued"), "{r}");
    }
    assert!(!events("MSK26-X0001").contains("follow_up_queued"));
}
