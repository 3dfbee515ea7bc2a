//! `lien callers list|absent|deactivate|reactivate`: the day-two operations on callers,
//! twins of the roster's forms (same store methods, same audit).

use chrono::NaiveDate;
use clap::Subcommand;

use super::{open_store, parse_week, print_json, Cli, Texts};
use crate::domain::CampaignName;
use crate::store::{CallerError, ChangedBy, Move, Store, TouchedWeek};

#[derive(Debug, Subcommand)]
pub enum CallersCommand {
    /// List the callers: capacity, days, this week's load and progress, last call.
    List {
        /// Campaign whose week is shown (default: `default`).
        #[arg(long, default_value = CampaignName::DEFAULT)]
        campaign: String,
        /// ISO week shown, e.g. 2026-W48 (default: the current one).
        #[arg(long)]
        week: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record an absence (both days included). Weeks already planned that it covers
    /// are shown with the moves a rebalance would make; `--rebalance` makes them.
    Absent {
        email: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: NaiveDate,
        /// Rebalance the weeks already planned that the absence covers.
        #[arg(long)]
        rebalance: bool,
        #[arg(long)]
        json: bool,
    },
    /// A caller leaves: account and sessions end at once, their people not yet called
    /// go to others, and future plans leave them out. History is kept.
    Deactivate {
        email: String,
        #[arg(long)]
        json: bool,
    },
    /// A caller comes back: caller and account active again (they log in anew).
    Reactivate {
        email: String,
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn callers(cli: &Cli, command: &CallersCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let store = open_store(txt, &settings.database_url).await?;
    let result = match command {
        CallersCommand::List {
            campaign,
            week,
            json,
        } => list(txt, &store, campaign, week.as_deref(), *json).await,
        CallersCommand::Absent {
            email,
            from,
            to,
            rebalance,
            json,
        } => absent(txt, &store, email, (*from, *to), *rebalance, *json).await,
        CallersCommand::Deactivate { email, json } => {
            set_active(txt, &store, email, false, *json).await
        }
        CallersCommand::Reactivate { email, json } => {
            set_active(txt, &store, email, true, *json).await
        }
    };
    store.close().await;
    result
}

/// A refusal in the run's language; a store error goes on to `cli::errors`.
fn refusal(txt: Texts, e: CallerError) -> anyhow::Error {
    match e {
        CallerError::UnknownCaller(email) => {
            anyhow::anyhow!(txt.f("callers.unknown", &[&email]))
        }
        CallerError::AbsenceEndsBeforeStart { from, to } => {
            anyhow::anyhow!(txt.f("callers.absence_inverted", &[&to, &from]))
        }
        CallerError::CapacityOutOfBounds(n) => {
            anyhow::anyhow!(txt.f("callers.capacity_bounds", &[&n]))
        }
        CallerError::Store(e) => e.into(),
    }
}

async fn list(
    txt: Texts,
    store: &Store,
    campaign: &str,
    week: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let week = parse_week(txt, week)?;
    let campaign = store
        .campaign_by_name(&CampaignName::parse(campaign)?)
        .await?;
    let lines = store.caller_lines(campaign.id, week).await?;
    if json {
        return print_json(&serde_json::json!({
            "campaign": campaign.name, "week": week, "callers": lines,
        }));
    }
    for c in &lines {
        let state = match (c.active, c.absent) {
            (false, _) => txt.t("callers.state_inactive"),
            (true, true) => txt.t("callers.state_absent"),
            (true, false) => "",
        };
        println!(
            "{:<40} {:>4} {:>4}/{:<4} {}",
            c.email, c.weekly_capacity, c.called, c.assigned, state
        );
    }
    Ok(())
}

async fn absent(
    txt: Texts,
    store: &Store,
    email: &str,
    (from, to): (NaiveDate, NaiveDate),
    rebalance: bool,
    json: bool,
) -> anyhow::Result<()> {
    if to < from {
        return Err(refusal(
            txt,
            CallerError::AbsenceEndsBeforeStart { from, to },
        ));
    }
    let caller_id = store
        .caller_by_email(email)
        .await
        .map_err(|e| refusal(txt, e))?;
    let absence_id = store
        .record_absence(caller_id, from, to, ChangedBy(None))
        .await
        .map_err(|e| refusal(txt, e))?;
    let weeks = store.weeks_touched(caller_id, from, to).await?;
    let mut previews: Vec<(TouchedWeek, Vec<Move>)> = Vec::new();
    for touched in &weeks {
        let name = CampaignName::parse(&touched.campaign)?;
        let campaign = store.campaign_by_name(&name).await?;
        previews.push((
            touched.clone(),
            store.rebalance_moves(&campaign, touched.week).await?,
        ));
    }
    let moved = if rebalance {
        Some(store.rebalance_weeks(&weeks).await?)
    } else {
        None
    };
    if json {
        let weeks: Vec<_> = previews
            .iter()
            .map(|(w, moves)| serde_json::json!({"campaign": w.campaign, "week": w.week, "moves": moves}))
            .collect();
        return print_json(&serde_json::json!({
            "absence_id": absence_id, "caller_id": caller_id, "from": from, "to": to,
            "planned_weeks": weeks, "rebalanced": moved.is_some(), "moved": moved,
        }));
    }
    println!(
        "{}",
        txt.f("callers.absence_recorded", &[&email, &from, &to])
    );
    print_previews(txt, &previews, moved);
    Ok(())
}

fn print_previews(txt: Texts, previews: &[(TouchedWeek, Vec<Move>)], moved: Option<usize>) {
    for (w, moves) in previews {
        println!("{}", txt.f("callers.week_touched", &[&w.campaign, &w.week]));
        for m in moves {
            let person = m
                .external_ref
                .clone()
                .unwrap_or(format!("#{}", m.beneficiary_id));
            let to = m.to_caller.as_deref().unwrap_or(txt.t("callers.nobody"));
            println!("  {person}: {} -> {to}", m.from_caller);
        }
    }
    match moved {
        Some(n) => println!("{}", txt.f("callers.rebalanced", &[&n])),
        None if !previews.is_empty() => println!("{}", txt.t("callers.rebalance_hint")),
        None => {}
    }
}

async fn set_active(
    txt: Texts,
    store: &Store,
    email: &str,
    active: bool,
    json: bool,
) -> anyhow::Result<()> {
    let caller_id = store
        .caller_by_email(email)
        .await
        .map_err(|e| refusal(txt, e))?;
    let change = store
        .set_caller_active(caller_id, active, ChangedBy(None))
        .await
        .map_err(|e| refusal(txt, e))?;
    if json {
        return print_json(&change);
    }
    if active {
        println!("{}", txt.f("callers.reactivated", &[&email]));
    } else {
        println!(
            "{}",
            txt.f(
                "callers.deactivated",
                &[&email, &change.sessions_ended, &change.moved]
            )
        );
    }
    Ok(())
}
