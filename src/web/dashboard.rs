//! The coordinator's dashboard (issue 7): a week's totals with the change from last
//! week, the trend over the campaign with a per-territory breakdown, the time callers
//! gave, CSV downloads, and the same totals as JSON for the API.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{campaign_choices, html_page, CampaignChoice, Nav};
use super::planning::parse_week;
use super::roles::CoordinatorOrAdmin;
use super::week_figures::{self, WeekFigures};
use super::AppState;
use crate::domain::{CampaignName, Coded, EscalationStatus, IsoWeek, NeedCategory};
use crate::report::{
    line_chart_svg, percent, signed, totals_csv, write_safe_record, DataQuality, Series,
    TerritoryWeek, WeekTotals,
};
use crate::store::{week_month, CallerTime, Campaign, NotReachedLine};

#[derive(Deserialize)]
pub struct WeekQuery {
    campaign: Option<String>,
    week: Option<String>,
}

/// The campaign and week a request names (the default campaign, the current week).
async fn selected(
    state: &AppState,
    campaign: Option<&str>,
    week: Option<&str>,
) -> Result<(Campaign, IsoWeek), AppError> {
    let name = CampaignName::parse(campaign.unwrap_or(CampaignName::DEFAULT))
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let week = parse_week(week)?;
    Ok((state.store.campaign_by_name(&name).await?, week))
}

/// A figure of the page with its change from last week.
pub struct Figure {
    pub key: &'static str,
    pub value: String,
    pub change: Option<String>,
}

fn figures(t: &WeekTotals) -> Vec<Figure> {
    let c = &t.change;
    let with = |key, value: i64, change: Option<i64>| Figure {
        key,
        value: value.to_string(),
        change: change.map(signed),
    };
    vec![
        with("week.eligible", t.eligible, Some(c.eligible)),
        with("week.assigned", t.assigned, Some(c.assigned)),
        with("week.attempted", t.attempted, Some(c.attempted)),
        with("week.calls", t.calls, Some(c.calls)),
        with("week.reached", t.reached, Some(c.reached)),
        with("week.conversations", t.conversations, Some(c.conversations)),
        with("week.not_reached", t.not_reached, Some(c.not_reached)),
        with("week.in_progress", t.in_progress, None),
        with("week.opted_out", t.opted_out, None),
        with("week.paused", t.paused, None),
        with("week.deceased", t.deceased, None),
        with("week.wrong_numbers", t.wrong_numbers, None),
        with("week.escalations", t.escalations, Some(c.escalations)),
        Figure {
            key: "week.coverage",
            value: percent(t.coverage_pct),
            change: c.coverage_pct.map(|p| format!("{p:+.1} pts")),
        },
    ]
}

/// `(label, count)` lines of a map keyed by a code.
fn labelled<T: Coded>(tr: Tr, map: &std::collections::BTreeMap<String, i64>) -> Vec<(String, i64)> {
    T::all()
        .iter()
        .map(|code| {
            let label = match tr.lang {
                Lang::Fr => code.label_fr(),
                Lang::En => code.label_en(),
            };
            (
                label.to_string(),
                map.get(code.as_str()).copied().unwrap_or(0),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "week.html")]
struct WeekPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    campaign: String,
    week: String,
    previous_week: String,
    next_week: String,
    totals: WeekTotals,
    figures: Vec<Figure>,
    attempted_pct: String,
    reached_pct: String,
    by_category: Vec<(String, i64)>,
    by_status: Vec<(String, i64)>,
    by_territory: Vec<(String, i64)>,
    quality: DataQuality,
    /// When the figures were read (Paris time, to the second).
    read_at: String,
}

/// `GET /coordination/week`: the week's totals. The figures may be up to
/// `Settings::week_figures_for` old (see `web::week_figures`); the page says so.
pub async fn week_page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let figures = week_figures::for_request(
        &state,
        &user,
        query.campaign.as_deref(),
        query.week.as_deref(),
    )
    .await?;
    let tr = lang.tr();
    let page = week_view(tr, user.nav(), &figures);
    html_page(&req, &page)
}

/// The page's view of the figures, in the language of `tr`.
fn week_view(tr: Tr, nav: Nav, f: &WeekFigures) -> WeekPage {
    let totals = &f.totals;
    let week = f.week;
    let by_territory = totals
        .escalations_by_territory
        .iter()
        .map(|(code, n)| {
            let name = f
                .territories
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, name)| name.clone())
                .unwrap_or_else(|| tr.t("week.no_territory").to_string());
            (name, *n)
        })
        .collect();
    WeekPage {
        tr,
        nav,
        campaigns: f.campaigns.clone(),
        campaign: f.campaign.name.clone(),
        week: week.to_string(),
        previous_week: week.previous().to_string(),
        next_week: week.next().to_string(),
        figures: figures(totals),
        attempted_pct: percent(totals.attempted_pct),
        reached_pct: percent(totals.reached_pct),
        by_category: labelled::<NeedCategory>(tr, &totals.escalations_by_category),
        by_status: labelled::<EscalationStatus>(tr, &totals.escalations_by_status),
        by_territory,
        read_at: totals
            .generated_at
            .with_timezone(&crate::domain::time::PARIS)
            .format("%H:%M:%S")
            .to_string(),
        totals: totals.clone(),
        quality: f.quality.clone(),
    }
}

fn csv_response(filename: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// `GET /coordination/week/totals.csv`: the week's totals, `figure;value`.
pub async fn totals_download(
    _: CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let (campaign, week) =
        selected(&state, query.campaign.as_deref(), query.week.as_deref()).await?;
    let totals = state.store.week_totals(&campaign, week, Utc::now()).await?;
    let body = totals_csv(&totals).map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_response(
        &format!("totaux-{}-{week}.csv", campaign.name),
        body,
    ))
}

/// The people not reached as CSV (`;`, one line per person, phones joined with `|`).
pub fn not_reached_csv(lines: &[NotReachedLine]) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer.write_record([
        "external_ref",
        "last_name",
        "first_name",
        "phones",
        "address",
        "postal_code",
        "commune",
        "territory",
        "relative_name",
        "relative_phone",
        "caller_email",
        "attempts",
        "last_outcome",
        "last_called_at",
    ])?;
    for l in lines {
        write_safe_record(
            &mut writer,
            [
                l.external_ref.as_deref().unwrap_or(""),
                &l.last_name,
                &l.first_name,
                &l.phones.join("|"),
                l.address.as_deref().unwrap_or(""),
                l.postal_code.as_deref().unwrap_or(""),
                l.commune.as_deref().unwrap_or(""),
                l.territory.as_deref().unwrap_or(""),
                l.relative_name.as_deref().unwrap_or(""),
                l.relative_phone.as_deref().unwrap_or(""),
                &l.caller_email,
                &l.attempts.to_string(),
                l.last_outcome.map_or("", |o| o.as_str()),
                &l.last_called_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ],
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
}

/// `GET /coordination/week/not-reached.csv`: the people not reached this week, for
/// follow-up by other means. Contact details: the download is audited.
pub async fn not_reached_download(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let (campaign, week) =
        selected(&state, query.campaign.as_deref(), query.week.as_deref()).await?;
    let lines = state
        .store
        .week_not_reached(campaign.id, week, Utc::now())
        .await?;
    state
        .store
        .record_audit(&crate::store::AuditEvent {
            detail: Some(format!("week={week} people={}", lines.len())),
            ..crate::store::AuditEvent::by_user(
                user.user.id,
                "not_reached_downloaded",
                "campaign",
                Some(campaign.id),
            )
        })
        .await?;
    let body = not_reached_csv(&lines).map_err(|e| AppError::Internal(e.into()))?;
    Ok(csv_response(
        &format!("non-joints-{}-{week}.csv", campaign.name),
        body,
    ))
}

#[derive(Template)]
#[template(path = "trends.html")]
struct TrendsPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    campaign: String,
    week: String,
    chart: String,
    escalations_chart: String,
    weeks: Vec<crate::report::TrendWeek>,
    territories: Vec<TerritoryWeek>,
}

/// `GET /coordination/trends`: the weekly totals over the whole campaign, and the
/// chosen week by territory.
pub async fn trends_page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let (campaign, week) =
        selected(&state, query.campaign.as_deref(), query.week.as_deref()).await?;
    let weeks = state.store.campaign_trend(campaign.id).await?;
    let mut territories = state.store.week_by_territory(campaign.id, week).await?;
    let tr = lang.tr();
    for t in &mut territories {
        if t.territory_id.is_none() {
            t.name = tr.t("week.no_territory").to_string();
        }
    }
    let labels: Vec<String> = weeks.iter().map(|w| w.week.clone()).collect();
    let values = |f: fn(&crate::report::TrendWeek) -> i64| weeks.iter().map(f).collect::<Vec<_>>();
    let chart = line_chart_svg(
        tr.t("trends.chart"),
        &labels,
        &[
            Series {
                name: tr.t("week.assigned"),
                colour: "#8c8c8c",
                values: values(|w| w.assigned),
            },
            Series {
                name: tr.t("week.reached"),
                colour: "#1f6feb",
                values: values(|w| w.reached),
            },
            Series {
                name: tr.t("week.conversations"),
                colour: "#1a7f37",
                values: values(|w| w.conversations),
            },
        ],
    );
    let escalations_chart = line_chart_svg(
        tr.t("trends.escalations_chart"),
        &labels,
        &[Series {
            name: tr.t("week.escalations"),
            colour: "#bc4c00",
            values: values(|w| w.escalations),
        }],
    );
    let page = TrendsPage {
        tr,
        nav: user.nav(),
        campaigns: campaign_choices(&state.store).await?,
        campaign: campaign.name,
        week: week.to_string(),
        chart,
        escalations_chart,
        weeks,
        territories,
    };
    html_page(&req, &page)
}

#[derive(Template)]
#[template(path = "time_given.html")]
struct TimePage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    campaign: String,
    week: String,
    previous_week: String,
    next_week: String,
    month: String,
    callers: Vec<CallerTime>,
}

/// `GET /coordination/time`: calls and time per caller over the week and its month.
pub async fn time_page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let (campaign, week) =
        selected(&state, query.campaign.as_deref(), query.week.as_deref()).await?;
    let callers = state.store.time_given(week).await?;
    let (month, _, _) = week_month(week);
    let page = TimePage {
        tr: lang.tr(),
        nav: user.nav(),
        campaigns: campaign_choices(&state.store).await?,
        campaign: campaign.name,
        week: week.to_string(),
        previous_week: week.previous().to_string(),
        next_week: week.next().to_string(),
        month: month.format("%m/%Y").to_string(),
        callers,
    };
    html_page(&req, &page)
}

/// `GET /api/campaigns/{campaign}/weeks/{week}/totals`: the week's totals as JSON (the
/// same object as `lien report --json`).
pub async fn api_totals(
    _: CoordinatorOrAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (campaign, week) = path.into_inner();
    let (campaign, week) = selected(&state, Some(&campaign), Some(&week)).await?;
    let totals = state.store.week_totals(&campaign, week, Utc::now()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(totals))
}
