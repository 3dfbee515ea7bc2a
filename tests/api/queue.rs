//! The caller's daily queue: their people only, in call order, with their phones.

use lien::domain::{IsoWeek, Role};

use crate::helpers::{
    execute, planned_demo_app, query_all, scalar, spawn_app, Backend, TestApp, TEST_PASSWORD,
};
use crate::on_both_backends;
use lien::store::db::query_as;
use lien::store::{QueueRow, Store};
use sqlx::postgres::PgPoolOptions;

on_both_backends!(
    a_caller_sees_only_their_people_with_tel_links,
    others_do_not_see_queues,
    a_caller_without_assignments_is_told_why,
    the_page_counts_the_week_done_even_when_nobody_is_left,
    a_callers_queue_is_planned_once_per_connection,
);

async fn a_caller_sees_only_their_people_with_tel_links(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
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
    settle_all(&app).await;
    let reads = scalar(
        &app.store,
        "SELECT COUNT(*) FROM audit_trail WHERE action = 'contact_details_read' AND subject_type = 'beneficiary'",
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

/// The page reads its progress with the queue (one query), and on its own when the queue
/// is empty: both give the week's closed assignments out of all of them.
async fn the_page_counts_the_week_done_even_when_nobody_is_left(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    let week = IsoWeek::current().to_string();
    let mine = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await;
    assert!(mine > 1);
    let first = crate::helpers::first_assignment_of_caller_one(&app.store).await;
    let html = close_then_read_page(&app, &format!("id = {first}")).await;
    assert!(html.contains(&format!(
        "<strong>1</strong> appels terminés sur <strong>{mine}</strong>"
    )));
    assert_eq!(html.matches("<li class=\"card\">").count() as i64, mine - 1);

    let html = close_then_read_page(&app, &format!("caller_id = 1 AND week = '{week}'")).await;
    assert!(html.contains(&format!(
        "<strong>{mine}</strong> appels terminés sur <strong>{mine}</strong>"
    )));
    assert!(html.contains("Tous vos appels de la semaine sont terminés"));
    assert_eq!(html.matches("<li class=\"card\">").count(), 0);
}

/// Closes the assignments `filter` selects, then gives the caller's page.
async fn close_then_read_page(app: &TestApp, filter: &str) -> String {
    let sql = format!("UPDATE assignments SET status = 'closed' WHERE {filter}");
    crate::helpers::execute(&app.store, &sql).await.unwrap();
    app.get("/appels").await.text().await.unwrap()
}

on_both_backends!(
    recording_a_call_closes_it_and_a_double_submit_records_one,
    no_answer_waits_for_a_retry_and_needs_reach_the_territory,
    another_caller_s_assignment_is_a_404,
);

/// The caller's first assignment of the week and its call page's form fields.
async fn first_call_form(app: &TestApp) -> (i64, String, String) {
    let id = crate::helpers::first_assignment_of_caller_one(&app.store).await;
    let page = app.get(&format!("/appels/{id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Guide d’appel"), "the script is on the page");
    assert!(
        html.contains("Appel de solidarité hebdomadaire"),
        "the campaign's script"
    );
    (
        id,
        crate::helpers::form_value(&html, "csrf"),
        crate::helpers::form_value(&html, "idempotency_key"),
    )
}

async fn post_call(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(format!("{}/appels/{id}", app.address))
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn recording_a_call_closes_it_and_a_double_submit_records_one(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    let (id, csrf, key) = first_call_form(&app).await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("idempotency_key", key.as_str()),
        ("outcome", "reached_ok"),
        ("notes", "Va bien, voit sa fille dimanche"),
    ];
    let (a, b) = tokio::join!(post_call(&app, id, &fields), post_call(&app, id, &fields));
    assert_eq!(a.status(), 303);
    assert_eq!(b.status(), 303);
    assert_eq!(
        scalar(
            &app.store,
            &format!("SELECT COUNT(*) FROM calls WHERE assignment_id = {id}")
        )
        .await,
        1,
        "one call for a double click"
    );
    let status = query_all::<(String, i32)>(
        &app.store,
        &format!("SELECT status, attempts FROM assignments WHERE id = {id}"),
    )
    .await;
    assert_eq!(status[0], ("closed".to_string(), 1));
    let queue = app.get("/appels").await.text().await.unwrap();
    assert!(
        queue.contains("<strong>1</strong> appels terminés"),
        "{queue}"
    );
    assert!(
        !queue.contains(&format!("href=\"/appels/{id}\"")),
        "a closed call leaves the queue"
    );
    // The history shows it on the call page.
    let page = app
        .get(&format!("/appels/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Joint – tout va bien"), "{page}");
}

async fn no_answer_waits_for_a_retry_and_needs_reach_the_territory(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    let (id, csrf, key) = first_call_form(&app).await;
    let response = post_call(
        &app,
        id,
        &[
            ("csrf", &csrf),
            ("idempotency_key", &key),
            ("outcome", "no_answer"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let row = query_all::<(String, i32)>(
        &app.store,
        &format!("SELECT status, attempts FROM assignments WHERE id = {id}"),
    )
    .await;
    assert_eq!(row[0], ("open".to_string(), 1));
    let queue = app.get("/appels").await.text().await.unwrap();
    assert!(queue.contains("Plus tard"), "the retry waits for its gap");
    // A callback without its time is refused with a message, nothing recorded.
    let (_, csrf, key) = first_call_form(&app).await;
    let refused = post_call(
        &app,
        id,
        &[
            ("csrf", &csrf),
            ("idempotency_key", &key),
            ("outcome", "callback"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Indiquez le jour et l’heure"));
    // Reached, with a need: an escalation for the person's territory and its mail in the outbox.
    let (_, csrf, key) = first_call_form(&app).await;
    let response = post_call(
        &app,
        id,
        &[
            ("csrf", &csrf),
            ("idempotency_key", &key),
            ("outcome", "reached_need"),
            ("need_food", "1"),
            (
                "need_food_description",
                "Plus de courses depuis une semaine",
            ),
            ("need_food_urgency", "today"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let escalation = query_all::<(String, String, String)>(
        &app.store,
        "SELECT e.category, e.urgency, t.referent_emails FROM escalations e JOIN territories t ON t.id = e.territory_id",
    )
    .await;
    assert_eq!(escalation.len(), 1);
    assert_eq!(
        (escalation[0].0.as_str(), escalation[0].1.as_str()),
        ("food", "today")
    );
    let outbox = query_all::<(String, String, String)>(
        &app.store,
        "SELECT recipients, subject, status FROM outbox ORDER BY id",
    )
    .await;
    let referents: Vec<&str> = escalation[0].2.split(',').map(str::trim).collect();
    let recipients: Vec<&str> = outbox.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        recipients, referents,
        "one mail for each of the territory's referents"
    );
    for (_, subject, status) in &outbox {
        assert!(
            subject.starts_with("[lien] Signalement n° ")
                && subject.ends_with("urgent aujourd'hui"),
            "{subject}"
        );
        assert_eq!(status, "pending");
    }
}

async fn another_caller_s_assignment_is_a_404(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    let week = IsoWeek::current().to_string();
    let (other,): (i64,) = query_all(
        &app.store,
        &format!("SELECT MIN(id) FROM assignments WHERE caller_id <> 1 AND week = '{week}'"),
    )
    .await
    .remove(0);
    assert_eq!(app.get(&format!("/appels/{other}")).await.status(), 404);
    let home = app.get("/appels").await.text().await.unwrap();
    let csrf = crate::helpers::form_value(&home, "csrf");
    let post = post_call(
        &app,
        other,
        &[
            ("csrf", &csrf),
            ("idempotency_key", "abcdefgh-1234"),
            ("outcome", "reached_ok"),
        ],
    )
    .await;
    assert_eq!(post.status(), 404);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM calls").await, 0);
    assert_eq!(app.get("/appels/999999").await.status(), 404);
}

on_both_backends!(
    every_queue_read_is_audited_before_its_answer_even_under_load,
    reads_are_settled_into_the_audit_trail_once_however_many_settle_at_once,
    a_read_is_settled_as_written_and_a_damaged_one_stops_its_batch,
    reads_are_moved_a_transaction_at_a_time,
    the_people_shown_are_kept_once_and_go_with_their_last_read
);

/// How many people's contact details were recorded as read: the reads written with
/// their answers (`contact_reads`, one row per read; on SQLite in the reads file beside
/// the database) and those already settled into the audit trail (one row per person),
/// without settling anything.
async fn contact_reads(app: &TestApp) -> i64 {
    const WAITING: &str = "SELECT COALESCE(SUM(LENGTH(beneficiary_ids) \
        - LENGTH(REPLACE(beneficiary_ids, ',', '')) + 1), 0) FROM contact_reads";
    const SETTLED: &str = "SELECT COUNT(*) FROM audit_trail WHERE action = 'contact_details_read'";
    if app.store.backend() == lien::store::Backend::Postgres {
        // One statement, so that the background settle cannot move a read between two.
        return scalar(&app.store, &format!("SELECT ({SETTLED}) + ({WAITING})")).await;
    }
    // Two files: the audit rows and the mark read together, then the reads past the
    // mark; the mark read again tells whether a settling moved any between the two.
    let reads = app.store.reads_store().await.unwrap();
    let mark = "SELECT up_to FROM contact_reads_settled";
    loop {
        let (settled, up_to): (i64, i64) =
            query_all(&app.store, &format!("SELECT ({SETTLED}), ({mark})")).await[0];
        let waiting = scalar(&reads, &format!("{WAITING} WHERE id > {up_to}")).await;
        if scalar(&app.store, mark).await == up_to {
            return settled + waiting;
        }
    }
}

/// The audit rows of the caller's reads: (person, screen, reads), once settled.
async fn reads_by_person(app: &TestApp) -> Vec<(i64, String, i64)> {
    settle_all(app).await;
    query_all(
        &app.store,
        "SELECT subject_id, detail, COUNT(*) FROM audit_trail \
         WHERE action = 'contact_details_read' AND subject_type = 'beneficiary' \
         GROUP BY subject_id, detail ORDER BY subject_id, detail",
    )
    .await
}

/// One audit row per person shown and per read, written (committed) before the answer
/// leaves: a read counted right after each answer, and many reads of the page and the
/// API at once, by two sessions, each leave exactly one row per person shown.
async fn every_queue_read_is_audited_before_its_answer_even_under_load(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    let second = TestApp::new_browser(&app);
    second.login(&email, TEST_PASSWORD).await;
    let week = IsoWeek::current().to_string();
    let mine: Vec<(i64,)> = query_all(
        &app.store,
        &format!(
            "SELECT a.beneficiary_id FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id = 1 AND a.week = '{week}' AND a.status = 'open' AND b.status = 'active' \
             ORDER BY a.beneficiary_id"
        ),
    )
    .await;
    assert!(mine.len() > 5, "the demo plans a queue");
    let per_read = mine.len() as i64;
    // One read: its rows are there as soon as the answer is.
    let api = app.get("/api/me/queue").await;
    assert_eq!(api.status(), 200);
    let shown = api.json::<serde_json::Value>().await.unwrap()["queue"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(shown, mine.len());
    assert_eq!(contact_reads(&app).await, per_read);
    assert_eq!(app.get("/appels").await.status(), 200);
    assert_eq!(contact_reads(&app).await, 2 * per_read);
    // Twenty reads at once, page and API, from two sessions.
    let reads = (0..20).map(|i| {
        let path = if i % 2 == 0 {
            "/api/me/queue"
        } else {
            "/appels"
        };
        let client = if i % 4 < 2 {
            &app.client
        } else {
            &second.client
        };
        let address = &app.address;
        async move {
            let response = client.get(format!("{address}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
        }
    });
    futures_util::future::join_all(reads).await;
    assert_eq!(contact_reads(&app).await, 22 * per_read);
    let expected: Vec<(i64, String, i64)> = mine
        .iter()
        .flat_map(|(id,)| {
            [
                (*id, "api_queue".to_string(), 11),
                (*id, "queue".to_string(), 11),
            ]
        })
        .collect();
    assert_eq!(
        reads_by_person(&app).await,
        expected,
        "one row per person and read"
    );
}

/// A read is written with its answer as one row; settling turns it into one audit row
/// per person, once, however many settle at once (two servers, the background task):
/// nothing is left to move after, and nothing is counted twice. The audit trail's page
/// shows a read made a moment ago.
async fn reads_are_settled_into_the_audit_trail_once_however_many_settle_at_once(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    app.store.settle_contact_reads().await.unwrap();
    let reads = app.store.reads_store().await.unwrap();
    let settled = || {
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_trail WHERE action = 'contact_details_read' \
             AND subject_type = 'beneficiary' AND actor_user_id IS NOT NULL",
        )
    };
    let before = settled().await;
    let shown = app
        .get("/api/me/queue")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["queue"]
        .as_array()
        .unwrap()
        .len() as i64;
    assert!(shown > 5);
    for _ in 0..9 {
        assert_eq!(app.get("/appels").await.status(), 200);
    }
    assert_eq!(contact_reads(&app).await, before + 10 * shown);
    let settles = (0..4).map(|_| app.store.settle_contact_reads());
    let moved: u64 = futures_util::future::join_all(settles)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert!(moved <= 10, "{moved} reads moved for 10 made");
    assert_eq!(app.store.settle_contact_reads().await.unwrap(), 0);
    no_read_waiting(&reads).await;
    assert_eq!(settled().await, before + 10 * shown, "each read moved once");
    // The ten reads showed the same people: one set, written once by the four settlers.
    let sets: Vec<(i64, i64)> = query_all(
        &app.store,
        "SELECT s.id, (SELECT COUNT(*) FROM audit_person_shown m WHERE m.set_id = s.id) \
         FROM audit_people_shown s",
    )
    .await;
    assert_eq!(sets.len(), 1, "{sets:?}");
    assert_eq!(sets[0].1, shown);
    // The audit trail's page, right after a read.
    assert_eq!(app.get("/api/me/queue").await.status(), 200);
    app.login_as(Role::Admin).await;
    let page = app
        .get("/admin/journal?action=contact_details_read")
        .await
        .text()
        .await
        .unwrap();
    no_read_waiting(&reads).await;
    assert!(page.contains("api_queue"), "{page}");
}

/// Reads of the same queue keep its people once (migration 0037): one audit row per read,
/// about one set of people whatever their order, and one row per person and read through
/// `audit_trail`, which the journal and a person's export read. A set goes with the last
/// read that showed it (retention), and not before.
async fn the_people_shown_are_kept_once_and_go_with_their_last_read(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login(&email, TEST_PASSWORD).await;
    settle_all(&app).await;
    let week = IsoWeek::current().to_string();
    let mine: Vec<(i64, String)> = query_all(
        &app.store,
        &format!(
            "SELECT b.id, b.external_ref FROM assignments a \
             JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id = 1 AND a.week = '{week}' AND a.status = 'open' \
             AND b.status = 'active' ORDER BY b.id"
        ),
    )
    .await;
    assert!(mine.len() > 5);
    assert_eq!(app.get("/api/me/queue").await.status(), 200);
    assert_eq!(app.get("/appels").await.status(), 200);
    assert_eq!(app.get("/api/me/queue").await.status(), 200);
    // The same people in another order, recorded as the queue records them.
    let user_id = scalar(&app.store, "SELECT id FROM users WHERE caller_id = 1").await;
    let reversed = lien::store::ContactRead {
        at: chrono::Utc::now(),
        user_id,
        beneficiary_ids: mine.iter().rev().map(|(id, _)| *id).collect(),
        context: "api_queue",
    };
    app.store
        .record_contact_read_batch(&[reversed])
        .await
        .unwrap();
    settle_all(&app).await;
    let reads: Vec<(String, i64)> = query_all(
        &app.store,
        "SELECT subject_type, subject_id FROM audit_events \
         WHERE action = 'contact_details_read' AND actor_user_id IS NOT NULL",
    )
    .await;
    assert_eq!(reads.len(), 4, "one row per read: {reads:?}");
    assert!(
        reads.iter().all(|read| *read == reads[0]),
        "one set: {reads:?}"
    );
    assert_eq!(reads[0].0, "people_shown");
    let set = reads[0].1;
    let people: Vec<(i64,)> = query_all(
        &app.store,
        &format!("SELECT beneficiary_id FROM audit_person_shown WHERE set_id = {set} ORDER BY 1"),
    )
    .await;
    assert_eq!(
        people,
        mine.iter().map(|(id, _)| (*id,)).collect::<Vec<_>>()
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_trail WHERE action = 'contact_details_read'"
        )
        .await,
        4 * mine.len() as i64,
        "one row per person and read, as the trail's readers see it"
    );
    // The journal and the export of one of them count each read.
    let (_, reference) = &mine[2];
    let filter = lien::store::JournalFilter {
        person: Some(reference.clone()),
        action: Some("contact_details_read".into()),
        ..Default::default()
    };
    let (lines, total) = app.store.journal(&filter, 50, 0).await.unwrap();
    assert_eq!(total, 4);
    assert!(lines
        .iter()
        .all(|l| l.subject_type == "beneficiary" && l.subject_id == Some(mine[2].0)));
    let export = app
        .store
        .export_person(reference, "cli:test")
        .await
        .unwrap();
    let read_lines = export
        .audit_events
        .iter()
        .filter(|e| e.action == "contact_details_read")
        .count();
    assert_eq!(read_lines, 4);
    // Another set, read later; the first set's reads made old; the purge keeps the new.
    let other = lien::store::ContactRead {
        at: chrono::Utc::now(),
        user_id,
        beneficiary_ids: vec![mine[0].0, mine[1].0],
        context: "api_queue",
    };
    app.store.record_contact_read_batch(&[other]).await.unwrap();
    settle_all(&app).await;
    execute(
        &app.store,
        &format!(
            "UPDATE audit_events SET at = '2020-01-01T00:00:00Z' \
             WHERE subject_type = 'people_shown' AND subject_id = {set}"
        ),
    )
    .await
    .unwrap();
    let sets = || scalar(&app.store, "SELECT COUNT(*) FROM audit_people_shown");
    let members = || scalar(&app.store, "SELECT COUNT(*) FROM audit_person_shown");
    assert_eq!((sets().await, members().await), (2, mine.len() as i64 + 2));
    let limits = lien::records::retention::Retention::default();
    let now = chrono::Utc::now();
    let report = app.store.purge(&limits, now, true).await.unwrap();
    assert!(report.audit_events >= 4, "{report:?}");
    assert_eq!(sets().await, 2, "a dry run changes nothing");
    app.store.purge(&limits, now, false).await.unwrap();
    assert_eq!(
        (sets().await, members().await),
        (1, 2),
        "the old set went with its reads"
    );
    let left: Vec<(i64,)> = query_all(
        &app.store,
        "SELECT subject_id FROM audit_trail WHERE action = 'contact_details_read' ORDER BY 1",
    )
    .await;
    assert_eq!(left, vec![(mine[0].0,), (mine[1].0,)]);
}

/// PostgreSQL: reading the trail waits for the reads another server is moving at that
/// moment (held here by a transaction that locks them as a settling does) instead of
/// skipping them, so the journal read right after a queue read holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_postgres_tests),
    ignore = "PostgreSQL suite skipped: set LIEN_TEST_POSTGRES_URL to run it"
)]
async fn postgres_the_trail_waits_for_the_reads_being_moved() {
    let (app, email) = planned_demo_app(Backend::Postgres).await;
    app.login(&email, TEST_PASSWORD).await;
    settle_all(&app).await;
    let week = IsoWeek::current().to_string();
    let reference: Vec<(String,)> = query_all(
        &app.store,
        &format!(
            "SELECT b.external_ref FROM assignments a \
             JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id = 1 AND a.week = '{week}' AND a.status = 'open' \
             AND b.status = 'active' ORDER BY a.id LIMIT 1"
        ),
    )
    .await;
    let filter = lien::store::JournalFilter {
        person: Some(reference[0].0.clone()),
        action: Some("contact_details_read".into()),
        ..Default::default()
    };
    let before = app.store.journal(&filter, 10, 0).await.unwrap().1;
    // A read, held as a settling holds it; the server's own settling may move it first:
    // then another.
    let mut reads = 0;
    let holder = loop {
        assert_eq!(app.get("/api/me/queue").await.status(), 200);
        reads += 1;
        let mut tx = app.store.begin().await.unwrap();
        let held: Vec<(i64,)> = lien::store::query_as("SELECT id FROM contact_reads FOR UPDATE")
            .fetch_all(&mut tx)
            .await
            .unwrap();
        if !held.is_empty() {
            break tx;
        }
        app.store.settle_contact_reads().await.unwrap();
    };
    let store = app.store.clone();
    let reading = tokio::spawn(async move { store.journal(&filter, 10, 0).await.unwrap().1 });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !reading.is_finished(),
        "the journal waits for the read being moved"
    );
    holder.commit().await.unwrap();
    let after = reading.await.unwrap();
    assert_eq!(after, before + reads, "each read is in the journal");
}

/// Settles, then checks that no read is left in `contact_reads` (on PostgreSQL the
/// settling waits for a read the server's own settling is moving at that moment).
async fn settle_all(app: &TestApp) {
    app.store.settle_contact_reads().await.unwrap();
    no_read_waiting(&app.store.reads_store().await.unwrap()).await;
}

/// No read is left in `contact_reads`. The server's own settling, every two seconds, may
/// be committing the last batch at that moment (on PostgreSQL a settling then skips its
/// rows): it is given up to four seconds.
async fn no_read_waiting(reads: &lien::store::Store) {
    let waiting = || scalar(reads, "SELECT COUNT(*) FROM contact_reads");
    for _ in 0..200 {
        if waiting().await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(waiting().await, 0, "reads left waiting");
}

/// Settles until the database refuses the batch. The server's own settling, every two
/// seconds, may hold the batch at that moment (SQLite: another settler moved first;
/// PostgreSQL: its rows are skipped, then waited for): nothing may be moved meanwhile.
async fn settle_until_refused(app: &TestApp) -> lien::store::StoreError {
    for _ in 0..200 {
        match app.store.settle_contact_reads().await {
            Err(e) => return e,
            Ok(moved) => assert_eq!(moved, 0, "a batch with a damaged read was moved"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the damaged read was never refused");
}

/// Settling writes each read's rows as the read was recorded (when, by whom, about whom,
/// on which screen), whatever the size of its id list. A read whose people are not a
/// list of ids (a damaged row) stops its batch: settling fails, nothing of the batch is
/// moved or lost, and once the row is mended the batch goes through.
async fn a_read_is_settled_as_written_and_a_damaged_one_stops_its_batch(backend: Backend) {
    let app = spawn_app(backend).await;
    app.store.settle_contact_reads().await.unwrap();
    let reads = app.store.reads_store().await.unwrap();
    let count = "SELECT COUNT(*) FROM audit_events";
    let before = scalar(&app.store, count).await;
    let last = scalar(&app.store, "SELECT COALESCE(MAX(id), 0) FROM audit_events").await;
    execute(
        &reads,
        "INSERT INTO contact_reads (at, user_id, context, beneficiary_ids) VALUES \
         ('2026-12-01T08:00:00+00:00', NULL, 'api_queue', '9000000000,7'), \
         ('2026-12-01T09:00:00+00:00', NULL, 'queue', '7,x'), \
         ('2026-12-01T10:00:00+00:00', NULL, 'queue', '12')",
    )
    .await
    .unwrap();
    let err = settle_until_refused(&app).await;
    assert!(
        err.to_string().contains("beneficiary_ids"),
        "a damaged read is named: {err}"
    );
    assert_eq!(
        scalar(&reads, "SELECT COUNT(*) FROM contact_reads").await,
        3
    );
    assert_eq!(
        scalar(&app.store, count).await,
        before,
        "nothing of the batch is written"
    );
    execute(
        &reads,
        "UPDATE contact_reads SET beneficiary_ids = '7,8' WHERE beneficiary_ids = '7,x'",
    )
    .await
    .unwrap();
    // The server's own settling may move them first: either way, once and all.
    let mut moved = 0;
    for _ in 0..200 {
        moved += app.store.settle_contact_reads().await.unwrap();
        if scalar(&reads, "SELECT COUNT(*) FROM contact_reads").await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(moved <= 3, "{moved} reads moved for 3");
    assert_eq!(
        scalar(&reads, "SELECT COUNT(*) FROM contact_reads").await,
        0
    );
    type Settled = (i64, String, String, String, chrono::DateTime<chrono::Utc>);
    let rows: Vec<Settled> = query_all(
        &app.store,
        &format!(
            "SELECT subject_id, detail, actor_label, subject_type, at FROM audit_trail \
             WHERE action = 'contact_details_read' AND actor_user_id IS NULL AND id > {last} \
             ORDER BY subject_id, at"
        ),
    )
    .await;
    let at = |h: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
    };
    let expected = [
        (7, "api_queue", at(8)),
        (7, "queue", at(9)),
        (8, "queue", at(9)),
        (12, "queue", at(10)),
        (9_000_000_000, "api_queue", at(8)),
    ];
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    for (row, (id, screen, when)) in rows.iter().zip(expected) {
        assert_eq!(
            (row.0, row.1.as_str(), row.2.as_str()),
            (id, screen, "user")
        );
        assert_eq!((row.3.as_str(), row.4), ("beneficiary", when));
    }
}

/// Settling moves the reads waiting a few hundred at most per transaction (on SQLite
/// the calls recorded meanwhile wait for one such transaction, not for every read
/// waiting): a damaged read stops its own transaction, the reads before it are moved,
/// once; mended, the rest follows.
async fn reads_are_moved_a_transaction_at_a_time(backend: Backend) {
    let test = crate::helpers::fresh_store(backend).await;
    let store = &test.store;
    let per = store.reads_settled_per_transaction();
    let journal = store.reads_store().await.unwrap();
    let all = 3 * per;
    let values = vec!["('2026-12-01T08:00:00+00:00', NULL, 'queue', '11,12')"; all].join(", ");
    let insert = format!(
        "INSERT INTO contact_reads (at, user_id, context, beneficiary_ids) VALUES {values}"
    );
    execute(&journal, &insert).await.unwrap();
    let damage = "UPDATE contact_reads SET beneficiary_ids = '11,x' \
                  WHERE id = (SELECT MAX(id) FROM contact_reads)";
    execute(&journal, damage).await.unwrap();
    let err = store.settle_contact_reads().await.unwrap_err();
    assert!(err.to_string().contains("beneficiary_ids"), "{err}");
    // Two people a read; the damaged read's transaction holds at most `per` reads.
    let moved = read_rows(store).await as usize / 2;
    assert!(
        moved >= all - per && moved < all,
        "{moved} of {all} reads moved before the damaged one, {per} at most a transaction"
    );
    execute(
        &journal,
        "UPDATE contact_reads SET beneficiary_ids = '11,12' WHERE beneficiary_ids = '11,x'",
    )
    .await
    .unwrap();
    assert_eq!(
        store.settle_contact_reads().await.unwrap() as usize,
        all - moved
    );
    assert_eq!(
        read_rows(store).await as usize,
        2 * all,
        "each read moved once"
    );
    assert_eq!(store.settle_contact_reads().await.unwrap(), 0);
    assert_eq!(
        scalar(&journal, "SELECT COUNT(*) FROM contact_reads").await,
        0
    );
}

/// A read of people 11 and 12 by no account, as the queue records it.
fn a_read() -> lien::store::ContactRead {
    lien::store::ContactRead {
        at: chrono::Utc::now(),
        user_id: 0,
        beneficiary_ids: vec![11, 12],
        context: "api_queue",
    }
}

/// The audit rows of reads in a store.
async fn read_rows(store: &lien::store::Store) -> i64 {
    scalar(
        store,
        "SELECT COUNT(*) FROM audit_trail WHERE action = 'contact_details_read'",
    )
    .await
}

/// The file of an SQLite test database.
fn sqlite_file(url: &str) -> std::path::PathBuf {
    url.trim_start_matches("sqlite://").into()
}

/// SQLite records the reads in a file beside the database, which belongs to it. A lost
/// reads file is made again, and its ids start past the reads already moved (none of
/// its reads is taken for one moved before); a reads file left by another database (the
/// database file replaced) has its reads dropped, never moved into this one's trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_reads_file_belongs_to_its_database() {
    let first = crate::helpers::fresh_store(Backend::Sqlite).await;
    let reads_file = |url: &str| {
        let mut name = sqlite_file(url).into_os_string();
        name.push("-reads");
        std::path::PathBuf::from(name)
    };
    let store = &first.store;
    store
        .record_contact_read_batch(&[a_read(), a_read()])
        .await
        .unwrap();
    assert_eq!(store.settle_contact_reads().await.unwrap(), 2);
    assert_eq!(read_rows(store).await, 4);
    store.close().await;
    // Lost: the next read gets an id past the two moved, and is moved.
    std::fs::remove_file(reads_file(&first.db.url)).unwrap();
    let store = lien::store::Store::open(&first.db.url).await.unwrap();
    store.record_contact_read_batch(&[a_read()]).await.unwrap();
    assert_eq!(store.settle_contact_reads().await.unwrap(), 1);
    assert_eq!(read_rows(&store).await, 6);
    // Left behind: a read not moved yet, its file found beside another database.
    store.record_contact_read_batch(&[a_read()]).await.unwrap();
    store.close().await;
    let second = crate::helpers::fresh_store(Backend::Sqlite).await;
    second.store.close().await;
    std::fs::copy(reads_file(&first.db.url), reads_file(&second.db.url)).unwrap();
    let store = lien::store::Store::open(&second.db.url).await.unwrap();
    let reads = store.reads_store().await.unwrap();
    assert_eq!(
        scalar(&reads, "SELECT COUNT(*) FROM contact_reads").await,
        0
    );
    assert_eq!(store.settle_contact_reads().await.unwrap(), 0);
    assert_eq!(read_rows(&store).await, 0, "another database's reads");
    // Its own reads go on as usual.
    store.record_contact_read_batch(&[a_read()]).await.unwrap();
    assert_eq!(store.settle_contact_reads().await.unwrap(), 1);
    assert_eq!(read_rows(&store).await, 2);
    store.close().await;
}

/// Issue 16: PostgreSQL planned the queue's statements again at every read (a custom
/// plan for each caller and week, estimated cheaper than the generic one), which cost
/// the server more than running them. Read on one connection, the statements are
/// planned for the values given five times (PostgreSQL's rule), then the connection
/// keeps one plan; the rows are the same at every read. SQLite plans a prepared
/// statement once: there the reads are compared only.
async fn a_callers_queue_is_planned_once_per_connection(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let week = IsoWeek::current();
    // On PostgreSQL, a store of one connection: every statement runs on it, whatever
    // the other tests of the process are doing.
    let one_connection = match &app.store {
        Store::Sqlite(..) => None,
        Store::Postgres(pool) => {
            // The statistics autovacuum gathers on a live database: without them every
            // estimate is a default, the same for any value, and no custom plan is
            // cheaper.
            execute(&app.store, "ANALYZE").await.unwrap();
            let options = (*pool.connect_options()).clone();
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .unwrap();
            Some(Store::Postgres(pool))
        }
    };
    let store = one_connection.as_ref().unwrap_or(&app.store);
    let ids = |rows: &[QueueRow]| rows.iter().map(|r| r.assignment_id).collect::<Vec<_>>();
    let mut reads = Vec::new();
    for _ in 0..8 {
        let queue = store.caller_queue(1, week).await.unwrap();
        let (page, progress) = store.caller_queue_and_progress(1, week).await.unwrap();
        reads.push((ids(&queue), ids(&page), progress.assigned));
    }
    assert!(!reads[0].0.is_empty(), "caller 1 has people this week");
    assert_eq!(
        reads[0].0, reads[0].1,
        "the API and the page show the same people"
    );
    assert!(reads.iter().all(|r| r == &reads[0]), "{reads:?}");
    if let Some(store) = &one_connection {
        let plans: Vec<(i64, i64)> = query_as(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE '%AS assignment_id%' \
             AND statement NOT LIKE '%pg_prepared_statements%' ORDER BY statement",
        )
        .fetch_all(store)
        .await
        .unwrap();
        assert_eq!(
            plans,
            vec![(3, 5), (3, 5)],
            "the API's and the page's statements: five custom plans, then the generic one"
        );
    }
}
