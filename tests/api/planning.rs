//! Planning weeks against the database, on both backends: rules, continuity, re-planning,
//! absences, rebalancing, and the command line.

use lien::domain::{CampaignName, IsoWeek};
use lien::store::{Campaign, PlanMode, Store};

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{execute, fresh_store, query_all, scalar, Backend, TestStore};
use crate::on_both_backends;

on_both_backends!(
    a_week_plan_follows_the_hard_rules,
    planning_twice_creates_nothing_new,
    next_week_keeps_the_same_callers,
    a_person_back_after_a_week_off_keeps_their_caller,
    an_absent_caller_s_people_are_reassigned_with_the_reason,
    rebalance_moves_only_the_unavailable_caller_s_uncalled_people,
    a_dry_run_writes_nothing,
    plan_and_assignments_on_the_command_line,
);

const W48: &str = "2026-W48";

pub(crate) async fn demo_store(backend: Backend) -> (TestStore, Campaign) {
    let t = fresh_store(backend).await;
    let campaign = t
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let data = lien::fixtures::demo_dataset().unwrap();
    t.store
        .load_dataset(&campaign, "fixtures/demo", &data)
        .await
        .unwrap();
    (t, campaign)
}

fn week(w: &str) -> IsoWeek {
    IsoWeek::parse(w).unwrap()
}

async fn exec(store: &Store, sql: &str) {
    execute(store, sql).await.unwrap()
}

async fn a_week_plan_follows_the_hard_rules(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    let outcome = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    let s = &outcome.plan.summary;
    assert_eq!(s.eligible, 2000);
    assert_eq!(s.assigned + s.unassigned, s.eligible);
    assert!(s.assigned > 1800, "{s:?}");
    let stored = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments WHERE week = '2026-W48'",
    )
    .await;
    assert_eq!(stored as usize, s.assigned);
    // Nobody over capacity.
    let over = scalar(
        &t.store,
        "SELECT COUNT(*) FROM (SELECT a.caller_id, COUNT(*) AS n, MAX(c.weekly_capacity) AS cap \
         FROM assignments a JOIN callers c ON c.id = a.caller_id GROUP BY a.caller_id) x WHERE n > cap",
    )
    .await;
    assert_eq!(over, 0);
    // A person who needs a language only goes to a caller who speaks it.
    let mismatched: Vec<(String, String)> = query_all(
        &t.store,
        "SELECT b.preferred_language, c.languages FROM assignments a \
         JOIN beneficiaries b ON b.id = a.beneficiary_id JOIN callers c ON c.id = a.caller_id \
         WHERE b.preferred_language <> 'fr'",
    )
    .await;
    for (need, speaks) in &mismatched {
        assert!(
            speaks.split(',').any(|l| l == need),
            "{need} given to a caller speaking {speaks}"
        );
    }
    // Every assignment carries a readable reason.
    assert_eq!(
        scalar(
            &t.store,
            "SELECT COUNT(*) FROM assignments WHERE reason = '' OR reason_code = ''"
        )
        .await,
        0
    );
}

async fn planning_twice_creates_nothing_new(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    let first = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    let ids_before: Vec<(i64,)> =
        query_all(&t.store, "SELECT id FROM assignments ORDER BY id").await;
    let second = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(second.plan.summary.new, 0);
    assert_eq!(second.plan.summary.moved, 0);
    assert_eq!(second.plan.summary.removed, 0);
    assert_eq!(second.plan.summary.kept, first.plan.summary.assigned);
    let ids_after: Vec<(i64,)> =
        query_all(&t.store, "SELECT id FROM assignments ORDER BY id").await;
    assert_eq!(ids_before, ids_after, "the rows themselves are untouched");
}

async fn next_week_keeps_the_same_callers(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    let w48 = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    // Everyone was reached in week 48.
    exec(
        &t.store,
        "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, idempotency_key) \
         SELECT id, caller_id, beneficiary_id, '2026-11-24T10:00:00+00:00', 'reached_ok', 'key-0000' || id \
         FROM assignments WHERE week = '2026-W48'",
    )
    .await;
    let w49 = t
        .store
        .plan_week(&campaign, week("2026-W49"), PlanMode::Plan, false)
        .await
        .unwrap();
    let c = &w49.plan.summary.continuity;
    assert_eq!(c.with_last_caller, w48.plan.summary.assigned);
    // Capacity is short (the demo has about 1,900 calls for 2,000 people): the people
    // nobody could call in week 48 come first in week 49, so a few who were called give
    // way; everyone else keeps their caller.
    let unserved_w48: std::collections::HashSet<i64> = w48
        .plan
        .unassigned
        .iter()
        .filter(|u| u.reason.code() == "no_capacity")
        .map(|u| u.beneficiary_id)
        .collect();
    let served_w49: std::collections::HashSet<i64> = w49
        .plan
        .assignments
        .iter()
        .map(|a| a.beneficiary_id)
        .collect();
    assert!(!unserved_w48.is_empty());
    assert!(
        unserved_w48.iter().all(|id| served_w49.contains(id)),
        "last week's unserved come first"
    );
    assert_eq!(
        c.kept_last_caller + unserved_w48.len(),
        c.with_last_caller,
        "everyone else keeps their caller"
    );
    let changed = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments a JOIN assignments b ON b.beneficiary_id = a.beneficiary_id \
         WHERE a.week = '2026-W48' AND b.week = '2026-W49' AND a.caller_id <> b.caller_id",
    )
    .await;
    assert_eq!(changed, 0);
    let same: Vec<(String,)> = query_all(
        &t.store,
        "SELECT reason FROM assignments WHERE week = '2026-W49' AND reason_code = 'same_caller' LIMIT 1",
    )
    .await;
    assert!(same[0].0.contains("2026-W48"), "{:?}", same[0]);
}

/// Continuity across a gap: a person paused for a week comes back to the caller of the
/// week before (found by person in the earlier weeks, not from last week's plan).
async fn a_person_back_after_a_week_off_keeps_their_caller(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    // Room for everyone, so that nobody gives way for lack of capacity.
    exec(
        &t.store,
        "UPDATE callers SET weekly_capacity = weekly_capacity * 2",
    )
    .await;
    t.store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    let (person, caller): (i64, i64) = query_all(
        &t.store,
        "SELECT beneficiary_id, caller_id FROM assignments WHERE week = '2026-W48' \
         ORDER BY beneficiary_id LIMIT 1 OFFSET 7",
    )
    .await[0];
    // Paused until the Sunday of week 49: not called that week.
    exec(
        &t.store,
        &format!("UPDATE beneficiaries SET paused_until = '2026-12-06' WHERE id = {person}"),
    )
    .await;
    t.store
        .plan_week(&campaign, week("2026-W49"), PlanMode::Plan, false)
        .await
        .unwrap();
    let in_w49 = scalar(
        &t.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE week = '2026-W49' AND beneficiary_id = {person}"),
    )
    .await;
    assert_eq!(in_w49, 0, "paused in week 49");
    t.store
        .plan_week(&campaign, week("2026-W50"), PlanMode::Plan, false)
        .await
        .unwrap();
    let back: Vec<(i64, String, String)> = query_all(
        &t.store,
        &format!(
            "SELECT caller_id, reason_code, reason FROM assignments \
             WHERE week = '2026-W50' AND beneficiary_id = {person}"
        ),
    )
    .await;
    assert_eq!(back.len(), 1, "back in week 50");
    let (w50_caller, code, reason) = &back[0];
    assert_eq!(*w50_caller, caller, "the caller of week 48: {reason}");
    assert_eq!(code, "same_caller");
    assert!(reason.contains("2026-W48"), "{reason}");
    // Everyone else called in weeks 49 and 50 kept their caller too.
    let changed = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments a JOIN assignments b ON b.beneficiary_id = a.beneficiary_id \
         WHERE a.week = '2026-W49' AND b.week = '2026-W50' AND a.caller_id <> b.caller_id",
    )
    .await;
    assert_eq!(changed, 0);
}

async fn an_absent_caller_s_people_are_reassigned_with_the_reason(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    t.store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    // Caller 1 is away the whole of next week.
    exec(&t.store, "INSERT INTO caller_absences (caller_id, starts_on, ends_on) VALUES (1, '2026-11-30', '2026-12-06')").await;
    let had = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments WHERE week = '2026-W48' AND caller_id = 1",
    )
    .await;
    assert!(had > 0);
    t.store
        .plan_week(&campaign, week("2026-W49"), PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(
        scalar(
            &t.store,
            "SELECT COUNT(*) FROM assignments WHERE week = '2026-W49' AND caller_id = 1"
        )
        .await,
        0
    );
    let reassigned = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments b JOIN assignments a ON a.beneficiary_id = b.beneficiary_id \
         WHERE a.week = '2026-W48' AND a.caller_id = 1 AND b.week = '2026-W49' \
         AND b.reason_code = 'reassigned_caller_absent'",
    )
    .await;
    assert!(reassigned > 0 && reassigned <= had, "{reassigned} of {had}");
    let moved_others = scalar(
        &t.store,
        "SELECT COUNT(*) FROM assignments a JOIN assignments b ON b.beneficiary_id = a.beneficiary_id \
         WHERE a.week = '2026-W48' AND b.week = '2026-W49' AND a.caller_id <> 1 AND a.caller_id <> b.caller_id",
    )
    .await;
    assert_eq!(moved_others, 0, "the other callers keep their people");
}

async fn rebalance_moves_only_the_unavailable_caller_s_uncalled_people(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    t.store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    // Caller 2 already made one call this week, then drops out.
    exec(
        &t.store,
        "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, idempotency_key) \
         SELECT id, caller_id, beneficiary_id, '2026-11-24T10:00:00+00:00', 'reached_ok', 'rebalance-test-1' \
         FROM assignments WHERE caller_id = 2 ORDER BY id LIMIT 1",
    )
    .await;
    exec(&t.store, "UPDATE callers SET active = FALSE WHERE id = 2").await;
    let before: Vec<(i64, i64, i64)> = query_all(
        &t.store,
        "SELECT id, beneficiary_id, caller_id FROM assignments WHERE caller_id <> 2 ORDER BY id",
    )
    .await;
    let outcome = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Rebalance, false)
        .await
        .unwrap();
    assert!(
        outcome.plan.summary.moved > 0 || outcome.plan.summary.removed > 0,
        "{:?}",
        outcome.plan.summary
    );
    assert_eq!(
        scalar(
            &t.store,
            "SELECT COUNT(*) FROM assignments WHERE caller_id = 2"
        )
        .await,
        1,
        "only the called assignment stays with caller 2"
    );
    let after: Vec<(i64, i64, i64)> = query_all(
        &t.store,
        "SELECT id, beneficiary_id, caller_id FROM assignments WHERE caller_id <> 2 ORDER BY id",
    )
    .await;
    for row in &before {
        assert!(
            after.contains(row),
            "rebalance touched someone else: {row:?}"
        );
    }
}

async fn a_dry_run_writes_nothing(backend: Backend) {
    let (t, campaign) = demo_store(backend).await;
    let dry = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, true)
        .await
        .unwrap();
    assert!(dry.plan.summary.assigned > 0);
    assert_eq!(
        scalar(&t.store, "SELECT COUNT(*) FROM assignments").await,
        0
    );
    let real = t
        .store
        .plan_week(&campaign, week(W48), PlanMode::Plan, false)
        .await
        .unwrap();
    assert_eq!(
        dry.plan.summary.assigned, real.plan.summary.assigned,
        "same inputs, same plan"
    );
    assert_eq!(
        serde_json::to_string(&dry.plan.assignments).unwrap(),
        serde_json::to_string(&real.plan.assignments).unwrap()
    );
}

async fn plan_and_assignments_on_the_command_line(backend: Backend) {
    let (t, _) = demo_store(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let json = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &t.db.url)
        .args(["plan", "--week", W48, "--json"])));
    assert_eq!(json["week"], W48);
    assert_eq!(json["summary"]["eligible"], 2000);
    let assigned = json["summary"]["assigned"].as_u64().unwrap();
    let out = run(lien(dir.path()).env("DATABASE_URL", &t.db.url).args([
        "assignments",
        "--week",
        W48,
        "--csv",
    ]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("external_ref;caller_email;reason"));
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len() as u64, assigned);
    assert!(rest[0].starts_with("80-"), "{}", rest[0]);
    assert!(rest[0].contains("@agents.example.org;"), "{}", rest[0]);
    let human = run(lien(dir.path())
        .env("DATABASE_URL", &t.db.url)
        .args(["plan", "--week", W48]));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("conservées"), "{text}");
    let bad = run(lien(dir.path())
        .env("DATABASE_URL", &t.db.url)
        .args(["plan", "--week", "48/2026"]));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2026-W48"));
}

on_both_backends!(the_planning_page_previews_records_and_rebalances);

async fn the_planning_page_previews_records_and_rebalances(backend: Backend) {
    use lien::domain::Role;

    use crate::helpers::{form_value, spawn_app};
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
    // Callers and territory users do not plan.
    {
        let other = spawn_app(backend).await;
        other.login_as(Role::Caller).await;
        assert_eq!(other.get("/coordination/planning").await.status(), 403);
    }
    app.login_as(Role::Coordinator).await;
    let page = app.get("/coordination/planning?week=2026-W48").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Planning de la semaine — 2026-W48"), "{html}");
    assert!(html.contains("<dd>2000</dd>"), "eligible people are shown");
    assert!(html.contains("TAS-AMI"), "territories are named");
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM assignments").await,
        0,
        "the preview writes nothing"
    );

    let csrf = form_value(&html, "csrf");
    let post = |rebalance: bool| {
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("campaign", "default".to_string()),
            ("week", W48.to_string()),
        ];
        if rebalance {
            form.push(("rebalance", "true".to_string()));
        }
        app.client
            .post(format!("{}/coordination/planning", app.address))
            .form(&form)
            .send()
    };
    let recorded = post(false).await.unwrap();
    assert_eq!(recorded.status(), 303);
    assert!(recorded.headers()["location"]
        .to_str()
        .unwrap()
        .ends_with("done=planned"));
    let stored = scalar(&app.store, "SELECT COUNT(*) FROM assignments").await;
    assert!(stored > 1800);
    let after = app
        .get("/coordination/planning?week=2026-W48&done=planned")
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains("Planning enregistré."));
    assert!(after.contains(&format!("<strong>{stored}</strong>")));
    // Recording again or rebalancing with everybody available changes nothing.
    assert_eq!(post(false).await.unwrap().status(), 303);
    assert_eq!(post(true).await.unwrap().status(), 303);
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM assignments").await,
        stored
    );
    // Without the form's token, nothing happens.
    let forged = app
        .client
        .post(format!("{}/coordination/planning", app.address))
        .form(&[("csrf", "x"), ("campaign", "default"), ("week", W48)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}
