//! The suppression list in the database (`suppressions`, migration 0009): adding keys,
//! looking one up, reading the list for an import. The keys are made by
//! `records::suppression`; only their hashes are stored.

use chrono::{DateTime, Utc};

use super::beneficiary_writes::{in_list, IN_LIST};
use super::db::values_placeholders;
use super::{query, query_as, query_scalar, Store, StoreError, Tx};
use crate::records::suppression::{person_keys, SuppressionKey, SuppressionSet, SuppressionSource};

/// Keys per multi-row insert.
const INSERT_ROWS: usize = 200;

impl Store {
    /// Adds keys to the suppression list, for good; gives how many were new.
    pub async fn add_suppression_keys(
        &self,
        keys: &[SuppressionKey],
        source: SuppressionSource,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let added = insert_keys(&mut tx, keys, source, Utc::now()).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Adds the keys of a stored person (every phone, and the identity when it has a
    /// birth date): what an erasure keeps of someone who opted out. Gives how many
    /// keys were new.
    pub async fn suppress_person(
        &self,
        beneficiary_id: i64,
        source: SuppressionSource,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let added = suppress_people(&mut tx, &[beneficiary_id], source, Utc::now()).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Whether a key is on the list.
    pub async fn is_suppressed(&self, key: &SuppressionKey) -> Result<bool, StoreError> {
        let found: i64 =
            query_scalar("SELECT COUNT(*) FROM suppressions WHERE kind = $1 AND key_hash = $2")
                .bind(key.kind.as_str())
                .bind(key.hex())
                .fetch_one(self)
                .await?;
        Ok(found > 0)
    }

    /// How many keys the list holds.
    pub async fn suppression_count(&self) -> Result<i64, StoreError> {
        Ok(query_scalar("SELECT COUNT(*) FROM suppressions")
            .fetch_one(self)
            .await?)
    }
}

/// Adds keys in the transaction (those already on the list are left as they are);
/// gives how many were new.
pub(super) async fn insert_keys(
    tx: &mut Tx,
    keys: &[SuppressionKey],
    source: SuppressionSource,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut added = 0;
    for batch in keys.chunks(INSERT_ROWS) {
        let sql = format!(
            "INSERT INTO suppressions (kind, key_hash, source, created_at) VALUES {} \
             ON CONFLICT (kind, key_hash) DO NOTHING",
            values_placeholders(tx.backend(), batch.len(), 4)
        );
        let mut q = query(&sql);
        for key in batch {
            q = q
                .bind(key.kind.as_str())
                .bind(key.hex())
                .bind(source.as_str())
                .bind(now);
        }
        added += q.execute(&mut *tx).await?.rows_affected();
    }
    Ok(added)
}

/// Adds the keys of stored people (their phones and identity) in the transaction.
pub(super) async fn suppress_people(
    tx: &mut Tx,
    ids: &[i64],
    source: SuppressionSource,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let keys = stored_people_keys(tx, ids).await?;
    insert_keys(tx, &keys, source, now).await
}

/// The keys of stored people: their phones and identity keys, read by id.
pub(super) async fn stored_people_keys(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<Vec<SuppressionKey>, sqlx::Error> {
    let mut keys = Vec::new();
    for batch in ids.chunks(IN_LIST) {
        let list = in_list(tx, batch.len());
        let sql = format!("SELECT identity_key FROM beneficiaries WHERE id IN ({list})");
        let mut q = query_scalar::<String>(&sql);
        for id in batch {
            q = q.bind(*id);
        }
        for identity in q.fetch_all(&mut *tx).await? {
            keys.extend(person_keys(&identity, []));
        }
        let sql = format!("SELECT e164 FROM beneficiary_phones WHERE beneficiary_id IN ({list})");
        let mut q = query_scalar::<String>(&sql);
        for id in batch {
            q = q.bind(*id);
        }
        let phones = q.fetch_all(&mut *tx).await?;
        keys.extend(phones.iter().map(|p| SuppressionKey::phone(p)));
    }
    Ok(keys)
}

/// The whole list, in memory, for a bulk import.
pub(super) async fn load_set(tx: &mut Tx) -> Result<SuppressionSet, sqlx::Error> {
    query_as::<(String, String)>("SELECT kind, key_hash FROM suppressions")
        .fold(tx, SuppressionSet::default(), |mut set, (kind, hash)| {
            if let Some(key) = SuppressionKey::from_stored(&kind, &hash) {
                set.insert(&key);
            }
            set
        })
        .await
}
