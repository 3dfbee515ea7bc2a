//! `lien report`: a week's totals as text, JSON or CSV, or `--check` of the kept sums.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::io::Write;

use clap::Args;

use super::{campaign_week, print_json, Cli, Texts};
use crate::domain::IsoWeek;
use crate::report::{percent, signed, WeekTotals};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// ISO week, e.g. 2026-W48 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// One JSON object: the week's totals at its top level.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// `;`-separated `figure;value` lines (nested figures with dots).
    #[arg(long)]
    pub csv: bool,
    /// Recount the week's per-caller sums from the assignments and compare them with
    /// the sums the database keeps for the totals; fails on any difference.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub check: bool,
}

pub(super) async fn report(cli: &Cli, args: &ReportArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let (store, campaign, week) = campaign_week(cli, &args.campaign, args.week.as_deref()).await?;
    if args.check {
        return check(txt, store, campaign.id, week).await;
    }
    let totals = store
        .week_totals(&campaign, week, chrono::Utc::now())
        .await?;
    store.close().await;
    if args.json {
        print_json(&totals)
    } else if args.csv {
        let mut out = std::io::stdout().lock();
        out.write_all(crate::report::totals_csv(&totals)?.as_bytes())?;
        Ok(())
    } else {
        write_summary(txt, &totals, &mut std::io::stdout().lock())?;
        Ok(())
    }
}

/// Compares the kept per-caller sums with a recount; fails on any difference.
async fn check(txt: Texts, store: Store, campaign_id: i64, week: IsoWeek) -> anyhow::Result<()> {
    let callers = store.recount_caller_weeks(campaign_id, week).await?.len();
    let differences = store.check_caller_weeks(campaign_id, week).await?;
    store.close().await;
    for (kept, recounted) in &differences {
        let (kept_id, kept) = (kept.caller_id, format!("{kept:?}"));
        eprintln!("{}", txt.f("report.check.kept", &[&kept_id, &kept]));
        let (id, recounted) = (recounted.caller_id, format!("{recounted:?}"));
        eprintln!("{}", txt.f("report.check.recounted", &[&id, &recounted]));
    }
    anyhow::ensure!(
        differences.is_empty(),
        txt.f(
            "report.check.differ",
            &[&differences.len(), &callers, &week]
        )
    );
    println!("{}", txt.f("report.check.equal", &[&week, &callers]));
    Ok(())
}

/// Writes the summary: headline, outcomes, escalations, callers. Labels are padded so
/// that the values line up.
pub fn write_summary(txt: Texts, t: &WeekTotals, out: &mut impl Write) -> std::io::Result<()> {
    let state = if t.live { txt.t("report.live") } else { "" };
    writeln!(
        out,
        "{}",
        txt.f("report.header", &[&t.week, &t.campaign, &state])
    )?;
    let headline = [&t.reached as &dyn Display, &t.conversations, &t.escalations];
    writeln!(out, "{}", txt.f("report.headline", &headline))?;
    for (key, value, change) in outcome_lines(t) {
        let value = match change {
            Some(c) => {
                let vs = txt.f("report.vs", &[&signed(c), &t.previous_week]);
                format!("{value} ({vs})")
            }
            None => value.to_string(),
        };
        writeln!(out, "{}", labelled(txt.t(key), &value))?;
    }
    let coverage = txt.f("report.coverage_value", &[&percent(t.coverage_pct)]);
    writeln!(out, "{}", labelled(txt.t("report.coverage"), &coverage))?;
    for (key, map) in [
        ("report.by_category", &t.escalations_by_category),
        ("report.by_territory", &t.escalations_by_territory),
        ("report.by_status", &t.escalations_by_status),
    ] {
        writeln!(out, "{}", labelled(txt.t(key), &counts(map)))?;
    }
    let d = &t.calls_per_caller;
    let callers = [
        &t.callers_active as &dyn Display,
        &t.callers_assigned,
        &t.callers_not_started,
        &d.min,
        &d.median,
        &d.max,
    ];
    let callers = txt.f("report.callers_value", &callers);
    writeln!(out, "{}", labelled(txt.t("report.callers"), &callers))
}

/// `  label                       : value`.
fn labelled(label: &str, value: &str) -> String {
    format!("  {label:<28}: {value}")
}

/// `food 2, health 1`: the non-zero counts.
fn counts(map: &BTreeMap<String, i64>) -> String {
    map.iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each outcome's key, value and change from the previous week (when it has one).
fn outcome_lines(t: &WeekTotals) -> [(&'static str, i64, Option<i64>); 13] {
    let c = &t.change;
    [
        ("report.eligible", t.eligible, Some(c.eligible)),
        ("report.assigned", t.assigned, Some(c.assigned)),
        ("report.attempted", t.attempted, Some(c.attempted)),
        ("report.calls", t.calls, Some(c.calls)),
        ("report.reached", t.reached, Some(c.reached)),
        (
            "report.conversations",
            t.conversations,
            Some(c.conversations),
        ),
        ("report.not_reached", t.not_reached, Some(c.not_reached)),
        ("report.in_progress", t.in_progress, None),
        ("report.opted_out", t.opted_out, None),
        ("report.paused", t.paused, None),
        ("report.deceased", t.deceased, None),
        ("report.wrong_numbers", t.wrong_numbers, None),
        ("report.escalations", t.escalations, Some(c.escalations)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::i18n::{tests::assert_no_french, Lang};
    use crate::report::tests::caller;
    use crate::report::{week_totals, EscalationCount, WeekContext, WeekRows};

    fn totals(live: bool) -> WeekTotals {
        let week = IsoWeek::parse("2026-W48").unwrap();
        let now = if live { week } else { week.next() };
        let ctx = WeekContext {
            campaign: "default".into(),
            week,
            now: now.starts_at() + chrono::Duration::days(2),
        };
        let this = WeekRows {
            eligible: 100,
            callers: vec![caller(1, 0), caller(2, 5), caller(3, 12)],
            escalations: vec![EscalationCount {
                kind: crate::domain::EscalationKind::Need,
                category: crate::domain::NeedCategory::Food,
                status: crate::domain::EscalationStatus::Open,
                territory: Some("T1".into()),
                n: 2,
            }],
        };
        let previous = WeekRows {
            eligible: 90,
            callers: vec![caller(1, 3)],
            escalations: vec![],
        };
        week_totals(&ctx, &this, &previous)
    }

    fn summary(lang: Lang, t: &WeekTotals) -> String {
        let mut out = Vec::new();
        write_summary(Texts::new(lang), t, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The catalogue prints, in French, exactly what the report module's French summary
    /// printed before the command line had a language.
    #[test]
    fn the_french_summary_is_the_reports() {
        for live in [false, true] {
            let t = totals(live);
            let mut expected = Vec::new();
            crate::report::write_summary_fr(&t, &mut expected).unwrap();
            assert_eq!(summary(Lang::Fr, &t), String::from_utf8(expected).unwrap());
        }
    }

    #[test]
    fn the_english_summary_holds_no_french() {
        let text = summary(Lang::En, &totals(true));
        assert!(text.contains("people reached"), "{text}");
        assert_no_french(&text);
    }
}
