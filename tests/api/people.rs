//! Finding one person and acting on them (`/coordination/personnes`, `lien people
//! search|show|handover`): every search key, the audit without the text, each change
//! and its effect on the current week's queues, the optimistic check, refusals that
//! change nothing.

use chrono::Duration;
use lien::domain::time::today_in_paris;
use lien::domain::{CampaignName, IsoWeek, Role};
use lien::store::{ErasureRequest, PlanMode};

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{form_value, planned_demo_app, query_all, scalar, text, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    search_finds_people_by_every_key_and_never_the_erased,
    person_page_shows_the_file_and_is_audited,
    changes_take_effect_in_this_weeks_queues,
    handover_from_now_on_is_kept_by_next_weeks_plan,
    stale_and_refused_changes_change_nothing,
    cli_twins_search_show_and_hand_over,
);

async fn coordinator_app(backend: Backend) -> TestApp {
    let (app, _) = planned_demo_app(backend).await;
    app.login_as(Role::Coordinator).await;
    app
}

/// Posts the search form; gives the page.
async fn search(app: &TestApp, q: &str, key: &str) -> String {
    let form = app
        .get("/coordination/personnes")
        .await
        .text()
        .await
        .unwrap();
    let csrf = form_value(&form, "csrf");
    let response = app
        .client
        .post(format!("{}/coordination/personnes", app.address))
        .form(&[("csrf", csrf.as_str()), ("q", q), ("key", key)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "search {key}");
    response.text().await.unwrap()
}

fn found(page: &str) -> i64 {
    let marker = " personne(s) trouvée(s)";
    let end = page.find(marker).expect("a count of results");
    let start = page[..end].rfind('>').unwrap() + 1;
    page[start..end].trim().parse().unwrap()
}

/// Posts one change of the person's page, with the version the page shows.
async fn change(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = person_page(app, id).await;
    change_with(app, id, &form_value(&page, "version"), &page, fields).await
}

async fn change_with(
    app: &TestApp,
    id: i64,
    version: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = form_value(page, "csrf");
    let mut form = vec![("csrf", csrf.as_str()), ("version", version)];
    form.extend_from_slice(fields);
    app.client
        .post(format!("{}/coordination/personnes/{id}", app.address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn person_page(app: &TestApp, id: i64) -> String {
    let response = app.get(&format!("/coordination/personnes/{id}")).await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// People with an open assignment of this week with caller 1, speaking French.
async fn people_of_caller_one(app: &TestApp) -> Vec<i64> {
    let week = IsoWeek::current();
    query_all::<(i64,)>(
        &app.store,
        &format!(
            "SELECT a.beneficiary_id FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.caller_id = 1 AND a.week = '{week}' AND a.status = 'open' \
             AND b.preferred_language = 'fr' ORDER BY a.beneficiary_id"
        ),
    )
    .await
    .into_iter()
    .map(|(id,)| id)
    .collect()
}

/// Active French-speaking callers other than caller 1, with no absence: (id, email).
async fn other_callers(app: &TestApp) -> Vec<(i64, String)> {
    query_all(
        &app.store,
        "SELECT id, email FROM callers WHERE active = TRUE AND id <> 1 AND languages LIKE '%fr%' \
         AND id NOT IN (SELECT caller_id FROM caller_absences) ORDER BY id",
    )
    .await
}

async fn queue_ids(app: &TestApp, caller: i64, on: chrono::NaiveDate) -> Vec<i64> {
    app.store
        .caller_queue_on(caller, IsoWeek::current(), on)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.beneficiary_id)
        .collect()
}

async fn search_finds_people_by_every_key_and_never_the_erased(backend: Backend) {
    let app = coordinator_app(backend).await;
    // 80-0000001: Vincent Laëtitia, 01 99 00 83 75, Ham; relative 06 39 98 61 98.
    let reference = "80-0000001";
    for (q, key) in [
        ("LAETITIA vincent", "name"),
        ("VINCENT laëtitia", "any"),
        ("80-0000001", "reference"),
        ("80-0000001", "any"),
        ("01 99 00 83 75", "phone"),
        ("+33199008375", "any"),
        ("0033 1 99 00 83 75", "phone"),
        ("06.39.98.61.98", "any"),
    ] {
        let page = search(&app, q, key).await;
        assert!(
            page.contains(&format!("<td>{reference}</td>")),
            "{q} in {key}: {}",
            found(&page)
        );
    }
    let ham = scalar(
        &app.store,
        "SELECT COUNT(*) FROM beneficiaries WHERE commune = 'Ham'",
    )
    .await;
    assert_eq!(found(&search(&app, "HAM", "commune").await), ham);
    let valery = scalar(
        &app.store,
        "SELECT COUNT(*) FROM beneficiaries WHERE commune = 'Saint-Valery-sur-Somme'",
    )
    .await;
    assert!(valery > 0);
    assert_eq!(
        found(&search(&app, "saint valéry SUR somme", "commune").await),
        valery
    );
    // An erased person is never found, by any key.
    let before = search(&app, "80-0000003", "reference").await;
    assert!(before.contains("<td>80-0000003</td>"));
    app.store
        .erase_person(&ErasureRequest {
            external_ref: "80-0000003",
            reason: "demande du 30/11",
            actor_label: "test",
        })
        .await
        .unwrap();
    for (q, key) in [
        ("80-0000003", "any"),
        ("Brunet Marie", "name"),
        ("06 39 98 11 40", "phone"),
    ] {
        let page = search(&app, q, key).await;
        assert!(!page.contains("<td>80-0000003</td>"), "{q}");
    }
    assert_eq!(found(&search(&app, "80-0000003", "reference").await), 0);
    // Every search audited with its key and count, never its text.
    let audits: Vec<(String,)> = query_all(
        &app.store,
        "SELECT detail FROM audit_events WHERE action = 'people_searched' ORDER BY id",
    )
    .await;
    assert_eq!(audits.len(), 15);
    assert_eq!(audits[4].0, "key=phone results=1");
    for (detail,) in &audits {
        assert!(detail.starts_with("key="), "{detail}");
        for secret in [
            "laetitia", "80-0000", "99 00", "+33", "ham", "valery", "brunet",
        ] {
            assert!(!detail.to_lowercase().contains(secret), "{detail}");
        }
    }
}

async fn person_page_shows_the_file_and_is_audited(backend: Backend) {
    let app = coordinator_app(backend).await;
    let id = people_of_caller_one(&app).await[0];
    let caller_email = text(&app.store, "SELECT email FROM callers WHERE id = 1").await;
    let reference = text(
        &app.store,
        &format!("SELECT external_ref FROM beneficiaries WHERE id = {id}"),
    )
    .await;
    let page = person_page(&app, id).await;
    for expected in [
        reference.as_str(),
        caller_email.as_str(),
        "Appelant de cette semaine",
        "Historique des changements",
        IsoWeek::current().to_string().as_str(),
    ] {
        assert!(page.contains(expected), "{expected}");
    }
    let english = app
        .get(&format!("/coordination/personnes/{id}?lang=en"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        english.contains("This week’s caller") && english.contains("Hand over to another caller")
    );
    let viewed = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'person_viewed' \
             AND subject_type = 'beneficiary' AND subject_id = {id} AND detail IS NULL"
        ),
    )
    .await;
    assert_eq!(viewed, 2);
    assert_eq!(
        app.get("/coordination/personnes/99999999").await.status(),
        404
    );
}

async fn changes_take_effect_in_this_weeks_queues(backend: Backend) {
    let app = coordinator_app(backend).await;
    let people = people_of_caller_one(&app).await;
    let (corrected, paused, handed, opted) = (people[0], people[1], people[2], people[3]);
    let today = today_in_paris();
    let reason = ("reason", "appel de la fille");
    // A corrected phone is the one the caller sees.
    let done = change(
        &app,
        corrected,
        &[
            ("action", "phone"),
            ("position", "0"),
            ("phone", "06 11 22 33 44"),
            reason,
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    let queue = app.store.caller_queue(1, IsoWeek::current()).await.unwrap();
    let row = queue
        .iter()
        .find(|r| r.beneficiary_id == corrected)
        .unwrap();
    assert_eq!(row.phones[0], "+33611223344");
    // A paused person leaves the queue until the date, and comes back after it.
    let until = today + Duration::days(2);
    let done = change(
        &app,
        paused,
        &[("action", "pause"), ("until", &until.to_string()), reason],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(!queue_ids(&app, 1, today).await.contains(&paused));
    assert!(!queue_ids(&app, 1, until).await.contains(&paused));
    assert!(queue_ids(&app, 1, until + Duration::days(1))
        .await
        .contains(&paused));
    // Handed over this week: in the new caller's queue, no longer in the old one's.
    let (to_id, to_email) = other_callers(&app).await.remove(0);
    let done = change(
        &app,
        handed,
        &[
            ("action", "handover"),
            ("caller", &to_email),
            ("scope", "week"),
            reason,
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(!queue_ids(&app, 1, today).await.contains(&handed));
    assert!(queue_ids(&app, to_id, today).await.contains(&handed));
    // Opted out: out of the queue, on the suppression list, and final.
    let keys = app.store.suppression_count().await.unwrap();
    let done = change(&app, opted, &[("action", "opt_out"), reason]).await;
    assert_eq!(done.status(), 303);
    assert!(!queue_ids(&app, 1, today).await.contains(&opted));
    assert!(app.store.suppression_count().await.unwrap() > keys);
    // The page of a final status has no forms left; a save posted anyway is refused.
    let page = person_page(&app, opted).await;
    assert!(page.contains("Ce statut est définitif") && !page.contains("name=\"version\""));
    let version = app.store.person_version(opted).await.unwrap().unwrap();
    let refused = change_with(
        &app,
        opted,
        &version,
        &page,
        &[("action", "pause"), ("until", &until.to_string()), reason],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("ce statut est définitif"));
    // Each change audited with its reason, and shown in the person's history.
    let audited = scalar(
        &app.store,
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('person_phone_changed', \
         'person_paused', 'person_handed_over', 'person_opted_out') \
         AND detail LIKE '%reason: appel de la fille'",
    )
    .await;
    assert_eq!(audited, 4);
    let page = person_page(&app, paused).await;
    assert!(page.contains("Mise en pause") && page.contains(&until.format("%d/%m/%Y").to_string()));
}

async fn handover_from_now_on_is_kept_by_next_weeks_plan(backend: Backend) {
    let app = coordinator_app(backend).await;
    let person = people_of_caller_one(&app).await[0];
    let (to_id, to_email) = other_callers(&app).await.remove(1);
    let done = change(
        &app,
        person,
        &[
            ("action", "handover"),
            ("caller", &to_email),
            ("scope", "from_now_on"),
            ("reason", "souhait de la personne"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(queue_ids(&app, to_id, today_in_paris())
        .await
        .contains(&person));
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let next = IsoWeek::current().next();
    app.store
        .plan_week(&campaign, next, PlanMode::Plan, false)
        .await
        .unwrap();
    let caller = scalar(
        &app.store,
        &format!(
            "SELECT caller_id FROM assignments WHERE beneficiary_id = {person} AND week = '{next}'"
        ),
    )
    .await;
    assert_eq!(caller, to_id);
}

async fn stale_and_refused_changes_change_nothing(backend: Backend) {
    let app = coordinator_app(backend).await;
    let people = people_of_caller_one(&app).await;
    let person = people[0];
    let territories: Vec<(i64,)> =
        query_all(&app.store, "SELECT id FROM territories ORDER BY id").await;
    let page = person_page(&app, person).await;
    let version = form_value(&page, "version");
    let first = territories[0].0.to_string();
    let second = territories[1].0.to_string();
    let reason = ("reason", "déménagement");
    let done = change_with(
        &app,
        person,
        &version,
        &page,
        &[("action", "territory"), ("territory", &first), reason],
    )
    .await;
    assert_eq!(done.status(), 303);
    // A second save from the same page (the version shown) is refused.
    let stale = change_with(
        &app,
        person,
        &version,
        &page,
        &[("action", "territory"), ("territory", &second), reason],
    )
    .await;
    assert_eq!(stale.status(), 409);
    assert!(stale
        .text()
        .await
        .unwrap()
        .contains("modifiée par quelqu’un d’autre"));
    let territory_sql = format!("SELECT territory_id FROM beneficiaries WHERE id = {person}");
    assert_eq!(scalar(&app.store, &territory_sql).await, territories[0].0);
    // Refusals: no reason, a past pause, an inactive or absent caller. Nothing moves.
    let callers = other_callers(&app).await;
    let (inactive, absent) = (&callers[0], &callers[1]);
    crate::helpers::execute(
        &app.store,
        &format!(
            "UPDATE callers SET active = FALSE WHERE id = {}",
            inactive.0
        ),
    )
    .await
    .unwrap();
    let week = IsoWeek::current();
    crate::helpers::execute(
        &app.store,
        &format!(
            "INSERT INTO caller_absences (caller_id, starts_on, ends_on) VALUES ({}, '{}', '{}')",
            absent.0,
            today_in_paris() - Duration::days(1),
            week.sunday()
        ),
    )
    .await
    .unwrap();
    let yesterday = (today_in_paris() - Duration::days(1)).to_string();
    let before = snapshot(&app, person).await;
    for (fields, sentence) in [
        (
            vec![
                ("action", "pause"),
                ("until", "2099-01-01"),
                ("reason", " "),
            ],
            "Indiquez le motif",
        ),
        (
            vec![("action", "pause"), ("until", yesterday.as_str()), reason],
            "date de fin de pause est passée",
        ),
        (
            vec![
                ("action", "handover"),
                ("caller", inactive.1.as_str()),
                ("scope", "week"),
                reason,
            ],
            "n’est plus actif",
        ),
        (
            vec![
                ("action", "handover"),
                ("caller", absent.1.as_str()),
                ("scope", "from_now_on"),
                reason,
            ],
            "absent tout le reste de la semaine",
        ),
        (
            vec![
                ("action", "phone"),
                ("position", "new"),
                ("phone", "12"),
                reason,
            ],
            "numéro de téléphone n’est pas valable",
        ),
    ] {
        let refused = change(&app, person, &fields).await;
        assert_eq!(refused.status(), 422, "{sentence}");
        assert!(
            refused.text().await.unwrap().contains(sentence),
            "{sentence}"
        );
    }
    assert_eq!(snapshot(&app, person).await, before);
}

/// What a change could touch: the person's row and phones, their assignments.
async fn snapshot(app: &TestApp, id: i64) -> Vec<(String,)> {
    query_all(
        &app.store,
        &format!(
            "SELECT CAST(updated_at AS TEXT) || COALESCE(CAST(paused_until AS TEXT), '-') \
             || COALESCE(CAST(continuity_caller_id AS TEXT), '-') FROM beneficiaries WHERE id = {id} \
             UNION ALL SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = {id} \
             UNION ALL SELECT CAST(caller_id AS TEXT) FROM assignments WHERE beneficiary_id = {id}"
        ),
    )
    .await
}

async fn cli_twins_search_show_and_hand_over(backend: Backend) {
    let (app, _) = planned_demo_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let url = app._db.url.clone();
    let found = stdout_json(&run(lien(dir.path()).env("DATABASE_URL", &url).args([
        "people",
        "search",
        "06 39 98 61 98",
        "--json",
        "--by",
        "dpo",
    ])));
    assert_eq!(found["key"], "phone");
    assert_eq!(found["total"], 1);
    assert_eq!(found["hits"][0]["external_ref"], "80-0000001");
    let person = people_of_caller_one(&app).await[0];
    let reference = text(
        &app.store,
        &format!("SELECT external_ref FROM beneficiaries WHERE id = {person}"),
    )
    .await;
    let shown = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &url)
        .args(["people", "show", &reference, "--json"])));
    assert_eq!(shown["person"]["id"], person);
    assert_eq!(shown["weeks"][0]["caller_id"], 1);
    let (to_id, to_email) = other_callers(&app).await.remove(0);
    let handed = stdout_json(&run(lien(dir.path()).env("DATABASE_URL", &url).args([
        "people",
        "handover",
        &reference,
        "--to",
        &to_email,
        "--from-now-on",
        "--json",
        "--by",
        "dpo",
    ])));
    assert_eq!(handed["from_now_on"], true);
    let continuity = scalar(
        &app.store,
        &format!("SELECT continuity_caller_id FROM beneficiaries WHERE id = {person}"),
    )
    .await;
    assert_eq!(continuity, to_id);
    let audited: Vec<(String, String)> = query_all(
        &app.store,
        "SELECT action, actor_label FROM audit_events WHERE action IN \
         ('people_searched', 'person_viewed', 'person_handed_over') ORDER BY id",
    )
    .await;
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["people_searched", "person_viewed", "person_handed_over"]
    );
    assert_eq!(audited[0].1, "cli:dpo");
    // A refusal exits non-zero with its sentence, and changes nothing.
    let refused = run(lien(dir.path()).env("DATABASE_URL", &url).args([
        "people",
        "handover",
        &reference,
        "--to",
        "nobody@example.org",
    ]));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("Aucun appelant"));
}
