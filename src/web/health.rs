//! `GET /health`: 200 when lien and its database answer, 503 otherwise.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    backend: &'static str,
    version: &'static str,
}

#[tracing::instrument(name = "health", skip(state))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.store.backend().as_str();
    let version = env!("CARGO_PKG_VERSION");
    let check = tokio::time::timeout(std::time::Duration::from_secs(3), state.store.ping()).await;
    match check {
        Ok(Ok(())) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(Health {
                status: "ok",
                database: "ok",
                backend,
                version,
            }),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "health check: database unreachable");
            unavailable(backend, version)
        }
        Err(_) => {
            tracing::error!("health check: database did not answer within 3 s");
            unavailable(backend, version)
        }
    }
}

fn unavailable(backend: &'static str, version: &'static str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: "unavailable",
            database: "unreachable",
            backend,
            version,
        })
}
