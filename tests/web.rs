//! The dashboard, through `foi serve` as a user starts it: HTTP security tests and a real
//! browser (headless Chromium over chromedriver) walking the team's day.

mod common;

use common::http::{free_port, request, wait_ok, Client};
use common::webdriver::{axe_source, axe_violations, Browser};
use common::{foi, foi_cmd, ok};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

const EVIL: &str = "NHS <script>alert(1)</script> ICB";

struct Server {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
    data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// A data directory with a launched round (sent on 5 May 2026), two users, a reply with a
/// hostile subject and an attachment, then `foi serve` on a free port "today" = 19 June 2026.
fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("var");
    ok(foi(&d, &["init"], &[]));
    // A register with a hostile name, to prove escaping.
    let reg = dir.path().join("evil.csv");
    let mut csv = String::from("code,name,region,foi_email\n");
    csv.push_str(&format!("X0001,\"{EVIL}\",Test,foi@evil.example\n"));
    for i in 2..=12 {
        csv.push_str(&format!("X{i:04},Body {i},Test,foi@body{i}.example\n"));
    }
    std::fs::write(&reg, csv).unwrap();
    ok(foi(
        &d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "evil",
        ],
        &[],
    ));
    let round = dir.path().join("round.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("register = \"icbs-2026\"", "register = \"evil\"");
    std::fs::write(&round, text).unwrap();
    ok(foi(&d, &["round", "create", round.to_str().unwrap()], &[]));
    let sent = [("FOI_TODAY", "2026-05-05"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &sent,
    ));
    ok(foi(&d, &["send"], &sent));
    // A refusal from body 2 with a hostile subject and a PDF.
    let eml = dir.path().join("reply.eml");
    std::fs::write(
        &eml,
        "From: foi@body2.example\r\nTo: projects@arma.uk.net\r\nSubject: <script>alert(\"x\")</script> [FOI ref MSK26-X0002]\r\nMessage-ID: <r1@body2.example>\r\nDate: Mon, 15 Jun 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nWe are refusing your request under section 12 (cost limit).\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"../../etc/<x>refusal.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n",
    )
    .unwrap();
    ok(foi(&d, &["ingest", eml.to_str().unwrap()], &[]));
    // A reply from an address no letter went to, with no reference: it waits in triage.
    let stray = dir.path().join("stray.eml");
    std::fs::write(
        &stray,
        "From: information.governance@shared-services.example\r\nTo: projects@arma.uk.net\r\nSubject: Your information request\r\nMessage-ID: <stray1@shared-services.example>\r\nDate: Tue, 16 Jun 2026 09:00:00 +0100\r\n\r\nWe do not hold the information you asked for about MSK services.\r\n",
    )
    .unwrap();
    ok(foi(&d, &["ingest", stray.to_str().unwrap()], &[]));
    for (name, role) in [("ann", "editor"), ("vic", "viewer")] {
        ok(foi(
            &d,
            &["user", "add", name, "--role", role],
            &[("FOI_NEW_PASSWORD", "a long enough password")],
        ));
    }
    let addr = format!("127.0.0.1:{}", free_port());
    let child = foi_cmd(
        &d,
        &["serve"],
        &[
            ("FOI__WEB__BIND", &addr),
            ("FOI_TODAY", "2026-06-19"),
            ("FOI__SEND__PER_MINUTE", "0"),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_ok(&addr, "/health", 30);
    // Wait for the first deadline check (it queues reminders and waits for approvals).
    let start = std::time::Instant::now();
    while !wait_ok(&addr, "/health", 5).body.contains("deadline_check")
        && start.elapsed().as_secs() < 20
    {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    Server {
        child,
        addr,
        _dir: dir,
        data: d,
    }
}

fn fill(path: &str) -> String {
    path.replace("{slug}", "msk-2026")
        .replace("{reference}", "MSK26-X0002")
        .replace("{format}", "md")
        .replace("{id}", "1")
}

#[test]
fn every_route_refuses_without_a_session_csrf_and_roles_are_enforced_and_output_is_escaped() {
    let s = server();
    // 1. Unauthenticated: every route that needs a session refuses.
    for (method, path, needs) in foi::web::ROUTES {
        let p = fill(path);
        let r = request(
            &s.addr,
            method,
            &p,
            None,
            if *method == "POST" {
                Some("csrf=x")
            } else {
                None
            },
        );
        if *needs {
            match *method {
                "GET" => {
                    assert_eq!(r.status, 303, "{method} {p}");
                    // To the login page, which returns here afterwards.
                    let expected = if p == "/" {
                        "/login".to_string()
                    } else {
                        format!("/login?next={}", foi::web::http_query(&p))
                    };
                    assert_eq!(
                        r.header("location"),
                        Some(expected.as_str()),
                        "{method} {p}"
                    );
                }
                _ => assert_eq!(r.status, 401, "{method} {p}"),
            }
            assert!(!r.body.contains("MSK26"), "{method} {p} leaked data");
        }
    }
    // Every listed POST route is one the router has: signed in, with a wrong CSRF token, it
    // is refused as forged (403), never "not found" (the session check runs before routing, so
    // the walk above cannot tell a missing route).
    let mut signed_in = Client::new(&s.addr);
    signed_in.login("ann", "a long enough password");
    for (method, path, needs) in foi::web::ROUTES {
        if *method == "POST" && *needs && *path != "/logout" {
            let p = fill(path);
            let r = signed_in.post(&p, &[("csrf", "forged")]);
            assert_ne!(r.status, 404, "{method} {p} is listed but not routed");
        }
    }
    assert_eq!(
        request(&s.addr, "GET", "/health", None, None).status,
        200,
        "health needs no login"
    );

    // 2. An editor's POST without (or with a wrong) CSRF token is refused.
    let mut ann = Client::new(&s.addr);
    ann.login("ann", "a long enough password");
    let set = "/requests/MSK26-X0003/state";
    let r = ann.post(set, &[("state", "withdrawn")]);
    assert_eq!(r.status, 403);
    let r = ann.post(set, &[("state", "withdrawn"), ("csrf", "forged")]);
    assert_eq!(r.status, 403);
    let board = ann.get("/rounds/msk-2026").body;
    assert!(board.contains("awaiting_response"), "nothing changed");

    // 3. A viewer's POST, even with a valid token, is refused.
    let mut vic = Client::new(&s.addr);
    vic.login("vic", "a long enough password");
    let token = vic.csrf("/requests/MSK26-X0003");
    let r = vic.post(set, &[("state", "withdrawn"), ("csrf", &token)]);
    assert_eq!(r.status, 403);
    assert!(r.body.contains("viewers cannot change anything"));
    // …and so is every other POST route a viewer could try (all but logging out).
    for (method, path, needs) in foi::web::ROUTES {
        if *method != "POST" || !needs || *path == "/logout" {
            continue;
        }
        let r = vic.post(&fill(path), &[("csrf", &token), ("state", "withdrawn")]);
        assert_eq!(r.status, 403, "viewer POST {path}: {}", r.body);
        assert!(r.body.contains("viewers cannot change anything"), "{path}");
    }
    // …while the editor's valid POST works and is logged with the user's name.
    let token = ann.csrf("/requests/MSK26-X0003");
    let r = ann.post(
        set,
        &[
            ("state", "withdrawn"),
            ("csrf", &token),
            ("note", "duplicate body"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let shown: serde_json::Value = serde_json::from_str(&ok(foi(
        &s.data,
        &["request", "show", "MSK26-X0003", "--format", "json"],
        &[],
    )))
    .unwrap();
    let ev = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to_state"] == "withdrawn")
        .unwrap();
    assert_eq!(ev["actor"], "ann");

    // 4. Values from data and e-mail are escaped.
    let board = ann.get("/rounds/msk-2026");
    assert!(
        board
            .body
            .contains("NHS &lt;script&gt;alert(1)&lt;/script&gt; ICB"),
        "authority name escaped"
    );
    assert!(!board.body.contains("<script>alert(1)"));
    let page = ann.get("/requests/MSK26-X0002").body;
    assert!(
        page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"),
        "subject escaped"
    );
    assert!(!page.contains("<script>alert(\"x\")"));

    // 5. Headers: CSP, nosniff, cookie flags.
    assert!(board
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    assert!(board
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(board.header("x-content-type-options"), Some("nosniff"));
    let login = request(
        &s.addr,
        "POST",
        "/login",
        None,
        Some("name=ann&password=a+long+enough+password"),
    );
    let cookie = login.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // 6. Attachments download with a sanitised name and nosniff, never inline.
    let i = page.find("/attachments/").expect("attachment link");
    let link: String = page[i..].chars().take_while(|c| *c != '"').collect();
    let a = ann.get(&link);
    assert_eq!(a.status, 200);
    let cd = a.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"_x_refusal.pdf\""),
        "{cd}"
    );
    assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
    assert!(a.body.starts_with("%PDF-1.4"));

    // 7. Login is throttled with growing delays, never locked: six wrong passwords for a
    //    user (waiting out each delay asked for), then the right one after the delay logs in.
    let login = |password: &str| {
        request(
            &s.addr,
            "POST",
            "/login",
            None,
            Some(&format!("name=vic&password={password}")),
        )
    };
    let mut wrong = 0;
    let mut throttled = 0;
    while wrong < 6 {
        let r = login("wrong");
        match r.status {
            401 => wrong += 1,
            429 => {
                throttled += 1;
                let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
                assert!(r.body.contains("try again in"), "{}", r.body);
                std::thread::sleep(std::time::Duration::from_secs(secs));
            }
            other => panic!("login answered {other}"),
        }
    }
    assert!(throttled >= 2, "the 5th and 6th attempts had to wait");
    let r = login("a+long+enough+password");
    let r = if r.status == 429 {
        let secs: u64 = r.header("retry-after").unwrap().parse().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(secs));
        login("a+long+enough+password")
    } else {
        r
    };
    assert_eq!(r.status, 303, "the right password logs in after the delay");
}

#[test]
fn first_run_setup_link_creates_the_first_editor_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("var");
    let addr = format!("127.0.0.1:{}", free_port());
    let child = foi_cmd(&d, &["serve"], &[("FOI__WEB__BIND", &addr)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_ok(&addr, "/health", 30);
    let token = std::fs::read_to_string(d.join("setup-token")).unwrap();
    let bad = request(
        &addr,
        "POST",
        "/setup",
        None,
        Some("token=nope&name=eve&password=0123456789ab"),
    );
    assert_eq!(bad.status, 403);
    let good = request(
        &addr,
        "POST",
        "/setup",
        None,
        Some(&format!("token={token}&name=ann&password=0123456789ab")),
    );
    assert_eq!(good.status, 303, "{}", good.body);
    assert!(good.header("set-cookie").is_some(), "logged in");
    let again = request(
        &addr,
        "POST",
        "/setup",
        None,
        Some(&format!("token={token}&name=mal&password=0123456789ab")),
    );
    assert_eq!(again.status, 403, "the link works once");
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("/setup?token={}", token.trim())),
        "{stdout}"
    );
}

fn output_dir() -> PathBuf {
    let p = std::env::var("FOI_TEST_OUTPUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output"));
    std::fs::create_dir_all(&p).unwrap();
    p
}

#[test]
fn a_real_browser_walks_the_teams_day() {
    let s = server();
    let b = Browser::start();
    let base = format!("http://{}", s.addr);
    b.goto(&format!("{base}/login"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    b.wait_for("<h1>Rounds</h1>");

    // The round board: overdue requests shown, "needs action" first.
    b.goto(&format!("{base}/rounds/msk-2026"));
    let board = b.source();
    assert!(
        board.contains("very overdue") || board.contains("overdue"),
        "overdue labels"
    );
    assert!(
        board.contains("to classify"),
        "the reply waiting for classification is flagged"
    );
    b.screenshot(&output_dir().join("board.png"));

    // Open the overdue request with the reply; confirm the suggested classification.
    b.click("a[href='/requests/MSK26-X0002']");
    let page = b.wait_for("What the latest reply is");
    assert!(page.contains("a refusal citing s.12"), "suggestion shown");
    b.click("form[action='/requests/MSK26-X0002/state'] input[value='refused'] ~ button");
    let after = b.wait_for("State saved.");
    assert!(after.contains("label refused"), "confirmed");

    // Triage: the stray reply is assigned by typing part of the body's name; the request
    // page then asks what it is.
    b.goto(&format!("{base}/triage"));
    b.wait_for("Your information request");
    b.type_into("input[name='request']", "body 5");
    b.click("form[action$='/assign'] button");
    let page = b.wait_for("The reply is now on this request");
    assert!(b.url().contains("/requests/MSK26-X0005"), "{}", b.url());
    assert!(
        page.contains("information is not held") || page.contains("Choose what the reply is"),
        "the classification is offered: {page}"
    );
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "request page after assignment: {v:?}");
    b.goto(&format!("{base}/requests/MSK26-X0002"));
    b.wait_for("Save coding");

    // At 1,280 px the response's text and the coding form sit side by side, the form held in
    // view; the events table fits its card.
    let layout = b.execute(
        "const t = document.querySelector('.workbench-text').getBoundingClientRect(); const f = document.querySelector('.workbench-form'); const r = f.getBoundingClientRect(); const ev = Array.from(document.querySelectorAll('.scroll')).find(s => s.getAttribute('aria-label') === 'Events'); return [Math.abs(t.top - r.top) < 2, r.left >= t.right, getComputedStyle(f).position, ev.scrollWidth <= ev.clientWidth];",
    );
    assert_eq!(
        layout,
        serde_json::json!([true, true, "sticky", true]),
        "side by side at 1,280 px"
    );

    // Code the response: "None of these" is an answer of its own, and ticking it clears the
    // question's other boxes.
    b.click("select[name='msk_lead'] option[value='no']");
    b.click("select[name='priorities'] option[value='none']");
    b.click("input[name='approach'][value='comprehensive']");
    b.click("input[name='approach'][value='none_of_these']");
    let ticked = b.execute(
        "return Array.from(document.querySelectorAll(\"input[name='approach']:checked\")).map(e => e.value);",
    );
    assert_eq!(ticked, serde_json::json!(["none_of_these"]));
    b.click("form[action='/requests/MSK26-X0002/coding'] button");
    b.wait_for("Coding saved.");

    // Write to the body: a request for internal review of the refusal, started from the
    // round's letter, previewed (axe-clean), then sent into the thread.
    b.goto(&format!(
        "{base}/requests/MSK26-X0002/write?kind=internal_review"
    ));
    let draft = b.wait_for("Write to Body 2");
    assert!(draft.contains("internal review"), "the draft: {draft}");
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "writing page: {v:?}");
    b.click("form[action='/requests/MSK26-X0002/write'] button");
    let preview = b.wait_for("This is what will go");
    assert!(
        preview.contains("in internal review"),
        "what it does: {preview}"
    );
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "preview: {v:?}");
    b.click("form[action='/requests/MSK26-X0002/write'] button[name='confirmed']");
    b.wait_for("Letter queued");

    // Approve a chaser.
    b.goto(&format!("{base}/chasers"));
    assert!(
        b.source().contains("reminder") || b.source().contains("chaser"),
        "chasers waiting"
    );
    b.click("form[action^='/chasers/'] button");
    b.wait_for("Approved and queued for sending.");

    // The report.
    b.goto(&format!("{base}/rounds/msk-2026/report"));
    let report = b.source();
    assert!(report.contains("Findings"));
    assert!(report.contains("<svg"), "charts");
    b.screenshot(&output_dir().join("report.png"));

    // What the browser did is in the database: refused, then in internal review once the
    // server's delivery worker has sent our request for one.
    let show = || -> serde_json::Value {
        serde_json::from_str(&ok(foi(
            &s.data,
            &["request", "show", "MSK26-X0002", "--format", "json"],
            &[],
        )))
        .unwrap()
    };
    let start = std::time::Instant::now();
    let mut shown = show();
    while shown["request"]["state"] != "internal_review_requested" && start.elapsed().as_secs() < 30
    {
        std::thread::sleep(std::time::Duration::from_millis(300));
        shown = show();
    }
    assert_eq!(shown["request"]["state"], "internal_review_requested");
    assert!(shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "ann" && e["to_state"] == "refused"));
    let csv = ok(foi(&s.data, &["code", "export", "msk-2026"], &[]));
    assert!(csv.contains("X0002,msk_lead,no"), "{csv}");
    assert!(csv.contains("X0002,approach,none_of_these"), "{csv}");
    assert!(shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "ann" && e["kind"] == "coded"));
}

/// The dashboard pages a team uses, in the states `server()` creates.
const PAGES: &[&str] = &[
    "/",
    "/rounds/msk-2026",
    "/rounds/msk-2026?filter=overdue",
    "/requests/MSK26-X0002",
    "/requests/MSK26-X0003",
    "/triage",
    "/chasers",
    "/outbox",
    "/rounds/msk-2026/report",
    "/rounds/msk-2026/report/html",
    "/search?q=refusing",
    "/requests/MSK26-NOPE",
    "/rounds/new",
    "/rounds/new?from=shipped:msk-2026",
    "/people",
    "/registers",
];

#[test]
fn every_page_passes_axe_core_and_fits_a_375_pixel_phone() {
    let s = server();
    let base = format!("http://{}", s.addr);
    let axe = axe_source();
    let mut problems = Vec::new();
    for (who, b) in [
        ("desktop", Browser::start()),
        ("phone", Browser::phone(375)),
    ] {
        b.goto(&format!("{base}/login"));
        if who == "desktop" {
            for v in axe_violations(&b, &axe) {
                problems.push(format!("{who} /login: {v}"));
            }
        }
        b.type_into("#name", "ann");
        b.type_into("#password", "a long enough password");
        b.click("form[action='/login'] button");
        b.wait_for("<h1>Rounds</h1>");
        for page in PAGES {
            b.goto(&format!("{base}{page}"));
            if who == "desktop" {
                for v in axe_violations(&b, &axe) {
                    problems.push(format!("{who} {page}: {v}"));
                }
            } else {
                let w = b.execute(
                    "return [document.documentElement.scrollWidth, screen.width, window.innerWidth, document.documentElement.clientWidth];",
                );
                let (scroll, inner) = (w[0].as_u64().unwrap(), w[1].as_u64().unwrap());
                assert_eq!(inner, 375, "the phone's screen is 375 px wide: {w}");
                if scroll > inner {
                    let wide = b.execute("return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > 376).slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ');");
                    eprintln!("{page}: wider than the screen: {wide}");
                    problems.push(format!(
                        "{who} {page}: the page scrolls sideways ({scroll} px wide on a {inner} px screen)"
                    ));
                }
                if *page == "/rounds/msk-2026" {
                    // Each request a card: due, overdue and what it needs on screen.
                    let shown = b.execute(
                        "return ['Due', 'Working days overdue', 'Needs'].map(l => { const c = document.querySelector(`table.board td[data-label='${l}']`); const r = c.getBoundingClientRect(); return r.width > 0 && r.right <= 376 && getComputedStyle(c).display !== 'none'; });",
                    );
                    assert_eq!(
                        shown,
                        serde_json::json!([true, true, true]),
                        "the board's cards show due, overdue and needs at 375 px"
                    );
                }
                let name = page.trim_matches('/').replace(['/', '?', '='], "_");
                b.screenshot(&output_dir().join(format!(
                    "phone-{}.png",
                    if name.is_empty() { "rounds" } else { &name }
                )));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "axe-core WCAG 2.2 A/AA: 0 violations on /login and {} pages; no sideways scroll at 375 px",
        PAGES.len()
    );
}

fn outbox_json(s: &Server) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(foi(&s.data, &["outbox", "--format", "json"], &[]))).unwrap()
}

#[test]
fn letters_are_seen_before_they_go_and_a_coding_error_keeps_every_choice() {
    let s = server();
    let base = format!("http://{}", s.addr);
    let b = Browser::start();
    b.goto(&format!("{base}/login?next=%2Frequests%2FMSK26-X0003"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    // Login returns to the page asked for.
    let page = b.wait_for("Set the state");
    assert!(b.url().ends_with("/requests/MSK26-X0003"), "{}", b.url());

    // Reminder 2 waits for approval: "Chase now" is not offered, approving it is.
    assert!(
        page.contains("is waiting for approval: it is the next chaser"),
        "{page}"
    );
    assert!(
        !page.contains("Chase now"),
        "no Chase now while a step waits"
    );
    // The thread shows the letters' full text, in proper English.
    assert!(
        page.contains("I sent you a request for information"),
        "letter text shown"
    );
    assert!(!page.contains("day(s)"), "no (s) in letters");
    // Forcing "Chase now" anyway queues nothing (no internal review skips reminder 2).
    let mut c = common::http::Client::new(&s.addr);
    c.login("ann", "a long enough password");
    let csrf = c.csrf("/requests/MSK26-X0003");
    let before = outbox_json(&s).len();
    let r = c.post("/requests/MSK26-X0003/chase", &[("csrf", &csrf)]);
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("waiting for approval"), "{}", r.body);
    assert_eq!(outbox_json(&s).len(), before, "nothing queued");
    assert!(!outbox_json(&s)
        .iter()
        .any(|m| m["kind"] == "internal_review"));

    // Approve all: first the count and the recipients, and nothing sent until confirmed.
    b.goto(&format!("{base}/chasers"));
    let chasers = b.source();
    // Each letter with its body, which step it is, and its whole text.
    assert!(chasers.contains("Body 3: Reminder 2 of 2"), "{chasers}");
    assert!(
        chasers.contains("This is my second reminder."),
        "each letter can be read in full"
    );
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "chasers page with the letters: {v:?}");
    let waiting = |o: &[serde_json::Value]| o.iter().filter(|m| m["state"] == "approval").count();
    let id_of = |reference: &str| {
        outbox_json(&s)
            .iter()
            .find(|m| m["reference"] == reference && m["state"] == "approval")
            .map(|m| m["id"].as_i64().unwrap())
            .unwrap()
    };
    // Edit the text of Body 3's reminder before approving it.
    let id3 = id_of("MSK26-X0003");
    b.click(&format!("a[href='/chasers/{id3}/edit']"));
    b.wait_for("Text of the letter");
    let v = axe_violations(&b, &axe_source());
    assert!(v.is_empty(), "edit page: {v:?}");
    b.execute(
        "document.getElementById('letter-text').value = 'Dear Body 3,\\n\\nEDITED-BY-ANN: we spoke on the phone today; please send the reply by Friday.\\n\\nAnn'; return true;",
    );
    b.click(&format!("form[action='/chasers/{id3}/edit'] button"));
    let page = b.wait_for("The letter's text is saved");
    assert!(page.contains("EDITED-BY-ANN"), "the edited text is shown");
    assert_eq!(id_of("MSK26-X0003"), id3, "still waiting for approval");
    // Skip Body 4's: never sent, and not waiting any more.
    let id4 = id_of("MSK26-X0004");
    let before_skip = waiting(&outbox_json(&s));
    b.click(&format!("form[action='/chasers/{id4}/skip'] button"));
    b.wait_for("Skipped: that letter will not be sent");
    assert_eq!(waiting(&outbox_json(&s)), before_skip - 1);
    assert!(
        !outbox_json(&s).iter().any(|m| m["id"] == id4),
        "a skipped letter is not in the outbox"
    );
    let n = waiting(&outbox_json(&s));
    assert!(n > 1, "{n} waiting");
    b.click("form[action='/rounds/msk-2026/chasers/approve'] button");
    let confirm = b.wait_for("now?");
    // The states this walk creates pass axe-core too.
    let axe = axe_source();
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "approve-all confirmation: {v:?}");
    assert!(
        confirm.contains(&format!("Send {n} chasers now?")),
        "{confirm}"
    );
    assert!(confirm.contains("foi@body3.example"), "to whom");
    assert_eq!(
        waiting(&outbox_json(&s)),
        n,
        "nothing approved before confirming"
    );
    b.click("form[action='/rounds/msk-2026/chasers/approve'] button");
    b.wait_for("Approved and queued for sending.");
    assert_eq!(waiting(&outbox_json(&s)), 0);
    // The edited letter is the one that goes: the request's thread shows it.
    b.goto(&format!("{base}/requests/MSK26-X0003"));
    let page = b.wait_for("Thread");
    assert!(
        page.contains("EDITED-BY-ANN"),
        "the edited letter is in the thread"
    );

    // Coding: a question that does not apply is disabled in the page…
    b.goto(&format!("{base}/requests/MSK26-X0004"));
    b.wait_for("Save coding");
    b.click("select[name='msk_lead'] option[value='no']");
    let off = b.execute("return document.getElementById('f-lead_title').disabled;");
    assert_eq!(
        off,
        serde_json::json!(true),
        "lead title disabled when there is no lead"
    );
    b.click("select[name='msk_lead'] option[value='yes']");
    let on = b.execute("return document.getElementById('f-lead_title').disabled;");
    assert_eq!(on, serde_json::json!(false));
    // …and the server still refuses it (a page without its script, say): the message is
    // beside the field, in words, and every choice is kept.
    b.click("select[name='lead_title'] option[value='director']");
    b.click("select[name='priorities'] option[value='none']");
    b.click("select[name='msk_lead'] option[value='no']");
    b.execute(
        "document.querySelectorAll('fieldset').forEach(f => f.disabled = false); return true;",
    );
    b.click("form[action='/requests/MSK26-X0004/coding'] button");
    let page = b.wait_for("The coding was not saved");
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "coding error page: {v:?}");
    let field = page
        .split("id=\"f-lead_title\"")
        .nth(1)
        .unwrap()
        .split("</fieldset>")
        .next()
        .unwrap();
    assert!(
        field.contains("This question applies only when msk_lead = yes. Leave it empty, or change that answer first."),
        "{field}"
    );
    assert!(!page.contains("argument, line"), "no CLI syntax");
    for (var, val) in [
        ("msk_lead", "no"),
        ("lead_title", "director"),
        ("priorities", "none"),
    ] {
        let chosen = b.execute(&format!(
            "return document.querySelector(\"select[name='{var}']\").value;"
        ));
        assert_eq!(chosen, serde_json::json!(val), "{var} kept");
    }
    let csv = ok(foi(&s.data, &["code", "export", "msk-2026"], &[]));
    assert!(!csv.contains("X0004"), "nothing saved: {csv}");

    // A viewer reads the coding; no form.
    let mut v = common::http::Client::new(&s.addr);
    v.login("vic", "a long enough password");
    let page = v.get("/requests/MSK26-X0002").body;
    assert!(page.contains("You can read the coding"), "{page}");
    assert!(
        !page.contains("<select id=\"c-msk_lead\""),
        "no editable select for viewers"
    );
}
