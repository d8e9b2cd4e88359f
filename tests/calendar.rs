//! `foi calendar update`: a gov.uk-shaped file that adds a bank holiday moves `foi deadline`
//! and the due dates of open requests (with an event), leaves answered requests alone, and a
//! malformed file changes nothing and says why — from a file and from a local HTTP server. No
//! network beyond loopback.

mod common;

use common::{foi, ok, stderr};
use foi::domain::calendar::{Calendar, Division};
use std::io::{Read, Write};
use std::path::Path;

/// A gov.uk-shaped JSON file: the shipped calendar's holidays for `years`, plus `extra`.
fn govuk(years: std::ops::RangeInclusive<i32>, extra: &[(&str, Division, &str)]) -> String {
    use chrono::Datelike;
    let mut by: std::collections::BTreeMap<&str, Vec<serde_json::Value>> = Default::default();
    for h in Calendar::shipped().holidays() {
        if years.contains(&h.date.year()) {
            by.entry(h.division.id())
                .or_default()
                .push(serde_json::json!(
                    {"title": h.title, "date": h.date.to_string(), "notes": "", "bunting": true}
                ));
        }
    }
    for (date, div, title) in extra {
        by.entry(div.id()).or_default().push(serde_json::json!(
            {"title": title, "date": date, "notes": "", "bunting": false}
        ));
    }
    let mut root = serde_json::Map::new();
    for (id, events) in by {
        root.insert(
            id.into(),
            serde_json::json!({"division": id, "events": events}),
        );
    }
    serde_json::Value::Object(root).to_string()
}

fn deadline(data: &Path, received: &str, regime: &str) -> String {
    ok(foi(
        data,
        &["deadline", "--received", received, "--regime", regime],
        &[],
    ))
    .trim()
    .to_string()
}

fn request(data: &Path, reference: &str) -> serde_json::Value {
    serde_json::from_str(&ok(foi(
        data,
        &["request", "show", reference, "--format", "json"],
        &[],
    )))
    .unwrap()
}

/// Serves `body` once per connection on a free loopback port (a stand-in for gov.uk).
fn serve(body: String) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                body.len(),
                body
            );
        }
    });
    format!("http://{addr}/bank-holidays.json")
}

#[test]
fn a_refresh_that_adds_a_holiday_moves_open_due_dates_and_a_bad_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    common::msk_round_for(dir.path(), &data, "two", "code,name,region,foi_email,regime\nX0001,English Body,Test,foi@one.example,foia\nX0002,Scottish Body,Test,foi@two.example,foisa\nX0003,Answers Quickly,Test,foi@three.example,foia\n");
    // Sent Mon 7 Jun 2027; X0003 answers on 10 June.
    let sent = [("FOI_TODAY", "2027-06-07"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &data,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &sent,
    ));
    ok(foi(&data, &["send"], &sent));
    ok(foi(
        &data,
        &[
            "request",
            "set",
            "MSK26-X0003",
            "answered_full",
            "--date",
            "2027-06-10",
        ],
        &[],
    ));
    let due = |r: &str| {
        request(&data, r)["request"]["clocks"]["due_on"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(deadline(&data, "2027-06-07", "foia"), "2027-07-05");
    assert_eq!(due("MSK26-X0001"), "2027-07-05");
    assert_eq!(due("MSK26-X0002"), "2027-07-05");
    assert_eq!(due("MSK26-X0003"), "2027-07-05");

    // Bad files first: each is refused, says why, and changes nothing.
    let bad = |name: &str, json: String, why: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, json).unwrap();
        let o = foi(
            &data,
            &["calendar", "update", "--from", f.to_str().unwrap()],
            &[],
        );
        assert!(!o.status.success(), "{name} was accepted");
        assert!(stderr(&o).contains(why), "{name}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("nothing changed"),
            "{name}: {}",
            stderr(&o)
        );
        assert_eq!(deadline(&data, "2027-06-07", "foia"), "2027-07-05");
        assert_eq!(due("MSK26-X0001"), "2027-07-05");
    };
    bad(
        "no-scotland.json",
        govuk(2020..=2028, &[]).replace("\"scotland\"", "\"alba\""),
        "no `scotland` division",
    );
    bad(
        "bad-date.json",
        govuk(2020..=2028, &[("2027-06-31", Division::Scotland, "x")]),
        "`2027-06-31` is not a YYYY-MM-DD date",
    );
    bad(
        "short.json",
        govuk(2020..=2027, &[]),
        "covers years up to 2027",
    );

    // A holiday proclaimed for Mon 21 Jun 2027 in Scotland.
    let f = dir.path().join("bank-holidays.json");
    std::fs::write(
        &f,
        govuk(
            2020..=2028,
            &[("2027-06-21", Division::Scotland, "Proclaimed day")],
        ),
    )
    .unwrap();
    let out = ok(foi(
        &data,
        &["calendar", "update", "--from", f.to_str().unwrap()],
        &[],
    ));
    assert!(out.contains("1 day(s) added, 0 removed"), "{out}");
    assert!(out.contains("added    2027-06-21  Scotland"), "{out}");
    assert!(
        out.contains("MSK26-X0001: due date moved from 2027-07-05 to 2027-07-06"),
        "{out}"
    );
    // Both the FOIA body (any part of the UK) and the FOISA body (Scotland) move.
    assert_eq!(deadline(&data, "2027-06-07", "foia"), "2027-07-06");
    assert_eq!(deadline(&data, "2027-06-07", "foisa"), "2027-07-06");
    assert_eq!(due("MSK26-X0001"), "2027-07-06");
    assert_eq!(due("MSK26-X0002"), "2027-07-06");
    // The answered request is not touched.
    assert_eq!(due("MSK26-X0003"), "2027-07-05");
    let evs = request(&data, "MSK26-X0001")["events"].clone();
    let moved = evs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "due_date_moved")
        .expect("an event on the request");
    let note = moved["note"].as_str().unwrap();
    assert!(note.contains("from 2027-07-05 to 2027-07-06"), "{note}");
    assert!(note.contains("bank holiday added in Scotland"), "{note}");
    assert!(request(&data, "MSK26-X0003")["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] != "due_date_moved"));
    // The same file again changes nothing.
    let again = ok(foi(
        &data,
        &["calendar", "update", "--from", f.to_str().unwrap()],
        &[],
    ));
    assert!(again.contains("0 day(s) added, 0 removed"), "{again}");
    assert!(again.contains("0 due date(s) moved"), "{again}");

    // Through a local HTTP URL: a second day, for Northern Ireland (FOIA only).
    let url = serve(govuk(
        2020..=2028,
        &[
            ("2027-06-21", Division::Scotland, "Proclaimed day"),
            ("2027-06-28", Division::NorthernIreland, "Another day"),
        ],
    ));
    let out = ok(foi(&data, &["calendar", "update", "--from", &url], &[]));
    assert!(
        out.contains("added    2027-06-28  Northern Ireland"),
        "{out}"
    );
    assert_eq!(deadline(&data, "2027-06-07", "foia"), "2027-07-07");
    assert_eq!(deadline(&data, "2027-06-07", "foisa"), "2027-07-06");
    assert_eq!(due("MSK26-X0001"), "2027-07-07");
    assert_eq!(
        due("MSK26-X0002"),
        "2027-07-06",
        "a Scottish body's clock ignores it"
    );
    let status = ok(foi(&data, &["calendar", "status"], &[]));
    assert!(status.contains(&url), "{status}");
}

#[test]
fn an_old_calendar_and_clocks_past_its_data_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let status = |today: &str| ok(foi(&data, &["calendar", "status"], &[("FOI_TODAY", today)]));
    // The shipped data was refreshed on 2026-11-25.
    assert!(
        !status("2026-12-01").contains("warning"),
        "{}",
        status("2026-12-01")
    );
    let old = status("2027-03-01");
    assert!(
        old.contains("warning: the bank-holiday calendar was last refreshed 96 days ago"),
        "{old}"
    );
    // A request sent in late November 2028 has chasers running into 2029, past the data.
    common::msk_round_for(
        dir.path(),
        &data,
        "one",
        "code,name,region,foi_email\nX0001,Body One,Test,foi@one.example\n",
    );
    let sent = [("FOI_TODAY", "2028-11-20"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &data,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &sent,
    ));
    ok(foi(&data, &["send"], &sent));
    let s = status("2026-12-01");
    assert!(
        s.contains("1 open request(s) have clocks running past 2028"),
        "{s}"
    );
    let h: serde_json::Value = serde_json::from_str(&ok(foi(&data, &["health"], &[]))).unwrap();
    assert!(
        h["warnings"].to_string().contains("running past 2028"),
        "{h}"
    );
}

#[test]
fn a_round_may_read_a_weekend_arrival_as_received_the_next_working_day() {
    // Sent Saturday 7 Nov 2026. Statutory reading: received that day, due Mon 7 Dec (St
    // Andrew's Day skipped). ICO practice: received Mon 9 Nov, due Tue 8 Dec.
    for (receipt, due) in [
        ("statutory", "2026-12-07"),
        ("next_working_day", "2026-12-08"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("var");
        ok(foi(&data, &["init"], &[]));
        common::msk_round_with(
            dir.path(),
            &data,
            "r",
            "code,name,region,foi_email\nX0001,Body One,Test,foi@one.example\n",
            &format!("receipt = \"{receipt}\""),
        );
        let sent = [("FOI_TODAY", "2026-11-07"), ("FOI__SEND__PER_MINUTE", "0")];
        ok(foi(
            &data,
            &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
            &sent,
        ));
        ok(foi(&data, &["send"], &sent));
        let r = request(&data, "MSK26-X0001");
        assert_eq!(r["request"]["clocks"]["due_on"], due, "{receipt}");
    }
}
