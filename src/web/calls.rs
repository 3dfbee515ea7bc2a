//! The caller's workspace: "Mes appels du jour".

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::session::CurrentUser;
use super::AppState;
use crate::calling::hours::CallingHours;
use crate::calling::queue::{order, QueueFacts, QueueGroup};
use crate::domain::time::PARIS;
use crate::domain::{IsoWeek, LanguageCode, Phone, Role};
use crate::store::QueueRow;

/// A phone number as the page shows it: a `tel:` link and the national spelling.
pub struct PhoneLink {
    pub uri: String,
    pub display: String,
}

pub struct QueueItem {
    pub group: &'static str,
    pub later_at: Option<String>,
    pub name: String,
    pub commune: String,
    pub campaign: String,
    pub language: Option<String>,
    pub phones: Vec<PhoneLink>,
    pub last_conversation: Option<String>,
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
    next_opening: Option<String>,
    empty_reason: Option<&'static str>,
    next_due: Option<String>,
}

fn paris_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&PARIS).format("%d/%m à %H:%M").to_string()
}

fn item(row: &QueueRow, now: DateTime<Utc>) -> QueueItem {
    let facts = facts(row);
    let group = facts.group(now);
    QueueItem {
        group: group.label_fr(),
        later_at: (group == QueueGroup::Later)
            .then(|| facts.due_at().map(paris_time))
            .flatten(),
        name: format!("{} {}", row.first_name, row.last_name),
        commune: row.commune.clone().unwrap_or_default(),
        campaign: row.campaign_title.clone(),
        language: LanguageCode::parse(&row.preferred_language)
            .ok()
            .filter(|l| !l.is_french())
            .map(|l| l.name_fr().unwrap_or(l.as_str()).to_string()),
        phones: row
            .phones
            .iter()
            .filter_map(|p| Phone::parse(p).ok())
            .map(|p| PhoneLink {
                uri: p.tel_uri(),
                display: p.national_display(),
            })
            .collect(),
        last_conversation: row
            .last_conversation_at
            .map(|at| at.with_timezone(&PARIS).format("%d/%m/%Y").to_string()),
        open_needs: row.open_needs,
        attempts: row.attempts,
    }
}

fn facts(row: &QueueRow) -> QueueFacts {
    QueueFacts {
        assignment_id: row.assignment_id,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        callback_at: row.callback_at,
        open_needs: row.open_needs,
    }
}

/// `GET /appels`: the caller's people for today, in call order.
pub async fn queue(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    user.require(&[Role::Caller])?;
    let caller_id = user.user.caller_id.ok_or(AppError::Forbidden)?;
    let now = Utc::now();
    let week = IsoWeek::containing(now);
    let mut rows = state.store.caller_queue(caller_id, week).await?;
    order(&mut rows, now, facts);
    let progress = state.store.caller_week_progress(caller_id, week).await?;
    // The page shows names and phone numbers: each person's record is read.
    let shown: Vec<i64> = rows.iter().map(|r| r.beneficiary_id).collect();
    state
        .store
        .record_contact_reads(user.user.id, &shown, "queue")
        .await?;
    let hours = CallingHours::default();
    let items: Vec<QueueItem> = rows.iter().map(|r| item(r, now)).collect();
    let next_due = rows
        .iter()
        .map(facts)
        .filter(|f| f.group(now) == QueueGroup::Later)
        .filter_map(|f| f.due_at())
        .min()
        .map(paris_time);
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
        week: week.to_string(),
        items,
        assigned: progress.assigned,
        closed: progress.closed,
        calling_now: hours.is_open(now),
        next_opening: hours.next_opening(now).map(paris_time),
        empty_reason,
        next_due,
    };
    html_page(&req, &page)
}
