//! Outbound mail: rendering letters, composing MIME messages, transports, and the delivery
//! worker that drains the outbox.
pub mod compose;
pub mod render;
pub mod transport;
pub mod worker;
