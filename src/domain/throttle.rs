//! How failed logins slow guessing down without locking the right person out.
//!
//! Three counters, each a key in the database counted by one atomic statement:
//!
//! - **the address** (`client:`): every account tried from one address (or one IPv6 /64).
//!   A school's NAT hides many people behind one address, so it gets several times the free
//!   failures of one account; past them, 2 s, 4 s, 8 s… up to 15 minutes. It is counted
//!   after a wrong password only, so that a class logging in together is never held back.
//!
//! The two account counters are counted *before* the password is checked (a request that
//! finds its key waiting is refused at once), so parallel guesses cannot overtake them:
//!
//! - **the account from that address** (`pair:`): the lock a guesser meets. Past the free
//!   failures, 2 s, 4 s… up to 15 minutes. Another address is not affected.
//! - **the account from anywhere** (`account:`): a distributed guesser is slowed by a
//!   *bounded* back-off (at most [`ACCOUNT_MAX_DELAY_SECS`]) that the right password
//!   clears, and that an address where the account already logged in successfully
//!   skips — as the "smart lockout" of mature identity servers does. One wrong guess every
//!   15 minutes from anywhere can therefore never keep the owner out for more than a minute,
//!   and never out of their usual place.
//!
//! Failures are forgotten [`FAILURE_WINDOW_SECS`] after the last one.

use std::net::IpAddr;

/// Failures are forgotten this long after the last one.
pub const FAILURE_WINDOW_SECS: i64 = 3600;
/// Longest wait for an address or an account from one address.
pub const MAX_DELAY_SECS: i64 = 15 * 60;
/// Longest wait for an account tried from everywhere: short, since it also holds back the
/// owner when they come from a new address.
pub const ACCOUNT_MAX_DELAY_SECS: i64 = 60;
/// An address gets this many times the free failures of one account.
pub const CLIENT_FREE_FACTOR: i64 = 4;
/// The account from anywhere gets this many times the free failures of one account.
pub const ACCOUNT_FREE_FACTOR: i64 = 2;
/// An address where an account logged in successfully stays familiar this long.
pub const FAMILIAR_DAYS: i64 = 90;
/// Longest password checked: a longer one is refused before any hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Sign-in links by mail (issue 19): three requests for one address go through, then the
/// next waits 2 s, 4 s… up to 15 minutes, so that nobody can fill a mailbox with them.
pub const LINK_EMAIL: BackOff = BackOff {
    free: 3,
    max_secs: MAX_DELAY_SECS,
};
/// Sign-in link requests from one client address (any email): a school's NAT may hold many
/// tutors, fewer than the logins of a class.
pub const LINK_CLIENT: BackOff = BackOff {
    free: 20,
    max_secs: MAX_DELAY_SECS,
};

/// The keys of the two counters of sign-in link requests: per email, per client address.
/// Both are counted for every request, known email or not, so that the answer cannot tell.
pub fn link_keys(email: &str, client: &str) -> [(String, BackOff); 2] {
    [
        (format!("link-email:{email}"), LINK_EMAIL),
        (format!("link-client:{client}"), LINK_CLIENT),
    ]
}

/// One of the three counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Client,
    AccountFromClient,
    Account,
}

/// A counter's rule: how many failures are free, and the longest wait after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackOff {
    pub free: i64,
    pub max_secs: i64,
}

impl Counter {
    pub fn back_off(self, free_failures: u32) -> BackOff {
        let free = i64::from(free_failures.max(1));
        match self {
            Counter::Client => BackOff {
                free: free * CLIENT_FREE_FACTOR,
                max_secs: MAX_DELAY_SECS,
            },
            Counter::AccountFromClient => BackOff {
                free,
                max_secs: MAX_DELAY_SECS,
            },
            Counter::Account => BackOff {
                free: free * ACCOUNT_FREE_FACTOR,
                max_secs: ACCOUNT_MAX_DELAY_SECS,
            },
        }
    }

    /// The key of this counter in the database.
    pub fn key(self, email: &str, client: &str) -> String {
        match self {
            Counter::Client => format!("client:{client}"),
            Counter::AccountFromClient => format!("pair:{email}|{client}"),
            Counter::Account => format!("account:{email}"),
        }
    }
}

impl BackOff {
    /// The wait imposed after the `failures`-th failure in a row: none while they are free,
    /// then doubling from 2 s up to the bound.
    pub fn delay_secs(self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let exponent = (failures - self.free + 1).min(30) as u32;
        2i64.pow(exponent).min(self.max_secs)
    }

    /// The smallest failure count from which the wait is the bound.
    pub fn saturation(self) -> i64 {
        (self.free..)
            .find(|n| self.delay_secs(*n) >= self.max_secs)
            .unwrap_or(self.free)
    }
}

/// The address a counter is kept for: an IPv6 client owns a whole /64, so its first four
/// groups stand for it (otherwise one machine could try from billions of addresses).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn back_off_grows_then_caps() {
        let pair = Counter::AccountFromClient.back_off(5);
        assert_eq!(pair.delay_secs(4), 0);
        assert_eq!(pair.delay_secs(5), 2);
        assert_eq!(pair.delay_secs(8), 16);
        assert_eq!(pair.delay_secs(100), MAX_DELAY_SECS);
        let account = Counter::Account.back_off(5);
        assert_eq!(account.delay_secs(9), 0);
        assert_eq!(account.delay_secs(10), 2);
        assert_eq!(account.delay_secs(1_000), ACCOUNT_MAX_DELAY_SECS);
        assert_eq!(Counter::Client.back_off(5).free, 20);
    }

    #[test]
    fn link_requests_wait_after_three_per_email_and_twenty_per_address() {
        let [(email_key, email), (client_key, client)] = link_keys("a@b.test", "10.0.0.1");
        assert_eq!(email_key, "link-email:a@b.test");
        assert_eq!(client_key, "link-client:10.0.0.1");
        assert_eq!(email.delay_secs(2), 0);
        assert_eq!(email.delay_secs(3), 2);
        assert_eq!(client.delay_secs(19), 0);
        assert_eq!(client.delay_secs(20), 2);
        // Distinct from the password counters: asking for links never locks a password out.
        assert!(!email_key.starts_with("pair:") && !email_key.starts_with("account:"));
    }

    #[test]
    fn ipv6_clients_count_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
        assert_eq!(client_key("10.1.2.3".parse().unwrap()), "10.1.2.3");
    }

    proptest! {
        #[test]
        fn waits_never_shrink_and_never_pass_the_bound(free in 1u32..50, n in 0i64..10_000) {
            for counter in [Counter::Client, Counter::AccountFromClient, Counter::Account] {
                let b = counter.back_off(free);
                prop_assert!(b.delay_secs(n) <= b.delay_secs(n + 1));
                prop_assert!(b.delay_secs(n) <= b.max_secs);
                prop_assert!(b.delay_secs(n) >= 0);
                prop_assert_eq!(b.delay_secs(b.saturation()), b.max_secs);
            }
        }
    }
}
