//! Do-not-call lists.

use chrono::NaiveDate;

use super::values;
use super::{parse_table, Problem, Row, RowParser};
use crate::domain::time::today_in_paris;
use crate::import::stream::RecordStats;
use crate::import::{Field, ImportError, ImportKind, ImportOptions, OptOutEntry, Parsed, Table};

/// Parses a do-not-call list.
///
/// Each row must identify someone: by N° dossier, or by phone, or by last name, first
/// name and birth date. An invalid phone refuses the row only when nothing else
/// identifies the person. Repeated rows are harmless and kept.
pub fn parse_opt_outs(
    table: &Table,
    options: &ImportOptions,
) -> Result<Parsed<OptOutEntry>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a do-not-call list whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<OptOutEntry>, ImportError> {
    let today = today_in_paris();
    RowParser::new(
        ImportKind::OptOut,
        table,
        stats,
        options,
        Box::new(move |row| build(row, today)),
        |_| Vec::new(),
    )
}

fn build(row: &mut Row<'_>, today: NaiveDate) -> Option<OptOutEntry> {
    let external_ref = row.parse(Field::ExternalRef, values::reference);
    let last_name = row.parse(Field::LastName, values::name);
    let first_name = row.parse(Field::FirstName, values::name);
    let birth_date = row.parse(Field::BirthDate, |s| values::birth_date(s, today));
    let by_name = last_name.is_some() && first_name.is_some() && birth_date.is_some();
    let other_identity = external_ref.is_some() || by_name;

    let (phones, failures) = row.phones(Field::Phone, None);
    let refuse_phone = phones.is_empty() && !other_identity;
    let any_failure = !failures.is_empty();
    row.phone_failures(failures, refuse_phone);
    if phones.len() > 1 {
        row.warn_field(Field::Phone, &Problem::ExtraPhoneIgnored);
    }
    let phone = phones.into_iter().next();

    if phone.is_none() && !other_identity && !any_failure && !row.is_refused() {
        row.reject_row(&Problem::NotIdentifiable);
    }
    Some(OptOutEntry {
        external_ref,
        last_name,
        first_name,
        birth_date,
        phone,
    })
}
