//! Row parsing, kind by kind.

use chrono::NaiveDate;

use super::*;
use crate::domain::{BeneficiaryStatus, LanguageCode, Weekdays};
use crate::import::read::read_table;
use crate::import::{BeneficiaryRow, OptOutEntry};
use crate::store::{NewCaller, NewTerritory};

fn table(text: &str) -> Table {
    read_table(text.as_bytes()).unwrap_or_else(|e| panic!("{e}: {text:?}"))
}

fn options() -> ImportOptions {
    ImportOptions::default()
}

fn beneficiaries(text: &str) -> Parsed<BeneficiaryRow> {
    parse_beneficiaries(&table(text), &options()).unwrap_or_else(|e| panic!("{e}"))
}

fn callers(text: &str) -> Parsed<NewCaller> {
    parse_callers(&table(text), &options()).unwrap_or_else(|e| panic!("{e}"))
}

fn territories(text: &str) -> Parsed<NewTerritory> {
    parse_territories(&table(text), &options()).unwrap_or_else(|e| panic!("{e}"))
}

fn opt_outs(text: &str) -> Parsed<OptOutEntry> {
    parse_opt_outs(&table(text), &options()).unwrap_or_else(|e| panic!("{e}"))
}

fn codes(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.code.as_str()).collect()
}

/// (line, codes) of every refused row.
fn rejections<T>(p: &Parsed<T>) -> Vec<(u64, Vec<&str>)> {
    p.rejected
        .iter()
        .map(|r| (r.line, codes(&r.errors)))
        .collect()
}

/// The one row of a one-row beneficiary file, or its errors.
fn beneficiary(header: &str, row: &str) -> Result<ParsedRow<BeneficiaryRow>, Vec<FieldError>> {
    let mut p = beneficiaries(&format!("{header}\n{row}\n"));
    match (p.rows.pop(), p.rejected.pop()) {
        (Some(r), None) => Ok(r),
        (None, Some(r)) => Err(r.errors),
        other => panic!("{other:?}"),
    }
}

fn phones(row: &ParsedRow<BeneficiaryRow>) -> Vec<&str> {
    row.value
        .beneficiary
        .phones
        .iter()
        .map(|p| p.as_str())
        .collect()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const HEADER: &str = "Nom;Prénom;Téléphone;CP;DDN";

#[test]
fn every_phone_spelling() {
    let cases = [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("06/12/34/56/78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("612345678", "+33612345678"),
        ("33612345678", "+33612345678"),
        ("612345678.0", "+33612345678"),
        ("'0612345678", "+33612345678"),
        ("=\"0612345678\"", "+33612345678"),
        ("\u{a0}06 12 34 56 78\u{a0}", "+33612345678"),
        ("01 99 00 12 34", "+33199001234"),
        ("06 39 98 12 34", "+262639981234"),
        ("+44 20 7946 0958", "+442079460958"),
    ];
    for (raw, want) in cases {
        let row = beneficiary(
            HEADER,
            &format!("Dupont;Jean;\"{}\";80000;", raw.replace('"', "\"\"")),
        )
        .unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
        assert_eq!(phones(&row), [want], "{raw:?}");
        assert!(row.warnings.is_empty(), "{raw:?}");
    }
}

#[test]
fn several_phones_in_order_without_repeats() {
    let header = "Nom;Prénom;Tél. fixe;Portable;Téléphone 3";
    let row = beneficiary(
        header,
        "Dupont;Jean;01 99 00 12 34 / 06 39 98 12 34;06.39.98.12.34;0199001235 ou 0199001234",
    )
    .unwrap();
    assert_eq!(
        phones(&row),
        ["+33199001234", "+262639981234", "+33199001235"]
    );
    assert!(row.warnings.is_empty());
}

#[test]
fn an_invalid_phone_next_to_a_valid_one_is_a_warning() {
    let header = "Nom;Prénom;Tél. fixe;Portable";
    let row = beneficiary(header, "Dupont;Jean;01 99 00 12;06 39 98 12 34").unwrap();
    assert_eq!(phones(&row), ["+262639981234"]);
    assert_eq!(codes(&row.warnings), ["phone_too_short"]);
    let w = &row.warnings[0];
    assert_eq!(w.line, 2);
    assert_eq!(w.column.as_deref(), Some("Tél. fixe"));
    assert_eq!(w.value.as_deref(), Some("01 99 00 12"));
    assert!(w.message.contains("chiffre"), "{}", w.message);
    // Part of a cell holding two numbers.
    let row = beneficiary(header, "Dupont;Jean;0199001234 / 0199;").unwrap();
    assert_eq!(phones(&row), ["+33199001234"]);
    assert_eq!(row.warnings[0].value.as_deref(), Some("0199"));
}

#[test]
fn no_valid_phone_refuses_the_row_with_every_reason() {
    let header = "Nom;Prénom;Tél. fixe;Portable";
    let errors = beneficiary(header, "Dupont;Jean;01 99 00 12;inconnu").unwrap_err();
    assert_eq!(
        codes(&errors),
        ["phone_too_short", "phone_letters", "no_phone"]
    );
    assert_eq!(errors[2].column, None);
    assert!(
        errors[2].message.contains("« Tél. fixe », « Portable »"),
        "{}",
        errors[2].message
    );
    let errors = beneficiary(header, "Dupont;Jean;;").unwrap_err();
    assert_eq!(codes(&errors), ["no_phone"]);
}

#[test]
fn postal_codes_and_overseas_numbers() {
    let row = |cp: &str, phone: &str| beneficiary(HEADER, &format!("Dupont;Jean;{phone};{cp};"));
    let r = row("2100", "0199001234").unwrap();
    assert_eq!(
        r.value.beneficiary.postal_code.as_ref().map(|p| p.as_str()),
        Some("02100")
    );
    let r = row("80000.0", "0199001234").unwrap();
    assert_eq!(
        r.value.beneficiary.postal_code.as_ref().map(|p| p.as_str()),
        Some("80000")
    );
    let r = row("97400", "06 92 12 34 56").unwrap();
    assert_eq!(phones(&r), ["+262692123456"]);
    let r = row("97100", "0590 12 34 56").unwrap();
    assert_eq!(phones(&r), ["+590590123456"]);
    // Saint-Pierre-et-Miquelon: a 6-digit local number with the postal code as hint.
    let r = row("97500", "41 23 45").unwrap();
    assert_eq!(phones(&r), ["+508412345"]);
    assert_eq!(
        codes(&row("80000", "41 23 45").unwrap_err()),
        ["phone_too_short", "no_phone"]
    );
    let errors = row("8000X", "0199001234").unwrap_err();
    assert_eq!(codes(&errors), ["postal_code_invalid_character"]);
    assert_eq!(errors[0].column.as_deref(), Some("CP"));
    assert_eq!(errors[0].value.as_deref(), Some("8000X"));
}

#[test]
fn birth_dates() {
    let row = |date: &str| {
        beneficiary(HEADER, &format!("Dupont;Jean;0199001234;;{date}"))
            .map(|r| r.value.beneficiary.birth_date)
            .map_err(|e| codes(&e).join(","))
    };
    for (raw, want) in [
        ("12/03/1940", ymd(1940, 3, 12)),
        ("2/3/1940", ymd(1940, 3, 2)),
        ("12-03-1940", ymd(1940, 3, 12)),
        ("12.03.1940", ymd(1940, 3, 12)),
        ("1940-03-12", ymd(1940, 3, 12)),
        ("12/03/40", ymd(1940, 3, 12)),
        ("12/03/1940 00:00:00", ymd(1940, 3, 12)),
        ("14682", ymd(1940, 3, 12)),
        ("14682.0", ymd(1940, 3, 12)),
        ("12 mars 1940", ymd(1940, 3, 12)),
    ] {
        assert_eq!(row(raw), Ok(Some(want)), "{raw:?}");
    }
    assert_eq!(row(""), Ok(None));
    for (raw, code) in [
        ("31/02/1940", "date_invalid"),
        ("03/25/1940", "date_invalid"),
        ("1940", "date_invalid"),
        ("inconnue", "date_invalid"),
        ("12/03/2199", "birth_date_implausible"),
        ("12/03/1850", "birth_date_implausible"),
    ] {
        assert_eq!(row(raw), Err(code.to_owned()), "{raw:?}");
    }
    let errors = beneficiary(HEADER, "Dupont;Jean;0199001234;;31/02/1940").unwrap_err();
    assert!(
        errors[0].message.contains("jj/mm/aaaa")
            && errors[0].message.contains("aaaa-mm-jj")
            && errors[0].message.contains("Excel"),
        "{}",
        errors[0].message
    );
}

#[test]
fn all_the_errors_of_a_row_are_reported() {
    let header = "N° dossier;Nom;Prénom;Téléphone;CP;DDN;Langue;Statut";
    let errors = beneficiary(
        header,
        &format!(
            "{};;;06 12 34;8000X;99/99/9999;klingon;hospitalisé",
            "x".repeat(65)
        ),
    )
    .unwrap_err();
    assert_eq!(
        codes(&errors),
        [
            "too_long",
            "missing_value",
            "missing_value",
            "date_invalid",
            "postal_code_invalid_character",
            "phone_too_short",
            "no_phone",
            "language_unknown",
            "status_unknown"
        ]
    );
    assert!(errors.iter().all(|e| e.line == 2 && !e.message.is_empty()));
    assert_eq!(errors[1].column.as_deref(), Some("Nom"));
    assert_eq!(errors[1].value, None);
    assert_eq!(
        errors[1].message,
        "Le nom est obligatoire : cette cellule ne doit pas être vide."
    );
    assert_eq!(errors[2].column.as_deref(), Some("Prénom"));
}

#[test]
fn beneficiary_fields() {
    let header = "N° dossier;Nom;Prénom;Téléphone;Adresse 1;Adresse 2;CP;Ville;Code INSEE;\
                  Prestation;Langue;TAS;Contact proche;Tél. contact;Statut";
    let row = beneficiary(
        header,
        "'123456.0;  LE  GOFF ;Anne-Marie;0199001234;\"12 rue Haute\nBât. B\";3e étage;80000;  Amiens ;80021;\
         APA;Arabe, français;TAS-AMI;Yann Le Goff (fils);06 39 98 12 34 / 06 39 98 12 35;Décédé",
    )
    .unwrap();
    let b = &row.value.beneficiary;
    assert_eq!(b.external_ref.as_deref(), Some("123456"));
    assert_eq!(b.last_name, "LE GOFF");
    assert_eq!(b.first_name, "Anne-Marie");
    assert_eq!(b.address.as_deref(), Some("12 rue Haute Bât. B, 3e étage"));
    assert_eq!(b.commune.as_deref(), Some("Amiens"));
    assert_eq!(row.value.insee_code.as_deref(), Some("80021"));
    assert_eq!(b.preferred_language.as_str(), "ar");
    assert_eq!(b.territory.as_deref(), Some("TAS-AMI"));
    assert_eq!(b.relative_name.as_deref(), Some("Yann Le Goff (fils)"));
    assert_eq!(
        b.relative_phone.as_ref().map(|p| p.as_str()),
        Some("+262639981234")
    );
    assert_eq!(codes(&row.warnings), ["extra_phone_ignored"]);
    assert_eq!(row.value.status, Some(BeneficiaryStatus::Deceased));

    let row = beneficiary(
        "Nom;Prénom;Téléphone;Langue;Tél. contact",
        "A;B;0199001234;;x",
    )
    .unwrap();
    let b = &row.value.beneficiary;
    assert_eq!(b.preferred_language, LanguageCode::french());
    assert_eq!(b.relative_phone, None);
    assert_eq!(b.external_ref, None);
    assert_eq!(row.value.status, None);
    assert_eq!(codes(&row.warnings), ["phone_letters"]);

    let errors =
        beneficiary("Nom;Prénom;Téléphone;Code INSEE", "A;B;0199001234;80 021 0").unwrap_err();
    assert_eq!(codes(&errors), ["insee_invalid"]);
    let errors = beneficiary("Nom;Prénom;Téléphone", "06 12 34 56 78;B;0199001234").unwrap_err();
    assert_eq!(codes(&errors), ["name_invalid"]);
}

#[test]
fn duplicate_beneficiaries_in_one_file() {
    let p = beneficiaries(
        "N° dossier;Nom;Prénom;Téléphone;DDN\n\
         A1;Dupont;Jean;0199001234;01/02/1940\n\
         A1;Durand;Paul;0199001235;\n\
         ;Martin;Lucie;0199001236;03/04/1941\n\
         ;MARTIN;lucie;0199001237;03/04/1941\n\
         ;Martin;Lucie;0199001238;03/04/1942\n\
         A2;Martin;Lucie;0199001239;03/04/1941\n\
         A3;;Refusée;0199001240;\n\
         A3;Petit;Acceptée;0199001241;\n",
    );
    assert_eq!(
        rejections(&p),
        [
            (3, vec!["duplicate_in_file"]),
            (5, vec!["duplicate_in_file"]),
            (8, vec!["missing_value"])
        ]
    );
    let e = &p.rejected[0].errors[0];
    assert_eq!(e.column.as_deref(), Some("N° dossier"));
    assert_eq!(e.value.as_deref(), Some("A1"));
    assert!(e.message.contains("ligne 2"), "{}", e.message);
    let e = &p.rejected[1].errors[0];
    assert_eq!(e.column.as_deref(), Some("Nom"));
    assert_eq!(e.value.as_deref(), Some("MARTIN lucie"));
    assert!(e.message.contains("ligne 4"), "{}", e.message);
    assert_eq!(p.rows.len(), 5);
}

#[test]
fn cells_past_the_last_header() {
    // A stray ';' shifts the row: refused.
    let p = beneficiaries(
        "Nom;Prénom;Téléphone\nDupont;Jean;0199001234\nDurand;Paul;12; rue;0199001235\nPetit;Léa;0199001236\n",
    );
    assert_eq!(rejections(&p), [(3, vec!["too_many_cells"])]);
    assert!(p.rejected[0].errors[0].message.contains("« ; »"));
    assert_eq!(
        p.rejected[0].raw,
        ["Durand", "Paul", "12", " rue", "0199001235"]
    );
    // Most rows have a value there: an untitled column, ignored with a warning.
    let p = beneficiaries(
        "Nom;Prénom;Téléphone\nDupont;Jean;0199001234;note\nDurand;Paul;0199001235;note\n",
    );
    assert!(p.rejected.is_empty());
    assert_eq!(
        p.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>(),
        ["untitled_column"]
    );
    assert!(p.warnings[0].message.contains("n° 4"));
}

#[test]
fn unknown_and_untitled_columns_are_reported() {
    let p = beneficiaries("Nom;;Prénom;Téléphone;Remarques;Fax\nDupont;x;Jean;0199001234;;\n");
    assert_eq!(
        p.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>(),
        ["untitled_column", "unknown_column", "unknown_column"]
    );
    let m = &p.warnings[1].message;
    assert!(m.contains("« Remarques »"), "{m}");
    assert!(m.contains("--map 'Remarques=champ'"), "{m}");
    assert!(m.contains("external_ref"), "{m}");
    assert_eq!(
        p.mapping,
        [
            ("Nom".to_owned(), Some(Field::LastName)),
            (String::new(), None),
            ("Prénom".to_owned(), Some(Field::FirstName)),
            ("Téléphone".to_owned(), Some(Field::Phone)),
            ("Remarques".to_owned(), None),
            ("Fax".to_owned(), None),
        ]
    );
    // Ignored on purpose: no warning.
    let options = ImportOptions {
        overrides: vec![
            ("remarques".to_owned(), Field::Ignore),
            ("FAX".to_owned(), Field::Ignore),
        ],
        ..ImportOptions::default()
    };
    let t = table("Nom;Prénom;Téléphone;Remarques;Fax\nDupont;Jean;0199001234;;\n");
    assert!(parse_beneficiaries(&t, &options)
        .unwrap()
        .warnings
        .is_empty());
    // An untitled column without values says nothing.
    assert!(
        beneficiaries("Nom;;Prénom;Téléphone\nDupont;;Jean;0199001234\n")
            .warnings
            .is_empty()
    );
}

#[test]
fn overrides_apply_to_rows() {
    let options = ImportOptions {
        overrides: vec![
            ("Numéro perso".to_owned(), Field::Phone),
            ("Réf".to_owned(), Field::Ignore),
            ("Code dossier".to_owned(), Field::ExternalRef),
        ],
        ..ImportOptions::default()
    };
    let t = table("Nom;Prénom;Numéro perso;Réf;Code dossier\nDupont;Jean;0199001234;X;D-1\n");
    let p = parse_beneficiaries(&t, &options).unwrap();
    let b = &p.rows[0].value.beneficiary;
    assert_eq!(b.phones[0].as_str(), "+33199001234");
    assert_eq!(b.external_ref.as_deref(), Some("D-1"));
    assert!(p.warnings.is_empty());
    // Without them the file lacks a phone column.
    let err = parse_beneficiaries(&t, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::MissingColumn { .. }), "{err:?}");
}

#[test]
fn caller_rows() {
    let p = callers(
        "Nom;Prénom;Courriel;Tél;Capacité;Demi-journées;Territoire;Langues;Jours\n\
         Martin;Claire;Claire.Martin@Example.org;06 39 98 30 01;;2;TAS-AMI;français, arabe;lun-ven\n\
         Bernard;Hugo;hugo@example.org;;20;3;;;\n\
         Thomas;Nadia;nadia@example.org;06 39 98;15 appels;;;;\n\
         Doublon;Claire;claire.martin@example.org;;10;;;;\n\
         Sans;Capacité;sans@example.org;;;;;;\n\
         Trop;Grand;trop@example.org;;1001;15;;;\n\
         Mauvais;Jours;jours@example.org;;5;;;;lundi au\n\
         ;;pas-une-adresse;;5;;;;\n",
    );
    assert_eq!(
        rejections(&p),
        [
            (5, vec!["duplicate_in_file"]),
            (6, vec!["no_capacity"]),
            (7, vec!["number_out_of_range", "number_out_of_range"]),
            (8, vec!["weekdays_incomplete_range"]),
            (
                9,
                vec!["missing_value", "missing_value", "email_missing_at"]
            ),
        ]
    );
    let c = &p.rows[0].value;
    assert_eq!(c.email.as_str(), "claire.martin@example.org");
    assert_eq!(c.weekly_capacity, 16);
    assert_eq!(c.half_days, Some(2));
    assert_eq!(c.phone.as_ref().map(|p| p.as_str()), Some("+262639983001"));
    assert_eq!(c.territory_preference.as_deref(), Some("TAS-AMI"));
    assert_eq!(
        c.languages.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        ["fr", "ar"]
    );
    assert_eq!(c.available_weekdays, Weekdays::monday_to_friday());
    let c = &p.rows[1].value;
    assert_eq!((c.weekly_capacity, c.half_days), (20, Some(3)));
    assert_eq!(c.languages, [LanguageCode::french()]);
    assert_eq!(c.available_weekdays, Weekdays::all());
    assert_eq!(c.phone, None);
    let row = &p.rows[2];
    assert_eq!(row.value.weekly_capacity, 15);
    assert_eq!(row.value.phone, None);
    assert_eq!(codes(&row.warnings), ["phone_too_short"]);
    assert!(p.rejected[0].errors[0].message.contains("ligne 2"));
    assert_eq!(p.rejected[1].errors[0].column.as_deref(), Some("Capacité"));

    // Half-days converted with the option.
    let t = table("Nom;Prénom;Email;Demi-journées\nMartin;Claire;c@example.org;3\n");
    let options = ImportOptions {
        half_day_calls: 5,
        ..ImportOptions::default()
    };
    let p = parse_callers(&t, &options).unwrap();
    assert_eq!(p.rows[0].value.weekly_capacity, 15);
}

#[test]
fn territory_rows() {
    let p = territories(
        "Code;Nom;Emails référents;Codes postaux;Codes INSEE\n\
         T1;Amiens;a@cd80.example.org, b@cd80.example.org b@cd80.example.org;80000 80080,80090;80021\n\
         T2;Abbeville;Claire Martin <c@cd80.example.org>;80100;\n\
         t1;Doublon;d@cd80.example.org;80200;\n\
         T3;Recouvre;e@cd80.example.org;80300 80000 80080;\n\
         T4;Sans zone;f@cd80.example.org;;\n\
         T5;Mauvais;pas-une-adresse, g@cd80.example.org;8000X 80400;2C004 2A004\n\
         T6;Sans email;;80500;\n\
         T7;INSEE seul;h@cd80.example.org;;80 001\n",
    );
    assert_eq!(
        rejections(&p),
        [
            (4, vec!["duplicate_in_file"]),
            (
                5,
                vec!["area_in_two_territories", "area_in_two_territories"]
            ),
            (6, vec!["no_area"]),
            (
                7,
                vec![
                    "email_missing_at",
                    "postal_code_invalid_character",
                    "insee_invalid"
                ]
            ),
            (8, vec!["missing_value"]),
        ]
    );
    let t = &p.rows[0].value;
    assert_eq!(
        t.referent_emails
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>(),
        ["a@cd80.example.org", "b@cd80.example.org"]
    );
    assert_eq!(
        t.postal_codes
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
        ["80000", "80080", "80090"]
    );
    assert_eq!(t.insee_codes, ["80021"]);
    assert_eq!(
        p.rows[1].value.referent_emails[0].as_str(),
        "c@cd80.example.org"
    );
    assert_eq!(p.rows[2].value.insee_codes, ["80001"]);
    let area = &p.rejected[1].errors;
    assert_eq!(area[0].value.as_deref(), Some("80000"));
    assert_eq!(area[1].value.as_deref(), Some("80080"));
    assert!(area[0].message.contains("ligne 2"), "{}", area[0].message);
    let bad = &p.rejected[3].errors;
    assert_eq!(bad[0].value.as_deref(), Some("pas-une-adresse"));
    assert_eq!(bad[1].value.as_deref(), Some("8000X"));
    assert_eq!(bad[2].value.as_deref(), Some("2C004"));
}

#[test]
fn opt_out_rows() {
    let p = opt_outs(
        "N° dossier;Nom;Prénom;DDN;Téléphone\n\
         A1;;;;\n\
         ;;;;06 39 98 12 34\n\
         ;Martin;Lucie;03/04/1941;\n\
         ;Martin;Lucie;;\n\
         ;;;;06 39 98\n\
         A2;;;;06 39 98\n\
         A3;;;;0639981234 / 0199001234\n\
         ;;;31/02/1940;\n",
    );
    assert_eq!(
        rejections(&p),
        [
            (5, vec!["not_identifiable"]),
            (6, vec!["phone_too_short"]),
            (9, vec!["date_invalid"]),
        ]
    );
    let entries: Vec<&OptOutEntry> = p.rows.iter().map(|r| &r.value).collect();
    assert_eq!(entries[0].external_ref.as_deref(), Some("A1"));
    assert_eq!(
        entries[1].phone.as_ref().map(|p| p.as_str()),
        Some("+262639981234")
    );
    assert_eq!(entries[2].birth_date, Some(ymd(1941, 4, 3)));
    assert_eq!(entries[3].phone, None);
    assert_eq!(codes(&p.rows[3].warnings), ["phone_too_short"]);
    assert_eq!(codes(&p.rows[4].warnings), ["extra_phone_ignored"]);
}

#[test]
fn problems_have_codes_and_french_messages() {
    let problems = [
        Problem::MissingValue(Field::Email),
        Problem::MissingValue(Field::Programme),
        Problem::TooLong { chars: 70, max: 64 },
        Problem::NameWithoutLetters,
        Problem::DateInvalid(DateHint::None),
        Problem::DateInvalid(DateHint::MonthFirst),
        Problem::DateInvalid(DateHint::YearOnly),
        Problem::DateInvalid(DateHint::NoSuchDay),
        Problem::BirthDateInFuture,
        Problem::BirthDateTooOld,
        Problem::NumberInvalid,
        Problem::NumberOutOfRange { max: 14 },
        Problem::InseeInvalid,
        Problem::StatusUnknown,
        Problem::NoPhone {
            columns: vec!["Tél".to_owned()],
        },
        Problem::ExtraPhoneIgnored,
        Problem::NoArea,
        Problem::NoCapacity,
        Problem::AbsenceIncomplete,
        Problem::AbsenceEndsBeforeStart,
        Problem::ActiveUnknown,
        Problem::NotIdentifiable,
        Problem::Duplicate {
            first_line: 3,
            what: "même N° de dossier",
            distinct: "deux personnes différentes",
        },
        Problem::AreaInTwoTerritories {
            first_line: 3,
            what: "Ce code postal",
        },
        Problem::TooManyCells {
            columns: 3,
            delimiter: '\t',
        },
    ];
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/IMPORT.md");
    let docs = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for p in problems {
        let code = p.code();
        assert!(
            docs.contains(&format!("`{code}`")),
            "docs/IMPORT.md lacks {code}"
        );
        assert!(
            code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{code}"
        );
        let m = p.message_fr();
        assert!(
            m.ends_with('.') && m.chars().next().is_some_and(char::is_uppercase),
            "{m}"
        );
    }
    assert_eq!(
        Problem::MissingValue(Field::Programme).message_fr(),
        "La colonne « Prestation » est obligatoire : cette cellule ne doit pas être vide."
    );
    assert!(Problem::TooManyCells {
        columns: 3,
        delimiter: '\t'
    }
    .message_fr()
    .contains("tabulation"));
}
