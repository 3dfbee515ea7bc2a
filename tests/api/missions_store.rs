//! The volunteer missions' store (issue 17): organisations, needs, volunteers, the
//! needs and volunteers imports, the matcher's input and the saved proposals, on both
//! databases.

use chrono::{NaiveDate, TimeZone, Utc};

use lien::domain::{
    CampaignName, EmailAddress, ImportKind, IsoWeek, OrganisationKind, Phone, PlacementState,
    PostalCode, VolunteerOrigin,
};
use lien::import::apply::import_file;
use lien::import::ImportOptions;
use lien::records::imports::ImportReport;
use lien::records::missions::{Approval, NewNeed, NewOrganisation, NewVolunteer};
use lien::store::{MissionSettings, NeedEdit, NeedUpdateError, Store, Upserted, VolunteerFilter};

use crate::helpers::{execute, fresh_store, scalar, text, Backend};
use crate::on_both_backends;

on_both_backends!(
    organisations_are_one_per_folded_name,
    a_need_version_moves_only_when_a_field_changes,
    a_form_edit_is_refused_on_a_stale_version,
    needs_of_a_week_follow_their_dates,
    volunteers_keep_who_approved_and_when,
    imports_report_line_exact_and_change_nothing_twice,
    hostile_needs_and_volunteers_are_refused_line_by_line,
    the_month_counts_what_was_held_in_its_weeks,
    proposals_replace_proposals_and_never_held_placements,
);

fn week(code: &str) -> IsoWeek {
    IsoWeek::parse(code).unwrap()
}

fn organisation(name: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.to_owned(),
        kind: None,
        email: None,
        phone: None,
    }
}

fn need(reference: &str, org: &str, wanted: u32, minutes: u32, slots: &str) -> NewNeed {
    NewNeed {
        reference: reference.to_owned(),
        organisation: NewOrganisation {
            email: Some(EmailAddress::parse("contact@foyer.example.org").unwrap()),
            ..organisation(org)
        },
        establishment: format!("{org} (site)"),
        address: Some("1 rue de la Paix".into()),
        postcode: Some(PostalCode::parse("80000").unwrap()),
        commune: Some("Amiens".into()),
        phone: Some(Phone::parse("01 99 00 40 01").unwrap()),
        email: Some(EmailAddress::parse("contact@foyer.example.org").unwrap()),
        public: Some("Enfants".into()),
        mission_kind: "Accompagnement".into(),
        volunteers_wanted: wanted,
        weekly_minutes: minutes,
        slots: slots.to_owned(),
        qualifications: String::new(),
        starts_on: None,
        ends_on: None,
    }
}

fn volunteer(email: &str, origin: VolunteerOrigin, availability: &str) -> NewVolunteer {
    NewVolunteer {
        email: EmailAddress::parse(email).unwrap(),
        last_name: "Martin".into(),
        first_name: "Claire".into(),
        phone: None,
        origin,
        origin_structure: Some("Service".into()),
        qualifications: String::new(),
        availability: availability.to_owned(),
        postcode: Some(PostalCode::parse("80000").unwrap()),
        commune: Some("Amiens".into()),
        days_per_month_centi: (origin == VolunteerOrigin::Agent).then_some(50),
        manager_approved: Some(origin == VolunteerOrigin::Agent),
        approval: Some(Approval {
            by: "manager@cd80.example.org".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
        }),
    }
}

async fn organisations_are_one_per_folded_name(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let first = s
        .upsert_organisation(&organisation("Foyer Les Tilleuls"))
        .await
        .unwrap();
    assert!(matches!(first, Upserted::Inserted(_)));
    let again = s
        .upsert_organisation(&organisation("  FOYER les tilleuls "))
        .await
        .unwrap();
    assert_eq!(again, Upserted::Unchanged(first.id()));
    let with_contact = NewOrganisation {
        kind: Some(OrganisationKind::Establishment),
        email: Some(EmailAddress::parse("direction@tilleuls.example.org").unwrap()),
        ..organisation("Foyer les Tilleuls")
    };
    assert_eq!(
        s.upsert_organisation(&with_contact).await.unwrap(),
        Upserted::Updated(first.id())
    );
    let list = s.list_organisations().await.unwrap();
    assert_eq!(list.len(), 1);
    let stored = s.organisation(first.id()).await.unwrap().unwrap();
    assert_eq!(
        stored.name, "Foyer Les Tilleuls",
        "the first spelling stays"
    );
    assert_eq!(stored.kind, OrganisationKind::Establishment);
    assert_eq!(
        stored.email.as_deref(),
        Some("direction@tilleuls.example.org")
    );
    let by_name = s.organisation_by_name("foyer-les-tilleuls").await.unwrap();
    assert_eq!(by_name.map(|o| o.id), Some(first.id()));
}

async fn a_need_version_moves_only_when_a_field_changes(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let n = need("R-1", "Foyer", 2, 360, "lun 17:00-20:00, jeu 17:00-20:00");
    let id = s.upsert_need(&n, "user:1").await.unwrap();
    assert!(matches!(id, Upserted::Inserted(_)));
    assert_eq!(
        s.upsert_need(&n, "user:1").await.unwrap(),
        Upserted::Unchanged(id.id())
    );
    assert_eq!(s.need(id.id()).await.unwrap().unwrap().version, 1);
    let more = NewNeed {
        weekly_minutes: 420,
        ..n.clone()
    };
    assert_eq!(
        s.upsert_need(&more, "user:2").await.unwrap(),
        Upserted::Updated(id.id())
    );
    let stored = s.need_by_reference("R-1").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.weekly_minutes), (2, 420));
    assert_eq!(stored.updated_by.as_deref(), Some("user:2"));
    assert_eq!(stored.organisation_name, "Foyer");
    // The organisation's contact came from the need; a later need does not replace it.
    let org = s
        .organisation(stored.organisation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.email.as_deref(), Some("contact@foyer.example.org"));
    let other = NewNeed {
        email: Some(EmailAddress::parse("autre@foyer.example.org").unwrap()),
        organisation: NewOrganisation {
            email: Some(EmailAddress::parse("autre@foyer.example.org").unwrap()),
            ..organisation("Foyer")
        },
        ..need("R-2", "Foyer", 1, 180, "mar 09:00-12:00")
    };
    s.upsert_need(&other, "user:1").await.unwrap();
    let org = s
        .organisation(stored.organisation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(org.email.as_deref(), Some("contact@foyer.example.org"));
    assert_eq!(s.needs_of_organisation(org.id).await.unwrap().len(), 2);
}

async fn a_form_edit_is_refused_on_a_stale_version(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let id = s
        .upsert_need(
            &need("R-1", "Foyer", 2, 360, "lun 17:00-20:00"),
            "import:f.csv",
        )
        .await
        .unwrap()
        .id();
    let read = s.need(id).await.unwrap().unwrap();
    // Nothing changed: no new version.
    let same = s
        .update_need(id, 1, &NeedEdit::from(&read), "organisation-link:1")
        .await
        .unwrap();
    assert_eq!(same.version, 1);
    let mut edit = NeedEdit::from(&read);
    edit.volunteers_wanted = 3;
    let saved = s
        .update_need(id, 1, &edit, "organisation-link:1")
        .await
        .unwrap();
    assert_eq!((saved.version, saved.volunteers_wanted), (2, 3));
    assert_eq!(saved.updated_by.as_deref(), Some("organisation-link:1"));
    // A second form read at version 1 is refused with the need as it is now.
    let mut late = NeedEdit::from(&read);
    late.weekly_minutes = 60;
    match s.update_need(id, 1, &late, "user:4").await {
        Err(NeedUpdateError::Stale { current }) => {
            assert_eq!((current.version, current.volunteers_wanted), (2, 3));
        }
        other => panic!("expected a stale version, got {other:?}"),
    }
    assert_eq!(s.need(id).await.unwrap().unwrap().weekly_minutes, 360);
    let mut reversed = NeedEdit::from(&saved);
    reversed.starts_on = NaiveDate::from_ymd_opt(2026, 6, 30);
    reversed.ends_on = NaiveDate::from_ymd_opt(2026, 6, 1);
    let err = s.update_need(id, 2, &reversed, "user:4").await.unwrap_err();
    assert_eq!(err.code(), "need_dates_reversed");
    assert!(matches!(
        s.update_need(9999, 1, &edit, "user:4").await,
        Err(NeedUpdateError::NotFound)
    ));
}

async fn needs_of_a_week_follow_their_dates(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d);
    let dated = |r: &str, from, to| NewNeed {
        starts_on: from,
        ends_on: to,
        ..need(r, "Foyer", 1, 180, "lun 09:00-12:00")
    };
    s.upsert_need(&dated("OPEN", None, None), "t")
        .await
        .unwrap();
    s.upsert_need(&dated("ENDS-SUNDAY", d(11, 1), d(12, 13)), "t")
        .await
        .unwrap();
    s.upsert_need(&dated("STARTS-SUNDAY", d(12, 13), None), "t")
        .await
        .unwrap();
    s.upsert_need(&dated("OVER", d(11, 1), d(12, 6)), "t")
        .await
        .unwrap();
    s.upsert_need(&dated("LATER", d(12, 14), None), "t")
        .await
        .unwrap();
    let closed = s
        .upsert_need(&dated("CLOSED", None, None), "t")
        .await
        .unwrap()
        .id();
    let read = s.need(closed).await.unwrap().unwrap();
    let mut edit = NeedEdit::from(&read);
    edit.active = false;
    s.update_need(closed, 1, &edit, "t").await.unwrap();
    // 2026-W50: Monday 7 to Sunday 13 December.
    let refs: Vec<String> = s
        .needs_of_week(week("2026-W50"))
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.reference)
        .collect();
    assert_eq!(refs, ["ENDS-SUNDAY", "OPEN", "STARTS-SUNDAY"]);
    let input = s
        .load_match_input(week("2026-W50"), &MissionSettings::default())
        .await
        .unwrap();
    let mut input_refs: Vec<&str> = input.needs.iter().map(|n| n.reference.as_str()).collect();
    input_refs.sort_unstable();
    assert_eq!(input_refs, ["ENDS-SUNDAY", "OPEN", "STARTS-SUNDAY"]);
}

async fn volunteers_keep_who_approved_and_when(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let agent = volunteer(
        "claire.martin@agents.example.org",
        VolunteerOrigin::Agent,
        "lun 09:00-12:00",
    );
    let id = s.upsert_volunteer(&agent).await.unwrap();
    assert!(matches!(id, Upserted::Inserted(_)));
    let stored = s.volunteer(id.id()).await.unwrap().unwrap();
    assert!(stored.manager_approved);
    assert_eq!(
        stored.approved_by.as_deref(),
        Some("manager@cd80.example.org")
    );
    assert_eq!(
        stored.approved_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap())
    );
    assert_eq!(stored.days_per_month_centi, Some(50));
    // The same approval again, from someone else later: the first record stays.
    let later = NewVolunteer {
        approval: Some(Approval {
            by: "other.file.csv".into(),
            at: Utc::now(),
        }),
        ..agent.clone()
    };
    assert_eq!(
        s.upsert_volunteer(&later).await.unwrap(),
        Upserted::Unchanged(id.id())
    );
    // Withdrawn: who and when are forgotten.
    let withdrawn = NewVolunteer {
        manager_approved: Some(false),
        ..agent.clone()
    };
    assert_eq!(
        s.upsert_volunteer(&withdrawn).await.unwrap(),
        Upserted::Updated(id.id())
    );
    let stored = s
        .volunteer_by_email("Claire.Martin@agents.example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.manager_approved);
    assert_eq!(stored.approved_by, None);
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 14, 30, 0).unwrap();
    assert!(s
        .set_volunteer_approval(id.id(), true, "user:7", at)
        .await
        .unwrap());
    let stored = s.volunteer(id.id()).await.unwrap().unwrap();
    assert_eq!(
        (stored.approved_by.as_deref(), stored.approved_at),
        (Some("user:7"), Some(at))
    );
    // A student carries no allowance, whatever the row says.
    let student = NewVolunteer {
        days_per_month_centi: Some(100),
        ..volunteer("lea@etudiants.example.org", VolunteerOrigin::School, "")
    };
    let sid = s.upsert_volunteer(&student).await.unwrap().id();
    assert_eq!(
        s.volunteer(sid)
            .await
            .unwrap()
            .unwrap()
            .days_per_month_centi,
        None
    );
    let all = s.list_volunteers(VolunteerFilter::default()).await.unwrap();
    assert_eq!(all.len(), 2);
}

async fn import(store: &Store, kind: ImportKind, name: &str, dry_run: bool) -> ImportReport {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    import_file(
        store,
        None,
        kind,
        &CampaignName::default_campaign(),
        name.rsplit('/').next().unwrap(),
        &bytes,
        &ImportOptions::default(),
        dry_run,
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn imports_report_line_exact_and_change_nothing_twice(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let dry = import(s, ImportKind::Needs, "samples/needs.csv", true).await;
    assert_eq!(
        (dry.rows, dry.inserted, dry.rejected),
        (6, 6, 0),
        "{dry:#?}"
    );
    assert_eq!(scalar(s, "SELECT COUNT(*) FROM mission_needs").await, 0);
    let needs = import(s, ImportKind::Needs, "samples/needs.csv", false).await;
    assert_eq!((needs.inserted, needs.rejected), (6, 0), "{needs:#?}");
    assert!(needs.batch_id.is_some());
    assert_eq!(scalar(s, "SELECT COUNT(*) FROM organisations").await, 5);
    let b2 = s.need_by_reference("B-02").await.unwrap().unwrap();
    assert_eq!(b2.weekly_minutes, 450, "7h30");
    assert_eq!(
        b2.slots,
        "lun 17:00-18:30, mar 17:00-18:30, mer 17:00-18:30, jeu 17:00-18:30, ven 17:00-18:30"
    );
    let b3 = s.need_by_reference("B-03").await.unwrap().unwrap();
    assert_eq!(
        (b3.weekly_minutes, b3.qualifications.as_str()),
        (450, "bafa, permis_b")
    );
    let b1 = s.need_by_reference("B-01").await.unwrap().unwrap();
    assert_eq!(b1.qualifications, "educateur_specialise");
    assert_eq!(b1.ends_on, NaiveDate::from_ymd_opt(2026, 6, 26));
    let volunteers = import(s, ImportKind::Volunteers, "samples/volunteers.csv", false).await;
    assert_eq!(
        (volunteers.inserted, volunteers.rejected),
        (7, 0),
        "{volunteers:#?}"
    );
    let karim = s
        .volunteer_by_email("karim.dubois@agents.example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(karim.days_per_month_centi, Some(150));
    assert!(karim.manager_approved);
    assert_eq!(karim.approved_by.as_deref(), Some("volunteers.csv"));
    assert!(karim.approved_at.is_some());
    let yannick = s
        .volunteer_by_email("yannick.petit@agents.example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(!yannick.manager_approved);
    assert!(volunteers
        .warnings
        .iter()
        .any(|w| w.line == Some(4) && w.code == "agent_not_approved"));
    // The same files again: nothing changes.
    let again = import(s, ImportKind::Needs, "samples/needs.csv", false).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 6));
    assert_eq!(again.same_file_as_batch, needs.batch_id);
    let again = import(s, ImportKind::Volunteers, "samples/volunteers.csv", false).await;
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 7));
    assert_eq!(
        scalar(s, "SELECT CAST(MAX(version) AS BIGINT) FROM mission_needs").await,
        1
    );
    let approved_by = text(
        s,
        "SELECT approved_by FROM volunteers WHERE email = 'karim.dubois@agents.example.org'",
    )
    .await;
    assert_eq!(approved_by, "volunteers.csv");
}

/// The errors of one line of a report: (column, value, code).
fn line_errors(r: &ImportReport, line: u64) -> Vec<(Option<String>, Option<String>, String)> {
    r.errors
        .iter()
        .filter(|e| e.line == line)
        .map(|e| (e.column.clone(), e.value.clone(), e.code.clone()))
        .collect()
}

fn owned(
    column: &str,
    value: Option<&str>,
    code: &str,
) -> (Option<String>, Option<String>, String) {
    (Some(column.into()), value.map(Into::into), code.into())
}

async fn hostile_needs_and_volunteers_are_refused_line_by_line(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let r = import(s, ImportKind::Needs, "hostile/besoins-hostile.csv", false).await;
    assert_eq!(r.rows, 9);
    assert_eq!(r.inserted, 2, "{r:#?}");
    assert_eq!(r.rejected, 7, "{r:#?}");
    let slots_day = line_errors(&r, 3);
    assert_eq!(slots_day.len(), 1);
    assert_eq!(slots_day[0].0.as_deref(), Some("Plages horaires"));
    assert_eq!(slots_day[0].2, "slots_whole_day");
    assert_eq!(
        line_errors(&r, 4),
        [owned(
            "Nombre de volontaires",
            Some("0"),
            "no_volunteer_wanted"
        )]
    );
    assert_eq!(
        line_errors(&r, 5),
        [owned("Au", Some("01/06/2026"), "dates_reversed")]
    );
    assert_eq!(
        line_errors(&r, 6),
        [owned(
            "Volume horaire hebdomadaire",
            Some("trois heures"),
            "hours_invalid"
        )]
    );
    assert_eq!(line_errors(&r, 8)[0].2, "duplicate_in_file");
    assert_eq!(line_errors(&r, 9)[0].2, "missing_value");
    assert_eq!(line_errors(&r, 10)[0].2, "slots_end_not_after_start");
    // An unknown qualification is kept, with a warning naming it.
    let warning = r
        .warnings
        .iter()
        .find(|w| w.code == "qualification_unknown")
        .expect("a warning");
    assert_eq!(
        (warning.line, warning.value.as_deref()),
        (Some(7), Some("jongleur"))
    );
    let h06 = s.need_by_reference("H-06").await.unwrap().unwrap();
    assert_eq!(h06.qualifications, "jongleur, permis_b");
    // Every error says what to do, in French.
    assert!(r.errors.iter().all(|e| e.message.len() > 30), "{r:#?}");

    let r = import(
        s,
        ImportKind::Volunteers,
        "hostile/volontaires-hostile.csv",
        false,
    )
    .await;
    assert_eq!(r.rows, 10);
    assert_eq!(
        line_errors(&r, 3),
        [(
            Some("Jours par mois".into()),
            None,
            "agent_without_days".into()
        )]
    );
    assert_eq!(
        line_errors(&r, 4),
        [owned("Jours par mois", Some("3"), "days_out_of_range")]
    );
    assert!(
        line_errors(&r, 5).is_empty(),
        "a non-agent's days are ignored"
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| w.line == Some(5) && w.code == "days_ignored"));
    assert_eq!(
        line_errors(&r, 6),
        [owned("Origine", Some("mairie"), "origin_unknown")]
    );
    assert!(line_errors(&r, 7)[0].2.starts_with("slots_"), "{r:#?}");
    assert!(r
        .warnings
        .iter()
        .any(|w| w.line == Some(8) && w.code == "no_availability"));
    assert_eq!(
        line_errors(&r, 9),
        [owned(
            "Accord hiérarchique",
            Some("peut-être"),
            "approval_unknown"
        )]
    );
    assert!(r
        .warnings
        .iter()
        .any(|w| w.line == Some(10) && w.code == "qualification_unknown"));
    assert_eq!(line_errors(&r, 11)[0].2, "duplicate_in_file");
    assert_eq!((r.inserted, r.rejected), (4, 6), "{r:#?}");
    let sophie = s
        .volunteer_by_email("sophie.andre@benevoles.example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (sophie.days_per_month_centi, sophie.manager_approved),
        (None, false)
    );
}

/// A placement held (state given) of `minutes` in the week of `monday`.
async fn held(
    store: &Store,
    need: i64,
    volunteer: i64,
    monday: &str,
    minutes: i32,
    state: &str,
) -> i64 {
    let sql = format!(
        "INSERT INTO mission_placements (need_id, volunteer_id, week_start, minutes, state, \
         reason, need_version) VALUES ({need}, {volunteer}, '{monday}', {minutes}, '{state}', \
         '{{\"code\":\"test\"}}', 1)"
    );
    execute(store, &sql).await.unwrap();
    scalar(store, "SELECT MAX(id) FROM mission_placements").await
}

async fn the_month_counts_what_was_held_in_its_weeks(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let n = s
        .upsert_need(&need("R-1", "Foyer", 5, 180, "lun 09:00-12:00"), "t")
        .await
        .unwrap()
        .id();
    let mut agent = volunteer(
        "agent@agents.example.org",
        VolunteerOrigin::Agent,
        "lun 09:00-12:00",
    );
    agent.days_per_month_centi = Some(200);
    let a = s.upsert_volunteer(&agent).await.unwrap().id();
    // 2026-W49 (Monday 30 November, Thursday 3 December) counts in December; W48 in
    // November.
    let w49 = held(s, n, a, "2026-11-30", 180, "confirmed").await;
    held(s, n, a, "2026-11-23", 180, "signed").await;
    let w51 = held(s, n, a, "2026-12-14", 120, "signed").await;
    held(s, n, a, "2027-01-04", 180, "confirmed").await;
    // Recorded hours above the plan count; an ended placement counts what was recorded.
    execute(
        s,
        &format!(
            "INSERT INTO mission_hours (placement_id, volunteer_id, worked_on, minutes, recorded_by) \
             VALUES ({w49}, {a}, '2026-11-30', 200, 'user:1'), ({w51}, {a}, '2026-12-14', 60, 'user:1')"
        ),
    )
    .await
    .unwrap();
    let ended = held(s, n, a, "2026-12-21", 180, "ended").await;
    let input = s
        .load_match_input(week("2026-W50"), &MissionSettings::default())
        .await
        .unwrap();
    let allowance = input.volunteers[0].allowance.expect("an agent's allowance");
    // 200 (W49, recorded) + 120 (W51, planned > recorded) + 0 (W52 ended, nothing recorded).
    assert_eq!(allowance.used_minutes_this_month, 320);
    assert_eq!(allowance.minutes_per_month, 2 * 420);
    assert!(allowance.approved);
    execute(
        s,
        &format!(
            "INSERT INTO mission_hours (placement_id, volunteer_id, worked_on, minutes, recorded_by) \
             VALUES ({ended}, {a}, '2026-12-21', 90, 'user:1')"
        ),
    )
    .await
    .unwrap();
    let settings = MissionSettings {
        minutes_per_day: 480,
    };
    let input = s
        .load_match_input(week("2026-W50"), &settings)
        .await
        .unwrap();
    let allowance = input.volunteers[0].allowance.unwrap();
    assert_eq!(
        (
            allowance.used_minutes_this_month,
            allowance.minutes_per_month
        ),
        (410, 960)
    );
    // Last week's held placement is the continuity pair of W50.
    assert_eq!(input.last_week.len(), 1);
    assert_eq!(
        (input.last_week[0].need_id, input.last_week[0].volunteer_id),
        (n, a)
    );
}

async fn proposals_replace_proposals_and_never_held_placements(backend: Backend) {
    let t = fresh_store(backend).await;
    let s = &t.store;
    let w = week("2026-W50");
    let settings = MissionSettings::default();
    let n1 = s
        .upsert_need(&need("R-1", "Foyer", 2, 180, "lun 09:00-12:00"), "t")
        .await
        .unwrap()
        .id();
    let n2 = s
        .upsert_need(&need("R-2", "Restos", 1, 180, "mar 14:00-17:00"), "t")
        .await
        .unwrap()
        .id();
    let mut ids = Vec::new();
    for (email, availability) in [
        ("a@benevoles.example.org", "lun 09:00-12:00"),
        (
            "b@benevoles.example.org",
            "lun 09:00-12:00, mar 14:00-17:00",
        ),
        ("c@benevoles.example.org", "mar 14:00-17:00"),
    ] {
        let v = volunteer(email, VolunteerOrigin::Association, availability);
        ids.push(s.upsert_volunteer(&v).await.unwrap().id());
    }
    let dry = s.match_missions(w, &settings, true).await.unwrap();
    assert_eq!(dry.outcome.placements.len(), 3, "{:#?}", dry.outcome);
    assert_eq!(dry.saved, 0);
    assert_eq!(
        scalar(s, "SELECT COUNT(*) FROM mission_placements").await,
        0
    );
    let run = s.match_missions(w, &settings, false).await.unwrap();
    assert_eq!(run.saved, 3);
    let lines = s.placements_of_week(w).await.unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .all(|l| l.state == PlacementState::Proposed && l.need_version == 1));
    assert!(
        lines.iter().all(|l| !l.reason_code().is_empty()),
        "{lines:#?}"
    );
    let json: serde_json::Value = serde_json::from_str(&lines[0].reason).unwrap();
    assert!(json.get("distance").is_some(), "{json}");
    // A held placement stays; the rest is proposed again, the same way.
    let confirmed = s
        .settle_demo_placements(w, PlacementState::Confirmed, 3)
        .await
        .unwrap();
    assert_eq!(confirmed, 1);
    let held_before: Vec<(i64, i64, String)> = crate::helpers::query_all(
        s,
        "SELECT need_id, volunteer_id, basis FROM mission_placements WHERE state = 'confirmed'",
    )
    .await;
    let again = s.match_missions(w, &settings, false).await.unwrap();
    assert_eq!((again.held, again.replaced, again.saved), (1, 2, 2));
    assert_eq!(
        scalar(s, "SELECT COUNT(*) FROM mission_placements").await,
        3
    );
    let held_after: Vec<(i64, i64, String)> = crate::helpers::query_all(
        s,
        "SELECT need_id, volunteer_id, basis FROM mission_placements WHERE state = 'confirmed'",
    )
    .await;
    assert_eq!(held_before, held_after);
    assert_eq!(held_after[0].2, "association_agreement");
    // The held one counts as filled in its organisation's figures.
    let filled: u64 = again
        .outcome
        .organisations
        .iter()
        .map(|o| o.filled_minutes)
        .sum();
    assert_eq!(filled, 3 * 180);
    // A need changed since: the proposal shows it.
    let read = s.need(n2).await.unwrap().unwrap();
    let mut edit = NeedEdit::from(&read);
    edit.public = Some("Tout public".into());
    s.update_need(n2, 1, &edit, "t").await.unwrap();
    let changed = s.placements_of_week(w).await.unwrap();
    let on_n2: Vec<_> = changed.iter().filter(|l| l.need_id == n2).collect();
    assert!(on_n2
        .iter()
        .all(|l| l.current_version == 2 && l.need_version == 1));
    let _ = (n1, ids);
}
