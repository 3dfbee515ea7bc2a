//! The API's contract: what the server answers is what /api/openapi.json says, for the
//! cases a schema-driven fuzzer (scripts/api-fuzz.sh) found wrong — a method a path does
//! not take is a 405 with `Allow` (not a 404), a body that cannot be read is a JSON
//! 400/415 the document lists, and schema-valid bodies (a NUL character in a text) are
//! accepted on both backends instead of a 500.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::helpers::{planned_demo_app, spawn_app, Backend, TestApp, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_known_path_asked_with_another_method_is_405_with_allow,
    every_documented_path_allows_exactly_its_documented_methods,
    an_unreadable_login_body_is_a_documented_json_error,
    schema_valid_calls_are_accepted,
);

/// The OpenAPI document as the server serves it.
async fn document(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Whether the document lists `status` for `method` on `path`.
fn documented(doc: &serde_json::Value, path: &str, method: &str, status: u16) -> bool {
    doc["paths"][path][method]["responses"]
        .get(status.to_string())
        .is_some()
}

async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

fn allow(response: &reqwest::Response) -> BTreeSet<String> {
    response
        .headers()
        .get(reqwest::header::ALLOW)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect()
}

fn methods(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|m| m.to_string()).collect()
}

async fn a_known_path_asked_with_another_method_is_405_with_allow(backend: Backend) {
    let app = spawn_app(backend).await;
    let trace = Method::from_bytes(b"TRACE").unwrap();
    let cases: [(Method, &str, &[&str]); 6] = [
        (trace, "/api/session", &["POST"]),
        (Method::GET, "/api/session", &["POST"]),
        (Method::DELETE, "/login", &["GET", "POST"]),
        (Method::PUT, "/appels/12", &["GET", "POST"]),
        // Routes inside a scope too.
        (Method::DELETE, "/coordination/imports/3", &["GET"]),
        (Method::PATCH, "/admin/comptes", &["GET", "POST"]),
    ];
    for (method, path, allowed) in cases {
        let response = send(&app, method.clone(), path).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(allow(&response), methods(allowed), "{method} {path}");
        if path.starts_with("/api/") {
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"], "method_not_allowed");
        } else {
            let page = response.text().await.unwrap();
            assert!(page.contains("ne s’utilise pas ainsi"), "{page}");
        }
    }
    // A path that no route knows stays a 404, whatever the method.
    for (method, path) in [
        (Method::GET, "/nulle-part"),
        (Method::DELETE, "/nulle-part/3"),
        (Method::GET, "/admin/comptes/1/role/trop"),
        (Method::POST, "/api/inconnu"),
    ] {
        let response = send(&app, method.clone(), path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert!(allow(&response).is_empty(), "{method} {path}");
    }
    // And the routes still answer their own methods.
    assert_eq!(send(&app, Method::GET, "/login").await.status(), 200);
    assert_eq!(send(&app, Method::GET, "/health").await.status(), 200);
    // HEAD is GET without the body (a load balancer's health check).
    for path in ["/health", "/login", "/static/lien.css"] {
        let get = send(&app, Method::GET, path).await;
        let head = send(&app, Method::HEAD, path).await;
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has no body"
        );
    }
    let head = send(&app, Method::HEAD, "/api/session").await;
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(allow(&head), methods(&["POST"]));
}

/// For every path of the document, a method it does not list is refused with the
/// `Allow` of exactly the methods it lists (the document names every method).
async fn every_documented_path_allows_exactly_its_documented_methods(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 6);
    for (pattern, operations) in paths {
        let path = pattern
            .replace("{id}", "1")
            .replace("{campaign}", "default")
            .replace("{week}", "2026-W48");
        let listed: BTreeSet<String> = operations
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        let response = send(&app, Method::from_bytes(b"TRACE").unwrap(), &path).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "TRACE {path}"
        );
        assert_eq!(allow(&response), listed, "{pattern}");
    }
}

async fn an_unreadable_login_body_is_a_documented_json_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = document(&app).await;
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(format!("{}/api/session", app.address))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };
    let cases = [
        ("{not json", "application/json", 400, "bad_request"),
        (
            "{\"email\": 3, \"password\": \"x\"}",
            "application/json",
            400,
            "bad_request",
        ),
        (
            "{\"email\": \"a@b.fr\"}",
            "application/json",
            400,
            "bad_request",
        ),
        ("[]", "application/json", 400, "bad_request"),
        ("email=a@b.fr", "text/plain", 415, "unsupported_media_type"),
    ];
    for (body, content_type, status, code) in cases {
        let response = post(body, content_type).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert!(documented(&doc, "/api/session", "post", status), "{status}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], code, "{body}");
    }
    // A NUL character in the address is a failed login, not a database error.
    let response = app
        .client
        .post(format!("{}/api/session", app.address))
        .json(&serde_json::json!({"email": "a\u{0}@b.fr", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn schema_valid_calls_are_accepted(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let doc = document(&app).await;
    let login = app
        .client
        .post(format!("{}/api/session", app.address))
        .json(&serde_json::json!({ "email": email, "password": TEST_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let queue: serde_json::Value = app.get("/api/me/queue").await.json().await.unwrap();
    let ids: Vec<i64> = queue["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["assignment_id"].as_i64().unwrap())
        .collect();
    let call = |key: &str, body: serde_json::Value| {
        app.client
            .post(format!("{}/api/calls", app.address))
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    // Texts with NUL characters (valid JSON strings): recorded, without them.
    let response = call(
        "key with spaces 1",
        serde_json::json!({
            "assignment_id": ids[0],
            "outcome": "reached_need",
            "notes": "a\u{0}b",
            "needs": [{"category": "food", "description": "\u{0}courses", "urgency": "today"}],
        }),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let notes = crate::helpers::text(
        &app.store,
        &format!("SELECT notes FROM calls WHERE assignment_id = {}", ids[0]),
    )
    .await;
    assert_eq!(notes, "ab");
    // The largest id the schema allows: no such assignment, a documented 404.
    let response = call(
        "largest-id-key",
        serde_json::json!({"assignment_id": i64::MAX, "outcome": "busy"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // An id beyond the integers a path takes names nothing: a JSON 404.
    let response = app.get("/api/assignments/9223372036854775808").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "not_found");
    // Unknown fields are ignored (the schema does not close the object).
    let response = call(
        "extra-field-key",
        serde_json::json!({"assignment_id": ids[1], "outcome": "busy", "extra": [1, 2]}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // A body that is not a Call: a JSON 400, documented.
    let response = call(
        "not-a-call-key",
        serde_json::json!({"assignment_id": "one", "outcome": "busy"}),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(documented(&doc, "/api/calls", "post", 400));
    let json: serde_json::Value = response.json().await.unwrap();
    assert_eq!(json["error"], "bad_request");
    // Without a session: a documented 401.
    let stranger = reqwest::Client::new()
        .post(format!("{}/api/calls", app.address))
        .header("Idempotency-Key", "stranger-key")
        .json(&serde_json::json!({"assignment_id": ids[2], "outcome": "busy"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    assert!(documented(&doc, "/api/calls", "post", 401));
}
