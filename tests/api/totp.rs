//! The second factor of coordinators and admins: set up through a one-time enrolment
//! link (mailed after the password, or printed by `lien users add`) by scanning a QR
//! code, then a one-time code after every password, each code accepted once.

use lien::auth::totp::code_at;
use lien::domain::Role;

use crate::helpers::{
    execute, form_value, scalar, spawn_app, spawn_app_with, text, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    a_coordinator_sets_up_a_code_then_needs_it_at_every_login,
    the_api_asks_coordinators_for_their_code,
    a_login_link_does_not_skip_the_code,
    a_reset_code_is_set_up_again,
    the_password_alone_never_enrols,
    an_enrolment_link_works_once,
    an_expired_enrolment_link_is_refused,
    the_printed_links_of_users_add_and_reset_totp_work,
    without_the_requirement_only_enrolled_accounts_give_a_code,
    territory_accounts_give_a_code_unless_turned_off,
);

async fn secure_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.require_totp = true).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The secret shown on the set-up page (grouped by four for typing).
fn shown_secret(html: &str) -> String {
    let start = html.find("<code class=\"secret\">").expect("a secret") + 21;
    html[start..].split('<').next().unwrap().replace(' ', "")
}

pub(crate) async fn post_code(app: &TestApp, page: &str, code: &str) -> reqwest::Response {
    let csrf = form_value(page, "csrf");
    app.client
        .post(format!("{}/login/code", app.address))
        .form(&[("csrf", csrf.as_str()), ("code", code), ("next", "")])
        .send()
        .await
        .unwrap()
}

/// The path of the last enrolment link mailed to `email`.
pub(crate) async fn mailed_enrolment_path(app: &TestApp, email: &str) -> String {
    let body = text(
        &app.store,
        &format!(
            "SELECT REPLACE(body_text, '[[lien-jeton]]', secret_token) FROM outbox \
             WHERE recipients = '{email}' AND body_text LIKE '%/enrol/%' ORDER BY id DESC LIMIT 1"
        ),
    )
    .await;
    let start = body.find("/enrol/").expect("an enrolment link");
    body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

pub(crate) async fn post_enrol(
    app: &TestApp,
    path: &str,
    page: &str,
    code: &str,
) -> reqwest::Response {
    let csrf = form_value(page, "csrf");
    app.client
        .post(format!("{}{path}", app.address))
        .form(&[("csrf", csrf.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// Logs in with the password, opens the mailed enrolment link and enrols: the secret.
pub(crate) async fn enrol_by_mail(app: &TestApp, email: &str) -> String {
    let login = app.login(email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let path = mailed_enrolment_path(app, email).await;
    let page = app.get(&path).await.text().await.unwrap();
    let secret = shown_secret(&page);
    let good = post_enrol(app, &path, &page, &code_at(&secret, now()).unwrap()).await;
    assert_eq!(good.status(), 303);
    assert!(has_session_cookie(&good));
    secret
}

fn has_session_cookie(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("lien_session="))
}

async fn a_coordinator_sets_up_a_code_then_needs_it_at_every_login(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;

    // The password alone opens no session and sets nothing up: a link is mailed.
    let secret = enrol_by_mail(&app, &user.email).await;
    assert_eq!(app.get("/coordination/imports").await.status(), 200);
    let confirmed = text(
        &app.store,
        &format!("SELECT totp_secret FROM users WHERE id = {}", user.id),
    )
    .await;
    assert_eq!(confirmed, secret);

    // Next login: the code page asks for a code only; a code already used is refused.
    app.logout().await;
    assert_eq!(
        app.login("coord@cd80.example.org", TEST_PASSWORD)
            .await
            .headers()["location"],
        "/login/code"
    );
    let page = app.get("/login/code").await.text().await.unwrap();
    assert!(!page.contains("<svg"), "set up once only");
    let replay = post_code(&app, &page, &code_at(&secret, now()).unwrap()).await;
    assert_eq!(replay.status(), 401, "a code works once");
    let next = post_code(&app, &page, &code_at(&secret, now() + 30).unwrap()).await;
    assert_eq!(next.status(), 303, "the next code works");
    assert_eq!(app.get("/coordination/imports").await.status(), 200);

    // Callers are not asked for a code.
    app.logout().await;
    let caller = app
        .create_user(Role::Caller, "appelant@cd80.example.org")
        .await;
    let login = app.login(&caller.email, TEST_PASSWORD).await;
    assert_eq!(login.headers()["location"], "/appels");
    assert!(has_session_cookie(&login));
}

async fn the_api_asks_coordinators_for_their_code(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app.create_user(Role::Admin, "admin@cd80.example.org").await;
    let post = |body: serde_json::Value| {
        app.client
            .post(format!("{}/api/session", app.address))
            .json(&body)
            .send()
    };
    let setup = post(serde_json::json!({"email": user.email, "password": TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(setup.status(), 403);
    let body: serde_json::Value = setup.json().await.unwrap();
    assert_eq!(body["error"], "totp_setup_required");

    // Set up through the mailed link, then the API needs the code.
    let secret = enrol_by_mail(&app, &user.email).await;
    app.logout().await;
    let missing = post(serde_json::json!({"email": user.email, "password": TEST_PASSWORD}))
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "totp_required");
    let wrong =
        post(serde_json::json!({"email": user.email, "password": TEST_PASSWORD, "totp": "123456"}))
            .await
            .unwrap();
    assert_eq!(wrong.status(), 401);
    let good = post(serde_json::json!({
        "email": user.email, "password": TEST_PASSWORD, "totp": code_at(&secret, now() + 30).unwrap()
    }))
    .await
    .unwrap();
    assert_eq!(good.status(), 200);
}

async fn a_login_link_does_not_skip_the_code(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "lien@cd80.example.org")
        .await;
    enrol_by_mail(&app, &user.email).await;
    app.logout().await;
    let login_page = app.get("/login").await.text().await.unwrap();
    let csrf = form_value(&login_page, "csrf");
    let sent = app
        .client
        .post(format!("{}/login/link", app.address))
        .form(&[("email", user.email.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    let body = text(
        &app.store,
        "SELECT REPLACE(body_text, '[[lien-jeton]]', secret_token) FROM outbox \
         WHERE kind = 'login_link' AND body_text LIKE '%/login/link/%'",
    )
    .await;
    let start = body.find("/login/link/").unwrap();
    let path: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let used = app.get(&path).await;
    assert_eq!(used.status(), 303);
    assert_eq!(used.headers()["location"], "/login/code");
    assert!(!has_session_cookie(&used));
}

async fn a_reset_code_is_set_up_again(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "perdu@cd80.example.org")
        .await;
    let secret = enrol_by_mail(&app, &user.email).await;
    assert_eq!(app.get("/coordination/imports").await.status(), 200);
    app.store.reset_totp(user.id).await.unwrap();
    assert_eq!(
        app.get("/coordination/imports").await.status(),
        303,
        "a reset ends the sessions"
    );
    assert_ne!(
        enrol_by_mail(&app, &user.email).await,
        secret,
        "set up again, through a new link, with a new key"
    );
}

async fn without_the_requirement_only_enrolled_accounts_give_a_code(backend: Backend) {
    // The demo and the default test settings: coordinators log in with a password alone.
    let app = spawn_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "demo@cd80.example.org")
        .await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.headers()["location"], "/coordination/imports");
    assert!(has_session_cookie(&login));
}

async fn territory_accounts_give_a_code_unless_turned_off(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Territory, "tas@cd80.example.org")
        .await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200, "a set-up link is mailed");
    assert!(!has_session_cookie(&login));
    mailed_enrolment_path(&app, &user.email).await;
    let app = spawn_app_with(backend, |s| {
        s.require_totp = true;
        s.territory_totp = false;
    })
    .await;
    let user = app
        .create_user(Role::Territory, "tas@cd80.example.org")
        .await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.headers()["location"], "/signalements");
    assert!(has_session_cookie(&login));
}

async fn the_password_alone_never_enrols(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "nouveau@cd80.example.org")
        .await;
    let login = app.login(&user.email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    assert!(!has_session_cookie(&login));
    let page = login.text().await.unwrap();
    assert!(page.contains("vient d’être envoyé"), "{page}");
    assert!(!page.contains("<svg") && !page.contains("class=\"secret\""));
    assert_eq!(app.get("/coordination/imports").await.status(), 303);
    assert_eq!(app.get("/login/code").await.headers()["location"], "/login");
    let pending = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM users WHERE id = {} AND totp_secret IS NULL \
             AND totp_pending_secret IS NULL",
            user.id
        ),
    )
    .await;
    assert_eq!(pending, 1, "nothing set up by the password");
    // One mail with the link, its token beside the body, only a hash in the table.
    let path = mailed_enrolment_path(&app, &user.email).await;
    let token = path.trim_start_matches("/enrol/");
    let clear = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%{token}%'"),
    )
    .await;
    assert_eq!(clear, 0, "no token in the body");
    let hashed = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM enrolment_links WHERE token_hash = '{}'",
            lien::auth::token_hash(token)
        ),
    )
    .await;
    assert_eq!(hashed, 1);
    // Logging in again a moment later sends no second mail.
    app.login(&user.email, TEST_PASSWORD).await;
    let mails = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE recipients = '{}'",
            user.email
        ),
    )
    .await;
    assert_eq!(mails, 1);
    // English too.
    let en = app
        .client
        .get(format!("{}{path}", app.address))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(en.text().await.unwrap().contains("authenticator app"));
}

async fn an_enrolment_link_works_once(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app.create_user(Role::Admin, "une@cd80.example.org").await;
    app.login(&user.email, TEST_PASSWORD).await;
    let path = mailed_enrolment_path(&app, &user.email).await;
    // Someone else's browser (no cookie) can use the link: the link is the proof.
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("<svg"), "a QR code is drawn");
    let secret = shown_secret(&page);
    let wrong = post_enrol(&app, &path, &page, "000000").await;
    assert_eq!(wrong.status(), 401);
    assert!(!has_session_cookie(&wrong));
    let good = post_enrol(&app, &path, &page, &code_at(&secret, now()).unwrap()).await;
    assert_eq!(good.status(), 303);
    assert!(has_session_cookie(&good));
    assert_eq!(app.get("/coordination/imports").await.status(), 200);
    app.logout().await;
    let again = app.get(&path).await;
    assert_eq!(again.status(), 410, "a link works once");
    assert!(again.text().await.unwrap().contains("plus valable"));
    let replay = post_enrol(&app, &path, &page, &code_at(&secret, now() + 30).unwrap()).await;
    assert_eq!(replay.status(), 410);
    assert!(!has_session_cookie(&replay));
}

async fn an_expired_enrolment_link_is_refused(backend: Backend) {
    let app = secure_app(backend).await;
    let user = app
        .create_user(Role::Coordinator, "tard@cd80.example.org")
        .await;
    app.login(&user.email, TEST_PASSWORD).await;
    let path = mailed_enrolment_path(&app, &user.email).await;
    let page = app.get(&path).await.text().await.unwrap();
    let secret = shown_secret(&page);
    execute(
        &app.store,
        "UPDATE enrolment_links SET expires_at = created_at",
    )
    .await
    .unwrap();
    assert_eq!(app.get(&path).await.status(), 410);
    let late = post_enrol(&app, &path, &page, &code_at(&secret, now()).unwrap()).await;
    assert_eq!(late.status(), 410);
    assert!(!has_session_cookie(&late));
    assert_eq!(
        scalar(
            &app.store,
            &format!(
                "SELECT COUNT(*) FROM users WHERE id = {} AND totp_secret IS NULL",
                user.id
            )
        )
        .await,
        1
    );
}

/// The path of the link a `lien users …` command printed.
fn printed_path(output: &str) -> String {
    let start = output.find("/enrol/").expect("a printed enrolment link");
    output[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect()
}

async fn the_printed_links_of_users_add_and_reset_totp_work(backend: Backend) {
    use crate::cli::{lien, run};
    let app = secure_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let added = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "users",
        "add",
        "--role",
        "admin",
        "--email",
        "cli@cd80.example.org",
    ]));
    assert!(added.status.success(), "{added:?}");
    let out = String::from_utf8_lossy(&added.stdout).to_string();
    assert!(out.contains("une seule fois"), "{out}");
    let path = printed_path(&out);
    let page = app.get(&path).await.text().await.unwrap();
    let secret = shown_secret(&page);
    let good = post_enrol(&app, &path, &page, &code_at(&secret, now()).unwrap()).await;
    assert_eq!(good.status(), 303);
    assert!(has_session_cookie(&good));
    assert_eq!(app.get("/coordination/imports").await.status(), 200);
    assert_eq!(app.get(&path).await.status(), 410, "once");

    let reset = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "--lang",
        "en",
        "users",
        "reset-totp",
        "--email",
        "cli@cd80.example.org",
    ]));
    assert!(reset.status.success(), "{reset:?}");
    let out = String::from_utf8_lossy(&reset.stdout).to_string();
    assert!(out.contains("works once"), "{out}");
    let path = printed_path(&out);
    let page = app.get(&path).await.text().await.unwrap();
    assert_ne!(shown_secret(&page), secret, "a new key");
}
