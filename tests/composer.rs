//! The round composer over HTTP: a round made in the dashboard (with a new question and a new
//! codebook variable) is checked as a round file is (a misspelt placeholder is shown beside
//! the letter's field with its line, nothing saved), saved as a draft with an event, edited
//! (an event naming what changed), previewed letter by letter and as a ZIP, exported as a
//! round file that makes the same round; "Repeat a round" from the 2024 round onto the 2026
//! register compares with 2024; a round file imported in the dashboard; a viewer sees no
//! composer.

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::io::Read;
use std::path::Path;

const FIX24: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/arma-msk-2024-codings.csv"
);

fn json(d: &Path, args: &[&str]) -> Value {
    json_in(d, &[], args)
}

fn json_in(d: &Path, env: &[(&str, &str)], args: &[&str]) -> Value {
    serde_json::from_str(&ok(foi(d, args, env))).unwrap()
}

/// The fields of a round to the 36 ICBs of 2026 as the form sends them.
fn fields<'a>(csrf: &'a str, letter: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("from", "blank"),
        ("title", "MSK pathways 2027"),
        ("slug", "msk-pathways-2027"),
        ("reference_prefix", "MSKP27"),
        ("register", "icbs-2026"),
        ("bodies_mode", "all"),
        ("requester.name", "ARMA policy team"),
        ("requester.organisation", "ARMA"),
        ("requester.email", "projects@arma.example"),
        ("questions.0.text", "Does the ICB have a named MSK lead?"),
        (
            "questions.1.text",
            "Has the ICB published an MSK pathway since 2026?",
        ),
        (
            "letters.request.subject",
            "Freedom of Information request {{ref_token}}",
        ),
        ("letters.request.text", letter),
        ("chasers.0.id", "reminder-1"),
        ("chasers.0.after_working_days", "1"),
        ("chasers.0.purpose", "reminder"),
        ("chasers.0.mode", "auto"),
        ("codebook.variables.0.id", "pathway"),
        ("codebook.variables.0.label", "Published an MSK pathway"),
        ("codebook.variables.0.kind", "yes_no"),
        ("codebook.variables.0.question", "q2"),
        ("launch.hold_minutes", "15"),
        ("action", "save"),
    ]
}

const GOOD: &str = "Dear {{authority.name}},\n\nUnder the {{regime.act}}, please tell me:\n\n{{> questions.txt}}\n\n{{> signature.txt}}\n";
const MISSPELT: &str = "Dear {{authority.name}},\n\nUnder the {{regime.act}}, please tell me:\n\n{{> questions.txt}}\n\nYours, {{requester.nmae}}\n";

fn made_in_the_dashboard(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], env));
    let mut web_env = env.to_vec();
    web_env.push(("FOI_TODAY", "2026-06-01"));
    let (_serve, web) = common::dashboard(&d, &web_env, "editor");
    let page = web.get("/rounds/new");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Add a question") && page.body.contains("{{authority.name}}"));
    // Blank pages get today's chaser ladder.
    assert!(
        page.body.contains("value=\"ico-complaint\""),
        "{}",
        page.body
    );
    let csrf = web.csrf("/rounds/new");

    // A misspelt placeholder: refused beside the letter's text with its line; nothing saved.
    let r = web.post("/rounds/new", &fields(&csrf, MISSPELT));
    assert_eq!(r.status, 422, "{}", r.body);
    let at = r
        .body
        .find("id=\"l-request-t-err\"")
        .expect("an error beside the request letter's text");
    let beside = &r.body[at..at + 400];
    assert!(
        beside.contains("requester.nmae") && beside.contains("line 7"),
        "{beside}"
    );
    assert!(r
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"l-request-t-err\""));
    assert!(json_in(&d, env, &["round", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .is_empty());

    // A slug already taken and a number that is not one: each beside its own field.
    let mut bad = fields(&csrf, GOOD);
    bad.retain(|(k, _)| *k != "throttle.per_day");
    bad.push(("throttle.per_day", "lots"));
    let r = web.post("/rounds/new", &bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"f-pd-err\""), "{}", r.body);

    // Fixed: saved as a draft, an event, the board says so.
    let r = web.post("/rounds/new", &fields(&csrf, GOOD));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/rounds/msk-pathways-2027?done=made")
    );
    let board = web.get("/rounds/msk-pathways-2027?done=made").body;
    assert!(board.contains("Round made: a draft until launched") && board.contains("Edit round"));
    let list = json_in(&d, env, &["round", "list", "--format", "json"]);
    assert_eq!(list[0]["slug"], "msk-pathways-2027");
    let status = json_in(
        &d,
        env,
        &["status", "msk-pathways-2027", "--format", "json"],
    );
    assert_eq!(
        status.as_array().unwrap().len(),
        36,
        "one request per 2026 ICB"
    );
    // The same slug again is refused beside the slug.
    let r = web.post("/rounds/new", &fields(&csrf, GOOD));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("id=\"f-slug-err\""));

    // Every letter, page by page, and as a ZIP of .eml files.
    let letters = web.get("/rounds/msk-pathways-2027/letters?page=2").body;
    assert!(letters.contains("page 2 of 4"), "{letters}");
    assert!(letters.contains("Has the ICB published an MSK pathway since 2026?"));
    assert!(
        letters.contains("Content-Type: multipart/alternative") || letters.contains("MIME-Version")
    );
    let zip = web.get("/rounds/msk-pathways-2027/letters.zip").bytes;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(z.len(), 36);
    let mut first = String::new();
    z.by_index(0).unwrap().read_to_string(&mut first).unwrap();
    assert!(
        first.contains("Subject: Freedom of Information request"),
        "{first}"
    );

    // Edited: the new definition, one event naming what changed.
    let mut edit = fields(&csrf, GOOD);
    for f in edit.iter_mut() {
        if f.0 == "title" {
            f.1 = "MSK pathways 2027 (edited)";
        }
    }
    edit.retain(|(k, _)| *k != "from");
    let r = web.post("/rounds/msk-pathways-2027/edit", &edit);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = web.get("/rounds/msk-pathways-2027/edit").body;
    assert!(
        page.contains("Round edited (draft) by ann (changed: title)"),
        "{page}"
    );
    assert!(page.contains("Round made by ann"), "{page}");

    // Three bodies ticked and a new prefix: the others' requests go, the three are renamed;
    // every body again: the rest come back.
    let mut three: Vec<(&str, &str)> = edit
        .iter()
        .filter(|(k, _)| !matches!(*k, "bodies_mode" | "reference_prefix"))
        .cloned()
        .collect();
    three.extend([
        ("bodies_mode", "chosen"),
        ("bodies", "QHM"),
        ("bodies", "QOQ"),
        ("bodies", "QF7"),
        ("reference_prefix", "MSKQ27"),
    ]);
    let r = web.post("/rounds/msk-pathways-2027/edit", &three);
    assert_eq!(r.status, 303, "{}", r.body);
    let s3 = json_in(
        &d,
        env,
        &["status", "msk-pathways-2027", "--format", "json"],
    );
    let refs: Vec<&str> = s3
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 3, "{refs:?}");
    assert!(refs.iter().all(|r| r.starts_with("MSKQ27-")), "{refs:?}");
    let r = web.post("/rounds/msk-pathways-2027/edit", &edit);
    assert_eq!(r.status, 303, "{}", r.body);
    let s4 = json_in(
        &d,
        env,
        &["status", "msk-pathways-2027", "--format", "json"],
    );
    assert_eq!(s4.as_array().unwrap().len(), 36);
    assert!(web
        .get("/rounds/msk-pathways-2027/edit")
        .body
        .contains("changed: reference prefix, bodies"));

    // Exported, the round file makes the same round (a fresh data directory).
    let text = ok(foi(&d, &["round", "export", "msk-pathways-2027"], env));
    assert!(text.contains("Has the ICB published an MSK pathway since 2026?"));
    assert!(text.contains("[letters.request]"));
    let d2 = dir.path().join("data2");
    ok(foi(&d2, &["init"], &[]));
    let file = dir.path().join("r.toml");
    std::fs::write(&file, &text).unwrap();
    ok(foi(&d2, &["round", "create", file.to_str().unwrap()], &[]));
    let s2 = json(&d2, &["status", "msk-pathways-2027", "--format", "json"]);
    assert_eq!(s2.as_array().unwrap().len(), 36);
}

#[test]
fn sqlite_a_round_made_in_the_dashboard_is_checked_saved_edited_previewed_and_exported() {
    made_in_the_dashboard(&[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_round_made_in_the_dashboard_is_checked_saved_edited_previewed_and_exported() {
    let pg = common::PgDb::create().await;
    let url = pg.url.clone();
    tokio::task::spawn_blocking(move || {
        made_in_the_dashboard(&[("FOI_DATABASE_URL", url.as_str())])
    })
    .await
    .unwrap();
}

#[test]
fn repeat_a_round_onto_the_new_register_compares_with_the_old_one_and_files_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    ok(foi(
        &d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        &[],
    ));
    ok(foi(
        &d,
        &["code", "import", "arma-msk-2024", FIX24, "--coder", "t"],
        &[],
    ));
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-06-01")], "editor");
    let page = web.get("/rounds/new?from=repeat:arma-msk-2024").body;
    // The copy is on the newest register, with its own slug; the old description is gone.
    assert!(
        page.contains("<option value=\"icbs-2026\" selected>"),
        "{page}"
    );
    let csrf = web.csrf("/rounds/new?from=repeat:arma-msk-2024");
    // Submit exactly what the page shows (as a browser would), with a requester address.
    let mut f = common::http::form_fields(&page, "/rounds/new");
    f.retain(|(k, _)| k != "action" && k != "csrf");
    f.push(("csrf".into(), csrf.clone()));
    f.push(("action".into(), "save".into()));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = web.post("/rounds/new", &pairs);
    assert_eq!(r.status, 303, "{}", r.body);
    let slug = r
        .header("location")
        .unwrap()
        .trim_start_matches("/rounds/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let j = json(
        &d,
        &[
            "report",
            &slug,
            "--format",
            "json",
            "--compare",
            "arma-msk-2024",
        ],
    );
    let c = &j["comparison"];
    assert_eq!(c["mappings"].as_array().unwrap().len(), 36, "{c}");
    assert!(c["not_compared"].as_array().unwrap().is_empty());
    let text = ok(foi(&d, &["round", "export", &slug], &[]));
    assert!(
        !text.contains("launched_on"),
        "a repeat is not a record of the past"
    );

    // A round file imported in the dashboard is a round like any other.
    let round = std::fs::read_to_string("config/rounds/msk-2026.toml").unwrap();
    let r = web.post_multipart(
        "/rounds/import",
        &[("csrf", &csrf)],
        &[("file", "msk-2026.toml", round.as_str())],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/rounds/msk-2026?done=made"));
    assert_eq!(ok(foi(&d, &["round", "export", "msk-2026"], &[])), round);
    // A broken one is refused with its line; nothing made.
    let broken = round.replace(
        "{ id = \"no\", label = \"No MSK lead\" },",
        "{ id = \"no\" },",
    );
    let r = web.post_multipart(
        "/rounds/import",
        &[("csrf", &csrf)],
        &[(
            "file",
            "broken.toml",
            broken.replace("msk-2026", "msk-2026b").as_str(),
        )],
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("line"), "{}", r.body);
    assert!(
        foi(&d, &["round", "export", "msk-2026b"], &[])
            .status
            .code()
            != Some(0)
    );
}

#[test]
fn a_viewer_gets_no_composer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    let (_serve, web) = common::dashboard(&d, &[], "viewer");
    assert_eq!(web.get("/rounds/new").status, 403);
    assert!(!web.get("/").body.contains("href=\"/rounds/new\""));
}

/// The walk, in a real browser from a fresh data directory: the first editor signs in
/// with the setup link and invites a colleague; makes a round to the 36 ICBs of 2026 from the
/// shipped round with one new question and one new codebook variable; sees the error beside a
/// misspelt placeholder and fixes it; previews the letter for two bodies; launches, calls the
/// launch back within the window (the SMTP peer has received nothing), launches again, and the
/// peer receives exactly 36 letters, once each, the two previewed ones matching the preview.
/// Then "Repeat a round" from the 2024 round onto the 2026 register compares with 2024.
/// axe-core on every new page.
#[test]
fn the_whole_round_from_the_browser_reaches_the_smtp_peer_once_per_body() {
    use common::mail::MailPeers;
    use common::webdriver::{axe_source, axe_violations, Browser};
    let peers = MailPeers::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let owned = peers.smtp_env();
    let mut env = common::env_refs(&owned);
    env.push(("FOI_TODAY", "2026-06-01"));
    ok(foi(&d, &["init"], &env));
    ok(foi(
        &d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        &env,
    ));
    let addr = format!("127.0.0.1:{}", common::http::free_port());
    let serve = common::serve(&d, &addr, &env);
    let link = ok(foi(&d, &["user", "setup-link"], &env));
    let token = link.trim().rsplit("token=").next().unwrap().to_string();
    let base = format!("http://{addr}");
    let b = Browser::start();
    let axe = axe_source();
    let mut violations = Vec::new();
    let shots = std::env::var("FOI_TEST_OUTPUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("test-output"));
    std::fs::create_dir_all(&shots).unwrap();
    let mut axe_here = |b: &Browser, page: &str| {
        for v in axe_violations(b, &axe) {
            violations.push(format!("{page}: {v}"));
        }
        let name: String = page
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        b.screenshot(&shots.join(format!(
            "round-from-the-browser-{}.png",
            name.trim_matches('-')
        )));
    };

    // The first editor, then a colleague invited.
    b.goto(&format!("{base}/setup?token={token}"));
    b.type_into("#name", "ann");
    b.type_into("#password", "a long enough password");
    b.click("form[action='/setup'] button");
    b.wait_for("<h1>Rounds</h1>");
    b.click("a[href='/rounds/new']");
    b.wait_for("Start from:");
    b.goto(&format!("{base}/people"));
    b.type_into("#invite-name", "bea");
    b.click("form[action='/people/invite'] button");
    b.wait_for("The link for bea");
    axe_here(&b, "/people");

    // A round from the shipped 2026 round: a new question and a new variable.
    b.goto(&format!("{base}/rounds/new?from=shipped:msk-2026"));
    b.wait_for("New round from the shipped round msk-2026");
    axe_here(&b, "/rounds/new");
    for (field, value) in [
        ("#f-title", "MSK services 2027"),
        ("#f-slug", "msk-2027"),
        ("#f-prefix", "MSK27"),
    ] {
        b.clear(field);
        b.type_into(field, value);
    }
    b.click("button[value='add:questions']");
    b.wait_for("id=\"q-6\"");
    b.type_into(
        "#q-6",
        "Has the ICB published an MSK pathway since April 2026?",
    );
    b.click("button[value='add:variables']");
    b.wait_for("id=\"v-10-id\"");
    b.type_into("#v-10-id", "pathway");
    b.type_into("#v-10-l", "Published an MSK pathway");
    b.click("#v-10-k option[value='yes_no']");
    b.type_into("#v-10-q", "q7");
    b.type_into(
        "#l-request-t",
        "\nOur reference for you: {{authority.nmae}}\n",
    );
    b.click("button[value='save']");
    let refused = b.wait_for("problem(s); nothing was saved");
    let at = refused
        .find("id=\"l-request-t-err\"")
        .expect("the error beside the letter");
    assert!(
        refused[at..at + 300].contains("authority.nmae"),
        "{}",
        &refused[at..at + 300]
    );
    axe_here(&b, "/rounds/new with an error");
    // What was typed is kept: the new question and variable are still there.
    assert!(refused.contains("Has the ICB published an MSK pathway since April 2026?"));
    b.execute("const t = document.querySelector('#l-request-t'); t.value = t.value.replace('authority.nmae', 'authority.code'); return 1;");
    b.click("button[value='save']");
    b.wait_for("Round made: a draft until launched");
    axe_here(&b, "the new round's board");

    // The letter for two bodies, as it will go.
    let mut previews = Vec::new();
    for code in ["QHM", "QOQ"] {
        b.goto(&format!("{base}/rounds/msk-2027/launch?body=MSK27-{code}"));
        b.wait_for("exactly as it will go");
        let text = b.execute("return document.querySelector('pre.mail').textContent;");
        let text = text.as_str().unwrap().to_string();
        assert!(text.contains("Has the ICB published an MSK pathway since April 2026?"));
        assert!(
            text.contains(&format!("Our reference for you: {code}")),
            "{text}"
        );
        previews.push((code, text));
    }
    b.goto(&format!("{base}/rounds/msk-2027/letters"));
    b.wait_for("36 letter(s); letters 1 to 10 (page 1 of 4)");
    axe_here(&b, "/rounds/msk-2027/letters");

    // Launched, called back within the window: nothing reached the peer.
    b.goto(&format!("{base}/rounds/msk-2027/launch"));
    b.wait_for("36 letter(s) will go");
    b.click("form[method=post][action='/rounds/msk-2027/launch'] button");
    b.wait_for("Cancel launch");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        peers.smtp_messages().is_empty(),
        "nothing goes in the window"
    );
    b.click("form[action='/rounds/msk-2027/cancel'] button");
    b.wait_for("Launch called back");
    assert_eq!(
        ok(foi(&d, &["outbox", "--format", "json"], &env)).trim(),
        "[]"
    );
    // Launched again; after the window every letter goes once.
    b.click("form[method=post][action='/rounds/msk-2027/launch'] button");
    b.wait_for("Cancel launch");
    drop(serve);
    let mut next_day = env.clone();
    next_day.retain(|(k, _)| *k != "FOI_TODAY");
    next_day.push(("FOI_TODAY", "2026-06-02"));
    let out = ok(foi(&d, &["send"], &next_day));
    assert!(out.contains("sent 36"), "{out}");
    let counts = peers.message_id_counts();
    assert_eq!(counts.len(), 36, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1));
    let norm = |s: &str| s.replace("\r\n", "\n").trim().to_string();
    for (code, preview) in &previews {
        let sent = peers
            .smtp_messages()
            .into_iter()
            .map(|(_, bytes)| {
                mail_parser::MessageParser::default()
                    .parse(&bytes[..])
                    .unwrap()
                    .body_text(0)
                    .unwrap()
                    .into_owned()
            })
            .find(|t| t.contains(&format!("Our reference for you: {code}")))
            .unwrap_or_else(|| panic!("the letter to {code} reached the peer"));
        assert_eq!(
            norm(&sent),
            norm(preview),
            "the letter to {code} is the preview"
        );
    }

    // "Repeat a round": the 2024 round onto the 2026 register, compared with 2024.
    let _serve = common::serve(&d, &addr, &env);
    b.goto(&format!("{base}/rounds/new?from=repeat:arma-msk-2024"));
    b.wait_for("Repeat round arma-msk-2024");
    assert!(
        b.source()
            .contains("<option value=\"icbs-2026\" selected=\"\">")
            || b.source().contains("icbs-2026")
    );
    b.click("button[value='save']");
    let board = b.wait_for("Round made: a draft until launched");
    let slug = b
        .url()
        .rsplit("/rounds/")
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(board.contains("(repeat)"), "{slug}");
    let j: Value = serde_json::from_str(&ok(foi(
        &d,
        &[
            "report",
            &slug,
            "--format",
            "json",
            "--compare",
            "arma-msk-2024",
        ],
        &env,
    )))
    .unwrap();
    assert_eq!(j["comparison"]["mappings"].as_array().unwrap().len(), 36);
    // The welcome page a colleague's link leads to.
    b.goto(&format!("{base}/welcome?token=not-a-token"));
    b.wait_for("this link is not valid");
    assert!(violations.is_empty(), "axe-core: {violations:?}");
}
