//! Issue 13: every mail in its recipient's language. An account's language is the one
//! its owner last picked with a page's language switch (or was invited with); a
//! territory's referents get the escalation mails and the digest each in theirs, French
//! when the address has no account.

use lien::domain::Role;

use crate::helpers::{execute, form_value, query_all, text, Backend, TestApp, TEST_PASSWORD};
use crate::mail::{assignment, caller_app, drain, parts, post_need, worker_to};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;

on_both_backends!(
    referents_get_escalations_and_digests_each_in_their_language,
    the_language_switch_becomes_the_accounts_and_its_mails_follow,
    an_account_invited_in_english_gets_its_invitation_in_english,
    users_add_takes_the_accounts_language,
);

const FRENCH_ADDRESS: &str = "accueil@territoire.example.org";
const ENGLISH_ADDRESS: &str = "referent-en@territoire.example.org";

/// French words that an English mail must not carry.
const FRENCH: [&str; 8] = [
    "Bonjour",
    "Signalement",
    "Catégorie",
    "Urgence",
    "Alimentation",
    "Aujourd",
    "Récapitulatif",
    "lien personnel",
];

/// An account with `email` whose owner picks English with the switch of a page.
async fn english_account(app: &TestApp, role: Role, email: &str) {
    app.create_user(role, email).await;
    let browser = TestApp::new_browser(app);
    assert_eq!(browser.login(email, TEST_PASSWORD).await.status(), 303);
    assert_eq!(browser.get("/?lang=en").await.status(), 200);
    let language = text(
        &app.store,
        &format!("SELECT language FROM users WHERE email = '{email}'"),
    )
    .await;
    assert_eq!(language, "en", "the switch is remembered for the account");
}

fn assert_english(what: &str, parts: &[&str]) {
    for part in parts {
        for french in FRENCH {
            assert!(!part.contains(french), "{what}: {french} in\n{part}");
        }
    }
}

async fn referents_get_escalations_and_digests_each_in_their_language(backend: Backend) {
    let app = caller_app(backend).await;
    english_account(&app, Role::Territory, ENGLISH_ADDRESS).await;
    execute(
        &app.store,
        &format!("UPDATE territories SET referent_emails = '{FRENCH_ADDRESS}; {ENGLISH_ADDRESS}'"),
    )
    .await
    .unwrap();
    let id = assignment(&app, 0).await;
    post_need(&app, id, "food", "Plus de courses depuis lundi", "today").await;
    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    assert_eq!(
        (report.sent, report.failed),
        (2, 0),
        "one mail per referent"
    );
    let received = sink.received();
    let to = |address: &str| {
        received
            .iter()
            .find(|m| m.recipients == [address.to_string()])
            .unwrap_or_else(|| panic!("no mail to {address}"))
    };
    let (subject, plain, html) = parts(&to(ENGLISH_ADDRESS).data);
    assert!(
        subject.starts_with("[lien] Escalation no. ") && subject.ends_with(" – urgent today"),
        "{subject}"
    );
    assert!(
        plain.starts_with("Hello,") && plain.contains("Category: Food"),
        "{plain}"
    );
    assert!(html.contains("<html lang=\"en\">"));
    assert_english("escalation", &[&subject, &plain, &html]);
    let (subject, plain, _) = parts(&to(FRENCH_ADDRESS).data);
    assert!(subject.starts_with("[lien] Signalement n° "), "{subject}");
    assert!(plain.contains("Catégorie : Alimentation"), "{plain}");

    // The daily digest: one per language, each to its own referents.
    let territory_id =
        crate::helpers::scalar(&app.store, "SELECT territory_id FROM escalations").await;
    app.store
        .set_daily_digest(territory_id, true)
        .await
        .unwrap();
    let links = lien::mail::MailLinks::new(app.address.parse().unwrap(), vec![1; 32]);
    let now = chrono::Utc::now();
    assert_eq!(app.store.queue_daily_digests(&links, now).await.unwrap(), 2);
    assert_eq!(
        app.store.queue_daily_digests(&links, now).await.unwrap(),
        0,
        "one digest a day in each language"
    );
    let sink = SmtpSink::start().await;
    drain(&worker_to(&app.store, &sink.url())).await;
    let digests = sink.received();
    assert_eq!(digests.len(), 2, "two digests");
    for digest in &digests {
        let (subject, plain, html) = parts(&digest.data);
        let message_id = digest.header("Message-ID").unwrap();
        if digest.recipients == [ENGLISH_ADDRESS.to_string()] {
            assert!(message_id.contains("-en@"), "{message_id}");
            assert!(
                subject.starts_with("[lien] Summary of open escalations – "),
                "{subject}"
            );
            assert!(plain.contains("Food") && plain.contains("Today"), "{plain}");
            assert_english("digest", &[&subject, &plain, &html]);
        } else {
            assert_eq!(digest.recipients, [FRENCH_ADDRESS.to_string()]);
            assert!(subject.starts_with("[lien] Récapitulatif"), "{subject}");
        }
    }
}

async fn the_language_switch_becomes_the_accounts_and_its_mails_follow(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    let email = "agent-en@cd80.example.org";
    english_account(&app, Role::Caller, email).await;
    let form = app.get("/login").await.text().await.unwrap();
    let csrf = form_value(&form, "csrf");
    let asked = app
        .client
        .post(format!("{}/login/link", app.address))
        .form(&[("email", email), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let (subject, body): (String, String) = query_all(
        &app.store,
        "SELECT subject, body_text FROM outbox WHERE kind = 'login_link'",
    )
    .await
    .remove(0);
    assert_eq!(subject, "[lien] Your login link");
    assert!(
        body.starts_with("Hello,") && body.contains("It works once"),
        "{body}"
    );
    assert_english("login link", &[&subject, &body]);

    // Picking French again brings the mails back to French.
    let browser = TestApp::new_browser(&app);
    browser.login(email, TEST_PASSWORD).await;
    browser.get("/?lang=fr").await;
    let language = text(
        &app.store,
        &format!("SELECT language FROM users WHERE email = '{email}'"),
    )
    .await;
    assert_eq!(language, "fr");
}

async fn an_account_invited_in_english_gets_its_invitation_in_english(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    app.login_as(Role::Admin).await;
    let page = app.get("/admin/comptes").await.text().await.unwrap();
    assert!(
        page.contains("name=\"language\""),
        "the form asks the language"
    );
    let csrf = form_value(&page, "csrf");
    let invite = |email: &'static str, language: &'static str| {
        app.client
            .post(format!("{}/admin/comptes", app.address))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("name", ""),
                ("role", "coordinator"),
                ("language", language),
            ])
            .send()
    };
    assert_eq!(
        invite("coord-en@cd80.example.org", "en")
            .await
            .unwrap()
            .status(),
        303
    );
    let refused = invite("coord-de@cd80.example.org", "de").await.unwrap();
    assert_eq!(refused.status(), 409);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("fr") && refused.contains("en"),
        "the refusal says what to give"
    );
    let (language, subject, body): (String, String, String) = query_all(
        &app.store,
        "SELECT u.language, o.subject, o.body_text FROM outbox o JOIN users u ON u.email = o.recipients \
         WHERE o.kind = 'invitation'",
    )
    .await
    .remove(0);
    assert_eq!(language, "en");
    assert_eq!(subject, "[lien] Your lien account");
    assert!(
        body.contains("An account was opened for you in lien"),
        "{body}"
    );
    assert!(
        body.contains("one-time code"),
        "a coordinator needs a second factor"
    );
    assert_english("invitation", &[&subject, &body]);
    assert_eq!(
        crate::helpers::scalar(
            &app.store,
            "SELECT COUNT(*) FROM users WHERE email = 'coord-de@cd80.example.org'"
        )
        .await,
        0,
        "nothing was created"
    );
}

async fn users_add_takes_the_accounts_language(backend: Backend) {
    use crate::cli::{lien, run};
    let app = crate::helpers::spawn_app(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let add = |email: &str, language: &str| {
        run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
            "users",
            "add",
            "--role",
            "caller",
            "--email",
            email,
            "--language",
            language,
            "--json",
        ]))
    };
    app.create_user(Role::Caller, "former@cd80.example.org")
        .await;
    // A caller account needs the caller: the test's caller import made one.
    execute(
        &app.store,
        "DELETE FROM users WHERE email = 'former@cd80.example.org'",
    )
    .await
    .unwrap();
    let added = add("former@cd80.example.org", "en");
    assert!(added.status.success(), "{added:?}");
    let json = crate::cli::stdout_json(&added);
    assert_eq!(json["language"], "en", "{json}");
    let refused = add("other@cd80.example.org", "de");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("--language \"de\"") && said.contains("fr ou en"),
        "{said}"
    );
}
