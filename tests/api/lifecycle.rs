//! The data lifecycle of issue 14: erasure of one person, export of what lien holds on
//! them, retention and purge, the audit trail viewer.

use chrono::{DateTime, Utc};
use lien::domain::{CampaignName, IsoWeek, Role};
use lien::store::Store;

use crate::cli::{lien, run, stdout_json};
use crate::helpers::{execute, query_all, scalar, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    erasure_leaves_no_trace_and_keeps_week_totals,
    export_gives_everything_on_one_person_and_is_audited,
    purge_removes_what_is_old_keeps_the_rest_and_every_week_total,
    journal_is_for_admins_and_filters,
);

/// The person a test erases or exports, renamed and renumbered so that their name and
/// phone are found nowhere else in the database.
pub struct Subject {
    pub id: i64,
    pub reference: String,
    pub last_name: &'static str,
    pub first_name: &'static str,
    pub e164: &'static str,
    pub national: &'static str,
}

/// A person of the called demo who has an escalation, with their traces planted in
/// every place lien keeps free text: a call note, the escalation, a mail, a refused raw
/// import row, an audit detail, the relative's phone.
pub async fn subject(app: &TestApp) -> Subject {
    let (id, reference): (i64, String) = query_all(
        &app.store,
        "SELECT b.id, b.external_ref FROM beneficiaries b WHERE b.external_ref IS NOT NULL \
         AND EXISTS (SELECT 1 FROM escalations e WHERE e.beneficiary_id = b.id) ORDER BY b.id LIMIT 1",
    )
    .await
    .remove(0);
    let s = Subject {
        id,
        reference,
        last_name: "Zorglubescu",
        first_name: "Philomène",
        e164: "+33698765432",
        national: "06 98 76 54 32",
    };
    let (full, store) = (format!("{} {}", s.first_name, s.last_name), &app.store);
    for sql in [
        format!(
            "UPDATE beneficiaries SET last_name = '{}', first_name = '{}', relative_name = 'Fils {}', \
             relative_phone = '+33311223344', address = '7 impasse {}' WHERE id = {id}",
            s.last_name, s.first_name, s.last_name, s.last_name
        ),
        format!("UPDATE beneficiary_phones SET e164 = '{}' WHERE beneficiary_id = {id} AND position = 0", s.e164),
        format!("UPDATE calls SET notes = 'Parlé avec {full}' WHERE beneficiary_id = {id}"),
        format!("UPDATE escalations SET description = 'Courses pour {full}', status_comment = 'Appelé {}' WHERE beneficiary_id = {id}", s.national),
        format!(
            "INSERT INTO outbox (kind, recipients, subject, body_text, message_id) VALUES ('digest', \
             'ccas@example.org', 'Synthèse', 'À rappeler : {full}, {}', 'm-{id}@test')",
            s.national
        ),
        format!(
            "INSERT INTO import_rejected_rows (batch_id, line, column_name, raw_value, code, message, raw_record) \
             SELECT MIN(id), 99, 'phone', '{0}', 'phone_invalid', 'numéro {0} refusé', \
             '{1};{2};{3};{0}' FROM import_batches",
            s.national, s.reference, s.last_name.to_uppercase(), s.first_name
        ),
        format!(
            "INSERT INTO audit_events (at, actor_label, action, subject_type, subject_id, detail) \
             VALUES ('2026-01-01T00:00:00Z', 'user', 'note', 'campaign', 1, 'appel de {full}')"
        ),
    ] {
        execute(store, &sql).await.unwrap();
    }
    s
}

/// Every row of every table as text: SQLite casts each column to text (blobs in hex);
/// PostgreSQL casts each whole row (`t::text`, bytea columns in hex).
pub async fn full_dump(store: &Store) -> String {
    let tables: Vec<(String,)> = query_all(
        store,
        match store {
            Store::Sqlite(..) => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Store::Postgres(_) => {
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            }
        },
    )
    .await;
    let mut dump = String::new();
    for (table,) in tables {
        let sql = match store {
            Store::Sqlite(..) => {
                let columns: Vec<(String,)> = query_all(
                    store,
                    &format!("SELECT name FROM pragma_table_info('{table}')"),
                )
                .await;
                let cells: Vec<String> = columns
                    .iter()
                    .map(|(c,)| {
                        format!(
                            "CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") \
                             ELSE COALESCE(CAST(\"{c}\" AS TEXT), '') END"
                        )
                    })
                    .collect();
                format!("SELECT {} FROM \"{table}\"", cells.join(" || '|' || "))
            }
            Store::Postgres(_) => format!("SELECT CAST(t AS TEXT) FROM \"{table}\" t"),
        };
        for (row,) in query_all::<(Option<String>,)>(store, &sql).await {
            dump.push_str(&table);
            dump.push_str(": ");
            dump.push_str(&row.unwrap_or_default());
            dump.push('\n');
        }
    }
    dump
}

/// Where `needle` (or its hex, as bytea columns are dumped) is in the dump, if anywhere.
fn traces_of(dump: &str, needle: &str) -> Vec<String> {
    let hex = hex::encode(needle);
    let lower = needle.to_lowercase();
    dump.lines()
        .map(|l| (l, l.to_lowercase()))
        .filter(|(_, low)| low.contains(&lower) || low.contains(&hex))
        .map(|(l, _)| l)
        .map(|l| l.chars().take(300).collect())
        .collect()
}

/// Every week's totals of the default campaign, as the report computes them.
pub async fn all_week_totals(store: &Store, now: DateTime<Utc>) -> serde_json::Value {
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let weeks: Vec<(String,)> =
        query_all(store, "SELECT DISTINCT week FROM assignments ORDER BY week").await;
    let mut all = serde_json::Map::new();
    for (week,) in weeks {
        let week = IsoWeek::parse(&week).unwrap();
        let totals = store.week_totals(&campaign, week, now).await.unwrap();
        all.insert(week.to_string(), serde_json::to_value(totals).unwrap());
    }
    let trend = store.campaign_trend(campaign.id).await.unwrap();
    all.insert("trend".into(), serde_json::to_value(trend).unwrap());
    serde_json::Value::Object(all)
}

async fn erasure_leaves_no_trace_and_keeps_week_totals(backend: Backend) {
    let (app, _, _) = crate::report::called_app(backend).await;
    let s = subject(&app).await;
    let now = Utc::now();
    let before = all_week_totals(&app.store, now).await;
    let dump = full_dump(&app.store).await;
    for needle in [s.last_name, s.e164, s.national, "+33311223344"] {
        assert!(!traces_of(&dump, needle).is_empty(), "{needle} planted");
    }
    let dir = tempfile::tempdir().unwrap();
    let erased = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args([
            "people",
            "erase",
            &s.reference,
            "--reason",
            "demande du 30/11",
            "--by",
            "dpo",
        ])
        .arg("--json")));
    assert!(erased["call_notes"].as_u64().unwrap() >= 1, "{erased}");
    assert!(erased["mails"].as_u64().unwrap() >= 1, "{erased}");
    assert_eq!(erased["rejected_rows"], 1, "{erased}");
    assert!(erased["audit_details"].as_u64().unwrap() >= 1, "{erased}");

    let dump = full_dump(&app.store).await;
    for needle in [
        s.last_name,
        s.first_name,
        s.e164,
        s.national,
        "0698765432",
        "+33311223344",
        &s.reference,
    ] {
        let found = traces_of(&dump, needle);
        assert!(found.is_empty(), "{needle} left in {found:#?}");
    }
    assert_eq!(all_week_totals(&app.store, now).await, before);
    let tombstone: Vec<(String, String)> = query_all(
        &app.store,
        &format!(
            "SELECT actor_label, detail FROM audit_events WHERE action = 'person_erased' \
             AND subject_type = 'beneficiary' AND subject_id = {}",
            s.id
        ),
    )
    .await;
    assert_eq!(tombstone.len(), 1);
    assert_eq!(tombstone[0].0, "cli:dpo");
    assert!(tombstone[0]
        .1
        .contains(erased["erasure_id"].as_str().unwrap()));
    assert!(tombstone[0].1.contains("demande du 30/11"));
    // Erased people are not planned again: nothing left to call.
    let status = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM beneficiaries WHERE id = {} AND status = 'active'",
            s.id
        ),
    )
    .await;
    assert_eq!(status, 0);
    // A second erasure finds nobody under the reference.
    let again = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "people",
        "erase",
        &s.reference,
        "--reason",
        "x",
    ]));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("référence de dossier"));
}

async fn export_gives_everything_on_one_person_and_is_audited(backend: Backend) {
    let (app, _, _) = crate::report::called_app(backend).await;
    let s = subject(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("acces.html");
    let json = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args([
            "people",
            "export",
            &s.reference,
            "--json",
            "--by",
            "dpo",
            "--html",
        ])
        .arg(&page)));
    assert_eq!(json["identity"]["last_name"], s.last_name);
    assert_eq!(json["identity"]["external_ref"], s.reference.as_str());
    assert_eq!(json["identity"]["relative_phone"], "+33311223344");
    assert_eq!(json["phones"][0]["e164"], s.e164);
    let (store, id) = (&app.store, s.id);
    let count = |table: &'static str| async move {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE beneficiary_id = {id}");
        scalar(store, &sql).await
    };
    assert_eq!(
        json["calls"].as_array().unwrap().len() as i64,
        count("calls").await
    );
    assert_eq!(
        json["assignments"].as_array().unwrap().len() as i64,
        count("assignments").await
    );
    assert_eq!(
        json["escalations"].as_array().unwrap().len() as i64,
        count("escalations").await
    );
    assert!(json["calls"][0]["notes"]
        .as_str()
        .unwrap()
        .contains(s.last_name));
    assert!(json["escalations"][0]["description"]
        .as_str()
        .unwrap()
        .contains(s.last_name));
    assert!(!json["campaigns"].as_array().unwrap().is_empty());
    // The export itself is the last audit event about the person.
    let audited = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'person_exported' \
             AND actor_label = 'cli:dpo' AND subject_id = {}",
            s.id
        ),
    )
    .await;
    assert_eq!(audited, 1);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for text in [
        "Données vous concernant",
        s.last_name,
        s.first_name,
        s.e164,
        "Courses pour",
    ] {
        assert!(html.contains(text), "{text} not in the page");
    }
    // Text from the data is escaped.
    execute(
        &app.store,
        &format!(
            "UPDATE calls SET notes = '<script>x</script>' WHERE beneficiary_id = {}",
            s.id
        ),
    )
    .await
    .unwrap();
    run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["people", "export", &s.reference, "--html"])
        .arg(&page));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script>") && html.contains("x&#60;/script&#62;"));
    // The letter in English, for a person answered in English.
    run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["--lang", "en", "people", "export", &s.reference, "--html"])
        .arg(&page));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Data held about you"));
    assert!(!html.contains("Données vous concernant") && html.contains(s.last_name));
    let unknown = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "people",
        "export",
        "nobody-here",
    ]));
    assert!(!unknown.status.success());
}

/// Counts of what the purge should take with this cutoff, by kind.
async fn old_counts(store: &Store, cutoff: &str) -> [i64; 5] {
    let mut counts = [0; 5];
    let queries = [
        format!("SELECT COUNT(*) FROM calls WHERE notes IS NOT NULL AND called_at < '{cutoff}'"),
        format!(
            "SELECT COUNT(*) FROM escalations WHERE status IN ('handled', 'relayed') \
             AND created_at < '{cutoff}'"
        ),
        format!(
            "SELECT COUNT(*) FROM audit_events WHERE at < '{cutoff}' AND action <> 'person_erased'"
        ),
        format!("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND created_at < '{cutoff}'"),
        format!(
            "SELECT COUNT(*) FROM import_rejected_rows WHERE batch_id IN \
             (SELECT id FROM import_batches WHERE created_at < '{cutoff}')"
        ),
    ];
    for (n, sql) in counts.iter_mut().zip(queries) {
        *n = scalar(store, &sql).await;
    }
    counts
}

async fn purge_removes_what_is_old_keeps_the_rest_and_every_week_total(backend: Backend) {
    use lien::records::retention::Retention;
    let (app, week, _) = crate::report::called_app(backend).await;
    let s = subject(&app).await;
    // Last week is "old", this week is not: the purge runs a month after this week began.
    let cutoff = week.starts_at();
    let now = cutoff.checked_add_months(chrono::Months::new(1)).unwrap();
    let old = (cutoff - chrono::Duration::days(3)).format("%Y-%m-%dT%H:%M:%SZ");
    for sql in [
        "UPDATE calls SET notes = 'note' WHERE notes IS NULL".to_string(),
        "UPDATE escalations SET status = 'handled'".to_string(),
        "UPDATE outbox SET status = 'sent'".to_string(),
        format!("UPDATE outbox SET created_at = '{old}' WHERE id = (SELECT MIN(id) FROM outbox)"),
        format!("UPDATE escalations SET created_at = '{old}' WHERE id = (SELECT MIN(id) FROM escalations)"),
        format!("UPDATE import_batches SET created_at = '{old}' WHERE id = (SELECT MIN(id) FROM import_batches)"),
        format!(
            "INSERT INTO audit_events (at, actor_label, action, subject_type, subject_id) \
             VALUES ('{old}', 'user', 'contact_details_read', 'beneficiary', {0}), \
             ('{old}', 'cli:dpo', 'person_erased', 'beneficiary', {0})",
            s.id
        ),
        // Gone before the cutoff: anonymised.
        format!("UPDATE beneficiaries SET status = 'moved', status_changed_at = '{old}' WHERE id = {}", s.id),
    ] {
        execute(&app.store, &sql).await.unwrap();
    }
    let cutoff_text = cutoff.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let expected = old_counts(&app.store, &cutoff_text).await;
    assert!(expected.iter().all(|n| *n > 0), "{expected:?}");
    // Recent notes stay, except those of people gone before the cutoff.
    let recent_sql = format!(
        "SELECT COUNT(*) FROM calls WHERE notes IS NOT NULL AND called_at >= '{cutoff_text}' \
         AND beneficiary_id NOT IN (SELECT id FROM beneficiaries WHERE status <> 'active' \
         AND COALESCE(status_changed_at, updated_at) < '{cutoff_text}')"
    );
    let recent_notes = scalar(&app.store, &recent_sql).await;
    assert!(recent_notes > 0);
    let gone = scalar(
        &app.store,
        &format!(
            "SELECT COUNT(*) FROM beneficiaries WHERE status <> 'active' \
             AND COALESCE(status_changed_at, updated_at) < '{cutoff_text}'"
        ),
    )
    .await;
    assert!(gone >= 1);
    let totals = all_week_totals(&app.store, now).await;
    let limits = Retention {
        call_notes_months: 1,
        escalations_months: 1,
        audit_events_months: 1,
        outbox_bodies_months: 1,
        rejected_rows_months: 1,
        people_gone_months: 1,
    };

    let dump = full_dump(&app.store).await;
    let dry = app.store.purge(&limits, now, true).await.unwrap();
    assert!(dry.dry_run);
    assert_eq!(
        full_dump(&app.store).await,
        dump,
        "a dry run changes nothing"
    );
    let report = app.store.purge(&limits, now, false).await.unwrap();
    assert_eq!(
        report,
        lien::records::retention::PurgeReport {
            dry_run: false,
            ..dry
        }
    );
    let got = [
        report.call_notes,
        report.escalations,
        report.audit_events,
        report.outbox_bodies,
        report.rejected_rows,
    ]
    .map(|n| n as i64);
    assert_eq!(got, expected);
    assert_eq!(report.people_gone as i64, gone);

    // What is old is gone, the rest is there.
    assert_eq!(old_counts(&app.store, &cutoff_text).await[0], 0);
    let kept = scalar(&app.store, &recent_sql).await;
    assert_eq!(kept, recent_notes);
    assert_eq!(scalar(&app.store, "SELECT COUNT(*) FROM audit_events WHERE action = 'person_erased' AND actor_label = 'cli:dpo'").await, 1, "tombstones are kept");
    assert!(traces_of(&full_dump(&app.store).await, s.last_name).is_empty());
    assert_eq!(all_week_totals(&app.store, now).await, totals);
    // A second purge finds nothing more.
    let again = app.store.purge(&limits, now, false).await.unwrap();
    assert_eq!(again, lien::records::retention::PurgeReport::default());

    // The command: with the default limits nothing of this month is old.
    let dir = tempfile::tempdir().unwrap();
    let dump = full_dump(&app.store).await;
    let json = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["purge", "--dry-run", "--json"])));
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["call_notes"], 0);
    assert_eq!(full_dump(&app.store).await, dump);
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect()
}

async fn journal_is_for_admins_and_filters(backend: Backend) {
    let (app, _) = crate::helpers::planned_demo_app(backend).await;
    let (id, reference): (i64, String) = query_all(
        &app.store,
        "SELECT id, external_ref FROM beneficiaries WHERE external_ref IS NOT NULL ORDER BY id LIMIT 1",
    )
    .await
    .remove(0);
    let formula = "=HYPERLINK(\"http://x/\",\"a\")";
    execute(
        &app.store,
        &format!(
            "INSERT INTO audit_events (at, actor_label, action, subject_type, subject_id, detail) VALUES \
             ('2025-01-01T10:00:00Z', 'cli:dpo', 'person_exported', 'beneficiary', {id}, NULL), \
             ('2025-01-02T10:00:00Z', 'user', 'contact_details_read', 'beneficiary', {id}, '{formula}'), \
             ('2025-01-03T10:00:00Z', 'user', 'contact_details_read', 'beneficiary', {}, NULL)",
            id + 1
        ),
    )
    .await
    .unwrap();

    for role in [Role::Coordinator, Role::Caller] {
        app.login_as(role).await;
        assert_eq!(app.get("/admin/journal").await.status(), 403, "{role:?}");
        assert_eq!(
            app.get("/admin/journal.csv").await.status(),
            403,
            "{role:?}"
        );
        app.logout().await;
    }
    let admin = app.login_as(Role::Admin).await;
    let page = app.get("/admin/journal").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Journal des accès") && html.contains("person_exported"));

    let csv = |query: String| {
        let app = &app;
        async move {
            let response = app.get(&format!("/admin/journal.csv?{query}")).await;
            assert_eq!(response.status(), 200);
            csv_rows(&response.text().await.unwrap())
        }
    };
    let about = csv(format!("person={reference}")).await;
    assert_eq!(about.len(), 2, "{about:?}");
    assert!(about
        .iter()
        .all(|r| &r[5] == "beneficiary" && r[6] == id.to_string()));
    // The newest first; the formula is text.
    assert_eq!(&about[0][4], "contact_details_read");
    assert_eq!(&about[0][7], format!("'{formula}"));
    let reads = csv("action=contact_details_read&from=2025-01-01&to=2025-01-03".into()).await;
    assert_eq!(reads.len(), 2, "{reads:?}");
    let one_day = csv("from=2025-01-01&to=2025-01-01".into()).await;
    assert_eq!(one_day.len(), 1);
    assert_eq!(&one_day[0][4], "person_exported");
    // Events of one account: its login, and this one.
    execute(
        &app.store,
        &format!(
            "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type) \
             VALUES ('2025-02-01T00:00:00Z', {}, 'user', 'test_event', 'campaign')",
            admin.id
        ),
    )
    .await
    .unwrap();
    let mine = csv(format!("account={}", admin.email)).await;
    assert_eq!(&mine[0][4], "login", "{mine:?}");
    let mine = csv(format!("account={}&to=2025-12-31", admin.email)).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(&mine[0][4], "test_event");
    let bad = app.get("/admin/journal?from=hier").await;
    assert_eq!(bad.status(), 400);

    let dir = tempfile::tempdir().unwrap();
    let json = stdout_json(&run(lien(dir.path())
        .env("DATABASE_URL", &app._db.url)
        .args(["audit", "--person", &reference, "--json"])));
    assert_eq!(json["total"], 2);
    assert_eq!(json["events"][1]["action"], "person_exported");
    // The interface DESIGN.md promises: --user and --since, and --csv.
    let out = run(lien(dir.path()).env("DATABASE_URL", &app._db.url).args([
        "audit",
        "--user",
        &admin.email,
        "--since",
        "2026-01-01",
        "--csv",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(rows.len() >= 2, "a header and the admin's events: {text}");
    assert!(
        rows[1..].iter().all(|r| r.contains(admin.email.as_str())),
        "{text}"
    );
    assert!(
        !text.contains("test_event"),
        "--since leaves out the event of 2025: {text}"
    );
}
