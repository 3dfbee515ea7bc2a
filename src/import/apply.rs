//! One entry point for an import, shared by the command line and the upload page:
//! read the file, parse it for its kind, apply it to the store (or simulate).

use sha2::{Digest, Sha256};

use super::report::ImportReport;
use super::{read, rows, ImportError, ImportKind, ImportOptions};
use crate::domain::CampaignName;
use crate::store::{ImportSource, Store, StoreError};

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
    let source = ImportSource {
        filename: file_name.to_string(),
        sha256: hex::encode(Sha256::digest(bytes)),
        created_by,
    };
    let table = read::read_table(bytes)?;
    let mut report = match kind {
        ImportKind::Beneficiaries => {
            let campaign = store.campaign_by_name(campaign).await?;
            let parsed = rows::parse_beneficiaries(&table, options)?;
            store
                .import_beneficiaries(&campaign, &source, &parsed, dry_run)
                .await?
        }
        ImportKind::Callers => {
            let parsed = rows::parse_callers(&table, options)?;
            store
                .import_callers_inviting(&source, &parsed, options.invite.as_ref(), dry_run)
                .await?
        }
        ImportKind::Territories => {
            let parsed = rows::parse_territories(&table, options)?;
            store.import_territories(&source, &parsed, dry_run).await?
        }
        ImportKind::OptOut => {
            let parsed = rows::parse_opt_outs(&table, options)?;
            store.import_opt_outs(&source, &parsed, dry_run).await?
        }
    };
    report.preview = table.records.iter().take(PREVIEW_ROWS).cloned().collect();
    tracing::info!(
        kind = kind.as_str(),
        rows = report.rows,
        inserted = report.inserted,
        updated = report.updated,
        unchanged = report.unchanged,
        rejected = report.rejected,
        dry_run,
        "import"
    );
    Ok(report)
}
