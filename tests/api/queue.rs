//! The caller's daily queue: their people only, in call order, with their phones.

use lien::domain::{CampaignName, EmailAddress, IsoWeek, Role};
use lien::store::{NewUser, PlanMode};

use crate::helpers::{query_all, scalar, spawn_app, Backend, TestApp, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_caller_sees_only_their_people_with_tel_links,
    others_do_not_see_queues,
    a_caller_without_assignments_is_told_why,
);

/// The demo data, this week planned, and an account for the caller with id `caller_id`.
async fn planned_app(backend: Backend, caller_id: i64) -> (TestApp, String) {
    let app = spawn_app(backend).await;
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    app.store
        .load_dataset(
            &campaign,
            "fixtures/demo",
            &lien::fixtures::demo_dataset().unwrap(),
        )
        .await
        .unwrap();
    app.store
        .plan_week(&campaign, IsoWeek::current(), PlanMode::Plan, false)
        .await
        .unwrap();
    let email: String = query_all::<(String,)>(
        &app.store,
        &format!("SELECT email FROM callers WHERE id = {caller_id}"),
    )
    .await
    .remove(0)
    .0;
    app.store
        .create_user(&NewUser {
            email: EmailAddress::parse(&email).unwrap(),
            display_name: "Appelant".into(),
            role: Role::Caller,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id: Some(caller_id),
            territory_id: None,
        })
        .await
        .unwrap();
    (app, email)
}

async fn a_caller_sees_only_their_people_with_tel_links(backend: Backend) {
    let (app, email) = planned_app(backend, 1).await;
    let login = app.login(&email, TEST_PASSWORD).await;
    assert_eq!(
        login.headers()["location"],
        "/appels",
        "callers land on their queue"
    );
    let page = app.get("/appels").await;
    assert_eq!(page.status(), 200);
    let html = page
        .text()
        .await
        .unwrap()
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    assert!(html.contains("Mes appels du jour"), "{html}");
    let week = IsoWeek::current().to_string();
    let mine: Vec<(String, String)> = query_all(
        &app.store,
        &format!(
            "SELECT b.first_name, b.last_name FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id = 1 AND a.week = '{week}'"
        ),
    )
    .await;
    assert!(!mine.is_empty());
    for (first, last) in &mine {
        assert!(
            html.contains(&format!("{first} {last}")),
            "{first} {last} is missing"
        );
    }
    assert_eq!(html.matches("<li class=\"card\">").count(), mine.len());
    assert!(html.contains("href=\"tel:+"), "phones are tel: links");
    assert!(html.contains(&format!(
        "<strong>0</strong> appels terminés sur <strong>{}</strong>",
        mine.len()
    )));
    // Someone else's person is not there.
    let others: Vec<(String, String)> = query_all(
        &app.store,
        &format!(
            "SELECT b.first_name, b.last_name FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id <> 1 AND a.week = '{week}' LIMIT 20"
        ),
    )
    .await;
    for (first, last) in &others {
        let name = format!("{first} {last}");
        if !mine.iter().any(|(f, l)| format!("{f} {l}") == name) {
            assert!(
                !html.contains(&format!("<h2>{name}</h2>")),
                "{name} belongs to another caller"
            );
        }
    }
    // Every person shown is in the audit trail.
    let reads = scalar(
        &app.store,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'contact_details_read' AND subject_type = 'beneficiary'",
    )
    .await;
    assert_eq!(reads as usize, mine.len());
}

async fn others_do_not_see_queues(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.get("/appels").await.status(),
        303,
        "anonymous: to the login page"
    );
    for role in [Role::Territory, Role::Coordinator, Role::Admin] {
        let app = spawn_app(backend).await;
        app.login_as(role).await;
        assert_eq!(app.get("/appels").await.status(), 403, "{role:?}");
    }
}

async fn a_caller_without_assignments_is_told_why(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Caller).await;
    let html = app.get("/appels").await.text().await.unwrap();
    assert!(
        html.contains("Vous n’avez personne à appeler cette semaine"),
        "{html}"
    );
}
