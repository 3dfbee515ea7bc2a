//! The week page's figures kept for a moment (issue 16), on both backends: within their
//! lifetime a coordinator may see figures read a moment ago, never another viewer's,
//! never past an error, never without the role check; without a lifetime every call
//! shows at once. The lifetime's end itself is tested in `web::kept` with a clock the
//! test moves (no test here waits).

use std::time::Duration;

use chrono::Utc;
use lien::domain::{Outcome, Role};
use lien::store::CallInput;

use crate::helpers::{
    first_assignment_of_caller_one, planned_demo_app_with, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    week_figures_are_kept_per_viewer_for_their_lifetime,
    week_figures_without_a_lifetime_show_a_call_at_once,
    week_figures_kept_do_not_bypass_the_role_check_nor_keep_errors,
);

/// The conversations the week page shows (`<strong>N</strong> conversations`).
async fn conversations_shown(app: &TestApp, path: &str) -> i64 {
    let page = app.get(path).await;
    assert_eq!(page.status(), 200, "{path}");
    let html = page.text().await.unwrap();
    let end = html
        .find("</strong> conversations")
        .unwrap_or_else(|| panic!("{html}"));
    let start = html[..end].rfind("<strong>").unwrap() + "<strong>".len();
    html[start..end].parse().unwrap()
}

/// Records a conversation ("all is well") on caller 1's first assignment of the week.
async fn record_a_conversation(app: &TestApp) {
    let assignment_id = first_assignment_of_caller_one(&app.store).await;
    let links = lien::mail::MailLinks::new(app.settings.base_url.clone(), vec![1; 32]);
    let input = CallInput {
        assignment_id,
        caller_id: 1,
        outcome: Outcome::ReachedOk,
        notes: None,
        callback_at: None,
        paused_until: None,
        wrong_phone: None,
        needs: Vec::new(),
        idempotency_key: format!("week-figures-{assignment_id}"),
    };
    app.store
        .record_call(&input, Utc::now(), &links)
        .await
        .unwrap();
}

/// The planned demo with figures kept for `lifetime`, a coordinator logged in, and the
/// conversations the week page shows; and the email of a caller of the demo.
async fn coordinator_app(backend: Backend, lifetime: Duration) -> (TestApp, String, i64) {
    let (app, caller_email) = planned_demo_app_with(backend, |s| {
        s.week_figures_for = lifetime;
    })
    .await;
    app.login_as(Role::Coordinator).await;
    let shown = conversations_shown(&app, "/coordination/week").await;
    (app, caller_email, shown)
}

async fn week_figures_are_kept_per_viewer_for_their_lifetime(backend: Backend) {
    let (app, _, before) = coordinator_app(backend, Duration::from_secs(3600)).await;
    record_a_conversation(&app).await;
    // Within the lifetime, the same viewer may get the figures read before the call…
    assert_eq!(
        conversations_shown(&app, "/coordination/week").await,
        before
    );
    // …and so does another coordinator: they see the same figures (one entry).
    app.login_as(Role::Coordinator).await;
    assert_eq!(
        conversations_shown(&app, "/coordination/week").await,
        before
    );
    // The language is not part of the figures: the English page shows the same ones.
    let english = app.get("/coordination/week?lang=en").await;
    assert!(english
        .text()
        .await
        .unwrap()
        .contains(&format!("<strong>{before}</strong> conversations")));
    // An account with another role (or scope) never gets figures kept for another:
    // the admin's are read now and show the call.
    app.login_as(Role::Admin).await;
    assert_eq!(
        conversations_shown(&app, "/coordination/week?lang=fr").await,
        before + 1
    );
    // Nor does another campaign or week share them: the week named explicitly is the
    // same key as the default one, the previous week is another.
    app.login_as(Role::Coordinator).await;
    let week = lien::domain::IsoWeek::current();
    assert_eq!(
        conversations_shown(&app, &format!("/coordination/week?week={week}")).await,
        before
    );
    assert_eq!(
        conversations_shown(
            &app,
            &format!("/coordination/week?week={}", week.previous())
        )
        .await,
        0
    );
}

async fn week_figures_without_a_lifetime_show_a_call_at_once(backend: Backend) {
    let (app, _, before) = coordinator_app(backend, Duration::ZERO).await;
    record_a_conversation(&app).await;
    assert_eq!(
        conversations_shown(&app, "/coordination/week").await,
        before + 1
    );
}

async fn week_figures_kept_do_not_bypass_the_role_check_nor_keep_errors(backend: Backend) {
    let (app, caller_email, _) = coordinator_app(backend, Duration::from_secs(3600)).await;
    // A campaign that does not exist: 404, and the refusal is not kept.
    assert_eq!(
        app.get("/coordination/week?campaign=canicule")
            .await
            .status(),
        404
    );
    lien::store::query(
        "INSERT INTO campaigns (name, title, starts_on) VALUES ('canicule', 'Canicule', '2026-01-05')",
    )
    .execute(&app.store)
    .await
    .unwrap();
    assert_eq!(
        conversations_shown(&app, "/coordination/week?campaign=canicule").await,
        0
    );
    // The role is checked before the figures, kept or not.
    assert_eq!(app.login(&caller_email, TEST_PASSWORD).await.status(), 303);
    assert_eq!(app.get("/coordination/week").await.status(), 403);
    app.login_as(Role::Territory).await;
    assert_eq!(app.get("/coordination/week").await.status(), 403);
}
