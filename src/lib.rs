//! lien — solidarity phone-check campaigns.
//!
//! See `docs/ARCHITECTURE.md` for the modules and the flow of data.

pub mod auth;
pub mod calling;
pub mod cli;
pub mod config;
pub mod domain;
pub mod fixtures;
pub mod import;
pub mod mail;
pub mod messages;
pub mod missions;
pub mod planning;
pub mod records;
pub mod report;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
