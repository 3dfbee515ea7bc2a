//! Durable opt-out (issue 14): the suppression list. A person who opted out (by a call,
//! a do-not-call list, or a status) and comes back in a beneficiary list under a new
//! file reference, by the same name and birth date or by one of their phones, comes in
//! opted out, is reported, and is never planned. Do-not-call entries matching nobody are
//! kept for the people imported later.

use lien::domain::{CampaignName, IsoWeek};
use lien::import::apply::import_file;
use lien::import::report::ImportReport;
use lien::import::{ImportKind, ImportOptions};
use lien::records::suppression::SuppressionKey;
use lien::store::{ErasureRequest, PlanMode, Store};

use crate::helpers::{fresh_store, planned_demo_app, query_all, scalar, Backend, TEST_PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    a_reimport_under_a_new_reference_comes_in_opted_out_and_unplanned,
    a_suppressed_phone_brings_another_name_in_opted_out,
    an_opt_out_entry_matching_nobody_applies_to_a_later_import,
    an_opt_out_call_keeps_a_later_reimport_opted_out,
    an_erased_person_stays_opted_out,
);

const HEADER: &str =
    "N° dossier;Nom;Prénom;Date de naissance;Code postal;Téléphone fixe;Téléphone portable\n";

async fn import(store: &Store, kind: ImportKind, csv: &str) -> ImportReport {
    let campaign = CampaignName::default_campaign();
    let options = ImportOptions::default();
    let bytes = csv.as_bytes();
    import_file(
        store,
        None,
        kind,
        &campaign,
        "liste.csv",
        bytes,
        &options,
        false,
    )
    .await
    .unwrap()
}

async fn beneficiaries(store: &Store, rows: &str) -> ImportReport {
    import(store, ImportKind::Beneficiaries, &format!("{HEADER}{rows}")).await
}

/// The status of the person with this reference.
async fn status_of(store: &Store, reference: &str) -> String {
    crate::helpers::text(
        store,
        &format!("SELECT status FROM beneficiaries WHERE external_ref = '{reference}'"),
    )
    .await
}

/// Plans the default campaign's week; gives how many assignments the person with this
/// reference has.
async fn planned(store: &Store, reference: &str) -> i64 {
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    store
        .plan_week(&campaign, IsoWeek::current().next(), PlanMode::Plan, false)
        .await
        .unwrap();
    scalar(
        store,
        &format!(
            "SELECT COUNT(*) FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE b.external_ref = '{reference}'"
        ),
    )
    .await
}

/// A caller, so that planning has someone to give people to.
async fn one_caller(store: &Store) {
    let csv = "Email;Nom;Prénom;Appels par semaine\nmarc@example.org;Petit;Marc;20\n";
    let report = import(store, ImportKind::Callers, csv).await;
    assert_eq!(report.inserted, 1, "{report:?}");
}

async fn a_reimport_under_a_new_reference_comes_in_opted_out_and_unplanned(backend: Backend) {
    let t = fresh_store(backend).await;
    one_caller(&t.store).await;
    beneficiaries(
        &t.store,
        "A-1;Durand;Marie;02/04/1938;80000;01 99 00 40 01;\n",
    )
    .await;
    let list = "N° dossier\nA-1\n";
    let report = import(&t.store, ImportKind::OptOut, list).await;
    assert_eq!(report.updated, 1, "{report:?}");
    // Same name (typed otherwise) and birth date, a new reference, another phone.
    let report = beneficiaries(
        &t.store,
        "A-1;Durand;Marie;02/04/1938;80000;01 99 00 40 01;\n\
         B-7;DURAND;marie;02/04/1938;80000;01 99 00 40 99;\n\
         C-3;Martin;Paul;05/06/1941;80000;01 99 00 40 03;\n",
    )
    .await;
    assert_eq!(report.inserted, 2, "{report:?}");
    assert_eq!(
        (report.suppressed, report.suppressed_lines.clone()),
        (1, vec![3])
    );
    assert_eq!(status_of(&t.store, "B-7").await, "opted_out");
    assert_eq!(status_of(&t.store, "C-3").await, "active");
    assert_eq!(planned(&t.store, "B-7").await, 0, "never planned");
    assert_eq!(planned(&t.store, "C-3").await, 1, "the others are");
}

async fn a_suppressed_phone_brings_another_name_in_opted_out(backend: Backend) {
    let t = fresh_store(backend).await;
    one_caller(&t.store).await;
    beneficiaries(
        &t.store,
        "A-1;Durand;Marie;02/04/1938;80000;01 99 00 40 01;06 39 98 40 01\n",
    )
    .await;
    import(&t.store, ImportKind::OptOut, "N° dossier\nA-1\n").await;
    // A new reference, another name and birth date: the mobile is on the list.
    let report = beneficiaries(
        &t.store,
        "Z-9;Dupuis;Marie-Claire;02/04/1948;80000;;+33 6 39 98 40 01\n",
    )
    .await;
    assert_eq!(
        (report.suppressed, report.suppressed_lines.clone()),
        (1, vec![2])
    );
    assert_eq!(status_of(&t.store, "Z-9").await, "opted_out");
    assert_eq!(planned(&t.store, "Z-9").await, 0);
    // A later import never brings them back, whatever the file says.
    let report = beneficiaries(
        &t.store,
        "Z-9;Dupuis;Marie-Claire;02/04/1948;80000;;+33 6 39 98 40 02\n",
    )
    .await;
    assert_eq!(status_of(&t.store, "Z-9").await, "opted_out", "{report:?}");
}

async fn an_opt_out_entry_matching_nobody_applies_to_a_later_import(backend: Backend) {
    let t = fresh_store(backend).await;
    one_caller(&t.store).await;
    let list = "Nom;Prénom;Date de naissance;Téléphone\n\
                Leroy;Jeanne;07/08/1936;\n\
                ;;;01 99 00 50 05\n";
    let report = import(&t.store, ImportKind::OptOut, list).await;
    assert_eq!((report.listed, report.rejected), (2, 0), "{report:?}");
    let stored = scalar(&t.store, "SELECT COUNT(*) FROM suppressions").await;
    assert_eq!(stored, 2);
    // The list holds hashes, not the numbers or names.
    let raw = scalar(
        &t.store,
        "SELECT COUNT(*) FROM suppressions WHERE key_hash LIKE '%99005005%' OR key_hash LIKE '%leroy%'",
    )
    .await;
    assert_eq!(raw, 0);
    assert!(t
        .store
        .is_suppressed(&SuppressionKey::phone("+33199005005"))
        .await
        .unwrap());
    // The same list again changes nothing.
    let again = import(&t.store, ImportKind::OptOut, list).await;
    assert_eq!((again.listed, again.unchanged), (0, 2), "{again:?}");
    let report = beneficiaries(
        &t.store,
        "L-1;LEROY;Jeanne;07/08/1936;80000;01 99 00 50 01;\n\
         M-2;Moreau;Luc;01/01/1940;80000;01 99 00 50 05;\n\
         N-3;Noël;Anne;02/02/1942;80000;01 99 00 50 06;\n",
    )
    .await;
    assert_eq!(
        (report.suppressed, report.suppressed_lines.clone()),
        (2, vec![2, 3])
    );
    assert_eq!(report.inserted, 3);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["suppressed"], 2, "{json}");
    assert_eq!(status_of(&t.store, "L-1").await, "opted_out");
    assert_eq!(status_of(&t.store, "M-2").await, "opted_out");
    assert_eq!(planned(&t.store, "L-1").await, 0);
    assert_eq!(planned(&t.store, "M-2").await, 0);
    assert_eq!(planned(&t.store, "N-3").await, 1);
}

async fn an_opt_out_call_keeps_a_later_reimport_opted_out(backend: Backend) {
    let (app, email) = planned_demo_app(backend).await;
    assert_eq!(app.login(&email, TEST_PASSWORD).await.status(), 303);
    let week = IsoWeek::current().to_string();
    let (assignment, person): (i64, i64) = query_all(
        &app.store,
        &format!(
            "SELECT id, beneficiary_id FROM assignments WHERE caller_id = 1 AND week = '{week}' \
             ORDER BY id LIMIT 1"
        ),
    )
    .await
    .remove(0);
    let response = app
        .client
        .post(format!("{}/api/calls", app.address))
        .header("Idempotency-Key", "opt-out-call-1")
        .json(&serde_json::json!({ "assignment_id": assignment, "outcome": "opt_out" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let from_call = scalar(
        &app.store,
        "SELECT COUNT(*) FROM suppressions WHERE source = 'call'",
    );
    assert!(from_call.await >= 2, "the phones and the identity");
    // The same person in a new file under a new reference (their number and name).
    let (last, first, born): (String, String, Option<String>) = query_all(
        &app.store,
        &format!(
            "SELECT last_name, first_name, CAST(birth_date AS TEXT) FROM beneficiaries \
             WHERE id = {person}"
        ),
    )
    .await
    .remove(0);
    let phone = crate::helpers::text(
        &app.store,
        &format!("SELECT e164 FROM beneficiary_phones WHERE beneficiary_id = {person} LIMIT 1"),
    )
    .await;
    let born = born.map(|d| d[..10].to_string()).unwrap_or_default();
    let row = format!("NOUVEAU-1;{last};{first};{born};80000;{phone};\n");
    let report = beneficiaries(&app.store, &row).await;
    assert_eq!((report.suppressed, report.inserted), (1, 1), "{report:?}");
    assert_eq!(status_of(&app.store, "NOUVEAU-1").await, "opted_out");
    assert_eq!(planned(&app.store, "NOUVEAU-1").await, 0);
}

/// An erasure (right to erasure: the person also objects to being called) keeps the
/// person's keys, hashed, while their name and phones go: the same person brought back
/// by a later list, under a new reference, comes in opted out.
async fn an_erased_person_stays_opted_out(backend: Backend) {
    let t = fresh_store(backend).await;
    one_caller(&t.store).await;
    beneficiaries(
        &t.store,
        "A-1;Durand;Marie;02/04/1938;80000;01 99 00 40 01;\n\
         D-4;Petit;Jean;03/03/1939;80000;01 99 00 40 04;\n",
    )
    .await;
    let request = ErasureRequest {
        external_ref: "A-1",
        reason: "demande d'effacement",
        actor_label: "cli:test",
    };
    t.store.erase_person(&request).await.unwrap();
    let names = scalar(
        &t.store,
        "SELECT COUNT(*) FROM beneficiaries WHERE last_name = 'Durand'",
    )
    .await;
    assert_eq!(names, 0, "the name is gone");
    assert!(t
        .store
        .is_suppressed(&SuppressionKey::phone("+33199004001"))
        .await
        .unwrap());
    let report = beneficiaries(
        &t.store,
        "B-7;DURAND;Marie;02/04/1938;80000;01 99 00 40 07;\n\
         E-5;Roux;Léa;04/04/1944;80000;01 99 00 40 01;\n\
         D-4;Petit;Jean;03/03/1939;80000;01 99 00 40 04;\n",
    )
    .await;
    assert_eq!(
        (report.suppressed, report.suppressed_lines.clone()),
        (2, vec![2, 3]),
        "{report:?}"
    );
    assert_eq!(status_of(&t.store, "B-7").await, "opted_out");
    assert_eq!(status_of(&t.store, "E-5").await, "opted_out");
    assert_eq!(planned(&t.store, "B-7").await, 0);
    assert_eq!(
        report.missing, 0,
        "an erased person is missing from no file"
    );
    assert_eq!(planned(&t.store, "D-4").await, 1, "the others are planned");
}
