//! The rights of one person from their page: access (everything lien holds on them, as
//! the readable letter in French or English, or as JSON) for coordinators and admins,
//! and erasure for admins only. The same store methods as `lien people export|erase`;
//! each reading and the erasure are audited under the account that asked.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::Lang;
use super::people::{editor, field, form_fields};
use super::person::render;
use super::roles::{Admin, CoordinatorOrAdmin};
use super::AppState;
use crate::messages::access_letter::render_access_letter;
use crate::messages::Language;
use crate::store::LifecycleError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/coordination/personnes/{id}/export", web::get().to(export))
        .route(
            "/coordination/personnes/{id}/effacer",
            web::post().to(erase),
        );
}

/// (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("rights.title", "Droits de la personne", "The person's rights"),
    ("rights.intro", "Droit d’accès : tout ce que lien détient sur cette personne, en lettre lisible à imprimer ou en JSON. Chaque lecture est inscrite au journal.", "Right of access: everything lien holds on this person, as a readable letter to print or as JSON. Every reading is written to the audit trail."),
    ("rights.letter_fr", "Lettre d’accès (français)", "Access letter (French)"),
    ("rights.letter_en", "Lettre d’accès (anglais)", "Access letter (English)"),
    ("rights.json", "Données (JSON)", "Data (JSON)"),
    ("rights.erase", "Effacer cette personne", "Erase this person"),
    ("rights.erase_intro", "Droit à l’effacement : nom, date de naissance, adresse, proche, téléphones, notes d’appel, textes des besoins, courriels et lignes d’import qui la nomment sont effacés ; les totaux des semaines passées restent justes. Si elle s’est opposée aux appels, elle le reste. Irréversible.", "Right to erasure: name, birth date, address, relative, phones, call notes, need texts, mails and import lines that name them are erased; past weeks' totals stay right. If they objected to calls, they still do. Irreversible."),
    ("rights.erase_reason", "Raison (sans nommer la personne, ex. « demande écrite du 3 mars »)", "Reason (without naming the person, e.g. “written request of 3 March”)"),
    ("rights.erase_confirm", "Pour confirmer, tapez EFFACER", "To confirm, type ERASE"),
    ("rights.erased", "La personne a été effacée. Le journal garde qui l’a fait, quand et pourquoi, sans rien sur elle.", "The person was erased. The audit trail keeps who did it, when and why, and nothing about them."),
    ("rights.refused.confirm", "Effacement non fait : tapez EFFACER dans la case de confirmation, puis recommencez.", "Nothing was erased: type ERASE in the confirmation box, then try again."),
    ("rights.refused.reason", "Effacement non fait : indiquez une raison (sans nommer la personne).", "Nothing was erased: give a reason (without naming the person)."),
];

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `fr` or `en` for the letter, `json` for the data.
    format: Option<String>,
}

/// `GET /coordination/personnes/{id}/export?format=fr|en|json`: the right of access.
pub async fn export(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let id = *id;
    let format = query.format.as_deref().unwrap_or("fr");
    let language = match format {
        "fr" => Some(Language::Fr),
        "en" => Some(Language::En),
        "json" => None,
        other => return Err(AppError::BadRequest(format!("format {other:?}"))),
    };
    let export = match state.store.export_person_id(id, editor(&user)).await {
        Ok(export) => export,
        Err(LifecycleError::PersonNotFound(_)) => return Err(AppError::NotFound),
        Err(LifecycleError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(AppError::Internal(e.into())),
    };
    let response = match language {
        Some(language) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(render_access_letter(&export, language)?),
        None => HttpResponse::Ok()
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"personne-{id}.json\""),
            ))
            .json(&export),
    };
    Ok(response)
}

/// `POST /coordination/personnes/{id}/effacer`: the right to erasure (admins only),
/// with a reason and a typed confirmation; refused with a sentence, nothing changed.
pub async fn erase(
    req: HttpRequest,
    lang: Lang,
    Admin(user): Admin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = form_fields(&body);
    user.check_csrf(&state, field(&form, "csrf"))?;
    let id = *id;
    let confirmed = matches!(
        field(&form, "confirm").trim().to_uppercase().as_str(),
        "EFFACER" | "ERASE"
    );
    let refused = if !confirmed {
        "rights.refused.confirm"
    } else {
        let reason = field(&form, "reason");
        match state.store.erase_person_id(id, reason, editor(&user)).await {
            Ok(_) => {
                return Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/coordination/personnes?erased=1"))
                    .finish())
            }
            // An erased person has no page any more: as if they had never been.
            Err(LifecycleError::PersonNotFound(_) | LifecycleError::AlreadyErased) => {
                return Err(AppError::NotFound)
            }
            Err(LifecycleError::ReasonMissing) => "rights.refused.reason",
            Err(LifecycleError::Store(e)) => return Err(e.into()),
        }
    };
    let mut response = render(&req, &state, lang.tr(), &user, id, None, Some(refused)).await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}
