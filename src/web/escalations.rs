//! Escalation pages: the territory's list and page of each escalation (by login or by
//! the signed link of the mail), where it records what was done; and the coordinators'
//! view of mail problems (failed messages, unroutable escalations) with a retry button.

use actix_web::{http::header, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::roles::{CoordinatorOrAdmin, Territory, TerritoryOrStaff};
use super::session::{CurrentUser, MaybeUser};
use super::AppState;
use crate::domain::time::PARIS;
use crate::domain::Role;
use crate::domain::{EscalationStatus, RelayTarget, Urgency};
use crate::mail::message::display_phone;
use crate::records::escalations::shown_description;
use crate::store::{
    Actor, EscalationAction, EscalationFilter, EscalationLink, EscalationView, LinkAccess, LinkUse,
};

/// Texts of these pages: (key, French, English), looked up by `Tr::t` after the main
/// catalogue.
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.escalations", "Signalements", "Escalations"),
    ("nav.outbox", "Envois", "Mail"),
    ("esc.list.title", "Signalements", "Escalations"),
    ("esc.list.intro", "Les besoins signalés par les appelants et les personnes injoignables de votre territoire. Ouvrez un signalement pour indiquer ce qui a été fait.", "Needs reported by callers and unreachable people in your territory. Open an escalation to record what was done."),
    ("esc.list.none", "Aucun signalement pour l’instant.", "No escalation yet."),
    ("esc.list.open_only", "Seulement ceux à traiter", "Only those to handle"),
    ("esc.list.all", "Tous", "All"),
    ("esc.when", "Signalé le", "Reported on"),
    ("esc.person", "Personne", "Person"),
    ("esc.need", "Besoin", "Need"),
    ("esc.urgency", "Urgence", "Urgency"),
    ("esc.status", "Statut", "Status"),
    ("esc.territory", "Territoire", "Territory"),
    ("esc.no_territory", "aucun territoire", "no territory"),
    ("esc.unreachable", "Personne injoignable : vérifier qu’elle va bien", "Unreachable person: check that they are well"),
    ("esc.title", "Signalement n°", "Escalation no."),
    ("esc.description", "Description", "Description"),
    ("esc.phones", "Téléphone", "Phone"),
    ("esc.address", "Adresse", "Address"),
    ("esc.relative", "Proche à contacter", "Relative to contact"),
    ("esc.caller", "Appelant·e", "Caller"),
    ("esc.campaign", "Campagne", "Campaign"),
    ("esc.taken_at", "Pris en charge le", "Taken in charge on"),
    ("esc.handled_at", "Traité le", "Handled on"),
    ("esc.relayed_at", "Relayé le", "Relayed on"),
    ("esc.relayed_to", "Relayé à", "Relayed to"),
    ("esc.comment", "Commentaire", "Comment"),
    ("esc.form.title", "Indiquer ce qui a été fait", "Record what was done"),
    ("esc.form.take", "Je le prends en charge", "I am taking it in charge"),
    ("esc.form.handled", "Traité (le besoin est couvert)", "Handled (the need is met)"),
    ("esc.form.relayed", "Relayé à :", "Relayed to:"),
    ("esc.form.comment_help", "Commentaire (visible des coordinateurs et de l’appelant au prochain appel ; pas de données médicales)", "Comment (seen by coordinators and by the caller at the next call; no medical details)"),
    ("esc.form.save", "Enregistrer", "Save"),
    ("esc.saved", "C’est noté. Merci !", "Recorded. Thank you!"),
    ("esc.mail", "Courriel au territoire", "Mail to the territory"),
    ("esc.mail.none", "aucun (pas de territoire)", "none (no territory)"),
    ("esc.link_invalid.title", "Lien invalide ou expiré", "Invalid or expired link"),
    ("esc.link_invalid.text", "Ce lien ne fonctionne plus (il est trop ancien ou incomplet). Connectez-vous avec votre compte territoire pour retrouver ce signalement, ou demandez un nouveau lien à la coordination.", "This link no longer works (too old or incomplete). Log in with your territory account to find this escalation, or ask the coordinators for a new link."),
    ("esc.read_only", "Ce signalement est clos : le lien ne permet plus que de le consulter.", "This escalation is closed: the link only shows it now."),
    ("esc.links.title", "Liens envoyés par courriel", "Links sent by mail"),
    ("esc.links.help", "Chaque destinataire a son propre lien, valable jusqu’à quelques jours après la clôture. Révoquez celui d’une adresse qui n’aurait pas dû le recevoir ou d’une personne partie.", "Each recipient has their own link, valid until a few days after closing. Revoke the one of an address that should not have received it, or of someone who left."),
    ("esc.links.recipient", "Destinataire", "Recipient"),
    ("esc.links.sent", "Créé le", "Created on"),
    ("esc.links.used", "Dernière utilisation", "Last used"),
    ("esc.links.never", "jamais", "never"),
    ("esc.links.revoked", "Révoqué le", "Revoked on"),
    ("esc.links.revoke", "Révoquer", "Revoke"),
    ("esc.history", "Signalements pour cette personne", "Escalations for this person"),
    ("esc.try_relative", "Injoignable depuis plusieurs appels : essayez aussi le proche", "Unreachable for several calls: also try the relative"),
    ("esc.unreachable_hint", "appels sans réponse d’affilée", "unanswered calls in a row"),
    ("outbox.title", "Envois de courriels", "Mail delivery"),
    ("outbox.intro", "Chaque signalement part par courriel au territoire. Ici, ce qui n’est pas parti : à corriger puis renvoyer.", "Every escalation is emailed to its territory. Here is what did not go: fix it, then send again."),
    ("outbox.pending", "En attente", "Waiting"),
    ("outbox.retrying", "dont en nouvel essai", "of which retrying"),
    ("outbox.sent", "Envoyés", "Sent"),
    ("outbox.failed", "En échec", "Failed"),
    ("outbox.problems", "Courriels en échec ou en nouvel essai", "Failed or retrying mails"),
    ("outbox.no_problem", "Aucun problème d’envoi.", "No delivery problem."),
    ("outbox.attempts", "Essais", "Attempts"),
    ("outbox.error", "Dernière erreur", "Last error"),
    ("outbox.next", "Prochain essai", "Next attempt"),
    ("outbox.retry", "Renvoyer", "Send again"),
    ("outbox.retry_all", "Renvoyer tous les courriels en échec", "Send all failed mails again"),
    ("outbox.retried", "Remis dans la file d’envoi.", "Back in the sending queue."),
    ("outbox.unroutable", "Signalements sans destinataire", "Escalations with no recipient"),
    ("outbox.unroutable_help", "Ces besoins n’ont été envoyés à aucun territoire : la personne n’a pas de territoire (code postal non couvert). Corrigez la liste des territoires ou de la personne, puis transmettez le besoin vous-même.", "These needs went to no territory: the person has no territory (postal code not covered). Fix the territories list or the person, and pass the need on yourself."),
    ("outbox.no_unroutable", "Tous les signalements ont un destinataire.", "Every escalation has a recipient."),
    ("outbox.kind", "Type", "Kind"),
    ("outbox.recent", "Derniers signalements", "Latest escalations"),
    ("esc.error.relay_target", "Choisissez à qui le signalement a été relayé.", "Choose who the escalation was relayed to."),
    ("esc.error.action", "Choisissez ce qui a été fait.", "Choose what was done."),
    ("esc.digest.label", "Recevoir aussi chaque matin un récapitulatif des signalements à traiter", "Also receive each morning a summary of the escalations to handle"),
    ("esc.digest.save", "Enregistrer ce choix", "Save this choice"),
];

fn paris(at: DateTime<Utc>) -> String {
    at.with_timezone(&PARIS)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// An escalation as the pages show it, in the page's language.
pub struct EscalationItem {
    pub id: i64,
    pub unreachable: bool,
    pub created_at: String,
    pub name: String,
    pub commune: String,
    pub category: String,
    pub description: String,
    pub urgency: String,
    pub urgent: bool,
    pub status: String,
    pub status_code: String,
    pub closed: bool,
    pub relayed_to: Option<String>,
    pub comment: Option<String>,
    pub taken_at: Option<String>,
    pub handled_at: Option<String>,
    pub relayed_at: Option<String>,
    pub territory: Option<String>,
    pub phones: Vec<String>,
    pub address: String,
    pub relative: Option<String>,
    pub caller: String,
    pub campaign: String,
    pub mail: Option<String>,
    pub mail_error: Option<String>,
}

/// Turns a stored escalation into what the pages show.
pub fn item(e: &EscalationView, lang: Lang) -> EscalationItem {
    let label = |fr: &'static str, en: &'static str| match lang {
        Lang::Fr => fr,
        Lang::En => en,
    };
    let category = Some(e.category);
    let urgency = Some(e.urgency);
    let status = Some(e.status);
    EscalationItem {
        id: e.id,
        unreachable: e.kind == crate::domain::EscalationKind::Unreachable,
        created_at: paris(e.created_at),
        name: format!("{} {}", e.first_name, e.last_name),
        commune: e.commune.clone().unwrap_or_default(),
        category: category
            .map(|c| label(c.label_fr(), c.label_en()).to_string())
            .unwrap_or_else(|| e.category.to_string()),
        description: shown_description(e.kind, &e.description, lang == Lang::En),
        urgency: urgency
            .map(|u| label(u.label_fr(), u.label_en()).to_string())
            .unwrap_or_else(|| e.urgency.to_string()),
        urgent: urgency == Some(Urgency::Today),
        status: status
            .map(|s| label(s.label_fr(), s.label_en()).to_string())
            .unwrap_or_else(|| e.status.to_string()),
        status_code: e.status.to_string(),
        closed: status.is_some_and(EscalationStatus::is_closed),
        relayed_to: e
            .relayed_to
            .map(|r| label(r.label_fr(), r.label_en()).to_string()),
        comment: e.status_comment.clone(),
        taken_at: e.taken_at.map(paris),
        handled_at: e.handled_at.map(paris),
        relayed_at: e.relayed_at.map(paris),
        territory: e.territory_name.clone(),
        phones: e.phones.iter().map(|p| display_phone(p)).collect(),
        address: [e.address.clone(), e.postal_code.clone(), e.commune.clone()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
        relative: match (&e.relative_name, &e.relative_phone) {
            (None, None) => None,
            (n, p) => Some(
                [n.clone(), p.as_deref().map(display_phone)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" – "),
            ),
        },
        caller: [
            e.caller_name.clone(),
            e.caller_phone.as_deref().map(display_phone),
            e.caller_email.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" – "),
        campaign: e.campaign_title.clone(),
        mail: e
            .mail_status
            .map(|o| label(o.label_fr(), o.label_en()).to_string()),
        mail_error: e.mail_error.clone(),
    }
}

#[derive(Template)]
#[template(path = "escalations.html")]
struct ListPage {
    tr: Tr,
    nav: Nav,
    items: Vec<EscalationItem>,
    open_only: bool,
    show_territory: bool,
    /// For a territory account: whether its territory gets the daily digest.
    digest: Option<bool>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    tous: Option<String>,
}

/// `GET /signalements`: the escalations of the user's territory (all, for coordinators).
pub async fn list(
    req: HttpRequest,
    lang: Lang,
    TerritoryOrStaff { user, territory_id }: TerritoryOrStaff,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let open_only = query.tous.is_none();
    let rows = state
        .store
        .list_escalations(
            EscalationFilter {
                territory_id,
                open_only,
            },
            500,
        )
        .await?;
    let digest = match territory_id {
        Some(t) => Some(state.store.daily_digest(t).await?),
        None => None,
    };
    let shown: Vec<i64> = rows.iter().map(|r| r.beneficiary_id).collect();
    state
        .store
        .record_contact_reads(user.user.id, &shown, "escalations")
        .await?;
    html_page(
        &req,
        &ListPage {
            tr: lang.tr(),
            nav: user.nav(),
            items: rows.iter().map(|e| item(e, lang)).collect(),
            open_only,
            show_territory: territory_id.is_none(),
            digest,
        },
    )
}

#[derive(Template)]
#[template(path = "escalation.html")]
struct EscalationPage {
    tr: Tr,
    nav: Nav,
    e: EscalationItem,
    /// Where the form posts: `/signalements/{id}` or the mailed link.
    action: String,
    csrf: String,
    relay_targets: Vec<(&'static str, &'static str)>,
    saved: bool,
    error: Option<&'static str>,
    /// Opened by the link of a closed escalation: no form.
    read_only: bool,
    /// For coordinators and admins: the mailed links, each with a revoke button.
    links: Option<Vec<LinkItem>>,
}

/// One mailed link as the coordinator's page lists it.
pub struct LinkItem {
    pub id: i64,
    pub recipient: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<&EscalationLink> for LinkItem {
    fn from(l: &EscalationLink) -> Self {
        Self {
            id: l.id,
            recipient: l.recipient.clone(),
            created_at: paris(l.created_at),
            last_used_at: l.last_used_at.map(paris),
            revoked_at: l.revoked_at.map(paris),
        }
    }
}

/// What the escalation page shows besides the escalation.
#[derive(Default)]
struct PageExtras {
    saved: bool,
    error: Option<&'static str>,
    read_only: bool,
    links: Option<Vec<LinkItem>>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    ok: Option<String>,
}

fn relay_targets(lang: Lang) -> Vec<(&'static str, &'static str)> {
    RelayTarget::ALL
        .iter()
        .map(|r| {
            (
                r.as_str(),
                match lang {
                    Lang::Fr => r.label_fr(),
                    Lang::En => r.label_en(),
                },
            )
        })
        .collect()
}

fn escalation_page(
    req: &HttpRequest,
    lang: Lang,
    nav: Nav,
    view: &EscalationView,
    (action, csrf): (String, String),
    extras: PageExtras,
) -> Result<HttpResponse, AppError> {
    let error = extras.error;
    let mut response = html_page(
        req,
        &EscalationPage {
            tr: lang.tr(),
            nav,
            e: item(view, lang),
            action,
            csrf,
            relay_targets: relay_targets(lang),
            saved: extras.saved,
            error,
            read_only: extras.read_only,
            links: extras.links,
        },
    )?;
    if error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// The escalation, if this user may see it (404 otherwise: its existence is not told).
async fn visible(
    state: &AppState,
    territory_id: Option<i64>,
    id: i64,
) -> Result<EscalationView, AppError> {
    let view = state
        .store
        .escalation(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if territory_id.is_some() && view.territory_id != territory_id {
        return Err(AppError::NotFound);
    }
    Ok(view)
}

/// `GET /signalements/{id}`.
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    TerritoryOrStaff { user, territory_id }: TerritoryOrStaff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let view = visible(&state, territory_id, *id).await?;
    state
        .store
        .record_contact_reads(user.user.id, &[view.beneficiary_id], "escalation_page")
        .await?;
    let links = if matches!(user.role(), Role::Coordinator | Role::Admin) {
        let links = state.store.escalation_links(view.id).await?;
        Some(links.iter().map(LinkItem::from).collect())
    } else {
        None
    };
    escalation_page(
        &req,
        lang,
        user.nav(),
        &view,
        (format!("/signalements/{}", view.id), user.csrf.clone()),
        PageExtras {
            saved: query.ok.is_some(),
            links,
            ..PageExtras::default()
        },
    )
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    relayed_to: String,
    #[serde(default)]
    comment: String,
}

/// The action a form asks for, or the message that says what is missing.
fn parse_action(form: &StatusForm) -> Result<EscalationAction, &'static str> {
    match form.action.as_str() {
        "take" => Ok(EscalationAction::Take),
        "handled" => Ok(EscalationAction::Handled),
        "relayed" => form
            .relayed_to
            .parse::<RelayTarget>()
            .map(EscalationAction::Relayed)
            .map_err(|_| "esc.error.relay_target"),
        _ => Err("esc.error.action"),
    }
}

/// `POST /signalements/{id}`.
pub async fn update(
    req: HttpRequest,
    lang: Lang,
    TerritoryOrStaff { user, territory_id }: TerritoryOrStaff,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let view = visible(&state, territory_id, *id).await?;
    let page = format!("/signalements/{}", view.id);
    let actor = Actor::User(user.user.id);
    record_status(
        &req,
        lang,
        user.nav(),
        &state,
        &view,
        &form,
        page,
        user.csrf.clone(),
        actor,
    )
    .await
}

/// Records what the form says was done and goes back to the page; a form that does not
/// say it fully is shown again with the reason (422), and nothing changes.
#[allow(clippy::too_many_arguments)]
async fn record_status(
    req: &HttpRequest,
    lang: Lang,
    nav: Nav,
    state: &AppState,
    view: &EscalationView,
    form: &StatusForm,
    page: String,
    csrf: String,
    actor: Actor,
) -> Result<HttpResponse, AppError> {
    let action = match parse_action(form) {
        Ok(a) => a,
        Err(key) => {
            let extras = PageExtras {
                error: Some(key),
                ..PageExtras::default()
            };
            return escalation_page(req, lang, nav, view, (page, csrf), extras);
        }
    };
    state
        .store
        .update_escalation(view.id, &action, Some(&form.comment), actor, Utc::now())
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{page}?ok=1")))
        .finish())
}

#[derive(Template)]
#[template(path = "escalation_link_invalid.html")]
struct LinkInvalidPage {
    tr: Tr,
    nav: Nav,
}

/// The escalation a mailed link opens (the use is audited with the client's address),
/// or the page that says the link is dead (410): unknown, revoked, or closed too long ago.
async fn by_link(
    req: &HttpRequest,
    lang: Lang,
    user: &MaybeUser,
    state: &AppState,
    token: &str,
    how: LinkUse,
) -> Result<Result<(EscalationView, LinkAccess), HttpResponse>, AppError> {
    let found = state
        .store
        .use_escalation_link(
            token,
            how,
            &super::client::client_of(req, state),
            state.escalation_link_days_after_close,
            Utc::now(),
        )
        .await?;
    match found {
        Ok(found) => Ok(Ok(found)),
        Err(_) => {
            let mut response = html_page(
                req,
                &LinkInvalidPage {
                    tr: lang.tr(),
                    nav: user.nav(),
                },
            )?;
            *response.status_mut() = actix_web::http::StatusCode::GONE;
            Ok(Err(response))
        }
    }
}

/// `GET /signalements/lien/{token}`: the page, opened from the mail without logging in;
/// without its form once the escalation is closed.
pub async fn link_page(
    req: HttpRequest,
    lang: Lang,
    user: MaybeUser,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let (view, access) = match by_link(&req, lang, &user, &state, &token, LinkUse::Read).await? {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    state
        .store
        .record_link_read(view.id, view.beneficiary_id)
        .await?;
    escalation_page(
        &req,
        lang,
        user.nav(),
        &view,
        (
            format!("/signalements/lien/{}", token.as_str()),
            String::new(),
        ),
        PageExtras {
            saved: query.ok.is_some(),
            read_only: access == LinkAccess::ReadOnly,
            ..PageExtras::default()
        },
    )
}

/// `POST /signalements/lien/{token}`: the link is the authority (it is secret, personal
/// and bound to this escalation), so no session or CSRF token is needed. Refused (409,
/// the page without its form) once the escalation is closed.
pub async fn link_update(
    req: HttpRequest,
    lang: Lang,
    user: MaybeUser,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let found = by_link(&req, lang, &user, &state, &token, LinkUse::Update).await?;
    let (view, access) = match found {
        Ok(found) => found,
        Err(gone) => return Ok(gone),
    };
    let page = format!("/signalements/lien/{}", token.as_str());
    if access == LinkAccess::ReadOnly {
        let extras = PageExtras {
            read_only: true,
            ..PageExtras::default()
        };
        let mut response =
            escalation_page(&req, lang, user.nav(), &view, (page, String::new()), extras)?;
        *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
        return Ok(response);
    }
    record_status(
        &req,
        lang,
        user.nav(),
        &state,
        &view,
        &form,
        page,
        String::new(),
        Actor::SignedLink,
    )
    .await
}

/// `POST /signalements/{id}/liens/{link}/revoquer`: a coordinator revokes one
/// recipient's link (audited); it opens nothing from then on.
pub async fn revoke_link(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let (escalation_id, link_id) = path.into_inner();
    let revoked = state
        .store
        .revoke_escalation_link(escalation_id, link_id, user.user.id, Utc::now())
        .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/signalements/{escalation_id}")))
        .finish())
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    tr: Tr,
    nav: Nav,
    summary: crate::store::OutboxSummary,
    problems: Vec<OutboxItem>,
    unroutable: Vec<EscalationItem>,
    recent: Vec<EscalationItem>,
    retried: bool,
}

pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub escalation_id: Option<i64>,
    pub status: String,
    pub failed: bool,
    pub attempts: i32,
    pub next_attempt_at: String,
    pub error: String,
    pub created_at: String,
}

/// `GET /coordination/envois`: mail problems and unroutable escalations.
pub async fn outbox(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let summary = state.store.outbox_summary(Utc::now()).await?;
    let problems = state
        .store
        .outbox_problems(200)
        .await?
        .into_iter()
        .map(|l| OutboxItem {
            failed: l.status == crate::domain::OutboxStatus::Failed,
            status: match lang {
                Lang::Fr => l.status.label_fr(),
                Lang::En => l.status.label_en(),
            }
            .to_string(),
            id: l.id,
            kind: l.kind.to_string(),
            escalation_id: l.escalation_id,
            attempts: l.attempts,
            next_attempt_at: paris(l.next_attempt_at),
            error: l.last_error.unwrap_or_default(),
            created_at: paris(l.created_at),
        })
        .collect();
    let unroutable = state.store.unroutable_escalations().await?;
    let recent = state
        .store
        .list_escalations(EscalationFilter::default(), 50)
        .await?;
    html_page(
        &req,
        &OutboxPage {
            tr: lang.tr(),
            nav: user.nav(),
            summary,
            problems,
            unroutable: unroutable.iter().map(|e| item(e, lang)).collect(),
            recent: recent.iter().map(|e| item(e, lang)).collect(),
            retried: query.ok.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /coordination/envois/{id}/retry` and `POST /coordination/envois/retry` (all).
async fn retry(
    user: CurrentUser,
    state: &AppState,
    csrf: &str,
    id: Option<i64>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(state, csrf)?;
    let n = state.store.outbox_retry(id, Utc::now()).await?;
    if id.is_some() && n == 0 {
        return Err(AppError::NotFound);
    }
    state
        .store
        .record_audit(&crate::store::AuditEvent {
            detail: Some(format!("{n} message(s)")),
            ..crate::store::AuditEvent::by_user(user.user.id, "outbox_retry", "outbox", id)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/coordination/envois?ok=1"))
        .finish())
}

pub async fn retry_one(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    retry(user, &state, &form.csrf, Some(*id)).await
}

pub async fn retry_all(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, AppError> {
    retry(user, &state, &form.csrf, None).await
}

#[derive(Deserialize)]
pub struct DigestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    daily_digest: Option<String>,
}

/// `POST /signalements/recapitulatif`: a territory account turns its daily digest on or off.
pub async fn set_digest(
    Territory { user, territory_id }: Territory,
    state: web::Data<AppState>,
    form: web::Form<DigestForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let on = form.daily_digest.is_some();
    state.store.set_daily_digest(territory_id, on).await?;
    state
        .store
        .record_audit(&crate::store::AuditEvent::by_user(
            user.user.id,
            if on {
                "daily_digest_on"
            } else {
                "daily_digest_off"
            },
            "territory",
            Some(territory_id),
        ))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/signalements"))
        .finish())
}

/// Registers these pages. In registration order (the literal paths before `{id}`):
/// `/signalements` and `/signalements/{id}` for `TerritoryOrStaff`, the digest setting
/// for `Territory`, the mailed links for anyone holding one (`MaybeUser`), and the link
/// revocation and mail pages for `CoordinatorOrAdmin`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/signalements", web::get().to(list))
        .route("/signalements/recapitulatif", web::post().to(set_digest))
        .route("/signalements/lien/{token}", web::get().to(link_page))
        .route("/signalements/lien/{token}", web::post().to(link_update))
        .route("/signalements/{id}", web::get().to(page))
        .route("/signalements/{id}", web::post().to(update))
        .route(
            "/signalements/{id}/liens/{link}/revoquer",
            web::post().to(revoke_link),
        )
        .route("/coordination/envois", web::get().to(outbox))
        .route("/coordination/envois/retry", web::post().to(retry_all))
        .route("/coordination/envois/{id}/retry", web::post().to(retry_one));
}
