//! Campaigns (issue 13): dates and cadence honoured by planning, an unknown script
//! refused, campaigns created, edited and archived on the web, call scripts edited in the
//! browser, and a caller's capacity shared between campaigns.

use std::collections::HashMap;

use chrono::NaiveDate;
use lien::domain::{CampaignName, IsoWeek, Role};
use lien::store::{Campaign, NewCampaign, PlanMode, Store, StoreError};

use crate::cli::{lien, run};
use crate::helpers::{
    execute, form_value, planned_demo_app, query_all, scalar, spawn_app, Backend, TestApp,
    TEST_PASSWORD,
};
use crate::on_both_backends;
use crate::planning::demo_store;

on_both_backends!(
    planning_refuses_weeks_outside_the_dates_off_cadence_or_archived,
    the_planning_page_refuses_those_weeks_and_writes_nothing,
    an_unknown_script_is_refused_on_the_command_line_and_the_web,
    campaigns_are_created_edited_and_archived_on_the_web,
    script_versions_are_kept_previewed_and_shown_on_the_call_page,
    two_campaigns_never_book_a_caller_past_their_capacity,
);

fn week(w: &str) -> IsoWeek {
    IsoWeek::parse(w).unwrap()
}

fn date(d: &str) -> NaiveDate {
    d.parse().unwrap()
}

/// A heatwave campaign: 2026-06-17 (week 25) to 2026-08-16 (week 33), every 2 weeks.
async fn heatwave(store: &Store) -> Campaign {
    store
        .create_campaign(&NewCampaign {
            name: CampaignName::parse("canicule").unwrap(),
            title: "Canicule 2026".into(),
            description: None,
            starts_on: date("2026-06-17"),
            ends_on: Some(date("2026-08-16")),
            cadence_weeks: 2,
            call_script: "canicule".into(),
            coordinator_email: None,
        })
        .await
        .unwrap()
}

/// Every person of the data set becomes a member of `campaign`.
async fn every_person_in(store: &Store, campaign: &Campaign) {
    let sql = format!(
        "INSERT INTO campaign_members (campaign_id, beneficiary_id) \
         SELECT {}, id FROM beneficiaries",
        campaign.id
    );
    execute(store, &sql).await.unwrap();
}

async fn refusal(store: &Store, campaign: &Campaign, w: &str) -> String {
    match store
        .plan_week(campaign, week(w), PlanMode::Plan, false)
        .await
    {
        Err(StoreError::WeekRefused(r)) => r.code().to_string(),
        other => panic!("{w} not refused: {:?}", other.map(|o| o.plan.summary)),
    }
}

async fn planning_refuses_weeks_outside_the_dates_off_cadence_or_archived(backend: Backend) {
    let (t, _) = demo_store(backend).await;
    let campaign = heatwave(&t.store).await;
    every_person_in(&t.store, &campaign).await;
    assert_eq!(
        refusal(&t.store, &campaign, "2026-W24").await,
        "week_before_start"
    );
    assert_eq!(
        refusal(&t.store, &campaign, "2026-W34").await,
        "week_after_end"
    );
    assert_eq!(
        refusal(&t.store, &campaign, "2026-W26").await,
        "week_off_cadence"
    );
    // On the command line: the sentence names the campaign, the week, the week allowed.
    let dir = tempfile::tempdir().unwrap();
    let out = run(lien(dir.path()).env("DATABASE_URL", &t.db.url).args([
        "plan",
        "--campaign",
        "canicule",
        "--week",
        "2026-W26",
    ]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("canicule") && err.contains("2026-W26"),
        "{err}"
    );
    assert!(
        err.contains("prochaine semaine") && err.contains("2026-W27"),
        "{err}"
    );
    let out = run(lien(dir.path()).env("DATABASE_URL", &t.db.url).args([
        "--lang",
        "en",
        "plan",
        "--campaign",
        "canicule",
        "--week",
        "2026-W20",
    ]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("first week that may be planned is 2026-W25"),
        "{err}"
    );
    let nothing = "SELECT COUNT(*) FROM assignments";
    assert_eq!(scalar(&t.store, nothing).await, 0, "nothing written");
    // A week on cadence between the dates is planned.
    let planned = t
        .store
        .plan_week(&campaign, week("2026-W27"), PlanMode::Plan, false)
        .await
        .unwrap();
    assert!(planned.plan.summary.assigned > 0);
    // Archived: every week refused, until unarchived.
    let archived = t
        .store
        .set_campaign_archived(campaign.id, true)
        .await
        .unwrap();
    assert_eq!(
        refusal(&t.store, &archived, "2026-W29").await,
        "campaign_archived"
    );
    let back = t
        .store
        .set_campaign_archived(campaign.id, false)
        .await
        .unwrap();
    assert!(t
        .store
        .plan_week(&back, week("2026-W29"), PlanMode::Plan, true)
        .await
        .is_ok());
}

async fn the_planning_page_refuses_those_weeks_and_writes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    heatwave(&app.store).await;
    app.login_as(Role::Coordinator).await;
    let page = app
        .get("/coordination/planning?campaign=canicule&week=2026-W26")
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("hors cadence"), "{html}");
    assert!(html.contains("2026-W27"));
    assert_eq!(
        html.matches("method=\"post\" action=\"/coordination/planning\"")
            .count(),
        1,
        "no plan button, only the rebalance of what is stored"
    );
    let csrf = form_value(&html, "csrf");
    let refused = app
        .client
        .post(format!("{}/coordination/planning", app.address))
        .form(&[
            ("csrf", csrf.as_str()),
            ("campaign", "canicule"),
            ("week", "2026-W35"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(html.contains("s'est terminée"), "{html}");
    assert!(
        html.contains("2026-W33"),
        "the last week that could be planned"
    );
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM assignments").await,
        0
    );
}

async fn get_text(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = get_text(app, "/coordination/campaigns").await;
    let csrf = form_value(&page, "csrf");
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    app.client
        .post(format!("{}{}", app.address, path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn an_unknown_script_is_refused_on_the_command_line_and_the_web(backend: Backend) {
    let app = spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let out = run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["campaign", "create", "froid", "--script", "hebdo"]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("« hebdo »"), "{err}");
    assert!(err.contains("hebdomadaire, canicule"), "{err}");
    let campaigns = "SELECT COUNT(*) FROM campaigns";
    assert_eq!(scalar(&app.store, campaigns).await, 1, "nothing created");
    let ok = run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["campaign", "create", "froid", "--script", "canicule"]));
    assert!(ok.status.success());

    app.login_as(Role::Coordinator).await;
    let refused = post(
        &app,
        "/coordination/campaigns",
        &[("name", "grand-froid"), ("script", "inconnu")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(html.contains("« inconnu »"), "{html}");
    assert!(html.contains("hebdomadaire, canicule"));
    assert!(
        html.contains("value=\"grand-froid\""),
        "what was typed stays"
    );
    let before = app
        .store
        .campaign_by_name(&CampaignName::parse("froid").unwrap())
        .await
        .unwrap();
    let refused = post(
        &app,
        "/coordination/campaigns/froid",
        &[
            ("title", "Froid"),
            ("coordinator_email", ""),
            ("day", "0"),
            ("windows", "09:00-12:00"),
            ("max_attempts", "3"),
            ("retry_gap", "120"),
            ("script", "inconnu"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let after = app
        .store
        .campaign_by_name(&CampaignName::parse("froid").unwrap())
        .await
        .unwrap();
    assert_eq!(after, before, "nothing changed");
    assert_eq!(scalar(&app.store, campaigns).await, 2);
}

async fn campaigns_are_created_edited_and_archived_on_the_web(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let list = get_text(&app, "/coordination/campaigns").await;
    assert!(
        list.contains("action=\"/coordination/campaigns\""),
        "the new form"
    );
    let created = post(
        &app,
        "/coordination/campaigns",
        &[
            ("name", "canicule-2026"),
            ("title", "Canicule 2026"),
            ("description", "Plan canicule"),
            ("starts", "2026-06-15"),
            ("ends", "2026-08-31"),
            ("cadence", "2"),
            ("script", "canicule"),
            ("max_attempts", "5"),
        ],
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(
        created.headers()["location"],
        "/coordination/campaigns/canicule-2026?done=created"
    );
    let name = CampaignName::parse("canicule-2026").unwrap();
    let c = app.store.campaign_by_name(&name).await.unwrap();
    assert_eq!(c.title, "Canicule 2026");
    assert_eq!(c.description.as_deref(), Some("Plan canicule"));
    assert_eq!(c.starts_on, date("2026-06-15"));
    assert_eq!(c.ends_on, Some(date("2026-08-31")));
    assert_eq!(c.cadence_weeks, 2);
    assert_eq!(c.call_script, "canicule");
    assert_eq!(c.max_attempts_per_week, 5);

    // Bad input: every problem said, nothing created.
    let refused = post(
        &app,
        "/coordination/campaigns",
        &[
            ("name", "Pas Bon"),
            ("starts", "2026-09-01"),
            ("ends", "2026-08-01"),
            ("cadence", "9"),
            ("script", "canicule"),
            ("max_attempts", "3"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap().replace("&#39;", "'");
    assert!(html.contains("Nom court"), "{html}");
    assert!(html.contains("précède la date de début"), "{html}");
    assert!(html.contains("cadence"), "{html}");
    let taken = post(
        &app,
        "/coordination/campaigns",
        &[("name", "canicule-2026")],
    )
    .await;
    assert_eq!(taken.status(), 422);
    assert!(taken.text().await.unwrap().contains("canicule-2026"));
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM campaigns").await,
        2
    );

    // Edited: dates, cadence, description.
    let page = get_text(&app, "/coordination/campaigns/canicule-2026?done=created").await;
    assert!(page.contains("Campagne créée"), "{page}");
    assert!(page.contains("value=\"2026-06-15\""));
    let saved = post(
        &app,
        "/coordination/campaigns/canicule-2026",
        &[
            ("title", "Canicule"),
            ("coordinator_email", ""),
            ("day", "0"),
            ("windows", "09:00-12:00"),
            ("max_attempts", "4"),
            ("retry_gap", "60"),
            ("description", ""),
            ("starts", "2026-06-22"),
            ("ends", ""),
            ("cadence", "1"),
            ("script", "hebdomadaire"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let c = app.store.campaign_by_name(&name).await.unwrap();
    assert_eq!(
        (c.starts_on, c.ends_on, c.cadence_weeks),
        (date("2026-06-22"), None, 1)
    );
    assert_eq!(c.description, None);
    assert_eq!(c.call_script, "hebdomadaire");

    // Archived, then back.
    let archived = post(
        &app,
        "/coordination/campaigns/canicule-2026/archive",
        &[("archived", "true")],
    )
    .await;
    assert_eq!(archived.status(), 303);
    let c = app.store.campaign_by_name(&name).await.unwrap();
    assert!(c.archived_at.is_some());
    let page = get_text(&app, "/coordination/campaigns/canicule-2026").await;
    assert!(page.contains("est archivée"), "{page}");
    let planning = get_text(
        &app,
        "/coordination/planning?campaign=canicule-2026&week=2026-W30",
    )
    .await
    .replace("&#39;", "'");
    assert!(planning.contains("est archivée"), "{planning}");
    post(
        &app,
        "/coordination/campaigns/canicule-2026/archive",
        &[("archived", "false")],
    )
    .await;
    let c = app.store.campaign_by_name(&name).await.unwrap();
    assert!(c.archived_at.is_none());
    for action in [
        "campaign_created",
        "campaign_settings_changed",
        "campaign_archived",
        "campaign_unarchived",
    ] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND subject_id = {}",
            c.id
        );
        assert_eq!(scalar(&app.store, &sql).await, 1, "{action}");
    }
}

async fn script_versions_are_kept_previewed_and_shown_on_the_call_page(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let coordinator = app.login_as(Role::Coordinator).await;
    let path = "/coordination/campaigns/default/script";
    let page = get_text(&app, path).await;
    assert!(
        page.contains("Appel de solidarité hebdomadaire"),
        "the file script"
    );
    assert!(page.contains("{prenom}"), "the placeholder is documented");
    let body =
        "# Script v2\n\nBonjour {first_name}, ici **le Département**.\n\n<script>x()</script>";
    let preview = post(&app, path, &[("body", body), ("preview", "1")]).await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(
        html.contains("Bonjour Camille, ici <strong>le Département</strong>"),
        "{html}"
    );
    assert!(
        !html.contains("<script>x()"),
        "HTML in a script is never run"
    );
    let versions = "SELECT COUNT(*) FROM campaign_scripts";
    assert_eq!(
        scalar(&app.store, versions).await,
        0,
        "a preview saves nothing"
    );
    let empty = post(&app, path, &[("body", "  ")]).await;
    assert_eq!(empty.status(), 422);
    for text in [body, "# Script v3\n\nBonjour {prénom} !"] {
        let saved = post(&app, path, &[("body", text)]).await;
        assert_eq!(saved.status(), 303);
    }
    assert_eq!(scalar(&app.store, versions).await, 2);
    let page = get_text(&app, &format!("{path}?done=saved")).await;
    assert!(page.contains("Script v3"));
    assert!(page.contains(&coordinator.display_name), "who saved it");
    assert_eq!(page.matches("<tr><td>").count(), 2, "every version listed");
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'campaign_script_saved'";
    assert_eq!(scalar(&app.store, audited).await, 2);

    // The caller's call page shows the latest version, the first name escaped.
    let (assignment, person): (i64, i64) = query_all(
        &app.store,
        &format!(
            "SELECT id, beneficiary_id FROM assignments WHERE caller_id = 1 AND week = '{}' \
             ORDER BY id LIMIT 1",
            IsoWeek::current()
        ),
    )
    .await
    .remove(0);
    execute(
        &app.store,
        &format!("UPDATE beneficiaries SET first_name = 'Zoé <i>' WHERE id = {person}"),
    )
    .await
    .unwrap();
    let caller = TestApp::new_browser(&app);
    assert_eq!(caller.login(&email, TEST_PASSWORD).await.status(), 303);
    let call = caller
        .get(&format!("/appels/{assignment}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(call.contains("Script v3"), "{call}");
    assert!(call.contains("Bonjour Zoé &#60;i&#62; !"), "{call}");
    assert!(!call.contains("{prénom}"));
    assert!(!call.contains("Appel de solidarité hebdomadaire</h1>"));
}

async fn two_campaigns_never_book_a_caller_past_their_capacity(backend: Backend) {
    let (t, default) = demo_store(backend).await;
    let heat = t
        .store
        .create_campaign(&NewCampaign {
            name: CampaignName::parse("canicule").unwrap(),
            title: "Canicule".into(),
            description: None,
            starts_on: date("2026-01-05"),
            ends_on: None,
            cadence_weeks: 1,
            call_script: "canicule".into(),
            coordinator_email: None,
        })
        .await
        .unwrap();
    every_person_in(&t.store, &heat).await;
    let w = week("2026-W48");
    let first = t
        .store
        .plan_week(&default, w, PlanMode::Plan, false)
        .await
        .unwrap();
    let second = t
        .store
        .plan_week(&heat, w, PlanMode::Plan, false)
        .await
        .unwrap();
    assert!(first.plan.summary.assigned > 0);
    assert!(
        second.plan.summary.capacity < first.plan.summary.capacity,
        "the heatwave campaign finds the callers' weeks partly taken"
    );
    let booked: Vec<(i64, i64, i64)> = query_all(
        &t.store,
        "SELECT c.id, CAST(c.weekly_capacity AS BIGINT), COUNT(a.id) FROM callers c \
         JOIN assignments a ON a.caller_id = c.id AND a.week = '2026-W48' \
         GROUP BY c.id, c.weekly_capacity",
    )
    .await;
    assert!(!booked.is_empty());
    assert!(
        booked.iter().any(|(_, capacity, n)| n == capacity),
        "the two campaigns together fill some callers' weeks"
    );
    let over: HashMap<i64, (i64, i64)> = booked
        .into_iter()
        .filter(|(_, capacity, n)| n > capacity)
        .map(|(id, capacity, n)| (id, (capacity, n)))
        .collect();
    assert!(over.is_empty(), "callers booked past their week: {over:?}");
    // Re-planning the first campaign now counts the second one's assignments too.
    let again = t
        .store
        .plan_week(&default, w, PlanMode::Plan, true)
        .await
        .unwrap();
    assert!(again.plan.summary.capacity <= first.plan.summary.capacity);
}
