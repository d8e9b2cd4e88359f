//! Replies: a corpus written like real ICB mail, ingested over IMAP from a real Dovecot.

mod common;

use common::mail::MailPeers;
use common::{env_refs, foi, ok, stderr};
use serde_json::Value;
use std::path::Path;

const OUR: &str = "arma.uk.net";

fn our_id(code: &str) -> String {
    format!("<foi.msk26-{}.request@{OUR}>", code.to_lowercase())
}

fn mail(from: &str, subject: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: ARMA <projects@{OUR}>\r\nSubject: {subject}\r\nDate: Tue, 12 May 2026 10:00:00 +0100\r\nMessage-ID: <{}@mail.example>\r\nMIME-Version: 1.0\r\n{extra_headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.len() * 7919 + from.len()
    )
}

/// The corpus: (file name, bytes, what should happen to it).
fn corpus(big: bool) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |n: &str, s: String| v.push((n.to_string(), s.into_bytes()));
    add(
        "01-ack",
        mail(
            "NENC ICB FOI <nencicb.foi@nhs.net>",
            "Acknowledgement: Freedom of Information request [FOI ref MSK26-QHM]",
            &format!("In-Reply-To: {}\r\nReferences: {}\r\n", our_id("QHM"), our_id("QHM")),
            "Thank you for your request. We have received your request and will respond within 20 working days.",
        ),
    );
    add(
        "02-out-of-office",
        mail(
            "wyicb.foi@nhs.net",
            "Automatic reply: Freedom of Information request",
            "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n",
            "I am out of the office until Monday. We have received your request.",
        ),
    );
    add(
        "03-clarification",
        mail(
            "South Yorkshire ICB <syicb-sheffield.freedomofinformation@nhs.net>",
            "RE: Freedom of Information request: ICB approach to musculoskeletal services [FOI ref MSK26-QF7]",
            "",
            "Before we can proceed, could you please clarify whether question 3 refers to the ICB or the wider system?",
        ),
    );
    add(
        "04-refusal-s12",
        mail(
            "hnyicb.foi@nhs.net",
            "FOI MSK26-QOQ - response",
            "",
            "We estimate that the cost of complying would exceed the appropriate limit. Section 12 of the Act therefore applies and we are refusing your request.",
        ),
    );
    add(
        "05-html-only-with-pdf",
        format!(
            "From: nhsgm.foi@nhs.net\r\nTo: projects@{OUR}\r\nSubject: Your FOI request\r\nMessage-ID: <gm-1@mail.example>\r\nIn-Reply-To: {id}\r\nReferences: {id}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"OUTER\"\r\n\r\n--OUTER\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Dear ARMA,</p><p>Please find our response attached.</p></body></html>\r\n--OUTER\r\nContent-Type: application/pdf; name=\"FOI response.pdf\"\r\nContent-Disposition: attachment; filename=\"FOI response.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK\r\n--OUTER--\r\n",
            id = our_id("QOP")
        ),
    );
    add(
        "06-xlsx",
        format!(
            "From: mlcsu.foiteam@nhs.net\r\nTo: projects@{OUR}\r\nSubject: re: foi ref msk26 qe1 - our response\r\nMessage-ID: <e1-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our response in the attached spreadsheet.\r\n--B\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Disposition: attachment; filename=\"../../MSK lead.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQAAAAIAAAAIQA=\r\n--B--\r\n"
        ),
    );
    add(
        "07-reference-only-in-body",
        mail(
            "Jane Smith <jane.smith@nhs.net>",
            "Your request",
            "",
            "Dear ARMA,\r\n\r\nOur reference: MSK26-QHL. In response to your request, the ICB has an MSK lead.",
        ),
    );
    add(
        "08-colleague-same-domain",
        mail(
            "Joe Bloggs <j.bloggs@swlondon.nhs.uk>",
            "Musculoskeletal services",
            "",
            "Hello, I have been asked to send you the answers to your questions. 1. Yes.",
        ),
    );
    add(
        "09-forwarded",
        format!(
            "From: pa.to.director@nhs.net\r\nTo: projects@{OUR}\r\nSubject: Fwd: the answer you asked for\r\nMessage-ID: <fwd-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"F\"\r\n\r\n--F\r\nContent-Type: text/plain\r\n\r\nForwarding as requested.\r\n--F\r\nContent-Type: message/rfc822\r\n\r\nFrom: bcicb.foiteam@nhs.net\r\nTo: projects@{OUR}\r\nSubject: RE: request\r\nMessage-ID: <inner-1@mail.example>\r\nIn-Reply-To: {}\r\n\r\nPlease find our response below. 1. No.\r\n--F--\r\n",
            our_id("QUA")
        ),
    );
    add(
        "10-windows-1252",
        "From: cwicb.hwicb_foi@nhs.net\r\nTo: projects@arma.uk.net\r\nSubject: FOI [FOI ref MSK26-QWU]\r\nMessage-ID: <cp-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1252\r\n\r\nPlease find our response: the ICB\u{fffd}s MSK lead is the \u{fffd}Director\u{fffd}.\r\n"
            .replace('\u{fffd}', "\u{1}"),
    );
    add(
        "11-malformed-mime",
        format!(
            "From: ddicb.foi@nhs.net\r\nTo: projects@{OUR}\r\nSubject: Response [FOI ref MSK26-QJ2]\r\nMessage-ID: <bad-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"NEVER-APPEARS\"\r\n\r\nThis body has no parts at all.\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"
        ),
    );
    add(
        "14-newsletter",
        mail(
            "HSJ <news@hsj.example>",
            "This week in health policy",
            "Precedence: bulk\r\nList-Unsubscribe: <mailto:unsub@hsj.example>\r\n",
            "Our latest news and events.",
        ),
    );
    add(
        "15-bounce",
        format!(
            "From: MAILER-DAEMON@mx.nhsdorset.nhs.uk\r\nTo: projects@{OUR}\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered: 550 5.1.1 mailbox unknown.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.nhsdorset.nhs.uk\r\n\r\nFinal-Recipient: rfc822; FOI.Requests@nhsdorset.nhs.uk\r\nAction: failed\r\nStatus: 5.1.1\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: projects@{OUR}\r\nMessage-ID: {}\r\nSubject: Freedom of Information request\r\n--R--\r\n",
            our_id("QVV")
        ),
    );
    // Raw bytes mail-parser cannot make a message of: kept and listed for triage.
    v.push((
        "12-unparseable".into(),
        b"\x00\x01\x02 not an e-mail at all".to_vec(),
    ));
    if big {
        // A 20 MB attachment.
        let payload: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
        use std::fmt::Write;
        let b64 = base64_lines(&payload);
        let mut s = String::new();
        write!(
            s,
            "From: FOI@selondonics.nhs.uk\r\nTo: projects@{OUR}\r\nSubject: [FOI ref MSK26-QKK] response with data\r\nMessage-ID: <big-1@mail.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"G\"\r\n\r\n--G\r\nContent-Type: text/plain\r\n\r\nPlease find the data attached.\r\n--G\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"data.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}--G--\r\n"
        )
        .unwrap();
        v.push(("13-big".into(), s.into_bytes()));
    }
    // Windows-1252 bytes for the curly quotes.
    for (n, b) in v.iter_mut() {
        if n == "10-windows-1252" {
            let s = String::from_utf8(b.clone()).unwrap();
            let mut out = Vec::new();
            let mut quotes = [0x92u8, 0x93, 0x94].into_iter();
            for ch in s.bytes() {
                if ch == 1 {
                    out.push(quotes.next().unwrap());
                } else {
                    out.push(ch);
                }
            }
            *b = out;
        }
    }
    v
}

fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 * 2 + 8);
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
            out.push(T[(n >> 18) as usize & 63] as char);
            out.push(T[(n >> 12) as usize & 63] as char);
            out.push(if c.len() > 1 {
                T[(n >> 6) as usize & 63] as char
            } else {
                '='
            });
            out.push(if c.len() > 2 {
                T[n as usize & 63] as char
            } else {
                '='
            });
        }
        out.push_str("\r\n");
    }
    out
}

fn launch(d: &Path, env: &[(&str, &str)]) {
    ok(foi(d, &["init"], env));
    ok(foi(
        d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        env,
    ));
    let mut e = env.to_vec();
    e.push(("FOI_TODAY", "2026-05-05"));
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(
        d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &e,
    ));
    ok(foi(d, &["send"], &e));
}

fn status(d: &Path, env: &[(&str, &str)]) -> Vec<Value> {
    let out = ok(foi(d, &["status", "msk-2026", "--format", "json"], env));
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn show(d: &Path, reference: &str) -> Value {
    serde_json::from_str(&ok(foi(
        d,
        &["request", "show", reference, "--format", "json"],
        &[],
    )))
    .unwrap()
}

#[test]
fn a_corpus_of_icb_replies_over_imap_lands_right_and_nothing_is_lost() {
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    launch(d, &[]);
    // Deliver the corpus into the IMAP INBOX (one message twice).
    let files = tempfile::tempdir_in("/tmp").unwrap();
    let corpus = corpus(true);
    for (name, bytes) in &corpus {
        let p = files.path().join(format!("{name}.eml"));
        std::fs::write(&p, bytes).unwrap();
        peers.drop_into_inbox(&p);
        if name == "01-ack" {
            peers.drop_into_inbox(&p); // the same message delivered twice
        }
    }
    let imap_env: Vec<(String, String)> = vec![
        ("FOI__IMAP__HOST".into(), "localhost".into()),
        ("FOI__IMAP__PORT".into(), peers.get("IMAPS_PORT").into()),
        ("FOI__IMAP__SECURITY".into(), "tls".into()),
        ("FOI__IMAP__CA_FILE".into(), peers.get("TLS_CA").into()),
        ("FOI__IMAP__USERNAME".into(), peers.get("MAIL_USER").into()),
        ("FOI_IMAP_PASSWORD".into(), peers.get("MAIL_PASS").into()),
    ];
    let env = env_refs(&imap_env);
    let out = ok(foi(d, &["ingest", "--imap", "--format", "json"], &env));
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["seen"], corpus.len() + 1, "{s}");
    assert_eq!(s["duplicates"], 1, "{s}");
    assert_eq!(s["unparseable"], 1, "{s}");
    assert_eq!(s["bounces"], 1, "{s}");

    // Where each one landed.
    let expect = [
        ("MSK26-QHM", "thread", "acknowledgement", "matched"),
        ("MSK26-QWO", "sender", "auto_reply", "auto"),
        ("MSK26-QF7", "reference", "clarification_request", "matched"),
        ("MSK26-QOQ", "reference", "refusal:12", "matched"),
        ("MSK26-QOP", "thread", "response", "matched"),
        ("MSK26-QE1", "reference", "response", "matched"),
        ("MSK26-QHL", "reference", "response", "matched"),
        ("MSK26-QWE", "sender_domain", "response", "matched"),
        ("MSK26-QUA", "thread", "response", "matched"),
        ("MSK26-QWU", "reference", "response", "matched"),
        ("MSK26-QJ2", "reference", "response", "matched"),
        ("MSK26-QKK", "reference", "response", "matched"),
        ("MSK26-QVV", "thread", "bounce", "bounce"),
    ];
    for (reference, rule, suggested, state) in expect {
        let r = show(d, reference);
        let inbound = r["inbound"].as_array().unwrap();
        assert_eq!(inbound.len(), 1, "{reference}: {r}");
        assert_eq!(inbound[0]["match_rule"], rule, "{reference}");
        assert_eq!(inbound[0]["suggested"], suggested, "{reference}");
        assert_eq!(inbound[0]["state"], state, "{reference}");
    }
    // Attachments: kept with sanitised names, types, sizes and hashes.
    let e1 = show(d, "MSK26-QE1");
    let att = &e1["inbound"][0]["attachments"][0];
    assert_eq!(att["filename"], "MSK lead.xlsx");
    assert_eq!(
        att["content_type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let big = show(d, "MSK26-QKK");
    assert_eq!(
        big["inbound"][0]["attachments"][0]["size"],
        20 * 1024 * 1024
    );
    let pdf = show(d, "MSK26-QOP");
    assert_eq!(
        pdf["inbound"][0]["attachments"][0]["filename"],
        "FOI response.pdf"
    );
    // The bounce marked our letter to QVV bounced.
    let outbox: Value =
        serde_json::from_str(&ok(foi(d, &["outbox", "--format", "json"], &[]))).unwrap();
    let qvv = outbox
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["reference"] == "MSK26-QVV")
        .unwrap();
    assert_eq!(qvv["state"], "bounced");
    assert!(
        qvv["last_error"].as_str().unwrap().contains("550 5.1.1"),
        "{qvv}"
    );

    // Triage: the newsletter and the unparseable bytes.
    let triage: Value =
        serde_json::from_str(&ok(foi(d, &["triage", "list", "--format", "json"], &[]))).unwrap();
    let t = triage.as_array().unwrap();
    assert_eq!(t.len(), 2, "{triage}");
    assert!(t
        .iter()
        .any(|m| m["subject"] == "This week in health policy"));
    let bad = t.iter().find(|m| m["state"] == "unparseable").unwrap();
    assert!(!bad["parse_error"].as_str().unwrap().is_empty());

    // Nothing lost: every delivered message's bytes are in the raw store (Dovecot returns the
    // headerless blob with its line end normalised, so that one is found through triage).
    let raw = foi::rawstore::RawStore::new(d);
    let kept = raw.get(bad["raw_sha256"].as_str().unwrap()).unwrap();
    assert!(
        kept.windows(20).any(|w| w == b"not an e-mail at all"),
        "{:?}",
        String::from_utf8_lossy(&kept)
    );
    for (name, bytes) in corpus.iter().filter(|(n, _)| n != "12-unparseable") {
        let sha = foi::rawstore::sha256_hex(bytes);
        assert!(
            foi::rawstore::RawStore::new(d).get(&sha).is_ok(),
            "{name} not stored raw"
        );
    }
    // Windows-1252 decoded.
    let wu = show(d, "MSK26-QWU");
    assert!(wu["inbound"][0]["subject"]
        .as_str()
        .unwrap()
        .contains("MSK26-QWU"));

    // Running ingest again changes nothing.
    let again: Value =
        serde_json::from_str(&ok(foi(d, &["ingest", "--imap", "--format", "json"], &env))).unwrap();
    assert_eq!(again["seen"], 0, "{again}");
    // Delivering a copy again (a new UID) is recognised as a duplicate.
    let p = files.path().join("03-clarification.eml");
    peers.drop_into_inbox(&p);
    let third: Value =
        serde_json::from_str(&ok(foi(d, &["ingest", "--imap", "--format", "json"], &env))).unwrap();
    assert_eq!(
        (third["seen"].as_u64(), third["duplicates"].as_u64()),
        (Some(1), Some(1)),
        "{third}"
    );

    // Triage: assigning teaches the sender's address to the body.
    let news_id = t
        .iter()
        .find(|m| m["subject"] == "This week in health policy")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let out = ok(foi(d, &["triage", "assign", &news_id, "MSK26-QHM"], &[]));
    assert!(out.contains("news@hsj.example is now known"), "{out}");
}

#[test]
fn clarification_then_response_moves_the_due_date_as_foia_says() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    launch(d, &[]);
    // Sent Tue 5 May 2026 → due 20 working days later.
    let due0 = ok(foi(d, &["deadline", "--received", "2026-05-05"], &[]))
        .lines()
        .next()
        .unwrap()
        .to_string();
    let row = |d: &Path, today: &str| {
        status(d, &[("FOI_TODAY", today)])
            .into_iter()
            .find(|r| r["authority"] == "QF7")
            .unwrap()
    };
    assert_eq!(row(d, "2026-05-06")["due_date"], due0);
    ok(foi(
        d,
        &[
            "request",
            "set",
            "MSK26-QF7",
            "clarification_requested",
            "--date",
            "2026-05-12",
        ],
        &[],
    ));
    let r = row(d, "2026-05-13");
    assert_eq!(r["state"], "clarification_requested");
    assert_eq!(r["due_date"], Value::Null, "the clock is stopped");
    // We send the clarification on Mon 18 May 2026: 20 working days from then. The late May
    // bank holiday (25 May) is skipped, and so is Mon 15 June 2026, a bank holiday in Scotland
    // (Royal Proclamation of 4 February 2026; FOIA s.10(6): any part of the UK).
    ok(foi(
        d,
        &[
            "request",
            "set",
            "MSK26-QF7",
            "awaiting_response",
            "--date",
            "2026-05-18",
            "--note",
            "clarification sent",
        ],
        &[],
    ));
    let due1 = ok(foi(d, &["deadline", "--received", "2026-05-18"], &[]))
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(due1, "2026-06-17");
    let r = row(d, "2026-05-19");
    assert_eq!(r["due_date"], due1);
    assert_eq!(r["working_days_overdue"], 0);
    // Not answered by 19 June: 2 working days overdue on the status board.
    assert_eq!(row(d, "2026-06-18")["working_days_overdue"], 1);
    assert_eq!(row(d, "2026-06-19")["working_days_overdue"], 2);
    ok(foi(
        d,
        &[
            "request",
            "set",
            "MSK26-QF7",
            "answered_full",
            "--date",
            "2026-06-18",
        ],
        &[],
    ));
    let r = row(d, "2026-06-19");
    assert_eq!(r["state"], "answered_full");
    assert_eq!(r["working_days_overdue"], 0);
    // Illegal transitions are refused with the legal ones listed.
    let out = foi(d, &["request", "set", "MSK26-QF7", "acknowledged"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot become `acknowledged`"),
        "{}",
        stderr(&out)
    );
    // Every change is an event with who, when and why.
    let shown = show(d, "MSK26-QF7");
    let evs = shown["events"].as_array().unwrap();
    let note = evs
        .iter()
        .find(|e| e["to_state"] == "awaiting_response" && e["kind"] == "state_changed")
        .unwrap();
    assert_eq!(note["note"], "clarification sent");
    assert_eq!(note["effective_on"], "2026-05-18");
    // The timeliness section: one answered late, counted from the restarted clock.
    let rep: Value = serde_json::from_str(&ok(foi(
        d,
        &["report", "msk-2026", "--format", "json"],
        &[("FOI_TODAY", "2026-06-19")],
    )))
    .unwrap();
    assert_eq!(rep["timeliness"]["sent"], 36);
    assert_eq!(rep["timeliness"]["late"], 1);
    assert_eq!(rep["timeliness"]["not_answered"], 35);
}

#[test]
fn ingest_from_files_maildir_and_mbox_and_auto_acknowledge() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    launch(d, &[]);
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).unwrap();
    }
    let c = corpus(false);
    for (name, bytes) in &c[..4] {
        std::fs::write(md.join("new").join(name), bytes).unwrap();
    }
    let env = [("FOI__INGEST__AUTO_ACKNOWLEDGE", "true")];
    let s: Value = serde_json::from_str(&ok(foi(
        d,
        &[
            "ingest",
            "--maildir",
            md.to_str().unwrap(),
            "--format",
            "json",
        ],
        &env,
    )))
    .unwrap();
    assert_eq!(s["seen"], 4);
    assert_eq!(s["acknowledged"], 1, "{s}");
    let qhm = status(d, &[])
        .into_iter()
        .find(|r| r["authority"] == "QHM")
        .unwrap();
    assert_eq!(qhm["state"], "acknowledged");
    // An mbox with a message already ingested from the Maildir (its line ends rewritten to LF,
    // as mbox files have them) and two more. A message's identity is its bytes: the LF copy is
    // other bytes, so it is stored too — and shown beside the first copy as its sibling by
    // Message-ID.
    let mut mbox = Vec::new();
    for (_, bytes) in [&c[0], &c[4], &c[5]] {
        mbox.extend_from_slice(b"From sender@example Tue May 12 10:00:00 2026\n");
        mbox.extend_from_slice(
            &String::from_utf8_lossy(bytes)
                .replace("\r\n", "\n")
                .into_bytes(),
        );
        mbox.extend_from_slice(b"\n");
    }
    let f = dir.path().join("replies.mbox");
    std::fs::write(&f, mbox).unwrap();
    let s: Value = serde_json::from_str(&ok(foi(
        d,
        &["ingest", f.to_str().unwrap(), "--format", "json"],
        &[],
    )))
    .unwrap();
    assert_eq!(s["seen"], 3);
    assert_eq!(s["duplicates"], 0, "{s}");
    assert_eq!(s["matched"], 3);
    let inbox: Vec<Value> =
        serde_json::from_str(&ok(foi(d, &["inbox", "--format", "json"], &[]))).unwrap();
    let siblings = inbox
        .iter()
        .filter(|m| !m["same_message_id"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(siblings, 2, "the two copies, each linked to the other");
    // The very same bytes again are the same message: nothing new.
    let again: Value = serde_json::from_str(&ok(foi(
        d,
        &["ingest", f.to_str().unwrap(), "--format", "json"],
        &[],
    )))
    .unwrap();
    assert_eq!(again["duplicates"], 3, "{again}");
}

#[test]
fn an_automatic_acknowledgement_is_an_acknowledgement_everywhere_and_says_it_is_automatic() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    launch(d, &[]);
    let f = data.path().join("ack.eml");
    std::fs::write(
        &f,
        mail(
            "nhsgm.foi@nhs.net",
            "Automatic reply: Freedom of Information request [FOI ref MSK26-QOP]",
            "Auto-Submitted: auto-replied\r\n",
            "Thank you for your request. We have received your request and will respond within 20 working days.",
        ),
    )
    .unwrap();
    let out = ok(foi(d, &["ingest", f.to_str().unwrap()], &[]));
    assert!(
        out.contains("1 matched (1 of them an automatic acknowledgement), 0 automatic replies"),
        "{out}"
    );
    let inbox: Vec<Value> =
        serde_json::from_str(&ok(foi(d, &["inbox", "--format", "json"], &[]))).unwrap();
    let m = &inbox[0];
    assert_eq!(m["kind"], "auto_reply", "{m}");
    assert_eq!(m["suggested"], "acknowledgement", "{m}");
    assert_eq!(
        m["state"], "matched",
        "it waits on the request for a person: {m}"
    );
    let qop = status(d, &[])
        .into_iter()
        .find(|r| r["authority"] == "QOP")
        .unwrap();
    assert_eq!(
        qop["needs_classification"], 1,
        "the board asks for it: {qop}"
    );
}
