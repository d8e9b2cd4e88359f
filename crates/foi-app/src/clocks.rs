//! The clocks that read the real time: the system's, and `--today`'s (a fixed London date at
//! the real time of day). The trait and the test clock are the domain's (`domain::clock`).

use crate::clock::{london_to_utc, Clock};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A fixed London date with the real time of day: what `--today` gives.
#[derive(Debug, Clone, Copy)]
pub struct TodayClock(pub NaiveDate);

impl Clock for TodayClock {
    fn now(&self) -> DateTime<Utc> {
        let time = Utc::now().with_timezone(&London).time();
        london_to_utc(self.0, time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_clock_keeps_its_date() {
        let d = NaiveDate::from_ymd_opt(2024, 12, 25).unwrap();
        assert_eq!(TodayClock(d).today(), d);
    }
}
