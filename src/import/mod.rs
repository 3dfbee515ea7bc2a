//! Importing lists from spreadsheets: beneficiaries, callers, territories,
//! do-not-call lists, organisations' needs and volunteers, from the CSV files Excel
//! and social-benefits software write.
//!
//! Pure part (no database): `read` decodes and splits the file, `headers` maps its
//! columns to fields, `rows` turns each record into a store row or a list of field
//! errors. The store applies the result in one transaction.
//!
//! CONTRACT between the pure part and the store: the types in this file. Do not change
//! their names or fields without saying so; you may add fields and methods.

pub mod apply;
pub mod headers;
pub mod memory;
pub mod read;
pub mod report;
pub mod rows;
pub mod stream;

pub use crate::records::imports::{
    BeneficiaryRow, FieldError, FileWarning, ImportKind, OptOutEntry, Parsed, ParsedRow,
    RejectedRow,
};
pub use headers::{Field, UnknownField};
pub use read::Table;
pub use rows::{
    parse_beneficiaries, parse_callers, parse_needs, parse_opt_outs, parse_territories,
    parse_volunteers,
};

#[cfg(test)]
mod tests;

/// Choices a coordinator makes for one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// `--map 'Header=field'`: this header (as written in the file, compared folded)
    /// means this field, whatever the aliases say.
    pub overrides: Vec<(String, Field)>,
    /// Calls a caller makes in one declared half-day (when a list gives half-days
    /// rather than calls).
    pub half_day_calls: u32,
    /// Invite the callers of the file who have no account yet: an account and a mail
    /// with a one-time login link (links start with this public address).
    pub invite: Option<url::Url>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            overrides: Vec::new(),
            half_day_calls: 8,
            invite: None,
        }
    }
}

/// Why a whole file cannot be imported (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header row but no data")]
    NoData,
    #[error("the file is not a text table (CSV): {0}")]
    NotText(String),
    #[error("missing column {column}: accepted headers are {}", aliases.join(", "))]
    MissingColumn {
        /// The field, in French, e.g. "Nom"; alternatives joined by ", ou ", fields
        /// needed together by " + " ("N° de dossier, ou Téléphone, ou Nom + Prénom +
        /// Date de naissance").
        column: String,
        /// Every header accepted for the missing field(s).
        aliases: Vec<String>,
        /// The missing field(s), snake_case, for `--map 'Header=field'`.
        fields: Vec<String>,
        /// The (non-empty) headers the file has.
        found: Vec<String>,
    },
    #[error("two columns mean {field}: {first} and {second}")]
    AmbiguousColumns {
        field: String,
        first: String,
        second: String,
    },
    #[error("--map {0:?}: {1}")]
    BadOverride(String, String),
    #[error("cannot read the CSV: {0}")]
    Csv(String),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "file_empty",
            Self::NoData => "file_no_data",
            Self::NotText(_) => "file_not_text",
            Self::MissingColumn { .. } => "missing_column",
            Self::AmbiguousColumns { .. } => "ambiguous_columns",
            Self::BadOverride(..) => "bad_override",
            Self::Csv(_) => "csv_unreadable",
        }
    }

    /// A French sentence naming the problem and the fix.
    pub fn message_fr(&self) -> String {
        const SAVE_AS: &str = "Ouvrez-le dans Excel, choisissez « Fichier > Enregistrer sous… » et le type « CSV (séparateur: point-virgule) (*.csv) », puis importez ce nouveau fichier.";
        match self {
            Self::Empty => format!(
                "Le fichier est vide : vérifiez que vous avez choisi le bon fichier. {SAVE_AS}"
            ),
            Self::NoData => "Le fichier ne contient que la ligne des en-têtes, sans aucune ligne de données : vérifiez que vous avez choisi le bon fichier, ou la bonne feuille du classeur avant de l'enregistrer en CSV.".to_owned(),
            Self::NotText(what) => format!("Ce fichier n'est pas un tableau CSV : {what}. {SAVE_AS}"),
            Self::MissingColumn {
                column,
                aliases,
                fields,
                found,
            } => {
                let one_column = match found.as_slice() {
                    [only] if only.contains([',', ';', '\t', '|']) => " Le fichier semble n'avoir qu'une seule colonne : le séparateur des colonnes n'a pas été reconnu ; enregistrez-le depuis Excel au format « CSV (séparateur: point-virgule) ».".to_owned(),
                    _ => String::new(),
                };
                let example = fields.first().map_or("champ", String::as_str);
                format!(
                    "Colonne obligatoire introuvable : « {column} ». En-têtes acceptés : {}. Colonnes du fichier : {}. Renommez l'en-tête de la colonne dans Excel, ou indiquez sa correspondance avec l'option --map 'En-tête de votre fichier={example}'.{one_column}",
                    aliases.join(", "),
                    if found.is_empty() {
                        "aucune".to_owned()
                    } else {
                        found.iter().map(|h| format!("« {h} »")).collect::<Vec<_>>().join(", ")
                    }
                )
            }
            Self::AmbiguousColumns {
                field,
                first,
                second,
            } => format!(
                "Les colonnes « {first} » et « {second} » désignent toutes les deux « {field} » : gardez-en une seule (supprimez ou renommez l'autre dans Excel), ou indiquez celle à laisser de côté avec l'option --map '{second}=ignore'."
            ),
            Self::BadOverride(spec, reason) => {
                format!("Option --map '{spec}' : {reason}. Écrivez-la --map 'En-tête du fichier=champ'.")
            }
            Self::Csv(detail) => format!("Le fichier CSV est illisible : {detail}."),
        }
    }

    /// The same sentence in English (the pages in English, `lien --lang en`).
    pub fn message_en(&self) -> String {
        const SAVE_AS: &str = "Open it in Excel, choose \"File > Save as…\" and the type \"CSV (semicolon delimited) (*.csv)\", then import that new file.";
        match self {
            Self::Empty => format!("The file is empty: check that you chose the right file. {SAVE_AS}"),
            Self::NoData => "The file holds only the header row, no data row: check that you chose the right file, or the right sheet of the workbook before saving it as CSV.".to_owned(),
            Self::NotText(what) => format!("This file is not a CSV table: {what}. {SAVE_AS}"),
            Self::MissingColumn {
                column,
                aliases,
                fields,
                found,
            } => {
                let one_column = match found.as_slice() {
                    [only] if only.contains([',', ';', '\t', '|']) => " The file seems to have a single column: its column separator was not recognised; save it from Excel as \"CSV (semicolon delimited)\".".to_owned(),
                    _ => String::new(),
                };
                let example = fields.first().map_or("field", String::as_str);
                format!(
                    "Required column not found: \"{column}\". Accepted headers: {}. The file's columns: {}. Rename the column's header in Excel, or give its mapping with the option --map 'Your file's header={example}'.{one_column}",
                    aliases.join(", "),
                    if found.is_empty() {
                        "none".to_owned()
                    } else {
                        found.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
                    }
                )
            }
            Self::AmbiguousColumns {
                field,
                first,
                second,
            } => format!(
                "The columns \"{first}\" and \"{second}\" both mean \"{field}\": keep only one (delete or rename the other in Excel), or say which to leave aside with the option --map '{second}=ignore'."
            ),
            Self::BadOverride(spec, reason) => {
                format!("Option --map '{spec}': {reason}. Write it --map 'File header=field'.")
            }
            Self::Csv(detail) => format!("The CSV file cannot be read: {detail}."),
        }
    }
}
