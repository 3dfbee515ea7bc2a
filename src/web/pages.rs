//! Server-rendered pages.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use askama::Template;

use super::errors::AppError;
use super::i18n::{Lang, Tr, LANG_COOKIE};
use super::session::MaybeUser;
use super::AppState;
use crate::store::CampaignStats;

/// What the page header shows of the visitor.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub user_name: Option<String>,
    /// The session's CSRF token, for the logout form.
    pub csrf: String,
    pub is_coordinator: bool,
    pub is_caller: bool,
    pub is_territory: bool,
    /// Admins see the accounts page.
    pub is_admin: bool,
    /// A relay sees its volunteers' pages.
    pub is_relay: bool,
    /// A volunteer sees their placements.
    pub is_volunteer: bool,
}

/// A campaign in a select box.
#[derive(Clone)]
pub struct CampaignChoice {
    pub name: String,
    pub title: String,
}

/// The campaigns still running, for the select boxes of coordinator pages.
pub async fn campaign_choices(
    store: &crate::store::Store,
) -> Result<Vec<CampaignChoice>, AppError> {
    Ok(store
        .list_campaigns()
        .await?
        .into_iter()
        .filter(|c| c.campaign.archived_at.is_none())
        .map(|c| CampaignChoice {
            name: c.campaign.name,
            title: c.campaign.title,
        })
        .collect())
}

pub struct CampaignCard {
    pub name: String,
    pub title: String,
    pub starts_on: String,
    pub stats: CampaignStats,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub tr: Tr,
    pub nav: Nav,
    pub campaigns: Vec<CampaignCard>,
}

/// Renders a page; remembers a language chosen with `?lang=` in a cookie.
pub fn html_page(req: &HttpRequest, page: &impl Template) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    if let Some(lang) = Lang::chosen_in_query(req) {
        response.cookie(
            Cookie::build(LANG_COOKIE, lang.code())
                .path("/")
                .same_site(SameSite::Lax)
                .http_only(true)
                .max_age(actix_web::cookie::time::Duration::days(365))
                .finish(),
        );
    }
    Ok(response.body(body))
}

/// A rendered page answered with another status (a form sent back with what to fix:
/// 409, 422; a dead link: 410).
pub fn with_status(
    mut response: HttpResponse,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    *response.status_mut() = status;
    response
}

#[tracing::instrument(name = "home", skip_all)]
pub async fn home(
    req: HttpRequest,
    lang: Lang,
    user: MaybeUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let mut campaigns = Vec::new();
    for overview in state.store.list_campaigns().await? {
        let c = overview.campaign;
        if c.archived_at.is_some() {
            continue;
        }
        let stats = state.store.campaign_stats(c.id).await?;
        campaigns.push(CampaignCard {
            starts_on: c.starts_on.format("%d/%m/%Y").to_string(),
            name: c.name,
            title: c.title,
            stats,
        });
    }
    html_page(
        &req,
        &HomePage {
            tr: lang.tr(),
            nav: user.nav(),
            campaigns,
        },
    )
}
