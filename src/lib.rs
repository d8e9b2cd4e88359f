//! `foi` runs Freedom of Information request campaigns end to end.
//!
//! Dependencies point down this list, never up (see `ARCHITECTURE.md`):
//!
//! **Entry points**
//! * [`cli`] — the command line, one file per command (`foi round` → `cli/round.rs`).
//! * [`web`] — the dashboard (axum): one file per resource, one error type, typed POST checks.
//! * [`daemon`] — `foi serve`'s process: the supervised worker and scheduler, and the web server.
//!
//! **Use cases**
//! * [`services`] — every action a person or the scheduler takes, one function each, each
//!   leaving an event naming who did it.
//!
//! **Adapters** (each given what it needs — a database handle, a clock, a raw store — never
//! the whole application)
//! * [`store`] — SeaORM over SQLite or PostgreSQL; every query lives here.
//! * [`outbound`] — letter templates, MIME composition, SMTP/file transports, the delivery worker.
//! * [`inbound`] — MIME parsing and the mail sources (IMAP, Maildir, .eml/.mbox).
//! * [`schedule`] — cron evaluation in London time and catch-up of missed ticks.
//! * [`report`] — rendering the findings (Markdown, HTML with SVG charts, CSV, JSON).
//! * [`rawstore`] — received and sent messages as bytes, addressed by SHA-256.
//!
//! **Rules**
//! * [`domain`] — calendar, registers, rounds, request states, overdue tiers, matching,
//!   classification, chaser ladder, codebook, aggregation: pure and unit-tested, no I/O.
//!
//! **Plumbing**
//! * [`app`] — builds the application (configuration, database, clock, calendar) for an entry point.
//! * [`config`] — configuration files and environment, with file and line in every error.
//! * [`clock`] — injected time (`--today`, tests' manual clock).
//! * [`output`] — tables, CSV and JSON for the CLI.
pub mod cli;
pub mod daemon;
pub mod output;

pub use foi_app::{app, schedule, services, tasks};
pub use foi_config as config;
pub use foi_docs::{extract, fetch};
pub use foi_domain as domain;
pub use foi_domain::clock;
pub use foi_mail::{inbound, mailbox, outbound};
pub use foi_report as report;
pub use foi_store::{self as store, rawstore};
pub use foi_web as web;
