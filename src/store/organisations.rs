//! Organisations of the volunteer missions (associations, establishments, relays,
//! schools): recognised by their folded name (`name_key`), so that `Foyer Les Tilleuls`
//! and `FOYER LES TILLEULS` are one organisation across imports and forms.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::domain::names;
use crate::domain::OrganisationKind;
use crate::records::missions::NewOrganisation;

/// One organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub kind: OrganisationKind,
    /// The contact who gets the Monday/Thursday mail.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an upsert did to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change", content = "id")]
pub enum Upserted {
    Inserted(i64),
    Updated(i64),
    Unchanged(i64),
}

impl Upserted {
    pub fn id(self) -> i64 {
        match self {
            Self::Inserted(id) | Self::Updated(id) | Self::Unchanged(id) => id,
        }
    }
}

/// How an upsert treats the contact of an organisation already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactRule {
    /// The given e-mail and phone replace the stored ones (a coordinator's form).
    Replace,
    /// They only fill a contact that is empty (a needs import: each need has its own
    /// contact, the organisation keeps the first one it was given).
    FillEmpty,
}

const COLUMNS: &str =
    "id, name, name_key, kind, email, phone, language, active, created_at, updated_at";

/// The key an organisation is recognised by: its folded name.
pub fn organisation_key(name: &str) -> String {
    names::fold(name)
}

impl Store {
    /// Inserts the organisation, or updates the one with the same folded name.
    pub async fn upsert_organisation(
        &self,
        organisation: &NewOrganisation,
    ) -> Result<Upserted, StoreError> {
        let mut tx = self.begin().await?;
        let done = upsert_organisation(&mut tx, organisation, ContactRule::Replace).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Every organisation, by name.
    pub async fn list_organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM organisations ORDER BY name_key, id");
        Ok(query_as(&sql).fetch_all(self).await?)
    }

    pub async fn organisation(&self, id: i64) -> Result<Option<Organisation>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM organisations WHERE id = $1");
        Ok(query_as(&sql).bind(id).fetch_optional(self).await?)
    }

    /// The organisation whose folded name is that of `name`.
    pub async fn organisation_by_name(
        &self,
        name: &str,
    ) -> Result<Option<Organisation>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM organisations WHERE name_key = $1");
        Ok(query_as(&sql)
            .bind(organisation_key(name))
            .fetch_optional(self)
            .await?)
    }
}

/// Inserts or updates one organisation inside a transaction.
pub(crate) async fn upsert_organisation(
    tx: &mut Tx,
    new: &NewOrganisation,
    contact: ContactRule,
) -> Result<Upserted, StoreError> {
    let key = organisation_key(&new.name);
    let sql = format!("SELECT {COLUMNS} FROM organisations WHERE name_key = $1");
    let stored: Option<Organisation> = query_as(&sql).bind(&key).fetch_optional(&mut *tx).await?;
    let email = new.email.as_ref().map(|e| e.as_str().to_owned());
    let phone = new.phone.as_ref().map(|p| p.as_str().to_owned());
    let Some(stored) = stored else {
        let id: i64 = query_scalar(
            "INSERT INTO organisations (name, name_key, kind, email, phone, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(new.name.trim())
        .bind(&key)
        .bind(new.kind.unwrap_or(OrganisationKind::Association))
        .bind(email)
        .bind(phone)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::on_unique(e, || StoreError::Constraint(key.clone())))?;
        return Ok(Upserted::Inserted(id));
    };
    let pick = |given: Option<String>, kept: &Option<String>| match contact {
        ContactRule::Replace => given.or_else(|| kept.clone()),
        ContactRule::FillEmpty => kept.clone().or(given),
    };
    let email = pick(email, &stored.email);
    let phone = pick(phone, &stored.phone);
    let kind = new.kind.unwrap_or(stored.kind);
    if email == stored.email && phone == stored.phone && kind == stored.kind {
        return Ok(Upserted::Unchanged(stored.id));
    }
    query(
        "UPDATE organisations SET kind = $2, email = $3, phone = $4, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(stored.id)
    .bind(kind)
    .bind(email)
    .bind(phone)
    .bind(Utc::now())
    .execute(&mut *tx)
    .await?;
    Ok(Upserted::Updated(stored.id))
}
