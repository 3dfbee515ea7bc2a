//! The organisations' needs table, as départements keep it (`Réf.`, `Organisme`,
//! `Établissement` … `Du`, `Au`).

use chrono::NaiveDate;

use super::mission_values::{self as mv, MissionProblem};
use super::values::{self, MAX_ADDRESS, MAX_TEXT};
use super::{parse_table, At, Claim, Row, RowParser};
use crate::domain::{EmailAddress, PostalCode};
use crate::import::stream::RecordStats;
use crate::import::{Field, ImportError, ImportKind, ImportOptions, Parsed, Table};
use crate::missions::qualifications::{format_qualifications, parse_qualifications};
use crate::missions::slots::{format_slots, normalise, parse_slots};
use crate::records::missions::{NewNeed, NewOrganisation};

/// Parses a needs table.
///
/// Required: reference, organisation, kind of mission, number of volunteers (1 or
/// more), weekly hours and time slots. The establishment defaults to the organisation.
/// Slots that do not parse, dates in the wrong order, a need for no volunteer refuse
/// the row; an unknown qualification is a warning (kept as free text). The same
/// reference twice refuses the later row.
pub fn parse_needs(table: &Table, options: &ImportOptions) -> Result<Parsed<NewNeed>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a needs table whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<NewNeed>, ImportError> {
    let today = crate::domain::time::today_in_paris();
    RowParser::new(
        ImportKind::Needs,
        table,
        stats,
        options,
        Box::new(move |row| build(row, today)),
        |need| {
            vec![Claim::duplicate(
                format!("need:{}", need.reference),
                Field::NeedRef,
                need.reference.clone(),
                "même référence de besoin",
                "deux besoins différents",
            )]
        },
    )
}

fn build(row: &mut Row<'_>, today: NaiveDate) -> Option<NewNeed> {
    let reference = row.required(Field::NeedRef, values::reference);
    let organisation = organisation(row);
    let establishment = row.parse(Field::Establishment, |s| values::text(s, MAX_TEXT));
    let address = address(row);
    let postcode = row.parse(Field::PostalCode, PostalCode::parse);
    let commune = row.parse(Field::Commune, |s| values::text(s, MAX_TEXT));
    let phone = row.single_phone(Field::Phone, postcode.as_ref());
    let email = row.parse(Field::Email, EmailAddress::parse);
    let public = row.parse(Field::Public, |s| values::text(s, MAX_TEXT));
    let mission_kind = row.required(Field::MissionKind, |s| values::text(s, MAX_TEXT));
    let volunteers_wanted = row.required(Field::VolunteersWanted, mv::volunteers_wanted);
    let weekly_minutes = row.required(Field::WeeklyHours, mv::weekly_minutes);
    let slots = slots(row, Field::Slots);
    if row.cell(Field::Slots).is_none() {
        row.reject_field(Field::Slots, &super::Problem::MissingValue(Field::Slots));
    }
    let qualifications = qualifications(row);
    let (starts_on, ends_on) = dates(row, today);
    let organisation = organisation?;
    Some(NewNeed {
        reference: reference?,
        establishment: establishment.unwrap_or_else(|| organisation.name.clone()),
        organisation,
        address,
        postcode,
        commune,
        phone,
        email,
        public,
        mission_kind: mission_kind?,
        volunteers_wanted: volunteers_wanted?,
        weekly_minutes: weekly_minutes?,
        slots: slots?,
        qualifications,
        starts_on,
        ends_on,
    })
}

/// The organisation: its name, its optional kind; the need's contact is the
/// organisation's first contact (the store keeps one already given).
fn organisation(row: &mut Row<'_>) -> Option<NewOrganisation> {
    let name = row.required(Field::Organisation, |s| values::text(s, MAX_TEXT));
    let kind = row.parse(Field::OrganisationKind, mv::organisation_kind);
    let email = row
        .cell(Field::Email)
        .and_then(|c| EmailAddress::parse(c.value).ok());
    let (phones, _) = row.phones(Field::Phone, None);
    Some(NewOrganisation {
        name: name?,
        kind,
        email,
        phone: phones.into_iter().next(),
    })
}

/// The address lines of every address column, joined.
fn address(row: &mut Row<'_>) -> Option<String> {
    let lines: Vec<String> = row
        .cells(Field::Address)
        .into_iter()
        .map(|c| c.value.to_owned())
        .collect();
    if lines.is_empty() {
        return None;
    }
    row.parse(Field::Address, |_| {
        values::text(&lines.join(", "), MAX_ADDRESS)
    })
}

/// Every cell of a slots field, parsed, merged, in the canonical text; None (the row
/// refused at the cell) when one does not parse.
pub(super) fn slots(row: &mut Row<'_>, field: Field) -> Option<String> {
    let mut all = Vec::new();
    let mut failed = false;
    for cell in row.cells(field) {
        match parse_slots(cell.value) {
            Ok(slots) => all.extend(slots),
            Err(e) => {
                row.reject(At::Cell(cell), &MissionProblem::from(e));
                failed = true;
            }
        }
    }
    (!failed).then(|| format_slots(&normalise(all)))
}

/// The qualifications of every cell, canonical; each unknown one is a warning.
pub(super) fn qualifications(row: &mut Row<'_>) -> String {
    let mut all = Vec::new();
    for cell in row.cells(Field::Qualifications) {
        let parsed = parse_qualifications(cell.value);
        for unknown in &parsed.unknown {
            row.warn(
                At::Item(cell, unknown),
                &MissionProblem::QualificationUnknown(unknown.clone()),
            );
        }
        all.extend(parsed.qualifications);
    }
    format_qualifications(&all)
}

/// `Du` and `Au`: either may be empty (open-ended); the end not before the start.
fn dates(row: &mut Row<'_>, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let from = row.parse(Field::StartsOn, |s| values::date(s, today));
    let to = row.parse(Field::EndsOn, |s| values::date(s, today));
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            match row.cell(Field::EndsOn) {
                Some(cell) => row.reject(At::Cell(cell), &MissionProblem::DatesReversed),
                None => row.reject_field(Field::EndsOn, &MissionProblem::DatesReversed),
            }
            return (None, None);
        }
    }
    (from, to)
}
