//! Whole-file tests: demo fixtures, sample files, encodings, file-level errors, and
//! properties over arbitrary input.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::read::read_table;
use super::*;
use crate::domain::BeneficiaryStatus;

/// A file of the repository: `fixtures/demo/NAME` in the service, `fixtures/NAME` in the
/// scratch crate, `fixtures/samples/NAME` for the samples.
fn fixture(name: &str) -> Vec<u8> {
    let root = env!("CARGO_MANIFEST_DIR");
    for dir in ["fixtures/demo", "fixtures", "fixtures/samples"] {
        if let Ok(bytes) = std::fs::read(format!("{root}/{dir}/{name}")) {
            return bytes;
        }
    }
    panic!("fixture {name} not found");
}

fn table_of(bytes: &[u8]) -> Table {
    read_table(bytes).unwrap_or_else(|e| panic!("{e}"))
}

/// (line, codes) of every refused row.
fn rejections<T>(p: &Parsed<T>) -> Vec<(u64, Vec<&str>)> {
    p.rejected
        .iter()
        .map(|r| (r.line, r.errors.iter().map(|e| e.code.as_str()).collect()))
        .collect()
}

/// (line, codes) of every row kept with warnings.
fn row_warnings<T>(p: &Parsed<T>) -> Vec<(u64, Vec<&str>)> {
    p.rows
        .iter()
        .filter(|r| !r.warnings.is_empty())
        .map(|r| (r.line, r.warnings.iter().map(|e| e.code.as_str()).collect()))
        .collect()
}

fn file_warnings<T>(p: &Parsed<T>) -> Vec<&str> {
    p.warnings.iter().map(|w| w.code.as_str()).collect()
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn demo_fixtures_parse_without_rejections() {
    let options = ImportOptions::default();
    let t = table_of(&fixture("beneficiaries.csv"));
    let p = parse_beneficiaries(&t, &options).unwrap();
    assert_eq!(
        (p.rows.len(), p.rejected.len(), p.rows_read),
        (2000, 0, 2000)
    );
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert!(
        p.mapping.iter().all(|(_, f)| f.is_some()),
        "{:?}",
        p.mapping
    );
    let first = &p.rows[0];
    assert_eq!(first.line, 2);
    let b = &first.value.beneficiary;
    assert_eq!(b.external_ref.as_deref(), Some("80-0000001"));
    assert_eq!(b.first_name, "Laëtitia");
    assert_eq!(b.birth_date, Some(ymd(1981, 9, 4)));
    assert_eq!(b.phones[0].as_str(), "+33199008375");
    assert_eq!(
        b.relative_phone.as_ref().map(|p| p.as_str()),
        Some("+262639986198")
    );
    assert_eq!(p.rows.last().map(|r| r.line), Some(2001));

    let t = table_of(&fixture("callers.csv"));
    let p = parse_callers(&t, &options).unwrap();
    assert_eq!((p.rows.len(), p.rejected.len()), (40, 0));
    assert!(p.warnings.is_empty() && row_warnings(&p).is_empty());

    let t = table_of(&fixture("territories.csv"));
    let p = parse_territories(&t, &options).unwrap();
    assert_eq!((p.rows.len(), p.rejected.len()), (6, 0));
    assert!(p.warnings.is_empty() && row_warnings(&p).is_empty());
    assert_eq!(p.rows[0].value.referent_emails.len(), 2);
}

#[test]
fn sample_beneficiaries_from_excel() {
    let t = table_of(&fixture("beneficiaires-excel.csv"));
    assert_eq!(t.encoding, "windows-1252");
    assert_eq!(t.delimiter, ';');
    let p = parse_beneficiaries(&t, &ImportOptions::default()).unwrap();
    assert_eq!(p.rows_read, 30);
    assert_eq!(
        rejections(&p),
        [
            (14, vec!["phone_too_short", "no_phone"]),
            (15, vec!["date_invalid"]),
            (16, vec!["missing_value"]),
            (17, vec!["duplicate_in_file"]),
            (18, vec!["birth_date_implausible"]),
            (30, vec!["duplicate_in_file"]),
        ]
    );
    assert_eq!(p.rows.len(), 24);
    assert_eq!(row_warnings(&p), [(10, vec!["phone_too_short"])]);
    assert_eq!(file_warnings(&p), ["unknown_column"]);
    assert!(p.warnings[0].message.contains("« Observations »"));
    assert!(p.rejected[3].errors[0].message.contains("ligne 3"));
    assert!(p.rejected[5].errors[0].message.contains("ligne 29"));

    let by_line = |line: u64| {
        &p.rows
            .iter()
            .find(|r| r.line == line)
            .unwrap_or_else(|| panic!("line {line}"))
            .value
    };
    let phones = |line: u64| -> Vec<&str> {
        by_line(line)
            .beneficiary
            .phones
            .iter()
            .map(|p| p.as_str())
            .collect()
    };
    let dubois = &by_line(2).beneficiary;
    assert_eq!(dubois.last_name, "DUBOIS");
    assert_eq!(phones(2), ["+33199001001", "+262639981001"]);
    assert_eq!(
        dubois.relative_name.as_deref(),
        Some("Sylvie Dubois (fille)")
    );
    assert_eq!(by_line(2).status, Some(BeneficiaryStatus::Active));
    assert_eq!(phones(4), ["+33199001003"]);
    assert_eq!(phones(5), ["+33199001004"]);
    assert_eq!(by_line(5).beneficiary.birth_date, Some(ymd(1940, 3, 12)));
    assert_eq!(phones(6), ["+262639981005"]);
    assert_eq!(by_line(6).beneficiary.birth_date, Some(ymd(1940, 3, 12)));
    assert_eq!(
        by_line(7).beneficiary.address.as_deref(),
        Some("12; rue des Jacobins")
    );
    assert_eq!(
        by_line(8).beneficiary.address.as_deref(),
        Some("Résidence Les Tilleuls Appartement 12")
    );
    assert_eq!(phones(10), ["+262639981008"]);
    assert_eq!(phones(11), ["+262639981009", "+33199001009"]);
    assert_eq!(
        by_line(12)
            .beneficiary
            .postal_code
            .as_ref()
            .map(|p| p.as_str()),
        Some("02100")
    );
    assert_eq!(by_line(13).beneficiary.preferred_language.as_str(), "ar");
    assert_eq!(by_line(19).status, Some(BeneficiaryStatus::Deceased));
    assert_eq!(by_line(29).beneficiary.external_ref, None);
    assert_eq!(by_line(31).status, Some(BeneficiaryStatus::OptedOut));
    assert_eq!(
        by_line(3).beneficiary.address.as_deref(),
        Some("5 place Gambetta, Bât. B")
    );
    // Every kept phone is in a fiction range.
    for row in &p.rows {
        for phone in &row.value.beneficiary.phones {
            let national = phone.french_national().unwrap_or_default();
            assert!(
                national.starts_with("0199") || national.starts_with("063998"),
                "{national}"
            );
        }
    }
    // The refused record is kept as written, for the download of rejected rows.
    assert_eq!(p.rejected[2].raw[2], "Simone");
}

#[test]
fn sample_callers() {
    let t = table_of(&fixture("appelants.csv"));
    assert_eq!((t.encoding.as_str(), t.delimiter), ("UTF-8", ','));
    let p = parse_callers(&t, &ImportOptions::default()).unwrap();
    assert_eq!(
        rejections(&p),
        [
            (7, vec!["email_domain_without_dot"]),
            (8, vec!["email_missing_at"]),
            (9, vec!["duplicate_in_file"]),
            (10, vec!["no_capacity"]),
            (12, vec!["number_out_of_range"]),
            (13, vec!["language_unknown"]),
        ]
    );
    assert_eq!(row_warnings(&p), [(11, vec!["phone_too_short"])]);
    assert!(p.warnings.is_empty());
    let capacities: Vec<(u64, u32)> = p
        .rows
        .iter()
        .map(|r| (r.line, r.value.weekly_capacity))
        .collect();
    assert_eq!(
        capacities,
        [(2, 16), (3, 20), (4, 25), (5, 8), (6, 15), (11, 8)]
    );
    let thomas = &p.rows[2].value;
    assert_eq!(thomas.email.as_str(), "nadia.thomas@benevoles.example.org");
    assert_eq!(
        thomas
            .languages
            .iter()
            .map(|l| l.as_str())
            .collect::<Vec<_>>(),
        ["ar", "fr"]
    );
    assert_eq!(p.rows[3].value.available_weekdays.len(), 6);
    assert_eq!(p.rows[4].value.available_weekdays.len(), 2);
}

#[test]
fn sample_territories() {
    let t = table_of(&fixture("territoires.csv"));
    assert_eq!((t.encoding.as_str(), t.delimiter), ("UTF-8 (BOM)", ';'));
    assert_eq!(t.headers[0], "Code territoire");
    let p = parse_territories(&t, &ImportOptions::default()).unwrap();
    assert_eq!(
        rejections(&p),
        [
            (6, vec!["area_in_two_territories"]),
            (7, vec!["insee_invalid"]),
            (8, vec!["duplicate_in_file"]),
            (9, vec!["missing_value"]),
        ]
    );
    assert_eq!(p.rows.len(), 4);
    assert_eq!(p.rows[0].value.referent_emails.len(), 2);
    assert_eq!(p.rows[3].value.insee_codes, ["80001"]);
}

#[test]
fn sample_opt_out_list() {
    let t = table_of(&fixture("liste-opposition.csv"));
    let p = parse_opt_outs(&t, &ImportOptions::default()).unwrap();
    assert_eq!(
        rejections(&p),
        [(6, vec!["not_identifiable"]), (7, vec!["phone_too_short"])]
    );
    assert_eq!(row_warnings(&p), [(8, vec!["extra_phone_ignored"])]);
    assert_eq!(p.rows.len(), 5);
    assert_eq!(
        p.rows[2].value,
        OptOutEntry {
            external_ref: None,
            last_name: Some("GAUTHIER".to_owned()),
            first_name: Some("Bernard".to_owned()),
            birth_date: Some(ymd(1943, 2, 28)),
            phone: None,
        }
    );
}

#[test]
fn every_encoding_reads_the_same_rows() {
    let text =
        "Nom;Prénom;Téléphone\r\nLévêque;Hélène;01 99 00 12 34\r\nŒillet;Noël;06 39 98 12 34\r\n";
    let mut utf16le = vec![0xFF, 0xFE];
    utf16le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf16be = vec![0xFE, 0xFF];
    utf16be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    for (bytes, encoding) in [
        (text.as_bytes().to_vec(), "UTF-8"),
        (bom, "UTF-8 (BOM)"),
        (utf16le, "UTF-16LE"),
        (utf16be, "UTF-16BE"),
        (cp1252.into_owned(), "windows-1252"),
    ] {
        let p = parse_beneficiaries(&table_of(&bytes), &ImportOptions::default()).unwrap();
        assert_eq!(p.encoding, encoding);
        let names: Vec<(&str, &str)> = p
            .rows
            .iter()
            .map(|r| {
                (
                    r.value.beneficiary.last_name.as_str(),
                    r.value.beneficiary.first_name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [("Lévêque", "Hélène"), ("Œillet", "Noël")],
            "{encoding}"
        );
    }
    // The example of the brief: a cp1252 file straight from French Excel.
    let t = table_of(b"Nom;Pr\xe9nom;T\xe9l\xe9phone\r\nB\xe9ranger;Ren\xe9e;0199001234\r\n");
    let p = parse_beneficiaries(&t, &ImportOptions::default()).unwrap();
    assert_eq!(p.rows[0].value.beneficiary.first_name, "Renée");
}

#[test]
fn delimiters_and_sep_line_end_to_end() {
    for d in [";", ",", "\t", "|"] {
        let text = format!(
            "sep={d}\nNom{d}Prénom{d}Tél.{d}CP\nDupont{d}Jean{d}01 99 00 12 34{d}80000\n\n\"Du{d}rand\"{d}\"Paul\nAndré\"{d}0199001235{d}80100\nPetit{d}Léa{d}0199001236{d}80200\n"
        );
        let p = parse_beneficiaries(&table_of(text.as_bytes()), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{d:?}: {e}"));
        assert_eq!(p.delimiter.to_string(), d);
        assert_eq!(
            p.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [3, 5, 7],
            "{d:?}"
        );
        let name = format!("Du{d}rand").replace('\t', " ");
        assert_eq!(p.rows[1].value.beneficiary.last_name, name);
        assert_eq!(p.rows[1].value.beneficiary.first_name, "Paul André");
        // Without the sep line, the delimiter is sniffed and lines shift by one.
        let p = parse_beneficiaries(
            &table_of(text.split_once('\n').unwrap().1.as_bytes()),
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(p.delimiter.to_string(), d);
        assert_eq!(p.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 6]);
    }
}

#[test]
fn header_aliases_end_to_end() {
    let text = "N° dossier;NOM DE NAISSANCE;Prénom;DDN;Tél.;Portable;CP;Commune\n\
                80-1;Dupont;Jean;12/03/1940;01 99 00 12 34;06 39 98 12 34;80000;Amiens\n";
    let p = parse_beneficiaries(&table_of(text.as_bytes()), &ImportOptions::default()).unwrap();
    let b = &p.rows[0].value.beneficiary;
    assert_eq!(b.external_ref.as_deref(), Some("80-1"));
    assert_eq!(b.last_name, "Dupont");
    assert_eq!(b.birth_date, Some(ymd(1940, 3, 12)));
    assert_eq!(b.phones.len(), 2);
    assert_eq!(b.postal_code.as_ref().map(|p| p.as_str()), Some("80000"));
    assert!(p.warnings.is_empty());
}

#[test]
fn file_level_errors_and_messages() {
    let options = ImportOptions::default();
    let err = parse_beneficiaries(&table_of(b"Nom;Telephone\nDupont;0199001234\n"), &options)
        .unwrap_err();
    assert_eq!(err.code(), "missing_column");
    let msg = err.message_fr();
    assert!(
        msg.contains("« Prénom »") && msg.contains("Given name"),
        "{msg}"
    );
    assert!(msg.contains("« Nom », « Telephone »"), "{msg}");

    // A file whose separator was not recognised has one column.
    let err =
        parse_beneficiaries(&table_of(b"Nom:Prenom:Tel\nA:B:0199001234\n"), &options).unwrap_err();
    let ImportError::MissingColumn { found, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(found, &["Nom:Prenom:Tel"]);

    let messages = [
        ImportError::Empty,
        ImportError::NoData,
        ImportError::NotText("c'est un document PDF".to_owned()),
        ImportError::MissingColumn {
            column: "Nom".to_owned(),
            aliases: vec!["Nom".to_owned(), "Last name".to_owned()],
            fields: vec!["last_name".to_owned()],
            found: vec!["Nom,Prénom,Téléphone".to_owned()],
        },
        ImportError::AmbiguousColumns {
            field: "Nom".to_owned(),
            first: "Nom".to_owned(),
            second: "Nom d'usage".to_owned(),
        },
        ImportError::BadOverride("X=phone".to_owned(), "raison".to_owned()),
        ImportError::Csv("détail".to_owned()),
    ];
    for e in &messages {
        let m = e.message_fr();
        assert!(m.ends_with('.'), "{m}");
        assert!(!e.to_string().is_empty());
        assert!(e.code().starts_with("file_") || e.code().contains('_'));
    }
    assert!(messages[0]
        .message_fr()
        .contains("CSV (séparateur: point-virgule)"));
    assert!(messages[3].message_fr().contains("qu'une seule colonne"));
    assert!(messages[3]
        .message_fr()
        .contains("--map 'En-tête de votre fichier=last_name'"));
    assert!(messages[4]
        .message_fr()
        .contains("--map 'Nom d'usage=ignore'"));
    assert_eq!(read_table(b"Nom;Prenom\n"), Err(ImportError::NoData));
}

/// The lines of the rows and refusals of `p`, in order, after checking that every
/// refusal has a reason on its line.
fn accounted<T>(p: &Parsed<T>) -> Vec<u64> {
    assert!(p
        .rejected
        .iter()
        .all(|r| !r.errors.is_empty() && r.errors.iter().all(|e| e.line == r.line)));
    let mut lines: Vec<u64> = p
        .rows
        .iter()
        .map(|r| r.line)
        .chain(p.rejected.iter().map(|r| r.line))
        .collect();
    lines.sort_unstable();
    lines
}

/// Writes `cells` as one CSV record, quoting where needed.
fn csv_record(cells: &[String], delimiter: char) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([delimiter, '"', '\n', ',', ';', '\t', '|']) || c.starts_with(' ') {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(&delimiter.to_string())
}

fn cell_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zé0-9 ;,\"\n|\t'-]{0,12}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(table) = read_table(&bytes) {
            let options = ImportOptions::default();
            let _ = parse_beneficiaries(&table, &options);
            let _ = parse_callers(&table, &options);
            let _ = parse_territories(&table, &options);
            let _ = parse_opt_outs(&table, &options);
        }
    }

    #[test]
    fn never_panics_on_csv_like_text(text in "[A-Za-zé0-9 ;,\"\n\r|\t/.:@+-]{0,300}") {
        let header = "Nom;Prénom;Téléphone;CP;DDN;Email;Capacité;Code;Codes postaux;Emails référents\n";
        let bytes = format!("{header}{text}");
        if let Ok(table) = read_table(bytes.as_bytes()) {
            let options = ImportOptions::default();
            // Every record becomes a row or a refusal with a reason, at its own line.
            let lines: Vec<u64> = table.records.iter().map(|(line, _)| *line).collect();
            for outcome in [
                parse_beneficiaries(&table, &options).map(|p| accounted(&p)),
                parse_callers(&table, &options).map(|p| accounted(&p)),
                parse_territories(&table, &options).map(|p| accounted(&p)),
                parse_opt_outs(&table, &options).map(|p| accounted(&p)),
            ]
            .into_iter()
            .flatten()
            {
                prop_assert_eq!(&outcome, &lines);
            }
        }
    }

    #[test]
    fn records_round_trip_with_their_line_numbers(
        records in proptest::collection::vec(
            (proptest::collection::vec(cell_text(), 3), 0usize..3),
            1..12,
        ),
        delimiter in prop_oneof![Just(';'), Just(','), Just('\t'), Just('|')],
        crlf in any::<bool>(),
        declared in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        // Without Excel's sep= line the delimiter is guessed: keep the other candidates
        // out of the cells, as real files mostly do.
        let records: Vec<(Vec<String>, usize)> = records
            .into_iter()
            .map(|(cells, blanks)| {
                let cells = if declared {
                    cells
                } else {
                    cells
                        .iter()
                        .map(|c| c.chars().filter(|&ch| ch == delimiter || !";,\t|".contains(ch)).collect())
                        .collect()
                };
                (cells, blanks)
            })
            .collect();
        let mut text = String::new();
        let mut line = 1u64;
        if declared {
            text.push_str(&format!("sep={delimiter}{eol}"));
            line += 1;
        }
        let header_line = line;
        text.push_str(&format!("Nom{delimiter}Prénom{delimiter}Note{eol}"));
        line += 1;
        let mut expected: Vec<(u64, Vec<String>)> = Vec::new();
        for (cells, blank_lines_before) in &records {
            for _ in 0..*blank_lines_before {
                text.push_str(eol);
                line += 1;
            }
            let record = csv_record(cells, delimiter);
            let mut kept = cells.clone();
            while kept.last().is_some_and(|c| c.trim().is_empty()) {
                kept.pop();
            }
            if !kept.is_empty() {
                expected.push((line, kept));
            }
            line += 1 + record.matches('\n').count() as u64;
            text.push_str(&record.replace('\n', eol));
            text.push_str(eol);
        }
        match read_table(text.as_bytes()) {
            Ok(table) => {
                prop_assert_eq!(table.delimiter, delimiter);
                prop_assert_eq!(table.header_line, header_line);
                prop_assert_eq!(table.records, expected);
            }
            Err(e) => prop_assert!(expected.is_empty(), "{e}"),
        }
    }

    #[test]
    fn messy_phone_spellings_give_one_number(
        tail in 0u32..10_000,
        spelling in 0usize..6,
        mobile in any::<bool>(),
    ) {
        let national = if mobile { format!("063998{tail:04}") } else { format!("019900{tail:04}") };
        let pairs: Vec<&str> = (0..5).map(|i| &national[2 * i..2 * i + 2]).collect();
        let raw = match spelling {
            0 => pairs.join(" "),
            1 => pairs.join("."),
            2 => format!("+33 {} {}", &national[1..2], pairs[1..].join(" ")),
            3 => format!("0033{}", &national[1..]),
            4 => national[1..].to_owned(),
            _ => format!("{}.0", &national[1..]),
        };
        let text = format!("Nom;Prénom;Téléphone\nDupont;Jean;{raw}\n");
        let p = parse_beneficiaries(&read_table(text.as_bytes()).unwrap(), &ImportOptions::default()).unwrap();
        prop_assert_eq!(p.rows.len(), 1, "{}", raw);
        let phone = &p.rows[0].value.beneficiary.phones[0];
        prop_assert_eq!(phone.french_national(), Some(national));
    }
}

#[test]
fn every_file_refusal_says_what_to_do_in_both_languages() {
    use super::ImportError;
    let refusals = [
        ImportError::Empty,
        ImportError::NoData,
        ImportError::NotText("binary".into()),
        ImportError::MissingColumn {
            column: "Nom".into(),
            aliases: vec!["Nom".into(), "Last name".into()],
            fields: vec!["last_name".into()],
            found: vec!["a;b;c".into()],
        },
        ImportError::AmbiguousColumns {
            field: "Nom".into(),
            first: "Nom".into(),
            second: "NOM".into(),
        },
        ImportError::BadOverride("x".into(), "no =".into()),
        ImportError::Csv("line 3".into()),
    ];
    for e in refusals {
        let (fr, en) = (e.message_fr(), e.message_en());
        assert!(!fr.is_empty() && !en.is_empty(), "{e:?}");
        for french in [
            "Le fichier",
            "Colonne",
            "Ouvrez",
            " : ",
            "Renommez",
            "illisible",
        ] {
            assert!(!en.contains(french), "{french} in {en}");
        }
    }
}
