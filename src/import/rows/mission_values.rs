//! Cell parsers and reasons of the volunteer missions' lists (needs and volunteers):
//! weekly hours, monthly days, origins, kinds of organisation, yes/no of an approval,
//! and the problems they report. Slots and qualifications are `crate::missions`'s.

use super::{Problem, Reason};
use crate::domain::{fold, trim_cell, OrganisationKind, VolunteerOrigin};
use crate::missions::slots::SlotError;

/// Most hours a need may ask of one volunteer in a week.
pub(crate) const MAX_WEEKLY_MINUTES: u32 = 60 * 60;
/// Most volunteers one need may ask for.
pub(crate) const MAX_VOLUNTEERS: u32 = 1000;

/// The problems of the missions' lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MissionProblem {
    /// A problem the other lists have too (number, date, text…).
    Value(Problem),
    Slots(SlotError),
    HoursInvalid,
    HoursOutOfRange,
    NoVolunteerWanted,
    DatesReversed,
    DaysInvalid,
    DaysOutOfRange,
    AgentWithoutDays,
    DaysIgnored,
    ApprovalUnknown,
    ApprovalIgnored,
    AgentNotApproved,
    OriginUnknown,
    OrganisationKindUnknown,
    QualificationUnknown(String),
    NoAvailability,
}

impl From<Problem> for MissionProblem {
    fn from(p: Problem) -> Self {
        Self::Value(p)
    }
}

impl From<SlotError> for MissionProblem {
    fn from(e: SlotError) -> Self {
        Self::Slots(e)
    }
}

impl Reason for MissionProblem {
    fn code(&self) -> &'static str {
        match self {
            Self::Value(p) => p.code(),
            Self::Slots(e) => e.code(),
            Self::HoursInvalid => "hours_invalid",
            Self::HoursOutOfRange => "hours_out_of_range",
            Self::NoVolunteerWanted => "no_volunteer_wanted",
            Self::DatesReversed => "dates_reversed",
            Self::DaysInvalid => "days_invalid",
            Self::DaysOutOfRange => "days_out_of_range",
            Self::AgentWithoutDays => "agent_without_days",
            Self::DaysIgnored => "days_ignored",
            Self::ApprovalUnknown => "approval_unknown",
            Self::ApprovalIgnored => "approval_ignored",
            Self::AgentNotApproved => "agent_not_approved",
            Self::OriginUnknown => "origin_unknown",
            Self::OrganisationKindUnknown => "organisation_kind_unknown",
            Self::QualificationUnknown(_) => "qualification_unknown",
            Self::NoAvailability => "no_availability",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Self::Value(p) => p.message_fr(),
            Self::Slots(e) => e.message_fr(),
            Self::HoursInvalid => "Volume horaire illisible : écrivez un nombre d'heures par semaine, par exemple 12, 12h, 7h30 ou 7,5.".to_owned(),
            Self::HoursOutOfRange => format!("Le volume horaire doit être d'au moins un quart d'heure et d'au plus {} heures par semaine : corrigez la valeur.", MAX_WEEKLY_MINUTES / 60),
            Self::NoVolunteerWanted => "Un besoin de 0 volontaire n'est pas un besoin : indiquez au moins 1 volontaire, ou retirez la ligne du fichier si le besoin est couvert.".to_owned(),
            Self::DatesReversed => "Le besoin finit avant de commencer : la date « Au » doit être égale ou postérieure à la date « Du ».".to_owned(),
            Self::DaysInvalid => "Temps accordé illisible : écrivez un nombre de jours par mois entre 0,5 et 2 (par exemple 0,5, 1 ou 1,5).".to_owned(),
            Self::DaysOutOfRange => "Le temps accordé va d'une demi-journée (0,5) à deux jours (2) par mois : corrigez la valeur avec le service de l'agent.".to_owned(),
            Self::AgentWithoutDays => "Un agent départemental doit avoir son temps accordé (« Jours par mois », de 0,5 à 2) : sans lui, ses heures ne peuvent pas être comptées. Indiquez-le, ou corrigez l'origine s'il ne s'agit pas d'un agent.".to_owned(),
            Self::DaysIgnored => "Seuls les agents départementaux ont un temps accordé : « Jours par mois » est ignoré pour un professionnel d'association ou un étudiant.".to_owned(),
            Self::ApprovalUnknown => "Accord hiérarchique non reconnu : écrivez oui ou non (ou laissez la cellule vide).".to_owned(),
            Self::ApprovalIgnored => "Seuls les agents départementaux ont besoin d'un accord hiérarchique : la valeur est ignorée.".to_owned(),
            Self::AgentNotApproved => "Sans accord hiérarchique enregistré, cet agent ne sera proposé sur aucune mission : indiquez « oui » quand son responsable a donné son accord.".to_owned(),
            Self::OriginUnknown => "Origine non reconnue : écrivez agent départemental, association ou école de travail social.".to_owned(),
            Self::OrganisationKindUnknown => "Type de structure non reconnu : écrivez association, établissement, relais, école ou autre (ou laissez la cellule vide).".to_owned(),
            Self::QualificationUnknown(item) => format!("Qualification « {item} » inconnue : elle est gardée telle quelle (texte libre) et seuls les volontaires qui ont la même mention correspondront. Vérifiez l'orthographe si c'est une qualification courante (par ex. « éducateur spécialisé », « auxiliaire de puériculture »)."),
            Self::NoAvailability => "Aucune disponibilité : ce volontaire ne sera proposé sur aucune mission tant que ses disponibilités ne sont pas indiquées (par exemple « lundi 9h-12h »).".to_owned(),
        }
    }
}

/// A number written with a comma or a point: `7,5`, `0.5`, `12`.
fn decimal(s: &str) -> Option<f64> {
    let s = s.trim().replace(',', ".");
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Weekly hours in minutes: `12`, `12h`, `12 h`, `12 heures`, `7h30`, `7 h 30`, `7:30`,
/// `7,5`, `7.5 h`.
pub(crate) fn weekly_minutes(raw: &str) -> Result<u32, MissionProblem> {
    let folded = fold(trim_cell(raw));
    let text = folded
        .trim_end_matches("par semaine")
        .trim_end_matches("/semaine")
        .trim_end_matches("hebdo")
        .trim();
    let text = ["heures", "heure", "hrs", "hr"]
        .iter()
        .fold(text.to_owned(), |t, word| t.replace(word, "h"));
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (hours, minutes) = match compact.split_once(['h', ':']) {
        Some((h, "")) => (h.to_owned(), String::new()),
        Some((h, m)) => (h.to_owned(), m.trim_end_matches("min").to_owned()),
        None => (compact.clone(), String::new()),
    };
    let hours = decimal(&hours).ok_or(MissionProblem::HoursInvalid)?;
    let minutes = if minutes.is_empty() {
        0.0
    } else if minutes.chars().all(|c| c.is_ascii_digit()) && minutes.len() <= 2 {
        let m: f64 = minutes.parse().map_err(|_| MissionProblem::HoursInvalid)?;
        if m >= 60.0 || hours.fract() != 0.0 {
            return Err(MissionProblem::HoursInvalid);
        }
        m
    } else {
        return Err(MissionProblem::HoursInvalid);
    };
    let total = (hours * 60.0 + minutes).round();
    if !(15.0..=f64::from(MAX_WEEKLY_MINUTES)).contains(&total) {
        return Err(MissionProblem::HoursOutOfRange);
    }
    Ok(total as u32)
}

/// The number of volunteers a need asks for: 1 to [`MAX_VOLUNTEERS`].
pub(crate) fn volunteers_wanted(raw: &str) -> Result<u32, MissionProblem> {
    match super::values::count(raw, MAX_VOLUNTEERS)? {
        0 => Err(MissionProblem::NoVolunteerWanted),
        n => Ok(n),
    }
}

/// An agent's monthly allowance in hundredths of a day: `0,5`, `1`, `1.5 j`, `2 jours`,
/// `½`, `demi-journée`; from 0.5 to 2 days.
pub(crate) fn days_per_month(raw: &str) -> Result<u16, MissionProblem> {
    let folded = fold(trim_cell(raw));
    let value = match folded.as_str() {
        "demi-journee" | "demi journee" | "une demi-journee" | "1/2" | "\u{bd}" => Some(0.5),
        _ => decimal(
            folded
                .trim_end_matches("par mois")
                .trim_end_matches("/mois")
                .trim()
                .trim_end_matches("jours")
                .trim_end_matches("jour")
                .trim_end_matches('j')
                .trim(),
        ),
    };
    let days = value.ok_or(MissionProblem::DaysInvalid)?;
    let centi = (days * 100.0).round();
    if !(50.0..=200.0).contains(&centi) {
        return Err(MissionProblem::DaysOutOfRange);
    }
    Ok(centi as u16)
}

/// `oui` / `non` (and the other spellings of a yes/no cell).
pub(crate) fn approval(raw: &str) -> Result<bool, MissionProblem> {
    super::values::yes_no(raw).map_err(|_| MissionProblem::ApprovalUnknown)
}

/// Where a volunteer comes from, in the words people use.
pub(crate) fn origin(raw: &str) -> Result<VolunteerOrigin, MissionProblem> {
    let folded = fold(trim_cell(raw));
    let has = |words: &[&str]| words.iter().any(|w| folded.contains(w));
    if has(&[
        "ecole",
        "etudiant",
        "eleve",
        "stagiaire",
        "school",
        "student",
        "irts",
        "formation",
    ]) {
        Ok(VolunteerOrigin::School)
    } else if has(&[
        "agent",
        "departement",
        "conseil",
        "cd ",
        "collectivite",
        "fonction",
    ]) || folded == "cd"
    {
        Ok(VolunteerOrigin::Agent)
    } else if has(&[
        "asso",
        "reserve",
        "benevole",
        "professionnel",
        "professional",
    ]) {
        Ok(VolunteerOrigin::Association)
    } else {
        Err(MissionProblem::OriginUnknown)
    }
}

/// The kind of an organisation, in the words people use.
pub(crate) fn organisation_kind(raw: &str) -> Result<OrganisationKind, MissionProblem> {
    let folded = fold(trim_cell(raw));
    let has = |words: &[&str]| words.iter().any(|w| folded.contains(w));
    if let Ok(kind) = OrganisationKind::parse(&folded) {
        return Ok(kind);
    }
    if has(&["relais", "reserve"]) {
        Ok(OrganisationKind::Relay)
    } else if has(&["ecole", "school", "institut"]) {
        Ok(OrganisationKind::School)
    } else if has(&[
        "etablissement",
        "foyer",
        "mecs",
        "pouponniere",
        "centre",
        "maison",
    ]) {
        Ok(OrganisationKind::Establishment)
    } else if has(&["asso"]) {
        Ok(OrganisationKind::Association)
    } else if has(&["autre", "other"]) {
        Ok(OrganisationKind::Other)
    } else {
        Err(MissionProblem::OrganisationKindUnknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_hours_in_the_spellings_people_type() {
        for (raw, minutes) in [
            ("12", 720),
            ("12h", 720),
            ("12 h", 720),
            ("12 heures", 720),
            ("7h30", 450),
            ("7 h 30", 450),
            ("7:30", 450),
            ("7,5", 450),
            ("7.5 h", 450),
            ("0,25", 15),
            ("35h par semaine", 2100),
        ] {
            assert_eq!(weekly_minutes(raw), Ok(minutes), "{raw}");
        }
        for raw in ["douze", "7h75", "7,5h30", "-3", "", "12-14"] {
            assert_eq!(
                weekly_minutes(raw),
                Err(MissionProblem::HoursInvalid),
                "{raw}"
            );
        }
        for raw in ["0", "0h", "61h", "100"] {
            assert_eq!(
                weekly_minutes(raw),
                Err(MissionProblem::HoursOutOfRange),
                "{raw}"
            );
        }
    }

    #[test]
    fn days_per_month_from_half_a_day_to_two() {
        for (raw, centi) in [
            ("0,5", 50),
            ("0.5", 50),
            ("1", 100),
            ("1,5 j", 150),
            ("2 jours", 200),
            ("½", 50),
            ("demi-journée", 50),
            ("1 jour par mois", 100),
        ] {
            assert_eq!(days_per_month(raw), Ok(centi), "{raw}");
        }
        for raw in ["0", "0,25", "2,5", "3"] {
            assert_eq!(
                days_per_month(raw),
                Err(MissionProblem::DaysOutOfRange),
                "{raw}"
            );
        }
        for raw in ["beaucoup", "1-2"] {
            assert_eq!(
                days_per_month(raw),
                Err(MissionProblem::DaysInvalid),
                "{raw}"
            );
        }
    }

    #[test]
    fn origins_and_kinds_in_plain_words() {
        use VolunteerOrigin::*;
        for (raw, o) in [
            ("agent départemental", Agent),
            ("Agent", Agent),
            ("association", Association),
            ("Réserve associative", Association),
            ("école de travail social", School),
            ("Étudiante", School),
            ("school", School),
        ] {
            assert_eq!(origin(raw), Ok(o), "{raw}");
        }
        assert_eq!(origin("mairie"), Err(MissionProblem::OriginUnknown));
        assert_eq!(
            organisation_kind("Établissement ASE"),
            Ok(OrganisationKind::Establishment)
        );
        assert_eq!(organisation_kind("asso"), Ok(OrganisationKind::Association));
        assert_eq!(
            organisation_kind("???"),
            Err(MissionProblem::OrganisationKindUnknown)
        );
    }

    #[test]
    fn no_volunteer_is_not_a_need() {
        assert_eq!(
            volunteers_wanted("0"),
            Err(MissionProblem::NoVolunteerWanted)
        );
        assert_eq!(volunteers_wanted("3 volontaires"), Ok(3));
    }
}
