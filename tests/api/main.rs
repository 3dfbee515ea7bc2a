//! Integration tests: the app on a random port, the CLI binary, and the store, each on
//! a fresh database, for SQLite and (with LIEN_TEST_POSTGRES_URL) PostgreSQL.

mod helpers;

mod access;
mod auth;
mod browser;
mod call_refusals;
mod campaign_settings;
mod cli;
mod demo_story;
mod escalation_links;
mod import;
mod import_golden;
mod import_kill;
mod import_pages;
mod invitations;
mod json_api;
mod lifecycle;
mod mail;
mod pages;
mod planning;
mod privacy;
mod queue;
mod report;
mod smtp_sink;
mod store;
mod suppression;
mod throttle;
mod totp;
