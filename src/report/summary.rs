//! The week's totals in French, for the coordinator at the terminal (`lien report`).

use std::io::Write;

use super::WeekTotals;

/// `+3`, `0`, `-2`.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// `12.5 %`, or `—` when there is no percentage.
pub fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())
}

/// Writes the summary: headline, outcomes, escalations, callers.
pub fn write_summary_fr(t: &WeekTotals, out: &mut impl Write) -> std::io::Result<()> {
    let state = if t.live {
        " (semaine en cours : chiffres provisoires)"
    } else {
        ""
    };
    writeln!(out, "Semaine {} — campagne {}{state}", t.week, t.campaign)?;
    writeln!(
        out,
        "  {} personnes jointes ({} conversations), {} besoins signalés",
        t.reached, t.conversations, t.escalations
    )?;
    let line = |label: &str, value: i64, change: Option<i64>| match change {
        Some(c) => format!(
            "  {label:<28}: {value} ({} vs {})",
            signed(c),
            t.previous_week
        ),
        None => format!("  {label:<28}: {value}"),
    };
    let c = &t.change;
    for text in [
        line("personnes à appeler", t.eligible, Some(c.eligible)),
        line("attribuées", t.assigned, Some(c.assigned)),
        line("appelées au moins une fois", t.attempted, Some(c.attempted)),
        line("appels passés", t.calls, Some(c.calls)),
        line("jointes", t.reached, Some(c.reached)),
        line("dont conversations", t.conversations, Some(c.conversations)),
        line(
            "non jointes (essais épuisés)",
            t.not_reached,
            Some(c.not_reached),
        ),
        line("en cours (à rappeler)", t.in_progress, None),
        line("ne souhaitent plus d'appels", t.opted_out, None),
        line("hospitalisées ou absentes", t.paused, None),
        line("décédées", t.deceased, None),
        line("mauvais numéros", t.wrong_numbers, None),
        line("besoins signalés", t.escalations, Some(c.escalations)),
    ] {
        writeln!(out, "{text}")?;
    }
    writeln!(
        out,
        "  couverture                  : {} des personnes à appeler jointes",
        percent(t.coverage_pct)
    )?;
    let by = |map: &std::collections::BTreeMap<String, i64>| {
        map.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        out,
        "  besoins par catégorie       : {}",
        by(&t.escalations_by_category)
    )?;
    writeln!(
        out,
        "  besoins par territoire      : {}",
        by(&t.escalations_by_territory)
    )?;
    writeln!(
        out,
        "  besoins par statut          : {}",
        by(&t.escalations_by_status)
    )?;
    writeln!(
        out,
        "  appelants                   : {} actifs sur {} ({} n'ont pas commencé) ; appels par appelant min {} · médiane {} · max {}",
        t.callers_active,
        t.callers_assigned,
        t.callers_not_started,
        t.calls_per_caller.min,
        t.calls_per_caller.median,
        t.calls_per_caller.max
    )?;
    Ok(())
}
