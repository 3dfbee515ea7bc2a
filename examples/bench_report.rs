//! Benchmark of a week's totals (issue 7) at national scale, on SQLite or PostgreSQL.
//!
//! ```text
//! cargo run --release --example bench_report -- --database-url URL \
//!     [--beneficiaries 1000000] [--calls 10000000] [--weeks 40] [--callers 2000] [--runs 9] [--keep]
//! ```
//!
//! URL is `sqlite://FILE` (a new file) or `postgres://…/postgres` (a server: the benchmark
//! creates a database `lien_bench_report_<pid>` there and drops it at the end).
//! With `--keep`, the data is kept for the next run and reused when present (the file,
//! or the PostgreSQL database `lien_bench_report_kept`), so that the ten-million-call set
//! is generated once; the schema's new migrations are applied to it on opening.
//!
//! Data, generated in bulk by the database itself (recursive CTE on SQLite,
//! `generate_series` on PostgreSQL), deterministic: N beneficiaries in 20 territories
//! (0.5 % without one, 1 % opted out, 1 % deceased, 0.5 % paused), all members of the
//! default campaign; `weeks` weeks of assignments ending with the current week, each week
//! `calls / weeks / 2` assignments (1, 2 or 3 calls each, 2 on average, so `calls` calls
//! in all) spread over the callers; outcomes: 40 % reached_ok, 10 % reached_need (one
//! escalation each), 10 % no answer, 10 % voicemail, 10 % refused, 10 % wrong number,
//! 10 % paused; earlier calls of an assignment unanswered. Every index of the schema is
//! in place while the rows go in.
//!
//! Measures (median and min of `runs`, after one warm-up): `Store::week_totals` for the
//! current week (with the previous week's figures and the change, as the page and the
//! API compute them), and as the baseline, in the same run, a plain
//! `SELECT COUNT(*) FROM assignments WHERE campaign_id = 1 AND week = $1`; their ratio.
//! Then the same totals for the previous, finished week; `eligible` alone; the grouped
//! pass over the week's assignments that the kept per-caller sums replace, and a check
//! that the kept sums equal it (the run fails otherwise). Also, for information, the
//! other dashboard reads (trend, by territory, data quality, time given).

use std::time::{Duration, Instant};

use chrono::Utc;
use lien::domain::{CampaignName, IsoWeek};
use lien::store::Store;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn num(name: &str, default: i64) -> i64 {
    arg(name)
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

const TERRITORIES: i64 = 20;

/// Runs one statement on either pool.
async fn exec(store: &Store, sql: &str) {
    let result = match store {
        Store::Sqlite(pool, _) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
    };
    if let Err(e) = result {
        panic!("{e}\n{sql}");
    }
}

/// `SELECT …` of the integers 0..n as a table `s(k)` for this backend.
fn series(store: &Store, n: i64) -> String {
    match store {
        Store::Sqlite(..) => format!(
            "WITH RECURSIVE s(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM s WHERE k < {}) ",
            n - 1
        ),
        Store::Postgres(_) => format!(
            "WITH s(k) AS (SELECT generate_series(0::bigint, {}) ) ",
            n - 1
        ),
    }
}

/// A timestamp `epoch + offset` seconds, as the backend stores it.
fn ts(store: &Store, epoch: &str) -> String {
    match store {
        // The text format sqlx writes for DateTime<Utc>, so comparisons with bound
        // values hold.
        Store::Sqlite(..) => format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {epoch}, 'unixepoch')"),
        Store::Postgres(_) => format!("to_timestamp({epoch})"),
    }
}

async fn generate(store: &Store, n: i64, callers: i64, weeks: i64, per_week: i64) {
    let pg = matches!(store, Store::Postgres(_));
    let overriding = if pg { "OVERRIDING SYSTEM VALUE" } else { "" };
    let started = Instant::now();
    exec(store, &format!(
        "{} INSERT INTO territories (id, code, name, referent_emails) {overriding} \
         SELECT k + 1, 'T' || (k + 1), 'Territoire ' || (k + 1), 't' || (k + 1) || '@example.org' FROM s",
        series(store, TERRITORIES)
    )).await;
    exec(
        store,
        &format!(
        "{} INSERT INTO callers (id, email, last_name, first_name, weekly_capacity) {overriding} \
         SELECT k + 1, 'c' || (k + 1) || '@example.org', 'Appelant', 'A' || (k + 1), 60 FROM s",
        series(store, callers)
    ),
    )
    .await;
    let long_ago = ts(store, "1577836800"); // 2020-01-01
    let far = if pg {
        "DATE '2099-01-01'"
    } else {
        "'2099-01-01'"
    };
    exec(store, &format!(
        "{} INSERT INTO beneficiaries (id, identity_key, last_name, first_name, territory_id, status, status_changed_at, paused_until) {overriding} \
         SELECT k + 1, 'k' || k, 'Nom', 'P' || k, \
           CASE WHEN k % 200 = 7 THEN NULL ELSE 1 + k % {TERRITORIES} END, \
           CASE WHEN k % 100 = 3 THEN 'opted_out' WHEN k % 100 = 5 THEN 'deceased' ELSE 'active' END, \
           CASE WHEN k % 100 IN (3, 5) THEN {long_ago} END, \
           CASE WHEN k % 200 = 11 THEN {far} END \
         FROM s",
        series(store, n)
    )).await;
    exec(store, &format!(
        "{} INSERT INTO campaign_members (campaign_id, beneficiary_id, added_at) SELECT 1, k + 1, {long_ago} FROM s",
        series(store, n)
    )).await;
    // The per-day enrolment counts the imports keep beside the members.
    exec(
        store,
        &format!(
            "INSERT INTO campaign_enrolments (campaign_id, enrolled_on, members) VALUES (1, {}, {n})",
            if matches!(store, Store::Postgres(_)) {
                "DATE '2020-01-01'"
            } else {
                "'2020-01-01'"
            }
        ),
    )
    .await;
    eprintln!("  people: {:.0} s", started.elapsed().as_secs_f64());
    let current = IsoWeek::current();
    for w in 0..weeks {
        let week = current.offset(w - weeks + 1).expect("week in range");
        let start = week.starts_at().timestamp() + 8 * 3600;
        let base = w * per_week;
        // Outcome of the assignment's last call, by k % 10.
        let last = "CASE k % 10 WHEN 4 THEN 'reached_need' WHEN 5 THEN 'no_answer' WHEN 6 THEN 'voicemail' \
                    WHEN 7 THEN 'refused' WHEN 8 THEN 'wrong_number' WHEN 9 THEN 'paused' ELSE 'reached_ok' END";
        let last_at = ts(store, &format!("{start} + (k % 400000) + 3600 * (k % 3)"));
        exec(store, &format!(
            "{series} INSERT INTO assignments (id, campaign_id, week, beneficiary_id, caller_id, reason_code, reason, status, \
               attempts, last_outcome, last_called_at, reached_at, conversation_at, created_at) {overriding} \
             SELECT {base} + k + 1, 1, '{week}', (({base} + k) * 7919) % {n} + 1, 1 + ({base} + k) % {callers}, 'new', 'bench', \
               CASE WHEN k % 10 IN (5, 6) AND k % 3 < 2 THEN 'open' ELSE 'closed' END, \
               1 + k % 3, {last}, {last_at}, \
               CASE WHEN k % 10 NOT IN (5, 6, 8) THEN {last_at} END, \
               CASE WHEN k % 10 <= 4 THEN {last_at} END, {start_ts} \
             FROM s",
            series = series(store, per_week),
            start_ts = ts(store, &start.to_string()),
        )).await;
        // Calls: attempt j (0-based) of assignment k exists when j < 1 + k % 3; the last
        // one has the assignment's outcome, the earlier ones were not answered.
        let call_at = ts(
            store,
            &format!("{start} + (c / 3) % 400000 + 3600 * (c % 3)"),
        );
        exec(store, &format!(
            "{series} INSERT INTO calls (id, assignment_id, caller_id, beneficiary_id, called_at, outcome, idempotency_key) {overriding} \
             SELECT {base3} + c + 1, {base} + c / 3 + 1, 1 + ({base} + c / 3) % {callers}, (({base} + c / 3) * 7919) % {n} + 1, \
               {call_at}, CASE WHEN c % 3 = (c / 3) % 3 THEN {last_c} ELSE 'no_answer' END, 'bench-call-' || ({base3} + c) \
             FROM (SELECT k AS c FROM s) x WHERE c % 3 <= (c / 3) % 3",
            series = series(store, per_week * 3),
            base3 = base * 3,
            last_c = last.replace("k % 10", "(c / 3) % 10"),
        )).await;
        exec(store, &format!(
            "INSERT INTO escalations (kind, call_id, campaign_id, beneficiary_id, territory_id, category, description, urgency, status, created_at) \
             SELECT 'need', c.id, 1, c.beneficiary_id, b.territory_id, \
               CASE c.id % 4 WHEN 0 THEN 'food' WHEN 1 THEN 'health' WHEN 2 THEN 'isolation' ELSE 'money' END, \
               'besoin', 'this_week', CASE c.id % 3 WHEN 0 THEN 'open' WHEN 1 THEN 'handled' ELSE 'in_progress' END, c.called_at \
             FROM calls c JOIN beneficiaries b ON b.id = c.beneficiary_id \
             WHERE c.id > {} AND c.outcome = 'reached_need'",
            base * 3
        )).await;
        if w % 5 == 4 || w == weeks - 1 {
            eprintln!(
                "  week {}/{weeks} ({week}): {:.0} s",
                w + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    if pg {
        // The rows went in with their ids: move the identity sequences past them, so
        // that a kept database takes the application's own writes afterwards.
        for table in [
            "territories",
            "callers",
            "beneficiaries",
            "assignments",
            "calls",
        ] {
            exec(
                store,
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                ),
            )
            .await;
        }
        exec(store, "VACUUM ANALYZE").await;
    } else {
        exec(store, "ANALYZE").await;
        exec(store, "PRAGMA wal_checkpoint(TRUNCATE)").await;
    }
    eprintln!("  generated in {:.0} s", started.elapsed().as_secs_f64());
}

async fn count(store: &Store, sql: &str) -> i64 {
    let (n,): (i64,) = match store {
        Store::Sqlite(pool, _) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
    };
    n
}

fn stats(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(times[times.len() / 2]), ms(times[0]))
}

async fn measure<F, Fut>(runs: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await;
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed());
    }
    stats(times)
}

#[tokio::main]
async fn main() {
    let url = arg("--database-url").expect("--database-url sqlite://FILE or postgres://…");
    let mut n = num("--beneficiaries", 1_000_000);
    let total_calls = num("--calls", 10_000_000);
    let weeks = num("--weeks", 40);
    let callers = num("--callers", 2_000);
    let runs = num("--runs", 9) as usize;
    let keep = std::env::args().any(|a| a == "--keep");
    let per_week = total_calls / weeks / 2;
    let (url, drop_db) = if url.starts_with("postgres") {
        let name = if keep {
            "lien_bench_report_kept".to_string()
        } else {
            format!("lien_bench_report_{}", std::process::id())
        };
        let admin = sqlx::PgPool::connect(&url).await.expect("connect");
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_optional(&admin)
            .await
            .expect("list databases");
        if exists.is_none() {
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&admin)
                .await
                .expect("create database");
        }
        let mut u = url::Url::parse(&url).expect("URL");
        u.set_path(&name);
        (u.to_string(), (!keep).then_some((admin, name)))
    } else {
        (url, None)
    };
    let store = Store::open(&url).await.expect("open and migrate");
    let present = count(&store, "SELECT COUNT(*) FROM beneficiaries").await;
    if present == 0 {
        eprintln!(
            "{}: generating {n} beneficiaries, {weeks} weeks × {per_week} assignments, {} calls",
            store.backend().as_str(),
            weeks * per_week * 2
        );
        generate(&store, n, callers, weeks, per_week).await;
    } else {
        assert!(
            keep,
            "the benchmark needs an empty database (or --keep to reuse one)"
        );
        eprintln!(
            "{}: reusing {present} beneficiaries",
            store.backend().as_str()
        );
    }
    n = count(&store, "SELECT COUNT(*) FROM beneficiaries").await;
    let calls = count(&store, "SELECT COUNT(*) FROM calls").await;
    let campaign = store
        .campaign_by_name(&CampaignName::default_campaign())
        .await
        .unwrap();
    let week = IsoWeek::current();
    let baseline_sql =
        format!("SELECT COUNT(*) FROM assignments WHERE campaign_id = 1 AND week = '{week}'");
    let (base_med, base_min) = measure(runs, || async {
        count(&store, &baseline_sql).await;
    })
    .await;
    let (tot_med, tot_min) = measure(runs, || async {
        store
            .week_totals(&campaign, week, Utc::now())
            .await
            .unwrap();
    })
    .await;
    let (past_med, past_min) = measure(runs, || async {
        store
            .week_totals(&campaign, week.previous(), Utc::now())
            .await
            .unwrap();
    })
    .await;
    let (elig_med, _) = measure(runs, || async {
        store.week_eligible(campaign.id, week).await.unwrap();
    })
    .await;
    let (recount_med, _) = measure(runs, || async {
        store.recount_caller_weeks(campaign.id, week).await.unwrap();
    })
    .await;
    let (kept_med, _) = measure(runs, || async {
        store.check_caller_weeks(campaign.id, week).await.unwrap();
    })
    .await;
    let mismatches = store.check_caller_weeks(campaign.id, week).await.unwrap();
    assert!(
        mismatches.is_empty(),
        "kept per-caller sums differ from the assignments: {:?}",
        &mismatches[..mismatches.len().min(3)]
    );
    let totals = store
        .week_totals(&campaign, week, Utc::now())
        .await
        .unwrap();
    let (trend_med, _) = measure(1, || async {
        store.campaign_trend(campaign.id).await.unwrap();
    })
    .await;
    let (terr_med, _) = measure(3, || async {
        store.week_by_territory(campaign.id, week).await.unwrap();
    })
    .await;
    let (dq_med, _) = measure(3, || async {
        store.data_quality(campaign.id).await.unwrap();
    })
    .await;
    let (time_med, _) = measure(3, || async {
        store.time_given(week).await.unwrap();
    })
    .await;
    println!(
        "backend={} beneficiaries={n} calls={calls} week={week} assigned={} reached={} escalations={}",
        store.backend().as_str(),
        totals.assigned,
        totals.reached,
        totals.escalations
    );
    println!("week totals            median {tot_med:8.1} ms  min {tot_min:8.1} ms");
    println!("baseline COUNT(*) week median {base_med:8.1} ms  min {base_min:8.1} ms");
    println!("ratio totals/baseline  {:.1}", tot_med / base_med);
    println!(
        "finished week totals   median {past_med:8.1} ms  min {past_min:8.1} ms  (ratio {:.1})",
        past_med / base_med
    );
    println!("of which eligible alone (current week) median {elig_med:.1} ms");
    println!(
        "per-caller sums: grouped pass over the week's assignments median {recount_med:.1} ms; \
         kept sums read and checked against it median {kept_med:.1} ms (equal)"
    );
    println!(
        "other reads (median): trend {trend_med:.0} ms, by territory {terr_med:.0} ms, data quality {dq_med:.0} ms, time given {time_med:.0} ms"
    );
    store.close().await;
    if let Some((admin, name)) = drop_db {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
}
