//! One builder for the application, used by `main` and by the tests alike.

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::Server;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Condition, DefaultHeaders, ErrorHandlers, Next};
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use tracing_actix_web::{RequestId, RootSpanBuilder, TracingLogger};

use crate::config::Settings;
use crate::store::Store;
use crate::web::{errors::render_error_page, routes, AppState};

/// A bound, not yet running, web server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and wires the routes.
    pub async fn build(settings: &Settings, store: Store) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind).with_context(|| {
            format!(
                "cannot listen on {}: is another program using it? Choose another address \
                 with --bind or LIEN_BIND (port 0 picks a free one)",
                settings.bind
            )
        })?;
        let port = listener.local_addr()?.port();
        let mut base_url = settings.base_url.clone();
        if settings.bind.port() == 0 && base_url.port() == Some(0) {
            let _ = base_url.set_port(Some(port));
        }
        let secret = settings.require_secret_key()?.bytes();
        let https = base_url.scheme() == "https";
        let state = web::Data::new(AppState {
            reads: crate::store::ReadJournal::start(store.clone()),
            store,
            secure_cookies: https,
            base_url,
            secret,
            require_totp: settings.require_totp,
            escalation_details: settings.escalation_details,
            escalation_link_days_after_close: settings.escalation_link_days_after_close,
            territory_totp: settings.territory_totp,
            mission_day_minutes: settings.mission_day_minutes,
            week_figures: crate::web::week_figures::WeekFiguresCache::new(
                settings.week_figures_for,
            ),
            trusted_proxies: settings.trusted_proxies.clone(),
        });
        let postgres = state.store.backend() == crate::store::Backend::Postgres;
        let server = HttpServer::new(move || {
            App::new()
                // Innermost: the request log and the trace still say HEAD.
                .wrap(from_fn(crate::web::methods::head_as_get))
                .wrap(ErrorHandlers::new().default_handler(render_error_page))
                .wrap(from_fn(no_store))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                             frame-ancestors 'none'; form-action 'self'",
                        )),
                )
                // On https, browsers are told to come back on https only (two years;
                // not the subdomains, which lien does not own).
                .wrap(Condition::new(
                    https,
                    DefaultHeaders::new().add(("Strict-Transport-Security", "max-age=63072000")),
                ))
                .wrap(Condition::new(postgres, from_fn(keep_connection)))
                .wrap(from_fn(request_log))
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default().error_handler(crate::web::errors::json_body_error),
                )
                // A path whose id is not a number (or too large) names nothing: 404, as
                // an error page (JSON under /api), not actix-web's text.
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| crate::web::errors::AppError::NotFound.into()),
                )
                .configure(routes)
                // Last: it matches every path (405 for a known path, else 404).
                .configure(crate::web::methods::fallback)
        })
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C; in-flight requests get 10 s to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves with the outbox worker beside the server: one Ctrl-C or SIGTERM stops
    /// both (the server first, then the worker finishes or gives back the messages in
    /// flight); if the worker stops on its own, the server is stopped too.
    pub async fn run_with_worker(self, worker: crate::mail::Worker) -> anyhow::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let handle = self.server.handle();
        let mut worker = tokio::spawn(worker.run(stopped));
        tokio::select! {
            served = self.server => {
                let _ = stop.send(true);
                let _ = worker.await;
                served?;
                Ok(())
            }
            ended = &mut worker => {
                handle.stop(true).await;
                anyhow::bail!("the outbox worker stopped unexpectedly ({ended:?}); lien stopped with it")
            }
        }
    }
}

/// `Cache-Control: no-store` on every answer — pages, API, downloads, error pages — so
/// that no browser, shared computer or proxy keeps a copy of a page with personal data.
/// Only the static assets (which set their own caching) and `/health` are left alone.
/// Outside the error handlers, so that the error pages get it too.
async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cacheable = req.path().starts_with("/static/") || req.path() == "/health";
    let mut res = next.call(req).await?;
    if !cacheable {
        res.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

/// A request's statements on PostgreSQL's pool run on one connection, given back once
/// at its end ([`crate::store::request_connection`]).
async fn keep_connection(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    crate::store::request_connection::scope(next.call(req)).await
}

/// One log line per request, inside the request's span (so it carries the request id),
/// and the id in an `X-Request-Id` header. The route pattern is logged, not the path,
/// so that no identifier typed in a URL reaches the log.
async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .filter(|p| !p.ends_with(crate::web::methods::ANY_PATH))
        .unwrap_or_else(|| "(no route)".into());
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%method, %route, status, elapsed_ms = format!("{elapsed_ms:.1}"), "served");
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// A lean root span per request: its id only, so that every log line written while
/// serving it carries `request{id=…}` and nothing about the person behind the request.
struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!("request", id = %id)
    }

    fn on_request_end<B: MessageBody>(
        _span: tracing::Span,
        _outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    /// Log lines written while the guard lives, as text.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn a_request_is_logged_by_its_route_pattern_only() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(from_fn(request_log))
                .route("/appels/{id}", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/appels/4242?nom=Dupont&tel=0612345678")
            .to_request();
        assert!(test::call_service(&app, req).await.status().is_success());
        let req = test::TestRequest::get()
            .uri("/nulle-part/4242?nom=Dupont")
            .to_request();
        test::call_service(&app, req).await;
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("route=/appels/{id}"), "{log}");
        assert!(log.contains("route=(no route)"), "{log}");
        for leak in ["4242", "Dupont", "0612345678", "nom=", "nulle-part"] {
            assert!(!log.contains(leak), "{leak} in {log}");
        }
    }
}
