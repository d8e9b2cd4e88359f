//! The people page: an editor invites a colleague (a one-time link with which they set their
//! own password and are signed in), changes a role, disables and re-enables, and makes a
//! new-password link; each person's last sign-in is shown; the last editor cannot be demoted
//! or disabled; a viewer sees the list and no control. Also the registers page's CSV upload:
//! a bad row is refused with its line and field and loads nothing; a good file loads.

mod common;

use common::http::Client;
use common::{foi, ok};

fn link_in(page: &str) -> String {
    let i = page.find("id=\"the-link\"").expect("the link is shown");
    let v = &page[i..];
    let v = &v[v.find("value=\"").unwrap() + 7..];
    v[..v.find('"').unwrap()].replace("&#x3D;", "=")
}

/// Opens a one-time link and sets the password; returns the signed-in client.
fn welcome(addr: &str, link: &str, password: &str) -> (Client, u16) {
    let path = &link[link.find("/welcome").unwrap()..];
    let mut c = Client::new(addr);
    let page = c.get(path);
    assert_eq!(page.status, 200, "{}", page.body);
    let token = &path[path.find("token=").unwrap() + 6..];
    let r = c.post(
        "/welcome",
        &[
            ("token", token),
            ("password", password),
            ("again", password),
        ],
    );
    if let Some(cookie) = r.header("set-cookie") {
        c.cookie = Some(cookie.split(';').next().unwrap().to_string());
    }
    (c, r.status)
}

#[test]
fn an_editor_invites_a_colleague_who_sets_a_password_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    let (_serve, web) = common::dashboard(&d, &[], "editor");
    let page = web.get("/people").body;
    assert!(page.contains("ann (you)") && page.contains("Invite a colleague"));
    let csrf = web.csrf("/people");
    let r = web.post(
        "/people/invite",
        &[("csrf", &csrf), ("name", "bea"), ("role", "viewer")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let link = link_in(&r.body);
    assert!(r.body.contains("invited (has not set a password yet)"));
    // Nothing can sign in as bea before she uses the link.
    let guess = Client::new(&web.addr);
    let tried = guess.post("/login", &[("name", "bea"), ("password", "")]);
    assert_ne!(tried.status, 303);
    let (bea, status) = welcome(&web.addr, &link, "bea's long password");
    assert_eq!(status, 303);
    let home = bea.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("bea (viewer)"));
    // The link works once.
    let again = Client::new(&web.addr).get(&link[link.find("/welcome").unwrap()..]);
    assert_eq!(again.status, 403);
    // A viewer sees the list, no control; the page shows bea's last sign-in.
    let seen = bea.get("/people").body;
    assert!(!seen.contains("Invite a colleague") && !seen.contains("Set role"));
    let people = web.get("/people").body;
    let row = &people[people.find("<tr><td>bea</td>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("can sign in") && !row.contains("<td>never</td>"),
        "{row}"
    );
    assert!(bea.get("/rounds/new").status == 403);

    // Made an editor, she can invite; disabled, she is signed out; enabled again.
    let r = web.post("/people/bea/role", &[("csrf", &csrf), ("role", "editor")]);
    assert_eq!(r.status, 303);
    assert!(bea.get("/people").body.contains("Invite a colleague"));
    let r = web.post("/people/bea/disable", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(
        bea.get("/people").status,
        303,
        "a disabled user's session ends"
    );
    let r = web.post("/people/bea/enable", &[("csrf", &csrf)]);
    assert_eq!(r.status, 303);

    // A new-password link: the new password works, the old one no longer does.
    let r = web.post("/people/bea/link", &[("csrf", &csrf)]);
    let link = link_in(&r.body);
    let (_, status) = welcome(&web.addr, &link, "bea's newer password");
    assert_eq!(status, 303);
    let mut c = Client::new(&web.addr);
    assert_ne!(
        c.post(
            "/login",
            &[("name", "bea"), ("password", "bea's long password")]
        )
        .status,
        303
    );
    c.login("bea", "bea's newer password");

    // The last editor who can sign in cannot be demoted or disabled.
    let r = web.post("/people/bea/role", &[("csrf", &csrf), ("role", "viewer")]);
    assert_eq!(r.status, 303);
    let r = web.post("/people/ann/role", &[("csrf", &csrf), ("role", "viewer")]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("only editor"));
    let r = web.post("/people/ann/disable", &[("csrf", &csrf)]);
    assert_eq!(r.status, 400);
    let list = ok(foi(&d, &["user", "list", "--format", "json"], &[]));
    assert!(list.contains("\"editor\""), "{list}");
}

fn register_upload(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], env));
    let (_serve, web) = common::dashboard(&d, env, "editor");
    let csrf = web.csrf("/registers");
    let bad = "code,name,region,foi_email\nX1,Body one,North,foi@one.example\nX2,Body two,North,not-an-address\n";
    let r = web.post_multipart(
        "/registers/import",
        &[("csrf", &csrf), ("register", "trial-2027")],
        &[("file", "trial.csv", bad)],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("line 3") && r.body.contains("foi_email"),
        "{}",
        r.body
    );
    assert!(r.body.contains("nothing was loaded"));
    assert!(!web.get("/registers").body.contains("trial-2027"));
    let good = bad.replace("not-an-address", "foi@two.example");
    let r = web.post_multipart(
        "/registers/import",
        &[("csrf", &csrf), ("register", "trial-2027")],
        &[("file", "trial.csv", &good)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = web.get(r.header("location").unwrap()).body;
    assert!(
        page.contains("Register trial-2027 loaded: 2 added"),
        "{page}"
    );
    assert!(web
        .get("/registers/trial-2027")
        .body
        .contains("foi@two.example"));
    // Counted by the database: 2 bodies, neither address verified; the shipped 2026 register
    // with 36, none verified.
    assert!(
        page.contains("<a href=\"/registers/trial-2027\">trial-2027</a></td><td>2</td><td>2</td>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"/registers/icbs-2026\">icbs-2026</a></td><td>36</td><td>36</td>")
    );
}

#[test]
fn sqlite_a_register_csv_with_a_bad_row_loads_nothing_and_a_good_one_loads() {
    register_upload(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_register_csv_with_a_bad_row_loads_nothing_and_a_good_one_loads() {
    let pg = common::PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || register_upload(&[("FOI_DATABASE_URL", url.as_str())]))
        .await
        .unwrap();
}
