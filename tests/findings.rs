//! Findings: coding, aggregation and the report, through the binary.

mod common;

use common::{foi, foi_cmd, ok, stderr};
use serde_json::Value;
use std::path::Path;

const FIX24: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/arma-msk-2024-codings.csv"
);
const FIX26: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/msk-2026-codings.csv"
);

fn setup(d: &Path, envs: &[(&str, &str)]) {
    ok(foi(d, &["init"], envs));
    ok(foi(
        d,
        &["round", "create", "config/rounds/arma-msk-2024.toml"],
        envs,
    ));
    ok(foi(
        d,
        &[
            "code",
            "import",
            "arma-msk-2024",
            FIX24,
            "--coder",
            "tester",
        ],
        envs,
    ));
}

fn report_json(d: &Path, slug: &str, extra: &[&str], envs: &[(&str, &str)]) -> Value {
    let mut args = vec!["report", slug, "--format", "json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(foi(d, &args, envs))).unwrap()
}

fn counts(j: &Value, var: &str, cats: &[&str]) -> Vec<u64> {
    cats.iter()
        .map(|c| {
            j["variables"][var]["counts"][c]
                .as_u64()
                .unwrap_or_else(|| panic!("{var}.{c} missing"))
        })
        .collect()
}

fn check_every_table_of_the_report(j: &Value) {
    assert_eq!(j["round"], "arma-msk-2024");
    assert_eq!(j["authorities"], 42);
    assert_eq!(
        counts(j, "msk_lead", &["yes", "no", "under_review", "restructure"]),
        [30, 10, 1, 1]
    );
    assert_eq!(j["variables"]["msk_lead"]["base"], 42);
    assert_eq!(
        counts(
            j,
            "lead_title",
            &[
                "director",
                "head_of",
                "clinical_lead",
                "senior_manager",
                "chair_msk_network",
                "chief_medical_officer",
                "senior_responsible_officer",
                "msk_programme_lead",
                "chief_operating_officer"
            ]
        ),
        [9, 6, 3, 4, 2, 2, 2, 1, 1]
    );
    assert_eq!(
        j["variables"]["lead_title"]["base"], 30,
        "of the 30 who identified a lead"
    );
    assert_eq!(
        counts(
            j,
            "lead_location",
            &[
                "planned_elective_care",
                "msk_service",
                "clinical_directorate",
                "operations",
                "integrated_care",
                "hospital_commissioning",
                "system_transformation",
                "programme_delivery",
                "special_projects",
                "unclear"
            ]
        ),
        [11, 6, 4, 2, 1, 1, 1, 1, 1, 2]
    );
    assert_eq!(
        counts(j, "lead_funded", &["funded", "within_wider_role"]),
        [8, 22]
    );
    assert_eq!(
        counts(
            j,
            "lead_covers",
            &["adults", "adults_and_children", "mixed"]
        ),
        [15, 12, 3]
    );
    assert_eq!(
        counts(
            j,
            "priorities",
            &["specific", "none", "vague", "under_review"]
        ),
        [28, 7, 3, 4]
    );
    assert_eq!(
        counts(
            j,
            "approach",
            &[
                "msk_transformation",
                "system_wide_integrated",
                "comprehensive",
                "new_service_model"
            ]
        ),
        [3, 1, 3, 1]
    );
    assert_eq!(
        counts(
            j,
            "priority_areas",
            &["pathways", "waiting", "support_while_waiting"]
        ),
        [13, 10, 3]
    );
    assert_eq!(
        counts(
            j,
            "conditions",
            &[
                "pain",
                "rheumatology",
                "community_physio",
                "orthopaedics",
                "spinal",
                "fracture_liaison_osteoporosis",
                "cauda_equina",
                "mental_health",
                "fibromyalgia"
            ]
        ),
        [6, 6, 7, 3, 3, 3, 2, 1, 1]
    );
    assert_eq!(
        counts(
            j,
            "themes",
            &[
                "personalised_care",
                "self_management",
                "equalities",
                "self_referral",
                "prevention",
                "data",
                "digital",
                "interface_services",
                "patient_engagement"
            ]
        ),
        [6, 4, 4, 3, 3, 3, 2, 1, 1]
    );
    for (id, n) in [
        ("no_lead", 10),
        ("no_priorities", 10),
        ("no_lead_or_no_priorities", 16),
    ] {
        assert_eq!(j["indicators"][id]["count"], n, "{id}");
        assert_eq!(j["indicators"][id]["base"], 42, "{id}");
    }
    assert_eq!(
        j["indicators"]["no_lead_or_no_priorities"]["phrase"],
        "over one in three"
    );
}

#[test]
fn the_2024_fixture_reproduces_every_table_of_the_report() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[]);
    check_every_table_of_the_report(&report_json(dir.path(), "arma-msk-2024", &[], &[]));
}

#[test]
fn the_2024_fixture_on_postgres_gives_the_same_tables() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pg = rt.block_on(common::PgDb::create());
    let dir = tempfile::tempdir().unwrap();
    let env = [("FOI_DATABASE_URL", pg.url.as_str())];
    setup(dir.path(), &env);
    check_every_table_of_the_report(&report_json(dir.path(), "arma-msk-2024", &[], &env));
    drop(pg);
}

#[test]
fn the_markdown_summary_reads_like_the_report_with_numbers_from_the_data() {
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[]);
    let md = ok(foi(dir.path(), &["report", "arma-msk-2024"], &[]));
    for s in [
        "We received responses from all 42 ICBs.",
        "Twelve ICBs said they had no MSK lead. Of these, two said it was under review",
        "The remaining ten had no lead.",
        "Fourteen ICBs could not provide their priorities for MSK services. Of these, four said that this was under review. The remaining ten had no priorities",
        "This means that almost one in four ICBs have no lead for MSK and almost one in four have no priorities for MSK. Over one in three (16) have either no lead or no priorities.",
        "Eight ICBs had one or more MSK clinical leadership roles funded",
        "fifteen said adults, twelve said both, and three gave mixed answers",
        "Eight out of 42 gave answers that indicated a broad, integrated or transformative approach",
        "| Director | 9 | 30.0 |",
        "| Planned or elective care | 11 | 36.7 |",
    ] {
        assert!(md.contains(s), "missing: {s}\n---\n{md}");
    }
    // Change one body's answer and the prose follows the data.
    let code = "QE1"; // coded msk_lead=yes in the fixture
    let csv = ok(foi(dir.path(), &["code", "export", "arma-msk-2024"], &[]));
    assert!(csv.contains(&format!("{code},msk_lead,yes")), "{csv}");
    let reference = format!("MSK24-{code}");
    // Clearing the lead needs its dependent codes cleared first: the import refuses otherwise.
    let out = foi(dir.path(), &["code", "set", &reference, "msk_lead=no"], &[]);
    assert!(
        !out.status.success(),
        "lead_title would contradict msk_lead=no"
    );
    assert!(
        stderr(&out).contains("applies only when `msk_lead = yes`"),
        "{}",
        stderr(&out)
    );
    ok(foi(
        dir.path(),
        &[
            "code",
            "set",
            &reference,
            "msk_lead=no",
            "lead_title=",
            "lead_location=",
            "lead_funded=",
            "lead_covers=",
        ],
        &[],
    ));
    let md = ok(foi(dir.path(), &["report", "arma-msk-2024"], &[]));
    assert!(
        md.contains("Thirteen ICBs said they had no MSK lead"),
        "{md}"
    );
    assert!(md.contains("The remaining eleven had no lead."), "{md}");
    assert!(
        md.contains("The tables below describe the 29 who did identify one or more lead."),
        "{md}"
    );
}

#[test]
fn a_second_different_fixture_gives_its_own_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(foi(d, &["init"], &[]));
    ok(foi(
        d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        &[],
    ));
    ok(foi(d, &["code", "import", "msk-2026", FIX26], &[]));
    let j = report_json(d, "msk-2026", &[], &[]);
    assert_eq!(j["authorities"], 36);
    assert_eq!(
        counts(
            &j,
            "msk_lead",
            &["yes", "no", "under_review", "restructure"]
        ),
        [24, 8, 4, 0]
    );
    assert_eq!(
        counts(&j, "lead_title", &["director", "head_of", "clinical_lead"]),
        [12, 12, 0]
    );
    assert_eq!(j["variables"]["lead_title"]["base"], 24);
    assert_eq!(
        counts(&j, "lead_funded", &["funded", "within_wider_role"]),
        [6, 18]
    );
    assert_eq!(
        counts(
            &j,
            "priorities",
            &["specific", "none", "vague", "under_review"]
        ),
        [24, 12, 0, 0]
    );
    assert_eq!(
        counts(&j, "themes", &["data", "digital", "prevention"]),
        [24, 12, 0]
    );
    assert_eq!(j["indicators"]["no_lead"]["count"], 8);
    assert_eq!(j["indicators"]["no_priorities"]["count"], 12);
    assert_eq!(j["indicators"]["no_lead_or_no_priorities"]["count"], 17);
    let md = ok(foi(d, &["report", "msk-2026"], &[]));
    assert!(
        md.contains("Twelve ICBs said they had no MSK lead. Of these, four said"),
        "{md}"
    );
    assert!(md.contains("The remaining eight had no lead."), "{md}");
    assert!(
        md.contains("Twelve ICBs could not provide their priorities"),
        "{md}"
    );
}

#[test]
fn a_bad_row_in_an_import_changes_nothing_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, &[]);
    let before = ok(foi(d, &["code", "export", "arma-msk-2024"], &[]));
    let bad = d.join("bad.csv");
    std::fs::write(&bad, "authority,variable,value\nQE1,themes,data\nQE1,themes,digital\nQF7,msk_lead,perhaps\nQHM,priorities,none\n").unwrap();
    let out = foi(
        d,
        &["code", "import", "arma-msk-2024", bad.to_str().unwrap()],
        &[],
    );
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("bad.csv, line 4, field `value`: `perhaps` is not a value of `msk_lead`"),
        "{e}"
    );
    assert!(e.contains("nothing was changed"), "{e}");
    assert_eq!(
        ok(foi(d, &["code", "export", "arma-msk-2024"], &[])),
        before
    );
    // Unknown body and variable are named too.
    std::fs::write(
        &bad,
        "authority,variable,value\nZZZ,msk_lead,yes\nQE1,colour,red\n",
    )
    .unwrap();
    let e = stderr(&foi(
        d,
        &["code", "import", "arma-msk-2024", bad.to_str().unwrap()],
        &[],
    ));
    assert!(
        e.contains("line 2, field `authority`") && e.contains("line 3, field `variable`"),
        "{e}"
    );
}

#[test]
fn compare_2026_with_2024_maps_every_body_through_successor_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, &[]);
    ok(foi(
        d,
        &["round", "create", "config/rounds/msk-2026.toml"],
        &[],
    ));
    ok(foi(d, &["code", "import", "msk-2026", FIX26], &[]));
    let j = report_json(d, "msk-2026", &["--compare", "arma-msk-2024"], &[]);
    let c = &j["comparison"];
    let maps = c["mappings"].as_array().unwrap();
    assert_eq!(maps.len(), 36, "every 2026 body");
    assert!(maps
        .iter()
        .all(|m| !m["baseline"].as_array().unwrap().is_empty()));
    assert!(
        c["not_compared"].as_array().unwrap().is_empty(),
        "no 2024 body dropped"
    );
    let s1 = maps.iter().find(|m| m["code"] == "S1Y5D").unwrap();
    assert_eq!(
        s1["baseline"],
        serde_json::json!(["QHG", "QUE", "QM7(part)"])
    );
    assert!(s1["how"]
        .as_str()
        .unwrap()
        .contains("against the set of its predecessors"));
    let lead = c["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "msk_lead")
        .unwrap();
    let yes = lead["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "yes")
        .unwrap();
    assert_eq!(
        (yes["baseline"].as_u64(), yes["current"].as_u64()),
        (Some(30), Some(24))
    );
    let body = lead["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["code"] == "S1Y5D")
        .unwrap();
    assert!(
        body["baseline"].as_str().unwrap().starts_with("QHG: "),
        "{body}"
    );
    let md = ok(foi(
        d,
        &["report", "msk-2026", "--compare", "arma-msk-2024"],
        &[],
    ));
    assert!(md.contains("## Compared with"), "{md}");
    assert!(md.contains("NHS Central East Integrated Care Board (S1Y5D) | QHG QUE QM7(part) | successor compared against the set of its predecessors"), "{md}");
}

#[test]
fn html_and_csv_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, &[]);
    let out = d.join("r.html");
    ok(foi(
        d,
        &[
            "report",
            "arma-msk-2024",
            "--format",
            "html",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    ));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        10,
        "a chart per choice variable"
    );
    assert!(html.contains("@media print"));
    assert!(html.contains("Twelve ICBs said they had no MSK lead"));
    let csv = ok(foi(d, &["report", "arma-msk-2024", "--format", "csv"], &[]));
    assert!(csv.starts_with("round,section,variable,category,label,count,base,percent"));
    assert!(csv.contains(
        "arma-msk-2024,variable,msk_lead,yes,Identified one or more MSK leads,30,42,71.4"
    ));
    assert!(csv.contains(
        "arma-msk-2024,indicator,no_lead_or_no_priorities,,No lead or no priorities,16,42,38.1"
    ));
}

#[test]
fn desk_research_round_records_sources_and_codes_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(foi(d, &["init"], &[]));
    ok(foi(
        d,
        &["round", "create", "config/rounds/arma-jfp-2025.toml"],
        &[],
    ));
    ok(foi(
        d,
        &[
            "round",
            "source",
            "arma-jfp-2025",
            "QHM",
            "https://example.org/nenc-jfp.pdf",
            "--title",
            "Joint Forward Plan 2025",
        ],
        &[],
    ));
    ok(foi(
        d,
        &[
            "code",
            "set",
            "JFP25-QHM",
            "msk_reference=yes",
            "system_wide_approach=no",
            "msk_outcomes=yes",
            "msk_target=no",
            "pain_reference=no",
            "pain_outcomes=no",
        ],
        &[],
    ));
    ok(foi(
        d,
        &[
            "code",
            "set",
            "JFP25-QF7",
            "msk_reference=no",
            "pain_reference=no",
        ],
        &[],
    ));
    let j = report_json(d, "arma-jfp-2025", &[], &[]);
    assert_eq!(j["variables"]["msk_reference"]["counts"]["yes"], 1);
    assert_eq!(j["variables"]["msk_reference"]["counts"]["no"], 1);
    assert_eq!(j["indicators"]["no_pain_reference"]["count"], 2);
    assert_eq!(j["sources"][0]["url"], "https://example.org/nenc-jfp.pdf");
    let md = ok(foi(d, &["report", "arma-jfp-2025"], &[]));
    assert!(
        md.contains("We analysed the Joint Forward Plans of 2 of the 42 ICBs."),
        "{md}"
    );
    assert!(
        md.contains("Joint Forward Plan 2025: https://example.org/nenc-jfp.pdf"),
        "{md}"
    );
    // A desk round sends nothing.
    let out = foi(d, &["round", "launch", "arma-jfp-2025", "--yes"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("desk-research round"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn second_coder_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, &[]);
    // The second coder agrees on everything except two bodies' msk_lead.
    let text = std::fs::read_to_string(FIX24).unwrap();
    let mut changed = 0;
    let second: String = text
        .lines()
        .map(|l| {
            if changed < 2 && l.ends_with(",msk_lead,no") {
                changed += 1;
                l.replace(",msk_lead,no", ",msk_lead,under_review")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let f = d.join("second.csv");
    std::fs::write(&f, second).unwrap();
    ok(foi(
        d,
        &[
            "code",
            "import",
            "arma-msk-2024",
            f.to_str().unwrap(),
            "--pass",
            "2",
            "--coder",
            "second",
        ],
        &[],
    ));
    let out = foi_cmd(
        d,
        &["code", "agreement", "arma-msk-2024", "--format", "json"],
        &[],
    )
    .output()
    .unwrap();
    let a: Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let lead = a
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["variable"] == "msk_lead")
        .unwrap();
    assert_eq!(lead["n"], 42);
    assert_eq!(lead["percent_agreement"], 95.2); // 40 of 42
    let k = lead["kappa"].as_f64().unwrap();
    assert!(k > 0.8 && k < 1.0, "{k}");
    let title = a
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["variable"] == "lead_title")
        .unwrap();
    assert_eq!(title["percent_agreement"], 100.0);
    assert_eq!(title["kappa"], 1.0);
}

/// The dashboard keeps a round's findings between views, and works them out again after every
/// coding: the data version moves, and the kept findings are never the old ones. On both
/// stores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_kept_findings_follow_every_coding_on_both_stores() {
    use common::Backend;
    use foi::services::findings::report_data_cached;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = common::test_app(backend).await;
        let data = t.dir.path().join("data");
        let url = t.pg.as_ref().map(|p| p.url.clone());
        let env: Vec<(&str, &str)> = url
            .as_deref()
            .map(|u| vec![("FOI_DATABASE_URL", u)])
            .unwrap_or_default();
        common::msk_round_on(
            t.dir.path(),
            &data,
            "kept",
            "code,name,region,foi_email\nX1,Body 1,North,a@b.example\nX2,Body 2,South,c@d.example\n",
            "",
            &env,
        );
        let v0 = foi::store::events::data_version(&t.app.db).await.unwrap();
        let first = report_data_cached(&t.app, "msk-2026", None).await.unwrap();
        assert_eq!(first.data.findings.coded_bodies, 0, "{backend:?}");
        let again = report_data_cached(&t.app, "msk-2026", None).await.unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again), "kept between views");
        let codes = t.dir.path().join("codes.csv");
        std::fs::write(&codes, "authority,variable,value\nX1,msk_lead,yes\n").unwrap();
        ok(foi(
            &data,
            &[
                "code",
                "import",
                "msk-2026",
                codes.to_str().unwrap(),
                "--coder",
                "sam",
            ],
            &env,
        ));
        let v1 = foi::store::events::data_version(&t.app.db).await.unwrap();
        assert_ne!(v0, v1, "{backend:?}: a coding moves the data version");
        assert!(
            !v1.contains("None/None"),
            "{backend:?}: read as numbers: {v1}"
        );
        let after = report_data_cached(&t.app, "msk-2026", None).await.unwrap();
        assert_eq!(
            after.data.findings.coded_bodies, 1,
            "{backend:?}: worked out again"
        );
    }
}
