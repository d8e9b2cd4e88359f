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
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod domain;
pub mod extract;
pub mod fetch;
pub mod inbound;
pub mod mailbox;
pub mod outbound;
pub mod output;
pub mod rawstore;
pub mod report;
pub mod schedule;
pub mod services;
pub mod store;
pub mod web;

/// Documents built for tests, shared with the integration tests and benchmarks.
#[cfg(test)]
#[path = "../tests/common/docs.rs"]
mod test_docs;
