//! `foi` runs Freedom of Information request campaigns end to end. This crate is the binary's
//! own code; the layers below it are crates of the workspace (see the README's "How the code is
//! laid out"), and `tests/layers.rs` fails if one gains a dependency its layer may not have.
//!
//! * [`cli`] — the command line, one file per command (`foi round` → `cli/round.rs`): parses
//!   arguments, calls services, prints.
//! * [`daemon`] — `foi serve`'s process: the supervised delivery worker and scheduler, and the
//!   web server.
//! * [`output`] — tables, CSV and JSON for the CLI.
//!
//! The layers are re-exported under their old names (`foi::services`, `foi::store`,
//! `foi::domain` …) for the integration tests and benchmarks, which drive the whole program:
//! `foi-web` (the dashboard) → `foi-app` (the use cases) → `foi-report`, `foi-docs`,
//! `foi-mail`, `foi-store` (the adapters) → `foi-config`, `foi-domain` (the rules).
pub mod cli;
pub mod daemon;
pub mod output;

pub use foi_app::{app, clocks, schedule, services, tasks};
pub use foi_config as config;
pub use foi_docs::{extract, fetch};
pub use foi_domain as domain;
pub use foi_domain::clock;
pub use foi_mail::{inbound, mailbox, outbound};
pub use foi_report as report;
pub use foi_store::{self as store, rawstore};
pub use foi_web as web;
