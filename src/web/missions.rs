//! The coordinators' missions page (`/coordination/missions?week=W`, issue 17): run the
//! week's matching (proposals saved, the run's proof kept), read per organisation the
//! wanted and filled hours and the share, every placement's and unfilled need's reason,
//! and the proof of equal treatment; confirm all or some proposals with their formal
//! basis (refused, with what changed, when the need changed since the proposal); move
//! confirmed placements to signed and ended.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::errors::AppError;
use super::i18n::{Lang, Tr};
use super::pages::{html_page, Nav};
use super::planning::parse_week;
use super::roles::CoordinatorOrAdmin;
use super::AppState;
use crate::domain::{IsoWeek, PlacementBasis, PlacementState};
use crate::missions::{DistanceTier, PlacementReason, UnfilledReason};
use crate::store::{
    next_states, usual_basis, Confirmer, MatchRunSummary, PlacementError, WeekPlacement,
};

/// Texts of this page: (key, French, English).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("nav.missions", "Missions", "Missions"),
    ("missions.title", "Missions de volontariat", "Volunteer missions"),
    ("missions.week", "Semaine", "Week"),
    ("missions.show", "Afficher", "Show"),
    ("missions.run", "Lancer la répartition de la semaine", "Run the week’s matching"),
    ("missions.run_help", "Propose des volontaires pour chaque besoin selon les règles (qualifications, créneaux, crédit mensuel, accord hiérarchique), puis rend les parts des organismes aussi égales que possible. Les propositions déjà confirmées ne changent pas.", "Proposes volunteers for each need by the rules (qualifications, slots, monthly allowance, manager’s approval), then makes the organisations’ shares as even as possible. Proposals already confirmed do not change."),
    ("missions.no_run", "Aucune répartition lancée depuis cette page pour cette semaine.", "No matching run from this page for this week yet."),
    ("missions.last_run", "Dernière répartition :", "Last matching:"),
    ("missions.by", "par", "by"),
    ("missions.organisations", "Part de chaque organisme", "Each organisation’s share"),
    ("missions.organisation", "Organisme", "Organisation"),
    ("missions.wanted", "Heures demandées", "Hours wanted"),
    ("missions.filled", "Heures pourvues", "Hours filled"),
    ("missions.share", "Part", "Share"),
    ("missions.confirmed_now", "Heures confirmées", "Hours confirmed"),
    ("missions.proof", "Preuve de l’égalité de traitement", "Proof of equal treatment"),
    ("missions.proof_min", "Part la plus faible :", "Smallest share:"),
    ("missions.proof_all_filled", "Tous les besoins sont pourvus : aucun organisme n’est moins servi qu’un autre.", "Every need is filled: no organisation is served less than another."),
    ("missions.proof_org", "Organisme le moins servi :", "Least-served organisation:"),
    ("missions.proof_need", "Besoin", "Need"),
    ("missions.proof_missing", "volontaire(s) manquant(s)", "volunteer(s) missing"),
    ("missions.proof_pool", "Volontaires du vivier", "Volunteers in the pool"),
    ("missions.ex.without_qualification", "sans une qualification requise", "without a required qualification"),
    ("missions.ex.not_available", "pas libres sur tous les créneaux", "not free in every slot"),
    ("missions.ex.not_approved", "agents sans accord hiérarchique", "agents without their manager’s approval"),
    ("missions.ex.allowance_exceeded", "crédit du mois insuffisant", "month’s allowance too small"),
    ("missions.ex.placed_here", "déjà placés sur ce besoin", "already placed on this need"),
    ("missions.ex.placed_elsewhere", "placés ailleurs aux mêmes heures", "placed elsewhere at the same times"),
    ("missions.ex.still_free", "encore libres", "still free"),
    ("missions.proof_blocked", "Volontaires qui pourraient venir mais servent un autre organisme : le déplacer ferait passer sa part", "Volunteers who could come but serve another organisation: moving one would take its share"),
    ("missions.proof_to", "à", "to"),
    ("missions.proof_none_blocked", "Aucun volontaire placé ailleurs ne pourrait venir : personne d’autre ne remplit les règles.", "No volunteer placed elsewhere could come: nobody else meets the rules."),
    ("missions.unfilled", "Besoins non pourvus", "Needs not filled"),
    ("missions.none_unfilled", "Tous les besoins sont pourvus.", "Every need is filled."),
    ("missions.need", "Besoin", "Need"),
    ("missions.missing", "Manquants", "Missing"),
    ("missions.reason", "Raison", "Reason"),
    ("missions.proposed", "Propositions à confirmer", "Proposals to confirm"),
    ("missions.none_proposed", "Aucune proposition en attente.", "No proposal waiting."),
    ("missions.confirm", "Confirmer les propositions cochées", "Confirm the ticked proposals"),
    ("missions.confirm_help", "Chaque confirmation envoie un courriel au ou à la volontaire et au contact de l’établissement pour les présenter l’un à l’autre.", "Each confirmation mails the volunteer and the establishment’s contact to introduce them to each other."),
    ("missions.select", "Confirmer", "Confirm"),
    ("missions.volunteer", "Volontaire", "Volunteer"),
    ("missions.establishment", "Établissement", "Establishment"),
    ("missions.hours", "Heures", "Hours"),
    ("missions.basis", "Cadre", "Formal basis"),
    ("missions.changed", "Le besoin a changé depuis la proposition : confirmation refusée. Relancez la répartition.", "The need changed since the proposal: confirmation refused. Run the matching again."),
    ("missions.changed_unknown", "(détail de l’ancienne version non conservé)", "(the old version’s detail was not kept)"),
    ("missions.placed", "Placements confirmés", "Confirmed placements"),
    ("missions.none_placed", "Aucun placement confirmé cette semaine.", "No confirmed placement this week."),
    ("missions.state", "État", "State"),
    ("missions.move", "Passer à", "Move to"),
    ("missions.record_hours", "Noter des heures", "Record hours"),
    ("missions.done.matched", "Répartition faite : propositions enregistrées.", "Matching done: proposals saved."),
    ("missions.done.state", "État du placement changé.", "Placement state changed."),
    ("missions.done.confirmed", "Propositions confirmées (courriels de présentation en file d’envoi) :", "Proposals confirmed (introduction mails queued):"),
    ("missions.done.refused", "Propositions refusées :", "Proposals refused:"),
    ("missions.done.nothing", "Aucune proposition cochée : rien n’a changé.", "No proposal ticked: nothing changed."),
    ("missions.error.transition", "Ce changement d’état n’est pas possible : rien n’a changé.", "This change of state is not possible: nothing changed."),
    ("mstate.proposed", "Proposé", "Proposed"),
    ("mstate.confirmed", "Confirmé", "Confirmed"),
    ("mstate.signed", "Convention signée", "Agreement signed"),
    ("mstate.ended", "Terminé", "Ended"),
    ("mbasis.secondment", "Convention de mise à disposition", "Secondment agreement"),
    ("mbasis.fixed_term", "Contrat à durée déterminée", "Fixed-term contract"),
    ("mbasis.association_agreement", "Convention entre associations", "Agreement between associations"),
    ("morigin.agent", "Agent départemental", "Departmental agent"),
    ("morigin.association", "Professionnel·le d’association", "Association professional"),
    ("morigin.school", "Étudiant·e en travail social", "Social-work student"),
    ("mfield.establishment", "Établissement", "Establishment"),
    ("mfield.address", "Adresse", "Address"),
    ("mfield.postcode", "Code postal", "Postcode"),
    ("mfield.commune", "Commune", "Commune"),
    ("mfield.phone", "Téléphone", "Phone"),
    ("mfield.email", "Courriel", "Email"),
    ("mfield.public", "Public accueilli", "Public housed"),
    ("mfield.mission_kind", "Type de mission", "Kind of mission"),
    ("mfield.volunteers_wanted", "Nombre de volontaires", "Volunteers wanted"),
    ("mfield.weekly_minutes", "Minutes par semaine", "Minutes a week"),
    ("mfield.slots", "Plages horaires", "Time slots"),
    ("mfield.qualifications", "Qualifications", "Qualifications"),
    ("mfield.starts_on", "Du", "From"),
    ("mfield.ends_on", "Au", "To"),
    ("mfield.active", "Actif", "Active"),
    ("mdistance.same_commune", "même commune", "same commune"),
    ("mdistance.same_postcode", "même code postal", "same postcode"),
    ("mdistance.same_departement", "même département", "same department"),
    ("mdistance.elsewhere", "plus loin ou lieu inconnu", "further away or place unknown"),
    ("mreason.same_as_last_week", "Même volontaire que la semaine dernière sur ce besoin", "Same volunteer as last week on this need"),
    ("mreason.only_candidate", "Seul·e volontaire à remplir toutes les règles", "The only volunteer who meets every rule"),
    ("mreason.qualified_and_free", "Choisi·e parmi les volontaires qualifiés et libres (égalité de traitement, puis continuité, puis distance), au nombre de", "Chosen among the qualified and free volunteers (equal treatment, then continuity, then distance), who number"),
    ("mreason.no_qualified_volunteer", "Aucun·e volontaire n’a toutes les qualifications requises", "No volunteer holds every required qualification"),
    ("mreason.nobody_holds", "personne n’a :", "nobody holds:"),
    ("mreason.no_volunteer_free", "Aucun·e des volontaires qualifiés n’est libre sur tous les créneaux ; qualifiés :", "None of the qualified volunteers is free in every slot; qualified:"),
    ("mreason.not_approved", "Les volontaires qualifiés et libres sont des agents sans accord hiérarchique ; qualifiés et libres :", "The qualified and free volunteers are agents without their manager’s approval; qualified and free:"),
    ("mreason.allowances_used", "Les volontaires possibles n’ont plus assez de crédit ce mois-ci ; possibles :", "The possible volunteers have too little allowance left this month; possible:"),
    ("mreason.too_few_candidates", "Moins de volontaires remplissent les règles que le besoin n’en demande, et tous y sont placés ; possibles :", "Fewer volunteers meet the rules than the need wants, and all are placed on it; possible:"),
    ("mreason.placed_elsewhere", "Tous les autres volontaires possibles sont placés ailleurs à ces heures ; possibles :", "Every other possible volunteer is placed elsewhere at those times; possible:"),
    ("mreason.fair_share", "Des volontaires pourraient venir, mais ils sont placés auprès d’autres organismes à ces heures et les déplacer ne rendrait pas les parts plus égales : l’égalité de traitement les y garde. Volontaires possibles et part de cet organisme :", "Volunteers could come, but they are placed with other organisations at those times and moving them would not make the shares more even: equal treatment keeps them there. Possible volunteers and this organisation’s share:"),
];

/// Registers the page and its forms, for `CoordinatorOrAdmin`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/coordination/missions", web::get().to(page))
        .route("/coordination/missions/match", web::post().to(run_matching))
        .route("/coordination/missions/confirm", web::post().to(confirm))
        .route(
            "/coordination/missions/placements/{id}/state",
            web::post().to(change_state),
        );
}

/// "45 %" of a share in 0..=1, rounded down to the unit.
fn percent(share: f64) -> String {
    format!("{} %", (share * 100.0 + 1e-9).floor() as i64)
}

/// "45 %" of a share in thousandths.
fn permille_text(permille: u32) -> String {
    format!("{} %", permille / 10)
}

fn distance_text(tr: Tr, d: DistanceTier) -> &'static str {
    tr.t(&format!("mdistance.{}", d.code()))
}

/// A placement's reason, from the JSON kept with it (the matcher's reason), in words.
pub fn placement_reason_text(tr: Tr, json: &str) -> String {
    match serde_json::from_str::<PlacementReason>(json) {
        Ok(reason) => {
            let base = tr.t(&format!("mreason.{}", reason.reason_code()));
            let distance = distance_text(tr, reason.distance());
            match reason {
                PlacementReason::QualifiedAndFree { candidates, .. } => {
                    format!("{base} {candidates} ({distance})")
                }
                _ => format!("{base} ({distance})"),
            }
        }
        Err(_) => serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string))
            .map_or_else(
                || json.to_string(),
                |code| tr.t(&format!("mreason.{code}")).to_string(),
            ),
    }
}

/// An unfilled need's reason in words.
pub fn unfilled_reason_text(tr: Tr, reason: &UnfilledReason) -> String {
    let base = tr.t(&format!("mreason.{}", reason.reason_code()));
    match reason {
        UnfilledReason::NoQualifiedVolunteer { missing } if !missing.is_empty() => {
            let names: Vec<&str> = missing
                .iter()
                .map(|q| match tr.lang {
                    Lang::Fr => q.label_fr(),
                    Lang::En => q.label_en(),
                })
                .collect();
            format!(
                "{base} ; {} {}",
                tr.t("mreason.nobody_holds"),
                names.join(", ")
            )
        }
        UnfilledReason::NoQualifiedVolunteer { .. } => base.to_string(),
        UnfilledReason::NoVolunteerFree { qualified: n }
        | UnfilledReason::NotApproved { free: n }
        | UnfilledReason::AllowancesUsed { approved: n }
        | UnfilledReason::TooFewCandidates { eligible: n }
        | UnfilledReason::PlacedElsewhere { eligible: n } => format!("{base} {n}"),
        UnfilledReason::FairShare {
            eligible,
            share_permille,
        } => {
            format!("{base} {eligible}, {}", permille_text(*share_permille))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    week: Option<String>,
    done: Option<String>,
    error: Option<String>,
    confirmed: Option<usize>,
    refused: Option<usize>,
}

/// One organisation's line.
pub struct OrganisationRow {
    pub name: String,
    pub wanted: String,
    pub filled: String,
    pub share: String,
    pub confirmed: String,
}

/// One unfilled need's line.
pub struct UnfilledRow {
    pub reference: String,
    pub organisation: String,
    pub missing: u32,
    pub reason: String,
}

/// One least-served organisation in the proof.
pub struct ProofOrganisation {
    pub name: String,
    pub share: String,
    pub needs: Vec<ProofNeed>,
}

pub struct ProofNeed {
    pub reference: String,
    pub missing: u32,
    pub pool: u32,
    /// (label key, count) of each rule that excluded volunteers.
    pub exclusions: Vec<(&'static str, u32)>,
    /// "N at ORG (45 % to 40 %)".
    pub blocked_by: Vec<String>,
}

/// The kept run, as shown.
pub struct RunView {
    pub ran_at: String,
    pub ran_by: String,
    pub organisations: Vec<OrganisationRow>,
    pub unfilled: Vec<UnfilledRow>,
    pub all_filled: bool,
    pub min_share: String,
    pub proof: Vec<ProofOrganisation>,
}

/// A placement's line.
pub struct PlacementView {
    pub id: i64,
    pub volunteer_id: i64,
    pub need: String,
    pub organisation: String,
    pub establishment: String,
    pub mission_kind: String,
    pub slots: String,
    pub volunteer: String,
    pub origin: &'static str,
    pub hours: String,
    pub reason: String,
    pub state: &'static str,
    pub basis: Option<&'static str>,
    /// (code, label key, selected) of each basis.
    pub bases: Vec<(&'static str, &'static str, bool)>,
    /// (code, label key) of the states it may move to.
    pub next: Vec<(&'static str, &'static str)>,
    pub changed: bool,
    /// (label key, old, new) of each field of the need that changed.
    pub changes: Vec<(&'static str, String, String)>,
}

#[derive(Template)]
#[template(path = "missions.html")]
struct MissionsPage {
    tr: Tr,
    nav: Nav,
    week: String,
    previous_week: String,
    next_week: String,
    run: Option<RunView>,
    proposed: Vec<PlacementView>,
    placed: Vec<PlacementView>,
    done: Option<&'static str>,
    done_count: Option<usize>,
    refused_count: Option<usize>,
    error: Option<&'static str>,
}

fn known_key(prefix: &str, code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    TEXTS
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| k.strip_prefix(prefix) == Some(code))
}

fn static_key(key: String) -> &'static str {
    super::i18n::all_texts()
        .map(|(k, _, _)| *k)
        .find(|k| *k == key)
        .unwrap_or("missions.reason")
}

fn hours_of(minutes: u64) -> String {
    super::mission_time::hours_text(minutes as i64)
}

fn run_view(tr: Tr, run: crate::store::KeptRun, placements: &[WeekPlacement]) -> RunView {
    let s: MatchRunSummary = run.summary;
    let organisations = s
        .organisations
        .iter()
        .map(|o| {
            let confirmed: i64 = placements
                .iter()
                .filter(|p| {
                    p.organisation_id == o.organisation_id && p.state != PlacementState::Proposed
                })
                .map(|p| i64::from(p.minutes))
                .sum();
            OrganisationRow {
                name: o.organisation.clone(),
                wanted: hours_of(o.wanted_minutes),
                filled: hours_of(o.filled_minutes),
                share: percent(o.share),
                confirmed: super::mission_time::hours_text(confirmed),
            }
        })
        .collect();
    let unfilled = s
        .unfilled
        .iter()
        .map(|u| UnfilledRow {
            reference: u.reference.clone(),
            organisation: u.organisation.clone(),
            missing: u.missing,
            reason: unfilled_reason_text(tr, &u.reason),
        })
        .collect();
    let proof = s
        .proof
        .least_served
        .iter()
        .map(|o| ProofOrganisation {
            name: o.organisation.clone(),
            share: percent(o.share),
            needs: o.needs.iter().map(|n| proof_need(tr, n)).collect(),
        })
        .collect();
    RunView {
        ran_at: run
            .ran_at
            .with_timezone(&crate::domain::time::PARIS)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        ran_by: run.ran_by.unwrap_or_default(),
        organisations,
        unfilled,
        all_filled: s.unfilled.is_empty(),
        min_share: percent(s.proof.min_share),
        proof,
    }
}

fn proof_need(tr: Tr, n: &crate::missions::model::NeedProof) -> ProofNeed {
    let e = n.exclusions;
    let exclusions = [
        ("missions.ex.without_qualification", e.without_qualification),
        ("missions.ex.not_available", e.not_available),
        ("missions.ex.not_approved", e.not_approved),
        ("missions.ex.allowance_exceeded", e.allowance_exceeded),
        ("missions.ex.placed_here", e.placed_here),
        ("missions.ex.placed_elsewhere", e.placed_elsewhere),
        ("missions.ex.still_free", e.still_free),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect();
    let blocked_by = n
        .blocked_by
        .iter()
        .map(|b| {
            format!(
                "{} — {} : {} {} {}",
                b.organisation,
                b.volunteers,
                permille_text(b.share_permille),
                tr.t("missions.proof_to"),
                permille_text(b.share_after_move_permille)
            )
        })
        .collect();
    ProofNeed {
        reference: n.reference.clone(),
        missing: n.missing,
        pool: e.pool,
        exclusions,
        blocked_by,
    }
}

fn placement_view(tr: Tr, p: &WeekPlacement) -> PlacementView {
    let state = p.state;
    let default = usual_basis(p.origin);
    let current = p.basis;
    PlacementView {
        id: p.id,
        volunteer_id: p.volunteer_id,
        need: p.need_reference.clone(),
        organisation: p.organisation.clone(),
        establishment: p.establishment.clone(),
        mission_kind: p.mission_kind.clone(),
        slots: p.slots.clone(),
        volunteer: format!("{} {}", p.first_name, p.last_name)
            .trim()
            .to_string(),
        origin: static_key(format!("morigin.{}", p.origin.as_str())),
        hours: super::mission_time::hours_text(i64::from(p.minutes)),
        reason: placement_reason_text(tr, &p.reason),
        state: static_key(format!("mstate.{}", state.as_str())),
        basis: current.map(|b| static_key(format!("mbasis.{}", b.as_str()))),
        bases: PlacementBasis::ALL
            .iter()
            .map(|b| {
                let key = static_key(format!("mbasis.{}", b.as_str()));
                (b.as_str(), key, *b == current.unwrap_or(default))
            })
            .collect(),
        next: next_states(state)
            .iter()
            .map(|s| (s.as_str(), static_key(format!("mstate.{}", s.as_str()))))
            .collect(),
        changed: p.need_changed(),
        changes: Vec::new(),
    }
}

/// `GET /coordination/missions?week=W`.
pub async fn page(
    req: HttpRequest,
    lang: Lang,
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let tr = lang.tr();
    let week = parse_week(query.week.as_deref())?;
    let lines = state.store.week_placements(week).await?;
    let run = state
        .store
        .latest_match_run(week)
        .await?
        .map(|r| run_view(tr, r, &lines));
    let mut proposed = Vec::new();
    let mut placed = Vec::new();
    for line in &lines {
        let mut view = placement_view(tr, line);
        if line.state == PlacementState::Proposed {
            if view.changed {
                view.changes = state
                    .store
                    .placement_need_changes(line.id)
                    .await?
                    .into_iter()
                    .map(|c| (static_key(format!("mfield.{}", c.field)), c.old, c.new))
                    .collect();
            }
            proposed.push(view);
        } else {
            placed.push(view);
        }
    }
    let page = MissionsPage {
        tr,
        nav: user.nav(),
        week: week.to_string(),
        previous_week: week.previous().to_string(),
        next_week: week.next().to_string(),
        run,
        proposed,
        placed,
        done: known_key("missions.done.", query.done.as_deref()),
        done_count: query.confirmed,
        refused_count: query.refused,
        error: known_key("missions.error.", query.error.as_deref()),
    };
    html_page(&req, &page)
}

fn back(week: IsoWeek, query: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/coordination/missions?week={week}&{query}"),
        ))
        .finish()
}

#[derive(Deserialize)]
pub struct WeekForm {
    csrf: String,
    #[serde(default)]
    week: Option<String>,
}

/// `POST /coordination/missions/match`: runs the matching for the week, saves its
/// proposals and keeps its summary (shares, unfilled needs, proof).
pub async fn run_matching(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    form: web::Form<WeekForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let week = parse_week(form.week.as_deref())?;
    let run = state
        .store
        .match_missions(week, &state.mission_settings(), false)
        .await?;
    state
        .store
        .record_match_run(week, Some(user.user.id), &MatchRunSummary::of(&run.outcome))
        .await?;
    Ok(back(week, "done=matched"))
}

/// The confirmation form as posted: `placement=ID` for each ticked proposal, and
/// `basis-ID=code` for each proposal.
#[derive(Debug, Default)]
struct ConfirmForm {
    csrf: String,
    week: Option<String>,
    placements: Vec<i64>,
    bases: Vec<(i64, PlacementBasis)>,
}

impl ConfirmForm {
    fn from_body(body: &[u8]) -> Self {
        let mut form = Self::default();
        for (key, value) in url::form_urlencoded::parse(body) {
            match key.as_ref() {
                "csrf" => form.csrf = value.into_owned(),
                "week" => form.week = Some(value.into_owned()),
                "placement" => form.placements.extend(value.parse::<i64>().ok()),
                k => {
                    if let Some(id) = k.strip_prefix("basis-").and_then(|i| i.parse().ok()) {
                        form.bases
                            .extend(PlacementBasis::parse(&value).ok().map(|b| (id, b)));
                    }
                }
            }
        }
        form
    }

    /// Each ticked placement with its basis (the origin's default when none was sent:
    /// `None` here, resolved by the caller).
    fn wanted(&self) -> Vec<(i64, Option<PlacementBasis>)> {
        self.placements
            .iter()
            .map(|id| {
                (
                    *id,
                    self.bases.iter().find(|(i, _)| i == id).map(|(_, b)| *b),
                )
            })
            .collect()
    }
}

/// `POST /coordination/missions/confirm`: confirms the ticked proposals.
pub async fn confirm(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form = ConfirmForm::from_body(&body);
    user.check_csrf(&state, &form.csrf)?;
    let week = parse_week(form.week.as_deref())?;
    if form.placements.is_empty() {
        return Ok(back(week, "done=nothing"));
    }
    let lines = state.store.week_placements(week).await?;
    let wanted: Vec<(i64, PlacementBasis)> = form
        .wanted()
        .into_iter()
        .map(|(id, basis)| {
            let usual = lines
                .iter()
                .find(|l| l.id == id)
                .map(|l| usual_basis(l.origin));
            let basis = basis
                .or(usual)
                .unwrap_or(PlacementBasis::AssociationAgreement);
            (id, basis)
        })
        .collect();
    let by = Confirmer {
        user_id: Some(user.user.id),
        email: Some(user.user.email.as_str()),
    };
    let report = state
        .store
        .confirm_placements(&wanted, by, &state.mail_links())
        .await?;
    Ok(back(
        week,
        &format!(
            "done=confirmed&confirmed={}&refused={}",
            report.confirmed.len(),
            report.refused.len()
        ),
    ))
}

#[derive(Deserialize)]
pub struct StateForm {
    csrf: String,
    #[serde(default)]
    week: Option<String>,
    #[serde(default)]
    state: String,
}

/// `POST /coordination/missions/placements/{id}/state`: signed or ended.
pub async fn change_state(
    CoordinatorOrAdmin(user): CoordinatorOrAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<StateForm>,
) -> Result<HttpResponse, AppError> {
    user.check_csrf(&state, &form.csrf)?;
    let week = parse_week(form.week.as_deref())?;
    let Ok(to) = PlacementState::parse(&form.state) else {
        return Ok(back(week, "error=transition"));
    };
    match state
        .store
        .set_placement_state(path.into_inner(), to, Some(user.user.id))
        .await
    {
        Ok(()) => Ok(back(week, "done=state")),
        Err(PlacementError::Transition { .. }) => Ok(back(week, "error=transition")),
        Err(PlacementError::Unknown(_)) => Err(AppError::NotFound),
        Err(PlacementError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason and distance code of the matcher has its words, in both languages.
    #[test]
    fn every_reason_code_is_translated() {
        let keys: Vec<String> = PlacementReason::CODES
            .iter()
            .chain(UnfilledReason::CODES.iter())
            .map(|c| format!("mreason.{c}"))
            .chain(
                [
                    DistanceTier::SameCommune,
                    DistanceTier::SamePostcode,
                    DistanceTier::SameDepartement,
                    DistanceTier::Elsewhere,
                ]
                .iter()
                .map(|d| format!("mdistance.{}", d.code())),
            )
            .collect();
        for key in keys {
            assert!(TEXTS.iter().any(|(k, _, _)| *k == key), "{key} has no text");
        }
        let tr = Lang::En.tr();
        let json = r#"{"code":"qualified_and_free","distance":"same_commune","candidates":3}"#;
        assert_eq!(
            placement_reason_text(tr, json),
            "Chosen among the qualified and free volunteers (equal treatment, then \
             continuity, then distance), who number 3 (same commune)"
        );
    }
}
