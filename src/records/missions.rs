//! The rows of the volunteer missions that cross layers: what the needs and volunteers
//! imports (and the organisations' form) hand to the store. Slots and qualifications
//! arrive already in their canonical text (`missions::slots::format_slots`,
//! `missions::qualifications`), so the store compares and stores them as they are.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{EmailAddress, OrganisationKind, Phone, PostalCode, VolunteerOrigin};

/// An organisation (association, establishment …), recognised by its folded name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganisation {
    pub name: String,
    /// None: keep the stored kind (a new organisation is an association).
    pub kind: Option<OrganisationKind>,
    /// The contact who gets the Monday/Thursday mail; None keeps the stored one.
    pub email: Option<EmailAddress>,
    pub phone: Option<Phone>,
}

/// One staffing need, recognised by its reference (`Réf.`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNeed {
    pub reference: String,
    pub organisation: NewOrganisation,
    pub establishment: String,
    pub address: Option<String>,
    pub postcode: Option<PostalCode>,
    pub commune: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<EmailAddress>,
    pub public: Option<String>,
    pub mission_kind: String,
    pub volunteers_wanted: u32,
    pub weekly_minutes: u32,
    /// Canonical slots: `lun 09:00-12:00, jeu 14:30-18:00`.
    pub slots: String,
    /// Canonical qualifications, comma-separated ('' for none).
    pub qualifications: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

/// The manager's approval of an agent's allowance: who gave it (or, from a file, the
/// file's name) and when it was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One volunteer, recognised by e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer {
    pub email: EmailAddress,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<Phone>,
    pub origin: VolunteerOrigin,
    /// Service, association or school.
    pub origin_structure: Option<String>,
    /// Canonical qualifications, comma-separated ('' for none).
    pub qualifications: String,
    /// Canonical availability slots.
    pub availability: String,
    pub postcode: Option<PostalCode>,
    pub commune: Option<String>,
    /// Agents only: the monthly allowance in hundredths of a day (50 to 200).
    pub days_per_month_centi: Option<u16>,
    /// `Some(true)`: approved (recorded with `approval` unless already approved);
    /// `Some(false)`: approval withdrawn; None: as stored.
    pub manager_approved: Option<bool>,
    /// Who approved and when, used when the approval is new.
    pub approval: Option<Approval>,
}
