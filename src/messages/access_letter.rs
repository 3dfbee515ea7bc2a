//! The readable page that answers a right-of-access request: everything lien holds on
//! one person (`records::person::PersonExport`), in French or English, to print or
//! attach to a letter (`lien people export REF --html FILE [--lang en]`).

use askama::Template;

use super::language::Language;
use crate::domain::{
    BeneficiaryStatus, Coded, EscalationKind, EscalationStatus, NeedCategory, Outcome, Urgency,
};
use crate::records::escalations::shown_description;
use crate::records::person::PersonExport;

#[derive(Template)]
#[template(path = "person_export.html")]
struct AccessLetter<'a> {
    p: &'a PersonExport,
    t: &'static LetterTexts,
}

/// Every fixed text of the page, in one language.
struct LetterTexts {
    action: &'static str,
    address: &'static str,
    attempts: &'static str,
    audit: &'static str,
    birth_date: &'static str,
    by: &'static str,
    caller: &'static str,
    calls: &'static str,
    campaign: &'static str,
    campaigns: &'static str,
    closing: &'static str,
    date: &'static str,
    description: &'static str,
    enrolled: &'static str,
    escalations: &'static str,
    first_name: &'static str,
    follow_up: &'static str,
    from: &'static str,
    identity: &'static str,
    intro: &'static str,
    kind: &'static str,
    lang: &'static str,
    language: &'static str,
    last_name: &'static str,
    last_outcome: &'static str,
    left: &'static str,
    need: &'static str,
    no: &'static str,
    none: &'static str,
    notes: &'static str,
    number: &'static str,
    outcome: &'static str,
    paused: &'static str,
    phones: &'static str,
    reference: &'static str,
    relative: &'static str,
    since: &'static str,
    status: &'static str,
    territory: &'static str,
    title: &'static str,
    urgency: &'static str,
    week: &'static str,
    weeks: &'static str,
    wrong: &'static str,
}

const FRENCH: LetterTexts = LetterTexts {
    action: "Action",
    address: "Adresse",
    attempts: "Tentatives",
    audit: "Consultations et modifications de votre dossier",
    birth_date: "Date de naissance",
    by: "Par",
    caller: "Bénévole",
    calls: "Appels",
    campaign: "Campagne",
    campaigns: "Campagnes d'appels",
    closing: "Vous pouvez demander la rectification ou l'effacement de ces données auprès du délégué à la protection des données du département.",
    date: "Date",
    description: "Description",
    enrolled: "Inscrit le",
    escalations: "Signalements",
    first_name: "Prénom",
    follow_up: "Suite donnée",
    from: "Depuis le",
    identity: "Identité",
    intro: "Réponse à votre demande d'accès (article 15 du règlement général sur la protection des données). Voici toutes les informations que le service d'appels de solidarité « lien » détient sur vous au",
    kind: "Type",
    lang: "fr",
    language: "Langue",
    last_name: "Nom",
    last_outcome: "Dernier résultat",
    left: "Sorti le",
    need: "Besoin",
    no: "N°",
    none: "Aucune donnée.",
    notes: "Notes",
    number: "Numéro",
    outcome: "Résultat",
    paused: "Appels suspendus jusqu'au",
    phones: "Téléphones",
    reference: "Référence de dossier",
    relative: "Proche à prévenir",
    since: "depuis le",
    status: "Situation",
    territory: "Secteur",
    title: "Données vous concernant",
    urgency: "Urgence",
    week: "Semaine",
    weeks: "Semaines d'appels",
    wrong: "Signalé faux le",
};

const ENGLISH: LetterTexts = LetterTexts {
    action: "Action",
    address: "Address",
    attempts: "Attempts",
    audit: "Readings and changes of your file",
    birth_date: "Date of birth",
    by: "By",
    caller: "Volunteer",
    calls: "Calls",
    campaign: "Campaign",
    campaigns: "Call campaigns",
    closing: "You may ask the département's data-protection officer to correct or erase these data.",
    date: "Date",
    description: "Description",
    enrolled: "Registered on",
    escalations: "Needs passed on",
    first_name: "First name",
    follow_up: "Follow-up",
    from: "From",
    identity: "Identity",
    intro: "Answer to your request for access (article 15 of the General Data Protection Regulation). Here is everything the solidarity phone-check service “lien” holds about you as of",
    kind: "Type",
    lang: "en",
    language: "Language",
    last_name: "Last name",
    last_outcome: "Last outcome",
    left: "Left on",
    need: "Need",
    no: "No.",
    none: "None.",
    notes: "Notes",
    number: "Number",
    outcome: "Outcome",
    paused: "Calls paused until",
    phones: "Phone numbers",
    reference: "File reference",
    relative: "Relative to contact",
    since: "since",
    status: "Status",
    territory: "Social-action territory",
    title: "Data held about you",
    urgency: "Urgency",
    week: "Week",
    weeks: "Weeks of calls",
    wrong: "Reported wrong on",
};

/// The HTML page of a person's export, in `language`.
pub fn render_access_letter(
    export: &PersonExport,
    language: Language,
) -> Result<String, askama::Error> {
    let t = match language {
        Language::Fr => &FRENCH,
        Language::En => &ENGLISH,
    };
    let letter = in_words(export, language);
    AccessLetter { p: &letter, t }.render()
}

/// The export as a reader reads it: each code (status, outcome, need, urgency) named in
/// the letter's language, and lien's own sentences (an unreachable person's escalation)
/// said in it; what people typed stays as typed. The JSON export keeps the codes.
fn in_words(export: &PersonExport, language: Language) -> PersonExport {
    let mut letter = export.clone();
    name::<BeneficiaryStatus>(&mut letter.identity.status, language);
    for a in &mut letter.assignments {
        if let Some(outcome) = a.last_outcome.as_mut() {
            name::<Outcome>(outcome, language);
        }
    }
    for c in &mut letter.calls {
        name::<Outcome>(&mut c.outcome, language);
    }
    for e in &mut letter.escalations {
        let kind = EscalationKind::parse(&e.kind).unwrap_or(EscalationKind::Need);
        e.description = shown_description(kind, &e.description, language == Language::En);
        if kind == EscalationKind::Unreachable {
            e.category = language.label(kind).to_string();
        } else {
            name::<NeedCategory>(&mut e.category, language);
        }
        name::<Urgency>(&mut e.urgency, language);
        name::<EscalationStatus>(&mut e.status, language);
    }
    letter
}

/// A stored code replaced by its label; an unknown code is left as it is.
fn name<C: Coded>(code: &mut String, language: Language) {
    if let Ok(value) = C::parse(code) {
        *code = language.label(value).to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_named_in_the_letters_language_and_an_unknown_one_kept() {
        let mut status = "opted_out".to_string();
        name::<BeneficiaryStatus>(&mut status, Language::En);
        assert_eq!(status, "Opted out");
        let mut outcome = "reached_need".to_string();
        name::<Outcome>(&mut outcome, Language::Fr);
        assert_eq!(outcome, Outcome::ReachedNeed.label_fr());
        let mut odd = "something_else".to_string();
        name::<Urgency>(&mut odd, Language::Fr);
        assert_eq!(odd, "something_else");
    }
}
