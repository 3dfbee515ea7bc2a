//! The JSON API: same rules and permissions as the pages (documented at
//! `/api/openapi.json`). Authentication is the session cookie from `POST /api/session`;
//! requests that change something take a JSON body, which browsers will not send across
//! sites without permission, so no CSRF token is needed.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::errors::AppError;
use super::i18n::Lang;
use super::queue::{queue_facts, todays_queue, QueueScreen};
use super::roles::Caller;
use super::session::{authenticate, LoginRefused};
use super::AppState;
use crate::domain::{NeedCategory, Outcome, Urgency};
use crate::store::{CallError, CallInput, NeedInput, QueueRow};

#[derive(Deserialize)]
pub struct SessionRequest {
    email: String,
    password: String,
    /// The 6-digit one-time code, for accounts with a second factor.
    #[serde(default)]
    totp: Option<String>,
}

fn api_refusal(status: actix_web::http::StatusCode, error: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "error": error, "message": message }))
}

/// `POST /api/session`: log in; the answer sets the session cookie.
pub async fn session(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    body: web::Json<SessionRequest>,
) -> Result<HttpResponse, AppError> {
    match authenticate(&req, &state, &body.email, &body.password).await? {
        Ok(user) => {
            use super::totp::{second_factor_needed, verify_code, CodeOutcome};
            use actix_web::http::StatusCode;
            if second_factor_needed(&state, &user).await? {
                if state.store.totp_state(user.id).await?.totp_secret.is_none() {
                    return Ok(api_refusal(
                        StatusCode::FORBIDDEN,
                        "totp_setup_required",
                        "This account needs a second factor: log in once on the web page to be sent a set-up link by mail.",
                    ));
                }
                let Some(code) = body.totp.as_deref() else {
                    return Ok(api_refusal(
                        StatusCode::UNAUTHORIZED,
                        "totp_required",
                        "Give the 6-digit code of your authenticator app in \"totp\".",
                    ));
                };
                match verify_code(&state, &user, code).await? {
                    CodeOutcome::Accepted => {}
                    CodeOutcome::Wrong => {
                        return Ok(api_refusal(
                            StatusCode::UNAUTHORIZED,
                            "totp_failed",
                            "This code is not valid (or was already used): wait for the next one.",
                        ))
                    }
                    CodeOutcome::TooMany => {
                        return Ok(api_refusal(
                            StatusCode::TOO_MANY_REQUESTS,
                            "totp_too_many",
                            lang.tr().t("code.too_many"),
                        ))
                    }
                }
            }
            let client = super::client::client_of(&req, &state);
            let cookie = super::session::start_session(&state, &user, &client).await?;
            Ok(HttpResponse::Ok().cookie(cookie).json(serde_json::json!({
                "email": user.email,
                "display_name": user.display_name,
                "role": user.role,
            })))
        }
        Err(LoginRefused::TooMany) => Ok(HttpResponse::TooManyRequests().json(serde_json::json!({
            "error": "too_many_attempts",
            "message": "Too many attempts: wait a minute.",
        }))),
        Err(LoginRefused::Failed) => Ok(HttpResponse::Unauthorized().json(serde_json::json!({
            "error": "login_failed",
            "message": "Wrong email address or password.",
        }))),
    }
}

#[derive(Serialize)]
pub struct QueueEntry {
    pub assignment_id: i64,
    /// callback_due, follow_up, new, retry, later
    pub group: &'static str,
    pub due_at: Option<DateTime<Utc>>,
    pub first_name: String,
    pub last_name: String,
    pub phones: Vec<String>,
    pub commune: Option<String>,
    pub language: String,
    pub open_needs: i64,
    pub attempts: i32,
    pub last_conversation_at: Option<DateTime<Utc>>,
    pub campaign: String,
}

/// `GET /api/me/queue`: the caller's queue for today, in call order.
pub async fn my_queue(
    Caller { user, caller_id }: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let queue = todays_queue(&state, user.user.id, caller_id, QueueScreen::Api).await?;
    let now = queue.now;
    let entries: Vec<QueueEntry> = queue
        .rows
        .into_iter()
        .map(|r| queue_entry(r, now))
        .collect();
    // Serialised as typed, not through a `serde_json::Value` of every field.
    Ok(HttpResponse::Ok().json(QueueResponse {
        week: queue.week.to_string(),
        queue: entries,
    }))
}

/// The body of `GET /api/me/queue`.
#[derive(Serialize)]
struct QueueResponse {
    week: String,
    queue: Vec<QueueEntry>,
}

fn queue_entry(r: QueueRow, now: DateTime<Utc>) -> QueueEntry {
    let f = queue_facts(&r);
    QueueEntry {
        assignment_id: r.assignment_id,
        group: group_code(f.group(now)),
        due_at: f.due_at(),
        first_name: r.first_name,
        last_name: r.last_name,
        phones: r.phones,
        commune: r.commune,
        language: r.preferred_language,
        open_needs: r.open_needs,
        attempts: r.attempts,
        last_conversation_at: r.last_conversation_at,
        campaign: r.campaign_title,
    }
}

fn group_code(group: crate::calling::queue::QueueGroup) -> &'static str {
    use crate::calling::queue::QueueGroup::*;
    match group {
        CallbackDue => "callback_due",
        FollowUp => "follow_up",
        New => "new",
        Retry => "retry",
        Later => "later",
    }
}

/// `GET /api/assignments/{id}`: one assignment with the person and the history; 404
/// unless it is yours.
pub async fn assignment(
    Caller { user, caller_id }: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let target = state
        .store
        .call_target(*id, caller_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .record_contact_reads(user.user.id, &[target.beneficiary_id], "api_assignment")
        .await?;
    let history: Vec<serde_json::Value> = state
        .store
        .call_history(target.beneficiary_id, 10)
        .await?
        .into_iter()
        .map(|c| serde_json::json!({ "called_at": c.called_at, "outcome": c.outcome, "notes": c.notes }))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "assignment_id": target.assignment_id,
        "status": target.status,
        "attempts": target.attempts,
        "week": target.week,
        "campaign": target.campaign_title,
        "call_script": target.call_script,
        "beneficiary": {
            "first_name": target.first_name,
            "last_name": target.last_name,
            "address": target.address,
            "postal_code": target.postal_code,
            "commune": target.commune,
            "language": target.preferred_language,
            "phones": target.phones,
        },
        "history": history,
    })))
}

#[derive(Deserialize)]
pub struct NeedBody {
    category: NeedCategory,
    description: String,
    urgency: Urgency,
}

#[derive(Deserialize)]
pub struct CallBody {
    assignment_id: i64,
    outcome: Outcome,
    notes: Option<String>,
    callback_at: Option<DateTime<Utc>>,
    paused_until: Option<NaiveDate>,
    #[serde(default)]
    needs: Vec<NeedBody>,
}

/// `POST /api/calls` with an `Idempotency-Key` header: records the outcome once; the
/// same key again answers with the first call. A call the store refuses (assignment
/// closed or of a past week, person opted out or deceased) is a 409 whose message is a
/// sentence in the request's language (French unless `Accept-Language` asks English).
pub async fn record_call(
    req: HttpRequest,
    lang: Lang,
    Caller { caller_id, .. }: Caller,
    state: web::Data<AppState>,
    body: web::Json<CallBody>,
) -> Result<HttpResponse, AppError> {
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| (8..=100).contains(&k.len()))
        .ok_or_else(|| {
            AppError::BadRequest(
                "an Idempotency-Key header of 8 to 100 characters is required".into(),
            )
        })?
        .to_string();
    let body = body.into_inner();
    let input = CallInput {
        assignment_id: body.assignment_id,
        caller_id,
        outcome: body.outcome,
        notes: body.notes.map(without_nul),
        callback_at: body.callback_at,
        paused_until: body.paused_until,
        wrong_phone: None,
        needs: body
            .needs
            .into_iter()
            .map(|n| NeedInput {
                category: n.category,
                description: without_nul(n.description),
                urgency: n.urgency,
            })
            .collect(),
        idempotency_key: key,
    };
    match state
        .store
        .record_call(&input, Utc::now(), &state.mail_links())
        .await
    {
        Ok(recorded) => {
            let mut response = if recorded.new {
                HttpResponse::Created()
            } else {
                HttpResponse::Ok()
            };
            Ok(response.json(recorded))
        }
        Err(CallError::NotFound) => Err(AppError::NotFound),
        Err(CallError::CallbackWithoutTime) => Ok(unprocessable(
            "callback_without_time",
            "a callback needs callback_at",
        )),
        Err(CallError::NeedWithoutDescription) => Ok(unprocessable(
            "need_without_description",
            "every need needs a description",
        )),
        Err(CallError::Refused(refused)) => Ok(api_refusal(
            actix_web::http::StatusCode::CONFLICT,
            refused.code(),
            lang.tr().t(refused.message_key()),
        )),
        Err(CallError::Store(e)) => Err(e.into()),
    }
}

/// A text without NUL characters: JSON may carry them, PostgreSQL's text refuses them,
/// and they never mean anything in a note.
fn without_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text
    }
}

fn unprocessable(code: &str, message: &str) -> HttpResponse {
    HttpResponse::UnprocessableEntity()
        .json(serde_json::json!({ "error": code, "message": message }))
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(include_str!("../../static/openapi.json"))
}
