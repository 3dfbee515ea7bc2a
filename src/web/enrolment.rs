//! Setting up the second factor through a one-time enrolment link (issue 14): an account
//! that must give a code and has none is sent a link by mail after its password, and
//! only the link's page shows the secret and enrols. `GET/POST /enrol/{token}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, Utc};
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::totp::{code_from_client, finish_session, CodeOutcome, CodePage};
use super::AppState;
use crate::auth::{self, totp};
use crate::messages::{account_mails, Language};
use crate::store::{LinkMail, User, ENROLMENT_LINK_LIFETIME};

/// A new link is mailed at most this often, however many password logins.
const RESEND_AFTER: Duration = Duration::minutes(15);

#[derive(Template)]
#[template(path = "enrol_message.html")]
struct MessagePage {
    tr: Tr,
    nav: Nav,
    class: &'static str,
    message: &'static str,
}

fn message(
    req: &HttpRequest,
    lang: Lang,
    status: StatusCode,
    message: &'static str,
) -> Result<HttpResponse, AppError> {
    let class = if status.is_success() { "ok" } else { "alert" };
    let page = MessagePage {
        tr: lang.tr(),
        nav: Nav::default(),
        class,
        message,
    };
    let mut response = html_page(req, &page)?;
    *response.status_mut() = status;
    Ok(response)
}

/// After a right password on an account without its due second factor: a link is mailed
/// (unless one went out a moment ago) and the page says so; no session is opened.
pub async fn mail_link(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    user: &User,
) -> Result<HttpResponse, AppError> {
    let now = Utc::now();
    if !state
        .store
        .recent_enrolment_link(user.id, now - RESEND_AFTER, now)
        .await?
    {
        send_link(state, user, now).await?;
    }
    state
        .store
        .record_audit(&crate::store::AuditEvent::by_user(
            user.id,
            "totp_link_sent",
            "user",
            Some(user.id),
        ))
        .await?;
    message(req, lang, StatusCode::OK, "enrol.sent")
}

/// Mails `user` a one-time link that sets up their second factor (outbox kind
/// `login_link`), valid [`ENROLMENT_LINK_LIFETIME`].
pub async fn send_link(
    state: &AppState,
    user: &User,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let (token, _) = auth::new_session_token();
    let link = state
        .base_url
        .join(&format!("enrol/{token}"))
        .map_err(|e| AppError::Internal(e.into()))?;
    let lang = Language::from_code(Some(&user.language));
    let written = account_mails::enrolment_link(lang, &link, ENROLMENT_LINK_LIFETIME.num_hours());
    let message_id = format!("<enrol-{}@lien>", uuid::Uuid::new_v4().simple());
    let mail = LinkMail {
        subject: &written.subject,
        body: &written.body,
        message_id: &message_id,
    };
    state
        .store
        .create_enrolment_link(user, &token, now, Some(mail))
        .await?;
    Ok(())
}

/// What the set-up page shows: the QR code (inline SVG) and the secret grouped for
/// typing; a new pending secret is kept when the account has none.
pub async fn setup_material(state: &AppState, user: &User) -> Result<(String, String), AppError> {
    let current = state.store.totp_state(user.id).await?;
    let secret = match current.totp_pending_secret {
        Some(secret) => secret,
        None => {
            let secret = totp::new_secret();
            state.store.set_pending_totp(user.id, &secret).await?;
            secret
        }
    };
    let url = totp::otpauth_url(&secret, &user.email)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("cannot build the otpauth address")))?;
    let svg = totp::qr_svg(&url)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("cannot draw the QR code")))?;
    Ok((svg, totp::grouped(&secret)))
}

fn csrf_of(state: &AppState, token: &str) -> String {
    auth::csrf_token(&state.secret, &format!("enrol:{}", auth::token_hash(token)))
}

async fn setup_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    user: &User,
    token: &str,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let page = CodePage {
        tr: lang.tr(),
        nav: Nav::default(),
        csrf: csrf_of(state, token),
        action: format!("/enrol/{token}"),
        next: String::new(),
        setup: Some(setup_material(state, user).await?),
        error,
    };
    html_page(req, &page)
}

/// The account of a link that still works.
async fn link_user(state: &AppState, token: &str) -> Result<Option<User>, AppError> {
    Ok(state
        .store
        .enrolment_link_user(&auth::token_hash(token), Utc::now())
        .await?)
}

/// `GET /enrol/{token}`: the set-up page, or why the link no longer works.
pub async fn form(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    match link_user(&state, &token).await? {
        Some(user) => setup_page(&req, lang, &state, &user, &token, None).await,
        None => message(&req, lang, StatusCode::GONE, "enrol.invalid"),
    }
}

#[derive(Deserialize)]
pub struct EnrolForm {
    csrf: String,
    code: String,
}

/// `POST /enrol/{token}`: a right code confirms the secret, uses up the link and opens
/// the session. Wrong codes count against the account like any code.
pub async fn submit(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<EnrolForm>,
) -> Result<HttpResponse, AppError> {
    let Some(user) = link_user(&state, &token).await? else {
        return message(&req, lang, StatusCode::GONE, "enrol.invalid");
    };
    if !auth::constant_time_eq(&csrf_of(&state, &token), &form.csrf) {
        return Err(AppError::BadCsrf);
    }
    let outcome = code_from_client(&req, &state, &user, &form.code).await?;
    if outcome == CodeOutcome::Accepted {
        state
            .store
            .use_enrolment_link(&auth::token_hash(&token), Utc::now())
            .await?;
        let client = super::client::client_of(&req, &state);
        return finish_session(&state, &user, &client, None).await;
    }
    let (error, status) = match outcome {
        CodeOutcome::TooMany => ("code.too_many", StatusCode::TOO_MANY_REQUESTS),
        _ => ("code.wrong", StatusCode::UNAUTHORIZED),
    };
    let mut response = setup_page(&req, lang, &state, &user, &token, Some(error)).await?;
    *response.status_mut() = status;
    Ok(response)
}
