//! Reading a spreadsheet export: decoding, delimiter, records with their lines.
//!
//! Accepts what Excel and social-benefits software write: UTF-8 with or without BOM,
//! UTF-16 (with BOM, or without when the NUL pattern is unmistakable), Windows-1252
//! (French Excel's "CSV (séparateur: point-virgule)", also covers ISO-8859-1); `;`, `,`,
//! tab or `|` between cells; Excel's optional `sep=;` first line; quoted cells holding
//! delimiters, doubled quotes and line breaks; CRLF, LF or CR line ends; title lines
//! before the header row. Binary files (xlsx, xls, ods, pdf) and HTML/XML "Excel" exports
//! are refused with a message saying how to save a CSV.

use std::collections::HashMap;

use super::{stream, FileWarning, ImportError};
use crate::domain::trim_cell;

/// A decoded file split into records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// "UTF-8", "UTF-8 (BOM)", "UTF-16LE", "UTF-16BE" or "windows-1252".
    pub encoding: String,
    pub delimiter: char,
    /// Header cells, trimmed, inner line breaks and runs of spaces made one space;
    /// trailing empty header cells dropped.
    pub headers: Vec<String>,
    /// Data records: the file line where each starts (the first line of the file is
    /// line 1, whatever comes before the header) and its cells as written (not
    /// trimmed), trailing empty cells dropped. Blank records are not kept.
    pub records: Vec<(u64, Vec<String>)>,
    /// Line of the header row: 1, or 2 after Excel's `sep=;` line, or later when title
    /// lines come first.
    pub header_line: u64,
    /// What the reader did that the coordinator should know (title lines skipped).
    pub warnings: Vec<FileWarning>,
}

/// Candidate delimiters, in order of preference on a tie.
const DELIMITERS: [char; 4] = [';', ',', '\t', '|'];

/// Records looked at to choose the delimiter and find the header row.
const SNIFF_RECORDS: usize = 20;

/// Decodes `bytes`, finds the delimiter and the header row, and splits the records.
///
/// The same reader as a file of any size goes through ([`super::stream`]), with every
/// record collected.
pub fn read_table(bytes: &[u8]) -> Result<Table, ImportError> {
    let mut source = std::io::Cursor::new(bytes);
    let layout = stream::open(&mut source, 0)?;
    let mut table = layout.table.clone();
    stream::for_each_chunk(&mut source, &layout, |records| {
        table.records.extend(records);
        Ok::<(), ImportError>(())
    })?;
    Ok(table)
}

/// The error of a quoted cell never closed, opened at `line`.
pub(super) fn unclosed_quote_error(line: u64) -> ImportError {
    ImportError::Csv(format!(
        "à la ligne {line}, une cellule commence par un guillemet (\") qui n'est jamais refermé, si bien que toute la suite du fichier serait lue comme une seule cellule. Ouvrez le fichier dans le Bloc-notes, puis refermez ce guillemet ou retirez-le"
    ))
}

/// The delimiter: declared by Excel's `sep=` line, else sniffed from the first records.
pub(super) fn choose_delimiter(head: &str) -> char {
    declared_delimiter(head).unwrap_or_else(|| sniff_delimiter(head))
}

/// The table without its data records, from the head of the text: the header row
/// (after Excel's `sep=` line and title lines), its line, and the warnings.
pub(super) fn head_table(
    head: &str,
    encoding: &str,
    delimiter: char,
) -> Result<Table, ImportError> {
    let mut records = split_records(head, delimiter)?;
    if declared_delimiter(head).is_some() {
        records.retain(|(line, _)| *line != 1);
    }
    let header_index = header_index(&records);
    let mut records = records.into_iter();
    let skipped: Vec<(u64, Vec<String>)> = records.by_ref().take(header_index).collect();
    let (header_line, mut headers) = records.next().ok_or(ImportError::Empty)?;
    let warnings = title_lines_warning(&skipped, header_line)
        .into_iter()
        .collect();
    // Headers trimmed, line breaks inside them (Excel's Alt+Entrée) made spaces.
    for cell in &mut headers {
        *cell = trim_cell(cell)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    Ok(Table {
        encoding: encoding.to_owned(),
        delimiter,
        headers,
        records: Vec::new(),
        header_line,
        warnings,
    })
}

/// The warning for title lines skipped before the header row.
fn title_lines_warning(skipped: &[(u64, Vec<String>)], header_line: u64) -> Option<FileWarning> {
    let (first, last) = (skipped.first()?, skipped.last()?);
    let sample: String = skipped
        .iter()
        .flat_map(|(_, cells)| cells.iter())
        .map(|c| trim_cell(c))
        .find(|c| !c.is_empty())
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect();
    let message = if first.0 == last.0 {
        format!(
            "La ligne {} (« {sample} ») précède la ligne des en-têtes (ligne {header_line}) : elle a été ignorée.",
            first.0
        )
    } else {
        format!(
            "Les lignes {} à {} (« {sample} »…) précèdent la ligne des en-têtes (ligne {header_line}) : elles ont été ignorées.",
            first.0, last.0
        )
    };
    Some(FileWarning {
        code: "lines_before_header_skipped".to_owned(),
        message,
    })
}

pub(super) const BINARY: &str = "il contient des données binaires (ce n'est pas du texte)";

/// What a binary file is, from its first bytes.
pub(super) fn binary_signature(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some("c'est un classeur Excel (.xlsx) ou OpenDocument (.ods), pas un fichier CSV")
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        Some("c'est un classeur Excel ancien format (.xls), pas un fichier CSV")
    } else if bytes.starts_with(b"%PDF") {
        Some("c'est un document PDF")
    } else {
        None
    }
}

/// UTF-16 without BOM: NUL bytes on every other position of the first bytes.
pub(super) fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &bytes[..bytes.len().min(1000) & !1];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros_at = |parity: usize| {
        sample
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    if odd * 10 >= pairs * 9 && even * 10 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= pairs * 9 && odd * 10 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Refuses text that starts like a document rather than a table: HTML/XML exports, RTF.
pub(super) fn check_start(text: &str) -> Result<(), ImportError> {
    let start: String = text
        .trim_start()
        .chars()
        .take(20)
        .collect::<String>()
        .to_lowercase();
    if ["<?xml", "<html", "<!doctype", "<table"]
        .iter()
        .any(|p| start.starts_with(p))
    {
        return Err(ImportError::NotText(
            "c'est une page HTML ou XML (certains logiciels l'appellent « export Excel »)"
                .to_owned(),
        ));
    }
    if start.starts_with("{\\rtf") {
        return Err(ImportError::NotText(
            "c'est un document RTF (traitement de texte)".to_owned(),
        ));
    }
    Ok(())
}

/// The delimiter named by Excel's first line `sep=;` (also `"sep=;"`, `sep=,`, `sep=|`,
/// `sep=<tab>`).
fn declared_delimiter(text: &str) -> Option<char> {
    let first = text.split('\n').next()?;
    let first = first.trim_matches(|c: char| c == ' ' || c == '"');
    let rest = first
        .get(..4)?
        .eq_ignore_ascii_case("sep=")
        .then(|| &first[4..])?;
    let mut chars = rest.chars();
    let delimiter = chars.next()?;
    let valid = (delimiter.is_ascii_punctuation() || delimiter == '\t') && delimiter != '"';
    (valid && chars.all(|c| c == delimiter || c == '"')).then_some(delimiter)
}

/// The candidate delimiter whose most frequent field count (above one) is shared by the
/// most of the first records; on a tie, the one that splits the first record, then the
/// first in [`DELIMITERS`]; `;` when nothing splits the lines.
fn sniff_delimiter(text: &str) -> char {
    let mut best = ((0usize, false), ';');
    for delimiter in DELIMITERS {
        let mut frequency: HashMap<usize, usize> = HashMap::new();
        let mut first_splits = None;
        let mut seen = 0;
        let read = for_each_record(text, delimiter, |_, record| {
            first_splits.get_or_insert(record.len() > 1);
            *frequency.entry(record.len()).or_default() += 1;
            seen += 1;
            seen < SNIFF_RECORDS
        });
        if read.is_err() {
            continue;
        }
        let most = frequency
            .iter()
            .filter(|(&fields, _)| fields > 1)
            .map(|(_, &n)| n)
            .max()
            .unwrap_or(0);
        let score = (most, first_splits.unwrap_or(false));
        if most > 0 && score > best.0 {
            best = (score, delimiter);
        }
    }
    best.1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    StartField,
    InField,
    InQuotes,
    QuoteInQuotes,
}

/// The csv reader's quoting, followed over text that comes piece by piece: where
/// records end (a line break outside quotes), and a quoted cell opened and never closed.
#[derive(Debug, Clone)]
pub(super) struct QuoteScan {
    delimiter: char,
    state: QuoteState,
    line: u64,
    /// Line of the last opening quote, and whether text follows a line break after it.
    opened_line: u64,
    break_after_open: bool,
    text_after_break: bool,
    /// Bytes of the current buffer scanned, and the end of its last whole record.
    scanned: usize,
    boundary: usize,
}

impl QuoteScan {
    pub(super) fn new(delimiter: char) -> Self {
        Self {
            delimiter,
            state: QuoteState::StartField,
            line: 1,
            opened_line: 0,
            break_after_open: false,
            text_after_break: false,
            scanned: 0,
            boundary: 0,
        }
    }

    /// Scans what `buf` holds past what was scanned before. The delimiter, the quote
    /// and the line break are ASCII: bytes are enough, except to tell whether a
    /// non-ASCII character after an open quote's line break is a space.
    pub(super) fn feed(&mut self, buf: &str) {
        use QuoteState::*;
        let bytes = buf.as_bytes();
        let delimiter = u8::try_from(self.delimiter).unwrap_or(b';');
        for at in self.scanned..bytes.len() {
            let b = bytes[at];
            if self.state == InQuotes && self.break_after_open && !self.text_after_break {
                self.text_after_break = match b {
                    b'\n' => false,
                    0..=0x7f => !b.is_ascii_whitespace() && b != 0x0b,
                    0xc0.. => buf[at..].chars().next().is_some_and(|c| !c.is_whitespace()),
                    _ => false,
                };
            }
            if self.state == InQuotes && b == b'\n' {
                self.break_after_open = true;
            }
            self.state = match self.state {
                StartField if b == b'"' => {
                    self.opened_line = self.line;
                    self.break_after_open = false;
                    self.text_after_break = false;
                    InQuotes
                }
                StartField | InField | QuoteInQuotes if b == delimiter || b == b'\n' => StartField,
                QuoteInQuotes if b == b'"' => InQuotes,
                StartField | InField | QuoteInQuotes => InField,
                InQuotes if b == b'"' => QuoteInQuotes,
                InQuotes => InQuotes,
            };
            if b == b'\n' {
                self.line += 1;
                if self.state == StartField {
                    self.boundary = at + 1;
                }
            }
        }
        self.scanned = buf.len();
    }

    /// The end of the last whole record of the buffer (0: none yet).
    pub(super) fn boundary(&self) -> usize {
        self.boundary
    }

    /// The buffer lost its first `cut` bytes.
    pub(super) fn rebase(&mut self, cut: usize) {
        self.scanned -= cut;
        self.boundary = self.boundary.saturating_sub(cut);
    }

    /// Line where a quoted cell opens and is never closed, when text follows it on
    /// later lines.
    pub(super) fn unclosed_line(&self) -> Option<u64> {
        (self.state == QuoteState::InQuotes && self.text_after_break).then_some(self.opened_line)
    }
}

/// The header row: the first record with two non-empty cells and no number-like cell,
/// when one comes within the first records (the lines before it are titles); else the
/// first record.
fn header_index(records: &[(u64, Vec<String>)]) -> usize {
    let looks_like_header = |cells: &[String]| {
        let filled: Vec<&str> = cells
            .iter()
            .map(|c| trim_cell(c))
            .filter(|c| !c.is_empty())
            .collect();
        filled.len() >= 2
            && filled.iter().all(|c| {
                let digits = c.chars().filter(char::is_ascii_digit).count();
                digits * 2 <= c.chars().count()
            })
    };
    records
        .iter()
        .take(SNIFF_RECORDS)
        .position(|(_, cells)| looks_like_header(cells))
        .unwrap_or(0)
}

/// Calls `visit` with each record that has a non-blank cell and the line where the
/// record starts, until `visit` returns false.
fn for_each_record(
    text: &str,
    delimiter: char,
    mut visit: impl FnMut(u64, &csv::StringRecord) -> bool,
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(u8::try_from(delimiter).unwrap_or(b';'))
        .from_reader(text.as_bytes());
    let bytes = text.as_bytes();
    let mut record = csv::StringRecord::new();
    loop {
        // The reader stands after the previous record's line break: blank lines, which
        // the csv crate skips, may come before this record.
        let start = reader.position().clone();
        let more = reader
            .read_record(&mut record)
            .map_err(|e| ImportError::Csv(format!("erreur de lecture ({e})")))?;
        if !more {
            return Ok(());
        }
        if record.iter().all(|c| trim_cell(c).is_empty()) {
            continue;
        }
        let blank_lines = bytes
            .get(usize::try_from(start.byte()).unwrap_or(usize::MAX)..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\n')
            .count();
        if !visit(start.line() + blank_lines as u64, &record) {
            return Ok(());
        }
    }
}

/// Calls `visit` with each non-blank record of a chunk of text that starts on line
/// `first_line` of the file, and its line.
pub(super) fn visit_chunk(
    text: &str,
    delimiter: char,
    first_line: u64,
    mut visit: impl FnMut(u64, &csv::StringRecord),
) -> Result<(), ImportError> {
    for_each_record(text, delimiter, |line, record| {
        visit(line + first_line - 1, record);
        true
    })
}

/// The records of a chunk of text that starts on line `first_line` of the file.
pub(super) fn split_chunk(
    text: &str,
    delimiter: char,
    first_line: u64,
) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    split_kept(text, delimiter, first_line, |record, len| {
        record.iter().take(len).map(str::to_owned).collect()
    })
}

/// [`split_chunk`], each record kept as the csv reader holds it (its cells in one
/// buffer).
pub(super) fn split_chunk_records(
    text: &str,
    delimiter: char,
    first_line: u64,
) -> Result<Vec<(u64, csv::StringRecord)>, ImportError> {
    split_kept(text, delimiter, first_line, |record, len| {
        let mut kept = record.clone();
        kept.truncate(len);
        kept
    })
}

/// Non-blank records with the line where each starts; trailing empty cells dropped.
fn split_records(text: &str, delimiter: char) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
    split_chunk(text, delimiter, 1)
}

/// Each non-blank record of a chunk starting on line `first_line`, with its line, as
/// `keep` keeps its first `len` cells (those before its trailing empty ones).
fn split_kept<R>(
    text: &str,
    delimiter: char,
    first_line: u64,
    keep: impl Fn(&csv::StringRecord, usize) -> R,
) -> Result<Vec<(u64, R)>, ImportError> {
    let mut out = Vec::new();
    for_each_record(text, delimiter, |line, record| {
        let blank = record.iter().rev().take_while(|c| trim_cell(c).is_empty());
        let len = record.len() - blank.count();
        out.push((line + first_line - 1, keep(record, len)));
        true
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(bytes: &[u8]) -> Table {
        match read_table(bytes) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn lines(t: &Table) -> Vec<u64> {
        t.records.iter().map(|(l, _)| *l).collect()
    }

    fn cells(t: &Table, i: usize) -> Vec<&str> {
        t.records[i].1.iter().map(String::as_str).collect()
    }

    #[test]
    fn utf8_semicolon_lf() {
        let t = table("Nom;Prénom\nDupont;Jean\nMartin;Lucie\n".as_bytes());
        assert_eq!(t.encoding, "UTF-8");
        assert_eq!(t.delimiter, ';');
        assert_eq!(t.headers, ["Nom", "Prénom"]);
        assert_eq!(t.header_line, 1);
        assert_eq!(lines(&t), [2, 3]);
        assert_eq!(cells(&t, 1), ["Martin", "Lucie"]);
    }

    #[test]
    fn windows_1252_with_accents_and_crlf() {
        let t = table(
            b"Nom;Pr\xe9nom;T\xe9l\xe9phone\r\nL\xe9v\xeaque;H\xe9l\xe8ne;06 39 98 00 01\r\n",
        );
        assert_eq!(t.encoding, "windows-1252");
        assert_eq!(t.headers, ["Nom", "Prénom", "Téléphone"]);
        assert_eq!(cells(&t, 0), ["Lévêque", "Hélène", "06 39 98 00 01"]);
        // 0x9C is "œ" in Windows-1252 (not in ISO-8859-1).
        let t = table(b"Nom;Contact\r\nA;C\x9cur\r\n");
        assert_eq!(cells(&t, 0), ["A", "Cœur"]);
    }

    #[test]
    fn utf8_bom() {
        let t = table("\u{feff}Code;Nom\nA;B\n".as_bytes());
        assert_eq!(t.encoding, "UTF-8 (BOM)");
        assert_eq!(t.headers, ["Code", "Nom"]);
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian { b"\xFE\xFF" } else { b"\xFF\xFE" });
        }
        for unit in text.encode_utf16() {
            let b = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            out.extend_from_slice(&b);
        }
        out
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "Nom\tPrénom\r\nÉluard\tPaul\r\n";
        for (big, bom, name) in [
            (false, true, "UTF-16LE"),
            (true, true, "UTF-16BE"),
            (false, false, "UTF-16LE"),
            (true, false, "UTF-16BE"),
        ] {
            let t = table(&utf16(text, big, bom));
            assert_eq!(t.encoding, name);
            assert_eq!(t.delimiter, '\t');
            assert_eq!(t.headers, ["Nom", "Prénom"]);
            assert_eq!(cells(&t, 0), ["Éluard", "Paul"]);
        }
    }

    #[test]
    fn delimiters_are_sniffed() {
        for d in [";", ",", "\t", "|"] {
            let text = format!("Nom{d}Prénom{d}Téléphone\nDupont{d}Jean{d}0639980001\nMartin{d}Lucie{d}0639980002\n");
            assert_eq!(table(text.as_bytes()).delimiter.to_string(), d);
        }
        // Commas inside cells of a semicolon file, semicolons inside quoted cells of a
        // comma file.
        let t = table(b"Nom;Adresse\nDupont;12, rue Haute\nMartin;3, place Verte, bat. B\n");
        assert_eq!(t.delimiter, ';');
        let t = table(b"Nom,Adresse\nDupont,\"12; rue Haute\"\nMartin,\"3; place; Verte\"\n");
        assert_eq!(t.delimiter, ',');
        assert_eq!(cells(&t, 1), ["Martin", "3; place; Verte"]);
        // A tie prefers ';'.
        assert_eq!(table(b"a;b,c\nd;e,f\n").delimiter, ';');
        // One column: ';' by default.
        let t = table(b"Telephone\n0639980001\n");
        assert_eq!(t.delimiter, ';');
        assert_eq!(t.headers, ["Telephone"]);
    }

    #[test]
    fn quoted_cells_and_line_numbers() {
        let text = "Nom;Adresse;Note\n\
                    Dupont;\"12 rue Haute\nBâtiment B\n3e étage\";\"dit \"\"Jojo\"\"; gentil\"\n\
                    Martin;\"1; place Verte\";ok\n\
                    \n\
                    Durand;\"a\nb\";c\n\
                    Petit;x;y\n";
        let t = table(text.as_bytes());
        assert_eq!(lines(&t), [2, 5, 7, 9]);
        assert_eq!(
            cells(&t, 0),
            [
                "Dupont",
                "12 rue Haute\nBâtiment B\n3e étage",
                "dit \"Jojo\"; gentil"
            ]
        );
        assert_eq!(cells(&t, 1), ["Martin", "1; place Verte", "ok"]);
        assert_eq!(cells(&t, 3), ["Petit", "x", "y"]);
        // Same with CRLF and CR line ends.
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(lines(&table(crlf.as_bytes())), [2, 5, 7, 9]);
        let cr = text.replace('\n', "\r");
        assert_eq!(lines(&table(cr.as_bytes())), [2, 5, 7, 9]);
    }

    #[test]
    fn sep_line_is_honoured_and_counted() {
        let t = table(b"sep=,\r\nNom,Prenom\r\nDupont,Jean\r\n");
        assert_eq!(t.delimiter, ',');
        assert_eq!(t.header_line, 2);
        assert_eq!(t.headers, ["Nom", "Prenom"]);
        assert_eq!(lines(&t), [3]);
        assert!(t.warnings.is_empty());
        let t = table(b"\"sep=;\"\nNom;Prenom\nDupont;Jean\n");
        assert_eq!(t.delimiter, ';');
        assert_eq!(lines(&t), [3]);
        let t = table(b"SEP=|\nNom|Prenom\n\nDupont|Jean\n");
        assert_eq!(t.delimiter, '|');
        assert_eq!(lines(&t), [4]);
    }

    #[test]
    fn blank_lines_and_empty_cells() {
        let t = table(b"\n\nNom;Prenom;;;\n;;;\n\nDupont;Jean;;\n   ;  \nMartin;;;\n;;\n");
        assert_eq!(t.header_line, 3);
        assert_eq!(t.headers, ["Nom", "Prenom"]);
        assert_eq!(lines(&t), [6, 8]);
        assert_eq!(cells(&t, 0), ["Dupont", "Jean"]);
        assert_eq!(cells(&t, 1), ["Martin"]);
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn header_cells_are_trimmed_and_cells_kept_as_written() {
        let t = table(" Nom \u{a0};\tPrénom ;\"Tél.\nfixe\"\nDupont ; Jean;06\n".as_bytes());
        assert_eq!(t.headers, ["Nom", "Prénom", "Tél. fixe"]);
        assert_eq!(cells(&t, 0), ["Dupont ", " Jean", "06"]);
    }

    #[test]
    fn title_lines_before_the_header_are_skipped() {
        let t = table("Liste des bénéficiaires;;;\nExport du 01/03/2025;;;\n;;;\nNom;Prénom;Téléphone\nDupont;Jean;0639980001\n".as_bytes());
        assert_eq!(t.header_line, 4);
        assert_eq!(t.headers, ["Nom", "Prénom", "Téléphone"]);
        assert_eq!(lines(&t), [5]);
        assert_eq!(t.warnings.len(), 1);
        assert_eq!(t.warnings[0].code, "lines_before_header_skipped");
        assert!(t.warnings[0].message.contains("Les lignes 1 à 2"));
        // A one-column file keeps its first line as header, even when a data row has
        // a second cell.
        let t = table(b"N dossier\n80-1\n80-2\n");
        assert_eq!(t.headers, ["N dossier"]);
        assert_eq!(lines(&t), [2, 3]);
        let t = table(b"Telephone\n0639981234\n0639981235;Mme Martin\n");
        assert_eq!(t.headers, ["Telephone"]);
        assert_eq!(lines(&t), [2, 3]);
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(read_table(b""), Err(ImportError::Empty));
        assert_eq!(read_table(b" \r\n\r\n"), Err(ImportError::Empty));
        assert_eq!(read_table(b"\xEF\xBB\xBF"), Err(ImportError::Empty));
        assert_eq!(read_table(b";;;\n;;\n"), Err(ImportError::Empty));
        assert_eq!(read_table(b"Nom;Prenom\r\n"), Err(ImportError::NoData));
        assert_eq!(
            read_table(b"Nom;Prenom\r\n;;\r\n\r\n"),
            Err(ImportError::NoData)
        );
        let not_text = |bytes: &[u8]| match read_table(bytes) {
            Err(e @ ImportError::NotText(_)) => e.message_fr(),
            other => panic!("{other:?}"),
        };
        let xlsx = not_text(b"PK\x03\x04\x14\x00\x06\x00rest of the zip");
        assert!(xlsx.contains("xlsx"), "{xlsx}");
        assert!(xlsx.contains("Enregistrer sous"), "{xlsx}");
        assert!(xlsx.contains("CSV (séparateur: point-virgule)"), "{xlsx}");
        not_text(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
        not_text(b"%PDF-1.7\n");
        not_text(b"Nom;Pr\x00nom\x00\x01\x02\x03\x04\x05\x06\x07");
        not_text(b"<html><table><tr><td>Nom</td></tr></table></html>");
        not_text(b"<?xml version=\"1.0\"?><Workbook/>");
        match read_table(b"Nom;Adresse\nDupont;\"12 rue\nMartin;1 place\nPetit;2 rue\n") {
            Err(ImportError::Csv(detail)) => assert!(detail.contains("ligne 2"), "{detail}"),
            other => panic!("{other:?}"),
        }
        // An unclosed quote on the last line is harmless.
        let t = table(b"Nom;Adresse\nDupont;\"12 rue\n");
        assert_eq!(cells(&t, 0), ["Dupont", "12 rue\n"]);
    }

    #[test]
    fn dos_end_of_file_marker_is_ignored() {
        let t = table(b"Nom;Prenom\r\nDupont;Jean\r\n\x1a");
        assert_eq!(lines(&t), [2]);
    }
}
