//! Benchmark of the missions matcher at département scale.
//!
//! ```text
//! cargo run --release --example bench_missions -- [--needs N] [--volunteers N] [--runs N] [--seed S]
//! ```
//!
//! Builds one deterministic instance (seeded `StdRng`), 5,000 needs × 20,000
//! volunteers by default, of a realistic shape: 120 organisations of very
//! different sizes; 15 qualifications of uneven rarity (a need requires none,
//! one or two; a volunteer holds none to three); slots over the week (half
//! days and two-hour slots, Monday to Saturday), 1–3 per need and 2–8 free
//! slots per volunteer; 1–5 volunteers wanted per need; 60 % of volunteers are
//! agents with an allowance of half a day to two days a month (90 % approved,
//! part already used), 40 % association professionals or students without a
//! monthly limit; 40 communes over four départements; last week's placements
//! for a third of the needs. The rows are shuffled.
//!
//! Prints the sizes, min / median time of `match_week` over the runs, the same
//! for a baseline measured in the same process — sorting the inputs (needs by
//! reference, volunteers by email), the least any matcher must do — their
//! ratio, and what the outcome holds (placements, unfilled needs, shares).

use std::time::{Duration, Instant};

use chrono::Weekday;
use lien::domain::IsoWeek;
use lien::missions::qualifications::KNOWN;
use lien::missions::{
    match_week, Allowance, ContinuityPair, MatchInput, NeedInput, Qualification, Slot,
    VolunteerInput, DEFAULT_MINUTES_PER_DAY,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const ORGANISATIONS: usize = 120;
const QUALIFICATIONS: usize = 15;
const COMMUNES: [(&str, &str); 8] = [
    ("93000", "Bobigny"),
    ("93200", "Saint-Denis"),
    ("93100", "Montreuil"),
    ("93300", "Aubervilliers"),
    ("93140", "Bondy"),
    ("75011", "Paris"),
    ("94000", "Créteil"),
    ("95100", "Argenteuil"),
];

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

const DAYS: [Weekday; 6] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
];

/// A half day (9–12, 14–17, 17–20) or a two-hour slot between 8:00 and 18:00.
fn random_slot(rng: &mut StdRng) -> Slot {
    let day = DAYS[rng.random_range(0..DAYS.len())];
    let (start, end) = if rng.random_bool(0.7) {
        [(540, 720), (840, 1020), (1020, 1200)][rng.random_range(0..3)]
    } else {
        let start = rng.random_range(8..=16) * 60;
        (start, start + 120)
    };
    Slot { day, start, end }
}

/// A qualification by rank: low ranks are common, high ranks rare.
fn random_qualification(rng: &mut StdRng) -> Qualification {
    let x: f64 = rng.random();
    let rank = ((x * x) * QUALIFICATIONS as f64) as usize;
    Qualification::parse(KNOWN[rank.min(QUALIFICATIONS - 1)].key).expect("known")
}

fn place(rng: &mut StdRng) -> (Option<String>, Option<String>) {
    let (pc, c) = COMMUNES[rng.random_range(0..COMMUNES.len())];
    (Some(pc.to_owned()), Some(c.to_owned()))
}

fn instance(needs: usize, volunteers: usize, seed: u64) -> MatchInput {
    let mut rng = StdRng::seed_from_u64(seed);
    // Organisation sizes: a few large, many small (weights 1/(rank+1)).
    let weights: Vec<f64> = (0..ORGANISATIONS).map(|r| 1.0 / (r as f64 + 1.0)).collect();
    let total: f64 = weights.iter().sum();
    let pick_org = |rng: &mut StdRng| {
        let mut x = rng.random::<f64>() * total;
        for (i, w) in weights.iter().enumerate() {
            x -= w;
            if x <= 0.0 {
                return i;
            }
        }
        ORGANISATIONS - 1
    };
    let needs: Vec<NeedInput> = (0..needs)
        .map(|i| {
            let org = pick_org(&mut rng);
            let slots = lien::missions::slots::normalise(
                (0..rng.random_range(1..=3))
                    .map(|_| random_slot(&mut rng))
                    .collect(),
            );
            let minutes = lien::missions::slots::total_minutes(&slots);
            let q = [0, 0, 1, 1, 1, 2][rng.random_range(0..6)];
            let mut qualifications: Vec<Qualification> =
                (0..q).map(|_| random_qualification(&mut rng)).collect();
            qualifications.sort();
            qualifications.dedup();
            let (postcode, commune) = place(&mut rng);
            NeedInput {
                id: 1 + i as i64,
                reference: format!("ASE-{:05}", i + 1),
                organisation_id: 1 + org as i64,
                organisation: format!("Organisation {:03}", org + 1),
                volunteers_wanted: [1, 1, 1, 2, 2, 3, 5][rng.random_range(0..7)],
                weekly_minutes: minutes,
                slots,
                qualifications,
                postcode,
                commune,
                version: 1,
            }
        })
        .collect();
    let mut volunteers: Vec<VolunteerInput> = (0..volunteers)
        .map(|i| {
            let availability = lien::missions::slots::normalise(
                (0..rng.random_range(2..=8))
                    .map(|_| random_slot(&mut rng))
                    .collect(),
            );
            let q = [0, 1, 1, 2, 2, 3][rng.random_range(0..6)];
            let mut qualifications: Vec<Qualification> =
                (0..q).map(|_| random_qualification(&mut rng)).collect();
            qualifications.sort();
            qualifications.dedup();
            let allowance = rng.random_bool(0.6).then(|| {
                let centi = [50, 100, 150, 200][rng.random_range(0..4)];
                Allowance::from_centi_days(
                    centi,
                    DEFAULT_MINUTES_PER_DAY,
                    rng.random_bool(0.9),
                    [0, 0, 120, 240][rng.random_range(0..4)],
                )
            });
            let (postcode, commune) = place(&mut rng);
            VolunteerInput {
                id: 1 + i as i64,
                email: format!("volontaire{:05}@example.org", i + 1),
                qualifications,
                availability,
                postcode,
                commune,
                allowance,
            }
        })
        .collect();
    let mut last_week: Vec<ContinuityPair> = Vec::new();
    for n in &needs {
        if rng.random_bool(0.33) {
            last_week.push(ContinuityPair {
                need_id: n.id,
                volunteer_id: rng.random_range(1..=volunteers.len() as i64),
            });
        }
    }
    let mut needs = needs;
    needs.shuffle(&mut rng);
    volunteers.shuffle(&mut rng);
    last_week.shuffle(&mut rng);
    MatchInput {
        week: IsoWeek::parse("2026-W49").expect("week"),
        needs,
        volunteers,
        last_week,
        minutes_per_day: DEFAULT_MINUTES_PER_DAY,
    }
}

fn min_median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

fn main() {
    let needs = arg("--needs", 5_000) as usize;
    let volunteers = arg("--volunteers", 20_000) as usize;
    let runs = arg("--runs", 5).max(1) as usize;
    let seed = arg("--seed", 17);
    let input = instance(needs, volunteers, seed);
    let organisations = {
        let mut ids: Vec<i64> = input.needs.iter().map(|n| n.organisation_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    };
    let wanted: u64 = input
        .needs
        .iter()
        .map(|n| u64::from(n.volunteers_wanted))
        .sum();

    let mut match_times = Vec::new();
    let mut sort_times = Vec::new();
    let mut outcome = None;
    for _ in 0..runs {
        let started = Instant::now();
        let mut n: Vec<&NeedInput> = input.needs.iter().collect();
        let mut v: Vec<&VolunteerInput> = input.volunteers.iter().collect();
        n.sort_by(|a, b| a.reference.cmp(&b.reference));
        v.sort_by(|a, b| a.email.cmp(&b.email));
        std::hint::black_box((&n, &v));
        sort_times.push(started.elapsed());

        let started = Instant::now();
        let out = match_week(std::hint::black_box(&input));
        match_times.push(started.elapsed());
        outcome = Some(out);
    }
    let out = outcome.expect("one run");
    let (match_min, match_median) = min_median(match_times);
    let (sort_min, sort_median) = min_median(sort_times);
    let missing: u32 = out.unfilled.iter().map(|u| u.missing).sum();
    println!("needs: {needs} ({organisations} organisations, {wanted} volunteers wanted)");
    println!("volunteers: {volunteers}");
    println!("runs: {runs}");
    println!(
        "match time: min {:.3} s, median {:.3} s",
        match_min.as_secs_f64(),
        match_median.as_secs_f64()
    );
    println!(
        "sort time (baseline: sorting the inputs): min {:.2} ms, median {:.2} ms",
        sort_min.as_secs_f64() * 1e3,
        sort_median.as_secs_f64() * 1e3
    );
    println!(
        "ratio (median match / median sort): {:.0}",
        match_median.as_secs_f64() / sort_median.as_secs_f64().max(1e-9)
    );
    println!(
        "placements: {} (unfilled needs: {}, volunteers missing: {missing})",
        out.placements.len(),
        out.unfilled.len()
    );
    let shares: Vec<f64> = out.organisations.iter().map(|o| o.share).collect();
    println!(
        "shares: min {:.3}, median {:.3}, max {:.3}; least-served organisations: {}",
        shares.first().copied().unwrap_or(1.0),
        shares.get(shares.len() / 2).copied().unwrap_or(1.0),
        shares.last().copied().unwrap_or(1.0),
        out.proof.least_served.len()
    );
    let target = Duration::from_secs(2);
    println!(
        "target (5,000 x 20,000 in <= 2 s): {}",
        if match_median <= target {
            "met"
        } else {
            "NOT met"
        }
    );
}
