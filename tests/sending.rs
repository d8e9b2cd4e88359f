//! Sending letters through a real SMTP server on loopback (aiosmtpd writing a Maildir).

mod common;

use common::mail::MailPeers;
use common::{bulk_round, env_refs, foi, foi_cmd, ok, stderr, stdout};
use std::collections::HashSet;
use std::time::{Duration, Instant};

fn outbox_json(dir: &std::path::Path, env: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let out = ok(foi(dir, &["outbox", "--format", "json"], env));
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn launching_msk_2026_sends_one_letter_per_body_once() {
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let env = peers.smtp_env();
    let env = env_refs(&env);
    ok(foi(d, &["init"], &env));
    ok(foi(
        d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        &env,
    ));
    let out = ok(foi(
        d,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &env,
    ));
    assert!(out.contains("36 letter(s) queued"), "{out}");
    let out = ok(foi(d, &["send"], &env));
    assert!(out.contains("sent 36,"), "{out}");

    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 36, "one message per body");
    assert!(
        counts.values().all(|&n| n == 1),
        "no duplicates: {counts:?}"
    );
    let msgs = peers.smtp_messages();
    let mut refs = HashSet::new();
    for (_, bytes) in &msgs {
        let text = String::from_utf8_lossy(bytes);
        let r = text
            .lines()
            .find_map(|l| l.strip_prefix("X-FOI-Reference: "))
            .unwrap()
            .to_string();
        assert!(
            text.contains(&format!("[FOI ref {r}]")),
            "token in subject/body"
        );
        assert!(text.contains("X-MailFrom: projects@arma.uk.net"));
        refs.insert(r);
    }
    assert_eq!(refs.len(), 36, "each letter has its own reference");
    assert!(refs.contains("MSK26-S1Y5D"));

    // Launching again sends nothing new.
    let out = ok(foi(d, &["round", "launch", "msk-2026", "--yes"], &env));
    assert!(out.contains("0 letter(s) queued"), "{out}");
    assert_eq!(peers.smtp_messages().len(), 36);

    // Deadlines were recorded from the send date.
    let list = ok(foi(d, &["round", "list", "--format", "json"], &env));
    assert!(list.contains("\"awaiting_response\": 36"), "{list}");
}

#[test]
fn faults_end_in_the_right_states() {
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let env = peers.smtp_env();
    let env = env_refs(&env);
    ok(foi(d, &["init"], &env));
    // Bodies: 1 good, 2 flaky (451, 451, then 250), 3 rejected (550), 4 dropped connection,
    // 5 always 451.
    let locals = ["good", "flaky", "reject", "drop", "tempfail"];
    let (reg, round) = bulk_round(d, "faults", locals.len(), |i| locals[i - 1].to_string());
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "faults",
        ],
        &env,
    ));
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &env));
    ok(foi(
        d,
        &["round", "launch", "faults", "--yes", "--enqueue-only"],
        &env,
    ));
    let out = ok(foi(d, &["send"], &env));
    assert!(out.contains("sent 2, bounced 1, failed 2"), "{out}");

    let items = outbox_json(d, &env);
    let state_of = |local: &str| {
        items
            .iter()
            .find(|i| i["to"].as_str().unwrap().starts_with(local))
            .map(|i| {
                (
                    i["state"].as_str().unwrap().to_string(),
                    i["last_error"].as_str().unwrap_or("").to_string(),
                )
            })
    };
    assert_eq!(state_of("good"), None, "sent messages leave the outbox");
    assert_eq!(state_of("flaky"), None, "451, 451, 250: retried and sent");
    let (s, e) = state_of("reject").unwrap();
    assert_eq!(s, "bounced");
    assert!(
        e.contains("550") && e.contains("Mailbox unavailable"),
        "server text kept: {e}"
    );
    let (s, e) = state_of("drop").unwrap();
    assert_eq!(s, "failed", "{e}");
    let (s, e) = state_of("tempfail").unwrap();
    assert_eq!(s, "failed");
    assert!(e.contains("451"), "{e}");

    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 2);
    assert!(counts.values().all(|&n| n == 1));

    // Retry: the tempfail address now accepts.
    peers.set_rules("rcpt reject*@* * 550 5.1.1 Mailbox unavailable (injected)\n");
    let out = ok(foi(d, &["outbox", "retry", "--all"], &env));
    assert!(out.contains("3 message(s) queued again"), "{out}");
    let out = ok(foi(d, &["send"], &env));
    assert!(out.contains("sent 2, bounced 1"), "{out}");
    assert_eq!(peers.message_id_counts().len(), 4);
}

/// A tiny deterministic PRNG (xorshift), so the kill points vary but a failure can be replayed
/// with the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_during_a_500_letter_launch_never_sends_twice() {
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let env = peers.smtp_env();
    let env = env_refs(&env);
    ok(foi(d, &["init"], &env));
    let (reg, round) = bulk_round(d, "bulk", 500, |i| format!("body{i}"));
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "bulk",
        ],
        &env,
    ));
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &env));
    ok(foi(
        d,
        &["round", "launch", "bulk", "--yes", "--enqueue-only"],
        &env,
    ));

    let seed = std::env::var("FOI_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("kill seed {seed} (FOI_TEST_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let mut kills = 0;
    for _ in 0..25 {
        let mut child = foi_cmd(d, &["send"], &env)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(50 + rng.next() % 400);
        let start = Instant::now();
        while start.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    // A final run drains what is left (and marks what the last kill left mid-send).
    let out = ok(foi(d, &["send"], &env));
    println!("{kills} kills; final run: {out}");

    let items = outbox_json(d, &env);
    for i in &items {
        assert_eq!(
            i["state"], "uncertain",
            "every request is sent or uncertain: {i}"
        );
    }
    let uncertain: HashSet<String> = items
        .iter()
        .map(|i| i["message_id"].as_str().unwrap().to_string())
        .collect();
    let counts = peers.message_id_counts();
    let dupes: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
    assert!(dupes.is_empty(), "a letter was delivered twice: {dupes:?}");
    // Every sent letter is in the Maildir exactly once; an uncertain one at most once.
    assert_eq!(
        counts.len()
            + uncertain
                .iter()
                .filter(|m| !counts.contains_key(*m))
                .count(),
        500
    );
    let list = ok(foi(d, &["round", "list", "--format", "json"], &env));
    let v: serde_json::Value = serde_json::from_str(&list).unwrap();
    let bulk = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "bulk")
        .unwrap();
    let awaiting = bulk["states"]["awaiting_response"].as_u64().unwrap_or(0) as usize;
    assert_eq!(awaiting + uncertain.len(), 500, "{bulk}");

    // An operator resolves the uncertain ones: those the server has are marked sent, the rest
    // resent; still no duplicates and every body has its letter.
    for i in &items {
        let id = i["id"].as_i64().unwrap().to_string();
        let mid = i["message_id"].as_str().unwrap();
        let how = if counts.contains_key(mid) {
            "--sent"
        } else {
            "--resend"
        };
        ok(foi(d, &["outbox", "resolve", &id, how], &env));
    }
    ok(foi(d, &["send"], &env));
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 500);
    assert!(counts.values().all(|&n| n == 1));
    assert!(outbox_json(d, &env).is_empty());
}

#[test]
fn two_workers_on_postgres_deliver_2000_with_no_duplicate_and_none_missing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::PgDb::create());
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let mut env = peers.smtp_env();
    env.push(("FOI_DATABASE_URL".into(), pg.url.clone()));
    let env = env_refs(&env);
    ok(foi_cmd(d, &["init"], &env)
        .env("FOI_DATABASE_URL", &pg.url)
        .output()
        .unwrap());
    let (reg, round) = bulk_round(d, "pg-bulk", 2000, |i| format!("body{i}"));
    let with_pg = |args: &[&str]| {
        foi_cmd(d, args, &env)
            .env("FOI_DATABASE_URL", &pg.url)
            .output()
            .unwrap()
    };
    ok(with_pg(&[
        "authorities",
        "import",
        reg.to_str().unwrap(),
        "--register",
        "pg-bulk",
    ]));
    ok(with_pg(&["round", "create", round.to_str().unwrap()]));
    ok(with_pg(&[
        "round",
        "launch",
        "pg-bulk",
        "--yes",
        "--enqueue-only",
    ]));
    let spawn = || {
        foi_cmd(d, &["send"], &env)
            .env("FOI_DATABASE_URL", &pg.url)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn();
    let b = spawn();
    let (oa, ob) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(
        oa.status.success() && ob.status.success(),
        "{}{}",
        stderr(&oa),
        stderr(&ob)
    );
    let sent = |o: &std::process::Output| {
        let s = stdout(o);
        s.lines()
            .find_map(|l| {
                l.strip_prefix("sent ")
                    .and_then(|r| r.split(',').next())
                    .and_then(|n| n.parse::<u32>().ok())
            })
            .unwrap_or_else(|| panic!("no summary in {s}"))
    };
    let (sa, sb) = (sent(&oa), sent(&ob));
    println!("worker A sent {sa}, worker B sent {sb}");
    assert_eq!(sa + sb, 2000);
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 2000, "none missing");
    assert!(counts.values().all(|&n| n == 1), "no duplicate");
    drop(pg);
}

#[test]
fn a_round_file_or_template_error_names_file_and_line() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    ok(foi(d, &["init"], &[]));
    let bad = d.join("bad.toml");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace("id = \"q2\"", "id = \"q1\"");
    std::fs::write(&bad, &text).unwrap();
    let out = foi(d, &["round", "create", bad.to_str().unwrap()], &[]);
    assert!(!out.status.success());
    let line = text
        .lines()
        .position(|l| l.contains("text = \"What is the job title"))
        .unwrap(); // the line after the id
    assert!(
        stderr(&out).contains(&format!(
            "bad.toml, line {line}: duplicate question id `q1`"
        )),
        "{}",
        stderr(&out)
    );
    let list = ok(foi(d, &["round", "list"], &[]));
    assert!(!list.contains("msk-2026"), "nothing created");

    let unknown = d.join("unknown.toml");
    std::fs::write(
        &unknown,
        text.replace("id = \"q1\"\ntext = \"What", "id = \"q2\"\ntext = \"What")
            .replace("icbs-2026", "icbs-2099"),
    )
    .unwrap();
    let out = foi(d, &["round", "create", unknown.to_str().unwrap()], &[]);
    assert!(
        stderr(&out).contains("unknown register `icbs-2099`"),
        "{}",
        stderr(&out)
    );

    // A template with a missing variable fails at preview with its file and line.
    let tdir = d.join("templates");
    std::fs::create_dir_all(&tdir).unwrap();
    std::fs::write(
        tdir.join("request.txt.hbs"),
        "Dear {{authority.name}},\n{{authority.chief_executive}}\n",
    )
    .unwrap();
    ok(foi(
        d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        &[],
    ));
    let out = foi(
        d,
        &[
            "round",
            "preview",
            "msk-2026",
            "--out",
            d.join("p").to_str().unwrap(),
        ],
        &[("FOI__TEMPLATES__OVERRIDE_DIR", tdir.to_str().unwrap())],
    );
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("request.txt.hbs, line 2") && e.contains("authority.chief_executive"),
        "{e}"
    );
}

#[test]
fn a_one_off_send_stops_at_the_daily_limit_and_leaves_the_rest_queued() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path();
    let env = [("FOI__SEND__PER_MINUTE", "0"), ("FOI__SEND__PER_DAY", "2")];
    ok(foi(d, &["init"], &env));
    let (reg, round) = bulk_round(d, "limit", 5, |i| format!("b{i}"));
    ok(foi(
        d,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "limit",
        ],
        &env,
    ));
    ok(foi(d, &["round", "create", round.to_str().unwrap()], &env));
    ok(foi(
        d,
        &["round", "launch", "limit", "--yes", "--enqueue-only"],
        &env,
    ));
    let out = ok(foi(d, &["send"], &env));
    assert!(out.contains("sent 2,"), "{out}");
    assert!(out.contains("3 message(s) still queued"), "{out}");
    let items = outbox_json(d, &env);
    assert_eq!(items.iter().filter(|i| i["state"] == "queued").count(), 3);
}

/// A held launch (`--hold`): nothing goes during the round's call-back window; `foi round
/// cancel` withdraws every letter and makes the round a draft again (the SMTP peer has
/// received nothing); launched again, each letter reaches the peer once after the window,
/// and a cancel then withdraws nothing and lists what has gone.
#[test]
fn a_held_launch_can_be_called_back_and_nothing_goes_until_its_window_ends() {
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let d = dir.join("data");
    let owned = peers.smtp_env();
    let env = env_refs(&owned);
    let on = |day: &str, args: &[&str]| {
        let mut e = env.clone();
        e.push(("FOI_TODAY", day));
        ok(foi(&d, args, &e))
    };
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_on(dir, &d, "held", csv, "launch = { hold_minutes = 30 }", &env);
    let out = on(
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--hold"],
    );
    assert!(
        out.contains("3 letter(s) queued; none goes before"),
        "{out}"
    );
    let out = on("2026-05-05", &["send"]);
    assert!(out.contains("not due yet"), "{out}");
    assert!(
        peers.smtp_messages().is_empty(),
        "nothing goes in the window"
    );

    let out = on("2026-05-05", &["round", "cancel", "msk-2026"]);
    assert!(
        out.contains("3 letter(s) withdrawn") && out.contains("is a draft again"),
        "{out}"
    );
    assert_eq!(
        on("2026-05-05", &["outbox", "--format", "json"]).trim(),
        "[]"
    );
    let shown = on(
        "2026-05-05",
        &["request", "show", "MSK26-X0001", "--format", "json"],
    );
    assert!(shown.contains("launch_cancelled"), "{shown}");
    let list: serde_json::Value =
        serde_json::from_str(&on("2026-05-05", &["round", "list", "--format", "json"])).unwrap();
    assert_eq!(list[0]["launched_at"], serde_json::Value::Null, "{list}");

    // Launched again: after the window, each letter reaches the peer once.
    on(
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--hold"],
    );
    let list: serde_json::Value =
        serde_json::from_str(&on("2026-05-05", &["round", "list", "--format", "json"])).unwrap();
    assert!(list[0]["launched_at"].is_string(), "launched again: {list}");
    on("2026-05-05", &["send"]);
    assert!(peers.smtp_messages().is_empty());
    let out = on("2026-05-06", &["send"]);
    assert!(out.contains("sent 3"), "{out}");
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|&n| n == 1));
    let out = on("2026-05-06", &["round", "cancel", "msk-2026"]);
    assert!(
        out.contains("0 letter(s) withdrawn")
            && out.contains("3 letter(s) had already gone")
            && out.contains("MSK26-X0001"),
        "{out}"
    );
}

/// From the dashboard, in a real browser: a draft round's board offers "Review and launch";
/// the review shows who gets a letter and the letter for a chosen body; "Launch" holds the
/// letters with a countdown and "Cancel launch" (the SMTP peer has received nothing); launched
/// again, the letters reach the peer once each after the window. axe-core on both pages.
#[test]
fn a_round_is_reviewed_launched_and_called_back_from_the_dashboard() {
    use common::webdriver::{axe_source, axe_violations, Browser};
    let peers = MailPeers::start();
    let data = tempfile::tempdir().unwrap();
    let dir = data.path();
    let d = dir.join("data");
    let owned = peers.smtp_env();
    let env = env_refs(&owned);
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\n";
    common::msk_round_on(dir, &d, "webl", csv, "", &env);
    let mut web_env = env.clone();
    web_env.push(("FOI_TODAY", "2026-05-05"));
    let (_serve, web) = common::dashboard(&d, &web_env, "editor");
    let b = Browser::start();
    let axe = axe_source();
    let base = format!("http://{}", web.addr);
    b.goto(&format!("{base}/login"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/login'] button");
    b.wait_for("<h1>Rounds</h1>");
    // A draft request's page shows the letter that will go.
    b.goto(&format!("{base}/requests/MSK26-X0001"));
    let draft = b.wait_for("The letter that will go");
    assert!(draft.contains("foi@body1.example") && draft.contains("[FOI ref MSK26-X0001]"));
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "a draft request's page: {v:?}");
    b.goto(&format!("{base}/rounds/msk-2026"));
    b.wait_for("A draft: no letter has gone.");
    b.click("a[href='/rounds/msk-2026/launch']");
    let review = b.wait_for("2 letter(s) will go");
    assert!(review.contains("The letter to Body 1, exactly as it will go"));
    assert!(review.contains("foi@body1.example"));
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the review: {v:?}");
    b.goto(&format!("{base}/rounds/msk-2026/launch?body=MSK26-X0002"));
    let other = b.wait_for("The letter to Body 2, exactly as it will go");
    assert!(other.contains("foi@body2.example"));
    b.click("form[method=post][action='/rounds/msk-2026/launch'] button");
    b.wait_for("Cancel launch");
    let v = axe_violations(&b, &axe);
    assert!(v.is_empty(), "the call-back window: {v:?}");
    // The server's own worker does not send during the window.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        peers.smtp_messages().is_empty(),
        "nothing goes in the window"
    );
    b.click("form[action='/rounds/msk-2026/cancel'] button");
    b.wait_for("Launch called back");
    let on = |day: &str, args: &[&str]| {
        let mut e = env.clone();
        e.push(("FOI_TODAY", day));
        ok(foi(&d, args, &e))
    };
    assert_eq!(
        on("2026-05-05", &["outbox", "--format", "json"]).trim(),
        "[]"
    );
    assert!(peers.smtp_messages().is_empty());
    b.click("form[method=post][action='/rounds/msk-2026/launch'] button");
    b.wait_for("Cancel launch");
    drop(_serve);
    let out = on("2026-05-06", &["send"]);
    assert!(out.contains("sent 2"), "{out}");
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 2);
    assert!(counts.values().all(|&n| n == 1));
}
