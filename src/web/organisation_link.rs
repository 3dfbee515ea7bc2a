//! The organisation's page behind the Monday and Thursday mail's signed link
//! (`/structures/lien/{token}`), made for a phone: the organisation's own needs, each
//! editable (volunteers, weekly hours, slots, qualifications, dates, public, kind of
//! mission, close), and "still right" in one click. No account: the link is the
//! authority (secret, bound to one organisation, dead at the next reminder), so no
//! session or CSRF token is asked. A dead link gets a page that says what to do (410),
//! never an error. The token is in the path, which the request log never writes (it
//! logs the route's pattern).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::client::client_of;
use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, with_status, Nav};
use super::AppState;
use crate::domain::time::{today_in_paris, PARIS};
use crate::missions::qualifications::{format_qualifications, parse_qualifications};
use crate::missions::slots::{format_slots, parse_slots};
use crate::store::{
    HoursLine, LinkNeedEdit, LinkUse, LinkedNeed, NeedEditRefused, OrganisationAccess,
};

/// Texts of this page: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("orglink.title", "Vos besoins en volontaires", "Your volunteer needs"),
    ("orglink.intro", "Vérifiez les besoins que la coordination a enregistrés pour votre structure. S’ils sont toujours justes, un clic suffit ; sinon corrigez le besoin concerné.", "Check the needs the coordination holds for your organisation. If they are still right, one click is enough; otherwise correct the need concerned."),
    ("orglink.expires", "Ce lien fonctionne jusqu’au prochain rappel :", "This link works until the next reminder:"),
    ("orglink.still_right", "Tout est toujours juste", "Everything is still right"),
    ("orglink.none", "Aucun besoin actif pour votre structure. Pour en signaler un, contactez la coordination.", "No active need for your organisation. To report one, contact the coordination."),
    ("orglink.need", "Besoin", "Need"),
    ("orglink.volunteers", "Nombre de volontaires", "Number of volunteers"),
    ("orglink.hours", "Heures par semaine (ex. : 9 ou 9h30)", "Hours a week (e.g. 9 or 9h30)"),
    ("orglink.slots", "Plages horaires (ex. : lundi 9h-12h, jeudi 14h30-18h)", "Time slots (e.g. lundi 9h-12h, jeudi 14h30-18h)"),
    ("orglink.qualifications", "Qualifications demandées (séparées par des virgules)", "Qualifications required (comma-separated)"),
    ("orglink.from", "Du", "From"),
    ("orglink.to", "Au", "To"),
    ("orglink.public", "Public accueilli", "Public housed"),
    ("orglink.kind", "Type de mission", "Kind of mission"),
    ("orglink.close", "Ce besoin est pourvu ou n’existe plus : le clore", "This need is filled or gone: close it"),
    ("orglink.save", "Enregistrer ce besoin", "Save this need"),
    ("orglink.done.saved", "Besoin enregistré. Merci !", "Need saved. Thank you!"),
    ("orglink.done.closed", "Besoin clos. Merci !", "Need closed. Thank you!"),
    ("orglink.done.confirmed", "Merci : la coordination sait que vos besoins sont toujours justes.", "Thank you: the coordination knows your needs are still right."),
    ("orglink.error.volunteers", "Le nombre de volontaires doit être un nombre entier de 1 à 1000. Rien n’a changé.", "The number of volunteers must be a whole number from 1 to 1000. Nothing changed."),
    ("orglink.error.hours", "Les heures par semaine s’écrivent 9, 9,5 ou 9h30 (plus de 0, au plus 168). Rien n’a changé.", "Hours a week are written 9, 9.5 or 9h30 (more than 0, at most 168). Nothing changed."),
    ("orglink.error.date", "Les dates s’écrivent AAAA-MM-JJ. Rien n’a changé.", "Dates are written YYYY-MM-DD. Nothing changed."),
    ("orglink.error.dates_order", "La date de fin est avant la date de début. Rien n’a changé.", "The end date is before the start date. Nothing changed."),
    ("orglink.error.kind", "Donnez le type de mission. Rien n’a changé.", "Give the kind of mission. Nothing changed."),
    ("orglink.error.stale", "Ce besoin a été modifié depuis l’ouverture de la page (par la coordination ou une autre personne de votre structure). Le formulaire montre maintenant le besoin tel qu’il est ; rien n’a changé. Ce qui diffère de ce que vous aviez envoyé :", "This need was changed since the page was opened (by the coordination or someone else at your organisation). The form now shows the need as it is; nothing changed. What differs from what you sent:"),
    ("orglink.field.volunteers_wanted", "nombre de volontaires", "number of volunteers"),
    ("orglink.field.weekly_minutes", "heures par semaine", "hours a week"),
    ("orglink.field.slots", "plages horaires", "time slots"),
    ("orglink.field.qualifications", "qualifications", "qualifications"),
    ("orglink.field.starts_on", "date de début", "start date"),
    ("orglink.field.ends_on", "date de fin", "end date"),
    ("orglink.field.public", "public accueilli", "public housed"),
    ("orglink.field.mission_kind", "type de mission", "kind of mission"),
    ("orglink.field.active", "besoin ouvert ou clos", "need open or closed"),
    ("orglink.hours_done", "Heures faites par les volontaires (quatre dernières semaines)", "Hours done by the volunteers (last four weeks)"),
    ("orglink.hours_week", "semaine du", "week of"),
    ("orglink.hours_planned", "prévues", "planned"),
    ("orglink.hours_recorded", "faites", "done"),
    ("orglink.dead.title", "Ce lien ne fonctionne plus", "This link no longer works"),
    ("orglink.dead.text", "Chaque lien vaut jusqu’au rappel suivant : un nouveau courriel part chaque lundi et chaque jeudi avec un nouveau lien, et l’ancien est alors désactivé. Attendez le prochain courriel, ou, si un besoin est urgent, contactez directement la coordination.", "Each link lasts until the next reminder: a new mail goes every Monday and Thursday with a new link, and the old one is then switched off. Wait for the next mail or, if a need is urgent, contact the coordination directly."),
];

/// Registers the page and its forms (anyone holding a working link).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/structures/lien/{token}", web::get().to(page))
        .route(
            "/structures/lien/{token}/confirmer",
            web::post().to(confirm),
        )
        .route(
            "/structures/lien/{token}/besoins/{id}",
            web::post().to(save),
        );
}

/// A slots field into its canonical text; `Err` names the piece that does not parse
/// and the accepted spellings, in the page's language.
pub fn slots_field(lang: Lang, typed: &str) -> Result<String, String> {
    match parse_slots(typed) {
        Ok(slots) => Ok(format_slots(&slots)),
        Err(e) => Err(match lang {
            Lang::Fr => e.message_fr(),
            Lang::En => e.message_en(),
        }),
    }
}

/// A qualifications field into its canonical text (unknown ones kept as typed).
pub fn qualifications_field(typed: &str) -> String {
    format_qualifications(&parse_qualifications(typed).qualifications)
}

/// Hours a week as typed (`9`, `9,5`, `9.5`, `9h30`, `9 h`) into minutes (1 to 10080).
pub fn weekly_minutes(typed: &str) -> Option<i32> {
    let text = typed.trim().to_lowercase().replace(' ', "");
    let minutes = if let Some((h, m)) = text.split_once('h') {
        let h: i32 = h.parse().ok()?;
        let m: i32 = if m.is_empty() { 0 } else { m.parse().ok()? };
        if !(0..60).contains(&m) {
            return None;
        }
        h.checked_mul(60)?.checked_add(m)?
    } else {
        let hours: f64 = text.replace(',', ".").parse().ok()?;
        if !hours.is_finite() {
            return None;
        }
        (hours * 60.0).round() as i32
    };
    (1..=10080).contains(&minutes).then_some(minutes)
}

/// Minutes a week as the form shows them: `9`, `9h30`.
pub fn hours_value(minutes: i32) -> String {
    if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else {
        format!("{}h{:02}", minutes / 60, minutes % 60)
    }
}

/// Minutes as a page says them: `9 h`, `9 h 30`.
fn spoken_hours(minutes: i64) -> String {
    match minutes % 60 {
        0 => format!("{} h", minutes / 60),
        m => format!("{} h {m:02}", minutes / 60),
    }
}

/// One need's form, as posted (every field optional: checked one by one).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NeedForm {
    pub version: i32,
    pub volunteers: String,
    pub hours: String,
    pub slots: String,
    pub qualifications: String,
    pub starts_on: String,
    pub ends_on: String,
    pub public: String,
    pub kind: String,
    /// A checkbox: present when the need is to be closed.
    pub close: Option<String>,
}

fn date_field(typed: &str) -> Result<Option<NaiveDate>, ()> {
    match typed.trim() {
        "" => Ok(None),
        t => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

/// The form checked into a change; `Err` is the sentence to show.
fn checked(lang: Lang, form: &NeedForm) -> Result<LinkNeedEdit, String> {
    let tr = lang.tr();
    let refuse = |key: &str| tr.t(key).to_string();
    let volunteers_wanted: i32 = form
        .volunteers
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or_else(|| refuse("orglink.error.volunteers"))?;
    let weekly_minutes =
        weekly_minutes(&form.hours).ok_or_else(|| refuse("orglink.error.hours"))?;
    let slots = slots_field(lang, &form.slots)?;
    let starts_on = date_field(&form.starts_on).map_err(|()| refuse("orglink.error.date"))?;
    let ends_on = date_field(&form.ends_on).map_err(|()| refuse("orglink.error.date"))?;
    if let (Some(from), Some(to)) = (starts_on, ends_on) {
        if to < from {
            return Err(refuse("orglink.error.dates_order"));
        }
    }
    let mission_kind = form.kind.trim().to_string();
    if mission_kind.is_empty() {
        return Err(refuse("orglink.error.kind"));
    }
    Ok(LinkNeedEdit {
        volunteers_wanted,
        weekly_minutes,
        slots,
        qualifications: qualifications_field(&form.qualifications),
        starts_on,
        ends_on,
        public: Some(form.public.trim().to_string()).filter(|p| !p.is_empty()),
        mission_kind,
        active: form.close.is_none(),
    })
}

/// One need as its card shows it: the stored values, or what was typed when the form
/// is shown again with a refusal.
pub struct NeedCard {
    pub id: i64,
    pub reference: String,
    pub establishment: String,
    pub commune: String,
    pub version: i32,
    pub form: NeedForm,
    pub error: Option<String>,
}

impl NeedCard {
    fn new(need: LinkedNeed) -> Self {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        Self {
            form: NeedForm {
                version: need.version,
                volunteers: need.volunteers_wanted.to_string(),
                hours: hours_value(need.weekly_minutes),
                slots: need.slots,
                qualifications: need.qualifications,
                starts_on: date(need.starts_on),
                ends_on: date(need.ends_on),
                public: need.public.unwrap_or_default(),
                kind: need.mission_kind,
                close: None,
            },
            id: need.id,
            reference: need.reference,
            establishment: need.establishment,
            commune: need.commune.unwrap_or_default(),
            version: need.version,
            error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "organisation_link.html")]
struct LinkPage {
    tr: Tr,
    nav: Nav,
    organisation: String,
    expires: String,
    base: String,
    needs: Vec<NeedCard>,
    hours: Vec<HoursView>,
    done: Option<&'static str>,
}

/// One placement's hours, as the page shows them.
pub struct HoursView {
    pub reference: String,
    pub volunteer: String,
    pub week: String,
    pub planned: String,
    pub done: String,
}

impl HoursView {
    fn new(line: HoursLine) -> Self {
        let initial: String = line.last_name.chars().take(1).collect();
        Self {
            reference: line.reference,
            volunteer: format!("{} {initial}.", line.first_name),
            week: line.week_start.format("%d/%m").to_string(),
            planned: spoken_hours(i64::from(line.planned_minutes)),
            done: spoken_hours(line.done_minutes),
        }
    }
}

#[derive(Template)]
#[template(path = "organisation_link_dead.html")]
struct DeadPage {
    tr: Tr,
    nav: Nav,
}

/// The organisation a token opens (its use audited with the client's address), or the
/// page that says the link is dead (410).
async fn by_link(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    token: &str,
    how: LinkUse,
) -> Result<Result<OrganisationAccess, HttpResponse>, AppError> {
    let client = client_of(req, state);
    let now = chrono::Utc::now();
    match state
        .store
        .use_organisation_link(token, how, &client, now)
        .await?
    {
        Ok(access) => Ok(Ok(access)),
        Err(_) => {
            let page = DeadPage {
                tr: lang.tr(),
                nav: Nav::default(),
            };
            let mut response = html_page(req, &page)?;
            *response.status_mut() = StatusCode::GONE;
            Ok(Err(response))
        }
    }
}

/// The page with the organisation's needs; `shown` replaces one need's card (a
/// refused form shown again).
async fn render(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    access: &OrganisationAccess,
    token: &str,
    done: Option<&'static str>,
    shown: Option<NeedCard>,
) -> Result<HttpResponse, AppError> {
    let needs = state
        .store
        .organisation_needs(access, today_in_paris())
        .await?;
    let mut cards: Vec<NeedCard> = needs.into_iter().map(NeedCard::new).collect();
    if let Some(shown) = shown {
        match cards.iter_mut().find(|c| c.id == shown.id) {
            Some(card) => *card = shown,
            None => cards.push(shown),
        }
    }
    let since = today_in_paris() - chrono::Duration::days(28);
    let hours = state
        .store
        .organisation_hours(access, since)
        .await?
        .into_iter()
        .map(HoursView::new)
        .collect();
    let expires = access.expires_at.with_timezone(&PARIS);
    let page = LinkPage {
        tr: lang.tr(),
        nav: Nav::default(),
        organisation: access.organisation.clone(),
        expires: match lang {
            Lang::Fr => expires.format("%d/%m/%Y %H:%M").to_string(),
            Lang::En => expires.format("%Y-%m-%d %H:%M").to_string(),
        },
        base: format!("/structures/lien/{token}"),
        needs: cards,
        hours,
        done,
    };
    html_page(req, &page)
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_key(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "saved" => Some("orglink.done.saved"),
        "closed" => Some("orglink.done.closed"),
        "confirmed" => Some("orglink.done.confirmed"),
        _ => None,
    }
}

fn back(token: &str, done: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/structures/lien/{token}?done={done}"),
        ))
        .finish()
}

/// `GET /structures/lien/{token}`: the organisation's needs.
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let access = match by_link(&req, lang, &state, &token, LinkUse::Read).await? {
        Ok(access) => access,
        Err(dead) => return Ok(dead),
    };
    let done = done_key(query.done.as_deref());
    render(&req, lang, &state, &access, &token, done, None).await
}

/// `POST /structures/lien/{token}/confirmer`: "everything is still right" (audited).
pub async fn confirm(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let access = match by_link(&req, lang, &state, &token, LinkUse::Update).await? {
        Ok(access) => access,
        Err(dead) => return Ok(dead),
    };
    let client = client_of(&req, &state);
    state
        .store
        .confirm_organisation_needs(&access, &client)
        .await?;
    Ok(back(&token, "confirmed"))
}

/// The sentence of a stale form: what differs, each field named in the page's language.
fn stale_sentence(tr: Tr, differs: &[&'static str]) -> String {
    let fields: Vec<&str> = differs
        .iter()
        .map(|f| tr.t(&format!("orglink.field.{f}")))
        .collect();
    format!("{} {}.", tr.t("orglink.error.stale"), fields.join(", "))
}

/// `POST /structures/lien/{token}/besoins/{id}`: saves (or closes) one need, if it did
/// not change since the form was opened; else the page again with what changed (409),
/// or with the field to correct (422).
pub async fn save(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<NeedForm>,
) -> Result<HttpResponse, AppError> {
    let (token, need_id) = path.into_inner();
    let access = match by_link(&req, lang, &state, &token, LinkUse::Update).await? {
        Ok(access) => access,
        Err(dead) => return Ok(dead),
    };
    let form = form.into_inner();
    let edit = match checked(lang, &form) {
        Ok(edit) => edit,
        Err(sentence) => {
            let card = typed_card(&state, &access, need_id, form, sentence).await?;
            let page = render(&req, lang, &state, &access, &token, None, Some(card)).await?;
            return Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let client = client_of(&req, &state);
    let outcome = state
        .store
        .update_need_by_link(&access, need_id, form.version, &edit, &client)
        .await?;
    match outcome {
        Ok(need) if !need.active => Ok(back(&token, "closed")),
        Ok(_) => Ok(back(&token, "saved")),
        Err(NeedEditRefused::NotFound) => Err(AppError::NotFound),
        Err(NeedEditRefused::Stale { current, differs }) => {
            let mut card = NeedCard::new(*current);
            card.error = Some(stale_sentence(lang.tr(), &differs));
            let page = render(&req, lang, &state, &access, &token, None, Some(card)).await?;
            Ok(with_status(page, StatusCode::CONFLICT))
        }
    }
}

/// A refused form's card: the need's reference and establishment, what was typed.
async fn typed_card(
    state: &AppState,
    access: &OrganisationAccess,
    need_id: i64,
    form: NeedForm,
    error: String,
) -> Result<NeedCard, AppError> {
    let needs = state
        .store
        .organisation_needs(access, today_in_paris())
        .await?;
    let need = needs
        .into_iter()
        .find(|n| n.id == need_id)
        .ok_or(AppError::NotFound)?;
    let mut card = NeedCard::new(need);
    // The version the form was opened at stays: a stale form stays stale.
    card.form = form;
    card.error = Some(error);
    Ok(card)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_hours_in_the_spellings_people_type() {
        assert_eq!(weekly_minutes("9"), Some(540));
        assert_eq!(weekly_minutes("9,5"), Some(570));
        assert_eq!(weekly_minutes("9.5"), Some(570));
        assert_eq!(weekly_minutes("9h30"), Some(570));
        assert_eq!(weekly_minutes("9 h"), Some(540));
        assert_eq!(weekly_minutes("0"), None);
        assert_eq!(weekly_minutes("9h75"), None);
        assert_eq!(weekly_minutes("beaucoup"), None);
        assert_eq!(weekly_minutes("200"), None);
        assert_eq!(hours_value(570), "9h30");
        assert_eq!(hours_value(540), "9");
    }
}
