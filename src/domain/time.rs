//! lien's clock: days and weeks are those of Europe/Paris, whatever the server's zone.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;

pub const PARIS: Tz = chrono_tz::Europe::Paris;

/// Today's date in Paris.
pub fn today_in_paris() -> NaiveDate {
    Utc::now().with_timezone(&PARIS).date_naive()
}
