//! The Monday and Thursday mail to each organisation's contact, "are these needs still
//! right?": the organisation's active needs and a signed link to the page where they
//! are confirmed or changed (no account needed). French or English by the
//! organisation's language. Pure: the store gives the needs, this gives the mail and
//! when the next one goes (the link expires then).
//!
//! The link is rendered with [`crate::records::SECRET_PLACEHOLDER`] where the token
//! goes; the token waits in `outbox.secret_token` until the mail is sent.

use askama::Template;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

use super::links::MailLinks;
use crate::domain::time::PARIS;
use crate::records::RenderedMail;

/// The hour (Paris time) of the reminder round on Mondays and Thursdays.
pub const REMINDER_HOUR: u32 = 8;

/// Whether `day` is a reminder day (Monday or Thursday).
pub fn is_reminder_day(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Mon | Weekday::Thu)
}

/// The next reminder round strictly after the Paris day of `now`: the next Monday or
/// Thursday at [`REMINDER_HOUR`], Paris time. A link mailed at `now` expires then.
pub fn next_reminder_after(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&PARIS).date_naive();
    let mut day = today + Duration::days(1);
    while !is_reminder_day(day) {
        day += Duration::days(1);
    }
    let at = day.and_hms_opt(REMINDER_HOUR, 0, 0).expect("a valid hour");
    PARIS
        .from_local_datetime(&at)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&at))
}

/// The start of the Paris day of `now`, in UTC (a round runs once a day).
pub fn paris_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let day = now.with_timezone(&PARIS).date_naive();
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight");
    PARIS
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// One need as the mail lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderNeed {
    pub reference: String,
    pub establishment: String,
    pub mission_kind: String,
    pub volunteers_wanted: i32,
    pub weekly_minutes: i32,
    pub slots: String,
}

/// What the mail says, in one language.
struct Words {
    subject: &'static str,
    hello: &'static str,
    intro: &'static str,
    volunteers: &'static str,
    hours: &'static str,
    action: &'static str,
    expires: &'static str,
    ignore: &'static str,
}

const FRENCH: Words = Words {
    subject: "Vos besoins en renfort sont-ils toujours à jour ?",
    hello: "Bonjour,",
    intro: "Voici les besoins en volontaires que la coordination a enregistrés pour",
    volunteers: "volontaire(s)",
    hours: "par semaine",
    action: "Ouvrez ce lien pour confirmer qu'ils sont toujours justes, ou les corriger (nombre, horaires, qualifications, dates), ou clore un besoin. Aucun compte n'est nécessaire :",
    expires: "Ce lien personnel fonctionne jusqu'au prochain rappel, le",
    ignore: "Ne transférez pas ce courriel : le lien donne accès aux besoins de votre structure.",
};

const ENGLISH: Words = Words {
    subject: "Are your staffing needs still right?",
    hello: "Hello,",
    intro: "Here are the volunteer needs the coordination holds for",
    volunteers: "volunteer(s)",
    hours: "a week",
    action: "Open this link to confirm they are still right, or to correct them (number, hours, qualifications, dates), or to close a need. No account is needed:",
    expires: "This personal link works until the next reminder, on",
    ignore: "Do not forward this mail: the link opens your organisation's needs.",
};

/// One need, formatted for the templates.
struct Line {
    reference: String,
    establishment: String,
    mission_kind: String,
    volunteers: String,
    hours: String,
    slots: String,
}

#[derive(Template)]
#[template(path = "mail/needs_reminder.txt")]
struct ReminderText<'a> {
    w: &'a Words,
    organisation: &'a str,
    lines: &'a [Line],
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "mail/needs_reminder.html")]
struct ReminderHtml<'a> {
    w: &'a Words,
    lang: &'a str,
    subject: &'a str,
    organisation: &'a str,
    lines: &'a [Line],
    link: &'a str,
    expires: &'a str,
}

fn hours(minutes: i32) -> String {
    if minutes % 60 == 0 {
        format!("{} h", minutes / 60)
    } else {
        format!("{} h {:02}", minutes / 60, minutes % 60)
    }
}

/// Renders the reminder of `organisation` with its needs, in English when the
/// organisation's language is `en`, else in French; `expires_at` is when its link stops
/// working (the next round).
pub fn render_needs_reminder(
    organisation: &str,
    language: &str,
    needs: &[ReminderNeed],
    expires_at: DateTime<Utc>,
    links: &MailLinks,
) -> Result<RenderedMail, askama::Error> {
    let (w, lang, date) = match language {
        "en" => (&ENGLISH, "en", "%Y-%m-%d %H:%M"),
        _ => (&FRENCH, "fr", "%d/%m/%Y à %H:%M"),
    };
    let expires = expires_at.with_timezone(&PARIS).format(date).to_string();
    let lines: Vec<Line> = needs
        .iter()
        .map(|n| Line {
            reference: n.reference.clone(),
            establishment: n.establishment.clone(),
            mission_kind: n.mission_kind.clone(),
            volunteers: format!("{} {}", n.volunteers_wanted, w.volunteers),
            hours: format!("{} {}", hours(n.weekly_minutes), w.hours),
            slots: n.slots.clone(),
        })
        .collect();
    let link = links.organisation_link();
    let subject = format!("[lien] {} ({organisation})", w.subject);
    let text = ReminderText {
        w,
        organisation,
        lines: &lines,
        link: &link,
        expires: &expires,
    }
    .render()?;
    let html = ReminderHtml {
        w,
        lang,
        subject: &subject,
        organisation,
        lines: &lines,
        link: &link,
        expires: &expires,
    }
    .render()?;
    Ok(RenderedMail {
        subject,
        text,
        html,
    })
}

/// The Message-ID of an organisation's reminder (one per link).
pub fn reminder_message_id(links: &MailLinks, organisation_id: i64, link_id: i64) -> String {
    format!(
        "<needs-reminder-{organisation_id}-{link_id}@{}>",
        links.message_domain()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::SECRET_PLACEHOLDER;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_round_is_the_next_monday_or_thursday_at_eight_in_paris() {
        // Monday 1 December 2026, 09:00 UTC -> Thursday 3 December, 08:00 Paris (07:00 UTC).
        assert_eq!(
            next_reminder_after(at("2026-11-30T09:00:00Z")),
            at("2026-12-03T07:00:00Z")
        );
        // Thursday -> next Monday.
        assert_eq!(
            next_reminder_after(at("2026-12-03T07:00:00Z")),
            at("2026-12-07T07:00:00Z")
        );
        // Sunday evening -> Monday.
        assert_eq!(
            next_reminder_after(at("2026-12-06T20:00:00Z")),
            at("2026-12-07T07:00:00Z")
        );
        // Summer time: Thursday 2 July 2026 08:00 Paris is 06:00 UTC.
        assert_eq!(
            next_reminder_after(at("2026-06-29T12:00:00Z")),
            at("2026-07-02T06:00:00Z")
        );
        assert!(is_reminder_day(
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        ));
        assert!(!is_reminder_day(
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        ));
    }

    #[test]
    fn the_mail_lists_the_needs_and_holds_only_the_placeholder() {
        let links = MailLinks::new("https://lien.example.org/".parse().unwrap(), vec![1; 32]);
        let needs = [ReminderNeed {
            reference: "ASE-12".into(),
            establishment: "Foyer <Les Tilleuls>".into(),
            mission_kind: "Accompagnement éducatif".into(),
            volunteers_wanted: 2,
            weekly_minutes: 570,
            slots: "lun 09:00-12:00".into(),
        }];
        let expires = at("2026-12-03T07:00:00Z");
        let fr = render_needs_reminder("Foyer", "fr", &needs, expires, &links).unwrap();
        assert!(fr.subject.contains("toujours à jour"));
        assert!(fr.text.contains("ASE-12"), "{}", fr.text);
        assert!(fr.text.contains("9 h 30 par semaine"), "{}", fr.text);
        assert!(fr.text.contains("03/12/2026 à 08:00"), "{}", fr.text);
        let link = format!("https://lien.example.org/structures/lien/{SECRET_PLACEHOLDER}");
        assert!(fr.text.contains(&link), "{}", fr.text);
        assert!(fr.html.contains(&link));
        assert!(
            !fr.html.contains("<Les Tilleuls>") && fr.html.contains("Les Tilleuls"),
            "HTML escaped: {}",
            fr.html
        );
        let en = render_needs_reminder("Foyer", "en", &needs, expires, &links).unwrap();
        assert!(en.subject.contains("still right"));
        assert!(en.text.contains("2 volunteer(s)"));
        assert!(en.html.starts_with("<!DOCTYPE html>"));
        assert!(en.html.contains("lang=\"en\""));
    }
}
