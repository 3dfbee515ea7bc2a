//! The coordinator's weekly totals (issue 7), on both backends: the totals equal those
//! recomputed independently from the raw rows (calls, escalations), the exports (CLI
//! JSON and CSV, the API, the CSV downloads) parse back to the same figures, and the
//! pages show them.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use lien::domain::{CampaignName, IsoWeek, NeedCategory, Outcome, Role, Urgency};
use lien::report::{totals_from_csv, WeekTotals};
use lien::store::{CallInput, NeedInput, PlanMode, Store};

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{
    execute, fresh_store, planned_demo_app, query_all, scalar, text, Backend, TestApp,
};
use crate::on_both_backends;

on_both_backends!(
    week_totals_equal_a_recount_from_the_raw_rows,
    the_totals_are_kept_by_statements_compiled_once,
    exports_parse_back_to_the_same_totals,
    the_pages_show_the_week_the_trend_and_the_time_given,
    the_totals_api_follows_the_page_permissions,
    kept_caller_sums_follow_planning_calls_and_rebalancing,
    calls_recorded_during_a_rebalance_keep_the_sums,
    eligible_equals_a_recount_through_status_changes_and_pauses,
);

/// The outcomes the scenario records, in turn, one assignment after another; an
/// assignment may get several calls (unanswered first, then something else).
const SCRIPT: &[&[Outcome]] = &[
    &[Outcome::ReachedOk],
    &[Outcome::NoAnswer, Outcome::ReachedNeed],
    &[Outcome::NoAnswer, Outcome::Voicemail, Outcome::Busy],
    &[Outcome::Busy],
    &[Outcome::WrongNumber],
    &[Outcome::Refused],
    &[Outcome::OptOut],
    &[Outcome::Paused],
    &[Outcome::Deceased],
    &[Outcome::Voicemail, Outcome::ReachedOk],
    &[],
    &[Outcome::NoAnswer],
];

fn input(assignment_id: i64, caller_id: i64, outcome: Outcome, key: String) -> CallInput {
    let needs = if outcome == Outcome::ReachedNeed {
        vec![
            NeedInput {
                category: NeedCategory::Food,
                description: "courses".into(),
                urgency: Urgency::ThisWeek,
            },
            NeedInput {
                category: NeedCategory::Health,
                description: "ordonnance".into(),
                urgency: Urgency::Today,
            },
        ]
    } else {
        Vec::new()
    };
    CallInput {
        assignment_id,
        caller_id,
        outcome,
        notes: None,
        callback_at: None,
        paused_until: (outcome == Outcome::Paused)
            .then(|| lien::domain::time::today_in_paris() + chrono::Days::new(30)),
        wrong_phone: None,
        needs,
        idempotency_key: key,
    }
}

/// The link settings the recorded calls' mails use (any will do here).
fn links() -> lien::mail::MailLinks {
    lien::mail::MailLinks::new("http://127.0.0.1:8080/".parse().unwrap(), vec![1; 32])
}

/// Records the script on the first `n` assignments of `week` (by id), the calls spread
/// from `start` onwards.
async fn record_script(store: &Store, week: IsoWeek, n: usize, start: DateTime<Utc>) {
    let rows: Vec<(i64, i64)> = query_all(
        store,
        &format!("SELECT id, caller_id FROM assignments WHERE week = '{week}' ORDER BY id"),
    )
    .await;
    let links = links();
    let mut at = start;
    let mut scripted = 0;
    for (id, caller) in rows {
        if scripted == n {
            break;
        }
        for (k, outcome) in SCRIPT[scripted % SCRIPT.len()].iter().enumerate() {
            at += Duration::minutes(1);
            let recorded = store
                .record_call(
                    &input(id, caller, *outcome, format!("{week}-{id}-{k}")),
                    at,
                    &links,
                )
                .await;
            match recorded {
                Ok(_) => {}
                // Both weeks are planned before either is called: a person who opted
                // out or died in the first week is refused in the second, and the
                // script goes on with the next person.
                Err(lien::store::CallError::Refused(_)) if k == 0 => break,
                Err(e) => panic!("{e}"),
            }
        }
        if SCRIPT[scripted % SCRIPT.len()].is_empty()
            || scalar(
                store,
                &format!("SELECT COUNT(*) FROM calls WHERE assignment_id = {id}"),
            )
            .await
                > 0
        {
            scripted += 1;
        }
    }
}

/// A demo campaign with the previous and the current week planned and called.
pub(crate) async fn called_app(backend: Backend) -> (TestApp, IsoWeek, i64) {
    let (app, _) = planned_demo_app(backend).await;
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let week = IsoWeek::current();
    let previous = week.previous();
    app.store
        .plan_week(&campaign, previous, PlanMode::Plan, false)
        .await
        .unwrap();
    record_script(
        &app.store,
        previous,
        96,
        previous.starts_at() + Duration::hours(9),
    )
    .await;
    // Eligible as the planner counts it, before anyone opts out or dies this week.
    let eligible = app
        .store
        .plan_week(&campaign, week, PlanMode::Plan, true)
        .await
        .unwrap()
        .plan
        .summary
        .eligible as i64;
    // This week's calls: a few minutes ago, so they are in the week whatever the day.
    let start = (Utc::now() - Duration::hours(5)).max(week.starts_at());
    record_script(&app.store, week, 150, start).await;
    (app, week, eligible)
}

/// The totals recomputed from the calls and escalations themselves, without the
/// summary columns the report reads.
async fn recount(store: &Store, week: IsoWeek, over: bool) -> BTreeMap<&'static str, i64> {
    let calls: Vec<(i64, i64, String, DateTime<Utc>, i64)> = query_all(
        store,
        &format!(
            "SELECT c.assignment_id, c.caller_id, c.outcome, c.called_at, c.id FROM calls c \
             JOIN assignments a ON a.id = c.assignment_id WHERE a.week = '{week}' ORDER BY c.called_at, c.id"
        ),
    )
    .await;
    let assignments: Vec<(i64, i64, String)> = query_all(
        store,
        &format!("SELECT id, caller_id, status FROM assignments WHERE week = '{week}'"),
    )
    .await;
    let mut last: HashMap<i64, Outcome> = HashMap::new();
    let mut reached = HashSet::new();
    let mut conversations = HashSet::new();
    let mut active_callers = HashSet::new();
    for (assignment, caller, outcome, _, _) in &calls {
        let outcome = Outcome::parse(outcome).unwrap();
        last.insert(*assignment, outcome);
        active_callers.insert(*caller);
        if outcome.is_reached() {
            reached.insert(*assignment);
        }
        if outcome.is_conversation() {
            conversations.insert(*assignment);
        }
    }
    let status: HashMap<i64, &str> = assignments
        .iter()
        .map(|(id, _, s)| (*id, s.as_str()))
        .collect();
    let count_last = |o: Outcome| last.values().filter(|v| **v == o).count() as i64;
    let unanswered = |open: bool| {
        last.iter()
            .filter(|(id, o)| {
                o.is_unanswered() && !reached.contains(*id) && (status[*id] == "open") == open
            })
            .count() as i64
    };
    let escalations: Vec<(DateTime<Utc>,)> =
        query_all(store, "SELECT created_at FROM escalations").await;
    let callers: HashSet<i64> = assignments.iter().map(|(_, c, _)| *c).collect();
    let mut m = BTreeMap::new();
    m.insert("assigned", assignments.len() as i64);
    m.insert("attempted", last.len() as i64);
    m.insert("calls", calls.len() as i64);
    m.insert("reached", reached.len() as i64);
    m.insert("conversations", conversations.len() as i64);
    m.insert(
        "not_reached",
        unanswered(false) + if over { unanswered(true) } else { 0 },
    );
    m.insert("in_progress", if over { 0 } else { unanswered(true) });
    m.insert("opted_out", count_last(Outcome::OptOut));
    m.insert("paused", count_last(Outcome::Paused));
    m.insert("deceased", count_last(Outcome::Deceased));
    m.insert("wrong_numbers", count_last(Outcome::WrongNumber));
    m.insert(
        "escalations",
        escalations
            .iter()
            .filter(|(at,)| IsoWeek::containing(*at) == week)
            .count() as i64,
    );
    m.insert("callers_assigned", callers.len() as i64);
    m.insert("callers_active", active_callers.len() as i64);
    m.insert(
        "callers_not_started",
        callers.difference(&active_callers).count() as i64,
    );
    m
}

fn figures_of(t: &WeekTotals) -> BTreeMap<&'static str, i64> {
    BTreeMap::from([
        ("assigned", t.assigned),
        ("attempted", t.attempted),
        ("calls", t.calls),
        ("reached", t.reached),
        ("conversations", t.conversations),
        ("not_reached", t.not_reached),
        ("in_progress", t.in_progress),
        ("opted_out", t.opted_out),
        ("paused", t.paused),
        ("deceased", t.deceased),
        ("wrong_numbers", t.wrong_numbers),
        ("escalations", t.escalations),
        ("callers_assigned", t.callers_assigned),
        ("callers_active", t.callers_active),
        ("callers_not_started", t.callers_not_started),
    ])
}

async fn totals(app: &TestApp, week: IsoWeek) -> WeekTotals {
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    app.store
        .week_totals(&campaign, week, Utc::now())
        .await
        .unwrap()
}

/// The triggers that keep `week_caller_totals` run statements compiled once, not text
/// planned again on every write: on PostgreSQL the function held its upsert as a text
/// run with `EXECUTE`, planned anew for every call recorded, a third of PostgreSQL's
/// time under `POST /api/calls` (migration 0032, docs/PERFORMANCE.md). SQLite compiles
/// its triggers with the statement that fires them.
async fn the_totals_are_kept_by_statements_compiled_once(backend: Backend) {
    let t = fresh_store(backend).await;
    let sql = match backend {
        Backend::Postgres => {
            "SELECT prosrc FROM pg_proc WHERE proname = 'assignments_keep_week_totals'"
        }
        Backend::Sqlite => {
            "SELECT group_concat(sql, ' ') FROM sqlite_master \
             WHERE type = 'trigger' AND tbl_name = 'assignments'"
        }
    };
    let body = text(&t.store, sql).await;
    assert!(
        body.contains("INSERT INTO week_caller_totals"),
        "the totals are written by the trigger itself: {body}"
    );
    assert!(
        !body.to_uppercase().contains("EXECUTE "),
        "no statement of the totals' trigger is run from a text: {body}"
    );
}

async fn week_totals_equal_a_recount_from_the_raw_rows(backend: Backend) {
    let (app, week, eligible) = called_app(backend).await;
    let t = totals(&app, week).await;
    assert_eq!(figures_of(&t), recount(&app.store, week, false).await);
    // People who opted out or died this week were still to be called this week.
    assert_eq!(t.eligible, eligible);
    assert!(t.live && !t.week_over);
    // The script's proportions, so the recount is not comparing zeros.
    assert_eq!(t.attempted, 150 - 150 / 12);
    assert_eq!(t.opted_out, 12);
    assert!(
        t.reached > 70 && t.conversations > 30 && t.escalations > 20,
        "{t:?}"
    );
    // Needs split evenly between food and health; the unanswered streaks of the script
    // also raised "unreachable" welfare-check escalations (category "other").
    let needs = t.escalations_by_kind["need"];
    let unreachable = t.escalations_by_kind["unreachable"];
    assert_eq!(needs + unreachable, t.escalations);
    assert_eq!(t.escalations_by_category["food"], needs / 2);
    assert_eq!(t.escalations_by_category["health"], needs / 2);
    assert_eq!(t.escalations_by_category["other"], unreachable);
    assert_eq!(t.escalations_by_status.values().sum::<i64>(), t.escalations);
    assert_eq!(
        t.escalations_by_territory.values().sum::<i64>(),
        t.escalations
    );
    assert_eq!(
        t.coverage_pct,
        Some((t.reached as f64 * 1000.0 / t.eligible as f64).round() / 10.0)
    );
    // Last week is over: its open unanswered assignments count as not reached.
    let previous = totals(&app, week.previous()).await;
    let recounted = recount(&app.store, week.previous(), true).await;
    assert_eq!(figures_of(&previous), recounted);
    assert!(previous.week_over && previous.in_progress == 0);
    assert_eq!(t.previous.reached, previous.reached);
    assert_eq!(t.change.reached, t.reached - previous.reached);
    assert_eq!(t.change.escalations, t.escalations - previous.escalations);
    assert_eq!(t.change.calls, t.calls - previous.calls);
    // The data-quality figures, recounted.
    let quality = app.store.data_quality(1).await.unwrap();
    assert_eq!(
        quality.wrong_numbers_reported,
        scalar(
            &app.store,
            "SELECT COUNT(DISTINCT p.beneficiary_id) FROM beneficiary_phones p \
             JOIN beneficiaries b ON b.id = p.beneficiary_id \
             WHERE p.wrong_reported_at IS NOT NULL AND b.status = 'active'"
        )
        .await
    );
    assert_eq!(
        quality.unroutable_escalations,
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM escalations e WHERE e.territory_id IS NULL \
             OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.escalation_id = e.id)"
        )
        .await
    );
}

/// The per-caller sums the database keeps for each week (migration 0008) equal a
/// recount of the assignments after every kind of write: planning, calls, a rebalance
/// that moves people between callers, a re-plan, a deletion.
async fn kept_caller_sums_follow_planning_calls_and_rebalancing(backend: Backend) {
    let (app, week, _) = called_app(backend).await;
    let store = &app.store;
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let campaign_id = campaign.id;
    let all_equal = |step: &'static str| async move {
        for w in [week, week.previous()] {
            let diff = store.check_caller_weeks(campaign_id, w).await.unwrap();
            assert!(diff.is_empty(), "{step}, {w}: {diff:?}");
            assert!(!store
                .recount_caller_weeks(campaign_id, w)
                .await
                .unwrap()
                .is_empty());
        }
    };
    all_equal("planned and called").await;
    // The caller with the most uncalled people drops out; the rebalance moves them.
    let (leaving, uncalled): (i64, i64) = query_all(
        store,
        &format!(
            "SELECT caller_id, COUNT(*) FROM assignments WHERE week = '{week}' AND attempts = 0 \
             GROUP BY caller_id ORDER BY COUNT(*) DESC, caller_id LIMIT 1"
        ),
    )
    .await[0];
    assert!(uncalled > 0);
    execute(
        store,
        &format!("UPDATE callers SET active = FALSE WHERE id = {leaving}"),
    )
    .await
    .unwrap();
    let moved = store
        .plan_week(&campaign, week, PlanMode::Rebalance, false)
        .await
        .unwrap()
        .plan
        .summary;
    assert!(moved.moved + moved.removed > 0, "{moved:?}");
    all_equal("after the rebalance").await;
    let kept = store.recount_caller_weeks(campaign.id, week).await.unwrap();
    let leaving_row = kept.iter().find(|c| c.caller_id == leaving);
    assert!(
        leaving_row.is_none_or(|c| c.assigned == c.attempted),
        "only called people stay with the caller who left: {leaving_row:?}"
    );
    // A re-plan of the same week, then an assignment deleted by hand.
    store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    all_equal("after a re-plan").await;
    execute(
        store,
        &format!(
            "DELETE FROM assignments WHERE id = (SELECT MIN(id) FROM assignments a WHERE a.week = '{week}' \
             AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.assignment_id = a.id))"
        ),
    )
    .await
    .unwrap();
    all_equal("after a deletion").await;
    // And the totals still equal the recount from the calls themselves.
    let t = totals(&app, week).await;
    assert_eq!(figures_of(&t), recount(store, week, false).await);
    // `lien report --check` agrees, and names a caller whose sums were tampered with.
    let dir = tempfile::tempdir().unwrap();
    let check = || {
        run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
            "report",
            "--week",
            &week.to_string(),
            "--check",
            "--lang",
            "en",
        ]))
    };
    let out = check();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("equal a recount"));
    execute(
        store,
        &format!(
            "UPDATE week_caller_totals SET calls = calls + 1 WHERE week = '{week}' \
             AND caller_id = (SELECT MIN(caller_id) FROM assignments WHERE week = '{week}')"
        ),
    )
    .await
    .unwrap();
    let out = check();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("1 of") && stderr.contains("differ"),
        "{stderr}"
    );
}

/// Callers recording calls while a coordinator rebalances the same week: every call is
/// recorded (the two wait for each other instead of deadlocking) and the kept sums
/// still equal the recount.
async fn calls_recorded_during_a_rebalance_keep_the_sums(backend: Backend) {
    let (app, week, _) = called_app(backend).await;
    let store = &app.store;
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let leaving: i64 = scalar(
        store,
        &format!(
            "SELECT caller_id FROM assignments WHERE week = '{week}' AND attempts = 0 \
             GROUP BY caller_id ORDER BY COUNT(*) DESC, caller_id LIMIT 1"
        ),
    )
    .await;
    // Uncalled people of the callers who stay: the rebalance leaves them where they are.
    let targets: Vec<(i64, i64)> = query_all(
        store,
        &format!(
            "SELECT id, caller_id FROM assignments WHERE week = '{week}' AND attempts = 0 \
             AND caller_id <> {leaving} \
             AND beneficiary_id IN (SELECT id FROM beneficiaries WHERE status = 'active') \
             ORDER BY id LIMIT 30"
        ),
    )
    .await;
    assert_eq!(targets.len(), 30);
    execute(
        store,
        &format!("UPDATE callers SET active = FALSE WHERE id = {leaving}"),
    )
    .await
    .unwrap();
    let links = links();
    let calls = futures_util::future::join_all(targets.iter().map(|(id, caller)| {
        let input = input(*id, *caller, Outcome::ReachedOk, format!("during-{id}"));
        let links = &links;
        async move { store.record_call(&input, Utc::now(), links).await }
    }));
    let (rebalanced, recorded) = tokio::join!(
        store.plan_week(&campaign, week, PlanMode::Rebalance, false),
        calls
    );
    rebalanced.unwrap();
    for r in recorded {
        assert!(r.unwrap().new);
    }
    for w in [week, week.previous()] {
        let diff = store.check_caller_weeks(campaign.id, w).await.unwrap();
        assert!(diff.is_empty(), "{w}: {diff:?}");
    }
    let t = totals(&app, week).await;
    assert_eq!(figures_of(&t), recount(store, week, false).await);
}

/// The people a campaign was to call in `week`, recounted from the raw rows by the
/// definition (docs/COORDINATOR.md): members enrolled before the week ended, minus those
/// no longer active before it began, minus those paused over it by a pause recorded
/// before it began (by a call, or imported when the person has no paused call).
async fn recount_eligible(store: &Store, week: IsoWeek) -> i64 {
    type Person = (
        i64,
        DateTime<Utc>,
        String,
        Option<DateTime<Utc>>,
        Option<chrono::NaiveDate>,
    );
    let people: Vec<Person> = query_all(
        store,
        "SELECT b.id, m.added_at, b.status, b.status_changed_at, b.paused_until FROM campaign_members m \
         JOIN beneficiaries b ON b.id = m.beneficiary_id WHERE m.campaign_id = 1",
    )
    .await;
    type Pause = (DateTime<Utc>, Option<chrono::NaiveDate>);
    let pauses: Vec<(i64, DateTime<Utc>, Option<chrono::NaiveDate>)> = query_all(
        store,
        "SELECT beneficiary_id, called_at, paused_until FROM calls WHERE outcome = 'paused'",
    )
    .await;
    let mut by_person: HashMap<i64, Vec<Pause>> = HashMap::new();
    for (id, at, until) in pauses {
        by_person.entry(id).or_default().push((at, until));
    }
    let (start, end, sunday) = (week.starts_at(), week.ends_at(), week.sunday());
    people
        .iter()
        .filter(|(id, added, status, changed, paused_until)| {
            let enrolled = *added < end;
            let gone = status != "active" && changed.is_none_or(|at| at < start);
            let still_there = status == "active" || changed.is_some_and(|at| at >= start);
            let paused = paused_until.is_some()
                && still_there
                && match by_person.get(id) {
                    Some(calls) => calls
                        .iter()
                        .any(|(at, until)| *at < start && until.is_some_and(|u| u >= sunday)),
                    None => paused_until.is_some_and(|u| u >= sunday),
                };
            enrolled && !gone && !paused
        })
        .count() as i64
}

/// `eligible` for a finished and a running week equals the recount, with people who
/// left before or during the previous week, one who came back, an undated status, an
/// imported pause and the pauses the calls recorded.
async fn eligible_equals_a_recount_through_status_changes_and_pauses(backend: Backend) {
    let (app, week, _) = called_app(backend).await;
    let store = &app.store;
    let previous = week.previous();
    let people: Vec<(i64,)> = query_all(
        store,
        "SELECT b.id FROM beneficiaries b JOIN campaign_members m ON m.beneficiary_id = b.id \
         WHERE b.status = 'active' AND b.paused_until IS NULL ORDER BY b.id LIMIT 5",
    )
    .await;
    let id = |i: usize| people[i].0;
    // Timestamps as both backends store and compare them.
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    // Everyone enrolled ten days before last week (the per-day counts moved with them).
    let enrolled = previous.starts_at() - Duration::days(10) + Duration::hours(12);
    let changes = [
        format!(
            "UPDATE campaign_members SET added_at = '{}' WHERE campaign_id = 1",
            at(enrolled)
        ),
        "DELETE FROM campaign_enrolments WHERE campaign_id = 1".to_string(),
        format!(
            "INSERT INTO campaign_enrolments (campaign_id, enrolled_on, members) \
             SELECT 1, '{}', COUNT(*) FROM campaign_members WHERE campaign_id = 1",
            day(previous.sunday() - chrono::Days::new(16))
        ),
        // Opted out three days before last week.
        format!(
            "UPDATE beneficiaries SET status = 'opted_out', status_changed_at = '{}' WHERE id = {}",
            at(previous.starts_at() - Duration::days(3)),
            id(0)
        ),
        // Died during last week: to call last week, not this one.
        format!(
            "UPDATE beneficiaries SET status = 'deceased', status_changed_at = '{}' WHERE id = {}",
            at(previous.starts_at() + Duration::days(2)),
            id(1)
        ),
        // Opted out long ago, back today.
        format!(
            "UPDATE beneficiaries SET status = 'opted_out', status_changed_at = '2020-03-01T10:00:00+00:00' WHERE id = {}",
            id(2)
        ),
        format!(
            "UPDATE beneficiaries SET status = 'active', status_changed_at = '{}' WHERE id = {}",
            at(Utc::now()),
            id(2)
        ),
        // Moved, with no date: never to call.
        format!(
            "UPDATE beneficiaries SET status = 'moved', status_changed_at = NULL WHERE id = {}",
            id(3)
        ),
        // An imported pause up to next month, without any paused call.
        format!(
            "UPDATE beneficiaries SET paused_until = '{}' WHERE id = {}",
            day(week.sunday() + chrono::Days::new(30)),
            id(4)
        ),
    ];
    for sql in &changes {
        execute(store, sql).await.unwrap();
    }
    for w in [previous, week] {
        let recounted = recount_eligible(store, w).await;
        assert!(recounted > 0);
        assert_eq!(store.week_eligible(1, w).await.unwrap(), recounted, "{w}");
    }
    // Who died last week, and the pauses recorded last week, leave this week's count.
    assert!(
        store.week_eligible(1, week).await.unwrap()
            < store.week_eligible(1, previous).await.unwrap()
    );
    let paused_by_calls =
        scalar(store, "SELECT COUNT(*) FROM calls WHERE outcome = 'paused'").await;
    assert!(paused_by_calls > 0);
}

/// Two readings of the same totals taken moments apart differ only in `generated_at`.
fn same(mut a: WeekTotals, b: &WeekTotals) {
    a.generated_at = b.generated_at;
    assert_eq!(&a, b);
}

async fn exports_parse_back_to_the_same_totals(backend: Backend) {
    let (app, week, _) = called_app(backend).await;
    let reference = totals(&app, week).await;
    let dir = tempfile::tempdir().unwrap();
    // lien report --json: the totals at the top level.
    let json = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args([
            "report",
            "--campaign",
            "default",
            "--week",
            &week.to_string(),
            "--json",
        ])));
    assert_eq!(json["reached"], reference.reached);
    assert_eq!(json["escalations"], reference.escalations);
    assert_eq!(json["week"], week.to_string());
    same(serde_json::from_value(json).unwrap(), &reference);
    // lien report --csv, read back.
    let out = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "report",
        "--week",
        &week.to_string(),
        "--csv",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    same(
        totals_from_csv(&String::from_utf8(out.stdout).unwrap()).unwrap(),
        &reference,
    );
    // Without a format: French text; the default week is the current one.
    let out = run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["report"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("Semaine {week}")), "{text}");
    assert!(
        text.contains(&format!("{} personnes jointes", reference.reached)),
        "{text}"
    );
    // A bad week or campaign: non-zero, nothing on stdout, a reason on stderr.
    let out = run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["report", "--week", "2026-48", "--json"]));
    assert!(!out.status.success() && out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2026-W48"));
    let out = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "report",
        "--campaign",
        "nowhere",
        "--json",
    ]));
    assert!(!out.status.success() && out.stdout.is_empty());
    // The API and the page's CSV download give the same figures.
    app.login_as(Role::Coordinator).await;
    let api: WeekTotals = app
        .get(&format!("/api/campaigns/default/weeks/{week}/totals"))
        .await
        .json()
        .await
        .unwrap();
    same(api, &reference);
    let csv = app
        .get(&format!(
            "/coordination/week/totals.csv?campaign=default&week={week}"
        ))
        .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    same(
        totals_from_csv(&csv.text().await.unwrap()).unwrap(),
        &reference,
    );
    // The people not reached: one line each, with their phones; the download is audited.
    let previous = week.previous();
    let response = app
        .get(&format!(
            "/coordination/week/not-reached.csv?week={previous}"
        ))
        .await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "external_ref");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let previous_totals = totals(&app, previous).await;
    assert_eq!(rows.len() as i64, previous_totals.not_reached);
    // Phones reported wrong since (this week) are left out of the list.
    for r in &rows {
        assert!(
            (r[3].is_empty() || r[3].starts_with('+'))
                && ["no_answer", "voicemail", "busy"].contains(&&r[12]),
            "{r:?}"
        );
    }
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'not_reached_downloaded'"
        )
        .await,
        1
    );
}

async fn the_pages_show_the_week_the_trend_and_the_time_given(backend: Backend) {
    let (app, week, _) = called_app(backend).await;
    let t = totals(&app, week).await;
    app.login_as(Role::Coordinator).await;
    let page = app.get("/coordination/week").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Bilan de la semaine"), "{html}");
    assert!(html.contains(&format!(
        "<strong>{}</strong> conversations",
        t.conversations
    )));
    assert!(html.contains(&format!(
        "<strong>{}</strong> besoins signalés",
        t.escalations
    )));
    assert!(html.contains("Semaine en cours"));
    assert!(html.contains("Alimentation"));
    assert!(html.contains("not-reached.csv"));
    let trends = app.get("/coordination/trends").await.text().await.unwrap();
    assert!(
        trends.contains("<svg") && trends.contains("<polyline"),
        "{trends}"
    );
    assert!(trends.contains(&week.previous().to_string()));
    assert!(!trends.contains("<script"));
    let time = app.get("/coordination/time").await.text().await.unwrap();
    assert!(time.contains("Temps donné"), "{time}");
    assert!(time.contains(" h "), "{time}");
    let bad = app.get("/coordination/week?week=48").await;
    assert_eq!(bad.status(), 400);
    let unknown = app.get("/coordination/trends?campaign=nowhere").await;
    assert_eq!(unknown.status(), 404);
    // English on request (remembered by a cookie).
    let english = app
        .get("/coordination/week?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(english.contains("Week report") && english.contains("needs escalated"));
}

async fn the_totals_api_follows_the_page_permissions(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let week = IsoWeek::current();
    let path = format!("/api/campaigns/default/weeks/{week}/totals");
    let anonymous = app.get(&path).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.json::<serde_json::Value>().await.unwrap()["error"],
        "login_required"
    );
    assert_eq!(
        app.login(&email, crate::helpers::TEST_PASSWORD)
            .await
            .status(),
        303
    );
    let caller = app.get(&path).await;
    assert_eq!(caller.status(), 403);
    assert_eq!(
        caller.json::<serde_json::Value>().await.unwrap()["error"],
        "forbidden"
    );
    app.login_as(Role::Coordinator).await;
    let ok = app.get(&path).await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    for key in [
        "campaign",
        "week",
        "eligible",
        "assigned",
        "attempted",
        "reached",
        "not_reached",
        "opted_out",
        "paused",
        "deceased",
        "wrong_numbers",
        "escalations",
        "escalations_by_category",
        "escalations_by_territory",
        "escalations_by_status",
        "callers_active",
        "callers_not_started",
        "coverage_pct",
        "change",
        "previous",
    ] {
        assert!(body.get(key).is_some(), "{key} missing: {body}");
    }
    assert_eq!(body["reached"], 0);
    assert!(body["assigned"].as_i64().unwrap() > 1800);
    let missing = app
        .get(&format!("/api/campaigns/nowhere/weeks/{week}/totals"))
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<serde_json::Value>().await.unwrap()["error"],
        "not_found"
    );
    let bad = app.get("/api/campaigns/default/weeks/2026-48/totals").await;
    assert_eq!(bad.status(), 400);
}
