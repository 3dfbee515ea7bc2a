//! The people a read showed, kept once as a set (migration 0037).
//!
//! A caller's queue shows the same people read after read. Settled into the audit trail
//! as one `contact_details_read` row per person, each read cost about 30 rows and 60
//! index entries, most of what the settling wrote under load. Now a set of people is
//! written once (`audit_people_shown`, its people in `audit_person_shown`), and a read is
//! one `audit_events` row about its set (`subject_type` `people_shown`). The trail's readers
//! see one row per person, as before, through the view `audit_trail`.
//!
//! A set is known by its digest: the SHA-256 of its people's ids, sorted, each once,
//! comma-separated. The same people in another order are the same set.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::beneficiary_writes::in_list;
use super::db::{values_placeholders, Tx};
use super::{query, query_as, StoreError};

/// Sets written or looked up per statement (one value each).
const SETS_PER_STATEMENT: usize = 500;

/// People of new sets written per statement (two values each).
const PEOPLE_PER_STATEMENT: usize = 1_000;

/// The people of one read: their ids, sorted, each once, and the set's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ShownSet {
    pub digest: String,
    pub people: Vec<i64>,
}

impl ShownSet {
    /// The set of a read's ids as recorded (comma-separated); `None` when a part is not
    /// an id, or there is none.
    pub(super) fn parse(ids: &str) -> Option<Self> {
        let mut people = ids
            .split(',')
            .map(|p| p.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        people.sort_unstable();
        people.dedup();
        let text = people
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let digest = hex::encode(Sha256::digest(text.as_bytes()));
        Some(Self { digest, people })
    }
}

/// The id of each set of `sets` (by digest), written first if new, with its people. On
/// PostgreSQL a set another server is writing at the same moment is waited for, then
/// read: it is never written twice.
pub(super) async fn set_ids(
    tx: &mut Tx,
    sets: &[&ShownSet],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut distinct: Vec<&ShownSet> = sets.to_vec();
    // Always in the same order, so that two servers never wait for each other's sets.
    distinct.sort_unstable_by(|a, b| a.digest.cmp(&b.digest));
    distinct.dedup_by(|a, b| a.digest == b.digest);
    for chunk in distinct.chunks(SETS_PER_STATEMENT) {
        let created = write_new(tx, chunk).await?;
        write_people(tx, chunk, &created).await?;
    }
    let mut ids = HashMap::with_capacity(distinct.len());
    for chunk in distinct.chunks(SETS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, digest FROM audit_people_shown WHERE digest IN ({})",
            in_list(tx, chunk.len())
        );
        let mut select = query_as::<(i64, String)>(&sql);
        for set in chunk {
            select = select.bind(set.digest.as_str());
        }
        for (id, digest) in select.fetch_all(&mut *tx).await? {
            ids.insert(digest, id);
        }
    }
    Ok(ids)
}

/// Writes the sets of `chunk` not written yet; returns those written, by digest.
async fn write_new(tx: &mut Tx, chunk: &[&ShownSet]) -> Result<HashMap<String, i64>, StoreError> {
    let sql = format!(
        "INSERT INTO audit_people_shown (digest) VALUES {} \
         ON CONFLICT (digest) DO NOTHING RETURNING id, digest",
        values_placeholders(tx.backend(), chunk.len(), 1)
    );
    let mut insert = query_as::<(i64, String)>(&sql);
    for set in chunk {
        insert = insert.bind(set.digest.as_str());
    }
    let created = insert.fetch_all(&mut *tx).await?;
    Ok(created
        .into_iter()
        .map(|(id, digest)| (digest, id))
        .collect())
}

/// Writes the people of the sets of `chunk` that were just `created`.
async fn write_people(
    tx: &mut Tx,
    chunk: &[&ShownSet],
    created: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, i64)> = chunk
        .iter()
        .filter_map(|set| created.get(&set.digest).map(|&id| (id, set)))
        .flat_map(|(id, set)| set.people.iter().map(move |&person| (id, person)))
        .collect();
    for part in rows.chunks(PEOPLE_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO audit_person_shown (set_id, beneficiary_id) VALUES {}",
            values_placeholders(tx.backend(), part.len(), 2)
        );
        let mut insert = query(&sql);
        for &(id, person) in part {
            insert = insert.bind(id).bind(person);
        }
        insert.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The id of `set` among `ids` ([`set_ids`]).
pub(super) fn id_of(ids: &HashMap<String, i64>, set: &ShownSet) -> Result<i64, StoreError> {
    ids.get(&set.digest).copied().ok_or_else(|| {
        StoreError::AuditTrail(format!(
            "the set of people {} was neither found nor written: the reads stay waiting, \
             to be moved again",
            set.digest
        ))
    })
}

/// Every read of a transaction written as one row of the audit trail, or the
/// transaction undone: no read is dropped unseen.
pub(super) fn all_written(written: u64, reads: usize) -> Result<(), StoreError> {
    if written == reads as u64 {
        return Ok(());
    }
    Err(StoreError::AuditTrail(format!(
        "{written} audit rows written for {reads} reads of contact details: the reads \
         stay waiting, to be moved again"
    )))
}

/// A read whose people are not a list of ids: named, with where it waits, and what to do.
pub(super) fn damaged_read(id: i64, ids: &str, waiting_in: &str) -> StoreError {
    StoreError::AuditTrail(format!(
        "the read {id} waiting in {waiting_in} cannot be moved into the audit trail: its \
         beneficiary_ids {ids:?} is not a comma-separated list of ids; mend or delete that row"
    ))
}

/// Deletes the sets no read refers to any more (after the retention purge), with their
/// people; returns how many.
pub(super) async fn forget_unread(tx: &mut Tx) -> Result<u64, sqlx::Error> {
    let deleted = query(
        "DELETE FROM audit_people_shown WHERE NOT EXISTS (SELECT 1 FROM audit_events e \
         WHERE e.subject_type = 'people_shown' AND e.subject_id = audit_people_shown.id)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_people_in_any_order_are_one_set() {
        let a = ShownSet::parse("9000000000,7, 12,7").unwrap();
        let b = ShownSet::parse("12,7,9000000000").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.people, vec![7, 12, 9_000_000_000]);
        assert_eq!(
            a.digest,
            hex::encode(Sha256::digest(b"7,12,9000000000")),
            "the digest is of the sorted ids"
        );
        assert_ne!(a.digest, ShownSet::parse("7,12").unwrap().digest);
    }

    #[test]
    fn a_list_that_is_not_of_ids_is_no_set() {
        for damaged in ["", "7,,8", "7,x", "1.5"] {
            assert_eq!(ShownSet::parse(damaged), None, "{damaged:?}");
        }
    }

    /// A person's reads are found by the index of the people shown, then by the events'
    /// index of subjects (SQLite; a person's export and the journal by person), not by
    /// reading every read of every set.
    #[tokio::test]
    async fn a_persons_reads_are_found_by_the_index_of_the_people_shown() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        super::super::Store::open(&url).await.unwrap().close().await;
        // Plans read on connections opened after the migrations (`EXPLAIN` runs nothing,
        // so it never checks the schema's version).
        let store = super::super::Store::connect(&url).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> = query_as(
            "EXPLAIN QUERY PLAN SELECT at FROM audit_trail \
             WHERE subject_type = 'beneficiary' AND subject_id = $1",
        )
        .bind(5_i64)
        .fetch_all(&store)
        .await
        .unwrap();
        let plan: Vec<String> = plan.into_iter().map(|(.., detail)| detail).collect();
        assert!(
            plan.iter()
                .any(|l| l.contains("SEARCH m USING COVERING INDEX audit_person_shown_person")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|l| l.starts_with("SCAN")), "{plan:?}");
        store.close().await;
    }
}
