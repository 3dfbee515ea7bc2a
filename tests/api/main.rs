//! Integration tests: the app on a random port, the CLI binary, and the store, each on
//! a fresh database, for SQLite and (with LIEN_TEST_POSTGRES_URL) PostgreSQL.

mod helpers;

mod access;
mod accounts;
mod auth;
mod browser;
mod browser_campaign;
mod call_refusals;
mod callers;
mod campaign_settings;
mod campaigns;
mod cli;
// Issue 16: the API does what its OpenAPI document says.
mod contract;
mod demo_story;
mod english;
mod escalation_links;
mod import;
mod import_golden;
mod import_kill;
// Issue 16: several instances on one PostgreSQL.
mod import_pages;
mod instances;
mod invitations;
mod json_api;
mod lifecycle;
mod mail;
// Issue 13: every mail in its recipient's language.
mod mail_language;
// Issue 17, volunteer missions: the store, imports and command line.
mod missions_cli;
mod missions_store;
// Issue 17: the organisations' signed link, relays and volunteers.
mod organisation_links;
// Issue 13, caller self-service.
mod me;
// Issue 17, volunteer missions: the coordinators' page and the time given.
mod missions_web;
mod pages;
// Issue 13, people: finding one person and acting on them.
mod people;
mod person_rights;
mod planning;
mod privacy;
mod queue;
mod relay;
// Issue 16: a request's statements on one pool connection.
mod report;
mod request_connection;
mod smtp_sink;
mod store;
mod suppression;
mod throttle;
mod totp;
// Issue 16: the week page's figures kept for a moment.
mod week_figures;
