//! The caller's own page (`/moi`, callers only), made for a phone: their absences
//! (declared here, the weeks already planned they touch rebalanced at once), their
//! weekly days and capacity (never above the coordinator's figure), and their own calls
//! of the last six weeks (first name and initial only, no phone, no note).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::callers::DAY_KEYS;
use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::Caller;
use super::AppState;
use crate::domain::{IsoWeek, Outcome, Weekdays};
use crate::store::{Absence, CallerError, ChangedBy, OwnCapacityError};

/// Texts of this page: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.me", "Ma page", "My page"),
    ("me.title", "Ma page", "My page"),
    ("me.absences", "Mes absences", "My absences"),
    ("me.no_absence", "Aucune absence à venir.", "No absence ahead."),
    ("me.from", "Premier jour d’absence", "First day away"),
    ("me.to", "Dernier jour d’absence (inclus)", "Last day away (included)"),
    ("me.declare", "Déclarer l’absence", "Declare the absence"),
    ("me.availability", "Mes disponibilités", "My availability"),
    ("me.days", "Jours où je peux appeler", "Days I can call"),
    ("me.capacity", "Appels par semaine", "Calls a week"),
    ("me.capacity_help", "De 0 au nombre fixé par la coordination :", "From 0 to the number the coordination set:"),
    ("me.save", "Enregistrer mes disponibilités", "Save my availability"),
    ("me.history", "Mes appels des six dernières semaines", "My calls of the last six weeks"),
    ("me.no_call", "Aucun appel sur ces semaines.", "No call in these weeks."),
    ("me.week", "Semaine", "Week"),
    ("me.done.absence", "Absence enregistrée.", "Absence recorded."),
    ("me.done.absence_rebalanced", "Absence enregistrée. Vos personnes pas encore appelées sur ces jours ont été confiées à d’autres appelants.", "Absence recorded. Your people not yet called on those days were handed to other callers."),
    ("me.mail", "Courriel de la semaine", "Weekly mail"),
    ("me.mail_help", "Recevoir un courriel « votre liste de la semaine est prête » quand la coordination enregistre le planning.", "Get a mail “your list for the week is ready” when the coordination records the plan."),
    ("me.mail_on", "Oui, m’envoyer ce courriel chaque semaine", "Yes, send me this mail every week"),
    ("me.mail_save", "Enregistrer mon choix", "Save my choice"),
    ("me.done.mail_on", "Vous recevrez le courriel de la semaine.", "You will get the weekly mail."),
    ("me.done.mail_off", "Vous ne recevrez plus le courriel de la semaine.", "You will no longer get the weekly mail."),
    ("me.done.saved", "Vos disponibilités sont enregistrées.", "Your availability is saved."),
    ("me.error.absence_inverted", "L’absence finit avant de commencer : donnez un dernier jour égal ou postérieur au premier. Rien n’a changé.", "The absence ends before it starts: give a last day on or after the first day. Nothing changed."),
    ("me.error.bad_date", "Donnez les deux dates au format AAAA-MM-JJ. Rien n’a changé.", "Give both dates as YYYY-MM-DD. Nothing changed."),
    ("me.error.capacity_out_of_range", "Le nombre d’appels par semaine doit aller de 0 au nombre fixé par la coordination (indiqué sous le champ). Pour plus, demandez à la coordination. Rien n’a changé.", "The calls a week must be from 0 to the number the coordination set (shown under the field). For more, ask the coordination. Nothing changed."),
];

/// How many weeks of history the page shows (this one included).
const HISTORY_WEEKS: i64 = 6;

/// Registers the page and its two forms, for `Caller`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/moi", web::get().to(page))
        .route("/moi/absences", web::post().to(declare_absence))
        .route("/moi/disponibilites", web::post().to(save_availability))
        .route("/moi/courriel", web::post().to(set_mail));
}

/// A message key of `me.done.*` or `me.error.*`, from the query string.
fn known_key(prefix: &str, code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    TEXTS
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| k.strip_prefix(prefix) == Some(code))
}

fn back(query: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/moi?{query}")))
        .finish()
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    done: Option<String>,
    error: Option<String>,
}

/// One call of the history, as shown.
pub struct HistoryLine {
    pub date: String,
    pub person: String,
    pub outcome: &'static str,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    tr: Tr,
    nav: Nav,
    absences: Vec<Absence>,
    days: Vec<(u8, &'static str, bool)>,
    capacity: i32,
    ceiling: i32,
    weekly_list_mail: bool,
    history: Vec<(String, Vec<HistoryLine>)>,
    done: Option<&'static str>,
    error: Option<&'static str>,
}

/// `GET /moi`: the caller's absences, availability and recent calls.
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let own = state
        .store
        .own_availability(caller.caller_id)
        .await
        .map_err(caller_error)?;
    let bits = Weekdays::from_bits(own.available_weekdays.clamp(0, 127) as u8)
        .unwrap_or_else(|_| Weekdays::all());
    let today = crate::domain::time::today_in_paris();
    let page = MePage {
        tr,
        nav: caller.user.nav(),
        absences: state.store.caller_absences(caller.caller_id, today).await?,
        days: DAY_KEYS
            .iter()
            .map(|(d, key)| (d.num_days_from_monday() as u8, *key, bits.contains(*d)))
            .collect(),
        capacity: own.weekly_capacity,
        ceiling: own.ceiling,
        weekly_list_mail: own.weekly_list_mail,
        history: history(&state, tr, caller.caller_id).await?,
        done: known_key("me.done.", query.done.as_deref()),
        error: known_key("me.error.", query.error.as_deref()),
    };
    html_page(&req, &page)
}

/// The caller's calls of the last weeks, grouped by week, newest first.
async fn history(
    state: &AppState,
    tr: Tr,
    caller_id: i64,
) -> Result<Vec<(String, Vec<HistoryLine>)>, AppError> {
    let current = IsoWeek::current();
    let first = current.offset(1 - HISTORY_WEEKS).unwrap_or(current);
    let calls = state.store.own_calls(caller_id, first.starts_at()).await?;
    let mut weeks: Vec<(String, Vec<HistoryLine>)> = Vec::new();
    for call in calls {
        let local = call.called_at.with_timezone(&crate::domain::time::PARIS);
        let week = IsoWeek::from_date(local.date_naive()).to_string();
        let initial: String = call.last_name.chars().take(1).collect();
        let line = HistoryLine {
            date: local.format("%Y-%m-%d %H:%M").to_string(),
            person: format!("{} {initial}.", call.first_name),
            outcome: outcome_label(tr, &call.outcome),
        };
        match weeks.last_mut() {
            Some((w, lines)) if *w == week => lines.push(line),
            _ => weeks.push((week, vec![line])),
        }
    }
    Ok(weeks)
}

fn outcome_label(tr: Tr, code: &str) -> &'static str {
    match Outcome::parse(code) {
        Ok(o) => match tr.lang {
            Lang::Fr => o.label_fr(),
            Lang::En => o.label_en(),
        },
        Err(_) => "?",
    }
}

fn caller_error(e: CallerError) -> AppError {
    match e {
        CallerError::Store(e) => e.into(),
        _ => AppError::NotFound,
    }
}

#[derive(Deserialize)]
pub struct AbsenceForm {
    csrf: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// `POST /moi/absences`: records the absence; the weeks already planned it touches are
/// rebalanced at once (the caller cannot confirm moves of others' lists, and their
/// people must not wait for them).
pub async fn declare_absence(
    caller: Caller,
    state: web::Data<AppState>,
    form: web::Form<AbsenceForm>,
) -> Result<HttpResponse, AppError> {
    caller.user.check_csrf(&state, &form.csrf)?;
    let (Ok(from), Ok(to)) = (
        NaiveDate::parse_from_str(form.from.trim(), "%Y-%m-%d"),
        NaiveDate::parse_from_str(form.to.trim(), "%Y-%m-%d"),
    ) else {
        return Ok(back("error=bad_date"));
    };
    let id = caller.caller_id;
    let by = ChangedBy(Some(caller.user.user.id));
    match state.store.record_absence(id, from, to, by).await {
        Ok(_) => {}
        Err(CallerError::AbsenceEndsBeforeStart { .. }) => {
            return Ok(back("error=absence_inverted"))
        }
        Err(e) => return Err(caller_error(e)),
    }
    let weeks = state.store.weeks_touched(id, from, to).await?;
    if weeks.is_empty() {
        return Ok(back("done=absence"));
    }
    state.store.rebalance_weeks(&weeks).await?;
    Ok(back("done=absence_rebalanced"))
}

/// The availability form as posted: days come as repeated `day=0…6` fields.
#[derive(Debug, Default)]
struct AvailabilityForm {
    csrf: String,
    capacity: String,
    days: Vec<u8>,
}

impl AvailabilityForm {
    fn from_body(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "csrf" => form.csrf = value,
                "capacity" => form.capacity = value,
                "day" => form
                    .days
                    .extend(value.parse::<u8>().ok().filter(|d| *d < 7)),
                _ => {}
            }
        }
        form
    }

    fn weekdays(&self) -> Weekdays {
        DAY_KEYS
            .iter()
            .filter(|(d, _)| self.days.contains(&(d.num_days_from_monday() as u8)))
            .map(|(d, _)| *d)
            .collect()
    }
}

/// `POST /moi/disponibilites`: the caller's days and capacity, within the coordinator's
/// figure.
pub async fn save_availability(
    caller: Caller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = AvailabilityForm::from_body(&body);
    caller.user.check_csrf(&state, &form.csrf)?;
    let Ok(capacity) = form.capacity.trim().parse::<i64>() else {
        return Ok(back("error=capacity_out_of_range"));
    };
    let by = ChangedBy(Some(caller.user.user.id));
    match state
        .store
        .update_own_availability(caller.caller_id, form.weekdays(), capacity, by)
        .await
    {
        Ok(()) => Ok(back("done=saved")),
        Err(OwnCapacityError::OutOfRange { .. }) => Ok(back("error=capacity_out_of_range")),
        Err(OwnCapacityError::Caller(e)) => Err(caller_error(e)),
    }
}

#[derive(Deserialize)]
pub struct MailForm {
    csrf: String,
    #[serde(default)]
    weekly_list_mail: Option<String>,
}

/// `POST /moi/courriel`: opts in or out of the weekly mail "your list is ready".
pub async fn set_mail(
    caller: Caller,
    state: web::Data<AppState>,
    form: web::Form<MailForm>,
) -> Result<HttpResponse, AppError> {
    caller.user.check_csrf(&state, &form.csrf)?;
    let on = form.weekly_list_mail.as_deref() == Some("on");
    let by = ChangedBy(Some(caller.user.user.id));
    state
        .store
        .set_weekly_list_mail(caller.caller_id, on, by)
        .await
        .map_err(caller_error)?;
    Ok(back(if on { "done=mail_on" } else { "done=mail_off" }))
}
