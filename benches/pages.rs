//! Benchmark: the pages people load, over HTTP, on a round built the way a user builds it.
//!
//!     cargo bench --bench pages
//!     FOI_BENCH_SIZES=1000,10000,100000 FOI_BENCH_STORES=sqlite,postgres cargo bench --bench pages
//!
//! For each store and size: a register of N bodies imported (`foi authorities import`), the
//! round created from the shipped MSK round file and launched, every letter actually sent
//! through the file transport (`foi send`), replies from one body in ten ingested from a
//! Maildir (`foi ingest --maildir`), twenty unmatched messages for triage, a third of the bodies coded
//! (`foi code import`). Then `foi serve` is started, a user signs in, and every page is
//! fetched over HTTP with the session: median and 95th percentile of 10 fetches each. Then
//! the board is fetched by 8 and by 64 concurrent clients for 5 seconds each: requests per
//! second, with the median and 99th percentile of those requests. Defaults: 1,000 and 10,000
//! bodies on SQLite (100,000 and PostgreSQL on request).
//! On PostgreSQL the database is vacuumed and analysed after the build, as autovacuum does
//! within minutes, so its work on the new rows is not measured with the pages.
//! Every command that builds the round, and the overdue list (on a day every letter is late),
//! the status listing, the report and the publication of the whole round, are timed with
//! their peak memory (each command's own maximum resident set).

#[path = "../tests/common/http.rs"]
mod http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PASSWORD: &str = "a long enough password";

fn foi(data: &Path, env: &[(&str, String)], args: &[&str]) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_foi"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("FOI_TODAY")
        .env("FOI__CALENDAR__SOURCE", "")
        .env("FOI__SEND__PER_MINUTE", "0")
        .env("FOI__SEND__PER_DAY", "0")
        .env("FOI_NEW_PASSWORD", PASSWORD);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("run foi");
    assert!(
        o.status.success(),
        "foi {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// What one `foi` command took: wall-clock seconds and its own peak memory (the maximum
/// resident set of that process, from `wait4`).
struct Took {
    step: String,
    secs: f64,
    peak_mb: f64,
}

/// Runs `foi` as [`foi`] does, standard output into `out`, and measures it.
// The child is waited for with `wait4` (for its own peak memory), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn foi_timed(data: &Path, env: &[(&str, String)], args: &[&str], out: &Path) -> Took {
    let mut c = Command::new(env!("CARGO_BIN_EXE_foi"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("FOI__CALENDAR__SOURCE", "")
        .env("FOI__SEND__PER_MINUTE", "0")
        .env("FOI__SEND__PER_DAY", "0")
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::inherit());
    if !env.iter().any(|(k, _)| *k == "FOI_TODAY") {
        c.env_remove("FOI_TODAY");
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let started = Instant::now();
    let child = c.spawn().expect("run foi");
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for wait4 to fill; the pid is our own
    // child, not yet waited for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as libc::pid_t, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "foi {args:?} failed"
    );
    Took {
        step: format!("foi {}", args.join(" ")),
        secs,
        // ru_maxrss is in kilobytes on Linux.
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// The round, built as a user builds it; returns the reference of one body with a reply.
fn build(data: &Path, env: &[(&str, String)], n: usize) -> (String, Duration, Vec<Took>) {
    let started = Instant::now();
    let mut took = Vec::new();
    let sink = data.with_extension("out");
    std::fs::create_dir_all(data).unwrap();
    foi(data, env, &["init"]);
    let mut csv = String::from("code,name,region,foi_email,foi_email_verified\n");
    for i in 1..=n {
        let region = ["North", "South", "East", "West", "Midlands"][i % 5];
        csv.push_str(&format!(
            "B{i:06},Integrated Care Board number {i},{region},foi{i}@icb{}.example.org,yes\n",
            i % 50
        ));
    }
    let reg = data.join("bench-register.csv");
    std::fs::write(&reg, csv).unwrap();
    took.push(foi_timed(
        data,
        env,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            "bench",
        ],
        &sink,
    ));
    let round = std::fs::read_to_string("config/rounds/msk-2026.toml")
        .unwrap()
        .replace("slug = \"msk-2026\"", "slug = \"bench\"")
        .replace("register = \"icbs-2026\"", "register = \"bench\"")
        .replace("reference_prefix = \"MSK26\"", "reference_prefix = \"BN\"");
    let file = data.join("bench.toml");
    std::fs::write(&file, round).unwrap();
    took.push(foi_timed(
        data,
        env,
        &["round", "create", file.to_str().unwrap()],
        &sink,
    ));
    took.push(foi_timed(
        data,
        env,
        &["round", "launch", "bench", "--yes", "--enqueue-only"],
        &sink,
    ));
    took.push(foi_timed(data, env, &["send"], &sink));
    // Replies from one body in ten, and twenty messages no request is found for.
    let maildir = data.join("bench-replies");
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    let mail = maildir.join("new");
    std::fs::create_dir_all(&mail).unwrap();
    for i in (1..=n).step_by(10) {
        let r = format!("BN-B{i:06}");
        std::fs::write(
            mail.join(format!("{i}.eml")),
            format!(
                "From: FOI team <foi{i}@icb{}.example.org>\r\nTo: projects@arma.uk.net\r\nSubject: RE: Freedom of Information request [FOI ref {r}]\r\nMessage-ID: <reply{i}@icb.example.org>\r\nDate: Mon, 8 Jun 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThank you for your request {r}. The ICB has a named MSK lead, the Director of Planned Care. Our priorities are waiting lists and pathways.\r\n",
                i % 50
            ),
        )
        .unwrap();
    }
    for j in 0..20 {
        std::fs::write(
            mail.join(format!("stray{j}.eml")),
            format!("From: someone{j}@elsewhere.example\r\nTo: projects@arma.uk.net\r\nSubject: Your enquiry\r\nMessage-ID: <stray{j}@elsewhere.example>\r\nDate: Mon, 8 Jun 2026 11:00:00 +0100\r\nContent-Type: text/plain\r\n\r\nPlease see our answer.\r\n"),
        )
        .unwrap();
    }
    took.push(foi_timed(
        data,
        env,
        &["ingest", "--maildir", maildir.to_str().unwrap()],
        &sink,
    ));
    let mut codes = String::from("authority,variable,value\n");
    for i in (1..=n).step_by(3) {
        codes.push_str(&format!(
            "B{i:06},msk_lead,yes\nB{i:06},priorities,specific\n"
        ));
    }
    let codes_file = data.join("bench-codes.csv");
    std::fs::write(&codes_file, codes).unwrap();
    took.push(foi_timed(
        data,
        env,
        &[
            "code",
            "import",
            "bench",
            codes_file.to_str().unwrap(),
            "--coder",
            "bench",
        ],
        &sink,
    ));
    foi(data, env, &["user", "add", "ann", "--role", "editor"]);
    ("BN-B000001".to_string(), started.elapsed(), took)
}

struct Serve(Child);
impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, env: &[(&str, String)], addr: &str) -> Serve {
    let mut c = Command::new(env!("CARGO_BIN_EXE_foi"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .arg("serve")
        .env("FOI__WEB__BIND", addr)
        .env("FOI__CALENDAR__SOURCE", "")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // The scheduled jobs' first run (a deadline check over the whole round, the digest) would
    // share the machine with the pages measured: the pages are measured alone.
    for job in [
        "INBOX_POLL",
        "DEADLINE_CHECK",
        "DIGEST",
        "CALENDAR_UPDATE",
        "SOURCE_FETCH",
    ] {
        c.env(format!("FOI__SCHEDULE__{job}"), "0 0 0 1 1 * 2099");
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let child = c.spawn().expect("foi serve");
    http::wait_ok(addr, "/health", 60);
    Serve(child)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Requests per second over 5 seconds with `clients` fetching at once (any answer but 200
/// fails the benchmark: "no errors"), with the median and 99th percentile of their times.
fn rps(addr: &str, cookie: &str, path: &str, clients: usize) -> (f64, f64, f64) {
    let stop = Instant::now() + Duration::from_secs(5);
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, cookie, path) = (addr.to_string(), cookie.to_string(), path.to_string());
            std::thread::spawn(move || {
                let mut ms = Vec::new();
                while Instant::now() < stop {
                    let t = Instant::now();
                    let r = http::request(&addr, "GET", &path, Some(&cookie), None);
                    assert_eq!(r.status, 200, "{path}");
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                ms
            })
        })
        .collect();
    let mut all: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (
        all.len() as f64 / 5.0,
        percentile(&all, 0.5),
        percentile(&all, 0.99),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let sizes: Vec<usize> = std::env::var("FOI_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let stores: Vec<String> = std::env::var("FOI_BENCH_STORES")
        .unwrap_or_else(|_| "sqlite".into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    // `FOI_BENCH_KEEP=1` keeps the built rounds' data directories (and SQLite files) and
    // PostgreSQL databases to look into afterwards; where they are is printed.
    let keep = std::env::var("FOI_BENCH_KEEP").as_deref() == Ok("1");
    let tmp_path = if keep {
        let p = tmp.keep();
        eprintln!("keeping the data directories under {}", p.display());
        p
    } else {
        tmp.path().to_path_buf()
    };
    println!("| store | bodies | page | median ms | p95 ms | KB |");
    println!("|---|---:|---|---:|---:|---:|");
    let mut throughput = Vec::new();
    let mut steps = Vec::new();
    for store in &stores {
        for &n in &sizes {
            let data: PathBuf = tmp_path.join(format!("{store}-{n}"));
            let mut env: Vec<(&str, String)> = Vec::new();
            let scratch = format!("foi_bench_pages_{}_{n}", std::process::id());
            if store == "postgres" {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    let admin = foi::store::connect(PG_ADMIN, 10).await.unwrap();
                    foi::store::sql::execute(&admin, &format!("CREATE DATABASE {scratch}"))
                        .await
                        .unwrap();
                });
                env.push((
                    "FOI_DATABASE_URL",
                    format!("postgres://postgres@127.0.0.1:5432/{scratch}"),
                ));
            }
            let (reference, built_in, took) = build(&data, &env, n);
            if store == "postgres" {
                // What autovacuum does within minutes of a bulk change, done before measuring
                // so that its work on the new rows does not share the machine with the pages.
                let url = env[0].1.clone();
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    let db = foi::store::connect(&url, 10).await.unwrap();
                    foi::store::sql::execute(&db, "VACUUM ANALYZE")
                        .await
                        .unwrap();
                });
            }
            eprintln!(
                "{store} {n}: round built the user's way in {:.0} s",
                built_in.as_secs_f64()
            );
            for t in took {
                steps.push(step_line(store, n, &t));
            }
            let addr = format!("127.0.0.1:{}", http::free_port());
            let _serve = serve(&data, &env, &addr);
            let mut web = http::Client::new(&addr);
            web.login("ann", PASSWORD);
            let cookie = web.cookie.clone().unwrap();
            let pages = [
                "/".to_string(),
                "/rounds/bench".into(),
                "/rounds/bench?filter=overdue".into(),
                "/rounds/bench?filter=classify".into(),
                format!("/requests/{reference}"),
                "/triage".into(),
                "/outbox".into(),
                "/chasers".into(),
                "/search?q=planned+care".into(),
                "/rounds/bench/report".into(),
                "/registers".into(),
                "/people".into(),
            ];
            for page in &pages {
                let first = web.get(page);
                assert_eq!(first.status, 200, "{page}: {}", first.body);
                let mut ms: Vec<f64> = (0..10)
                    .map(|_| {
                        let t = Instant::now();
                        let r = web.get(page);
                        assert_eq!(r.status, 200, "{page}");
                        t.elapsed().as_secs_f64() * 1000.0
                    })
                    .collect();
                ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
                println!(
                    "| {store} | {n} | `{page}` | {:.1} | {:.1} | {} |",
                    percentile(&ms, 0.5),
                    percentile(&ms, 0.95),
                    first.bytes.len() / 1024
                );
            }
            for clients in [8, 64] {
                let (per_s, p50, p99) = rps(&addr, &cookie, "/rounds/bench", clients);
                throughput.push(format!(
                    "| {store} | {n} | {clients} | {per_s:.0} | {p50:.1} | {p99:.1} |"
                ));
            }
            drop(_serve);
            steps.extend(
                late_steps(&data, &env, n)
                    .iter()
                    .map(|t| step_line(store, n, t)),
            );
            if store == "postgres" && keep {
                eprintln!("keeping the PostgreSQL database {scratch}");
            } else if store == "postgres" {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    let admin = foi::store::connect(PG_ADMIN, 10).await.unwrap();
                    let _ = foi::store::sql::execute(
                        &admin,
                        &format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"),
                    )
                    .await;
                });
            }
        }
    }
    println!();
    println!("| store | bodies | concurrent clients | board requests/s | median ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    for t in throughput {
        println!("{t}");
    }
    println!();
    println!("| store | bodies | command | seconds | peak MB |");
    println!("|---|---:|---|---:|---:|");
    for t in steps {
        println!("{t}");
    }
}

fn step_line(store: &str, n: usize, t: &Took) -> String {
    // Paths in a step are the benchmark's scratch files: the command's shape is enough.
    let step = t
        .step
        .split(' ')
        .map(|w| if w.contains('/') { "FILE" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "| {store} | {n} | `{step}` | {:.1} | {:.0} |",
        t.secs, t.peak_mb
    )
}

/// The commands of a round's later life, timed on the whole round: the overdue list on a day
/// when every letter is late, the status listing, the findings report and the publication.
fn late_steps(data: &Path, env: &[(&str, String)], n: usize) -> Vec<Took> {
    let mut late: Vec<(&str, String)> = env.to_vec();
    late.push(("FOI_TODAY", "2027-06-01".into()));
    let out = data.with_extension("listing");
    let overdue = foi_timed(data, &late, &["overdue", "--format", "csv"], &out);
    let listed = std::fs::read_to_string(&out).unwrap().lines().count() - 1;
    assert!(listed > 0 && listed <= n, "{listed} of {n} overdue");
    let overdue = Took {
        step: format!("{} ({listed} rows)", overdue.step),
        ..overdue
    };
    let status = foi_timed(data, env, &["status", "bench", "--format", "csv"], &out);
    let report = data.with_extension("report.md");
    let site = data.with_extension("site");
    vec![
        overdue,
        status,
        foi_timed(
            data,
            env,
            &["report", "bench", "--out", report.to_str().unwrap()],
            &out,
        ),
        foi_timed(
            data,
            env,
            &["publish", "bench", "--out", site.to_str().unwrap()],
            &out,
        ),
    ]
}
