//! The audit trail viewer for administrators: `GET /admin/journal` (filters, pages) and
//! `GET /admin/journal.csv` (the same filters, every matching event; cells through
//! `report::csv_cell`). Coordinators, callers and territories get 403.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::Admin;
use super::AppState;
use crate::report::write_safe_record;
use crate::store::{JournalFilter, JournalLine};

/// Events on one page.
const PAGE: i64 = 100;
/// Events in one CSV download at most.
const CSV_MAX: i64 = 100_000;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/journal", web::get().to(page))
        .route("/admin/journal.csv", web::get().to(csv));
}

/// The filters of the page, as typed (kept in the form and the links).
#[derive(Debug, Default, Deserialize)]
pub struct JournalQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    action: String,
    /// First day (YYYY-MM-DD, UTC), included.
    #[serde(default)]
    from: String,
    /// Last day (YYYY-MM-DD, UTC), included.
    #[serde(default)]
    to: String,
    page: Option<i64>,
}

impl JournalQuery {
    fn filter(&self) -> Result<JournalFilter, AppError> {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let day = |s: &str| -> Result<Option<NaiveDate>, AppError> {
            match text(s) {
                None => Ok(None),
                Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::BadRequest(format!("date {d:?}: YYYY-MM-DD"))),
            }
        };
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
        Ok(JournalFilter {
            person: text(&self.person),
            account: text(&self.account),
            action: text(&self.action),
            from: day(&self.from)?.map(midnight),
            to: day(&self.to)?.map(|d| midnight(d) + Duration::days(1)),
        })
    }

    /// The filters as a query string (for the page links and the CSV link).
    fn query_string(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("person", &self.person),
                ("account", &self.account),
                ("action", &self.action),
                ("from", &self.from),
                ("to", &self.to),
            ])
            .finish()
    }
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalPage {
    tr: Tr,
    nav: Nav,
    q: JournalQuery,
    query: String,
    lines: Vec<JournalLine>,
    total: i64,
    page: i64,
    pages: i64,
}

pub async fn page(
    req: HttpRequest,
    lang: Lang,
    Admin(user): Admin,
    state: web::Data<AppState>,
    query: web::Query<JournalQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let page = q.page.unwrap_or(1).max(1);
    let (lines, total) = state
        .store
        .journal(&q.filter()?, PAGE, (page - 1) * PAGE)
        .await?;
    let page = JournalPage {
        tr: lang.tr(),
        nav: user.nav(),
        query: q.query_string(),
        q,
        lines,
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    };
    html_page(&req, &page)
}

pub async fn csv(
    _: Admin,
    state: web::Data<AppState>,
    query: web::Query<JournalQuery>,
) -> Result<HttpResponse, AppError> {
    let (lines, _) = state.store.journal(&query.filter()?, CSV_MAX, 0).await?;
    let body = journal_csv(&lines).map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"journal.csv\"",
        ))
        .body(body))
}

/// The events as CSV (`;`, UTF-8 with BOM for Excel), every cell through `csv_cell`.
pub fn journal_csv(lines: &[JournalLine]) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        write_safe_record(
            &mut writer,
            [
                "id",
                "at",
                "actor",
                "account",
                "action",
                "subject_type",
                "subject_id",
                "detail",
            ],
        )?;
        for l in lines {
            write_safe_record(
                &mut writer,
                [
                    l.id.to_string(),
                    l.at.clone(),
                    l.actor_label.clone(),
                    l.actor_email.clone().unwrap_or_default(),
                    l.action.clone(),
                    l.subject_type.clone(),
                    l.subject_id.map(|i| i.to_string()).unwrap_or_default(),
                    l.detail.clone().unwrap_or_default(),
                ],
            )?;
        }
        writer.flush()?;
    }
    Ok(out)
}
