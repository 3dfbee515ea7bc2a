//! Campaign settings for coordinators: title, coordinator address, calling hours and the
//! retry rules the callers' queues follow.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Weekday;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::CoordinatorOrAdmin;
use super::AppState;
use crate::calling::hours::CallingHours;
use crate::domain::{CampaignName, EmailAddress, Weekdays};
use crate::store::{
    Campaign, CampaignOverview, CampaignSettings, MAX_ATTEMPTS_RANGE, RETRY_GAP_RANGE,
};

/// Monday first, with the catalogue key of each day's name.
const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "day.mon"),
    (Weekday::Tue, "day.tue"),
    (Weekday::Wed, "day.wed"),
    (Weekday::Thu, "day.thu"),
    (Weekday::Fri, "day.fri"),
    (Weekday::Sat, "day.sat"),
    (Weekday::Sun, "day.sun"),
];

pub struct DayBox {
    pub value: u8,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct CampaignsPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignOverview>,
}

#[derive(Template)]
#[template(path = "campaign_settings.html")]
struct SettingsPage {
    tr: Tr,
    nav: Nav,
    name: String,
    title: String,
    coordinator_email: String,
    days: Vec<DayBox>,
    windows: String,
    max_attempts: String,
    retry_gap: String,
    errors: Vec<String>,
    saved: bool,
}

fn day_boxes(tr: Tr, days: Weekdays) -> Vec<DayBox> {
    DAYS.iter()
        .map(|(day, key)| DayBox {
            value: day.num_days_from_monday() as u8,
            label: tr.t(key),
            checked: days.contains(*day),
        })
        .collect()
}

fn settings_page(tr: Tr, nav: Nav, campaign: &Campaign, saved: bool) -> SettingsPage {
    let hours = campaign.calling_hours();
    SettingsPage {
        tr,
        nav,
        name: campaign.name.clone(),
        title: campaign.title.clone(),
        coordinator_email: campaign.coordinator_email.clone().unwrap_or_default(),
        days: day_boxes(tr, hours.weekdays()),
        windows: hours.windows_text(),
        max_attempts: campaign.max_attempts_per_week.to_string(),
        retry_gap: campaign.retry_gap_minutes.to_string(),
        errors: Vec::new(),
        saved,
    }
}

/// `GET /coordination/campaigns`: every campaign, with a link to its settings.
pub async fn index(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let page = CampaignsPage {
        tr: lang.tr(),
        nav: user.nav(),
        campaigns: state.store.list_campaigns().await?,
    };
    html_page(&req, &page)
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

async fn campaign_named(state: &AppState, name: &str) -> Result<Campaign, AppError> {
    let name = CampaignName::parse(name).map_err(|_| AppError::NotFound)?;
    Ok(state.store.campaign_by_name(&name).await?)
}

/// `GET /coordination/campaigns/{name}`: the settings form.
pub async fn settings(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<SettingsQuery>,
) -> Result<HttpResponse, AppError> {
    let campaign = campaign_named(&state, &name).await?;
    let saved = query.done.as_deref() == Some("saved");
    html_page(
        &req,
        &settings_page(lang.tr(), user.nav(), &campaign, saved),
    )
}

/// The form as posted: days come as repeated `day=0…6` fields.
#[derive(Debug, Default)]
pub struct SettingsForm {
    pub csrf: String,
    pub title: String,
    pub coordinator_email: String,
    pub days: Vec<u8>,
    pub windows: String,
    pub max_attempts: String,
    pub retry_gap: String,
}

impl SettingsForm {
    /// Reads an urlencoded body (serde_urlencoded cannot gather repeated keys).
    pub fn from_body(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => form.csrf = value,
                "title" => form.title = value,
                "coordinator_email" => form.coordinator_email = value,
                "day" => form
                    .days
                    .extend(value.parse::<u8>().ok().filter(|d| *d < 7)),
                "windows" => form.windows = value,
                "max_attempts" => form.max_attempts = value,
                "retry_gap" => form.retry_gap = value,
                _ => {}
            }
        }
        form
    }

    /// The settings, or every problem in French.
    pub fn parse(&self) -> Result<CampaignSettings, Vec<String>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push("Le titre de la campagne doit compter de 1 à 200 caractères.".into());
        }
        let coordinator_email = match self.coordinator_email.trim() {
            "" => None,
            raw => match EmailAddress::parse(raw) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.push(format!("Adresse de coordination : {}", e.message_fr()));
                    None
                }
            },
        };
        let days: Weekdays = self
            .days
            .iter()
            .filter_map(|d| Weekday::try_from(*d).ok())
            .collect();
        let hours = CallingHours::parse(days, &self.windows)
            .map_err(|e| errors.push(e.message_fr()))
            .ok();
        let max_attempts = self
            .max_attempts
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| MAX_ATTEMPTS_RANGE.contains(n));
        if max_attempts.is_none() {
            errors.push(format!(
                "Le nombre de tentatives par semaine est un nombre entier de {} à {}.",
                MAX_ATTEMPTS_RANGE.start(),
                MAX_ATTEMPTS_RANGE.end()
            ));
        }
        let retry_gap = self
            .retry_gap
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|n| RETRY_GAP_RANGE.contains(n));
        if retry_gap.is_none() {
            errors.push(format!(
                "L'écart entre deux tentatives est un nombre de minutes de {} à {} (une semaine).",
                RETRY_GAP_RANGE.start(),
                RETRY_GAP_RANGE.end()
            ));
        }
        match (hours, max_attempts, retry_gap) {
            (Some(hours), Some(max_attempts_per_week), Some(retry_gap_minutes))
                if errors.is_empty() =>
            {
                Ok(CampaignSettings {
                    title,
                    coordinator_email,
                    hours,
                    max_attempts_per_week,
                    retry_gap_minutes,
                })
            }
            _ => Err(errors),
        }
    }
}

/// `POST /coordination/campaigns/{name}`: saves the settings (post/redirect/get), or
/// shows the form again with what to fix.
pub async fn save(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = SettingsForm::from_body(&body);
    user.check_csrf(&state, &form.csrf)?;
    let campaign = campaign_named(&state, &name).await?;
    match form.parse() {
        Ok(settings) => {
            state
                .store
                .update_campaign_settings(campaign.id, &settings)
                .await?;
            state
                .store
                .record_audit(&crate::store::AuditEvent::by_user(
                    user.user.id,
                    "campaign_settings_changed",
                    "campaign",
                    Some(campaign.id),
                ))
                .await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/coordination/campaigns/{}?done=saved", campaign.name),
                ))
                .finish())
        }
        Err(errors) => {
            let tr = lang.tr();
            let days: Weekdays = form
                .days
                .iter()
                .filter_map(|d| Weekday::try_from(*d).ok())
                .collect();
            let page = SettingsPage {
                days: day_boxes(tr, days),
                title: form.title.clone(),
                coordinator_email: form.coordinator_email.clone(),
                windows: form.windows.clone(),
                max_attempts: form.max_attempts.clone(),
                retry_gap: form.retry_gap.clone(),
                errors,
                ..settings_page(tr, user.nav(), &campaign, false)
            };
            let mut response = html_page(&req, &page)?;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(days: &[u8], windows: &str, attempts: &str, gap: &str) -> SettingsForm {
        SettingsForm {
            csrf: "x".into(),
            title: "Canicule".into(),
            coordinator_email: "coordination@departement.fr".into(),
            days: days.to_vec(),
            windows: windows.into(),
            max_attempts: attempts.into(),
            retry_gap: gap.into(),
        }
    }

    #[test]
    fn a_good_form_parses() {
        let s = form(&[0, 1, 2, 3, 4], "9h-12h, 14h-17h", "4", "90")
            .parse()
            .unwrap();
        assert_eq!(s.hours.weekdays(), Weekdays::monday_to_friday());
        assert_eq!(s.hours.windows_text(), "09:00-12:00,14:00-17:00");
        assert_eq!(s.max_attempts_per_week, 4);
        assert_eq!(s.retry_gap_minutes, 90);
        assert_eq!(
            s.coordinator_email.unwrap().as_str(),
            "coordination@departement.fr"
        );
    }

    #[test]
    fn every_problem_is_named() {
        let errors = form(&[], "matin", "0", "-5").parse().unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("jour"));
        assert!(errors[1].contains("tentatives"));
        assert!(errors[2].contains("minutes"));
        let mut bad_mail = form(&[5], "10:00-11:00", "3", "120");
        bad_mail.coordinator_email = "pas une adresse".into();
        assert_eq!(bad_mail.parse().unwrap_err().len(), 1);
    }

    #[test]
    fn repeated_day_fields_are_gathered() {
        let f = SettingsForm::from_body(
            b"csrf=t&title=Hebdo&day=0&day=2&day=9&windows=09%3A00-12%3A00&max_attempts=3&retry_gap=120",
        );
        assert_eq!(f.days, vec![0, 2]);
        assert_eq!(f.windows, "09:00-12:00");
        assert!(f.parse().is_ok());
    }
}
