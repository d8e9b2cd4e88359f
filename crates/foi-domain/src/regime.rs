//! Which law a body answers under, and so which clock its requests run on.
//!
//! | regime | law | time to answer | working day |
//! |---|---|---|---|
//! | `foia` | Freedom of Information Act 2000, s.10(1) | 20 working days | s.10(6): not a Saturday, Sunday, Christmas Day, Good Friday or a bank holiday in **any part of the UK** |
//! | `foisa` | Freedom of Information (Scotland) Act 2002, s.10(1); review s.21(1) | 20 working days | s.73: not a Saturday, Sunday, Christmas Day or a bank holiday **in Scotland** under the Banking and Financial Dealings Act 1971 |
//! | `eir` | Environmental Information Regulations 2004, reg 5(2) | 20 working days; reg 7(1): up to 40 for complex and voluminous requests | reg 2(1): as FOIA s.10(6) |
//! | `eisr` | Environmental Information (Scotland) Regulations 2004, reg 5(2)(a) | 20 working days; reg 7(1): up to 40 | reg 2(1): as FOISA s.73 |
//!
//! Good Friday is a bank holiday in Scotland under Schedule 1 to the 1971 Act, so it is a
//! non-working day under every regime. So: St Patrick's Day (17 March) and the Battle of the
//! Boyne (12 July) stop an English or Welsh body's clock but not a Scottish body's; 2 January,
//! St Andrew's Day and the Scottish summer holiday stop both.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum Regime {
    #[default]
    Foia,
    Foisa,
    Eir,
    Eisr,
}

impl Regime {
    pub const ALL: [Regime; 4] = [Regime::Foia, Regime::Foisa, Regime::Eir, Regime::Eisr];

    pub const fn as_str(self) -> &'static str {
        match self {
            Regime::Foia => "foia",
            Regime::Foisa => "foisa",
            Regime::Eir => "eir",
            Regime::Eisr => "eisr",
        }
    }

    /// The law, as letters cite it.
    pub fn act(self) -> &'static str {
        match self {
            Regime::Foia => "Freedom of Information Act 2000",
            Regime::Foisa => "Freedom of Information (Scotland) Act 2002",
            Regime::Eir => "Environmental Information Regulations 2004",
            Regime::Eisr => "Environmental Information (Scotland) Regulations 2004",
        }
    }

    /// The provision that sets the time to answer.
    pub fn response_provision(self) -> &'static str {
        match self {
            Regime::Foia | Regime::Foisa => "section 10(1)",
            Regime::Eir => "regulation 5(2)",
            Regime::Eisr => "regulation 5(2)(a)",
        }
    }

    /// A short label: "FOIA s.10", "FOISA s.10", "EIR reg 5", "EISR reg 5".
    pub fn label(self) -> &'static str {
        match self {
            Regime::Foia => "FOIA s.10",
            Regime::Foisa => "FOISA s.10",
            Regime::Eir => "EIR reg 5",
            Regime::Eisr => "EISR reg 5",
        }
    }

    /// Working days are counted on Scotland's bank holidays only (FOISA s.73).
    pub fn scottish(self) -> bool {
        matches!(self, Regime::Foisa | Regime::Eisr)
    }

    /// The statutory extension in working days from receipt, where the law sets one
    /// (EIR / EISR reg 7(1): 40). FOIA s.10(3) allows a "reasonable" time the body names;
    /// FOISA has no extension.
    pub(crate) fn statutory_extension_days(self) -> Option<u32> {
        match self {
            Regime::Eir | Regime::Eisr => Some(40),
            _ => None,
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Regime {
    type Err = String;
    fn from_str(s: &str) -> Result<Regime, String> {
        let t = s.trim().to_ascii_lowercase();
        Regime::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| format!("`{s}` is not a regime; use foia, foisa, eir or eisr"))
    }
}

impl Serialize for Regime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Regime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Regime, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regimes_parse_and_say_what_they_are() {
        assert_eq!("FOISA".parse::<Regime>().unwrap(), Regime::Foisa);
        assert!("gdpr".parse::<Regime>().is_err());
        assert!(Regime::Eisr.scottish() && !Regime::Eir.scottish());
        assert_eq!(Regime::Eir.statutory_extension_days(), Some(40));
        assert_eq!(Regime::Foia.statutory_extension_days(), None);
        assert_eq!(Regime::default(), Regime::Foia);
    }

    use crate::calendar::Calendar;
    use crate::request::{transition, Change, Clocks, RequestState};
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The due dates FOIA and FOISA give a request received on `received`.
    fn both(received: &str) -> (NaiveDate, NaiveDate) {
        let cal = Calendar::shipped();
        (
            cal.for_regime(Regime::Foia).due_date(d(received)).unwrap(),
            cal.for_regime(Regime::Foisa).due_date(d(received)).unwrap(),
        )
    }

    #[test]
    fn st_patricks_day_stops_only_the_foia_clock() {
        // Received Tue 24 Feb 2026; day 1 is Wed 25 Feb. Days 1–14 run to Mon 16 Mar. Tue 17
        // Mar is St Patrick's Day (Northern Ireland): not a working day under FOIA s.10(6) (any
        // part of the UK), a working day under FOISA s.73 (Scotland only). FOIA: 18 Mar is day
        // 15 … Wed 25 Mar day 20. FOISA: 17 Mar is day 15 … Tue 24 Mar day 20.
        assert_eq!(both("2026-02-24"), (d("2026-03-25"), d("2026-03-24")));
    }

    #[test]
    fn the_boyne_holiday_stops_only_the_foia_clock() {
        // Received Fri 19 Jun 2026; day 1 is Mon 22 Jun; day 15 is Fri 10 Jul. 12 July 2026 is
        // a Sunday, so Northern Ireland keeps Mon 13 Jul: FOIA skips it (days 16–20 are 14–20
        // Jul → Mon 20 Jul); FOISA counts it (13 Jul is day 16 → day 20 is Fri 17 Jul).
        assert_eq!(both("2026-06-19"), (d("2026-07-20"), d("2026-07-17")));
    }

    #[test]
    fn the_second_of_january_stops_both() {
        // Received Wed 10 Dec 2025; days 1–10 run to Wed 24 Dec. 25 and 26 Dec (all of the
        // UK), 1 Jan (all) and 2 Jan (a bank holiday in Scotland, so for FOIA too: any part of
        // the UK) are skipped: 29, 30, 31 Dec are days 11–13, 5–9 Jan days 14–18, 12 and 13 Jan
        // days 19 and 20. Both: Tue 13 Jan 2026.
        assert_eq!(both("2025-12-10"), (d("2026-01-13"), d("2026-01-13")));
    }

    #[test]
    fn st_andrews_day_stops_both() {
        // Received Fri 6 Nov 2026; day 1 is Mon 9 Nov; day 15 is Fri 27 Nov. Mon 30 Nov, St
        // Andrew's Day, is a bank holiday in Scotland: skipped under both Acts. Days 16–20 are
        // 1–4 and 7 Dec. Both: Mon 7 Dec 2026.
        assert_eq!(both("2026-11-06"), (d("2026-12-07"), d("2026-12-07")));
    }

    #[test]
    fn good_friday_stops_both_but_easter_monday_only_foia() {
        // Received Tue 10 Mar 2026. FOIA: day 1 Wed 11 Mar; 17 Mar (NI) skipped; 2 Apr is day
        // 16; Good Friday 3 Apr and Easter Monday 6 Apr (England, Wales, NI) skipped; 7–10 Apr
        // are days 17–20 → Fri 10 Apr. FOISA: 17 Mar counts, so 2 Apr is day 17; Good Friday is
        // a Scottish bank holiday (skipped) but Easter Monday is not (day 18); 7 and 8 Apr are
        // days 19 and 20 → Wed 8 Apr.
        assert_eq!(both("2026-03-10"), (d("2026-04-10"), d("2026-04-08")));
    }

    #[test]
    fn an_eir_request_extended_under_reg_7_gets_40_working_days() {
        let cal = Calendar::shipped().for_regime(Regime::Eir);
        let sent = transition(
            &cal,
            RequestState::Draft,
            Change::To(RequestState::AwaitingResponse),
            Clocks::default(),
            d("2026-03-10"),
        )
        .unwrap();
        assert_eq!(sent.due_on, Some(d("2026-04-10")));
        let ext = transition(
            &cal,
            RequestState::AwaitingResponse,
            Change::ExtendStatutory,
            sent,
            d("2026-04-01"),
        )
        .unwrap();
        assert_eq!(
            ext.due_on,
            Some(cal.add_working_days(d("2026-03-10"), 40).unwrap())
        );
        assert_eq!(ext.due_on, Some(d("2026-05-11")));
        // FOIA has no statutory extension: the body's own date is needed.
        let foia = Calendar::shipped();
        assert!(transition(
            &foia,
            RequestState::AwaitingResponse,
            Change::ExtendStatutory,
            sent,
            d("2026-04-01")
        )
        .is_err());
    }
}
