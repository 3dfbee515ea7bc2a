//! Who is stored, read once at the start of a bulk beneficiary import into its
//! [`Index`]: each person's phone list (as a hash), the people themselves (keys, status,
//! a hash of every column the file can set), and the campaign's members.
//!
//! The three reads are the same SQL on both databases; they differ in how rows reach
//! the [`Loader`]. PostgreSQL's come through sqlx. SQLite's are stepped with rusqlite on
//! the transaction's own connection, each column read where SQLite keeps it: through
//! sqlx, every one of the 3.25 million rows a million people make (people, phones,
//! members) was copied on sqlx's worker thread and handed to another, which cost more
//! than SQLite's own reading (docs/PERFORMANCE.md, "Who is stored, read in place").

use sqlx::SqliteConnection;

use super::beneficiary_index::{Index, PhoneHasher, DIGEST};
use super::{query_as, StoreError, Tx};
use crate::domain::BeneficiaryStatus;

/// Each person's numbers, in id order then list order.
const PHONES: &str =
    "SELECT beneficiary_id, e164 FROM beneficiary_phones ORDER BY beneficiary_id, position";
/// The members of the campaign `$1` (in any order).
const MEMBERS: &str = "SELECT beneficiary_id FROM campaign_members WHERE campaign_id = $1";

/// The people, in id order. An erased person (`store::erasure`) is no one to an import:
/// matched by nobody, never missing from a file; their opt-out lives on in the
/// suppression list.
fn people_sql() -> String {
    format!(
        "SELECT id, identity_key, external_ref, status, {DIGEST} AS digest \
         FROM beneficiaries WHERE identity_key NOT LIKE 'erased:%' ORDER BY id"
    )
}

/// One stored person as read.
pub(super) struct StoredPerson<'a> {
    pub id: i64,
    pub identity_key: &'a str,
    pub external_ref: Option<&'a str>,
    pub status: BeneficiaryStatus,
    pub digest: &'a str,
}

/// Builds the index from the three reads, in their order: phones, people, members.
pub(super) struct Loader<'i> {
    index: &'i mut Index,
    /// Each person's phone list hash, in id order.
    lists: Vec<(i64, u64)>,
    current: Option<(i64, PhoneHasher)>,
    /// Where the people's walk through `lists` is.
    next: usize,
    no_phones: u64,
    /// The people who opted out, whatever wrote their status.
    opted_out: Vec<i64>,
}

impl<'i> Loader<'i> {
    pub fn new(index: &'i mut Index) -> Self {
        let no_phones = index.finish_phones(index.phone_hasher());
        Self {
            index,
            lists: Vec::new(),
            current: None,
            next: 0,
            no_phones,
            opted_out: Vec::new(),
        }
    }

    /// The next number of a person's list (rows of [`PHONES`], in its order).
    pub fn phone(&mut self, id: i64, e164: &str) {
        let mut current = match self.current.take() {
            Some((cid, hasher)) if cid == id => (cid, hasher),
            Some((cid, hasher)) => {
                self.lists.push((cid, self.index.finish_phones(hasher)));
                (id, self.index.phone_hasher())
            }
            None => (id, self.index.phone_hasher()),
        };
        self.index.add_phone(&mut current.1, e164);
        self.current = Some(current);
    }

    /// The next person (rows of [`people_sql`], in id order, after every phone).
    pub fn person(&mut self, row: StoredPerson<'_>) {
        if let Some((id, hasher)) = self.current.take() {
            self.lists.push((id, self.index.finish_phones(hasher)));
        }
        if row.status == BeneficiaryStatus::OptedOut {
            self.opted_out.push(row.id);
        }
        while self.next < self.lists.len() && self.lists[self.next].0 < row.id {
            self.next += 1;
        }
        let phones = match self.lists.get(self.next) {
            Some(&(id, hash)) if id == row.id => hash,
            _ => self.no_phones,
        };
        let content = self.index.content_hash_of(row.digest, phones);
        self.index.push(
            row.id,
            row.external_ref,
            row.identity_key,
            row.status,
            content,
            phones,
        );
    }

    /// Every person read: the index knows who was loaded.
    pub fn people_done(&mut self) {
        self.lists = Vec::new();
        self.index.loaded();
    }

    /// A member of the campaign (after the people).
    pub fn member(&mut self, id: i64) {
        self.index.mark_member(id);
    }

    /// The ids of the people who opted out.
    pub fn finish(self) -> Vec<i64> {
        self.opted_out
    }
}

/// Reads the stored people, their phones and the campaign's members into `index`;
/// gives the ids of the people who opted out.
pub(super) async fn load(
    tx: &mut Tx,
    index: &mut Index,
    campaign_id: i64,
) -> Result<Vec<i64>, StoreError> {
    if let Tx::Sqlite(conn, _) = tx {
        return load_sqlite(conn, index, campaign_id).await;
    }
    load_through_sqlx(tx, index, campaign_id).await
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    id: i64,
    identity_key: String,
    external_ref: Option<String>,
    status: BeneficiaryStatus,
    digest: String,
}

/// PostgreSQL: the three reads through sqlx.
async fn load_through_sqlx(
    tx: &mut Tx,
    index: &mut Index,
    campaign_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut loader = Loader::new(index);
    query_as::<(i64, String)>(PHONES)
        .fold(&mut *tx, (), |(), (id, e164)| loader.phone(id, &e164))
        .await?;
    query_as::<StoredRow>(&people_sql())
        .fold(&mut *tx, (), |(), row| {
            loader.person(StoredPerson {
                id: row.id,
                identity_key: &row.identity_key,
                external_ref: row.external_ref.as_deref(),
                status: row.status,
                digest: &row.digest,
            })
        })
        .await?;
    loader.people_done();
    query_as::<(i64,)>(MEMBERS)
        .bind(campaign_id)
        .fold(&mut *tx, (), |(), (id,)| loader.member(id))
        .await?;
    Ok(loader.finish())
}

/// SQLite: the three reads stepped with rusqlite on the transaction's connection while
/// sqlx's worker for it is held locked. They run to their end within this call (on a
/// multi-threaded runtime, with the thread handed over to blocking work), never after
/// it: a cancelled import gives the connection back to sqlx only once they are done.
async fn load_sqlite(
    conn: &mut SqliteConnection,
    index: &mut Index,
    campaign_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut locked = conn.lock_handle().await?;
    let db = locked.as_raw_handle().as_ptr();
    let mut read = || read_sqlite(db, index, campaign_id);
    let opted_out = match tokio::runtime::Handle::current().runtime_flavor() {
        tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(read),
        _ => read(),
    };
    drop(locked);
    Ok(opted_out?)
}

fn read_sqlite(
    db: *mut libsqlite3_sys::sqlite3,
    index: &mut Index,
    campaign_id: i64,
) -> rusqlite::Result<Vec<i64>> {
    // SAFETY: `db` is an open connection that nothing else uses until this returns
    // ([`load_sqlite`] holds sqlx's worker locked around the call, on this thread);
    // rusqlite's connection made from it does not close it when dropped.
    let conn = unsafe { rusqlite::Connection::from_handle(db) }?;
    let mut loader = Loader::new(index);
    let mut phones = conn.prepare(PHONES)?;
    let mut rows = phones.query([])?;
    while let Some(row) = rows.next()? {
        loader.phone(row.get(0)?, row.get_ref(1)?.as_str()?);
    }
    drop(rows);
    let mut people = conn.prepare(&people_sql())?;
    let mut rows = people.query([])?;
    while let Some(row) = rows.next()? {
        let status = row.get_ref(3)?.as_str()?;
        let status = BeneficiaryStatus::parse(status).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?;
        loader.person(StoredPerson {
            id: row.get(0)?,
            identity_key: row.get_ref(1)?.as_str()?,
            external_ref: row.get_ref(2)?.as_str_or_null()?,
            status,
            digest: row.get_ref(4)?.as_str()?,
        });
    }
    drop(rows);
    loader.people_done();
    let mut members = conn.prepare(MEMBERS)?;
    let mut rows = members.query([campaign_id])?;
    while let Some(row) = rows.next()? {
        loader.member(row.get(0)?);
    }
    Ok(loader.finish())
}
