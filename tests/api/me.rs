//! The caller's own page (`/moi`): absences declared (weeks already planned rebalanced at
//! once), an inverted absence refused with nothing recorded, availability saved within
//! the coordinator's figure, and a history of the caller's own calls only.

use chrono::Weekday;
use lien::domain::{IsoWeek, Role, Weekdays};

use crate::helpers::{
    execute, form_value, planned_demo_app, scalar, text, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    a_caller_declares_an_absence_and_their_people_go_to_others,
    a_caller_sets_days_and_capacity_within_the_ceiling,
    the_history_shows_only_the_callers_own_calls,
    a_coordinator_cannot_open_the_callers_page,
    the_weekly_mail_goes_to_callers_who_opted_in,
);

async fn caller_app(backend: Backend) -> TestApp {
    let (app, email) = planned_demo_app(backend).await;
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    app
}

async fn csrf(app: &TestApp) -> String {
    let page = app.get("/moi").await;
    assert_eq!(page.status(), 200);
    form_value(&page.text().await.unwrap(), "csrf")
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> String {
    let response = app
        .client
        .post(format!("{}{}", app.address, path))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{path}");
    response.headers()["location"].to_str().unwrap().to_string()
}

fn uncalled_sql(week: IsoWeek) -> String {
    format!(
        "SELECT COUNT(*) FROM assignments a WHERE a.caller_id = 1 AND a.week = '{week}' \
         AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.assignment_id = a.id)"
    )
}

async fn a_caller_declares_an_absence_and_their_people_go_to_others(backend: Backend) {
    let app = caller_app(backend).await;
    let csrf = csrf(&app).await;
    let week = IsoWeek::current();
    let before = scalar(&app.store, &uncalled_sql(week)).await;
    assert!(before > 0, "caller 1 has people this week");
    let today = lien::domain::time::today_in_paris();
    let (from, to) = (
        today.to_string(),
        (today + chrono::Duration::days(14)).to_string(),
    );

    let refused = post(
        &app,
        "/moi/absences",
        &[("csrf", &csrf), ("from", &to), ("to", &from)],
    )
    .await;
    assert!(refused.ends_with("error=absence_inverted"), "{refused}");
    let page = app.get(&refused).await.text().await.unwrap();
    assert!(page.contains("donnez un dernier jour"), "says what to do");
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM caller_absences").await,
        0
    );

    let done = post(
        &app,
        "/moi/absences",
        &[("csrf", &csrf), ("from", &from), ("to", &to)],
    )
    .await;
    assert!(done.ends_with("done=absence_rebalanced"), "{done}");
    let sql = format!(
        "SELECT COUNT(*) FROM caller_absences WHERE caller_id = 1 \
         AND starts_on = '{from}' AND ends_on = '{to}'"
    );
    assert_eq!(scalar(&app.store, &sql).await, 1);
    let page = app.get(&done).await.text().await.unwrap();
    assert!(
        page.contains("confiées à d’autres appelants"),
        "the caller is told"
    );
    assert!(
        page.contains(&format!("{from} → {to}")),
        "the absence is listed"
    );
    assert!(
        scalar(&app.store, &uncalled_sql(week)).await < before,
        "people not yet called went to others"
    );
    let user_id = scalar(&app.store, "SELECT id FROM users WHERE caller_id = 1").await;
    let audited = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'caller_absence_recorded' \
         AND subject_id = 1 AND actor_user_id = {user_id}"
    );
    assert_eq!(scalar(&app.store, &audited).await, 1);
}

async fn a_caller_sets_days_and_capacity_within_the_ceiling(backend: Backend) {
    let app = caller_app(backend).await;
    let csrf = csrf(&app).await;
    let capacity = scalar(
        &app.store,
        "SELECT CAST(weekly_capacity AS BIGINT) FROM callers WHERE id = 1",
    )
    .await;
    assert!(capacity > 1);
    let lower = (capacity - 1).to_string();
    let done = post(
        &app,
        "/moi/disponibilites",
        &[
            ("csrf", &csrf),
            ("day", "0"),
            ("day", "2"),
            ("capacity", &lower),
        ],
    )
    .await;
    assert!(done.ends_with("done=saved"), "{done}");
    let days = Weekdays::single(Weekday::Mon).with(Weekday::Wed);
    let row = "SELECT CAST(weekly_capacity * 1000 + available_weekdays AS BIGINT) FROM callers WHERE id = 1";
    let saved = (capacity - 1) * 1000 + i64::from(days.bits());
    assert_eq!(scalar(&app.store, row).await, saved);
    let ceiling = "SELECT CAST(capacity_ceiling AS BIGINT) FROM callers WHERE id = 1";
    assert_eq!(scalar(&app.store, ceiling).await, capacity);

    for bad in [(capacity + 1).to_string(), "-1".into(), "beaucoup".into()] {
        let refused = post(
            &app,
            "/moi/disponibilites",
            &[("csrf", &csrf), ("day", "4"), ("capacity", &bad)],
        )
        .await;
        assert!(refused.ends_with("error=capacity_out_of_range"), "{bad}");
        assert_eq!(scalar(&app.store, row).await, saved, "nothing changed");
    }
    let page = app.get("/moi?error=capacity_out_of_range").await;
    let page = page.text().await.unwrap();
    assert!(page.contains("de 0 au nombre fixé par la coordination"));
    assert!(
        page.contains(&format!("max=\"{capacity}\"")),
        "the range is shown"
    );

    // Back up to the coordinator's figure: allowed.
    let back = post(
        &app,
        "/moi/disponibilites",
        &[
            ("csrf", &csrf),
            ("day", "0"),
            ("capacity", &capacity.to_string()),
        ],
    )
    .await;
    assert!(back.ends_with("done=saved"), "{back}");
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'caller_availability_updated' \
                   AND subject_id = 1";
    assert_eq!(scalar(&app.store, audited).await, 2);
}

async fn the_history_shows_only_the_callers_own_calls(backend: Backend) {
    let app = caller_app(backend).await;
    let week = IsoWeek::current();
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let at = match backend {
        Backend::Sqlite => format!("'{at}'"),
        Backend::Postgres => format!("CAST('{at}' AS TIMESTAMPTZ)"),
    };
    for (who, outcome) in [("= 1", "no_answer"), ("<> 1", "reached_ok")] {
        let sql = format!(
            "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, \
             idempotency_key) SELECT id, caller_id, beneficiary_id, {at}, '{outcome}', \
             'history-key-' || CAST(id AS TEXT) FROM assignments WHERE id = \
             (SELECT MIN(id) FROM assignments WHERE caller_id {who} AND week = '{week}')"
        );
        execute(&app.store, &sql).await.unwrap();
    }
    let person = |who: &str| {
        format!(
            "SELECT b.first_name || '|' || b.last_name FROM calls k \
             JOIN beneficiaries b ON b.id = k.beneficiary_id WHERE k.caller_id {who}"
        )
    };
    let own = text(&app.store, &person("= 1")).await;
    let other = text(&app.store, &person("<> 1")).await;
    let (own_first, own_last) = own.split_once('|').unwrap();
    let (_, other_last) = other.split_once('|').unwrap();
    let initial: String = own_last.chars().take(1).collect();

    let page = app.get("/moi").await.text().await.unwrap();
    assert!(page.contains(&format!("{own_first} {initial}.")), "{page}");
    assert!(page.contains("Pas de réponse"), "the outcome's label");
    assert!(
        !page.contains(own_last),
        "only the initial of the last name"
    );
    assert!(
        !page.contains(other_last),
        "another caller's call is not shown"
    );
    assert!(page.contains(&format!("Semaine {week}")), "grouped by week");
    let phone = text(
        &app.store,
        "SELECT p.e164 FROM beneficiary_phones p JOIN calls k ON k.beneficiary_id = p.beneficiary_id \
         WHERE k.caller_id = 1 LIMIT 1",
    )
    .await;
    assert!(!page.contains(&phone), "no phone number");

    // In English, every label is English.
    let page = app.get("/moi?lang=en").await.text().await.unwrap();
    for english in [
        "My absences",
        "Calls a week",
        "Monday",
        "No answer",
        "Week ",
    ] {
        assert!(page.contains(english), "{english}");
    }
    for french in [
        "Mes ",
        "Lundi",
        "Pas de réponse",
        "Semaine ",
        "Enregistrer",
        "Déclarer",
    ] {
        assert!(
            !page.contains(french),
            "French on the English page: {french}"
        );
    }
}

async fn a_coordinator_cannot_open_the_callers_page(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    app.login_as(Role::Coordinator).await;
    assert_eq!(app.get("/moi").await.status(), 403);
}

async fn the_weekly_mail_goes_to_callers_who_opted_in(backend: Backend) {
    use lien::domain::CampaignName;
    use lien::store::PlanMode;
    let app = caller_app(backend).await;
    let csrf = csrf(&app).await;
    let email = text(&app.store, "SELECT email FROM callers WHERE id = 1").await;
    let mails = format!("SELECT COUNT(*) FROM outbox WHERE recipients = '{email}'");
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let week = IsoWeek::current().next();

    // Opted out (the default): no mail.
    let on = post(
        &app,
        "/moi/courriel",
        &[("csrf", &csrf), ("weekly_list_mail", "on")],
    )
    .await;
    assert!(on.ends_with("done=mail_on"), "{on}");
    let page = app.get(&on).await.text().await.unwrap();
    assert!(page.contains("name=\"weekly_list_mail\" value=\"on\" checked"));
    let before = scalar(&app.store, &mails).await;

    // A dry run sends nothing; the recorded plan queues one mail with the count.
    app.store
        .plan_week(&campaign, week, PlanMode::Plan, true)
        .await
        .unwrap();
    assert_eq!(scalar(&app.store, &mails).await, before);
    app.store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(scalar(&app.store, &mails).await, before + 1);
    // The week planned again: the mail is not queued twice.
    app.store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(scalar(&app.store, &mails).await, before + 1);
    let people = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await;
    let body = text(
        &app.store,
        &format!("SELECT body_text FROM outbox WHERE recipients = '{email}' AND kind = 'other'"),
    )
    .await;
    assert!(
        body.contains(&format!("{week} est prête : {people} personne")),
        "{body}"
    );
    assert!(!body.contains("Hello"), "one language per mail: {body}");

    // Opted out: the next week's plan sends nothing.
    let off = post(&app, "/moi/courriel", &[("csrf", &csrf)]).await;
    assert!(off.ends_with("done=mail_off"), "{off}");
    app.store
        .plan_week(&campaign, week.next(), PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(scalar(&app.store, &mails).await, before + 1);

    // A caller whose account is in English gets the mail in English.
    post(
        &app,
        "/moi/courriel",
        &[("csrf", &csrf), ("weekly_list_mail", "on")],
    )
    .await;
    execute(
        &app.store,
        "UPDATE users SET language = 'en' WHERE caller_id = 1",
    )
    .await
    .unwrap();
    let third = week.next().next();
    app.store
        .plan_week(&campaign, third, PlanMode::Plan, false)
        .await
        .unwrap();
    let body = text(
        &app.store,
        &format!(
            "SELECT body_text FROM outbox WHERE recipients = '{email}' AND kind = 'other' \
             AND subject LIKE '%{third}%'"
        ),
    )
    .await;
    assert!(body.contains(&format!("{third} is ready")), "{body}");
    assert!(!body.contains("Bonjour"), "{body}");
}
