//! The day-two operations on callers: an absence and the rebalance it calls for, a
//! departure (sessions end at once, people go to others, next week leaves them out), a
//! return, bad input refused with nothing changed, the roster's search, and the
//! command-line twins.

use lien::domain::{CampaignName, IsoWeek, Role};
use lien::store::PlanMode;

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{
    form_value, planned_demo_app, query_all, scalar, Backend, TestApp, TestDatabase, TEST_PASSWORD,
};
use crate::on_both_backends;

on_both_backends!(
    an_absence_previews_the_moves_and_confirming_does_them,
    a_departure_ends_sessions_and_hands_people_to_others,
    the_roster_searches_and_filters,
    the_command_line_twins,
    the_callers_file_carries_absences_and_departures,
);

fn uncalled_sql(caller_id: i64, week: IsoWeek) -> String {
    format!(
        "SELECT COUNT(*) FROM assignments a WHERE a.caller_id = {caller_id} AND a.week = '{week}' \
         AND NOT EXISTS (SELECT 1 FROM calls k WHERE k.assignment_id = a.id)"
    )
}

async fn csrf_of(app: &TestApp, path: &str) -> String {
    let page = app.get(path).await;
    assert_eq!(page.status(), 200, "{path}");
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

async fn an_absence_previews_the_moves_and_confirming_does_them(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let week = IsoWeek::current();
    let before = scalar(&app.store, &uncalled_sql(1, week)).await;
    assert!(before > 0, "caller 1 has people this week");
    let csrf = csrf_of(&app, "/coordination/callers/1").await;
    let today = lien::domain::time::today_in_paris();
    let (from, to) = (today.to_string(), week.sunday().to_string());

    // An absence ending before it starts: refused, nothing recorded.
    let refused = post(
        &app,
        "/coordination/callers/1/absences",
        &[("csrf", &csrf), ("from", &to), ("to", &from)],
    )
    .await;
    if from != to {
        assert!(refused.ends_with("error=absence_inverted"), "{refused}");
        let page = app.get(&refused).await.text().await.unwrap();
        assert!(
            page.contains("donnez une date de fin"),
            "the sentence says what to do"
        );
        assert_eq!(
            scalar(&app.store, "SELECT COUNT(*) FROM caller_absences").await,
            0
        );
    }
    let bad = post(
        &app,
        "/coordination/callers/1/absences",
        &[("csrf", &csrf), ("from", "demain"), ("to", &to)],
    )
    .await;
    assert!(bad.ends_with("error=bad_date"), "{bad}");
    let absences_before = scalar(&app.store, "SELECT COUNT(*) FROM caller_absences").await;

    // The rest of the week: the page previews the moves, nothing changes yet.
    let preview = post(
        &app,
        "/coordination/callers/1/absences",
        &[("csrf", &csrf), ("from", &from), ("to", &to)],
    )
    .await;
    assert!(preview.contains("done=absence"), "{preview}");
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM caller_absences").await,
        absences_before + 1
    );
    let page = app.get(&preview).await.text().await.unwrap();
    assert!(page.contains("Semaines déjà planifiées"), "preview shown");
    let from_rows = page.matches(&format!("<td>{email}</td>")).count() as i64;
    assert_eq!(
        from_rows, before,
        "every person of caller 1 is shown moving"
    );
    assert_eq!(scalar(&app.store, &uncalled_sql(1, week)).await, before);
    let audited = "SELECT COUNT(*) FROM audit_events WHERE action = 'caller_absence_recorded' AND subject_id = 1";
    assert_eq!(scalar(&app.store, audited).await, 1);

    // Confirming moves them to others.
    let assigned_before = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE week = '{week}'"),
    )
    .await;
    let csrf = form_value(&page, "csrf");
    let done = post(
        &app,
        "/coordination/callers/1/rebalance",
        &[
            ("csrf", &csrf),
            ("campaign", "default"),
            ("week", &week.to_string()),
        ],
    )
    .await;
    assert!(done.ends_with("done=rebalanced"), "{done}");
    assert_eq!(scalar(&app.store, &uncalled_sql(1, week)).await, 0);
    let assigned_after = scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM assignments WHERE week = '{week}'"),
    )
    .await;
    assert!(assigned_after <= assigned_before);
}

async fn a_departure_ends_sessions_and_hands_people_to_others(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let caller = TestApp::new_browser(&app);
    assert_eq!(caller.login(&email, TEST_PASSWORD).await.status(), 303);
    assert_eq!(caller.get("/appels").await.status(), 200);
    assert_eq!(caller.get("/api/me/queue").await.status(), 200);
    let week = IsoWeek::current();
    let people: Vec<(i64,)> = query_all(
        &app.store,
        &format!("SELECT beneficiary_id FROM assignments WHERE caller_id = 1 AND week = '{week}'"),
    )
    .await;
    assert!(!people.is_empty());

    app.login_as(Role::Coordinator).await;
    let csrf = csrf_of(&app, "/coordination/callers/1").await;
    // Without the confirmation: refused, nothing changed.
    let unconfirmed = post(
        &app,
        "/coordination/callers/1/active",
        &[("csrf", &csrf), ("active", "false")],
    )
    .await;
    assert!(unconfirmed.ends_with("error=unconfirmed"));
    assert_eq!(caller.get("/appels").await.status(), 200);

    let done = post(
        &app,
        "/coordination/callers/1/active",
        &[("csrf", &csrf), ("active", "false"), ("confirm", "yes")],
    )
    .await;
    assert!(done.ends_with("done=deactivated"), "{done}");
    // At once: the login page, 401 on the API, and no new login.
    assert_eq!(caller.get("/appels").await.status(), 303);
    assert_eq!(caller.get("/api/me/queue").await.status(), 401);
    caller.login(&email, TEST_PASSWORD).await;
    assert_eq!(caller.get("/appels").await.status(), 303);
    assert_eq!(scalar(&app.store, &uncalled_sql(1, week)).await, 0);
    // Their people are served by others this week (or wait, unassigned, for room).
    let served = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM assignments WHERE week = '{week}' AND caller_id <> 1 \
             AND beneficiary_id IN (SELECT id FROM beneficiaries)"
        ),
    )
    .await;
    assert!(served > 0);
    // Next week's plan leaves them out; history is kept.
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    app.store
        .plan_week(&campaign, week.next(), PlanMode::Plan, false)
        .await
        .unwrap();
    let next = format!(
        "SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND week = '{}'",
        week.next()
    );
    assert_eq!(scalar(&app.store, &next).await, 0);
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM callers WHERE id = 1").await,
        1
    );
    // The roster's "left" filter shows them; reactivating lets them log in again.
    let left = app
        .get("/coordination/callers?state=inactive")
        .await
        .text()
        .await
        .unwrap();
    assert!(left.contains(&email));
    let back = post(
        &app,
        "/coordination/callers/1/active",
        &[("csrf", &csrf), ("active", "true"), ("confirm", "yes")],
    )
    .await;
    assert!(back.ends_with("done=reactivated"));
    assert_eq!(
        caller.get("/appels").await.status(),
        303,
        "sessions stay ended"
    );
    assert_eq!(caller.login(&email, TEST_PASSWORD).await.status(), 303);
    assert_eq!(caller.get("/appels").await.status(), 200);
    let audit = "SELECT COUNT(*) FROM audit_events WHERE subject_type = 'caller' \
                 AND action IN ('caller_deactivated', 'caller_reactivated')";
    assert_eq!(scalar(&app.store, audit).await, 2);
}

async fn the_roster_searches_and_filters(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    app.login_as(Role::Coordinator).await;
    crate::helpers::execute(
        &app.store,
        "UPDATE callers SET first_name = 'Hélène', last_name = 'Éluard' WHERE id = 2",
    )
    .await
    .unwrap();
    let roster = app.get("/coordination/callers").await;
    assert_eq!(roster.status(), 200);
    let all = roster.text().await.unwrap();
    assert!(all.contains(&email));
    let found = app
        .get("/coordination/callers?q=ELUARD%20helene")
        .await
        .text()
        .await
        .unwrap();
    assert!(found.contains("Hélène") && !found.contains(&email));
    let none = app
        .get("/coordination/callers?state=inactive")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("Aucun appelant ne correspond"));
    let english = app
        .get("/coordination/callers?state=not_started&lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(english.contains("Weekly capacity") && english.contains("never"));

    // Editing: a capacity out of bounds is refused, nothing changed; a good one saved.
    let csrf = csrf_of(&app, "/coordination/callers/2").await;
    let before = scalar(
        &app.store,
        "SELECT CAST(weekly_capacity AS BIGINT) FROM callers WHERE id = 2",
    )
    .await;
    let refused = post(
        &app,
        "/coordination/callers/2",
        &[
            ("csrf", &csrf),
            ("capacity", "5000"),
            ("day", "0"),
            ("languages", "fr"),
        ],
    )
    .await;
    assert!(refused.ends_with("error=capacity_out_of_bounds"));
    assert_eq!(
        scalar(
            &app.store,
            "SELECT CAST(weekly_capacity AS BIGINT) FROM callers WHERE id = 2"
        )
        .await,
        before
    );
    let saved = post(
        &app,
        "/coordination/callers/2",
        &[
            ("csrf", &csrf),
            ("capacity", "12"),
            ("day", "0"),
            ("day", "2"),
            ("languages", "fr, en"),
        ],
    )
    .await;
    assert!(saved.ends_with("done=saved"), "{saved}");
    let row: Vec<(i32, i32, String)> = query_all(
        &app.store,
        "SELECT weekly_capacity, available_weekdays, languages FROM callers WHERE id = 2",
    )
    .await;
    assert_eq!(row[0], (12, 0b101, "fr,en".to_string()));

    // Adding a caller by the form, with the invitation; a taken address is refused.
    let csrf = csrf_of(&app, "/coordination/callers").await;
    let add = |email: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("last_name", "Nouvelle".to_string()),
            ("first_name", "Recrue".to_string()),
            ("email", email.to_string()),
            ("capacity", "15".to_string()),
            ("languages", "fr".to_string()),
            ("invite", "yes".to_string()),
        ]
    };
    let form = add("nouvelle.recrue@example.org");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let added = post(&app, "/coordination/callers", &form).await;
    assert!(added.ends_with("done=invited"), "{added}");
    let invitations = "SELECT COUNT(*) FROM outbox WHERE kind = 'invitation'";
    assert_eq!(scalar(&app.store, invitations).await, 1);
    let again = post(&app, "/coordination/callers", &form).await;
    assert!(again.ends_with("error=email_taken"), "{again}");
    let bad = add("pas-une-adresse");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = post(&app, "/coordination/callers", &bad).await;
    assert!(refused.ends_with("error=bad_email"), "{refused}");
    assert_eq!(scalar(&app.store, invitations).await, 1);
}

async fn the_command_line_twins(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let store = lien::store::Store::open(&db.url).await.unwrap();
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    store
        .load_dataset(
            &campaign,
            "fixtures/demo",
            &lien::fixtures::demo_dataset().unwrap(),
        )
        .await
        .unwrap();
    let week = IsoWeek::current();
    store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    let email = crate::helpers::text(&store, "SELECT email FROM callers WHERE id = 1").await;
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let mut cmd = lien(dir.path());
        cmd.env("DATABASE_URL", &db.url).args(args);
        run(&mut cmd)
    };

    let list = stdout_json(&cli(&["callers", "list", "--json"]));
    assert!(list["callers"].as_array().unwrap().len() > 1);

    let unknown = cli(&["callers", "deactivate", "nobody@example.org"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("aucun appelant"));

    let (from, to) = (week.monday().to_string(), week.sunday().to_string());
    let inverted = cli(&["callers", "absent", &email, "--from", &to, "--to", &from]);
    assert!(!inverted.status.success());
    assert!(String::from_utf8_lossy(&inverted.stderr).contains("donnez une date de fin"));
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM caller_absences").await,
        0
    );

    let before = scalar(&store, &uncalled_sql(1, week)).await;
    let preview = stdout_json(&cli(&[
        "callers", "absent", &email, "--from", &from, "--to", &to, "--json",
    ]));
    assert_eq!(preview["rebalanced"], false);
    let moves = preview["planned_weeks"][0]["moves"].as_array().unwrap();
    let of_caller = moves.iter().filter(|m| m["from_caller"] == email.as_str());
    assert_eq!(of_caller.count() as i64, before);
    assert_eq!(scalar(&store, &uncalled_sql(1, week)).await, before);

    let left = stdout_json(&cli(&["callers", "deactivate", &email, "--json"]));
    assert_eq!(left["active"], false);
    assert_eq!(scalar(&store, &uncalled_sql(1, week)).await, 0);
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM callers WHERE id = 1 AND active = FALSE"
        )
        .await,
        1
    );
    let back = cli(&["--lang", "en", "callers", "reactivate", &email]);
    assert!(back.status.success());
    assert!(String::from_utf8_lossy(&back.stdout).contains("active again"));
    store.close().await;
}

async fn import_callers(app: &TestApp, csv: &str) -> lien::records::imports::ImportReport {
    let parsed = lien::import::rows::parse_callers(
        &lien::import::read::read_table(csv.as_bytes()).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let source = lien::store::ImportSource {
        filename: "appelants.csv".into(),
        sha256: uuid::Uuid::new_v4().to_string(),
        created_by: None,
    };
    app.store
        .import_callers(&source, &parsed, false)
        .await
        .unwrap()
}

async fn the_callers_file_carries_absences_and_departures(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    let caller = TestApp::new_browser(&app);
    assert_eq!(caller.login(&email, TEST_PASSWORD).await.status(), 303);
    let other = crate::helpers::text(&app.store, "SELECT email FROM callers WHERE id = 2").await;
    let week = IsoWeek::current();
    let (from, to) = (week.next().monday(), week.next().sunday());
    let csv = format!(
        "Nom;Prénom;E-mail;Capacité;Absent du;Absent au;Actif\n\
         Un;Appelant;{email};20;;;non\n\
         Deux;Appelante;{other};20;{};{};oui\n\
         Trois;Appelant;trois@example.org;20;;{};\n\
         Quatre;Appelant;quatre@example.org;20;;;peut-être\n",
        from.format("%d/%m/%Y"),
        to.format("%d/%m/%Y"),
        to.format("%d/%m/%Y"),
    );
    let report = import_callers(&app, &csv).await;
    let codes: Vec<String> = report.errors.iter().map(|e| e.code.clone()).collect();
    assert_eq!(
        codes,
        ["absence_incomplete", "active_unknown"],
        "{report:?}"
    );
    // Actif = non: gone at once, their people with others.
    assert_eq!(caller.get("/appels").await.status(), 303);
    assert_eq!(scalar(&app.store, &uncalled_sql(1, week)).await, 0);
    let inactive = "SELECT COUNT(*) FROM callers WHERE id = 1 AND active = FALSE";
    assert_eq!(scalar(&app.store, inactive).await, 1);
    // The absence is recorded once, however often the file is imported.
    let absences = "SELECT COUNT(*) FROM caller_absences WHERE caller_id = 2";
    assert_eq!(scalar(&app.store, absences).await, 1);
    import_callers(&app, &csv).await;
    assert_eq!(scalar(&app.store, absences).await, 1);
}
