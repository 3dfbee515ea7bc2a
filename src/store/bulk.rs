//! Large inserts by each backend's fastest path, behind one call:
//!
//! ```ignore
//! use crate::store::bulk::{insert_rows, Value};
//! let rows = people.iter().map(|p| [Value::Int(p.id), Value::Text(p.name.as_str().into()), Value::Null]);
//! let n = insert_rows(&mut tx, "t", ["id", "name", "note"], rows, &NoProgress).await?;
//! ```
//!
//! PostgreSQL: one `COPY table (columns) FROM STDIN` (text format), the rows streamed in
//! blocks of about a megabyte. Statement-level triggers (their transition tables) and
//! constraints run as for an `INSERT` of all the rows at once.
//! SQLite: multi-row `INSERT … VALUES (?, ?, …), …` of as many rows as SQLite's
//! 32,766 parameters allow (bare `?`, see [`super::db::values_placeholders`]), the values
//! bound straight into sqlx's arguments, the statement prepared once and reused for
//! every full batch.
//!
//! The values go in as the ordinary binds would: a [`Value::Time`] is the text sqlx writes
//! for a `DateTime<Utc>` on SQLite, and on PostgreSQL the same instant to the microsecond.
//! Nothing is returned but the count: no generated ids (`RETURNING` has no `COPY` form).

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgCopyIn;
use sqlx::sqlite::SqliteArguments;
use sqlx::Arguments;
use sqlx::PgConnection;

use super::progress::Progress;
use super::Tx;

/// One value of a row to insert.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(Cow<'a, str>),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Text(Cow::Owned(s))
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// SQLite's limit on the parameters of one statement (`SQLITE_MAX_VARIABLE_NUMBER`
/// since 3.32; the bundled SQLite is newer).
const SQLITE_MAX_PARAMS: usize = 32_766;
/// The most rows of one SQLite statement, whatever their width.
const SQLITE_MAX_ROWS: usize = 4_096;
/// PostgreSQL: bytes of `COPY` text sent per message.
const COPY_BLOCK: usize = 1 << 20;

/// Inserts `rows` into `table (columns…)` in the transaction, each row `N` values in the
/// order of `columns`, by `COPY` on PostgreSQL and multi-row `INSERT`s on SQLite.
/// `progress` advances by the rows written, batch by batch. Returns the rows inserted.
pub async fn insert_rows<'a, const N: usize>(
    tx: &mut Tx,
    table: &str,
    columns: [&str; N],
    rows: impl IntoIterator<Item = [Value<'a>; N]>,
    progress: &dyn Progress,
) -> Result<u64, sqlx::Error> {
    match tx {
        Tx::Postgres(conn) => copy_rows(conn, table, &columns, rows, progress).await,
        Tx::Sqlite(conn, _) => insert_batches(conn, table, &columns, rows, progress).await,
    }
}

fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        super::db::values_placeholders(super::Backend::Sqlite, rows, columns.len())
    )
}

async fn insert_batches<'a, const N: usize>(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    columns: &[&str; N],
    rows: impl IntoIterator<Item = [Value<'a>; N]>,
    progress: &dyn Progress,
) -> Result<u64, sqlx::Error> {
    let per_batch = (SQLITE_MAX_PARAMS / N.max(1)).clamp(1, SQLITE_MAX_ROWS);
    let full_sql = insert_sql(table, columns, per_batch);
    let mut rows = rows.into_iter().peekable();
    let mut inserted = 0;
    while rows.peek().is_some() {
        let mut args = SqliteArguments::default();
        let mut n = 0;
        for row in rows.by_ref().take(per_batch) {
            for value in row {
                add_sqlite(&mut args, value)?;
            }
            n += 1;
        }
        let sql = if n == per_batch {
            Cow::Borrowed(full_sql.as_str())
        } else {
            Cow::Owned(insert_sql(table, columns, n))
        };
        let done = sqlx::query_with(&sql, args).execute(&mut *conn).await?;
        inserted += done.rows_affected();
        progress.advance(n as u64);
    }
    Ok(inserted)
}

fn add_sqlite<'q>(args: &mut SqliteArguments<'q>, value: Value<'q>) -> Result<(), sqlx::Error> {
    match value {
        Value::Null => args.add(None::<i64>),
        Value::Int(v) => args.add(v),
        Value::Bool(v) => args.add(v),
        Value::Text(Cow::Borrowed(v)) => args.add(v),
        Value::Text(Cow::Owned(v)) => args.add(v),
        Value::Date(v) => args.add(v),
        Value::Time(v) => args.add(v),
    }
    .map_err(sqlx::Error::Encode)
}

async fn copy_rows<'a, const N: usize>(
    conn: &mut sqlx::PgConnection,
    table: &str,
    columns: &[&str; N],
    rows: impl IntoIterator<Item = [Value<'a>; N]>,
    progress: &dyn Progress,
) -> Result<u64, sqlx::Error> {
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut block = String::with_capacity(COPY_BLOCK + 4096);
    let mut pending = 0;
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                block.push('\t');
            }
            copy_text(&mut block, value);
        }
        block.push('\n');
        pending += 1;
        if block.len() >= COPY_BLOCK {
            copy = send_copy_block(copy, &mut block).await?;
            progress.advance(pending);
            pending = 0;
        }
    }
    copy = send_copy_block(copy, &mut block).await?;
    let inserted = copy.finish().await?;
    progress.advance(pending);
    Ok(inserted)
}

/// A value as `COPY`'s text format spells it (`\N` for NULL; backslash, tab, newline
/// and carriage return escaped).
fn copy_text(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Null => out.push_str("\\N"),
        Value::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Bool(v) => out.push(if *v { 't' } else { 'f' }),
        Value::Text(s) => push_copy_escaped(out, s),
        Value::Date(d) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        // Microseconds, as sqlx binds a `DateTime` (PostgreSQL keeps no more).
        Value::Time(t) => {
            let _ = write!(out, "{}+00", t.format("%Y-%m-%d %H:%M:%S%.6f"));
        }
    }
}

/// Sends `block` (rows of `COPY` text), empties it and gives the `COPY` back; on
/// failure, ends the `COPY` before returning the error. An empty block sends nothing.
pub(super) async fn send_copy_block<'c>(
    mut copy: PgCopyIn<&'c mut PgConnection>,
    block: &mut String,
) -> Result<PgCopyIn<&'c mut PgConnection>, sqlx::Error> {
    if block.is_empty() {
        return Ok(copy);
    }
    if let Err(e) = copy.send(block.as_bytes()).await {
        let _ = copy.abort("send failed").await;
        return Err(e);
    }
    block.clear();
    Ok(copy)
}

/// `s` as `COPY`'s text format spells it: backslash, tab, newline and carriage return
/// escaped. Most texts have none of them and are copied whole.
pub(super) fn push_copy_escaped(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value<'_>) -> String {
        let mut s = String::new();
        copy_text(&mut s, &v);
        s
    }

    #[test]
    fn copy_text_escapes_and_spells_nulls() {
        assert_eq!(text(Value::Null), "\\N");
        assert_eq!(text(Value::Int(-42)), "-42");
        assert_eq!(text(Value::Bool(true)), "t");
        assert_eq!(text("a\tb\nc\\d\re".into()), "a\\tb\\nc\\\\d\\re");
        assert_eq!(text("\\N".into()), "\\\\N");
        assert_eq!(text("Jeanne Dupré-Hérault".into()), "Jeanne Dupré-Hérault");
        assert_eq!(text("é\\".into()), "é\\\\");
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(text(Value::Date(day)), "2026-11-30");
        let at = day
            .and_hms_nano_opt(8, 5, 3, 123_456_789)
            .unwrap()
            .and_utc();
        assert_eq!(text(Value::Time(at)), "2026-11-30 08:05:03.123456+00");
        assert_eq!(text(None::<i64>.into()), "\\N");
    }

    #[test]
    fn sqlite_statements_stay_under_the_parameter_limit() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        for n in 1..40 {
            let rows = (SQLITE_MAX_PARAMS / n).clamp(1, SQLITE_MAX_ROWS);
            assert!(rows * n <= SQLITE_MAX_PARAMS);
        }
    }
}
