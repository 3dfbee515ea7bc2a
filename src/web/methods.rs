//! `405 Method Not Allowed` with an `Allow` header for every known path asked with a
//! method it does not take (`TRACE /api/session`, `DELETE /appels`), `404` for paths
//! that no route knows.
//!
//! Routes are registered one method at a time (`cfg.route(path, web::get()…)`), so
//! actix-web makes one resource per method and a request whose path matches but whose
//! method does not falls through every resource. On its way, each resource's method
//! guard notes its method in the request; [`fallback`] registers, after every route, one
//! resource that matches any path and has no route of its own: its default service is
//! actix-web's `405` with `Allow` listing the noted methods. A path that no resource
//! matched has no noted method; that answer is turned into a `404`, as before.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};

/// The catch-all resource's pattern (the request log names it "(no route)").
pub const ANY_PATH: &str = "{any_path:.*}";

/// Registers the catch-all resource: call it after every other route of the app, and
/// at the end of each scope (a scope does not hand back to the app's resources).
pub fn fallback(cfg: &mut web::ServiceConfig) {
    // "" is the scope's own path (`/admin/comptes`); ANY_PATH gets a leading slash.
    for pattern in ["", ANY_PATH] {
        cfg.service(web::resource(pattern).wrap(from_fn(unknown_path_is_not_found)));
    }
}

/// A `405` without `Allow` means that no route had this path: `404`.
async fn unknown_path_is_not_found(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let known = res.headers().contains_key(header::ALLOW);
    if res.status() == StatusCode::METHOD_NOT_ALLOWED && !known {
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, HttpResponse::NotFound().finish()));
    }
    Ok(res.map_into_boxed_body())
}

/// `HEAD` is `GET` without the body (RFC 9110, 9.3.2): a load balancer's health check or
/// a link checker asks it. The request goes to the `GET` route as a `GET`; the HTTP/1
/// codec, which read a `HEAD`, sends the status and headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// The error page's texts for `405`.
pub static TEXTS: &[(&str, &str, &str)] = &[
    (
        "error.method.title",
        "Action impossible à cette adresse",
        "Method not allowed",
    ),
    (
        "error.method.text",
        "Cette adresse existe, mais ne s’utilise pas ainsi. Revenez à la page précédente.",
        "This address exists but cannot be used this way. Go back to the previous page.",
    ),
];
