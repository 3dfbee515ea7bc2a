//! The week's totals as a two-column CSV (`figure;value`), one line per figure, nested
//! figures flattened with dots (`escalations_by_category.food`, `previous.reached`), and
//! back: what a spreadsheet or a script reads is exactly the JSON's content.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::WeekTotals;

/// Why a totals CSV could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum TotalsCsvError {
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("line {line}: expected `figure;value`")]
    Shape { line: usize },
    #[error("not a week's totals: {0}")]
    Json(#[from] serde_json::Error),
}

/// A cell made safe for a spreadsheet (OWASP "CSV injection"): a cell beginning with
/// `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel and
/// LibreOffice, so it gets a leading `'`, which they show as text. Every CSV lien writes
/// passes each cell through here.
///
/// Deliberate exception: a cell that is only a number, or a list of numbers joined by
/// `|` (`-3`, `+33612345678|+33712345678`, as lien writes changes and E.164 phones), is
/// left as it is. Made of signs, digits, dots and `|` alone it cannot call a function
/// nor reach another application (DDE needs letters and `!`), and readers of lien's
/// files — scripts, the `figure;value` reader below — keep getting plain numbers.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    );
    if risky && !is_plain_numbers(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-3`, `+4.5`, `+33612345678|+33712345678`: signed decimal numbers joined by `|`.
fn is_plain_numbers(cell: &str) -> bool {
    cell.split('|').all(|n| {
        let n = n.strip_prefix(['+', '-']).unwrap_or(n);
        let (int, frac) = n.split_once('.').unwrap_or((n, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        digits(int) && digits(frac)
    })
}

/// The reverse of [`csv_cell`], for lien's own readers: a `'` put before a formula
/// character is removed.
pub fn csv_uncell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if csv_cell(rest).len() != rest.len() => rest,
        _ => cell,
    }
}

/// Writes one record, every cell through [`csv_cell`].
pub fn write_safe_record<W, I, T>(writer: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    W: std::io::Write,
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| csv_cell(c.as_ref()).into_owned())
        .collect();
    writer.write_record(&cells)
}

/// Figures whose value is text even when it looks like a number.
const TEXT_FIGURES: &[&str] = &["campaign", "week", "generated_at", "previous_week"];

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// `figure;value` lines: the campaign, the week and when, then the figures by name.
pub fn totals_csv(totals: &WeekTotals) -> Result<String, csv::Error> {
    let value =
        serde_json::to_value(totals).map_err(|e| csv::Error::from(std::io::Error::other(e)))?;
    let mut lines = Vec::new();
    flatten("", &value, &mut lines);
    // Which campaign and week first, then the figures by name.
    lines.sort_by_key(|(k, _)| {
        TEXT_FIGURES
            .iter()
            .position(|t| t == k)
            .unwrap_or(TEXT_FIGURES.len())
    });
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    writer.write_record(["figure", "value"])?;
    for (k, v) in &lines {
        write_safe_record(&mut writer, [k, v])?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
}

fn typed(figure: &str, raw: &str) -> Value {
    if raw.is_empty() {
        return Value::Null;
    }
    if TEXT_FIGURES.contains(&figure) {
        return Value::String(raw.to_string());
    }
    if let Ok(n) = raw.parse::<i64>() {
        return Value::from(n);
    }
    if let Ok(x) = raw.parse::<f64>() {
        return Value::from(x);
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(raw.to_string()),
    }
}

/// Where a flattened figure goes: maps keyed by data (territory codes may hold dots)
/// are split once, the others at every dot.
fn path(figure: &str) -> Vec<&str> {
    match figure.split_once('.') {
        Some((head, rest)) if head.starts_with("escalations_by_") => vec![head, rest],
        Some((head, rest)) if head == "calls_per_caller" => match rest.split_once('.') {
            Some((sub, band)) => vec![head, sub, band],
            None => vec![head, rest],
        },
        _ => figure.split('.').collect(),
    }
}

/// Reads a CSV written by [`totals_csv`] back into the totals.
pub fn totals_from_csv(text: &str) -> Result<WeekTotals, TotalsCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let mut root = Map::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let (Some(figure), Some(raw), 2) = (record.get(0), record.get(1), record.len()) else {
            return Err(TotalsCsvError::Shape { line: i + 2 });
        };
        let (figure, raw) = (csv_uncell(figure), csv_uncell(raw));
        let parts = path(figure);
        let mut node = &mut root;
        for part in &parts[..parts.len() - 1] {
            node = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or(TotalsCsvError::Shape { line: i + 2 })?;
        }
        node.insert(parts[parts.len() - 1].to_string(), typed(figure, raw));
    }
    Ok(serde_json::from_value(Value::Object(root))?)
}
