//! `lien missions match|list`: the weekly matching of organisations' needs and
//! volunteers, from a terminal (the twin of `/coordination/missions`).

use std::io::Write;

use clap::{Args, Subcommand};

use super::people::cli_actor;
use super::{open_store, parse_week, print_json, Cli, Texts};
use crate::missions::model::{hours, permille, PlacementReason, UnfilledReason};
use crate::store::{AuditEvent, MatchRun, MissionSettings, PlacementLine, Store};

#[derive(Debug, Subcommand)]
pub enum MissionsCommand {
    /// Propose placements of volunteers on the organisations' needs for a week (hard
    /// rules, then equal treatment between organisations, continuity, distance) and
    /// save them as proposals for the coordinator to confirm. Running it twice gives
    /// the same proposals; confirmed placements are never touched.
    Match(MatchArgs),
    /// The week's placements with their states (proposed, confirmed, signed, ended).
    List(ListArgs),
    /// Mail each organisation "are these needs still right?" with a fresh signed link
    /// (older links revoked). `lien serve` does it on Mondays and Thursdays; at most
    /// once a day per organisation.
    Remind(super::reminders::RemindArgs),
}

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// ISO week, e.g. 2026-W49 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// Compute and print the proposals, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object: week, placements, unfilled, organisations, proof.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// ISO week, e.g. 2026-W49 (default: the current week, Europe/Paris).
    #[arg(long)]
    pub week: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn missions(cli: &Cli, command: &MissionsCommand) -> anyhow::Result<()> {
    let txt = cli.texts();
    let settings = cli.settings()?;
    let week = match command {
        MissionsCommand::Match(args) => parse_week(txt, args.week.as_deref())?,
        MissionsCommand::List(args) => parse_week(txt, args.week.as_deref())?,
        MissionsCommand::Remind(args) => return super::reminders::remind(cli, args).await,
    };
    let store = open_store(txt, &settings.database_url).await?;
    let result = match command {
        MissionsCommand::Match(args) => {
            let mission = MissionSettings {
                minutes_per_day: settings.mission_day_minutes,
            };
            run_match(txt, &store, week, &mission, args).await
        }
        MissionsCommand::List(args) => list(txt, &store, week, args.json).await,
        MissionsCommand::Remind(_) => Ok(()),
    };
    store.close().await;
    result
}

async fn run_match(
    txt: Texts,
    store: &Store,
    week: crate::domain::IsoWeek,
    mission: &MissionSettings,
    args: &MatchArgs,
) -> anyhow::Result<()> {
    let run = store.match_missions(week, mission, args.dry_run).await?;
    audit(store, "missions.matched", &week.to_string()).await?;
    if args.json {
        let mut value = run.outcome.to_json();
        if let Some(object) = value.as_object_mut() {
            object.insert("dry_run".into(), args.dry_run.into());
            object.insert("held".into(), run.held.into());
            object.insert("saved".into(), run.saved.into());
            object.insert("replaced".into(), run.replaced.into());
        }
        return print_json(&value);
    }
    print_match(txt, &run, args.dry_run, &mut std::io::stdout().lock())
}

/// Placements show volunteers' e-mails: the reading is recorded in the audit trail.
async fn audit(store: &Store, action: &str, week: &str) -> anyhow::Result<()> {
    let actor = cli_actor(None);
    store
        .record_audit(&AuditEvent {
            actor_user_id: None,
            actor_label: &actor,
            action,
            subject_type: "mission_week",
            subject_id: None,
            detail: Some(week.to_owned()),
        })
        .await?;
    Ok(())
}

fn print_match(
    txt: Texts,
    run: &MatchRun,
    dry_run: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let o = &run.outcome;
    let dry = if dry_run {
        txt.t("missions.dry_run")
    } else {
        ""
    };
    writeln!(out, "{}", txt.f("missions.match.header", &[&o.week, &dry]))?;
    writeln!(
        out,
        "{}",
        txt.f("missions.placements", &[&o.placements.len()])
    )?;
    for p in &o.placements {
        let h = hours(u64::from(p.minutes));
        let why = placement_reason(txt, &p.reason);
        let args = [
            &p.need_reference as &dyn std::fmt::Display,
            &p.organisation,
            &p.volunteer_email,
            &h,
            &why,
        ];
        writeln!(out, "{}", txt.f("missions.placement_line", &args))?;
    }
    if run.held > 0 {
        writeln!(out, "{}", txt.f("missions.held", &[&run.held]))?;
    }
    writeln!(out, "{}", txt.f("missions.unfilled", &[&o.unfilled.len()]))?;
    for u in &o.unfilled {
        let why = unfilled_reason(txt, &u.reason);
        let args = [
            &u.reference as &dyn std::fmt::Display,
            &u.organisation,
            &u.missing,
            &why,
        ];
        writeln!(out, "{}", txt.f("missions.unfilled_line", &args))?;
    }
    writeln!(out, "{}", txt.t("missions.organisations"))?;
    for s in &o.organisations {
        let pct = percent(permille(s.filled_minutes, s.wanted_minutes));
        let args = [
            &s.organisation as &dyn std::fmt::Display,
            &hours(s.wanted_minutes),
            &hours(s.filled_minutes),
            &pct,
        ];
        writeln!(out, "{}", txt.f("missions.organisation_line", &args))?;
    }
    print_proof(txt, run, out)?;
    if !dry_run {
        let args = [&run.saved as &dyn std::fmt::Display, &run.replaced];
        writeln!(out, "{}", txt.f("missions.saved", &args))?;
    }
    Ok(())
}

/// The least-served organisations and why no further volunteer could go to them.
fn print_proof(txt: Texts, run: &MatchRun, out: &mut impl Write) -> anyhow::Result<()> {
    let proof = &run.outcome.proof;
    if proof.least_served.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = proof
        .least_served
        .iter()
        .map(|o| o.organisation.as_str())
        .collect();
    let pct = percent((proof.min_share * 1000.0).floor() as u32);
    let args = [&pct as &dyn std::fmt::Display, &names.join(", ")];
    writeln!(out, "{}", txt.f("missions.proof", &args))?;
    for need in proof.least_served.iter().flat_map(|o| &o.needs) {
        for b in &need.blocked_by {
            let args = [
                &need.reference as &dyn std::fmt::Display,
                &b.volunteers,
                &b.organisation,
                &percent(b.share_permille),
                &percent(b.share_after_move_permille),
            ];
            writeln!(out, "{}", txt.f("missions.proof.blocked", &args))?;
        }
    }
    Ok(())
}

/// A share in thousandths as a percentage with one decimal: `66.6`.
fn percent(permille: u32) -> String {
    format!("{}.{}", permille / 10, permille % 10)
}

fn distance(txt: Texts, tier: crate::missions::distance::DistanceTier) -> &'static str {
    use crate::missions::distance::DistanceTier::*;
    match tier {
        SameCommune => txt.t("missions.distance.same_commune"),
        SamePostcode => txt.t("missions.distance.same_postcode"),
        SameDepartement => txt.t("missions.distance.same_departement"),
        Elsewhere => txt.t("missions.distance.elsewhere"),
    }
}

/// A placement's reason in the run's language.
pub(super) fn placement_reason(txt: Texts, reason: &PlacementReason) -> String {
    let far = distance(txt, reason.distance());
    match reason {
        PlacementReason::SameAsLastWeek { .. } => {
            txt.f("missions.reason.same_as_last_week", &[&far])
        }
        PlacementReason::OnlyCandidate { .. } => txt.f("missions.reason.only_candidate", &[&far]),
        PlacementReason::QualifiedAndFree { candidates, .. } => {
            txt.f("missions.reason.qualified_and_free", &[candidates, &far])
        }
    }
}

/// Why a need is not (fully) filled, in the run's language.
fn unfilled_reason(txt: Texts, reason: &UnfilledReason) -> String {
    match reason {
        UnfilledReason::NoQualifiedVolunteer { missing } => {
            let list: Vec<String> = missing.iter().map(|q| q.key().to_owned()).collect();
            txt.f(
                "missions.unfilled.no_qualified_volunteer",
                &[&list.join(", ")],
            )
        }
        UnfilledReason::NoVolunteerFree { qualified } => {
            txt.f("missions.unfilled.no_volunteer_free", &[qualified])
        }
        UnfilledReason::NotApproved { free } => txt.f("missions.unfilled.not_approved", &[free]),
        UnfilledReason::AllowancesUsed { approved } => {
            txt.f("missions.unfilled.allowances_used", &[approved])
        }
        UnfilledReason::TooFewCandidates { eligible } => {
            txt.f("missions.unfilled.too_few_candidates", &[eligible])
        }
        UnfilledReason::PlacedElsewhere { eligible } => {
            txt.f("missions.unfilled.placed_elsewhere", &[eligible])
        }
        UnfilledReason::FairShare {
            eligible,
            share_permille,
        } => txt.f(
            "missions.unfilled.fair_share",
            &[eligible, &percent(*share_permille)],
        ),
    }
}

async fn list(
    txt: Texts,
    store: &Store,
    week: crate::domain::IsoWeek,
    json: bool,
) -> anyhow::Result<()> {
    let lines = store.placements_of_week(week).await?;
    audit(store, "missions.placements_listed", &week.to_string()).await?;
    if json {
        return print_json(&serde_json::json!({ "week": week, "placements": lines }));
    }
    print_list(txt, week, &lines, &mut std::io::stdout().lock())
}

fn print_list(
    txt: Texts,
    week: crate::domain::IsoWeek,
    lines: &[PlacementLine],
    out: &mut impl Write,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}",
        txt.f("missions.list.header", &[&week, &lines.len()])
    )?;
    for p in lines {
        let state = match txt.lang {
            super::Lang::Fr => p.state.label_fr(),
            super::Lang::En => p.state.label_en(),
        };
        let changed = if p.current_version != p.need_version {
            txt.t("missions.list.need_changed")
        } else {
            ""
        };
        let args = [
            &p.reference as &dyn std::fmt::Display,
            &p.organisation,
            &p.volunteer_email,
            &hours(p.minutes.max(0) as u64),
            &state,
            &changed,
        ];
        writeln!(out, "{}", txt.f("missions.list.line", &args))?;
    }
    Ok(())
}
