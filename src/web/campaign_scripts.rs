//! A campaign's call script, edited in the browser: the current text, an edit form in
//! markdown with a preview (rendered as the call page renders it, the first name
//! placeholder filled with an example), and every version with who saved it and when.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::campaigns::{audit, campaign_named, unprocessable};
use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::CoordinatorOrAdmin;
use super::AppState;
use crate::calling::scripts::{self, MAX_SCRIPT_CHARS};
use crate::domain::time::PARIS;
use crate::store::{Campaign, ScriptVersion};

pub static TEXTS: &[(&str, &str, &str)] = &[
    // Campaign creation, edition and archive (src/web/campaigns.rs).
    ("campaign_edit.new", "Nouvelle campagne", "New campaign"),
    ("campaign_edit.name", "Nom court", "Short name"),
    ("campaign_edit.name_help", "a-z, 0-9, « - » et « _ » (par exemple canicule-2026) ; il ne change plus ensuite.", "a-z, 0-9, '-' and '_' (e.g. heatwave-2026); it does not change afterwards."),
    ("campaign_edit.create", "Créer la campagne", "Create the campaign"),
    ("campaign_edit.description", "Description", "Description"),
    ("campaign_edit.starts", "Premier jour", "First day"),
    ("campaign_edit.ends", "Dernier jour", "Last day"),
    ("campaign_edit.ends_help", "Vide : sans fin. Une semaine avant le premier jour ou après le dernier ne peut pas être planifiée.", "Empty: open-ended. A week before the first day or after the last cannot be planned."),
    ("campaign_edit.cadence", "Cadence (semaines)", "Cadence (weeks)"),
    ("campaign_edit.cadence_help", "Appeler toutes les N semaines, comptées à partir de la semaine du premier jour : seules ces semaines peuvent être planifiées.", "Call every N weeks, counted from the week of the first day: only those weeks can be planned."),
    ("campaign_edit.script", "Script d'appel (fichier)", "Call script (file)"),
    ("campaign_edit.script_help", "Le script utilisé tant qu'aucune version n'a été écrite dans le navigateur.", "The script used until a version is written in the browser."),
    ("campaign_edit.script_link", "Script d'appel de la campagne", "The campaign's call script"),
    ("campaign_edit.script_short", "Script", "Script"),
    ("campaign_edit.archived", "archivée", "archived"),
    ("campaign_edit.archived_note", "Cette campagne est archivée : elle n'est plus planifiée ni proposée dans les listes.", "This campaign is archived: it is no longer planned nor offered in the lists."),
    ("campaign_edit.archive", "Archiver la campagne", "Archive the campaign"),
    ("campaign_edit.archive_help", "Une campagne archivée n'est plus planifiée ; son historique est gardé et elle peut être désarchivée.", "An archived campaign is no longer planned; its history is kept and it can be unarchived."),
    ("campaign_edit.created", "Campagne créée : ajoutez-y des personnes par un import, puis planifiez ses semaines.", "Campaign created: add people to it with an import, then plan its weeks."),
    ("campaign_edit.archived_done", "Campagne archivée.", "Campaign archived."),
    ("campaign_edit.unarchived_done", "Campagne désarchivée : elle peut de nouveau être planifiée.", "Campaign unarchived: it can be planned again."),
    ("campaign_edit.unarchive", "Désarchiver la campagne", "Unarchive the campaign"),
    // The script page.
    ("script.title", "Script d'appel", "Call script"),
    ("script.current", "Texte actuel", "Current text"),
    ("script.from_file", "Aucune version écrite ici : les appelants voient le script du fichier", "No version written here: callers see the file script"),
    ("script.edit", "Modifier le script (markdown)", "Edit the script (markdown)"),
    ("script.placeholder_help", "Écrivez {prenom} (ou {prénom}, {first_name}) là où le prénom de la personne doit apparaître. Titres : « # », listes : « - », gras : **mot**. Le HTML est affiché tel quel, jamais exécuté.", "Write {prenom} (or {prénom}, {first_name}) where the person's first name should appear. Headings: '#', lists: '-', bold: **word**. HTML is shown as text, never run."),
    ("script.preview_button", "Aperçu", "Preview"),
    ("script.save", "Enregistrer une nouvelle version", "Save a new version"),
    ("script.preview", "Aperçu (prénom d'exemple : Camille)", "Preview (example first name: Camille)"),
    ("script.saved", "Nouvelle version enregistrée : les appelants la voient dès maintenant.", "New version saved: callers see it from now on."),
    ("script.versions", "Versions", "Versions"),
    ("script.version", "Version", "Version"),
    ("script.by", "Par", "By"),
    ("script.when", "Le", "On"),
    ("script.gone", "compte supprimé", "account removed"),
    ("script.empty", "Le script est vide : écrivez au moins une ligne.", "The script is empty: write at least one line."),
    ("script.too_long", "Le script compte plus de 50 000 caractères : raccourcissez-le.", "The script has more than 50,000 characters: shorten it."),
    // The call page when the campaign's script name is none of the files.
    ("calls.script_unknown", "Le script d'appel de cette campagne est introuvable : prévenez la coordination, qui doit en choisir un dans les réglages de la campagne.", "This campaign's call script cannot be found: tell the coordination, who must choose one in the campaign's settings."),
];

/// The first name the preview shows in place of the placeholder.
const EXAMPLE_FIRST_NAME: &str = "Camille";

pub struct VersionLine {
    pub version: i32,
    pub author: Option<String>,
    pub when: String,
}

#[derive(Template)]
#[template(path = "campaign_script.html")]
struct ScriptPage {
    tr: Tr,
    nav: Nav,
    name: String,
    title: String,
    /// The file script shown while no version was written here.
    file_script: Option<String>,
    current_html: String,
    body: String,
    preview_html: Option<String>,
    versions: Vec<VersionLine>,
    error: Option<&'static str>,
    saved: bool,
}

async fn script_page(
    tr: Tr,
    nav: Nav,
    state: &AppState,
    campaign: Campaign,
) -> Result<ScriptPage, AppError> {
    let versions: Vec<ScriptVersion> = state.store.campaign_scripts(campaign.id).await?;
    let (current, file_script) = match versions.first() {
        Some(v) => (v.body.clone(), None),
        None => (
            scripts::file_script(&campaign.call_script)
                .unwrap_or_default()
                .to_string(),
            Some(campaign.call_script.clone()),
        ),
    };
    Ok(ScriptPage {
        tr,
        nav,
        current_html: scripts::render(&current, EXAMPLE_FIRST_NAME),
        body: current,
        name: campaign.name,
        title: campaign.title,
        file_script,
        preview_html: None,
        versions: versions
            .into_iter()
            .map(|v| VersionLine {
                version: v.version,
                author: v.author,
                when: v
                    .created_at
                    .with_timezone(&PARIS)
                    .format("%d/%m/%Y %H:%M")
                    .to_string(),
            })
            .collect(),
        error: None,
        saved: false,
    })
}

#[derive(Deserialize)]
pub struct ScriptQuery {
    done: Option<String>,
}

/// `GET /coordination/campaigns/{name}/script`: the current script, the edit form and
/// every version.
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<ScriptQuery>,
) -> Result<HttpResponse, AppError> {
    let campaign = campaign_named(&state, &name).await?;
    let mut page = script_page(lang.tr(), user.nav(), &state, campaign).await?;
    page.saved = query.done.as_deref() == Some("saved");
    html_page(&req, &page)
}

#[derive(Deserialize)]
pub struct ScriptForm {
    csrf: String,
    #[serde(default)]
    body: String,
    /// Present when the preview button was pressed: show, save nothing.
    preview: Option<String>,
}

/// `POST /coordination/campaigns/{name}/script`: the preview of the text posted, or its
/// save as the next version (audited), post/redirect/get.
pub async fn save(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    name: web::Path<String>,
    form: web::Form<ScriptForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let campaign = campaign_named(&state, &name).await?;
    let body = form.body.replace("\r\n", "\n");
    let error = if body.trim().is_empty() {
        Some("script.empty")
    } else if body.chars().count() > MAX_SCRIPT_CHARS {
        Some("script.too_long")
    } else {
        None
    };
    if error.is_some() || form.preview.is_some() {
        let mut page = script_page(lang.tr(), user.nav(), &state, campaign).await?;
        page.preview_html = Some(scripts::render(&body, EXAMPLE_FIRST_NAME));
        page.body = body;
        page.error = error;
        return match error {
            Some(_) => unprocessable(&req, &page),
            None => html_page(&req, &page),
        };
    }
    let version = state
        .store
        .save_campaign_script(campaign.id, &body, user.user.id)
        .await?;
    audit(&state, &user, "campaign_script_saved", campaign.id).await?;
    tracing::info!(campaign = campaign.id, version, "call script saved");
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!(
                "/coordination/campaigns/{}/script?done=saved",
                campaign.name
            ),
        ))
        .finish())
}
