//! The web face of lien: server-rendered pages (askama), a small JSON API, and the
//! routes that tie them to the store.

use actix_web::web;

pub mod accounts;
pub mod api;
pub mod assets;
pub mod callers;
pub mod calls;
pub mod campaign_scripts;
pub mod campaigns;
pub mod client;
pub mod dashboard;
pub mod enrolment;
pub mod errors;
pub mod escalations;
pub mod health;
pub mod i18n;
pub mod imports;
pub mod journal;
// Issue 13, caller self-service: the caller's own page (/moi).
pub mod me;
// Issue 16: 405 with Allow for a known path asked with another method.
pub mod methods;
// Issue 17, volunteer missions: the coordinators' page and the time given.
pub mod mission_time;
pub mod missions;
// Issue 17: the organisations' signed link (needs still right?).
pub mod organisation_link;
pub mod pages;
// Issue 13, people: finding one person and acting on them.
pub mod people;
pub mod person;
pub mod person_rights;
pub mod planning;
pub mod queue;
// Issue 17: relays' own volunteers, and the volunteer's own page.
pub mod relay;
pub mod roles;
pub mod session;
pub mod throttle;
pub mod totp;
// Issue 16: the week page's figures kept for a second.
pub mod kept;
pub mod week_figures;

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: crate::store::Store,
    /// The writer of the queue's reads to the audit trail (one transaction for the
    /// requests of the same moment; see `store::read_journal`).
    pub reads: crate::store::ReadJournal,
    pub base_url: url::Url,
    /// Key for CSRF tokens and signed links.
    pub secret: Vec<u8>,
    /// Cookies get the Secure flag when the public address is https.
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` is believed (see `client`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Coordinators and admins need a one-time code too (see `config::Settings`).
    pub require_totp: bool,
    /// `mail_escalation_details`: how much an escalation mail says.
    pub escalation_details: crate::records::EscalationDetails,
    /// `mail_escalation_link_days_after_close`.
    pub escalation_link_days_after_close: i64,
    /// Territory accounts too (with `require_totp`).
    pub territory_totp: bool,
    /// `mission_day_minutes`: a day of allowance, for the matching and the hours.
    pub mission_day_minutes: u32,
    /// The coordinators' week figures, kept for `Settings::week_figures_for`.
    pub week_figures: week_figures::WeekFiguresCache,
}

impl AppState {
    /// The settings of a missions matching.
    pub fn mission_settings(&self) -> crate::store::MissionSettings {
        crate::store::MissionSettings {
            minutes_per_day: self.mission_day_minutes,
        }
    }

    /// A cookie's name as sent: with the `__Host-` prefix when the site is https, so
    /// that browsers accept it only Secure, for this host and path `/` (no subdomain or
    /// plain-http page can set or shadow it); unprefixed on http, as before.
    pub fn cookie_name(&self, name: &str) -> String {
        if self.secure_cookies {
            format!("__Host-{name}")
        } else {
            name.to_string()
        }
    }

    /// What escalation mails need: the address of their links and the mail settings.
    pub fn mail_links(&self) -> crate::mail::MailLinks {
        crate::mail::MailLinks {
            base_url: self.base_url.clone(),
            secret: self.secret.clone(),
            details: self.escalation_details,
            link_days_after_close: self.escalation_link_days_after_close,
        }
    }
}

/// Every route of the application, grouped by who may call it. Each handler's
/// signature says it too: `MaybeUser` (anyone), `CurrentUser` (anyone signed in),
/// `Caller`, `Territory`, `TerritoryOrStaff`, `CoordinatorOrAdmin` (see `roles`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(open_routes)
        .configure(signed_in_routes)
        .configure(caller_routes)
        .configure(coordination_routes)
        .configure(admin_routes)
        .configure(callers_routes)
        .configure(escalations::routes)
        .configure(journal::routes)
        .configure(me::routes)
        .configure(missions::routes)
        .configure(mission_time::routes)
        .configure(people::routes)
        .configure(person_rights::routes)
        .configure(organisation_link::routes)
        .configure(relay::routes);
}

/// Anyone: the home page, health, login steps, the API's login and description, assets.
fn open_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/health", web::get().to(health::health))
        .route("/login", web::get().to(session::login_form))
        .route("/login", web::post().to(session::login))
        .route("/login/code", web::get().to(totp::form))
        .route("/login/code", web::post().to(totp::submit))
        .route("/login/link", web::post().to(session::request_link))
        .route("/enrol/{token}", web::get().to(enrolment::form))
        .route("/enrol/{token}", web::post().to(enrolment::submit))
        .route("/login/link/{token}", web::get().to(session::use_link))
        .route("/api/session", web::post().to(api::session))
        .route("/api/openapi.json", web::get().to(api::openapi))
        .route("/static/{file}", web::get().to(assets::asset));
}

/// Any signed-in user (`CurrentUser`).
fn signed_in_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/logout", web::post().to(session::logout))
        .route("/logout/all", web::post().to(session::logout_everywhere));
}

/// Callers (`Caller`): their queue and calls, on the pages and in the API.
fn caller_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/appels", web::get().to(calls::queue))
        .route("/appels/{id}", web::get().to(calls::call))
        .route("/appels/{id}", web::post().to(calls::record))
        .route("/api/me/queue", web::get().to(api::my_queue))
        .route("/api/assignments/{id}", web::get().to(api::assignment))
        .route("/api/calls", web::post().to(api::record_call));
}

/// Coordinators and admins (`CoordinatorOrAdmin`).
fn coordination_routes(cfg: &mut web::ServiceConfig) {
    let totals = "/api/campaigns/{campaign}/weeks/{week}/totals";
    cfg.route(totals, web::get().to(dashboard::api_totals))
        .route("/coordination/campaigns", web::get().to(campaigns::index))
        .route(
            "/coordination/campaigns/{name}",
            web::get().to(campaigns::settings),
        )
        .route(
            "/coordination/campaigns/{name}",
            web::post().to(campaigns::save),
        )
        // Campaigns created, archived, and their call scripts (issue 13).
        .route("/coordination/campaigns", web::post().to(campaigns::create))
        .route(
            "/coordination/campaigns/{name}/archive",
            web::post().to(campaigns::archive),
        )
        .route(
            "/coordination/campaigns/{name}/script",
            web::get().to(campaign_scripts::page),
        )
        .route(
            "/coordination/campaigns/{name}/script",
            web::post().to(campaign_scripts::save),
        )
        .route("/coordination/planning", web::get().to(planning::page))
        .route("/coordination/planning", web::post().to(planning::commit))
        .route("/coordination/week", web::get().to(dashboard::week_page))
        .route(
            "/coordination/week/totals.csv",
            web::get().to(dashboard::totals_download),
        )
        .route(
            "/coordination/week/not-reached.csv",
            web::get().to(dashboard::not_reached_download),
        )
        .route(
            "/coordination/trends",
            web::get().to(dashboard::trends_page),
        )
        .route("/coordination/time", web::get().to(dashboard::time_page))
        .service(
            web::scope("/coordination/imports")
                .route("", web::get().to(imports::index))
                .route("/preview", web::post().to(imports::preview))
                .route("/confirm", web::post().to(imports::confirm))
                .route("/cancel", web::post().to(imports::cancel))
                .route("/{id}", web::get().to(imports::batch))
                .route("/{id}/rejected.csv", web::get().to(imports::rejected_csv))
                .configure(methods::fallback),
        );
}

/// Admins only (`Admin`): managing accounts.
fn admin_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin/comptes")
            .route("", web::get().to(accounts::list))
            .route("", web::post().to(accounts::invite))
            .route("/{id}", web::get().to(accounts::show))
            // role, deactivate, reactivate, second-factor, login-link
            .route("/{id}/{action}", web::post().to(accounts::act))
            .configure(methods::fallback),
    );
}

/// Coordinators and admins (`CoordinatorOrAdmin`): the roster of callers, one caller's
/// absences, departure and return, capacity and days.
fn callers_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/coordination/callers")
            .route("", web::get().to(callers::roster))
            .route("", web::post().to(callers::add))
            .route("/{id}", web::get().to(callers::caller_page))
            .route("/{id}", web::post().to(callers::save))
            .route("/{id}/absences", web::post().to(callers::record_absence))
            .route("/{id}/rebalance", web::post().to(callers::rebalance))
            .route("/{id}/active", web::post().to(callers::set_active))
            .configure(methods::fallback),
    );
}
