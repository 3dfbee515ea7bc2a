//! How long lien keeps each kind of data (settings `retention_*_months`, applied by
//! `store::retention` daily in `lien serve` and by `lien purge`).

use serde::{Deserialize, Serialize};

/// Months each kind of data is kept; each limit is 1 to 120 months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Notes typed during calls, counted from the call.
    pub call_notes_months: u32,
    /// Texts of escalations handled or relayed (description, territory's comment),
    /// counted from their creation.
    pub escalations_months: u32,
    /// Audit events (except erasure tombstones, which hold no personal data).
    pub audit_events_months: u32,
    /// Subject and body of mails sent or failed.
    pub outbox_bodies_months: u32,
    /// Raw rows refused by an import, counted from the import.
    pub rejected_rows_months: u32,
    /// People who opted out, died or moved, counted from that change: then anonymised
    /// as an erasure does.
    pub people_gone_months: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            call_notes_months: 12,
            escalations_months: 24,
            audit_events_months: 12,
            outbox_bodies_months: 1,
            rejected_rows_months: 3,
            people_gone_months: 12,
        }
    }
}

impl Retention {
    pub const RANGE: std::ops::RangeInclusive<u32> = 1..=120;

    /// Each limit with its environment variable, for checking and reporting.
    pub fn limits(&self) -> [(&'static str, u32); 6] {
        [
            ("LIEN_RETENTION_CALL_NOTES_MONTHS", self.call_notes_months),
            ("LIEN_RETENTION_ESCALATIONS_MONTHS", self.escalations_months),
            (
                "LIEN_RETENTION_AUDIT_EVENTS_MONTHS",
                self.audit_events_months,
            ),
            (
                "LIEN_RETENTION_OUTBOX_BODIES_MONTHS",
                self.outbox_bodies_months,
            ),
            (
                "LIEN_RETENTION_REJECTED_ROWS_MONTHS",
                self.rejected_rows_months,
            ),
            ("LIEN_RETENTION_PEOPLE_GONE_MONTHS", self.people_gone_months),
        ]
    }
}

/// What a purge removed (or, in a dry run, would remove), per kind of data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub dry_run: bool,
    pub call_notes: u64,
    pub escalations: u64,
    pub audit_events: u64,
    pub outbox_bodies: u64,
    pub rejected_rows: u64,
    pub people_gone: u64,
}
