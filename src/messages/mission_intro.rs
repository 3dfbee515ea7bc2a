//! The mails that introduce a volunteer and an establishment's contact to each other
//! once a coordinator confirms a placement (issue 17): one to each side, in the
//! recipient's language, carrying only what that side needs to meet the other — the
//! mission, the week and its slots, the address, and the other side's name and contact.
//! Nothing else about the volunteer (origin, qualifications, commune, allowance) and
//! nothing about anyone else. Pure rendering; the store queues them in the transaction
//! of the confirmation.

use askama::Template;

use crate::records::RenderedMail;

/// What a confirmed placement's mails say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntroFacts {
    pub placement_id: i64,
    /// `2026-W49`.
    pub week: String,
    /// Monday of the week, `30/11/2026`.
    pub week_start: String,
    pub organisation: String,
    pub establishment: String,
    /// Street, postcode and commune on one line.
    pub address: String,
    pub mission_kind: String,
    /// Canonical slots, `lun 09:00-12:00, jeu 14:30-18:00`.
    pub slots: String,
    /// The volunteer's minutes in the week.
    pub minutes: i32,
    pub volunteer_name: String,
    pub volunteer_email: String,
    pub volunteer_phone: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

pub use super::language::Language;

/// Which side a mail goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntroRecipient {
    Volunteer,
    Establishment,
}

impl IntroRecipient {
    pub fn code(self) -> &'static str {
        match self {
            Self::Volunteer => "volunteer",
            Self::Establishment => "establishment",
        }
    }
}

#[derive(Template)]
#[template(path = "mail/mission_intro.txt")]
struct IntroText<'a> {
    greeting: &'a str,
    intro: &'a str,
    lines: &'a [(&'a str, String)],
    closing: &'a str,
}

#[derive(Template)]
#[template(path = "mail/mission_intro.html")]
struct IntroHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    intro: &'a str,
    lines: &'a [(&'a str, String)],
    closing: &'a str,
}

/// "3 h 30".
pub fn hours_minutes(minutes: i32) -> String {
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

/// The day names of canonical slots spelled out in English (`lun` → `Mon`).
fn slots_in(slots: &str, lang: Language) -> String {
    if lang == Language::Fr {
        return slots.to_string();
    }
    const DAYS: [(&str, &str); 7] = [
        ("lun", "Mon"),
        ("mar", "Tue"),
        ("mer", "Wed"),
        ("jeu", "Thu"),
        ("ven", "Fri"),
        ("sam", "Sat"),
        ("dim", "Sun"),
    ];
    slots
        .split(", ")
        .map(|slot| {
            let (day, time) = slot.split_once(' ').unwrap_or((slot, ""));
            let day = DAYS.iter().find(|(fr, _)| *fr == day).map_or(day, |d| d.1);
            format!("{day} {time}").trim().to_string()
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn contact(email: Option<&str>, phone: Option<&str>) -> String {
    [email, phone]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The mail to one side of a confirmed placement, in `lang`.
pub fn render_intro(
    facts: &IntroFacts,
    to: IntroRecipient,
    lang: Language,
) -> Result<RenderedMail, askama::Error> {
    let fr = lang == Language::Fr;
    let l = |f: &'static str, e: &'static str| if fr { f } else { e };
    let place = format!("{} ({})", facts.establishment, facts.organisation);
    let (subject, intro, other) = match to {
        IntroRecipient::Volunteer => (
            if fr {
                format!(
                    "lien : votre mission à {} (semaine {})",
                    facts.establishment, facts.week
                )
            } else {
                format!(
                    "lien: your mission at {} (week {})",
                    facts.establishment, facts.week
                )
            },
            if fr {
                format!("La coordination a confirmé votre mission auprès de {place}. Voici de quoi prendre contact avec l'établissement.")
            } else {
                format!("The coordination confirmed your mission with {place}. Here is how to get in touch with the establishment.")
            },
            (
                l("Contact de l'établissement", "Establishment's contact"),
                contact(
                    facts.contact_email.as_deref(),
                    facts.contact_phone.as_deref(),
                ),
            ),
        ),
        IntroRecipient::Establishment => (
            if fr {
                format!(
                    "lien : {} vient en renfort (semaine {})",
                    facts.volunteer_name, facts.week
                )
            } else {
                format!(
                    "lien: {} joins you as a volunteer (week {})",
                    facts.volunteer_name, facts.week
                )
            },
            if fr {
                format!("La coordination a confirmé la venue de {} auprès de {place}. Voici de quoi prendre contact.", facts.volunteer_name)
            } else {
                format!("The coordination confirmed that {} will volunteer with {place}. Here is how to get in touch.", facts.volunteer_name)
            },
            (
                l("Contact du ou de la volontaire", "Volunteer's contact"),
                contact(
                    Some(&facts.volunteer_email),
                    facts.volunteer_phone.as_deref(),
                ),
            ),
        ),
    };
    let mut lines: Vec<(&str, String)> = vec![
        (l("Mission", "Mission"), facts.mission_kind.clone()),
        (l("Établissement", "Establishment"), place.clone()),
        (l("Adresse", "Address"), facts.address.clone()),
        (
            l("Semaine", "Week"),
            format!("{} ({} {})", facts.week, l("du", "from"), facts.week_start),
        ),
        (l("Créneaux", "Time slots"), slots_in(&facts.slots, lang)),
        (
            l("Heures dans la semaine", "Hours in the week"),
            hours_minutes(facts.minutes),
        ),
    ];
    if to == IntroRecipient::Establishment {
        lines.insert(
            0,
            (l("Volontaire", "Volunteer"), facts.volunteer_name.clone()),
        );
    }
    lines.push(other);
    let greeting = l("Bonjour,", "Hello,");
    let closing = l(
        "Ce message vous est envoyé par la coordination des missions de volontariat. Pour toute question, répondez à ce courriel.",
        "This message comes from the coordination of volunteer missions. For any question, reply to this mail.",
    );
    let text = IntroText {
        greeting,
        intro: &intro,
        lines: &lines,
        closing,
    }
    .render()?;
    let html = IntroHtml {
        lang: if fr { "fr" } else { "en" },
        subject: &subject,
        greeting,
        intro: &intro,
        lines: &lines,
        closing,
    }
    .render()?;
    Ok(RenderedMail {
        subject,
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> IntroFacts {
        IntroFacts {
            placement_id: 7,
            week: "2026-W49".into(),
            week_start: "30/11/2026".into(),
            organisation: "Les Tilleuls".into(),
            establishment: "Foyer des Tilleuls".into(),
            address: "3 rue des Lilas, 93200 Saint-Denis".into(),
            mission_kind: "Animation".into(),
            slots: "lun 09:00-12:00, jeu 14:30-18:00".into(),
            minutes: 390,
            volunteer_name: "Alice Martin".into(),
            volunteer_email: "alice@example.org".into(),
            volunteer_phone: Some("+33612345678".into()),
            contact_email: Some("foyer@example.org".into()),
            contact_phone: None,
        }
    }

    #[test]
    fn each_side_gets_the_other_sides_contact_in_its_language() {
        let f = facts();
        let to_volunteer = render_intro(&f, IntroRecipient::Volunteer, Language::Fr).unwrap();
        assert!(to_volunteer.subject.contains("Foyer des Tilleuls"));
        assert!(to_volunteer.text.contains("foyer@example.org"));
        assert!(to_volunteer.text.contains("6 h 30"));
        assert!(
            !to_volunteer.text.contains("+33612345678"),
            "not their own phone"
        );
        let to_home = render_intro(&f, IntroRecipient::Establishment, Language::En).unwrap();
        assert!(to_home.subject.starts_with("lien: Alice Martin"));
        assert!(to_home.text.contains("+33612345678"));
        assert!(to_home.text.contains("Mon 09:00-12:00, Thu 14:30-18:00"));
        assert!(to_home.html.contains("<html lang=\"en\">"));
        assert!(!to_home.text.contains("Bonjour"));
    }
}
