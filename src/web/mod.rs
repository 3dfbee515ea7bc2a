//! The web face of lien: server-rendered pages (askama), a small JSON API, and the
//! routes that tie them to the store.

use actix_web::web;

pub mod assets;
pub mod errors;
pub mod health;
pub mod i18n;
pub mod pages;

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: crate::store::Store,
    pub base_url: url::Url,
}

/// Every route of the application.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/health", web::get().to(health::health))
        .route("/static/{file}", web::get().to(assets::asset));
}
