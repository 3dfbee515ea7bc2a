//! The coordinator's import pages: upload, preview, confirm or cancel, history,
//! rejected rows download; and who may use them.

use std::path::Path;

use lien::domain::Role;

use crate::helpers::{form_value, scalar, spawn_app, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    upload_preview_confirm_then_history_and_download,
    cancel_writes_nothing_and_a_second_confirm_imports_once,
    only_coordinators_see_the_import_pages,
    a_file_missing_a_column_is_explained_on_the_page,
    an_oversized_upload_gets_a_clear_page,
    the_preview_counts_people_on_the_do_not_call_list,
    needs_and_volunteers_go_through_the_upload_page_in_english,
);

pub(crate) async fn upload(
    app: &TestApp,
    kind: &str,
    name: &str,
    content: Vec<u8>,
) -> reqwest::Response {
    let page = app.get("/coordination/imports").await.text().await.unwrap();
    let csrf = form_value(&page, "csrf");
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("kind", kind.to_string())
        .text("campaign", "default")
        .part(
            "file",
            reqwest::multipart::Part::bytes(content).file_name(name.to_string()),
        );
    app.client
        .post(format!("{}/coordination/imports/preview", app.address))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn decide(app: &TestApp, preview_html: &str, action: &str) -> reqwest::Response {
    let csrf = form_value(preview_html, "csrf");
    let token = form_value(preview_html, "token");
    app.client
        .post(format!("{}/coordination/imports/{action}", app.address))
        .form(&[("csrf", csrf.as_str()), ("token", token.as_str())])
        .send()
        .await
        .unwrap()
}

pub(crate) fn demo(file: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/demo")
            .join(file),
    )
    .unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    scalar(&app.store, &format!("SELECT COUNT(*) FROM {table}")).await
}

async fn upload_preview_confirm_then_history_and_download(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let page = app.get("/coordination/imports").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Importer des listes"));

    let mut file = demo("beneficiaries.csv");
    file.extend_from_slice(b"80-0009999;Sans;Numero;;;1 rue X;80000;Amiens;01/01/1940;APA;fr;;;\n");
    let preview = upload(&app, "beneficiaries", "beneficiaires.csv", file).await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("Vérification avant import"), "{html}");
    assert!(html.contains("<dd>2001</dd>"), "rows read");
    assert!(html.contains("<dd>2000</dd>"), "to add");
    assert!(
        html.contains("2002"),
        "the rejected row is named by its line"
    );
    assert!(html.contains("→ Téléphone"), "columns as understood");
    assert_eq!(
        count(&app, "beneficiaries").await,
        0,
        "nothing saved before confirmation"
    );

    let confirmed = decide(&app, &html, "confirm").await;
    assert_eq!(confirmed.status(), 303);
    let location = confirmed.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("/coordination/imports/"), "{location}");
    assert_eq!(count(&app, "beneficiaries").await, 2000);

    let batch = app.get(&location).await.text().await.unwrap();
    assert!(batch.contains("Télécharger les lignes refusées"));
    let csv = app.get(&format!("{location}/rejected.csv")).await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("\u{feff}Ligne;N° dossier;Nom;Prénom"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].starts_with("2002;80-0009999;Sans;Numero"),
        "{}",
        lines[1]
    );

    let history = app.get("/coordination/imports").await.text().await.unwrap();
    assert!(history.contains("beneficiaires.csv"));
}

async fn cancel_writes_nothing_and_a_second_confirm_imports_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let html = upload(
        &app,
        "territories",
        "territoires.csv",
        demo("territories.csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    let cancelled = decide(&app, &html, "cancel").await;
    assert_eq!(cancelled.status(), 303);
    assert_eq!(count(&app, "territories").await, 0);
    assert_eq!(count(&app, "import_uploads").await, 0);
    let after = decide(&app, &html, "confirm").await;
    assert_eq!(
        after.headers()["location"],
        "/coordination/imports",
        "a cancelled upload cannot be confirmed"
    );
    assert_eq!(count(&app, "territories").await, 0);

    // Double-click on confirm: one import.
    let html = upload(
        &app,
        "territories",
        "territoires.csv",
        demo("territories.csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        decide(&app, &html, "confirm"),
        decide(&app, &html, "confirm")
    );
    assert_eq!(a.status(), 303);
    assert_eq!(b.status(), 303);
    assert_eq!(count(&app, "territories").await, 6);
    assert_eq!(
        count(&app, "import_batches").await,
        1,
        "one batch for a double submit"
    );
}

async fn only_coordinators_see_the_import_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = app.get("/coordination/imports").await;
    assert_eq!(anonymous.status(), 303);
    for role in [Role::Caller, Role::Territory] {
        let app = spawn_app(backend).await;
        app.login_as(role).await;
        assert_eq!(
            app.get("/coordination/imports").await.status(),
            403,
            "{role:?}"
        );
        assert_eq!(
            app.get("/coordination/imports/1").await.status(),
            403,
            "{role:?}"
        );
        assert_eq!(
            app.get("/coordination/imports/1/rejected.csv")
                .await
                .status(),
            403,
            "{role:?}"
        );
    }
    let app = spawn_app(backend).await;
    app.login_as(Role::Admin).await;
    assert_eq!(app.get("/coordination/imports").await.status(), 200);
    assert_eq!(app.get("/coordination/imports/999").await.status(), 404);
}

async fn a_file_missing_a_column_is_explained_on_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let response = upload(
        &app,
        "beneficiaries",
        "x.csv",
        b"Prenom;Telephone\nJeanne;0199001234\n".to_vec(),
    )
    .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(html.contains("Nom"), "{html}");
    assert_eq!(count(&app, "import_uploads").await, 0);
}

async fn an_oversized_upload_gets_a_clear_page(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let big = vec![b'a'; lien::web::imports::MAX_UPLOAD_BYTES + 10];
    let response = upload(&app, "beneficiaries", "big.csv", big).await;
    assert_eq!(response.status(), 413);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Fichier trop volumineux"));
}

/// Uploads `content` as `kind`, gives the preview page; `confirm` imports it.
async fn preview_then(app: &TestApp, kind: &str, content: &str, confirm: bool) -> String {
    let preview = upload(app, kind, "liste.csv", content.as_bytes().to_vec()).await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    if confirm {
        assert_eq!(decide(app, &html, "confirm").await.status(), 303);
    }
    html
}

async fn the_preview_counts_people_on_the_do_not_call_list(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    // A do-not-call entry matching nobody yet: kept, and said so.
    let opt_out = "N° dossier;Nom;Prénom;Date de naissance;Téléphone portable\n\
                   X-1;Leroy;Jean;03/05/1940;06 39 98 40 01\n";
    let html = preview_then(&app, "opt_out", opt_out, true).await;
    assert!(
        html.contains("Gardées sur la liste d&#39;opposition sans personne correspondante : 1"),
        "{html}"
    );
    // A list bringing that phone under another name: the row comes in opted out.
    let list = "N° dossier;Nom;Prénom;Date de naissance;Code postal;Téléphone portable\n\
                A-1;Durand;Marie;02/04/1938;80000;06 11 22 33 44\n\
                Z-9;Dupuis;Claire;02/04/1948;80000;+33 6 39 98 40 01\n";
    let html = preview_then(&app, "beneficiaries", list, false).await;
    assert!(
        html.contains(
            "Sur la liste d&#39;opposition, importées comme opposées (jamais planifiées) : 1 — lignes 3"
        ),
        "{html}"
    );
    assert!(
        !html.contains("id=\"listed\""),
        "nothing kept on a beneficiary list"
    );
}

/// Issue 17's lists from the browser, and the page in English (issue 13).
async fn needs_and_volunteers_go_through_the_upload_page_in_english(backend: Backend) {
    let app = spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let page = app
        .get("/coordination/imports?lang=en")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("value=\"needs\"") && page.contains("Volunteers (missions)"),
        "{page}"
    );
    for (kind, file, table) in [
        ("needs", "needs.csv", "mission_needs"),
        ("volunteers", "volunteers.csv", "volunteers"),
    ] {
        let preview = upload(&app, kind, file, demo(file)).await;
        assert_eq!(preview.status(), 200, "{kind}");
        let html = preview.text().await.unwrap();
        assert_eq!(count(&app, table).await, 0, "the preview writes nothing");
        let done = decide(&app, &html, "confirm").await;
        assert_eq!(done.status(), 303, "{kind}");
        let batch = done.headers()["location"].to_str().unwrap().to_string();
        assert!(count(&app, table).await > 0, "{kind} imported");
        let batch = app.get(&batch).await.text().await.unwrap();
        let label = if kind == "needs" {
            "Organisations&#39; needs"
        } else {
            "Volunteers"
        };
        assert!(batch.contains(label), "{batch}");
        assert!(!batch.contains("Besoins des structures") && !batch.contains("Volontaires"));
    }
    let refused = upload(&app, "needs", "x.csv", b"Foo;Bar\n1;2\n".to_vec()).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Required column not found"), "{html}");
    assert!(!html.contains("Colonne obligatoire"), "{html}");
}
