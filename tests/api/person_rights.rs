//! The rights of one person from their page: the access letter and data (coordinators
//! and admins, each reading audited under the account) and erasure (admins only, with a
//! reason and a typed confirmation; refusals change nothing).

use lien::domain::Role;

use crate::helpers::{form_value, planned_demo_app, query_all, scalar, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_coordinator_exports_a_person_from_their_page,
    only_an_admin_erases_and_only_when_confirmed,
);

/// A person with a file reference: (id, reference, last name).
async fn someone(app: &TestApp) -> (i64, String, String) {
    query_all(
        &app.store,
        "SELECT id, external_ref, last_name FROM beneficiaries \
         WHERE external_ref IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await
    .remove(0)
}

async fn audited(app: &TestApp, action: &str, id: i64, user_id: i64) -> i64 {
    scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' \
             AND subject_type = 'beneficiary' AND subject_id = {id} AND actor_user_id = {user_id}"
        ),
    )
    .await
}

async fn a_coordinator_exports_a_person_from_their_page(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let user = app.login_as(Role::Coordinator).await;
    let (id, reference, last_name) = someone(&app).await;
    let page = app.get(&format!("/coordination/personnes/{id}")).await;
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("/coordination/personnes/{id}/export?format=fr")));
    assert!(
        !page.contains("/effacer"),
        "only admins are offered erasure"
    );

    let fr = app
        .get(&format!("/coordination/personnes/{id}/export?format=fr"))
        .await;
    assert_eq!(fr.status(), 200);
    assert_eq!(fr.headers()["cache-control"], "no-store");
    let fr = fr.text().await.unwrap();
    assert!(fr.contains(&last_name) && fr.contains(&reference));
    assert!(fr.contains("Données"), "the French letter");
    let en = app
        .get(&format!("/coordination/personnes/{id}/export?format=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(en.contains("Data held about you"), "the English letter");
    // Codes are named in the letter's language; the JSON keeps them.
    assert!(fr.contains("<td>Actif"), "{fr}");
    assert!(en.contains("<td>Active"), "{en}");
    assert!(!fr.contains("<td>active") && !en.contains("<td>active"));
    let json = app
        .get(&format!("/coordination/personnes/{id}/export?format=json"))
        .await;
    assert_eq!(json.status(), 200);
    assert!(json.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("personne-{id}.json")));
    let json: serde_json::Value = json.json().await.unwrap();
    assert!(json.to_string().contains(&reference));
    assert_eq!(audited(&app, "person_exported", id, user.id).await, 3);

    let odd = app
        .get(&format!("/coordination/personnes/{id}/export?format=pdf"))
        .await;
    assert_eq!(odd.status(), 400);
    let nobody = app.get("/coordination/personnes/999999/export").await;
    assert_eq!(nobody.status(), 404);
    assert_eq!(audited(&app, "person_exported", id, user.id).await, 3);
}

/// Posts the erasure form of person `id`, with the session's CSRF token (read on the
/// search page, which an erased person's page no longer is).
async fn erase(app: &TestApp, id: i64, reason: &str, confirm: &str) -> reqwest::Response {
    let page = app
        .get("/coordination/personnes")
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&page, "csrf");
    app.client
        .post(format!(
            "{}/coordination/personnes/{id}/effacer",
            app.address
        ))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", reason),
            ("confirm", confirm),
        ])
        .send()
        .await
        .unwrap()
}

async fn last_name(app: &TestApp, id: i64) -> String {
    let (name,): (String,) = query_all(
        &app.store,
        &format!("SELECT last_name FROM beneficiaries WHERE id = {id}"),
    )
    .await
    .remove(0);
    name
}

async fn only_an_admin_erases_and_only_when_confirmed(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let (id, _, name) = someone(&app).await;
    app.login_as(Role::Coordinator).await;
    let response = erase(&app, id, "demande écrite du 3 mars", "EFFACER").await;
    assert_eq!(response.status(), 403, "coordinators do not erase");
    assert_eq!(last_name(&app, id).await, name);
    app.logout().await;

    let admin = app.login_as(Role::Admin).await;
    let page = app
        .get(&format!("/coordination/personnes/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/coordination/personnes/{id}/effacer")));
    let unconfirmed = erase(&app, id, "demande écrite du 3 mars", "oui").await;
    assert_eq!(unconfirmed.status(), 422);
    assert!(unconfirmed.text().await.unwrap().contains("tapez EFFACER"));
    let no_reason = erase(&app, id, "  ", "EFFACER").await;
    assert_eq!(no_reason.status(), 422);
    assert!(no_reason
        .text()
        .await
        .unwrap()
        .contains("indiquez une raison"));
    assert_eq!(last_name(&app, id).await, name, "refusals change nothing");
    assert_eq!(audited(&app, "person_erased", id, admin.id).await, 0);

    let done = erase(&app, id, "demande écrite du 3 mars", "effacer").await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()["location"],
        "/coordination/personnes?erased=1"
    );
    assert_eq!(last_name(&app, id).await, "[effacé]");
    assert_eq!(audited(&app, "person_erased", id, admin.id).await, 1);
    let after = app
        .get("/coordination/personnes?erased=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains("La personne a été effacée"), "{after}");
    assert!(!after.contains(&name));
    let gone = app.get(&format!("/coordination/personnes/{id}")).await;
    assert_eq!(gone.status(), 404, "an erased person has no page");
    let again = erase(&app, id, "doublon", "EFFACER").await;
    assert_eq!(again.status(), 404, "nothing left to erase");
}
