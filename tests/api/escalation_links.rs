//! Escalation mails without personal data, personal revocable links, and no token left
//! in clear in the outbox (issue 14): through the real SMTP sink, on both databases.

use chrono::{Duration, Utc};
use lien::domain::Role;
use lien::records::EscalationDetails;

use crate::helpers::{execute, form_value, query_all, scalar, text, Backend, TestApp};
use crate::mail::{assignment, caller_app, caller_app_with, drain, parts, post_need, worker_to};
use crate::on_both_backends;
use crate::smtp_sink::{Received, SmtpSink};

on_both_backends!(
    the_full_setting_restores_the_detailed_mail,
    each_recipient_has_a_link_a_coordinator_can_revoke,
    a_closed_escalation_link_is_read_only_then_expires,
    no_login_or_invitation_token_stays_in_the_outbox_once_sent,
);

/// Records a food need on caller 1's first assignment and sends its mails to a sink.
async fn need_mailed(app: &TestApp) -> (i64, Vec<Received>) {
    let id = assignment(app, 0).await;
    post_need(app, id, "food", "Diabète, plus d'insuline", "today").await;
    let escalation_id = scalar(&app.store, "SELECT MAX(id) FROM escalations").await;
    let sink = SmtpSink::start().await;
    drain(&worker_to(&app.store, &sink.url())).await;
    (escalation_id, sink.received())
}

/// The path of the escalation link a received mail carries.
fn link_path(mail: &Received) -> String {
    let (_, plain, _) = parts(&mail.data);
    let at = plain
        .find("/signalements/lien/")
        .expect("the mail has a link");
    plain[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let response = anonymous()
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, action: &str) -> u16 {
    anonymous()
        .post(format!("{}{path}", app.address))
        .form(&[("action", action), ("comment", "par le lien")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The person's name and first phone, the caller's email.
async fn fixture_person(app: &TestApp, escalation_id: i64) -> (String, String, String) {
    let (first, last): (String, String) = query_all(
        &app.store,
        &format!(
            "SELECT b.first_name, b.last_name FROM escalations e JOIN beneficiaries b \
             ON b.id = e.beneficiary_id WHERE e.id = {escalation_id}"
        ),
    )
    .await
    .remove(0);
    let phone = crate::mail::first_phone(app, escalation_id).await;
    let caller = text(&app.store, "SELECT email FROM callers WHERE id = 1").await;
    (format!("{first} {last}"), phone, caller)
}

async fn the_full_setting_restores_the_detailed_mail(backend: Backend) {
    let app = caller_app_with(backend, |s| s.escalation_details = EscalationDetails::Full).await;
    let (escalation_id, received) = need_mailed(&app).await;
    assert!(!received.is_empty());
    let (name, phone, caller) = fixture_person(&app, escalation_id).await;
    let national = lien::mail::message::display_phone(&phone);
    for mail in &received {
        let (subject, plain, _) = parts(&mail.data);
        assert!(
            subject.starts_with("[lien] Besoin signalé – Alimentation – "),
            "{subject}"
        );
        for expected in [&name, &national, &caller, "Diabète, plus d'insuline"] {
            assert!(plain.contains(expected), "{expected} missing:\n{plain}");
        }
    }
}

async fn each_recipient_has_a_link_a_coordinator_can_revoke(backend: Backend) {
    let app = caller_app(backend).await;
    execute(
        &app.store,
        "UPDATE territories SET referent_emails = 'a@territoire.example.org; b@territoire.example.org'",
    )
    .await
    .unwrap();
    let (escalation_id, received) = need_mailed(&app).await;
    assert_eq!(received.len(), 2, "one mail per recipient");
    let (name, phone, _) = fixture_person(&app, escalation_id).await;
    for mail in &received {
        let (subject, plain, html) = parts(&mail.data);
        for part in [&subject, &plain, &html] {
            assert!(!part.contains(&name), "{part}");
            assert!(!part.contains(&lien::mail::message::display_phone(&phone)));
            assert!(!part.contains("insuline"), "{part}");
        }
    }
    let by_recipient = |who: &str| {
        received
            .iter()
            .find(|m| m.recipients == vec![who.to_string()])
            .map(link_path)
            .unwrap()
    };
    let (link_a, link_b) = (
        by_recipient("a@territoire.example.org"),
        by_recipient("b@territoire.example.org"),
    );
    assert_ne!(link_a, link_b, "each recipient has their own token");
    let (status, page) = get(&app, &link_a).await;
    assert_eq!(status, 200);
    assert!(page.contains(&name), "the details are behind the link");
    assert!(page.contains("insuline"));
    let used = text(
        &app.store,
        "SELECT detail FROM audit_events WHERE action = 'escalation_link_used' ORDER BY id LIMIT 1",
    )
    .await;
    assert!(
        used.contains("read") && used.contains("from 127.0.0.1"),
        "the use is audited with the client's address: {used}"
    );

    // A coordinator revokes recipient a's link from the escalation's page.
    app.login_as(Role::Coordinator).await;
    let page = app
        .get(&format!("/signalements/{escalation_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("a@territoire.example.org"), "{page}");
    let link_id = scalar(
        &app.store,
        "SELECT id FROM escalation_links WHERE recipient = 'a@territoire.example.org'",
    )
    .await;
    let action = format!("/signalements/{escalation_id}/liens/{link_id}/revoquer");
    assert!(page.contains(&action), "a revoke button: {page}");
    let forged = app
        .client
        .post(format!("{}{action}", app.address))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_ne!(forged.status(), 303, "CSRF is checked");
    let revoked = app
        .client
        .post(format!("{}{action}", app.address))
        .form(&[("csrf", form_value(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'escalation_link_revoked'"
        )
        .await,
        1
    );
    let (status, page) = get(&app, &link_a).await;
    assert_eq!(status, 410, "the revoked link opens nothing");
    assert!(!page.contains(&name));
    assert_eq!(post(&app, &link_a, "handled").await, 410);
    assert_eq!(
        get(&app, &link_b).await.0,
        200,
        "the other recipient's still works"
    );
    assert_eq!(
        text(
            &app.store,
            &format!("SELECT status FROM escalations WHERE id = {escalation_id}")
        )
        .await,
        "open"
    );
    assert!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'escalation_link_refused' \
             AND detail LIKE '%revoked from 127.0.0.1'"
        )
        .await
            >= 1
    );
}

/// Moves the escalation's closing `days` days into the past.
async fn closed_days_ago(app: &TestApp, escalation_id: i64, days: i64) {
    let at = (Utc::now() - Duration::days(days)).to_rfc3339();
    execute(
        &app.store,
        &format!(
            "UPDATE escalations SET handled_at = '{at}', taken_at = '{at}' WHERE id = {escalation_id}"
        ),
    )
    .await
    .unwrap();
}

async fn a_closed_escalation_link_is_read_only_then_expires(backend: Backend) {
    let app = caller_app_with(backend, |s| s.escalation_link_days_after_close = 3).await;
    crate::mail::one_referent(&app).await;
    let (escalation_id, received) = need_mailed(&app).await;
    let link = link_path(&received[0]);
    let (status, page) = get(&app, &link).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("name=\"action\""),
        "an open escalation has its form"
    );
    assert_eq!(post(&app, &link, "handled").await, 303);

    // Closed: the page shows, without a form; a change is refused.
    let (status, page) = get(&app, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("data-read-only"), "{page}");
    assert!(!page.contains("name=\"action\""), "no form once closed");
    assert_eq!(post(&app, &link, "take").await, 409);
    let status_sql = format!("SELECT status FROM escalations WHERE id = {escalation_id}");
    assert_eq!(text(&app.store, &status_sql).await, "handled");

    // Still readable 2 days after closing, dead after 3 (the setting).
    closed_days_ago(&app, escalation_id, 2).await;
    assert_eq!(get(&app, &link).await.0, 200);
    closed_days_ago(&app, escalation_id, 4).await;
    let (status, page) = get(&app, &link).await;
    assert_eq!(status, 410);
    assert!(page.contains("Lien invalide ou expiré"));
    assert_eq!(post(&app, &link, "take").await, 410);
    assert_eq!(text(&app.store, &status_sql).await, "handled");
    let uses: Vec<(String, String)> = query_all(
        &app.store,
        "SELECT action, detail FROM audit_events WHERE subject_type = 'escalation_link' ORDER BY id",
    )
    .await;
    assert_eq!(uses.len(), 7, "every use is audited: {uses:?}");
    assert!(
        uses.iter().all(|(_, d)| d.ends_with("from 127.0.0.1")),
        "{uses:?}"
    );
    assert_eq!(
        uses[3].1,
        format!("escalation {escalation_id} update read-only from 127.0.0.1")
    );
    assert_eq!(uses[5].0, "escalation_link_refused");
    assert_eq!(uses[6].0, "escalation_link_refused");
}

/// An outbox row's text columns.
type OutboxText = (String, String, String, Option<String>, Option<String>);

/// The outbox table's text columns, all rows.
async fn outbox_dump(app: &TestApp) -> String {
    let rows: Vec<OutboxText> = query_all(
        &app.store,
        "SELECT kind, recipients, subject, body_text, body_html FROM outbox ORDER BY id",
    )
    .await;
    let secrets: Vec<(Option<String>,)> =
        query_all(&app.store, "SELECT secret_token FROM outbox ORDER BY id").await;
    format!("{rows:?} {secrets:?}")
}

/// The bodies of the outbox, all rows.
async fn outbox_bodies(app: &TestApp) -> String {
    let rows: Vec<(String, Option<String>)> = query_all(
        &app.store,
        "SELECT body_text, body_html FROM outbox ORDER BY id",
    )
    .await;
    format!("{rows:?}")
}

/// The token a received mail's login link carries.
fn login_token(mail: &Received) -> String {
    let (_, plain, _) = parts(&mail.data);
    let body = if plain.is_empty() {
        mailparse::parse_mail(mail.data.as_bytes())
            .unwrap()
            .get_body()
            .unwrap()
    } else {
        plain
    };
    let at = body.find("/login/link/").expect("a login link") + "/login/link/".len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect()
}

async fn no_login_or_invitation_token_stays_in_the_outbox_once_sent(backend: Backend) {
    let app = crate::helpers::spawn_app(backend).await;
    app.create_user(Role::Caller, "agent@cd80.example.org")
        .await;
    let form = app.get("/login").await.text().await.unwrap();
    let asked = app
        .client
        .post(format!("{}/login/link", app.address))
        .form(&[
            ("email", "agent@cd80.example.org"),
            ("csrf", &form_value(&form, "csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    app.login_as(Role::Coordinator).await;
    let invited = crate::invitations::invite_two_callers(&app).await;
    assert_eq!(invited.status(), 303);
    let waiting = outbox_dump(&app).await;
    let waiting_bodies = outbox_bodies(&app).await;
    assert_eq!(
        waiting_bodies.matches("/login/link/[[lien-jeton]]").count(),
        3,
        "the bodies hold a placeholder: {waiting_bodies}"
    );

    let sink = SmtpSink::start().await;
    let report = drain(&worker_to(&app.store, &sink.url())).await;
    assert_eq!(report.sent, 3, "one login link and two invitations");
    let tokens: Vec<String> = sink.received().iter().map(login_token).collect();
    assert_eq!(tokens.len(), 3);
    let dump = outbox_dump(&app).await;
    for token in &tokens {
        assert_eq!(token.len(), 64, "the mail carries the real token");
        assert!(
            !dump.contains(token.as_str()),
            "a token in clear in: {dump}"
        );
        assert!(
            waiting.contains(token.as_str()) && !waiting_bodies.contains(token.as_str()),
            "before sending, the token waits beside the body, not in it"
        );
    }
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE secret_token IS NOT NULL"
        )
        .await,
        0
    );
    // The link the mail carried works.
    let browser = TestApp::new_browser(&app);
    let used = browser.get(&format!("/login/link/{}", tokens[0])).await;
    assert_eq!(used.status(), 303);
}
