//! The one line a failed command prints, in the command line's language: each cause of
//! the error chain that lien knows (store errors, the domain's parse errors, an import
//! that wrote nothing) is said from the catalogue or by its own French message; other
//! causes (a system or database detail) are quoted as they are.

use std::error::Error;

use super::i18n::{Lang, Texts};
use crate::domain::{
    CampaignNameError, CodeError, EmailError, IsoWeekError, LanguageError, PhoneError,
    PostalCodeError, WeekdaysError,
};
use crate::import::apply::ImportFailure;
use crate::import::ImportError;
use crate::store::{LifecycleError, StoreError};

/// `lien: what went wrong: why`, every cause of the chain in `texts`' language.
pub fn error_line(texts: Texts, error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let said = describe(texts, cause).unwrap_or_else(|| cause.to_string());
        // A wrapper that repeats its source (`#[error(transparent)]`, `{0}`) says it once.
        if parts.last() != Some(&said) && !parts.last().is_some_and(|p| p.ends_with(&said)) {
            parts.push(said);
        }
    }
    format!("lien: {}", parts.join(": "))
}

/// The cause in the user's language, when lien knows its type.
fn describe(texts: Texts, cause: &(dyn Error + 'static)) -> Option<String> {
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return store_error(texts, e);
    }
    let file = match cause.downcast_ref::<ImportFailure>() {
        Some(ImportFailure::File(e)) => Some(e),
        _ => cause.downcast_ref::<ImportError>(),
    };
    if let Some(e) = file {
        return Some(match texts.lang {
            Lang::Fr => e.message_fr(),
            Lang::En => e.message_en(),
        });
    }
    if let Some(e) = cause.downcast_ref::<LifecycleError>() {
        return lifecycle_error(texts, e);
    }
    domain_error(texts, cause)
}

fn lifecycle_error(texts: Texts, e: &LifecycleError) -> Option<String> {
    Some(match e {
        LifecycleError::PersonNotFound(reference) => {
            texts.f("error.person_not_found", &[reference])
        }
        LifecycleError::ReasonMissing => texts.t("error.reason_missing").to_string(),
        LifecycleError::AlreadyErased => texts.t("error.already_erased").to_string(),
        LifecycleError::Store(e) => return store_error(texts, e),
    })
}

fn store_error(texts: Texts, e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::CampaignNameTaken(name) => texts.f("error.campaign_taken", &[name]),
        StoreError::CampaignNotFound(name) => texts.f("error.campaign_not_found", &[name]),
        StoreError::EmailTaken(email) => texts.f("error.email_taken", &[email]),
        StoreError::UnsupportedUrl(why) => texts.f("error.unsupported_url", &[why]),
        StoreError::Connect(why) => texts.f("error.connect", &[why]),
        StoreError::NotEmpty(why) => texts.f("error.not_empty", &[why]),
        StoreError::Constraint(why) => texts.f("error.constraint", &[why]),
        StoreError::Migrate(_) => texts.t("error.migrate").to_string(),
        StoreError::Render(why) => texts.f("error.render", &[why]),
        // The database's own message follows as the next cause.
        StoreError::Database(_) | StoreError::Sqlite(_) | StoreError::AuditTrail(_) => {
            texts.t("error.database").to_string()
        }
        StoreError::WeekRefused(refusal) => french_or(texts, refusal.message_fr(), refusal),
    })
}

/// The domain's parse errors carry their French sentence; English is their `Display`.
fn domain_error(texts: Texts, cause: &(dyn Error + 'static)) -> Option<String> {
    macro_rules! french {
        ($($t:ty),+) => {$(
            if let Some(e) = cause.downcast_ref::<$t>() {
                return Some(french_or(texts, e.message_fr(), e));
            }
        )+};
    }
    french!(
        IsoWeekError,
        EmailError,
        CodeError,
        PhoneError,
        PostalCodeError,
        LanguageError,
        WeekdaysError,
        crate::calling::scripts::UnknownScript
    );
    cause
        .downcast_ref::<CampaignNameError>()
        .map(|e| campaign_name_error(texts, e))
}

fn campaign_name_error(texts: Texts, e: &CampaignNameError) -> String {
    match e {
        CampaignNameError::Empty => texts.t("error.campaign_name_empty").to_string(),
        CampaignNameError::TooLong => texts.t("error.campaign_name_long").to_string(),
        CampaignNameError::InvalidCharacter(name) => {
            texts.f("error.campaign_name_invalid", &[name])
        }
    }
}

fn french_or(texts: Texts, french: String, error: &dyn std::fmt::Display) -> String {
    match texts.lang {
        Lang::Fr => french,
        Lang::En => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn line(lang: Lang, error: anyhow::Error) -> String {
        error_line(Texts::new(lang), &error)
    }

    #[test]
    fn store_errors_are_said_in_the_chosen_language() {
        let taken = || anyhow::Error::from(StoreError::CampaignNameTaken("canicule".into()));
        let fr = line(Lang::Fr, taken());
        assert!(
            fr.contains("canicule") && fr.contains("existe déjà"),
            "{fr}"
        );
        let en = line(Lang::En, taken());
        assert!(
            en.contains("canicule") && en.contains("already exists"),
            "{en}"
        );
    }

    #[test]
    fn domain_errors_use_their_french_sentence() {
        let week = "2026-W99".parse::<crate::domain::IsoWeek>().unwrap_err();
        let fr = line(
            Lang::Fr,
            anyhow::Error::from(week.clone()).context("--week 2026-W99"),
        );
        assert!(fr.starts_with("lien: --week 2026-W99: "), "{fr}");
        assert_eq!(fr, format!("lien: --week 2026-W99: {}", week.message_fr()));
        let en = line(Lang::En, anyhow::Error::from(week.clone()));
        assert_eq!(en, format!("lien: {week}"));
    }

    #[test]
    fn unknown_causes_are_quoted_and_wrappers_not_repeated() {
        let io = std::io::Error::other("disk full");
        let e = anyhow::Error::from(io).context("cannot write x.csv");
        assert_eq!(line(Lang::Fr, e), "lien: cannot write x.csv: disk full");
        let e: anyhow::Result<()> = Err(anyhow::anyhow!("same")).context("same");
        assert_eq!(line(Lang::En, e.unwrap_err()), "lien: same");
    }

    #[test]
    fn no_french_in_english_store_errors() {
        let all = [
            StoreError::CampaignNameTaken("a".into()),
            StoreError::CampaignNotFound("a".into()),
            StoreError::EmailTaken("a@b.fr".into()),
            StoreError::UnsupportedUrl("x".into()),
            StoreError::Connect("x".into()),
            StoreError::NotEmpty("x".into()),
            StoreError::Constraint("x".into()),
            StoreError::Render("x".into()),
        ];
        for e in all {
            let en = line(Lang::En, e.into());
            assert!(
                !en.contains('é') && !en.contains(" la ") && !en.contains(" le "),
                "{en}"
            );
        }
    }
}
