//! Mail for `foi`: what comes in, what goes out, and signing in to the mailbox.
//!
//! * [`inbound`] — MIME parsing (mail-parser) and the sources: IMAP (with IDLE), Maildir,
//!   `.eml`/`.mbox` files.
//! * [`outbound`] — letter templates, MIME composition (lettre), the SMTP and file transports,
//!   and the delivery worker (given a database handle, a clock, a calendar and the raw store).
//! * [`mailbox`] — passwords or OAuth 2.0 for SMTP and IMAP, and `foi mailbox test`.
//! * [`hosts`] — which hosts may be spoken to without TLS (this machine only).
//!
//! Depends on the domain, the configuration and the store; never on the use cases above it.

pub mod hosts;
pub mod inbound;
pub mod mailbox;
pub mod outbound;

use foi_config as config;
use foi_domain as domain;
use foi_domain::clock;
use foi_store::{self as store, rawstore};

/// Documents built for tests, shared with the integration tests and benchmarks.
#[cfg(test)]
#[path = "../../../tests/common/docs.rs"]
mod test_docs;
