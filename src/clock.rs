//! The service's notion of now. Normally the system clock; `--pretend-now` shifts it so a
//! demo or a test can stand on a chosen school day while time keeps flowing.

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start` now and advances in real time from there.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock {
            offset: start - Utc::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// Today's civil date in Paris.
    pub fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive()
    }
}
