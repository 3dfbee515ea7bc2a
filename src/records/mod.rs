//! The records that cross layers: plain data that the parsers (import), the store, the
//! mail renderer and the pages all pass to each other. This module depends on
//! `domain` and on nothing above it, so that no layer has to reach up to another for a
//! type, and the dependencies between top-level modules stay one-way
//! (docs/ARCHITECTURE.md).

pub mod campaign_weeks;
pub mod escalations;
pub mod import_rules;
pub mod imports;
pub mod mail;
pub mod missions;
pub mod person;
pub mod retention;
pub mod suppression;

pub use escalations::{EscalationFacts, EscalationView};
pub use mail::{EscalationDetails, RenderedMail, SECRET_PLACEHOLDER};
