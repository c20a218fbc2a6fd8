//! Statistics: cheap counters kept by every pool and the [`PoolStats`] snapshot they produce.

#[cfg(feature = "alloc")]
use core::cell::Cell;
use core::fmt::{self, Write as _};

#[cfg(feature = "std")]
use crate::sync::{AtomicU64, Ordering};

/// A snapshot of a pool's counters, taken by `stats()`.
///
/// Statistics are always on. On the hot path they are plain increments of counters that only
/// the owning thread writes, so they cost a few instructions per operation (the `stats`
/// benchmark measures it).
///
/// The `Display` impl prints a small table:
///
/// ```
/// use fastalloc_core::FixedPool;
///
/// let pool: FixedPool<Vec<u8>> = FixedPool::new(4).unwrap();
/// drop(pool.allocate().unwrap());
/// let stats = pool.stats();
/// assert_eq!(stats.allocations, 1);
/// assert_eq!(stats.releases, 1);
/// println!("{stats}");
/// ```
///
/// With the feature `serde` it serialises as a map of its fields (`{"capacity": 4, "in_use":
/// 0, ...}`); a missing field deserialises as 0, so figures written by an older version load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct PoolStats {
    /// How many objects the pool may hold now (it can rise when the pool grows).
    pub capacity: usize,
    /// Objects handed out and not yet returned.
    pub in_use: usize,
    /// Constructed objects waiting to be handed out.
    pub idle: usize,
    /// The highest `in_use` seen.
    pub peak_in_use: usize,
    /// Successful `allocate` calls.
    pub allocations: u64,
    /// Guards returned to the pool (whether the object was kept or discarded).
    pub releases: u64,
    /// Objects built by the factory (or `Default`).
    pub created: u64,
    /// Allocations served by an object that was already built.
    pub reused: u64,
    /// Times the pool grew.
    pub growths: u64,
    /// `allocate` calls that failed with `PoolError::Exhausted`.
    pub exhausted: u64,
    /// Objects taken out of the pool for good with `Pooled::detach`.
    pub detached: u64,
    /// Objects the pool dropped instead of keeping: refused on release (not
    /// [`reusable`](crate::Reset::reusable), `retain_if`, or a reset that panicked), or the
    /// pool was closed.
    pub discarded: u64,
    /// Idle objects dropped by `trim` or `trim_unused`.
    pub trimmed: u64,
    /// Tasks or threads waiting for an object right now (`AsyncPool`, and
    /// `ThreadSafePool::allocate_timeout`; 0 elsewhere).
    pub waiting: usize,
    /// Allocations that had to wait for an object (as for `waiting`).
    pub waits: u64,
}

impl PoolStats {
    /// The share of allocations served by reusing an object, from 0.0 to 1.0.
    #[allow(clippy::cast_precision_loss)]
    pub fn reuse_ratio(&self) -> f64 {
        if self.allocations == 0 {
            0.0
        } else {
            self.reused as f64 / self.allocations as f64
        }
    }
}

impl PoolStats {
    /// Sets `idle` from the other figures, for a pool whose idle objects cannot be counted
    /// where `stats()` runs (another thread's part, or a pool read by the registry): every
    /// object built and not gone is idle or in use. Saturating, as the counters may have been
    /// read while their owner updated them.
    #[cfg(feature = "std")]
    pub(crate) fn derive_idle(&mut self) {
        self.idle = self
            .created
            .saturating_sub(self.detached + self.discarded + self.trimmed + self.in_use as u64)
            as usize;
    }
}

impl fmt::Display for PoolStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Each value is formatted into a buffer on the stack first (no heap: `StaticPool`'s
        // statistics print on targets without one), to find the column's width.
        let mut rows: [(&str, Text); 15] = [
            ("capacity", Text::of(self.capacity)),
            ("in use", Text::of(self.in_use)),
            ("idle", Text::of(self.idle)),
            ("peak in use", Text::of(self.peak_in_use)),
            ("allocations", Text::of(self.allocations)),
            ("releases", Text::of(self.releases)),
            ("created", Text::of(self.created)),
            ("reused", Text::default()),
            ("growths", Text::of(self.growths)),
            ("exhausted", Text::of(self.exhausted)),
            ("detached", Text::of(self.detached)),
            ("discarded", Text::of(self.discarded)),
            ("trimmed", Text::of(self.trimmed)),
            ("waiting", Text::of(self.waiting)),
            ("waits", Text::of(self.waits)),
        ];
        let _ = write!(
            rows[7].1,
            "{} ({:.1}%)",
            self.reused,
            self.reuse_ratio() * 100.0
        );
        // The waiting counters only mean something for pools that let callers wait.
        let shown = if self.waiting == 0 && self.waits == 0 {
            13
        } else {
            rows.len()
        };
        let rows = &rows[..shown];
        let width = rows.iter().map(|(_, v)| v.len).max().unwrap_or(0);
        writeln!(f, "+-------------+-{:-<width$}-+", "")?;
        for (name, value) in rows {
            writeln!(f, "| {name:<11} | {:>width$} |", value.as_str())?;
        }
        write!(f, "+-------------+-{:-<width$}-+", "")
    }
}

/// A value of the statistics table, formatted on the stack. 48 bytes hold any `u64` with its
/// percentage (`18446744073709551615 (100.0%)` is 29).
struct Text {
    bytes: [u8; 48],
    len: usize,
}

impl Default for Text {
    fn default() -> Self {
        Self {
            bytes: [0; 48],
            len: 0,
        }
    }
}

impl Text {
    fn of(value: impl fmt::Display) -> Self {
        let mut text = Self::default();
        let _ = write!(text, "{value}");
        text
    }

    fn as_str(&self) -> &str {
        // Only whole `str`s are written (`write_str`), and a value that did not fit was not
        // written at all.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A counter that only one thread writes.
///
/// `Cell<u64>` where other threads read the counter only under a lock (a `ThreadSafePool`'s
/// caches) or not at all (a `FixedPool` or `GrowingPool` without `std`, which has no
/// registry); [`OwnedCounter`] where they read it without one, for `stats()` or the registry
/// (a relaxed load and store, never a read-modify-write, so it costs what a plain increment
/// costs).
#[cfg(feature = "alloc")]
pub(crate) trait Counter: Default {
    fn get(&self) -> u64;
    fn set(&self, value: u64);

    #[inline]
    fn add(&self, n: u64) {
        self.set(self.get().wrapping_add(n));
    }
}

#[cfg(feature = "alloc")]
impl Counter for Cell<u64> {
    #[inline]
    fn get(&self) -> u64 {
        Cell::get(self)
    }

    #[inline]
    fn set(&self, value: u64) {
        Cell::set(self, value);
    }
}

/// A counter written by one thread and read by any.
#[cfg(feature = "std")]
#[derive(Debug, Default)]
pub(crate) struct OwnedCounter(AtomicU64);

#[cfg(feature = "std")]
impl Counter for OwnedCounter {
    #[inline]
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    #[inline]
    fn set(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// The counters of one single-threaded pool, or of one thread's part of a pool.
#[cfg(feature = "alloc")]
#[derive(Debug, Default)]
pub(crate) struct Counters<C> {
    pub(crate) allocations: C,
    /// Objects back: released or detached (`PoolStats::releases` is `returns - detached`).
    /// One counter for both, so that `in_use` is one subtraction.
    pub(crate) returns: C,
    pub(crate) created: C,
    /// Of `created`, the objects built up front by `preallocate` (not by an allocation).
    pub(crate) prebuilt: C,
    pub(crate) growths: C,
    pub(crate) exhausted: C,
    pub(crate) detached: C,
    pub(crate) discarded: C,
    pub(crate) trimmed: C,
    pub(crate) peak_in_use: C,
}

#[cfg(feature = "alloc")]
impl<C: Counter> Counters<C> {
    /// Objects lent and not yet returned. Derived rather than counted, so that a round trip
    /// writes two counters, not four. Wrapping: a thread-safe pool's per-thread counters go
    /// "below zero" when objects are returned on another thread than the one that took them
    /// (only their sum means something there).
    #[inline]
    pub(crate) fn in_use(&self) -> u64 {
        self.allocations.get().wrapping_sub(self.returns.get())
    }

    /// Records one successful allocation, and the peak of objects in use.
    #[inline]
    pub(crate) fn on_allocate(&self) {
        // The new count is reused rather than read back (a reload of an atomic just stored
        // waits for the store to be forwarded).
        let allocations = self.allocations.get().wrapping_add(1);
        self.allocations.set(allocations);
        let in_use = allocations.wrapping_sub(self.returns.get());
        if in_use > self.peak_in_use.get() {
            self.peak_in_use.set(in_use);
        }
    }

    /// Records one successful allocation without the peak (for the per-thread counters of a
    /// thread-safe pool, whose peak is tracked at its depot).
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn on_allocate_unpeaked(&self) {
        self.allocations.add(1);
    }

    /// Records one object coming back (kept or discarded).
    #[inline]
    pub(crate) fn on_release(&self) {
        self.returns.add(1);
    }

    /// Records one object taken out for good.
    #[inline]
    pub(crate) fn on_detach(&self) {
        self.returns.add(1);
        self.detached.add(1);
    }

    /// Adds these counters to `stats`. Another thread may be updating them meanwhile (a
    /// `ThreadLocalPool` part): each is read once, and `in_use` saturates at 0 rather than wrap
    /// if the reads saw the updates out of order.
    pub(crate) fn add_to(&self, stats: &mut PoolStats) {
        let (returns, detached) = (self.returns.get(), self.detached.get());
        let releases = returns.saturating_sub(detached);
        let allocations = self.allocations.get();
        let created = self.created.get();
        stats.allocations += allocations;
        stats.releases += releases;
        stats.created += created;
        stats.reused += allocations.saturating_sub(created.saturating_sub(self.prebuilt.get()));
        stats.growths += self.growths.get();
        stats.exhausted += self.exhausted.get();
        stats.detached += detached;
        stats.discarded += self.discarded.get();
        stats.trimmed += self.trimmed.get();
        stats.in_use += allocations.saturating_sub(returns) as usize;
        stats.peak_in_use += self.peak_in_use.get() as usize;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::string::ToString;

    use super::*;

    #[test]
    fn display_is_a_table_with_every_counter() {
        let stats = PoolStats {
            capacity: 8,
            allocations: 10,
            created: 2,
            reused: 8,
            ..PoolStats::default()
        };
        let table = stats.to_string();
        for name in [
            "capacity",
            "in use",
            "idle",
            "peak in use",
            "reused",
            "discarded",
            "trimmed",
        ] {
            assert!(table.contains(name), "{name} missing from\n{table}");
        }
        assert!(table.contains("8 (80.0%)"), "{table}");
        assert_eq!(stats.reused, 8);
        assert!(
            !table.contains("waits"),
            "no async rows for other pools:\n{table}"
        );
        let waited = PoolStats { waits: 3, ..stats }.to_string();
        assert!(waited.contains("waits"), "{waited}");
    }

    #[test]
    fn reuse_ratio_of_nothing_is_zero() {
        assert!(PoolStats::default().reuse_ratio().abs() < f64::EPSILON);
    }

    #[test]
    #[cfg(feature = "alloc")]
    fn counters_track_peak() {
        let c: Counters<Cell<u64>> = Counters::default();
        c.on_allocate();
        c.on_allocate();
        c.on_release();
        c.on_allocate();
        c.on_detach();
        let mut s = PoolStats::default();
        c.add_to(&mut s);
        assert_eq!((s.in_use, s.peak_in_use, s.allocations), (1, 2, 3));
    }
}
