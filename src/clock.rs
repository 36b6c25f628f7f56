//! The service's notion of now. Normally the system clock; `--pretend-now` shifts it so a
//! demo or a test can stand on a chosen school day while time keeps flowing, and tests move
//! it forward with [`Clock::advance`] instead of sleeping.
//!
//! Every "now" of the service goes through one `Clock` held by the application: clones
//! share the same offset, so advancing the test's handle moves the handlers' and the
//! worker's time too.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Microseconds added to the system clock, shared by every clone.
    offset_micros: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start` now and advances in real time from there.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        let clock = Clock::default();
        clock.set(start);
        clock
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::Acquire))
    }

    /// Today's civil date in Paris.
    pub fn today(&self) -> NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive()
    }

    /// Moves this clock and every clone of it forward (tests, demos).
    pub fn advance(&self, by: Duration) {
        let micros = by.num_microseconds().unwrap_or(i64::MAX);
        self.offset_micros.fetch_add(micros, Ordering::AcqRel);
    }

    /// Makes this clock and every clone of it read `at` now, then flow from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
        self.offset_micros.store(offset, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_time_and_advance_together() {
        let start = DateTime::parse_from_rfc3339("2025-09-15T08:00:00+02:00")
            .unwrap()
            .to_utc();
        let clock = Clock::starting_at(start);
        let handle = clock.clone();
        assert!((clock.now() - start).num_seconds().abs() < 2);
        handle.advance(Duration::days(3));
        assert!(
            (clock.now() - start - Duration::days(3))
                .num_seconds()
                .abs()
                < 2
        );
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2025, 9, 18).unwrap());
    }
}
