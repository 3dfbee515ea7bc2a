//! What a coordinator changes on one person: a phone, the territory, a pause, the final
//! statuses (opted out, deceased), and the caller (this week only, or from now on).
//!
//! Every change carries a reason, is refused with a sentence when it cannot be made
//! (nothing written), and is checked against the version of the person the form was
//! built from (`updated_at`): a person changed by someone else since is never silently
//! overwritten. The change, its audit event and its effect on the current week's
//! assignments are written in one transaction.

use chrono::{NaiveDate, Utc};

use super::people::Editor;
use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::domain::{BeneficiaryStatus, IsoWeek, Phone};
use crate::records::suppression::SuppressionSource;

/// One change of a person.
#[derive(Debug, Clone)]
pub enum PersonChange {
    /// Replace the phone at `position`, or add one (`None`).
    Phone { position: Option<i64>, phone: Phone },
    /// Move to a territory (`None`: none).
    Territory { territory_id: Option<i64> },
    /// No call until this date, included.
    Pause { until: NaiveDate },
    /// Final: never called again, keys on the suppression list.
    OptOut,
    /// Final.
    Deceased,
    /// Another caller: this week's open assignments move; with `from_now_on` the
    /// planner keeps the caller in the weeks after.
    Handover { caller_id: i64, from_now_on: bool },
}

impl PersonChange {
    fn action(&self) -> &'static str {
        match self {
            PersonChange::Phone { .. } => "person_phone_changed",
            PersonChange::Territory { .. } => "person_territory_changed",
            PersonChange::Pause { .. } => "person_paused",
            PersonChange::OptOut => "person_opted_out",
            PersonChange::Deceased => "person_deceased",
            PersonChange::Handover { .. } => "person_handed_over",
        }
    }
}

/// A change asked for, with what the optimistic check needs.
#[derive(Debug, Clone)]
pub struct PersonEdit<'a> {
    pub person_id: i64,
    /// The person's version the form was built from (`PersonCard::version`).
    pub version: &'a str,
    pub reason: &'a str,
    pub change: PersonChange,
    /// Today (Paris): pauses start from it, absences are checked from it.
    pub today: NaiveDate,
}

/// Why a change was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum PersonRefused {
    #[error("nobody has this file reference or id")]
    NotFound,
    #[error("this person was changed by someone else since you opened the page; reload it")]
    Stale,
    #[error("this person is marked {0}: that status is final and nothing can be changed")]
    Final(BeneficiaryStatus),
    #[error("a reason is required (it must not name the person)")]
    ReasonMissing,
    #[error("a pause ends today or later")]
    PauseInPast,
    #[error("no such territory")]
    TerritoryUnknown,
    #[error("no such phone position")]
    PhoneUnknown,
    #[error("no caller has this email")]
    CallerUnknown,
    #[error("this caller is not active any more")]
    CallerInactive,
    #[error("this caller is absent for the rest of this week")]
    CallerAbsent,
    #[error("this person has no call left to make this week")]
    NothingThisWeek,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PersonRefused {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl PersonRefused {
    /// The catalogue key of the sentence shown (`web::people::TEXTS`).
    pub fn message_key(&self) -> &'static str {
        match self {
            PersonRefused::NotFound => "people.refused.not_found",
            PersonRefused::Stale => "people.refused.stale",
            PersonRefused::Final(BeneficiaryStatus::Deceased) => "people.refused.deceased",
            PersonRefused::Final(_) => "people.refused.opted_out",
            PersonRefused::ReasonMissing => "people.refused.reason",
            PersonRefused::PauseInPast => "people.refused.pause_past",
            PersonRefused::TerritoryUnknown => "people.refused.territory",
            PersonRefused::PhoneUnknown => "people.refused.phone",
            PersonRefused::CallerUnknown => "people.refused.caller_unknown",
            PersonRefused::CallerInactive => "people.refused.caller_inactive",
            PersonRefused::CallerAbsent => "people.refused.caller_absent",
            PersonRefused::NothingThisWeek => "people.refused.nothing_this_week",
            PersonRefused::Store(_) => "error.internal.text",
        }
    }
}

impl Store {
    /// Makes one change (see the module's documentation); gives the audit detail.
    #[tracing::instrument(skip(self, edit, editor), fields(person = edit.person_id))]
    pub async fn edit_person(
        &self,
        edit: &PersonEdit<'_>,
        editor: Editor<'_>,
    ) -> Result<String, PersonRefused> {
        let reason = edit.reason.trim();
        if reason.is_empty() {
            return Err(PersonRefused::ReasonMissing);
        }
        let mut tx = self.begin().await?;
        let status = lock_current(&mut tx, edit.person_id, edit.version).await?;
        if status.is_final() {
            return Err(PersonRefused::Final(status));
        }
        let detail = apply(&mut tx, edit).await?;
        let now = Utc::now();
        query("UPDATE beneficiaries SET updated_at = $2 WHERE id = $1")
            .bind(edit.person_id)
            .bind(now)
            .execute(&mut tx)
            .await?;
        let detail = format!("{detail}; reason: {reason}");
        query(
            "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
             subject_id, detail) VALUES ($1, $2, $3, $4, 'beneficiary', $5, $6)",
        )
        .bind(now)
        .bind(editor.user_id)
        .bind(editor.label)
        .bind(edit.change.action())
        .bind(edit.person_id)
        .bind(&detail)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(detail)
    }

    /// The caller with this email: id, or refused as unknown.
    pub async fn caller_for_handover(&self, email: &str) -> Result<i64, PersonRefused> {
        self.caller_id_by_email(email)
            .await?
            .ok_or(PersonRefused::CallerUnknown)
    }
}

/// Locks the person's row and checks that it is the version the form was built from;
/// gives its status.
async fn lock_current(
    tx: &mut Tx,
    id: i64,
    version: &str,
) -> Result<BeneficiaryStatus, PersonRefused> {
    let lock = if tx.is_postgres() { " FOR UPDATE" } else { "" };
    let sql = format!(
        "SELECT status, CAST(updated_at AS TEXT) FROM beneficiaries \
         WHERE id = $1 AND identity_key NOT LIKE 'erased:%'{lock}"
    );
    let row: Option<(BeneficiaryStatus, String)> =
        query_as(&sql).bind(id).fetch_optional(&mut *tx).await?;
    let (status, current) = row.ok_or(PersonRefused::NotFound)?;
    if current != version {
        return Err(PersonRefused::Stale);
    }
    Ok(status)
}

/// Writes the change; gives its audit detail (ids and codes only).
async fn apply(tx: &mut Tx, edit: &PersonEdit<'_>) -> Result<String, PersonRefused> {
    let id = edit.person_id;
    match &edit.change {
        PersonChange::Phone { position, phone } => set_phone(tx, id, *position, phone).await,
        PersonChange::Territory { territory_id } => set_territory(tx, id, *territory_id).await,
        PersonChange::Pause { until } => {
            if *until < edit.today {
                return Err(PersonRefused::PauseInPast);
            }
            query("UPDATE beneficiaries SET paused_until = $2 WHERE id = $1")
                .bind(id)
                .bind(*until)
                .execute(&mut *tx)
                .await?;
            Ok(format!("until={until}"))
        }
        PersonChange::OptOut => {
            super::suppressions::suppress_people(tx, &[id], SuppressionSource::Person, Utc::now())
                .await?;
            set_status(tx, id, BeneficiaryStatus::OptedOut).await
        }
        PersonChange::Deceased => set_status(tx, id, BeneficiaryStatus::Deceased).await,
        PersonChange::Handover {
            caller_id,
            from_now_on,
        } => handover(tx, id, *caller_id, *from_now_on, edit.today).await,
    }
}

async fn set_phone(
    tx: &mut Tx,
    id: i64,
    position: Option<i64>,
    phone: &Phone,
) -> Result<String, PersonRefused> {
    let kind = if phone.is_mobile() {
        "mobile"
    } else if phone.is_french() {
        "landline"
    } else {
        "other"
    };
    match position {
        Some(position) => {
            let changed = query(
                "UPDATE beneficiary_phones SET e164 = $3, kind = $4, wrong_reported_at = NULL \
                 WHERE beneficiary_id = $1 AND position = $2",
            )
            .bind(id)
            .bind(position)
            .bind(phone.as_str())
            .bind(kind)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(PersonRefused::PhoneUnknown);
            }
            Ok(format!("phone_corrected position={position}"))
        }
        None => {
            let position: i64 = query_scalar(
                "SELECT CAST(COALESCE(MAX(position) + 1, 0) AS BIGINT) FROM beneficiary_phones \
                 WHERE beneficiary_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            query(
                "INSERT INTO beneficiary_phones (beneficiary_id, position, e164, kind) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(position)
            .bind(phone.as_str())
            .bind(kind)
            .execute(&mut *tx)
            .await?;
            Ok(format!("phone_added position={position}"))
        }
    }
}

async fn set_territory(
    tx: &mut Tx,
    id: i64,
    territory_id: Option<i64>,
) -> Result<String, PersonRefused> {
    if let Some(t) = territory_id {
        let found: i64 = query_scalar("SELECT COUNT(*) FROM territories WHERE id = $1")
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
        if found == 0 {
            return Err(PersonRefused::TerritoryUnknown);
        }
    }
    query("UPDATE beneficiaries SET territory_id = $2 WHERE id = $1")
        .bind(id)
        .bind(territory_id)
        .execute(&mut *tx)
        .await?;
    Ok(match territory_id {
        Some(t) => format!("territory={t}"),
        None => "territory=none".into(),
    })
}

async fn set_status(
    tx: &mut Tx,
    id: i64,
    status: BeneficiaryStatus,
) -> Result<String, PersonRefused> {
    query("UPDATE beneficiaries SET status = $2, status_changed_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
    Ok(format!("status={status}"))
}

/// Moves this week's open assignments of the person to `caller_id` and, with
/// `from_now_on`, keeps the caller as the planner's continuity caller.
async fn handover(
    tx: &mut Tx,
    id: i64,
    caller_id: i64,
    from_now_on: bool,
    today: NaiveDate,
) -> Result<String, PersonRefused> {
    check_caller_available(tx, caller_id, today).await?;
    let week = IsoWeek::from_date(today);
    let moved = query(
        "UPDATE assignments SET caller_id = $3, reason_code = 'handover', \
         reason = 'confié par la coordination' \
         WHERE beneficiary_id = $1 AND week = $2 AND status = 'open' AND caller_id <> $3",
    )
    .bind(id)
    .bind(week.to_string())
    .bind(caller_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if from_now_on {
        query("UPDATE beneficiaries SET continuity_caller_id = $2 WHERE id = $1")
            .bind(id)
            .bind(caller_id)
            .execute(&mut *tx)
            .await?;
    } else if moved == 0 {
        return Err(PersonRefused::NothingThisWeek);
    }
    let scope = if from_now_on { "from_now_on" } else { "week" };
    Ok(format!("caller={caller_id} scope={scope} moved={moved}"))
}

/// Refuses an inactive caller, or one absent every day from `today` to Sunday.
async fn check_caller_available(
    tx: &mut Tx,
    caller_id: i64,
    today: NaiveDate,
) -> Result<(), PersonRefused> {
    let active: Option<bool> = query_scalar("SELECT active FROM callers WHERE id = $1")
        .bind(caller_id)
        .fetch_optional(&mut *tx)
        .await?;
    match active {
        None => return Err(PersonRefused::CallerUnknown),
        Some(false) => return Err(PersonRefused::CallerInactive),
        Some(true) => {}
    }
    let sunday = IsoWeek::from_date(today).sunday();
    let absences: Vec<(NaiveDate, NaiveDate)> = query_as(
        "SELECT starts_on, ends_on FROM caller_absences WHERE caller_id = $1 \
         AND ends_on >= $2 AND starts_on <= $3",
    )
    .bind(caller_id)
    .bind(today)
    .bind(sunday)
    .fetch_all(&mut *tx)
    .await?;
    let away = today
        .iter_days()
        .take_while(|d| *d <= sunday)
        .all(|d| absences.iter().any(|(from, to)| *from <= d && d <= *to));
    if away {
        return Err(PersonRefused::CallerAbsent);
    }
    Ok(())
}
