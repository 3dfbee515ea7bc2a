//! Time given on volunteer missions (issue 17): the volunteer records the hours done per
//! placement and day (`/missions/heures`; a coordinator may record on a volunteer's
//! behalf), refused past the month's allowance with the time that remains; and the
//! coordinators' report (`/coordination/missions/temps`) per agent, service,
//! organisation, month or kind of mission — phone calls included, so that an agent's
//! whole solidarity time is in one place — with its CSV and a bar chart.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::CoordinatorOrAdmin;
use super::session::CurrentUser;
use super::AppState;
use crate::domain::{IsoWeek, Role};
use crate::report::write_safe_record;
use crate::store::{month_bounds, HoursError, HoursInput, OwnPlacement, TimeKind, TimeLine};

/// Texts of these pages: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.mission_time", "Temps donné", "Time given"),
    ("mtime.title", "Temps donné : missions et appels", "Time given: missions and calls"),
    ("mtime.intro", "Heures de mission enregistrées et temps des appels de solidarité (durée notée, sinon estimée), par mois.", "Mission hours recorded and time of the solidarity calls (recorded length, else estimated), by month."),
    ("mtime.from", "Du mois", "From month"),
    ("mtime.to", "Au mois", "To month"),
    ("mtime.by", "Regrouper par", "Group by"),
    ("mtime.by.agent", "Agent", "Agent"),
    ("mtime.by.service", "Service d’origine", "Home service"),
    ("mtime.by.organisation", "Organisme", "Organisation"),
    ("mtime.by.month", "Mois", "Month"),
    ("mtime.by.kind", "Type de mission", "Kind of mission"),
    ("mtime.show", "Afficher", "Show"),
    ("mtime.csv", "Télécharger le détail (CSV)", "Download the detail (CSV)"),
    ("mtime.missions", "Missions", "Missions"),
    ("mtime.calls", "Appels de solidarité", "Solidarity calls"),
    ("mtime.total", "Total", "Total"),
    ("mtime.detail", "Détail", "Detail"),
    ("mtime.agent", "Personne", "Person"),
    ("mtime.kind", "Type", "Kind"),
    ("mtime.hours", "Heures", "Hours"),
    ("mtime.empty", "Aucun temps donné sur ces mois.", "No time given in these months."),
    ("mtime.none", "(non renseigné)", "(not given)"),
    ("mtime.chart", "Heures données, missions et appels", "Hours given, missions and calls"),
    ("mhours.title", "Mes heures de mission", "My mission hours"),
    ("mhours.title_for", "Heures de mission de", "Mission hours of"),
    ("mhours.intro", "Notez les heures faites chaque jour sur vos missions confirmées. Noter à nouveau un jour remplace ce qui était noté.", "Record the hours done each day on your confirmed missions. Recording a day again replaces what was recorded."),
    ("mhours.allowance", "Votre crédit du mois", "Your allowance this month"),
    ("mhours.used", "déjà noté", "already recorded"),
    ("mhours.remaining", "reste", "remaining"),
    ("mhours.no_allowance", "Pas de crédit mensuel à respecter.", "No monthly allowance applies."),
    ("mhours.none", "Aucune mission confirmée sur ces semaines.", "No confirmed mission in these weeks."),
    ("mhours.week", "Semaine du", "Week of"),
    ("mhours.day", "Jour", "Day"),
    ("mhours.duration", "Durée (ex. 3h30 ou 3,5)", "Length (e.g. 3h30 or 3.5)"),
    ("mhours.record", "Enregistrer les heures", "Record the hours"),
    ("mhours.recorded", "Heures notées", "Hours recorded"),
    ("mhours.done.recorded", "Heures enregistrées.", "Hours recorded."),
    ("mhours.done.unchanged", "Ces heures étaient déjà enregistrées : rien n’a changé.", "These hours were already recorded: nothing changed."),
    ("mhours.error.over_allowance", "Refusé : ces heures dépasseraient le crédit du mois. Temps restant ce mois-ci :", "Refused: these hours would pass the month’s allowance. Time remaining this month:"),
    ("mhours.error.day_outside_week", "Refusé : le jour doit être dans la semaine de la mission. Rien n’a changé.", "Refused: the day must be in the mission’s week. Nothing changed."),
    ("mhours.error.bad_minutes", "Refusé : donnez une durée de 1 minute à 24 heures (ex. 3h30 ou 3,5). Rien n’a changé.", "Refused: give a length from 1 minute to 24 hours (e.g. 3h30 or 3.5). Nothing changed."),
    ("mhours.error.not_confirmed", "Refusé : la mission n’est pas encore confirmée. Rien n’a changé.", "Refused: the mission is not confirmed yet. Nothing changed."),
    ("mhours.error.bad_date", "Refusé : donnez le jour au format AAAA-MM-JJ. Rien n’a changé.", "Refused: give the day as YYYY-MM-DD. Nothing changed."),
];

/// How many weeks back the volunteer's page lists placements (this one included).
const OWN_WEEKS: i64 = 8;

/// Registers the report (coordinators) and the hours form (volunteers, coordinators).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/coordination/missions/temps", web::get().to(report_page))
        .route(
            "/coordination/missions/temps.csv",
            web::get().to(report_csv),
        )
        .route("/missions/heures", web::get().to(hours_page))
        .route("/missions/heures", web::post().to(record_hours));
}

/// "3 h 05".
pub fn hours_text(minutes: i64) -> String {
    format!("{} h {:02}", minutes / 60, minutes % 60)
}

/// A duration as people type it: `3`, `3,5`, `3.5`, `3h`, `3h30`, `3 h 30`, `3:30`,
/// `45min`; in minutes.
pub fn parse_duration(text: &str) -> Option<i32> {
    let t: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some(m) = t.strip_suffix("min").or_else(|| t.strip_suffix("mn")) {
        return m.parse::<i32>().ok();
    }
    if let Some((h, m)) = t.split_once(['h', ':']) {
        let h: i32 = h.parse().ok()?;
        let m: i32 = if m.is_empty() { 0 } else { m.parse().ok()? };
        return (m < 60).then_some(h * 60 + m);
    }
    let hours: f64 = t.replace(',', ".").parse().ok()?;
    (hours.is_finite() && hours >= 0.0).then(|| (hours * 60.0).round() as i32)
}

/// `YYYY-MM` → the first day of that month.
fn parse_month(text: Option<&str>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{}-01", text?.trim()), "%Y-%m-%d").ok()
}

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    by: Option<String>,
}

/// The months asked (default: the last three, this one included).
fn months(query: &ReportQuery) -> (NaiveDate, NaiveDate) {
    let today = crate::domain::time::today_in_paris();
    let this = month_bounds(today).0;
    let to = parse_month(query.to.as_deref()).unwrap_or(this);
    let from = parse_month(query.from.as_deref())
        .unwrap_or_else(|| to.checked_sub_months(chrono::Months::new(2)).unwrap_or(to));
    if from > to {
        (to, from)
    } else {
        (from, to)
    }
}

/// The groupings, with their label's key.
const GROUPS: &[(&str, &str)] = &[
    ("agent", "mtime.by.agent"),
    ("service", "mtime.by.service"),
    ("organisation", "mtime.by.organisation"),
    ("month", "mtime.by.month"),
    ("kind", "mtime.by.kind"),
];

/// One group of the report: its label and minutes on missions and on calls.
pub struct Group {
    pub label: String,
    pub missions: i64,
    pub calls: i64,
}

impl Group {
    pub fn total(&self) -> i64 {
        self.missions + self.calls
    }

    pub fn missions_text(&self) -> String {
        hours_text(self.missions)
    }

    pub fn calls_text(&self) -> String {
        hours_text(self.calls)
    }

    pub fn total_text(&self) -> String {
        hours_text(self.total())
    }
}

/// The label of `line` under the grouping `by`.
fn group_label(tr: Tr, line: &TimeLine, by: &str) -> String {
    let none = || tr.t("mtime.none").to_string();
    match by {
        "service" => line
            .service
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(none),
        "organisation" => line
            .organisation
            .clone()
            .unwrap_or_else(|| tr.t("mtime.calls").into()),
        "month" => line.month.format("%Y-%m").to_string(),
        "kind" => kind_label(tr, &line.kind),
        _ => format!("{} ({})", line.name, line.email),
    }
}

fn kind_label(tr: Tr, kind: &TimeKind) -> String {
    match kind {
        TimeKind::Mission(k) => k.clone(),
        TimeKind::Calls => tr.t("mtime.calls").to_string(),
    }
}

/// The lines summed by group, largest first (months in order).
pub fn groups(tr: Tr, lines: &[TimeLine], by: &str) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for line in lines {
        let label = group_label(tr, line, by);
        let at = match out.iter().position(|g| g.label == label) {
            Some(i) => i,
            None => {
                out.push(Group {
                    label,
                    missions: 0,
                    calls: 0,
                });
                out.len() - 1
            }
        };
        match line.kind {
            TimeKind::Calls => out[at].calls += line.minutes,
            TimeKind::Mission(_) => out[at].missions += line.minutes,
        }
    }
    if by == "month" {
        out.sort_by(|a, b| a.label.cmp(&b.label));
    } else {
        out.sort_by(|a, b| b.total().cmp(&a.total()).then(a.label.cmp(&b.label)));
    }
    out
}

/// A bar of the chart, in SVG units.
pub struct Bar {
    pub label: String,
    pub y: i64,
    pub text_y: i64,
    pub missions_width: i64,
    pub calls_x: i64,
    pub calls_width: i64,
    pub value_x: i64,
    pub value: String,
}

/// The chart's geometry: horizontal bars, missions then calls, scaled to the largest.
pub const CHART_LABEL_WIDTH: i64 = 220;
pub const CHART_BAR_SPACE: i64 = 360;
pub const CHART_ROW: i64 = 24;

pub fn bars(groups: &[Group]) -> Vec<Bar> {
    let max = groups.iter().map(Group::total).max().unwrap_or(0).max(1);
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let y = i as i64 * CHART_ROW + 4;
            let missions_width = g.missions * CHART_BAR_SPACE / max;
            let calls_width = g.calls * CHART_BAR_SPACE / max;
            let label: String = g.label.chars().take(32).collect();
            Bar {
                label,
                y,
                text_y: y + 14,
                missions_width,
                calls_x: CHART_LABEL_WIDTH + missions_width,
                calls_width,
                value_x: CHART_LABEL_WIDTH + missions_width + calls_width + 6,
                value: hours_text(g.total()),
            }
        })
        .collect()
}

/// A line of the detail table, as shown.
pub struct DetailLine {
    pub month: String,
    pub name: String,
    pub email: String,
    pub service: String,
    pub organisation: String,
    pub kind: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "mission_time.html")]
struct ReportPage {
    tr: Tr,
    nav: Nav,
    from: String,
    to: String,
    by: &'static str,
    by_key: &'static str,
    groups_by: Vec<(&'static str, &'static str)>,
    groups: Vec<Group>,
    bars: Vec<Bar>,
    chart_height: i64,
    chart_width: i64,
    label_width: i64,
    lines: Vec<DetailLine>,
    total: String,
}

/// `GET /coordination/missions/temps`: the time given, grouped, with a chart.
pub async fn report_page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let (from, to) = months(&query);
    let (by, by_key) = query
        .by
        .as_deref()
        .and_then(|b| GROUPS.iter().find(|g| g.0 == b))
        .copied()
        .unwrap_or(GROUPS[0]);
    let report = state.store.time_report(from, to).await?;
    let groups = groups(tr, &report, by);
    let bars = bars(&groups);
    let total: i64 = report.iter().map(|l| l.minutes).sum();
    let lines = report
        .iter()
        .map(|l| DetailLine {
            month: l.month.format("%Y-%m").to_string(),
            name: l.name.clone(),
            email: l.email.clone(),
            service: l.service.clone().unwrap_or_default(),
            organisation: l.organisation.clone().unwrap_or_default(),
            kind: kind_label(tr, &l.kind),
            hours: hours_text(l.minutes),
        })
        .collect();
    let page = ReportPage {
        tr,
        nav: user.nav(),
        from: from.format("%Y-%m").to_string(),
        to: to.format("%Y-%m").to_string(),
        by,
        by_key,
        groups_by: GROUPS.to_vec(),
        chart_height: bars.len() as i64 * CHART_ROW + 8,
        chart_width: CHART_LABEL_WIDTH + CHART_BAR_SPACE + 80,
        label_width: CHART_LABEL_WIDTH - 8,
        groups,
        bars,
        lines,
        total: hours_text(total),
    };
    html_page(&req, &page)
}

/// The report's lines as CSV (`;`), every cell through `csv_cell`, and a total line.
pub fn time_csv(lines: &[TimeLine]) -> Result<String, csv::Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer.write_record([
        "month",
        "name",
        "email",
        "service",
        "organisation",
        "kind",
        "mission_kind",
        "minutes",
        "hours",
    ])?;
    for l in lines {
        let (kind, mission_kind) = match &l.kind {
            TimeKind::Mission(k) => ("mission", k.as_str()),
            TimeKind::Calls => ("calls", ""),
        };
        write_safe_record(
            &mut writer,
            [
                l.month.format("%Y-%m").to_string().as_str(),
                &l.name,
                &l.email,
                l.service.as_deref().unwrap_or(""),
                l.organisation.as_deref().unwrap_or(""),
                kind,
                mission_kind,
                &l.minutes.to_string(),
                &format!("{:.2}", l.minutes as f64 / 60.0),
            ],
        )?;
    }
    let total: i64 = lines.iter().map(|l| l.minutes).sum();
    let total_hours = format!("{:.2}", total as f64 / 60.0);
    writer.write_record([
        "total",
        "",
        "",
        "",
        "",
        "",
        "",
        &total.to_string(),
        &total_hours,
    ])?;
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `GET /coordination/missions/temps.csv`: every line of the report. Audited (it names
/// people).
pub async fn report_csv(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let (from, to) = months(&query);
    let lines = state.store.time_report(from, to).await?;
    state
        .store
        .record_audit(&crate::store::AuditEvent {
            detail: Some(format!("from={from} to={to} lines={}", lines.len())),
            ..crate::store::AuditEvent::by_user(
                user.user.id,
                "mission_time_downloaded",
                "mission_time",
                None,
            )
        })
        .await?;
    let body = time_csv(&lines).map_err(|e| AppError::Internal(e.into()))?;
    let filename = format!(
        "temps-donne-{}-{}.csv",
        from.format("%Y-%m"),
        to.format("%Y-%m")
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Whose hours a request is about: the user's own volunteer record, or, for a
/// coordinator, the volunteer named in the query or form.
async fn volunteer_for(
    state: &AppState,
    user: &CurrentUser,
    asked: Option<i64>,
) -> Result<i64, AppError> {
    if matches!(user.role(), Role::Coordinator | Role::Admin) {
        return asked.ok_or(AppError::NotFound);
    }
    state
        .store
        .volunteer_of_user(user.user.id, user.user.caller_id)
        .await?
        .ok_or(AppError::Forbidden)
}

#[derive(Deserialize, Default)]
pub struct HoursQuery {
    volunteer: Option<i64>,
    done: Option<String>,
    error: Option<String>,
    remaining: Option<i64>,
}

/// A placement as the hours page shows it.
pub struct PlacementView {
    pub id: i64,
    pub week_start: String,
    pub organisation: String,
    pub establishment: String,
    pub mission_kind: String,
    pub slots: String,
    pub planned: String,
    pub days: Vec<(String, String)>,
    /// The week's days, `YYYY-MM-DD`, for the day field.
    pub week_days: Vec<String>,
}

fn placement_view(p: OwnPlacement) -> PlacementView {
    let week = IsoWeek::from_date(p.week_start);
    PlacementView {
        id: p.id,
        week_start: p.week_start.format("%d/%m/%Y").to_string(),
        organisation: p.organisation,
        establishment: p.establishment,
        mission_kind: p.mission_kind,
        slots: p.slots,
        planned: hours_text(i64::from(p.minutes)),
        days: p
            .days
            .iter()
            .map(|(d, m)| (d.format("%d/%m/%Y").to_string(), hours_text(i64::from(*m))))
            .collect(),
        week_days: week.days().map(|d| d.to_string()).collect(),
    }
}

#[derive(Template)]
#[template(path = "mission_hours.html")]
struct HoursPage {
    tr: Tr,
    nav: Nav,
    /// The volunteer's name when a coordinator records on their behalf.
    on_behalf: Option<String>,
    placements: Vec<PlacementView>,
    allowance: Option<String>,
    used: String,
    remaining: Option<String>,
    done: Option<&'static str>,
    error: Option<&'static str>,
    error_remaining: Option<String>,
}

fn known_key(prefix: &str, code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    TEXTS
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| k.strip_prefix(prefix) == Some(code))
}

/// `GET /missions/heures`: the volunteer's confirmed placements of the last weeks and
/// the form to record hours; `?volunteer=ID` for a coordinator.
pub async fn hours_page(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    state: web::Data<AppState>,
    query: web::Query<HoursQuery>,
) -> Result<HttpResponse, AppError> {
    let volunteer = volunteer_for(&state, &user, query.volunteer).await?;
    let on_behalf = match user.role() {
        Role::Coordinator | Role::Admin => Some(
            state
                .store
                .volunteer_name(volunteer)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        _ => None,
    };
    let current = IsoWeek::current();
    let since = current.offset(1 - OWN_WEEKS).unwrap_or(current).monday();
    let placements = state.store.volunteer_placements(volunteer, since).await?;
    let today = crate::domain::time::today_in_paris();
    let month = state
        .store
        .month_allowance(volunteer, today, i64::from(state.mission_day_minutes))
        .await?;
    let page = HoursPage {
        tr: lang.tr(),
        nav: user.nav(),
        on_behalf,
        placements: placements.into_iter().map(placement_view).collect(),
        allowance: month.allowance_minutes.map(hours_text),
        used: hours_text(month.used_minutes),
        remaining: month.remaining_minutes().map(hours_text),
        done: known_key("mhours.done.", query.done.as_deref()),
        error: known_key("mhours.error.", query.error.as_deref()),
        error_remaining: query.remaining.map(hours_text),
    };
    html_page(&req, &page)
}

#[derive(Deserialize)]
pub struct HoursForm {
    csrf: String,
    #[serde(default)]
    placement: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    duration: String,
}

/// `POST /missions/heures`: records a day's hours of a placement (the volunteer's own,
/// or any for a coordinator), or says why not.
pub async fn record_hours(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<HoursForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let coordinator = matches!(user.role(), Role::Coordinator | Role::Admin);
    let placement: i64 = form
        .placement
        .trim()
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let owner = state
        .store
        .placement_volunteer(placement)
        .await?
        .ok_or(AppError::NotFound)?;
    if !coordinator {
        let own = volunteer_for(&state, &user, None).await?;
        if own != owner {
            return Err(AppError::Forbidden);
        }
    }
    let back = |query: String| {
        let who = if coordinator {
            format!("volunteer={owner}&")
        } else {
            String::new()
        };
        HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/missions/heures?{who}{query}")))
            .finish()
    };
    let Ok(day) = NaiveDate::parse_from_str(form.day.trim(), "%Y-%m-%d") else {
        return Ok(back("error=bad_date".into()));
    };
    let Some(minutes) = parse_duration(&form.duration) else {
        return Ok(back("error=bad_minutes".into()));
    };
    let input = HoursInput {
        placement_id: placement,
        worked_on: day,
        minutes,
        user_id: Some(user.user.id),
        day_minutes: i64::from(state.mission_day_minutes),
    };
    Ok(match state.store.record_mission_hours(&input).await {
        Ok(crate::store::HoursRecorded::Unchanged) => back("done=unchanged".into()),
        Ok(_) => back("done=recorded".into()),
        Err(HoursError::OverAllowance {
            remaining_minutes, ..
        }) => back(format!(
            "error=over_allowance&remaining={remaining_minutes}"
        )),
        Err(HoursError::Store(e)) => return Err(e.into()),
        Err(HoursError::UnknownPlacement(_)) => return Err(AppError::NotFound),
        Err(e) => back(format!("error={}", e.code())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_people_type_them() {
        for (text, minutes) in [
            ("3", Some(180)),
            ("3,5", Some(210)),
            ("3.5", Some(210)),
            ("3h", Some(180)),
            ("3h30", Some(210)),
            ("3 h 30", Some(210)),
            ("3:30", Some(210)),
            ("45min", Some(45)),
            ("3h75", None),
            ("trois", None),
        ] {
            assert_eq!(parse_duration(text), minutes, "{text}");
        }
    }

    #[test]
    fn groups_add_missions_and_calls_and_bars_scale_to_the_largest() {
        let tr = Lang::En.tr();
        let line = |email: &str, kind: TimeKind, minutes: i64| TimeLine {
            month: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            name: email.into(),
            email: email.into(),
            service: None,
            organisation: None,
            kind,
            minutes,
        };
        let lines = [
            line("a", TimeKind::Mission("Animation".into()), 120),
            line("a", TimeKind::Calls, 60),
            line("b", TimeKind::Calls, 90),
        ];
        let g = groups(tr, &lines, "agent");
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].missions, g[0].calls), (120, 60));
        let b = bars(&g);
        assert_eq!(b[0].missions_width + b[0].calls_width, CHART_BAR_SPACE);
        assert_eq!(b[1].calls_width, CHART_BAR_SPACE / 2);
        let csv = time_csv(&lines).unwrap();
        assert!(csv.trim_end().ends_with("total;;;;;;;270;4.50"), "{csv}");
    }
}
