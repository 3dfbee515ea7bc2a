//! Importing callers can invite them: an account each, and a mail with a one-time login
//! link, written with the import; importing again invites nobody twice.

use lien::domain::Role;

use crate::helpers::{form_value, query_all, scalar, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_callers_import_invites_new_callers_once,
    a_dry_run_invites_nobody_but_counts,
);

const CALLERS: &str = "Nom;Prénom;Email;Capacité hebdomadaire\n\
                       Martin;Claire;claire.martin@cd80.example.org;20\n\
                       Bernard;Luc;luc.bernard@cd80.example.org;15\n";

async fn upload_callers(app: &TestApp, invite: bool) -> String {
    let page = app.get("/coordination/imports").await.text().await.unwrap();
    assert!(
        page.contains("name=\"invite\""),
        "the upload form offers invitations"
    );
    let csrf = form_value(&page, "csrf");
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", "callers")
        .text("campaign", "default")
        .part(
            "file",
            reqwest::multipart::Part::bytes(CALLERS.as_bytes().to_vec()).file_name("appelants.csv"),
        );
    if invite {
        form = form.text("invite", "true");
    }
    let preview = app
        .client
        .post(format!("{}/coordination/imports/preview", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), 200);
    preview.text().await.unwrap()
}

/// Imports two callers with invitations, as a coordinator does on the import page.
pub async fn invite_two_callers(app: &TestApp) -> reqwest::Response {
    let preview = upload_callers(app, true).await;
    confirm(app, &preview).await
}

async fn confirm(app: &TestApp, preview: &str) -> reqwest::Response {
    let mut form = vec![
        ("csrf", form_value(preview, "csrf")),
        ("token", form_value(preview, "token")),
    ];
    if preview.contains("name=\"invite\" value=\"true\"") {
        form.push(("invite", "true".into()));
    }
    app.client
        .post(format!("{}/coordination/imports/confirm", app.address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn a_callers_import_invites_new_callers_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let preview = upload_callers(&app, true).await;
    assert!(preview.contains("invitations à envoyer"), "{preview}");
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'invitation'"
        )
        .await,
        0,
        "nothing before the confirmation"
    );
    assert_eq!(confirm(&app, &preview).await.status(), 303);

    let accounts: Vec<(String, String, String)> = query_all(
        &app.store,
        "SELECT u.email, u.role, u.display_name FROM users u JOIN callers c ON c.id = u.caller_id \
         WHERE u.invited_at IS NOT NULL ORDER BY u.email",
    )
    .await;
    assert_eq!(
        accounts,
        vec![
            (
                "claire.martin@cd80.example.org".to_string(),
                "caller".to_string(),
                "Claire Martin".to_string()
            ),
            (
                "luc.bernard@cd80.example.org".to_string(),
                "caller".to_string(),
                "Luc Bernard".to_string()
            ),
        ]
    );
    let mails: Vec<(String, String, String)> = query_all(
        &app.store,
        "SELECT recipients, subject, REPLACE(body_text, '[[lien-jeton]]', secret_token) FROM outbox WHERE kind = 'invitation' ORDER BY recipients",
    )
    .await;
    assert_eq!(mails.len(), 2);
    let (to, subject, body) = &mails[0];
    assert_eq!(to, "claire.martin@cd80.example.org");
    assert!(subject.contains("appelant"));
    assert!(body.starts_with("Bonjour Claire,"), "{body}");
    assert!(body.contains("7 jours"));

    // The link logs the caller in, once.
    let start = body.find("/login/link/").unwrap();
    let path: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let volunteer = TestApp::new_browser(&app);
    let first = volunteer.get(&path).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], "/appels");
    assert_eq!(volunteer.get("/appels").await.status(), 200);
    assert_eq!(
        volunteer.get(&path).await.status(),
        410,
        "a link works once"
    );

    // The same list again, with invitations: nobody is invited twice.
    let again = upload_callers(&app, true).await;
    assert_eq!(confirm(&app, &again).await.status(), 303);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'invitation'"
        )
        .await,
        2
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM users WHERE role = 'caller'"
        )
        .await,
        2
    );
}

async fn a_dry_run_invites_nobody_but_counts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    // Without the box ticked: callers imported, nobody invited.
    let preview = upload_callers(&app, false).await;
    assert!(!preview.contains("invitations à envoyer"));
    assert_eq!(confirm(&app, &preview).await.status(), 303);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM callers").await, 2);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM users WHERE role = 'caller'"
        )
        .await,
        0
    );
    // Then with it: the preview (a dry run) counts both and writes nothing.
    let preview = upload_callers(&app, true).await;
    assert!(
        preview.contains("invitations à envoyer</dt><dd>2</dd>"),
        "{preview}"
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM users WHERE role = 'caller'"
        )
        .await,
        0
    );
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM outbox").await, 0);
}
