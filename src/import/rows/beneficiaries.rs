//! Beneficiary lists.

use chrono::NaiveDate;

use super::values::{self, MAX_ADDRESS, MAX_NAME, MAX_TEXT};
use super::{parse_table, Claim, Problem, Row, RowParser};
use crate::domain::names::identity_key;
use crate::domain::time::today_in_paris;
use crate::domain::{LanguageCode, PostalCode};
use crate::import::stream::RecordStats;
use crate::import::{BeneficiaryRow, Field, ImportError, ImportKind, ImportOptions, Parsed, Table};
use crate::store::NewBeneficiary;

/// Parses a list of beneficiaries.
///
/// Required: last name, first name, at least one valid phone number (every phone
/// column is read, in file order; a cell may hold several numbers; an invalid number
/// next to a valid one is a warning). Invalid values in other cells refuse the row,
/// except the relative's phone (a warning). Two rows with the same N° dossier, or
/// without one and with the same names and birth date: the later is refused.
pub fn parse_beneficiaries(
    table: &Table,
    options: &ImportOptions,
) -> Result<Parsed<BeneficiaryRow>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a beneficiary list whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<BeneficiaryRow>, ImportError> {
    let today = today_in_paris();
    RowParser::new(
        ImportKind::Beneficiaries,
        table,
        stats,
        options,
        Box::new(move |row| build(row, today)),
        claims,
    )
}

fn build(row: &mut Row<'_>, today: NaiveDate) -> Option<BeneficiaryRow> {
    let external_ref = row.parse(Field::ExternalRef, values::reference);
    let last_name = row.required(Field::LastName, values::name);
    let first_name = row.required(Field::FirstName, values::name);
    let birth_date = row.parse(Field::BirthDate, |s| values::birth_date(s, today));
    let address = address(row);
    let postal_code = row.parse(Field::PostalCode, PostalCode::parse);
    let commune = row.parse(Field::Commune, |s| values::text(s, MAX_NAME));
    let insee_code = row.parse(Field::InseeCode, values::insee);

    let (phones, failures) = row.phones(Field::Phone, postal_code.as_ref());
    row.phone_failures(failures, phones.is_empty());
    if phones.is_empty() {
        let columns = row.column_names(Field::Phone);
        row.reject_row(&Problem::NoPhone { columns });
    }

    // The benefit received (APA, PCH, RSA, AAH…) says disability or poverty and no
    // feature uses it: the column is recognised, so that it is not reported as unknown,
    // and never kept (docs/PRIVACY.md).
    let preferred_language = row
        .parse(Field::PreferredLanguage, LanguageCode::parse_list)
        .and_then(|list| list.into_iter().next())
        .unwrap_or_else(LanguageCode::french);
    let territory = row.parse(Field::Territory, values::reference);
    let relative_name = row.parse(Field::RelativeName, |s| values::text(s, MAX_TEXT));
    let relative_phone = row.single_phone(Field::RelativePhone, postal_code.as_ref());
    let status = row.parse(Field::Status, values::status);

    let beneficiary = NewBeneficiary {
        insee_code: insee_code.clone(),
        external_ref,
        last_name: last_name?,
        first_name: first_name?,
        birth_date,
        address,
        postal_code,
        commune,
        preferred_language,
        territory,
        phones,
        relative_name,
        relative_phone,
    };
    Some(BeneficiaryRow {
        beneficiary,
        status,
        insee_code,
    })
}

/// Every address column's text, in file order, joined by ", ".
fn address(row: &mut Row<'_>) -> Option<String> {
    let parts: Vec<&str> = row.cells(Field::Address).iter().map(|c| c.value).collect();
    if parts.is_empty() {
        return None;
    }
    let joined = parts.join(", ");
    row.parse(Field::Address, |_| values::text(&joined, MAX_ADDRESS))
}

fn claims(row: &BeneficiaryRow) -> Vec<Claim> {
    let b = &row.beneficiary;
    let claim = match &b.external_ref {
        Some(reference) => Claim::duplicate(
            format!("ref:{reference}"),
            Field::ExternalRef,
            reference.clone(),
            "même N° de dossier",
            "deux personnes différentes",
        ),
        None => Claim::duplicate(
            format!(
                "identity:{}",
                identity_key(&b.last_name, &b.first_name, b.birth_date)
            ),
            Field::LastName,
            format!("{} {}", b.last_name, b.first_name),
            "mêmes nom, prénom et date de naissance",
            "deux personnes différentes",
        ),
    };
    vec![claim]
}
