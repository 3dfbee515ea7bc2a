//! Erasure of one person (`lien people erase REF --reason R`, right to erasure).
//!
//! The person's row is kept, anonymised, so that every count that includes them (the
//! assignments and calls behind past weeks' totals, the escalations of a week, the
//! enrolments) stays what it was; everything that says who they are goes: identity,
//! birth date, address, relative, phones, call notes, escalation texts, the mails about
//! them, the raw import rows, uploads and warnings that name them, the details of audit
//! events about them. One audit tombstone says who erased, when, why, under an opaque
//! erasure id — and nothing about the person.

use chrono::Utc;
use serde::Serialize;

use super::people::Editor;
use super::person_traces::PersonTraces;
use super::{query, query_as, query_scalar, Store, StoreError, Tx};

/// Text left where a mail or an escalation described an erased person.
pub const ERASED: &str = "[effacé]";

/// What identifies a person, read before erasing them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PersonIdentity {
    pub id: i64,
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub relative_phone: Option<String>,
    pub status: String,
}

/// What an erasure changed, per kind of data (counts only).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ErasureReport {
    /// Opaque id of this erasure, in the audit tombstone and the person's row.
    pub erasure_id: String,
    pub phones: u64,
    pub call_notes: u64,
    pub escalations: u64,
    pub mails: u64,
    pub rejected_rows: u64,
    pub import_warnings: u64,
    pub uploads: u64,
    pub audit_details: u64,
}

/// Who asks for an erasure and why (the reason must not name the person).
#[derive(Debug, Clone)]
pub struct ErasureRequest<'a> {
    pub external_ref: &'a str,
    pub reason: &'a str,
    pub actor_label: &'a str,
}

/// Errors of the data-lifecycle commands, in the user's terms.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("nobody has the file reference {0:?}")]
    PersonNotFound(String),
    #[error("a reason is required (it must not name the person)")]
    ReasonMissing,
    #[error("this person was already erased: there is nothing left to erase")]
    AlreadyErased,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LifecycleError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl Store {
    /// Erases the person with this file reference (see the module's documentation), in
    /// one transaction.
    #[tracing::instrument(skip(self, request))]
    pub async fn erase_person(
        &self,
        request: &ErasureRequest<'_>,
    ) -> Result<ErasureReport, LifecycleError> {
        if request.reason.trim().is_empty() {
            return Err(LifecycleError::ReasonMissing);
        }
        let mut tx = self.begin().await?;
        let person = person_by_ref(&mut tx, request.external_ref).await?;
        let actor = Editor {
            user_id: None,
            label: request.actor_label,
        };
        let report = erase_and_record(&mut tx, &person, request.reason, actor).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Erases the person `id`, asked by a signed-in account (the person's page).
    #[tracing::instrument(skip(self, reason, actor))]
    pub async fn erase_person_id(
        &self,
        id: i64,
        reason: &str,
        actor: Editor<'_>,
    ) -> Result<ErasureReport, LifecycleError> {
        if reason.trim().is_empty() {
            return Err(LifecycleError::ReasonMissing);
        }
        let mut tx = self.begin().await?;
        let person = person_by_id(&mut tx, id).await?;
        let report = erase_and_record(&mut tx, &person, reason, actor).await?;
        tx.commit().await?;
        Ok(report)
    }
}

async fn erase_and_record(
    tx: &mut Tx,
    person: &PersonIdentity,
    reason: &str,
    actor: Editor<'_>,
) -> Result<ErasureReport, LifecycleError> {
    if person.last_name == ERASED {
        return Err(LifecycleError::AlreadyErased);
    }
    let erasure_id = uuid::Uuid::new_v4().simple().to_string();
    let mut report = erase_in(tx, person, &erasure_id).await?;
    report.erasure_id = erasure_id;
    tombstone(tx, person.id, &report.erasure_id, reason, actor).await?;
    Ok(report)
}

pub(crate) async fn person_by_id(tx: &mut Tx, id: i64) -> Result<PersonIdentity, LifecycleError> {
    query_as(
        "SELECT id, external_ref, last_name, first_name, relative_phone, status FROM beneficiaries WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| LifecycleError::PersonNotFound(format!("#{id}")))
}

pub(crate) async fn person_by_ref(
    tx: &mut Tx,
    external_ref: &str,
) -> Result<PersonIdentity, LifecycleError> {
    query_as(
        "SELECT id, external_ref, last_name, first_name, relative_phone, status FROM beneficiaries WHERE external_ref = $1",
    )
    .bind(external_ref.trim())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| LifecycleError::PersonNotFound(external_ref.trim().to_string()))
}

/// Removes or anonymises every trace of `person`; used by erasure and by the retention
/// of people gone (`store::retention`).
pub(crate) async fn erase_in(
    tx: &mut Tx,
    person: &PersonIdentity,
    erasure_id: &str,
) -> Result<ErasureReport, sqlx::Error> {
    let phones: Vec<String> =
        query_scalar("SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = $1")
            .bind(person.id)
            .fetch_all(&mut *tx)
            .await?;
    let traces = PersonTraces::new(
        person.external_ref.as_deref(),
        &person.last_name,
        &person.first_name,
        phones.iter().cloned().chain(person.relative_phone.clone()),
    );
    // Opt-out is forever: someone who opted out (or is still active, and becomes
    // opted out below) keeps their suppression keys, hashed, read before the phones
    // and the identity go, so that a later import of them still comes in opted out.
    if matches!(person.status.as_str(), "active" | "opted_out") {
        super::suppressions::suppress_people(
            tx,
            &[person.id],
            crate::records::suppression::SuppressionSource::Person,
            chrono::Utc::now(),
        )
        .await?;
    }
    let mut report = ErasureReport {
        phones: query("DELETE FROM beneficiary_phones WHERE beneficiary_id = $1")
            .bind(person.id)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        ..ErasureReport::default()
    };
    anonymise_identity(tx, person, erasure_id).await?;
    report.call_notes =
        query("UPDATE calls SET notes = NULL WHERE beneficiary_id = $1 AND notes IS NOT NULL")
            .bind(person.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    report.escalations = query(
        "UPDATE escalations SET description = $2, status_comment = NULL WHERE beneficiary_id = $1",
    )
    .bind(person.id)
    .bind(ERASED)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    report.mails = redact_mails(tx, person.id, &traces).await?;
    report.rejected_rows = redact_rejected_rows(tx, &traces).await?;
    report.import_warnings = redact_import_warnings(tx, &traces).await?;
    report.uploads = delete_uploads(tx, &traces).await?;
    report.audit_details = redact_audit_details(tx, person.id, &traces).await?;
    Ok(report)
}

/// The person's row keeps its id, territory, status dates and pause (what counts and
/// planning read) and loses the rest. Someone still active is taken out of the calls
/// (status `opted_out` from now: past weeks' eligible counts do not change).
async fn anonymise_identity(
    tx: &mut Tx,
    person: &PersonIdentity,
    erasure_id: &str,
) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    let (status, changed_at) = if person.status == "active" {
        ("opted_out", Some(now))
    } else {
        (person.status.as_str(), None)
    };
    query(
        "UPDATE beneficiaries SET external_ref = NULL, identity_key = $2, last_name = $3, \
         first_name = '', birth_date = NULL, address = NULL, postal_code = NULL, commune = NULL, \
         insee_code = NULL, relative_name = NULL, relative_phone = NULL, \
         status = $4, status_changed_at = COALESCE($5, status_changed_at), updated_at = $6 \
         WHERE id = $1",
    )
    .bind(person.id)
    .bind(format!("erased:{erasure_id}"))
    .bind(ERASED)
    .bind(status)
    .bind(changed_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MailText {
    id: i64,
    about_person: bool,
    subject: String,
    body_text: String,
    body_html: Option<String>,
}

/// Mails about the person's escalations, and any other mail naming them, keep their
/// envelope (kind, recipients, status, dates) and lose subject and body.
async fn redact_mails(
    tx: &mut Tx,
    person_id: i64,
    traces: &PersonTraces,
) -> Result<u64, sqlx::Error> {
    let mails: Vec<MailText> = query_as(
        "SELECT o.id, (o.escalation_id IS NOT NULL AND o.escalation_id IN \
         (SELECT e.id FROM escalations e WHERE e.beneficiary_id = $1)) AS about_person, \
         o.subject, o.body_text, o.body_html FROM outbox o WHERE o.subject <> $2",
    )
    .bind(person_id)
    .bind(ERASED)
    .fetch_all(&mut *tx)
    .await?;
    let mut n = 0;
    for m in mails.iter().filter(|m| {
        m.about_person
            || traces.found_in_any([
                Some(m.subject.as_str()),
                Some(m.body_text.as_str()),
                m.body_html.as_deref(),
            ])
    }) {
        query("UPDATE outbox SET subject = $2, body_text = $2, body_html = NULL WHERE id = $1")
            .bind(m.id)
            .bind(ERASED)
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
    Ok(n)
}

#[derive(sqlx::FromRow)]
struct RejectedText {
    id: i64,
    raw_value: Option<String>,
    message: String,
    raw_record: Option<String>,
}

/// A refused import row that names the person keeps its line and error code (the
/// import's counts) and loses its cells and message.
async fn redact_rejected_rows(tx: &mut Tx, traces: &PersonTraces) -> Result<u64, sqlx::Error> {
    let rows: Vec<RejectedText> = query_as(
        "SELECT id, raw_value, message, raw_record FROM import_rejected_rows \
         WHERE raw_value IS NOT NULL OR raw_record IS NOT NULL OR message <> $1",
    )
    .bind(ERASED)
    .fetch_all(&mut *tx)
    .await?;
    let mut n = 0;
    for r in rows.iter().filter(|r| {
        traces.found_in_any([
            r.raw_value.as_deref(),
            Some(r.message.as_str()),
            r.raw_record.as_deref(),
        ])
    }) {
        query(
            "UPDATE import_rejected_rows SET raw_value = NULL, raw_record = NULL, message = $2 \
             WHERE id = $1",
        )
        .bind(r.id)
        .bind(ERASED)
        .execute(&mut *tx)
        .await?;
        n += 1;
    }
    Ok(n)
}

async fn redact_import_warnings(tx: &mut Tx, traces: &PersonTraces) -> Result<u64, sqlx::Error> {
    let batches: Vec<(i64, String)> =
        query_as("SELECT id, warnings FROM import_batches WHERE warnings IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
    let mut n = 0;
    for (id, _) in batches.iter().filter(|(_, w)| traces.found_in(w)) {
        query("UPDATE import_batches SET warnings = NULL WHERE id = $1")
            .bind(*id)
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// Files uploaded and not yet confirmed that hold the person are deleted whole.
async fn delete_uploads(tx: &mut Tx, traces: &PersonTraces) -> Result<u64, sqlx::Error> {
    let uploads: Vec<(i64, Vec<u8>)> = query_as("SELECT id, content FROM import_uploads")
        .fetch_all(&mut *tx)
        .await?;
    let mut n = 0;
    for (id, _) in uploads
        .iter()
        .filter(|(_, c)| traces.found_in(&String::from_utf8_lossy(c)))
    {
        query("DELETE FROM import_uploads WHERE id = $1")
            .bind(*id)
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// Audit events about the person, and any other whose detail names them, keep who did
/// what when, and lose their detail.
async fn redact_audit_details(
    tx: &mut Tx,
    person_id: i64,
    traces: &PersonTraces,
) -> Result<u64, sqlx::Error> {
    let events: Vec<(i64, String, String, Option<i64>)> = query_as(
        "SELECT id, detail, subject_type, subject_id FROM audit_events WHERE detail IS NOT NULL",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut n = 0;
    for (id, ..) in events.iter().filter(|(_, detail, kind, subject)| {
        (kind == "beneficiary" && *subject == Some(person_id)) || traces.found_in(detail)
    }) {
        query("UPDATE audit_events SET detail = NULL WHERE id = $1")
            .bind(*id)
            .execute(&mut *tx)
            .await?;
        n += 1;
    }
    Ok(n)
}

/// The audit tombstone: who erased, when, why, the erasure id; no personal data.
async fn tombstone(
    tx: &mut Tx,
    person_id: i64,
    erasure_id: &str,
    reason: &str,
    actor: Editor<'_>,
) -> Result<(), sqlx::Error> {
    query(
        "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
         subject_id, detail) VALUES ($1, $2, $3, 'person_erased', 'beneficiary', $4, $5)",
    )
    .bind(Utc::now())
    .bind(actor.user_id)
    .bind(actor.label)
    .bind(person_id)
    .bind(format!("erasure {erasure_id}; reason: {}", reason.trim()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}
