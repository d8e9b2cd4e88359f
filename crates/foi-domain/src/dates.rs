//! Dates as a UK reader writes them: "24 Dec 2026" in tables, "Thursday 24 December 2026" in
//! letters and reports. Machine formats (CSV, JSON) keep ISO 8601. Times are shown in London.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// "24 Dec 2026": for tables (never wraps oddly, unlike "2026-12-24").
pub fn short(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// "Thursday 24 December 2026": for letters and reports.
pub fn long(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

/// "24 Dec 2026 14:05" in London time, to the minute (no seconds, no nanoseconds).
pub fn moment(t: DateTime<Utc>) -> String {
    t.with_timezone(&London)
        .format("%-d %b %Y %H:%M")
        .to_string()
}

/// The London date of a moment (the day a letter counts as sent or received).
pub fn london_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&London).date_naive()
}

/// The London date of a moment, ISO 8601 (form values, machine output).
pub fn iso_day_of(t: DateTime<Utc>) -> String {
    london_date(t).to_string()
}

/// The London date of a moment, short.
pub fn day_of(t: DateTime<Utc>) -> String {
    short(london_date(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn uk_forms() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        assert_eq!(short(d), "24 Dec 2026");
        assert_eq!(long(d), "Thursday 24 December 2026");
        // 23:30 UTC in June is the next day in London.
        let t = Utc.with_ymd_and_hms(2026, 6, 30, 23, 30, 5).unwrap();
        assert_eq!(moment(t), "1 Jul 2026 00:30");
        assert_eq!(day_of(t), "1 Jul 2026");
    }
}
