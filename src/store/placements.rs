//! Placements of volunteers with establishments (issue 17), after the matching proposed
//! them: a week's list, the coordinator's confirmation with its formal basis — refused
//! when the need changed since the proposal, with what changed — and the states that
//! follow (agreement signed, ended). Every change is audited; a confirmation queues, in
//! its transaction, the mails that introduce the volunteer and the establishment's
//! contact to each other (`messages::mission_intro`).

use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::db::{query, query_as, Exec, Tx};
use super::users::audit_in;
use super::{AuditEvent, Store, StoreError};
use crate::domain::{IsoWeek, PlacementBasis, PlacementState, VolunteerOrigin};
use crate::messages::mission_intro::{render_intro, IntroFacts, IntroRecipient, Language};
use crate::messages::MailLinks;

/// The states a coordinator may move a placement to from `state` (confirmation has its
/// own path, with the basis and the version check): confirmed → signed or ended,
/// signed → ended.
pub fn next_states(state: PlacementState) -> &'static [PlacementState] {
    match state {
        PlacementState::Proposed | PlacementState::Ended => &[],
        PlacementState::Confirmed => &[PlacementState::Signed, PlacementState::Ended],
        PlacementState::Signed => &[PlacementState::Ended],
    }
}

/// A placement as the coordinators' page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WeekPlacement {
    pub id: i64,
    pub need_id: i64,
    pub need_reference: String,
    pub organisation_id: i64,
    pub organisation: String,
    pub establishment: String,
    pub mission_kind: String,
    pub slots: String,
    pub volunteer_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub origin: VolunteerOrigin,
    pub origin_structure: Option<String>,
    pub minutes: i32,
    pub state: PlacementState,
    pub basis: Option<PlacementBasis>,
    /// The matcher's reason (JSON with its code).
    pub reason: String,
    pub need_version: i32,
    /// The need's version now: different from `need_version` when it changed since.
    pub current_version: i32,
}

impl WeekPlacement {
    pub fn need_changed(&self) -> bool {
        self.need_version != self.current_version
    }
}

const LINE_SELECT: &str = "SELECT p.id, p.need_id, n.reference AS need_reference, \
     n.organisation_id, o.name AS organisation, n.establishment, n.mission_kind, n.slots, \
     p.volunteer_id, v.first_name, v.last_name, v.origin, v.origin_structure, p.minutes, \
     p.state, p.basis, p.reason, p.need_version, n.version AS current_version \
     FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
     JOIN organisations o ON o.id = n.organisation_id JOIN volunteers v ON v.id = p.volunteer_id";

/// One field of a need that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// `mission_needs` column name (`slots`, `volunteers_wanted` …).
    pub field: &'static str,
    pub old: String,
    pub new: String,
}

/// A need's fields as a version keeps them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct NeedFields {
    establishment: String,
    address: Option<String>,
    postcode: Option<String>,
    commune: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    public: Option<String>,
    mission_kind: String,
    volunteers_wanted: i32,
    weekly_minutes: i32,
    slots: String,
    qualifications: String,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    active: bool,
}

const NEED_FIELDS: &str = "establishment, address, postcode, commune, phone, email, public, \
     mission_kind, volunteers_wanted, weekly_minutes, slots, qualifications, starts_on, ends_on, \
     active";

impl NeedFields {
    fn values(&self) -> [(&'static str, String); 15] {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        [
            ("establishment", self.establishment.clone()),
            ("address", text(&self.address)),
            ("postcode", text(&self.postcode)),
            ("commune", text(&self.commune)),
            ("phone", text(&self.phone)),
            ("email", text(&self.email)),
            ("public", text(&self.public)),
            ("mission_kind", self.mission_kind.clone()),
            ("volunteers_wanted", self.volunteers_wanted.to_string()),
            ("weekly_minutes", self.weekly_minutes.to_string()),
            ("slots", self.slots.clone()),
            ("qualifications", self.qualifications.clone()),
            ("starts_on", date(&self.starts_on)),
            ("ends_on", date(&self.ends_on)),
            ("active", self.active.to_string()),
        ]
    }

    /// The fields that differ from `old` to `self`.
    fn changes_from(&self, old: &NeedFields) -> Vec<FieldChange> {
        old.values()
            .into_iter()
            .zip(self.values())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((field, old), (_, new))| FieldChange { field, old, new })
            .collect()
    }
}

/// Why a placement was not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ConfirmRefusal {
    /// No such placement.
    Unknown,
    /// Already confirmed, signed or ended.
    NotProposed { state: PlacementState },
    /// The need changed since the proposal: what changed (empty when the old version
    /// was not kept), from the version proposed on to the current one.
    NeedChanged {
        proposed_on: i32,
        current: i32,
        changes: Vec<FieldChange>,
    },
}

/// What a confirmation did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfirmReport {
    pub confirmed: Vec<i64>,
    pub refused: Vec<(i64, ConfirmRefusal)>,
    /// Intro mails queued in the outbox.
    pub mails: usize,
}

/// Why a change of state was refused.
#[derive(Debug, thiserror::Error)]
pub enum PlacementError {
    #[error("no placement #{0}")]
    Unknown(i64),
    #[error("a placement cannot go from {from} to {to}")]
    Transition {
        from: PlacementState,
        to: PlacementState,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for PlacementError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

/// Who confirms: the account and its mail (the intro mails' Reply-To).
#[derive(Debug, Clone, Copy)]
pub struct Confirmer<'a> {
    pub user_id: Option<i64>,
    pub email: Option<&'a str>,
}

fn event(actor: Option<i64>, action: &'static str, id: i64, detail: String) -> AuditEvent<'static> {
    AuditEvent {
        actor_user_id: actor,
        actor_label: if actor.is_some() { "user" } else { "cli" },
        action,
        subject_type: "mission_placement",
        subject_id: Some(id),
        detail: Some(detail),
    }
}

impl Store {
    /// Every placement of the week (any state), by organisation, establishment, volunteer.
    pub async fn week_placements(&self, week: IsoWeek) -> Result<Vec<WeekPlacement>, StoreError> {
        let sql = format!(
            "{LINE_SELECT} WHERE p.week_start = $1 \
             ORDER BY o.name, n.establishment, n.reference, v.last_name, v.first_name, p.id"
        );
        Ok(query_as(&sql).bind(week.monday()).fetch_all(self).await?)
    }

    /// The volunteer of a placement.
    pub async fn placement_volunteer(&self, placement_id: i64) -> Result<Option<i64>, StoreError> {
        let id: Option<i64> =
            super::db::query_scalar("SELECT volunteer_id FROM mission_placements WHERE id = $1")
                .bind(placement_id)
                .fetch_optional(self)
                .await?;
        Ok(id)
    }

    /// What changed in the placement's need since the proposal: empty when nothing did
    /// (or the version proposed on was not kept).
    pub async fn placement_need_changes(
        &self,
        placement_id: i64,
    ) -> Result<Vec<FieldChange>, StoreError> {
        let old = need_fields(self, placement_id, false).await?;
        let new = need_fields(self, placement_id, true).await?;
        Ok(compare(old, new))
    }

    /// Confirms the proposals `wanted` (placement, basis) in one transaction: each still
    /// proposed and made on the need's current version is confirmed, audited, and its two
    /// intro mails queued; the others are refused with the reason (for a changed need,
    /// what changed). A refusal does not stop the others.
    pub async fn confirm_placements(
        &self,
        wanted: &[(i64, PlacementBasis)],
        by: Confirmer<'_>,
        links: &MailLinks,
    ) -> Result<ConfirmReport, StoreError> {
        let mut tx = self.begin().await?;
        let mut report = ConfirmReport::default();
        for &(id, basis) in wanted {
            match confirm_one(&mut tx, id, basis, by.user_id).await? {
                Ok(()) => {
                    report.mails += queue_intro_mails(&mut tx, id, by.email, links).await?;
                    report.confirmed.push(id);
                }
                Err(refusal) => report.refused.push((id, refusal)),
            }
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Moves a confirmed placement to signed or ended, a signed one to ended. Audited.
    pub async fn set_placement_state(
        &self,
        placement_id: i64,
        to: PlacementState,
        actor: Option<i64>,
    ) -> Result<(), PlacementError> {
        let mut tx = self.begin().await?;
        let (from,): (PlacementState,) =
            query_as("SELECT state FROM mission_placements WHERE id = $1")
                .bind(placement_id)
                .fetch_optional(&mut tx)
                .await?
                .ok_or(PlacementError::Unknown(placement_id))?;
        if !next_states(from).contains(&to) {
            return Err(PlacementError::Transition { from, to });
        }
        let ended_at = (to == PlacementState::Ended).then(Utc::now);
        query("UPDATE mission_placements SET state = $1, ended_at = COALESCE($2, ended_at) WHERE id = $3")
            .bind(to)
            .bind(ended_at)
            .bind(placement_id)
            .execute(&mut tx)
            .await?;
        let detail = format!("{} -> {}", from.as_str(), to.as_str());
        audit_in(
            &mut tx,
            &event(actor, "placement_state", placement_id, detail),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Confirms one placement inside the transaction, or says why not.
async fn confirm_one(
    tx: &mut Tx,
    id: i64,
    basis: PlacementBasis,
    actor: Option<i64>,
) -> Result<Result<(), ConfirmRefusal>, StoreError> {
    let row: Option<(PlacementState, i32, i32)> = query_as(
        "SELECT p.state, p.need_version, n.version FROM mission_placements p \
         JOIN mission_needs n ON n.id = p.need_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((state, proposed_on, current)) = row else {
        return Ok(Err(ConfirmRefusal::Unknown));
    };
    if state != PlacementState::Proposed {
        return Ok(Err(ConfirmRefusal::NotProposed { state }));
    }
    if proposed_on != current {
        let changes = need_changes(tx, id).await?;
        return Ok(Err(ConfirmRefusal::NeedChanged {
            proposed_on,
            current,
            changes,
        }));
    }
    query(
        "UPDATE mission_placements SET state = 'confirmed', basis = $1, confirmed_by = $2, \
         confirmed_at = $3 WHERE id = $4 AND state = 'proposed'",
    )
    .bind(basis)
    .bind(actor)
    .bind(Utc::now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "confirmed, basis {}, need version {current}",
        basis.as_str()
    );
    audit_in(&mut *tx, &event(actor, "placement_confirmed", id, detail)).await?;
    Ok(Ok(()))
}

/// The fields of the placement's need that differ between the version proposed on and
/// the current one.
async fn need_changes(tx: &mut Tx, placement_id: i64) -> Result<Vec<FieldChange>, StoreError> {
    let old = need_fields(&mut *tx, placement_id, false).await?;
    let new = need_fields(&mut *tx, placement_id, true).await?;
    Ok(compare(old, new))
}

fn compare(old: Option<NeedFields>, new: Option<NeedFields>) -> Vec<FieldChange> {
    match (old, new) {
        (Some(old), Some(new)) => new.changes_from(&old),
        _ => Vec::new(),
    }
}

/// The fields of a placement's need: as they are now (`current`), or as they were in
/// the version the proposal was made on.
async fn need_fields<'c>(
    exec: impl Into<Exec<'c>>,
    placement_id: i64,
    current: bool,
) -> Result<Option<NeedFields>, StoreError> {
    let columns = NEED_FIELDS
        .split(", ")
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = if current {
        format!(
            "SELECT {columns} FROM mission_needs s JOIN mission_placements p ON p.need_id = s.id \
             WHERE p.id = $1"
        )
    } else {
        format!(
            "SELECT {columns} FROM mission_need_versions s JOIN mission_placements p \
             ON p.need_id = s.need_id AND p.need_version = s.version WHERE p.id = $1"
        )
    };
    Ok(query_as(&sql)
        .bind(placement_id)
        .fetch_optional(exec)
        .await?)
}

/// What the intro mails of a placement need, read in the confirmation's transaction.
#[derive(sqlx::FromRow)]
struct IntroRow {
    week_start: NaiveDate,
    minutes: i32,
    organisation: String,
    organisation_email: Option<String>,
    organisation_phone: Option<String>,
    organisation_language: String,
    establishment: String,
    address: Option<String>,
    postcode: Option<String>,
    commune: Option<String>,
    need_email: Option<String>,
    need_phone: Option<String>,
    mission_kind: String,
    slots: String,
    first_name: String,
    last_name: String,
    volunteer_email: String,
    volunteer_phone: Option<String>,
    volunteer_language: Option<String>,
}

/// Queues the two intro mails of a confirmed placement (the establishment's only when
/// it has a contact address); gives how many.
async fn queue_intro_mails(
    tx: &mut Tx,
    id: i64,
    reply_to: Option<&str>,
    links: &MailLinks,
) -> Result<usize, StoreError> {
    let row: IntroRow = query_as(
        "SELECT p.week_start, p.minutes, o.name AS organisation, o.email AS organisation_email, \
         o.phone AS organisation_phone, o.language AS organisation_language, n.establishment, \
         n.address, n.postcode, n.commune, n.email AS need_email, n.phone AS need_phone, \
         n.mission_kind, n.slots, v.first_name, v.last_name, v.email AS volunteer_email, \
         v.phone AS volunteer_phone, \
         (SELECT MIN(u.language) FROM users u WHERE u.volunteer_id = v.id \
          OR (v.caller_id IS NOT NULL AND u.caller_id = v.caller_id)) AS volunteer_language \
         FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
         JOIN organisations o ON o.id = n.organisation_id JOIN volunteers v ON v.id = p.volunteer_id \
         WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let contact_email = row.need_email.clone().or(row.organisation_email.clone());
    let facts = intro_facts(id, &row, contact_email.clone());
    let mut queued = 0;
    for (to, address, lang) in [
        (
            IntroRecipient::Volunteer,
            Some(row.volunteer_email.clone()),
            row.volunteer_language.as_deref(),
        ),
        (
            IntroRecipient::Establishment,
            contact_email,
            Some(row.organisation_language.as_str()),
        ),
    ] {
        let Some(address) = address.filter(|a| a.contains('@')) else {
            continue;
        };
        let mail = render_intro(&facts, to, Language::from_code(lang))
            .map_err(|e| StoreError::Render(e.to_string()))?;
        let message_id = format!(
            "<mission-intro-{id}-{}@{}>",
            to.code(),
            links.message_domain()
        );
        query(
            "INSERT INTO outbox (kind, recipients, reply_to, subject, body_text, body_html, \
             message_id, status, next_attempt_at, created_at) \
             VALUES ('other', $1, $2, $3, $4, $5, $6, 'pending', $7, $7) \
             ON CONFLICT (message_id) DO NOTHING",
        )
        .bind(address)
        .bind(reply_to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(message_id)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        queued += 1;
    }
    Ok(queued)
}

fn intro_facts(id: i64, row: &IntroRow, contact_email: Option<String>) -> IntroFacts {
    let place = [row.postcode.as_deref(), row.commune.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let address = [row.address.as_deref().unwrap_or(""), place.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    IntroFacts {
        placement_id: id,
        week: IsoWeek::from_date(row.week_start).to_string(),
        week_start: row.week_start.format("%d/%m/%Y").to_string(),
        organisation: row.organisation.clone(),
        establishment: row.establishment.clone(),
        address,
        mission_kind: row.mission_kind.clone(),
        slots: row.slots.clone(),
        minutes: row.minutes,
        volunteer_name: format!("{} {}", row.first_name, row.last_name)
            .trim()
            .to_string(),
        volunteer_email: row.volunteer_email.clone(),
        volunteer_phone: row.volunteer_phone.clone(),
        contact_email,
        contact_phone: row.need_phone.clone().or(row.organisation_phone.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need() -> NeedFields {
        NeedFields {
            establishment: "Foyer".into(),
            address: None,
            postcode: Some("93200".into()),
            commune: Some("Saint-Denis".into()),
            phone: None,
            email: None,
            public: None,
            mission_kind: "Animation".into(),
            volunteers_wanted: 2,
            weekly_minutes: 360,
            slots: "lun 09:00-12:00".into(),
            qualifications: String::new(),
            starts_on: None,
            ends_on: None,
            active: true,
        }
    }

    #[test]
    fn a_need_s_changes_name_only_the_fields_that_differ() {
        let old = need();
        let mut new = need();
        assert!(new.changes_from(&old).is_empty());
        new.slots = "lun 10:00-12:00".into();
        new.volunteers_wanted = 1;
        new.ends_on = NaiveDate::from_ymd_opt(2026, 12, 31);
        assert_eq!(
            new.changes_from(&old),
            [
                FieldChange {
                    field: "volunteers_wanted",
                    old: "2".into(),
                    new: "1".into()
                },
                FieldChange {
                    field: "slots",
                    old: "lun 09:00-12:00".into(),
                    new: "lun 10:00-12:00".into()
                },
                FieldChange {
                    field: "ends_on",
                    old: String::new(),
                    new: "2026-12-31".into()
                },
            ]
        );
    }

    #[test]
    fn states_move_forward_only() {
        assert!(next_states(PlacementState::Confirmed).contains(&PlacementState::Signed));
        assert!(next_states(PlacementState::Ended).is_empty());
        assert!(!next_states(PlacementState::Signed).contains(&PlacementState::Confirmed));
    }
}
