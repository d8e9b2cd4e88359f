//! `foi deadline`: the statutory due date under a body's regime, with the skipped days
//! explained.

use crate::app::Globals;
use crate::domain::calendar::FOIA_RESPONSE_DAYS;
use crate::domain::regime::Regime;
use chrono::NaiveDate;

#[derive(Debug, clap::Args)]
pub struct DeadlineArgs {
    /// The date the body received the request (YYYY-MM-DD)
    #[arg(long, value_parser = super::parse_date)]
    pub received: NaiveDate,
    /// Working days to count (20 for a response or internal review; 40 for an EIR reg 7
    /// extension or "very overdue")
    #[arg(long, default_value_t = FOIA_RESPONSE_DAYS)]
    pub working_days: u32,
    /// The law the body answers under: foia, foisa, eir or eisr
    #[arg(long, default_value_t = Regime::Foia)]
    pub regime: Regime,
    /// List the non-working days skipped, with their names
    #[arg(long)]
    pub explain: bool,
}

pub fn run(g: &Globals, a: DeadlineArgs) -> anyhow::Result<()> {
    // The calendar in force: the shipped one, or the one `foi calendar update` stored.
    let cal = crate::services::calendar::load(&g.data_dir)?.for_regime(a.regime);
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
        if a.regime.scottish() {
            println!("{} {} and FOISA s.73: weekends, Christmas Day and bank holidays in Scotland are skipped (Good Friday is one); the rest of the UK's holidays are working days:", a.regime.act(), a.regime.response_provision());
        } else {
            println!("{} {} and FOIA s.10(6): weekends, Christmas Day, Good Friday and bank holidays in any part of the UK are skipped:", a.regime.act(), a.regime.response_provision());
        }
        for (d, why) in skipped {
            println!("  {}  {:<9}  {}", d.format("%Y-%m-%d"), d.format("%A"), why);
        }
    }
    Ok(())
}
