//! One SQL text for both backends, as plain functions that rustfmt formats.
//!
//! [`query`], [`query_as`] and [`query_scalar`] read like sqlx's own: the SQL is written
//! once in portable SQL (`$1` placeholders work on both databases), the values are bound
//! with `.bind(…)`, and the query runs on whatever it is given — the [`Store`] (a pool)
//! or a [`Tx`] (a transaction) of either backend. The backend is chosen when the query
//! runs, so one function body serves SQLite and PostgreSQL alike:
//!
//! ```ignore
//! let mut tx = store.begin().await?;
//! let (id,): (i64,) = query_as("INSERT INTO t (name) VALUES ($1) RETURNING id")
//!     .bind(name)
//!     .fetch_one(&mut tx)
//!     .await?;
//! query("UPDATE u SET t_id = $1").bind(id).execute(&mut tx).await?;
//! tx.commit().await?;
//! ```
//!
//! A [`Tx`] dropped without [`Tx::commit`] (an early return, a `?`, a dry run) rolls
//! back. Backend-specific fast paths (`FOR UPDATE`, `COPY`) match on [`Tx`] or
//! [`Store`] directly.

use std::marker::PhantomData;

use futures_util::TryStreamExt;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Decode, Encode, FromRow, PgConnection, Postgres, Sqlite, SqliteConnection};
use sqlx::{PgPool, SqlitePool, Type};

use super::request_connection;
use super::sqlite_lock::WriterTurn;
use super::writer_connection::SqliteTx;
use super::{Backend, Store};

/// A value that binds to a query of either backend.
pub trait Param<'q>: Send + 'q {
    fn add_sqlite(self: Box<Self>, args: &mut SqliteArguments<'q>) -> Result<(), BoxDynError>;
    fn add_postgres(self: Box<Self>, args: &mut PgArguments) -> Result<(), BoxDynError>;
}

impl<'q, T> Param<'q> for T
where
    T: Send + 'q + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
{
    fn add_sqlite(self: Box<Self>, args: &mut SqliteArguments<'q>) -> Result<(), BoxDynError> {
        args.add(*self)
    }

    fn add_postgres(self: Box<Self>, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(*self)
    }
}

/// A row type that decodes from either backend's rows.
pub trait Row: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> {}
impl<T> Row for T where T: Send + Unpin + for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow>
{}

/// A column value that decodes from either backend.
pub trait Scalar:
    Send
    + Unpin
    + for<'r> Decode<'r, Sqlite>
    + Type<Sqlite>
    + for<'r> Decode<'r, Postgres>
    + Type<Postgres>
{
}
impl<T> Scalar for T where
    T: Send
        + Unpin
        + for<'r> Decode<'r, Sqlite>
        + Type<Sqlite>
        + for<'r> Decode<'r, Postgres>
        + Type<Postgres>
{
}

/// Where a query runs: a pool or a transaction's connection, of either backend.
pub enum Exec<'c> {
    SqlitePool(&'c SqlitePool),
    PostgresPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c Store> for Exec<'c> {
    fn from(store: &'c Store) -> Self {
        match store {
            Store::Sqlite(pool, _) => Exec::SqlitePool(pool),
            Store::Postgres(pool) => Exec::PostgresPool(pool),
        }
    }
}

impl<'c> From<&'c mut Tx> for Exec<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(tx, _) => Exec::Sqlite(tx),
            Tx::Postgres(tx) => Exec::Postgres(tx),
        }
    }
}

/// A write transaction of either backend; rolled back when dropped uncommitted. An
/// SQLite one holds its process's turn to write on the file until it ends.
pub enum Tx {
    Sqlite(SqliteTx, WriterTurn),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(..) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == Backend::Postgres
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx, _turn) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    /// Commits when `commit` holds (a dry run does all the work, then rolls back).
    pub async fn commit_if(self, commit: bool) -> Result<(), sqlx::Error> {
        if commit {
            self.commit().await
        } else {
            self.rollback().await
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx, _turn) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
    }
}

impl Store {
    /// Opens a write transaction. SQLite's waits for its turn among this process's
    /// writers ([`super::sqlite_lock::writer_turn`]), then starts with `BEGIN IMMEDIATE`
    /// so that it holds the write lock before its first statement.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Store::Sqlite(pool, side) => {
                request_connection::release();
                let turn = super::sqlite_lock::writer_turn(pool).await?;
                let tx = side.writer.begin("BEGIN IMMEDIATE").await?;
                Tx::Sqlite(tx, turn)
            }
            // A request never holds two connections: its transaction begins on the one it
            // keeps between statements, if any, else on one of the pool's. `Pool::begin`
            // is this same call on a connection it acquires.
            Store::Postgres(pool) => {
                Tx::Postgres(match request_connection::take_for_transaction(pool) {
                    Some(kept) => sqlx::Transaction::begin(kept, None).await?,
                    None => pool.begin().await?,
                })
            }
        })
    }
}

/// What a statement changed.
#[derive(Debug, Clone, Copy)]
pub struct Executed {
    rows_affected: u64,
}

impl Executed {
    pub fn rows_affected(&self) -> u64 {
        self.rows_affected
    }
}

/// Runs `$body` with `$e` bound to the PostgreSQL connection the request keeps for
/// `$pool` ([`request_connection`]), put back after, or else to the pool itself.
macro_rules! kept_or_pool {
    ($pool:ident, |$e:ident| $body:expr) => {{
        match request_connection::take($pool).await? {
            Some(mut kept) => {
                let $e = &mut *kept.connection;
                let out = $body;
                request_connection::put_back(kept, Failed::failed(&out));
                out
            }
            None => {
                let $e = $pool;
                $body
            }
        }
    }};
}

/// Whether a statement's outcome is a failure (for [`request_connection::put_back`]).
trait Failed {
    fn failed(&self) -> bool;
}

impl<T, E> Failed for Result<T, E> {
    fn failed(&self) -> bool {
        self.is_err()
    }
}

/// A body that ends with `?` inside: reached only when it succeeded.
impl Failed for () {
    fn failed(&self) -> bool {
        false
    }
}

/// Runs `$body` with `$q` bound to the sqlx query of the backend `$exec` names and `$e`
/// to its executor.
macro_rules! dispatch {
    ($self:ident, $exec:expr, |$q:ident, $e:ident| $body:expr, $make:expr) => {{
        let Args { sql, params } = $self.args;
        match $exec.into() {
            Exec::SqlitePool($e) => {
                let $q = $make(sql, sqlite_args(params)?);
                $body
            }
            Exec::Sqlite($e) => {
                let $q = $make(sql, sqlite_args(params)?);
                $body
            }
            Exec::PostgresPool(pool) => {
                let $q = $make(sql, postgres_args(params)?);
                kept_or_pool!(pool, |$e| $body)
            }
            Exec::Postgres($e) => {
                let $q = $make(sql, postgres_args(params)?);
                $body
            }
        }
    }};
}

type Params<'q> = Vec<Box<dyn Param<'q>>>;

struct Args<'q> {
    sql: &'q str,
    params: Params<'q>,
}

impl<'q> Args<'q> {
    fn push<T: Param<'q>>(&mut self, value: T) {
        self.params.push(Box::new(value));
    }
}

fn sqlite_args(params: Params<'_>) -> Result<SqliteArguments<'_>, sqlx::Error> {
    let mut args = SqliteArguments::default();
    for p in params {
        p.add_sqlite(&mut args).map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

fn postgres_args(params: Params<'_>) -> Result<PgArguments, sqlx::Error> {
    let mut args = PgArguments::default();
    for p in params {
        p.add_postgres(&mut args).map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

/// A statement whose result is the number of rows it changed.
#[must_use = "a query does nothing until it is executed"]
pub struct Query<'q> {
    args: Args<'q>,
}

/// A statement whose result rows decode into `O`.
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryAs<'q, O> {
    args: Args<'q>,
    out: PhantomData<fn() -> O>,
}

/// A statement whose result is the first column of its rows.
#[must_use = "a query does nothing until it is fetched"]
pub struct QueryScalar<'q, O> {
    args: Args<'q>,
    out: PhantomData<fn() -> O>,
}

pub fn query(sql: &str) -> Query<'_> {
    Query {
        args: Args {
            sql,
            params: Vec::new(),
        },
    }
}

pub fn query_as<O: Row>(sql: &str) -> QueryAs<'_, O> {
    QueryAs {
        args: Args {
            sql,
            params: Vec::new(),
        },
        out: PhantomData,
    }
}

pub fn query_scalar<O: Scalar>(sql: &str) -> QueryScalar<'_, O> {
    QueryScalar {
        args: Args {
            sql,
            params: Vec::new(),
        },
        out: PhantomData,
    }
}

/// The placeholders of a multi-row `VALUES` list of `rows` rows of `columns` values
/// each, for a batch insert whose only parameters they are: `($1, $2, …), …` on
/// PostgreSQL, `(?, ?, …), …` on SQLite. SQLite numbers a bare `?` by its position;
/// with thousands of *named* `$N` parameters, the binding of each one looks its name up
/// in a list as long as the statement (`sqlite3_bind_parameter_name`), which made a
/// 7,000-value insert quadratic (10 s instead of 1 s for a 200,000-row plan).
pub fn values_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&(r * columns + c + 1).to_string());
                }
            }
        }
        out.push(')');
    }
    out
}

/// What the three kinds of statement share: values bound in order. For a helper that
/// binds the same fields to an `INSERT … RETURNING id` and an `UPDATE`.
pub trait Binds<'q>: Sized {
    fn bind_value<T: Param<'q>>(self, value: T) -> Self;
}

impl<'q> Binds<'q> for Query<'q> {
    fn bind_value<T: Param<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, O: Row> Binds<'q> for QueryAs<'q, O> {
    fn bind_value<T: Param<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q, O: Scalar> Binds<'q> for QueryScalar<'q, O> {
    fn bind_value<T: Param<'q>>(self, value: T) -> Self {
        self.bind(value)
    }
}

impl<'q> Query<'q> {
    pub fn bind<T: Param<'q>>(mut self, value: T) -> Self {
        self.args.push(value);
        self
    }

    pub async fn execute<'c>(self, exec: impl Into<Exec<'c>>) -> Result<Executed, sqlx::Error> {
        let rows_affected = dispatch!(
            self,
            exec,
            |q, e| q.execute(e).await.map(|done| done.rows_affected()),
            sqlx::query_with
        )?;
        Ok(Executed { rows_affected })
    }
}

impl<'q, O: Row> QueryAs<'q, O> {
    pub fn bind<T: Param<'q>>(mut self, value: T) -> Self {
        self.args.push(value);
        self
    }

    pub async fn fetch_all<'c>(self, exec: impl Into<Exec<'c>>) -> Result<Vec<O>, sqlx::Error> {
        dispatch!(self, exec, |q, e| q.fetch_all(e).await, sqlx::query_as_with)
    }

    pub async fn fetch_one<'c>(self, exec: impl Into<Exec<'c>>) -> Result<O, sqlx::Error> {
        dispatch!(self, exec, |q, e| q.fetch_one(e).await, sqlx::query_as_with)
    }

    pub async fn fetch_optional<'c>(
        self,
        exec: impl Into<Exec<'c>>,
    ) -> Result<Option<O>, sqlx::Error> {
        dispatch!(
            self,
            exec,
            |q, e| q.fetch_optional(e).await,
            sqlx::query_as_with
        )
    }

    /// Folds the rows one at a time, never holding them all: for large reads.
    pub async fn fold<'c, A>(
        self,
        exec: impl Into<Exec<'c>>,
        init: A,
        mut f: impl FnMut(A, O) -> A,
    ) -> Result<A, sqlx::Error> {
        let mut acc = Some(init);
        dispatch!(
            self,
            exec,
            |q, e| {
                let mut rows = q.fetch(e);
                while let Some(row) = rows.try_next().await? {
                    acc = acc.take().map(|a| f(a, row));
                }
            },
            sqlx::query_as_with
        );
        Ok(acc.expect("the accumulator is put back after each row"))
    }
}

impl<'q, O: Scalar> QueryScalar<'q, O> {
    pub fn bind<T: Param<'q>>(mut self, value: T) -> Self {
        self.args.push(value);
        self
    }

    pub async fn fetch_all<'c>(self, exec: impl Into<Exec<'c>>) -> Result<Vec<O>, sqlx::Error> {
        dispatch!(
            self,
            exec,
            |q, e| q.fetch_all(e).await,
            sqlx::query_scalar_with
        )
    }

    pub async fn fetch_one<'c>(self, exec: impl Into<Exec<'c>>) -> Result<O, sqlx::Error> {
        dispatch!(
            self,
            exec,
            |q, e| q.fetch_one(e).await,
            sqlx::query_scalar_with
        )
    }

    pub async fn fetch_optional<'c>(
        self,
        exec: impl Into<Exec<'c>>,
    ) -> Result<Option<O>, sqlx::Error> {
        dispatch!(
            self,
            exec,
            |q, e| q.fetch_optional(e).await,
            sqlx::query_scalar_with
        )
    }
}

#[cfg(test)]
mod tests {
    use super::values_placeholders;
    use crate::store::Backend;

    #[test]
    fn placeholders_number_rows_then_columns() {
        let pg = Backend::Postgres;
        assert_eq!(values_placeholders(pg, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_placeholders(pg, 1, 1), "($1)");
        assert_eq!(values_placeholders(pg, 0, 4), "");
        let sqlite = Backend::Sqlite;
        assert_eq!(values_placeholders(sqlite, 2, 2), "(?, ?), (?, ?)");
    }
}
