//! The use cases of `foi`.
//!
//! * [`app`] — builds the application (configuration, database, clock, calendar, mailbox) for
//!   an entry point.
//! * [`services`] — every action a person or the scheduler takes, one function each, called
//!   alike by the CLI, the dashboard and the scheduler, each leaving an event naming who.
//! * [`schedule`] — cron evaluation in London time and catch-up of missed ticks.
//! * [`clocks`] — the clocks that read the real time (the system's, `--today`'s).
//! * [`tasks`] — the supervised tasks of `foi serve` and their states, for `/health`.
//!
//! Depends on every adapter below it (store, mail, documents, report) and the domain; the
//! dashboard and the binary depend on it.

pub mod app;
pub mod clocks;
pub mod schedule;
pub mod services;
pub mod tasks;

use foi_config as config;
use foi_docs::{extract, fetch, sheet};
use foi_domain as domain;
use foi_domain::clock;
use foi_mail::{inbound, mailbox, outbound};
use foi_report as report;
use foi_store::{self as store, rawstore};
