//! Which field each column holds, from its header.
//!
//! A header is recognised when its key equals the key of one of the kind's aliases. The
//! key ignores case, accents, punctuation and spaces, numbers (`Téléphone 2`, `Tel (1)`,
//! `Portable3`), small words (`de`, `du`, `le`, `N°`, `numéro`, `nombre`…) and a plural
//! `s`: `N° de dossier`, `NUMERO DOSSIER` and `Dossiers` are the same key. Headers no
//! alias knows are tried against a few word rules (`Tél. domicile perso` is a phone,
//! `Tél. de la fille` a relative's phone), which only apply when every word of the
//! header is known, so that a `Tél. assistante sociale` is never taken for the
//! beneficiary's number. Everything else is an unknown column, ignored (and reported).

use std::collections::HashMap;

use super::{ImportError, ImportKind};
use crate::domain::names;

use crate::records::imports::field_list;
pub use crate::records::imports::{Field, UnknownField};

/// One field of one kind: whether several columns may feed it, and its headers.
struct Spec {
    field: Field,
    /// Several columns allowed (each phone column, address lines…), read in file order.
    multi: bool,
    aliases: &'static [&'static str],
}

const fn one(field: Field, aliases: &'static [&'static str]) -> Spec {
    Spec {
        field,
        multi: false,
        aliases,
    }
}

const fn many(field: Field, aliases: &'static [&'static str]) -> Spec {
    Spec {
        field,
        multi: true,
        aliases,
    }
}

const EXTERNAL_REF: &[&str] = &[
    "N° dossier",
    "Numéro de dossier",
    "No dossier",
    "Dossier",
    "N° allocataire",
    "Numéro allocataire",
    "Allocataire",
    "N° CAF",
    "N° bénéficiaire",
    "N° usager",
    "N° individu",
    "Identifiant",
    "Identifiant bénéficiaire",
    "ID",
    "Référence",
    "Référence dossier",
    "Réf.",
    "Matricule",
    "Code bénéficiaire",
    "Code usager",
    "External ref",
    "Reference",
    "File number",
    "Case number",
];
const LAST_NAME: &[&str] = &[
    "Nom",
    "NOM DE NAISSANCE",
    "Nom de naissance",
    "Nom d'usage",
    "Nom usuel",
    "Nom marital",
    "Nom de famille",
    "Nom patronymique",
    "Nom du bénéficiaire",
    "Nom de l'appelant",
    "Last name",
    "Surname",
    "Family name",
];
const FIRST_NAME: &[&str] = &[
    "Prénom",
    "Prenom",
    "Prénom usuel",
    "Prénom du bénéficiaire",
    "First name",
    "Given name",
    "Forename",
];
const PHONE: &[&str] = &[
    "Téléphone",
    "Tél.",
    "Tel",
    "Tél. fixe",
    "Fixe",
    "Téléphone fixe",
    "Téléphone domicile",
    "Tél. domicile",
    "Portable",
    "Mobile",
    "Téléphone portable",
    "Tél. portable",
    "Téléphone mobile",
    "GSM",
    "N° de téléphone",
    "Phone",
    "Phone number",
    "Telephone",
    "Landline",
    "Mobile phone",
    "Cell phone",
];
const ADDRESS: &[&str] = &[
    "Adresse",
    "Adresse 1",
    "Adresse 2",
    "Adresse ligne",
    "Rue",
    "Voie",
    "Libellé voie",
    "Complément d'adresse",
    "Complément",
    "Lieu-dit",
    "Bâtiment",
    "Résidence",
    "Address",
    "Address line",
    "Street",
];
const POSTAL_CODE: &[&str] = &[
    "Code postal",
    "CP",
    "C.P.",
    "Postal code",
    "Zip",
    "Zip code",
];
const COMMUNE: &[&str] = &[
    "Commune",
    "Ville",
    "Localité",
    "Commune de résidence",
    "Nom de la commune",
    "City",
    "Town",
];
const INSEE_CODE: &[&str] = &[
    "Code INSEE",
    "INSEE",
    "Code commune",
    "Code INSEE commune",
    "Code officiel géographique",
    "COG",
    "INSEE code",
];
const BIRTH_DATE: &[&str] = &[
    "Date de naissance",
    "DDN",
    "Né(e) le",
    "Né le",
    "Naissance",
    "Date naissance",
    "Birth date",
    "Date of birth",
    "Birthdate",
    "DOB",
];
const PROGRAMME: &[&str] = &[
    "Prestation",
    "Dispositif",
    "Aide",
    "Allocation",
    "Type d'aide",
    "Type de prestation",
    "Benefit",
    "Programme",
    "Program",
];
const TERRITORY: &[&str] = &[
    "Territoire",
    "TAS",
    "Secteur",
    "Territoire d'action sociale",
    "Code territoire",
    "Code TAS",
    "Territory",
];
const PREFERRED_LANGUAGE: &[&str] = &[
    "Langue",
    "Langue parlée",
    "Langue préférée",
    "Langue maternelle",
    "Language",
    "Preferred language",
];
const RELATIVE_NAME: &[&str] = &[
    "Contact proche",
    "Personne à prévenir",
    "Contact d'urgence",
    "Aidant",
    "Aidant familial",
    "Proche",
    "Nom du proche",
    "Nom du contact",
    "Relative",
    "Emergency contact",
    "Next of kin",
];
const RELATIVE_PHONE: &[&str] = &[
    "Téléphone contact",
    "Tél. contact",
    "Téléphone du proche",
    "Tél. proche",
    "Téléphone personne à prévenir",
    "Tél. personne à prévenir",
    "Téléphone aidant",
    "Tél. aidant",
    "Téléphone contact d'urgence",
    "Emergency phone",
    "Relative phone",
];
const STATUS: &[&str] = &["Statut", "Situation", "État", "Status"];
const EMAIL: &[&str] = &[
    "Email",
    "E-mail",
    "Courriel",
    "Mail",
    "Mél",
    "Adresse mail",
    "Adresse e-mail",
    "Adresse électronique",
    "Email address",
];
const WEEKLY_CAPACITY: &[&str] = &[
    "Capacité",
    "Capacité hebdomadaire",
    "Appels par semaine",
    "Nb appels",
    "Nombre d'appels",
    "Nombre d'appels par semaine",
    "Appels",
    "Capacity",
    "Weekly capacity",
    "Calls per week",
];
const HALF_DAYS: &[&str] = &[
    "Demi-journées",
    "Demi-journées par semaine",
    "Nb demi-journées",
    "Nombre de demi-journées",
    "Half-days",
    "Half days per week",
];
const TERRITORY_PREFERENCE: &[&str] = &[
    "Territoire préféré",
    "Territoire",
    "Secteur",
    "TAS",
    "Code territoire",
    "Preferred territory",
    "Territory",
];
const LANGUAGES: &[&str] = &[
    "Langues",
    "Langues parlées",
    "Langue",
    "Langues étrangères",
    "Languages",
    "Spoken languages",
];
const AVAILABLE_WEEKDAYS: &[&str] = &[
    "Jours disponibles",
    "Disponibilités",
    "Jours",
    "Jours de disponibilité",
    "Jours d'appel",
    "Weekdays",
    "Available days",
    "Availability",
];
const CODE: &[&str] = &[
    "Code",
    "Code territoire",
    "Identifiant",
    "Code TAS",
    "ID",
    "Territory code",
];
const NAME: &[&str] = &[
    "Nom",
    "Libellé",
    "Intitulé",
    "Territoire",
    "Nom du territoire",
    "Name",
    "Territory name",
];
const REFERENT_EMAILS: &[&str] = &[
    "Emails référents",
    "Email",
    "Emails",
    "E-mail",
    "Courriel",
    "Mail",
    "Adresse mail",
    "Référents",
    "Référent",
    "Email du référent",
    "Referent emails",
];
const POSTAL_CODES: &[&str] = &[
    "Codes postaux",
    "CP",
    "Code postal",
    "Postal codes",
    "Zip codes",
];
const INSEE_CODES: &[&str] = &[
    "Codes INSEE",
    "Communes",
    "Code commune",
    "Codes communes",
    "INSEE",
    "INSEE codes",
];

const BENEFICIARIES: &[Spec] = &[
    one(Field::ExternalRef, EXTERNAL_REF),
    one(Field::LastName, LAST_NAME),
    one(Field::FirstName, FIRST_NAME),
    many(Field::Phone, PHONE),
    many(Field::Address, ADDRESS),
    one(Field::PostalCode, POSTAL_CODE),
    one(Field::Commune, COMMUNE),
    one(Field::InseeCode, INSEE_CODE),
    one(Field::BirthDate, BIRTH_DATE),
    one(Field::Programme, PROGRAMME),
    one(Field::Territory, TERRITORY),
    one(Field::PreferredLanguage, PREFERRED_LANGUAGE),
    one(Field::RelativeName, RELATIVE_NAME),
    one(Field::RelativePhone, RELATIVE_PHONE),
    one(Field::Status, STATUS),
];
const ABSENT_FROM: &[&str] = &[
    "Absent du",
    "Absence du",
    "Début d'absence",
    "Absent from",
    "Away from",
];
const ABSENT_TO: &[&str] = &[
    "Absent au",
    "Absence au",
    "Fin d'absence",
    "Absent until",
    "Away until",
];
const ACTIVE: &[&str] = &["Actif", "Active", "Actif ?", "Active?"];
const CALLERS: &[Spec] = &[
    one(Field::LastName, LAST_NAME),
    one(Field::FirstName, FIRST_NAME),
    one(Field::Email, EMAIL),
    // Several phone columns: the first valid number is kept.
    many(Field::Phone, PHONE),
    one(Field::WeeklyCapacity, WEEKLY_CAPACITY),
    one(Field::HalfDays, HALF_DAYS),
    one(Field::TerritoryPreference, TERRITORY_PREFERENCE),
    one(Field::Languages, LANGUAGES),
    one(Field::AvailableWeekdays, AVAILABLE_WEEKDAYS),
    one(Field::AbsentFrom, ABSENT_FROM),
    one(Field::AbsentTo, ABSENT_TO),
    one(Field::Active, ACTIVE),
];
const TERRITORIES: &[Spec] = &[
    one(Field::Code, CODE),
    one(Field::Name, NAME),
    many(Field::ReferentEmails, REFERENT_EMAILS),
    many(Field::PostalCodes, POSTAL_CODES),
    many(Field::InseeCodes, INSEE_CODES),
];
const OPT_OUT: &[Spec] = &[
    one(Field::ExternalRef, EXTERNAL_REF),
    one(Field::LastName, LAST_NAME),
    one(Field::FirstName, FIRST_NAME),
    one(Field::BirthDate, BIRTH_DATE),
    // Several phone columns: the first valid number is kept.
    many(Field::Phone, PHONE),
];

const NEED_REF: &[&str] = &[
    "Réf.",
    "Référence",
    "Réf. besoin",
    "Référence du besoin",
    "N° besoin",
    "Identifiant",
    "Need ref",
    "Reference",
    "Need reference",
];
const ORGANISATION: &[&str] = &[
    "Organisme",
    "Organisme gestionnaire",
    "Organisation",
    "Association",
    "Structure",
    "Gestionnaire",
    "Organization",
];
const ORGANISATION_KIND: &[&str] = &[
    "Type de structure",
    "Type d'organisme",
    "Nature de l'organisme",
    "Organisation kind",
    "Organisation type",
];
const ESTABLISHMENT: &[&str] = &[
    "Établissement",
    "Etablissement",
    "Structure d'accueil",
    "Lieu d'accueil",
    "Site",
    "Establishment",
];
const PUBLIC: &[&str] = &[
    "Public accueilli",
    "Public",
    "Publics accueillis",
    "Population accueillie",
    "Public housed",
    "Audience",
];
const MISSION_KIND: &[&str] = &[
    "Type de mission",
    "Mission",
    "Nature de la mission",
    "Intitulé de la mission",
    "Mission type",
    "Kind of mission",
];
const VOLUNTEERS_WANTED: &[&str] = &[
    "Nombre de volontaires",
    "Volontaires",
    "Nb volontaires",
    "Nombre de bénévoles",
    "Bénévoles",
    "Besoin en volontaires",
    "Volunteers wanted",
    "Volunteers",
];
const WEEKLY_HOURS: &[&str] = &[
    "Volume horaire hebdomadaire",
    "Volume horaire",
    "Heures par semaine",
    "Heures hebdomadaires",
    "Nombre d'heures par semaine",
    "Weekly hours",
    "Hours per week",
];
const SLOTS: &[&str] = &[
    "Plages horaires",
    "Créneaux",
    "Créneaux horaires",
    "Horaires",
    "Time slots",
    "Slots",
];
const QUALIFICATIONS: &[&str] = &[
    "Qualifications",
    "Qualifications requises",
    "Qualification",
    "Compétences",
    "Diplômes",
    "Skills",
];
const STARTS_ON: &[&str] = &[
    "Du",
    "Date de début",
    "Début",
    "À partir du",
    "From",
    "Start date",
];
const ENDS_ON: &[&str] = &["Au", "Date de fin", "Fin", "Jusqu'au", "To", "End date"];
const ORIGIN: &[&str] = &[
    "Origine",
    "Type de volontaire",
    "Statut du volontaire",
    "Catégorie",
    "Origin",
];
const ORIGIN_STRUCTURE: &[&str] = &[
    "Structure d'origine",
    "Service",
    "Service d'origine",
    "Direction",
    "Association d'origine",
    "École",
    "Employeur",
    "Home organisation",
    "Home structure",
];
const AVAILABILITY: &[&str] = &[
    "Disponibilités",
    "Disponibilité",
    "Créneaux",
    "Créneaux disponibles",
    "Plages horaires",
    "Availability",
    "Availabilities",
];
const DAYS_PER_MONTH: &[&str] = &[
    "Jours par mois",
    "Jours/mois",
    "Nombre de jours par mois",
    "Temps accordé",
    "Jours mensuels",
    "Days per month",
    "Monthly allowance",
];
const MANAGER_APPROVAL: &[&str] = &[
    "Accord hiérarchique",
    "Accord du responsable",
    "Accord N+1",
    "Validation hiérarchique",
    "Accord",
    "Manager approval",
    "Approved",
];
const NEEDS: &[Spec] = &[
    one(Field::NeedRef, NEED_REF),
    one(Field::Organisation, ORGANISATION),
    one(Field::OrganisationKind, ORGANISATION_KIND),
    one(Field::Establishment, ESTABLISHMENT),
    many(Field::Address, ADDRESS),
    one(Field::PostalCode, POSTAL_CODE),
    one(Field::Commune, COMMUNE),
    // Several phone columns: the first valid number is kept.
    many(Field::Phone, PHONE),
    one(Field::Email, EMAIL),
    one(Field::Public, PUBLIC),
    one(Field::MissionKind, MISSION_KIND),
    one(Field::VolunteersWanted, VOLUNTEERS_WANTED),
    one(Field::WeeklyHours, WEEKLY_HOURS),
    many(Field::Slots, SLOTS),
    many(Field::Qualifications, QUALIFICATIONS),
    one(Field::StartsOn, STARTS_ON),
    one(Field::EndsOn, ENDS_ON),
];
const VOLUNTEERS: &[Spec] = &[
    one(Field::LastName, LAST_NAME),
    one(Field::FirstName, FIRST_NAME),
    one(Field::Email, EMAIL),
    many(Field::Phone, PHONE),
    one(Field::Origin, ORIGIN),
    one(Field::OriginStructure, ORIGIN_STRUCTURE),
    many(Field::Qualifications, QUALIFICATIONS),
    many(Field::Availability, AVAILABILITY),
    one(Field::PostalCode, POSTAL_CODE),
    one(Field::Commune, COMMUNE),
    one(Field::DaysPerMonth, DAYS_PER_MONTH),
    one(Field::ManagerApproval, MANAGER_APPROVAL),
];

fn specs(kind: ImportKind) -> &'static [Spec] {
    match kind {
        ImportKind::Beneficiaries => BENEFICIARIES,
        ImportKind::Callers => CALLERS,
        ImportKind::Territories => TERRITORIES,
        ImportKind::OptOut => OPT_OUT,
        ImportKind::Needs => NEEDS,
        ImportKind::Volunteers => VOLUNTEERS,
    }
}

fn spec(kind: ImportKind, field: Field) -> Option<&'static Spec> {
    specs(kind).iter().find(|s| s.field == field)
}

/// The fields a kind of list can hold, in documentation order.
pub fn fields(kind: ImportKind) -> Vec<Field> {
    specs(kind).iter().map(|s| s.field).collect()
}

/// The headers recognised for `field` in a list of `kind` (empty when the kind has no
/// such field).
pub fn aliases(kind: ImportKind, field: Field) -> &'static [&'static str] {
    spec(kind, field).map_or(&[], |s| s.aliases)
}

/// Whether several columns of the file may hold `field` (phones, address lines…).
pub fn is_multi(kind: ImportKind, field: Field) -> bool {
    spec(kind, field).is_some_and(|s| s.multi)
}

/// Columns a kind needs: each entry is satisfied when every field of one of its
/// alternatives has a column.
fn requirements(kind: ImportKind) -> &'static [&'static [&'static [Field]]] {
    use Field::*;
    match kind {
        ImportKind::Beneficiaries => &[&[&[LastName]], &[&[FirstName]], &[&[Phone]]],
        ImportKind::Callers => &[
            &[&[LastName]],
            &[&[FirstName]],
            &[&[Email]],
            &[&[WeeklyCapacity], &[HalfDays]],
        ],
        ImportKind::Territories => &[
            &[&[Code]],
            &[&[Name]],
            &[&[ReferentEmails]],
            &[&[PostalCodes], &[InseeCodes]],
        ],
        ImportKind::OptOut => &[&[&[ExternalRef], &[Phone], &[LastName, FirstName, BirthDate]]],
        ImportKind::Needs => &[
            &[&[NeedRef]],
            &[&[Organisation]],
            &[&[MissionKind]],
            &[&[VolunteersWanted]],
            &[&[WeeklyHours]],
            &[&[Slots]],
        ],
        ImportKind::Volunteers => &[
            &[&[LastName]],
            &[&[FirstName]],
            &[&[Email]],
            &[&[Origin]],
            &[&[Availability]],
        ],
    }
}

/// Words dropped from keys: articles, "numéro", "nombre"…
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "d", "de", "des", "du", "en", "l", "la", "le", "les", "n", "nb", "nbre",
    "no", "nombre", "num", "numero", "of", "the",
];

/// Lower-case words of a header or alias: accents and punctuation removed, numbers and
/// small words dropped, plural `s` removed.
fn words(text: &str) -> Vec<String> {
    names::fold(text)
        .split(' ')
        .filter(|w| !w.bytes().all(|b| b.is_ascii_digit()))
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|w| !STOP_WORDS.contains(w))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 => stem.to_owned(),
            _ => w.to_owned(),
        })
        .collect()
}

/// The key headers and aliases are compared by.
fn key(text: &str) -> String {
    // "Absent du" / "Absent au" differ only by a small word: such headers keep them all.
    let folded = names::fold(text);
    if folded.starts_with("absen") {
        return folded.replace(' ', "");
    }
    let key = words(text).concat();
    if key.is_empty() {
        names::fold(text).replace(' ', "")
    } else {
        key
    }
}

/// A header of known words only: `needs` each have a word in the header, and every other
/// word is in `needs` or `allowed`.
struct WordRule {
    field: Field,
    needs: &'static [&'static [&'static str]],
    allowed: &'static [&'static str],
}

const PHONE_WORDS: &[&str] = &[
    "tel",
    "telephone",
    "portable",
    "mobile",
    "gsm",
    "phone",
    "fixe",
    "cellulaire",
    "landline",
    "cell",
];
const RELATIVE_WORDS: &[&str] = &[
    "contact",
    "proche",
    "aidant",
    "aidante",
    "prevenir",
    "urgence",
    "emergency",
    "relative",
    "famille",
    "familial",
    "family",
    "tuteur",
    "tutrice",
    "curateur",
    "curatrice",
    "voisin",
    "voisine",
    "fil",
    "fille",
    "enfant",
    "conjoint",
    "conjointe",
    "epoux",
    "epouse",
    "parent",
    "entourage",
    "kin",
];
/// Words that do not change whose phone it is.
const PHONE_NEUTRAL: &[&str] = &[
    "domicile",
    "maison",
    "perso",
    "personnel",
    "personnelle",
    "principal",
    "principale",
    "secondaire",
    "autre",
    "beneficiaire",
    "usager",
    "allocataire",
    "personne",
    "ligne",
    "home",
    "main",
    "other",
    "second",
    "line",
    "private",
    "prive",
    "privee",
    "number",
    "appel",
];
const ADDRESS_WORDS: &[&str] = &["adresse", "address", "adr", "rue", "voie", "street"];
const ADDRESS_NEUTRAL: &[&str] = &[
    "complement",
    "ligne",
    "batiment",
    "residence",
    "lieu",
    "dit",
    "postale",
    "domicile",
    "habitation",
    "line",
    "complete",
    "logement",
    "appartement",
    "appt",
    "escalier",
    "etage",
    "libelle",
    "type",
    "nom",
    "bi",
    "ter",
    "indice",
    "repetition",
];
const EMAIL_WORDS: &[&str] = &["email", "mail", "courriel", "mel"];
const EMAIL_NEUTRAL: &[&str] = &[
    "e",
    "adresse",
    "electronique",
    "perso",
    "personnel",
    "personnelle",
    "pro",
    "professionnel",
    "professionnelle",
    "principal",
    "principale",
    "contact",
    "address",
];
const REFERENT_EMAIL_NEUTRAL: &[&str] = &[
    "e",
    "adresse",
    "electronique",
    "referent",
    "referente",
    "responsable",
    "contact",
    "territoire",
    "equipe",
    "service",
    "destinataire",
    "alerte",
    "notification",
    "address",
    "pour",
];

const BENEFICIARY_RULES: &[WordRule] = &[
    WordRule {
        field: Field::RelativePhone,
        needs: &[PHONE_WORDS, RELATIVE_WORDS],
        allowed: PHONE_NEUTRAL,
    },
    WordRule {
        field: Field::Phone,
        needs: &[PHONE_WORDS],
        allowed: PHONE_NEUTRAL,
    },
    WordRule {
        field: Field::Address,
        needs: &[ADDRESS_WORDS],
        allowed: ADDRESS_NEUTRAL,
    },
];
const CALLER_RULES: &[WordRule] = &[
    WordRule {
        field: Field::Email,
        needs: &[EMAIL_WORDS],
        allowed: EMAIL_NEUTRAL,
    },
    WordRule {
        field: Field::Phone,
        needs: &[PHONE_WORDS],
        allowed: PHONE_NEUTRAL,
    },
];
const TERRITORY_RULES: &[WordRule] = &[WordRule {
    field: Field::ReferentEmails,
    needs: &[EMAIL_WORDS],
    allowed: REFERENT_EMAIL_NEUTRAL,
}];
const OPT_OUT_RULES: &[WordRule] = &[WordRule {
    field: Field::Phone,
    needs: &[PHONE_WORDS],
    allowed: PHONE_NEUTRAL,
}];

fn word_rules(kind: ImportKind) -> &'static [WordRule] {
    match kind {
        ImportKind::Beneficiaries => BENEFICIARY_RULES,
        ImportKind::Callers => CALLER_RULES,
        ImportKind::Territories => TERRITORY_RULES,
        ImportKind::OptOut => OPT_OUT_RULES,
        ImportKind::Needs | ImportKind::Volunteers => CALLER_RULES,
    }
}

impl WordRule {
    fn matches(&self, words: &[String]) -> bool {
        !words.is_empty()
            && self
                .needs
                .iter()
                .all(|group| words.iter().any(|w| group.contains(&w.as_str())))
            && words.iter().all(|w| {
                self.allowed.contains(&w.as_str())
                    || self.needs.iter().any(|g| g.contains(&w.as_str()))
            })
    }
}

/// The field a header means in a list of `kind`, by alias then by word rule.
pub fn recognise(kind: ImportKind, header: &str) -> Option<Field> {
    let wanted = key(header);
    if wanted.is_empty() {
        return None;
    }
    specs(kind)
        .iter()
        .find(|s| s.aliases.iter().any(|a| key(a) == wanted))
        .map(|s| s.field)
        .or_else(|| {
            let words = words(header);
            word_rules(kind)
                .iter()
                .find(|r| r.matches(&words))
                .map(|r| r.field)
        })
}

/// Maps each header to its field (None: unknown column, or ignored by `--map`).
///
/// Overrides come first: their header (compared folded) must be in the file and their
/// field must belong to the kind. Then aliases and word rules. Fails when a single-valued
/// field has two columns, or a required column is missing.
pub fn map_headers(
    kind: ImportKind,
    headers: &[String],
    overrides: &[(String, Field)],
) -> Result<Vec<Option<Field>>, ImportError> {
    let overridden = apply_overrides(kind, headers, overrides)?;
    let mapping: Vec<Option<Field>> = headers
        .iter()
        .zip(&overridden)
        .map(|(header, forced)| match forced {
            Some(Field::Ignore) => None,
            Some(field) => Some(*field),
            None => recognise(kind, header),
        })
        .collect();
    // A field forced by --map displaces the columns its aliases would have given it.
    let forced: Vec<Field> = overridden.iter().flatten().copied().collect();
    let mapping: Vec<Option<Field>> = mapping
        .into_iter()
        .zip(&overridden)
        .map(|(field, by_override)| match (field, by_override) {
            (Some(f), None) if forced.contains(&f) && !is_multi(kind, f) => None,
            (field, _) => field,
        })
        .collect();
    check_ambiguity(kind, headers, &mapping)?;
    check_required(kind, headers, &mapping)?;
    Ok(mapping)
}

/// The field each header is forced to by `--map`.
fn apply_overrides(
    kind: ImportKind,
    headers: &[String],
    overrides: &[(String, Field)],
) -> Result<Vec<Option<Field>>, ImportError> {
    let mut forced: Vec<Option<Field>> = vec![None; headers.len()];
    for (header, field) in overrides {
        let written = format!("{header}={field}");
        if *field != Field::Ignore && spec(kind, *field).is_none() {
            return Err(ImportError::BadOverride(
                written,
                format!(
                    "le champ « {field} » n'existe pas pour {} (champs possibles : {}, ignore)",
                    kind.noun_fr(),
                    field_list(&fields(kind))
                ),
            ));
        }
        let wanted = names::fold(header);
        let mut found = false;
        for (slot, h) in forced.iter_mut().zip(headers) {
            if names::fold(h) != wanted {
                continue;
            }
            found = true;
            match slot {
                Some(other) if other != field => {
                    return Err(ImportError::BadOverride(
                        written,
                        format!("la colonne « {h} » est déjà associée au champ « {other} » par une autre option --map"),
                    ));
                }
                _ => *slot = Some(*field),
            }
        }
        if !found {
            return Err(ImportError::BadOverride(
                written,
                format!(
                    "le fichier n'a pas de colonne « {} » (colonnes du fichier : {})",
                    header.trim(),
                    quoted_list(headers)
                ),
            ));
        }
    }
    Ok(forced)
}

fn quoted_list(headers: &[String]) -> String {
    headers
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| format!("« {h} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_ambiguity(
    kind: ImportKind,
    headers: &[String],
    mapping: &[Option<Field>],
) -> Result<(), ImportError> {
    let mut first: HashMap<Field, usize> = HashMap::new();
    for (i, field) in mapping.iter().enumerate() {
        let Some(field) = *field else { continue };
        match first.get(&field) {
            Some(&j) if !is_multi(kind, field) => {
                return Err(ImportError::AmbiguousColumns {
                    field: field.label_fr().to_owned(),
                    first: headers[j].clone(),
                    second: headers[i].clone(),
                });
            }
            Some(_) => {}
            None => {
                first.insert(field, i);
            }
        }
    }
    Ok(())
}

fn check_required(
    kind: ImportKind,
    headers: &[String],
    mapping: &[Option<Field>],
) -> Result<(), ImportError> {
    let present = |f: &Field| mapping.contains(&Some(*f));
    for alternatives in requirements(kind) {
        if alternatives.iter().any(|group| group.iter().all(present)) {
            continue;
        }
        let column = alternatives
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|f| f.label_fr())
                    .collect::<Vec<_>>()
                    .join(" + ")
            })
            .collect::<Vec<_>>()
            .join(", ou ");
        let missing: Vec<Field> = alternatives
            .iter()
            .flat_map(|group| group.iter())
            .filter(|f| !present(f))
            .copied()
            .collect();
        let aliases = missing
            .iter()
            .flat_map(|f| aliases(kind, *f).iter().map(|a| (*a).to_owned()))
            .collect();
        return Err(ImportError::MissingColumn {
            column,
            aliases,
            fields: missing.iter().map(|f| f.as_str().to_owned()).collect(),
            found: headers.iter().filter(|h| !h.is_empty()).cloned().collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ImportKind::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn map(kind: ImportKind, list: &[&str]) -> Vec<Option<Field>> {
        match map_headers(kind, &headers(list), &[]) {
            Ok(m) => m,
            Err(e) => panic!("{list:?}: {e}"),
        }
    }

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(f.as_str().parse::<Field>(), Ok(f));
            assert_eq!(f.as_str().to_uppercase().parse::<Field>(), Ok(f));
            assert_eq!(f.label_fr().parse::<Field>(), Ok(f), "{}", f.label_fr());
            assert_eq!(f.to_string(), f.as_str());
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.as_str())
            );
        }
        assert_eq!("Birth-Date".parse::<Field>(), Ok(Field::BirthDate));
        assert_eq!(" téléphone ".parse::<Field>(), Ok(Field::Phone));
        assert_eq!("ignorer".parse::<Field>(), Ok(Field::Ignore));
        let err = "telephone_portable".parse::<Field>().unwrap_err();
        assert!(err.to_string().contains("external_ref"), "{err}");
    }

    #[test]
    fn alias_keys_are_unique_per_kind_and_recognised() {
        for kind in [
            Beneficiaries,
            Callers,
            Territories,
            OptOut,
            Needs,
            Volunteers,
        ] {
            let mut seen: HashMap<String, Field> = HashMap::new();
            for spec in specs(kind) {
                for alias in spec.aliases {
                    let k = key(alias);
                    assert!(!k.is_empty(), "{alias}");
                    if let Some(other) = seen.insert(k.clone(), spec.field) {
                        assert_eq!(other, spec.field, "{kind:?}: alias {alias:?} ({k})");
                    }
                    assert_eq!(recognise(kind, alias), Some(spec.field), "{kind:?} {alias}");
                }
            }
        }
    }

    #[test]
    fn docs_list_every_accepted_header() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/IMPORT.md");
        let docs = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        for kind in [
            Beneficiaries,
            Callers,
            Territories,
            OptOut,
            Needs,
            Volunteers,
        ] {
            for spec in specs(kind) {
                assert!(
                    docs.contains(&format!("(`{}`)", spec.field.as_str())),
                    "docs/IMPORT.md lacks the field {}",
                    spec.field
                );
                for alias in spec.aliases {
                    assert!(
                        docs.contains(alias),
                        "docs/IMPORT.md lacks the header {alias:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn beneficiary_headers() {
        use Field::*;
        let cases: &[(&str, Option<Field>)] = &[
            ("N° dossier", Some(ExternalRef)),
            ("NUMERO DE DOSSIER", Some(ExternalRef)),
            ("n°dossier", Some(ExternalRef)),
            ("N° allocataire", Some(ExternalRef)),
            ("Matricule", Some(ExternalRef)),
            ("NOM DE NAISSANCE", Some(LastName)),
            ("Nom d’usage", Some(LastName)),
            ("nom", Some(LastName)),
            ("PRENOM", Some(FirstName)),
            ("Prénoms", Some(FirstName)),
            ("Tél.", Some(Phone)),
            ("Tél. fixe", Some(Phone)),
            ("Téléphone 2", Some(Phone)),
            ("Tel (1)", Some(Phone)),
            ("Portable 3", Some(Phone)),
            ("Portable3", Some(Phone)),
            ("TELEPHONE_PORTABLE", Some(Phone)),
            ("N° de téléphone", Some(Phone)),
            ("Tél. domicile perso", Some(Phone)),
            ("Téléphone principal", Some(Phone)),
            ("Tél. contact", Some(RelativePhone)),
            ("Téléphone du proche", Some(RelativePhone)),
            ("Téléphone personne à prévenir", Some(RelativePhone)),
            ("Tél. aidant", Some(RelativePhone)),
            ("Portable de la fille", Some(RelativePhone)),
            ("Emergency phone", Some(RelativePhone)),
            ("Tél. assistante sociale", None),
            ("Téléphone référent", None),
            ("Fax", None),
            ("Tél/Fax", None),
            ("Adresse", Some(Address)),
            ("Adresse 1", Some(Address)),
            ("Adresse 2", Some(Address)),
            ("Complément d'adresse", Some(Address)),
            ("Adresse ligne 3", Some(Address)),
            ("Nom de voie", Some(Address)),
            ("Adresse mail", None),
            ("CP", Some(PostalCode)),
            ("C.P.", Some(PostalCode)),
            ("Code Postal", Some(PostalCode)),
            ("Ville", Some(Commune)),
            ("Code INSEE", Some(InseeCode)),
            ("Code commune", Some(InseeCode)),
            ("DDN", Some(BirthDate)),
            ("Né(e) le", Some(BirthDate)),
            ("Née le", Some(BirthDate)),
            ("Date de naissance", Some(BirthDate)),
            ("Prestation", Some(Programme)),
            ("Dispositif", Some(Programme)),
            ("TAS", Some(Territory)),
            ("Territoire d'action sociale", Some(Territory)),
            ("Langue parlée", Some(PreferredLanguage)),
            ("Personne à prévenir", Some(RelativeName)),
            ("Contact d'urgence", Some(RelativeName)),
            ("Statut", Some(Status)),
            ("Observations", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(recognise(Beneficiaries, header), *want, "{header:?}");
        }
    }

    #[test]
    fn other_kinds_headers() {
        use Field::*;
        let cases: &[(ImportKind, &str, Option<Field>)] = &[
            (Callers, "Courriel", Some(Email)),
            (Callers, "Adresse électronique", Some(Email)),
            (Callers, "E-mail perso", Some(Email)),
            (Callers, "Nb appels", Some(WeeklyCapacity)),
            (Callers, "Nombre d'appels", Some(WeeklyCapacity)),
            (Callers, "Appels par semaine", Some(WeeklyCapacity)),
            (Callers, "Demi-journées", Some(HalfDays)),
            (Callers, "Nb demi-journées", Some(HalfDays)),
            (Callers, "Territoire", Some(TerritoryPreference)),
            (Callers, "Langue", Some(Languages)),
            (Callers, "Disponibilités", Some(AvailableWeekdays)),
            (Callers, "Portable", Some(Phone)),
            (Territories, "Code", Some(Code)),
            (Territories, "Identifiant", Some(Code)),
            (Territories, "Libellé", Some(Name)),
            (Territories, "Nom", Some(Name)),
            (Territories, "Territoire", Some(Name)),
            (Territories, "Courriel", Some(ReferentEmails)),
            (Territories, "Email référent 2", Some(ReferentEmails)),
            (Territories, "CP", Some(PostalCodes)),
            (Territories, "Communes", Some(InseeCodes)),
            (Territories, "Code commune", Some(InseeCodes)),
            (OptOut, "N° dossier", Some(ExternalRef)),
            (OptOut, "Portable", Some(Phone)),
            (OptOut, "DDN", Some(BirthDate)),
            (OptOut, "Territoire", None),
        ];
        for (kind, header, want) in cases {
            assert_eq!(recognise(*kind, header), *want, "{kind:?} {header:?}");
        }
    }

    #[test]
    fn multi_columns_and_unknown_columns() {
        use Field::*;
        assert_eq!(
            map(
                Beneficiaries,
                &[
                    "Nom",
                    "Prénom",
                    "Tél. fixe",
                    "Portable",
                    "Adresse 1",
                    "Adresse 2",
                    "Remarque",
                    ""
                ]
            ),
            [
                Some(LastName),
                Some(FirstName),
                Some(Phone),
                Some(Phone),
                Some(Address),
                Some(Address),
                None,
                None
            ]
        );
    }

    #[test]
    fn missing_columns_name_their_aliases() {
        let err = map_headers(Beneficiaries, &headers(&["Nom", "Téléphone"]), &[]).unwrap_err();
        let ImportError::MissingColumn {
            column,
            aliases,
            fields,
            found,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(column, "Prénom");
        assert!(aliases.contains(&"First name".to_owned()));
        assert_eq!(fields, &["first_name"]);
        assert_eq!(found, &["Nom", "Téléphone"]);
        let msg = err.message_fr();
        assert!(msg.contains("« Prénom »"), "{msg}");
        assert!(msg.contains("Given name"), "{msg}");
        assert!(msg.contains("--map"), "{msg}");

        let err = map_headers(Beneficiaries, &headers(&["Nom", "Prénom"]), &[]).unwrap_err();
        assert!(matches!(&err, ImportError::MissingColumn { column, .. } if column == "Téléphone"));

        let err = map_headers(Callers, &headers(&["Nom", "Prénom", "Email"]), &[]).unwrap_err();
        let ImportError::MissingColumn {
            column, aliases, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(column, "Capacité hebdomadaire, ou Demi-journées");
        assert!(aliases.contains(&"Capacité".to_owned()));
        assert!(aliases.contains(&"Demi-journées".to_owned()));

        let err = map_headers(Territories, &headers(&["Code", "Nom", "Email"]), &[]).unwrap_err();
        assert!(
            matches!(&err, ImportError::MissingColumn { column, .. } if column == "Codes postaux, ou Codes INSEE")
        );

        let err = map_headers(OptOut, &headers(&["Nom", "Prénom"]), &[]).unwrap_err();
        let ImportError::MissingColumn { column, fields, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            column,
            "N° de dossier, ou Téléphone, ou Nom + Prénom + Date de naissance"
        );
        assert_eq!(fields, &["external_ref", "phone", "birth_date"]);
        map(OptOut, &["Nom", "Prénom", "DDN"]);
        map(OptOut, &["Portable"]);
        map(OptOut, &["N° dossier"]);
    }

    #[test]
    fn ambiguous_columns() {
        let err = map_headers(
            Beneficiaries,
            &headers(&["Nom", "Nom de naissance", "Prénom", "Tél"]),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err,
            ImportError::AmbiguousColumns {
                field: "Nom".to_owned(),
                first: "Nom".to_owned(),
                second: "Nom de naissance".to_owned()
            }
        );
        assert!(err.message_fr().contains("ignore"), "{}", err.message_fr());
        // Resolved by ignoring one of them.
        let m = map_headers(
            Beneficiaries,
            &headers(&["Nom", "Nom de naissance", "Prénom", "Tél"]),
            &[("nom de naissance".to_owned(), Field::Ignore)],
        )
        .unwrap();
        assert_eq!(m[1], None);
    }

    #[test]
    fn overrides() {
        use Field::*;
        let h = headers(&["Nom", "Prénom", "Tél perso", "Numéro CAF", "Téléphone"]);
        let m = map_headers(
            Beneficiaries,
            &h,
            &[
                ("numéro caf".to_owned(), ExternalRef),
                ("TÉLÉPHONE".to_owned(), RelativePhone),
            ],
        )
        .unwrap();
        assert_eq!(
            m,
            [
                Some(LastName),
                Some(FirstName),
                Some(Phone),
                Some(ExternalRef),
                Some(RelativePhone)
            ]
        );
        // A forced single field displaces the column its alias gave it.
        let h = headers(&["Nom", "Prénom", "Email", "Email pro", "Capacité"]);
        let m = map_headers(Callers, &h, &[("Email pro".to_owned(), Email)]).unwrap();
        assert_eq!(m[2], None);
        assert_eq!(m[3], Some(Email));

        let err = map_headers(Beneficiaries, &h, &[("Inconnue".to_owned(), Phone)]).unwrap_err();
        let ImportError::BadOverride(spec, reason) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(spec, "Inconnue=phone");
        assert!(reason.contains("pas de colonne « Inconnue »"), "{reason}");
        assert!(reason.contains("« Email pro »"), "{reason}");

        let err = map_headers(Territories, &h, &[("Email".to_owned(), Phone)]).unwrap_err();
        let ImportError::BadOverride(_, reason) = &err else {
            panic!("{err:?}")
        };
        assert!(reason.contains("une liste de territoires"), "{reason}");
        assert!(reason.contains("referent_emails"), "{reason}");
        assert!(err.message_fr().contains("--map"));

        let err = map_headers(
            Callers,
            &h,
            &[("Email".to_owned(), Email), ("email".to_owned(), Phone)],
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::BadOverride(..)));
    }
}
