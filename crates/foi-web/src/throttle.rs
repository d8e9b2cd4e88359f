//! Login throttling in the way OWASP's Authentication Cheat Sheet describes: failures are
//! counted per client address and per (client address, user name), and each further attempt
//! from a key that keeps failing must wait an exponentially growing delay — never a hard
//! lockout, so a stranger elsewhere cannot lock a user out, and the right password from the
//! same client works once the delay has passed.
//!
//! The store is bounded: keys are hashed (a 1 MB user name costs 32 bytes), entries expire
//! after [`WINDOW`], and at [`CAPACITY`] the stalest entry is dropped.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures after which attempts start to wait.
pub(crate) const FREE_FAILURES: u32 = 3;
/// The longest wait.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(300);
/// How long a key's failures are remembered after the last one.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// The most keys held at once.
pub(crate) const CAPACITY: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
}

/// The wait after `failures` failures: none for the first three, then 1 s, 2 s, 4 s … up to
/// five minutes.
pub(crate) fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = (failures - FREE_FAILURES - 1).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

fn key(parts: &[&str]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().into()
}

impl LoginThrottle {
    fn keys(client: &str, user: &str) -> [[u8; 32]; 2] {
        [key(&["client", client]), key(&["user", client, user])]
    }

    /// How long this client must still wait before trying `user` (zero: it may try now).
    pub fn wait(&self, client: &str, user: &str, now: Instant) -> Duration {
        let g = self.entries.lock().expect("throttle lock");
        Self::keys(client, user)
            .iter()
            .filter_map(|k| g.get(k))
            .filter(|e| now.duration_since(e.last) < WINDOW)
            .map(|e| {
                (e.last + delay_after(e.failures))
                    .checked_duration_since(now)
                    .unwrap_or_default()
            })
            .max()
            .unwrap_or_default()
    }

    /// Records a failed attempt.
    pub fn fail(&self, client: &str, user: &str, now: Instant) {
        let mut g = self.entries.lock().expect("throttle lock");
        g.retain(|_, e| now.duration_since(e.last) < WINDOW);
        for k in Self::keys(client, user) {
            if !g.contains_key(&k) && g.len() >= CAPACITY {
                if let Some(stalest) = g.iter().min_by_key(|(_, e)| e.last).map(|(k, _)| *k) {
                    g.remove(&stalest);
                }
            }
            let e = g.entry(k).or_insert(Entry {
                failures: 0,
                last: now,
            });
            e.failures = e.failures.saturating_add(1);
            e.last = now;
        }
    }

    /// A successful login clears the (client, user) key; the client's own count stays.
    pub fn succeed(&self, client: &str, user: &str) {
        let [_, pair] = Self::keys(client, user);
        self.entries.lock().expect("throttle lock").remove(&pair);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().expect("throttle lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(delay_after(3), Duration::ZERO);
        assert_eq!(delay_after(4), Duration::from_secs(1));
        assert_eq!(delay_after(6), Duration::from_secs(4));
        assert_eq!(delay_after(40), MAX_DELAY);
    }

    #[test]
    fn a_stranger_cannot_lock_a_user_out_and_the_owner_waits_only_a_delay() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..10 {
            t.fail("203.0.113.9", "ann", now);
        }
        assert!(t.wait("203.0.113.9", "ann", now) > Duration::ZERO);
        // Ann, from her own address, is not held back by the stranger's failures.
        assert_eq!(t.wait("198.51.100.1", "ann", now), Duration::ZERO);
        // The stranger's wait ends.
        let later = now + delay_after(10) + Duration::from_millis(1);
        assert_eq!(t.wait("203.0.113.9", "ann", later), Duration::ZERO);
    }

    #[test]
    fn the_store_is_bounded_and_expires() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(CAPACITY + 500) {
            t.fail("198.51.100.7", &format!("user{i}"), now);
        }
        assert!(t.len() <= CAPACITY, "{}", t.len());
        t.fail("x", "y", now + WINDOW + Duration::from_secs(1));
        assert_eq!(t.len(), 2, "expired entries go");
    }
}
