//! Relay accounts (an associations' reserve, a school) manage their own volunteers:
//! `/relais/volontaires` lists, adds and edits them (qualifications, availability slots,
//! commune, active). Every query is scoped by the relay's organisation
//! (`store::relays`): another relay's volunteer is a 404, and nothing here reads a
//! beneficiary. A volunteer account sees its own placements at `/benevole`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::organisation_link::{qualifications_field, slots_field};
use super::pages::{html_page, with_status, Nav};
use super::roles::{Relay, VolunteerAccount};
use super::AppState;
use crate::domain::{EmailAddress, Phone, PostalCode};
use crate::store::{RelayError, RelayPlacement, RelayVolunteer, RelayVolunteerInput};

/// Texts of these pages: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.relay", "Mes volontaires", "My volunteers"),
    ("nav.volunteer", "Mes missions", "My missions"),
    ("relay.title", "Les volontaires de", "The volunteers of"),
    ("relay.intro", "Vous gérez ici les volontaires de votre structure, et eux seuls. La coordination les propose aux établissements selon leurs qualifications et leurs disponibilités.", "Here you manage your own structure's volunteers, and only them. The coordination proposes them to establishments by their qualifications and availability."),
    ("relay.none", "Aucun volontaire pour l’instant : ajoutez-en un ci-dessous.", "No volunteer yet: add one below."),
    ("relay.col.name", "Nom", "Name"),
    ("relay.col.qualifications", "Qualifications", "Qualifications"),
    ("relay.col.availability", "Disponibilités", "Availability"),
    ("relay.col.commune", "Commune", "Town"),
    ("relay.col.active", "Actif", "Active"),
    ("relay.yes", "oui", "yes"),
    ("relay.no", "non", "no"),
    ("relay.edit", "Modifier", "Edit"),
    ("relay.add", "Ajouter un volontaire", "Add a volunteer"),
    ("relay.edit_title", "Modifier le volontaire", "Edit the volunteer"),
    ("relay.back", "Retour à la liste", "Back to the list"),
    ("relay.email", "Adresse électronique", "Email"),
    ("relay.last_name", "Nom", "Last name"),
    ("relay.first_name", "Prénom", "First name"),
    ("relay.phone", "Téléphone (facultatif)", "Phone (optional)"),
    ("relay.qualifications", "Qualifications (séparées par des virgules)", "Qualifications (comma-separated)"),
    ("relay.availability", "Disponibilités (ex. : lundi 9h-12h, jeudi 14h30-18h)", "Availability (e.g. lundi 9h-12h, jeudi 14h30-18h)"),
    ("relay.postcode", "Code postal", "Postcode"),
    ("relay.commune", "Commune", "Town"),
    ("relay.active", "Disponible pour des missions", "Available for missions"),
    ("relay.save", "Enregistrer", "Save"),
    ("relay.done.added", "Volontaire ajouté.", "Volunteer added."),
    ("relay.done.saved", "Volontaire enregistré.", "Volunteer saved."),
    ("relay.error.email", "L’adresse électronique n’est pas valable. Rien n’a changé.", "The email is not valid. Nothing changed."),
    ("relay.error.name", "Donnez le nom du volontaire. Rien n’a changé.", "Give the volunteer's last name. Nothing changed."),
    ("relay.error.phone", "Le téléphone n’est pas un numéro reconnu (ex. : 06 12 34 56 78). Rien n’a changé.", "The phone is not a number lien recognises (e.g. 06 12 34 56 78). Nothing changed."),
    ("relay.error.postcode", "Le code postal doit avoir 5 chiffres. Rien n’a changé.", "The postcode must have 5 digits. Nothing changed."),
    ("relay.error.email_taken", "Une personne avec cette adresse est déjà dans le vivier de volontaires : demandez à la coordination. Rien n’a changé.", "Someone with this email is already in the volunteer pool: ask the coordination. Nothing changed."),
    ("volunteer.title", "Mes missions", "My missions"),
    ("volunteer.intro", "Les missions auxquelles la coordination vous a proposé(e) ou affecté(e), semaine par semaine.", "The missions the coordination proposed you for or placed you on, week by week."),
    ("volunteer.none", "Aucune mission pour l’instant.", "No mission yet."),
    ("volunteer.week", "Semaine du", "Week of"),
    ("volunteer.hours", "heures", "hours"),
    ("volunteer.state.proposed", "proposée", "proposed"),
    ("volunteer.state.confirmed", "confirmée", "confirmed"),
    ("volunteer.state.signed", "convention signée", "agreement signed"),
    ("volunteer.state.ended", "terminée", "ended"),
];

/// Registers the relay's pages (`Relay`) and the volunteer's (`VolunteerAccount`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/relais/volontaires", web::get().to(list))
        .route("/relais/volontaires", web::post().to(add))
        .route("/relais/volontaires/{id}", web::get().to(edit))
        .route("/relais/volontaires/{id}", web::post().to(save))
        .route("/benevole", web::get().to(volunteer_home));
}

/// The volunteer form as posted (every field optional: a bad post is refused by its
/// CSRF token, then field by field).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VolunteerForm {
    pub csrf: String,
    pub email: String,
    pub last_name: String,
    pub first_name: String,
    pub phone: String,
    pub qualifications: String,
    pub availability: String,
    pub postcode: String,
    pub commune: String,
    /// A checkbox: present ("on") when checked.
    pub active: Option<String>,
}

impl VolunteerForm {
    fn from_volunteer(v: &RelayVolunteer) -> Self {
        Self {
            csrf: String::new(),
            email: v.email.clone(),
            last_name: v.last_name.clone(),
            first_name: v.first_name.clone(),
            phone: v.phone.clone().unwrap_or_default(),
            qualifications: v.qualifications.clone(),
            availability: v.availability.clone(),
            postcode: v.postcode.clone().unwrap_or_default(),
            commune: v.commune.clone().unwrap_or_default(),
            active: v.active.then(|| "on".to_string()),
        }
    }

    fn is_active(&self) -> bool {
        self.active.is_some()
    }
}

/// An optional field: `None` when left empty.
fn optional(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// The form checked field by field into what the store takes; `Err` is the sentence
/// to show (slots name the piece that does not parse and the accepted spellings).
fn checked(lang: Lang, form: &VolunteerForm) -> Result<RelayVolunteerInput, String> {
    let tr = lang.tr();
    let email = EmailAddress::parse(&form.email).map_err(|_| tr.t("relay.error.email"))?;
    if form.last_name.trim().is_empty() {
        return Err(tr.t("relay.error.name").to_string());
    }
    let phone = match optional(&form.phone) {
        Some(p) => Some(
            Phone::parse(p)
                .map_err(|_| tr.t("relay.error.phone"))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let postcode = match optional(&form.postcode) {
        Some(p) => Some(
            PostalCode::parse(p)
                .map_err(|_| tr.t("relay.error.postcode"))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    Ok(RelayVolunteerInput {
        email: email.as_str().to_string(),
        last_name: form.last_name.trim().to_string(),
        first_name: form.first_name.trim().to_string(),
        phone,
        qualifications: qualifications_field(&form.qualifications),
        availability: slots_field(lang, &form.availability)?,
        postcode,
        commune: optional(&form.commune).map(str::to_string),
        active: form.is_active(),
    })
}

#[derive(Template)]
#[template(path = "relay_volunteers.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    organisation: String,
    volunteers: Vec<RelayVolunteer>,
    form: VolunteerForm,
    done: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_key(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "added" => Some("relay.done.added"),
        "saved" => Some("relay.done.saved"),
        _ => None,
    }
}

fn see_other(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn list_page(
    req: &HttpRequest,
    lang: Lang,
    relay: &Relay,
    state: &AppState,
    form: VolunteerForm,
    done: Option<&'static str>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let page = ListPage {
        tr: lang.tr(),
        nav: relay.user.nav(),
        organisation: state
            .store
            .organisation_name(relay.organisation_id)
            .await?
            .unwrap_or_default(),
        volunteers: state.store.relay_volunteers(relay.organisation_id).await?,
        form,
        done,
        error,
    };
    html_page(req, &page)
}

/// `GET /relais/volontaires`: the relay's volunteers and the form to add one.
pub async fn list(
    req: HttpRequest,
    lang: Lang,
    relay: Relay,
    state: web::Data<AppState>,
    query: web::Query<DoneQuery>,
) -> Result<HttpResponse, AppError> {
    let form = VolunteerForm {
        active: Some("on".into()),
        ..VolunteerForm::default()
    };
    let done = done_key(query.done.as_deref());
    list_page(&req, lang, &relay, &state, form, done, None).await
}

/// The sentence of a store refusal.
fn refusal(lang: Lang, e: RelayError) -> Result<String, AppError> {
    match e {
        RelayError::EmailTaken => Ok(lang.tr().t("relay.error.email_taken").to_string()),
        RelayError::NotFound => Err(AppError::NotFound),
        RelayError::Store(e) => Err(e.into()),
    }
}

/// `POST /relais/volontaires`: adds a volunteer to the relay's own.
pub async fn add(
    req: HttpRequest,
    lang: Lang,
    relay: Relay,
    state: web::Data<AppState>,
    form: web::Form<VolunteerForm>,
) -> Result<HttpResponse, AppError> {
    relay.user.check_csrf(&state, &form.csrf)?;
    let form = form.into_inner();
    let error = match checked(lang, &form) {
        Ok(input) => match state
            .store
            .add_relay_volunteer(relay.organisation_id, &input, relay.user.user.id)
            .await
        {
            Ok(_) => return Ok(see_other("/relais/volontaires?done=added".into())),
            Err(e) => refusal(lang, e)?,
        },
        Err(sentence) => sentence,
    };
    let page = list_page(&req, lang, &relay, &state, form, None, Some(error)).await?;
    Ok(with_status(page, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Template)]
#[template(path = "relay_volunteer.html")]
struct EditPage {
    tr: Tr,
    nav: Nav,
    id: i64,
    form: VolunteerForm,
    error: Option<String>,
}

/// `GET /relais/volontaires/{id}`: one of the relay's volunteers (404 for anyone
/// else's); the reading of its contact details is audited.
pub async fn edit(
    req: HttpRequest,
    lang: Lang,
    relay: Relay,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let volunteer = state
        .store
        .relay_volunteer(relay.organisation_id, *id, relay.user.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = EditPage {
        tr: lang.tr(),
        nav: relay.user.nav(),
        id: volunteer.id,
        form: VolunteerForm::from_volunteer(&volunteer),
        error: None,
    };
    html_page(&req, &page)
}

/// `POST /relais/volontaires/{id}`: saves one of the relay's volunteers.
pub async fn save(
    req: HttpRequest,
    lang: Lang,
    relay: Relay,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<VolunteerForm>,
) -> Result<HttpResponse, AppError> {
    relay.user.check_csrf(&state, &form.csrf)?;
    let form = form.into_inner();
    let error = match checked(lang, &form) {
        Ok(input) => match state
            .store
            .update_relay_volunteer(relay.organisation_id, *id, &input, relay.user.user.id)
            .await
        {
            Ok(()) => return Ok(see_other("/relais/volontaires?done=saved".into())),
            Err(e) => refusal(lang, e)?,
        },
        Err(sentence) => sentence,
    };
    let page = EditPage {
        tr: lang.tr(),
        nav: relay.user.nav(),
        id: *id,
        form,
        error: Some(error),
    };
    Ok(with_status(
        html_page(&req, &page)?,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// One placement as the volunteer's page shows it.
pub struct PlacementView {
    pub week: String,
    pub hours: String,
    pub state: &'static str,
    pub establishment: String,
    pub organisation: String,
    pub mission_kind: String,
    pub commune: String,
    pub slots: String,
}

impl PlacementView {
    fn new(p: RelayPlacement) -> Self {
        let state = match p.state.as_str() {
            "confirmed" => "volunteer.state.confirmed",
            "signed" => "volunteer.state.signed",
            "ended" => "volunteer.state.ended",
            _ => "volunteer.state.proposed",
        };
        Self {
            week: p.week_start.format("%d/%m/%Y").to_string(),
            hours: hours_text(p.minutes),
            state,
            establishment: p.establishment,
            organisation: p.organisation,
            mission_kind: p.mission_kind,
            commune: p.commune.unwrap_or_default(),
            slots: p.slots,
        }
    }
}

/// Minutes as hours, `3` or `3,5`.
pub fn hours_text(minutes: i32) -> String {
    if minutes % 60 == 0 {
        (minutes / 60).to_string()
    } else {
        format!("{:.1}", f64::from(minutes) / 60.0).replace('.', ",")
    }
}

#[derive(Template)]
#[template(path = "volunteer_home.html")]
struct VolunteerPage {
    tr: Tr,
    nav: Nav,
    placements: Vec<PlacementView>,
}

/// `GET /benevole`: the volunteer's placements, newest week first.
pub async fn volunteer_home(
    req: HttpRequest,
    lang: Lang,
    volunteer: VolunteerAccount,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let placements = state
        .store
        .own_placements(volunteer.volunteer_id)
        .await?
        .into_iter()
        .map(PlacementView::new)
        .collect();
    let page = VolunteerPage {
        tr: lang.tr(),
        nav: volunteer.user.nav(),
        placements,
    };
    html_page(&req, &page)
}
