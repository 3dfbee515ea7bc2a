//! The organisations' signed link (issue 17): the Monday and Thursday reminder queues
//! one mail per organisation, with a fresh link whose token is never in the body; the
//! link opens the organisation's own needs only; an update bumps the need's version and
//! is audited with the client's address; a stale form is refused with what changed; a
//! link dies once the next reminder went. Through the real SMTP sink, on both databases.

use chrono::{Duration, Utc};
use lien::messages::MailLinks;
use lien::store::Store;

use crate::helpers::{query_all, scalar, spawn_app, text, Backend, TestApp};
use crate::mail::{drain, parts, worker_to};
use crate::on_both_backends;
use crate::smtp_sink::SmtpSink;

on_both_backends!(
    a_reminder_queues_one_mail_per_organisation_without_its_token,
    the_link_opens_the_organisations_own_needs_only,
    an_update_bumps_the_version_and_is_audited,
    a_stale_form_is_refused_with_what_changed,
    a_link_is_dead_once_the_next_reminder_went,
);

/// An organisation (with a contact email or not); gives its id.
pub async fn organisation(store: &Store, name: &str, email: Option<&str>) -> i64 {
    lien::store::query_scalar(
        "INSERT INTO organisations (name, name_key, kind, email) \
         VALUES ($1, $2, 'establishment', $3) RETURNING id",
    )
    .bind(name.to_string())
    .bind(name.to_lowercase())
    .bind(email.map(str::to_string))
    .fetch_one(store)
    .await
    .unwrap()
}

/// A need of `organisation` (2 volunteers, 9 h a week, Monday morning); gives its id.
pub async fn need(store: &Store, organisation: i64, reference: &str, active: bool) -> i64 {
    lien::store::query_scalar(
        "INSERT INTO mission_needs (reference, organisation_id, establishment, commune, \
         mission_kind, volunteers_wanted, weekly_minutes, slots, active) \
         VALUES ($1, $2, $3, 'Bobigny', 'Accompagnement éducatif', 2, 540, \
         'lun 09:00-12:00', $4) RETURNING id",
    )
    .bind(reference.to_string())
    .bind(organisation)
    .bind(format!("Foyer {reference}"))
    .bind(active)
    .fetch_one(store)
    .await
    .unwrap()
}

fn links(app: &TestApp) -> MailLinks {
    MailLinks::new(format!("{}/", app.address).parse().unwrap(), vec![7; 32])
}

/// Two organisations to remind (one need each, plus a closed one), one without email,
/// one without an active need. Gives the two organisations' ids.
async fn fixture(app: &TestApp) -> (i64, i64) {
    let a = organisation(
        &app.store,
        "Foyer Les Tilleuls",
        Some("contact@tilleuls.example.org"),
    )
    .await;
    let b = organisation(
        &app.store,
        "MECS Horizon",
        Some("direction@horizon.example.org"),
    )
    .await;
    let silent = organisation(&app.store, "Sans courriel", None).await;
    let idle = organisation(&app.store, "Sans besoin", Some("idle@example.org")).await;
    need(&app.store, a, "ASE-1", true).await;
    need(&app.store, a, "ASE-2", false).await;
    need(&app.store, b, "ASE-3", true).await;
    need(&app.store, silent, "ASE-4", true).await;
    need(&app.store, idle, "ASE-5", false).await;
    (a, b)
}

/// Runs a reminder round at `now`, sends it through a sink, gives each organisation's
/// link path (`/structures/lien/TOKEN`) in organisation order.
async fn remind_and_send(app: &TestApp, now: chrono::DateTime<Utc>) -> Vec<(String, String)> {
    let report = app
        .store
        .queue_needs_reminders(&links(app), now, false)
        .await
        .unwrap();
    // A round "in the future" queues mails due then: make them due now.
    lien::store::query("UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending'")
        .bind(Utc::now() - Duration::seconds(1))
        .execute(&app.store)
        .await
        .unwrap();
    let sink = SmtpSink::start().await;
    drain(&worker_to(&app.store, &sink.url())).await;
    let mut mails: Vec<(String, String)> = sink
        .received()
        .iter()
        .map(|m| {
            let (_, plain, _) = parts(&m.data);
            let at = plain.find("/structures/lien/").expect("a link");
            let path: String = plain[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            (m.recipients.join(","), path)
        })
        .collect();
    mails.sort();
    assert_eq!(mails.len(), report.organisations.len());
    mails
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
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = anonymous()
        .post(format!("{}{path}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The form of a need as the page fills it, with some fields changed.
fn need_form<'a>(version: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("version", version),
        ("volunteers", "2"),
        ("hours", "9"),
        ("slots", "lun 09:00-12:00"),
        ("qualifications", ""),
        ("starts_on", ""),
        ("ends_on", ""),
        ("public", ""),
        ("kind", "Accompagnement éducatif"),
    ];
    for (field, value) in changes {
        match form.iter_mut().find(|(f, _)| f == field) {
            Some(slot) => slot.1 = value,
            None => form.push((field, value)),
        }
    }
    form
}

async fn a_reminder_queues_one_mail_per_organisation_without_its_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, b) = fixture(&app).await;
    let now = Utc::now();
    let dry = app
        .store
        .queue_needs_reminders(&links(&app), now, true)
        .await
        .unwrap();
    let ids: Vec<i64> = dry.organisations.iter().map(|o| o.id).collect();
    assert_eq!(
        ids,
        vec![a, b],
        "only organisations with an email and an active need"
    );
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM outbox").await,
        0,
        "a dry run queues nothing"
    );
    assert_eq!(
        scalar(&app.store, "SELECT COUNT(*) FROM organisation_links").await,
        0
    );

    let report = app
        .store
        .queue_needs_reminders(&links(&app), now, false)
        .await
        .unwrap();
    assert_eq!(report.organisations.len(), 2);
    assert_eq!(
        report.organisations[0].needs, 1,
        "the closed need is not listed"
    );
    let rows: Vec<(String, String, String, Option<String>)> = query_all(
        &app.store,
        "SELECT recipients, body_text, body_html, secret_token FROM outbox ORDER BY id",
    )
    .await;
    assert_eq!(rows.len(), 2, "one mail per organisation");
    for (_, body, html, token) in &rows {
        let token = token.as_deref().expect("the token waits beside the body");
        assert!(body.contains("/structures/lien/[[lien-jeton]]"), "{body}");
        assert!(html.contains("/structures/lien/[[lien-jeton]]"));
        assert!(
            !body.contains(token) && !html.contains(token),
            "never the token in a body"
        );
        let hash = text(
            &app.store,
            &format!(
                "SELECT token_hash FROM organisation_links WHERE token_hash = '{}'",
                lien::auth::token_hash(token)
            ),
        )
        .await;
        assert_ne!(hash, token, "only the token's hash is stored");
    }
    assert!(
        rows[0].1.contains("ASE-1") && !rows[0].1.contains("ASE-2") && !rows[0].1.contains("ASE-3")
    );
    let again = app
        .store
        .queue_needs_reminders(&links(&app), now, false)
        .await
        .unwrap();
    assert!(again.organisations.is_empty(), "once a day");
    assert_eq!(again.already_reminded_today, 2);

    let sink = SmtpSink::start().await;
    drain(&worker_to(&app.store, &sink.url())).await;
    let received = sink.received();
    assert_eq!(received.len(), 2, "through the real SMTP sink");
    let (subject, plain, _) = parts(&received[0].data);
    assert!(subject.contains("toujours à jour"), "{subject}");
    assert!(
        plain.contains("/structures/lien/") && !plain.contains("[[lien-jeton]]"),
        "{plain}"
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM outbox WHERE secret_token IS NOT NULL"
        )
        .await,
        0,
        "once sent, the outbox holds no token"
    );
}

async fn the_link_opens_the_organisations_own_needs_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, _) = fixture(&app).await;
    let mails = remind_and_send(&app, Utc::now()).await;
    let (recipient, path) = &mails[0];
    assert_eq!(recipient, "contact@tilleuls.example.org");
    // A volunteer placed on ASE-1 this week, with two hours recorded.
    let volunteer = crate::helpers::test_volunteer(&app.store, "placed@example.org", None).await;
    let need_id = scalar(
        &app.store,
        "SELECT id FROM mission_needs WHERE reference = 'ASE-1'",
    )
    .await;
    let monday = lien::domain::IsoWeek::current().monday();
    let placement: i64 = lien::store::query_scalar(
        "INSERT INTO mission_placements (need_id, volunteer_id, week_start, minutes, state, \
         reason, need_version) VALUES ($1, $2, $3, 180, 'confirmed', 'test', 1) RETURNING id",
    )
    .bind(need_id)
    .bind(volunteer)
    .bind(monday)
    .fetch_one(&app.store)
    .await
    .unwrap();
    lien::store::query(
        "INSERT INTO mission_hours (placement_id, volunteer_id, worked_on, minutes, recorded_by) \
         VALUES ($1, $2, $3, 120, 'test')",
    )
    .bind(placement)
    .bind(volunteer)
    .bind(monday)
    .execute(&app.store)
    .await
    .unwrap();
    let (status, page) = get(&app, path).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Foyer Les Tilleuls") && page.contains("ASE-1"),
        "{page}"
    );
    assert!(
        page.contains("Test V.") && page.contains("3 h prévues") && page.contains("2 h faites"),
        "{page}"
    );
    assert!(
        !page.contains("placed@example.org"),
        "no volunteer's contact on the page"
    );
    assert!(
        !page.contains("ASE-3") && !page.contains("MECS Horizon"),
        "only its own needs"
    );
    assert!(!page.contains("ASE-2"), "closed needs are not listed");
    assert!(page.contains("width=device-width"), "made for a phone");
    let (detail, actor): (String, String) = query_all(
        &app.store,
        "SELECT detail, actor_label FROM audit_events WHERE action = 'organisation_link_used'",
    )
    .await
    .remove(0);
    assert_eq!(actor, format!("organisation:{a}"));
    assert!(
        detail.contains("from 127.0.0.1") && !detail.contains("203.0.113.9"),
        "the peer's address: a header from an untrusted peer is ignored ({detail})"
    );
    let token = path.rsplit('/').next().unwrap();
    let everywhere: Vec<(String,)> = query_all(
        &app.store,
        "SELECT detail FROM audit_events WHERE detail IS NOT NULL",
    )
    .await;
    assert!(
        everywhere.iter().all(|(d,)| !d.contains(token)),
        "no token in the audit trail"
    );
    // Another organisation's need cannot be changed through this link.
    let other = scalar(
        &app.store,
        "SELECT id FROM mission_needs WHERE reference = 'ASE-3'",
    )
    .await;
    let (status, _) = post(
        &app,
        &format!("{path}/besoins/{other}"),
        &need_form("1", &[("volunteers", "9")]),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        scalar(
            &app.store,
            &format!(
                "SELECT CAST(volunteers_wanted AS BIGINT) FROM mission_needs WHERE id = {other}"
            )
        )
        .await,
        2
    );
}

async fn an_update_bumps_the_version_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, _) = fixture(&app).await;
    let (_, path) = remind_and_send(&app, Utc::now()).await.remove(0);
    let id = scalar(
        &app.store,
        "SELECT id FROM mission_needs WHERE reference = 'ASE-1'",
    )
    .await;
    let form = need_form(
        "1",
        &[
            ("volunteers", "3"),
            ("hours", "9h30"),
            ("slots", "lundi 9h-12h; jeudi 14h30-18h"),
        ],
    );
    let (status, _) = post(&app, &format!("{path}/besoins/{id}"), &form).await;
    assert_eq!(status, 303);
    let (version, wanted, minutes, slots): (i32, i32, i32, String) = query_all(
        &app.store,
        &format!("SELECT version, volunteers_wanted, weekly_minutes, slots FROM mission_needs WHERE id = {id}"),
    )
    .await
    .remove(0);
    assert_eq!((version, wanted, minutes), (2, 3, 570));
    assert!(
        slots.contains("jeu 14:30-18:00"),
        "canonical slots: {slots}"
    );
    let (actor, detail): (String, String) = query_all(
        &app.store,
        "SELECT actor_label, detail FROM audit_events WHERE action = 'mission_need_updated'",
    )
    .await
    .remove(0);
    assert_eq!(
        actor,
        format!("organisation:{a}"),
        "who: the link's organisation"
    );
    assert!(
        detail.contains("volunteers_wanted: \"2\" > \"3\""),
        "{detail}"
    );
    assert!(detail.contains("from 127.0.0.1"), "{detail}");
    // Slots that do not parse: refused, the piece named, nothing changed.
    let form = need_form(
        "2",
        &[
            ("slots", "toute la journée"),
            ("volunteers", "3"),
            ("hours", "9h30"),
        ],
    );
    let (status, page) = post(&app, &format!("{path}/besoins/{id}"), &form).await;
    assert_eq!(status, 422);
    assert!(page.contains("toute la journée"), "{page}");
    // "Still right" in one click, audited; the version is kept.
    let (status, _) = post(&app, &format!("{path}/confirmer"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'mission_needs_confirmed'"
        )
        .await,
        1
    );
    // Closing the need takes it off the page.
    let form = need_form(
        "2",
        &[
            ("volunteers", "3"),
            ("hours", "9h30"),
            ("slots", "lun 09:00-12:00, jeu 14:30-18:00"),
            ("close", "on"),
        ],
    );
    let (status, _) = post(&app, &format!("{path}/besoins/{id}"), &form).await;
    assert_eq!(status, 303);
    assert_eq!(
        scalar(
            &app.store,
            &format!("SELECT CAST(version AS BIGINT) FROM mission_needs WHERE id = {id}")
        )
        .await,
        3
    );
    let (_, page) = get(&app, &path).await;
    assert!(!page.contains("ASE-1"), "a closed need leaves the page");
}

async fn a_stale_form_is_refused_with_what_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    fixture(&app).await;
    let (_, path) = remind_and_send(&app, Utc::now()).await.remove(0);
    let id = scalar(
        &app.store,
        "SELECT id FROM mission_needs WHERE reference = 'ASE-1'",
    )
    .await;
    let first = need_form("1", &[("volunteers", "4")]);
    assert_eq!(
        post(&app, &format!("{path}/besoins/{id}"), &first).await.0,
        303
    );
    // A second form opened at version 1 changes the hours: refused, with what differs.
    let stale = need_form("1", &[("hours", "12")]);
    let (status, page) = post(&app, &format!("{path}/besoins/{id}"), &stale).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("modifié depuis"), "{page}");
    assert!(
        page.contains("nombre de volontaires") && page.contains("heures par semaine"),
        "{page}"
    );
    assert!(
        page.contains("name=\"version\" value=\"2\""),
        "the form now shows version 2"
    );
    let (version, minutes): (i32, i32) = query_all(
        &app.store,
        &format!("SELECT version, weekly_minutes FROM mission_needs WHERE id = {id}"),
    )
    .await
    .remove(0);
    assert_eq!((version, minutes), (2, 540), "nothing changed");
}

async fn a_link_is_dead_once_the_next_reminder_went(backend: Backend) {
    let app = spawn_app(backend).await;
    fixture(&app).await;
    let now = Utc::now();
    let (_, old) = remind_and_send(&app, now).await.remove(0);
    assert_eq!(get(&app, &old).await.0, 200);
    // The next round (another day) issues a new link and revokes the old one.
    let (_, new) = remind_and_send(&app, now + Duration::days(3))
        .await
        .remove(0);
    assert_ne!(old, new);
    let (status, page) = get(&app, &old).await;
    assert_eq!(status, 410, "{page}");
    assert!(page.contains("Attendez le prochain courriel"), "{page}");
    let id = scalar(
        &app.store,
        "SELECT id FROM mission_needs WHERE reference = 'ASE-1'",
    )
    .await;
    let (status, _) = post(
        &app,
        &format!("{old}/besoins/{id}"),
        &need_form("1", &[("volunteers", "5")]),
    )
    .await;
    assert_eq!(status, 410, "a dead link changes nothing");
    assert_eq!(
        scalar(
            &app.store,
            &format!("SELECT CAST(volunteers_wanted AS BIGINT) FROM mission_needs WHERE id = {id}")
        )
        .await,
        2
    );
    assert_eq!(
        scalar(
            &app.store,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'organisation_link_refused'"
        )
        .await,
        2
    );
    assert_eq!(get(&app, &new).await.0, 200);
    // Past its expiry (the next round's time), a link opens nothing either.
    lien::store::query("UPDATE organisation_links SET expires_at = $1")
        .bind(Utc::now() - Duration::minutes(1))
        .execute(&app.store)
        .await
        .unwrap();
    assert_eq!(get(&app, &new).await.0, 410);
    assert_eq!(
        get(&app, "/structures/lien/not-a-token").await.0,
        410,
        "never a 500"
    );
}
