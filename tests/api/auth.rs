//! Login, sessions, logout, CSRF and the limits on guessing.

use lien::domain::Role;

use crate::helpers::{form_value, spawn_app, Backend, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_user_logs_in_and_gets_a_safe_session_cookie,
    wrong_password_and_unknown_email_get_the_same_answer,
    login_attempts_are_limited,
    logout_ends_the_session_for_good,
    forms_without_the_csrf_token_are_refused,
    an_idle_session_expires,
    pages_that_need_a_login_send_to_the_login_page,
);

async fn a_user_logs_in_and_gets_a_safe_session_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let response = app.login("Coord@CD80.example.org", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/coordination/imports");
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("lien_session="))
        .expect("session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    let token = session
        .trim_start_matches("lien_session=")
        .split(';')
        .next()
        .unwrap();
    assert_eq!(token.len(), 64);
    // The page header now names the user.
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("Test coordinator"), "{home}");
    assert!(home.contains("Se déconnecter"));
    // A second login gives a new session id.
    let again = app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    let second: String = again
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("lien_session="))
        .unwrap();
    assert_ne!(second.split(';').next(), session.split(';').next());
}

async fn wrong_password_and_unknown_email_get_the_same_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let wrong = app
        .login("coord@cd80.example.org", "not the right password")
        .await;
    let unknown = app.login("nobody@cd80.example.org", TEST_PASSWORD).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let wrong = wrong.text().await.unwrap();
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("Adresse électronique ou mot de passe incorrect."));
    let strip = |html: &str| {
        html.replace(&form_value(html, "csrf"), "")
            .replace("coord@cd80.example.org", "")
            .replace("nobody@cd80.example.org", "")
    };
    assert_eq!(
        strip(&wrong),
        strip(&unknown),
        "the two answers must not differ"
    );
}

async fn login_attempts_are_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    for _ in 0..5 {
        assert_eq!(
            app.login("coord@cd80.example.org", "wrong password!")
                .await
                .status(),
            401
        );
    }
    let limited = app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    assert_eq!(
        limited.status(),
        429,
        "even the right password waits once the limit is hit"
    );
    assert!(limited.text().await.unwrap().contains("Trop de tentatives"));
}

async fn logout_ends_the_session_for_good(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let response = app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("lien_session="))
        .unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    app.logout().await;
    // Replaying the old cookie from another client no longer works: the server forgot it.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/coordination/imports", app.address))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 303);
    assert!(replay.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    // Login without the token the form carries.
    let response = app
        .client
        .post(format!("{}/login", app.address))
        .form(&[
            ("email", "coord@cd80.example.org"),
            ("password", TEST_PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    let response = app
        .client
        .post(format!("{}/logout", app.address))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("Accès réservé"));
    // Still logged in.
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Se déconnecter"));
}

async fn an_idle_session_expires(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Se déconnecter"));
    let long_ago = chrono::Utc::now() - chrono::Duration::minutes(31);
    match &app.store {
        lien::store::Store::Sqlite(pool, _) => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1")
                .bind(long_ago)
                .execute(pool)
                .await
                .unwrap();
        }
        lien::store::Store::Postgres(pool) => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1")
                .bind(long_ago)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let home = app.get("/").await.text().await.unwrap();
    assert!(!home.contains("Se déconnecter"), "an idle session is over");
    assert!(home.contains("Se connecter"));
}

async fn pages_that_need_a_login_send_to_the_login_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/coordination/imports").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?next=%2Fcoordination%2Fimports"
    );
    // And the login form brings them back there.
    let form = app
        .get("/login?next=/coordination/imports")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(form_value(&form, "next"), "/coordination/imports");
    let evil = app
        .get("/login?next=//evil.example")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(form_value(&evil, "next"), "");
}

on_both_backends!(
    a_login_link_works_once,
    logging_out_everywhere_ends_every_session
);

async fn request_link(app: &crate::helpers::TestApp, email: &str) -> reqwest::Response {
    let form = app.get("/login").await.text().await.unwrap();
    let csrf = form_value(&form, "csrf");
    app.client
        .post(format!("{}/login/link", app.address))
        .form(&[("email", email), ("csrf", &csrf)])
        .send()
        .await
        .unwrap()
}

async fn a_login_link_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Caller, "agent@cd80.example.org")
        .await;
    let unknown = request_link(&app, "nobody@cd80.example.org").await;
    let known = request_link(&app, "agent@cd80.example.org").await;
    assert_eq!(unknown.status(), 200);
    assert_eq!(known.status(), 200);
    let (unknown, known) = (unknown.text().await.unwrap(), known.text().await.unwrap());
    assert_eq!(
        unknown, known,
        "the answer does not tell who has an account"
    );
    let mails: Vec<(String, String, String)> = crate::helpers::query_all(
        &app.store,
        "SELECT recipients, subject, REPLACE(body_text, '[[lien-jeton]]', secret_token) FROM outbox WHERE kind = 'login_link'",
    )
    .await;
    assert_eq!(mails.len(), 1, "one mail, for the existing account only");
    assert_eq!(mails[0].0, "agent@cd80.example.org");
    let link = mails[0]
        .2
        .split_whitespace()
        .find(|w| w.contains("/login/link/"))
        .expect("the mail carries the link")
        .to_string();
    let path = &link[link.find("/login/link/").unwrap()..];
    // A fresh browser opens it: logged in, on the caller's queue.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let used = browser
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), 303);
    assert_eq!(used.headers()["location"], "/appels");
    let home = browser
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Se déconnecter"));
    // Twice: refused.
    let again = reqwest::Client::new()
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("n’est plus valable"));
    assert_eq!(
        reqwest::Client::new()
            .get(format!("{}/login/link/forged", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        410
    );
}

async fn logging_out_everywhere_ends_every_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    // A second device logs in too.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = other
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = form_value(&form, "csrf");
    other
        .post(format!("{}/login", app.address))
        .form(&[
            ("email", "coord@cd80.example.org"),
            ("password", TEST_PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        other
            .get(format!("{}/coordination/imports", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.login("coord@cd80.example.org", TEST_PASSWORD).await;
    let home = app.get("/").await.text().await.unwrap();
    let csrf = form_value(&home, "csrf");
    let out = app
        .client
        .post(format!("{}/logout/all", app.address))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(
        other
            .get(format!("{}/coordination/imports", app.address))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other device is logged out too"
    );
}
