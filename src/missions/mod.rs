//! Volunteer missions, pure part: establishments' staffing needs matched with
//! volunteers for a week, with equal treatment between organisations and a
//! reason for every outcome (issue 17; see docs/MISSIONS.md, "How matching works").
//!
//! - [`slots`]: weekly time slots, parsed from the spellings people type and
//!   written in one canonical text;
//! - [`qualifications`]: qualification lists folded into canonical keys, the
//!   known ones and free text;
//! - [`distance`]: distance tiers from postcodes and communes;
//! - [`model`]: the matcher's input ([`MatchInput`]) and output
//!   ([`MatchOutcome`], its reasons, the proof, the JSON view);
//! - [`matcher`]: [`match_week`], the pure, deterministic matching.
//!
//! No I/O here: the store loads the inputs and writes the proposals.

pub mod distance;
pub mod matcher;
pub mod model;
pub mod qualifications;
pub mod slots;

pub use distance::DistanceTier;
pub use matcher::match_week;
pub use model::{
    Allowance, ContinuityPair, Exclusions, MatchInput, MatchJson, MatchOutcome, NeedInput,
    OrganisationShare, Placement, PlacementReason, Proof, Unfilled, UnfilledReason, VolunteerInput,
    DEFAULT_MINUTES_PER_DAY,
};
pub use qualifications::{format_qualifications, parse_qualifications, Qualification};
pub use slots::{format_slots, parse_slots, Slot, SlotError};

#[cfg(test)]
mod tests;
