//! The caller's workspace: "Mes appels du jour".

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::queue::{queue_facts, todays_queue, QueueScreen, TodayQueue};
use super::roles::Caller;
use super::session::CurrentUser;
use super::AppState;
use crate::calling::hours::CallingHours;
use crate::calling::queue::QueueGroup;
use crate::calling::scripts;
use crate::domain::time::PARIS;
use crate::domain::{CampaignName, LanguageCode, Outcome, Phone};
use crate::store::{CallError, CallInput, CallTarget, NeedInput, QueueRow};

/// A phone number as the page shows it: a `tel:` link and the national spelling.
pub struct PhoneLink {
    pub uri: String,
    pub display: String,
}

pub struct QueueItem {
    pub assignment_id: i64,
    pub group: &'static str,
    pub later_at: Option<String>,
    pub name: String,
    pub commune: String,
    pub campaign: String,
    pub language: Option<String>,
    pub phones: Vec<PhoneLink>,
    pub last_conversation: Option<String>,
    pub last_summary: Option<String>,
    pub open_needs: i64,
    pub attempts: i32,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    tr: Tr,
    nav: Nav,
    week: String,
    items: Vec<QueueItem>,
    assigned: i64,
    closed: i64,
    calling_now: bool,
    hours_text: String,
    next_opening: Option<String>,
    empty_reason: Option<&'static str>,
    next_due: Option<String>,
}

/// `tel:` links for stored E.164 numbers.
fn phone_links(phones: &[String]) -> Vec<PhoneLink> {
    phones
        .iter()
        .filter_map(|p| Phone::parse(p).ok())
        .map(|p| PhoneLink {
            uri: p.tel_uri(),
            display: p.national_display(),
        })
        .collect()
}

/// The language's French name when it is not French (the caller must speak it).
fn language_label(code: &str) -> Option<String> {
    LanguageCode::parse(code)
        .ok()
        .filter(|l| !l.is_french())
        .map(|l| l.name_fr().unwrap_or(l.as_str()).to_string())
}

fn paris_time(at: DateTime<Utc>, lang: Lang) -> String {
    let format = match lang {
        Lang::Fr => "%d/%m à %H:%M",
        Lang::En => "%d/%m at %H:%M",
    };
    at.with_timezone(&PARIS).format(format).to_string()
}

fn item(row: &QueueRow, now: DateTime<Utc>, lang: Lang) -> QueueItem {
    let facts = queue_facts(row);
    let group = facts.group(now);
    QueueItem {
        assignment_id: row.assignment_id,
        group: match lang {
            Lang::Fr => group.label_fr(),
            Lang::En => group.label_en(),
        },
        later_at: (group == QueueGroup::Later)
            .then(|| facts.due_at().map(|at| paris_time(at, lang)))
            .flatten(),
        name: format!("{} {}", row.first_name, row.last_name),
        commune: row.commune.clone().unwrap_or_default(),
        campaign: row.campaign_title.clone(),
        language: language_label(&row.preferred_language),
        phones: phone_links(&row.phones),
        last_conversation: row
            .last_conversation_at
            .map(|at| at.with_timezone(&PARIS).format("%d/%m/%Y").to_string()),
        last_summary: summary(
            row.last_conversation_outcome.map(Outcome::as_str),
            row.last_conversation_notes.as_deref(),
            lang,
        ),
        open_needs: row.open_needs,
        attempts: row.attempts,
    }
}

/// Longest note excerpt shown in a queue row.
const SUMMARY_CHARS: usize = 140;

/// "Joint – tout va bien : Sa fille passe le mardi…": the outcome's label and the start
/// of the notes of a conversation.
fn summary(outcome: Option<&str>, notes: Option<&str>, lang: Lang) -> Option<String> {
    let label = coded(outcome.and_then(|o| o.parse::<Outcome>().ok())?, lang);
    let notes = notes.map(str::trim).filter(|n| !n.is_empty());
    Some(match notes {
        None => label.to_string(),
        Some(n) if n.chars().count() > SUMMARY_CHARS => {
            let cut: String = n.chars().take(SUMMARY_CHARS).collect();
            format!("{label} : {}…", cut.trim_end())
        }
        Some(n) => format!("{label} : {n}"),
    })
}

/// `GET /appels`: the caller's people for today, in call order.
pub async fn queue(
    req: HttpRequest,
    lang: Lang,
    Caller { user, caller_id }: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let queue = todays_queue(&state, user.user.id, caller_id, QueueScreen::Page).await?;
    // Read with the rows for this screen (and on its own by the store when none is left).
    let progress = queue.progress.clone().unwrap_or_default();
    let hours = calling_hours(&state, &queue).await?;
    let items: Vec<QueueItem> = queue
        .rows
        .iter()
        .map(|r| item(r, queue.now, lang))
        .collect();
    let empty_reason = if !items.is_empty() {
        None
    } else if progress.assigned == 0 {
        Some("queue.empty.none")
    } else {
        Some("queue.empty.done")
    };
    let page = QueuePage {
        tr: lang.tr(),
        nav: user.nav(),
        week: queue.week.to_string(),
        items,
        assigned: progress.assigned,
        closed: progress.closed,
        calling_now: hours.iter().any(|h| h.is_open(queue.now)),
        hours_text: hours_text(&hours, lang),
        next_opening: next_opening(&hours, queue.now).map(|at| paris_time(at, lang)),
        empty_reason,
        next_due: queue.next_due().map(|at| paris_time(at, lang)),
    };
    html_page(&req, &page)
}

/// The calling hours of the queue's campaigns (the default campaign's when it is empty).
/// Each campaign has its own hours; with people of several campaigns, it is a good time
/// when it is for one of them.
async fn calling_hours(
    state: &AppState,
    queue: &TodayQueue,
) -> Result<Vec<CallingHours>, AppError> {
    let mut hours = queue.campaign_hours();
    if hours.is_empty() {
        let default = CampaignName::default_campaign();
        let campaign = state.store.campaign_by_name(&default).await?;
        hours.push(campaign.calling_hours());
    }
    Ok(hours)
}

fn hours_text(hours: &[CallingHours], lang: Lang) -> String {
    hours
        .iter()
        .map(|h| h.describe(lang == Lang::En))
        .collect::<Vec<_>>()
        .join(" ; ")
}

fn next_opening(hours: &[CallingHours], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    hours.iter().filter_map(|h| h.next_opening(now)).min()
}

/// The campaign's script as HTML, with the person's first name filled in (escaped):
/// the campaign's latest version edited in the browser, else the file script its
/// `call_script` names, else a sentence saying the script is unknown (never another
/// campaign's script).
async fn script_html(state: &AppState, target: &CallTarget, tr: Tr) -> Result<String, AppError> {
    let latest = state
        .store
        .latest_campaign_script(target.campaign_id)
        .await?;
    Ok(match latest {
        Some(version) => scripts::render(&version.body, &target.first_name),
        None => render_script(&target.call_script, &target.first_name)
            .unwrap_or_else(|| format!("<p>{}</p>", tr.t("calls.script_unknown"))),
    })
}

/// The file script `name` as HTML, with the person's first name filled in (escaped).
pub fn render_script(name: &str, first_name: &str) -> Option<String> {
    scripts::file_script(name).map(|markdown| scripts::render(markdown, first_name))
}

pub struct HistoryLine {
    pub when: String,
    pub outcome: String,
    pub notes: String,
}

pub struct NeedChoice {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "call.html")]
struct CallPage {
    tr: Tr,
    nav: Nav,
    assignment_id: i64,
    name: String,
    address: String,
    language: Option<String>,
    phones: Vec<PhoneLink>,
    campaign: String,
    closed: bool,
    attempts: i32,
    history: Vec<HistoryLine>,
    script_html: String,
    outcomes: Vec<(&'static str, &'static str)>,
    needs: Vec<NeedChoice>,
    urgencies: Vec<(&'static str, &'static str)>,
    idempotency_key: String,
    error: Option<String>,
    /// The person's escalations and what the territory did (the loop, closed).
    escalations: Vec<super::escalations::EscalationItem>,
    /// Unanswered calls in a row, when the person counts as unreachable.
    unreachable: Option<i64>,
    /// The relative to try when the person cannot be reached.
    relative: Option<(String, Option<PhoneLink>)>,
}

impl CallPage {
    /// An escalation of the person is still open: their list shows unfolded.
    fn open_escalation(&self) -> bool {
        self.escalations.iter().any(|e| !e.closed)
    }
}

/// What the page shows of the person's reachability: the unanswered calls in a row when
/// they count as unreachable, and the relative to try.
struct Reach {
    unreachable: Option<i64>,
    relative: Option<(String, Option<PhoneLink>)>,
}

#[allow(clippy::too_many_arguments)]
async fn call_page(
    req: &HttpRequest,
    lang: Lang,
    user: &CurrentUser,
    caller_id: i64,
    state: &AppState,
    assignment_id: i64,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let target = state
        .store
        .call_target(assignment_id, caller_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .record_contact_reads(user.user.id, &[target.beneficiary_id], "call_page")
        .await?;
    let history = history_lines(state, target.beneficiary_id, lang).await?;
    let escalations = escalation_items(state, target.beneficiary_id, lang).await?;
    let reach = reach(state, &target).await?;
    let page = CallPage {
        tr: lang.tr(),
        nav: user.nav(),
        assignment_id,
        name: format!("{} {}", target.first_name, target.last_name),
        address: full_address(&target),
        language: language_label(&target.preferred_language),
        phones: phone_links(&target.phones),
        campaign: target.campaign_title.clone(),
        closed: target.status == crate::domain::AssignmentStatus::Closed,
        attempts: target.attempts,
        history,
        script_html: script_html(state, &target, lang.tr()).await?,
        outcomes: outcome_choices(lang),
        needs: need_choices(lang),
        urgencies: urgency_choices(lang),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        error,
        escalations,
        unreachable: reach.unreachable,
        relative: reach.relative,
    };
    let mut response = html_page(req, &page)?;
    if page.error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// The person's last ten calls, newest first.
async fn history_lines(
    state: &AppState,
    beneficiary_id: i64,
    lang: Lang,
) -> Result<Vec<HistoryLine>, AppError> {
    let calls = state.store.call_history(beneficiary_id, 10).await?;
    Ok(calls
        .into_iter()
        .map(|c| HistoryLine {
            when: c
                .called_at
                .with_timezone(&PARIS)
                .format("%d/%m/%Y %H:%M")
                .to_string(),
            outcome: coded(c.outcome, lang).to_string(),
            notes: c.notes.unwrap_or_default(),
        })
        .collect())
}

/// Street, postal code and commune on one line.
fn full_address(target: &CallTarget) -> String {
    [
        target.address.clone(),
        target.postal_code.clone(),
        target.commune.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ")
}

/// The person's escalations and what the territory did (the loop, closed).
async fn escalation_items(
    state: &AppState,
    beneficiary_id: i64,
    lang: Lang,
) -> Result<Vec<super::escalations::EscalationItem>, AppError> {
    Ok(state
        .store
        .beneficiary_escalations(beneficiary_id, 10)
        .await?
        .iter()
        .map(|e| super::escalations::item(e, lang))
        .collect())
}

async fn reach(state: &AppState, target: &CallTarget) -> Result<Reach, AppError> {
    let reach = state
        .store
        .reachability(target.beneficiary_id, target.campaign_id)
        .await?;
    let relative = reach.try_relative().then(|| {
        (
            reach.relative_name.clone().unwrap_or_default(),
            phone_links(&reach.relative_phone.clone().into_iter().collect::<Vec<_>>())
                .into_iter()
                .next(),
        )
    });
    Ok(Reach {
        unreachable: (reach.unanswered >= reach.threshold).then_some(reach.unanswered),
        relative,
    })
}

/// The outcomes in the order the form offers them: the usual ones first, the final
/// ones (opt-out, death) last.
const OUTCOME_ORDER: [Outcome; 11] = [
    Outcome::ReachedOk,
    Outcome::ReachedNeed,
    Outcome::NoAnswer,
    Outcome::Voicemail,
    Outcome::Busy,
    Outcome::Callback,
    Outcome::WrongNumber,
    Outcome::Refused,
    Outcome::Paused,
    Outcome::OptOut,
    Outcome::Deceased,
];

/// A coded value's label in the page's language.
fn coded<T: crate::domain::Coded>(value: T, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => value.label_fr(),
        Lang::En => value.label_en(),
    }
}

fn outcome_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    OUTCOME_ORDER
        .iter()
        .map(|o| (o.as_str(), coded(*o, lang)))
        .collect()
}

fn need_choices(lang: Lang) -> Vec<NeedChoice> {
    crate::domain::NeedCategory::ALL
        .iter()
        .map(|n| NeedChoice {
            code: n.as_str(),
            label: coded(*n, lang),
        })
        .collect()
}

fn urgency_choices(lang: Lang) -> Vec<(&'static str, &'static str)> {
    crate::domain::Urgency::ALL
        .iter()
        .map(|u| (u.as_str(), coded(*u, lang)))
        .collect()
}

/// `GET /appels/{id}`: the person, the script, the history and the outcome form.
pub async fn call(
    req: HttpRequest,
    lang: Lang,
    Caller { user, caller_id }: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    call_page(&req, lang, &user, caller_id, &state, *id, None).await
}

/// The outcome form as posted, read field by field (need boxes come and go).
struct CallForm(Vec<(String, String)>);

impl CallForm {
    /// A field's trimmed value, if it is there and not blank.
    fn field(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A `datetime-local` field, read as Paris time.
    fn paris_datetime(&self, name: &str) -> Option<DateTime<Utc>> {
        self.field(name)
            .and_then(|v| chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M").ok())
            .and_then(|t| chrono::TimeZone::from_local_datetime(&PARIS, &t).earliest())
            .map(|t| t.with_timezone(&Utc))
    }

    /// The needs whose boxes are ticked, with their description and urgency.
    fn needs(&self) -> Vec<NeedInput> {
        let mut needs = Vec::new();
        for category in crate::domain::NeedCategory::ALL {
            let code = category.as_str();
            if self.field(&format!("need_{code}")).is_none() {
                continue;
            }
            let urgency = self
                .field(&format!("need_{code}_urgency"))
                .and_then(|u| u.parse().ok())
                .unwrap_or(crate::domain::Urgency::ThisWeek);
            needs.push(NeedInput {
                category: *category,
                description: self
                    .field(&format!("need_{code}_description"))
                    .unwrap_or_default(),
                urgency,
            });
        }
        needs
    }

    /// The call to record for `outcome`.
    fn call_input(&self, assignment_id: i64, caller_id: i64, outcome: Outcome) -> CallInput {
        CallInput {
            assignment_id,
            caller_id,
            outcome,
            notes: self.field("notes"),
            callback_at: self.paris_datetime("callback_at"),
            paused_until: self
                .field("paused_until")
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            wrong_phone: None,
            needs: self.needs(),
            idempotency_key: self
                .field("idempotency_key")
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        }
    }
}

/// `POST /appels/{id}`: records the outcome (once, whatever the clicks), back to the queue.
pub async fn record(
    req: HttpRequest,
    lang: Lang,
    Caller { user, caller_id }: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = CallForm(form.into_inner());
    user.check_csrf(&state, &form.field("csrf").unwrap_or_default())?;
    let again = |message: &str| {
        let error = Some(message.to_string());
        call_page(&req, lang, &user, caller_id, &state, *id, error)
    };
    let Some(outcome) = form
        .field("outcome")
        .and_then(|o| o.parse::<Outcome>().ok())
    else {
        return again(lang.tr().t("call.error.no_outcome")).await;
    };
    let input = form.call_input(*id, caller_id, outcome);
    match state
        .store
        .record_call(&input, Utc::now(), &state.mail_links())
        .await
    {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, "/appels"))
            .finish()),
        Err(CallError::NotFound) => Err(AppError::NotFound),
        Err(CallError::CallbackWithoutTime) => again(lang.tr().t("call.error.callback_time")).await,
        Err(CallError::NeedWithoutDescription) => {
            again(lang.tr().t("call.error.need_description")).await
        }
        Err(CallError::Refused(refused)) => {
            let mut page = again(lang.tr().t(refused.message_key())).await?;
            *page.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(page)
        }
        Err(CallError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_last_conversation_is_summed_up() {
        assert_eq!(summary(None, Some("x"), Lang::Fr), None);
        assert_eq!(
            summary(Some("reached_ok"), Some("  "), Lang::Fr).as_deref(),
            Some(Outcome::ReachedOk.label_fr())
        );
        assert_eq!(
            summary(Some("reached_ok"), None, Lang::En).as_deref(),
            Some(Outcome::ReachedOk.label_en())
        );
        let long = "#".repeat(200);
        let s = summary(Some("reached_need"), Some(&long), Lang::Fr).unwrap();
        assert!(s.ends_with('…'));
        assert_eq!(s.chars().filter(|c| *c == '#').count(), SUMMARY_CHARS);
    }

    #[test]
    fn the_form_offers_every_outcome_once_the_usual_ones_first() {
        let offered = outcome_choices(Lang::En);
        assert_eq!(offered.len(), Outcome::ALL.len());
        for o in Outcome::ALL {
            assert!(offered.iter().any(|(code, _)| *code == o.as_str()), "{o:?}");
        }
        assert_eq!(offered[0].0, "reached_ok");
    }

    #[test]
    fn the_script_is_rendered_with_the_first_name_escaped() {
        let html = render_script("hebdomadaire", "Hélène <b>").unwrap();
        assert!(
            html.contains("<h1>Appel de solidarité hebdomadaire</h1>"),
            "{html}"
        );
        assert!(
            html.contains("Hélène &#60;b&#62;"),
            "the name is escaped: {html}"
        );
        assert!(!html.contains("{prenom}"));
        assert!(html.contains("<table>"), "the emergency numbers table");
        assert!(html.contains("3977"));
        // An unknown script is none: never another campaign's script.
        assert!(render_script("inconnu", "Paul").is_none());
        assert!(render_script("canicule", "Paul")
            .unwrap()
            .contains("Appel canicule"));
    }
}
