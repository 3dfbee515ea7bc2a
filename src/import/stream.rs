//! Reading a file of any size in bounded memory: the records [`super::read::read_table`]
//! gives, handed over chunk by chunk.
//!
//! Three passes over the source, none holding the whole file:
//!
//! 1. the raw bytes: SHA-256, the encoding (BOM, NUL pattern, UTF-8 validity of the
//!    whole file, else Windows-1252), binary signatures;
//! 2. the head (first mebibyte, decoded): the delimiter and the header row, exactly as
//!    `read_table` chooses them;
//! 3. the whole decoded text, cut into chunks that end on a record boundary (a line
//!    break outside quotes): the checks `read_table` makes on the whole text (control
//!    characters, unclosed quote, empty file), then the records, with the line where
//!    each starts, to whoever reads them.
//!
//! Each chunk is split by the same function as `read_table`'s, so the records, their
//! cells and their lines are the same, whatever the chunk size.

use std::io::{self, Read, Seek, SeekFrom};

use encoding_rs::{Decoder, Encoding};
use sha2::{Digest, Sha256};

use super::read::{self, Table};
use super::ImportError;

/// Bytes read at a time.
const READ_BUF: usize = 1 << 20;
/// Decoded text looked at to choose the delimiter and find the header row.
const HEAD: usize = 1 << 20;
/// Decoded text per chunk handed over (a chunk ends on a record boundary).
pub const CHUNK: usize = 1 << 20;

/// A readable, rewindable source: a file, or bytes in memory (`io::Cursor`).
pub trait Source: Read + Seek {}
impl<T: Read + Seek> Source for T {}

/// What the first pass over the bytes found.
#[derive(Debug, Clone)]
pub struct Survey {
    pub sha256: String,
    /// The encoding to decode with, its name in reports, and the BOM bytes to skip.
    encoding: &'static Encoding,
    pub encoding_name: &'static str,
    skip: u64,
}

/// The file as the reader sees it, before its data records are parsed.
#[derive(Debug, Clone)]
pub struct Layout {
    pub survey: Survey,
    /// The table `read_table` would give, without its records: encoding, delimiter,
    /// headers, header line, warnings.
    pub table: Table,
    /// What the data records hold, counted over the whole file.
    pub stats: RecordStats,
    /// Where the first reading cut the decoded text into chunks (each chunk's length in
    /// bytes, in order): the later readings cut it at the same places without looking
    /// for record boundaries again.
    cuts: Vec<usize>,
}

/// Facts about the data records that parsing needs before the first row.
#[derive(Debug, Clone, Default)]
pub struct RecordStats {
    /// Data records (blank ones not counted).
    pub records: usize,
    /// Records with more cells than the header row.
    pub overflowing: usize,
    /// The most cells in a record.
    pub widest: usize,
    /// Columns where some record has a non-blank cell.
    pub has_values: Vec<bool>,
    /// The first records, for the preview.
    pub preview: Vec<(u64, Vec<String>)>,
}

impl RecordStats {
    /// Counts one record as read by the csv reader (trailing blank cells are not cells).
    fn add_record(&mut self, line: u64, record: &csv::StringRecord, width: usize, preview: usize) {
        let trimmed = |c: &str| crate::domain::trim_cell(c).is_empty();
        let len = record.len() - record.iter().rev().take_while(|c| trimmed(c)).count();
        self.records += 1;
        self.overflowing += usize::from(len > width);
        self.widest = self.widest.max(len);
        if self.has_values.len() < len {
            self.has_values.resize(len, false);
        }
        for (seen, cell) in self.has_values.iter_mut().zip(record.iter()) {
            *seen = *seen || !super::rows::cell_is_blank(cell);
        }
        if self.preview.len() < preview {
            let cells = record.iter().take(len).map(str::to_owned).collect();
            self.preview.push((line, cells));
        }
    }

    pub(crate) fn add(&mut self, records: &[(u64, Vec<String>)], width: usize, preview: usize) {
        for (line, cells) in records {
            self.records += 1;
            self.overflowing += usize::from(cells.len() > width);
            self.widest = self.widest.max(cells.len());
            if self.has_values.len() < cells.len() {
                self.has_values.resize(cells.len(), false);
            }
            for (seen, cell) in self.has_values.iter_mut().zip(cells) {
                *seen = *seen || !super::rows::cell_is_blank(cell);
            }
            if self.preview.len() < preview {
                self.preview.push((*line, cells.clone()));
            }
        }
    }
}

/// Reads the bytes once: digest and encoding, or why the file is not text.
pub fn survey(source: &mut impl Source) -> Result<Survey, ImportError> {
    source.seek(SeekFrom::Start(0)).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(1000);
    let mut has_nul = false;
    let mut utf8 = Utf8Check::default();
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = read_some(source, &mut buf)?;
        if n == 0 {
            break;
        }
        let bytes = &buf[..n];
        hasher.update(bytes);
        if head.len() < 1000 {
            let take = (1000 - head.len()).min(n);
            head.extend_from_slice(&bytes[..take]);
        }
        has_nul |= memchr(0, bytes);
        utf8.feed(bytes);
    }
    let sha256 = hex::encode(hasher.finalize());
    let (encoding, encoding_name, skip) = choose_encoding(&head, has_nul, utf8.finish())?;
    Ok(Survey {
        sha256,
        encoding,
        encoding_name,
        skip,
    })
}

/// Control characters of `text` other than tab, line breaks and form feed: C0 bytes,
/// DEL, and C1 controls (U+0080 to U+009F, `C2 80`…`C2 9F` in UTF-8).
fn controls(text: &str) -> usize {
    let bytes = text.as_bytes();
    // Two passes the compiler vectorises (a byte is never both).
    let c0 = bytes
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
        .count();
    let c1 = bytes
        .windows(2)
        .filter(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
        .count();
    c0 + c1
}

fn memchr(needle: u8, bytes: &[u8]) -> bool {
    bytes.contains(&needle)
}

/// The encoding `read::decode` picks, from the first bytes and what the whole file is.
fn choose_encoding(
    head: &[u8],
    has_nul: bool,
    valid_utf8: bool,
) -> Result<(&'static Encoding, &'static str, u64), ImportError> {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return Ok((encoding_rs::UTF_8, "UTF-8 (BOM)", 3));
    }
    if head.starts_with(b"\xFF\xFE") {
        return Ok((encoding_rs::UTF_16LE, "UTF-16LE", 2));
    }
    if head.starts_with(b"\xFE\xFF") {
        return Ok((encoding_rs::UTF_16BE, "UTF-16BE", 2));
    }
    if let Some(what) = read::binary_signature(head) {
        return Err(ImportError::NotText(what.to_owned()));
    }
    if has_nul {
        return match read::utf16_without_bom(head) {
            Some(e) if e == encoding_rs::UTF_16LE => Ok((e, "UTF-16LE", 0)),
            Some(e) => Ok((e, "UTF-16BE", 0)),
            None => Err(ImportError::NotText(read::BINARY.to_owned())),
        };
    }
    if valid_utf8 {
        Ok((encoding_rs::UTF_8, "UTF-8", 0))
    } else {
        Ok((encoding_rs::WINDOWS_1252, "windows-1252", 0))
    }
}

/// Streaming UTF-8 validation: a sequence cut by a buffer's end is kept for the next.
#[derive(Default)]
struct Utf8Check {
    carry: Vec<u8>,
    invalid: bool,
}

impl Utf8Check {
    fn feed(&mut self, bytes: &[u8]) {
        if self.invalid {
            return;
        }
        let mut joined;
        let data = if self.carry.is_empty() {
            bytes
        } else {
            joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(bytes);
            &joined[..]
        };
        match std::str::from_utf8(data) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                self.carry = data[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.invalid = true,
        }
    }

    fn finish(self) -> bool {
        !self.invalid && self.carry.is_empty()
    }
}

fn read_some(source: &mut impl Read, buf: &mut [u8]) -> Result<usize, ImportError> {
    loop {
        match source.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        }
    }
}

fn io_error(e: io::Error) -> ImportError {
    ImportError::Csv(format!("lecture du fichier impossible ({e})"))
}

/// Decoded text of the source, piece by piece, as `read_table` sees it: the leading
/// U+FEFF and trailing U+001A removed, line breaks made `\n`.
struct Text<'s, S: Source> {
    source: &'s mut S,
    decoder: Decoder,
    buf: Vec<u8>,
    done: bool,
    at_start: bool,
    /// A `\r` at the end of the last piece (is a `\n` next?).
    pending_cr: bool,
    /// U+001A characters at the end of the last piece, kept until text follows them.
    pending_subs: usize,
    /// Whether to count `chars` and `controls` (the first reading only).
    counting: bool,
    /// Characters of the text, and control characters among them, counted as
    /// `read::checked_text` counts them (before line breaks are normalised).
    chars: usize,
    controls: usize,
}

impl<'s, S: Source> Text<'s, S> {
    fn new(source: &'s mut S, survey: &Survey) -> Result<Self, ImportError> {
        source
            .seek(SeekFrom::Start(survey.skip))
            .map_err(io_error)?;
        Ok(Self {
            source,
            decoder: survey.encoding.new_decoder_without_bom_handling(),
            buf: vec![0u8; READ_BUF],
            done: false,
            at_start: true,
            pending_cr: false,
            pending_subs: 0,
            counting: true,
            chars: 0,
            controls: 0,
        })
    }

    /// The next piece of normalised text, appended to `out`; false at the end.
    fn next_into(&mut self, out: &mut String) -> Result<bool, ImportError> {
        if self.done {
            return Ok(false);
        }
        let n = read_some(self.source, &mut self.buf)?;
        let last = n == 0;
        let mut decoded =
            String::with_capacity(self.decoder.max_utf8_buffer_length(n).unwrap_or(n * 3 + 16));
        let (_, _, _) = self
            .decoder
            .decode_to_string(&self.buf[..n], &mut decoded, last);
        self.push(&decoded, out, last);
        if last {
            self.done = true;
        }
        Ok(true)
    }

    fn push(&mut self, decoded: &str, out: &mut String, last: bool) {
        let mut text = decoded;
        if self.at_start {
            text = text.trim_start_matches('\u{feff}');
            if !text.is_empty() {
                self.at_start = false;
            }
        }
        // Trailing U+001A: held back until something follows, dropped at the end.
        let body = text.trim_end_matches('\u{1a}');
        let subs = text[body.len()..].chars().count();
        if !body.is_empty() {
            for _ in 0..self.pending_subs {
                self.count('\u{1a}');
                self.emit('\u{1a}', out);
            }
            self.pending_subs = 0;
            if self.counting {
                self.chars += body.chars().count();
                self.controls += controls(body);
            }
            if self.pending_cr || body.contains('\r') {
                for c in body.chars() {
                    self.emit(c, out);
                }
            } else {
                out.push_str(body);
            }
        }
        self.pending_subs += subs;
        if last && self.pending_cr {
            out.push('\n');
            self.pending_cr = false;
        }
    }

    fn count(&mut self, c: char) {
        self.chars += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}') {
            self.controls += 1;
        }
    }

    fn emit(&mut self, c: char, out: &mut String) {
        if self.pending_cr {
            self.pending_cr = false;
            out.push('\n');
            if c == '\n' {
                return;
            }
        }
        if c == '\r' {
            self.pending_cr = true;
        } else {
            out.push(c);
        }
    }
}

/// Opens a source: reads it through once to check it and count its records; the
/// errors are `read_table`'s, in its order.
pub fn open(source: &mut impl Source, preview: usize) -> Result<Layout, ImportError> {
    open_in_chunks(source, preview, CHUNK)
}

/// [`open`], the text cut into chunks of about `chunk` bytes.
fn open_in_chunks(
    source: &mut impl Source,
    preview: usize,
    chunk: usize,
) -> Result<Layout, ImportError> {
    let survey = survey(source)?;
    let head = read_head(source, &survey)?;
    read::check_start(&head)?;
    let delimiter = read::choose_delimiter(&head);
    let head_table = read::head_table(&head, survey.encoding_name, delimiter);
    let (header_line, width) = match &head_table {
        Ok(t) => (t.header_line, t.headers.len()),
        Err(_) => (u64::MAX, 0),
    };
    let mut stats = RecordStats::default();
    let mut checks = Checks::default();
    let walk = Walk {
        survey: &survey,
        delimiter,
        header_line,
        chunk,
        cuts: None,
    };
    walk.run(source, Some(&mut checks), |chunk, line| {
        read::visit_chunk(chunk, delimiter, line, |line, record| {
            if line > header_line {
                stats.add_record(line, record, width, preview);
            }
        })
    })?;
    checks.verdict()?;
    let table = head_table?;
    if stats.records == 0 {
        return Err(ImportError::NoData);
    }
    Ok(Layout {
        survey,
        table,
        stats,
        cuts: checks.cuts,
    })
}

/// The first mebibyte or so of decoded text, in whole lines (or the whole text).
fn read_head(source: &mut impl Source, survey: &Survey) -> Result<String, ImportError> {
    let mut text = Text::new(source, survey)?;
    let mut head = String::new();
    while head.len() < HEAD && text.next_into(&mut head)? {}
    let complete = text.done && !text.pending_cr && text.pending_subs == 0;
    if !complete {
        if let Some(at) = head.rfind('\n') {
            head.truncate(at + 1);
        }
    }
    Ok(head)
}

/// The whole-text facts `read_table` checks before it splits records.
#[derive(Debug, Default)]
struct Checks {
    chars: usize,
    controls: usize,
    any_text: bool,
    unclosed: Option<u64>,
    /// Each chunk's length, in order.
    cuts: Vec<usize>,
}

impl Checks {
    /// Not a table (control characters), empty, a quote never closed: in that order.
    fn verdict(&self) -> Result<(), ImportError> {
        if self.controls > 0 && self.controls * 100 >= self.chars {
            return Err(ImportError::NotText(read::BINARY.to_owned()));
        }
        if !self.any_text {
            return Err(ImportError::Empty);
        }
        if let Some(line) = self.unclosed {
            return Err(read::unclosed_quote_error(line));
        }
        Ok(())
    }
}

/// Calls `visit` with each chunk of data records (line, cells as written), in file
/// order. A chunk is about [`CHUNK`] bytes of text; `visit` may stop the reading with
/// an error of its own.
pub fn for_each_chunk<S: Source, E: From<ImportError>>(
    source: &mut S,
    layout: &Layout,
    visit: impl FnMut(Vec<(u64, Vec<String>)>) -> Result<(), E>,
) -> Result<(), E> {
    Walk::again(layout).records(source, read::split_chunk, visit)
}

/// [`for_each_chunk`], each record kept as the csv reader holds it (its cells in one
/// buffer): a large beneficiary list's.
pub fn for_each_record_chunk<S: Source, E: From<ImportError>>(
    source: &mut S,
    layout: &Layout,
    visit: impl FnMut(Vec<(u64, csv::StringRecord)>) -> Result<(), E>,
) -> Result<(), E> {
    Walk::again(layout).records(source, read::split_chunk_records, visit)
}

/// Splits a chunk of text starting on a given line into its records, each with its
/// line, each kept as an `R` (`read::split_chunk`, `read::split_chunk_records`).
type Split<R> = fn(&str, char, u64) -> Result<Vec<(u64, R)>, ImportError>;

/// How to cut the text: its encoding, delimiter, header line, and the chunk size; or
/// where an earlier reading cut it.
struct Walk<'a> {
    survey: &'a Survey,
    delimiter: char,
    header_line: u64,
    chunk: usize,
    cuts: Option<&'a [usize]>,
}

impl<'a> Walk<'a> {
    /// A reading of `layout`'s file after the first: cut where the first one cut it.
    fn again(layout: &'a Layout) -> Self {
        Walk {
            survey: &layout.survey,
            delimiter: layout.table.delimiter,
            header_line: layout.table.header_line,
            chunk: CHUNK,
            cuts: Some(&layout.cuts),
        }
    }

    /// Hands over the data records of each chunk, as `read_table` splits them (`split`
    /// keeps each record as it holds it).
    fn records<R, S: Source, E: From<ImportError>>(
        &self,
        source: &mut S,
        split: Split<R>,
        mut visit: impl FnMut(Vec<(u64, R)>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.run(source, None, |chunk, line| {
            let mut records = split(chunk, self.delimiter, line)?;
            records.retain(|(l, _)| *l > self.header_line);
            if records.is_empty() {
                Ok(())
            } else {
                visit(records)
            }
        })
    }

    /// Splits the decoded text into chunks of records that end on a record boundary, and
    /// hands each over with the line it starts on. The first reading (with `checks`)
    /// looks for the boundaries, counts what the checks need and notes where it cut;
    /// a later one cuts where [`Walk::cuts`] says, when given.
    fn run<S: Source, E: From<ImportError>>(
        &self,
        source: &mut S,
        mut checks: Option<&mut Checks>,
        mut on_text: impl FnMut(&str, u64) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut text = Text::new(source, self.survey)?;
        text.counting = checks.is_some();
        let mut scan = read::QuoteScan::new(self.delimiter);
        let mut cuts = self.cuts.map(|c| c.iter().copied().peekable());
        let mut buf = String::new();
        let mut line = 1u64;
        let mut any_text = false;
        loop {
            let before = buf.len();
            let more = text.next_into(&mut buf)?;
            if checks.is_some() {
                any_text = any_text || buf[before..].chars().any(|c| !c.is_whitespace());
            }
            if cuts.is_none() {
                scan.feed(&buf);
            }
            loop {
                let cut = match &mut cuts {
                    _ if !more => buf.len(),
                    Some(cuts) => match cuts.peek() {
                        Some(&at) if at <= buf.len() => {
                            cuts.next();
                            at
                        }
                        _ => break,
                    },
                    None => match scan.boundary() {
                        at if buf.len() >= self.chunk && at > 0 => at,
                        _ => break,
                    },
                };
                let rest = buf.split_off(cut);
                let chunk = std::mem::replace(&mut buf, rest);
                if cuts.is_none() {
                    scan.rebase(cut);
                }
                if let Some(checks) = checks.as_deref_mut() {
                    checks.cuts.push(cut);
                }
                on_text(&chunk, line)?;
                line += chunk.bytes().filter(|&b| b == b'\n').count() as u64;
                if !more || cuts.is_none() {
                    break;
                }
            }
            if !more {
                break;
            }
        }
        if let Some(checks) = checks {
            checks.chars = text.chars;
            checks.controls = text.controls;
            checks.any_text = any_text;
            checks.unclosed = scan.unclosed_line();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record of `bytes`, cut in chunks of about `chunk` bytes.
    fn records(bytes: &[u8], chunk: usize) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
        let mut source = io::Cursor::new(bytes);
        let layout = open(&mut source, 0)?;
        let walk = Walk {
            survey: &layout.survey,
            delimiter: layout.table.delimiter,
            header_line: layout.table.header_line,
            chunk,
            cuts: None,
        };
        let mut out = Vec::new();
        walk.records(&mut source, read::split_chunk, |r| {
            out.extend(r);
            Ok::<(), ImportError>(())
        })?;
        Ok(out)
    }

    /// Every record of `bytes`, read again where the first reading cut it in chunks of
    /// about `chunk` bytes.
    fn replayed(bytes: &[u8], chunk: usize) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
        let mut source = io::Cursor::new(bytes);
        let layout = open_in_chunks(&mut source, 0, chunk)?;
        let mut out = Vec::new();
        for_each_chunk(&mut source, &layout, |r| {
            out.extend(r);
            Ok::<(), ImportError>(())
        })?;
        Ok(out)
    }

    /// [`replayed`], the records as the csv reader holds them.
    fn replayed_records(
        bytes: &[u8],
        chunk: usize,
    ) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
        let mut source = io::Cursor::new(bytes);
        let layout = open_in_chunks(&mut source, 0, chunk)?;
        let mut out = Vec::new();
        for_each_record_chunk(&mut source, &layout, |r| {
            out.extend(r.into_iter().map(|(line, record)| {
                (line, record.iter().map(str::to_owned).collect::<Vec<_>>())
            }));
            Ok::<(), ImportError>(())
        })?;
        Ok(out)
    }

    proptest! {
        /// The byte count of control characters is the character count.
        #[test]
        fn controls_counts_the_control_characters(text in "\\PC*|[\\x00-\\x20\\x7f-\\u{a0}a\\u{c2}]*") {
            let by_char = text
                .chars()
                .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
                .count();
            prop_assert_eq!(controls(&text), by_char);
        }

        /// Quoted cells with line breaks, blank lines, CR and CRLF: the records and
        /// their lines do not depend on where the chunks are cut, nor on whether a
        /// reading looks for the boundaries or is told them.
        #[test]
        fn chunks_cut_anywhere_give_the_same_records(
            cells in prop::collection::vec(
                prop::sample::select(vec![
                    "a", "Dupont", "\"x;y\"", "\"deux\nlignes\"", "\"a \"\"b\"\"\"", "",
                    " ", "é", "06 12 34 56 78", "\r\n", "\n\n", ";", "\r",
                ]),
                1..200,
            ),
            chunk in 1usize..64,
        ) {
            let text = format!("Nom;Prénom;Téléphone\n{}", cells.concat());
            let whole = records(text.as_bytes(), CHUNK);
            let cut = records(text.as_bytes(), chunk);
            prop_assert_eq!(&whole, &cut);
            prop_assert_eq!(&whole, &replayed(text.as_bytes(), chunk));
            prop_assert_eq!(whole, replayed_records(text.as_bytes(), chunk));
        }
    }

    #[test]
    fn windows_1252_and_utf16_read_in_chunks() {
        let text = "Nom;Prénom\r\nLefèvre;Hélène\r\n\r\n\"Martin\r\nbis\";Zoé\r\n";
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        for bytes in [text.as_bytes().to_vec(), latin.into_owned(), utf16] {
            let expected = vec![
                (2, vec!["Lefèvre".to_owned(), "Hélène".to_owned()]),
                (4, vec!["Martin\nbis".to_owned(), "Zoé".to_owned()]),
            ];
            assert_eq!(records(&bytes, 1).unwrap(), expected);
            assert_eq!(records(&bytes, CHUNK).unwrap(), expected);
            assert_eq!(replayed(&bytes, 1).unwrap(), expected);
            assert_eq!(replayed_records(&bytes, 1).unwrap(), expected);
        }
    }
}
