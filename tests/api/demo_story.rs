//! `lien demo`'s history (issue 13, "the demo tells a story"): six past weeks planned
//! and called, escalations answered or still open, an absent caller and a caller who
//! left; the coordinator's pages show a living campaign.

use chrono::Utc;
use lien::domain::{CampaignName, IsoWeek, Role};
use lien::fixtures::story::load_story;
use lien::messages::MailLinks;
use lien::store::PlanMode;

use crate::helpers::{scalar, spawn_app, Backend};
use crate::on_both_backends;

on_both_backends!(the_demo_story_fills_six_past_weeks);

async fn the_demo_story_fills_six_past_weeks(backend: Backend) {
    let app = spawn_app(backend).await;
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let data = lien::fixtures::demo_dataset().unwrap();
    app.store
        .load_dataset(&campaign, "fixtures/demo", &data)
        .await
        .unwrap();
    let week = IsoWeek::current();
    let links = MailLinks::new("http://lien.test/".parse().unwrap(), vec![7; 32]);
    let started = std::time::Instant::now();
    let story = load_story(&app.store, &campaign, &data, week, &links)
        .await
        .unwrap();
    eprintln!("story loaded in {:?}: {story:?}", started.elapsed());
    app.store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(story.weeks, 6);
    assert!(story.calls > 6 * 1000, "{story:?}");
    assert!(story.open_escalations > 0 && story.open_escalations < story.escalations);

    // Each past week: calls at its own times, and totals.
    let now = Utc::now();
    for age in 1..=6 {
        let past = week.offset(-age).unwrap();
        let calls = scalar(
            &app.store,
            &format!(
                "SELECT COUNT(*) FROM calls c JOIN assignments a ON a.id = c.assignment_id \
                 WHERE a.week = '{past}'"
            ),
        )
        .await;
        assert!(calls > 1000, "{past}: {calls} calls");
        let totals = app.store.week_totals(&campaign, past, now).await.unwrap();
        assert!(totals.assigned > 1000, "{past}: {totals:?}");
        assert!(totals.reached > totals.assigned / 2, "{past}: {totals:?}");
        assert!(
            totals.conversations > 0 && totals.calls >= calls,
            "{past}: {totals:?}"
        );
    }
    // A mix of outcomes, people who opted out or died, needs of several categories.
    let outcomes = scalar(&app.store, "SELECT COUNT(DISTINCT outcome) FROM calls").await;
    assert!(outcomes >= 9, "{outcomes} outcomes");
    let final_statuses = scalar(
        &app.store,
        "SELECT COUNT(*) FROM beneficiaries WHERE status IN ('opted_out', 'deceased')",
    )
    .await;
    assert!(final_statuses > 0);
    let categories = scalar(
        &app.store,
        "SELECT COUNT(DISTINCT category) FROM escalations WHERE kind = 'need'",
    )
    .await;
    assert!(categories >= 5, "{categories} categories");
    // Escalations: some closed by the territories with a comment, some still open.
    let closed = scalar(
        &app.store,
        "SELECT COUNT(*) FROM escalations WHERE status IN ('handled', 'relayed') \
         AND status_comment IS NOT NULL",
    )
    .await;
    let open = scalar(
        &app.store,
        "SELECT COUNT(*) FROM escalations WHERE status IN ('open', 'in_progress')",
    )
    .await;
    assert!(closed > 0 && open > 0, "{closed} closed, {open} open");
    assert_eq!(open as usize, story.open_escalations);
    // The past is not mailed: no escalation mail waits in the outbox.
    let pending = scalar(
        &app.store,
        "SELECT COUNT(*) FROM outbox WHERE status = 'pending'",
    )
    .await;
    assert_eq!(pending, 0, "no mail of the history is sent");
    assert!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent'"
        )
        .await
            > 0
    );

    // The absent caller: one absence across last week and this one.
    let absent = story.absent_caller.unwrap();
    let absences = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM caller_absences WHERE caller_id = {absent} \
             AND starts_on <= '{}' AND ends_on >= '{}'",
            week.previous().sunday(),
            week.monday()
        ),
    )
    .await;
    assert_eq!(absences, 1);
    // The caller who left: called in the first weeks, not planned since, inactive.
    let former = story.former_caller.unwrap();
    let planned = |w: IsoWeek| {
        format!("SELECT COUNT(*) FROM assignments WHERE caller_id = {former} AND week = '{w}'")
    };
    assert!(scalar(&app.store, &planned(week.offset(-6).unwrap())).await > 0);
    for age in 0..=3 {
        let w = week.offset(-age).unwrap();
        assert_eq!(scalar(&app.store, &planned(w)).await, 0, "{w}");
    }
    assert_eq!(
        scalar(
            &app.store,
            &format!("SELECT COUNT(*) FROM callers WHERE id = {former} AND active = FALSE")
        )
        .await,
        1
    );

    // The coordinator's pages show figures, not zeros.
    app.login_as(Role::Coordinator).await;
    let past = week.offset(-2).unwrap();
    let page = app
        .get(&format!("/coordination/week?week={past}"))
        .await
        .text()
        .await
        .unwrap();
    let totals = app.store.week_totals(&campaign, past, now).await.unwrap();
    assert!(
        page.contains(&format!("<dd>{}</dd>", totals.reached)),
        "the week page shows {} reached: {page}",
        totals.reached
    );
    let trends = app.get("/coordination/trends").await.text().await.unwrap();
    for age in 1..=6 {
        let w = week.offset(-age).unwrap();
        assert!(
            trends.contains(&format!("week={w}\">{w}</a>")),
            "{w}: {trends}"
        );
    }
    let escalations = app.get("/signalements").await;
    assert_eq!(escalations.status(), 200);
}
