//! The report of one import: what was read, written, refused, and why.

use serde::{Deserialize, Serialize};

use super::{FieldError, ImportKind, Parsed};

/// A warning in the report: about the file (no line) or about one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportWarning {
    pub line: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub code: String,
    pub message: String,
}

/// Printed by `lien import --json`, shown on the import page, stored with the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub kind: String,
    pub file: String,
    pub encoding: String,
    pub delimiter: String,
    /// Nothing was written (`--dry-run`): the figures say what an import would do.
    pub dry_run: bool,
    /// The import batch recorded, when something was written.
    pub batch_id: Option<i64>,
    /// Data rows read (blank lines not counted).
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Beneficiaries already known who were added to the campaign by this import.
    pub enrolled: usize,
    /// Rows whose "opted out" or "deceased" status the import kept rather than revert.
    pub kept_final_status: usize,
    /// People known before but absent from this file: reported, never deleted.
    pub missing: usize,
    /// Callers who got an account and an invitation mail (`--invite`).
    pub invited: usize,
    /// References (or names) of the first missing people, for a look.
    pub missing_sample: Vec<String>,
    /// The same file was imported before and nothing changed.
    pub same_file_as_batch: Option<i64>,
    pub warnings: Vec<ReportWarning>,
    pub errors: Vec<FieldError>,
    /// How each column of the file was understood (field label, or None: ignored).
    pub mapping: Vec<MappedColumn>,
    /// The first records as read, for the preview page (never printed: personal data).
    #[serde(skip)]
    pub preview: Vec<(u64, Vec<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappedColumn {
    pub header: String,
    pub field: Option<String>,
    pub label: Option<String>,
}

impl ImportReport {
    /// The report of a parsed file before anything is written.
    pub fn from_parsed<T>(kind: ImportKind, file: &str, parsed: &Parsed<T>) -> Self {
        let mut warnings: Vec<ReportWarning> = parsed
            .warnings
            .iter()
            .map(|w| ReportWarning {
                line: None,
                column: None,
                value: None,
                code: w.code.clone(),
                message: w.message.clone(),
            })
            .collect();
        warnings.extend(
            parsed
                .rows
                .iter()
                .flat_map(|r| r.warnings.iter())
                .map(cell_warning),
        );
        Self {
            kind: kind.as_str().to_string(),
            file: file.to_string(),
            encoding: parsed.encoding.clone(),
            delimiter: match parsed.delimiter {
                '\t' => "tab".to_string(),
                c => c.to_string(),
            },
            rows: parsed.rows_read,
            rejected: parsed.rejected.len(),
            errors: parsed
                .rejected
                .iter()
                .flat_map(|r| r.errors.iter().cloned())
                .collect(),
            warnings,
            mapping: parsed
                .mapping
                .iter()
                .map(|(header, field)| MappedColumn {
                    header: header.clone(),
                    field: field.map(|f| f.as_str().to_string()),
                    label: field.map(|f| f.label_fr().to_string()),
                })
                .collect(),
            ..Self::default()
        }
    }

    /// A warning about one cell, found while writing (unknown territory…).
    pub fn warn(&mut self, warning: FieldError) {
        self.warnings.push(cell_warning(&warning));
    }

    /// Adds a row refused while writing (ambiguous identity, not found…).
    pub fn reject(&mut self, error: FieldError) {
        self.rejected += 1;
        self.errors.push(error);
    }

    /// True when the import changed nothing in the database.
    pub fn changed_nothing(&self) -> bool {
        self.inserted == 0 && self.updated == 0 && self.enrolled == 0 && self.invited == 0
    }
}

fn cell_warning(w: &FieldError) -> ReportWarning {
    ReportWarning {
        line: Some(w.line),
        column: w.column.clone(),
        value: w.value.clone(),
        code: w.code.clone(),
        message: w.message.clone(),
    }
}
