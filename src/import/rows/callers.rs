//! Caller (volunteer) lists.

use chrono::NaiveDate;

use super::values::{self, MAX_REFERENCE};
use super::{parse_table, Claim, Problem, Row, RowParser};
use crate::domain::{EmailAddress, LanguageCode, Weekdays};
use crate::import::stream::RecordStats;
use crate::import::{Field, ImportError, ImportKind, ImportOptions, Parsed, Table};
use crate::store::NewCaller;

/// Most calls a week; most declared half-days a week.
const MAX_CAPACITY: u32 = 1000;
const MAX_HALF_DAYS: u32 = 14;

/// Parses a list of callers.
///
/// Required: last name, first name, e-mail (their identity: the same address twice
/// refuses the later row), and a weekly capacity in calls or in half-days (converted
/// with `options.half_day_calls`; the capacity wins when both are given). Languages
/// default to French, available days to every day. An invalid phone is a warning.
pub fn parse_callers(
    table: &Table,
    options: &ImportOptions,
) -> Result<Parsed<NewCaller>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a caller list whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<NewCaller>, ImportError> {
    let half_day_calls = options.half_day_calls;
    let today = crate::domain::time::today_in_paris();
    RowParser::new(
        ImportKind::Callers,
        table,
        stats,
        options,
        Box::new(move |row| build(row, half_day_calls, today)),
        |caller| {
            vec![Claim::duplicate(
                format!("email:{}", caller.email.as_str()),
                Field::Email,
                caller.email.as_str().to_owned(),
                "même adresse e-mail",
                "deux appelants différents",
            )]
        },
    )
}

fn build(row: &mut Row<'_>, half_day_calls: u32, today: NaiveDate) -> Option<NewCaller> {
    let last_name = row.required(Field::LastName, values::name);
    let first_name = row.required(Field::FirstName, values::name);
    let email = row.required(Field::Email, EmailAddress::parse);
    let phone = row.single_phone(Field::Phone, None);
    let capacity = row.parse(Field::WeeklyCapacity, |s| values::count(s, MAX_CAPACITY));
    let half_days = row.parse(Field::HalfDays, |s| values::count(s, MAX_HALF_DAYS));
    let weekly_capacity = capacity.or_else(|| half_days.map(|h| h.saturating_mul(half_day_calls)));
    let capacity_cells_empty =
        row.cell(Field::WeeklyCapacity).is_none() && row.cell(Field::HalfDays).is_none();
    if capacity_cells_empty {
        let field = if row.has_column(Field::WeeklyCapacity) {
            Field::WeeklyCapacity
        } else {
            Field::HalfDays
        };
        row.reject_field(field, &Problem::NoCapacity);
    }
    let languages = row
        .parse(Field::Languages, LanguageCode::parse_list)
        .filter(|list| !list.is_empty())
        .unwrap_or_else(|| vec![LanguageCode::french()]);
    let available_weekdays = row
        .parse(Field::AvailableWeekdays, Weekdays::parse)
        .unwrap_or_else(Weekdays::all);
    let territory_preference = row.parse(Field::TerritoryPreference, |s| {
        values::text(s, MAX_REFERENCE)
    });
    let absence = absence(row, today);
    let active = row.parse(Field::Active, values::yes_no);
    Some(NewCaller {
        absence,
        active,
        email: email?,
        last_name: last_name?,
        first_name: first_name?,
        phone,
        languages,
        weekly_capacity: weekly_capacity?,
        half_days: half_days.and_then(|h| u8::try_from(h).ok()),
        available_weekdays,
        territory_preference,
    })
}

/// The `Absent du` / `Absent au` pair: both or neither, the end not before the start.
fn absence(row: &mut Row<'_>, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let from_cell = row.cell(Field::AbsentFrom).is_some();
    let to_cell = row.cell(Field::AbsentTo).is_some();
    let from = row.parse(Field::AbsentFrom, |s| values::date(s, today));
    let to = row.parse(Field::AbsentTo, |s| values::date(s, today));
    if from_cell != to_cell {
        let missing = if from_cell {
            Field::AbsentTo
        } else {
            Field::AbsentFrom
        };
        row.reject_field(missing, &Problem::AbsenceIncomplete);
        return None;
    }
    let (from, to) = (from?, to?);
    if to < from {
        row.reject_field(Field::AbsentTo, &Problem::AbsenceEndsBeforeStart);
        return None;
    }
    Some((from, to))
}
