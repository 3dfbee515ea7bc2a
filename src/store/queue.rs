//! A caller's week: the people assigned to them, with what the queue shows.

use chrono::{DateTime, Utc};

use super::{db, query, query_as, Store, StoreError};
use crate::calling::hours::CallingHours;
use crate::domain::{IsoWeek, Outcome};

/// One person in a caller's queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub assignment_id: i64,
    pub campaign_id: i64,
    pub campaign_title: String,
    /// The campaign's calling days and windows, as stored ([`QueueRow::calling_hours`]).
    calling_days: i32,
    calling_windows: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub callback_at: Option<DateTime<Utc>>,
    pub beneficiary_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub commune: Option<String>,
    pub preferred_language: String,
    pub open_needs: i64,
    pub last_conversation_at: Option<DateTime<Utc>>,
    /// The outcome code and notes of that last conversation, for its summary.
    pub last_conversation_outcome: Option<Outcome>,
    pub last_conversation_notes: Option<String>,
    /// The usable phones in their order, space-separated (E.164 has no space).
    #[sqlx(rename = "phone_list")]
    phone_list: Option<String>,
    /// The same, one number each.
    #[sqlx(skip)]
    pub phones: Vec<String>,
}

impl QueueRow {
    /// The row with its phones split out of the query's list.
    fn with_phones(mut self) -> Self {
        self.phones = self
            .phone_list
            .take()
            .map(|list| list.split(' ').map(str::to_string).collect())
            .unwrap_or_default();
        self
    }

    /// When the row's campaign calls.
    pub fn calling_hours(&self) -> CallingHours {
        CallingHours::from_stored(self.calling_days, &self.calling_windows)
    }
}

/// A row of the page's query ([`QueueSql`]).
#[derive(sqlx::FromRow)]
struct QueueRowWithProgress {
    #[sqlx(flatten)]
    row: QueueRow,
    week_assigned: i64,
    week_closed: i64,
}

/// How far the caller is in their week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekProgress {
    pub assigned: i64,
    pub closed: i64,
}

/// The queue's query: `$extra_columns` after the row's own, `$extra_join` after its
/// joins, `$last_conversation`, the join that gives each row its person's last
/// conversation as `lc`, and `$caller`, `$week`, `$today`, the statement's three
/// parameters as the query reads them ([`QUEUE_SQLITE`], [`QUEUE_POSTGRES`]).
///
/// The last conversation is found once per person, by the partial index
/// `calls_beneficiary_conversations` (migration 0028): three correlated scans of the
/// person's calls made the queue the costliest read under load (docs/PERFORMANCE.md,
/// "Under load"). The open needs are counted by the partial index of open escalations
/// (migration 0038). The phones come in the same query (`$phones`, a space-separated
/// list in their order, `NULL` when there is none), and so do the calling hours of each
/// row's campaign.
macro_rules! queue_sql {
    ($extra_columns:literal, $extra_join:expr, $last_conversation:expr, $phones:expr,
     $caller:expr, $week:expr, $today:expr) => {
        concat!(
            "SELECT a.id AS assignment_id, a.campaign_id, cp.title AS campaign_title, \
               cp.calling_days, cp.calling_windows, a.attempts, \
               a.next_attempt_at, a.callback_at, b.id AS beneficiary_id, b.first_name, b.last_name, \
               b.commune, b.preferred_language, \
               (SELECT COUNT(*) FROM escalations e WHERE e.beneficiary_id = b.id \
                  AND e.status IN ('open', 'in_progress')) AS open_needs, \
               lc.called_at AS last_conversation_at, lc.outcome AS last_conversation_outcome, \
               lc.notes AS last_conversation_notes, ",
            $phones,
            " AS phone_list",
            $extra_columns,
            " FROM assignments a \
             JOIN beneficiaries b ON b.id = a.beneficiary_id \
             JOIN campaigns cp ON cp.id = a.campaign_id ",
            $extra_join,
            $last_conversation,
            " WHERE a.caller_id = ",
            $caller,
            " AND a.week = ",
            $week,
            " AND a.status = 'open' AND b.status = 'active' \
               AND (b.paused_until IS NULL OR b.paused_until < ",
            $today,
            ") ORDER BY a.id"
        )
    };
}

/// The person's usable phones, SQLite: `string_agg … ORDER BY` (SQLite since 3.44).
macro_rules! phones_aggregated {
    () => {
        "(SELECT string_agg(p.e164, ' ' ORDER BY p.position) FROM beneficiary_phones p \
           WHERE p.beneficiary_id = b.id AND p.wrong_reported_at IS NULL)"
    };
}

/// The same, PostgreSQL: an array in the index's order. PostgreSQL 15 sorts the input of
/// an aggregate with `ORDER BY` for every row, even when the index gives it in order;
/// this form reads the phones as the primary key's index finds them: the phones cost
/// about a third less, the whole query 6–7 % less (docs/PERFORMANCE.md, "The phones in
/// the index's order"). `NULLIF`: no phone is `NULL`, as `string_agg` gives.
macro_rules! phones_in_index_order {
    () => {
        "NULLIF(array_to_string(ARRAY(SELECT p.e164 FROM beneficiary_phones p \
           WHERE p.beneficiary_id = b.id AND p.wrong_reported_at IS NULL \
           ORDER BY p.position), ' '), '')"
    };
}

/// The person's last conversation (`lc`), SQLite: the call's id found by the index, then
/// the call read by its id.
macro_rules! last_conversation_by_id {
    () => {
        "LEFT JOIN calls lc ON lc.id = (SELECT c.id FROM calls c WHERE c.beneficiary_id = b.id \
           AND c.outcome IN ('reached_ok', 'reached_need') ORDER BY c.called_at DESC, c.id DESC \
           LIMIT 1)"
    };
}

/// The same, PostgreSQL: the call read where the index finds it (a lateral join, which
/// SQLite has not). The lookup by id descended a second index for every row: this form
/// takes about a tenth off the query's CPU (docs/PERFORMANCE.md, "The queue's query
/// lighter").
macro_rules! last_conversation_lateral {
    () => {
        "LEFT JOIN LATERAL (SELECT c.called_at, c.outcome, c.notes FROM calls c \
           WHERE c.beneficiary_id = b.id AND c.outcome IN ('reached_ok', 'reached_need') \
           ORDER BY c.called_at DESC, c.id DESC LIMIT 1) lc ON TRUE"
    };
}

/// The caller's progress in the week, for the page: both counts in one scan of the
/// caller's week (a subquery that does not depend on the row, run once per statement).
macro_rules! week_progress_join {
    ($caller:expr, $week:expr) => {
        concat!(
            "CROSS JOIN (SELECT COUNT(*) AS week_assigned, \
               COUNT(*) FILTER (WHERE w.status = 'closed') AS week_closed \
               FROM assignments w WHERE w.caller_id = ",
            $caller,
            " AND w.week = ",
            $week,
            ") wk "
        )
    };
}

/// The queue's four texts: for the API or the page (with the caller's progress in the
/// week on every row, so that the page makes one query where it made two), on either
/// database.
struct QueueSql {
    api: &'static str,
    page: &'static str,
}

/// The API's and the page's texts with `$last_conversation` for the join of `lc`,
/// `$phones` for the list of phones and the three parameters as the query reads them.
macro_rules! queue_texts {
    ($last_conversation:expr, $phones:expr, $caller:expr, $week:expr, $today:expr) => {
        QueueSql {
            api: queue_sql!("", "", $last_conversation, $phones, $caller, $week, $today),
            page: queue_sql!(
                ", wk.week_assigned, wk.week_closed",
                week_progress_join!($caller, $week),
                $last_conversation,
                $phones,
                $caller,
                $week,
                $today
            ),
        }
    };
}

/// SQLite plans a prepared statement once: the parameters as they are given.
const QUEUE_SQLITE: QueueSql = queue_texts!(
    last_conversation_by_id!(),
    phones_aggregated!(),
    "$1",
    "$2",
    "$3"
);

/// PostgreSQL: each parameter read through an `InitPlan`, `(SELECT $n)`, whose value no
/// plan is made for. PostgreSQL plans a prepared statement again at every execution (a
/// *custom* plan) as long as the plans made for the values given are estimated cheaper
/// than one plan for any value (the *generic* plan). Whether they are depends on the
/// statistics and on which callers a connection served first: for one caller of the
/// demo's week read again and again, they were (125 against 204), and every read was
/// planned anew, 0.8 ms of the server's time, more than running the query. Read through
/// an `InitPlan`, no value is known to the planner, a custom plan costs what the generic
/// one does, and after its first five executions the connection keeps the generic plan
/// (the same plan: the caller's week by the index). docs/PERFORMANCE.md, "The queue
/// planned once".
const QUEUE_POSTGRES: QueueSql = queue_texts!(
    last_conversation_lateral!(),
    phones_in_index_order!(),
    "(SELECT $1::bigint)",
    "(SELECT $2::text)",
    "(SELECT $3::date)"
);

impl QueueSql {
    fn of(store: &Store) -> &'static QueueSql {
        match store.backend() {
            super::Backend::Sqlite => &QUEUE_SQLITE,
            super::Backend::Postgres => &QUEUE_POSTGRES,
        }
    }
}

/// Rows of contact-read audit events per insert (7 values each).
const AUDIT_CHUNK: usize = 500;

impl Store {
    /// The caller's open assignments of `week` (every campaign), with their phones;
    /// people paused until today or later are left out.
    pub async fn caller_queue(
        &self,
        caller_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<QueueRow>, StoreError> {
        self.caller_queue_on(caller_id, week, crate::domain::time::today_in_paris())
            .await
    }

    /// [`Store::caller_queue`] as it stands on `today`.
    pub async fn caller_queue_on(
        &self,
        caller_id: i64,
        week: IsoWeek,
        today: chrono::NaiveDate,
    ) -> Result<Vec<QueueRow>, StoreError> {
        let rows: Vec<QueueRow> = query_as(QueueSql::of(self).api)
            .bind(caller_id)
            .bind(week.to_string())
            .bind(today)
            .fetch_all(self)
            .await?;
        Ok(rows.into_iter().map(QueueRow::with_phones).collect())
    }

    /// [`Store::caller_queue`] and [`Store::caller_week_progress`] in one query (two when
    /// the queue is empty).
    pub async fn caller_queue_and_progress(
        &self,
        caller_id: i64,
        week: IsoWeek,
    ) -> Result<(Vec<QueueRow>, WeekProgress), StoreError> {
        let rows: Vec<QueueRowWithProgress> = query_as(QueueSql::of(self).page)
            .bind(caller_id)
            .bind(week.to_string())
            .bind(crate::domain::time::today_in_paris())
            .fetch_all(self)
            .await?;
        let progress = match rows.first() {
            Some(first) => WeekProgress {
                assigned: first.week_assigned,
                closed: first.week_closed,
            },
            None => self.caller_week_progress(caller_id, week).await?,
        };
        let rows = rows.into_iter().map(|r| r.row.with_phones()).collect();
        Ok((rows, progress))
    }

    pub async fn caller_week_progress(
        &self,
        caller_id: i64,
        week: IsoWeek,
    ) -> Result<WeekProgress, StoreError> {
        let (assigned, closed): (i64, i64) = query_as(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0) \
             FROM assignments WHERE caller_id = $1 AND week = $2",
        )
        .bind(caller_id)
        .bind(week.to_string())
        .fetch_one(self)
        .await?;
        Ok(WeekProgress { assigned, closed })
    }

    /// Notes in the audit trail that `user_id` was shown these people's contact details
    /// (one statement per [`AUDIT_CHUNK`] people, each on its own; the queue's reads go
    /// through [`super::ReadJournal`] instead, which writes many requests' at once).
    pub async fn record_contact_reads(
        &self,
        user_id: i64,
        beneficiary_ids: &[i64],
        context: &str,
    ) -> Result<(), StoreError> {
        let now = Utc::now();
        let rows: Vec<ReadRow> = beneficiary_ids
            .iter()
            .map(|&id| (now, Some(user_id), id, context))
            .collect();
        for chunk in rows.chunks(AUDIT_CHUNK) {
            insert_reads(self, self.backend(), chunk).await?;
        }
        Ok(())
    }
}

/// One `contact_details_read` event: when, by whom (`None`: an account deleted since),
/// about whom, on which screen.
type ReadRow<'a> = (DateTime<Utc>, Option<i64>, i64, &'a str);

/// One multi-row `INSERT` of read events (at most [`AUDIT_CHUNK`]).
async fn insert_reads<'c>(
    exec: impl Into<db::Exec<'c>>,
    backend: super::Backend,
    rows: &[ReadRow<'_>],
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO audit_events (at, actor_user_id, actor_label, action, subject_type, \
         subject_id, detail) VALUES {}",
        db::values_placeholders(backend, rows.len(), 7)
    );
    let mut insert = query(&sql);
    for &(at, user_id, id, context) in rows {
        insert = insert
            .bind(at)
            .bind(user_id)
            .bind("user")
            .bind("contact_details_read")
            .bind("beneficiary")
            .bind(id)
            .bind(context);
    }
    insert.execute(exec).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How SQLite runs `sql`: the details of `EXPLAIN QUERY PLAN`, one line each.
    async fn sqlite_plan(store: &Store, sql: &str) -> Vec<String> {
        let rows: Vec<(i64, i64, i64, String)> = query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
            .bind(1_i64)
            .bind("2026-W49")
            .bind(chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap())
            .fetch_all(store)
            .await
            .unwrap();
        rows.into_iter().map(|(_, _, _, detail)| detail).collect()
    }

    /// A queue read finds the caller's assignments of the week by the index, not every
    /// week the caller ever had (migration 0033): its cost stays flat as the campaign
    /// goes on.
    #[tokio::test]
    async fn the_queue_reads_the_callers_week_by_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        Store::open(&url).await.unwrap().close().await;
        // `EXPLAIN` runs nothing, so it never checks the schema's version: a pooled
        // connection that had read the schema before the migrations would describe the
        // old indexes. The plans are read on connections opened after them.
        let store = Store::connect(&url).await.unwrap();
        let queue = sqlite_plan(&store, QUEUE_SQLITE.api).await;
        let progress = sqlite_plan(&store, QUEUE_SQLITE.page).await;
        for plan in [&queue, &progress] {
            let assignments = plan
                .iter()
                .find(|line| line.starts_with("SEARCH a "))
                .unwrap_or_else(|| panic!("no search of the assignments: {plan:?}"));
            assert!(
                assignments.contains("(caller_id=? AND week=?)"),
                "{assignments}"
            );
            assert!(
                plan.iter()
                    .any(|line| line.contains("USING INDEX escalations_open_by_person")),
                "the open needs are counted by the partial index: {plan:?}"
            );
        }
        let week = progress
            .iter()
            .find(|line| line.starts_with("SEARCH w "))
            .unwrap_or_else(|| panic!("no search of the week's assignments: {progress:?}"));
        assert!(week.contains("(caller_id=? AND week=?)"), "{week}");
    }
}
