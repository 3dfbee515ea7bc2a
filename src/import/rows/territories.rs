//! Territory lists.

use super::values::{self, MAX_TEXT};
use super::{parse_table, Claim, Problem, Row, RowParser};
use crate::domain::names;
use crate::domain::{EmailAddress, PostalCode};
use crate::import::stream::RecordStats;
use crate::import::{Field, ImportError, ImportKind, ImportOptions, Parsed, Table};
use crate::store::NewTerritory;

/// Parses a list of territories.
///
/// Required: code, name, at least one referent e-mail, and at least one postal code or
/// INSEE code (lists in one cell, separated by spaces, commas or semicolons; several
/// columns allowed). A code twice, or a postal or INSEE code already covered by an
/// earlier territory of the file, refuses the later row.
pub fn parse_territories(
    table: &Table,
    options: &ImportOptions,
) -> Result<Parsed<NewTerritory>, ImportError> {
    parse_table(table, |stats| parser(table, stats, options))
}

/// The parser of a territory list whose records `stats` describes.
pub(crate) fn parser(
    table: &Table,
    stats: &RecordStats,
    options: &ImportOptions,
) -> Result<RowParser<NewTerritory>, ImportError> {
    RowParser::new(
        ImportKind::Territories,
        table,
        stats,
        options,
        Box::new(build),
        claims,
    )
}

fn build(row: &mut Row<'_>) -> Option<NewTerritory> {
    let code = row.required(Field::Code, values::reference);
    let name = row.required(Field::Name, |s| values::text(s, MAX_TEXT));
    let referent_emails = row.list(
        Field::ReferentEmails,
        values::split_emails,
        EmailAddress::parse,
    );
    if row.cell(Field::ReferentEmails).is_none() {
        row.reject_field(
            Field::ReferentEmails,
            &Problem::MissingValue(Field::ReferentEmails),
        );
    }
    let postal_codes = row.list(Field::PostalCodes, values::split_codes, PostalCode::parse);
    let insee_codes = row.list(Field::InseeCodes, values::split_codes, values::insee);
    if row.cell(Field::PostalCodes).is_none() && row.cell(Field::InseeCodes).is_none() {
        let field = if row.has_column(Field::PostalCodes) {
            Field::PostalCodes
        } else {
            Field::InseeCodes
        };
        row.reject_field(field, &Problem::NoArea);
    }
    Some(NewTerritory {
        code: code?,
        name: name?,
        referent_emails,
        postal_codes,
        insee_codes,
    })
}

fn claims(territory: &NewTerritory) -> Vec<Claim> {
    let mut claims = vec![Claim::duplicate(
        format!("code:{}", names::fold(&territory.code)),
        Field::Code,
        territory.code.clone(),
        "même code de territoire",
        "deux territoires différents",
    )];
    claims.extend(territory.postal_codes.iter().map(|p| {
        Claim::area(
            format!("postal:{p}"),
            Field::PostalCodes,
            p.to_string(),
            "Ce code postal",
        )
    }));
    claims.extend(territory.insee_codes.iter().map(|c| {
        Claim::area(
            format!("insee:{c}"),
            Field::InseeCodes,
            c.clone(),
            "Ce code INSEE",
        )
    }));
    claims
}
