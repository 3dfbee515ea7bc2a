//! Relay organisations (an associations' reserve, a school) and their own volunteers:
//! every query here is scoped by `volunteers.relay_organisation_id`, so a relay account
//! never reads or changes another relay's volunteer (a volunteer of another relay is
//! "not found"). Also the few look-ups accounts need (an organisation by name, a
//! volunteer by email) and a volunteer's own placements (`/benevole`).
//!
//! Slots and qualifications arrive in their canonical text (the web layer parses them
//! with `missions::slots` and `missions::qualifications`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, AuditEvent, Store, StoreError};
use crate::domain::names::fold;

/// One volunteer as its relay sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RelayVolunteer {
    pub id: i64,
    pub email: String,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<String>,
    pub origin: String,
    pub qualifications: String,
    pub availability: String,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

const VOLUNTEER_COLUMNS: &str = "id, email, last_name, first_name, phone, origin, \
     qualifications, availability, postcode, commune, active, updated_at";

/// What a relay types for one of its volunteers (slots and qualifications canonical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayVolunteerInput {
    pub email: String,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<String>,
    pub qualifications: String,
    pub availability: String,
    pub postcode: Option<String>,
    pub commune: Option<String>,
    pub active: bool,
}

/// Why a relay's change is refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("no such volunteer among this relay's")]
    NotFound,
    #[error("a volunteer with this email is already in the pool")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RelayError {
    fn from(e: sqlx::Error) -> Self {
        RelayError::Store(e.into())
    }
}

/// One placement as the volunteer's own page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RelayPlacement {
    pub id: i64,
    pub week_start: NaiveDate,
    pub minutes: i32,
    pub state: String,
    pub establishment: String,
    pub organisation: String,
    pub mission_kind: String,
    pub commune: Option<String>,
    pub slots: String,
}

impl Store {
    /// The organisation with this name (compared folded: case, accents and spacing do
    /// not matter).
    pub async fn organisation_id_by_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            query_scalar("SELECT id FROM organisations WHERE name_key = $1")
                .bind(fold(name))
                .fetch_optional(self)
                .await?,
        )
    }

    /// The organisation with this name, created as a relay when there is none (a relay
    /// account may come before any import). Gives its id and whether it was created.
    pub async fn relay_organisation(&self, name: &str) -> Result<(i64, bool), StoreError> {
        if let Some(id) = self.organisation_id_by_name(name).await? {
            return Ok((id, false));
        }
        let now = Utc::now();
        let id: i64 = query_scalar(
            "INSERT INTO organisations (name, name_key, kind, created_at, updated_at) \
             VALUES ($1, $2, 'relay', $3, $3) RETURNING id",
        )
        .bind(crate::domain::names::clean_name(name))
        .bind(fold(name))
        .bind(now)
        .fetch_one(self)
        .await?;
        Ok((id, true))
    }

    /// The organisation's name.
    pub async fn organisation_name(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(query_scalar("SELECT name FROM organisations WHERE id = $1")
            .bind(id)
            .fetch_optional(self)
            .await?)
    }

    /// The volunteer of the pool with this email, if any.
    pub async fn volunteer_id_by_email(&self, email: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            query_scalar("SELECT id FROM volunteers WHERE lower(email) = lower($1)")
                .bind(email.trim())
                .fetch_optional(self)
                .await?,
        )
    }

    /// The relay's volunteers, by name (the list shows no contact detail).
    pub async fn relay_volunteers(
        &self,
        organisation_id: i64,
    ) -> Result<Vec<RelayVolunteer>, StoreError> {
        let sql = format!(
            "SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE relay_organisation_id = $1 \
             ORDER BY last_name, first_name, id"
        );
        Ok(query_as(&sql).bind(organisation_id).fetch_all(self).await?)
    }

    /// One of the relay's volunteers, its reading (contact details) audited; `None` for
    /// a volunteer of another relay or of none.
    pub async fn relay_volunteer(
        &self,
        organisation_id: i64,
        volunteer_id: i64,
        user_id: i64,
    ) -> Result<Option<RelayVolunteer>, StoreError> {
        let sql = format!(
            "SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE id = $1 AND relay_organisation_id = $2"
        );
        let found: Option<RelayVolunteer> = query_as(&sql)
            .bind(volunteer_id)
            .bind(organisation_id)
            .fetch_optional(self)
            .await?;
        if found.is_some() {
            let event = AuditEvent {
                detail: Some(format!("relay {organisation_id}")),
                ..AuditEvent::by_user(user_id, "volunteer_read", "volunteer", Some(volunteer_id))
            };
            self.record_audit(&event).await?;
        }
        Ok(found)
    }

    /// Adds a volunteer to the relay's own (origin: a school relay's are students,
    /// others association professionals; their structure is the relay's name). Audited.
    pub async fn add_relay_volunteer(
        &self,
        organisation_id: i64,
        input: &RelayVolunteerInput,
        user_id: i64,
    ) -> Result<i64, RelayError> {
        let mut tx = self.begin().await?;
        let (name, kind): (String, String) =
            query_as("SELECT name, kind FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_one(&mut tx)
                .await?;
        let origin = if kind == "school" {
            "school"
        } else {
            "association"
        };
        let now = Utc::now();
        let inserted: Result<i64, sqlx::Error> = query_scalar(
            "INSERT INTO volunteers (email, last_name, first_name, phone, origin, \
             origin_structure, qualifications, availability, postcode, commune, active, \
             relay_organisation_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(input.email.trim().to_lowercase())
        .bind(input.last_name.trim())
        .bind(input.first_name.trim())
        .bind(input.phone.as_deref())
        .bind(origin)
        .bind(name)
        .bind(&input.qualifications)
        .bind(&input.availability)
        .bind(input.postcode.as_deref())
        .bind(input.commune.as_deref())
        .bind(input.active)
        .bind(organisation_id)
        .bind(now)
        .fetch_one(&mut tx)
        .await;
        let id = match inserted {
            Ok(id) => id,
            Err(e) => {
                return Err(
                    match StoreError::on_unique(e, || StoreError::EmailTaken(String::new())) {
                        StoreError::EmailTaken(_) => RelayError::EmailTaken,
                        other => RelayError::Store(other),
                    },
                )
            }
        };
        let event = AuditEvent {
            detail: Some(format!("relay {organisation_id}")),
            ..AuditEvent::by_user(user_id, "volunteer_added", "volunteer", Some(id))
        };
        super::users::audit_in(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes one of the relay's volunteers (qualifications, availability, commune,
    /// contact, active). Refused as not found for anyone else's. Audited with the
    /// names of the fields that changed (never their values).
    pub async fn update_relay_volunteer(
        &self,
        organisation_id: i64,
        volunteer_id: i64,
        input: &RelayVolunteerInput,
        user_id: i64,
    ) -> Result<(), RelayError> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT {VOLUNTEER_COLUMNS} FROM volunteers WHERE id = $1 AND relay_organisation_id = $2"
        );
        let before: RelayVolunteer = query_as(&sql)
            .bind(volunteer_id)
            .bind(organisation_id)
            .fetch_optional(&mut tx)
            .await?
            .ok_or(RelayError::NotFound)?;
        let changed = changed_fields(&before, input);
        let updated = query(
            "UPDATE volunteers SET email = $3, last_name = $4, first_name = $5, phone = $6, \
             qualifications = $7, availability = $8, postcode = $9, commune = $10, \
             active = $11, updated_at = $12 WHERE id = $1 AND relay_organisation_id = $2",
        )
        .bind(volunteer_id)
        .bind(organisation_id)
        .bind(input.email.trim().to_lowercase())
        .bind(input.last_name.trim())
        .bind(input.first_name.trim())
        .bind(input.phone.as_deref())
        .bind(&input.qualifications)
        .bind(&input.availability)
        .bind(input.postcode.as_deref())
        .bind(input.commune.as_deref())
        .bind(input.active)
        .bind(Utc::now())
        .execute(&mut tx)
        .await;
        if let Err(e) = updated {
            return Err(
                match StoreError::on_unique(e, || StoreError::EmailTaken(String::new())) {
                    StoreError::EmailTaken(_) => RelayError::EmailTaken,
                    other => RelayError::Store(other),
                },
            );
        }
        let event = AuditEvent {
            detail: Some(format!("relay {organisation_id}: {}", changed.join(","))),
            ..AuditEvent::by_user(
                user_id,
                "volunteer_updated",
                "volunteer",
                Some(volunteer_id),
            )
        };
        super::users::audit_in(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The volunteer's placements, newest week first (the volunteer's own page).
    pub async fn own_placements(
        &self,
        volunteer_id: i64,
    ) -> Result<Vec<RelayPlacement>, StoreError> {
        Ok(query_as(
            "SELECT p.id, p.week_start, p.minutes, p.state, n.establishment, \
             o.name AS organisation, n.mission_kind, n.commune, n.slots \
             FROM mission_placements p JOIN mission_needs n ON n.id = p.need_id \
             JOIN organisations o ON o.id = n.organisation_id \
             WHERE p.volunteer_id = $1 ORDER BY p.week_start DESC, p.id",
        )
        .bind(volunteer_id)
        .fetch_all(self)
        .await?)
    }
}

/// The names of the fields an edit changes (for the audit trail: names, not values).
fn changed_fields(before: &RelayVolunteer, after: &RelayVolunteerInput) -> Vec<&'static str> {
    let mut changed = Vec::new();
    let pairs: [(&'static str, bool); 9] = [
        ("email", before.email != after.email.trim().to_lowercase()),
        ("last_name", before.last_name != after.last_name.trim()),
        ("first_name", before.first_name != after.first_name.trim()),
        ("phone", before.phone != after.phone),
        (
            "qualifications",
            before.qualifications != after.qualifications,
        ),
        ("availability", before.availability != after.availability),
        ("postcode", before.postcode != after.postcode),
        ("commune", before.commune != after.commune),
        ("active", before.active != after.active),
    ];
    for (name, differs) in pairs {
        if differs {
            changed.push(name);
        }
    }
    changed
}
