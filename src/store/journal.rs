//! The audit trail, read back for the administrators (`/admin/journal`, `lien audit`):
//! filtered by person, account, kind of event and date range, newest first, by pages.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query_as, query_scalar, Store, StoreError};

/// Which events to read; every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// A person's file reference: events about them.
    pub person: Option<String>,
    /// An account's email: events it caused.
    pub account: Option<String>,
    /// The kind of event (`action`), e.g. `contact_details_read`.
    pub action: Option<String>,
    /// From this instant (included) …
    pub from: Option<DateTime<Utc>>,
    /// … to this one (excluded).
    pub to: Option<DateTime<Utc>>,
}

/// One event of the journal.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct JournalLine {
    pub id: i64,
    pub at: String,
    pub actor_label: String,
    pub actor_email: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<i64>,
    pub detail: Option<String>,
}

/// The conditions, `$1` … `$5` in the order of [`JournalFilter`]'s fields; a filter
/// not given is a NULL that lets every row through. The trail is read through the view
/// `audit_trail` (migration 0037): a read of a set of people is one line per person.
const WHERE: &str = "FROM audit_trail e LEFT JOIN users u ON u.id = e.actor_user_id \
    WHERE ($1 IS NULL OR (e.subject_type = 'beneficiary' AND e.subject_id = \
           (SELECT b.id FROM beneficiaries b WHERE b.external_ref = $1))) \
      AND ($2 IS NULL OR u.email = $2) \
      AND ($3 IS NULL OR e.action = $3) \
      AND ($4 IS NULL OR e.at >= $4) \
      AND ($5 IS NULL OR e.at < $5)";

impl Store {
    /// One page of events, newest first, and how many match in all.
    #[tracing::instrument(skip(self, filter))]
    pub async fn journal(
        &self,
        filter: &JournalFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<JournalLine>, i64), StoreError> {
        // The queue's reads of the last seconds too.
        self.settle_contact_reads().await?;
        let sql = format!(
            "SELECT e.id, CAST(e.at AS TEXT) AS at, e.actor_label, u.email AS actor_email, \
             e.action, e.subject_type, e.subject_id, e.detail {WHERE} \
             ORDER BY e.at DESC, e.id DESC, e.subject_id DESC LIMIT $6 OFFSET $7"
        );
        let account = filter.account.as_deref().map(super::login_key);
        let lines = query_as(&sql)
            .bind(filter.person.as_deref().map(str::trim))
            .bind(account.clone())
            .bind(filter.action.as_deref())
            .bind(filter.from)
            .bind(filter.to)
            .bind(limit)
            .bind(offset)
            .fetch_all(self)
            .await?;
        let count_sql = format!("SELECT COUNT(*) {WHERE}");
        let total = query_scalar(&count_sql)
            .bind(filter.person.as_deref().map(str::trim))
            .bind(account)
            .bind(filter.action.as_deref())
            .bind(filter.from)
            .bind(filter.to)
            .fetch_one(self)
            .await?;
        Ok((lines, total))
    }
}
