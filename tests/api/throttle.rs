//! Login throttling of issue 14: counters in the database shared by every instance,
//! wrong one-time codes limited per account on every path, the client address taken
//! from `X-Forwarded-For` only behind a trusted proxy.

use lien::domain::Role;

use lien::auth::totp::code_at;
use lien::web::throttle::Bucket;

use crate::helpers::{execute, scalar, spawn_app, spawn_app_with, Backend, TestApp, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    two_instances_share_one_allowance,
    expired_counters_are_forgotten,
    a_sixth_wrong_code_is_refused_on_every_path,
    forwarded_for_is_believed_only_from_a_trusted_proxy,
    a_successful_login_is_audited_with_the_client_address,
);

async fn two_instances_share_one_allowance(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Caller, "a@x.fr").await;
    let other = app.second_instance().await;
    // Five wrong passwords, spread over two instances as a load balancer would.
    for i in 0..5 {
        let response = if i % 2 == 0 {
            app.login("a@x.fr", "wrong password").await
        } else {
            other.login("a@x.fr", "wrong password").await
        };
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    // The sixth waits on either instance, even with the right password.
    assert_eq!(other.login("a@x.fr", TEST_PASSWORD).await.status(), 429);
    assert_eq!(app.login("A@x.fr", TEST_PASSWORD).await.status(), 429);
}

async fn expired_counters_are_forgotten(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = &app.store;
    let now = chrono::Utc::now();
    let minute = chrono::Duration::minutes(1);
    assert_eq!(store.count_attempt("k", now, minute).await.unwrap(), 1);
    assert_eq!(store.count_attempt("k", now, minute).await.unwrap(), 2);
    store.refund_attempt("k").await.unwrap();
    assert_eq!(store.count_attempt("k", now, minute).await.unwrap(), 2);
    // Once the window is over, the bucket starts again; expired rows are deleted.
    let later = now + minute;
    assert_eq!(store.count_attempt("k", later, minute).await.unwrap(), 1);
    store.count_attempt("old", now, minute).await.unwrap();
    assert_eq!(store.forget_expired_attempts(later).await.unwrap(), 1);
    assert_eq!(
        scalar(store, "SELECT COUNT(*) FROM attempt_counters").await,
        1
    );
}

/// An app where coordinators need a code, and a coordinator whose code is set up;
/// gives the secret.
async fn enrolled_coordinator(backend: Backend, email: &str) -> (TestApp, String) {
    let app = spawn_app_with(backend, |s| s.require_totp = true).await;
    let user = app.create_user(Role::Coordinator, email).await;
    let secret = lien::auth::totp::new_secret();
    app.store.set_pending_totp(user.id, &secret).await.unwrap();
    let confirmed = app
        .store
        .accept_totp_step(user.id, 1, true, chrono::Utc::now())
        .await
        .unwrap();
    assert!(confirmed);
    (app, secret)
}

fn code_now(secret: &str) -> String {
    code_at(secret, chrono::Utc::now().timestamp()).unwrap()
}

async fn api_login(app: &TestApp, email: &str, code: &str) -> (u16, serde_json::Value) {
    let response = app
        .client
        .post(format!("{}/api/session", app.address))
        .header("accept-language", "fr")
        .json(&serde_json::json!({"email": email, "password": TEST_PASSWORD, "totp": code}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn form_code(app: &TestApp, code: &str) -> reqwest::Response {
    let page = app.get("/login/code").await.text().await.unwrap();
    crate::totp::post_code(app, &page, code).await
}

async fn a_sixth_wrong_code_is_refused_on_every_path(backend: Backend) {
    let email = "coord@x.fr";
    let (app, secret) = enrolled_coordinator(backend, email).await;
    // Three wrong codes through the API, two through the login form's code step.
    for _ in 0..3 {
        let (status, body) = api_login(&app, email, "000000").await;
        assert_eq!((status, body["error"].as_str()), (401, Some("totp_failed")));
    }
    assert_eq!(app.login(email, TEST_PASSWORD).await.status(), 303);
    for _ in 0..2 {
        assert_eq!(form_code(&app, "000000").await.status(), 401);
    }
    // The sixth code is refused on the form, even the right one …
    let refused = form_code(&app, &code_now(&secret)).await;
    assert_eq!(refused.status(), 429);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Trop de codes erronés pour ce compte"));
    // … and through the API, once its login minute is over (not the password's limit).
    let key = Bucket::Account(email).key(&app.settings.require_secret_key().unwrap().bytes());
    execute(
        &app.store,
        &format!("DELETE FROM attempt_counters WHERE key = '{key}'"),
    )
    .await
    .unwrap();
    let (status, body) = api_login(&app, email, &code_now(&secret)).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "totp_too_many");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("Trop de codes erronés"));
    assert_eq!(
        app.get("/coordination/imports").await.status(),
        303,
        "no session"
    );
}

/// One wrong login sent with `X-Forwarded-For: 203.0.113.7`; gives the client address
/// the audit trail noted and whether the throttling counted it for that address.
async fn forwarded_login(app: &TestApp) -> (String, bool) {
    let form = app.get("/login").await.text().await.unwrap();
    let csrf = crate::helpers::form_value(&form, "csrf");
    let response = app
        .client
        .post(format!("{}/login", app.address))
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[
            ("email", "nobody@x.fr"),
            ("password", "wrong password"),
            ("csrf", &csrf),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let audited = crate::helpers::text(
        &app.store,
        "SELECT detail FROM audit_events WHERE action = 'login_failed'",
    )
    .await;
    let key =
        Bucket::Client("203.0.113.7").key(&app.settings.require_secret_key().unwrap().bytes());
    let counted = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM attempt_counters WHERE key = '{key}'"),
    )
    .await;
    (audited, counted == 1)
}

async fn forwarded_for_is_believed_only_from_a_trusted_proxy(backend: Backend) {
    // By default no proxy is trusted: the header is the client's own word, ignored.
    let app = spawn_app(backend).await;
    assert_eq!(
        forwarded_login(&app).await,
        ("client 127.0.0.1".into(), false)
    );
    // Behind a configured proxy, its header names the client.
    let app = spawn_app_with(backend, |s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(
        forwarded_login(&app).await,
        ("client 203.0.113.7".into(), true)
    );
}

/// Posts `form` to `path` with `X-Forwarded-For: forwarded`.
async fn forwarded_post(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    forwarded: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .header("x-forwarded-for", forwarded)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The details of the audit events `action`, oldest first.
async fn audited(app: &TestApp, action: &str) -> Vec<String> {
    crate::helpers::query_all::<(String,)>(
        &app.store,
        &format!("SELECT detail FROM audit_events WHERE action = '{action}' ORDER BY id"),
    )
    .await
    .into_iter()
    .map(|(detail,)| detail)
    .collect()
}

async fn a_successful_login_is_audited_with_the_client_address(backend: Backend) {
    // A caller without a code: one `login` event, with the peer's address.
    let app = spawn_app(backend).await;
    app.create_user(Role::Caller, "a@x.fr").await;
    assert_eq!(app.login("a@x.fr", TEST_PASSWORD).await.status(), 303);
    assert_eq!(audited(&app, "login").await, ["client 127.0.0.1"]);

    // Behind a trusted proxy, with a code: the password step and the code step each
    // note the forwarded address.
    let email = "coord@x.fr";
    let app = spawn_app_with(backend, |s| {
        s.require_totp = true;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let user = app.create_user(Role::Coordinator, email).await;
    let secret = lien::auth::totp::new_secret();
    app.store.set_pending_totp(user.id, &secret).await.unwrap();
    assert!(app
        .store
        .accept_totp_step(user.id, 1, true, chrono::Utc::now())
        .await
        .unwrap());
    let form = app.get("/login").await.text().await.unwrap();
    let csrf = crate::helpers::form_value(&form, "csrf");
    let password = [
        ("email", email),
        ("password", TEST_PASSWORD),
        ("csrf", &csrf),
        ("next", ""),
    ];
    let first = forwarded_post(&app, "/login", &password, "203.0.113.7").await;
    assert_eq!(first.status(), 303);
    assert_eq!(
        audited(&app, "login_first_factor").await,
        ["client 203.0.113.7"]
    );
    assert!(audited(&app, "login").await.is_empty(), "no session yet");
    let page = app.get("/login/code").await.text().await.unwrap();
    let csrf = crate::helpers::form_value(&page, "csrf");
    let code = code_now(&secret);
    let form = [("csrf", csrf.as_str()), ("code", &code), ("next", "")];
    let second = forwarded_post(&app, "/login/code", &form, "198.51.100.9").await;
    assert_eq!(second.status(), 303);
    assert_eq!(audited(&app, "login").await, ["client 198.51.100.9"]);
}
