//! The FOIA working-day calendar.
//!
//! # The rule (Freedom of Information Act 2000)
//!
//! * **s.10(1)**: a public authority must comply with s.1(1) "promptly and in any event not
//!   later than the twentieth working day following the date of receipt".
//! * **s.10(6)**: "working day" means any day other than a Saturday, a Sunday, Christmas Day,
//!   Good Friday or a day which is a bank holiday under the Banking and Financial Dealings Act
//!   1971 **in any part of the United Kingdom**.
//!
//! So the non-working days are the *union* of the bank holidays of England and Wales, Scotland
//! and Northern Ireland: St Patrick's Day (17 March), the Battle of the Boyne (12 July), 2
//! January, St Andrew's Day and Scotland's early-August holiday stop the clock for an English
//! body too. Christmas Day and Good Friday are named in s.10(6) themselves and are treated as
//! non-working days whether or not the data lists them (Good Friday is computed from Easter).
//!
//! Counting: the day of receipt is day 0. Day 1 is the first working day *after* the day of
//! receipt; the deadline is the 20th working day counted that way. A request received on a
//! weekend or holiday therefore counts from the next working day (that day is day 1).
//!
//! Worked example: received Monday 1 July 2024 → due Tuesday 30 July 2024 (Friday 12 July 2024
//! was a bank holiday in Northern Ireland; an England-only calendar wrongly gives 29 July).
//!
//! The same arithmetic serves the other clocks: an internal review (20 working days, per the
//! s.45 Code of Practice), a public-interest extension (s.10(3), "reasonable" time, by ICO
//! guidance up to 20 further working days), and "very overdue" (40 working days).
//!
//! Bank holidays are data (gov.uk, all three divisions), not rules: they are declared year by
//! year (and refreshed by `foi calendar update`, see `domain::holidays`). A date outside the
//! years the data covers is an error naming the missing year, never a silent guess.
//!
//! **Other regimes.** The same data serves the other laws through [`Calendar::for_regime`]:
//! FOISA s.73 (and the Scottish EIRs) count only Scotland's bank holidays, so St Patrick's Day
//! and 12 July are working days for a Scottish body (see `domain::regime`).

use super::regime::Regime;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The statutory period for a response under FOIA s.10(1).
pub const FOIA_RESPONSE_DAYS: u32 = 20;
/// The period for an internal review recommended by the s.45 Code of Practice.
pub const INTERNAL_REVIEW_DAYS: u32 = 20;
/// Working days after which a request is "very overdue" (WhatDoTheyKnow's tier).
pub(crate) const VERY_OVERDUE_DAYS: u32 = 40;

/// A legal division of the United Kingdom for bank-holiday purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Division {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Division {
    pub fn parse(s: &str) -> Option<Division> {
        match s.trim() {
            "england-and-wales" => Some(Division::EnglandAndWales),
            "scotland" => Some(Division::Scotland),
            "northern-ireland" => Some(Division::NorthernIreland),
            _ => None,
        }
    }
    /// The gov.uk identifier.
    pub fn id(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "england-and-wales",
            Division::Scotland => "scotland",
            Division::NorthernIreland => "northern-ireland",
        }
    }
    pub const ALL: [Division; 3] = [
        Division::EnglandAndWales,
        Division::Scotland,
        Division::NorthernIreland,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Division::EnglandAndWales => "England and Wales",
            Division::Scotland => "Scotland",
            Division::NorthernIreland => "Northern Ireland",
        }
    }
}

/// Why a day is not a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonWorking {
    Saturday,
    Sunday,
    /// Named in s.10(6) itself.
    ChristmasDay,
    /// Named in s.10(6) itself.
    GoodFriday,
    /// A bank holiday in one or more divisions: (division, title).
    BankHoliday(Vec<(Division, String)>),
}

impl fmt::Display for NonWorking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NonWorking::Saturday => write!(f, "Saturday"),
            NonWorking::Sunday => write!(f, "Sunday"),
            NonWorking::ChristmasDay => write!(f, "Christmas Day"),
            NonWorking::GoodFriday => write!(f, "Good Friday"),
            NonWorking::BankHoliday(list) => {
                let parts: Vec<String> = list
                    .iter()
                    .map(|(d, t)| format!("{t} ({})", d.label()))
                    .collect();
                write!(f, "bank holiday: {}", parts.join("; "))
            }
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error(
        "no bank-holiday data for {year}: the calendar covers {first}–{last}. Add {year}'s rows for all \
         three divisions from https://www.gov.uk/bank-holidays.json to config/calendars/uk-bank-holidays.csv"
    )]
    YearNotCovered { year: i32, first: i32, last: i32 },
    #[error("{source_name}, line {line}, field `{field}`: {message}")]
    BadRow {
        source_name: String,
        line: usize,
        field: &'static str,
        message: String,
    },
    #[error("{source_name}: no bank holidays found; is this the gov.uk CSV (date,division,title,notes)?")]
    Empty { source_name: String },
}

/// The UK working-day calendar: the bank holidays of all three divisions, read for one
/// regime (FOIA by default: any part of the UK; FOISA: Scotland only — see `domain::regime`).
/// Cloning is cheap (the data is shared).
#[derive(Debug, Clone)]
pub struct Calendar {
    holidays: Arc<BTreeMap<NaiveDate, Vec<(Division, String)>>>,
    first_year: i32,
    last_year: i32,
    regime: Regime,
}

/// One bank holiday of one division.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Holiday {
    pub date: NaiveDate,
    pub division: Division,
    pub title: String,
}

const SHIPPED: &str = include_str!("../../../config/calendars/uk-bank-holidays.csv");

impl Calendar {
    /// The calendar shipped with `foi` (gov.uk data, 2012–2028).
    pub fn shipped() -> Calendar {
        Calendar::from_csv(SHIPPED, "config/calendars/uk-bank-holidays.csv")
            .expect("the shipped calendar parses (checked by a unit test)")
    }

    /// Parses the gov.uk bank-holiday CSV (`date,division,title,notes`).
    pub fn from_csv(text: &str, source_name: &str) -> Result<Calendar, CalendarError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(text.as_bytes());
        let mut holidays: BTreeMap<NaiveDate, Vec<(Division, String)>> = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let bad = |field: &'static str, message: String| CalendarError::BadRow {
                source_name: source_name.to_string(),
                line,
                field,
                message,
            };
            let rec = rec.map_err(|e| bad("row", e.to_string()))?;
            let date_s = rec.get(0).unwrap_or("");
            let date = NaiveDate::parse_from_str(date_s.trim(), "%Y-%m-%d")
                .map_err(|_| bad("date", format!("`{date_s}` is not a YYYY-MM-DD date")))?;
            let div_s = rec.get(1).unwrap_or("");
            let division = Division::parse(div_s).ok_or_else(|| {
                bad(
                    "division",
                    format!("`{div_s}` is not england-and-wales, scotland or northern-ireland"),
                )
            })?;
            let title = rec.get(2).unwrap_or("").trim().to_string();
            let entry = holidays.entry(date).or_default();
            if !entry.iter().any(|(d, _)| *d == division) {
                entry.push((division, title));
            }
        }
        Self::from_map(holidays).ok_or_else(|| CalendarError::Empty {
            source_name: source_name.to_string(),
        })
    }

    fn from_map(holidays: BTreeMap<NaiveDate, Vec<(Division, String)>>) -> Option<Calendar> {
        let (first, last) = (*holidays.keys().next()?, *holidays.keys().next_back()?);
        Some(Calendar {
            first_year: first.year(),
            last_year: last.year(),
            holidays: Arc::new(holidays),
            regime: Regime::Foia,
        })
    }

    /// A calendar of these holidays (`None` when there are none).
    pub(crate) fn from_holidays(list: impl IntoIterator<Item = Holiday>) -> Option<Calendar> {
        let mut map: BTreeMap<NaiveDate, Vec<(Division, String)>> = BTreeMap::new();
        for h in list {
            let e = map.entry(h.date).or_default();
            if !e.iter().any(|(d, _)| *d == h.division) {
                e.push((h.division, h.title));
            }
        }
        Self::from_map(map)
    }

    /// Every holiday of every division, by date.
    pub fn holidays(&self) -> Vec<Holiday> {
        self.holidays
            .iter()
            .flat_map(|(date, list)| {
                list.iter().map(|(division, title)| Holiday {
                    date: *date,
                    division: *division,
                    title: title.clone(),
                })
            })
            .collect()
    }

    /// The same data in the shipped CSV format (`date,division,title,notes`).
    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["date", "division", "title", "notes"]);
        for h in self.holidays() {
            let _ = w.write_record([
                h.date.to_string().as_str(),
                h.division.id(),
                h.title.as_str(),
                "",
            ]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// The same days, read for `regime` (which divisions' bank holidays count).
    pub fn for_regime(&self, regime: Regime) -> Calendar {
        Calendar {
            regime,
            ..self.clone()
        }
    }

    pub fn regime(&self) -> Regime {
        self.regime
    }

    pub fn years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    /// The ICO's accepted reading of a request that arrives on a non-working day: its date of
    /// receipt is the next working day (ICO guidance, "Time limits for compliance"). The
    /// statutory reading (s.10(1): the day it arrived; day 1 the next working day) is `day`.
    pub(crate) fn next_working_day_from(&self, day: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = day;
        while !self.is_working_day(d)? {
            d += Duration::days(1);
        }
        Ok(d)
    }

    fn check_year(&self, d: NaiveDate) -> Result<(), CalendarError> {
        if d.year() < self.first_year || d.year() > self.last_year {
            return Err(CalendarError::YearNotCovered {
                year: d.year(),
                first: self.first_year,
                last: self.last_year,
            });
        }
        Ok(())
    }

    /// Why `d` is not a working day, or `None` when it is one.
    pub(crate) fn non_working(&self, d: NaiveDate) -> Result<Option<NonWorking>, CalendarError> {
        self.check_year(d)?;
        Ok(match d.weekday() {
            Weekday::Sat => Some(NonWorking::Saturday),
            Weekday::Sun => Some(NonWorking::Sunday),
            _ if d.month() == 12 && d.day() == 25 => Some(NonWorking::ChristmasDay),
            _ if d == good_friday(d.year()) => Some(NonWorking::GoodFriday),
            _ => self
                .holidays
                .get(&d)
                .map(|list| {
                    list.iter()
                        .filter(|(div, _)| !self.regime.scottish() || *div == Division::Scotland)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .filter(|l| !l.is_empty())
                .map(NonWorking::BankHoliday),
        })
    }

    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.non_working(d)?.is_none())
    }

    /// The `n`th working day after `start` (`start` itself is day 0, whatever it is).
    /// `n = 0` returns `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        self.check_year(start)?;
        let mut d = start;
        let mut counted = 0;
        while counted < n {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                counted += 1;
            }
        }
        Ok(d)
    }

    /// The statutory due date for a request received on `received` (s.10(1)).
    pub fn due_date(&self, received: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.add_working_days(received, FOIA_RESPONSE_DAYS)
    }

    /// Working days in the half-open interval (`from`, `to`]; 0 when `to <= from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        self.check_year(from)?;
        self.check_year(to)?;
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Working days overdue on `today` for a request due on `due` (0 if not overdue).
    /// A request is 1 working day overdue on the first working day after its due date.
    pub fn working_days_overdue(
        &self,
        due: NaiveDate,
        today: NaiveDate,
    ) -> Result<u32, CalendarError> {
        self.working_days_between(due, today)
    }

    /// The non-working days skipped between `start` (exclusive) and the `n`th working day after
    /// it, with their reasons: what `foi deadline --explain` prints.
    pub fn explain(
        &self,
        start: NaiveDate,
        n: u32,
    ) -> Result<(NaiveDate, Vec<(NaiveDate, NonWorking)>), CalendarError> {
        let due = self.add_working_days(start, n)?;
        let mut skipped = Vec::new();
        let mut d = start;
        while d < due {
            d += Duration::days(1);
            if let Some(why) = self.non_working(d)? {
                skipped.push((d, why));
            }
        }
        Ok((due, skipped))
    }
}

/// Easter Sunday in the Gregorian calendar (anonymous Gregorian algorithm, "Meeus/Jones/Butcher").
pub(crate) fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = ((h + l - 7 * m + 114) % 31) + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

pub(crate) fn good_friday(year: i32) -> NaiveDate {
    easter_sunday(year) - Duration::days(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn cal() -> Calendar {
        Calendar::shipped()
    }

    #[test]
    fn shipped_calendar_covers_2012_to_2028() {
        assert_eq!(cal().years(), (2012, 2028));
    }

    #[test]
    fn worked_example_from_the_issue_northern_ireland_12_july() {
        // Received Mon 1 July 2024; 12 July 2024 (Fri) is a NI bank holiday.
        assert_eq!(cal().due_date(d("2024-07-01")).unwrap(), d("2024-07-30"));
    }

    #[test]
    fn england_only_calendar_would_be_a_day_early() {
        // Build a calendar from England-and-Wales rows only and show the difference.
        let ew: String = std::iter::once("date,division,title,notes")
            .chain(
                SHIPPED
                    .lines()
                    .filter(|l| l.contains(",england-and-wales,")),
            )
            .collect::<Vec<_>>()
            .join("\n");
        let c = Calendar::from_csv(&ew, "ew-only").unwrap();
        assert_eq!(c.due_date(d("2024-07-01")).unwrap(), d("2024-07-29"));
    }

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter_sunday(2024), d("2024-03-31"));
        assert_eq!(easter_sunday(2025), d("2025-04-20"));
        assert_eq!(easter_sunday(2026), d("2026-04-05"));
        assert_eq!(easter_sunday(2019), d("2019-04-21"));
        assert_eq!(good_friday(2027), d("2027-03-26"));
    }

    #[test]
    fn easter_2025_skips_good_friday_and_easter_monday() {
        // Received Thu 10 April 2025. Skips: Sat/Sun 12-13, Good Fri 18, Sat/Sun 19-20,
        // Easter Mon 21 (E&W, NI), Sat/Sun 26-27, Mon 5 May (early May), weekends.
        // Working days: Apr 11(1),14-17(5),22-25(9),28-30(12),May 1,2(14),6-9(18),12(19),13(20)
        assert_eq!(cal().due_date(d("2025-04-10")).unwrap(), d("2025-05-13"));
    }

    #[test]
    fn christmas_and_new_year_2024_include_scotland_2_january() {
        // Received Mon 16 Dec 2024. Working: 17,18,19,20 (4), 23,24 (6), 25 Xmas, 26 Boxing,
        // 27 (7), 30, 31 (9), 1 Jan NYD, 2 Jan (Scotland), 3 (10), 6-10 (15), 13-17 (20).
        assert_eq!(cal().due_date(d("2024-12-16")).unwrap(), d("2025-01-17"));
        let why = cal().non_working(d("2025-01-02")).unwrap().unwrap();
        assert!(why.to_string().contains("Scotland"), "{why}");
    }

    #[test]
    fn st_patricks_day_stops_the_clock() {
        // Mon 17 March 2025 is a NI bank holiday.
        assert!(!cal().is_working_day(d("2025-03-17")).unwrap());
        // Received Fri 14 Mar 2025: 18-21 (4), 24-28 (9), 31-Apr 4 (14), 7-11 (19), 14 (20).
        assert_eq!(cal().due_date(d("2025-03-14")).unwrap(), d("2025-04-14"));
    }

    #[test]
    fn scottish_august_holiday_and_st_andrews_substitute() {
        // Mon 5 Aug 2024: Scotland summer bank holiday.
        assert!(!cal().is_working_day(d("2024-08-05")).unwrap());
        // St Andrew's Day 2024 fell on Saturday 30 Nov; Mon 2 Dec 2024 is the substitute day.
        assert!(!cal().is_working_day(d("2024-12-02")).unwrap());
        // 30 November 2026 is a Monday: St Andrew's Day itself.
        assert!(!cal().is_working_day(d("2026-11-30")).unwrap());
    }

    #[test]
    fn substitute_day_for_christmas_on_a_weekend() {
        // Christmas 2021 fell on a Saturday: Mon 27 and Tue 28 Dec 2021 were substitute days.
        assert!(!cal().is_working_day(d("2021-12-27")).unwrap());
        assert!(!cal().is_working_day(d("2021-12-28")).unwrap());
        assert!(cal().is_working_day(d("2021-12-29")).unwrap());
        // Scotland's 2 Jan 2022 (Sunday) substitute: Tue 4 Jan 2022.
        assert!(!cal().is_working_day(d("2022-01-04")).unwrap());
    }

    #[test]
    fn weekend_receipt_counts_from_the_next_working_day() {
        // Saturday 6 July 2024 and Sunday 7 July give the same due date as Friday 5 July's
        // next working day... Received Sat: day 1 = Mon 8 July.
        let sat = cal().due_date(d("2024-07-06")).unwrap();
        let sun = cal().due_date(d("2024-07-07")).unwrap();
        assert_eq!(sat, sun);
        // Mon 8 (1) .. 11 (4), 12 NI holiday, 15-19 (9), 22-26 (14), 29-Aug 2 (19), Aug 5 is
        // Scotland's holiday, so day 20 is Tue 6 Aug.
        assert_eq!(sat, d("2024-08-06"));
        // Receipt on a bank holiday likewise: received Mon 26 Aug 2024 (E&W, NI).
        assert_eq!(
            cal().due_date(d("2024-08-26")).unwrap(),
            cal().add_working_days(d("2024-08-26"), 20).unwrap()
        );
    }

    #[test]
    fn overdue_counting() {
        let c = cal();
        let due = d("2024-07-30");
        assert_eq!(c.working_days_overdue(due, d("2024-07-30")).unwrap(), 0);
        assert_eq!(c.working_days_overdue(due, d("2024-07-31")).unwrap(), 1);
        assert_eq!(c.working_days_overdue(due, d("2024-07-29")).unwrap(), 0);
        // Over a weekend: Fri 2 Aug = 3, Sat 3 and Sun 4 still 3, Mon 5 Aug is Scotland's
        // holiday so still 3, Tue 6 Aug = 4.
        assert_eq!(c.working_days_overdue(due, d("2024-08-04")).unwrap(), 3);
        assert_eq!(c.working_days_overdue(due, d("2024-08-05")).unwrap(), 3);
        assert_eq!(c.working_days_overdue(due, d("2024-08-06")).unwrap(), 4);
    }

    #[test]
    fn year_outside_data_is_an_error_naming_the_year() {
        let err = cal().due_date(d("2029-03-01")).unwrap_err();
        assert_eq!(
            err,
            CalendarError::YearNotCovered {
                year: 2029,
                first: 2012,
                last: 2028
            }
        );
        assert!(err.to_string().contains("2029"));
        // A deadline that runs off the end of the data is an error too, not a guess.
        assert!(cal().due_date(d("2028-12-20")).is_err());
    }

    #[test]
    fn explain_lists_skipped_days_with_names() {
        let (due, skipped) = cal().explain(d("2024-07-01"), 20).unwrap();
        assert_eq!(due, d("2024-07-30"));
        let twelfth = skipped
            .iter()
            .find(|(day, _)| *day == d("2024-07-12"))
            .unwrap();
        assert!(twelfth.1.to_string().contains("Northern Ireland"));
        // 4 weekends = 8 days, plus 12 July.
        assert_eq!(skipped.len(), 9);
    }

    #[test]
    fn bad_calendar_row_names_line_and_field() {
        let err = Calendar::from_csv("date,division,title,notes\n2024-01-01,england-and-wales,NYD,\n2024-13-01,scotland,x,\n", "t.csv")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv, line 3, field `date`: `2024-13-01` is not a YYYY-MM-DD date"
        );
    }

    #[test]
    fn the_15_june_2026_scottish_holiday_counts_for_foia() {
        // Monday 15 June 2026 is a bank holiday in Scotland (Royal Proclamation, 4 February
        // 2026), so under FOIA s.10(6) it is not a working day anywhere in the UK.
        let c = cal();
        assert_eq!(c.due_date(d("2026-05-15")).unwrap(), d("2026-06-16"));
        assert_eq!(c.due_date(d("2026-06-12")).unwrap(), d("2026-07-14"));
        assert!(!c.is_working_day(d("2026-06-15")).unwrap());
    }
}
