//! Probed as an attacker and as a careless operator would: the login cannot be turned against
//! users or memory and does not tell who exists; the data is the owner's only; a broken round
//! file creates nothing; unsafe values never become live links or hidden file names.

mod common;

use common::http::{free_port, Client};
use common::{foi, ok, serve, stderr};
use std::time::{Duration, Instant};

fn rss_kb(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

/// A login from `client` (the server trusts 127.0.0.1 as a proxy, so this is the client).
fn login_as(addr: &str, client: &str, name: &str, password: &str) -> (u16, Duration) {
    use std::io::{Read, Write};
    let body = format!("name={name}&password={password}");
    let t = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nX-Forwarded-For: {client}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let status = String::from_utf8_lossy(&out[..out.len().min(12)])
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, t.elapsed())
}

#[test]
fn the_login_is_bounded_in_memory_and_takes_the_same_time_for_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    ok(foi(
        &data,
        &["user", "add", "ann", "--role", "editor"],
        &[("FOI_NEW_PASSWORD", "a long enough password")],
    ));
    let addr = format!("127.0.0.1:{}", free_port());
    let server = serve(
        &data,
        &addr,
        &[("FOI__WEB__TRUSTED_PROXIES", "[\"127.0.0.1\"]")],
    );
    let pid = server.0.id();

    // Timing: failed logins for a known and an unknown name, interleaved, each from its own
    // client (so no delay applies). Medians within 20% of each other.
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..50 {
        let (s1, t1) = login_as(&addr, &format!("10.1.0.{i}"), "ann", "wrong");
        let (s2, t2) = login_as(&addr, &format!("10.2.0.{i}"), "nobody", "wrong");
        assert_eq!((s1, s2), (401, 401));
        known.push(t1);
        unknown.push(t2);
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[25].as_secs_f64(), unknown[25].as_secs_f64());
    let ratio = k.max(u) / k.min(u);
    eprintln!(
        "median failed login: known name {:.1} ms, unknown name {:.1} ms (ratio {ratio:.2})",
        k * 1e3,
        u * 1e3
    );
    assert!(ratio < 1.2, "known {k:.4} s vs unknown {u:.4} s");

    // Memory: 2,000 failed logins with distinct 1 MB names from distinct clients.
    let before = rss_kb(pid);
    let big = "a".repeat(1024 * 1024);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (addr, big) = (addr.clone(), big.clone());
            std::thread::spawn(move || {
                for i in 0..500 {
                    let (s, _) = login_as(
                        &addr,
                        &format!("10.{t}.{}.{}", i / 250, i % 250),
                        &format!("{i}-{t}-{big}"),
                        "x",
                    );
                    assert_eq!(s, 401);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let after = rss_kb(pid);
    let grown_mb = after.saturating_sub(before) as f64 / 1024.0;
    eprintln!("server memory: {before} kB before, {after} kB after 2,000 failed logins with 1 MB names (+{grown_mb:.1} MB)");
    assert!(grown_mb < 50.0, "grew {grown_mb:.1} MB");
    // And Ann still logs in from her own address.
    let mut ann = Client::new(&addr);
    ann.login("ann", "a long enough password");
}

#[test]
fn the_data_directory_and_everything_in_it_is_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let eml = dir.path().join("r.eml");
    std::fs::write(&eml, "From: a@b.org\r\nSubject: s\r\n\r\nhello\r\n").unwrap();
    ok(foi(&data, &["ingest", eml.to_str().unwrap()], &[]));
    let addr = format!("127.0.0.1:{}", free_port());
    drop(serve(&data, &addr, &[]));
    let mut n = 0;
    let mut stack = vec![data.clone()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", p.display());
        n += 1;
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
    }
    // Among them: the database, the setup token and the raw mail of the reply.
    assert!(data.join("foi.db").exists() && data.join("setup-token").exists());
    let raw_files = walk_files(&data.join("raw"));
    assert_eq!(raw_files.len(), 1, "{raw_files:?}");
    assert!(n >= 6, "{n} paths checked");
    // A looser directory is tightened at the next start, with a warning.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = foi(&data, &["authorities", "list"], &[("FOI_LOG", "warn")]);
    assert!(
        stderr(&out).contains("readable by others"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn a_round_file_with_errors_creates_nothing_and_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let good = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap();
    let round = dir.path().join("round.toml");
    let rounds = || ok(foi(&data, &["round", "list", "--format", "json"], &[]));
    let empty = rounds();
    let refuse = |text: String, env: &[(&str, &str)], wants: &[&str]| {
        std::fs::write(&round, text).unwrap();
        let o = foi(&data, &["round", "create", round.to_str().unwrap()], env);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(e.contains("round.toml"), "names the file: {e}");
        for w in wants {
            assert!(e.contains(w), "`{w}` in: {e}");
        }
        assert!(e.contains("nothing was created"), "{e}");
        assert_eq!(rounds(), empty, "nothing created");
    };
    // A codebook variable coding a question the round does not ask.
    let q99 = good.replacen("question = \"q1\"", "question = \"q99\"", 1);
    let line = q99.lines().position(|l| l.contains("q99")).unwrap() + 1;
    refuse(
        q99,
        &[],
        &[&format!("line {line}"), "field `question`", "`q99`"],
    );
    // A condition on a value the variable does not have.
    let when = good.replacen(
        "when = \"msk_lead = yes\"",
        "when = \"msk_lead = perhaps\"",
        1,
    );
    assert_ne!(when, good, "the round file has a `when`");
    let line = when.lines().position(|l| l.contains("perhaps")).unwrap() + 1;
    refuse(
        when,
        &[],
        &[&format!("line {line}"), "field `when`", "`perhaps`"],
    );
    // A duplicate chaser id: the line of the second one.
    let dup = good.replacen("id = \"reminder-2\"", "id = \"reminder-1\"", 1);
    let line = dup
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"reminder-1\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    refuse(
        dup,
        &[],
        &[
            &format!("line {line}"),
            "field `id`",
            "duplicate chaser step id",
        ],
    );
    // An override template with an undefined variable: its file and line, and no round.
    let tpl = dir.path().join("templates");
    std::fs::create_dir_all(&tpl).unwrap();
    std::fs::write(
        tpl.join("chaser.txt.hbs"),
        "Dear {{authority.name}},\n\n{{authority.salutation}}\n",
    )
    .unwrap();
    let env = [("FOI__TEMPLATES__OVERRIDE_DIR", tpl.to_str().unwrap())];
    std::fs::write(&round, &good).unwrap();
    let o = foi(&data, &["round", "create", round.to_str().unwrap()], &env);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("chaser.txt.hbs") && e.contains("line 3") && e.contains("authority.salutation"),
        "{e}"
    );
    assert_eq!(rounds(), empty, "nothing created");
    // Fixed: the same command creates the round.
    std::fs::remove_file(tpl.join("chaser.txt.hbs")).unwrap();
    let out = ok(foi(
        &data,
        &["round", "create", round.to_str().unwrap()],
        &env,
    ));
    assert!(out.contains("36"), "{out}");
    assert_ne!(rounds(), empty);
}

#[test]
fn a_javascript_source_is_refused_and_a_bidi_file_name_is_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let jfp = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/arma-jfp-2025.toml"
    );
    ok(foi(&data, &["round", "create", jfp], &[]));
    let o = foi(
        &data,
        &[
            "round",
            "source",
            "arma-jfp-2025",
            "QHM",
            "javascript:alert(1)",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("only http:// and https://"),
        "{}",
        stderr(&o)
    );
    ok(foi(
        &data,
        &[
            "round",
            "source",
            "arma-jfp-2025",
            "QHM",
            "https://example.org/plan.pdf",
        ],
        &[],
    ));

    // An attachment named invoice<RLO>fdp.exe.
    let eml = dir.path().join("r.eml");
    std::fs::write(
        &eml,
        "From: a@b.org\r\nTo: c@d.org\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe\r\n\r\nMZ\r\n--B--\r\n",
    )
    .unwrap();
    ok(foi(&data, &["ingest", eml.to_str().unwrap()], &[]));
    let inbox: Vec<serde_json::Value> =
        serde_json::from_str(&ok(foi(&data, &["inbox", "--format", "json"], &[]))).unwrap();
    let name = inbox[0]["attachments"][0]["filename"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(name, "invoicefdp.exe");
    ok(foi(
        &data,
        &["user", "add", "ann", "--role", "editor"],
        &[("FOI_NEW_PASSWORD", "a long enough password")],
    ));
    let addr = format!("127.0.0.1:{}", free_port());
    let _server = serve(&data, &addr, &[]);
    let mut ann = Client::new(&addr);
    ann.login("ann", "a long enough password");
    let a = ann.get("/attachments/1");
    assert_eq!(a.status, 200);
    let cd = a.header("content-disposition").unwrap();
    assert!(
        !cd.contains('\u{202E}') && !cd.contains("%E2%80%AE"),
        "{cd}"
    );
    assert!(cd.contains("invoicefdp.exe"), "{cd}");
}

#[test]
fn foi_send_gives_up_on_an_unreachable_mail_server_and_leaves_the_letters_queued() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    // Nothing listens on this port.
    let port = free_port().to_string();
    let env = [
        ("FOI__SMTP__TRANSPORT", "smtp"),
        ("FOI__SMTP__HOST", "127.0.0.1"),
        ("FOI__SMTP__PORT", port.as_str()),
        ("FOI__SMTP__SECURITY", "none"),
        ("FOI__SEND__PER_MINUTE", "0"),
    ];
    ok(foi(&data, &["init"], &env));
    common::queue_bulk_round(dir.path(), &data, "down", 3, &env);
    let t = Instant::now();
    let out = ok(foi(&data, &["send"], &env));
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
    assert!(out.contains("stay queued for a later retry"), "{out}");
    assert!(
        out.contains("Check [smtp] host, port and security"),
        "{out}"
    );
    let outbox: Vec<serde_json::Value> =
        serde_json::from_str(&ok(foi(&data, &["outbox", "--format", "json"], &env))).unwrap();
    assert_eq!(outbox.len(), 3);
    assert!(outbox.iter().all(|m| m["state"] == "queued"), "{outbox:?}");
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            out.push(p);
        }
    }
    out
}
