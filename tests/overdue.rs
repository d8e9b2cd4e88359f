//! One definition of "overdue": a request walked day by day from its date of receipt to 45
//! working days later; on every day the board row, `foi status --format json`, `foi overdue`
//! and the digest agree with each other and with the rule counted independently here
//! (overdue from the 21st working day after receipt, very overdue from the 40th).

mod common;

use chrono::{Duration, NaiveDate};
use common::{foi, ok};
use foi::app::{App, Globals};
use foi::clock::ManualClock;
use foi::domain::calendar::Calendar;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn board_status_overdue_and_digest_agree_every_day_for_45_working_days() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    common::msk_round_for(
        dir.path(),
        &data,
        "one",
        "code,name,region,foi_email\nX0001,Body One,Test,foi@body1.example\n",
    );
    // Sent (and so received) on Monday 16 November 2026; the 45 working days run across
    // Christmas, Boxing Day (observed Mon 28 Dec) and New Year's Day.
    let received = d("2026-11-16");
    let sent_env = [("FOI_TODAY", "2026-11-16"), ("FOI__SEND__PER_MINUTE", "0")];
    ok(foi(
        &data,
        &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
        &sent_env,
    ));
    ok(foi(&data, &["send"], &sent_env));

    let cal = Calendar::shipped();
    let clock = Arc::new(ManualClock::at_london(received, 12, 0));
    let g = Globals {
        data_dir: data.clone(),
        ..Globals::default()
    };
    let app = App::with_config(&g, foi::config::Config::default())
        .await
        .unwrap()
        .with_clock(clock.clone());
    let st = foi::web::WebState::new(Arc::new(app));
    let end = cal.add_working_days(received, 45).unwrap();
    let mut seen = HashMap::new();
    let mut day = received;
    while day <= end {
        clock.set(foi::clock::london_to_utc(
            day,
            chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap(),
        ));
        let today = day.to_string();
        let env = [("FOI_TODAY", today.as_str())];
        // The rule, counted here without the code under test.
        let since = cal.working_days_between(received, day).unwrap();
        let (tier, label, late) = match since {
            0..=20 => ("on_time", "", 0),
            21..=39 => ("overdue", "overdue", since - 20),
            _ => ("very_overdue", "very overdue", since - 20),
        };
        *seen.entry(tier).or_insert(0) += 1;

        // 1. The board row.
        let board = foi::web::rounds::board_data(&st, "msk-2026", &HashMap::new())
            .await
            .unwrap();
        let row = &board["rows"][0];
        assert_eq!(row["tier"], label, "board on {day} ({since} working days)");
        assert_eq!(row["overdue"], late, "board on {day}");

        // 2. `foi status --format json`.
        let status: Vec<Value> = serde_json::from_str(&ok(foi(
            &data,
            &["status", "msk-2026", "--format", "json"],
            &env,
        )))
        .unwrap();
        assert_eq!(
            status[0]["tier"], tier,
            "status on {day} ({since} working days)"
        );
        assert_eq!(status[0]["working_days_overdue"], late, "status on {day}");

        // 3. `foi overdue`: listed exactly when overdue, with the same tier.
        let overdue: Vec<Value> =
            serde_json::from_str(&ok(foi(&data, &["overdue", "--format", "json"], &env))).unwrap();
        match tier {
            "on_time" => assert!(overdue.is_empty(), "overdue on {day}: {overdue:?}"),
            _ => {
                assert_eq!(overdue.len(), 1, "overdue on {day}");
                assert_eq!(overdue[0]["tier"], tier, "overdue on {day}");
                assert_eq!(overdue[0]["working_days_overdue"], late, "overdue on {day}");
            }
        }

        // 4. The digest: "Very overdue" exactly when very overdue; "Newly overdue" in the
        //    first five working days of being overdue.
        let digest = ok(foi(&data, &["digest", "--dry-run"], &env));
        let section = |title: &str| -> bool {
            let start = digest.find(&format!("\n{title}: ")).unwrap();
            let rest = &digest[start + 1..];
            let end = rest[1..].find("\n\n").map(|e| e + 1).unwrap_or(rest.len());
            rest[..end].contains("MSK26-X0001")
        };
        assert_eq!(
            section("Very overdue"),
            tier == "very_overdue",
            "digest on {day}"
        );
        assert_eq!(
            section("Newly overdue"),
            tier == "overdue" && late <= 5,
            "digest on {day}:\n{digest}"
        );
        day += Duration::days(1);
    }
    // The walk crossed every tier, including each boundary day.
    assert!(
        seen["on_time"] > 20 && seen["overdue"] > 19 && seen["very_overdue"] >= 6,
        "{seen:?}"
    );
}

/// `foi overdue` is streamed a thousand requests at a time: over 2,100 late requests (all
/// sent the same day, so every batch boundary falls between references of one overdue date)
/// each is listed exactly once, longest overdue first, in every format.
#[test]
fn foi_overdue_lists_every_late_request_once_across_its_batches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("var");
    ok(foi(&data, &["init"], &[]));
    let n = 2_100;
    let mut csv = String::from("code,name,region,foi_email\n");
    for i in 1..=n {
        csv.push_str(&format!("X{i:05},Body {i},Test,foi{i}@body.example\n"));
    }
    common::msk_round_for(dir.path(), &data, "many", &csv);
    // Half sent on Monday 16 November, half on Tuesday: two overdue dates.
    for (day, cap) in [("2026-11-16", "1050"), ("2026-11-17", "0")] {
        let env = [
            ("FOI_TODAY", day),
            ("FOI__SEND__PER_MINUTE", "0"),
            ("FOI__SEND__PER_DAY", cap),
        ];
        if day == "2026-11-16" {
            ok(foi(
                &data,
                &["round", "launch", "msk-2026", "--yes", "--enqueue-only"],
                &env,
            ));
        }
        ok(foi(&data, &["send"], &env));
    }
    let late = [("FOI_TODAY", "2027-02-01")];
    let csv = ok(foi(&data, &["overdue", "--format", "csv"], &late));
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), n, "every late request listed");
    let refs: std::collections::HashSet<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(refs.len(), n, "none listed twice");
    let days: Vec<u32> = rows.iter().map(|r| r[5].parse().unwrap()).collect();
    assert!(
        days.windows(2).all(|w| w[0] >= w[1]),
        "longest overdue first"
    );
    assert!(days[0] > days[n - 1], "two send days, two lateness figures");
    let json: Vec<Value> =
        serde_json::from_str(&ok(foi(&data, &["overdue", "--format", "json"], &late))).unwrap();
    assert_eq!(json.len(), n);
    let table = ok(foi(&data, &["overdue"], &late));
    assert_eq!(table.lines().count(), n + 1, "a header and a line each");
}
