//! Each request can be given to a team member: from the request page or `foi request
//! assign`; the board's "Mine" shows only the signed-in person's requests, and an "Assigned
//! to" column says whose each is. On SQLite and PostgreSQL.

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
