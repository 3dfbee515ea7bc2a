//! The second step of a login for accounts with a one-time code (coordinators and
//! admins, and anyone who set one up): `GET/POST /login/code`. The password (or login
//! link) step leaves a signed cookie naming the account for five minutes; the code
//! step turns it into a session. An account without a code yet is sent an enrolment link
//! instead (`web::enrolment`): the password alone never sets up the second factor.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::session::{cookie, home_of, safe_next, start_session};
use super::throttle::{self, Bucket, CODES_PER_ACCOUNT, LOGIN_PER_CLIENT};
use super::AppState;
use crate::auth::totp::{self, PENDING_COOKIE, PENDING_LIFETIME_SECONDS};
use crate::domain::Role;
use crate::store::{AuditEvent, User};

/// Whether `user` must give a one-time code after the password.
pub async fn second_factor_needed(state: &AppState, user: &User) -> Result<bool, AppError> {
    let privileged = match user.role {
        Role::Coordinator | Role::Admin => true,
        // A relay reads its volunteers' contacts: as careful as a territory.
        Role::Territory | Role::Relay => state.territory_totp,
        Role::Caller | Role::Volunteer => false,
    };
    if privileged && state.require_totp {
        return Ok(true);
    }
    Ok(state.store.totp_state(user.id).await?.totp_secret.is_some())
}

/// After the first factor: a session, or the code page when a second factor is due
/// (the audit trail then notes `login_first_factor` with the client address; `login`
/// follows with the code), or, for an account with no second factor yet, the page saying
/// a one-time set-up link was mailed (`web::enrolment`).
pub async fn finish_login(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    user: &User,
    next: Option<String>,
) -> Result<HttpResponse, AppError> {
    let client = super::client::client_of(req, state);
    if second_factor_needed(state, user).await? {
        super::session::audit_login(state, user, "login_first_factor", &client).await?;
        if state.store.totp_state(user.id).await?.totp_secret.is_none() {
            return super::enrolment::mail_link(req, lang, state, user).await;
        }
        let token = totp::pending_token(&state.secret, user.id, Utc::now().timestamp());
        let target = match next {
            Some(next) => format!(
                "/login/code?next={}",
                url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            ),
            None => "/login/code".to_string(),
        };
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .cookie(cookie(
                state,
                PENDING_COOKIE,
                token,
                CookieDuration::seconds(PENDING_LIFETIME_SECONDS),
            ))
            .finish());
    }
    finish_session(state, user, &client, next).await
}

/// The code page; with `setup`, the enrolment page of `web::enrolment`.
#[derive(Template)]
#[template(path = "login_code.html")]
pub(super) struct CodePage {
    pub tr: Tr,
    pub nav: Nav,
    pub csrf: String,
    /// Where the form is sent.
    pub action: String,
    pub next: String,
    /// Set-up: the QR code (inline SVG) and the secret to type by hand.
    pub setup: Option<(String, String)>,
    pub error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct CodeQuery {
    next: Option<String>,
}

/// The account a pending login names, if it has a second factor to check and the login
/// has not expired.
async fn pending(req: &HttpRequest, state: &AppState) -> Result<Option<(User, String)>, AppError> {
    let Some(token) = req
        .cookie(&state.cookie_name(PENDING_COOKIE))
        .map(|c| c.value().to_string())
    else {
        return Ok(None);
    };
    let Some(user_id) = totp::pending_user(&state.secret, &token, Utc::now().timestamp()) else {
        return Ok(None);
    };
    if state.store.totp_state(user_id).await?.totp_secret.is_none() {
        return Ok(None);
    }
    Ok(state.store.user_by_id(user_id).await?.map(|u| (u, token)))
}

fn back_to_login() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .finish()
}

/// `GET /login/code`: asks for the code.
pub async fn form(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, AppError> {
    let Some((_, token)) = pending(&req, &state).await? else {
        return Ok(back_to_login());
    };
    let page = CodePage {
        tr: lang.tr(),
        nav: Nav::default(),
        csrf: totp::pending_csrf(&state.secret, &token),
        action: "/login/code".into(),
        next: safe_next(query.next.as_deref()).unwrap_or_default(),
        setup: None,
        error: None,
    };
    html_page(&req, &page)
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/code`: checks the code; a good one opens the session.
pub async fn submit(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some((user, token)) = pending(&req, &state).await? else {
        return Ok(back_to_login());
    };
    let expected = totp::pending_csrf(&state.secret, &token);
    if !crate::auth::constant_time_eq(&expected, &form.csrf) {
        return Err(AppError::BadCsrf);
    }
    let outcome = code_from_client(&req, &state, &user, &form.code).await?;
    let next = safe_next(Some(&form.next));
    if outcome == CodeOutcome::Accepted {
        let client = super::client::client_of(&req, &state);
        let mut response = finish_session(&state, &user, &client, next).await?;
        let mut clear = cookie(&state, PENDING_COOKIE, String::new(), CookieDuration::ZERO);
        clear.make_removal();
        response
            .add_cookie(&clear)
            .map_err(|e| AppError::Internal(e.into()))?;
        return Ok(response);
    }
    let page = CodePage {
        tr: lang.tr(),
        nav: Nav::default(),
        csrf: expected,
        action: "/login/code".into(),
        next: next.unwrap_or_default(),
        setup: None,
        error: Some(match outcome {
            CodeOutcome::TooMany => "code.too_many",
            _ => "code.wrong",
        }),
    };
    let mut response = html_page(&req, &page)?;
    *response.status_mut() = if outcome == CodeOutcome::TooMany {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    };
    Ok(response)
}

pub(super) async fn finish_session(
    state: &AppState,
    user: &User,
    client: &str,
    next: Option<String>,
) -> Result<HttpResponse, AppError> {
    let session_cookie = start_session(state, user, client).await?;
    let target = next.unwrap_or_else(|| home_of(user.role).to_string());
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .cookie(session_cookie)
        .finish())
}

/// A code typed in a page: the client's allowance is charged, then [`verify_code`].
pub(super) async fn code_from_client(
    req: &HttpRequest,
    state: &AppState,
    user: &User,
    code: &str,
) -> Result<CodeOutcome, AppError> {
    let client = super::client::client_of(req, state);
    if throttle::charge(state, Bucket::Client(&client), LOGIN_PER_CLIENT).await? {
        verify_code(state, user, code).await
    } else {
        Ok(CodeOutcome::TooMany)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOutcome {
    Accepted,
    Wrong,
    TooMany,
}

/// Checks a code against the account's secret (or, during set-up, the pending one), at
/// most once per code, and notes the result in the audit trail. Every path that checks
/// a code comes here, so that wrong codes are limited per account
/// ([`CODES_PER_ACCOUNT`]) whatever the path: the attempt is charged before the check
/// (so that codes sent at once are counted too) and given back when the code is good;
/// past the limit even the right code is refused until the window is over.
pub async fn verify_code(
    state: &AppState,
    user: &User,
    code: &str,
) -> Result<CodeOutcome, AppError> {
    let bucket = Bucket::Codes(user.id);
    if !throttle::charge(state, bucket, CODES_PER_ACCOUNT).await? {
        tracing::warn!(user_id = user.id, "one-time codes limited");
        audit_code(state, user, "totp_limited").await?;
        return Ok(CodeOutcome::TooMany);
    }
    let current = state.store.totp_state(user.id).await?;
    let now = Utc::now();
    let (secret, confirm) = match (&current.totp_secret, &current.totp_pending_secret) {
        (Some(secret), _) => (secret.as_str(), false),
        (None, Some(pending)) => (pending.as_str(), true),
        (None, None) => return Ok(CodeOutcome::Wrong),
    };
    let accepted = match totp::check(secret, code, now.timestamp(), current.totp_last_step) {
        Some(step) => {
            state
                .store
                .accept_totp_step(user.id, step, confirm, now)
                .await?
        }
        None => false,
    };
    if accepted {
        throttle::refund(state, bucket).await?;
    }
    let action = match (accepted, confirm) {
        (true, true) => "totp_enrolled",
        (true, false) => "totp_ok",
        (false, _) => "totp_failed",
    };
    audit_code(state, user, action).await?;
    Ok(if accepted {
        CodeOutcome::Accepted
    } else {
        CodeOutcome::Wrong
    })
}

async fn audit_code(state: &AppState, user: &User, action: &str) -> Result<(), AppError> {
    Ok(state
        .store
        .record_audit(&AuditEvent::by_user(user.id, action, "user", Some(user.id)))
        .await?)
}
