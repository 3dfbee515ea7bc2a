//! The living campaign's pages on a 390 px phone, in a real browser (headless Chromium
//! through ChromeDriver, as in `browser`): the coordinator's roster and a caller's
//! absence with its rebalance, one person's page and a handover, and the caller's own
//! page. Each walk checks that the page does not scroll sideways and keeps a screenshot
//! (target/browser/, and docs/screenshots/ through `docs/screenshots/regenerate.sh`).

use fantoccini::{Client, Locator};
use lien::domain::Role;

use crate::browser::{browser, log_in, page_width, screenshot, wait_for_text};
use crate::helpers::{planned_demo_app, scalar, text, TestApp};

/// Sets a form field's value through the page (date inputs take keys in the browser's
/// locale; the value property is the same everywhere).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![id.into(), value.into()],
        )
        .await
        .unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Fails when the page scrolls sideways on a 390 px phone, naming the elements that
/// stick out (the innermost ones first).
async fn assert_fits_a_phone(client: &Client, what: &str) {
    let width = page_width(client).await;
    if width <= 390 {
        return;
    }
    let culprits = client
        .execute(
            "return Array.from(document.querySelectorAll('body *'))\
               .filter(e => e.getBoundingClientRect().right > 391 && !(e.parentElement && e.parentElement.closest('.table-wrap')))\
               .slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' \
                 + Math.round(e.getBoundingClientRect().right)).join(', ');",
            vec![],
        )
        .await
        .unwrap();
    panic!("{what} is {width} px wide on a 390 px phone: {culprits}");
}

async fn coordinator_on_a_phone(app: &TestApp) -> Client {
    app.create_user(Role::Coordinator, "coordination@cd80.example.org")
        .await;
    let client = browser(390, 844, true).await;
    log_in(&client, app, "coordination@cd80.example.org").await;
    wait_for_text(&client, "h1", "Importer des listes").await;
    client
}

/// Today and the last day of this week (Sunday), as the date inputs want them.
fn rest_of_week() -> (String, String) {
    use chrono::Datelike;
    let today = chrono::Local::now().date_naive();
    let sunday =
        today + chrono::Duration::days(6 - i64::from(today.weekday().num_days_from_monday()));
    (today.to_string(), sunday.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn a_coordinator_records_an_absence_from_the_roster_on_a_phone() {
    let (app, caller_email) = planned_demo_app(crate::helpers::Backend::Sqlite).await;
    let client = coordinator_on_a_phone(&app).await;
    client
        .goto(&format!("{}/coordination/callers", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "h1", "Appelants").await;
    screenshot(&client, "callers-roster-phone").await;
    assert_fits_a_phone(&client, "the roster").await;

    // The roster's search finds the caller; their page records an absence.
    let last_name = text(&app.store, "SELECT last_name FROM callers WHERE id = 1").await;
    set_value(&client, "q", &last_name).await;
    click(
        &client,
        "form[action='/coordination/callers'][method=get] button",
    )
    .await;
    wait_for_text(&client, "main", &caller_email).await;
    click(&client, "a[href^='/coordination/callers/1?']").await;
    wait_for_text(&client, "h1", &last_name).await;
    assert_fits_a_phone(&client, "a caller's page").await;
    let (from, to) = rest_of_week();
    set_value(&client, "from", &from).await;
    set_value(&client, "to", &to).await;
    click(
        &client,
        "form[action='/coordination/callers/1/absences'] button",
    )
    .await;
    wait_for_text(&client, "[role=status]", "Absence enregistrée.").await;
    screenshot(&client, "caller-absence-phone").await;
    let recorded = scalar(
        &app.store,
        "SELECT COUNT(*) FROM caller_absences WHERE caller_id = 1",
    )
    .await;
    assert_eq!(recorded, 1, "the absence is in the database");

    // The rebalance shows who moves to whom; confirming does it.
    let waiting = scalar(
        &app.store,
        "SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND status = 'open'",
    )
    .await;
    if waiting > 0 {
        wait_for_text(&client, "main", "Confirmer le rééquilibrage").await;
        let moves = client
            .find_all(Locator::Css("table.moves tbody tr"))
            .await
            .unwrap();
        assert!(
            !moves.is_empty(),
            "the moves are listed before they are made"
        );
        screenshot(&client, "caller-rebalance-phone").await;
        click(
            &client,
            "form[action='/coordination/callers/1/rebalance'] button",
        )
        .await;
        wait_for_text(&client, "[role=status]", "Rééquilibrage fait").await;
        let left = scalar(
            &app.store,
            "SELECT COUNT(*) FROM assignments WHERE caller_id = 1 AND status = 'open'",
        )
        .await;
        assert!(
            left < waiting,
            "{left} of {waiting} people still wait for the absent caller"
        );
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn a_coordinator_finds_a_person_and_hands_them_over_on_a_phone() {
    let (app, _) = planned_demo_app(crate::helpers::Backend::Sqlite).await;
    let client = coordinator_on_a_phone(&app).await;
    let (id, last_name): (i64, String) = crate::helpers::query_all(
        &app.store,
        "SELECT b.id, b.last_name FROM beneficiaries b \
         JOIN assignments a ON a.beneficiary_id = b.id AND a.status = 'open' \
         ORDER BY b.id LIMIT 1",
    )
    .await
    .remove(0);
    client
        .goto(&format!("{}/coordination/personnes", app.address))
        .await
        .unwrap();
    set_value(&client, "q", &last_name).await;
    click(&client, "form[action='/coordination/personnes'] button").await;
    wait_for_text(&client, "[role=status]", "trouvée").await;
    assert_fits_a_phone(&client, "the people search").await;
    screenshot(&client, "people-search-phone").await;
    client
        .goto(&format!("{}/coordination/personnes/{id}", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "h1", &last_name).await;
    assert_fits_a_phone(&client, "a person's page").await;
    screenshot(&client, "person-phone").await;

    let owner = format!(
        "SELECT c.email FROM assignments a JOIN callers c ON c.id = a.caller_id \
         WHERE a.beneficiary_id = {id} AND a.status = 'open'"
    );
    let before = text(&app.store, &owner).await;
    let handover = "form:has(input[name=action][value=handover])";
    let options = client
        .find_all(Locator::Css(&format!("{handover} select#caller option")))
        .await
        .unwrap();
    let mut target = None;
    for option in options {
        let value = option.attr("value").await.unwrap().unwrap_or_default();
        if !value.is_empty() && value != before {
            target = Some(value);
            break;
        }
    }
    let target = target.expect("another caller to hand over to");
    set_value(&client, "caller", &target).await;
    set_value(
        &client,
        "reason-handover",
        "La fille préfère un autre appelant",
    )
    .await;
    click(&client, &format!("{handover} button")).await;
    wait_for_text(&client, "main", "Enregistré").await;
    let after = text(&app.store, &owner).await;
    assert_eq!(after, target, "the person is in the new caller's queue");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn a_caller_declares_an_absence_and_their_days_on_their_own_page_on_a_phone() {
    let (app, email) = planned_demo_app(crate::helpers::Backend::Sqlite).await;
    let client = browser(390, 844, true).await;
    log_in(&client, &app, &email).await;
    wait_for_text(&client, "h1", "Mes appels du jour").await;
    client.goto(&format!("{}/moi", app.address)).await.unwrap();
    wait_for_text(&client, "h1", "Ma page").await;
    assert_fits_a_phone(&client, "the caller's own page").await;
    screenshot(&client, "me-phone").await;

    let (from, to) = rest_of_week();
    set_value(&client, "from", &from).await;
    set_value(&client, "to", &to).await;
    click(&client, "form[action='/moi/absences'] button").await;
    wait_for_text(&client, "[role=status]", "Absence enregistrée").await;
    let absences = scalar(
        &app.store,
        "SELECT COUNT(*) FROM caller_absences WHERE caller_id = 1",
    )
    .await;
    assert_eq!(absences, 1);

    // A lower capacity, within the coordinator's figure.
    set_value(&client, "capacity", "3").await;
    click(&client, "form[action='/moi/disponibilites'] button").await;
    wait_for_text(&client, "[role=status]", "disponibilités sont enregistrées").await;
    let capacity = scalar(
        &app.store,
        "SELECT weekly_capacity FROM callers WHERE id = 1",
    )
    .await;
    assert_eq!(capacity, 3);
    screenshot(&client, "me-saved-phone").await;
    client.close().await.unwrap();
}
