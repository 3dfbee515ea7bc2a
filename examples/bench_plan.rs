//! Benchmark of the weekly planner at département scale.
//!
//! ```text
//! cargo run --release --example bench_plan -- [--beneficiaries N] [--callers N] [--runs N]
//! ```
//!
//! Builds deterministic instances (seeded `StdRng`): 1,000,000
//! beneficiaries × 20,000 callers by default, capacities 30..=70 (mean 50,
//! total ≈ demand), ~3% of beneficiaries speaking one of 6 other languages,
//! ~10% of callers speaking one extra language, 6 territories. Last week's
//! plan is computed by the planner itself on the same population, then this
//! week ~10% of the beneficiaries are new (no last caller), 3% of callers
//! are absent (capacity 0) and 5% work part of the week (60% capacity).
//! Two cases: "normal" (capacity as above, a few % short) and "shortfall"
//! (capacity scaled to 80% of demand).
//!
//! Prints min / median time of `plan()` over the runs, the same for a
//! baseline measured in the same process — computing the priority key of
//! every beneficiary and sorting them by it, the least any planner must do
//! — their ratio, and the peak resident memory (VmHWM).

use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use lien::domain::{IsoWeek, LanguageCode};
use lien::planning::{
    plan, priority_key, rebalance, BeneficiaryInput, CallerInput, CurrentAssignment,
    ExistingAssignment, LastCaller, Plan, PlanInput,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const TERRITORIES: i64 = 6;
const OTHER_LANGUAGES: [&str; 6] = ["ar", "pt", "es", "tr", "zh", "ro"];

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn vm_hwm_kib() -> u64 {
    status_kib("VmHWM:")
}

fn vm_rss_kib() -> u64 {
    status_kib("VmRSS:")
}

static PROCESS_PEAK_KIB: AtomicU64 = AtomicU64::new(0);

/// Resets VmHWM to the current RSS (Linux >= 4.0), so that a case's peak
/// can be read on its own; the process-wide peak is kept aside.
fn reset_hwm() {
    PROCESS_PEAK_KIB.fetch_max(vm_hwm_kib(), AtomicOrdering::Relaxed);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn week(s: &str) -> IsoWeek {
    IsoWeek::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

fn lang(s: &str) -> LanguageCode {
    LanguageCode::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

/// Population and callers (week 0, full capacity, no history).
fn population(n_bens: usize, n_callers: usize, rng: &mut StdRng) -> PlanInput {
    let others: Vec<LanguageCode> = OTHER_LANGUAGES.iter().map(|l| lang(l)).collect();
    let callers = (1..=n_callers as i64)
        .map(|id| {
            let mut c = CallerInput::new(id, rng.random_range(30..=70));
            if rng.random_bool(0.10) {
                c.languages
                    .push(others[rng.random_range(0..others.len())].clone());
            }
            c.territory_preference = if rng.random_bool(0.9) {
                Some(rng.random_range(1..=TERRITORIES))
            } else {
                None
            };
            c
        })
        .collect();
    let beneficiaries = (1..=n_bens as i64)
        .map(|id| {
            let mut b = BeneficiaryInput::new(id);
            if rng.random_bool(0.03) {
                b.language = others[rng.random_range(0..others.len())].clone();
            }
            b.territory_id = if rng.random_bool(0.98) {
                Some(rng.random_range(1..=TERRITORIES))
            } else {
                None
            };
            b.open_escalations = u32::from(rng.random_bool(0.01));
            b.callback_due_this_week = rng.random_bool(0.02);
            b.not_reached_last_week = rng.random_bool(0.12);
            b.weeks_since_last_conversation = if rng.random_bool(0.05) {
                None
            } else {
                Some(rng.random_range(0..=8))
            };
            b
        })
        .collect();
    PlanInput {
        week: week("2026-W47"),
        beneficiaries,
        callers,
        existing: Vec::new(),
    }
}

/// This week's input: last week's plan as history, some callers absent.
fn this_week(base: &PlanInput, last: &Plan, rng: &mut StdRng) -> PlanInput {
    let prev = base.week;
    let mut input = base.clone();
    input.week = week("2026-W48");
    let mut a = last.assignments.iter().peekable();
    for b in &mut input.beneficiaries {
        while a.peek().is_some_and(|x| x.beneficiary_id < b.id) {
            a.next();
        }
        let caller = a
            .peek()
            .filter(|x| x.beneficiary_id == b.id)
            .map(|x| x.caller_id);
        // ~10% are new this week (no history)
        b.last_caller = match caller {
            Some(caller_id) if rng.random_bool(0.9) => Some(LastCaller {
                caller_id,
                week: prev,
            }),
            _ => None,
        };
    }
    for c in &mut input.callers {
        let r: f64 = rng.random();
        let factor = if r < 0.03 {
            0.0
        } else if r < 0.08 {
            0.6
        } else {
            1.0
        };
        c.capacity = (f64::from(c.capacity) * factor) as u32;
    }
    input
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn baseline(input: &PlanInput) -> usize {
    let mut keys: Vec<(u128, u32)> = input
        .beneficiaries
        .iter()
        .enumerate()
        .map(|(i, b)| (priority_key(b).as_u128(), i as u32))
        .collect();
    keys.sort_unstable();
    keys[keys.len() / 2].1 as usize
}

fn run_case(name: &str, input: &PlanInput, runs: usize, f: &dyn Fn(&PlanInput) -> Plan) {
    let mut plan_times = Vec::new();
    let mut base_times = Vec::new();
    let mut out = None;
    let mut sink = 0usize;
    reset_hwm();
    let rss_before = vm_rss_kib();
    for _ in 0..runs {
        let t = Instant::now();
        sink ^= baseline(input);
        base_times.push(t.elapsed());
        drop(out.take());
        let t = Instant::now();
        let p = f(input);
        plan_times.push(t.elapsed());
        out = Some(p);
    }
    let p = out.unwrap_or_else(|| panic!("no run"));
    let (pmin, bmin) = (
        *plan_times.iter().min().unwrap_or(&Duration::ZERO),
        *base_times.iter().min().unwrap_or(&Duration::ZERO),
    );
    let (pmed, bmed) = (median(&mut plan_times), median(&mut base_times));
    let s = &p.summary;
    let cap: u64 = input.callers.iter().map(|c| u64::from(c.capacity)).sum();
    println!(
        "== {name}: {} beneficiaries × {} callers, capacity {cap}",
        s.eligible, s.callers
    );
    println!(
        "   planner:  min {:>7.3} s   median {:>7.3} s   ({runs} runs)",
        pmin.as_secs_f64(),
        pmed.as_secs_f64()
    );
    println!(
        "   baseline: min {:>7.3} s   median {:>7.3} s   (priority keys + sort)",
        bmin.as_secs_f64(),
        bmed.as_secs_f64()
    );
    println!(
        "   plan / baseline (median): {:.1}",
        pmed.as_secs_f64() / bmed.as_secs_f64().max(1e-9)
    );
    println!(
        "   new {} kept {} moved {} removed {}; assigned {} / {}, unassigned {:?}, continuity {} of {} with a last caller ({:?} %; {:?} % of available), territory matches {}, load min/median/max {}/{}/{}, callers used {}",
        s.new,
        s.kept,
        s.moved,
        s.removed,
        s.assigned,
        s.eligible,
        s.unassigned_by_reason,
        s.continuity.kept_last_caller,
        s.continuity.with_last_caller,
        s.continuity.percent,
        s.continuity.percent_of_available,
        s.territory_matches,
        s.load.min,
        s.load.median,
        s.load.max,
        s.callers_used
    );
    let reasons: Vec<String> = s
        .explain
        .iter()
        .map(|l| format!("{}={}", l.code, l.count))
        .collect();
    println!("   reasons: {}", reasons.join(" "));
    println!(
        "   memory: RSS before {} MiB (inputs), peak during the runs {} MiB (VmHWM; the planner's working set and output add {} MiB, less if the allocator reuses freed pages)  [{sink}]",
        rss_before / 1024,
        vm_hwm_kib() / 1024,
        vm_hwm_kib().saturating_sub(rss_before) / 1024
    );
}

/// The week's rows once `p` is applied, `called` of them with calls.
fn rows_of(p: &Plan, called: f64, rng: &mut StdRng) -> Vec<ExistingAssignment> {
    p.assignments
        .iter()
        .map(|a| ExistingAssignment {
            beneficiary_id: a.beneficiary_id,
            caller_id: a.caller_id,
            has_calls: rng.random_bool(called),
        })
        .collect()
}

fn main() {
    let n_bens = arg("--beneficiaries", 1_000_000);
    let n_callers = arg("--callers", 20_000);
    let runs = arg("--runs", 5).max(1);
    let mut rng = StdRng::seed_from_u64(20_261_130);
    let t = Instant::now();
    let base = population(n_bens, n_callers, &mut rng);
    let last = plan(&base);
    let normal = this_week(&base, &last, &mut rng);
    println!(
        "instance built in {:.1} s (incl. last week's plan: {} assigned); RSS peak {} MiB",
        t.elapsed().as_secs_f64(),
        last.summary.assigned,
        vm_hwm_kib() / 1024
    );
    drop((last, base));
    run_case("plan, normal week", &normal, runs, &plan);

    // Mid-week re-plan: this week's rows exist, 30% already called.
    let first = plan(&normal);
    let mut replan = normal.clone();
    replan.existing = rows_of(&first, 0.3, &mut rng);
    run_case(
        "re-plan of the same week (rows exist, 30% called)",
        &replan,
        runs,
        &plan,
    );

    drop((first, replan));

    let demand = normal.beneficiaries.len() as f64;
    let cap: f64 = normal.callers.iter().map(|c| f64::from(c.capacity)).sum();
    let scaled = |factor: f64| {
        let mut scaled = normal.clone();
        for c in &mut scaled.callers {
            c.capacity = (f64::from(c.capacity) * factor * demand / cap).round() as u32;
        }
        scaled
    };
    let short = scaled(0.8);
    run_case(
        "plan, shortfall (capacity = 80% of demand)",
        &short,
        runs,
        &plan,
    );
    drop(short);
    let surplus = scaled(1.2);
    run_case(
        "plan, surplus (capacity = 120% of demand)",
        &surplus,
        runs,
        &plan,
    );

    // Rebalance in the surplus week: rows exist (30% called), then 1% of
    // the callers drop out mid-week.
    let current: Vec<CurrentAssignment> = rows_of(&plan(&surplus), 0.3, &mut rng);
    let mut dropped = surplus;
    dropped.callers.retain(|c| c.id % 100 != 7);
    run_case(
        "rebalance of the surplus week after 1% of callers dropped out",
        &dropped,
        runs,
        &|i| rebalance(i, &current),
    );
    reset_hwm();
    println!(
        "process peak RSS over the whole benchmark: {} MiB",
        PROCESS_PEAK_KIB.load(AtomicOrdering::Relaxed) / 1024
    );
}
