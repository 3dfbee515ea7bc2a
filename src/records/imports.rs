//! The data an import passes from the parsers to the store and back: the parsed rows
//! (`Parsed`, `ParsedRow`, `RejectedRow`, `FieldError`), the rows themselves
//! (`NewBeneficiary`, `NewCaller`, `NewTerritory`, `BeneficiaryRow`, `OptOutEntry`) and
//! the report of what was written (`ImportReport`).
//!
//! The parsers (`crate::import`) build these, the store (`crate::store`) applies them;
//! neither needs the other's module for a type. Depends on `crate::domain` only.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::names;
use crate::domain::{BeneficiaryStatus, EmailAddress, LanguageCode, Phone, PostalCode, Weekdays};

pub use crate::domain::ImportKind;

/// Every field of every kind of list, plus [`Field::Ignore`] for `--map 'Col=ignore'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalRef,
    LastName,
    FirstName,
    Phone,
    Address,
    PostalCode,
    Commune,
    InseeCode,
    BirthDate,
    Programme,
    Territory,
    PreferredLanguage,
    RelativeName,
    RelativePhone,
    Status,
    Email,
    WeeklyCapacity,
    HalfDays,
    TerritoryPreference,
    Languages,
    AvailableWeekdays,
    Code,
    Name,
    ReferentEmails,
    PostalCodes,
    InseeCodes,
    /// First and last day of an absence of a caller.
    AbsentFrom,
    AbsentTo,
    /// Whether a caller is active (oui/non).
    Active,
    /// A need's reference (`Réf.`), its key across imports.
    NeedRef,
    Organisation,
    OrganisationKind,
    Establishment,
    Public,
    MissionKind,
    VolunteersWanted,
    WeeklyHours,
    /// A need's weekly time slots.
    Slots,
    Qualifications,
    /// First and last day of a need.
    StartsOn,
    EndsOn,
    /// Where a volunteer comes from (agent, association, school).
    Origin,
    OriginStructure,
    /// A volunteer's weekly availability slots.
    Availability,
    /// An agent's monthly allowance in days.
    DaysPerMonth,
    ManagerApproval,
    /// Not a field: a column the coordinator wants left out (`--map 'Fax=ignore'`).
    Ignore,
}

impl Field {
    /// Every field, in declaration order.
    pub const ALL: [Field; 47] = [
        Field::ExternalRef,
        Field::LastName,
        Field::FirstName,
        Field::Phone,
        Field::Address,
        Field::PostalCode,
        Field::Commune,
        Field::InseeCode,
        Field::BirthDate,
        Field::Programme,
        Field::Territory,
        Field::PreferredLanguage,
        Field::RelativeName,
        Field::RelativePhone,
        Field::Status,
        Field::Email,
        Field::WeeklyCapacity,
        Field::HalfDays,
        Field::TerritoryPreference,
        Field::Languages,
        Field::AvailableWeekdays,
        Field::Code,
        Field::Name,
        Field::ReferentEmails,
        Field::PostalCodes,
        Field::InseeCodes,
        Field::AbsentFrom,
        Field::AbsentTo,
        Field::Active,
        Field::NeedRef,
        Field::Organisation,
        Field::OrganisationKind,
        Field::Establishment,
        Field::Public,
        Field::MissionKind,
        Field::VolunteersWanted,
        Field::WeeklyHours,
        Field::Slots,
        Field::Qualifications,
        Field::StartsOn,
        Field::EndsOn,
        Field::Origin,
        Field::OriginStructure,
        Field::Availability,
        Field::DaysPerMonth,
        Field::ManagerApproval,
        Field::Ignore,
    ];

    /// snake_case English name, as written in `--map 'Header=field'`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::ExternalRef => "external_ref",
            Field::LastName => "last_name",
            Field::FirstName => "first_name",
            Field::Phone => "phone",
            Field::Address => "address",
            Field::PostalCode => "postal_code",
            Field::Commune => "commune",
            Field::InseeCode => "insee_code",
            Field::BirthDate => "birth_date",
            Field::Programme => "programme",
            Field::Territory => "territory",
            Field::PreferredLanguage => "preferred_language",
            Field::RelativeName => "relative_name",
            Field::RelativePhone => "relative_phone",
            Field::Status => "status",
            Field::Email => "email",
            Field::WeeklyCapacity => "weekly_capacity",
            Field::HalfDays => "half_days",
            Field::TerritoryPreference => "territory_preference",
            Field::Languages => "languages",
            Field::AvailableWeekdays => "available_weekdays",
            Field::Code => "code",
            Field::Name => "name",
            Field::ReferentEmails => "referent_emails",
            Field::PostalCodes => "postal_codes",
            Field::InseeCodes => "insee_codes",
            Field::AbsentFrom => "absent_from",
            Field::AbsentTo => "absent_to",
            Field::Active => "active",
            Field::NeedRef => "need_ref",
            Field::Organisation => "organisation",
            Field::OrganisationKind => "organisation_kind",
            Field::Establishment => "establishment",
            Field::Public => "public",
            Field::MissionKind => "mission_kind",
            Field::VolunteersWanted => "volunteers_wanted",
            Field::WeeklyHours => "weekly_hours",
            Field::Slots => "slots",
            Field::Qualifications => "qualifications",
            Field::StartsOn => "starts_on",
            Field::EndsOn => "ends_on",
            Field::Origin => "origin",
            Field::OriginStructure => "origin_structure",
            Field::Availability => "availability",
            Field::DaysPerMonth => "days_per_month",
            Field::ManagerApproval => "manager_approval",
            Field::Ignore => "ignore",
        }
    }

    /// French name of the column, for messages.
    pub fn label_fr(self) -> &'static str {
        match self {
            Field::ExternalRef => "N° de dossier",
            Field::LastName => "Nom",
            Field::FirstName => "Prénom",
            Field::Phone => "Téléphone",
            Field::Address => "Adresse",
            Field::PostalCode => "Code postal",
            Field::Commune => "Commune",
            Field::InseeCode => "Code INSEE",
            Field::BirthDate => "Date de naissance",
            Field::Programme => "Prestation",
            Field::Territory => "Territoire",
            Field::PreferredLanguage => "Langue",
            Field::RelativeName => "Contact proche",
            Field::RelativePhone => "Téléphone du contact",
            Field::Status => "Statut",
            Field::Email => "E-mail",
            Field::WeeklyCapacity => "Capacité hebdomadaire",
            Field::HalfDays => "Demi-journées",
            Field::TerritoryPreference => "Territoire préféré",
            Field::Languages => "Langues",
            Field::AvailableWeekdays => "Jours disponibles",
            Field::Code => "Code du territoire",
            Field::Name => "Nom du territoire",
            Field::ReferentEmails => "E-mails des référents",
            Field::PostalCodes => "Codes postaux",
            Field::InseeCodes => "Codes INSEE",
            Field::AbsentFrom => "Absent du",
            Field::AbsentTo => "Absent au",
            Field::Active => "Actif",
            Field::NeedRef => "Réf.",
            Field::Organisation => "Organisme",
            Field::OrganisationKind => "Type de structure",
            Field::Establishment => "Établissement",
            Field::Public => "Public accueilli",
            Field::MissionKind => "Type de mission",
            Field::VolunteersWanted => "Nombre de volontaires",
            Field::WeeklyHours => "Volume horaire hebdomadaire",
            Field::Slots => "Plages horaires",
            Field::Qualifications => "Qualifications",
            Field::StartsOn => "Du",
            Field::EndsOn => "Au",
            Field::Origin => "Origine",
            Field::OriginStructure => "Structure d'origine",
            Field::Availability => "Disponibilités",
            Field::DaysPerMonth => "Jours par mois",
            Field::ManagerApproval => "Accord hiérarchique",
            Field::Ignore => "(colonne ignorée)",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--map` field name that is no field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("champ inconnu « {0} » : les champs possibles sont {list}", list = field_list(&Field::ALL))]
pub struct UnknownField(pub String);

impl FromStr for Field {
    type Err = UnknownField;

    /// The snake_case name (`phone`, `Birth-Date`), case-insensitive, or the French
    /// label (`Téléphone`, `date de naissance`); `ignore` / `ignorer` for [`Field::Ignore`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = names::fold(s).replace(' ', "_");
        if wanted == "ignorer" {
            return Ok(Field::Ignore);
        }
        Field::ALL
            .into_iter()
            .find(|f| f.as_str() == wanted || names::fold(f.label_fr()).replace(' ', "_") == wanted)
            .ok_or_else(|| UnknownField(s.trim().to_owned()))
    }
}

/// The fields' snake_case names, joined by commas.
pub fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One problem with one field of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Line in the file where the record starts; the header is line 1.
    pub line: u64,
    /// The column's header as written in the file (None for a row-level problem).
    pub column: Option<String>,
    /// The raw value of the cell.
    pub value: Option<String>,
    /// Stable code, e.g. `phone_too_short`, `missing_value`, `duplicate_in_file`.
    pub code: String,
    /// A French sentence a coordinator can act on.
    pub message: String,
}

/// A record the import refused, with every reason, and the record as it was (for the
/// CSV download of rejected rows, to fix in Excel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    pub line: u64,
    pub errors: Vec<FieldError>,
    pub raw: Vec<String>,
}

/// A record that parsed, with its line.
#[derive(Debug, Clone)]
pub struct ParsedRow<T> {
    pub line: u64,
    pub value: T,
    /// Non-fatal problems in this row (e.g. a second phone number that is not valid and
    /// was left out).
    pub warnings: Vec<FieldError>,
}

/// A warning about the file as a whole (unknown columns…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileWarning {
    pub code: String,
    pub message: String,
}

/// The outcome of parsing a whole file.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub rows: Vec<ParsedRow<T>>,
    pub rejected: Vec<RejectedRow>,
    pub warnings: Vec<FileWarning>,
    /// Data records read (blank lines not counted).
    pub rows_read: usize,
    /// What the reader found: "UTF-8", "UTF-8 (BOM)", "UTF-16LE", "windows-1252"…
    pub encoding: String,
    pub delimiter: char,
    /// The file's headers, in order, as written.
    pub headers: Vec<String>,
    /// Which field each header was mapped to (None: unknown column, ignored).
    pub mapping: Vec<(String, Option<Field>)>,
}

/// A beneficiary row, with what the store's `NewBeneficiary` does not carry.
#[derive(Debug, Clone)]
pub struct BeneficiaryRow {
    pub beneficiary: NewBeneficiary,
    /// From the optional status column ("décédé", "déménagé", "refus"…); None when the
    /// file has no such column or the cell is empty. The store never reverts a final
    /// status (opted out, deceased).
    pub status: Option<BeneficiaryStatus>,
    /// INSEE code of the commune (5 characters, `2A004` in Corsica), to find the
    /// territory when territories are defined by INSEE codes.
    pub insee_code: Option<String>,
}

/// A person on a do-not-call list: found by reference, else by name and birth date,
/// else by phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptOutEntry {
    pub external_ref: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
}

#[derive(Debug, Clone)]
pub struct NewTerritory {
    pub code: String,
    pub name: String,
    pub referent_emails: Vec<EmailAddress>,
    pub postal_codes: Vec<PostalCode>,
    /// INSEE commune codes (5 characters, `2A004` in Corsica).
    pub insee_codes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewCaller {
    pub email: EmailAddress,
    pub last_name: String,
    pub first_name: String,
    pub phone: Option<Phone>,
    pub languages: Vec<LanguageCode>,
    pub weekly_capacity: u32,
    pub half_days: Option<u8>,
    pub available_weekdays: Weekdays,
    /// Code of the territory the caller prefers to call in.
    pub territory_preference: Option<String>,
    /// An absence (first and last day, included) from the `Absent du` / `Absent au`
    /// columns: recorded unless the same one is.
    pub absence: Option<(NaiveDate, NaiveDate)>,
    /// From the `Actif` column: `Some(false)` deactivates the caller (account and
    /// sessions end), `Some(true)` reactivates them; `None` leaves them as they are.
    pub active: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewBeneficiary {
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub postal_code: Option<PostalCode>,
    pub commune: Option<String>,
    /// INSEE code of the commune (5 characters, `2A004` in Corsica).
    pub insee_code: Option<String>,
    pub preferred_language: LanguageCode,
    /// Territory code; when absent the territory covering the postal code is used.
    pub territory: Option<String>,
    /// In the order the source listed them.
    pub phones: Vec<Phone>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<Phone>,
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub territories: Vec<NewTerritory>,
    pub callers: Vec<NewCaller>,
    pub beneficiaries: Vec<NewBeneficiary>,
}

/// A warning in the report: about the file (no line) or about one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportWarning {
    pub line: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub code: String,
    pub message: String,
}

/// Printed by `lien import --json`, shown on the import page, stored with the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub kind: String,
    pub file: String,
    pub encoding: String,
    pub delimiter: String,
    /// Nothing was written (`--dry-run`): the figures say what an import would do.
    pub dry_run: bool,
    /// The import batch recorded, when something was written.
    pub batch_id: Option<i64>,
    /// Data rows read (blank lines not counted).
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Beneficiaries already known who were added to the campaign by this import.
    pub enrolled: usize,
    /// Rows whose "opted out" or "deceased" status the import kept rather than revert.
    pub kept_final_status: usize,
    /// Beneficiaries on the suppression list (by a phone or by name and birth date)
    /// brought in as opted out; only shown when there are some.
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// The lines of those rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed_lines: Vec<u64>,
    /// Do-not-call entries matching nobody yet, kept on the suppression list (new keys).
    #[serde(skip_serializing_if = "is_zero")]
    pub listed: usize,
    /// People known before but absent from this file: reported, never deleted.
    pub missing: usize,
    /// Callers who got an account and an invitation mail (`--invite`).
    pub invited: usize,
    /// References (or names) of the first missing people, for a look.
    pub missing_sample: Vec<String>,
    /// The same file was imported before and nothing changed.
    pub same_file_as_batch: Option<i64>,
    pub warnings: Vec<ReportWarning>,
    pub errors: Vec<FieldError>,
    /// How each column of the file was understood (field label, or None: ignored).
    pub mapping: Vec<MappedColumn>,
    /// The first records as read, for the preview page (never printed: personal data).
    #[serde(skip)]
    pub preview: Vec<(u64, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappedColumn {
    pub header: String,
    pub field: Option<String>,
    pub label: Option<String>,
}

impl ImportReport {
    /// The report of a parsed file before anything is written.
    pub fn from_parsed<T>(kind: ImportKind, file: &str, parsed: &Parsed<T>) -> Self {
        let mut warnings: Vec<ReportWarning> = parsed
            .warnings
            .iter()
            .map(|w| ReportWarning {
                line: None,
                column: None,
                value: None,
                code: w.code.clone(),
                message: w.message.clone(),
            })
            .collect();
        warnings.extend(
            parsed
                .rows
                .iter()
                .flat_map(|r| r.warnings.iter())
                .map(cell_warning),
        );
        Self {
            kind: kind.as_str().to_string(),
            file: file.to_string(),
            encoding: parsed.encoding.clone(),
            delimiter: match parsed.delimiter {
                '\t' => "tab".to_string(),
                c => c.to_string(),
            },
            rows: parsed.rows_read,
            rejected: parsed.rejected.len(),
            errors: parsed
                .rejected
                .iter()
                .flat_map(|r| r.errors.iter().cloned())
                .collect(),
            warnings,
            mapping: parsed
                .mapping
                .iter()
                .map(|(header, field)| MappedColumn {
                    header: header.clone(),
                    field: field.map(|f| f.as_str().to_string()),
                    label: field.map(|f| f.label_fr().to_string()),
                })
                .collect(),
            ..Self::default()
        }
    }

    /// A warning about one cell, found while writing (unknown territory…).
    pub fn warn(&mut self, warning: FieldError) {
        self.warnings.push(cell_warning(&warning));
    }

    /// Adds a row refused while writing (ambiguous identity, not found…).
    pub fn reject(&mut self, error: FieldError) {
        self.rejected += 1;
        self.errors.push(error);
    }

    /// True when the import changed nothing in the database.
    pub fn changed_nothing(&self) -> bool {
        self.inserted == 0
            && self.updated == 0
            && self.enrolled == 0
            && self.invited == 0
            && self.listed == 0
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn cell_warning(w: &FieldError) -> ReportWarning {
    ReportWarning {
        line: Some(w.line),
        column: w.column.clone(),
        value: w.value.clone(),
        code: w.code.clone(),
        message: w.message.clone(),
    }
}
