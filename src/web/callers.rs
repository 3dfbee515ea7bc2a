//! The coordinators' roster of callers (`/coordination/callers`) and one caller's page:
//! absences (with the preview of the rebalance they call for), departures and returns,
//! capacity, days, languages and territory preference.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, Weekday};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{campaign_choices, html_page, CampaignChoice, Nav};
use super::planning::parse_week;
use super::roles::CoordinatorOrAdmin;
use super::AppState;
use crate::domain::names::clean_name;
use crate::domain::{CampaignName, EmailAddress, IsoWeek, LanguageCode, Weekdays};
use crate::records::imports::{Parsed, ParsedRow};
use crate::store::{
    Absence, CallerError, CallerLine, CallerSettings, ChangedBy, ImportSource, Move, TouchedWeek,
};

/// Texts of these pages: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.callers", "Appelants", "Callers"),
    ("callers.title", "Appelants", "Callers"),
    ("callers.search", "Nom ou adresse", "Name or email"),
    ("callers.territory", "Territoire préféré", "Territory preference"),
    ("callers.any_territory", "Tous les territoires", "All territories"),
    ("callers.state", "Situation", "State"),
    ("callers.state.all", "Tous", "All"),
    ("callers.state.active", "Actifs", "Active"),
    ("callers.state.inactive", "Partis", "Left"),
    ("callers.state.absent", "Absents cette semaine", "Absent this week"),
    ("callers.state.not_started", "Jamais appelé", "Not started"),
    ("callers.filter", "Filtrer", "Filter"),
    ("callers.none", "Aucun appelant ne correspond.", "No caller matches."),
    ("callers.name", "Nom", "Name"),
    ("callers.capacity", "Capacité hebdomadaire", "Weekly capacity"),
    ("callers.days", "Jours", "Days"),
    ("callers.languages", "Langues", "Languages"),
    ("callers.progress", "Cette semaine (appelés / confiés)", "This week (called / assigned)"),
    ("callers.last_call", "Dernier appel", "Last call"),
    ("callers.never", "jamais", "never"),
    ("callers.inactive", "parti", "left"),
    ("callers.absent", "absent cette semaine", "absent this week"),
    ("callers.no_territory", "aucun", "none"),
    ("callers.back", "Tous les appelants", "All callers"),
    ("callers.edit", "Capacité, jours, langues, territoire", "Capacity, days, languages, territory"),
    ("callers.languages_help", "Codes séparés par des virgules, par exemple fr, en", "Codes separated by commas, for example fr, en"),
    ("callers.save", "Enregistrer", "Save"),
    ("callers.absences", "Absences", "Absences"),
    ("callers.no_absence", "Aucune absence à venir.", "No absence ahead."),
    ("callers.from", "Du", "From"),
    ("callers.to", "Au (inclus)", "To (included)"),
    ("callers.record_absence", "Enregistrer l’absence", "Record the absence"),
    ("callers.rebalance_title", "Semaines déjà planifiées que l’absence touche", "Weeks already planned that the absence covers"),
    ("callers.rebalance_intro", "Ces personnes pas encore appelées iraient à d’autres appelants. Rien ne change tant que vous ne confirmez pas.", "These people not yet called would go to other callers. Nothing changes until you confirm."),
    ("callers.person", "Personne (référence)", "Person (reference)"),
    ("callers.move_from", "De", "From"),
    ("callers.move_to", "À", "To"),
    ("callers.nobody", "personne : plus de place", "nobody: no room left"),
    ("callers.no_move", "Aucun déplacement : la capacité restante suffit.", "No move: the remaining capacity is enough."),
    ("callers.confirm_rebalance", "Confirmer le rééquilibrage", "Confirm the rebalance"),
    ("callers.departure", "Départ", "Departure"),
    ("callers.deactivate_help", "Le compte et les sessions de l’appelant prennent fin aussitôt ; ses personnes pas encore appelées cette semaine vont à d’autres ; les prochains plannings l’ignorent. L’historique est gardé.", "The caller’s account and sessions end at once; their people not yet called this week go to others; future plans leave them out. History is kept."),
    ("callers.confirm", "Je confirme", "I confirm"),
    ("callers.deactivate", "Désactiver l’appelant", "Deactivate the caller"),
    ("callers.reactivate", "Réactiver l’appelant", "Reactivate the caller"),
    ("callers.reactivate_help", "L’appelant et son compte redeviennent actifs ; la personne se reconnecte.", "The caller and their account are active again; they log in anew."),
    ("callers.done.saved", "C’est enregistré.", "Saved."),
    ("callers.done.absence", "Absence enregistrée.", "Absence recorded."),
    ("callers.done.rebalanced", "Rééquilibrage fait : les personnes ont leur nouvel appelant.", "Rebalanced: the people have their new caller."),
    ("callers.done.deactivated", "L’appelant est désactivé ; ses personnes de la semaine sont confiées à d’autres.", "The caller is deactivated; their people of the week are handed to others."),
    ("callers.done.reactivated", "L’appelant est de nouveau actif.", "The caller is active again."),
    ("callers.error.absence_inverted", "L’absence finit avant de commencer : donnez une date de fin égale ou postérieure au début. Rien n’a changé.", "The absence ends before it starts: give an end date on or after the start date. Nothing changed."),
    ("callers.error.capacity_out_of_bounds", "La capacité doit être un nombre de 0 à 1000 appels par semaine. Rien n’a changé.", "The capacity must be a number from 0 to 1000 calls a week. Nothing changed."),
    ("callers.error.bad_date", "Donnez les deux dates au format AAAA-MM-JJ. Rien n’a changé.", "Give both dates as YYYY-MM-DD. Nothing changed."),
    ("callers.error.bad_languages", "Donnez des codes de langue séparés par des virgules, par exemple fr, en. Rien n’a changé.", "Give language codes separated by commas, for example fr, en. Nothing changed."),
    ("callers.error.unconfirmed", "Cochez « Je confirme » pour faire ce changement. Rien n’a changé.", "Tick “I confirm” to make this change. Nothing changed."),
    ("callers.add", "Ajouter un appelant", "Add a caller"),
    ("callers.last_name", "Nom", "Last name"),
    ("callers.first_name", "Prénom", "First name"),
    ("callers.email", "Adresse e-mail", "Email"),
    ("callers.invite", "Lui envoyer l’invitation (compte et lien de connexion par courriel)", "Send them the invitation (account and login link by mail)"),
    ("callers.done.added", "Appelant ajouté.", "Caller added."),
    ("callers.done.invited", "Appelant ajouté ; l’invitation part par courriel.", "Caller added; the invitation goes out by mail."),
    ("callers.error.bad_name", "Donnez un nom (avec au moins une lettre) et un prénom de 100 caractères au plus. Rien n’a changé.", "Give a last name (with at least one letter) and a first name of at most 100 characters. Nothing changed."),
    ("callers.error.bad_email", "Donnez une adresse e-mail valide, par exemple prenom.nom@exemple.fr. Rien n’a changé.", "Give a valid email address, for example first.last@example.org. Nothing changed."),
    ("callers.error.email_taken", "Un appelant a déjà cette adresse : ouvrez sa fiche dans la liste. Rien n’a changé.", "A caller already has this address: open their page in the list. Nothing changed."),
    ("callers.error.unknown_caller", "Cet appelant n’existe pas.", "This caller does not exist."),
];

/// Monday first, with the catalogue key of each day's name.
pub(super) const DAY_KEYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "day.mon"),
    (Weekday::Tue, "day.tue"),
    (Weekday::Wed, "day.wed"),
    (Weekday::Thu, "day.thu"),
    (Weekday::Fri, "day.fri"),
    (Weekday::Sat, "day.sat"),
    (Weekday::Sun, "day.sun"),
];

/// The days of a `available_weekdays` value, named in the page's language.
fn day_names(tr: Tr, bits: i32) -> String {
    let days = Weekdays::from_bits(bits.clamp(0, 127) as u8).unwrap_or_else(|_| Weekdays::all());
    DAY_KEYS
        .iter()
        .filter(|(d, _)| days.contains(*d))
        .map(|(_, key)| tr.t(key).chars().take(3).collect::<String>())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A message key of `callers.done.*` or `callers.error.*`, from the query string.
fn known_key(prefix: &str, code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    TEXTS
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| k.strip_prefix(prefix) == Some(code))
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Deserialize, Default)]
pub struct RosterQuery {
    error: Option<String>,
    q: Option<String>,
    territory: Option<String>,
    state: Option<String>,
    campaign: Option<String>,
    week: Option<String>,
}

pub struct RosterLine {
    pub line: CallerLine,
    pub days: String,
    pub last_call: String,
}

#[derive(Template)]
#[template(path = "callers.html")]
struct RosterPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    campaign: String,
    week: String,
    q: String,
    territory: String,
    state: String,
    territories: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    lines: Vec<RosterLine>,
    error: Option<&'static str>,
}

const STATES: [(&str, &str); 5] = [
    ("all", "callers.state.all"),
    ("active", "callers.state.active"),
    ("inactive", "callers.state.inactive"),
    ("absent", "callers.state.absent"),
    ("not_started", "callers.state.not_started"),
];

fn keep(line: &CallerLine, query: &RosterQuery) -> bool {
    let territory_ok = match query.territory.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            line.territory_preference_id
                .map(|id| id.to_string())
                .as_deref()
                == Some(t)
        }
        None => true,
    };
    let state_ok = match query.state.as_deref().unwrap_or("all") {
        "active" => line.active,
        "inactive" => !line.active,
        "absent" => line.active && line.absent,
        "not_started" => line.not_started(),
        _ => true,
    };
    territory_ok && state_ok && line.matches(query.q.as_deref().unwrap_or(""))
}

async fn campaign_of(
    state: &AppState,
    name: Option<&str>,
) -> Result<crate::store::Campaign, AppError> {
    let name = CampaignName::parse(
        name.filter(|n| !n.is_empty())
            .unwrap_or(CampaignName::DEFAULT),
    )
    .map_err(|_| AppError::NotFound)?;
    Ok(state.store.campaign_by_name(&name).await?)
}

/// `GET /coordination/callers`: the roster, searched and filtered.
pub async fn roster(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<RosterQuery>,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let campaign = campaign_of(&state, query.campaign.as_deref()).await?;
    let week = parse_week(query.week.as_deref())?;
    let lines = state
        .store
        .caller_lines(campaign.id, week)
        .await?
        .into_iter()
        .filter(|line| keep(line, &query))
        .map(|line| RosterLine {
            days: day_names(tr, line.available_weekdays),
            last_call: last_call(tr, &line),
            line,
        })
        .collect();
    let mut territories: Vec<(String, String)> = state
        .store
        .territory_names()
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    territories.sort_by(|a, b| a.1.cmp(&b.1));
    let page = RosterPage {
        tr,
        nav: user.nav(),
        campaigns: campaign_choices(&state.store).await?,
        campaign: campaign.name,
        week: week.to_string(),
        q: query.q.clone().unwrap_or_default(),
        territory: query.territory.clone().unwrap_or_default(),
        state: query.state.clone().unwrap_or_else(|| "all".into()),
        territories,
        states: STATES.to_vec(),
        lines,
        error: known_key("callers.error.", query.error.as_deref()),
    };
    html_page(&req, &page)
}

fn last_call(tr: Tr, line: &CallerLine) -> String {
    match line.last_call_at {
        Some(at) => at
            .with_timezone(&crate::domain::time::PARIS)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => tr.t("callers.never").to_string(),
    }
}

#[derive(Deserialize, Default)]
pub struct CallerQuery {
    campaign: Option<String>,
    done: Option<String>,
    error: Option<String>,
    /// An absence just recorded: its weeks already planned are previewed.
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// A week already planned and the moves its rebalance would make.
pub struct WeekPreview {
    pub week: TouchedWeek,
    pub moves: Vec<Move>,
}

#[derive(Template)]
#[template(path = "caller.html")]
struct CallerPage {
    tr: Tr,
    nav: Nav,
    line: CallerLine,
    days: Vec<(u8, &'static str, bool)>,
    last_call: String,
    territories: Vec<(String, String)>,
    selected_territory: String,
    absences: Vec<Absence>,
    previews: Vec<WeekPreview>,
    done: Option<&'static str>,
    error: Option<&'static str>,
}

/// `GET /coordination/callers/{id}`: one caller, their forms, and after an absence the
/// preview of the rebalance it calls for.
pub async fn caller_page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<CallerQuery>,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let id = id.into_inner();
    let campaign = campaign_of(&state, query.campaign.as_deref()).await?;
    let line = state
        .store
        .caller_line(id, campaign.id, IsoWeek::current())
        .await?
        .ok_or(AppError::NotFound)?;
    let previews = match (query.from, query.to) {
        (Some(from), Some(to)) => previews(&state, id, from, to).await?,
        _ => Vec::new(),
    };
    let bits = Weekdays::from_bits(line.available_weekdays.clamp(0, 127) as u8)
        .unwrap_or_else(|_| Weekdays::all());
    let mut territories: Vec<(String, String)> = state
        .store
        .territory_names()
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    territories.sort_by(|a, b| a.1.cmp(&b.1));
    let page = CallerPage {
        tr,
        nav: user.nav(),
        days: DAY_KEYS
            .iter()
            .map(|(d, key)| (d.num_days_from_monday() as u8, *key, bits.contains(*d)))
            .collect(),
        last_call: last_call(tr, &line),
        selected_territory: line
            .territory_preference_id
            .map(|t| t.to_string())
            .unwrap_or_default(),
        line,
        territories,
        absences: state
            .store
            .caller_absences(id, crate::domain::time::today_in_paris())
            .await?,
        previews,
        done: known_key("callers.done.", query.done.as_deref()),
        error: known_key("callers.error.", query.error.as_deref()),
    };
    html_page(&req, &page)
}

async fn previews(
    state: &AppState,
    caller_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<WeekPreview>, AppError> {
    let mut out = Vec::new();
    for week in state.store.weeks_touched(caller_id, from, to).await? {
        let campaign = campaign_of(state, Some(&week.campaign)).await?;
        let moves = state.store.rebalance_moves(&campaign, week.week).await?;
        out.push(WeekPreview { week, moves });
    }
    Ok(out)
}

fn refused(id: i64, e: CallerError) -> Result<HttpResponse, AppError> {
    match e {
        CallerError::Store(e) => Err(e.into()),
        CallerError::UnknownCaller(_) => Err(AppError::NotFound),
        other => Ok(see_other(format!(
            "/coordination/callers/{id}?error={}",
            other.code()
        ))),
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

/// `POST /coordination/callers/{id}/absences`: records an absence, then shows the
/// caller's page with the rebalance preview of the weeks already planned it covers.
pub async fn record_absence(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<AbsenceForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let id = id.into_inner();
    let (Ok(from), Ok(to)) = (
        NaiveDate::parse_from_str(form.from.trim(), "%Y-%m-%d"),
        NaiveDate::parse_from_str(form.to.trim(), "%Y-%m-%d"),
    ) else {
        return Ok(see_other(format!(
            "/coordination/callers/{id}?error=bad_date"
        )));
    };
    let by = ChangedBy(Some(user.user.id));
    if let Err(e) = state.store.record_absence(id, from, to, by).await {
        return refused(id, e);
    }
    Ok(see_other(format!(
        "/coordination/callers/{id}?done=absence&from={from}&to={to}"
    )))
}

#[derive(Deserialize)]
pub struct RebalanceForm {
    csrf: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    week: String,
}

/// `POST /coordination/callers/{id}/rebalance`: the rebalance the preview showed.
pub async fn rebalance(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<RebalanceForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let week = parse_week(Some(&form.week))?;
    let campaign = campaign_of(&state, Some(&form.campaign)).await?;
    let touched = TouchedWeek {
        campaign: campaign.name,
        week,
    };
    state.store.rebalance_weeks(&[touched]).await?;
    Ok(see_other(format!(
        "/coordination/callers/{}?done=rebalanced",
        id.into_inner()
    )))
}

#[derive(Deserialize)]
pub struct ActiveForm {
    csrf: String,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    confirm: Option<String>,
}

/// `POST /coordination/callers/{id}/active`: a departure or a return, confirmed.
pub async fn set_active(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let id = id.into_inner();
    if form.confirm.as_deref() != Some("yes") {
        return Ok(see_other(format!(
            "/coordination/callers/{id}?error=unconfirmed"
        )));
    }
    let by = ChangedBy(Some(user.user.id));
    if let Err(e) = state.store.set_caller_active(id, form.active, by).await {
        return refused(id, e);
    }
    let done = if form.active {
        "reactivated"
    } else {
        "deactivated"
    };
    Ok(see_other(format!("/coordination/callers/{id}?done={done}")))
}

/// The settings form as posted: days come as repeated `day=0…6` fields.
#[derive(Debug, Default)]
struct SettingsForm {
    csrf: String,
    capacity: String,
    days: Vec<u8>,
    languages: String,
    territory: String,
}

impl SettingsForm {
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
                "languages" => form.languages = value,
                "territory" => form.territory = value,
                _ => {}
            }
        }
        form
    }

    /// The settings, or the code of what is wrong.
    fn parse(&self) -> Result<CallerSettings, &'static str> {
        let capacity: i64 = self
            .capacity
            .trim()
            .parse()
            .map_err(|_| "capacity_out_of_bounds")?;
        let languages = crate::domain::LanguageCode::parse_list(&self.languages)
            .map_err(|_| "bad_languages")?;
        if languages.is_empty() {
            return Err("bad_languages");
        }
        let days = DAY_KEYS
            .iter()
            .filter(|(d, _)| self.days.contains(&(d.num_days_from_monday() as u8)))
            .map(|(d, _)| *d)
            .collect();
        Ok(CallerSettings {
            weekly_capacity: capacity,
            available_weekdays: days,
            languages: languages
                .iter()
                .map(|l| l.as_str())
                .collect::<Vec<_>>()
                .join(","),
            territory_preference_id: self.territory.trim().parse().ok(),
        })
    }
}

/// `POST /coordination/callers/{id}`: capacity, days, languages, territory preference.
pub async fn save(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = SettingsForm::from_body(&body);
    user.check_csrf(&state, &form.csrf)?;
    let id = id.into_inner();
    let settings = match form.parse() {
        Ok(s) => s,
        Err(code) => {
            return Ok(see_other(format!(
                "/coordination/callers/{id}?error={code}"
            )))
        }
    };
    let by = ChangedBy(Some(user.user.id));
    if let Err(e) = state.store.update_caller(id, &settings, by).await {
        return refused(id, e);
    }
    Ok(see_other(format!("/coordination/callers/{id}?done=saved")))
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    invite: Option<String>,
}

impl AddForm {
    /// The caller as an import row, or the code of what is wrong.
    fn parse(&self) -> Result<crate::store::NewCaller, &'static str> {
        let last_name = clean_name(&self.last_name);
        let first_name = clean_name(&self.first_name);
        if !last_name.chars().any(char::is_alphabetic) || last_name.chars().count() > 100 {
            return Err("bad_name");
        }
        if first_name.chars().count() > 100 {
            return Err("bad_name");
        }
        let email = EmailAddress::parse(&self.email).map_err(|_| "bad_email")?;
        let capacity: u32 = self
            .capacity
            .trim()
            .parse()
            .ok()
            .filter(|c| *c <= 1000)
            .ok_or("capacity_out_of_bounds")?;
        let languages = match self.languages.trim() {
            "" => vec![LanguageCode::french()],
            raw => LanguageCode::parse_list(raw).map_err(|_| "bad_languages")?,
        };
        Ok(crate::store::NewCaller {
            email,
            last_name,
            first_name,
            phone: None,
            languages,
            weekly_capacity: capacity,
            half_days: None,
            available_weekdays: Weekdays::all(),
            territory_preference: None,
            absence: None,
            active: None,
        })
    }
}

/// `POST /coordination/callers`: adds a caller, and with `invite` gives them an account
/// and the invitation mail, by the very path of an imported callers' list (one row).
pub async fn add(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let caller = match form.parse() {
        Ok(c) => c,
        Err(code) => return Ok(see_other(format!("/coordination/callers?error={code}"))),
    };
    if state
        .store
        .caller_by_email(caller.email.as_str())
        .await
        .is_ok()
    {
        return Ok(see_other("/coordination/callers?error=email_taken".into()));
    }
    let email = caller.email.as_str().to_string();
    let parsed = Parsed {
        rows: vec![ParsedRow {
            line: 1,
            value: caller,
            warnings: Vec::new(),
        }],
        rejected: Vec::new(),
        warnings: Vec::new(),
        rows_read: 1,
        encoding: "UTF-8".into(),
        delimiter: ';',
        headers: Vec::new(),
        mapping: Vec::new(),
    };
    let source = ImportSource {
        filename: "formulaire".into(),
        sha256: crate::auth::token_hash(&format!("caller-form:{email}")),
        created_by: Some(user.user.id),
    };
    let invite = form.invite.is_some().then_some(&state.base_url);
    state
        .store
        .import_callers_inviting(&source, &parsed, invite, false)
        .await?;
    let id = state
        .store
        .caller_by_email(&email)
        .await
        .map_err(|e| match e {
            CallerError::Store(e) => AppError::from(e),
            _ => AppError::NotFound,
        })?;
    let done = if invite.is_some() { "invited" } else { "added" };
    Ok(see_other(format!("/coordination/callers/{id}?done={done}")))
}
