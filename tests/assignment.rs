//! Each request can be given to a team member: from the request page or `foi request
//! assign`; the board's "Mine" shows only the signed-in person's requests, and an "Assigned
//! to" column says whose each is; the digest gives each person their own list. On SQLite and
//! PostgreSQL.

mod common;

use common::{foi, ok, PgDb};
use std::path::Path;

fn at(d: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut e = env.to_vec();
    e.push(("FOI_TODAY", "2026-05-20"));
    e.push(("FOI__SEND__PER_MINUTE", "0"));
    ok(foi(d, args, &e))
}

/// The board's rows as (body name, assigned to) pairs.
fn rows(page: &str) -> Vec<(String, String)> {
    page.split("<tr>")
        .skip(2)
        .filter_map(|tr| {
            let link = tr.split("<a href=\"/requests/").nth(1)?;
            let name = link.split("\">").nth(1)?.split("</a>").next()?.to_string();
            let who = tr
                .split("data-label=\"Assigned to\">")
                .nth(1)?
                .split("</td>")
                .next()?
                .to_string();
            Some((name, who))
        })
        .collect()
}

fn walk(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_on(dir.path(), &d, "assign", csv, "", env);
    let mut with_pw = env.to_vec();
    with_pw.push(("FOI_NEW_PASSWORD", "a long enough password"));
    ok(foi(
        &d,
        &["user", "add", "bob", "--role", "editor"],
        &with_pw,
    ));

    let mut web_env = env.to_vec();
    web_env.push(("FOI_TODAY", "2026-05-20"));
    let (_serve, web) = common::dashboard(&d, &web_env, "editor");
    assert!(at(&d, env, &["request", "assign", "MSK26-X0001", "ann"]).contains("assigned to ann"));
    at(&d, env, &["request", "assign", "MSK26-X0002", "bob"]);
    let o = foi(
        &d,
        &["request", "assign", "MSK26-X0003", "nobody-here"],
        env,
    );
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("no team member called `nobody-here`"));

    let mine = web.get("/rounds/msk-2026?mine=1").body;
    assert!(mine.contains("Mine (1)"), "{mine}");
    assert_eq!(rows(&mine), [("Body 1".to_string(), "ann".to_string())]);
    let all = rows(&web.get("/rounds/msk-2026").body);
    assert!(
        all.contains(&("Body 2".to_string(), "bob".to_string())),
        "{all:?}"
    );

    // From the request page.
    let path = "/requests/MSK26-X0003";
    let got = web.get(path);
    assert_eq!(got.status, 200, "{:?}", got.headers);
    let page = got.body;
    assert!(
        page.contains("Nobody yet.") && page.contains("<option value=\"bob\">bob</option>"),
        "{page}"
    );
    let csrf = web.csrf(path);
    let r = web.post(
        &format!("{path}/assign"),
        &[("csrf", &csrf), ("user", "ann")],
    );
    assert!(r.status < 400, "{} {:?} {}", r.status, r.headers, r.body);
    let mine = web.get("/rounds/msk-2026?mine=1").body;
    assert!(mine.contains("Mine (2)"), "{mine}");
    let names: Vec<String> = rows(&mine).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Body 3".to_string()) && !names.contains(&"Body 2".to_string()));

    // Given back to nobody.
    assert!(at(&d, env, &["request", "assign", "MSK26-X0001", "--nobody"]).contains("nobody"));
    assert!(web.get("/rounds/msk-2026?mine=1").body.contains("Mine (1)"));

    // The digest gives each person their own list: ann has Body 3, bob Body 2; Body 1 is
    // nobody's (it is in the team's lists only).
    at(
        &d,
        env,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, env, &["send"]);
    // Sent by `foi send` or by the running dashboard's own worker, whichever took them.
    let start = std::time::Instant::now();
    while at(&d, env, &["outbox", "--format", "json"]).trim() != "[]" {
        assert!(start.elapsed().as_secs() < 30, "the letters were not sent");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let mut later = env.to_vec();
    later.push(("FOI_TODAY", "2026-06-15"));
    let digest = ok(foi(&d, &["digest", "--dry-run"], &later));
    let people = digest
        .split("Each person's own list")
        .nth(1)
        .unwrap_or_else(|| panic!("no lists per person: {digest}"));
    let list = |who: &str| -> Vec<String> {
        people
            .split(&format!("\n{who}: "))
            .nth(1)
            .unwrap_or_else(|| panic!("no list for {who}: {people}"))
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("  - "))
            .map(str::to_string)
            .collect()
    };
    let ann = list("ann");
    assert_eq!(ann.len(), 1, "{ann:?}");
    assert!(ann[0].contains("due this week: MSK26-X0003"), "{ann:?}");
    let bob = list("bob");
    assert_eq!(bob.len(), 1, "{bob:?}");
    assert!(bob[0].contains("MSK26-X0002"), "{bob:?}");
    assert!(!people.contains("MSK26-X0001"), "{people}");
    let team = digest.split("Each person's own list").next().unwrap();
    assert!(
        team.contains("MSK26-X0001") && team.contains("MSK26-X0002"),
        "the team's lists keep every request: {team}"
    );
}

#[test]
fn sqlite_mine_shows_only_the_signed_in_persons_requests() {
    walk(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_mine_shows_only_the_signed_in_persons_requests() {
    let pg = PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || walk(&[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
}
