//! Per-instance memory of the hottest reads: who owns a token, and what a student's summary
//! is counted from (their contracts and each contract's sessions with marks).
//!
//! Why not ask the database every time: a summary is three small queries, and at a few
//! thousand requests a second those round trips, not the counting, were the whole cost.
//!
//! Staleness is bounded two ways. Every entry remembers the *generation* it was read under,
//! and any request that may write (anything but GET, HEAD, OPTIONS) moves the generation on
//! when it ends, so this instance reads its own writes at once. The roll call, by far the
//! most frequent write, says which group it wrote ([`WroteGroup`]) and moves on only that
//! group's generation, so that teachers at work do not empty the whole cache. Writes from elsewhere (another
//! instance, the command line) are seen after at most the time to live. The counting itself
//! is never cached: it depends on the clock (an unmarked session becomes "unrecorded" when it
//! begins), and certificates and billing always read the database.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};

use crate::app::ApiContext;
use crate::auth::Caller;
use crate::clock::Clock;
use crate::db::contracts::{ContractFrame, StudentSession};

/// Entries kept per kind; the oldest go first. A summary's inputs weigh a few kilobytes.
const CAPACITY: usize = 20_000;
/// Groups share this many generation counters (a collision only costs a re-read).
const GROUP_STRIPES: usize = 1024;

/// Set by a handler on its response: the write touched only this group's marks.
#[derive(Clone, Copy, Debug)]
pub struct WroteGroup(pub i64);

#[derive(Clone)]
struct Entry<V> {
    value: V,
    generation: Ticket,
    /// Between half the time to live and all of it after the read, so that entries read
    /// together do not all go back to the database in the same instant. On the service's
    /// clock, so that tests move past it instead of sleeping.
    expires: DateTime<Utc>,
    /// Set by the one request that reads it again once it has expired; the others keep
    /// being answered from this entry meanwhile (for one more time to live at most), instead
    /// of all asking the database the same question at once.
    refreshing: Arc<AtomicBool>,
}

/// One kind of entry, keyed by `K`.
type Shelf<K, V> = quick_cache::sync::Cache<K, Entry<V>>;

pub struct ReadCache {
    ttl: Duration,
    clock: Clock,
    generation: AtomicU64,
    groups: Vec<AtomicU64>,
    /// Token hash → the caller and the token's expiry.
    callers: Shelf<String, (Caller, DateTime<Utc>)>,
    /// Student → all their contracts, newest first (the caller's view is filtered after).
    contracts: Shelf<i64, Arc<Vec<ContractFrame>>>,
    /// Contract → its group's sessions inside its dates, with the student's marks.
    sessions: Shelf<i64, Arc<Vec<StudentSession>>>,
}

/// The generations a read started under (the whole cache's, and its group's when it reads
/// marks): an entry stored with them is dropped if a write ended in between.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64, u64);

impl ReadCache {
    pub fn new(ttl: Duration, clock: Clock) -> Self {
        ReadCache {
            ttl,
            clock,
            generation: AtomicU64::new(0),
            groups: (0..GROUP_STRIPES).map(|_| AtomicU64::new(0)).collect(),
            callers: Shelf::new(CAPACITY),
            contracts: Shelf::new(CAPACITY),
            sessions: Shelf::new(CAPACITY),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// Forgets everything read so far (a write ended).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Forgets the marks read of one group (a roll call of it ended).
    pub fn invalidate_group(&self, group: i64) {
        self.group_counter(Some(group))
            .fetch_add(1, Ordering::AcqRel);
    }

    fn group_counter(&self, group: Option<i64>) -> &AtomicU64 {
        // Stripe 0 stands for "no group": its counter never moves.
        let stripe = group.map_or(0, |g| 1 + g.rem_euclid(GROUP_STRIPES as i64 - 1) as usize);
        &self.groups[stripe]
    }

    /// To take before reading the database (`group` when reading its marks), and to store
    /// the result with.
    pub fn ticket(&self, group: Option<i64>) -> Ticket {
        Ticket(
            self.generation.load(Ordering::Acquire),
            self.group_counter(group).load(Ordering::Acquire),
        )
    }

    fn get<K, Q, V>(&self, shelf: &Shelf<K, V>, key: &Q, group: Option<i64>) -> Option<V>
    where
        K: Eq + Hash + Clone,
        Q: Hash + quick_cache::Equivalent<K> + ?Sized,
        V: Clone,
    {
        self.lookup(shelf, key, group, true)
    }

    /// An entry read under the current generation; past its expiry, given to the others
    /// while one request reads it again only when `stale_ok`.
    fn lookup<K, Q, V>(
        &self,
        shelf: &Shelf<K, V>,
        key: &Q,
        group: Option<i64>,
        stale_ok: bool,
    ) -> Option<V>
    where
        K: Eq + Hash + Clone,
        Q: Hash + quick_cache::Equivalent<K> + ?Sized,
        V: Clone,
    {
        if !self.enabled() {
            return None;
        }
        let entry = shelf.get(key)?;
        // A write seen here is never answered from memory.
        if entry.generation != self.ticket(group) {
            return None;
        }
        let now = self.clock.now();
        if now < entry.expires {
            return Some(entry.value);
        }
        if !stale_ok {
            return None;
        }
        let someone_reads = entry
            .refreshing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err();
        (someone_reads && now < later(entry.expires, self.ttl)).then_some(entry.value)
    }

    fn put<K: Eq + Hash + Clone, V: Clone>(
        &self,
        shelf: &Shelf<K, V>,
        ticket: Ticket,
        group: Option<i64>,
        key: K,
        value: V,
    ) {
        if self.enabled() && ticket == self.ticket(group) {
            shelf.insert(
                key,
                Entry {
                    value,
                    generation: ticket,
                    expires: later(
                        self.clock.now(),
                        self.ttl.mul_f64(0.5 + rand::random::<f64>() / 2.0),
                    ),
                    refreshing: Arc::new(AtomicBool::new(false)),
                },
            );
        }
    }

    /// Never past the time to live: a token revoked elsewhere must stop working within it,
    /// so an expired entry is read again by every request until one stores it afresh.
    pub fn caller(&self, token_hash: &str) -> Option<(Caller, DateTime<Utc>)> {
        self.lookup(&self.callers, token_hash, None, false)
    }

    /// The database no longer knows this token (revoked, expired, account deactivated).
    pub fn forget_caller(&self, token_hash: &str) {
        self.callers.remove(token_hash);
    }

    pub fn put_caller(
        &self,
        t: Ticket,
        token_hash: String,
        caller: Caller,
        expires: DateTime<Utc>,
    ) {
        self.put(&self.callers, t, None, token_hash, (caller, expires));
    }

    pub fn contracts(&self, student: i64) -> Option<Arc<Vec<ContractFrame>>> {
        self.get(&self.contracts, &student, None)
    }

    pub fn put_contracts(&self, t: Ticket, student: i64, contracts: Arc<Vec<ContractFrame>>) {
        self.put(&self.contracts, t, None, student, contracts);
    }

    /// A contract's sessions and marks, `group` being the contract's group.
    pub fn sessions(&self, contract: i64, group: Option<i64>) -> Option<Arc<Vec<StudentSession>>> {
        self.get(&self.sessions, &contract, group)
    }

    pub fn put_sessions(
        &self,
        t: Ticket,
        contract: i64,
        group: Option<i64>,
        sessions: Arc<Vec<StudentSession>>,
    ) {
        self.put(&self.sessions, t, group, contract, sessions);
    }
}

/// `from` plus `by`, saturating (a time to live of years stays far in the future).
fn later(from: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|by| from.checked_add_signed(by))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Moves the generation on after every request that may have written — also when the
/// request is cut short (timeout, client gone), since its write may have been committed.
/// Only the group's, when the handler said it wrote one group's marks and nothing else.
pub async fn invalidate_after_writes(
    State(ctx): State<ApiContext>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut on_end = writes.then(|| InvalidateOnDrop {
        cache: ctx.cache.clone(),
        group: None,
    });
    let response = next.run(request).await;
    if let (Some(on_end), Some(WroteGroup(group))) =
        (on_end.as_mut(), response.extensions().get::<WroteGroup>())
    {
        on_end.group = Some(*group);
    }
    response
}

struct InvalidateOnDrop {
    cache: Arc<ReadCache>,
    group: Option<i64>,
}

impl Drop for InvalidateOnDrop {
    fn drop(&mut self) {
        match self.group {
            Some(group) => self.cache.invalidate_group(group),
            None => self.cache.invalidate(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that moves only when told to.
    fn frozen() -> Clock {
        let clock = Clock::system();
        clock.freeze();
        clock
    }

    fn empty() -> Arc<Vec<StudentSession>> {
        Arc::new(Vec::new())
    }

    #[test]
    fn a_write_between_the_ticket_and_the_store_keeps_the_read_out() {
        let cache = ReadCache::new(Duration::from_secs(60), Clock::system());
        let before = cache.ticket(Some(7));
        cache.invalidate();
        cache.put_sessions(before, 1, Some(7), empty());
        assert!(cache.sessions(1, Some(7)).is_none());
        cache.put_sessions(cache.ticket(Some(7)), 1, Some(7), empty());
        assert!(cache.sessions(1, Some(7)).is_some());
        cache.invalidate();
        assert!(
            cache.sessions(1, Some(7)).is_none(),
            "a later write drops it"
        );
    }

    #[test]
    fn a_roll_call_drops_only_its_group() {
        let cache = ReadCache::new(Duration::from_secs(60), Clock::system());
        cache.put_sessions(cache.ticket(Some(7)), 1, Some(7), empty());
        cache.put_sessions(cache.ticket(Some(8)), 2, Some(8), empty());
        cache.put_sessions(cache.ticket(None), 3, None, empty());
        let caller_ticket = cache.ticket(None);
        cache.invalidate_group(7);
        assert!(cache.sessions(1, Some(7)).is_none());
        assert!(cache.sessions(2, Some(8)).is_some());
        assert!(cache.sessions(3, None).is_some());
        assert!(caller_ticket == cache.ticket(None));
        // A read of group 7 begun before its roll call ended is not kept.
        let before = cache.ticket(Some(7));
        cache.invalidate_group(7);
        cache.put_sessions(before, 1, Some(7), empty());
        assert!(cache.sessions(1, Some(7)).is_none());
    }

    fn someone() -> Caller {
        Caller {
            id: 1,
            role: crate::domain::roles::Role::Tutor,
            email: "t@example.test".to_owned(),
            name: "T".to_owned(),
            teacher_id: None,
            student_id: None,
            tutor_id: Some(1),
            company_id: None,
            locale: "fr".to_owned(),
            read_only: false,
        }
    }

    #[test]
    fn a_caller_is_never_answered_past_the_time_to_live() {
        let clock = frozen();
        let cache = ReadCache::new(Duration::from_millis(30), clock.clone());
        let far = Utc::now() + chrono::Duration::hours(1);
        cache.put_caller(cache.ticket(None), "h".to_owned(), someone(), far);
        assert!(cache.caller("h").is_some());
        clock.advance(chrono::Duration::milliseconds(35));
        // Unlike the summaries' inputs, nobody keeps an expired login while another re-reads.
        assert!(cache.caller("h").is_none());
        assert!(cache.caller("h").is_none());
        cache.put_caller(cache.ticket(None), "h".to_owned(), someone(), far);
        cache.forget_caller("h");
        assert!(cache.caller("h").is_none());
    }

    #[test]
    fn entries_expire_and_a_zero_ttl_stores_nothing() {
        let clock = frozen();
        let cache = ReadCache::new(Duration::from_millis(30), clock.clone());
        cache.put_sessions(cache.ticket(None), 1, None, empty());
        assert!(cache.sessions(1, None).is_some());
        clock.advance(chrono::Duration::milliseconds(40));
        // Expired: the first asker reads again, the others get the old entry meanwhile…
        assert!(cache.sessions(1, None).is_none());
        assert!(cache.sessions(1, None).is_some());
        // …but not for longer than one more time to live.
        clock.advance(chrono::Duration::milliseconds(30));
        assert!(cache.sessions(1, None).is_none());
        let off = ReadCache::new(Duration::ZERO, clock);
        off.put_sessions(off.ticket(None), 1, None, empty());
        assert!(off.sessions(1, None).is_none());
    }
}
