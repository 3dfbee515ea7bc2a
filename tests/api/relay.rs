//! Relay accounts (issue 17): an associations' reserve or a school manages its own
//! volunteers and nobody else's, and sees no beneficiary and no coordination page; a
//! volunteer account sees its own placements. On both databases.

use lien::domain::Role;

use crate::helpers::{form_value, query_all, scalar, spawn_app, test_volunteer, Backend, TestApp};
use crate::on_both_backends;
use crate::organisation_links::{need, organisation};

on_both_backends!(
    a_relay_manages_only_its_own_volunteers,
    a_relay_sees_no_beneficiary_and_no_coordination_page,
    a_volunteer_sees_their_own_placements,
);

async fn status_of(app: &TestApp, path: &str) -> u16 {
    app.get(path).await.status().as_u16()
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A volunteer form, as a relay fills it.
fn volunteer_form<'a>(
    csrf: &'a str,
    email: &'a str,
    availability: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("email", email),
        ("last_name", "Durand"),
        ("first_name", "Léa"),
        ("phone", "06 12 34 56 78"),
        ("qualifications", "éducateur spécialisé"),
        ("availability", availability),
        ("postcode", "93000"),
        ("commune", "Bobigny"),
        ("active", "on"),
    ]
}

async fn a_relay_manages_only_its_own_volunteers(backend: Backend) {
    let app = spawn_app(backend).await;
    let relay = app.login_as(Role::Relay).await;
    let own_org = relay
        .organisation_id
        .expect("a relay account has its organisation");
    let (other_org, _) = app
        .store
        .relay_organisation("École de travail social")
        .await
        .unwrap();
    let own = test_volunteer(&app.store, "mine@reserve.example.org", Some(own_org)).await;
    let theirs = test_volunteer(&app.store, "theirs@ecole.example.org", Some(other_org)).await;
    let nobody = test_volunteer(&app.store, "agent@departement.example.org", None).await;

    let list = app.get("/relais/volontaires").await.text().await.unwrap();
    assert!(
        list.contains(&format!("/relais/volontaires/{own}")),
        "{list}"
    );
    assert!(
        !list.contains(&format!("/relais/volontaires/{theirs}")),
        "not another relay's"
    );
    assert!(
        !list.contains(&format!("/relais/volontaires/{nobody}")),
        "not the département's"
    );
    assert_eq!(
        status_of(&app, &format!("/relais/volontaires/{own}")).await,
        200
    );
    assert_eq!(
        status_of(&app, &format!("/relais/volontaires/{theirs}")).await,
        404
    );
    assert_eq!(
        status_of(&app, &format!("/relais/volontaires/{nobody}")).await,
        404
    );
    assert_eq!(
        scalar(&app.store, &format!("SELECT COUNT(*) FROM audit_events WHERE action = 'volunteer_read' AND subject_id = {own}")).await,
        1,
        "reading a volunteer's contact details is audited"
    );

    let csrf = form_value(&list, "csrf");
    // Another relay's volunteer cannot be changed either.
    let form = volunteer_form(&csrf, "theirs@ecole.example.org", "lundi 9h-12h");
    let (status, _) = post_form(&app, &format!("/relais/volontaires/{theirs}"), &form).await;
    assert_eq!(status, 404);
    let name: Vec<(String,)> = query_all(
        &app.store,
        &format!("SELECT last_name FROM volunteers WHERE id = {theirs}"),
    )
    .await;
    assert_eq!(name[0].0, "Volontaire", "unchanged");

    // Adding one: it is the relay's, with canonical slots.
    let form = volunteer_form(
        &csrf,
        "lea.durand@reserve.example.org",
        "lundi 9h-12h, jeudi 14h30-18h",
    );
    let (status, page) = post_form(&app, "/relais/volontaires", &form).await;
    assert_eq!(status, 303, "{page}");
    let (relay_of, availability, phone): (Option<i64>, String, Option<String>) = query_all(
        &app.store,
        "SELECT relay_organisation_id, availability, phone FROM volunteers WHERE email = 'lea.durand@reserve.example.org'",
    )
    .await
    .remove(0);
    assert_eq!(relay_of, Some(own_org));
    assert!(availability.contains("jeu 14:30-18:00"), "{availability}");
    assert_eq!(phone.as_deref(), Some("+33612345678"));

    // Editing its own: slots that do not parse are refused, the piece named.
    let form = volunteer_form(&csrf, "mine@reserve.example.org", "toute la journée");
    let (status, page) = post_form(&app, &format!("/relais/volontaires/{own}"), &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("toute la journée"), "{page}");
    let form = volunteer_form(&csrf, "mine@reserve.example.org", "mardi 14h-17h");
    let (status, _) = post_form(&app, &format!("/relais/volontaires/{own}"), &form).await;
    assert_eq!(status, 303);
    let detail: Vec<(String,)> = query_all(
        &app.store,
        &format!("SELECT detail FROM audit_events WHERE action = 'volunteer_updated' AND subject_id = {own}"),
    )
    .await;
    assert!(detail[0].0.contains("availability"), "{:?}", detail);
    // The same email as someone already in the pool: refused with a sentence.
    let form = volunteer_form(&csrf, "theirs@ecole.example.org", "lundi 9h-12h");
    let (status, page) = post_form(&app, "/relais/volontaires", &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("déjà dans le vivier"), "{page}");
}

async fn a_relay_sees_no_beneficiary_and_no_coordination_page(backend: Backend) {
    let (app, _) = crate::helpers::planned_demo_app(backend).await;
    app.login_as(Role::Relay).await;
    for path in [
        "/coordination/week",
        "/coordination/personnes",
        "/coordination/callers",
        "/coordination/imports",
        "/coordination/planning",
        "/signalements",
        "/appels",
        "/moi",
        "/benevole",
        "/admin/comptes",
    ] {
        assert_eq!(status_of(&app, path).await, 403, "{path}");
    }
    let person = scalar(&app.store, "SELECT MIN(id) FROM beneficiaries").await;
    assert_eq!(
        status_of(&app, &format!("/coordination/personnes/{person}")).await,
        403
    );
    assert_eq!(status_of(&app, "/api/me/queue").await, 403);
    let list = app.get("/relais/volontaires").await.text().await.unwrap();
    assert!(
        !list.contains("href=\"/appels\"") && !list.contains("href=\"/coordination"),
        "the relay's navigation leads nowhere else"
    );
}

async fn a_volunteer_sees_their_own_placements(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.login_as(Role::Volunteer).await;
    let me = user
        .volunteer_id
        .expect("a volunteer account has its volunteer");
    let other = test_volunteer(&app.store, "other@example.org", None).await;
    let org = organisation(&app.store, "Foyer Les Tilleuls", None).await;
    let mine = need(&app.store, org, "ASE-10", true).await;
    let theirs = need(&app.store, org, "ASE-11", true).await;
    for (need_id, volunteer) in [(mine, me), (theirs, other)] {
        lien::store::query(
            "INSERT INTO mission_placements (need_id, volunteer_id, week_start, minutes, state, \
             reason, need_version) VALUES ($1, $2, $3, 180, 'confirmed', 'test', 1)",
        )
        .bind(need_id)
        .bind(volunteer)
        .bind(chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap())
        .execute(&app.store)
        .await
        .unwrap();
    }
    let page = app.get("/benevole").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Foyer ASE-10") && page.contains("30/11/2026"),
        "{page}"
    );
    assert!(
        page.contains("confirmée") && page.contains("3 heures"),
        "{page}"
    );
    assert!(!page.contains("Foyer ASE-11"), "only their own placements");
    assert_eq!(status_of(&app, "/relais/volontaires").await, 403);
    assert_eq!(status_of(&app, "/coordination/week").await, 403);
}
