//! Health, home page, static assets, error pages, language choice.

use crate::helpers::{spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(
    health_answers_200_with_the_database,
    health_answers_503_when_the_database_is_down,
    home_page_is_french_by_default,
    english_on_request_and_remembered,
    unknown_page_is_a_french_404,
    static_assets_are_served,
);

async fn health_answers_200_with_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["backend"], expected);
}

async fn health_answers_503_when_the_database_is_down(backend: Backend) {
    let app = spawn_app(backend).await;
    app.store.close().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "unreachable");
}

async fn home_page_is_french_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response names its request"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(html.contains("Appels de solidarité"));
    assert!(html.contains("Campagnes"));
    // The default campaign is there from the start, empty.
    assert!(
        html.contains("<small class=\"code\">default</small>"),
        "{html}"
    );
    assert!(html.contains("Aucune liste importée"));
    assert!(!html.contains("???"), "a translation key is missing");
}

async fn english_on_request_and_remembered(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/?lang=en").await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("lien_lang=en"), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Solidarity calls"));
    // The cookie keeps English on the next page.
    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("Solidarity calls"));
    // A browser asking for English gets it too.
    let html = reqwest::Client::new()
        .get(format!("{}/", app.address))
        .header("Accept-Language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<html lang=\"en\">"));
}

async fn unknown_page_is_a_french_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/nulle-part").await;
    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    assert!(html.contains("Page introuvable"), "{html}");
    assert!(
        html.contains(&format!("Réf. {request_id}")),
        "the page shows the request id"
    );
    assert!(html.contains("href=\"/\""));

    let response = app.get("/api/nothing").await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

async fn static_assets_are_served(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/static/lien.css").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert!(response.text().await.unwrap().contains("--accent"));
    assert_eq!(app.get("/static/favicon.svg").await.status(), 200);
    assert_eq!(app.get("/static/secret.txt").await.status(), 404);
    assert_eq!(app.get("/static/..%2FCargo.toml").await.status(), 404);
}
