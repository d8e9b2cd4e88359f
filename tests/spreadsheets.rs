//! The spreadsheets a team works in: the board (`foi status --format xlsx`), the codings
//! exported with a drop-down per answer, edited by a script with openpyxl (as a team's own
//! tools would) and imported again, all or nothing, and the report's tables.

mod common;

use common::{foi, ok};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn at(d: &Path, day: &str, args: &[&str]) -> String {
    ok(foi(
        d,
        args,
        &[("FOI_TODAY", day), ("FOI__SEND__PER_MINUTE", "0")],
    ))
}

/// Runs a Python script with openpyxl (Debian's python3-openpyxl; scripts/test installs it);
/// its standard output as JSON.
fn openpyxl(script: &str, args: &[&str]) -> Value {
    let o = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 (scripts/test installs python3-openpyxl)");
    assert!(
        o.status.success(),
        "openpyxl script failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

const DESCRIBE: &str = r#"
import json, sys, datetime, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames, "state": {n: wb[n].sheet_state for n in wb.sheetnames}}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows(values_only=True):
        rows.append([v.isoformat()[:10] if isinstance(v, (datetime.date, datetime.datetime)) else v for v in row])
    out[ws.title] = {
        "rows": rows,
        "freeze": ws.freeze_panes,
        "filter": ws.auto_filter.ref,
        "dates": [c.coordinate for r in ws.iter_rows() for c in r if c.is_date],
        "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        "lists": [[str(dv.sqref), dv.type, dv.formula1] for dv in ws.data_validations.dataValidation],
    }
print(json.dumps(out, default=str))
"#;

/// Sets cells of the Codings sheet: (authority, column header, value) triples.
const EDIT: &str = r#"
import sys, openpyxl
src, dst = sys.argv[1], sys.argv[2]
wb = openpyxl.load_workbook(src)
ws = wb["Codings"]
rows = list(ws.iter_rows())
head = next(i for i, r in enumerate(rows) if r[0].value == "authority")
cols = {c.value: c.column for c in rows[head]}
for spec in sys.argv[3:]:
    body, col, value = spec.split("|")
    r = next(r for r in rows[head + 1:] if r[0].value == body)
    ws.cell(row=r[0].row, column=cols[col]).value = value or None
wb.save(dst)
print("{}")
"#;

#[test]
fn status_codings_and_report_as_spreadsheets_and_an_edited_sheet_imports_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let csv = "code,name,region,foi_email\nX0001,Body 1,Test,foi@body1.example\nX0002,Body 2,Test,foi@body2.example\nX0003,Body 3,Test,foi@body3.example\n";
    common::msk_round_for(dir.path(), &d, "sheets", csv);
    at(
        &d,
        "2026-05-05",
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
    );
    at(&d, "2026-05-05", &["send"]);
    at(
        &d,
        "2026-05-20",
        &["request", "set", "MSK26-X0001", "answered_full"],
    );
    at(
        &d,
        "2026-05-20",
        &[
            "code",
            "set",
            "MSK26-X0001",
            "msk_lead=no",
            "approach=comprehensive",
        ],
    );

    // The board: dates as dates, the header frozen, filters on, widths set.
    let status = dir.path().join("status.xlsx");
    at(
        &d,
        "2026-06-15",
        &[
            "status",
            "msk-2026",
            "--format",
            "xlsx",
            "--out",
            status.to_str().unwrap(),
        ],
    );
    let s = openpyxl(DESCRIBE, &[status.to_str().unwrap()]);
    let sheet = &s["Status"];
    let rows = sheet["rows"].as_array().unwrap();
    let head = rows
        .iter()
        .position(|r| r[0] == "Body")
        .expect("a header row");
    assert_eq!(rows[head][6], "Due");
    assert_eq!(sheet["freeze"], format!("A{}", head + 2), "{sheet}");
    assert!(sheet["filter"]
        .as_str()
        .is_some_and(|f| f.starts_with(&format!("A{}", head + 1))));
    let body1 = rows.iter().find(|r| r[0] == "Body 1").unwrap();
    assert_eq!(body1[6], "2026-06-03", "due date");
    assert_eq!(body1[7], "2026-05-20", "first response");
    assert!(
        sheet["dates"].as_array().unwrap().len() >= 6,
        "sent, due and first response are real dates: {sheet}"
    );
    assert!(!sheet["widths"].as_object().unwrap().is_empty());

    // The codings: a drop-down per answer, and a sheet on the codebook.
    let exported = dir.path().join("codings.xlsx");
    at(
        &d,
        "2026-06-15",
        &[
            "code",
            "export",
            "msk-2026",
            "--format",
            "xlsx",
            "--out",
            exported.to_str().unwrap(),
        ],
    );
    let c = openpyxl(DESCRIBE, &[exported.to_str().unwrap()]);
    assert!(c["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Codebook"));
    assert_eq!(c["state"]["Lists"], "hidden");
    let lists = c["Codings"]["lists"].as_array().unwrap();
    assert!(
        lists.iter().all(|l| l[1] == "list" || l[1] == "decimal"),
        "{lists:?}"
    );
    assert!(lists.len() >= 10, "a drop-down per answer: {lists:?}");
    let before = at(&d, "2026-06-15", &["code", "export", "msk-2026"]);

    // A bad cell: refused with its sheet, row and column, and nothing changes.
    let bad = dir.path().join("bad.xlsx");
    openpyxl(
        EDIT,
        &[
            exported.to_str().unwrap(),
            bad.to_str().unwrap(),
            "X0002|msk_lead|no",
            "X0003|msk_lead|perhaps",
        ],
    );
    let o = foi(
        &d,
        &["code", "import", "msk-2026", bad.to_str().unwrap()],
        &[],
    );
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(
        err.contains("sheet Codings, row 6, column C (msk_lead)") && err.contains("perhaps"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        at(&d, "2026-06-15", &["code", "export", "msk-2026"]),
        before
    );

    // The same edits without the bad cell: imported as edited.
    let good = dir.path().join("good.xlsx");
    openpyxl(
        EDIT,
        &[
            exported.to_str().unwrap(),
            good.to_str().unwrap(),
            "X0002|msk_lead|no",
            "X0002|approach: none_of_these|yes",
            "X0001|approach: comprehensive|",
            "X0001|approach: new_service_model|yes",
        ],
    );
    at(
        &d,
        "2026-06-15",
        &["code", "import", "msk-2026", good.to_str().unwrap()],
    );
    let after = at(&d, "2026-06-15", &["code", "export", "msk-2026"]);
    for line in [
        "X0002,msk_lead,no",
        "X0002,approach,none_of_these",
        "X0001,approach,new_service_model",
    ] {
        assert!(after.contains(line), "{line} in {after}");
    }
    assert!(!after.contains("X0001,approach,comprehensive"), "{after}");

    // The report: every table a sheet, with its base line.
    let report = dir.path().join("report.xlsx");
    at(
        &d,
        "2026-06-15",
        &[
            "report",
            "msk-2026",
            "--format",
            "xlsx",
            "--out",
            report.to_str().unwrap(),
        ],
    );
    let r = openpyxl(DESCRIBE, &[report.to_str().unwrap()]);
    let names = r["sheets"].as_array().unwrap();
    assert!(names.iter().any(|n| n == "Indicators"), "{names:?}");
    assert!(names.iter().any(|n| n == "Timeliness"), "{names:?}");
    let lead = names
        .iter()
        .find(|n| n.as_str().unwrap().starts_with("Does the ICB have an MSK"))
        .unwrap_or_else(|| panic!("a sheet for msk_lead: {names:?}"));
    let rows = r[lead.as_str().unwrap()]["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|row| row[0].as_str().is_some_and(|t| t.starts_with("Base: 2 "))),
        "{rows:?}"
    );
}
