//! Campaign settings: calling hours and retry rules, edited by coordinators and followed
//! by the callers' queues and the recording of calls.

use lien::domain::{CampaignName, IsoWeek, Role};

use crate::helpers::{
    form_value, planned_demo_app, query_all, scalar, spawn_app, Backend, TestApp, TEST_PASSWORD,
};

use crate::on_both_backends;

on_both_backends!(
    a_coordinator_changes_hours_and_retries,
    bad_settings_are_explained_and_nothing_changes,
    the_retry_rules_of_the_campaign_apply_to_calls,
    the_queue_follows_the_campaign_hours,
);

async fn post_settings(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = app
        .get("/coordination/campaigns/default")
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&page, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(format!("{}/coordination/campaigns/default", app.address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn default_campaign(app: &TestApp) -> lien::store::Campaign {
    app.store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap()
}

async fn a_coordinator_changes_hours_and_retries(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let list = app.get("/coordination/campaigns").await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("09:00-12:00,14:00-18:30"), "defaults shown");
    assert!(html.contains("/coordination/campaigns/default"));

    let page = app
        .get("/coordination/campaigns/default")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("type=\"checkbox\" name=\"day\"").count(), 7);
    assert_eq!(page.matches(" checked>").count(), 6, "Monday to Saturday");

    let saved = post_settings(
        &app,
        &[
            ("title", "Canicule 2027"),
            ("coordinator_email", "Coordination@CD80.example.org"),
            ("day", "0"),
            ("day", "2"),
            ("day", "4"),
            ("windows", "10h-12h; 14:30-17:00"),
            ("max_attempts", "5"),
            ("retry_gap", "45"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(
        saved.headers()["location"],
        "/coordination/campaigns/default?done=saved"
    );
    let campaign = default_campaign(&app).await;
    assert_eq!(campaign.title, "Canicule 2027");
    assert_eq!(
        campaign.coordinator_email.as_deref(),
        Some("coordination@cd80.example.org")
    );
    assert_eq!(campaign.max_attempts_per_week, 5);
    assert_eq!(campaign.retry_gap_minutes, 45);
    let hours = campaign.calling_hours();
    assert_eq!(hours.windows_text(), "10:00-12:00,14:30-17:00");
    assert_eq!(hours.weekdays().to_string(), "lun, mer, ven");

    let again = app
        .get("/coordination/campaigns/default?done=saved")
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("Réglages enregistrés"));
    assert!(again.contains("value=\"10:00-12:00,14:30-17:00\""));
    assert_eq!(again.matches(" checked>").count(), 3);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'campaign_settings_changed'"
        )
        .await,
        1
    );
}

async fn bad_settings_are_explained_and_nothing_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let before = default_campaign(&app).await;
    let refused = post_settings(
        &app,
        &[
            ("title", "Hebdo"),
            ("coordinator_email", ""),
            ("windows", "12:00-09:00"),
            ("max_attempts", "0"),
            ("retry_gap", "120"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(html.contains("Choisissez au moins un jour"), "{html}");
    assert!(html.contains("nombre de tentatives"));
    assert!(
        html.contains("value=\"12:00-09:00\""),
        "what was typed stays"
    );
    assert_eq!(default_campaign(&app).await, before, "nothing saved");
}

async fn the_retry_rules_of_the_campaign_apply_to_calls(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let campaign = default_campaign(&app).await;
    app.store
        .update_campaign_settings(
            campaign.id,
            &lien::store::CampaignSettings {
                title: campaign.title.clone(),
                coordinator_email: None,
                hours: campaign.calling_hours(),
                max_attempts_per_week: 2,
                retry_gap_minutes: 30,
            },
        )
        .await
        .unwrap();
    // The caller's unanswered calls: retried after 30 minutes, closed at the second.
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    let week = IsoWeek::current().to_string();
    let (id,): (i64,) = query_all(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    let call = |key: &'static str| {
        app.client
            .post(format!("{}/api/calls", app.address))
            .header("Idempotency-Key", key)
            .json(&serde_json::json!({ "assignment_id": id, "outcome": "no_answer" }))
            .send()
    };
    assert_eq!(call("retry-key-0001").await.unwrap().status(), 201);
    let after_one: Vec<(
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )> = query_all(
        &app.store,
        &format!(
            "SELECT a.status, a.next_attempt_at, c.called_at FROM assignments a \
                 JOIN calls c ON c.assignment_id = a.id WHERE a.id = {id}"
        ),
    )
    .await;
    assert_eq!(after_one[0].0, "open");
    assert_eq!((after_one[0].1 - after_one[0].2).num_minutes(), 30);
    assert_eq!(call("retry-key-0002").await.unwrap().status(), 201);
    let closed: Vec<(String,)> = query_all(
        &app.store,
        &format!("SELECT status FROM assignments WHERE id = {id}"),
    )
    .await;
    assert_eq!(closed[0].0, "closed", "two attempts at most");
}

async fn the_queue_follows_the_campaign_hours(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let campaign = default_campaign(&app).await;
    let every_day = |windows: &str| lien::store::CampaignSettings {
        title: campaign.title.clone(),
        coordinator_email: None,
        hours: lien::calling::hours::CallingHours::parse(lien::domain::Weekdays::all(), windows)
            .unwrap(),
        max_attempts_per_week: 3,
        retry_gap_minutes: 120,
    };
    app.store
        .update_campaign_settings(campaign.id, &every_day("00:00-24:00"))
        .await
        .unwrap();
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    let open = app.get("/appels").await.text().await.unwrap();
    // A one-minute window that is over for today (or not yet open): never now.
    let now = chrono::Utc::now().with_timezone(&lien::domain::time::PARIS);
    let closed_window = if now.format("%H").to_string() == "00" {
        "23:00-23:01"
    } else {
        "00:00-00:01"
    };
    app.store
        .update_campaign_settings(campaign.id, &every_day(closed_window))
        .await
        .unwrap();
    let closed = app.get("/appels").await.text().await.unwrap();
    let banner = "pas le moment idéal";
    assert!(
        !open.to_lowercase().contains(banner),
        "open all day: no banner"
    );
    assert!(
        closed.to_lowercase().contains(banner),
        "outside the campaign's hours: the banner shows"
    );
}
