//! Who is asking: the session cookie, the signed-in user, their role, CSRF checks,
//! and the login / logout pages.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::AppState;
use crate::auth::{self, ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, SESSION_COOKIE};
use crate::domain::Role;
use crate::messages::{account_mails, Language};
use crate::store::{AuditEvent, User};

const LOGIN_CSRF_COOKIE: &str = "lien_login_csrf";

/// The signed-in user of a request, with what forms need.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub session_hash: String,
    pub csrf: String,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Checks the CSRF token a form sent.
    pub fn check_csrf(&self, state: &AppState, submitted: &str) -> Result<(), AppError> {
        if auth::csrf_matches(&state.secret, &self.session_hash, submitted) {
            Ok(())
        } else {
            Err(AppError::BadCsrf)
        }
    }

    pub fn nav(&self) -> Nav {
        Nav {
            user_name: Some(self.user.display_name.clone()),
            csrf: self.csrf.clone(),
            is_coordinator: matches!(self.role(), Role::Coordinator | Role::Admin),
            is_caller: self.role() == Role::Caller,
            is_territory: self.role() == Role::Territory,
            is_admin: self.role() == Role::Admin,
            is_relay: self.role() == Role::Relay,
            is_volunteer: self.role() == Role::Volunteer,
        }
    }
}

async fn session_of(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone();
    let Some(cookie) = req.cookie(&state.cookie_name(SESSION_COOKIE)) else {
        return Ok(None);
    };
    let hash = auth::token_hash(cookie.value());
    let now = Utc::now();
    let mut user = state
        .store
        .session_user(&hash, now, now - IDLE_TIMEOUT)
        .await?;
    if let (Some(user), Some(chosen)) = (user.as_mut(), Lang::chosen_in_query(req)) {
        remember_language(&state, user, chosen).await?;
    }
    Ok(user.map(|user| CurrentUser {
        csrf: auth::csrf_token(&state.secret, &hash),
        session_hash: hash,
        user,
    }))
}

/// A language picked with a page's switch (`?lang=`) becomes the account's: its mails
/// (login links, escalations, the weekly list) follow it.
async fn remember_language(
    state: &AppState,
    user: &mut User,
    chosen: Lang,
) -> Result<(), AppError> {
    if user.language != chosen.code() {
        state
            .store
            .set_user_language(user.id, chosen.into())
            .await?;
        user.language = chosen.code().to_string();
    }
    Ok(())
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            session_of(&req)
                .await?
                .ok_or_else(|| AppError::LoginRequired {
                    next: req
                        .uri()
                        .path_and_query()
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "/".into()),
                })
        })
    }
}

/// The signed-in user if there is one (pages open to everyone).
pub struct MaybeUser(pub Option<CurrentUser>);

impl MaybeUser {
    pub fn nav(&self) -> Nav {
        self.0.as_ref().map(CurrentUser::nav).unwrap_or_default()
    }
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(session_of(&req).await?)) })
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    nav: Nav,
    csrf: String,
    email: String,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only paths of this site: never an open redirect.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| is_same_origin_path(n)).map(str::to_string)
}

/// A path on this site and nothing else: one leading `/`, no `//` or `/\` at its
/// start, no backslash and no control character, whether raw or percent-decoded
/// (`/%09/evil.example` is followed to another host by browsers that drop the tab), and
/// the same origin once parsed as a URL.
fn is_same_origin_path(next: &str) -> bool {
    let decoded = percent_decoded(next);
    let clean = |s: &str| {
        s.starts_with('/')
            && !s.starts_with("//")
            && !s.contains('\\')
            && !s.chars().any(char::is_control)
    };
    if !clean(next) || !clean(&decoded) {
        return false;
    }
    // The origin does not depend on the base chosen: any base works for the test.
    let base = url::Url::parse("http://lien.invalid/").expect("a valid base");
    base.join(next)
        .is_ok_and(|url| url.origin() == base.origin() && url.path().starts_with('/'))
}

/// `%XX` sequences decoded (repeatedly, so that `%2509` is seen as a tab too); anything
/// else kept as it is.
fn percent_decoded(raw: &str) -> String {
    let mut text = raw.to_string();
    for _ in 0..3 {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (bytes[i], hex) {
                (b'%', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        let next = String::from_utf8_lossy(&out).into_owned();
        if next == text {
            break;
        }
        text = next;
    }
    text
}

pub fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    max_age: CookieDuration,
) -> Cookie<'a> {
    Cookie::build(state.cookie_name(name), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.secure_cookies)
        .max_age(max_age)
        .finish()
}

pub async fn login_form(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    fresh_login_page(&req, lang, &state, next, None)
}

/// The login page with a new double-submit CSRF token (in the form and in a cookie).
fn fresh_login_page(
    req: &HttpRequest,
    lang: Lang,
    state: &AppState,
    next: String,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let csrf = hex::encode(rand::random::<[u8; 16]>());
    let page = LoginPage {
        tr: lang.tr(),
        nav: Nav::default(),
        csrf: csrf.clone(),
        email: String::new(),
        next,
        error,
    };
    let mut response = html_page(req, &page)?;
    response
        .add_cookie(&cookie(
            state,
            LOGIN_CSRF_COOKIE,
            csrf,
            CookieDuration::hours(1),
        ))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let expected = req
        .cookie(&state.cookie_name(LOGIN_CSRF_COOKIE))
        .map(|c| c.value().to_string());
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(AppError::BadCsrf);
    }
    let again = |error: &'static str| -> Result<HttpResponse, AppError> {
        let page = LoginPage {
            tr: lang.tr(),
            nav: Nav::default(),
            csrf: form.csrf.clone(),
            email: form.email.clone(),
            next: safe_next(Some(&form.next)).unwrap_or_default(),
            error: Some(error),
        };
        let mut response = html_page(&req, &page)?;
        *response.status_mut() = if error == "login.too_many" {
            actix_web::http::StatusCode::TOO_MANY_REQUESTS
        } else {
            actix_web::http::StatusCode::UNAUTHORIZED
        };
        Ok(response)
    };
    let user = match authenticate(&req, &state, &form.email, &form.password).await? {
        Ok(user) => user,
        Err(LoginRefused::TooMany) => return again("login.too_many"),
        Err(LoginRefused::Failed) => return again("login.failed"),
    };
    let mut response =
        super::totp::finish_login(&req, lang, &state, &user, safe_next(Some(&form.next))).await?;
    let mut clear = cookie(
        &state,
        LOGIN_CSRF_COOKIE,
        String::new(),
        CookieDuration::ZERO,
    );
    clear.make_removal();
    response
        .add_cookie(&clear)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(response)
}

/// Why a login was refused. The two cases look the same from outside except for the
/// waiting.
pub enum LoginRefused {
    TooMany,
    Failed,
}

/// Checks an email and password, with the rate limits and the audit trail; shared by the
/// login page and `POST /api/session`.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<Result<User, LoginRefused>, AppError> {
    let client = super::client::client_of(req, state);
    if !super::throttle::allow_login(state, email, &client).await? {
        tracing::warn!("login attempts limited");
        return Ok(Err(LoginRefused::TooMany));
    }
    let found = state.store.user_for_login(email).await?;
    let hash = found.as_ref().and_then(|(_, h)| h.clone());
    // Argon2 is slow on purpose: keep it off the async workers.
    let password = password.to_string();
    let ok = web::block(move || auth::verify_password(hash.as_deref(), &password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some((user, _)) = found.filter(|_| ok) else {
        state
            .store
            .record_audit(&AuditEvent {
                actor_user_id: None,
                actor_label: "anonymous",
                action: "login_failed",
                subject_type: "user",
                subject_id: None,
                detail: Some(format!("client {client}")),
            })
            .await?;
        return Ok(Err(LoginRefused::Failed));
    };
    Ok(Ok(user))
}

/// Opens a new session for `user` and gives its cookie; the audit trail notes the login
/// with the client address (`client`, from [`super::client::client_of`]).
pub async fn start_session(
    state: &AppState,
    user: &User,
    client: &str,
) -> Result<Cookie<'static>, AppError> {
    let (token, token_hash) = auth::new_session_token();
    let now = Utc::now();
    state
        .store
        .create_session(&token_hash, user.id, now, now + ABSOLUTE_TIMEOUT)
        .await?;
    audit_login(state, user, "login", client).await?;
    let max_age = CookieDuration::seconds(ABSOLUTE_TIMEOUT.num_seconds());
    Ok(cookie(state, SESSION_COOKIE, token, max_age))
}

/// Notes a step of `user`'s login (`login`, `login_first_factor`) with the client address.
pub async fn audit_login(
    state: &AppState,
    user: &User,
    action: &str,
    client: &str,
) -> Result<(), AppError> {
    let event = AuditEvent {
        detail: Some(format!("client {client}")),
        ..AuditEvent::by_user(user.id, action, "user", Some(user.id))
    };
    state.store.record_audit(&event).await?;
    Ok(())
}

/// Where each role lands after login.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Coordinator | Role::Admin => "/coordination/imports",
        Role::Caller => "/appels",
        Role::Territory => "/signalements",
        Role::Relay => "/relais/volontaires",
        Role::Volunteer => "/benevole",
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    state.store.delete_session(&user.session_hash).await?;
    let mut clear = cookie(&state, SESSION_COOKIE, String::new(), CookieDuration::ZERO);
    clear.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(clear)
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_never_an_open_redirect() {
        assert_eq!(
            safe_next(Some("/coordination/imports")),
            Some("/coordination/imports".into())
        );
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn next_refuses_every_way_to_another_host() {
        for hostile in [
            "/%09/evil.example",
            "/\t/evil.example",
            "/%0a/evil.example",
            "/%0d/evil.example",
            "/%0D%0A/evil.example",
            "/%2509/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "/\\evil.example",
            "\\/evil.example",
            "//evil.example",
            "///evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            " /appels",
            "",
        ] {
            assert_eq!(safe_next(Some(hostile)), None, "{hostile:?}");
        }
        for fine in [
            "/",
            "/appels",
            "/appels/12?x=1#top",
            "/coordination/week?week=2026-W48",
        ] {
            assert_eq!(safe_next(Some(fine)).as_deref(), Some(fine));
        }
    }
}

/// How long a login link works.
pub const LOGIN_LINK_LIFETIME: chrono::Duration = chrono::Duration::minutes(20);

#[derive(Deserialize)]
pub struct LinkRequestForm {
    email: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "login_link.html")]
struct LinkSentPage {
    tr: Tr,
    nav: Nav,
}

/// `POST /login/link`: sends a one-time login link to the address, if it has an account.
/// The answer is the same either way, so that nobody can probe who has one.
pub async fn request_link(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    form: web::Form<LinkRequestForm>,
) -> Result<HttpResponse, AppError> {
    let expected = req
        .cookie(&state.cookie_name(LOGIN_CSRF_COOKIE))
        .map(|c| c.value().to_string());
    if expected.as_deref() != Some(form.csrf.as_str()) || form.csrf.is_empty() {
        return Err(AppError::BadCsrf);
    }
    let client = super::client::client_of(&req, &state);
    if super::throttle::allow_login(&state, &form.email, &client).await? {
        if let Some((user, _)) = state.store.user_for_login(&form.email).await? {
            send_login_link(&state, &user).await?;
        }
    } else {
        tracing::warn!("login link requests limited");
    }
    html_page(
        &req,
        &LinkSentPage {
            tr: lang.tr(),
            nav: Nav::default(),
        },
    )
}

/// Mails `user` a one-time login link (outbox kind `login_link`).
pub async fn send_login_link(state: &AppState, user: &User) -> Result<(), AppError> {
    let (token, _) = auth::new_session_token();
    let now = Utc::now();
    let link = state
        .base_url
        .join(&format!("login/link/{token}"))
        .map_err(|e| AppError::Internal(e.into()))?;
    let lang = Language::from_code(Some(&user.language));
    let mail = account_mails::login_link(lang, &link, LOGIN_LINK_LIFETIME.num_minutes());
    state
        .store
        .create_login_link(
            user,
            &token,
            now,
            now + LOGIN_LINK_LIFETIME,
            &mail.subject,
            &mail.body,
            &format!("<login-{}@lien>", uuid::Uuid::new_v4().simple()),
        )
        .await?;
    Ok(())
}

/// `GET /login/link/{token}`: logs in with a one-time link.
pub async fn use_link(
    req: HttpRequest,
    lang: Lang,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let user = state
        .store
        .use_login_link(&auth::token_hash(&token), Utc::now())
        .await?;
    let Some(user) = user else {
        let mut response = fresh_login_page(
            &req,
            lang,
            &state,
            String::new(),
            Some("login.link_invalid"),
        )?;
        *response.status_mut() = actix_web::http::StatusCode::GONE;
        return Ok(response);
    };
    // A login link replaces the password, not the second factor.
    super::totp::finish_login(&req, lang, &state, &user, None).await
}

/// `POST /logout/all`: ends every session of the user, on every device.
pub async fn logout_everywhere(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    state.store.delete_user_sessions(user.user.id).await?;
    state
        .store
        .record_audit(&AuditEvent::by_user(
            user.user.id,
            "logout_everywhere",
            "user",
            Some(user.user.id),
        ))
        .await?;
    let mut clear = cookie(&state, SESSION_COOKIE, String::new(), CookieDuration::ZERO);
    clear.make_removal();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(clear)
        .finish())
}
