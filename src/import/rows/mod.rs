//! From records to store rows: one generic driver ([`parse_table`]) walks the records,
//! hands each to a per-kind builder through a [`Row`] (typed access to its cells that
//! records every problem), rejects duplicates inside the file, and collects the
//! outcome. Cell-level parsers live in `values`.

pub(crate) mod beneficiaries;
pub(crate) mod callers;
mod claims;
mod mission_values;
pub(crate) mod needs;
pub(crate) mod opt_out;
pub(crate) mod territories;
mod values;
pub(crate) mod volunteers;

use std::hash::BuildHasher;

use claims::ClaimTable;

pub use beneficiaries::parse_beneficiaries;
pub use callers::parse_callers;
pub use needs::parse_needs;
pub use opt_out::parse_opt_outs;
pub use territories::parse_territories;
pub use volunteers::parse_volunteers;

use super::headers::{self, map_headers};
use super::stream::RecordStats;
use super::{
    Field, FieldError, FileWarning, ImportError, ImportKind, ImportOptions, Parsed, ParsedRow,
    RejectedRow, Table,
};
use crate::domain::{
    CodeError, EmailError, LanguageError, Phone, PhoneError, PostalCode, PostalCodeError,
    WeekdaysError,
};

/// Something wrong with a cell or a row: a stable code and a French sentence.
pub(crate) trait Reason {
    fn code(&self) -> &'static str;
    fn message_fr(&self) -> String;
}

macro_rules! domain_reason {
    ($($error:ty),+) => {$(
        impl Reason for $error {
            fn code(&self) -> &'static str {
                <$error>::code(self)
            }
            fn message_fr(&self) -> String {
                <$error>::message_fr(self)
            }
        }
    )+};
}

domain_reason!(
    PhoneError,
    PostalCodeError,
    EmailError,
    LanguageError,
    WeekdaysError,
    CodeError
);

/// What a date cell's problem looks like, for a more precise message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateHint {
    None,
    /// Month above 12 and day up to 12: probably month/day/year.
    MonthFirst,
    /// Only a year.
    YearOnly,
    /// Day and month in range but no such day (31 February).
    NoSuchDay,
}

/// The importer's own reasons (the domain types have theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    MissingValue(Field),
    TooLong {
        chars: usize,
        max: usize,
    },
    NameWithoutLetters,
    DateInvalid(DateHint),
    BirthDateInFuture,
    BirthDateTooOld,
    NumberInvalid,
    NumberOutOfRange {
        max: u32,
    },
    InseeInvalid,
    StatusUnknown,
    NoPhone {
        columns: Vec<String>,
    },
    ExtraPhoneIgnored,
    NoArea,
    NoCapacity,
    AbsenceIncomplete,
    AbsenceEndsBeforeStart,
    ActiveUnknown,
    NotIdentifiable,
    Duplicate {
        first_line: u64,
        what: &'static str,
        distinct: &'static str,
    },
    AreaInTwoTerritories {
        first_line: u64,
        what: &'static str,
    },
    TooManyCells {
        columns: usize,
        delimiter: char,
    },
}

/// Formats accepted for dates, for messages.
const DATE_FORMATS: &str = "jj/mm/aaaa, j/m/aaaa, jj-mm-aaaa, jj.mm.aaaa, aaaa-mm-jj, jj/mm/aa, « 12 mars 1940 », ou une date au format Excel";

impl Reason for Problem {
    fn code(&self) -> &'static str {
        match self {
            Problem::MissingValue(_) => "missing_value",
            Problem::TooLong { .. } => "too_long",
            Problem::NameWithoutLetters => "name_invalid",
            Problem::DateInvalid(_) => "date_invalid",
            Problem::BirthDateInFuture | Problem::BirthDateTooOld => "birth_date_implausible",
            Problem::NumberInvalid => "number_invalid",
            Problem::NumberOutOfRange { .. } => "number_out_of_range",
            Problem::InseeInvalid => "insee_invalid",
            Problem::StatusUnknown => "status_unknown",
            Problem::NoPhone { .. } => "no_phone",
            Problem::ExtraPhoneIgnored => "extra_phone_ignored",
            Problem::NoArea => "no_area",
            Problem::NoCapacity => "no_capacity",
            Problem::AbsenceIncomplete => "absence_incomplete",
            Problem::AbsenceEndsBeforeStart => "absence_ends_before_start",
            Problem::ActiveUnknown => "active_unknown",
            Problem::NotIdentifiable => "not_identifiable",
            Problem::Duplicate { .. } => "duplicate_in_file",
            Problem::AreaInTwoTerritories { .. } => "area_in_two_territories",
            Problem::TooManyCells { .. } => "too_many_cells",
        }
    }

    fn message_fr(&self) -> String {
        match self {
            Problem::MissingValue(field) => format!(
                "{} est obligatoire : cette cellule ne doit pas être vide.",
                required_noun_fr(*field)
            ),
            Problem::TooLong { chars, max } => format!(
                "Le texte est trop long ({chars} caractères, {max} au plus) : vérifiez que la cellule ne contient pas plusieurs valeurs, ou que les colonnes ne sont pas décalées."
            ),
            Problem::NameWithoutLetters => "Ce nom ne contient aucune lettre : vérifiez que les colonnes ne sont pas décalées (un numéro ou une date à la place du nom ?).".to_owned(),
            Problem::DateInvalid(hint) => {
                let hint = match hint {
                    DateHint::None => "",
                    DateHint::MonthFirst => " Elle semble écrite mois en premier (à l'américaine) : mettez le jour en premier.",
                    DateHint::YearOnly => " Seule l'année est indiquée : la date complète est nécessaire (laissez la cellule vide si vous ne la connaissez pas).",
                    DateHint::NoSuchDay => " Ce jour n'existe pas dans ce mois (ex. 31 février) : vérifiez la date.",
                };
                format!("Date illisible : écrivez-la jj/mm/aaaa (ex. 12/03/1940).{hint} Formats acceptés : {DATE_FORMATS}.")
            }
            Problem::BirthDateInFuture => "Cette date de naissance est dans le futur : vérifiez l'année (ex. 12/03/1940).".to_owned(),
            Problem::BirthDateTooOld => "Cette date de naissance remonte à plus de 120 ans : vérifiez l'année (ex. 12/03/1940).".to_owned(),
            Problem::NumberInvalid => "Ce n'est pas un nombre entier : indiquez seulement un nombre, sans décimale ni intervalle (ex. 15).".to_owned(),
            Problem::NumberOutOfRange { max } => format!("Le nombre doit être compris entre 0 et {max}."),
            Problem::InseeInvalid => "Ce n'est pas un code INSEE de commune : il compte 5 caractères (ex. 80021 pour Amiens, 2A004 pour Ajaccio). Attention, le code INSEE n'est pas le code postal.".to_owned(),
            Problem::StatusUnknown => "Statut non reconnu : laissez la cellule vide, ou écrivez actif, décédé, déménagé ou refus (ne souhaite plus être appelé).".to_owned(),
            Problem::NoPhone { columns } => format!(
                "Aucun numéro de téléphone valide (colonnes {}) : indiquez au moins un numéro (ex. 06 12 34 56 78), sans quoi la personne ne peut pas être appelée.",
                columns.iter().map(|c| format!("« {c} »")).collect::<Vec<_>>().join(", ")
            ),
            Problem::ExtraPhoneIgnored => "Cette colonne n'accepte qu'un numéro : seul le premier numéro valide est gardé, les autres sont ignorés.".to_owned(),
            Problem::NoArea => "Le territoire ne couvre aucun code postal ni code INSEE : indiquez au moins un code postal (ex. 80000) ou un code INSEE de commune.".to_owned(),
            Problem::AbsenceIncomplete => "L'absence n'a qu'une date : remplissez « Absent du » et « Absent au » (le même jour pour une absence d'un jour), ou laissez les deux vides.".to_owned(),
            Problem::AbsenceEndsBeforeStart => "L'absence finit avant de commencer : la date « Absent au » doit être égale ou postérieure à « Absent du ».".to_owned(),
            Problem::ActiveUnknown => "Valeur non reconnue pour « Actif » : écrivez oui ou non (ou 1 / 0), ou laissez la cellule vide.".to_owned(),
            Problem::NoCapacity => "La capacité de l'appelant manque : indiquez le nombre d'appels par semaine, ou le nombre de demi-journées de disponibilité.".to_owned(),
            Problem::NotIdentifiable => "Impossible de retrouver la personne : indiquez son N° de dossier, ou son numéro de téléphone, ou ses nom, prénom et date de naissance.".to_owned(),
            Problem::Duplicate {
                first_line,
                what,
                distinct,
            } => format!(
                "Déjà présent à la ligne {first_line} ({what}) : gardez une seule des deux lignes, ou corrigez celle-ci s'il s'agit de {distinct}."
            ),
            Problem::AreaInTwoTerritories { first_line, what } => format!(
                "{what} est déjà couvert par le territoire de la ligne {first_line} : chaque code ne peut appartenir qu'à un seul territoire ; retirez-le de l'une des deux lignes."
            ),
            Problem::TooManyCells { columns, delimiter } => format!(
                "Cette ligne a plus de cellules que la ligne des en-têtes ({columns} colonnes) : une cellule contient sans doute un « {} » qui décale les colonnes ; retirez-le, ou entourez la cellule de guillemets.",
                if *delimiter == '\t' { "tabulation".to_owned() } else { delimiter.to_string() }
            ),
        }
    }
}

/// "Le nom", "L'adresse e-mail"… for "… est obligatoire".
fn required_noun_fr(field: Field) -> String {
    match field {
        Field::LastName => "Le nom".to_owned(),
        Field::FirstName => "Le prénom".to_owned(),
        Field::Email => "L'adresse e-mail".to_owned(),
        Field::Code => "Le code du territoire".to_owned(),
        Field::Name => "Le nom du territoire".to_owned(),
        Field::ReferentEmails => "L'adresse e-mail d'au moins un référent".to_owned(),
        other => format!("La colonne « {} »", other.label_fr()),
    }
}

/// The columns of the file, by field.
pub(crate) struct Columns {
    /// Header as written, or "colonne N" when it has none.
    names: Vec<String>,
    /// Each field's columns, at the field's number (`Field as usize`).
    by_field: Vec<Vec<usize>>,
}

impl Columns {
    fn new(headers: &[String], mapping: &[Option<Field>]) -> Self {
        let mut by_field: Vec<Vec<usize>> = Vec::new();
        for (i, field) in mapping.iter().enumerate() {
            if let Some(field) = field {
                let at = *field as usize;
                if by_field.len() <= at {
                    by_field.resize(at + 1, Vec::new());
                }
                by_field[at].push(i);
            }
        }
        let names = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                if h.is_empty() {
                    format!("colonne {}", i + 1)
                } else {
                    h.clone()
                }
            })
            .collect();
        Self { names, by_field }
    }

    fn of(&self, field: Field) -> &[usize] {
        self.by_field.get(field as usize).map_or(&[], Vec::as_slice)
    }
}

/// One non-empty cell: its column and its cleaned value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell<'a> {
    column: usize,
    pub value: &'a str,
}

/// A record being built: typed access to its cells, and the problems found so far.
pub(crate) struct Row<'a> {
    line: u64,
    cells: &'a [&'a str],
    columns: &'a Columns,
    errors: Vec<FieldError>,
    warnings: Vec<FieldError>,
}

/// Where a problem is: a cell (with the value to show), or a column, or the row.
enum At<'a> {
    Cell(Cell<'a>),
    Item(Cell<'a>, &'a str),
    Column(Field),
    Row,
}

impl<'a> Row<'a> {
    /// The non-empty cells of `field`'s columns, in file order.
    pub fn cells(&self, field: Field) -> Vec<Cell<'a>> {
        self.each_cell(field).collect()
    }

    fn each_cell(&self, field: Field) -> impl Iterator<Item = Cell<'a>> + 'a {
        let cells = self.cells;
        self.columns.of(field).iter().filter_map(move |&column| {
            let value = values::clean_cell(cells.get(column).copied().unwrap_or(""));
            (!value.is_empty()).then_some(Cell { column, value })
        })
    }

    /// The first non-empty cell of `field`.
    pub fn cell(&self, field: Field) -> Option<Cell<'a>> {
        self.each_cell(field).next()
    }

    /// The file has a column for `field`.
    pub fn has_column(&self, field: Field) -> bool {
        !self.columns.of(field).is_empty()
    }

    /// Headers of `field`'s columns.
    pub fn column_names(&self, field: Field) -> Vec<String> {
        self.columns
            .of(field)
            .iter()
            .map(|&i| self.columns.names[i].clone())
            .collect()
    }

    fn field_error(&self, at: At<'_>, reason: &dyn Reason) -> FieldError {
        let (column, value) = match at {
            At::Cell(cell) => (Some(cell.column), Some(cell.value)),
            At::Item(cell, item) => (Some(cell.column), Some(item)),
            At::Column(field) => (self.columns.of(field).first().copied(), None),
            At::Row => (None, None),
        };
        FieldError {
            line: self.line,
            column: column.map(|c| self.columns.names[c].clone()),
            value: value.map(str::to_owned),
            code: reason.code().to_owned(),
            message: reason.message_fr(),
        }
    }

    fn reject(&mut self, at: At<'_>, reason: &dyn Reason) {
        let error = self.field_error(at, reason);
        self.errors.push(error);
    }

    fn warn(&mut self, at: At<'_>, reason: &dyn Reason) {
        let warning = self.field_error(at, reason);
        self.warnings.push(warning);
    }

    /// Refuses the row because of `field` (missing value, no phone…).
    pub fn reject_field(&mut self, field: Field, reason: &dyn Reason) {
        self.reject(At::Column(field), reason);
    }

    /// Warns about `field` (the row is kept).
    pub fn warn_field(&mut self, field: Field, reason: &dyn Reason) {
        self.warn(At::Column(field), reason);
    }

    /// Whether a problem already refuses the row.
    pub fn is_refused(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Refuses the row for a reason that belongs to no column.
    pub fn reject_row(&mut self, reason: &dyn Reason) {
        self.reject(At::Row, reason);
    }

    /// Parses the first non-empty cell of `field`; None when empty or invalid (the
    /// problem is recorded).
    pub fn parse<T, E: Reason>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let cell = self.cell(field)?;
        self.parse_cell(cell, parse)
    }

    fn parse_cell<T, E: Reason>(
        &mut self,
        cell: Cell<'a>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match parse(cell.value) {
            Ok(value) => Some(value),
            Err(e) => {
                self.reject(At::Cell(cell), &e);
                None
            }
        }
    }

    /// Like [`Row::parse`], and an empty cell is a `missing_value`.
    pub fn required<T, E: Reason>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let Some(cell) = self.cell(field) else {
            self.reject_field(field, &Problem::MissingValue(field));
            return None;
        };
        self.parse_cell(cell, parse)
    }

    /// Every item of every cell of `field`, split by `split`, parsed, without repeats;
    /// each bad item is refused.
    pub fn list<T: PartialEq, E: Reason>(
        &mut self,
        field: Field,
        split: fn(&str) -> Vec<&str>,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Vec<T> {
        let mut out: Vec<T> = Vec::new();
        for cell in self.cells(field) {
            for item in split(cell.value) {
                match parse(item) {
                    Ok(value) if !out.contains(&value) => out.push(value),
                    Ok(_) => {}
                    Err(e) => self.reject(At::Item(cell, item), &e),
                }
            }
        }
        out
    }

    /// Every valid phone number in `field`'s cells (a cell may hold several), without
    /// repeats, and the parts that are not valid numbers, for the caller to refuse or
    /// warn with [`Row::phone_failures`].
    pub fn phones(
        &self,
        field: Field,
        hint: Option<&PostalCode>,
    ) -> (Vec<Phone>, Vec<PhoneFailure<'a>>) {
        let mut phones: Vec<Phone> = Vec::new();
        let mut failures = Vec::new();
        for cell in self.cells(field) {
            for (part, result) in values::phones_in_cell(cell.value, hint) {
                match result {
                    Ok(phone) if !phones.contains(&phone) => phones.push(phone),
                    Ok(_) => {}
                    Err(error) => failures.push(PhoneFailure { cell, part, error }),
                }
            }
        }
        (phones, failures)
    }

    /// Records phone parts that are not numbers: as errors (the row is refused) or as
    /// warnings (the row is kept without them).
    pub fn phone_failures(&mut self, failures: Vec<PhoneFailure<'a>>, refuse: bool) {
        for f in failures {
            let at = if f.part == f.cell.value {
                At::Cell(f.cell)
            } else {
                At::Item(f.cell, f.part)
            };
            if refuse {
                self.reject(at, &f.error);
            } else {
                self.warn(at, &f.error);
            }
        }
    }

    /// The one phone number of a single-number field: the first valid one; the others
    /// and the invalid parts are warnings.
    pub fn single_phone(&mut self, field: Field, hint: Option<&PostalCode>) -> Option<Phone> {
        let (phones, failures) = self.phones(field, hint);
        self.phone_failures(failures, false);
        if phones.len() > 1 {
            self.warn_field(field, &Problem::ExtraPhoneIgnored);
        }
        phones.into_iter().next()
    }
}

/// A part of a phone cell that is not a valid number.
pub(crate) struct PhoneFailure<'a> {
    cell: Cell<'a>,
    part: &'a str,
    error: PhoneError,
}

/// A value that must be unique in the file, found in an accepted row.
pub(crate) struct Claim {
    /// Namespaced key, e.g. `ref:80-0001`.
    key: String,
    field: Field,
    /// The value shown to the coordinator.
    shown: String,
    conflict: Conflict,
}

#[derive(Clone, Copy)]
enum Conflict {
    /// The later row is the same person, caller or territory (`duplicate_in_file`):
    /// what is the same, and what they would be if not the same.
    Duplicate(&'static str, &'static str),
    /// The later territory covers an area already covered (`area_in_two_territories`).
    Area(&'static str),
}

impl Claim {
    /// `what`: French, e.g. "même N° de dossier"; `distinct`: what the two rows are
    /// when they are not the same, e.g. "deux personnes différentes".
    pub fn duplicate(
        key: String,
        field: Field,
        shown: String,
        what: &'static str,
        distinct: &'static str,
    ) -> Self {
        Self {
            key,
            field,
            shown,
            conflict: Conflict::Duplicate(what, distinct),
        }
    }

    /// `what`: French subject, e.g. "Ce code postal".
    pub fn area(key: String, field: Field, shown: String, what: &'static str) -> Self {
        Self {
            key,
            field,
            shown,
            conflict: Conflict::Area(what),
        }
    }

    fn problem(&self, first_line: u64) -> Problem {
        match self.conflict {
            Conflict::Duplicate(what, distinct) => Problem::Duplicate {
                first_line,
                what,
                distinct,
            },
            Conflict::Area(what) => Problem::AreaInTwoTerritories { first_line, what },
        }
    }
}

/// Whether a cell holds nothing once cleaned (spaces, Excel's `="…"` wrapper).
pub(crate) fn cell_is_blank(cell: &str) -> bool {
    values::clean_cell(cell).is_empty()
}

/// Builds one row of a kind from a record; None or any error refuses the row.
pub(crate) type Build<T> = Box<dyn FnMut(&mut Row<'_>) -> Option<T> + Send>;
/// The values of an accepted row that must be unique in the file.
pub(crate) type Claims<T> = fn(&T) -> Vec<Claim>;

/// Parses the records of one file as `kind`, one at a time, in file order: maps the
/// headers, builds each row, and refuses the later of two rows with the same claims.
pub struct RowParser<T> {
    columns: Columns,
    width: usize,
    delimiter: char,
    untitled_trailing: bool,
    build: Build<T>,
    claims: Claims<T>,
    /// Claims met so far: keyed hash of the claim → line of its row. A keyed 64-bit
    /// hash keeps a million claims in 18 MB; the table is made for the file's number
    /// of records at once.
    seen: ClaimTable,
    hasher: foldhash::fast::RandomState,
    pub(crate) warnings: Vec<FileWarning>,
    pub(crate) mapping: Vec<(String, Option<Field>)>,
}

impl<T> RowParser<T> {
    /// A parser for the records of `table` (its headers and warnings), whose records
    /// `stats` describes.
    pub(crate) fn new(
        kind: ImportKind,
        table: &Table,
        stats: &RecordStats,
        options: &ImportOptions,
        build: Build<T>,
        claims: Claims<T>,
    ) -> Result<Self, ImportError> {
        let mapping = map_headers(kind, &table.headers, &options.overrides)?;
        let columns = Columns::new(&table.headers, &mapping);
        let width = table.headers.len();
        // Cells past the last header: an untitled column when most rows have some, else
        // rows whose cells were shifted by a stray delimiter.
        let untitled_trailing = stats.overflowing * 2 > stats.records;
        let mut warnings = table.warnings.clone();
        warnings.extend(column_warnings(
            kind,
            table,
            stats,
            &mapping,
            options,
            untitled_trailing,
        ));
        Ok(Self {
            columns,
            width,
            delimiter: table.delimiter,
            untitled_trailing,
            build,
            claims,
            seen: ClaimTable::with_capacity(stats.records),
            hasher: foldhash::fast::RandomState::default(),
            warnings,
            mapping: table.headers.iter().cloned().zip(mapping).collect(),
        })
    }

    /// Parses one record: the row, or why it is refused (with the record as read).
    pub fn parse(&mut self, line: u64, cells: Vec<String>) -> Result<ParsedRow<T>, RejectedRow> {
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        self.parse_cells(line, &refs, || cells.clone())
    }

    /// [`RowParser::parse`] of a record as the csv reader holds it (a large file's
    /// records are kept so: three allocations a record instead of one a cell).
    pub fn parse_record(
        &mut self,
        line: u64,
        record: &csv::StringRecord,
    ) -> Result<ParsedRow<T>, RejectedRow> {
        let refs: Vec<&str> = record.iter().collect();
        self.parse_cells(line, &refs, || record.iter().map(str::to_owned).collect())
    }

    fn parse_cells(
        &mut self,
        line: u64,
        cells: &[&str],
        raw: impl FnOnce() -> Vec<String>,
    ) -> Result<ParsedRow<T>, RejectedRow> {
        let mut row = Row {
            line,
            cells,
            columns: &self.columns,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        // Shifted cells would only give misleading errors: that one is enough.
        let value = if cells.len() > self.width && !self.untitled_trailing {
            row.reject_row(&Problem::TooManyCells {
                columns: self.width,
                delimiter: self.delimiter,
            });
            None
        } else {
            (self.build)(&mut row)
        };
        if let (Some(value), true) = (&value, row.errors.is_empty()) {
            let claims: Vec<(u64, Claim)> = (self.claims)(value)
                .into_iter()
                .map(|c| (self.hasher.hash_one(&c.key), c))
                .collect();
            for (key, claim) in &claims {
                if let Some(first_line) = self.seen.get(*key) {
                    let error =
                        row.field_error(At::Column(claim.field), &claim.problem(first_line));
                    row.errors.push(FieldError {
                        value: Some(claim.shown.clone()),
                        ..error
                    });
                }
            }
            if row.errors.is_empty() {
                for (key, _) in claims {
                    self.seen.insert(key, line);
                }
            }
        }
        let (errors, warnings) = (row.errors, row.warnings);
        match value {
            Some(value) if errors.is_empty() => Ok(ParsedRow {
                line,
                value,
                warnings,
            }),
            _ => {
                debug_assert!(!errors.is_empty(), "row {line} refused without a reason");
                Err(RejectedRow {
                    line,
                    errors,
                    raw: raw(),
                })
            }
        }
    }
}

/// The facts about the records of an in-memory table.
pub(crate) fn table_stats(table: &Table) -> RecordStats {
    let mut stats = RecordStats::default();
    stats.add(&table.records, table.headers.len(), 0);
    stats
}

/// Parses every record of an in-memory `table` with the parser `make` gives for it.
pub(crate) fn parse_table<T>(
    table: &Table,
    make: impl FnOnce(&RecordStats) -> Result<RowParser<T>, ImportError>,
) -> Result<Parsed<T>, ImportError> {
    let stats = table_stats(table);
    let mut parser = make(&stats)?;
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (line, cells) in &table.records {
        match parser.parse(*line, cells.clone()) {
            Ok(row) => rows.push(row),
            Err(row) => rejected.push(row),
        }
    }
    Ok(Parsed {
        rows,
        rejected,
        warnings: parser.warnings,
        rows_read: table.records.len(),
        encoding: table.encoding.clone(),
        delimiter: table.delimiter,
        headers: table.headers.clone(),
        mapping: parser.mapping,
    })
}

/// Warnings about columns left out: unknown headers, untitled columns with values.
fn column_warnings(
    kind: ImportKind,
    table: &Table,
    stats: &RecordStats,
    mapping: &[Option<Field>],
    options: &ImportOptions,
    untitled_trailing: bool,
) -> Vec<FileWarning> {
    let ignored_on_purpose = |header: &str| {
        options.overrides.iter().any(|(h, f)| {
            *f == Field::Ignore
                && crate::domain::names::fold(h) == crate::domain::names::fold(header)
        })
    };
    let has_values = |column: usize| stats.has_values.get(column).copied().unwrap_or(false);
    let fields = headers::fields(kind)
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = Vec::new();
    let widest = stats.widest;
    let last = if untitled_trailing {
        widest.max(table.headers.len())
    } else {
        table.headers.len()
    };
    for column in 0..last {
        let header = table.headers.get(column).map_or("", String::as_str);
        if mapping.get(column).copied().flatten().is_some() || ignored_on_purpose(header) {
            continue;
        }
        if header.is_empty() {
            if has_values(column) {
                out.push(FileWarning {
                    code: "untitled_column".to_owned(),
                    message: format!(
                        "La colonne n° {} n'a pas d'en-tête : ses valeurs sont ignorées. Donnez-lui un en-tête si elle doit être importée.",
                        column + 1
                    ),
                });
            }
        } else {
            out.push(FileWarning {
                code: "unknown_column".to_owned(),
                message: format!(
                    "La colonne « {header} » n'est pas reconnue : elle est ignorée. Si elle doit être importée, renommez son en-tête ou indiquez son champ avec l'option --map '{header}=champ' (champs possibles : {fields})."
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
