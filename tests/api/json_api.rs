//! The JSON API: same rules as the pages.

use lien::domain::{IsoWeek, Role};

use crate::helpers::{
    planned_demo_app, query_all, scalar, spawn_app, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    the_api_serves_the_queue_and_records_calls_once,
    the_api_refuses_strangers,
    the_queue_gives_the_usable_phones_in_their_order
);

async fn api_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/session", app.address))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

async fn the_api_serves_the_queue_and_records_calls_once(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    assert_eq!(
        api_login(&app, &email, "wrong password!!").await.status(),
        401
    );
    let login = api_login(&app, &email, TEST_PASSWORD).await;
    assert_eq!(login.status(), 200);
    let queue: serde_json::Value = app.get("/api/me/queue").await.json().await.unwrap();
    let entries = queue["queue"].as_array().unwrap();
    let week = IsoWeek::current().to_string();
    let mine = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await;
    assert_eq!(entries.len() as i64, mine);
    assert_eq!(entries[0]["group"], "new");
    assert!(entries[0]["phones"][0].as_str().unwrap().starts_with('+'));
    let id = entries[0]["assignment_id"].as_i64().unwrap();
    let one: serde_json::Value = app
        .get(&format!("/api/assignments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["assignment_id"], id);
    assert_eq!(one["beneficiary"]["first_name"], entries[0]["first_name"]);

    let call = |key: &'static str| {
        app.client
            .post(format!("{}/api/calls", app.address))
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({
                "assignment_id": id,
                "outcome": "reached_need",
                "needs": [{ "category": "isolation", "description": "Se sent seule depuis le décès de son mari", "urgency": "this_week" }],
            }))
            .send()
    };
    let first = call("api-key-0001").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: serde_json::Value = first.json().await.unwrap();
    let again = call("api-key-0001").await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "a retry with the same key answers with the first call"
    );
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["call_id"], first["call_id"]);
    assert_eq!(again["new"], false);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM calls").await, 1);
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM escalations").await,
        1
    );
    // No key: refused.
    let no_key = app
        .client
        .post(format!("{}/api/calls", app.address))
        .json(&serde_json::json!({ "assignment_id": id, "outcome": "busy" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 400);
    // The OpenAPI document names every route.
    let doc: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    for path in [
        "/api/session",
        "/api/me/queue",
        "/api/assignments/{id}",
        "/api/calls",
        "/health",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}

async fn the_api_refuses_strangers(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let anonymous = app.get("/api/me/queue").await;
    assert_eq!(anonymous.status(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "login_required");
    api_login(&app, &email, TEST_PASSWORD).await;
    let week = IsoWeek::current().to_string();
    let (other,): (i64,) = query_all(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id <> 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    let response = app.get(&format!("/api/assignments/{other}")).await;
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let post = app
        .client
        .post(format!("{}/api/calls", app.address))
        .header("Idempotency-Key", "api-key-0002")
        .json(&serde_json::json!({ "assignment_id": other, "outcome": "reached_ok" }))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM calls").await, 0);
    // A coordinator has no queue.
    let coordinator = spawn_app(backend).await;
    coordinator.login_as(Role::Coordinator).await;
    assert_eq!(coordinator.get("/api/me/queue").await.status(), 403);
}

/// A person's phones in the queue: in their order, without a number reported wrong,
/// and an empty list for a person whose every number was.
async fn the_queue_gives_the_usable_phones_in_their_order(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    assert_eq!(api_login(&app, &email, TEST_PASSWORD).await.status(), 200);
    let week = IsoWeek::current().to_string();
    let people: Vec<(i64,)> = query_all(
        &app.store,
        &format!(
            "SELECT beneficiary_id FROM assignments WHERE caller_id = 1 AND week = '{week}' \
             ORDER BY beneficiary_id LIMIT 2"
        ),
    )
    .await;
    let (several, none) = (people[0].0, people[1].0);
    for sql in [
        format!("DELETE FROM beneficiary_phones WHERE beneficiary_id IN ({several}, {none})"),
        format!(
            "INSERT INTO beneficiary_phones (beneficiary_id, position, e164, wrong_reported_at) \
             VALUES ({several}, 2, '+33322000002', NULL), ({several}, 0, '+33322000000', NULL), \
             ({several}, 1, '+33322000001', '2026-01-05T10:00:00Z'), \
             ({several}, 3, '+33322000003', NULL), ({none}, 0, '+33322000009', '2026-01-05T10:00:00Z')"
        ),
    ] {
        crate::helpers::execute(&app.store, &sql).await.unwrap();
    }
    let queue: serde_json::Value = app.get("/api/me/queue").await.json().await.unwrap();
    let rows = app.store.caller_queue(1, IsoWeek::current()).await.unwrap();
    let by_person = |id: i64| {
        rows.iter()
            .find(|r| r.beneficiary_id == id)
            .map(|r| r.phones.clone())
            .unwrap()
    };
    assert_eq!(
        by_person(several),
        ["+33322000000", "+33322000002", "+33322000003"]
    );
    assert!(by_person(none).is_empty());
    let api_phones: Vec<Vec<String>> = queue["queue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_value(e["phones"].clone()).unwrap())
        .collect();
    assert!(api_phones.contains(&vec![
        "+33322000000".to_string(),
        "+33322000002".to_string(),
        "+33322000003".to_string()
    ]));
    assert!(api_phones.iter().any(Vec::is_empty));
}
