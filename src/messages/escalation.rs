//! The escalation mail: subject, plain text and HTML, rendered from askama templates
//! (`templates/mail/`). Pure: the store gives the facts, this gives the mail.
//!
//! By default (`mail_escalation_details = "minimal"`) the mail carries no personal
//! data: the escalation's number, category, urgency, commune and the recipient's link;
//! the subject says only the number and the urgency. `"full"` adds the person, the
//! need's text and the caller, and names category and commune in the subject.

use askama::Template;
use chrono::{DateTime, Utc};

use super::language::Language;
use super::links::MailLinks;
use crate::domain::time::PARIS;
use crate::domain::{EscalationKind, Phone, Urgency};
use crate::records::{EscalationDetails, EscalationFacts, RenderedMail};

#[derive(Template)]
#[template(path = "mail/escalation.txt")]
struct EscalationText<'a> {
    m: &'a EscalationBody,
}

#[derive(Template)]
#[template(path = "mail/escalation.html")]
struct EscalationHtml<'a> {
    m: &'a EscalationBody,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "mail/en/escalation.txt")]
struct EscalationTextEn<'a> {
    m: &'a EscalationBody,
}

#[derive(Template)]
#[template(path = "mail/en/escalation.html")]
struct EscalationHtmlEn<'a> {
    m: &'a EscalationBody,
    subject: &'a str,
}

/// The fields the templates show, already formatted.
struct EscalationBody {
    /// Personal data in the mail (`EscalationDetails::Full`).
    full: bool,
    escalation_id: i64,
    unreachable: bool,
    unanswered: i64,
    last_reached: Option<String>,
    created_at: String,
    campaign: String,
    category: String,
    urgency: String,
    urgent: bool,
    description: String,
    name: String,
    phones: Vec<String>,
    address: String,
    commune: String,
    relative: Option<String>,
    caller_name: String,
    caller_phone: Option<String>,
    caller_email: Option<String>,
    link: String,
    link_days: i64,
    territory: String,
}

/// A stored E.164 number as a French reader dials it (`06 12 34 56 78`).
pub fn display_phone(e164: &str) -> String {
    Phone::parse(e164)
        .map(|p| p.national_display())
        .unwrap_or_else(|_| e164.to_string())
}

/// How the subject says the urgency.
fn urgency_phrase(urgency: Urgency, lang: Language) -> &'static str {
    match urgency {
        Urgency::Today => lang.pick("urgent aujourd'hui", "urgent today"),
        Urgency::ThisWeek => lang.pick("cette semaine", "this week"),
        Urgency::NoRush => lang.pick("sans urgence", "no rush"),
    }
}

fn paris(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&PARIS).format(format).to_string()
}

/// Renders the mail of an escalation (a need, or a person who cannot be reached), with
/// the placeholder of the recipient's token in its link, in the recipient's language.
pub fn render_escalation(
    facts: &EscalationFacts,
    links: &MailLinks,
    lang: Language,
) -> Result<RenderedMail, askama::Error> {
    let m = body(facts, links, lang);
    let subject = subject(&m, urgency_phrase(facts.urgency, lang), lang);
    let (text, html) = match lang {
        Language::Fr => (
            EscalationText { m: &m }.render()?,
            EscalationHtml {
                m: &m,
                subject: &subject,
            }
            .render()?,
        ),
        Language::En => (
            EscalationTextEn { m: &m }.render()?,
            EscalationHtmlEn {
                m: &m,
                subject: &subject,
            }
            .render()?,
        ),
    };
    Ok(RenderedMail {
        subject,
        text,
        html,
    })
}

/// The facts as the templates show them, in `lang`.
fn body(facts: &EscalationFacts, links: &MailLinks, lang: Language) -> EscalationBody {
    let commune = facts
        .commune
        .clone()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| lang.pick("commune inconnue", "unknown commune").into());
    EscalationBody {
        full: links.details == EscalationDetails::Full,
        escalation_id: facts.escalation_id,
        unreachable: facts.kind == EscalationKind::Unreachable,
        unanswered: facts.unanswered,
        last_reached: facts.last_reached.map(|t| paris(t, "%d/%m/%Y")),
        created_at: paris(
            facts.created_at,
            lang.pick("%d/%m/%Y à %H:%M", "%d/%m/%Y at %H:%M"),
        ),
        campaign: facts.campaign_title.clone(),
        category: lang.label(facts.category).to_string(),
        urgency: lang.label(facts.urgency).to_string(),
        urgent: facts.urgency == Urgency::Today,
        description: facts.description.clone(),
        name: format!("{} {}", facts.first_name, facts.last_name),
        phones: facts.phones.iter().map(|p| display_phone(p)).collect(),
        address: [facts.address.clone(), facts.postal_code.clone()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        commune: commune.clone(),
        relative: match (&facts.relative_name, &facts.relative_phone) {
            (None, None) => None,
            (name, phone) => Some(
                [name.clone(), phone.as_deref().map(display_phone)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" – "),
            ),
        },
        caller_name: match (&facts.caller_first_name, &facts.caller_last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            _ => lang.pick("appelant·e inconnu·e", "unknown caller").into(),
        },
        caller_phone: facts.caller_phone.as_deref().map(display_phone),
        caller_email: facts.caller_email.clone(),
        link: links.escalation_link(),
        link_days: links.link_days_after_close,
        territory: facts.territory_name.clone().unwrap_or_default(),
    }
}

/// The subject: with `full`, what and where; otherwise only the number and the urgency
/// (a subject shows in notifications and mail server logs).
fn subject(m: &EscalationBody, urgency: &str, lang: Language) -> String {
    let (commune, id, category) = (&m.commune, m.escalation_id, &m.category);
    match (lang, m.full, m.unreachable) {
        (Language::Fr, false, true) => {
            format!("[lien] Signalement n° {id} – personne injoignable à vérifier")
        }
        (Language::Fr, false, false) => format!("[lien] Signalement n° {id} – {urgency}"),
        (Language::Fr, true, true) => {
            format!("[lien] Personne injoignable – {commune} – vérifier qu'elle va bien")
        }
        (Language::Fr, true, false) => {
            format!("[lien] Besoin signalé – {category} – {commune} – {urgency}")
        }
        (Language::En, false, true) => {
            format!("[lien] Escalation no. {id} – unreachable person to check on")
        }
        (Language::En, false, false) => format!("[lien] Escalation no. {id} – {urgency}"),
        (Language::En, true, true) => {
            format!("[lien] Unreachable person – {commune} – check that they are well")
        }
        (Language::En, true, false) => {
            format!("[lien] Need reported – {category} – {commune} – {urgency}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> EscalationFacts {
        EscalationFacts {
            escalation_id: 7,
            kind: EscalationKind::Need,
            category: crate::domain::NeedCategory::Food,
            description: "Plus de courses depuis <lundi> & rien au frigo".into(),
            urgency: Urgency::Today,
            created_at: "2026-11-24T09:30:00Z".parse().unwrap(),
            first_name: "Hélène".into(),
            last_name: "Martin".into(),
            address: Some("3 rue des Lilas".into()),
            postal_code: Some("80000".into()),
            commune: Some("Amiens".into()),
            relative_name: Some("Paul Martin".into()),
            relative_phone: Some("+33612345678".into()),
            caller_first_name: Some("Julie".into()),
            caller_last_name: Some("Appel".into()),
            caller_phone: Some("+33699999999".into()),
            caller_email: Some("julie@example.org".into()),
            campaign_title: "Appels de solidarité".into(),
            coordinator_email: Some("coord@example.org".into()),
            territory_name: Some("Amiens Nord".into()),
            referent_emails: Some("ref@example.org".into()),
            phones: vec!["+33322000000".into()],
            unanswered: 0,
            last_reached: None,
        }
    }

    fn links(details: EscalationDetails) -> MailLinks {
        MailLinks {
            details,
            ..MailLinks::new("https://lien.example.org/".parse().unwrap(), vec![7; 32])
        }
    }

    /// What the minimal mail must never say about the fixture.
    const PERSONAL: [&str; 9] = [
        "Hélène",
        "Martin",
        "03 22 00 00 00",
        "+33322000000",
        "rue des Lilas",
        "frigo",
        "Julie",
        "06 99 99 99 99",
        "julie@example.org",
    ];

    #[test]
    fn the_minimal_need_mail_says_what_where_and_how_urgent_and_nothing_personal() {
        let mail =
            render_escalation(&facts(), &links(EscalationDetails::Minimal), Language::Fr).unwrap();
        assert_eq!(mail.subject, "[lien] Signalement n° 7 – urgent aujourd'hui");
        let html = mail.html.replace("&#39;", "'");
        for part in [&mail.text, &html] {
            for expected in [
                "Signalement n° 7",
                "Alimentation",
                "Aujourd'hui",
                "Amiens",
                "https://lien.example.org/signalements/lien/[[lien-jeton]]",
                "7 jours après la clôture",
            ] {
                assert!(part.contains(expected), "{expected} missing in {part}");
            }
            for personal in PERSONAL {
                assert!(!part.contains(personal), "{personal} in {part}");
            }
        }
    }

    #[test]
    fn the_full_need_mail_says_what_who_where_and_links_to_the_page() {
        let mail =
            render_escalation(&facts(), &links(EscalationDetails::Full), Language::Fr).unwrap();
        assert_eq!(
            mail.subject,
            "[lien] Besoin signalé – Alimentation – Amiens – urgent aujourd'hui"
        );
        let html = mail.html.replace("&#39;", "'");
        for part in [&mail.text, &html] {
            for expected in [
                "Hélène Martin",
                "03 22 00 00 00",
                "3 rue des Lilas 80000",
                "Amiens",
                "Alimentation",
                "Aujourd'hui",
                "Julie Appel",
                "06 99 99 99 99",
                "julie@example.org",
                "Appels de solidarité",
                "24/11/2026 à 10:30",
                "https://lien.example.org/signalements/lien/[[lien-jeton]]",
                "Paul Martin – 06 12 34 56 78",
            ] {
                assert!(part.contains(expected), "{expected} missing in {part}");
            }
        }
        assert!(mail
            .text
            .contains("Plus de courses depuis <lundi> & rien au frigo"));
        assert!(
            mail.html
                .contains("Plus de courses depuis &#60;lundi&#62; &#38; rien au frigo"),
            "the HTML part escapes what the caller typed: {}",
            mail.html
        );
    }

    #[test]
    fn the_unreachable_mail_asks_for_a_welfare_check() {
        let mut f = facts();
        f.kind = EscalationKind::Unreachable;
        f.unanswered = 6;
        f.last_reached = Some("2026-11-02T10:00:00Z".parse().unwrap());
        let mail = render_escalation(&f, &links(EscalationDetails::Full), Language::Fr).unwrap();
        assert_eq!(
            mail.subject,
            "[lien] Personne injoignable – Amiens – vérifier qu'elle va bien"
        );
        assert!(
            mail.text.contains("aucun des 6 derniers appels"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("02/11/2026"));
        assert!(!mail.text.contains("Catégorie"));
        let minimal =
            render_escalation(&f, &links(EscalationDetails::Minimal), Language::Fr).unwrap();
        assert_eq!(
            minimal.subject,
            "[lien] Signalement n° 7 – personne injoignable à vérifier"
        );
        assert!(minimal.text.contains("Une personne de Amiens"));
        for personal in PERSONAL {
            assert!(!minimal.text.contains(personal), "{personal}");
        }
    }

    #[test]
    fn a_person_without_commune_or_phone_still_gets_a_readable_mail() {
        let mut f = facts();
        f.commune = None;
        f.phones.clear();
        f.urgency = Urgency::NoRush;
        let mail = render_escalation(&f, &links(EscalationDetails::Full), Language::Fr).unwrap();
        assert!(mail.subject.ends_with("– commune inconnue – sans urgence"));
        assert!(mail.text.contains("aucun numéro valide"));
        let minimal =
            render_escalation(&f, &links(EscalationDetails::Minimal), Language::Fr).unwrap();
        assert!(minimal.subject.ends_with("– sans urgence"));
        assert!(minimal.text.contains("Commune : commune inconnue"));
    }

    /// French words that must not show in an English mail (the fixture's own data
    /// aside).
    const FRENCH: [&str; 14] = [
        "Bonjour",
        "Signalement",
        "Catégorie",
        "Urgence",
        "Personne",
        "Appelant",
        "Alimentation",
        "Aujourd",
        "Commune :",
        " à ",
        "aucun",
        "lien personnel",
        "injoignable",
        "courriel",
    ];

    fn english_facts() -> EscalationFacts {
        EscalationFacts {
            campaign_title: "Weekly calls".into(),
            territory_name: Some("North".into()),
            ..facts()
        }
    }

    #[test]
    fn an_english_recipient_gets_every_kind_of_mail_in_english() {
        let mut unreachable = english_facts();
        unreachable.kind = EscalationKind::Unreachable;
        unreachable.unanswered = 6;
        let mut bare = english_facts();
        bare.commune = None;
        bare.phones.clear();
        for f in [english_facts(), unreachable, bare] {
            for details in [EscalationDetails::Minimal, EscalationDetails::Full] {
                let mail = render_escalation(&f, &links(details), Language::En).unwrap();
                assert!(mail.subject.starts_with("[lien] "), "{}", mail.subject);
                assert!(mail.html.contains("<html lang=\"en\">"));
                for part in [&mail.subject, &mail.text, &mail.html] {
                    for french in FRENCH {
                        assert!(!part.contains(french), "{french} in {part}");
                    }
                }
                assert!(mail.text.contains("Hello,"), "{}", mail.text);
                assert!(mail.text.contains("Escalation no. 7 – North"));
                if details == EscalationDetails::Minimal {
                    for personal in PERSONAL {
                        assert!(!mail.text.contains(personal), "{personal}");
                    }
                }
            }
        }
        let need = render_escalation(
            &english_facts(),
            &links(EscalationDetails::Full),
            Language::En,
        )
        .unwrap();
        assert_eq!(
            need.subject,
            "[lien] Need reported – Food – Amiens – urgent today"
        );
        assert!(need.text.contains("24/11/2026 at 10:30"), "{}", need.text);
        assert!(need.text.contains("Category: Food"));
        let minimal = render_escalation(
            &english_facts(),
            &links(EscalationDetails::Minimal),
            Language::En,
        )
        .unwrap();
        assert_eq!(minimal.subject, "[lien] Escalation no. 7 – urgent today");
    }
}
