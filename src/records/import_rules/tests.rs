use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::*;
use crate::domain::{LanguageCode, Phone};

fn person(external_ref: Option<&str>) -> NewBeneficiary {
    NewBeneficiary {
        external_ref: external_ref.map(str::to_string),
        last_name: "Dupré".into(),
        first_name: "Élise".into(),
        birth_date: NaiveDate::from_ymd_opt(1940, 3, 2),
        address: None,
        postal_code: None,
        commune: None,
        insee_code: None,
        preferred_language: LanguageCode::parse("fr").unwrap(),
        territory: None,
        phones: Vec::new(),
        relative_name: None,
        relative_phone: None,
    }
}

fn ids(list: &[i64]) -> HashSet<i64> {
    list.iter().copied().collect()
}

#[test]
fn a_reference_is_looked_up_first_then_the_name_among_people_without_one() {
    let key = identity_key("Dupré", "Élise", NaiveDate::from_ymd_opt(1940, 3, 2));
    assert_eq!(
        beneficiary_lookups(&person(Some("A12"))),
        vec![
            Lookup::Reference("A12".into()),
            Lookup::Identity {
                key: key.clone(),
                without_reference: true
            }
        ]
    );
    assert_eq!(
        beneficiary_lookups(&person(None)),
        vec![Lookup::Identity {
            key,
            without_reference: false
        }]
    );
}

#[test]
fn the_identity_key_ignores_case_and_accents() {
    let mut other = person(None);
    other.last_name = "DUPRE".into();
    other.first_name = "elise".into();
    assert_eq!(
        beneficiary_lookups(&other),
        beneficiary_lookups(&person(None))
    );
}

#[test]
fn an_opt_out_entry_is_found_by_reference_else_full_identity_else_phone() {
    let phone = Phone::parse("06 12 34 56 78").unwrap();
    let entry = OptOutEntry {
        external_ref: None,
        last_name: Some("Dupré".into()),
        first_name: None,
        birth_date: NaiveDate::from_ymd_opt(1940, 3, 2),
        phone: Some(phone.clone()),
    };
    // No first name: the identity lookup is skipped.
    assert_eq!(
        opt_out_lookups(&entry),
        vec![Lookup::Phone(phone.as_str().to_string())]
    );
    let full = OptOutEntry {
        external_ref: Some("A1".into()),
        first_name: Some("Élise".into()),
        ..entry
    };
    let lookups = opt_out_lookups(&full);
    assert_eq!(lookups.len(), 3);
    assert_eq!(lookups[0], Lookup::Reference("A1".into()));
    assert!(matches!(lookups[1], Lookup::Identity { .. }));
}

#[test]
fn identify_tells_new_known_ambiguous_and_duplicates() {
    let id = |c: &i64| *c;
    assert_eq!(identify(Vec::<i64>::new(), &ids(&[]), id), Identified::New);
    assert_eq!(identify(vec![7], &ids(&[1]), id), Identified::Known(7));
    assert_eq!(identify(vec![7, 8], &ids(&[]), id), Identified::Ambiguous);
    assert_eq!(
        identify(vec![7], &ids(&[7]), id),
        Identified::DuplicateInFile
    );
    // Ambiguity wins over duplication.
    assert_eq!(identify(vec![7, 8], &ids(&[7]), id), Identified::Ambiguous);
}

#[test]
fn final_statuses_are_never_reverted() {
    use BeneficiaryStatus::*;
    for stored in [OptedOut, Deceased] {
        for wanted in [Active, Moved] {
            assert_eq!(
                status_after_import(Some(stored), Some(wanted)),
                (stored, true)
            );
        }
        assert_eq!(status_after_import(Some(stored), None), (stored, false));
        assert_eq!(
            status_after_import(Some(stored), Some(stored)),
            (stored, false)
        );
    }
    assert_eq!(
        status_after_import(Some(Active), Some(Moved)),
        (Moved, false)
    );
    assert_eq!(
        status_after_import(Some(Moved), Some(OptedOut)),
        (OptedOut, false)
    );
    assert_eq!(status_after_import(Some(Moved), None), (Moved, false));
    assert_eq!(status_after_import(None, None), (Active, false));
    assert_eq!(status_after_import(None, Some(Deceased)), (Deceased, false));
}

#[test]
fn a_row_identical_with_the_same_list_is_unchanged() {
    let phones = ["+33612345678".to_string()];
    assert_eq!(decide_write(None, &1, &phones), Write::Insert);
    assert_eq!(
        decide_write(Some((&1, &phones[..])), &1, &phones),
        Write::Unchanged
    );
    assert_eq!(
        decide_write(Some((&1, &phones[..])), &2, &phones),
        Write::Update {
            list_changed: false
        }
    );
    assert_eq!(
        decide_write(Some((&1, &phones[..])), &1, &[]),
        Write::Update { list_changed: true }
    );
    // The order of the list matters (the first number is called first).
    let two = ["+33612345678".to_string(), "+33140000000".to_string()];
    let swapped = [two[1].clone(), two[0].clone()];
    assert_eq!(
        decide_write(Some((&1, &two[..])), &1, &swapped),
        Write::Update { list_changed: true }
    );
}

#[test]
fn territory_by_code_else_commune_else_postal_code() {
    let index = TerritoryIndex {
        by_code: HashMap::from([("T1".to_string(), 1)]),
        by_insee: HashMap::from([("2A004".to_string(), 2)]),
        by_postal_code: HashMap::from([("20000".to_string(), 3)]),
    };
    let found = |code, insee, postal| index.resolve(code, insee, postal);
    assert_eq!(found(Some("T1"), Some("2A004"), Some("20000")).id, Some(1));
    assert_eq!(found(None, Some("2A004"), Some("20000")).id, Some(2));
    assert_eq!(found(None, Some("99999"), Some("20000")).id, Some(3));
    assert_eq!(found(None, None, Some("75001")).id, None);
    let unknown = found(Some("T9"), None, Some("20000"));
    assert_eq!(unknown.id, Some(3));
    assert_eq!(unknown.unknown_code, Some("T9"));
    assert_eq!(found(Some("T1"), None, None).unknown_code, None);
}

#[test]
fn people_missing_from_the_file_are_counted_and_sampled() {
    let known: Vec<(i64, String)> = (1..=30).map(|i| (i, format!("p{i}"))).collect();
    let (count, sample) = missing_from_file(known, &ids(&[1, 2, 3]));
    assert_eq!(count, 27);
    assert_eq!(sample.len(), MISSING_SAMPLE);
    assert_eq!(sample[0], "p4");

    let members: HashSet<i64> = (1..=25).collect();
    let (count, sample) = absent_members(&members, &ids(&[2, 30]));
    assert_eq!(count, 24);
    assert_eq!(sample.len(), MISSING_SAMPLE);
    assert_eq!(&sample[..3], &[1, 3, 4]);
}

#[test]
fn an_opt_out_applies_to_exactly_one_person_not_yet_final() {
    use BeneficiaryStatus::*;
    assert_eq!(opt_out_decision(&[]), OptOutDecision::NotFound);
    assert_eq!(opt_out_decision(&[(4, Active)]), OptOutDecision::OptOut(4));
    assert_eq!(opt_out_decision(&[(4, Moved)]), OptOutDecision::OptOut(4));
    assert_eq!(
        opt_out_decision(&[(4, Deceased)]),
        OptOutDecision::AlreadyFinal
    );
    assert_eq!(
        opt_out_decision(&[(4, OptedOut)]),
        OptOutDecision::AlreadyFinal
    );
    assert_eq!(
        opt_out_decision(&[(4, Active), (5, Active)]),
        OptOutDecision::Ambiguous(2)
    );
}
