//! Calls the store refuses (issue 14): on a closed assignment, on one of a past week,
//! about a person who opted out or died. Each is a 409 with a sentence, and nothing is
//! written: no call, no escalation, no mail in the outbox.

use lien::domain::IsoWeek;

use crate::helpers::{caller_and_first_assignment, query_all, scalar, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_call_on_a_closed_assignment_is_refused_but_its_replay_answers,
    a_call_on_a_past_week_is_refused,
    a_call_to_someone_who_opted_out_is_refused,
    a_call_to_someone_who_died_is_refused_on_the_page_too,
    calls_sent_at_once_are_each_answered_as_if_alone,
);

/// `POST /api/calls`: reached, with a need (which would raise an escalation and queue
/// its mail).
async fn api_call(app: &TestApp, id: i64, key: &str, language: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/calls", app.address))
        .header("Idempotency-Key", key)
        .header("Accept-Language", language)
        .json(&serde_json::json!({
            "assignment_id": id,
            "outcome": "reached_need",
            "needs": [{ "category": "food", "description": "Plus de courses depuis lundi", "urgency": "today" }],
        }))
        .send()
        .await
        .unwrap()
}

/// Calls, escalations and outbox rows.
async fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        scalar(&app.store, "SELECT COUNT(*) FROM calls").await,
        scalar(&app.store, "SELECT COUNT(*) FROM escalations").await,
        scalar(&app.store, "SELECT COUNT(*) FROM outbox").await,
    )
}

/// A 409 with this code and a message containing `sentence`.
async fn assert_refused(response: reqwest::Response, code: &str, sentence: &str) {
    assert_eq!(response.status(), 409);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(sentence), "{message}");
    assert!(message.ends_with('.'), "a whole sentence: {message}");
}

async fn a_call_on_a_closed_assignment_is_refused_but_its_replay_answers(backend: Backend) {
    let (app, id) = caller_and_first_assignment(backend).await;
    let first = api_call(&app, id, "closing-key-1", "fr").await;
    assert_eq!(first.status(), 201, "the need closes the assignment");
    let first: serde_json::Value = first.json().await.unwrap();
    let before = written(&app).await;
    assert_eq!(before.0, 1);
    // The same key again (a retry after a timeout): the first answer, not a refusal.
    let replay = api_call(&app, id, "closing-key-1", "fr").await;
    assert_eq!(replay.status(), 200);
    let replay: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(replay["call_id"], first["call_id"]);
    assert_eq!(replay["new"], false);
    // Another call on the closed assignment: refused, nothing written.
    let again = api_call(&app, id, "closing-key-2", "fr").await;
    assert_refused(again, "assignment_closed", "Cet appel est déjà terminé").await;
    assert_eq!(written(&app).await, before);
    // In English when asked.
    let english = api_call(&app, id, "closing-key-3", "en-GB,en;q=0.9").await;
    assert_refused(english, "assignment_closed", "This call is already done").await;
    assert_eq!(written(&app).await, before);
}

async fn a_call_on_a_past_week_is_refused(backend: Backend) {
    let (app, id) = caller_and_first_assignment(backend).await;
    // Two weeks back: past last week's grace, whatever the time of the run.
    let past = IsoWeek::current().previous().previous();
    crate::helpers::execute(
        &app.store,
        &format!("UPDATE assignments SET week = '{past}' WHERE id = {id}"),
    )
    .await
    .unwrap();
    let before = written(&app).await;
    let response = api_call(&app, id, "past-week-key-1", "fr").await;
    assert_refused(
        response,
        "assignment_past_week",
        "Cet appel appartenait à une semaine terminée",
    )
    .await;
    assert_eq!(written(&app).await, before);
    assert_eq!(before.0, 0);
    let english = api_call(&app, id, "past-week-key-2", "en").await;
    assert_refused(english, "assignment_past_week", "a week that is over").await;
    assert_eq!(written(&app).await, before);
}

/// Gives the person of assignment `id` this status.
async fn set_person_status(app: &TestApp, id: i64, status: &str) {
    crate::helpers::execute(
        &app.store,
        &format!(
            "UPDATE beneficiaries SET status = '{status}' WHERE id = \
             (SELECT beneficiary_id FROM assignments WHERE id = {id})"
        ),
    )
    .await
    .unwrap();
}

async fn a_call_to_someone_who_opted_out_is_refused(backend: Backend) {
    let (app, id) = caller_and_first_assignment(backend).await;
    set_person_status(&app, id, "opted_out").await;
    let before = written(&app).await;
    let response = api_call(&app, id, "opted-out-key-1", "fr-FR").await;
    assert_refused(
        response,
        "person_opted_out",
        "Cette personne a demandé à ne plus être appelée",
    )
    .await;
    assert_eq!(written(&app).await, before);
    assert_eq!(before, (0, 0, before.2));
    let open = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM assignments WHERE id = {id} AND status = 'open' AND attempts = 0"
        ),
    )
    .await;
    assert_eq!(open, 1, "the assignment is untouched");
}

async fn a_call_to_someone_who_died_is_refused_on_the_page_too(backend: Backend) {
    let (app, id) = caller_and_first_assignment(backend).await;
    set_person_status(&app, id, "deceased").await;
    let before = written(&app).await;
    let response = api_call(&app, id, "deceased-key-1", "fr").await;
    assert_refused(response, "person_deceased", "Cette personne est décédée").await;
    assert_eq!(written(&app).await, before);
    // The form: the call page again with the sentence, not an error page.
    let page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::form_value(&page, "csrf");
    let key = crate::helpers::form_value(&page, "idempotency_key");
    let response = app
        .client
        .post(format!("{}/appels/{id}", app.address))
        .form(&[
            ("csrf", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("outcome", "reached_need"),
            ("need_food", "1"),
            ("need_food_description", "Plus de courses depuis lundi"),
            ("need_food_urgency", "today"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Cette personne est décédée : l’appel n’a pas été enregistré"),
        "{html}"
    );
    assert_eq!(written(&app).await, before);
}

/// Calls sent at once (on SQLite written in turn on the writer thread, on PostgreSQL in
/// parallel transactions): each is answered as if it were alone. A double click records one call; of two different forms for
/// one assignment, one is recorded and the other refused; someone else's assignment is a
/// 404; and the refusals change nothing of the others, which are all recorded with
/// their needs.
async fn calls_sent_at_once_are_each_answered_as_if_alone(backend: Backend) {
    let (app, first) = caller_and_first_assignment(backend).await;
    let week = IsoWeek::current().to_string();
    let mine: Vec<(i64,)> = query_all(
        &app.store,
        &format!(
            "SELECT id FROM assignments WHERE caller_id = 1 AND week = '{week}' \
             AND status = 'open' ORDER BY id LIMIT 12"
        ),
    )
    .await;
    assert_eq!(mine.len(), 12);
    assert_eq!(mine[0].0, first);
    let foreign = scalar(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id <> 1 AND week = '{week}'"),
    )
    .await;
    let before = written(&app).await;
    // 12 forms, one of them twice with its key (a double click), another twice with two
    // keys (two forms), and someone else's assignment.
    let mut sends: Vec<(i64, String)> = mine
        .iter()
        .map(|(id,)| (*id, format!("at-once-{id}")))
        .collect();
    sends.push((mine[0].0, format!("at-once-{}", mine[0].0)));
    sends.push((mine[1].0, "at-once-second-form".into()));
    sends.push((foreign, "at-once-foreign".into()));
    let answers = futures_util::future::join_all(
        sends.iter().map(|(id, key)| api_call(&app, *id, key, "fr")),
    )
    .await;
    let mut statuses = Vec::new();
    let mut bodies = Vec::new();
    for answer in answers {
        statuses.push(answer.status().as_u16());
        bodies.push(answer.json::<serde_json::Value>().await.unwrap());
    }
    let double = [statuses[0], statuses[12]];
    assert!(double == [201, 200] || double == [200, 201], "{statuses:?}");
    assert_eq!(
        bodies[0]["call_id"], bodies[12]["call_id"],
        "a double click: one call"
    );
    let forms = [statuses[1], statuses[13]];
    assert!(forms == [201, 409] || forms == [409, 201], "{statuses:?}");
    assert!(statuses[2..12].iter().all(|s| *s == 201), "{statuses:?}");
    assert_eq!(statuses[14], 404);
    let after = written(&app).await;
    assert_eq!(after.0 - before.0, 12, "one call per assignment");
    assert_eq!(after.1 - before.1, 12, "each with its need");
    let ids: Vec<String> = mine.iter().map(|(id,)| id.to_string()).collect();
    let closed = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM assignments WHERE status = 'closed' AND id IN ({})",
            ids.join(",")
        ),
    )
    .await;
    assert_eq!(closed, 12, "each need closes its assignment");
}
