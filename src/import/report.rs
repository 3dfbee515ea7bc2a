//! The report of one import: what was read, written, refused, and why.

pub use crate::records::imports::{ImportReport, MappedColumn, ReportWarning};
