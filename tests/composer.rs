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
    serde_json::from_str(&ok(foi(d, args, &[]))).unwrap()
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

#[test]
fn a_round_made_in_the_dashboard_is_checked_saved_edited_previewed_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    ok(foi(&d, &["init"], &[]));
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-06-01")], "editor");
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
    assert!(json(&d, &["round", "list", "--format", "json"])
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
    let list = json(&d, &["round", "list", "--format", "json"]);
    assert_eq!(list[0]["slug"], "msk-pathways-2027");
    let status = json(&d, &["status", "msk-pathways-2027", "--format", "json"]);
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

    // Exported, the round file makes the same round (a fresh data directory).
    let text = ok(foi(&d, &["round", "export", "msk-pathways-2027"], &[]));
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
