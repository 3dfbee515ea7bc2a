//! Writing one chunk of a bulk beneficiary import: new people, changed people, phone
//! lists, campaign members, in large batches. SQLite takes multi-row statements (bare
//! `?` placeholders, statements reused); PostgreSQL takes `COPY … FROM STDIN`, and
//! changed rows go through a temporary table and one `UPDATE … FROM`.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, SqliteConnection};

use super::beneficiary_import::{ChunkWrites, PhoneListWrite, RowWrite};
use super::bulk::{push_copy_escaped, send_copy_block};
use super::db::values_placeholders;
use super::{query, query_as, Backend, StoreError, Tx};

/// Ids per `IN (…)` list.
pub(super) const IN_LIST: usize = 500;
/// Rows per multi-row statement on SQLite.
const SQLITE_ROWS: usize = 500;

/// `?, ?, …` or `$1, $2, …` for an `IN (…)` list of `n` values, with its brackets.
pub(super) fn in_list(tx: &Tx, n: usize) -> String {
    let list = values_placeholders(tx.backend(), 1, n);
    list.trim_start_matches('(')
        .trim_end_matches(')')
        .to_string()
}

const PERSON_COLUMNS: &str = "id, external_ref, identity_key, last_name, first_name, \
     birth_date, address, postal_code, commune, insee_code, preferred_language, \
     territory_id, status, status_changed_at, relative_name, relative_phone, created_at, \
     updated_at";
const PHONE_COLUMNS: &str = "beneficiary_id, position, e164, kind, wrong_reported_at";
const MEMBER_COLUMNS: &str = "campaign_id, beneficiary_id, added_at";

/// Writes what one chunk decided, its people's ids given
/// ([`ChunkWrites::resolve`]).
pub(super) async fn write_chunk(
    tx: &mut Tx,
    chunk: ChunkWrites,
    campaign_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let marks = replaced_phone_marks(tx, &chunk).await?;
    let phones = phone_rows(&chunk.phone_lists, &marks);
    let members = &chunk.member_ids;
    match tx {
        Tx::Sqlite(conn, _) => {
            let conn: &mut SqliteConnection = conn;
            sqlite_people(conn, &chunk.inserts, now).await?;
            sqlite_updates(conn, &chunk.updates, now).await?;
            sqlite_phones(conn, &phones).await?;
            sqlite_members(conn, members, campaign_id, now).await?;
        }
        Tx::Postgres(conn) => {
            let conn: &mut PgConnection = conn;
            pg_people(conn, &chunk.inserts, now).await?;
            pg_updates(conn, &chunk.updates, now).await?;
            pg_phones(conn, &phones).await?;
            pg_members(conn, members, campaign_id, now).await?;
        }
    }
    Ok(())
}

/// A phone row to insert.
struct PhoneRow<'a> {
    beneficiary_id: i64,
    position: i32,
    e164: &'a str,
    kind: &'static str,
    wrong_reported_at: Option<DateTime<Utc>>,
}

/// The "wrong number" marks of the lists about to be replaced (a replaced list keeps
/// the mark of the numbers it keeps); the replaced lists are deleted.
async fn replaced_phone_marks(
    tx: &mut Tx,
    chunk: &ChunkWrites,
) -> Result<HashMap<(i64, String), DateTime<Utc>>, StoreError> {
    let replaced: Vec<i64> = chunk
        .phone_lists
        .iter()
        .filter(|list| list.replace)
        .map(|list| list.id)
        .collect();
    let mut marks = HashMap::new();
    for batch in replaced.chunks(IN_LIST) {
        let list = in_list(tx, batch.len());
        let sql = format!(
            "SELECT beneficiary_id, e164, wrong_reported_at FROM beneficiary_phones \
             WHERE wrong_reported_at IS NOT NULL AND beneficiary_id IN ({list})"
        );
        let mut q = query_as::<(i64, String, DateTime<Utc>)>(&sql);
        for id in batch {
            q = q.bind(*id);
        }
        for (id, e164, at) in q.fetch_all(&mut *tx).await? {
            marks.insert((id, e164), at);
        }
        let sql = format!("DELETE FROM beneficiary_phones WHERE beneficiary_id IN ({list})");
        let mut q = query(&sql);
        for id in batch {
            q = q.bind(*id);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(marks)
}

fn phone_rows<'a>(
    lists: &'a [PhoneListWrite],
    marks: &HashMap<(i64, String), DateTime<Utc>>,
) -> Vec<PhoneRow<'a>> {
    let mut rows = Vec::new();
    for list in lists {
        let beneficiary_id = list.id;
        for (position, (e164, kind)) in list.phones.iter().enumerate() {
            rows.push(PhoneRow {
                beneficiary_id,
                position: position as i32,
                e164,
                kind,
                wrong_reported_at: marks.get(&(beneficiary_id, e164.clone())).copied(),
            });
        }
    }
    rows
}

async fn sqlite_people(
    conn: &mut SqliteConnection,
    rows: &[RowWrite],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for batch in rows.chunks(SQLITE_ROWS) {
        let sql = format!(
            "INSERT INTO beneficiaries ({PERSON_COLUMNS}) VALUES {}",
            values_placeholders(Backend::Sqlite, batch.len(), 18)
        );
        let mut q = sqlx::query(&sql);
        for r in batch {
            let f = &r.fields;
            q = q
                .bind(r.id)
                .bind(&f.external_ref)
                .bind(&r.key)
                .bind(&f.last_name)
                .bind(&f.first_name)
                .bind(f.birth_date)
                .bind(&f.address)
                .bind(&f.postal_code)
                .bind(&f.commune)
                .bind(&f.insee_code)
                .bind(&f.preferred_language)
                .bind(f.territory_id)
                .bind(f.status)
                .bind(now)
                .bind(&f.relative_name)
                .bind(&f.relative_phone)
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// One statement per batch of changed people: `UPDATE … FROM (VALUES …)`; the status
/// date moves only when the status does.
async fn sqlite_updates(
    conn: &mut SqliteConnection,
    rows: &[RowWrite],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for batch in rows.chunks(SQLITE_ROWS) {
        let sql = format!(
            "UPDATE beneficiaries SET external_ref = v.column2, identity_key = v.column3, \
             last_name = v.column4, first_name = v.column5, birth_date = v.column6, \
             address = v.column7, postal_code = v.column8, commune = v.column9, \
             insee_code = v.column10, preferred_language = v.column11, \
             territory_id = v.column12, status_changed_at = CASE WHEN beneficiaries.status <> \
             v.column13 THEN ? ELSE beneficiaries.status_changed_at END, status = v.column13, \
             relative_name = v.column14, relative_phone = v.column15, updated_at = ? \
             FROM (VALUES {}) AS v WHERE beneficiaries.id = v.column1",
            values_placeholders(Backend::Sqlite, batch.len(), 15)
        );
        let mut q = sqlx::query(&sql).bind(now).bind(now);
        for r in batch {
            let f = &r.fields;
            q = q
                .bind(r.id)
                .bind(&f.external_ref)
                .bind(&r.key)
                .bind(&f.last_name)
                .bind(&f.first_name)
                .bind(f.birth_date)
                .bind(&f.address)
                .bind(&f.postal_code)
                .bind(&f.commune)
                .bind(&f.insee_code)
                .bind(&f.preferred_language)
                .bind(f.territory_id)
                .bind(f.status)
                .bind(&f.relative_name)
                .bind(&f.relative_phone);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn sqlite_phones(
    conn: &mut SqliteConnection,
    rows: &[PhoneRow<'_>],
) -> Result<(), StoreError> {
    for batch in rows.chunks(SQLITE_ROWS * 2) {
        let sql = format!(
            "INSERT INTO beneficiary_phones ({PHONE_COLUMNS}) VALUES {}",
            values_placeholders(Backend::Sqlite, batch.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for p in batch {
            q = q
                .bind(p.beneficiary_id)
                .bind(p.position)
                .bind(p.e164)
                .bind(p.kind)
                .bind(p.wrong_reported_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn sqlite_members(
    conn: &mut SqliteConnection,
    members: &[i64],
    campaign_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for batch in members.chunks(SQLITE_ROWS * 2) {
        let sql = format!(
            "INSERT INTO campaign_members ({MEMBER_COLUMNS}) VALUES {}",
            values_placeholders(Backend::Sqlite, batch.len(), 3)
        );
        let mut q = sqlx::query(&sql);
        for id in batch {
            q = q.bind(campaign_id).bind(*id).bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// SQLite: the trigger that sets a new member's `left_at` (migration 0008), one lookup
/// of the member's person per row; a large first import drops it
/// ([`super::deferred_indexes`]) and does its work with [`SETTLE_MEMBERS_LEFT_AT`].
pub(super) const MEMBERS_LEFT_AT_TRIGGER: &str = "campaign_members_left_at";

/// What [`MEMBERS_LEFT_AT_TRIGGER`] does, for every member of the campaign `?1` at once:
/// a member whose person is not active left at the person's status date (always,
/// without one). Members written before the import already have it (the triggers keep
/// it), so this touches the import's own; run after the indexes are built (the people
/// not active are found by theirs, `beneficiaries_not_active`).
pub(super) const SETTLE_MEMBERS_LEFT_AT: &str = "UPDATE campaign_members SET left_at = \
     (SELECT COALESCE(b.status_changed_at, '1970-01-01T00:00:00+00:00') FROM beneficiaries b \
      WHERE b.id = campaign_members.beneficiary_id) \
     WHERE campaign_id = ?1 AND left_at IS NULL \
       AND beneficiary_id IN (SELECT id FROM beneficiaries WHERE status <> 'active')";

/// Bytes of `COPY` text written before they are sent: the server stores one block
/// while the next is written, instead of waiting for a whole chunk's rows (smaller
/// than the planner's blocks, [`super::bulk`]: a chunk is a few megabytes).
const IMPORT_COPY_BLOCK: usize = 128 * 1024;

/// Rows in PostgreSQL's `COPY` text format.
struct CopyText {
    buf: String,
    fields_in_row: usize,
}

impl CopyText {
    fn new() -> Self {
        CopyText {
            buf: String::with_capacity(IMPORT_COPY_BLOCK + 4096),
            fields_in_row: 0,
        }
    }

    /// The tab before every field but a row's first.
    fn field(&mut self) -> &mut String {
        if self.fields_in_row > 0 {
            self.buf.push('\t');
        }
        self.fields_in_row += 1;
        &mut self.buf
    }

    fn text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            None => self.field().push_str("\\N"),
            Some(s) => push_copy_escaped(self.field(), s),
        }
        self
    }

    fn int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            None => self.text(None),
            Some(v) => {
                let _ = write!(self.field(), "{v}");
                self
            }
        }
    }

    fn date(&mut self, value: Option<NaiveDate>) -> &mut Self {
        match value {
            None => self.text(None),
            Some(d) => {
                let _ = write!(self.field(), "{d}");
                self
            }
        }
    }

    fn time(&mut self, value: Option<DateTime<Utc>>) -> &mut Self {
        self.text(value.map(|t| t.to_rfc3339()).as_deref())
    }

    fn end_row(&mut self) {
        self.buf.push('\n');
        self.fields_in_row = 0;
    }
}

/// `COPY {target} FROM STDIN` of `rows`, each written by `row`, sent a block at a time.
/// Nothing is sent for no rows.
async fn copy_in<T>(
    conn: &mut PgConnection,
    target: &str,
    rows: &[T],
    mut row: impl FnMut(&mut CopyText, &T),
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut copy = conn
        .copy_in_raw(&format!("COPY {target} FROM STDIN"))
        .await?;
    let mut out = CopyText::new();
    for r in rows {
        row(&mut out, r);
        out.end_row();
        if out.buf.len() >= IMPORT_COPY_BLOCK {
            copy = send_copy_block(copy, &mut out.buf).await?;
        }
    }
    copy = send_copy_block(copy, &mut out.buf).await?;
    copy.finish().await?;
    Ok(())
}

/// The columns of a person both for an insert and for an update, after the id.
fn copy_person(out: &mut CopyText, id: i64, r: &RowWrite) {
    let f = &r.fields;
    out.int(Some(id))
        .text(f.external_ref.as_deref())
        .text(Some(&r.key))
        .text(Some(&f.last_name))
        .text(Some(&f.first_name))
        .date(f.birth_date)
        .text(f.address.as_deref())
        .text(f.postal_code.as_deref())
        .text(f.commune.as_deref())
        .text(f.insee_code.as_deref())
        .text(Some(&f.preferred_language))
        .int(f.territory_id)
        .text(Some(f.status.as_str()));
}

async fn pg_people(
    conn: &mut PgConnection,
    rows: &[RowWrite],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.to_rfc3339();
    let target = format!("beneficiaries ({PERSON_COLUMNS})");
    copy_in(conn, &target, rows, |out, r| {
        copy_person(out, r.id, r);
        out.text(Some(&now))
            .text(r.fields.relative_name.as_deref())
            .text(r.fields.relative_phone.as_deref())
            .text(Some(&now))
            .text(Some(&now));
    })
    .await
}

/// Changed people: copied into a temporary table, then one `UPDATE … FROM`.
async fn pg_updates(
    conn: &mut PgConnection,
    rows: &[RowWrite],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "CREATE TEMPORARY TABLE IF NOT EXISTS import_changed_beneficiaries (id BIGINT, \
         external_ref TEXT, identity_key TEXT, last_name TEXT, first_name TEXT, \
         birth_date DATE, address TEXT, postal_code TEXT, commune TEXT, insee_code TEXT, \
         preferred_language TEXT, territory_id BIGINT, status TEXT, \
         relative_name TEXT, relative_phone TEXT) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await?;
    copy_in(conn, "import_changed_beneficiaries", rows, |out, r| {
        copy_person(out, r.id, r);
        out.text(r.fields.relative_name.as_deref())
            .text(r.fields.relative_phone.as_deref());
    })
    .await?;
    sqlx::query(
        "UPDATE beneficiaries AS b SET external_ref = u.external_ref, \
         identity_key = u.identity_key, last_name = u.last_name, first_name = u.first_name, \
         birth_date = u.birth_date, address = u.address, postal_code = u.postal_code, \
         commune = u.commune, insee_code = u.insee_code, \
         preferred_language = u.preferred_language, territory_id = u.territory_id, \
         status_changed_at = CASE WHEN b.status <> u.status THEN $1 ELSE b.status_changed_at END, \
         status = u.status, relative_name = u.relative_name, relative_phone = u.relative_phone, \
         updated_at = $1 FROM import_changed_beneficiaries AS u WHERE b.id = u.id",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query("TRUNCATE import_changed_beneficiaries")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn pg_phones(conn: &mut PgConnection, rows: &[PhoneRow<'_>]) -> Result<(), StoreError> {
    let target = format!("beneficiary_phones ({PHONE_COLUMNS})");
    copy_in(conn, &target, rows, |out, p| {
        out.int(Some(p.beneficiary_id))
            .int(Some(i64::from(p.position)))
            .text(Some(p.e164))
            .text(Some(p.kind))
            .time(p.wrong_reported_at);
    })
    .await
}

async fn pg_members(
    conn: &mut PgConnection,
    members: &[i64],
    campaign_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = now.to_rfc3339();
    let target = format!("campaign_members ({MEMBER_COLUMNS})");
    copy_in(conn, &target, members, |out, id| {
        out.int(Some(campaign_id)).int(Some(*id)).text(Some(&now));
    })
    .await
}
