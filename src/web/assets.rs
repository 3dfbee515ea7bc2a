//! Static assets, compiled into the binary so that `lien` runs from any folder.

use actix_web::{http::header, web, HttpResponse};

use super::errors::AppError;

static ASSETS: &[(&str, &str, &str)] = &[
    (
        "lien.css",
        "text/css; charset=utf-8",
        include_str!("../../static/lien.css"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../static/favicon.svg"),
    ),
];

pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) = ASSETS
        .iter()
        .find(|(name, _, _)| *name == file.as_str())
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, *content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
