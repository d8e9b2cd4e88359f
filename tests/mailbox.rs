//! The team's mailbox over OAuth 2.0 (XOAUTH2), against real servers on loopback: Dovecot with
//! an `oauth2` passdb and an SMTP server that accepts only AUTH XOAUTH2, both checking tokens
//! at the introspection endpoint of a local authorization server (tests/common/oauth.rs).
//! Every command runs with FOI_LOG=trace; no token may appear in any output, log or database.

mod common;

use common::mail::MailPeers;
use common::oauth::OAuthServer;
use common::{env_refs, foi_cmd, stderr, stdout};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

const USER: &str = "foi@example.org";

struct Rig {
    peers: MailPeers,
    auth: OAuthServer,
    _dir: tempfile::TempDir,
    dir: PathBuf,
    data: PathBuf,
    env: Vec<(String, String)>,
    /// Everything every command printed.
    printed: RefCell<Vec<u8>>,
}

impl Rig {
    /// Servers up, `foi` configured for XOAUTH2 on IMAP and SMTP (not yet signed in).
    fn new(access_ttl: Duration) -> Rig {
        let auth = OAuthServer::start(USER, access_ttl);
        let introspect = format!("{}/introspect", auth.url);
        let peers = MailPeers::start_with(&[
            ("MAIL_USER", USER),
            ("OAUTH2_INTROSPECTION_URL", &introspect),
            ("SMTP_LOCAL_ADDRESS", USER),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut env = auth.env();
        env.extend([
            ("FOI_LOG".into(), "trace".into()),
            ("FOI__SMTP__TRANSPORT".into(), "smtp".into()),
            ("FOI__SMTP__HOST".into(), "127.0.0.1".into()),
            ("FOI__SMTP__PORT".into(), peers.get("SMTP_PORT").into()),
            ("FOI__SMTP__SECURITY".into(), "none".into()),
            ("FOI__SMTP__USERNAME".into(), USER.into()),
            ("FOI__SMTP__AUTH".into(), "xoauth2".into()),
            ("FOI__SMTP__TIMEOUT_SECS".into(), "10".into()),
            ("FOI__IMAP__HOST".into(), "127.0.0.1".into()),
            ("FOI__IMAP__PORT".into(), peers.get("IMAP_PORT").into()),
            ("FOI__IMAP__SECURITY".into(), "none".into()),
            ("FOI__IMAP__USERNAME".into(), USER.into()),
            ("FOI__IMAP__AUTH".into(), "xoauth2".into()),
            ("FOI__SEND__PER_MINUTE".into(), "0".into()),
            ("FOI__SEND__BACKOFF_BASE_SECS".into(), "0".into()),
            ("FOI__SEND__MAX_ATTEMPTS".into(), "3".into()),
        ]);
        Rig {
            peers,
            auth,
            dir: dir.path().to_path_buf(),
            _dir: dir,
            data,
            env,
            printed: RefCell::new(Vec::new()),
        }
    }

    fn set(&mut self, k: &str, v: &str) {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
    }

    fn run(&self, args: &[&str]) -> Output {
        let o = foi_cmd(&self.data, args, &env_refs(&self.env))
            .output()
            .expect("run foi");
        let mut p = self.printed.borrow_mut();
        p.extend_from_slice(&o.stdout);
        p.extend_from_slice(&o.stderr);
        o
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "foi {args:?} failed:\n{}\n{}",
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    }

    /// `foi mailbox login`, approved by the server at the first poll.
    fn login(&self) {
        self.auth.set_auto_approve(true);
        let out = self.ok(&["mailbox", "login"]);
        assert!(out.contains("Signed in"), "{out}");
    }

    /// A bulk round of `n` letters, queued.
    fn queue(&self, slug: &str, n: usize) {
        common::queue_bulk_round(&self.dir, &self.data, slug, n, &env_refs(&self.env));
    }

    fn outbox(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["outbox", "--format", "json"])).unwrap()
    }

    /// No token in anything printed, nor anywhere in the data directory but the token file.
    fn assert_no_tokens(&self, extra_logs: &[&Path]) {
        self.auth
            .assert_no_token_in("command output", &self.printed.borrow());
        for p in extra_logs {
            self.auth
                .assert_no_token_in(&p.display().to_string(), &std::fs::read(p).unwrap());
        }
        let mut stack = vec![self.data.clone()];
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().unwrap() != "mailbox-tokens.json" {
                    files += 1;
                    self.auth
                        .assert_no_token_in(&p.display().to_string(), &std::fs::read(&p).unwrap());
                }
            }
        }
        assert!(files > 0, "the data directory was searched");
    }

    /// A reply to the delivered letter with this Message-ID, dropped into the IMAP INBOX.
    fn drop_reply_to(&self, letter: &[u8], n: usize) {
        let text = String::from_utf8_lossy(letter);
        let header = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        let to = header("X-RcptTo");
        let eml = format!(
            "From: {to}\r\nTo: {}\r\nSubject: Re: {}\r\nMessage-ID: <reply-{n}-{}@body.example>\r\nIn-Reply-To: {}\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nThank you for your request. We will reply within 20 working days.\r\n",
            header("From"),
            header("Subject"),
            std::process::id(),
            header("Message-ID"),
        );
        let f = self.dir.join(format!("reply-{n}.eml"));
        std::fs::write(&f, eml).unwrap();
        self.peers.drop_into_inbox(&f);
    }

    /// Starts `foi serve` (FOI_LOG=trace to `serve.log`, stdout to `serve.out`) on a free
    /// port; returns it, its address and its log file.
    fn serve(&self) -> (common::Serve, String, PathBuf) {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let addr = format!("127.0.0.1:{port}");
        let log = self.dir.join("serve.log");
        let mut env = env_refs(&self.env);
        env.push(("FOI__WEB__BIND", &addr));
        let child = foi_cmd(&self.data, &["serve"], &env)
            .stdout(std::fs::File::create(self.dir.join("serve.out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        (common::Serve(child), addr, log)
    }

    fn inbox(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&self.ok(&["inbox", "--format", "json"])).unwrap()
    }
}

fn sent_states(outbox: &[serde_json::Value]) -> Vec<String> {
    outbox
        .iter()
        .map(|m| m["state"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn with_xoauth2_and_two_second_tokens_a_round_goes_out_and_replies_come_in() {
    let mut rig = Rig::new(Duration::from_secs(2));
    rig.login();
    let token_file = rig.data.join("mailbox-tokens.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the token file is owner-only");
    }
    rig.queue("oauth-round", 12);
    // One letter every 0.6 s, one at a time: the run lasts several token lifetimes.
    rig.set("FOI__SEND__PER_MINUTE", "100");
    rig.set("FOI__SEND__CONCURRENCY", "1");
    let before = rig.auth.refresh_grants();
    let started = Instant::now();
    let out = rig.ok(&["send"]);
    let took = started.elapsed();
    assert!(out.contains("sent 12"), "{out}");
    let refreshes = rig.auth.refresh_grants() - before;
    eprintln!("12 letters over {took:?} with 2-second tokens: {refreshes} refreshes");
    assert!(
        refreshes >= 3,
        "a {took:?} delivery with 2-second tokens refreshed {refreshes} times"
    );
    // Every letter delivered once, each SMTP session signed in with XOAUTH2.
    let counts = rig.peers.message_id_counts();
    assert_eq!(counts.len(), 12);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    let auths: Vec<_> = rig
        .peers
        .smtp_events()
        .into_iter()
        .filter(|e| e["stage"] == "auth")
        .collect();
    assert!(auths.len() >= 3, "{auths:?}");
    assert!(auths
        .iter()
        .all(|e| e["mechanism"] == "XOAUTH2" && e["ok"] == true && e["user"] == USER));
    assert!(sent_states(&rig.outbox()).iter().all(|s| s == "sent"));

    // Replies come in over IMAP, signed in with XOAUTH2.
    let letters = rig.peers.smtp_messages();
    rig.drop_reply_to(&letters[0].1, 1);
    rig.drop_reply_to(&letters[1].1, 2);
    let out = rig.ok(&["ingest", "--imap", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seen"], 2, "{out}");
    assert_eq!(v["matched"], 2, "{out}");
    let dovecot = std::fs::read_to_string(rig.peers.dir.join("dovecot.log")).unwrap();
    assert!(
        dovecot.contains("Login: user=<foi@example.org>, method=XOAUTH2"),
        "Dovecot saw an XOAUTH2 login:\n{dovecot}"
    );
    // The tokens survive a restart of foi: another command needs no new sign-in.
    assert!(rig.ok(&["mailbox", "status"]).contains("is signed in"));
    rig.assert_no_tokens(&[]);
}

#[test]
fn a_revoked_sign_in_stops_sending_and_letters_wait_until_login_again() {
    let rig = Rig::new(Duration::from_secs(30));
    rig.login();
    rig.queue("revoked", 4);
    rig.auth.revoke_all();

    let o = rig.run(&["send"]);
    assert!(!o.status.success(), "foi send must fail: {}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the mailbox foi@example.org needs signing in again")
            && err.contains("foi mailbox login")
            && err.contains("4 letter(s) stay queued"),
        "{err}"
    );
    // Nothing was marked sent, failed or bounced, and no attempt was counted.
    let outbox = rig.outbox();
    assert_eq!(sent_states(&outbox), vec!["queued"; 4]);
    assert!(outbox.iter().all(|m| m["attempts"] == 0), "{outbox:?}");
    assert!(rig.peers.smtp_messages().is_empty());

    // The service keeps running, says what is wrong, and sends nothing.
    let (serve, addr, log) = rig.serve();
    let start = Instant::now();
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "foi serve did not listen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = loop {
        let r = common::http::Client::new(&addr).get("/health");
        if r.status == 503 && r.body.contains("delivery_worker") {
            break r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "health: {} {}",
            r.status,
            r.body
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        health
            .body
            .contains("the mailbox foi@example.org needs signing in again"),
        "{}",
        health.body
    );
    let v: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    assert_eq!(v["mailbox"]["status"], "needs_login");
    // The dashboard says so on every page, in words.
    let mut env = env_refs(&rig.env);
    env.push(("FOI_NEW_PASSWORD", "a long enough password 1"));
    common::ok(common::foi(
        &rig.data,
        &["user", "add", "alice", "--role", "editor"],
        &env,
    ));
    let mut web = common::http::Client::new(&addr);
    web.login("alice", "a long enough password 1");
    for page in ["/", "/outbox"] {
        let body = web.get(page).body;
        assert!(
            body.contains("Nothing is being sent or received.")
                && body.contains("The mailbox foi@example.org needs signing in again"),
            "{page}: {body}"
        );
    }
    drop(serve);
    let printed = std::fs::read_to_string(rig.dir.join("serve.out")).unwrap();
    assert!(printed.contains("needs signing in again"), "{printed}");
    assert_eq!(sent_states(&rig.outbox()), vec!["queued"; 4]);
    // The digest says so too.
    let digest = rig.ok(&["digest", "--dry-run"]);
    assert!(
        digest.contains("ACTION NEEDED: the mailbox foi@example.org needs signing in again"),
        "{digest}"
    );

    // Signing in again lets the same letters go, once each.
    rig.login();
    let out = rig.ok(&["send"]);
    assert!(out.contains("sent 4"), "{out}");
    let counts = rig.peers.message_id_counts();
    assert_eq!(counts.len(), 4);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert!(sent_states(&rig.outbox()).iter().all(|s| s == "sent"));
    rig.assert_no_tokens(&[&log]);
}

#[test]
fn a_token_refused_before_its_time_is_replaced_once_and_the_letter_goes() {
    let rig = Rig::new(Duration::from_secs(600));
    rig.login();
    rig.queue("early", 2);
    rig.ok(&["send"]);
    // The provider ends the access token early; foi still holds it as valid.
    rig.auth.revoke_access_tokens();
    rig.queue("early-2", 1);
    let before = rig.auth.refresh_grants();
    let out = rig.ok(&["send"]);
    assert!(out.contains("sent 1"), "{out}");
    assert_eq!(
        rig.auth.refresh_grants() - before,
        1,
        "one refresh after the refusal"
    );
    // Reading replies recovers the same way.
    rig.auth.revoke_access_tokens();
    let v: serde_json::Value =
        serde_json::from_str(&rig.ok(&["ingest", "--imap", "--format", "json"])).unwrap();
    assert_eq!(v["seen"], 0);
    assert_eq!(rig.auth.refresh_grants() - before, 2);
    assert_eq!(rig.peers.message_id_counts().len(), 3);
    rig.assert_no_tokens(&[]);
}

#[test]
fn device_sign_in_waits_through_pending_and_slow_down() {
    let rig = Rig::new(Duration::from_secs(60));
    rig.auth.set_slow_down_once(true);
    let mut child = foi_cmd(&rig.data, &["mailbox", "login"], &env_refs(&rig.env))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the code as the person would, from the first line.
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("https://login.example/device"), "{first}");
    let code = first.rsplit(' ').next().unwrap().to_string();
    // Let it poll: pending, then slow down, then pending again.
    let start = Instant::now();
    while rig.auth.device_answers().len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            rig.auth.device_answers()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        rig.auth.approve(&code),
        "the printed code {code} is the one issued"
    );
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{rest:?}\n{err}");
    let answers = rig.auth.device_answers();
    assert_eq!(
        answers[..3],
        [
            "authorization_pending",
            "slow_down",
            "authorization_pending"
        ]
    );
    assert_eq!(answers.last().unwrap(), "success");
    // After slow_down the client waited longer between polls (RFC 8628 §3.5: +5 s).
    assert!(
        start.elapsed() >= Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(rest.iter().any(|l| l.starts_with("Signed in")), "{rest:?}");
    rig.auth.assert_no_token_in(
        "login output",
        format!("{first}\n{rest:?}\n{err}").as_bytes(),
    );
    // Signed in: the mailbox works.
    let out = rig.ok(&["mailbox", "test"]);
    assert!(
        out.contains("Everything foi needs from the mailbox works"),
        "{out}"
    );
    // Signing out forgets the tokens; nothing is sent until someone signs in again.
    assert!(rig.ok(&["mailbox", "logout"]).contains("Signed out"));
    assert!(!rig.data.join("mailbox-tokens.json").exists());
    rig.queue("after-logout", 1);
    let o = rig.run(&["send"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("nobody has signed in yet"),
        "{}",
        stderr(&o)
    );
    assert!(rig.peers.smtp_messages().is_empty());
    rig.assert_no_tokens(&[]);
}

#[test]
fn app_only_sign_in_uses_the_client_secret_from_the_environment() {
    let mut rig = Rig::new(Duration::from_secs(60));
    rig.set("FOI__OAUTH__FLOW", "client_credentials");
    // Without the secret: a clear error before anything is tried.
    rig.queue("app-only", 3);
    let o = rig.run(&["send"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("FOI_OAUTH_CLIENT_SECRET"),
        "{}",
        stderr(&o)
    );
    assert_eq!(sent_states(&rig.outbox()), vec!["queued"; 3]);
    let secret = rig.auth.client_secret();
    rig.set("FOI_OAUTH_CLIENT_SECRET", &secret);
    let out = rig.ok(&["send"]);
    assert!(out.contains("sent 3"), "{out}");
    assert!(rig.auth.client_grants() >= 1);
    assert_eq!(rig.auth.refresh_grants(), 0, "no person's sign-in involved");
    // A wrong secret is named as the problem, with what to do.
    rig.set("FOI_OAUTH_CLIENT_SECRET", "not-the-secret");
    let o = rig.run(&["mailbox", "test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("the app's client id or secret was not accepted"),
        "{}",
        stdout(&o)
    );
    // The secret itself is never printed or stored.
    let printed = rig.printed.borrow().clone();
    assert!(!String::from_utf8_lossy(&printed).contains(&secret));
    rig.assert_no_tokens(&[]);
}

#[test]
fn idle_brings_a_reply_in_within_seconds_across_token_refreshes() {
    let mut rig = Rig::new(Duration::from_secs(2));
    rig.login();
    rig.queue("idle-round", 2);
    rig.ok(&["send"]);
    // The scheduled poll is far away: only IDLE can bring the reply in quickly.
    rig.set("FOI__SCHEDULE__INBOX_POLL", "0 0 3 1 1 *");
    let (serve, addr, log) = rig.serve();
    common::http::wait_ok(&addr, "/health", 30);
    let before = rig.auth.refresh_grants();
    // Several token lifetimes pass with the IDLE session open.
    std::thread::sleep(Duration::from_secs(5));
    let letters = rig.peers.smtp_messages();
    let dropped = Instant::now();
    rig.drop_reply_to(&letters[0].1, 1);
    let took = loop {
        if rig.inbox().len() == 1 {
            break dropped.elapsed();
        }
        assert!(
            dropped.elapsed() < Duration::from_secs(60),
            "the reply never came in"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let refreshes = rig.auth.refresh_grants() - before;
    eprintln!("reply ingested {took:?} after it arrived (IMAP IDLE); {refreshes} token refreshes while serving");
    assert!(
        refreshes >= 2,
        "the IDLE session renewed its sign-in: {refreshes}"
    );
    // A second reply after more refreshes, and no message twice.
    std::thread::sleep(Duration::from_secs(3));
    rig.drop_reply_to(&letters[1].1, 2);
    let start = Instant::now();
    while rig.inbox().len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the second reply never came in"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let health = common::http::Client::new(&addr).get("/health");
    assert_eq!(health.status, 200, "{}", health.body);
    drop(serve);
    // The scheduled poll afterwards finds nothing new: IDLE and the poll share what was read.
    let out = rig.ok(&["ingest", "--imap", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seen"], 0, "{out}");
    assert_eq!(rig.inbox().len(), 2);
    let printed = std::fs::read_to_string(rig.dir.join("serve.out")).unwrap();
    assert!(printed.contains("as they arrive (IMAP IDLE)"), "{printed}");
    rig.assert_no_tokens(&[&log]);
}

#[test]
fn mailbox_test_says_what_works_and_what_does_not() {
    let mut rig = Rig::new(Duration::from_secs(60));
    rig.set("FOI__SMTP__SAVE_SENT_TO", "Sent");
    rig.login();
    let out = rig.ok(&["mailbox", "test", "--send-to", USER, "--wait", "20"]);
    for step in [
        "ok    OAuth renew the sign-in",
        "ok    IMAP  connect to port",
        "ok    IMAP  sign in as foi@example.org: OAuth (XOAUTH2)",
        "ok    IMAP  open folder INBOX",
        "ok    IMAP  folder Sent exists",
        "ok    SMTP  sign in as foi@example.org: OAuth (XOAUTH2)",
        "ok    SMTP  send a test message to foi@example.org",
        "ok    IMAP  the test message arrives in INBOX",
    ] {
        assert!(out.contains(step), "missing `{step}` in:\n{out}");
    }

    // A letter delivered with save_sent_to also lands in Sent.
    rig.queue("sent-copy", 1);
    rig.ok(&["send"]);
    let sent = Path::new(rig.peers.get("IMAP_MAILDIR")).join(".Sent");
    let copies: usize = ["new", "cur"]
        .iter()
        .map(|d| {
            std::fs::read_dir(sent.join(d))
                .map(|r| r.count())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(copies, 1, "one copy of the delivered letter in Sent");

    // Microsoft's "SMTP AUTH disabled" refusal is explained in words.
    rig.peers.set_rules(&format!(
        "auth {USER} * 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.\n"
    ));
    let o = rig.run(&["mailbox", "test"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL  SMTP  sign in as foi@example.org")
            && out.contains("5.7.139")
            && out.contains("turn on \"Authenticated SMTP\" for the mailbox"),
        "{out}"
    );
    assert!(
        out.contains("ok    IMAP  sign in as foi@example.org"),
        "{out}"
    );
    rig.peers.set_rules("");

    // The wrong port: the connection step fails, later steps are not pretended.
    rig.set("FOI__SMTP__PORT", "1");
    let o = rig.run(&["mailbox", "test"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL  SMTP  connect to port 1"), "{out}");
    assert!(!out.contains("SMTP  sign in"), "{out}");

    // A revoked sign-in: said in words, with what to do.
    let port = rig.peers.get("SMTP_PORT").to_string();
    rig.set("FOI__SMTP__PORT", &port);
    rig.auth.revoke_all();
    let o = rig.run(&["mailbox", "test"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "FAIL  OAuth renew the sign-in: the mailbox foi@example.org needs signing in again"
        ),
        "{out}"
    );
    assert!(out.contains("foi mailbox login"), "{out}");
    rig.assert_no_tokens(&[]);
}

#[test]
fn password_sign_in_still_works_beside_oauth() {
    // The OAuth-capable Dovecot still takes passwords; SMTP with password on the plain peer.
    let rig = Rig::new(Duration::from_secs(60));
    let plain = MailPeers::start();
    let mut env: Vec<(String, String)> = rig
        .env
        .iter()
        .filter(|(k, _)| !k.starts_with("FOI__SMTP__") && k != "FOI__IMAP__AUTH")
        .cloned()
        .collect();
    env.extend(plain.smtp_env());
    env.extend([
        ("FOI__SMTP__USERNAME".into(), plain.get("MAIL_USER").into()),
        ("FOI_SMTP_PASSWORD".into(), plain.get("MAIL_PASS").into()),
        ("FOI__IMAP__AUTH".into(), "password".into()),
        (
            "FOI_IMAP_PASSWORD".into(),
            rig.peers.get("MAIL_PASS").into(),
        ),
    ]);
    let o = foi_cmd(&rig.data, &["mailbox", "test"], &env_refs(&env))
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("ok    IMAP  sign in as foi@example.org: password"),
        "{out}"
    );
    assert!(
        out.contains("ok    SMTP  sign in as test: password"),
        "{out}"
    );
    assert!(
        !out.contains("OAuth"),
        "no OAuth step without xoauth2: {out}"
    );
    // TLS to a server whose certificate this machine does not trust: said, with what to do.
    env.retain(|(k, _)| k != "FOI__IMAP__PORT" && k != "FOI__IMAP__SECURITY");
    env.push(("FOI__IMAP__PORT".into(), rig.peers.get("IMAPS_PORT").into()));
    env.push(("FOI__IMAP__SECURITY".into(), "tls".into()));
    let o = foi_cmd(&rig.data, &["mailbox", "test"], &env_refs(&env))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL  IMAP  secure connection: the server's certificate is not signed by an authority this machine trusts")
            && out.contains("ca_file"),
        "{out}"
    );
    // With the test CA it is trusted.
    env.push(("FOI__IMAP__CA_FILE".into(), rig.peers.get("TLS_CA").into()));
    let o = foi_cmd(&rig.data, &["mailbox", "test"], &env_refs(&env))
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("ok    IMAP  secure connection: TLS"),
        "{}",
        stdout(&o)
    );
}
