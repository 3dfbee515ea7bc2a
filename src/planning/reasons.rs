//! Why each beneficiary got this caller, or none, and why an existing
//! assignment was removed: a stable `code()` (stored in
//! `assignments.reason_code`, used by APIs and counts) and a French
//! `text()` for coordinators (stored in `assignments.reason`).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::domain::{IsoWeek, LanguageCode};

/// The one reason shown for an assignment.
///
/// When several apply, the first in this order wins (see
/// [`crate::planning`] docs): the state of the assignment (already
/// called), then a change of caller (the relationship was interrupted: the
/// coordinator must know), then what this call must do (open need,
/// call-back, not reached), then a first call, then why this caller (same
/// as last time, language, territory), and "weekly call" when nothing
/// stands out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// The assignment already has calls this week: never touched.
    KeptAlreadyCalled,
    /// An assignment planned earlier for this week, kept although the last
    /// caller is available again (stability of a published plan).
    KeptPlanned,
    /// The previous caller (last week's, or the one planned earlier this
    /// week) is absent this week.
    ReassignedCallerAbsent,
    /// The previous caller has no room left.
    ReassignedCallerFull,
    /// The previous caller does not speak the beneficiary's language.
    ReassignedLanguage { language: LanguageCode },
    /// Open escalations to follow up.
    OpenNeed,
    /// A call-back is due this week.
    CallbackDue,
    /// Not reached last week.
    NotReachedLastWeek,
    /// Never reached and never assigned before.
    FirstCall,
    /// Same caller as the last assignment, made in `week`.
    SameCaller { week: IsoWeek },
    /// Beneficiary speaks a language other than French.
    Language { language: LanguageCode },
    /// Caller prefers the beneficiary's territory.
    SameTerritory,
    /// Nothing special.
    WeeklyCall,
}

/// Lowercase French name of a language, or its code.
pub(crate) fn language_name_fr(language: &LanguageCode) -> String {
    match language.name_fr() {
        Some(name) => name.to_lowercase(),
        None => format!("la langue « {} »", language.as_str()),
    }
}

impl Reason {
    /// Every code, in the precedence order.
    pub const CODES: [&'static str; 13] = [
        "kept_already_called",
        "kept_planned",
        "reassigned_caller_absent",
        "reassigned_caller_full",
        "reassigned_language",
        "open_need",
        "callback_due",
        "not_reached_last_week",
        "first_call",
        "same_caller",
        "language",
        "same_territory",
        "weekly_call",
    ];

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::KeptAlreadyCalled => "kept_already_called",
            Reason::KeptPlanned => "kept_planned",
            Reason::ReassignedCallerAbsent => "reassigned_caller_absent",
            Reason::ReassignedCallerFull => "reassigned_caller_full",
            Reason::ReassignedLanguage { .. } => "reassigned_language",
            Reason::OpenNeed => "open_need",
            Reason::CallbackDue => "callback_due",
            Reason::NotReachedLastWeek => "not_reached_last_week",
            Reason::FirstCall => "first_call",
            Reason::SameCaller { .. } => "same_caller",
            Reason::Language { .. } => "language",
            Reason::SameTerritory => "same_territory",
            Reason::WeeklyCall => "weekly_call",
        }
    }

    /// French sentence for coordinators.
    pub fn text(&self) -> String {
        match self {
            Reason::KeptAlreadyCalled => "conservé : déjà appelé cette semaine".to_owned(),
            Reason::KeptPlanned => "conservé : déjà prévu cette semaine".to_owned(),
            Reason::ReassignedCallerAbsent => {
                "réaffecté : appelant absent cette semaine".to_owned()
            }
            Reason::ReassignedCallerFull => "réaffecté : appelant complet".to_owned(),
            Reason::ReassignedLanguage { language } => format!(
                "réaffecté : l'appelant précédent ne parle pas {}",
                language_name_fr(language)
            ),
            Reason::OpenNeed => "besoin en cours à suivre".to_owned(),
            Reason::CallbackDue => "rappel prévu cette semaine".to_owned(),
            Reason::NotReachedLastWeek => "non joint la semaine dernière".to_owned(),
            Reason::FirstCall => "premier appel".to_owned(),
            Reason::SameCaller { week } => format!("même appelant qu'en {week}"),
            Reason::Language { language } => format!("parle {}", language_name_fr(language)),
            Reason::SameTerritory => "appelant du même territoire".to_owned(),
            Reason::WeeklyCall => "appel hebdomadaire".to_owned(),
        }
    }

    /// French label of a reason code, for counts ("explain").
    pub fn label_fr(code: &str) -> &'static str {
        match code {
            "kept_already_called" => "conservé : déjà appelé cette semaine",
            "kept_planned" => "conservé : déjà prévu cette semaine",
            "reassigned_caller_absent" => "réaffecté : appelant absent cette semaine",
            "reassigned_caller_full" => "réaffecté : appelant complet",
            "reassigned_language" => "réaffecté : l'appelant précédent ne parle pas sa langue",
            "open_need" => "besoin en cours à suivre",
            "callback_due" => "rappel prévu cette semaine",
            "not_reached_last_week" => "non joint la semaine dernière",
            "first_call" => "premier appel",
            "same_caller" => "même appelant que la dernière fois",
            "language" => "parle une autre langue que le français",
            "same_territory" => "appelant du même territoire",
            "weekly_call" => "appel hebdomadaire",
            _ => "",
        }
    }
}

/// Serialised as `{"code": …, "text": …}` plus `week` / `language` when
/// the reason carries one.
impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", self.code())?;
        m.serialize_entry("text", &self.text())?;
        match self {
            Reason::SameCaller { week } => m.serialize_entry("week", &week.to_string())?,
            Reason::Language { language } | Reason::ReassignedLanguage { language } => {
                m.serialize_entry("language", language.as_str())?
            }
            _ => {}
        }
        m.end()
    }
}

/// Why an eligible beneficiary has no caller this week.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnassignedReason {
    /// Not enough room: needier beneficiaries took the capacity.
    NoCapacity,
    /// No available caller (capacity > 0) speaks the beneficiary's
    /// language.
    NoCallerForLanguage { language: LanguageCode },
    /// Rebalance only: the beneficiary had no assignment before the
    /// rebalance, which does not plan new people (run a plan for that).
    NotPlanned,
}

impl UnassignedReason {
    /// Every code.
    pub const CODES: [&'static str; 3] = ["no_capacity", "no_caller_for_language", "not_planned"];

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            UnassignedReason::NoCapacity => "no_capacity",
            UnassignedReason::NoCallerForLanguage { .. } => "no_caller_for_language",
            UnassignedReason::NotPlanned => "not_planned",
        }
    }

    /// French sentence for coordinators.
    pub fn text(&self) -> String {
        match self {
            UnassignedReason::NoCapacity => {
                "non affecté : capacité insuffisante cette semaine (des personnes prioritaires ont été servies d'abord)".to_owned()
            }
            UnassignedReason::NoCallerForLanguage { language } => format!(
                "non affecté : aucun appelant disponible ne parle {}",
                language_name_fr(language)
            ),
            UnassignedReason::NotPlanned => {
                "non affecté : pas encore planifié cette semaine".to_owned()
            }
        }
    }

    /// French label of a code, for counts.
    pub fn label_fr(code: &str) -> &'static str {
        match code {
            "no_capacity" => "capacité insuffisante",
            "no_caller_for_language" => "aucun appelant ne parle sa langue",
            "not_planned" => "pas encore planifié",
            _ => "",
        }
    }
}

impl Serialize for UnassignedReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", self.code())?;
        m.serialize_entry("text", &self.text())?;
        if let UnassignedReason::NoCallerForLanguage { language } = self {
            m.serialize_entry("language", language.as_str())?;
        }
        m.end()
    }
}

/// Why an existing, not yet called assignment disappears (deleted, or
/// replaced by an assignment to another caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RemovalCause {
    /// The beneficiary is no longer eligible (not in the input).
    NotEligible,
    /// A second row for the same beneficiary and week.
    Duplicate,
    /// The caller is inactive or has capacity 0 this week.
    CallerUnavailable,
    /// The caller does not speak the beneficiary's language.
    LanguageMismatch,
    /// The beneficiary is left without caller (capacity shortfall).
    NoCapacity,
    /// The caller's room was needed (capacity reduced, or the caller is one
    /// of the few who can serve another beneficiary).
    CallerFull,
}

impl RemovalCause {
    /// Every cause, in the order of [`RemovalCause::CODES`].
    pub const ALL: [RemovalCause; 6] = [
        RemovalCause::NotEligible,
        RemovalCause::Duplicate,
        RemovalCause::CallerUnavailable,
        RemovalCause::LanguageMismatch,
        RemovalCause::NoCapacity,
        RemovalCause::CallerFull,
    ];

    /// Every code.
    pub const CODES: [&'static str; 6] = [
        "not_eligible",
        "duplicate",
        "caller_unavailable",
        "language_mismatch",
        "no_capacity",
        "caller_full",
    ];

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            RemovalCause::NotEligible => "not_eligible",
            RemovalCause::Duplicate => "duplicate",
            RemovalCause::CallerUnavailable => "caller_unavailable",
            RemovalCause::LanguageMismatch => "language_mismatch",
            RemovalCause::NoCapacity => "no_capacity",
            RemovalCause::CallerFull => "caller_full",
        }
    }

    /// French sentence for coordinators.
    pub fn text(&self) -> &'static str {
        match self {
            RemovalCause::NotEligible => {
                "retiré : ne fait plus partie de la population de la campagne"
            }
            RemovalCause::Duplicate => "retiré : affectation en double",
            RemovalCause::CallerUnavailable => "retiré : appelant absent cette semaine",
            RemovalCause::LanguageMismatch => {
                "retiré : l'appelant ne parle pas la langue du bénéficiaire"
            }
            RemovalCause::NoCapacity => {
                "retiré : capacité insuffisante, des personnes prioritaires ont été servies d'abord"
            }
            RemovalCause::CallerFull => "retiré : la place de l'appelant était nécessaire",
        }
    }
}

impl Serialize for RemovalCause {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", self.code())?;
        m.serialize_entry("text", self.text())?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ar() -> LanguageCode {
        LanguageCode::parse("ar").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn texts() {
        let w = IsoWeek::parse("2026-W47").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            Reason::SameCaller { week: w }.text(),
            "même appelant qu'en 2026-W47"
        );
        assert_eq!(
            Reason::NotReachedLastWeek.text(),
            "non joint la semaine dernière"
        );
        assert_eq!(
            Reason::ReassignedCallerAbsent.text(),
            "réaffecté : appelant absent cette semaine"
        );
        assert_eq!(
            Reason::ReassignedCallerFull.text(),
            "réaffecté : appelant complet"
        );
        assert_eq!(Reason::CallbackDue.text(), "rappel prévu cette semaine");
        assert_eq!(Reason::OpenNeed.text(), "besoin en cours à suivre");
        assert_eq!(Reason::FirstCall.text(), "premier appel");
        assert_eq!(
            Reason::KeptAlreadyCalled.text(),
            "conservé : déjà appelé cette semaine"
        );
        assert_eq!(Reason::Language { language: ar() }.text(), "parle arabe");
        assert_eq!(
            UnassignedReason::NoCallerForLanguage { language: ar() }.text(),
            "non affecté : aucun appelant disponible ne parle arabe"
        );
        let json = serde_json::to_string(&Reason::SameCaller { week: w })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            json,
            r#"{"code":"same_caller","text":"même appelant qu'en 2026-W47","week":"2026-W47"}"#
        );
    }

    #[test]
    fn codes_are_listed_and_labelled() {
        for c in Reason::CODES {
            assert!(!Reason::label_fr(c).is_empty(), "{c}");
        }
        for c in UnassignedReason::CODES {
            assert!(!UnassignedReason::label_fr(c).is_empty(), "{c}");
        }
        let all = RemovalCause::ALL;
        let codes: Vec<&str> = all.iter().map(|c| c.code()).collect();
        assert_eq!(codes, RemovalCause::CODES);
        let unknown = LanguageCode::parse("zu").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(language_name_fr(&unknown), "la langue « zu »");
    }
}
