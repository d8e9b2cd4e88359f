//! "None of these" is an answer to a multiple-choice question, distinct from not coded: in the
//! request page's form, the CSV (export and import) and the report's bases.

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::path::Path;

fn at(d: &Path, args: &[&str]) -> String {
    ok(foi(
        d,
        args,
        &[("FOI_TODAY", "2026-06-15"), ("FOI__SEND__PER_MINUTE", "0")],
    ))
}

/// The report's table for `approach`, and the bodies it lists as not coded for it.
fn approach(d: &Path) -> (Value, Vec<String>) {
    let rep: Value =
        serde_json::from_str(&at(d, &["report", "msk-2026", "--format", "json"])).unwrap();
    let gaps = rep["data_quality"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["variable"] == "approach" && i["problem"] == "not coded")
        .map(|i| i["authority"].as_str().unwrap().to_string())
        .collect();
    (rep["variables"]["approach"].clone(), gaps)
}

#[test]
fn none_of_these_is_an_answer_and_an_empty_question_is_not_coded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_for(dir.path(), &d, "none", csv);
    // Body 1: a category. Body 2: none of these. Body 3: other questions coded, this one not.
    at(
        &d,
        &[
            "code",
            "set",
            "MSK26-X0001",
            "msk_lead=no",
            "approach=comprehensive",
        ],
    );
    at(&d, &["code", "set", "MSK26-X0003", "msk_lead=no"]);
    let (_serve, web) = common::dashboard(&d, &[("FOI_TODAY", "2026-06-15")], "editor");
    let path = "/requests/MSK26-X0002";
    let page = web.get(path).body;
    assert!(
        page.contains(r#"value="none_of_these""#) && page.contains("None of these"),
        "the form offers it"
    );
    let csrf = web.csrf(path);
    // With a category as well: refused in words, nothing saved.
    let r = web.post(
        &format!("{path}/coding"),
        &[
            ("csrf", &csrf),
            ("msk_lead", "no"),
            ("approach", "comprehensive"),
            ("approach", "none_of_these"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("cannot be ticked with another answer"),
        "{}",
        r.body
    );
    let r = web.post(
        &format!("{path}/coding"),
        &[
            ("csrf", &csrf),
            ("msk_lead", "no"),
            ("approach", "none_of_these"),
        ],
    );
    assert!(r.status < 400, "{}", r.body);

    let (a, gaps) = approach(&d);
    assert_eq!(a["base"], 2, "a category and none of these: {a}");
    assert_eq!(a["counts"]["none_of_these"], 1, "{a}");
    assert_eq!(a["counts"]["comprehensive"], 1, "{a}");
    assert_eq!(gaps, ["X0003"], "body 3 is not coded for it");

    // The CSV carries it, and takes it back (all or nothing).
    let out = at(&d, &["code", "export", "msk-2026"]);
    assert!(out.contains("X0002,approach,none_of_these"), "{out}");
    let file = dir.path().join("codes.csv");
    std::fs::write(
        &file,
        "authority,variable,value\nX0003,approach,none_of_these\nX0001,themes,data\nX0001,themes,none_of_these\n",
    )
    .unwrap();
    let o = foi(
        &d,
        &["code", "import", "msk-2026", file.to_str().unwrap()],
        &[],
    );
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(
        err.contains("line 4") && err.contains("none of these"),
        "{err}"
    );
    assert_eq!(
        approach(&d).1,
        ["X0003"],
        "a refused import changes nothing"
    );
    std::fs::write(
        &file,
        "authority,variable,value\nX0003,approach,none_of_these\n",
    )
    .unwrap();
    at(&d, &["code", "import", "msk-2026", file.to_str().unwrap()]);
    let (a, gaps) = approach(&d);
    assert_eq!(a["base"], 3);
    assert!(gaps.is_empty(), "{gaps:?}");
}
