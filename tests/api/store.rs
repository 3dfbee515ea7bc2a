//! The store suite: the same tests against SQLite and PostgreSQL.

use chrono::NaiveDate;
use lien::domain::CampaignName;
use lien::store::{NewCampaign, Store, StoreError};

use crate::helpers::{execute, fresh_store, query_all, Backend};
use crate::on_both_backends;

on_both_backends!(
    migrating_twice_changes_nothing,
    the_default_campaign_exists_from_the_start,
    campaigns_are_created_and_listed,
    a_campaign_name_is_unique,
    the_demo_dataset_loads_whole,
    a_failed_load_leaves_the_database_as_before,
    the_schema_enforces_its_rules,
    an_assignment_refers_to_what_exists,
    a_person_and_a_member_refer_to_what_exists,
    a_parent_deleted_while_its_assignment_is_written_is_refused,
    a_campaign_deleted_while_its_member_is_written_takes_it_along,
);

fn campaign(name: &str) -> NewCampaign {
    NewCampaign {
        name: CampaignName::parse(name).unwrap(),
        title: "Canicule 2026".into(),
        description: Some("Appels renforcés pendant l'alerte".into()),
        starts_on: NaiveDate::from_ymd_opt(2026, 6, 15).unwrap(),
        ends_on: NaiveDate::from_ymd_opt(2026, 9, 15),
        cadence_weeks: 1,
        call_script: "canicule".into(),
        coordinator_email: Some("coordination@cd80.example.org".into()),
    }
}

async fn migrating_twice_changes_nothing(backend: Backend) {
    let t = fresh_store(backend).await;
    let again = t.store.migrate().await.unwrap();
    assert!(again.applied.is_empty(), "{again:?}");
    assert!(again.total >= 1);
    // And a brand-new connection sees the same schema.
    let other = Store::connect(&t.db.url).await.unwrap();
    assert!(other.migrate().await.unwrap().applied.is_empty());
    other.close().await;
}

async fn the_default_campaign_exists_from_the_start(backend: Backend) {
    let t = fresh_store(backend).await;
    let c = t
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    assert_eq!(c.name, "default");
    assert_eq!(c.cadence_weeks, 1);
    assert_eq!(c.max_attempts_per_week, 3);
    assert_eq!(c.retry_gap_minutes, 120);
    assert!(t.store.is_empty().await.unwrap());
}

async fn campaigns_are_created_and_listed(backend: Backend) {
    let t = fresh_store(backend).await;
    let created = t
        .store
        .create_campaign(&campaign("canicule-2026"))
        .await
        .unwrap();
    assert_eq!(created.name, "canicule-2026");
    assert_eq!(created.title, "Canicule 2026");
    assert_eq!(created.ends_on, NaiveDate::from_ymd_opt(2026, 9, 15));
    t.store
        .create_campaign(&campaign("aaa-first-by-name"))
        .await
        .unwrap();
    let names: Vec<String> = t
        .store
        .list_campaigns()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.campaign.name)
        .collect();
    assert_eq!(names, ["default", "aaa-first-by-name", "canicule-2026"]);
    let found = t
        .store
        .campaign_by_name(&CampaignName::parse("canicule-2026").unwrap())
        .await
        .unwrap();
    assert_eq!(found, created);
    let missing = t
        .store
        .campaign_by_name(&CampaignName::parse("nope").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(missing, StoreError::CampaignNotFound(_)));
}

async fn a_campaign_name_is_unique(backend: Backend) {
    let t = fresh_store(backend).await;
    t.store
        .create_campaign(&campaign("canicule-2026"))
        .await
        .unwrap();
    let err = t
        .store
        .create_campaign(&campaign("canicule-2026"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::CampaignNameTaken(ref n) if n == "canicule-2026"),
        "{err:?}"
    );
    let err = t
        .store
        .create_campaign(&campaign("default"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::CampaignNameTaken(_)), "{err:?}");
}

async fn the_demo_dataset_loads_whole(backend: Backend) {
    let t = fresh_store(backend).await;
    let default = t
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let data = lien::fixtures::demo_dataset().unwrap();
    let counts = t
        .store
        .load_dataset(&default, "fixtures/demo", &data)
        .await
        .unwrap();
    assert_eq!(
        (counts.territories, counts.callers, counts.beneficiaries),
        (6, 40, 2000)
    );
    assert_eq!(
        counts.without_territory, 0,
        "every demo postal code has a territory"
    );
    let stats = t.store.campaign_stats(default.id).await.unwrap();
    assert_eq!(stats.territories, 6);
    assert_eq!(stats.callers_active, 40);
    assert_eq!(stats.beneficiaries_active, 2000);
    assert_eq!(stats.members, 2000);
    assert!(!t.store.is_empty().await.unwrap());
    let listed = t.store.list_campaigns().await.unwrap();
    assert_eq!(listed[0].members, 2000);

    // Phones are stored in E.164, in the order of the file.
    let phones: Vec<(String,)> = query_all(
        &t.store,
        "SELECT e164 FROM beneficiary_phones ORDER BY beneficiary_id, position",
    )
    .await;
    assert!(phones.len() >= 2000);
    assert!(phones
        .iter()
        .all(|(p,)| p.starts_with("+33199") || p.starts_with("+262639")));
}

async fn a_failed_load_leaves_the_database_as_before(backend: Backend) {
    let t = fresh_store(backend).await;
    let default = t
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let mut data = lien::fixtures::demo_dataset().unwrap();
    // The last beneficiary repeats the first one's reference: the load must fail whole.
    let first_ref = data.beneficiaries[0].external_ref.clone();
    data.beneficiaries.last_mut().unwrap().external_ref = first_ref;
    let err = t
        .store
        .load_dataset(&default, "broken", &data)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Constraint(_)), "{err:?}");
    assert!(
        t.store.is_empty().await.unwrap(),
        "a failed load left rows behind"
    );
    let batches: Vec<(i64,)> = query_all(&t.store, "SELECT id FROM import_batches").await;
    assert!(batches.is_empty());
}

async fn the_schema_enforces_its_rules(backend: Backend) {
    let t = fresh_store(backend).await;
    let default = t
        .store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let data = lien::fixtures::demo_dataset().unwrap();
    t.store
        .load_dataset(&default, "fixtures/demo", &data)
        .await
        .unwrap();
    let now = "2026-11-25T10:00:00+00:00";

    let assign = "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
                  VALUES (1, '2026-W48', 1, 1, 'new', 'première semaine')";
    execute(&t.store, assign).await.unwrap();
    let dup = execute(&t.store, assign).await.unwrap_err();
    assert!(
        is_unique_violation(&dup),
        "one assignment per beneficiary per campaign-week: {dup}"
    );
    let bad_week = execute(
        &t.store,
        "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
         VALUES (1, '48/2026', 2, 1, 'new', 'x')",
    )
    .await;
    assert!(bad_week.is_err(), "a week is written 2026-W48");
    let unknown_caller = execute(
        &t.store,
        "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
         VALUES (1, '2026-W48', 3, 999999, 'new', 'x')",
    )
    .await;
    assert!(unknown_caller.is_err(), "foreign keys are enforced");

    let call = |outcome: &str, key: &str, callback: &str| {
        format!(
            "INSERT INTO calls (assignment_id, caller_id, beneficiary_id, called_at, outcome, callback_at, idempotency_key) \
             VALUES (1, 1, 1, '{now}', '{outcome}', {callback}, '{key}')"
        )
    };
    execute(&t.store, &call("reached_ok", "key-00000001", "NULL"))
        .await
        .unwrap();
    let replay = execute(&t.store, &call("reached_ok", "key-00000001", "NULL"))
        .await
        .unwrap_err();
    assert!(
        is_unique_violation(&replay),
        "an idempotency key records one call: {replay}"
    );
    assert!(execute(&t.store, &call("maybe", "key-00000002", "NULL"))
        .await
        .is_err());
    assert!(
        execute(&t.store, &call("callback", "key-00000003", "NULL"))
            .await
            .is_err(),
        "a callback needs its time"
    );
    execute(
        &t.store,
        &call("callback", "key-00000004", &format!("'{now}'")),
    )
    .await
    .unwrap();

    assert!(execute(
        &t.store,
        "UPDATE beneficiaries SET status = 'gone' WHERE id = 1"
    )
    .await
    .is_err());
    assert!(execute(
        &t.store,
        "UPDATE callers SET weekly_capacity = -1 WHERE id = 1"
    )
    .await
    .is_err());
    assert!(execute(
        &t.store,
        "INSERT INTO escalations (call_id, campaign_id, beneficiary_id, category, description, urgency) \
         VALUES (1, 1, 1, 'food', 'courses', 'whenever')"
    )
    .await
    .is_err());
    execute(
        &t.store,
        "INSERT INTO escalations (call_id, campaign_id, beneficiary_id, territory_id, category, description, urgency) \
         VALUES (1, 1, 1, 1, 'food', 'courses', 'today')",
    )
    .await
    .unwrap();
    assert!(
        execute(&t.store, "UPDATE escalations SET status = 'relayed'")
            .await
            .is_err(),
        "relayed needs to whom"
    );
    assert!(
        execute(
            &t.store,
            "INSERT INTO users (email, display_name, role) VALUES ('a@b.org', 'A', 'caller')"
        )
        .await
        .is_err(),
        "a caller account is linked to a caller"
    );
    assert!(execute(
        &t.store,
        "INSERT INTO territory_areas (kind, code, territory_id) SELECT kind, code, 2 FROM territory_areas LIMIT 1"
    )
    .await
    .is_err(), "an area belongs to one territory");
}

/// The three keys of an assignment (campaign, person, caller), checked per row by
/// foreign keys on SQLite and per statement by triggers on PostgreSQL (migration 0031):
/// the same refusals, with the same SQLSTATE and, on PostgreSQL, the same names.
async fn an_assignment_refers_to_what_exists(backend: Backend) {
    let t = fresh_store(backend).await;
    two_callers_and_two_people(&t.store).await;
    let assign = |campaign: i64, person: i64, caller: i64| {
        format!(
            "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
             VALUES ({campaign}, '2026-W48', {person}, {caller}, 'new', 'x')"
        )
    };
    execute(&t.store, &assign(1, 1, 1)).await.unwrap();

    let count = || crate::helpers::scalar(&t.store, "SELECT COUNT(*) FROM assignments");
    // One bad row among good ones: the whole statement is refused.
    let e = execute(
        &t.store,
        "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
         VALUES (1, '2026-W49', 1, 1, 'new', 'x'), (1, '2026-W49', 999, 1, 'new', 'x')",
    )
    .await
    .unwrap_err();
    refused_by(e, "assignments_beneficiary_id_fkey");
    assert_eq!(count().await, 1, "nothing of a refused statement is kept");
    let e = execute(&t.store, &assign(999, 2, 1)).await.unwrap_err();
    refused_by(e, "assignments_campaign_id_fkey");
    let e = execute(&t.store, &assign(1, 2, 999)).await.unwrap_err();
    refused_by(e, "assignments_caller_id_fkey");

    // A hand-over to a caller who exists, then to one who does not.
    execute(
        &t.store,
        "UPDATE assignments SET caller_id = 2 WHERE beneficiary_id = 1",
    )
    .await
    .unwrap();
    let e = execute(
        &t.store,
        "UPDATE assignments SET caller_id = 999 WHERE beneficiary_id = 1",
    )
    .await
    .unwrap_err();
    refused_by(e, "assignments_caller_id_fkey");
    execute(
        &t.store,
        "UPDATE assignments SET attempts = 1 WHERE beneficiary_id = 1",
    )
    .await
    .unwrap();

    // A parent that an assignment refers to stays; once free, it may go.
    let e = execute(&t.store, "DELETE FROM beneficiaries WHERE id = 1")
        .await
        .unwrap_err();
    refused_by(e, "assignments_beneficiary_id_fkey");
    let e = execute(&t.store, "DELETE FROM callers WHERE id = 2")
        .await
        .unwrap_err();
    refused_by(e, "assignments_caller_id_fkey");
    execute(&t.store, "DELETE FROM callers WHERE id = 1")
        .await
        .unwrap();
    execute(&t.store, "DELETE FROM beneficiaries WHERE id = 2")
        .await
        .unwrap();
    execute(&t.store, "DELETE FROM assignments").await.unwrap();
    execute(&t.store, "DELETE FROM beneficiaries WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        crate::helpers::scalar(&t.store, "SELECT COUNT(*) FROM beneficiaries").await,
        0
    );
}

/// A person's territory and a member's campaign, checked per row by foreign keys on
/// SQLite and per statement by triggers on PostgreSQL (migration 0035): the same
/// refusals, and the same effects of a deletion (a territory's people keep no territory,
/// a campaign's members go).
async fn a_person_and_a_member_refer_to_what_exists(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    if backend == Backend::Postgres {
        let keys = "SELECT COUNT(*) FROM pg_constraint WHERE conname IN \
                    ('beneficiaries_territory_id_fkey', 'campaign_members_campaign_id_fkey')";
        assert_eq!(
            crate::helpers::scalar(s, keys).await,
            0,
            "triggers check both keys"
        );
    }
    execute(
        s,
        "INSERT INTO territories (code, name, referent_emails) \
         VALUES ('T1', 'Amiens', 'a@cd80.example.org'), ('T2', 'Abbeville', 'b@cd80.example.org')",
    )
    .await
    .unwrap();
    execute(
        s,
        "INSERT INTO campaigns (name, title, starts_on) VALUES ('canicule', 'Canicule', '2026-06-15')",
    )
    .await
    .unwrap();
    let id = |sql: &'static str| crate::helpers::scalar(s, sql);
    let (t1, t2) = (
        id("SELECT id FROM territories WHERE code = 'T1'").await,
        id("SELECT id FROM territories WHERE code = 'T2'").await,
    );
    let canicule = id("SELECT id FROM campaigns WHERE name = 'canicule'").await;
    let people = |list: &str| {
        format!(
            "INSERT INTO beneficiaries (identity_key, last_name, first_name, territory_id) VALUES {list}"
        )
    };

    // A person without a territory is allowed; one bad territory refuses the statement,
    // even behind a person without one.
    let e = execute(
        s,
        &people("('k0', 'Aubert', 'Luc', NULL), ('k9', 'Vidal', 'Rose', 999)"),
    )
    .await
    .unwrap_err();
    refused_by(e, "beneficiaries_territory_id_fkey");
    assert_eq!(id("SELECT COUNT(*) FROM beneficiaries").await, 0);
    execute(
        s,
        &people(&format!(
            "('k1', 'Durand', 'Jeanne', NULL), ('k2', 'Petit', 'Louis', {t1})"
        )),
    )
    .await
    .unwrap();
    let e = execute(
        s,
        "UPDATE beneficiaries SET territory_id = 999 WHERE identity_key = 'k2'",
    )
    .await
    .unwrap_err();
    refused_by(e, "beneficiaries_territory_id_fkey");
    execute(
        s,
        &format!("UPDATE beneficiaries SET territory_id = {t2} WHERE identity_key = 'k2'"),
    )
    .await
    .unwrap();
    execute(s, "UPDATE beneficiaries SET commune = 'Amiens'")
        .await
        .unwrap();

    let member = |campaign: i64, key: &str| {
        format!(
            "INSERT INTO campaign_members (campaign_id, beneficiary_id) \
             SELECT {campaign}, id FROM beneficiaries WHERE identity_key = '{key}'"
        )
    };
    let e = execute(s, &member(999, "k1")).await.unwrap_err();
    refused_by(e, "campaign_members_campaign_id_fkey");
    execute(s, &member(canicule, "k1")).await.unwrap();
    execute(s, &member(canicule, "k2")).await.unwrap();
    let other = id("SELECT MIN(id) FROM campaigns").await;
    execute(s, &member(other, "k2")).await.unwrap();

    // What the deletions did under the foreign keys, they still do.
    execute(s, &format!("DELETE FROM territories WHERE id = {t2}"))
        .await
        .unwrap();
    assert_eq!(
        id("SELECT COUNT(*) FROM beneficiaries WHERE territory_id IS NULL").await,
        2,
        "the territory's person keeps no territory"
    );
    execute(s, &format!("DELETE FROM campaigns WHERE id = {canicule}"))
        .await
        .unwrap();
    assert_eq!(
        query_all::<(i64,)>(s, "SELECT campaign_id FROM campaign_members").await,
        vec![(other,)],
        "the campaign's members went with it, the other campaign's stayed"
    );
    execute(s, &member(canicule, "k1")).await.unwrap_err();
}

/// Callers 1 and 2, people 1 and 2, with nothing else: the parents of a few assignments.
async fn two_callers_and_two_people(store: &Store) {
    execute(
        store,
        "INSERT INTO callers (email, last_name, first_name, weekly_capacity) \
         VALUES ('a@cd80.example.org', 'Martin', 'Anne', 10), ('b@cd80.example.org', 'Roux', 'Paul', 10)",
    )
    .await
    .unwrap();
    execute(
        store,
        "INSERT INTO beneficiaries (identity_key, last_name, first_name) \
         VALUES ('k1', 'Durand', 'Jeanne'), ('k2', 'Petit', 'Louis')",
    )
    .await
    .unwrap();
}

/// Runs `$first` in a transaction left open while `$second` runs on another connection,
/// then commits: `$second` must wait for the commit, and is what the block gives.
macro_rules! while_open {
    ($store:expr, $first:expr, $second:expr) => {{
        let second = $second.to_string();
        match &$store {
            Store::Sqlite(pool, _) => {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query($first).execute(&mut *tx).await.unwrap();
                let second = start_then_wait(&$store, second).await;
                tx.commit().await.unwrap();
                second.await.unwrap()
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query($first).execute(&mut *tx).await.unwrap();
                let second = start_then_wait(&$store, second).await;
                tx.commit().await.unwrap();
                second.await.unwrap()
            }
        }
    }};
}

/// Starts `sql` on another connection, gives it time to run, and checks that it waits.
async fn start_then_wait(
    store: &Store,
    sql: String,
) -> tokio::task::JoinHandle<Result<(), sqlx::Error>> {
    let store = store.clone();
    let task = tokio::spawn(async move { execute(&store, &sql).await });
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!task.is_finished(), "the other writer waits for the commit");
    task
}

/// The race the foreign keys' row locks closed, and migration 0031's lock closes on
/// PostgreSQL: a person deleted while a plan writes their assignment, in either order.
async fn a_parent_deleted_while_its_assignment_is_written_is_refused(backend: Backend) {
    let t = fresh_store(backend).await;
    two_callers_and_two_people(&t.store).await;
    let assign = |person: i64| {
        format!(
            "INSERT INTO assignments (campaign_id, week, beneficiary_id, caller_id, reason_code, reason) \
             VALUES (1, '2026-W48', {person}, 1, 'new', 'x')"
        )
    };
    // The plan first: the deletion waits for its commit, then sees the assignment.
    let deleted = while_open!(
        t.store,
        &assign(1),
        "DELETE FROM beneficiaries WHERE id = 1"
    );
    let e = deleted.unwrap_err();
    assert!(is_foreign_key_violation(&e), "{e}");
    // The deletion first: the plan waits for its commit, then finds nobody.
    let planned = while_open!(
        t.store,
        "DELETE FROM beneficiaries WHERE id = 2",
        &assign(2)
    );
    let e = planned.unwrap_err();
    assert!(is_foreign_key_violation(&e), "{e}");
    let people: Vec<(i64,)> = query_all(&t.store, "SELECT beneficiary_id FROM assignments").await;
    assert_eq!(people, vec![(1,)]);
}

/// The same race for a campaign's members (migration 0035 on PostgreSQL): a member
/// written while its campaign is deleted goes with it, and a member of a campaign being
/// deleted is refused once the deletion commits.
async fn a_campaign_deleted_while_its_member_is_written_takes_it_along(backend: Backend) {
    let t = fresh_store(backend).await;
    two_callers_and_two_people(&t.store).await;
    execute(
        &t.store,
        "INSERT INTO campaigns (name, title, starts_on) \
         VALUES ('canicule', 'Canicule', '2026-06-15'), ('grand-froid', 'Grand froid', '2026-12-01')",
    )
    .await
    .unwrap();
    let id = |name: &str| {
        let sql = format!("SELECT id FROM campaigns WHERE name = '{name}'");
        let store = t.store.clone();
        async move { crate::helpers::scalar(&store, &sql).await }
    };
    let (canicule, grand_froid) = (id("canicule").await, id("grand-froid").await);
    let enrol = |campaign: i64, person: i64| {
        format!(
            "INSERT INTO campaign_members (campaign_id, beneficiary_id) VALUES ({campaign}, {person})"
        )
    };
    // The member first: the deletion waits for its commit, then takes the member along.
    let deleted = while_open!(
        t.store,
        &enrol(canicule, 1),
        "DELETE FROM campaigns WHERE name = 'canicule'"
    );
    deleted.unwrap();
    // The deletion first: the member waits for its commit, then finds no campaign.
    let enrolled = while_open!(
        t.store,
        "DELETE FROM campaigns WHERE name = 'grand-froid'",
        &enrol(grand_froid, 2)
    );
    let e = enrolled.unwrap_err();
    assert!(is_foreign_key_violation(&e), "{e}");
    let members: Vec<(i64,)> = query_all(&t.store, "SELECT COUNT(*) FROM campaign_members").await;
    assert_eq!(members, vec![(0,)]);
}

/// `e` is a foreign-key refusal; where the database names the constraint (PostgreSQL),
/// it is `constraint`.
fn refused_by(e: sqlx::Error, constraint: &str) {
    let sqlx::Error::Database(db) = &e else {
        panic!("a database error, not {e}");
    };
    assert!(db.is_foreign_key_violation(), "{constraint}: {e}");
    if let Some(name) = db.constraint() {
        assert_eq!(name, constraint, "{e}");
    }
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}
