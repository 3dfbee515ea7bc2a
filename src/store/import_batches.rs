//! The history of imports, their rejected rows, and files waiting for confirmation.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{query, query_as, Store, StoreError};
use crate::domain::{ImportBatchKind, ImportBatchStatus, ImportKind};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ImportBatch {
    pub id: i64,
    pub kind: ImportBatchKind,
    pub campaign_id: Option<i64>,
    pub filename: String,
    pub encoding: Option<String>,
    pub delimiter: Option<String>,
    pub status: ImportBatchStatus,
    pub rows_read: i32,
    pub inserted: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
    /// JSON list of the report's warnings.
    pub warnings: Option<String>,
    /// JSON list of the file's headers.
    pub headers: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by_user_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredRejection {
    pub line: i32,
    pub column_name: Option<String>,
    pub raw_value: Option<String>,
    pub code: String,
    pub message: String,
    /// JSON list of the record's fields as read.
    pub raw_record: Option<String>,
}

/// A file uploaded on the import page, waiting for the coordinator's confirmation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingUpload {
    pub kind: ImportKind,
    pub campaign_id: i64,
    pub filename: String,
    pub content: Vec<u8>,
}

/// Uploads not confirmed within this delay are forgotten.
pub const UPLOAD_LIFETIME: Duration = Duration::hours(24);

const BATCH_COLUMNS: &str =
    "id, kind, campaign_id, filename, encoding, delimiter, status, rows_read, \
     inserted, updated, unchanged, rejected, warnings, headers, created_at, created_by_user_id";

impl Store {
    /// The latest imports, newest first.
    pub async fn list_import_batches(&self, limit: i64) -> Result<Vec<ImportBatch>, StoreError> {
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM import_batches WHERE status = 'applied' ORDER BY id DESC LIMIT $1"
        );
        Ok(query_as(&sql).bind(limit).fetch_all(self).await?)
    }

    pub async fn import_batch(&self, id: i64) -> Result<Option<ImportBatch>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM import_batches WHERE id = $1");
        Ok(query_as(&sql).bind(id).fetch_optional(self).await?)
    }

    /// The rejected rows of a batch, in file order.
    pub async fn rejected_rows(&self, batch_id: i64) -> Result<Vec<StoredRejection>, StoreError> {
        let sql = "SELECT line, column_name, raw_value, code, message, raw_record \
                   FROM import_rejected_rows WHERE batch_id = $1 ORDER BY line, id";
        Ok(query_as(sql).bind(batch_id).fetch_all(self).await?)
    }

    /// Keeps an uploaded file until it is confirmed or cancelled; forgets stale ones.
    pub async fn save_upload(
        &self,
        token: &str,
        user_id: i64,
        kind: ImportKind,
        campaign_id: i64,
        filename: &str,
        content: &[u8],
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        query("DELETE FROM import_uploads WHERE created_at < $1")
            .bind(now - UPLOAD_LIFETIME)
            .execute(self)
            .await?;
        query(
            "INSERT INTO import_uploads (token, user_id, kind, campaign_id, filename, content, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token)
        .bind(user_id)
        .bind(kind)
        .bind(campaign_id)
        .bind(filename)
        .bind(content)
        .bind(now)
        .execute(self)
        .await?;
        Ok(())
    }

    /// Takes the upload behind a token, only for the user who made it: the first caller
    /// gets it and it is gone, so a double-clicked confirmation imports once.
    pub async fn take_upload(
        &self,
        token: &str,
        user_id: i64,
    ) -> Result<Option<PendingUpload>, StoreError> {
        let sql =
            "DELETE FROM import_uploads WHERE token = $1 AND user_id = $2 AND created_at >= $3 \
                   RETURNING kind, campaign_id, filename, content";
        let since = Utc::now() - UPLOAD_LIFETIME;
        Ok(query_as(sql)
            .bind(token)
            .bind(user_id)
            .bind(since)
            .fetch_optional(self)
            .await?)
    }

    /// Forgets an upload (cancel), only for the user who made it.
    pub async fn delete_upload(&self, token: &str, user_id: i64) -> Result<(), StoreError> {
        query("DELETE FROM import_uploads WHERE token = $1 AND user_id = $2")
            .bind(token)
            .bind(user_id)
            .execute(self)
            .await?;
        Ok(())
    }

    pub async fn campaign_by_id(&self, id: i64) -> Result<Option<super::Campaign>, StoreError> {
        let rows = self.list_campaigns().await?;
        Ok(rows.into_iter().map(|c| c.campaign).find(|c| c.id == id))
    }
}
