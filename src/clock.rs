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

#[derive(Debug, Clone)]
pub struct Clock {
    /// Microseconds added to the system clock, shared by every clone.
    offset_micros: Arc<AtomicI64>,
    /// When frozen (tests), the instant every clone reads, in microseconds since the epoch;
    /// `NOT_FROZEN` otherwise.
    frozen_micros: Arc<AtomicI64>,
}

const NOT_FROZEN: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_micros: Arc::default(),
            frozen_micros: Arc::new(AtomicI64::new(NOT_FROZEN)),
        }
    }
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
        match self.frozen_micros.load(Ordering::Acquire) {
            NOT_FROZEN => {
                Utc::now() + Duration::microseconds(self.offset_micros.load(Ordering::Acquire))
            }
            frozen => DateTime::from_timestamp_micros(frozen).unwrap_or_default(),
        }
    }

    /// Stops this clock and every clone of it where it stands: it moves only by
    /// [`Clock::advance`] from then on (tests that must not depend on how long work takes).
    pub fn freeze(&self) {
        let now = self.now().timestamp_micros();
        self.frozen_micros.store(now, Ordering::Release);
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
        // A frozen clock moves by the same step (never onto the "not frozen" mark).
        let _ = self
            .frozen_micros
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                (f != NOT_FROZEN).then(|| f.saturating_add(micros).max(NOT_FROZEN + 1))
            });
    }

    /// Makes this clock and every clone of it read `at` now, then flow from there.
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
        self.offset_micros.store(offset, Ordering::Release);
        if self.frozen_micros.load(Ordering::Acquire) != NOT_FROZEN {
            self.frozen_micros
                .store(at.timestamp_micros(), Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::system();
        clock.freeze();
        let handle = clock.clone();
        let at = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(handle.now(), at);
        handle.advance(Duration::seconds(2));
        assert_eq!(clock.now(), at + Duration::seconds(2));
        let later = at + Duration::days(1);
        clock.set(later);
        assert_eq!(handle.now(), later);
    }

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
