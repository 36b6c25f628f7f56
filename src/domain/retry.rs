//! How long a failed background job waits before it is tried again: doubling from 10 s,
//! at most an hour, so that a lasting fault costs a few tries an hour and not one a second.

use chrono::Duration;

pub const FIRST_WAIT_SECONDS: i64 = 10;
pub const LONGEST_WAIT_SECONDS: i64 = 3_600;

/// The wait after the `failures`-th failure in a row (1 for the first).
pub fn back_off(failures: i64) -> Duration {
    let doublings = (failures.max(1) - 1).min(20) as u32;
    Duration::seconds((FIRST_WAIT_SECONDS << doublings).min(LONGEST_WAIT_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_from_ten_seconds_up_to_an_hour() {
        let waits: Vec<i64> = (1..=11).map(|n| back_off(n).num_seconds()).collect();
        assert_eq!(
            waits,
            [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(back_off(0), back_off(1));
    }

    proptest! {
        #[test]
        fn never_shorter_than_before_nor_longer_than_an_hour(n in -5i64..10_000) {
            let (now, next) = (back_off(n), back_off(n + 1));
            prop_assert!(now <= next);
            prop_assert!(next.num_seconds() <= LONGEST_WAIT_SECONDS);
            prop_assert!(now.num_seconds() >= FIRST_WAIT_SECONDS);
        }
    }
}
