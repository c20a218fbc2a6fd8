//! A thread's cache of idle objects, and the depot behind every cache.

use std::cell::Cell;

use crate::slab::{Slab, Slot};
use crate::stats::Counters;
use crate::sync::{SpinFlag, UnsafeCell};

/// The shared part of a pool, behind its lock: the slab and the pool-wide counters.
pub(crate) struct Depot<T> {
    pub(crate) slab: Slab<T>,
    /// Objects outside the depot: in a cache, lent, or being built.
    pub(crate) outside: usize,
    pub(crate) peak_outside: usize,
    pub(crate) created: u64,
    pub(crate) growths: u64,
    pub(crate) exhausted: u64,
    pub(crate) discarded: u64,
    /// The pool is being dropped: the exit hooks of threads leave its caches alone.
    pub(crate) dead: bool,
}

impl<T> Depot<T> {
    pub(crate) fn new(slab: Slab<T>) -> Self {
        Self {
            slab,
            outside: 0,
            peak_outside: 0,
            created: 0,
            growths: 0,
            exhausted: 0,
            discarded: 0,
            dead: false,
        }
    }

    /// Counts `n` objects leaving the depot.
    pub(crate) fn lend(&mut self, n: usize) {
        self.outside += n;
        self.peak_outside = self.peak_outside.max(self.outside);
    }
}

/// One thread's cache of idle objects, with that thread's counters. Aligned to its own cache
/// lines so that threads do not slow each other down by writing neighbouring memory.
#[repr(align(128))]
pub(crate) struct Cache<T> {
    busy: SpinFlag,
    inner: UnsafeCell<CacheInner<T>>,
}

pub(crate) struct CacheInner<T> {
    pub(crate) items: Vec<Slot<T>>,
    pub(crate) counters: Counters<Cell<u64>>,
    /// The thread that owns the cache now has registered the hook that empties it into the
    /// depot when the thread exits (a new thread that inherits the cache registers its own).
    pub(crate) hooked: bool,
}

// SAFETY: every access to `inner` goes through `with`, under `busy`, which gives mutual
// exclusion. A cache holds idle objects of type `T`, which may be taken by another thread; that
// is only possible when the pool is shared, and `ThreadSafePool<T>` is `Send` or `Sync` only
// when `T: Send` (its depot holds a `Slab<T>`, which is `Send` only then). So no `!Send` object
// can cross threads through a cache.
unsafe impl<T> Send for Cache<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Cache<T> {}

impl<T> Cache<T> {
    pub(crate) fn new(size: usize) -> Self {
        Self {
            busy: SpinFlag::new(),
            inner: UnsafeCell::new(CacheInner {
                items: Vec::with_capacity(size),
                counters: Counters::default(),
                hooked: false,
            }),
        }
    }

    /// Runs `f` with the cache to itself. `f` must not run user code.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut CacheInner<T>) -> R) -> R {
        let _busy = self.busy.lock();
        // SAFETY: `busy` is held until `_busy` drops, so this is the only access.
        self.inner.with_mut(|inner| f(unsafe { &mut *inner }))
    }

    /// [`with`](Self::with) when the caller has the cache to itself already.
    pub(crate) fn get_mut(&mut self) -> &mut CacheInner<T> {
        // SAFETY: `&mut self` rules out every other access.
        self.inner.with_mut(|inner| unsafe { &mut *inner })
    }
}

impl<T> CacheInner<T> {
    /// Moves the idle objects past the first `keep` into the depot (every one for `keep` 0).
    pub(crate) fn spill(&mut self, depot: &mut Depot<T>, keep: usize) {
        let keep = keep.min(self.items.len());
        depot.outside -= self.items.len() - keep;
        for slot in self.items.drain(keep..) {
            depot.slab.push_idle(slot);
        }
    }
}
