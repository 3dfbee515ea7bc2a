//! Campaign settings for coordinators: title, coordinator address, calling hours and the
//! retry rules the callers' queues follow.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, Weekday};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::CoordinatorOrAdmin;
use super::AppState;
use crate::calling::hours::CallingHours;
use crate::calling::scripts;
use crate::domain::{CampaignName, EmailAddress, Weekdays};
use crate::store::{
    AuditEvent, Campaign, CampaignOverview, CampaignSchedule, CampaignSettings, NewCampaign,
    MAX_ATTEMPTS_RANGE, RETRY_GAP_RANGE,
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
    /// The new campaign form: what to fix, and the values posted.
    errors: Vec<String>,
    schedule: ScheduleView,
    new_name: String,
    new_title: String,
    new_attempts: String,
}

fn campaigns_page(tr: Tr, nav: Nav, campaigns: Vec<CampaignOverview>) -> CampaignsPage {
    CampaignsPage {
        tr,
        nav,
        campaigns,
        errors: Vec::new(),
        schedule: ScheduleView::posted(&ScheduleFields::default(), None),
        new_name: String::new(),
        new_title: String::new(),
        new_attempts: "3".into(),
    }
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
    /// The catalogue key of what was just done (saved, created, archived…).
    notice: Option<&'static str>,
    schedule: ScheduleView,
    archived: bool,
}

/// The dates, cadence, description and script as the form shows them.
#[derive(Debug, Clone, Default)]
pub struct ScheduleView {
    pub description: String,
    pub starts: String,
    pub ends: String,
    pub cadence: String,
    pub script: String,
    /// The names `script` may take.
    pub scripts: Vec<&'static str>,
}

impl ScheduleView {
    fn of(campaign: &Campaign) -> Self {
        ScheduleView {
            description: campaign.description.clone().unwrap_or_default(),
            starts: campaign.starts_on.to_string(),
            ends: campaign.ends_on.map(|d| d.to_string()).unwrap_or_default(),
            cadence: campaign.cadence_weeks.to_string(),
            script: campaign.call_script.clone(),
            scripts: scripts::known_names(),
        }
    }

    /// What was posted, to show again with the errors.
    fn posted(fields: &ScheduleFields, current: Option<&Campaign>) -> Self {
        let base = current.map(Self::of).unwrap_or_else(|| ScheduleView {
            cadence: "1".into(),
            script: "hebdomadaire".into(),
            scripts: scripts::known_names(),
            ..ScheduleView::default()
        });
        let or = |posted: &Option<String>, kept: String| posted.clone().unwrap_or(kept);
        ScheduleView {
            description: or(&fields.description, base.description.clone()),
            starts: or(&fields.starts, base.starts.clone()),
            ends: or(&fields.ends, base.ends.clone()),
            cadence: or(&fields.cadence, base.cadence.clone()),
            script: or(&fields.script, base.script.clone()),
            scripts: base.scripts,
        }
    }
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

fn settings_page(
    tr: Tr,
    nav: Nav,
    campaign: &Campaign,
    notice: Option<&'static str>,
) -> SettingsPage {
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
        notice,
        schedule: ScheduleView::of(campaign),
        archived: campaign.archived_at.is_some(),
    }
}

/// `GET /coordination/campaigns`: every campaign, with a link to its settings.
pub async fn index(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let campaigns = state.store.list_campaigns().await?;
    html_page(&req, &campaigns_page(lang.tr(), user.nav(), campaigns))
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

pub(super) async fn campaign_named(state: &AppState, name: &str) -> Result<Campaign, AppError> {
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
    let notice = match query.done.as_deref() {
        Some("saved") => Some("settings.saved"),
        Some("created") => Some("campaign_edit.created"),
        Some("archived") => Some("campaign_edit.archived_done"),
        Some("unarchived") => Some("campaign_edit.unarchived_done"),
        _ => None,
    };
    html_page(
        &req,
        &settings_page(lang.tr(), user.nav(), &campaign, notice),
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
    pub schedule: ScheduleFields,
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
                "description" => form.schedule.description = Some(value),
                "starts" => form.schedule.starts = Some(value),
                "ends" => form.schedule.ends = Some(value),
                "cadence" => form.schedule.cadence = Some(value),
                "script" => form.schedule.script = Some(value),
                _ => {}
            }
        }
        form
    }

    /// The settings, or every problem in the page's language.
    pub fn parse(&self, lang: Lang) -> Result<CampaignSettings, Vec<String>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push(say(
                lang,
                "Le titre de la campagne doit compter de 1 à 200 caractères.".into(),
                "The campaign's title must have 1 to 200 characters.".into(),
            ));
        }
        let coordinator_email = match self.coordinator_email.trim() {
            "" => None,
            raw => match EmailAddress::parse(raw) {
                Ok(e) => Some(e),
                Err(e) => {
                    errors.push(say(
                        lang,
                        format!("Adresse de coordination : {}", e.message_fr()),
                        format!("Coordination address: {e}"),
                    ));
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
            .map_err(|e| errors.push(say(lang, e.message_fr(), e.to_string())))
            .ok();
        let max_attempts = self
            .max_attempts
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|n| MAX_ATTEMPTS_RANGE.contains(n));
        if max_attempts.is_none() {
            let (low, high) = (MAX_ATTEMPTS_RANGE.start(), MAX_ATTEMPTS_RANGE.end());
            errors.push(say(
                lang,
                format!(
                    "Le nombre de tentatives par semaine est un nombre entier de {low} à {high}."
                ),
                format!("The attempts per week are a whole number from {low} to {high}."),
            ));
        }
        let retry_gap = self
            .retry_gap
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|n| RETRY_GAP_RANGE.contains(n));
        if retry_gap.is_none() {
            let (low, high) = (RETRY_GAP_RANGE.start(), RETRY_GAP_RANGE.end());
            errors.push(say(
                lang,
                format!("L'écart entre deux tentatives est un nombre de minutes de {low} à {high} (une semaine)."),
                format!("The gap between two attempts is a number of minutes from {low} to {high} (a week)."),
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

/// The settings fields of dates, cadence, description and script, as posted. A field
/// absent from the form keeps the campaign's value (a new campaign takes the defaults:
/// today, every week, the weekly script).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ScheduleFields {
    pub description: Option<String>,
    pub starts: Option<String>,
    pub ends: Option<String>,
    pub cadence: Option<String>,
    pub script: Option<String>,
}

/// A sentence in the page's language.
fn say(lang: Lang, fr: String, en: String) -> String {
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn parse_date(lang: Lang, raw: &str, fr: &str, en: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        say(
            lang,
            format!("La date {fr} « {} » n'est pas une date : écrivez-la AAAA-MM-JJ, par exemple 2026-07-01.", raw.trim()),
            format!("The {en} date “{}” is not a date: write it YYYY-MM-DD, e.g. 2026-07-01.", raw.trim()),
        )
    })
}

impl ScheduleFields {
    /// The first and last day (kept or posted), a problem added to `errors`.
    fn dates(
        &self,
        current: Option<&Campaign>,
        lang: Lang,
        errors: &mut Vec<String>,
    ) -> (Option<NaiveDate>, Option<Option<NaiveDate>>) {
        let starts_on = match self.starts.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(raw) => parse_date(lang, raw, "de début", "start")
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(current.map_or_else(crate::domain::time::today_in_paris, |c| c.starts_on)),
        };
        let ends_on = match self.ends.as_deref() {
            Some(raw) if raw.trim().is_empty() => Some(None),
            Some(raw) => parse_date(lang, raw, "de fin", "end")
                .map(Some)
                .map_err(|e| errors.push(e))
                .ok(),
            None => Some(current.and_then(|c| c.ends_on)),
        };
        if let (Some(start), Some(Some(end))) = (starts_on, ends_on) {
            if end < start {
                errors.push(say(
                    lang,
                    format!("La date de fin ({end}) précède la date de début ({start}) : choisissez une fin le {start} ou après, ou laissez-la vide."),
                    format!("The end date ({end}) comes before the start date ({start}): choose an end on {start} or later, or leave it empty."),
                ));
            }
        }
        (starts_on, ends_on)
    }

    /// The schedule, or every problem as a sentence. `current`: the campaign edited.
    pub fn parse(
        &self,
        current: Option<&Campaign>,
        lang: Lang,
    ) -> Result<CampaignSchedule, Vec<String>> {
        let mut errors = Vec::new();
        let description = match &self.description {
            Some(d) => Some(d.trim().to_string()).filter(|d| !d.is_empty()),
            None => current.and_then(|c| c.description.clone()),
        };
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 2000)
        {
            errors.push(say(
                lang,
                "La description compte au plus 2000 caractères : raccourcissez-la.".into(),
                "The description has at most 2000 characters: shorten it.".into(),
            ));
        }
        let (starts_on, ends_on) = self.dates(current, lang, &mut errors);
        let cadence = match self.cadence.as_deref() {
            Some(raw) => raw
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=8).contains(n)),
            None => Some(current.map_or(1, |c| c.cadence_weeks.clamp(1, 8) as u8)),
        };
        if cadence.is_none() {
            errors.push(say(
                lang,
                "La cadence est un nombre de semaines de 1 (chaque semaine) à 8.".into(),
                "The cadence is a number of weeks from 1 (every week) to 8.".into(),
            ));
        }
        let script = match self.script.as_deref() {
            Some(raw) => scripts::check_name(raw)
                .map(str::to_string)
                .map_err(|e| errors.push(say(lang, e.message_fr(), e.to_string())))
                .ok(),
            None => {
                Some(current.map_or_else(|| "hebdomadaire".to_string(), |c| c.call_script.clone()))
            }
        };
        match (starts_on, ends_on, cadence, script) {
            (Some(starts_on), Some(ends_on), Some(cadence_weeks), Some(call_script))
                if errors.is_empty() =>
            {
                Ok(CampaignSchedule {
                    description,
                    starts_on,
                    ends_on,
                    cadence_weeks,
                    call_script,
                })
            }
            _ => Err(errors),
        }
    }
}

/// `POST /coordination/campaigns/{name}`: saves the settings (post/redirect/get), or
/// shows the form again with what to fix, nothing changed.
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
    let parsed = form.parse(lang);
    let schedule = form.schedule.parse(Some(&campaign), lang);
    match (parsed, schedule) {
        (Ok(settings), Ok(schedule)) => {
            state
                .store
                .update_campaign_settings(campaign.id, &settings)
                .await?;
            state
                .store
                .update_campaign_schedule(campaign.id, &schedule)
                .await?;
            audit(&state, &user, "campaign_settings_changed", campaign.id).await?;
            Ok(see_other(&format!(
                "/coordination/campaigns/{}?done=saved",
                campaign.name
            )))
        }
        (parsed, schedule) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(schedule.err().unwrap_or_default());
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
                schedule: ScheduleView::posted(&form.schedule, Some(&campaign)),
                ..settings_page(tr, user.nav(), &campaign, None)
            };
            unprocessable(&req, &page)
        }
    }
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// The page again, with what to fix (422).
pub(super) fn unprocessable(
    req: &HttpRequest,
    page: &impl Template,
) -> Result<HttpResponse, AppError> {
    let mut response = html_page(req, page)?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

/// Notes a change to a campaign in the audit trail (ids only).
pub(super) async fn audit(
    state: &AppState,
    user: &super::session::CurrentUser,
    action: &str,
    campaign_id: i64,
) -> Result<(), AppError> {
    state
        .store
        .record_audit(&AuditEvent::by_user(
            user.user.id,
            action,
            "campaign",
            Some(campaign_id),
        ))
        .await?;
    Ok(())
}

/// The new campaign form, as posted on the campaigns page.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct CreateForm {
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub max_attempts: String,
    #[serde(flatten)]
    pub schedule: ScheduleFields,
}

/// What a valid new campaign form holds.
pub struct ParsedCreate {
    pub new: NewCampaign,
    pub max_attempts: u8,
}

impl CreateForm {
    /// The new campaign, or every problem as a sentence.
    pub fn parse(&self, lang: Lang) -> Result<ParsedCreate, Vec<String>> {
        let mut errors = Vec::new();
        let name = CampaignName::parse(self.name.trim())
            .map_err(|e| {
                errors.push(say(
                    lang,
                    format!("Nom court « {} » : {e}. Utilisez a-z, 0-9, « - » et « _ », par exemple canicule-2026.", self.name.trim()),
                    format!("Short name “{}”: {e}. Use a-z, 0-9, '-' and '_', e.g. heatwave-2026.", self.name.trim()),
                ))
            })
            .ok();
        let title = self.title.trim().to_string();
        if title.chars().count() > 200 {
            errors.push(say(
                lang,
                "Le titre compte au plus 200 caractères : raccourcissez-le.".into(),
                "The title has at most 200 characters: shorten it.".into(),
            ));
        }
        let attempts = match self.max_attempts.trim() {
            "" => Some(3),
            raw => raw
                .parse::<u8>()
                .ok()
                .filter(|n| MAX_ATTEMPTS_RANGE.contains(n)),
        };
        if attempts.is_none() {
            errors.push(say(
                lang,
                format!(
                    "Le nombre de tentatives par semaine est un nombre entier de {} à {}.",
                    MAX_ATTEMPTS_RANGE.start(),
                    MAX_ATTEMPTS_RANGE.end()
                ),
                format!(
                    "The attempts per week are a whole number from {} to {}.",
                    MAX_ATTEMPTS_RANGE.start(),
                    MAX_ATTEMPTS_RANGE.end()
                ),
            ));
        }
        let schedule = self
            .schedule
            .parse(None, lang)
            .map_err(|e| errors.extend(e))
            .ok();
        match (name, attempts, schedule) {
            (Some(name), Some(max_attempts), Some(s)) if errors.is_empty() => Ok(ParsedCreate {
                new: NewCampaign {
                    title: if title.is_empty() {
                        name.to_string()
                    } else {
                        title
                    },
                    name,
                    description: s.description,
                    starts_on: s.starts_on,
                    ends_on: s.ends_on,
                    cadence_weeks: s.cadence_weeks,
                    call_script: s.call_script,
                    coordinator_email: None,
                },
                max_attempts,
            }),
            _ => Err(errors),
        }
    }
}

/// `POST /coordination/campaigns`: creates a campaign, then shows its settings; or the
/// campaigns page again with what to fix, nothing created.
pub async fn create(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let refused = |errors: Vec<String>| CampaignsPage {
        errors,
        schedule: ScheduleView::posted(&form.schedule, None),
        new_name: form.name.clone(),
        new_title: form.title.clone(),
        new_attempts: form.max_attempts.clone(),
        ..campaigns_page(lang.tr(), user.nav(), Vec::new())
    };
    let parsed = match form.parse(lang) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let page = CampaignsPage {
                campaigns: state.store.list_campaigns().await?,
                ..refused(errors)
            };
            return unprocessable(&req, &page);
        }
    };
    let campaign = match state.store.create_campaign(&parsed.new).await {
        Ok(c) => c,
        Err(crate::store::StoreError::CampaignNameTaken(name)) => {
            let taken = say(
                lang,
                format!("Une campagne s'appelle déjà « {name} » : choisissez un autre nom court."),
                format!("A campaign is already named “{name}”: choose another short name."),
            );
            let page = CampaignsPage {
                campaigns: state.store.list_campaigns().await?,
                ..refused(vec![taken])
            };
            return unprocessable(&req, &page);
        }
        Err(e) => return Err(e.into()),
    };
    state
        .store
        .set_campaign_attempts(campaign.id, parsed.max_attempts)
        .await?;
    audit(&state, &user, "campaign_created", campaign.id).await?;
    Ok(see_other(&format!(
        "/coordination/campaigns/{}?done=created",
        campaign.name
    )))
}

#[derive(Deserialize)]
pub struct ArchiveForm {
    csrf: String,
    /// `true` archives, `false` brings the campaign back.
    #[serde(default)]
    archived: bool,
}

/// `POST /coordination/campaigns/{name}/archive`: archives the campaign (no more
/// planning, gone from the pickers) or brings it back.
pub async fn archive(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<ArchiveForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let campaign = campaign_named(&state, &name).await?;
    state
        .store
        .set_campaign_archived(campaign.id, form.archived)
        .await?;
    let (action, done) = if form.archived {
        ("campaign_archived", "archived")
    } else {
        ("campaign_unarchived", "unarchived")
    };
    audit(&state, &user, action, campaign.id).await?;
    Ok(see_other(&format!(
        "/coordination/campaigns/{}?done={done}",
        campaign.name
    )))
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
            schedule: ScheduleFields::default(),
        }
    }

    fn schedule(starts: &str, ends: &str, cadence: &str, script: &str) -> ScheduleFields {
        ScheduleFields {
            description: Some(" Plan canicule ".into()),
            starts: Some(starts.into()),
            ends: Some(ends.into()),
            cadence: Some(cadence.into()),
            script: Some(script.into()),
        }
    }

    #[test]
    fn a_good_schedule_parses() {
        let s = schedule("2026-06-15", "", "2", "canicule")
            .parse(None, Lang::Fr)
            .unwrap();
        assert_eq!(s.description.as_deref(), Some("Plan canicule"));
        assert_eq!(s.starts_on.to_string(), "2026-06-15");
        assert_eq!(s.ends_on, None);
        assert_eq!((s.cadence_weeks, s.call_script.as_str()), (2, "canicule"));
    }

    #[test]
    fn every_schedule_problem_is_a_sentence() {
        let errors = schedule("2026-09-01", "2026-08-01", "9", "hebdo")
            .parse(None, Lang::Fr)
            .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("précède"));
        assert!(errors[1].contains("cadence"));
        assert!(errors[2].contains("hebdomadaire, canicule"));
        let errors = schedule("1er juin", "", "1", "canicule")
            .parse(None, Lang::En)
            .unwrap_err();
        assert_eq!(
            errors,
            vec!["The start date “1er juin” is not a date: write it YYYY-MM-DD, e.g. 2026-07-01."]
        );
    }

    #[test]
    fn absent_schedule_fields_keep_the_defaults() {
        let s = ScheduleFields::default().parse(None, Lang::Fr).unwrap();
        assert_eq!(
            (s.cadence_weeks, s.call_script.as_str()),
            (1, "hebdomadaire")
        );
        assert_eq!(s.ends_on, None);
    }

    #[test]
    fn a_good_form_parses() {
        let s = form(&[0, 1, 2, 3, 4], "9h-12h, 14h-17h", "4", "90")
            .parse(Lang::Fr)
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
        let errors = form(&[], "matin", "0", "-5").parse(Lang::Fr).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("jour"));
        assert!(errors[1].contains("tentatives"));
        assert!(errors[2].contains("minutes"));
        let mut bad_mail = form(&[5], "10:00-11:00", "3", "120");
        bad_mail.coordinator_email = "pas une adresse".into();
        assert_eq!(bad_mail.parse(Lang::Fr).unwrap_err().len(), 1);
        let english = form(&[], "matin", "0", "-5").parse(Lang::En).unwrap_err();
        assert_eq!(english.len(), 3, "{english:?}");
        assert!(english[1].contains("attempts") && english[2].contains("minutes"));
        for said in english {
            assert!(
                !said.contains("tentatives") && !said.contains(" : "),
                "{said}"
            );
        }
    }

    #[test]
    fn repeated_day_fields_are_gathered() {
        let f = SettingsForm::from_body(
            b"csrf=t&title=Hebdo&day=0&day=2&day=9&windows=09%3A00-12%3A00&max_attempts=3&retry_gap=120",
        );
        assert_eq!(f.days, vec![0, 2]);
        assert_eq!(f.windows, "09:00-12:00");
        assert!(f.parse(Lang::Fr).is_ok());
    }
}
