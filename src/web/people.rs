//! Finding one person and acting on them (`/coordination/personnes`, coordinators and
//! admins): the search (posted, so that the text searched stays out of addresses,
//! browser history and logs), the person's page, and the changes a coordinator makes —
//! each with a reason, audited, checked against the version shown (see
//! `store::person_edits`).

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::person::{change, person};
use super::roles::CoordinatorOrAdmin;
use super::session::CurrentUser;
use super::AppState;
use crate::domain::Coded;
use crate::store::{Editor, SearchKey};

/// The people pages' routes (coordinators and admins: every handler takes
/// `CoordinatorOrAdmin`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/coordination/personnes", web::get().to(search_form))
        .route("/coordination/personnes", web::post().to(search))
        .route("/coordination/personnes/{id}", web::get().to(person))
        .route("/coordination/personnes/{id}", web::post().to(change));
}

/// (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.people", "Personnes", "People"),
    ("people.title", "Trouver une personne", "Find a person"),
    ("people.intro", "Cherchez par nom (sans se soucier des accents ni des majuscules), référence de dossier, numéro de téléphone (sous toute forme) ou commune. Chaque recherche et chaque fiche ouverte sont inscrites au journal, sans le texte cherché.", "Search by name (accents and capitals do not matter), file reference, phone number (in any form) or commune. Every search and every page opened is written to the audit trail, without the text searched."),
    ("people.text", "Texte cherché", "Search for"),
    ("people.key", "Chercher dans", "Look in"),
    ("people.key.any", "Tout (nom, référence, téléphone, commune)", "Everything (name, reference, phone, commune)"),
    ("people.key.name", "Nom", "Name"),
    ("people.key.reference", "Référence de dossier", "File reference"),
    ("people.key.phone", "Téléphone", "Phone"),
    ("people.key.commune", "Commune", "Commune"),
    ("people.search", "Chercher", "Search"),
    ("people.results", "personne(s) trouvée(s)", "person(s) found"),
    ("people.none", "Personne ne correspond. Vérifiez l’orthographe, ou cherchez par une autre clé.", "Nobody matches. Check the spelling, or search by another key."),
    ("people.name", "Nom", "Name"),
    ("people.reference", "Référence", "Reference"),
    ("people.commune", "Commune", "Commune"),
    ("people.territory", "Territoire", "Territory"),
    ("people.status", "Statut", "Status"),
    ("people.page", "Page", "Page"),
    ("people.previous", "Précédente", "Previous"),
    ("people.next", "Suivante", "Next"),
    ("people.back", "Chercher une autre personne", "Find another person"),
    ("people.identity", "Identité", "Identity"),
    ("people.birth_date", "Née ou né le", "Born on"),
    ("people.address", "Adresse", "Address"),
    ("people.language", "Langue", "Language"),
    ("people.since", "depuis le", "since"),
    ("people.paused_until", "En pause jusqu’au", "Paused until"),
    ("people.continuity", "Appelant attitré (désormais)", "Regular caller (from now on)"),
    ("people.phones", "Téléphones", "Phones"),
    ("people.phone.wrong", "signalé faux le", "reported wrong on"),
    ("people.phone.kind.mobile", "portable", "mobile"),
    ("people.phone.kind.landline", "fixe", "landline"),
    ("people.phone.kind.other", "autre", "other"),
    ("people.no_phone", "Aucun numéro.", "No number."),
    ("people.relative", "Proche à prévenir", "Relative to contact"),
    ("people.campaigns", "Campagnes", "Campaigns"),
    ("people.left", "sortie le", "left on"),
    ("people.this_week", "Appelant de cette semaine", "This week’s caller"),
    ("people.not_planned", "Pas d’appel prévu cette semaine.", "No call planned this week."),
    ("people.weeks", "Semaines", "Weeks"),
    ("people.week", "Semaine", "Week"),
    ("people.campaign", "Campagne", "Campaign"),
    ("people.caller", "Appelant", "Caller"),
    ("people.attempts", "Tentatives", "Attempts"),
    ("people.reason_planned", "Motif", "Reason"),
    ("people.assignment.open", "à appeler", "to call"),
    ("people.assignment.closed", "terminé", "done"),
    ("people.calls", "Appels", "Calls"),
    ("people.when", "Date", "Date"),
    ("people.outcome", "Résultat", "Outcome"),
    ("people.notes", "Notes", "Notes"),
    ("people.escalations", "Signalements", "Escalations"),
    ("people.need", "Besoin", "Need"),
    ("people.urgency", "Urgence", "Urgency"),
    ("people.history", "Historique des changements", "History of changes"),
    ("people.who", "Par", "By"),
    ("people.what", "Changement", "Change"),
    ("people.nothing", "Rien pour l’instant.", "Nothing yet."),
    ("people.actions", "Changer", "Change"),
    ("people.reason", "Motif (obligatoire ; ne nommez pas la personne)", "Reason (required; do not name the person)"),
    ("people.final", "Ce statut est définitif : plus rien ne peut être changé sur cette personne.", "This status is final: nothing can be changed on this person any more."),
    ("people.action.phone", "Corriger ou ajouter un numéro", "Correct or add a number"),
    ("people.phone.which", "Numéro à remplacer", "Number to replace"),
    ("people.phone.add", "Ajouter un numéro", "Add a number"),
    ("people.phone.new", "Nouveau numéro", "New number"),
    ("people.action.territory", "Changer de territoire", "Change the territory"),
    ("people.territory.none", "Aucun territoire", "No territory"),
    ("people.action.pause", "Mettre en pause jusqu’au (inclus)", "Pause until (included)"),
    ("people.action.opt_out", "Ne souhaite plus être appelée (définitif)", "Asked not to be called any more (final)"),
    ("people.action.deceased", "Décédée (définitif)", "Has died (final)"),
    ("people.action.handover", "Confier à un autre appelant", "Hand over to another caller"),
    ("people.handover.week", "Cette semaine seulement", "This week only"),
    ("people.handover.from_now_on", "Désormais (les semaines suivantes aussi)", "From now on (the next weeks too)"),
    ("people.save", "Enregistrer", "Save"),
    ("people.done", "Enregistré : la liste d’appels de la semaine en tient compte.", "Saved: this week’s call lists take it into account."),
    ("people.audit.person_phone_changed", "Téléphone changé", "Phone changed"),
    ("people.audit.person_territory_changed", "Territoire changé", "Territory changed"),
    ("people.audit.person_paused", "Mise en pause", "Paused"),
    ("people.audit.person_opted_out", "Ne souhaite plus être appelée", "Opted out"),
    ("people.audit.person_deceased", "Décès", "Death"),
    ("people.audit.person_handed_over", "Confiée à un autre appelant", "Handed over"),
    ("people.refused.not_found", "Cette personne n’existe pas ou a été effacée. Revenez à la recherche.", "This person does not exist or was erased. Go back to the search."),
    ("people.refused.stale", "Cette personne a été modifiée par quelqu’un d’autre depuis que vous avez ouvert la page ; rechargez-la, vérifiez, puis refaites votre changement.", "This person was changed by someone else since you opened the page; reload it, check, then make your change again."),
    ("people.refused.deceased", "Cette personne est décédée : ce statut est définitif et rien n’a été changé.", "This person has died: that status is final and nothing was changed."),
    ("people.refused.opted_out", "Cette personne a demandé à ne plus être appelée : ce statut est définitif et rien n’a été changé.", "This person asked not to be called any more: that status is final and nothing was changed."),
    ("people.refused.reason", "Indiquez le motif du changement (sans nommer la personne), puis enregistrez de nouveau.", "Give the reason for the change (without naming the person), then save again."),
    ("people.refused.pause_past", "La date de fin de pause est passée : choisissez aujourd’hui ou une date à venir.", "The end of the pause is in the past: choose today or a date to come."),
    ("people.refused.pause_date", "Indiquez la date de fin de la pause (jour, mois, année).", "Give the date the pause ends (day, month, year)."),
    ("people.refused.territory", "Ce territoire n’existe pas : choisissez-en un dans la liste.", "This territory does not exist: choose one from the list."),
    ("people.refused.phone", "Ce numéro n’existe plus sur la fiche : rechargez la page et choisissez le numéro à remplacer.", "This number is no longer on the record: reload the page and choose the number to replace."),
    ("people.refused.phone_invalid", "Ce numéro de téléphone n’est pas valable : tapez-le avec ses 10 chiffres (06 12 34 56 78) ou au format international (+33 6 12 34 56 78).", "This phone number is not valid: type its 10 digits (06 12 34 56 78) or the international form (+33 6 12 34 56 78)."),
    ("people.refused.caller_unknown", "Aucun appelant n’a cette adresse : choisissez-en un dans la liste.", "No caller has this address: choose one from the list."),
    ("people.refused.caller_inactive", "Cet appelant n’est plus actif : confiez la personne à un appelant actif.", "This caller is no longer active: hand the person over to an active caller."),
    ("people.refused.caller_absent", "Cet appelant est absent tout le reste de la semaine : choisissez un autre appelant.", "This caller is away for the rest of the week: choose another caller."),
    ("people.refused.nothing_this_week", "Cette personne n’a plus d’appel à faire cette semaine : choisissez « désormais » pour la confier à partir de la semaine prochaine.", "This person has no call left to make this week: choose “from now on” to hand them over from next week."),
];

#[derive(Template)]
#[template(path = "people_search.html")]
struct SearchPage {
    tr: Tr,
    nav: Nav,
    text: String,
    keys: Vec<Choice>,
    key: String,
    results: Option<ResultsView>,
    /// A person was just erased (the flash of `web::person_rights::erase`).
    erased: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

struct ResultsView {
    total: i64,
    page: i64,
    pages: i64,
    rows: Vec<HitView>,
}

struct HitView {
    id: i64,
    name: String,
    reference: String,
    commune: String,
    territory: String,
    status: String,
}

pub(super) fn editor(user: &CurrentUser) -> Editor<'static> {
    Editor {
        user_id: Some(user.user.id),
        label: "user",
    }
}

/// A coded value's label in the page's language.
pub fn coded_label<T: Coded>(tr: Tr, value: T) -> String {
    match tr.lang {
        Lang::Fr => value.label_fr(),
        Lang::En => value.label_en(),
    }
    .to_string()
}

fn key_choices(tr: Tr, chosen: SearchKey) -> Vec<Choice> {
    SearchKey::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: tr.t(&format!("people.key.{}", k.as_str())).into(),
            selected: *k == chosen,
        })
        .collect()
}

/// `GET /coordination/personnes`: the search form.
pub async fn search_form(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let page = SearchPage {
        tr,
        nav: user.nav(),
        text: String::new(),
        keys: key_choices(tr, SearchKey::Any),
        key: SearchKey::Any.as_str().into(),
        results: None,
        erased: req.query_string() == "erased=1",
    };
    html_page(&req, &page)
}

/// An urlencoded form body, one value per name (the last one).
pub(super) fn form_fields(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub(super) fn field<'f>(form: &'f HashMap<String, String>, name: &str) -> &'f str {
    form.get(name).map(String::as_str).unwrap_or("")
}

/// `POST /coordination/personnes`: a page of results (the search is audited by the store).
pub async fn search(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = form_fields(&body);
    user.check_csrf(&state, field(&form, "csrf"))?;
    let tr = lang.tr();
    let text = field(&form, "q").trim().to_string();
    let key = SearchKey::parse(field(&form, "key")).unwrap_or(SearchKey::Any);
    let page: i64 = field(&form, "page").parse().unwrap_or(1);
    let results = if text.is_empty() {
        None
    } else {
        let found = state
            .store
            .search_people(&text, key, page, editor(&user))
            .await?;
        Some(ResultsView {
            total: found.total,
            page: found.page,
            pages: found.pages,
            rows: found
                .hits
                .into_iter()
                .map(|h| HitView {
                    id: h.id,
                    name: format!("{} {}", h.last_name, h.first_name),
                    reference: h.external_ref.unwrap_or_default(),
                    commune: h.commune.unwrap_or_default(),
                    territory: h.territory.unwrap_or_default(),
                    status: coded_label(tr, h.status),
                })
                .collect(),
        })
    };
    let page = SearchPage {
        tr,
        nav: user.nav(),
        text,
        keys: key_choices(tr, key),
        key: key.as_str().into(),
        results,
        erased: false,
    };
    html_page(&req, &page)
}
