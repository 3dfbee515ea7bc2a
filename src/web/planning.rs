//! The coordinator's planning page: preview a week's plan, record it, rebalance it.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{campaign_choices, html_page, CampaignChoice, Nav};
use super::roles::CoordinatorOrAdmin;
use super::session::CurrentUser;
use super::AppState;
use crate::domain::{CampaignName, IsoWeek};
use crate::planning::{PlanInput, Summary};
use crate::records::campaign_weeks::WeekRefusal;
use crate::store::{Campaign, PlanMode};

#[derive(Deserialize)]
pub struct PlanningQuery {
    campaign: Option<String>,
    week: Option<String>,
    done: Option<String>,
}

pub struct TerritoryLine {
    pub name: String,
    pub eligible: usize,
    pub assigned: usize,
    pub unassigned: usize,
}

#[derive(Template)]
#[template(path = "planning.html")]
struct PlanningPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    campaign: String,
    week: String,
    previous_week: String,
    next_week: String,
    stored: usize,
    summary: Summary,
    unassigned_lines: Vec<(String, usize)>,
    /// Why people were assigned, kept, moved or removed, with their counts.
    explain_lines: Vec<(String, usize)>,
    territories: Vec<TerritoryLine>,
    continuity: String,
    notice: Option<&'static str>,
    /// Why the week may not be planned (dates, cadence, archive), naming the weeks that may.
    refusal: Option<String>,
}

pub(super) fn parse_week(week: Option<&str>) -> Result<IsoWeek, AppError> {
    match week.filter(|w| !w.trim().is_empty()) {
        Some(w) => IsoWeek::parse(w).map_err(|e| AppError::BadRequest(e.message_fr())),
        None => Ok(IsoWeek::current()),
    }
}

pub async fn page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<PlanningQuery>,
) -> Result<HttpResponse, AppError> {
    let name = CampaignName::parse(query.campaign.as_deref().unwrap_or(CampaignName::DEFAULT))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let week = parse_week(query.week.as_deref())?;
    let campaign = state.store.campaign_by_name(&name).await?;
    let notice = match query.done.as_deref() {
        Some("planned") => Some("planning.notice.planned"),
        Some("rebalanced") => Some("planning.notice.rebalanced"),
        _ => None,
    };
    let page = planning_page(lang, &user, &state, campaign, week, notice).await?;
    html_page(&req, &page)
}

/// A refusal of the week in the page's language.
pub(super) fn refusal_sentence(lang: Lang, refusal: &WeekRefusal) -> String {
    match lang {
        Lang::Fr => refusal.message_fr(),
        Lang::En => refusal.to_string(),
    }
}

/// The page: the week's preview (a dry run of planning now), or, for a week the
/// campaign's dates, cadence or archive do not allow, the sentence saying which may.
async fn planning_page(
    lang: Lang,
    user: &CurrentUser,
    state: &AppState,
    campaign: Campaign,
    week: IsoWeek,
    notice: Option<&'static str>,
) -> Result<PlanningPage, AppError> {
    let stored = state.store.week_assignments(campaign.id, week).await?.len();
    let refusal = campaign.weeks().check(week).err();
    let plan = match refusal {
        None => {
            state
                .store
                .plan_week(&campaign, week, PlanMode::Plan, true)
                .await?
                .plan
        }
        Some(_) => crate::planning::plan(&PlanInput {
            week,
            beneficiaries: Vec::new(),
            callers: Vec::new(),
            existing: Vec::new(),
        }),
    };
    let names: HashMap<i64, String> = state.store.territory_names().await?;
    let summary = plan.summary;
    let territories = summary
        .territories
        .iter()
        .map(|t| TerritoryLine {
            name: t
                .territory_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| lang.tr().t("week.no_territory").into()),
            eligible: t.eligible,
            assigned: t.assigned,
            unassigned: t.unassigned,
        })
        .collect();
    let unassigned_lines = summary
        .unassigned_by_reason
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(code, n)| (explain_label(lang, "unassigned", code), *n))
        .collect();
    let explain_lines = summary
        .explain
        .iter()
        .map(|l| (explain_label(lang, l.kind, l.code), l.count))
        .collect();
    let continuity = match summary.continuity.percent {
        Some(p) => format!(
            "{} / {} ({p:.1} %)",
            summary.continuity.kept_last_caller, summary.continuity.with_last_caller
        ),
        None => "—".into(),
    };
    Ok(PlanningPage {
        tr: lang.tr(),
        nav: user.nav(),
        campaigns: campaign_choices(&state.store).await?,
        campaign: campaign.name,
        week: week.to_string(),
        previous_week: week.previous().to_string(),
        next_week: week.next().to_string(),
        stored,
        summary,
        unassigned_lines,
        explain_lines,
        territories,
        continuity,
        notice,
        refusal: refusal.map(|r| refusal_sentence(lang, &r)),
    })
}

#[derive(Deserialize)]
pub struct PlanForm {
    csrf: String,
    campaign: String,
    week: String,
    #[serde(default)]
    rebalance: bool,
}

/// Records the week's plan (or rebalances it), then shows the page again.
pub async fn commit(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<PlanForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let name =
        CampaignName::parse(&form.campaign).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let week = parse_week(Some(&form.week))?;
    let campaign = state.store.campaign_by_name(&name).await?;
    let mode = if form.rebalance {
        PlanMode::Rebalance
    } else {
        PlanMode::Plan
    };
    if mode == PlanMode::Plan && campaign.weeks().check(week).is_err() {
        // Nothing is written: the page says which weeks may be planned.
        let page = planning_page(lang, &user, &state, campaign, week, None).await?;
        let mut response = html_page(&req, &page)?;
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(response);
    }
    state.store.plan_week(&campaign, week, mode, false).await?;
    let done = if form.rebalance {
        "rebalanced"
    } else {
        "planned"
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!(
                "/coordination/planning?campaign={}&week={week}&done={done}",
                campaign.name
            ),
        ))
        .finish())
}

/// A planning reason's label in the page's language (`kind`: assignment, unassigned,
/// removed); the code itself when the catalogue does not know it.
pub(super) fn explain_label(lang: Lang, kind: &str, code: &str) -> String {
    match lang.tr().t(&format!("planning.explain.{kind}.{code}")) {
        "???" => code.to_string(),
        label => label.to_string(),
    }
}

/// The planner's reasons, as the command line says them (`plan.explain.*` in
/// `cli::i18n`), for the planning page.
pub static TEXTS: &[(&str, &str, &str)] = &[
    (
        "planning.explain.assignment.kept_already_called",
        "conservé : déjà appelé cette semaine",
        "kept: already called this week",
    ),
    (
        "planning.explain.assignment.kept_planned",
        "conservé : déjà prévu cette semaine",
        "kept: already planned this week",
    ),
    (
        "planning.explain.assignment.reassigned_caller_absent",
        "réaffecté : appelant absent cette semaine",
        "reassigned: caller away this week",
    ),
    (
        "planning.explain.assignment.reassigned_caller_full",
        "réaffecté : appelant complet",
        "reassigned: caller full",
    ),
    (
        "planning.explain.assignment.reassigned_language",
        "réaffecté : l'appelant précédent ne parle pas sa langue",
        "reassigned: the previous caller does not speak their language",
    ),
    (
        "planning.explain.assignment.open_need",
        "besoin en cours à suivre",
        "open need to follow up",
    ),
    (
        "planning.explain.assignment.callback_due",
        "rappel prévu cette semaine",
        "call back due this week",
    ),
    (
        "planning.explain.assignment.not_reached_last_week",
        "non joint la semaine dernière",
        "not reached last week",
    ),
    (
        "planning.explain.assignment.first_call",
        "premier appel",
        "first call",
    ),
    (
        "planning.explain.assignment.same_caller",
        "même appelant que la dernière fois",
        "same caller as last time",
    ),
    (
        "planning.explain.assignment.language",
        "parle une autre langue que le français",
        "speaks a language other than French",
    ),
    (
        "planning.explain.assignment.same_territory",
        "appelant du même territoire",
        "caller from the same territory",
    ),
    (
        "planning.explain.assignment.weekly_call",
        "appel hebdomadaire",
        "weekly call",
    ),
    (
        "planning.explain.unassigned.no_capacity",
        "capacité insuffisante",
        "not enough capacity",
    ),
    (
        "planning.explain.unassigned.no_caller_for_language",
        "aucun appelant ne parle sa langue",
        "no caller speaks their language",
    ),
    (
        "planning.explain.unassigned.not_planned",
        "pas encore planifié",
        "not planned yet",
    ),
    (
        "planning.explain.removed.not_eligible",
        "retiré : ne fait plus partie de la population de la campagne",
        "removed: no longer among the campaign's people",
    ),
    (
        "planning.explain.removed.duplicate",
        "retiré : affectation en double",
        "removed: duplicate assignment",
    ),
    (
        "planning.explain.removed.caller_unavailable",
        "retiré : appelant absent cette semaine",
        "removed: caller away this week",
    ),
    (
        "planning.explain.removed.language_mismatch",
        "retiré : l'appelant ne parle pas la langue du bénéficiaire",
        "removed: the caller does not speak the beneficiary's language",
    ),
    (
        "planning.explain.removed.no_capacity",
        "retiré : capacité insuffisante, des personnes prioritaires ont été servies d'abord",
        "removed: not enough capacity, people with priority were served first",
    ),
    (
        "planning.explain.removed.caller_full",
        "retiré : la place de l'appelant était nécessaire",
        "removed: the caller's room was needed",
    ),
];
