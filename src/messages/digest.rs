//! The daily digest a territory may choose in addition to one mail per escalation: the
//! escalations still to handle, each with a link to its page for the territory's
//! account (the digest is chosen from that account; it carries no token), and the
//! person's name only when `mail_escalation_details = "full"`. Pure rendering; the store queues it, the mail worker decides when.

use askama::Template;
use chrono::NaiveDate;

use super::language::Language;
use super::links::MailLinks;
use crate::domain::time::PARIS;
use crate::domain::EscalationKind;
use crate::records::{EscalationDetails, EscalationView, RenderedMail};

/// One line of the digest.
pub struct DigestLine {
    pub id: i64,
    pub created_at: String,
    pub what: String,
    pub name: String,
    pub commune: String,
    pub urgency: String,
    pub status: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    territory: &'a str,
    date: &'a str,
    items: &'a [DigestLine],
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    subject: &'a str,
    territory: &'a str,
    date: &'a str,
    items: &'a [DigestLine],
}

#[derive(Template)]
#[template(path = "mail/en/digest.txt")]
struct DigestTextEn<'a> {
    territory: &'a str,
    date: &'a str,
    items: &'a [DigestLine],
}

#[derive(Template)]
#[template(path = "mail/en/digest.html")]
struct DigestHtmlEn<'a> {
    subject: &'a str,
    territory: &'a str,
    date: &'a str,
    items: &'a [DigestLine],
}

/// The Message-ID of a territory's digest of a day in one language: one digest per
/// territory, day and language, however many workers run.
pub fn digest_message_id(
    links: &MailLinks,
    territory_id: i64,
    day: NaiveDate,
    lang: Language,
) -> String {
    let suffix = match lang {
        Language::Fr => "",
        Language::En => "-en",
    };
    format!(
        "<digest-{territory_id}-{}{suffix}@{}>",
        day.format("%Y%m%d"),
        links.message_domain()
    )
}

/// Renders the digest of `territory` for `day`, in `lang`.
pub fn render_digest(
    territory: &str,
    day: NaiveDate,
    escalations: &[EscalationView],
    links: &MailLinks,
    lang: Language,
) -> Result<RenderedMail, askama::Error> {
    let full = links.details == EscalationDetails::Full;
    let items: Vec<DigestLine> = escalations
        .iter()
        .map(|e| DigestLine {
            id: e.id,
            created_at: e
                .created_at
                .with_timezone(&PARIS)
                .format("%d/%m/%Y")
                .to_string(),
            what: if e.kind == EscalationKind::Unreachable {
                lang.pick("Personne injoignable", "Unreachable person")
                    .to_string()
            } else {
                lang.label(e.category).to_string()
            },
            name: if full {
                format!("{} {}", e.first_name, e.last_name)
            } else {
                String::new()
            },
            commune: e.commune.clone().unwrap_or_default(),
            urgency: lang.label(e.urgency).to_string(),
            status: lang.label(e.status).to_string(),
            link: links.escalation_page(e.id),
        })
        .collect();
    let date = day.format("%d/%m/%Y").to_string();
    let subject = match lang {
        Language::Fr => {
            format!("[lien] Récapitulatif des signalements en cours – {territory} – {date}")
        }
        Language::En => format!("[lien] Summary of open escalations – {territory} – {date}"),
    };
    let (date, items) = (date.as_str(), items.as_slice());
    let (text, html) = match lang {
        Language::Fr => (
            DigestText {
                territory,
                date,
                items,
            }
            .render()?,
            DigestHtml {
                subject: &subject,
                territory,
                date,
                items,
            }
            .render()?,
        ),
        Language::En => (
            DigestTextEn {
                territory,
                date,
                items,
            }
            .render()?,
            DigestHtmlEn {
                subject: &subject,
                territory,
                date,
                items,
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
