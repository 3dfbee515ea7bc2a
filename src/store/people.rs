//! Finding one person and reading everything about them, for the coordinators' people
//! pages (`/coordination/personnes`) and `lien people search|show`. Every search is
//! recorded in the audit trail with the kind of key and the number of results — never
//! the text searched — and every person opened with `person_viewed`. Erased people
//! (identity key `erased:…`) are never found.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{query_as, query_scalar, Store, StoreError};
use crate::domain::names::fold;
use crate::domain::{
    BeneficiaryStatus, EscalationKind, EscalationStatus, IsoWeek, NeedCategory, Outcome, Phone,
    Urgency,
};

/// People per page of results.
pub const SEARCH_PAGE: i64 = 50;

/// Who reads or changes a person: an account (web) or a command-line user.
#[derive(Debug, Clone, Copy)]
pub struct Editor<'a> {
    pub user_id: Option<i64>,
    /// `user` for an account, `cli:NAME` for a command.
    pub label: &'a str,
}

/// Which key a search looks the text up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKey {
    /// A phone number when the text reads as one, else name, reference or commune.
    Any,
    Name,
    Reference,
    Phone,
    Commune,
}

impl SearchKey {
    pub const ALL: [SearchKey; 5] = [
        SearchKey::Any,
        SearchKey::Name,
        SearchKey::Reference,
        SearchKey::Phone,
        SearchKey::Commune,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SearchKey::Any => "any",
            SearchKey::Name => "name",
            SearchKey::Reference => "reference",
            SearchKey::Phone => "phone",
            SearchKey::Commune => "commune",
        }
    }

    pub fn parse(raw: &str) -> Option<SearchKey> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw.trim())
    }
}

/// One line of results.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonHit {
    pub id: i64,
    pub last_name: String,
    pub first_name: String,
    pub external_ref: Option<String>,
    pub commune: Option<String>,
    pub territory: Option<String>,
    pub status: BeneficiaryStatus,
    pub paused_until: Option<NaiveDate>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// The key the text was looked up in (`phone` when `any` read a phone number, which
    /// it also looks up as a reference).
    pub key: SearchKey,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub hits: Vec<PersonHit>,
}

/// The condition of a search, with its values in the order of their `$N`.
struct Condition {
    sql: String,
    values: Vec<String>,
}

impl Condition {
    fn param(&mut self, value: String) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }
}

/// The key `any` stands for with this text.
fn resolve_key(key: SearchKey, text: &str) -> SearchKey {
    match key {
        SearchKey::Any if Phone::parse(text).is_ok() => SearchKey::Phone,
        other => other,
    }
}

/// `b.…` conditions of a search for `text` in `key`; `communes` are the stored
/// commune names whose folded form is the text's.
fn condition(key: SearchKey, text: &str, communes: &[String]) -> Condition {
    let mut c = Condition {
        sql: String::new(),
        values: Vec::new(),
    };
    let mut parts = Vec::new();
    // `any` with a phone number looks it up as a phone and as a reference (some
    // references read as numbers), never in names or communes.
    let phone = Phone::parse(text).ok();
    let any_text = key == SearchKey::Any && phone.is_none();
    let words: Vec<String> = fold(text).split(' ').map(str::to_string).collect();
    if (any_text || key == SearchKey::Name) && !words.iter().all(String::is_empty) {
        let likes: Vec<String> = words
            .iter()
            .map(|w| format!("b.identity_key LIKE {}", c.param(format!("%{w}%"))))
            .collect();
        parts.push(format!("({})", likes.join(" AND ")));
    }
    if matches!(key, SearchKey::Any | SearchKey::Reference) {
        let p = c.param(text.trim().to_lowercase());
        parts.push(format!("LOWER(b.external_ref) = {p}"));
    }
    if matches!(key, SearchKey::Any | SearchKey::Phone) {
        if let Some(phone) = phone {
            let p = c.param(phone.as_str().to_string());
            parts.push(format!(
                "(b.relative_phone = {p} OR EXISTS (SELECT 1 FROM beneficiary_phones f \
                 WHERE f.beneficiary_id = b.id AND f.e164 = {p}))"
            ));
        }
    }
    if (any_text || key == SearchKey::Commune) && !communes.is_empty() {
        let list: Vec<String> = communes.iter().map(|n| c.param(n.clone())).collect();
        parts.push(format!("b.commune IN ({})", list.join(", ")));
    }
    if parts.is_empty() {
        parts.push("1 = 0".into());
    }
    c.sql = format!(
        "b.identity_key NOT LIKE 'erased:%' AND ({})",
        parts.join(" OR ")
    );
    c
}

impl Store {
    /// Looks `text` up in `key`, page `page` (from 1) of [`SEARCH_PAGE`] people, and
    /// records the search (`people_searched`: the key and the number of results).
    pub async fn search_people(
        &self,
        text: &str,
        key: SearchKey,
        page: i64,
        editor: Editor<'_>,
    ) -> Result<SearchResults, StoreError> {
        let shown = resolve_key(key, text);
        let communes = if matches!(key, SearchKey::Any | SearchKey::Commune) {
            self.communes_folded_as(text).await?
        } else {
            Vec::new()
        };
        let cond = condition(key, text, &communes);
        let count_sql = format!("SELECT COUNT(*) FROM beneficiaries b WHERE {}", cond.sql);
        let mut count = query_scalar::<i64>(&count_sql);
        for v in &cond.values {
            count = count.bind(v.clone());
        }
        let total = count.fetch_one(self).await?;
        let pages = ((total + SEARCH_PAGE - 1) / SEARCH_PAGE).max(1);
        let page = page.clamp(1, pages);
        let sql = format!(
            "SELECT b.id, b.last_name, b.first_name, b.external_ref, b.commune, \
             t.name AS territory, b.status, b.paused_until FROM beneficiaries b \
             LEFT JOIN territories t ON t.id = b.territory_id WHERE {} \
             ORDER BY b.last_name, b.first_name, b.id LIMIT {SEARCH_PAGE} OFFSET {}",
            cond.sql,
            (page - 1) * SEARCH_PAGE
        );
        let mut rows = query_as::<PersonHit>(&sql);
        for v in &cond.values {
            rows = rows.bind(v.clone());
        }
        let hits = rows.fetch_all(self).await?;
        self.audit_person(
            editor,
            "people_searched",
            None,
            Some(format!("key={} results={total}", shown.as_str())),
        )
        .await?;
        Ok(SearchResults {
            key: shown,
            total,
            page,
            pages,
            hits,
        })
    }

    /// The stored commune names that fold to the same text as `text`.
    async fn communes_folded_as(&self, text: &str) -> Result<Vec<String>, StoreError> {
        let wanted = fold(text);
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let all: Vec<String> = query_scalar(
            "SELECT DISTINCT commune FROM beneficiaries WHERE commune IS NOT NULL \
             AND identity_key NOT LIKE 'erased:%'",
        )
        .fetch_all(self)
        .await?;
        Ok(all.into_iter().filter(|c| fold(c) == wanted).collect())
    }

    /// One audit event about people (`subject_id`: the person, if one).
    pub(super) async fn audit_person(
        &self,
        editor: Editor<'_>,
        action: &str,
        person_id: Option<i64>,
        detail: Option<String>,
    ) -> Result<(), StoreError> {
        self.record_audit(&super::AuditEvent {
            actor_user_id: editor.user_id,
            actor_label: editor.label,
            action,
            subject_type: "beneficiary",
            subject_id: person_id,
            detail,
        })
        .await
    }

    /// The active callers a person can be handed over to: id, name, email.
    pub async fn handover_choices(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        Ok(query_as(
            "SELECT id, first_name || ' ' || last_name, email FROM callers WHERE active = TRUE \
             ORDER BY last_name, first_name, id",
        )
        .fetch_all(self)
        .await?)
    }

    /// The person's version (`updated_at` as stored), which a change must name.
    pub async fn person_version(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(query_scalar(
            "SELECT CAST(updated_at AS TEXT) FROM beneficiaries WHERE id = $1 \
             AND identity_key NOT LIKE 'erased:%'",
        )
        .bind(id)
        .fetch_optional(self)
        .await?)
    }

    /// The id of the person with this file reference (erased people are not found).
    pub async fn person_id_by_ref(&self, reference: &str) -> Result<Option<i64>, StoreError> {
        Ok(query_scalar(
            "SELECT id FROM beneficiaries WHERE external_ref = $1 \
             AND identity_key NOT LIKE 'erased:%'",
        )
        .bind(reference.trim())
        .fetch_optional(self)
        .await?)
    }
}

/// Who the person is, with the version a form carries.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PersonCard {
    pub id: i64,
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub preferred_language: String,
    pub territory_id: Option<i64>,
    pub territory: Option<String>,
    pub status: BeneficiaryStatus,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub paused_until: Option<NaiveDate>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
    pub continuity_caller: Option<String>,
    /// `updated_at` as stored: the optimistic check of the edit forms.
    pub version: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PhoneLine {
    pub position: i64,
    pub e164: String,
    pub kind: String,
    pub wrong_reported_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MembershipLine {
    pub campaign: String,
    pub added_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct WeekLine {
    pub campaign: String,
    pub week: String,
    pub caller_id: i64,
    pub caller: String,
    pub caller_email: String,
    pub status: String,
    pub attempts: i64,
    pub reason: String,
    pub reason_code: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CallLine {
    pub called_at: DateTime<Utc>,
    pub caller: String,
    pub outcome: Outcome,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EscalationLine {
    pub id: i64,
    pub kind: EscalationKind,
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub status: EscalationStatus,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// A change of the person in the audit trail (reads left out).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HistoryLine {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// Everything the person's page shows.
#[derive(Debug, Clone, Serialize)]
pub struct PersonFile {
    pub person: PersonCard,
    pub phones: Vec<PhoneLine>,
    pub campaigns: Vec<MembershipLine>,
    /// Every week, newest first.
    pub weeks: Vec<WeekLine>,
    pub calls: Vec<CallLine>,
    pub escalations: Vec<EscalationLine>,
    pub history: Vec<HistoryLine>,
}

impl PersonFile {
    /// This week's assignments (one per campaign).
    pub fn this_week(&self, week: IsoWeek) -> Vec<&WeekLine> {
        let week = week.to_string();
        self.weeks.iter().filter(|w| w.week == week).collect()
    }
}

pub(super) const CARD: &str = "SELECT b.id, b.external_ref, b.last_name, b.first_name, b.birth_date, \
    b.address, b.postal_code, b.commune, b.preferred_language, b.territory_id, t.name AS territory, \
    b.status, b.status_changed_at, b.paused_until, b.relative_name, b.relative_phone, \
    (SELECT k.first_name || ' ' || k.last_name FROM callers k WHERE k.id = b.continuity_caller_id) \
      AS continuity_caller, CAST(b.updated_at AS TEXT) AS version \
    FROM beneficiaries b LEFT JOIN territories t ON t.id = b.territory_id \
    WHERE b.id = $1 AND b.identity_key NOT LIKE 'erased:%'";

const PHONES: &str = "SELECT CAST(position AS BIGINT) AS position, e164, kind, wrong_reported_at \
    FROM beneficiary_phones WHERE beneficiary_id = $1 ORDER BY position";

const CAMPAIGNS: &str =
    "SELECT c.title AS campaign, m.added_at, m.left_at FROM campaign_members m \
    JOIN campaigns c ON c.id = m.campaign_id WHERE m.beneficiary_id = $1 ORDER BY m.added_at";

const WEEKS: &str = "SELECT c.title AS campaign, a.week, a.caller_id, \
    k.first_name || ' ' || k.last_name AS caller, k.email AS caller_email, a.status, \
    CAST(a.attempts AS BIGINT) AS attempts, a.reason, a.reason_code FROM assignments a \
    JOIN campaigns c ON c.id = a.campaign_id JOIN callers k ON k.id = a.caller_id \
    WHERE a.beneficiary_id = $1 ORDER BY a.week DESC, c.title";

const CALLS: &str = "SELECT l.called_at, k.first_name || ' ' || k.last_name AS caller, l.outcome, \
    l.notes FROM calls l JOIN callers k ON k.id = l.caller_id WHERE l.beneficiary_id = $1 \
    ORDER BY l.called_at DESC, l.id DESC";

const ESCALATIONS: &str = "SELECT id, kind, category, urgency, status, description, created_at \
    FROM escalations WHERE beneficiary_id = $1 ORDER BY created_at DESC, id DESC";

/// Changes of the person: every audit event about them but the readings.
const HISTORY: &str = "SELECT e.at, COALESCE(u.display_name, e.actor_label) AS actor, e.action, \
    e.detail FROM audit_events e LEFT JOIN users u ON u.id = e.actor_user_id \
    WHERE e.subject_type = 'beneficiary' AND e.subject_id = $1 \
    AND e.action NOT IN ('person_viewed', 'contact_details_read', 'person_exported') \
    ORDER BY e.at DESC, e.id DESC";

impl Store {
    /// Everything about one person (not erased), the reading recorded as `person_viewed`.
    pub async fn person_file(
        &self,
        id: i64,
        editor: Editor<'_>,
    ) -> Result<Option<PersonFile>, StoreError> {
        let Some(person) = query_as::<PersonCard>(CARD)
            .bind(id)
            .fetch_optional(self)
            .await?
        else {
            return Ok(None);
        };
        let file = PersonFile {
            person,
            phones: query_as(PHONES).bind(id).fetch_all(self).await?,
            campaigns: query_as(CAMPAIGNS).bind(id).fetch_all(self).await?,
            weeks: query_as(WEEKS).bind(id).fetch_all(self).await?,
            calls: query_as(CALLS).bind(id).fetch_all(self).await?,
            escalations: query_as(ESCALATIONS).bind(id).fetch_all(self).await?,
            history: query_as(HISTORY).bind(id).fetch_all(self).await?,
        };
        self.audit_person(editor, "person_viewed", Some(id), None)
            .await?;
        Ok(Some(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_reads_a_phone_number_as_a_phone() {
        assert_eq!(
            resolve_key(SearchKey::Any, "06 12 34 56 78"),
            SearchKey::Phone
        );
        assert_eq!(
            resolve_key(SearchKey::Any, "0033612345678"),
            SearchKey::Phone
        );
        assert_eq!(resolve_key(SearchKey::Any, "Lefèvre"), SearchKey::Any);
    }

    #[test]
    fn names_are_folded_word_by_word_and_erased_people_left_out() {
        let c = condition(SearchKey::Name, "  LEFÈVRE  jeanne ", &[]);
        assert_eq!(c.values, vec!["%lefevre%", "%jeanne%"]);
        assert!(c.sql.starts_with("b.identity_key NOT LIKE 'erased:%'"));
        let none = condition(SearchKey::Phone, "pas un numéro", &[]);
        assert!(none.sql.contains("1 = 0"));
    }
}
