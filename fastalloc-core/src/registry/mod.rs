//! Every named pool of the process, in one place: a [`snapshot`] of their statistics, to print
//! as one table when a server gets a signal, serve on a debug endpoint, or (feature `metrics`)
//! record through the [`metrics`](https://docs.rs/metrics) crate.
//!
//! A pool is named with the builder's [`name`](crate::PoolBuilder::name); a `#[pooled]` pool is
//! named after its type's path (`my_app::handlers::Request`), and appears once first used. A
//! named pool joins the registry when it is built and leaves it when it is dropped. Pools
//! without a name are not listed, and cost nothing for it: the registry never touches a pool's
//! `allocate` or release.
//!
//! Two live pools may have the same name: both are listed, oldest first, and
//! [`Snapshot::get`] finds the oldest.
//!
//! The statistics are those of each pool's `stats()`, read from the calling thread. A
//! `FixedPool` or `GrowingPool` may be in use on another thread meanwhile: its figures are then
//! as of a moment ago, and `idle` is derived from the counters
//! (`created - detached - discarded - trimmed - in_use`), as for a `ThreadLocalPool`.
//!
//! # Examples
//!
//! ```
//! use fastalloc_core::{registry, FixedPool, ThreadSafePool};
//!
//! let buffers: ThreadSafePool<Vec<u8>> = ThreadSafePool::builder()
//!     .capacity(64)
//!     .name("http::buffers")
//!     .build()?;
//! let scratch: FixedPool<String> = FixedPool::builder().capacity(8).name("scratch").build()?;
//! let _held = buffers.allocate()?;
//!
//! let snapshot = registry::snapshot();
//! assert_eq!(snapshot.get("http::buffers").map(|stats| stats.in_use), Some(1));
//! assert_eq!(snapshot.get("scratch").map(|stats| stats.capacity), Some(8));
//! println!("{snapshot}"); // one row per pool
//!
//! drop(scratch);
//! assert!(registry::snapshot().get("scratch").is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "metrics")]
mod export;
mod list;
mod table;

use std::borrow::Cow;
use std::fmt;
use std::iter::FusedIterator;
use std::slice;

#[cfg(feature = "metrics")]
pub use self::export::export_metrics;
pub(crate) use self::list::{register, Registration, View};
use crate::stats::PoolStats;

/// The statistics of every live named pool, oldest first, taken by [`snapshot`].
///
/// `Display` prints one table, a row per pool and a column per statistic. With the feature
/// `serde`, it serialises as a list of `{"name": ..., "stats": {...}}` objects, oldest pool
/// first (a list, not a map: two pools may have the same name).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pools: Vec<(Cow<'static, str>, PoolStats)>,
}

/// The statistics of every live named pool (see the [module docs](self)).
///
/// It locks the registry while it reads the pools: pools being built or dropped on other
/// threads wait for it. Reading a `ThreadSafePool` or `AsyncPool` briefly visits each
/// thread's cache, as its `stats()` does.
#[must_use = "a snapshot takes every named pool's statistics; print or inspect it"]
pub fn snapshot() -> Snapshot {
    Snapshot {
        pools: list::read_all(),
    }
}

impl Snapshot {
    /// The statistics of the pool named `name`: the oldest, if two live pools share it.
    pub fn get(&self, name: &str) -> Option<&PoolStats> {
        self.pools
            .iter()
            .find(|(pool, _)| pool == name)
            .map(|(_, stats)| stats)
    }

    /// Every pool's name and statistics, oldest pool first.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            pools: self.pools.iter(),
        }
    }

    /// How many pools are listed.
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Whether no named pool was alive.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }
}

impl<'a> IntoIterator for &'a Snapshot {
    type Item = (&'a str, &'a PoolStats);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The pools of a [`Snapshot`], from [`Snapshot::iter`]: `(name, statistics)`.
#[derive(Debug, Clone)]
#[must_use = "iterators are lazy and do nothing unless consumed"]
pub struct Iter<'a> {
    pools: slice::Iter<'a, (Cow<'static, str>, PoolStats)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a PoolStats);

    fn next(&mut self) -> Option<Self::Item> {
        self.pools.next().map(|(name, stats)| (&**name, stats))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.pools.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.pools.next_back().map(|(name, stats)| (&**name, stats))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}

impl fmt::Display for Snapshot {
    /// One table: a header, then a row per pool, oldest first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        table::write(f, self.iter())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;

        /// One element of the list.
        #[derive(serde::Serialize)]
        struct Pool<'a> {
            name: &'a str,
            stats: &'a PoolStats,
        }

        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for (name, stats) in self {
            seq.serialize_element(&Pool { name, stats })?;
        }
        seq.end()
    }
}
