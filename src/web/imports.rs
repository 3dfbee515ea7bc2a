//! The coordinator's import pages: upload a file, preview it as mapped with every
//! rejected row, then confirm or cancel; the history of imports with a CSV download of
//! the rejected rows to fix in Excel.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{campaign_choices, html_page, CampaignChoice, Nav};
use super::roles::CoordinatorOrAdmin;
use super::session::CurrentUser;
use super::AppState;
use crate::domain::CampaignName;
use crate::domain::ImportBatchKind;
use crate::import::apply::{import_file, ImportFailure};
use crate::import::report::ImportReport;
use crate::import::{ImportKind, ImportOptions};
use crate::report::write_safe_record;
use crate::store::{ImportBatch, StoredRejection};

/// The largest file the upload page takes; bigger lists go through `lien import`.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// What a file holds, in the page's language.
pub fn kind_label(kind: impl Into<ImportBatchKind>, lang: Lang) -> &'static str {
    let kind = kind.into();
    match lang {
        Lang::Fr => kind.label_fr(),
        Lang::En => kind.label_en(),
    }
}

/// A file the import refused, said in the page's language.
fn file_refusal(e: &crate::import::ImportError, lang: Lang) -> String {
    match lang {
        Lang::Fr => e.message_fr(),
        Lang::En => e.message_en(),
    }
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage {
    tr: Tr,
    nav: Nav,
    campaigns: Vec<CampaignChoice>,
    batches: Vec<ImportBatch>,
    error: Option<String>,
    notice: Option<&'static str>,
    max_mb: usize,
}

impl ImportsPage {
    fn kind_label(&self, kind: &ImportBatchKind) -> &'static str {
        kind_label(*kind, self.tr.lang)
    }
}

#[derive(Deserialize)]
pub struct ImportsQuery {
    done: Option<String>,
}

async fn imports_page(
    req: &HttpRequest,
    lang: Lang,
    user: &CurrentUser,
    state: &AppState,
    error: Option<String>,
    notice: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let campaigns = campaign_choices(&state.store).await?;
    let batches = state.store.list_import_batches(50).await?;
    let page = ImportsPage {
        tr: lang.tr(),
        nav: user.nav(),
        campaigns,
        batches,
        error,
        notice,
        max_mb: MAX_UPLOAD_BYTES / (1024 * 1024),
    };
    let mut response = html_page(req, &page)?;
    if page.error.is_some() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn index(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<ImportsQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.done.as_deref() {
        Some("unchanged") => Some("imports.notice.unchanged"),
        Some("cancelled") => Some("imports.notice.cancelled"),
        _ => None,
    };
    imports_page(&req, lang, &user, &state, None, notice).await
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    campaign: String,
    filename: String,
    content: Vec<u8>,
    /// "Send invitations" was ticked (callers lists).
    invite: bool,
}

async fn read_upload(mut payload: Multipart) -> Result<Upload, AppError> {
    let mut upload = Upload::default();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            upload.filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_string())
                .unwrap_or_else(|| "fichier.csv".into());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(e.to_string()))?;
            if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                return Err(AppError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = || String::from_utf8_lossy(&bytes).trim().to_string();
        match name.as_str() {
            "csrf" => upload.csrf = text(),
            "kind" => upload.kind = text(),
            "campaign" => upload.campaign = text(),
            "file" => upload.content = bytes,
            "invite" => upload.invite = !text().is_empty(),
            _ => {}
        }
    }
    Ok(upload)
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    tr: Tr,
    nav: Nav,
    report: ImportReport,
    kind: &'static str,
    campaign: String,
    token: String,
    invite: bool,
}

impl PreviewPage {
    /// The first lines brought in opted out by the suppression list, as text ("2, 5, …").
    fn suppressed_lines(&self) -> String {
        let lines = &self.report.suppressed_lines;
        let shown: Vec<String> = lines
            .iter()
            .take(SUPPRESSED_LINES_SHOWN)
            .map(u64::to_string)
            .collect();
        let more = if lines.len() > SUPPRESSED_LINES_SHOWN {
            ", …"
        } else {
            ""
        };
        format!("{}{more}", shown.join(", "))
    }
}

/// Lines of suppressed rows named on the preview (as in the printed report).
const SUPPRESSED_LINES_SHOWN: usize = 50;

pub async fn preview(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let upload = read_upload(payload).await?;
    user.check_csrf(&state, &upload.csrf)?;
    let kind = ImportKind::parse(&upload.kind).map_err(|_| AppError::BadRequest("kind".into()))?;
    let campaign_name =
        CampaignName::parse(&upload.campaign).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let campaign = state.store.campaign_by_name(&campaign_name).await?;
    if upload.content.is_empty() {
        let message = lang.tr().t("imports.choose_file").to_string();
        return imports_page(&req, lang, &user, &state, Some(message), None).await;
    }
    let invite = upload.invite && kind == ImportKind::Callers;
    let report = match import_file(
        &state.store,
        Some(user.user.id),
        kind,
        &campaign_name,
        &upload.filename,
        &upload.content,
        &invite_options(&state, invite),
        true,
    )
    .await
    {
        Ok(report) => report,
        Err(ImportFailure::File(e)) => {
            return imports_page(
                &req,
                lang,
                &user,
                &state,
                Some(file_refusal(&e, lang)),
                None,
            )
            .await;
        }
        Err(ImportFailure::Store(e)) => return Err(e.into()),
    };
    // The preview shows the first rows: names and phone numbers were read.
    state
        .store
        .record_audit(&crate::store::AuditEvent {
            detail: Some(kind.as_str().to_string()),
            ..crate::store::AuditEvent::by_user(user.user.id, "import_preview", "import_file", None)
        })
        .await?;
    let token = hex::encode(rand::random::<[u8; 24]>());
    state
        .store
        .save_upload(
            &token,
            user.user.id,
            kind,
            campaign.id,
            &upload.filename,
            &upload.content,
        )
        .await?;
    let page = PreviewPage {
        tr: lang.tr(),
        nav: user.nav(),
        kind: kind_label(kind, lang),
        campaign: campaign.title,
        token,
        report,
        invite,
    };
    html_page(&req, &page)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    csrf: String,
    token: String,
    #[serde(default)]
    invite: Option<String>,
}

/// Import options of the pages: invitations (callers lists) link to this instance.
fn invite_options(state: &AppState, invite: bool) -> ImportOptions {
    ImportOptions {
        invite: invite.then(|| state.base_url.clone()),
        ..ImportOptions::default()
    }
}

pub async fn confirm(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    // A second click finds the upload gone and lands on the history: one import only.
    let Some(upload) = state.store.take_upload(&form.token, user.user.id).await? else {
        return Ok(see_other("/coordination/imports"));
    };
    let kind = upload.kind;
    let campaign = state
        .store
        .campaign_by_id(upload.campaign_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let campaign_name =
        CampaignName::parse(&campaign.name).map_err(|e| AppError::Internal(e.into()))?;
    let report = import_file(
        &state.store,
        Some(user.user.id),
        kind,
        &campaign_name,
        &upload.filename,
        &upload.content,
        &invite_options(
            &state,
            kind == ImportKind::Callers && form.invite.as_deref() == Some("true"),
        ),
        false,
    )
    .await
    .map_err(|e| match e {
        ImportFailure::Store(e) => AppError::from(e),
        ImportFailure::File(e) => AppError::BadRequest(e.message_fr()),
    })?;
    Ok(match report.batch_id {
        Some(id) => see_other(&format!("/coordination/imports/{id}")),
        None => see_other("/coordination/imports?done=unchanged"),
    })
}

pub async fn cancel(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    state.store.delete_upload(&form.token, user.user.id).await?;
    Ok(see_other("/coordination/imports?done=cancelled"))
}

/// A batch and its rejected rows.
async fn batch_for(
    state: &AppState,
    id: i64,
) -> Result<(ImportBatch, Vec<StoredRejection>), AppError> {
    let batch = state
        .store
        .import_batch(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rejections = state.store.rejected_rows(batch.id).await?;
    Ok((batch, rejections))
}

#[derive(Template)]
#[template(path = "import_batch.html")]
struct BatchPage {
    tr: Tr,
    nav: Nav,
    batch: ImportBatch,
    kind: &'static str,
    rejections: Vec<StoredRejection>,
    warnings: Vec<crate::import::report::ReportWarning>,
}

pub async fn batch(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (batch, rejections) = batch_for(&state, *id).await?;
    let warnings = batch
        .warnings
        .as_deref()
        .and_then(|w| serde_json::from_str(w).ok())
        .unwrap_or_default();
    let page = BatchPage {
        tr: lang.tr(),
        nav: user.nav(),
        kind: kind_label(batch.kind, lang),
        batch,
        rejections,
        warnings,
    };
    html_page(&req, &page)
}

/// The rejected rows as the file had them, with the reason in a last column: fix them in
/// Excel and import this file again. `;`-separated UTF-8 with a BOM, as Excel expects.
pub async fn rejected_csv(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (batch, rejections) = batch_for(&state, *id).await?;
    let headers: Vec<String> = batch
        .headers
        .as_deref()
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    let body =
        rejected_rows_csv(&headers, &rejections).map_err(|e| AppError::Internal(e.into()))?;
    state
        .store
        .record_audit(&crate::store::AuditEvent::by_user(
            user.user.id,
            "rejected_rows_downloaded",
            "import_batch",
            Some(batch.id),
        ))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"lignes-refusees-import-{}.csv\"",
                batch.id
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// One line per rejected record (several reasons joined), in file order. The raw cells
/// are whatever the file held: each goes through [`write_safe_record`].
pub fn rejected_rows_csv(
    headers: &[String],
    rejections: &[StoredRejection],
) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .from_writer(&mut out);
        let mut header: Vec<String> = vec!["Ligne".into()];
        header.extend(headers.iter().cloned());
        header.push("Motif du refus".into());
        write_safe_record(&mut writer, &header)?;
        let mut i = 0;
        while i < rejections.len() {
            let line = rejections[i].line;
            let group: Vec<&StoredRejection> = rejections[i..]
                .iter()
                .take_while(|r| r.line == line)
                .collect();
            i += group.len();
            let raw: Vec<String> = group[0]
                .raw_record
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok())
                .unwrap_or_default();
            let mut record = vec![line.to_string()];
            record.extend(raw);
            while record.len() < headers.len() + 1 {
                record.push(String::new());
            }
            record.push(
                group
                    .iter()
                    .map(|r| r.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
            );
            write_safe_record(&mut writer, &record)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_rows_csv_keeps_the_file_columns_and_joins_reasons() {
        let rejection = |line, message: &str| StoredRejection {
            line,
            column_name: Some("Téléphone".into()),
            raw_value: Some("06 12".into()),
            code: "phone_too_short".into(),
            message: message.into(),
            raw_record: Some(r#"["Martin","Jeanne","06 12"]"#.into()),
        };
        let csv = rejected_rows_csv(
            &["Nom".into(), "Prénom".into(), "Téléphone".into()],
            &[
                rejection(3, "Numéro trop court"),
                rejection(3, "Date invalide"),
                rejection(7, "Numéro trop court"),
            ],
        )
        .unwrap();
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "\u{feff}Ligne;Nom;Prénom;Téléphone;Motif du refus"
        );
        assert_eq!(
            lines[1],
            "3;Martin;Jeanne;06 12;Numéro trop court / Date invalide"
        );
        assert_eq!(lines[2], "7;Martin;Jeanne;06 12;Numéro trop court");
        assert_eq!(lines.len(), 3);
    }
}
