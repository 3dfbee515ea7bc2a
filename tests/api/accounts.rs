//! Managing accounts in the browser (`/admin/comptes`, admins only) and
//! `lien users deactivate|reactivate`: list, invite, role and scope, deactivate (the
//! sessions end at once), reactivate, second factor reset, login link; each refusal
//! changes nothing; every change is audited.

use std::time::Duration;

use lien::domain::Role;

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{form_value, query_all, scalar, spawn_app, Backend, TestApp, TEST_PASSWORD};
use crate::mail::{drain, worker_to};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;

on_both_backends!(
    an_admin_lists_filters_and_invites,
    an_admin_changes_role_and_scope,
    a_deactivated_account_loses_its_session_at_once,
    an_admin_resets_the_second_factor_and_sends_a_login_link,
    refusals_change_nothing,
    a_coordinator_gets_403_on_every_accounts_route,
    users_deactivate_on_the_command_line,
);

/// Posts `form` (with the page's CSRF token) as the signed-in admin.
async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let page = app.get("/admin/comptes").await.text().await.unwrap();
    let csrf = form_value(&page, "csrf");
    let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    fields.extend_from_slice(form);
    app.client
        .post(format!("{}{}", app.address, path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// A caller of the callers list, without an account.
async fn caller_record(app: &TestApp, email: &str) -> i64 {
    let csv = format!("Nom;Prénom;Email;Capacité hebdomadaire\nDurand;Lou;{email};20\n");
    let parsed = lien::import::rows::parse_callers(
        &lien::import::read::read_table(csv.as_bytes()).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let source = lien::store::ImportSource {
        filename: "c.csv".into(),
        sha256: email.into(),
        created_by: None,
    };
    app.store
        .import_callers(&source, &parsed, false)
        .await
        .unwrap();
    app.store.caller_id_by_email(email).await.unwrap().unwrap()
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    scalar(
        &app.store,
        &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

/// The plain text of a received mail, decoded.
fn mail_text(data: &str) -> String {
    let parsed = mailparse::parse_mail(data.as_bytes()).unwrap();
    if parsed.subparts.is_empty() {
        parsed.get_body().unwrap()
    } else {
        crate::mail::parts(data).1
    }
}

fn link_path(body: &str, prefix: &str) -> String {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {body}"));
    body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// email, role, caller, territory, 1 when without password.
type Invited = (String, String, Option<i64>, Option<i64>, i64);

async fn an_admin_lists_filters_and_invites(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.login_as(Role::Admin).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let territory = app
        .create_user(Role::Territory, "tas@cd80.example.org")
        .await;
    let page = app.get("/admin/comptes").await.text().await.unwrap();
    for shown in [
        admin.email.as_str(),
        "coord@cd80.example.org",
        "tas@cd80.example.org",
    ] {
        assert!(page.contains(shown), "{shown} listed");
    }
    assert!(
        page.contains("Territoire test"),
        "the territory is the scope"
    );
    let coordinators = app
        .get("/admin/comptes?role=coordinator")
        .await
        .text()
        .await
        .unwrap();
    assert!(coordinators.contains("coord@cd80.example.org"));
    assert!(!coordinators.contains("tas@cd80.example.org"));
    let searched = app
        .get("/admin/comptes?q=TAS%40")
        .await
        .text()
        .await
        .unwrap();
    assert!(searched.contains("tas@cd80.example.org"));
    assert!(!searched.contains("coord@cd80.example.org"));
    let inactive = app
        .get("/admin/comptes?active=no")
        .await
        .text()
        .await
        .unwrap();
    assert!(!inactive.contains("coord@cd80.example.org"));

    // Invite a coordinator, a caller of the callers list and a territory account.
    let caller_id = caller_record(&app, "lou.durand@cd80.example.org").await;
    let tid = territory.territory_id.unwrap().to_string();
    for form in [
        vec![
            ("email", "new.coord@cd80.example.org"),
            ("name", "Nouvelle"),
            ("role", "coordinator"),
        ],
        vec![
            ("email", "lou.durand@cd80.example.org"),
            ("role", "caller"),
            ("caller", ""),
        ],
        vec![
            ("email", "tas2@cd80.example.org"),
            ("role", "territory"),
            ("territory", &tid),
        ],
    ] {
        let invited = post(&app, "/admin/comptes", &form).await;
        assert_eq!(invited.status(), 303, "{form:?}");
        assert_eq!(invited.headers()["location"], "/admin/comptes?done=invited");
    }
    let rows: Vec<Invited> = query_all(
        &app.store,
        "SELECT email, role, caller_id, territory_id, \
         CAST(CASE WHEN password_hash IS NULL THEN 1 ELSE 0 END AS BIGINT) \
         FROM users WHERE invited_at IS NOT NULL ORDER BY email",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            (
                "lou.durand@cd80.example.org".into(),
                "caller".into(),
                Some(caller_id),
                None,
                1
            ),
            (
                "new.coord@cd80.example.org".into(),
                "coordinator".into(),
                None,
                None,
                1
            ),
            (
                "tas2@cd80.example.org".into(),
                "territory".into(),
                None,
                territory.territory_id,
                1
            ),
        ]
    );
    assert_eq!(audits(&app, "user_invited").await, 3);
    let shown = app
        .get("/admin/comptes?done=invited")
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains("invitation"), "flash");

    // The mails reach the SMTP server; the link logs the new coordinator in, once.
    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    assert_eq!(report.sent, 3);
    let mails = sink.wait_for(3, Duration::from_secs(10)).await;
    let to_coord = mails
        .iter()
        .find(|m| m.recipients.iter().any(|r| r.contains("new.coord@")))
        .expect("mail to the coordinator");
    let body = mail_text(&to_coord.data);
    assert!(!body.contains("Nouvelle"), "no name in the mail");
    let path = link_path(&body, "/login/link/");
    let newcomer = TestApp::new_browser(&app);
    let first = newcomer.get(&path).await;
    assert_eq!(first.status(), 303);
    assert_eq!(newcomer.get(&path).await.status(), 410);
}

async fn an_admin_changes_role_and_scope(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Admin).await;
    let coordinator = app
        .create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let territory = app
        .create_user(Role::Territory, "tas@cd80.example.org")
        .await;
    let tid = territory.territory_id.unwrap();
    let path = format!("/admin/comptes/{}/role", coordinator.id);
    let changed = post(
        &app,
        &path,
        &[("role", "territory"), ("territory", &tid.to_string())],
    )
    .await;
    assert_eq!(changed.status(), 303);
    let role_of = format!(
        "SELECT role, territory_id FROM users WHERE id = {}",
        coordinator.id
    );
    let row: Vec<(String, Option<i64>)> = query_all(&app.store, &role_of).await;
    assert_eq!(row, vec![("territory".to_string(), Some(tid))]);
    let page = app
        .get(&format!("/admin/comptes/{}?done=role", coordinator.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Rôle et périmètre enregistrés"), "{page}");

    // Back to coordinator: the territory goes with the role.
    let back = post(
        &app,
        &path,
        &[("role", "coordinator"), ("territory", &tid.to_string())],
    )
    .await;
    assert_eq!(back.status(), 303);
    let row: Vec<(String, Option<i64>)> = query_all(&app.store, &role_of).await;
    assert_eq!(row, vec![("coordinator".to_string(), None)]);
    let details: Vec<(Option<i64>, Option<String>)> = query_all(
        &app.store,
        "SELECT actor_user_id, detail FROM audit_events WHERE action = 'user_role_changed' ORDER BY id",
    )
    .await;
    assert_eq!(details.len(), 2);
    assert_eq!(
        details[0].1.as_deref(),
        Some(
            format!("coordinator>territory territory={tid} caller=- organisation=- volunteer=-")
                .as_str()
        )
    );
    assert!(details[0].0.is_some(), "the admin is the actor");
}

async fn a_deactivated_account_loses_its_session_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Admin).await;
    let victim = app
        .create_user(Role::Caller, "leaving@cd80.example.org")
        .await;
    let browser = TestApp::new_browser(&app);
    assert_eq!(
        browser.login(&victim.email, TEST_PASSWORD).await.status(),
        303
    );
    assert_eq!(browser.get("/appels").await.status(), 200);
    assert_eq!(browser.get("/api/me/queue").await.status(), 200);

    // Without the confirmation box: refused, nothing changes.
    let path = format!("/admin/comptes/{}/deactivate", victim.id);
    let unconfirmed = post(&app, &path, &[]).await;
    assert_eq!(unconfirmed.status(), 409);
    assert!(unconfirmed.text().await.unwrap().contains("Cochez la case"));
    assert_eq!(browser.get("/api/me/queue").await.status(), 200);

    let done = post(&app, &path, &[("confirm", "yes")]).await;
    assert_eq!(done.status(), 303);
    let next = browser.get("/appels").await;
    assert_eq!(next.status(), 303);
    assert!(next.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert_eq!(browser.get("/api/me/queue").await.status(), 401);
    let again = browser.login(&victim.email, TEST_PASSWORD).await;
    assert_ne!(again.status(), 303, "an inactive account cannot log in");
    let api = app
        .client
        .post(format!("{}/api/session", app.address))
        .json(&serde_json::json!({"email": victim.email, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401, "nor through the API");
    let sessions = format!(
        "SELECT COUNT(*) FROM sessions WHERE user_id = {}",
        victim.id
    );
    assert_eq!(scalar(&app.store, &sessions).await, 0);
    let detail: Vec<(Option<String>,)> = query_all(
        &app.store,
        "SELECT detail FROM audit_events WHERE action = 'user_deactivated'",
    )
    .await;
    assert_eq!(detail, vec![(Some("sessions_ended=1".to_string()),)]);
    let list = app
        .get("/admin/comptes?active=no")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("leaving@cd80.example.org"));

    // Reactivated: the password works again.
    let path = format!("/admin/comptes/{}/reactivate", victim.id);
    assert_eq!(post(&app, &path, &[]).await.status(), 303);
    assert_eq!(
        browser.login(&victim.email, TEST_PASSWORD).await.status(),
        303
    );
    assert_eq!(audits(&app, "user_reactivated").await, 1);
}

async fn an_admin_resets_the_second_factor_and_sends_a_login_link(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Admin).await;
    let coordinator = app
        .create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    lien_sql(
        &app,
        &format!(
            "UPDATE users SET totp_secret = 'JBSWY3DPEHPK3PXP' WHERE id = {}",
            coordinator.id
        ),
    )
    .await;
    let page = app
        .get(&format!("/admin/comptes/{}", coordinator.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("second-factor"), "the reset form");

    let path = format!("/admin/comptes/{}/second-factor", coordinator.id);
    assert_eq!(post(&app, &path, &[]).await.status(), 409, "confirm first");
    let secret = format!(
        "SELECT COUNT(*) FROM users WHERE totp_secret IS NOT NULL AND id = {}",
        coordinator.id
    );
    assert_eq!(scalar(&app.store, &secret).await, 1);
    assert_eq!(post(&app, &path, &[("confirm", "yes")]).await.status(), 303);
    assert_eq!(scalar(&app.store, &secret).await, 0);
    assert_eq!(audits(&app, "totp_reset").await, 1);

    let path = format!("/admin/comptes/{}/login-link", coordinator.id);
    assert_eq!(post(&app, &path, &[]).await.status(), 303);
    assert_eq!(audits(&app, "login_link_sent").await, 1);
    let bodies: Vec<(String, String)> = query_all(
        &app.store,
        "SELECT recipients, REPLACE(body_text, '[[lien-jeton]]', secret_token) FROM outbox \
         WHERE kind = 'login_link' ORDER BY id",
    )
    .await;
    assert_eq!(bodies.len(), 2);
    assert!(bodies.iter().all(|(to, _)| to == "coord@cd80.example.org"));
    assert!(bodies[0].1.contains("/enrol/"), "an enrolment link first");
    let path = link_path(&bodies[1].1, "/login/link/");
    let browser = TestApp::new_browser(&app);
    assert_eq!(
        browser.get(&path).await.status(),
        303,
        "the login link works"
    );
}

async fn lien_sql(app: &TestApp, sql: &str) {
    crate::helpers::execute(&app.store, sql).await.unwrap();
}

/// Where to post, what, and the sentence of the refusal.
type Refusal<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);

async fn refusals_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.login_as(Role::Admin).await;
    app.create_user(Role::Coordinator, "coord@cd80.example.org")
        .await;
    let caller = app
        .create_user(Role::Caller, "caller@cd80.example.org")
        .await;
    let before = scalar(&app.store, "SELECT COUNT(*) FROM audit_events").await;
    let users = "SELECT COUNT(*) FROM users";
    let n = scalar(&app.store, users).await;
    let cases: Vec<Refusal> = vec![
        (
            "/admin/comptes".into(),
            vec![("email", "COORD@cd80.example.org"), ("role", "coordinator")],
            "Un compte existe déjà avec cette adresse",
        ),
        (
            "/admin/comptes".into(),
            vec![
                ("email", "t@cd80.example.org"),
                ("role", "territory"),
                ("territory", ""),
            ],
            "Un compte de territoire a besoin de son territoire",
        ),
        (
            "/admin/comptes".into(),
            vec![("email", "nobody@cd80.example.org"), ("role", "caller")],
            "doit être relié à une personne de la liste des appelants",
        ),
        (
            "/admin/comptes".into(),
            vec![
                ("email", "twice@cd80.example.org"),
                ("role", "caller"),
                ("caller", "caller@cd80.example.org"),
            ],
            "a déjà un compte",
        ),
        (
            "/admin/comptes".into(),
            vec![("email", "not an email"), ("role", "coordinator")],
            "n’est pas valable",
        ),
        (
            format!("/admin/comptes/{}/role", admin.id),
            vec![("role", "coordinator")],
            "dernier compte d’administration actif",
        ),
        (
            format!("/admin/comptes/{}/deactivate", admin.id),
            vec![("confirm", "yes")],
            "votre propre compte",
        ),
        (
            format!("/admin/comptes/{}/role", caller.id),
            vec![("role", "territory")],
            "Un compte de territoire a besoin de son territoire",
        ),
        (
            format!("/admin/comptes/{}/role", caller.id),
            vec![("role", "caller"), ("caller", "unknown@cd80.example.org")],
            "doit être relié",
        ),
    ];
    for (path, form, sentence) in cases {
        let refused = post(&app, &path, &form).await;
        assert_eq!(refused.status(), 409, "{path} {form:?}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(sentence), "{path} {form:?}: {page}");
        assert!(page.contains("Rien n’a été changé"));
    }
    assert_eq!(scalar(&app.store, users).await, n);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM outbox").await, 0);
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM audit_events").await,
        before
    );
    let roles: Vec<(String, String, i64)> = query_all(
        &app.store,
        &format!(
            "SELECT role, COALESCE(CAST(caller_id AS TEXT), '-'), \
             CAST(CASE WHEN active THEN 1 ELSE 0 END AS BIGINT) FROM users WHERE id IN ({}, {}) ORDER BY id",
            admin.id, caller.id
        ),
    )
    .await;
    assert_eq!(
        roles,
        vec![
            ("admin".into(), "-".into(), 1),
            ("caller".into(), caller.caller_id.unwrap().to_string(), 1),
        ]
    );
}

async fn a_coordinator_gets_403_on_every_accounts_route(backend: Backend) {
    let app = spawn_app(backend).await;
    let coordinator = app.login_as(Role::Coordinator).await;
    let id = coordinator.id;
    assert_eq!(app.get("/admin/comptes").await.status(), 403);
    assert_eq!(app.get(&format!("/admin/comptes/{id}")).await.status(), 403);
    let home = app.get("/").await.text().await.unwrap();
    assert!(!home.contains("/admin/comptes"), "no link in the menu");
    let csrf = form_value(&home, "csrf");
    for action in [
        "",
        "/role",
        "/deactivate",
        "/reactivate",
        "/second-factor",
        "/login-link",
    ] {
        let path = if action.is_empty() {
            "/admin/comptes".to_string()
        } else {
            format!("/admin/comptes/{id}{action}")
        };
        let response = app
            .client
            .post(format!("{}{}", app.address, path))
            .form(&[
                ("csrf", csrf.as_str()),
                ("role", "admin"),
                ("confirm", "yes"),
                ("email", "x@cd80.example.org"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    let role: Vec<(String,)> = query_all(
        &app.store,
        &format!("SELECT role FROM users WHERE id = {id}"),
    )
    .await;
    assert_eq!(role, vec![("coordinator".to_string(),)]);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM users").await, 1);
}

async fn users_deactivate_on_the_command_line(backend: Backend) {
    let app = spawn_app(backend).await;
    let coordinator = app.login_as(Role::Coordinator).await;
    let admin = app
        .create_user(Role::Admin, "only.admin@cd80.example.org")
        .await;
    assert_eq!(app.get("/coordination/week").await.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let url = app._db.url.clone();
    let out = run(lien(dir.path()).env("DATABASE_URL", &url).args([
        "users",
        "deactivate",
        &coordinator.email,
        "--json",
    ]));
    assert!(out.status.success(), "{out:?}");
    let json = stdout_json(&out);
    assert_eq!(json["active"], false);
    assert_eq!(json["sessions_ended"], 1);
    assert_eq!(
        app.get("/coordination/week").await.status(),
        303,
        "the session ended"
    );
    let by: Vec<(String, Option<i64>)> = query_all(
        &app.store,
        "SELECT actor_label, subject_id FROM audit_events WHERE action = 'user_deactivated'",
    )
    .await;
    assert_eq!(by, vec![("cli".to_string(), Some(coordinator.id))]);

    // The last active admin stays.
    let refused =
        run(lien(dir.path())
            .env("DATABASE_URL", &url)
            .args(["users", "deactivate", &admin.email]));
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr).to_string();
    assert!(err.contains("dernier compte d'administration"), "{err}");
    assert_eq!(
        scalar(
            &app.store,
            &format!(
                "SELECT COUNT(*) FROM users WHERE id = {} AND active = TRUE",
                admin.id
            )
        )
        .await,
        1
    );

    let back = run(lien(dir.path()).env("DATABASE_URL", &url).args([
        "users",
        "reactivate",
        &coordinator.email,
    ]));
    assert!(back.status.success(), "{back:?}");
    assert!(String::from_utf8_lossy(&back.stdout).contains("réactivé"));
    assert_eq!(
        app.login(&coordinator.email, TEST_PASSWORD).await.status(),
        303
    );
}
