//! One person's page (`/coordination/personnes/{id}`): who they are, their phones,
//! weeks, calls, escalations and history, and the forms of the changes a coordinator
//! makes (see `store::person_edits`). Its texts are in `web::people::TEXTS`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::people::{coded_label as label, editor, field, form_fields, Choice};
use super::roles::CoordinatorOrAdmin;
use super::session::CurrentUser;
use super::AppState;
use crate::domain::time::{today_in_paris, PARIS};
use crate::domain::{IsoWeek, Phone};
use crate::records::escalations::shown_description;
use crate::store::{PersonChange, PersonEdit, PersonFile, PersonRefused};

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    version: String,
    name: String,
    facts: Vec<(String, String)>,
    phones: Vec<String>,
    phone_choices: Vec<Choice>,
    relative: String,
    campaigns: Vec<String>,
    this_week: Vec<String>,
    /// week, campaign, caller, status, attempts, reason
    weeks: Vec<[String; 6]>,
    /// when, caller, outcome, notes
    calls: Vec<[String; 4]>,
    /// when, need, urgency, status
    escalations: Vec<[String; 4]>,
    /// when, who, what, detail
    history: Vec<[String; 4]>,
    is_final: bool,
    /// Admins may erase the person (the rights section of the page).
    is_admin: bool,
    territories: Vec<Choice>,
    callers: Vec<Choice>,
    today: String,
    /// The catalogue key of the sentence that says what was just done.
    done: Option<&'static str>,
    refused: Option<&'static str>,
}

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn moment(at: DateTime<Utc>) -> String {
    at.with_timezone(&PARIS)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn or_dash(v: Option<String>) -> String {
    v.filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "—".into())
}

/// Identity facts, as (label, value) lines.
fn facts(tr: Tr, f: &PersonFile) -> Vec<(String, String)> {
    let p = &f.person;
    let mut status = label(tr, p.status);
    if let Some(at) = p.status_changed_at {
        status = format!("{status} ({} {})", tr.t("people.since"), moment(at));
    }
    let place = [p.postal_code.clone(), p.commune.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines = vec![
        ("people.reference", or_dash(p.external_ref.clone())),
        ("people.birth_date", or_dash(p.birth_date.map(day))),
        ("people.address", or_dash(p.address.clone())),
        ("people.commune", or_dash(Some(place))),
        ("people.language", p.preferred_language.clone()),
        ("people.territory", or_dash(p.territory.clone())),
        ("people.status", status),
    ];
    if let Some(until) = p.paused_until.filter(|u| *u >= today_in_paris()) {
        lines.push(("people.paused_until", day(until)));
    }
    if let Some(caller) = &p.continuity_caller {
        lines.push(("people.continuity", caller.clone()));
    }
    lines
        .into_iter()
        .map(|(k, v)| (tr.t(k).to_string(), v))
        .collect()
}

fn phone_text(tr: Tr, e164: &str, kind: &str, wrong: Option<DateTime<Utc>>) -> String {
    let shown = Phone::parse(e164)
        .map(|p| p.national_display())
        .unwrap_or_else(|_| e164.to_string());
    let kind = match kind {
        "mobile" | "landline" | "other" => tr.t(&format!("people.phone.kind.{kind}")),
        _ => "",
    };
    match wrong {
        Some(at) => format!(
            "{shown} ({kind}) — {} {}",
            tr.t("people.phone.wrong"),
            moment(at)
        ),
        None => format!("{shown} ({kind})"),
    }
}

/// The lists of the page: weeks, calls, escalations, history.
fn fill_lists(tr: Tr, f: &PersonFile, page: &mut PersonPage) {
    page.weeks = f
        .weeks
        .iter()
        .map(|w| {
            let status = tr.t(&format!("people.assignment.{}", w.status)).to_string();
            [
                w.week.clone(),
                w.campaign.clone(),
                w.caller.clone(),
                status,
                w.attempts.to_string(),
                match tr.lang {
                    // The stored sentence may say more than the code (French only).
                    Lang::Fr => w.reason.clone(),
                    Lang::En => {
                        super::planning::explain_label(tr.lang, "assignment", &w.reason_code)
                    }
                },
            ]
        })
        .collect();
    page.calls = f
        .calls
        .iter()
        .map(|c| {
            let outcome = label(tr, c.outcome);
            [
                moment(c.called_at),
                c.caller.clone(),
                outcome,
                or_dash(c.notes.clone()),
            ]
        })
        .collect();
    page.escalations = f
        .escalations
        .iter()
        .map(|e| {
            let english = tr.lang == Lang::En;
            let description = shown_description(e.kind, &e.description, english);
            let need = format!("{} — {}", label(tr, e.category), description);
            [
                moment(e.created_at),
                need,
                label(tr, e.urgency),
                label(tr, e.status),
            ]
        })
        .collect();
    page.history = f
        .history
        .iter()
        .map(|h| {
            let key = format!("people.audit.{}", h.action);
            let what = match tr.t(&key) {
                "???" => h.action.clone(),
                text => text.to_string(),
            };
            let detail = h.detail.clone().unwrap_or_default();
            [moment(h.at), h.actor.clone(), what, detail]
        })
        .collect();
}

/// The page of one person, from their file.
async fn person_page(
    state: &AppState,
    tr: Tr,
    user: &CurrentUser,
    f: &PersonFile,
) -> Result<PersonPage, AppError> {
    let p = &f.person;
    let week = IsoWeek::from_date(today_in_paris());
    let mut territories: Vec<(i64, String)> =
        state.store.territory_names().await?.into_iter().collect();
    territories.sort_by(|a, b| a.1.cmp(&b.1));
    let mut page = PersonPage {
        tr,
        nav: user.nav(),
        id: p.id,
        version: p.version.clone(),
        name: format!("{} {}", p.last_name, p.first_name),
        facts: facts(tr, f),
        phones: f
            .phones
            .iter()
            .map(|ph| phone_text(tr, &ph.e164, &ph.kind, ph.wrong_reported_at))
            .collect(),
        phone_choices: f
            .phones
            .iter()
            .map(|ph| Choice {
                value: ph.position.to_string(),
                label: phone_text(tr, &ph.e164, &ph.kind, ph.wrong_reported_at),
                selected: ph.wrong_reported_at.is_some(),
            })
            .collect(),
        relative: relative(p.relative_name.clone(), p.relative_phone.as_deref()),
        campaigns: f
            .campaigns
            .iter()
            .map(|c| match c.left_at {
                Some(at) => format!("{} ({} {})", c.campaign, tr.t("people.left"), moment(at)),
                None => c.campaign.clone(),
            })
            .collect(),
        this_week: f
            .this_week(week)
            .iter()
            .map(|w| format!("{} — {} ({})", w.campaign, w.caller, w.caller_email))
            .collect(),
        weeks: Vec::new(),
        calls: Vec::new(),
        escalations: Vec::new(),
        history: Vec::new(),
        is_final: p.status.is_final(),
        is_admin: user.role() == crate::domain::Role::Admin,
        territories: territories
            .into_iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name,
                selected: Some(id) == p.territory_id,
            })
            .collect(),
        callers: state
            .store
            .handover_choices()
            .await?
            .into_iter()
            .map(|(_, name, email)| Choice {
                label: format!("{name} ({email})"),
                value: email,
                selected: false,
            })
            .collect(),
        today: today_in_paris().to_string(),
        done: None,
        refused: None,
    };
    fill_lists(tr, f, &mut page);
    Ok(page)
}

fn relative(name: Option<String>, phone: Option<&str>) -> String {
    let phone = phone.map(|p| {
        Phone::parse(p)
            .map(|p| p.national_display())
            .unwrap_or_else(|_| p.to_string())
    });
    let parts: Vec<String> = [name, phone].into_iter().flatten().collect();
    or_dash(Some(parts.join(" — ")))
}

#[derive(Deserialize)]
pub struct PersonQuery {
    done: Option<String>,
}

/// Reads the person's file (audited) and renders the page, with a refusal if any.
pub(super) async fn render(
    req: &HttpRequest,
    state: &AppState,
    tr: Tr,
    user: &CurrentUser,
    id: i64,
    done: Option<&'static str>,
    refused: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let file = state
        .store
        .person_file(id, editor(user))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = person_page(state, tr, user, &file).await?;
    page.done = done;
    page.refused = refused;
    html_page(req, &page)
}

/// `GET /coordination/personnes/{id}`: the person's page (opening it is audited).
pub async fn person(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PersonQuery>,
) -> Result<HttpResponse, AppError> {
    let done = query.done.as_ref().map(|_| "people.done");
    render(&req, &state, lang.tr(), &user, *id, done, None).await
}

/// The change a form asks for, or the catalogue key of why it cannot be read.
async fn parse_change(
    state: &AppState,
    form: &std::collections::HashMap<String, String>,
) -> Result<PersonChange, &'static str> {
    Ok(match field(form, "action") {
        "phone" => PersonChange::Phone {
            position: field(form, "position").parse().ok(),
            phone: Phone::parse(field(form, "phone"))
                .map_err(|_| "people.refused.phone_invalid")?,
        },
        "territory" => PersonChange::Territory {
            territory_id: field(form, "territory").parse().ok(),
        },
        "pause" => PersonChange::Pause {
            until: NaiveDate::parse_from_str(field(form, "until"), "%Y-%m-%d")
                .map_err(|_| "people.refused.pause_date")?,
        },
        "opt_out" => PersonChange::OptOut,
        "deceased" => PersonChange::Deceased,
        "handover" => PersonChange::Handover {
            caller_id: state
                .store
                .caller_for_handover(field(form, "caller"))
                .await
                .map_err(|e| e.message_key())?,
            from_now_on: field(form, "scope") == "from_now_on",
        },
        _ => return Err("error.bad_request.text"),
    })
}

/// `POST /coordination/personnes/{id}`: one change (post/redirect/get), or the page
/// again with the sentence that says why nothing changed.
pub async fn change(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = form_fields(&body);
    user.check_csrf(&state, field(&form, "csrf"))?;
    let id = *id;
    let refused = match parse_change(&state, &form).await {
        Err(key) => PersonRefusal::Key(key),
        Ok(change) => {
            let edit = PersonEdit {
                person_id: id,
                version: field(&form, "version"),
                reason: field(&form, "reason"),
                change,
                today: today_in_paris(),
            };
            match state.store.edit_person(&edit, editor(&user)).await {
                Ok(_) => {
                    return Ok(HttpResponse::SeeOther()
                        .insert_header((
                            header::LOCATION,
                            format!("/coordination/personnes/{id}?done=1"),
                        ))
                        .finish())
                }
                Err(PersonRefused::NotFound) => return Err(AppError::NotFound),
                Err(PersonRefused::Store(e)) => return Err(e.into()),
                Err(PersonRefused::Stale) => PersonRefusal::Stale,
                Err(other) => PersonRefusal::Key(other.message_key()),
            }
        }
    };
    let (status, key) = match refused {
        PersonRefusal::Stale => (StatusCode::CONFLICT, "people.refused.stale"),
        PersonRefusal::Key(key) => (StatusCode::UNPROCESSABLE_ENTITY, key),
    };
    let mut response = render(&req, &state, lang.tr(), &user, id, None, Some(key)).await?;
    *response.status_mut() = status;
    Ok(response)
}

enum PersonRefusal {
    Stale,
    Key(&'static str),
}
