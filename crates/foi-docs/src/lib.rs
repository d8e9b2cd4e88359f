//! Documents for `foi`: the text of what bodies send and publish.
//!
//! * [`extract`] — text out of attachments and kept documents: PDF, Word, OpenDocument,
//!   spreadsheets (hidden parts flagged), CSV, RTF, HTML, ZIP archives, attached messages, and
//!   scans by OCR.
//! * [`fetch`] — desk research: fetching a body's published document over HTTP(S) safely.
//! * [`sheet`] — a spreadsheet's sheet read back as text (codings edited in Excel).
//!
//! Depends on the domain, the configuration and the mail adapter (an attached message is read
//! with the same MIME parser as a received one).

pub mod extract;
pub mod fetch;
pub mod sheet;

use foi_config as config;
use foi_domain as domain;
use foi_mail::inbound;

/// Documents built for tests, shared with the integration tests and benchmarks.
#[cfg(test)]
#[path = "../../../tests/common/docs.rs"]
mod test_docs;
