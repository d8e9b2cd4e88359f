//! `foi deadline`: the statutory due date, with the skipped days explained.

use crate::app::Globals;
use crate::domain::calendar::{Calendar, FOIA_RESPONSE_DAYS};
use chrono::NaiveDate;

#[derive(Debug, clap::Args)]
pub struct DeadlineArgs {
    /// The date the body received the request (YYYY-MM-DD)
    #[arg(long, value_parser = super::parse_date)]
    pub received: NaiveDate,
    /// Working days to count (20 for a response or internal review; 40 for "very overdue")
    #[arg(long, default_value_t = FOIA_RESPONSE_DAYS)]
    pub working_days: u32,
    /// List the non-working days skipped, with their names
    #[arg(long)]
    pub explain: bool,
}

pub fn run(_g: &Globals, a: DeadlineArgs) -> anyhow::Result<()> {
    let cal = Calendar::shipped();
    let (due, skipped) = cal.explain(a.received, a.working_days)?;
    println!("{}", due.format("%Y-%m-%d"));
    if a.explain {
        println!(
            "received {} ({}); day 1 is the first working day after receipt; due on working day {}: {}",
            a.received.format("%Y-%m-%d"),
            a.received.format("%A"),
            a.working_days,
            due.format("%A %-d %B %Y")
        );
        println!("FOIA s.10(1) and s.10(6): weekends, Christmas Day, Good Friday and bank holidays in any part of the UK are skipped:");
        for (d, why) in skipped {
            println!("  {}  {:<9}  {}", d.format("%Y-%m-%d"), d.format("%A"), why);
        }
    }
    Ok(())
}
