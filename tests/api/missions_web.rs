//! Volunteer missions, the coordinators' side (issue 17): the page shows the shares, the
//! reasons and the proof after a run; proposals are confirmed (some), each with its
//! basis, and their intro mails reach the SMTP sink with only what each side needs; a
//! proposal on a need that changed is refused with the difference shown; hours past the
//! month's allowance are refused with the remaining time; the time report's CSV adds
//! mission hours and phone calls under one person.

use chrono::{Datelike, NaiveDate};
use lien::domain::{IsoWeek, Role};

use crate::helpers::{
    execute, form_value, planned_demo_app, query_all, scalar, spawn_app, text, Backend, TestApp,
    TEST_PASSWORD,
};
use crate::mail::{drain, worker_to};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;

on_both_backends!(
    the_page_shows_shares_reasons_and_the_proof_after_a_run,
    confirming_some_proposals_mails_both_sides_only_what_they_need,
    a_proposal_on_a_changed_need_is_refused_with_the_difference,
    hours_past_the_allowance_are_refused_with_the_time_remaining,
    the_mission_day_setting_sets_the_allowance,
    the_time_report_joins_calls_and_missions_and_its_csv_adds_up,
);

const ALICE: &str = "alice.agent@example.org";
const BOB: &str = "bob.student@example.org";
const CONTACT: &str = "accueil@tilleuls.example.org";

/// A recent week whose seven days are in one month (the allowance is monthly).
fn week_in_one_month() -> IsoWeek {
    let mut week = IsoWeek::current();
    while week.monday().month() != week.sunday().month() {
        week = week.previous();
    }
    week
}

fn date_sql(backend: Backend, day: NaiveDate) -> String {
    match backend {
        Backend::Sqlite => format!("'{day}'"),
        Backend::Postgres => format!("CAST('{day}' AS DATE)"),
    }
}

/// Two establishments (one wants a qualification nobody holds) and two volunteers.
async fn seed(app: &TestApp) {
    for sql in [
        "INSERT INTO organisations (name, name_key, kind, email, phone, language) VALUES \
         ('Foyer Les Tilleuls', 'foyer les tilleuls', 'establishment', 'direction@tilleuls.example.org', '+33148000001', 'fr'), \
         ('Maison Arc-en-ciel', 'maison arc-en-ciel', 'establishment', 'contact@arc.example.org', NULL, 'en')",
        "INSERT INTO mission_needs (reference, organisation_id, establishment, address, postcode, \
         commune, email, phone, public, mission_kind, volunteers_wanted, weekly_minutes, slots, \
         qualifications) VALUES ('N1', (SELECT id FROM organisations WHERE name_key = 'foyer les tilleuls'), \
         'Foyer Les Tilleuls', '3 rue des Lilas', '93200', 'Saint-Denis', 'accueil@tilleuls.example.org', \
         '+33148000002', 'Enfants de 6 à 12 ans', 'Animation', 2, 360, \
         'lun 09:00-12:00, jeu 14:00-17:00', '')",
        "INSERT INTO mission_needs (reference, organisation_id, establishment, address, postcode, \
         commune, public, mission_kind, volunteers_wanted, weekly_minutes, slots, qualifications) \
         VALUES ('N2', (SELECT id FROM organisations WHERE name_key = 'maison arc-en-ciel'), \
         'Maison Arc-en-ciel', '1 place du Marché', '93100', 'Montreuil', 'Adolescents', \
         'Soutien scolaire', 1, 180, 'mer 14:00-17:00', 'plongee sous-marine')",
        "INSERT INTO volunteers (email, last_name, first_name, phone, origin, origin_structure, \
         qualifications, availability, postcode, commune, days_per_month_centi, manager_approved) \
         VALUES ('alice.agent@example.org', 'Martin', 'Alice', '+33611111111', 'agent', \
         'Service enfance', '', 'lun 09:00-12:00, jeu 14:00-17:00', '93000', 'Bobigny', 100, TRUE)",
        "INSERT INTO volunteers (email, last_name, first_name, phone, origin, origin_structure, \
         qualifications, availability, postcode, commune) VALUES ('bob.student@example.org', \
         'Durand', 'Bob', '+33622222222', 'school', 'IRTS Parmentier', '', \
         'lun 09:00-12:00, jeu 14:00-17:00, mer 14:00-17:00', '93100', 'Montreuil')",
    ] {
        execute(&app.store, sql).await.unwrap();
    }
}

/// A placement of `email` on `need` for `week`, in `state`, made on the need's version now.
async fn place(
    app: &TestApp,
    backend: Backend,
    week: IsoWeek,
    need: &str,
    email: &str,
    state: &str,
) -> i64 {
    let sql = format!(
        "INSERT INTO mission_placements (need_id, volunteer_id, week_start, minutes, state, reason, \
         need_version) SELECT n.id, v.id, {}, 360, '{state}', \
         '{{\"code\":\"qualified_and_free\",\"distance\":\"same_departement\",\"candidates\":2}}', n.version \
         FROM mission_needs n, volunteers v WHERE n.reference = '{need}' AND v.email = '{email}'",
        date_sql(backend, week.monday())
    );
    execute(&app.store, &sql).await.unwrap();
    scalar(
        &app.store,
        &format!(
            "SELECT p.id FROM mission_placements p JOIN volunteers v ON v.id = p.volunteer_id \
             JOIN mission_needs n ON n.id = p.need_id WHERE v.email = '{email}' AND n.reference = '{need}'"
        ),
    )
    .await
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Posts a form with the page's CSRF token; gives the redirect's target.
async fn post(app: &TestApp, path: &str, csrf: &str, fields: &[(&str, String)]) -> String {
    let mut form: Vec<(&str, String)> = vec![("csrf", csrf.to_string())];
    form.extend(fields.iter().cloned());
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{path}");
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn the_page_shows_shares_reasons_and_the_proof_after_a_run(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    app.login_as(Role::Coordinator).await;
    let week = week_in_one_month();
    let url = format!("/coordination/missions?week={week}");
    let before = page(&app, &url).await;
    assert!(before.contains("Aucune répartition lancée"), "no run yet");
    let csrf = form_value(&before, "csrf");
    let to = post(
        &app,
        "/coordination/missions/match",
        &csrf,
        &[("week", week.to_string())],
    )
    .await;
    assert!(to.contains("done=matched"), "{to}");

    let html = page(&app, &url).await;
    // Shares: the Tilleuls get both volunteers (2 × 6 h of 12 h wanted), the Arc-en-ciel
    // none (its need asks for a qualification nobody holds).
    assert!(html.contains("Foyer Les Tilleuls"));
    assert!(
        html.contains("<td>Foyer Les Tilleuls</td><td>12 h 00</td><td>12 h 00</td><td>100 %</td>"),
        "{html}"
    );
    assert!(html.contains("<td>Maison Arc-en-ciel</td><td>3 h 00</td><td>0 h 00</td><td>0 %</td>"));
    // Reasons, translated from their codes.
    assert!(html.contains("Aucun·e volontaire n’a toutes les qualifications requises"));
    assert!(
        html.contains("Seul·e volontaire")
            || html.contains("Choisi·e parmi les volontaires qualifiés"),
        "every proposal has its reason"
    );
    // The proof names the least-served organisation and the pool's split.
    assert!(html.contains("Preuve de l’égalité de traitement"));
    assert!(
        html.contains("Organisme le moins servi : Maison Arc-en-ciel (0 %)"),
        "{html}"
    );
    assert!(html.contains("sans une qualification requise"));
    let proposals = scalar(
        &app.store,
        "SELECT COUNT(*) FROM mission_placements WHERE state = 'proposed'",
    )
    .await;
    assert_eq!(proposals, 2);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'missions_matched'"
        )
        .await,
        1
    );

    let english = page(&app, &format!("{url}&lang=en")).await;
    assert!(english.contains("No volunteer holds every required qualification"));
    assert!(english.contains("Least-served organisation: Maison Arc-en-ciel (0 %)"));
}

async fn confirming_some_proposals_mails_both_sides_only_what_they_need(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let week = week_in_one_month();
    let alice = place(&app, backend, week, "N1", ALICE, "proposed").await;
    let bob = place(&app, backend, week, "N1", BOB, "proposed").await;
    app.login_as(Role::Coordinator).await;
    let url = format!("/coordination/missions?week={week}");
    let html = page(&app, &url).await;
    // Defaults from the origin: an agent is seconded, a student on a fixed-term contract.
    assert!(html.contains(&format!("name=\"basis-{alice}\"")));
    let csrf = form_value(&html, "csrf");
    let to = post(
        &app,
        "/coordination/missions/confirm",
        &csrf,
        &[
            ("week", week.to_string()),
            ("placement", alice.to_string()),
            (&format!("basis-{alice}"), "secondment".to_string()),
            (&format!("basis-{bob}"), "fixed_term".to_string()),
        ],
    )
    .await;
    assert!(to.contains("confirmed=1&refused=0"), "{to}");
    let states: Vec<(String, Option<String>)> = query_all(
        &app.store,
        "SELECT state, basis FROM mission_placements ORDER BY id",
    )
    .await;
    assert_eq!(
        states,
        [
            ("confirmed".to_string(), Some("secondment".to_string())),
            ("proposed".to_string(), None)
        ]
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'placement_confirmed'"
        )
        .await,
        1
    );

    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    assert_eq!((report.sent, report.failed), (2, 0));
    let received = sink.received();
    let mut to: Vec<String> = received.iter().flat_map(|m| m.recipients.clone()).collect();
    to.sort();
    assert_eq!(to, [CONTACT.to_string(), ALICE.to_string()]);
    for m in &received {
        let id = m.header("Message-ID").unwrap();
        assert!(id.starts_with(&format!("<mission-intro-{alice}-")), "{id}");
    }
    // What each side reads: the queued parts, as sent.
    let parts: Vec<(String, String, String, String)> = query_all(
        &app.store,
        "SELECT recipients, subject, body_text, COALESCE(body_html, '') FROM outbox ORDER BY id",
    )
    .await;
    let body = |who: &str| {
        let (_, subject, text, html) = parts.iter().find(|p| p.0 == who).unwrap();
        format!("{subject}\n{text}\n{html}")
    };
    let to_alice = body(ALICE);
    assert!(
        to_alice.contains(CONTACT) && to_alice.contains("+33148000002"),
        "{to_alice}"
    );
    assert!(to_alice.contains("3 rue des Lilas"));
    let to_home = body(CONTACT);
    assert!(
        to_home.contains("Alice Martin")
            && to_home.contains(ALICE)
            && to_home.contains("+33611111111")
    );
    for mail in [&to_alice, &to_home] {
        for private in [
            "Service enfance",
            "Bobigny",
            "93000",
            "Bob",
            "Durand",
            "IRTS",
            "+33622222222",
        ] {
            assert!(!mail.contains(private), "{private} in a mail:\n{mail}");
        }
    }

    // Signed, then ended, from the page; audited.
    let html = page(&app, &url).await;
    let csrf = form_value(&html, "csrf");
    for state in ["signed", "ended"] {
        let to = post(
            &app,
            &format!("/coordination/missions/placements/{alice}/state"),
            &csrf,
            &[("week", week.to_string()), ("state", state.to_string())],
        )
        .await;
        assert!(to.contains("done=state"), "{to}");
    }
    let to = post(
        &app,
        &format!("/coordination/missions/placements/{alice}/state"),
        &csrf,
        &[("week", week.to_string()), ("state", "signed".to_string())],
    )
    .await;
    assert!(
        to.contains("error=transition"),
        "an ended placement stays ended: {to}"
    );
    assert_eq!(
        text(
            &app.store,
            &format!("SELECT state FROM mission_placements WHERE id = {alice}")
        )
        .await,
        "ended"
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'placement_state'"
        )
        .await,
        2
    );
}

async fn a_proposal_on_a_changed_need_is_refused_with_the_difference(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let week = week_in_one_month();
    let alice = place(&app, backend, week, "N1", ALICE, "proposed").await;
    // The organisation changes its slots after the proposal.
    execute(
        &app.store,
        "UPDATE mission_needs SET slots = 'lun 10:00-12:00', version = version + 1 WHERE reference = 'N1'",
    )
    .await
    .unwrap();
    app.login_as(Role::Coordinator).await;
    let url = format!("/coordination/missions?week={week}");
    let html = page(&app, &url).await;
    let csrf = form_value(&html, "csrf");
    let to = post(
        &app,
        "/coordination/missions/confirm",
        &csrf,
        &[("week", week.to_string()), ("placement", alice.to_string())],
    )
    .await;
    assert!(to.contains("confirmed=0&refused=1"), "{to}");
    assert_eq!(
        text(&app.store, "SELECT state FROM mission_placements").await,
        "proposed"
    );
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM outbox").await,
        0,
        "no mail"
    );
    let html = page(&app, &to).await;
    assert!(html.contains("Le besoin a changé depuis la proposition"));
    assert!(
        html.contains("Plages horaires : <del>lun 09:00-12:00, jeu 14:00-17:00</del> → <ins>lun 10:00-12:00</ins>"),
        "{html}"
    );
    assert!(
        !html.contains("Nombre de volontaires :"),
        "only what changed"
    );
}

/// Alice is also a caller: her caller account, logged in, records her own hours.
async fn log_in_as_alice_the_caller(app: &TestApp) {
    let caller_email = "alice.appelante@example.org";
    app.create_user(Role::Caller, caller_email).await;
    execute(
        &app.store,
        &format!(
            "UPDATE volunteers SET caller_id = (SELECT id FROM callers WHERE email = '{caller_email}') \
             WHERE email = '{ALICE}'"
        ),
    )
    .await
    .unwrap();
    assert_eq!(app.login(caller_email, TEST_PASSWORD).await.status(), 303);
}

async fn hours_past_the_allowance_are_refused_with_the_time_remaining(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let week = week_in_one_month();
    let alice = place(&app, backend, week, "N1", ALICE, "confirmed").await;
    let bob = place(&app, backend, week, "N1", BOB, "confirmed").await;
    log_in_as_alice_the_caller(&app).await;
    let html = page(&app, "/missions/heures").await;
    assert!(
        html.contains("Foyer Les Tilleuls") && html.contains("7 h 00"),
        "allowance shown: {html}"
    );
    let csrf = form_value(&html, "csrf");
    let monday = week.monday().to_string();
    let thursday = week.day(chrono::Weekday::Thu).to_string();
    let record = |placement: i64, day: &str, duration: &str| {
        vec![
            ("placement", placement.to_string()),
            ("day", day.to_string()),
            ("duration", duration.to_string()),
        ]
    };
    let to = post(
        &app,
        "/missions/heures",
        &csrf,
        &record(alice, &monday, "4h"),
    )
    .await;
    assert!(to.ends_with("done=recorded"), "{to}");
    let to = post(
        &app,
        "/missions/heures",
        &csrf,
        &record(alice, &monday, "4"),
    )
    .await;
    assert!(
        to.ends_with("done=unchanged"),
        "the same record twice: {to}"
    );
    // 4 h + 3 h 30 would pass her allowance of one day (7 hours) a month: 3 h remain.
    let to = post(
        &app,
        "/missions/heures",
        &csrf,
        &record(alice, &thursday, "3h30"),
    )
    .await;
    assert!(to.contains("error=over_allowance&remaining=180"), "{to}");
    let html = page(&app, &to).await;
    assert!(
        html.contains("Temps restant ce mois-ci : <strong>3 h 00</strong>"),
        "{html}"
    );
    let to = post(
        &app,
        "/missions/heures",
        &csrf,
        &record(alice, &thursday, "3"),
    )
    .await;
    assert!(to.ends_with("done=recorded"), "{to}");
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COALESCE(SUM(minutes), 0) FROM mission_hours"
        )
        .await,
        420
    );
    // Not her placement.
    let response = app
        .client
        .post(format!("{}/missions/heures", app.address))
        .form(&[
            ("csrf", csrf.clone()),
            ("placement", bob.to_string()),
            ("day", monday.clone()),
            ("duration", "1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A student has no monthly allowance: a coordinator records for Bob.
    app.logout().await;
    app.login_as(Role::Coordinator).await;
    let bob_id = scalar(
        &app.store,
        &format!("SELECT id FROM volunteers WHERE email = '{BOB}'"),
    )
    .await;
    let html = page(&app, &format!("/missions/heures?volunteer={bob_id}")).await;
    assert!(html.contains("Heures de mission de Bob Durand"));
    let csrf = form_value(&html, "csrf");
    let to = post(&app, "/missions/heures", &csrf, &record(bob, &monday, "10")).await;
    assert!(
        to.ends_with(&format!("volunteer={bob_id}&done=recorded")),
        "{to}"
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'mission_hours_recorded'"
        )
        .await,
        3
    );
}

async fn the_time_report_joins_calls_and_missions_and_its_csv_adds_up(backend: Backend) {
    let (app, caller_email) = planned_demo_app(backend).await;
    seed(&app).await;
    let week = week_in_one_month();
    let alice = place(&app, backend, week, "N1", ALICE, "confirmed").await;
    execute(
        &app.store,
        &format!("UPDATE volunteers SET caller_id = 1 WHERE email = '{ALICE}'"),
    )
    .await
    .unwrap();
    app.store
        .record_mission_hours(&lien::store::HoursInput {
            placement_id: alice,
            worked_on: week.monday(),
            minutes: 240,
            user_id: None,
            day_minutes: lien::store::DEFAULT_DAY_MINUTES,
        })
        .await
        .unwrap();
    // One call of caller 1 (Alice) of 10 minutes, now.
    let at = (chrono::Utc::now() - chrono::Duration::minutes(5)).to_rfc3339();
    let at = match backend {
        Backend::Sqlite => format!("'{at}'"),
        Backend::Postgres => format!("CAST('{at}' AS TIMESTAMPTZ)"),
    };
    execute(
        &app.store,
        &format!(
            "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, \
             duration_seconds, idempotency_key) SELECT id, caller_id, beneficiary_id, {at}, \
             'reached_ok', 600, 'report-key-1' FROM assignments WHERE id = \
             (SELECT MIN(id) FROM assignments WHERE caller_id = 1)"
        ),
    )
    .await
    .unwrap();
    app.login_as(Role::Coordinator).await;
    let first = week.monday().format("%Y-%m").to_string();
    let this = lien::domain::time::today_in_paris()
        .format("%Y-%m")
        .to_string();
    let range = format!("from={first}&to={this}");
    let html = page(&app, &format!("/coordination/missions/temps?{range}")).await;
    assert!(html.contains("<svg"), "a chart");
    assert!(html.contains("Alice Martin (alice.agent@example.org)"));
    assert!(html.contains("<td>Alice Martin (alice.agent@example.org)</td><td>4 h 00</td><td>0 h 10</td><td>4 h 10</td>"), "{html}");
    let by_service = page(
        &app,
        &format!("/coordination/missions/temps?{range}&by=service"),
    )
    .await;
    assert!(by_service.contains("<td>Service enfance</td><td>4 h 00</td><td>0 h 10</td>"));

    let response = app
        .get(&format!("/coordination/missions/temps.csv?{range}"))
        .await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "month;name;email;service;organisation;kind;mission_kind;minutes;hours"
    );
    assert!(csv.contains(";Alice Martin;alice.agent@example.org;Service enfance;Foyer Les Tilleuls;mission;Animation;240;4.00"), "{csv}");
    assert!(
        csv.contains(";Alice Martin;alice.agent@example.org;Service enfance;;calls;;10;0.17"),
        "{csv}"
    );
    assert!(
        !csv.contains(&caller_email),
        "the caller is shown as the volunteer"
    );
    let sum: i64 = lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.split(';').nth(7).unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(sum, 250);
    assert_eq!(*lines.last().unwrap(), "total;;;;;;;250;4.17");
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'mission_time_downloaded'"
        )
        .await,
        1
    );
}

/// `mission_day_minutes`: a département whose day counts 5 hours caps a one-day
/// allowance at 5 hours.
async fn the_mission_day_setting_sets_the_allowance(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.mission_day_minutes = 300).await;
    seed(&app).await;
    let week = week_in_one_month();
    let alice = place(&app, backend, week, "N1", ALICE, "confirmed").await;
    log_in_as_alice_the_caller(&app).await;
    let html = page(&app, "/missions/heures").await;
    assert!(
        html.contains("5 h 00"),
        "the allowance is one 5-hour day: {html}"
    );
    let csrf = form_value(&html, "csrf");
    let fields = vec![
        ("placement", alice.to_string()),
        ("day", week.monday().to_string()),
        ("duration", "5h30".to_string()),
    ];
    let to = post(&app, "/missions/heures", &csrf, &fields).await;
    assert!(to.contains("error=over_allowance&remaining=300"), "{to}");
}
