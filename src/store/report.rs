//! The coordinator's weekly figures read from the database (issue 7). The arithmetic
//! and the definitions live in `crate::report`; here are the queries. A week's totals
//! read the per-assignment summary kept by `record_call` (migration 0006) through one
//! covering index, never the calls themselves.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::planning::outcome_list;
use super::{query_as, query_scalar, Campaign, Store, StoreError};
use crate::domain::iso_week::paris_midnight;
use crate::domain::{IsoWeek, Outcome};
use crate::report::{
    week_is_over, week_totals, CallerWeek, DataQuality, EscalationCount, TerritoryWeek, TimeGiven,
    TimeGivenRow, TrendWeek, WeekContext, WeekRows, WeekTotals,
};

/// Counts of the week's assignments that `CallerWeek`, `TrendWeek` and `TerritoryWeek`
/// share (on a table aliased `a`).
fn assignment_sums() -> String {
    "SUM(CASE WHEN a.attempts > 0 THEN 1 ELSE 0 END) AS attempted, \
     SUM(CASE WHEN a.reached_at IS NOT NULL THEN 1 ELSE 0 END) AS reached, \
     SUM(CASE WHEN a.conversation_at IS NOT NULL THEN 1 ELSE 0 END) AS conversations"
        .to_string()
}

/// Someone not reached this week: never reached, last call unanswered, and (unless the
/// week is over) no attempt left.
fn not_reached_condition(week_over: bool) -> String {
    let unanswered = outcome_list(Outcome::is_unanswered);
    format!(
        "a.reached_at IS NULL AND a.last_outcome IN ({unanswered}){}",
        if week_over {
            ""
        } else {
            " AND a.status = 'closed'"
        }
    )
}

/// The per-caller sums of the week `$2` of campaign `$1`, recounted from the assignments
/// in one grouped pass (the columns of `CallerWeek` and of `week_caller_totals`).
fn recount_caller_weeks_sql() -> String {
    let unanswered = outcome_list(Outcome::is_unanswered);
    format!(
        "SELECT a.caller_id, COUNT(*) AS assigned, {sums}, COALESCE(SUM(a.attempts), 0) AS calls, \
         SUM(CASE WHEN a.reached_at IS NULL AND a.last_outcome IN ({unanswered}) \
         AND a.status = 'closed' THEN 1 ELSE 0 END) AS unanswered_closed, \
         SUM(CASE WHEN a.reached_at IS NULL AND a.last_outcome IN ({unanswered}) \
         AND a.status = 'open' THEN 1 ELSE 0 END) AS unanswered_open, \
         SUM(CASE WHEN a.last_outcome = 'opt_out' THEN 1 ELSE 0 END) AS opted_out, \
         SUM(CASE WHEN a.last_outcome = 'paused' THEN 1 ELSE 0 END) AS paused, \
         SUM(CASE WHEN a.last_outcome = 'deceased' THEN 1 ELSE 0 END) AS deceased, \
         SUM(CASE WHEN a.last_outcome = 'wrong_number' THEN 1 ELSE 0 END) AS wrong_numbers \
         FROM assignments a WHERE a.campaign_id = $1 AND a.week = $2 GROUP BY a.caller_id",
        sums = assignment_sums()
    )
}

/// Statements that set the sums of week `$2` of campaign `$1` in `week_caller_totals` to
/// a recount of its assignments. SQLite's planner runs them after writing a week in bulk
/// with the per-row triggers held back (see `DEFER_WEEK_TOTALS`).
pub(super) fn rebuild_week_totals_sql() -> [String; 2] {
    [
        "DELETE FROM week_caller_totals WHERE campaign_id = $1 AND week = $2".to_string(),
        format!(
            "INSERT INTO week_caller_totals (campaign_id, week, caller_id, assigned, \
             attempted, calls, reached, conversations, unanswered_closed, unanswered_open, \
             opted_out, paused, deceased, wrong_numbers) SELECT $1, $2, caller_id, assigned, \
             attempted, calls, reached, conversations, unanswered_closed, unanswered_open, \
             opted_out, paused, deceased, wrong_numbers FROM ({}) r",
            recount_caller_weeks_sql()
        ),
    ]
}

/// Holds back SQLite's per-row triggers on the assignments of week `$2` of campaign `$1`
/// until the end of the transaction (migration 0008, `week_totals_deferred`); the writer
/// then runs `rebuild_week_totals_sql` and `UNDEFER_WEEK_TOTALS`.
pub(super) const DEFER_WEEK_TOTALS: &str =
    "INSERT INTO week_totals_deferred (campaign_id, week) VALUES ($1, $2)";
pub(super) const UNDEFER_WEEK_TOTALS: &str =
    "DELETE FROM week_totals_deferred WHERE campaign_id = $1 AND week = $2";

/// The calendar month (Europe/Paris) a week belongs to: that of its Thursday, as for
/// ISO weeks. Gives the month's first day and its bounds.
pub fn week_month(week: IsoWeek) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
    use chrono::Datelike;
    let thursday = week.day(chrono::Weekday::Thu);
    let first = thursday.with_day(1).unwrap_or(thursday);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (first, paris_midnight(first), paris_midnight(next))
}

/// A person not reached this week, for follow-up by other means (CSV download).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NotReachedLine {
    pub beneficiary_id: i64,
    pub external_ref: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub commune: Option<String>,
    pub territory: Option<String>,
    pub relative_name: Option<String>,
    pub relative_phone: Option<String>,
    pub caller_email: String,
    pub attempts: i32,
    pub last_outcome: Option<Outcome>,
    pub last_called_at: Option<DateTime<Utc>>,
    #[sqlx(skip)]
    pub phones: Vec<String>,
}

/// One caller's time given over the week and over its month.
#[derive(Debug, Clone, Serialize)]
pub struct CallerTime {
    pub caller_id: i64,
    pub name: String,
    pub email: String,
    pub week: TimeGiven,
    pub month: TimeGiven,
}

impl Store {
    /// The per-caller sums of a week's assignments, as the triggers of migration 0008
    /// keep them in `week_caller_totals`: one row per caller, whatever the week's size.
    async fn caller_weeks(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<CallerWeek>, StoreError> {
        let sql = "SELECT caller_id, assigned, attempted, calls, reached, conversations, \
                   unanswered_closed, unanswered_open, opted_out, paused, deceased, \
                   wrong_numbers FROM week_caller_totals WHERE campaign_id = $1 AND week = $2 \
                   AND assigned > 0 ORDER BY caller_id";
        Ok(query_as(sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?)
    }

    /// The same per-caller sums recomputed from the week's assignments themselves (one
    /// grouped pass over them): what `week_caller_totals` must hold. For the tests and
    /// `lien report --check`.
    pub async fn recount_caller_weeks(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<CallerWeek>, StoreError> {
        let sql = format!("{} ORDER BY a.caller_id", recount_caller_weeks_sql());
        Ok(query_as(&sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?)
    }

    /// Callers whose kept sums for the week differ from a recount of the assignments:
    /// `(kept, recounted)`, a missing side as zeros. Empty when all is well.
    pub async fn check_caller_weeks(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<(CallerWeek, CallerWeek)>, StoreError> {
        let kept = self.caller_weeks(campaign_id, week).await?;
        let recounted = self.recount_caller_weeks(campaign_id, week).await?;
        let mut ids: Vec<i64> = kept.iter().chain(&recounted).map(|c| c.caller_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let find = |rows: &[CallerWeek], id: i64| {
            rows.iter()
                .find(|c| c.caller_id == id)
                .cloned()
                .unwrap_or(CallerWeek {
                    caller_id: id,
                    ..CallerWeek::default()
                })
        };
        Ok(ids
            .into_iter()
            .map(|id| (find(&kept, id), find(&recounted, id)))
            .filter(|(k, r)| k != r)
            .collect())
    }

    /// People the campaign was to call in `week`: members enrolled before the week ended,
    /// minus those whose final status (opted out, deceased, moved) predates the week,
    /// minus those paused over the week (as the planner counts them: paused until the
    /// week's Sunday or later) by a pause recorded before the week began (a paused call
    /// before the week whose pause reaches its Sunday, or, without any paused call, an
    /// imported pause). Statuses are dated by `status_changed_at` and pauses by their
    /// calls, so a week's figure does not move when people opt out or pause later.
    pub async fn week_eligible(&self, campaign_id: i64, week: IsoWeek) -> Result<i64, StoreError> {
        // Enrolments come from `campaign_enrolments` (people enrolled per Paris day, kept
        // with the enrolments themselves): enrolled by the week's Sunday is exactly
        // `added_at` before the week ends. The people no longer active before the week
        // are one index range of `campaign_members.left_at` (kept by triggers, migration
        // 0008). The paused start from the pauses still running on the week's Sunday
        // (calls by their end date, imported pauses by theirs): never a pass over the
        // members or the calls.
        let sql = "SELECT \
              (SELECT CAST(COALESCE(SUM(e.members), 0) AS BIGINT) FROM campaign_enrolments e \
                 WHERE e.campaign_id = $1 AND e.enrolled_on <= $5) \
            - (SELECT COUNT(*) FROM campaign_members m \
                 WHERE m.campaign_id = $1 AND m.left_at < $3 AND m.added_at < $2) \
            - (SELECT COUNT(*) FROM beneficiaries b WHERE b.id IN ( \
                   SELECT c.beneficiary_id FROM calls c \
                   WHERE c.outcome = 'paused' AND c.paused_until >= $4 AND c.called_at < $3 \
                   UNION SELECT p.id FROM beneficiaries p WHERE p.paused_until >= $4 \
                   AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.beneficiary_id = p.id \
                      AND c.outcome = 'paused')) \
                 AND b.paused_until IS NOT NULL AND (b.status = 'active' \
                   OR b.status_changed_at >= $3) \
                 AND (SELECT m.added_at FROM campaign_members m \
                      WHERE m.campaign_id = $1 AND m.beneficiary_id = b.id) < $2)";
        let n = query_scalar(sql)
            .bind(campaign_id)
            .bind(week.ends_at())
            .bind(week.starts_at())
            .bind(week.sunday())
            .bind(week.sunday())
            .fetch_one(self)
            .await?;
        Ok(n)
    }

    /// The campaign's escalations created within the week, counted per kind, category,
    /// status and territory.
    async fn week_escalations(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<EscalationCount>, StoreError> {
        // Counted from the index `escalations_week_totals` alone, then named.
        let sql = "SELECT g.kind, g.category, g.status, t.code AS territory, g.n FROM \
             (SELECT e.kind, e.category, e.status, e.territory_id, COUNT(*) AS n \
             FROM escalations e \
              WHERE e.campaign_id = $1 AND e.created_at >= $2 AND e.created_at < $3 \
              GROUP BY e.kind, e.category, e.status, e.territory_id) g \
             LEFT JOIN territories t ON t.id = g.territory_id";
        Ok(query_as(sql)
            .bind(campaign_id)
            .bind(week.starts_at())
            .bind(week.ends_at())
            .fetch_all(self)
            .await?)
    }

    /// A week's three reads, each on its own connection of the pool.
    async fn week_rows(&self, campaign_id: i64, week: IsoWeek) -> Result<WeekRows, StoreError> {
        let (eligible, callers, escalations) = tokio::try_join!(
            self.week_eligible(campaign_id, week),
            self.caller_weeks(campaign_id, week),
            self.week_escalations(campaign_id, week)
        )?;
        Ok(WeekRows {
            eligible,
            callers,
            escalations,
        })
    }

    /// A week's totals with the change from the week before (see `crate::report`).
    #[tracing::instrument(skip(self, campaign), fields(campaign = %campaign.name, week = %week))]
    pub async fn week_totals(
        &self,
        campaign: &Campaign,
        week: IsoWeek,
        now: DateTime<Utc>,
    ) -> Result<WeekTotals, StoreError> {
        // The two weeks are read side by side, on two connections of the pool.
        let (this, previous) = tokio::try_join!(
            self.week_rows(campaign.id, week),
            self.week_rows(campaign.id, week.previous())
        )?;
        let ctx = WeekContext {
            campaign: campaign.name.clone(),
            week,
            now,
        };
        Ok(week_totals(&ctx, &this, &previous))
    }

    /// The campaign's totals week after week, oldest first, with the escalations created
    /// in each week.
    pub async fn campaign_trend(&self, campaign_id: i64) -> Result<Vec<TrendWeek>, StoreError> {
        let sql = "SELECT week, CAST(SUM(assigned) AS BIGINT) AS assigned, CAST(SUM(attempted) AS \
                   BIGINT) AS attempted, CAST(SUM(reached) AS BIGINT) AS reached, \
                   CAST(SUM(conversations) AS BIGINT) AS conversations FROM week_caller_totals \
                   WHERE campaign_id = $1 GROUP BY week HAVING SUM(assigned) > 0 ORDER BY week";
        let mut weeks: Vec<TrendWeek> = query_as(sql).bind(campaign_id).fetch_all(self).await?;
        for w in &mut weeks {
            let Ok(week) = IsoWeek::parse(&w.week) else {
                continue;
            };
            w.escalations = query_scalar(
                "SELECT COUNT(*) FROM escalations WHERE campaign_id = $1 AND created_at >= $2 \
                 AND created_at < $3",
            )
            .bind(campaign_id)
            .bind(week.starts_at())
            .bind(week.ends_at())
            .fetch_one(self)
            .await?;
        }
        Ok(weeks)
    }

    /// A week by territory of the beneficiaries, with the escalations created in the week
    /// for each territory; `territory_id` `None` for people without a territory.
    pub async fn week_by_territory(
        &self,
        campaign_id: i64,
        week: IsoWeek,
    ) -> Result<Vec<TerritoryWeek>, StoreError> {
        let sql = format!(
            "SELECT b.territory_id, COUNT(*) AS assigned, {} FROM assignments a \
             JOIN beneficiaries b ON b.id = a.beneficiary_id \
             WHERE a.campaign_id = $1 AND a.week = $2 GROUP BY b.territory_id",
            assignment_sums()
        );
        let mut rows: Vec<TerritoryWeek> = query_as(&sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?;
        let escalations: HashMap<Option<i64>, i64> = query_as::<(Option<i64>, i64)>(
            "SELECT territory_id, COUNT(*) FROM escalations WHERE campaign_id = $1 \
             AND created_at >= $2 AND created_at < $3 GROUP BY territory_id",
        )
        .bind(campaign_id)
        .bind(week.starts_at())
        .bind(week.ends_at())
        .fetch_all(self)
        .await?
        .into_iter()
        .collect();
        let names = self.territory_names().await?;
        for territory in escalations.keys() {
            if !rows.iter().any(|r| r.territory_id == *territory) {
                rows.push(TerritoryWeek {
                    territory_id: *territory,
                    ..TerritoryWeek::default()
                });
            }
        }
        for r in &mut rows {
            r.escalations = escalations.get(&r.territory_id).copied().unwrap_or(0);
            r.name = r
                .territory_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_default();
        }
        rows.sort_by(|a, b| {
            (a.territory_id.is_none(), &a.name).cmp(&(b.territory_id.is_none(), &b.name))
        });
        Ok(rows)
    }

    /// Data a coordinator should fix (see `DataQuality`). Each count starts from the few
    /// rows concerned (partial indexes), never from every member of the campaign.
    pub async fn data_quality(&self, campaign_id: i64) -> Result<DataQuality, StoreError> {
        let sql = "SELECT \
            (SELECT COUNT(*) FROM import_rejected_rows r JOIN import_batches ib \
               ON ib.id = r.batch_id \
               WHERE ib.status = 'applied' AND r.fixed_at IS NULL \
               AND (ib.campaign_id = $1 OR ib.campaign_id IS NULL)) AS rejected_rows_to_fix, \
            (SELECT COUNT(*) FROM beneficiaries b WHERE b.id IN (SELECT p.beneficiary_id \
               FROM beneficiary_phones p \
               WHERE p.wrong_reported_at IS NOT NULL) AND b.status = 'active' \
               AND EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = $1 \
                   AND m.beneficiary_id = b.id)) \
               AS wrong_numbers_reported, \
            (SELECT COUNT(*) FROM beneficiaries b WHERE b.territory_id IS NULL \
               AND b.status = 'active' \
               AND EXISTS (SELECT 1 FROM campaign_members m WHERE m.campaign_id = $1 \
                   AND m.beneficiary_id = b.id)) \
               AS without_territory, \
            (SELECT COUNT(*) FROM escalations e WHERE e.campaign_id = $1 \
               AND e.status IN ('open', 'in_progress') \
               AND (e.territory_id IS NULL OR NOT EXISTS (SELECT 1 FROM outbox o \
                   WHERE o.escalation_id = e.id))) \
               AS unroutable_escalations";
        Ok(query_as(sql).bind(campaign_id).fetch_one(self).await?)
    }

    /// The people of the week not reached (see `crate::report`), with their usable phone
    /// numbers, by territory then name. Personal data: the caller of this method audits.
    pub async fn week_not_reached(
        &self,
        campaign_id: i64,
        week: IsoWeek,
        now: DateTime<Utc>,
    ) -> Result<Vec<NotReachedLine>, StoreError> {
        let condition = not_reached_condition(week_is_over(week, now));
        let sql = format!(
            "SELECT b.id AS beneficiary_id, b.external_ref, b.last_name, b.first_name, \
             b.address, b.postal_code, b.commune, t.code AS territory, b.relative_name, \
             b.relative_phone, c.email AS caller_email, a.attempts, a.last_outcome, \
             a.last_called_at FROM assignments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
             JOIN callers c ON c.id = a.caller_id LEFT JOIN territories t ON t.id = b.territory_id \
             WHERE a.campaign_id = $1 AND a.week = $2 AND {condition} ORDER BY t.code, \
             b.last_name, b.first_name, b.id"
        );
        let mut lines: Vec<NotReachedLine> = query_as(&sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?;
        let phones_sql = format!(
            "SELECT p.beneficiary_id, p.e164 FROM beneficiary_phones p \
             JOIN assignments a ON a.beneficiary_id = p.beneficiary_id \
             WHERE a.campaign_id = $1 AND a.week = $2 AND {condition} \
             AND p.wrong_reported_at IS NULL \
             ORDER BY p.beneficiary_id, p.position"
        );
        let phones: Vec<(i64, String)> = query_as(&phones_sql)
            .bind(campaign_id)
            .bind(week.to_string())
            .fetch_all(self)
            .await?;
        let mut by_person: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, phone) in phones {
            by_person.entry(id).or_default().push(phone);
        }
        for line in &mut lines {
            line.phones = by_person.remove(&line.beneficiary_id).unwrap_or_default();
        }
        Ok(lines)
    }

    /// Calls and time of every active caller (and of anyone who called) over the week and
    /// over the week's month. Calls of every campaign count: the time is the person's.
    pub async fn time_given(&self, week: IsoWeek) -> Result<Vec<CallerTime>, StoreError> {
        let (_, month_from, month_to) = week_month(week);
        let sql = "SELECT caller_id, outcome, COUNT(*) AS calls, COUNT(duration_seconds) AS \
                   timed_calls, COALESCE(SUM(duration_seconds), 0) AS timed_seconds FROM calls \
                   WHERE called_at >= $1 AND called_at < $2 GROUP BY caller_id, outcome";
        let mut totals: HashMap<i64, (TimeGiven, TimeGiven)> = HashMap::new();
        for (from, to, in_week) in [
            (week.starts_at(), week.ends_at(), true),
            (month_from, month_to, false),
        ] {
            let rows: Vec<TimeGivenRow> = query_as(sql).bind(from).bind(to).fetch_all(self).await?;
            for row in &rows {
                let entry = totals.entry(row.caller_id).or_default();
                if in_week {
                    entry.0.add(row)
                } else {
                    entry.1.add(row)
                }
            }
        }
        let callers: Vec<(i64, String, String, String, bool)> = query_as(
            "SELECT id, first_name, last_name, email, active FROM callers ORDER BY last_name, \
             first_name, id",
        )
        .fetch_all(self)
        .await?;
        Ok(callers
            .into_iter()
            .filter_map(|(id, first, last, email, active)| {
                let (week, month) = totals.remove(&id).unwrap_or_default();
                (active || month.calls > 0).then(|| CallerTime {
                    caller_id: id,
                    name: format!("{first} {last}").trim().to_string(),
                    email,
                    week,
                    month,
                })
            })
            .collect())
    }
}

/// Adds `$3` people enrolled in campaign `$1` on the Paris day `$2` to
/// `campaign_enrolments`; run in the transaction that inserts the `campaign_members` rows.
pub(super) const COUNT_ENROLMENTS: &str =
    "INSERT INTO campaign_enrolments (campaign_id, enrolled_on, members) VALUES ($1, $2, $3) \
     ON CONFLICT (campaign_id, enrolled_on) DO UPDATE \
     SET members = campaign_enrolments.members + excluded.members";

/// The Paris calendar day of an instant (weeks start at Paris midnight).
pub(super) fn paris_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&crate::domain::time::PARIS).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The triggers of migration 0008 spell the unanswered outcomes out in SQL; they
    /// must be those of `Outcome::is_unanswered`, as the recount uses.
    #[test]
    fn kept_week_totals_use_the_unanswered_outcomes() {
        let list = outcome_list(Outcome::is_unanswered);
        for (file, text, list) in [
            (
                "sqlite",
                include_str!("../../migrations/sqlite/0008_week_caller_totals.sql"),
                list.clone(),
            ),
            (
                // Inside a quoted statement: quotes doubled.
                "postgres",
                include_str!("../../migrations/postgres/0008_week_caller_totals.sql"),
                list.replace('\'', "''"),
            ),
        ] {
            assert_eq!(
                text.matches("last_outcome IN (").count(),
                text.matches(&format!("last_outcome IN ({list})")).count(),
                "{file}: an outcome list other than ({list})"
            );
            assert!(
                text.contains(&format!("last_outcome IN ({list})")),
                "{file}"
            );
            // The SQLite triggers spell the list as equalities on NEW and OLD.
            if file == "sqlite" {
                for row in ["NEW", "OLD"] {
                    let equalities = Outcome::ALL
                        .iter()
                        .filter(|o| o.is_unanswered())
                        .map(|o| format!("{row}.last_outcome = '{}'", o.as_str()))
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    assert_eq!(
                        text.matches(&format!("({equalities})")).count(),
                        text.matches(&format!("{row}.reached_at IS NULL AND"))
                            .count(),
                        "{row}: an outcome list other than ({equalities})"
                    );
                }
            }
            for code in ["opt_out", "paused", "deceased", "wrong_number"] {
                assert!(Outcome::parse(code).is_ok(), "{code}");
            }
        }
    }
}
