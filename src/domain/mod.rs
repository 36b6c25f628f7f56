//! Pure rules of the convention: no I/O here, only values in and values out.

pub mod absence;
pub mod attendance;
pub mod billing;
pub mod calendar;
pub mod certificate;
pub mod contract_kind;
pub mod feed;
pub mod hours;
pub mod reach;
pub mod retry;
pub mod roles;
pub mod semester;
pub mod siret;
pub mod text;
pub mod throttle;

use chrono::NaiveDate;

/// Civil dates follow the school's clock, not the server's.
pub fn today_in_paris() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}
