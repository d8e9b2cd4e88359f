//! Reports and rounds a policy team can trust: rounds that are history cannot be launched,
//! partial coding is never reported as if it were the whole round.

mod common;

use common::{foi, ok, stderr};

#[test]
fn a_historical_round_cannot_be_launched_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    ok(foi(
        &d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        &[],
    ));
    for args in [
        vec!["round", "launch", "arma-msk-2024", "--yes"],
        vec!["round", "launch", "arma-msk-2024", "--dry-run"],
        vec![
            "round",
            "preview",
            "arma-msk-2024",
            "--out",
            "/nonexistent/x",
        ],
    ] {
        let o = foi(&d, &args, &[]);
        assert!(!o.status.success(), "{args:?} must refuse");
        let e = stderr(&o);
        assert!(
            e.contains("round arma-msk-2024 is a historical record") && e.contains("not launched"),
            "{args:?}: {e}"
        );
    }
    let out = ok(foi(&d, &["outbox", "--format", "json"], &[]));
    assert_eq!(out.trim(), "[]", "nothing queued");
    // Its board says what remains to do: coding, not launching.
    let status = ok(foi(&d, &["status", "arma-msk-2024"], &[]));
    assert!(!status.contains("launch"), "{status}");
    assert!(
        status.contains("code the response (imported record)"),
        "{status}"
    );

    // A letters round on the 2024 register is refused too, naming an abolished body's successor.
    let text = std::fs::read_to_string("config/rounds/msk-2026.toml")
        .unwrap()
        .replace("register = \"icbs-2026\"", "register = \"icbs-2024\"")
        .replace("slug = \"msk-2026\"", "slug = \"old-register\"");
    let f = dir.path().join("old.toml");
    std::fs::write(&f, text).unwrap();
    ok(foi(&d, &["round", "create", f.to_str().unwrap()], &[]));
    let o = foi(&d, &["round", "launch", "old-register", "--yes"], &[]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("lists 12 abolished bodies")
            && e.contains("succeeded by")
            && e.contains("current register"),
        "{e}"
    );
}

#[test]
fn a_report_with_4_of_36_coded_is_marked_provisional_and_makes_no_headline_claims() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let today = [("FOI_TODAY", "2026-11-02"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(&d, &["init"], &today));
    ok(foi(
        &d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        &today,
    ));
    // Letters out (file transport), then 8 bodies answer.
    ok(foi(
        &d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &today,
    ));
    ok(foi(&d, &["send"], &today));
    let status: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["status", "msk-2026", "--format", "json"],
        &today,
    )))
    .unwrap();
    let rows = status.as_array().unwrap();
    assert_eq!(rows.len(), 36);
    let later = [("FOI_TODAY", "2026-11-20")];
    let answered: Vec<(String, String)> = rows[..8]
        .iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().to_string(),
                r["authority"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (reference, _) in &answered {
        ok(foi(
            &d,
            &["request", "set", reference, "answered_full"],
            &later,
        ));
    }
    // The first 4 of those are coded, from the 2026 fixture's rows for them.
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/msk-2026-codings.csv"
    ))
    .unwrap();
    let coded: Vec<&str> = answered[..4].iter().map(|(_, a)| a.as_str()).collect();
    let mut csv = String::from("authority,variable,value\n");
    let mut no_lead = 0;
    for line in fixture.lines().skip(1) {
        let code = line.split(',').next().unwrap();
        if coded.contains(&code) {
            csv.push_str(line);
            csv.push('\n');
            if line.ends_with(",msk_lead,no") {
                no_lead += 1;
            }
        }
    }
    let f = dir.path().join("four.csv");
    std::fs::write(&f, csv).unwrap();
    ok(foi(
        &d,
        &["code", "import", "msk-2026", f.to_str().unwrap()],
        &later,
    ));

    let md = ok(foi(&d, &["report", "msk-2026"], &later));
    let banner = "Coding complete for 4 of 36 ICBs (28 responses not yet received, 4 received and not coded).";
    assert!(
        md.contains("**Provisional.**") && md.contains(banner),
        "{md}"
    );
    // No headline sentence rests on 4 bodies.
    for claim in [
        "said they had no MSK lead",
        "This means that",
        "have no MSK lead",
        "We received responses from",
        "in four",
        "in ten",
    ] {
        assert!(
            !md.contains(claim),
            "`{claim}` printed with 4 of 36 coded:\n{md}"
        );
    }
    assert!(
        md.contains(
            "The headline findings are written here once every one of the 36 ICBs is coded"
        ),
        "{md}"
    );
    // Bases are the coded bodies only, and say how many are still to code.
    assert!(
        md.contains("Base: the 4 ICBs coded so far (32 more to code)."),
        "{md}"
    );
    let j: serde_json::Value = serde_json::from_str(&ok(foi(
        &d,
        &["report", "msk-2026", "--format", "json"],
        &later,
    )))
    .unwrap();
    assert_eq!(j["variables"]["msk_lead"]["base"], 4);
    assert_eq!(j["indicators"]["no_lead"]["base"], 4);
    assert_eq!(j["indicators"]["no_lead"]["count"], no_lead);
    assert_eq!(j["coverage"]["coded"], 4);
    assert_eq!(j["coverage"]["not_received"], 28);
    assert_eq!(j["coverage"]["not_coded"], 4);
    assert_eq!(j["coverage"]["complete"], false);
    // The CSV carries the coverage rows before any number.
    let csv = ok(foi(&d, &["report", "msk-2026", "--format", "csv"], &later));
    let second = csv.lines().nth(1).unwrap();
    assert!(
        second.starts_with("msk-2026,coverage,coded,,") && second.ends_with(",4,36,11.1"),
        "{csv}"
    );
    // The HTML report has the banner too.
    let html = ok(foi(&d, &["report", "msk-2026", "--format", "html"], &later));
    assert!(
        html.contains("class=\"provisional\"") && html.contains(banner),
        "{html}"
    );

    // A comparison says what its percentages are of.
    ok(foi(
        &d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        &later,
    ));
    ok(foi(
        &d,
        &[
            "code",
            "import",
            "arma-msk-2024",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/arma-msk-2024-codings.csv"
            ),
        ],
        &later,
    ));
    let cmp = ok(foi(
        &d,
        &["report", "msk-2026", "--compare", "arma-msk-2024"],
        &later,
    ));
    assert!(
        cmp.contains("Each percentage is of the bodies coded for that variable in that round"),
        "{cmp}"
    );
    // The complete 2024 round has no banner.
    let full = ok(foi(&d, &["report", "arma-msk-2024"], &later));
    assert!(!full.contains("Provisional"), "{full}");
    assert!(
        full.contains("Twelve ICBs said they had no MSK lead"),
        "{full}"
    );

    // One more answered body partly coded: the board says how far, not "code the response"
    // (2 answers given; a multiple-choice question left empty is not coded, "none of these"
    // being an answer of its own; 10 questions apply with a lead).
    ok(foi(
        &d,
        &[
            "code",
            "set",
            &answered[4].0,
            "msk_lead=yes",
            "priorities=specific",
        ],
        &later,
    ));
    let status = ok(foi(&d, &["status", "msk-2026"], &later));
    let line = |code: &str| {
        status
            .lines()
            .find(|l| l.starts_with(code))
            .unwrap()
            .to_string()
    };
    assert!(
        line(&answered[4].1).contains("partly coded: 2 of 10"),
        "{status}"
    );
    assert!(
        line(&answered[0].1).trim_end().ends_with("coded"),
        "{status}"
    );
    assert!(
        line(&answered[5].1).contains("code the response"),
        "{status}"
    );
}

#[test]
fn users_can_be_listed_disabled_enabled_and_given_a_new_password() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let pw = [("FOI_NEW_PASSWORD", "a long enough password")];
    ok(foi(&d, &["user", "add", "ann", "--role", "editor"], &pw));
    ok(foi(&d, &["user", "add", "vic"], &pw));
    let list = ok(foi(&d, &["user", "list"], &[]));
    assert!(
        list.contains("ann") && list.contains("editor") && list.contains("can log in"),
        "{list}"
    );
    // The service: prints which jobs run, and /health says "not configured" for a job with
    // nothing set up, not "ok".
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let out = dir.path().join("serve.out");
    let child = common::foi_cmd(&d, &["serve"], &[("FOI__WEB__BIND", &addr)])
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _serve = common::Serve(child);
    let start = std::time::Instant::now();
    let health = loop {
        let h = common::http::wait_ok(&addr, "/health", 30);
        if h.body.contains("inbox_poll") || start.elapsed().as_secs() > 20 {
            break h;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let v: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    let poll = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "inbox_poll")
        .expect("inbox poll ran");
    assert_eq!(poll["outcome"], "not configured", "{poll}");
    let printed = std::fs::read_to_string(&out).unwrap();
    assert!(
        printed.contains("job: inbox poll: off (no [imap] host)"),
        "{printed}"
    );
    assert!(
        printed.contains("job: deadline check and chasers: on"),
        "{printed}"
    );

    // Disabled: cannot log in, and the existing session ends.
    let mut web = common::http::Client::new(&addr);
    web.login("vic", "a long enough password");
    assert_eq!(web.get("/").status, 200);
    ok(foi(&d, &["user", "disable", "vic"], &[]));
    assert_eq!(web.get("/").status, 303, "the session ended");
    let r = common::http::Client::new(&addr).post(
        "/login",
        &[("name", "vic"), ("password", "a long enough password")],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.contains("This account has been disabled"),
        "{}",
        r.body
    );
    assert!(ok(foi(&d, &["user", "list"], &[])).contains("disabled since"));
    ok(foi(&d, &["user", "enable", "vic"], &[]));
    common::http::Client::new(&addr).login("vic", "a long enough password");
    // A new password: the old one stops working.
    ok(foi(
        &d,
        &["user", "reset-password", "vic"],
        &[("FOI_NEW_PASSWORD", "another long password")],
    ));
    let r = common::http::Client::new(&addr).post(
        "/login",
        &[("name", "vic"), ("password", "a long enough password")],
    );
    assert_eq!(r.status, 401);
    common::http::Client::new(&addr).login("vic", "another long password");
    let e = stderr(&foi(&d, &["user", "disable", "nobody"], &[]));
    assert!(e.contains("no user `nobody`"), "{e}");
}
