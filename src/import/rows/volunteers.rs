//! The volunteer pool: departmental agents, association professionals, students.

use super::mission_values::{self as mv, MissionProblem};
use super::needs::{qualifications, slots};
use super::values::{self, MAX_TEXT};
use super::{parse_table, At, Claim, Row, RowParser};
use crate::domain::{EmailAddress, PostalCode, VolunteerOrigin};
use crate::import::stream::RecordStats;
use crate::import::{Field, ImportError, ImportKind, ImportOptions, Parsed, Table};
use crate::records::missions::NewVolunteer;

/// Parses a volunteers list.
///
/// Required: last name, first name, e-mail (their identity: the same address twice
/// refuses the later row), origin. An agent needs `Jours par mois` (0.5 to 2); for
/// others it is ignored with a warning. `Accord hiérarchique` oui/non records the
/// approval (who and when are filled in by the store's import: the file's name and
/// the import's time). Availability slots that do not parse refuse the row; no
/// availability and an unknown qualification are warnings.
pub fn parse_volunteers(
    table: &Table,
    options: &ImportOptions,
) -> Result<Parsed<NewVolunteer>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a volunteers list whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<NewVolunteer>, ImportError> {
    RowParser::new(
        ImportKind::Volunteers,
        table,
        stats,
        options,
        Box::new(build),
        |volunteer| {
            vec![Claim::duplicate(
                format!("email:{}", volunteer.email.as_str()),
                Field::Email,
                volunteer.email.as_str().to_owned(),
                "même adresse e-mail",
                "deux volontaires différents",
            )]
        },
    )
}

fn build(row: &mut Row<'_>) -> Option<NewVolunteer> {
    let last_name = row.required(Field::LastName, values::name);
    let first_name = row.required(Field::FirstName, values::name);
    let email = row.required(Field::Email, EmailAddress::parse);
    let postcode = row.parse(Field::PostalCode, PostalCode::parse);
    let phone = row.single_phone(Field::Phone, postcode.as_ref());
    let origin = row.required(Field::Origin, mv::origin);
    let origin_structure = row.parse(Field::OriginStructure, |s| values::text(s, MAX_TEXT));
    let qualifications = qualifications(row);
    let availability = slots(row, Field::Availability);
    if availability.as_deref() == Some("") {
        row.warn_field(Field::Availability, &MissionProblem::NoAvailability);
    }
    let commune = row.parse(Field::Commune, |s| values::text(s, MAX_TEXT));
    let (days, approved) = allowance(row, origin);
    Some(NewVolunteer {
        email: email?,
        last_name: last_name?,
        first_name: first_name?,
        phone,
        origin: origin?,
        origin_structure,
        qualifications,
        availability: availability?,
        postcode,
        commune,
        days_per_month_centi: days,
        manager_approved: approved,
        approval: None,
    })
}

/// `Jours par mois` and `Accord hiérarchique`: an agent must have days (refused
/// without); for others both are ignored with a warning. An agent without approval is
/// kept, with a warning (never placed until approved).
fn allowance(row: &mut Row<'_>, origin: Option<VolunteerOrigin>) -> (Option<u16>, Option<bool>) {
    match origin {
        Some(VolunteerOrigin::Agent) => {
            let days = row.parse(Field::DaysPerMonth, mv::days_per_month);
            let approved = row.parse(Field::ManagerApproval, mv::approval);
            if row.cell(Field::DaysPerMonth).is_none() {
                row.reject_field(Field::DaysPerMonth, &MissionProblem::AgentWithoutDays);
            }
            if approved != Some(true) && !row.is_refused() {
                match row.cell(Field::ManagerApproval) {
                    Some(cell) => row.warn(At::Cell(cell), &MissionProblem::AgentNotApproved),
                    None => {
                        row.warn_field(Field::ManagerApproval, &MissionProblem::AgentNotApproved)
                    }
                }
            }
            (days, approved)
        }
        Some(_) => {
            if let Some(cell) = row.cell(Field::DaysPerMonth) {
                row.warn(At::Cell(cell), &MissionProblem::DaysIgnored);
            }
            if let Some(cell) = row.cell(Field::ManagerApproval) {
                row.warn(At::Cell(cell), &MissionProblem::ApprovalIgnored);
            }
            (None, None)
        }
        None => (None, None),
    }
}
