//! Test helpers: a temporary data directory, the `foi` binary run as a user runs it, and a
//! fresh PostgreSQL database per test (dropped afterwards).
#![allow(dead_code)]

pub mod docs;
pub mod http;
pub mod mail;
pub mod oauth;
pub mod webdriver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn foi_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_foi"))
}

/// Runs `foi` with a data directory and extra environment, from the project root (so
/// `config/default.toml` is found as in the quick start).
pub fn foi(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    foi_cmd(data_dir, args, envs).output().expect("run foi")
}

/// The `foi` command, not yet run.
pub fn foi_cmd(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut c = Command::new(foi_bin());
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("FOI_DATABASE_URL")
        .env_remove("FOI_TODAY")
        // No network in tests: the scheduled bank-holiday refresh has no source.
        .env("FOI__CALENDAR__SOURCE", "");
    for (k, v) in envs {
        c.env(k, v);
    }
    c
}

/// Borrows owned (key, value) pairs as the `&[(&str, &str)]` that `foi` takes.
pub fn env_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Writes a register of `n` bodies (`B0001`…) whose addresses are `{local(i)}@example.org`,
/// and a round file for it, into `dir`. Returns (register path, round path).
pub fn bulk_round(
    dir: &Path,
    slug: &str,
    n: usize,
    local: impl Fn(usize) -> String,
) -> (PathBuf, PathBuf) {
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=n {
        csv.push_str(&format!(
            "B{i:05},Body number {i},Test,{}@example.org\n",
            local(i)
        ));
    }
    let reg = dir.join(format!("{slug}-register.csv"));
    std::fs::write(&reg, csv).unwrap();
    let round = dir.join(format!("{slug}.toml"));
    std::fs::write(
        &round,
        format!(
            r#"slug = "{slug}"
title = "Bulk test round"
register = "{slug}"
reference_prefix = "{prefix}"

[requester]
name = "Test Team"
organisation = "Test Charity"
email = "team@charity.example"

[[questions]]
id = "q1"
text = "Do you have an MSK lead?"
"#,
            prefix = slug.replace('-', "").to_uppercase()
        ),
    )
    .unwrap();
    (reg, round)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "foi failed ({}):\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

pub fn pg_admin_url() -> String {
    std::env::var("FOI_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh PostgreSQL database for one test, dropped when this value is dropped.
pub struct PgDb {
    pub url: String,
    name: String,
}

impl PgDb {
    pub async fn create() -> PgDb {
        let admin = pg_admin_url();
        let name = format!("foi_test_{}_{}", std::process::id(), rand_suffix());
        let db = foi::store::connect(&admin, 10).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed for the storage tests and did not answer at {admin}: {e}. \
                 Run scripts/test (it installs and starts PostgreSQL) or set FOI_TEST_PG_URL."
            )
        });
        foi::store::sql::execute(&db, &format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        PgDb {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop on a thread of its own: Drop cannot await, and may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(db) = foi::store::connect(&pg_admin_url(), 10).await {
                    let _ = foi::store::sql::execute(
                        &db,
                        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    )
                    .await;
                }
            })
        })
        .join();
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{t}_{}",
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

/// Which store a storage test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An opened [`foi::app::App`] on a fresh store, with what keeps it alive.
pub struct TestApp {
    pub app: foi::app::App,
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDb>,
}

pub async fn test_app(backend: Backend) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgDb::create().await),
    };
    let g = foi::app::Globals {
        data_dir: dir.path().join("data"),
        database_url: pg.as_ref().map(|p| p.url.clone()),
        config: None,
        today: None,
        // Documents are read as `foi` reads them: by the binary, a child process per file.
        reader: Some(env!("CARGO_BIN_EXE_foi").into()),
    };
    let mut config = foi::config::Config::default();
    // No network in tests: the scheduled bank-holiday refresh has no source.
    config.calendar.source = String::new();
    let app = foi::app::App::with_config(&g, config)
        .await
        .expect("open app");
    TestApp { app, dir, pg }
}

/// A bulk round of `n` bodies (see [`bulk_round`]) imported, created and queued (not sent).
pub fn queue_bulk_round(dir: &Path, data: &Path, slug: &str, n: usize, env: &[(&str, &str)]) {
    let (reg, round) = bulk_round(dir, slug, n, |i| format!("b{i}"));
    ok(foi(
        data,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            slug,
        ],
        env,
    ));
    ok(foi(
        data,
        &["round", "create", round.to_str().unwrap()],
        env,
    ));
    ok(foi(
        data,
        &["round", "launch", slug, "--yes", "--enqueue-only"],
        env,
    ));
}

/// Imports a register named `name` from `csv` (written to `dir`) and creates the shipped
/// `msk-2026` round for it (its questions, ladder and codebook): what a test of one round's
/// clocks needs.
pub fn msk_round_for(dir: &Path, data: &Path, name: &str, csv: &str) {
    msk_round_with(dir, data, name, csv, "");
}

/// The same, with `extra` top-level lines added to the round file (e.g. `receipt = "…"`).
pub fn msk_round_with(dir: &Path, data: &Path, name: &str, csv: &str, extra: &str) {
    msk_round_on(dir, data, name, csv, extra, &[])
}

/// [`msk_round_with`] with the environment given (a PostgreSQL store's URL).
pub fn msk_round_on(
    dir: &Path,
    data: &Path,
    name: &str,
    csv: &str,
    extra: &str,
    env: &[(&str, &str)],
) {
    let reg = dir.join(format!("{name}.csv"));
    std::fs::write(&reg, csv).unwrap();
    ok(foi(
        data,
        &[
            "authorities",
            "import",
            reg.to_str().unwrap(),
            "--register",
            name,
        ],
        env,
    ));
    let round = dir.join(format!("{name}-round.toml"));
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/rounds/msk-2026.toml"
    ))
    .unwrap()
    .replace(
        "register = \"icbs-2026\"",
        &format!("register = \"{name}\"\n{extra}"),
    );
    std::fs::write(&round, text).unwrap();
    ok(foi(
        data,
        &["round", "create", round.to_str().unwrap()],
        env,
    ));
}

/// `foi serve` on a free loopback port, and a user `ann` with `role` signed in to it: the
/// dashboard as a person sees it. The server stops when the first value is dropped.
pub fn dashboard(data: &Path, env: &[(&str, &str)], role: &str) -> (Serve, http::Client) {
    let mut user_env = vec![("FOI_NEW_PASSWORD", "a long enough password")];
    user_env.extend_from_slice(env);
    ok(foi(
        data,
        &["user", "add", "ann", "--role", role],
        &user_env,
    ));
    let addr = format!("127.0.0.1:{}", http::free_port());
    let server = serve(data, &addr, env);
    let mut web = http::Client::new(&addr);
    web.login("ann", "a long enough password");
    (server, web)
}

/// A running `foi serve`, stopped (SIGTERM) when dropped.
pub struct Serve(pub std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

/// Starts `foi serve` on `addr` and waits for its health check.
pub fn serve(data: &Path, addr: &str, env: &[(&str, &str)]) -> Serve {
    let mut envs = vec![("FOI__WEB__BIND", addr)];
    envs.extend_from_slice(env);
    let child = foi_cmd(data, &["serve"], &envs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    http::wait_ok(addr, "/health", 30);
    Serve(child)
}

/// A ZIP's files by name (a bundle, a workbook).
pub fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        out.insert(f.name().unwrap().to_string(), b);
    }
    out
}
