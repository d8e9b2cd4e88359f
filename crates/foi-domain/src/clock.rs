//! Time is injected: every use case asks a [`Clock`] for "now", so a whole round can be
//! simulated (`--today`, `FOI_TODAY`, or a test's [`ManualClock`]). The clocks that read the
//! real time (`SystemClock`, `TodayClock`) live with the application (`foi_app::clocks`): no
//! rule here reads it.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Today's date in Europe/London, the date FOIA deadlines are counted in.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&London).date_naive()
    }
}

/// A clock the caller moves by hand (tests and simulations).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }
    pub fn at_london(date: NaiveDate, hour: u32, minute: u32) -> Self {
        Self::new(london_to_utc(
            date,
            NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"),
        ))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }
    #[cfg(test)]
    pub(crate) fn advance(&self, by: chrono::Duration) {
        let mut g = self.0.lock().expect("clock lock");
        *g += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// A London wall-clock time as UTC (the earlier instant when the clocks go back).
pub fn london_to_utc(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match London.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        // In the spring-forward gap: an hour later exists.
        chrono::LocalResult::None => London
            .from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
            .expect("an hour after a gap exists")
            .with_timezone(&Utc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_london_date() {
        // 23:30 UTC on 30 June 2024 is 00:30 BST on 1 July.
        let c = ManualClock::new(Utc.with_ymd_and_hms(2024, 6, 30, 23, 30, 0).unwrap());
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
        c.advance(chrono::Duration::days(1));
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2024, 7, 2).unwrap());
    }
}

/// The working-day calendar in force, shared: `foi calendar update` (or its scheduled job)
/// replaces it while the service runs, and every reader sees the new one. Reading gives a
/// cheap copy (the holiday data itself is shared).
#[derive(Debug, Clone)]
pub struct SharedCalendar(std::sync::Arc<std::sync::RwLock<crate::calendar::Calendar>>);

impl SharedCalendar {
    pub fn new(c: crate::calendar::Calendar) -> SharedCalendar {
        SharedCalendar(std::sync::Arc::new(std::sync::RwLock::new(c)))
    }
    /// The calendar now.
    pub fn get(&self) -> crate::calendar::Calendar {
        self.0.read().expect("calendar lock").clone()
    }
    /// Puts a new calendar in force.
    pub fn set(&self, c: crate::calendar::Calendar) {
        *self.0.write().expect("calendar lock") = c;
    }
}
