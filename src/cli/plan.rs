//! `lien plan`.

use std::collections::HashMap;
use std::io::Write;

use clap::Args;

use super::progress::StepBar;
use super::{campaign_week, print_json, Cli, Texts};
use crate::store::{PlanMode, PlanOutcome};

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(long, default_value = "default")]
    pub campaign: String,
    /// ISO week, e.g. 2026-W48 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// Only move the not-yet-called assignments of callers who became unavailable.
    #[arg(long)]
    pub rebalance: bool,
    /// Compute and print the plan, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn plan(cli: &Cli, args: &PlanArgs) -> anyhow::Result<()> {
    let txt = cli.texts();
    let (store, campaign, week) = campaign_week(cli, &args.campaign, args.week.as_deref()).await?;
    let mode = if args.rebalance {
        PlanMode::Rebalance
    } else {
        PlanMode::Plan
    };
    let progress = StepBar::new(txt, args.json);
    let outcome = store
        .plan_week_with_progress(&campaign, week, mode, args.dry_run, &progress)
        .await?;
    progress.finish();
    let territories = store.territory_names().await?;
    store.close().await;
    if args.json {
        print_json(&serde_json::json!({
            "campaign": outcome.campaign,
            "week": week.to_string(),
            "dry_run": outcome.dry_run,
            "summary": outcome.plan.summary,
            "unassigned": outcome.plan.unassigned,
            "timings": outcome.timings,
        }))?;
    } else {
        print_plan_summary(txt, &outcome, &territories, &mut std::io::stdout().lock())?;
    }
    Ok(())
}

/// The catalogue's label for a planning reason (`kind`: assignment, unassigned, removed).
fn explain_label(txt: Texts, kind: &str, code: &str) -> &'static str {
    txt.t(&format!("plan.explain.{kind}.{code}"))
}

/// The plan's summary, for the coordinator at the terminal.
fn print_plan_summary(
    txt: Texts,
    outcome: &PlanOutcome,
    territories: &HashMap<i64, String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let s = &outcome.plan.summary;
    let pct = |v: Option<f64>| v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into());
    let simulated = if outcome.dry_run {
        txt.t("plan.dry_run")
    } else {
        ""
    };
    let header = txt.f("plan.header", &[&s.week, &outcome.campaign, &simulated]);
    writeln!(out, "{header}")?;
    writeln!(out, "{}", txt.f("plan.eligible", &[&s.eligible]))?;
    let assigned = [
        &s.assigned as &dyn std::fmt::Display,
        &s.new,
        &s.kept,
        &s.moved,
        &s.removed,
    ];
    writeln!(out, "{}", txt.f("plan.assigned", &assigned))?;
    writeln!(out, "{}", txt.f("plan.unassigned", &[&s.unassigned]))?;
    for (code, n) in s.unassigned_by_reason.iter().filter(|(_, n)| **n > 0) {
        let label = explain_label(txt, "unassigned", code);
        writeln!(out, "{}", txt.f("plan.count", &[&label, n]))?;
    }
    let c = &s.continuity;
    let continuity = [
        &c.kept_last_caller as &dyn std::fmt::Display,
        &c.with_last_caller,
        &pct(c.percent),
        &pct(c.percent_of_available),
    ];
    writeln!(out, "{}", txt.f("plan.continuity", &continuity))?;
    let two = |v: f64| format!("{v:.2}");
    let load = [
        &two(s.load.min) as &dyn std::fmt::Display,
        &two(s.load.median),
        &two(s.load.max),
        &s.callers_used,
        &s.callers_with_capacity,
        &s.capacity,
    ];
    writeln!(out, "{}", txt.f("plan.load", &load))?;
    writeln!(out, "{}", txt.t("plan.reasons"))?;
    for line in &s.explain {
        let label = explain_label(txt, line.kind, line.code);
        writeln!(out, "{}", txt.f("plan.count", &[&label, &line.count]))?;
    }
    writeln!(out, "{}", txt.t("plan.by_territory"))?;
    for t in &s.territories {
        let name = t
            .territory_id
            .and_then(|id| territories.get(&id).cloned())
            .unwrap_or_else(|| txt.t("plan.no_territory").into());
        let line = [
            &name as &dyn std::fmt::Display,
            &t.eligible,
            &t.assigned,
            &t.unassigned,
        ];
        writeln!(out, "{}", txt.f("plan.territory_line", &line))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planning::{Reason, RemovalCause, UnassignedReason};
    use crate::web::i18n::Lang;

    /// The catalogue's French labels are the planning's, so the summary reads the same.
    #[test]
    fn french_labels_are_the_plannings() {
        let fr = Texts::new(Lang::Fr);
        for code in Reason::CODES {
            assert_eq!(
                explain_label(fr, "assignment", code),
                Reason::label_fr(code)
            );
        }
        for code in UnassignedReason::CODES {
            let label = UnassignedReason::label_fr(code);
            assert_eq!(explain_label(fr, "unassigned", code), label);
        }
        for cause in RemovalCause::ALL {
            assert_eq!(explain_label(fr, "removed", cause.code()), cause.text());
        }
    }
}
