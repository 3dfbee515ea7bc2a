//! One entry point for an import, shared by the command line and the upload page:
//! read the file, parse it for its kind, apply it to the store (or simulate).

use super::memory::{self, Churn};
use super::report::ImportReport;
use super::rows::RowParser;
use super::stream::{self, Layout, Source};
use super::{rows, BeneficiaryRow, ImportError, ImportKind, ImportOptions, Parsed, ParsedRow};
use crate::domain::CampaignName;
use crate::store::{BeneficiaryImport, ImportSource, Store, StoreError};

/// Records shown on the preview page.
pub const PREVIEW_ROWS: usize = 10;

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file as a whole cannot be used (missing column, not a CSV…).
    #[error("{}", .0.message_fr())]
    File(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportFailure {
    pub fn code(&self) -> &'static str {
        match self {
            Self::File(e) => e.code(),
            Self::Store(StoreError::CampaignNotFound(_)) => "campaign_not_found",
            Self::Store(_) => "database_error",
        }
    }
}

/// Imports `bytes` (the content of `file_name`) as `kind`. Beneficiaries are enrolled in
/// `campaign`. All or nothing: on error, or with `dry_run`, the database is unchanged.
#[allow(clippy::too_many_arguments)]
pub async fn import_file(
    store: &Store,
    created_by: Option<i64>,
    kind: ImportKind,
    campaign: &CampaignName,
    file_name: &str,
    bytes: &[u8],
    options: &ImportOptions,
    dry_run: bool,
) -> Result<ImportReport, ImportFailure> {
    let source = std::io::Cursor::new(bytes.to_vec());
    let import = Import {
        store,
        created_by,
        kind,
        campaign,
        file_name,
        options,
        dry_run,
    };
    import.run(source, &|_, _| {}).await
}

/// Told how far an import is: (records done, records in all).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// One import: what, where to, by whom, how.
pub struct Import<'a> {
    pub store: &'a Store,
    pub created_by: Option<i64>,
    pub kind: ImportKind,
    pub campaign: &'a CampaignName,
    pub file_name: &'a str,
    pub options: &'a ImportOptions,
    pub dry_run: bool,
}

impl Import<'_> {
    /// Imports a source of any size: the file is read in chunks (never whole), and a
    /// beneficiary list is parsed on a second thread while the store writes.
    pub async fn run<S: Source + Send + 'static>(
        &self,
        source: S,
        progress: Progress<'_>,
    ) -> Result<ImportReport, ImportFailure> {
        let open = |source: S| {
            blocking(move || {
                let mut source = source;
                let layout = stream::open(&mut source, PREVIEW_ROWS);
                (layout, source)
            })
        };
        let (layout, mut report) = if self.kind == ImportKind::Beneficiaries {
            // Reading the file through and reading who is stored, at the same time.
            let (opened, started) = tokio::join!(open(source), self.start_beneficiaries());
            let (layout, source) = opened?;
            let layout = layout?;
            let mut import = started?;
            let parser = rows::beneficiaries::parser(&layout.table, &layout.stats, self.options)?;
            import.prepare(layout.stats.records).await?;
            let churn = Churn::of(layout.stats.records, import.stored_people());
            memory::tell(churn);
            let meta = self.meta(&layout);
            let parsing = Parsing::new(parser, &layout, churn);
            let report = beneficiaries(import, parsing, &layout, source, meta, progress).await?;
            (layout, report)
        } else {
            let (layout, source) = open(source).await?;
            let layout = layout?;
            let report = self
                .small_list(&self.meta(&layout), &layout, source)
                .await?;
            (layout, report)
        };
        report.preview = layout.stats.preview.clone();
        tracing::info!(
            kind = self.kind.as_str(),
            rows = report.rows,
            inserted = report.inserted,
            updated = report.updated,
            unchanged = report.unchanged,
            rejected = report.rejected,
            dry_run = self.dry_run,
            "import"
        );
        Ok(report)
    }

    /// Where the data comes from.
    fn meta(&self, layout: &Layout) -> ImportSource {
        ImportSource {
            filename: self.file_name.to_string(),
            sha256: layout.survey.sha256.clone(),
            created_by: self.created_by,
        }
    }

    /// The campaign, and the import's transaction with who is stored.
    async fn start_beneficiaries(&self) -> Result<BeneficiaryImport, ImportFailure> {
        let campaign = self.store.campaign_by_name(self.campaign).await?;
        Ok(self
            .store
            .begin_beneficiary_import(&campaign, self.dry_run)
            .await?)
    }

    /// Callers, territories, do-not-call lists, needs and volunteers: lists of
    /// thousands at most, parsed
    /// whole, then applied.
    async fn small_list<S: Source + Send + 'static>(
        &self,
        meta: &ImportSource,
        layout: &Layout,
        source: S,
    ) -> Result<ImportReport, ImportFailure> {
        let owned = layout.clone();
        let table = blocking(move || {
            let mut source = source;
            let mut table = owned.table.clone();
            stream::for_each_chunk(&mut source, &owned, |records| {
                table.records.extend(records);
                Ok::<(), ImportError>(())
            })
            .map(|()| table)
        })
        .await??;
        let (store, options, dry_run) = (self.store, self.options, self.dry_run);
        Ok(match self.kind {
            ImportKind::Callers => {
                let parsed = rows::parse_callers(&table, options)?;
                store
                    .import_callers_inviting(meta, &parsed, options.invite.as_ref(), dry_run)
                    .await?
            }
            ImportKind::Territories => {
                let parsed = rows::parse_territories(&table, options)?;
                store.import_territories(meta, &parsed, dry_run).await?
            }
            ImportKind::Needs => {
                let parsed = rows::parse_needs(&table, options)?;
                store.import_needs(meta, &parsed, dry_run).await?
            }
            ImportKind::Volunteers => {
                let parsed = rows::parse_volunteers(&table, options)?;
                store.import_volunteers(meta, &parsed, dry_run).await?
            }
            ImportKind::OptOut | ImportKind::Beneficiaries => {
                let parsed = rows::parse_opt_outs(&table, options)?;
                store.import_opt_outs(meta, &parsed, dry_run).await?
            }
        })
    }
}

/// Runs blocking work (reading and parsing the file) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ImportFailure> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ImportFailure::File(ImportError::Csv(format!("lecture interrompue ({e})"))))
}

/// A chunk of parsed rows and the records it came from.
type ParsedChunk = (Vec<ParsedRow<BeneficiaryRow>>, usize);

/// Streams a beneficiary list: one thread (two for a re-import) reads and parses
/// chunks, this task writes them; what the parsing refused or warned about is kept for
/// the report.
async fn beneficiaries<S: Source + Send + 'static>(
    mut import: BeneficiaryImport,
    parsing: Parsing,
    layout: &Layout,
    source: S,
    meta: ImportSource,
    progress: Progress<'_>,
) -> Result<ImportReport, ImportFailure> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<ParsedChunk>(1);
    let owned = layout.clone();
    let parsing = tokio::task::spawn_blocking(move || parsing.run(&owned, source, &sender));
    let total = layout.stats.records as u64;
    let mut done = 0u64;
    while let Some((rows, records)) = receiver.recv().await {
        import.apply(rows).await?;
        done += records as u64;
        progress(done, total);
    }
    let summary = parsing.await.map_err(|e| {
        ImportFailure::File(ImportError::Csv(format!("lecture interrompue ({e})")))
    })??;
    Ok(import.finish(&summary, meta).await?)
}

/// The records of one chunk of the file, as the csv reader holds them.
type RecordChunk = Vec<(u64, csv::StringRecord)>;

/// Parses a beneficiary list's records chunk after chunk, in file order, and sends the
/// rows; keeps what the parsing found, without the rows.
struct Parsing {
    parser: RowParser<BeneficiaryRow>,
    summary: Parsed<()>,
    /// Whether the file is read on a thread of its own while the chunk read before is
    /// parsed.
    pipelined: bool,
}

impl Parsing {
    /// Pipelined for a re-import ([`Churn::Level`]): the writing has little to do, and
    /// the parsing would otherwise keep the import waiting on one core. A first import
    /// is bound by the writing, which a third busy thread would only slow down, and
    /// peaks in memory at its end, where records waiting between two threads would add
    /// to the peak (docs/PERFORMANCE.md).
    fn new(parser: RowParser<BeneficiaryRow>, layout: &Layout, churn: Churn) -> Self {
        let summary = Parsed {
            rows: Vec::new(),
            rejected: Vec::new(),
            warnings: parser.warnings.clone(),
            rows_read: layout.stats.records,
            encoding: layout.table.encoding.clone(),
            delimiter: layout.table.delimiter,
            headers: layout.table.headers.clone(),
            mapping: parser.mapping.clone(),
        };
        let pipelined = churn == Churn::Level;
        Self {
            parser,
            summary,
            pipelined,
        }
    }

    /// Reads and parses every chunk, sends the rows; gives what the parsing found.
    fn run<S: Source + Send>(
        mut self,
        layout: &Layout,
        mut source: S,
        sender: &tokio::sync::mpsc::Sender<ParsedChunk>,
    ) -> Result<Parsed<()>, ImportError> {
        if !self.pipelined {
            stream::for_each_record_chunk(&mut source, layout, |records| {
                self.chunk(records, sender)
            })?;
            return Ok(self.summary);
        }
        // A rendezvous: the reader splits the next chunk while this one is parsed.
        let (records, chunks) = std::sync::mpsc::sync_channel::<RecordChunk>(0);
        std::thread::scope(|scope| {
            let parsing = scope.spawn(move || {
                for records in chunks {
                    self.chunk(records, sender)?;
                }
                Ok(self.summary)
            });
            let read = stream::for_each_record_chunk(&mut source, layout, |chunk| {
                records.send(chunk).map_err(|_| Reading::Stopped)
            });
            drop(records);
            let parsed = parsing.join().expect("parsing records does not panic");
            match read {
                Err(Reading::Failed(e)) => Err(e),
                // Stopped: the parsing stopped first, and says why.
                Ok(()) | Err(Reading::Stopped) => parsed,
            }
        })
    }

    /// Parses one chunk's records and sends its rows, in batches of at most
    /// [`ROWS_PER_BATCH`] of about the same size.
    fn chunk(
        &mut self,
        records: RecordChunk,
        sender: &tokio::sync::mpsc::Sender<ParsedChunk>,
    ) -> Result<(), ImportError> {
        let batches = records.len().div_ceil(ROWS_PER_BATCH).max(1);
        let size = records.len().div_ceil(batches).max(1);
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let rows = self.parse(records.by_ref().take(size));
            // A closed channel: the writing failed, and says why.
            sender
                .blocking_send(rows)
                .map_err(|_| ImportError::Csv("écriture interrompue".to_owned()))?;
        }
        Ok(())
    }

    /// Parses records: the rows, and how many records they came from.
    fn parse(&mut self, records: impl Iterator<Item = (u64, csv::StringRecord)>) -> ParsedChunk {
        let mut rows = Vec::with_capacity(records.size_hint().0);
        let mut count = 0;
        for (line, record) in records {
            count += 1;
            match self.parser.parse_record(line, &record) {
                Ok(row) => {
                    if !row.warnings.is_empty() {
                        self.summary.rows.push(ParsedRow {
                            line,
                            value: (),
                            warnings: row.warnings.clone(),
                        });
                    }
                    rows.push(row);
                }
                Err(rejected) => self.summary.rejected.push(rejected),
            }
        }
        (rows, count)
    }
}

/// The most rows handed to the writing at once. A chunk of the file is a mebibyte of
/// text, about 8,000 rows of an ordinary list; a list of short rows (a name, a
/// reference, a phone) puts 30,000 in a mebibyte, and the four or five batches on
/// their way between reading and writing would hold four times the memory
/// (docs/PERFORMANCE.md).
const ROWS_PER_BATCH: usize = 8192;

/// Why the reading thread stopped early.
enum Reading {
    /// The file could not be read.
    Failed(ImportError),
    /// The parsing thread stopped taking records.
    Stopped,
}

impl From<ImportError> for Reading {
    fn from(e: ImportError) -> Self {
        Self::Failed(e)
    }
}
