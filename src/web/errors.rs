//! One place that turns errors into responses: a French (or English) HTML page for
//! people, JSON for `/api`. Internal details go to the log, never to the page.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, StatusCode};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;

use super::i18n::{Lang, Tr};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("login required")]
    LoginRequired { next: String },
    #[error("forbidden for this role")]
    Forbidden,
    #[error("the form's CSRF token is missing or wrong")]
    BadCsrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("upload too large")]
    TooLarge,
    #[error("database unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_),
            ) => Self::Unavailable(e),
            StoreError::CampaignNotFound(_) => Self::NotFound,
            StoreError::WeekRefused(refusal) => Self::BadRequest(refusal.message_fr()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadCsrf => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        // The page itself is rendered by `render_error_page`, which knows the request
        // (language, path); here we only log and set the status.
        match self {
            Self::Internal(e) => tracing::error!(error = %loggable(e), "request failed"),
            Self::Unavailable(e) => tracing::error!(error = %e, "database unavailable"),
            Self::BadCsrf => tracing::warn!("form refused: bad CSRF token"),
            Self::LoginRequired { next } if next.starts_with("/api/") => {
                return HttpResponse::Unauthorized().json(serde_json::json!({
                    "error": "login_required",
                    "message": "Log in first: POST /api/session with {email, password}.",
                }));
            }
            Self::LoginRequired { next } => {
                let target = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish();
            }
            Self::NotFound | Self::Forbidden | Self::BadRequest(_) | Self::TooLarge => {}
        }
        HttpResponse::build(self.status_code()).finish()
    }
}

/// What the log says of an unexpected error: the outermost message (written by lien),
/// and of a database error only its kind, SQLSTATE code and constraint — never its
/// `Debug`, nor a database message or detail, which can quote the values of a row
/// ("Key (email)=(…) already exists").
pub fn loggable(e: &anyhow::Error) -> String {
    let database = e.chain().find_map(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .or_else(|| match cause.downcast_ref::<StoreError>() {
                Some(StoreError::Database(inner)) => Some(inner),
                _ => None,
            })
    });
    match database {
        Some(sqlx::Error::Database(db)) => format!(
            "database error (code {}, constraint {})",
            db.code().as_deref().unwrap_or("-"),
            db.constraint().unwrap_or("-")
        ),
        Some(other) => format!("database error ({})", sqlx_kind(other)),
        None => e.to_string(),
    }
}

/// The kind of a sqlx error, without the values some of them quote.
fn sqlx_kind(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::RowNotFound => "row not found",
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => "pool unavailable",
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "connection",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decoding a value",
        sqlx::Error::Encode(_) => "encoding a value",
        sqlx::Error::ColumnNotFound(_) | sqlx::Error::ColumnIndexOutOfBounds { .. } => "column",
        sqlx::Error::Migrate(_) => "migration",
        _ => "other",
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub tr: Tr,
    pub nav: super::pages::Nav,
    pub title_key: &'a str,
    pub text_key: &'a str,
    pub request_id: Option<String>,
}

/// The page shown for an error status, in the visitor's language; JSON under `/api`.
pub fn error_body(req: &HttpRequest, status: StatusCode) -> HttpResponse {
    let (title_key, text_key, code) = match status {
        StatusCode::NOT_FOUND => ("error.not_found.title", "error.not_found.text", "not_found"),
        StatusCode::FORBIDDEN => ("error.forbidden.title", "error.forbidden.text", "forbidden"),
        StatusCode::BAD_REQUEST => (
            "error.bad_request.title",
            "error.bad_request.text",
            "bad_request",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "error.method.title",
            "error.method.text",
            "method_not_allowed",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("error.too_large.title", "error.too_large.text", "too_large")
        }
        StatusCode::SERVICE_UNAVAILABLE => (
            "error.unavailable.title",
            "error.unavailable.text",
            "unavailable",
        ),
        _ => ("error.internal.title", "error.internal.text", "internal"),
    };
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|id| id.to_string());
    if req.path().starts_with("/api/") {
        return HttpResponse::build(status).json(serde_json::json!({
            "error": code,
            "message": Lang::En.tr().t(title_key),
            "request_id": request_id,
        }));
    }
    let page = ErrorPage {
        tr: Lang::from_request(req).tr(),
        nav: super::pages::Nav::default(),
        title_key,
        text_key,
        request_id,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(html),
        Err(_) => HttpResponse::build(status).body(status.to_string()),
    }
}

/// A JSON body that cannot be read (not JSON, wrong types, missing fields, too large,
/// not `application/json`): 400, 413 or 415 with the API's JSON error,
/// whose message says what was wrong (serde's sentence names the field, never a value
/// beyond the first characters of the body's syntax error).
pub fn json_body_error(
    error: actix_web::error::JsonPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError;
    let (status, code) = match &error {
        JsonPayloadError::ContentType => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
        }
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
        }
        _ => (StatusCode::BAD_REQUEST, "bad_request"),
    };
    let response = HttpResponse::build(status)
        .json(serde_json::json!({ "error": code, "message": error.to_string() }));
    actix_web::error::InternalError::from_response(error, response).into()
}

/// Middleware hook: replaces the empty body of any 4xx/5xx response with the page.
pub fn render_error_page<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>>
where
    B: actix_web::body::MessageBody + 'static,
{
    let status = res.status();
    let has_content = res.response().headers().get(header::CONTENT_TYPE).is_some();
    if has_content {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    // `Allow` (of a 405) is kept on the page that replaces the empty body.
    let allow = res.headers().get(header::ALLOW).cloned();
    let (req, _) = res.into_parts();
    let mut response = error_body(&req, status);
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

use actix_web::HttpMessage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_are_logged_without_their_values() {
        let decode = sqlx::Error::Decode("invalid value \"dupont@x.fr\"".into());
        let e = anyhow::Error::from(StoreError::Database(decode)).context("saving the account");
        let line = loggable(&e);
        assert_eq!(line, "database error (decoding a value)");
        assert!(!line.contains("dupont"));
        let plain = anyhow::anyhow!("cannot draw the QR code");
        assert_eq!(loggable(&plain), "cannot draw the QR code");
    }
}
