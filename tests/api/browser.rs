//! The pages that matter, in a real browser: headless Chromium driven through
//! ChromeDriver (Debian's `chromium` and `chromium-driver`). Set LIEN_TEST_WEBDRIVER to
//! the driver's address (`chromedriver --port=9515` → http://127.0.0.1:9515); `.ci/run`
//! does. Screenshots land in target/browser/ for a human look.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use lien::domain::Role;

use crate::helpers::{spawn_app, Backend, TestApp, TEST_PASSWORD};

/// A browser session; with `phone`, Chromium emulates a 390 × 844 phone screen (a
/// headless window cannot be narrower than 500 px).
async fn browser(width: u32, height: u32, phone: bool) -> Client {
    let webdriver = std::env::var("LIEN_TEST_WEBDRIVER").expect("LIEN_TEST_WEBDRIVER");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": std::env::var("LIEN_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--lang=fr-FR", format!("--window-size={width},{height}"),
            ],
            "prefs": { "intl.accept_languages": "fr-FR,fr" },
        }),
    );
    if phone {
        caps["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2.0, "touch": true },
        });
    }
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&webdriver)
        .await
        .expect("a WebDriver session (is chromedriver running at LIEN_TEST_WEBDRIVER?)")
}

/// Saves a screenshot in target/browser/, and in LIEN_SCREENSHOTS_DIR too when it is set
/// (`docs/screenshots/regenerate.sh` sets it to refresh the pictures of the docs).
async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser")];
    if let Some(extra) = std::env::var_os("LIEN_SCREENSHOTS_DIR") {
        dirs.push(PathBuf::from(extra));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    }
}

/// The page's width in CSS pixels (wider than the screen means sideways scrolling).
async fn page_width(client: &Client) -> u64 {
    client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Waits until the element `css` shows `text` (pages load and replace each other).
async fn wait_for_text(client: &Client, css: &str, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(found) = element.text().await {
                if found.contains(text) {
                    return;
                }
                last = found;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} says {last:?}, expected {text:?}");
}

async fn log_in(client: &Client, app: &TestApp, email: &str) {
    client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    wait_for_text(client, "h1", "Connexion").await;
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    client
        .find(Locator::Css("#password"))
        .await
        .unwrap()
        .send_keys(TEST_PASSWORD)
        .await
        .unwrap();
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn a_coordinator_imports_a_list_in_a_real_browser() {
    let app = spawn_app(Backend::Sqlite).await;
    app.create_user(Role::Coordinator, "coordination@cd80.example.org")
        .await;
    let client = browser(1280, 1000, false).await;
    log_in(&client, &app, "coordination@cd80.example.org").await;
    wait_for_text(&client, "h1", "Importer des listes").await;

    // Territories first, then the messy Excel list of beneficiaries.
    for (kind, file) in [
        ("territories", "territoires.csv"),
        ("beneficiaries", "beneficiaires-excel.csv"),
    ] {
        client
            .goto(&format!("{}/coordination/imports", app.address))
            .await
            .unwrap();
        client
            .find(Locator::Css(&format!("#kind option[value={kind}]")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        client
            .find(Locator::Css("#file"))
            .await
            .unwrap()
            .send_keys(sample(file).to_str().unwrap())
            .await
            .unwrap();
        client
            .find(Locator::Css("form[enctype] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_text(&client, "h1", "Vérification avant import").await;
        if kind == "beneficiaries" {
            let rejected = client
                .find_all(Locator::Css("table tbody tr"))
                .await
                .unwrap();
            assert!(!rejected.is_empty(), "the rejected rows are listed");
            screenshot(&client, "import-preview").await;
        }
        client
            .find(Locator::Css(
                "form[action='/coordination/imports/confirm'] button",
            ))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_for_text(&client, "h1", "Import n°").await;
    }
    wait_for_text(&client, "a.button", "Télécharger les lignes refusées").await;
    screenshot(&client, "import-batch").await;
    let stored = crate::helpers::scalar(&app.store, "SELECT COUNT(*) FROM beneficiaries").await;
    assert!(stored > 20, "{stored}");
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn the_home_and_login_pages_fit_a_phone() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = browser(390, 844, true).await;
    client.goto(&format!("{}/", app.address)).await.unwrap();
    wait_for_text(&client, "h1", "Appels de solidarité").await;
    // Nothing wider than the screen: no sideways scrolling on a phone.
    let width = client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    let wide = client
        .execute(
            "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5).join(', ');",
            vec![],
        )
        .await
        .unwrap();
    let viewport = client
        .execute("return window.innerWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(viewport.as_u64(), Some(390), "the phone screen is emulated");
    assert!(
        width.as_u64().unwrap() <= 390,
        "page is {width} px wide on a {viewport} px screen: {wide}"
    );
    screenshot(&client, "home-phone").await;
    client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "h1", "Connexion").await;
    screenshot(&client, "login-phone").await;
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn a_caller_works_through_their_queue_on_a_phone() {
    use lien::domain::{CampaignName, EmailAddress, IsoWeek};
    use lien::store::{NewUser, PlanMode};

    let app = spawn_app(Backend::Sqlite).await;
    let campaign = app
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let data = lien::fixtures::demo_dataset().unwrap();
    app.store
        .load_dataset(&campaign, "fixtures/demo", &data)
        .await
        .unwrap();
    app.store
        .plan_week(&campaign, IsoWeek::current(), PlanMode::Plan, false)
        .await
        .unwrap();
    let email = data.callers[0].email.as_str().to_string();
    app.store
        .create_user(&NewUser {
            email: EmailAddress::parse(&email).unwrap(),
            display_name: "Élodie".into(),
            role: Role::Caller,
            password_hash: Some(lien::auth::Password::parse(TEST_PASSWORD).unwrap().hash()),
            caller_id: app.store.caller_id_by_email(&email).await.unwrap(),
            territory_id: None,
        })
        .await
        .unwrap();
    let client = browser(390, 844, true).await;
    log_in(&client, &app, &email).await;
    wait_for_text(&client, "h1", "Mes appels du jour").await;
    let first_phone = client.find(Locator::Css("a.tel")).await.unwrap();
    let href = first_phone.attr("href").await.unwrap().unwrap();
    assert!(href.starts_with("tel:+"), "{href}");
    let width = page_width(&client).await;
    assert!(
        width <= 390,
        "the queue is {width} px wide on a 390 px phone"
    );
    screenshot(&client, "queue-phone").await;
    let cards_before = client
        .find_all(Locator::Css("li.card"))
        .await
        .unwrap()
        .len();
    assert!(cards_before > 0);

    // Open the first person, record "reached – need expressed" with a need.
    let first = client.find(Locator::Css("li.card h2 a")).await.unwrap();
    let name = first.text().await.unwrap();
    first.click().await.unwrap();
    wait_for_text(&client, "h1", &name).await;
    wait_for_text(&client, ".script", "3919").await;
    let width = page_width(&client).await;
    assert!(
        width <= 390,
        "the call page is {width} px wide on a 390 px phone"
    );
    screenshot(&client, "call-phone").await;
    client
        .find(Locator::Css("input[name=outcome][value=reached_need]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=need_food]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .find(Locator::Css("input[name=need_food_description]"))
        .await
        .unwrap()
        .send_keys("Plus de courses depuis que sa voisine est partie")
        .await
        .unwrap();
    client
        .find(Locator::Css("form.outcome button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Back on the queue: one call done, that person gone from it, and one escalation.
    wait_for_text(&client, "h1", "Mes appels du jour").await;
    wait_for_text(&client, ".progress", "1 appels terminés").await;
    let cards_after = client
        .find_all(Locator::Css("li.card"))
        .await
        .unwrap()
        .len();
    assert_eq!(cards_after, cards_before - 1, "the queue moved on");
    let page = client.source().await.unwrap();
    assert!(!page.contains(&format!(">{name}</a>")), "{name} was called");
    assert_eq!(
        crate::helpers::scalar(
            &app.store,
            "SELECT COUNT(*) FROM escalations WHERE category = 'food'"
        )
        .await,
        1
    );
    screenshot(&client, "queue-after-call-phone").await;
    client.close().await.unwrap();
}
