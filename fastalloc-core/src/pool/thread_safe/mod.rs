//! [`ThreadSafePool`]: one pool shared by many threads.
//!
//! # Design
//!
//! Objects live in a slab guarded by one lock, the *depot*. In front of it each thread has
//! a small *cache* of idle objects (a stack of at most `2 * batch` slots), so the common
//! allocate and release touch only the calling thread's cache: one uncontended atomic swap to
//! take the cache's flag and a plain store to give it back, never the shared lock. A thread
//! whose cache runs dry takes a batch from the depot; one whose cache overflows moves a batch
//! back, so objects flow between threads in batches, as thread-caching allocators do.
//!
//! A cache's flag is only ever held for a few instructions and never while user code (a
//! factory, a reset, a `Drop`) runs. The depot lock is taken before any cache flag when both
//! are needed, so the two can never deadlock.
//!
//! When a thread finds the depot empty and the pool at its maximum, it takes the depot lock and
//! empties every other thread's cache into the depot before it reports
//! [`PoolError::Exhausted`], so a fixed pool of N lets any thread have the N-th object.
//!
//! When a thread exits, an exit hook empties its cache into the depot (see `per_thread`).
//!
//! `core.rs` holds the engine, `cache.rs` the caches and the depot; this file the public type
//! and what its guards hold.

mod cache;
mod core;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use self::cache::Cache;
pub(crate) use self::core::SharedCore;
#[cfg(feature = "async")]
pub(crate) use self::core::SharedView;
use crate::builder::{FactorySource, Hooks, PoolBuilder, PoolKind, ResetSource};
use crate::config::{Config, Kind};
use crate::error::{BuildError, PoolError};
use crate::guard::{kind, Home, OwnedPooled, SharedPooled, StaysOnItsThread};
use crate::registry::{self, Registration};
use crate::reset::Reset;
use crate::slab::Slot;
use crate::stats::PoolStats;

/// A pool shared by many threads (`Sync`), fixed or growing.
///
/// Each thread keeps a small cache of idle objects in front of a shared depot, so threads
/// rarely touch the shared lock. Guards from [`allocate`](Self::allocate) stay on the thread
/// that took them; [`allocate_owned`](Self::allocate_owned) gives a `'static + Send` guard for
/// spawned threads and tasks.
///
/// # Examples
///
/// ```
/// use fastalloc_core::ThreadSafePool;
///
/// let pool: ThreadSafePool<Vec<u8>> = ThreadSafePool::new(8).unwrap();
/// std::thread::scope(|s| {
///     for id in 0..4u8 {
///         let pool = &pool;
///         s.spawn(move || {
///             let mut buffer = pool.allocate().unwrap();
///             buffer.push(id);
///         });
///     }
/// });
/// assert_eq!(pool.in_use(), 0);
/// ```
pub struct ThreadSafePool<T> {
    /// The pool's place in the registry, if it is named. Declared first, so dropped first:
    /// the registry reads the parts of `core` until the pool is gone from its list.
    named: Option<Registration>,
    core: SharedCore<T>,
}

impl<T> PoolKind for ThreadSafePool<T> {
    type Item = T;
}

impl<T: Default + Reset + 'static> ThreadSafePool<T> {
    /// A fixed pool of `capacity` objects, built on demand with `Default` and reset with
    /// [`Reset`]. Use [`builder`](Self::builder) for growth, factories and more.
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroCapacity`] for a capacity of 0, [`BuildError::CapacityTooLarge`] if
    /// the slots do not fit in memory.
    pub fn new(capacity: usize) -> Result<Self, BuildError> {
        Self::builder().capacity(capacity).build()
    }
}

impl<T> ThreadSafePool<T> {
    /// A builder for a thread-safe pool (fixed unless `growth` or `max_capacity` is given).
    pub fn builder() -> PoolBuilder<Self> {
        PoolBuilder::new()
    }

    pub(crate) fn from_config(config: Config, hooks: Hooks<T>) -> Result<Self, BuildError> {
        Ok(Self {
            named: None,
            core: SharedCore::new(config, hooks)?,
        })
    }

    pub(crate) fn core(&self) -> &SharedCore<T> {
        &self.core
    }

    /// How many objects the pool may hold now.
    pub fn capacity(&self) -> usize {
        self.core.capacity()
    }

    /// The name given to the builder's [`name`](crate::PoolBuilder::name), if any.
    pub fn name(&self) -> Option<&str> {
        self.named.as_ref().map(Registration::name)
    }

    /// Objects lent and not yet returned (summed over threads).
    pub fn in_use(&self) -> usize {
        self.core.stats().in_use
    }

    /// How many more allocations succeed before the pool must grow or report exhaustion.
    pub fn available(&self) -> usize {
        let stats = self.core.stats();
        stats.capacity.saturating_sub(stats.in_use)
    }

    /// Constructed objects waiting, in the depot and in every thread's cache.
    pub fn idle(&self) -> usize {
        self.core.stats().idle
    }

    /// A snapshot of the pool's statistics (it briefly visits every thread's cache). While
    /// other threads are allocating, the counters are read one thread after another, so the
    /// snapshot is approximate; it is exact when the pool is quiet.
    ///
    /// `peak_in_use` is tracked at the shared depot: it counts objects parked in a thread's
    /// cache as in use, so it can exceed the true peak by up to one cache per thread.
    pub fn stats(&self) -> PoolStats {
        self.core.stats()
    }

    /// Closes the pool: `allocate` returns [`PoolError::Closed`] from now on, idle objects are
    /// dropped now, and objects still lent are dropped when their guards return them.
    pub fn close(&self) {
        self.core.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.core.env.is_closed()
    }

    /// Drops idle objects, from the shared depot and from every thread's cache, until at most
    /// `keep_idle` are idle; returns how many it dropped (counted in `stats().trimmed`).
    /// Called from one thread while the others are quiet, exactly `keep_idle` stay idle (while
    /// they work, the objects they release meanwhile stay too).
    ///
    /// It keeps the objects in the oldest slots, and a growing pool then gives back every
    /// chunk it added whose slots are all empty: its capacity falls back, never below the
    /// initial capacity. Like `stats()`, it briefly visits every thread's cache.
    ///
    /// A `Drop` of the object that panics stops the trim: the objects not dropped yet stay
    /// idle, and the panic goes on.
    pub fn trim(&self, keep_idle: usize) -> usize {
        self.core.trim(keep_idle)
    }

    /// Drops the idle objects that no allocation needed since the previous call (or since the
    /// pool was built): those that stayed idle, in the depot or in a thread's cache, through
    /// that whole period. Returns how many it dropped, and gives back empty chunks as
    /// [`trim`](Self::trim) does.
    ///
    /// Called from a timer every few seconds, it keeps what the program's working set needs.
    /// It errs on the side of keeping: an idle object that moved between a thread's cache and
    /// the depot during the period counts as used.
    ///
    /// # Examples
    ///
    /// ```
    /// use fastalloc_core::ThreadSafePool;
    ///
    /// let pool: ThreadSafePool<Vec<u8>> = ThreadSafePool::new(1000)?;
    /// let burst: Vec<_> = (0..1000).map(|_| pool.allocate().unwrap()).collect();
    /// drop(burst);
    /// pool.trim_unused(); // starts the period
    /// for _ in 0..100 {
    ///     let _working_set: Vec<_> = (0..10).map(|_| pool.allocate().unwrap()).collect();
    /// }
    /// assert_eq!(pool.trim_unused(), 990);
    /// assert_eq!(pool.idle(), 10);
    /// # Ok::<(), fastalloc_core::BuildError>(())
    /// ```
    pub fn trim_unused(&self) -> usize {
        self.core.trim_unused()
    }
}

impl<T: 'static> ThreadSafePool<T> {
    /// Lends an object: one from this thread's cache if any, else from the shared depot, else
    /// a new one (growing the pool if allowed).
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when every object is lent and the pool cannot grow;
    /// [`PoolError::Closed`] after [`close`](Self::close).
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; the pool stays consistent.
    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub fn allocate(&self) -> Result<SharedPooled<'_, T>, PoolError> {
        let (slot, cache) = self.core.allocate()?;
        Ok(SharedPooled::new(
            slot,
            SharedHome::new(&self.core, cache.cache()),
        ))
    }

    /// Like [`allocate`](Self::allocate), but the guard keeps the pool alive through the `Arc`
    /// and is `'static + Send`: it can move into spawned threads and tasks.
    ///
    /// # Errors
    ///
    /// As for [`allocate`](Self::allocate).
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub fn allocate_owned(self: &Arc<Self>) -> Result<OwnedPooled<T>, PoolError> {
        let (slot, _) = self.core.allocate()?;
        Ok(OwnedPooled::new(slot, Arc::clone(self)))
    }

    /// Like [`allocate`](Self::allocate), but while every object is lent and the pool may not
    /// grow, blocks the calling thread until another thread returns one (or a slot comes
    /// free), for at most `timeout`. Waiting threads are served first come, first served,
    /// and before any `allocate` that does not wait. An object returned while threads wait
    /// goes straight to the first of them.
    ///
    /// The wait costs the other threads' fast paths nothing while nobody waits; while
    /// someone does, releases take a slower path (a lock) to hand their objects over.
    ///
    /// # Errors
    ///
    /// [`PoolError::Timeout`] when `timeout` passed with every object still lent;
    /// [`PoolError::Closed`] at once if the pool is closed, or when it is closed during the
    /// wait.
    ///
    /// # Panics
    ///
    /// If the factory panics (when a free slot lets this thread build an object), the panic
    /// propagates; the pool stays consistent.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use fastalloc_core::{PoolError, ThreadSafePool};
    ///
    /// let pool: ThreadSafePool<Vec<u8>> = ThreadSafePool::new(1)?;
    /// let held = pool.allocate()?;
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         // Blocks until the main thread returns its buffer.
    ///         let buffer = pool.allocate_timeout(Duration::from_secs(10)).unwrap();
    ///         assert!(buffer.is_empty());
    ///     });
    ///     std::thread::sleep(Duration::from_millis(20));
    ///     drop(held);
    /// });
    /// let _again = pool.allocate()?;
    /// let err = pool.allocate_timeout(Duration::from_millis(5)).unwrap_err();
    /// assert!(matches!(err, PoolError::Timeout { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub fn allocate_timeout(&self, timeout: Duration) -> Result<SharedPooled<'_, T>, PoolError> {
        let (slot, cache) = self.core.allocate_timeout(timeout)?;
        Ok(SharedPooled::new(
            slot,
            SharedHome::new(&self.core, cache.cache()),
        ))
    }

    /// [`allocate_timeout`](Self::allocate_timeout) for an [`OwnedPooled`] guard, as
    /// [`allocate_owned`](Self::allocate_owned) is for `allocate`.
    ///
    /// # Errors
    ///
    /// As for [`allocate_timeout`](Self::allocate_timeout).
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub fn allocate_owned_timeout(
        self: &Arc<Self>,
        timeout: Duration,
    ) -> Result<OwnedPooled<T>, PoolError> {
        let (slot, _) = self.core.allocate_timeout(timeout)?;
        Ok(OwnedPooled::new(slot, Arc::clone(self)))
    }
}

impl<T: 'static> OwnedPooled<T> {
    /// The pool this object came from.
    pub fn pool(this: &Self) -> &Arc<ThreadSafePool<T>> {
        &this.home
    }
}

impl<T, F, R> PoolBuilder<ThreadSafePool<T>, F, R> {
    /// Whether the per-thread caches may rely on Linux's `membarrier` (the default: `true`).
    ///
    /// A thread uses its own cache with plain loads and stores, and a thread that needs to
    /// look into another thread's cache (the pool is exhausted, closed, or asked for its
    /// statistics) makes every CPU that runs one of the process's threads execute a memory
    /// barrier, with one `membarrier` system call. With `false`, each cache operation pays a
    /// full fence instead (about the cost of an atomic read-modify-write: 8–12 ns on some
    /// virtual machines), and other threads are never interrupted: for processes whose
    /// real-time threads must not be. The environment variable `FASTALLOC_NO_MEMBARRIER` (any
    /// value) turns it off for every pool of the process; where the system call is missing
    /// or refused, pools fall back to the fence on their own.
    pub fn membarrier(mut self, allowed: bool) -> Self {
        self.settings.no_membarrier = !allowed;
        self
    }
}

impl<T, F: FactorySource<T>, R: ResetSource<T>> PoolBuilder<ThreadSafePool<T>, F, R> {
    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the setting to change: no or zero capacity, a maximum below the
    /// capacity, a growth step of 0 or factor of at most 1.0, or a capacity too large.
    ///
    /// # Panics
    ///
    /// With `preallocate(true)`, a panic of the factory propagates.
    pub fn build(self) -> Result<ThreadSafePool<T>, BuildError> {
        let (settings, hooks, name) = self.into_parts();
        let mut pool = ThreadSafePool::from_config(settings.check::<T>(Kind::Either)?, hooks)?;
        if let Some(name) = name {
            // SAFETY: the view points at parts of `core` on the heap, which stay where they are
            // however the pool moves, and which the pool frees (or makes `&mut` to) only in the
            // drop of `core`, after the registration's drop.
            pool.named = Some(unsafe { registry::register(name, pool.core.view()) });
        }
        Ok(pool)
    }
}

impl<T> fmt::Debug for ThreadSafePool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.core.stats();
        f.debug_struct("ThreadSafePool")
            .field("name", &self.named.as_ref().map(Registration::name))
            .field("capacity", &stats.capacity)
            .field("in_use", &stats.in_use)
            .field("idle", &stats.idle)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// What a [`SharedPooled`] guard holds: the pool's engine and the cache of the thread that
/// took the object, where it goes back (the guard stays on that thread; once the thread's
/// exit has begun, the object goes to the exiting threads' cache instead, see
/// `SharedCore::release_kept`).
pub struct SharedHome<'a, T> {
    core: &'a SharedCore<T>,
    cache: &'a Cache<T>,
    /// The object goes back to this thread's cache: the guard must not be `Send`.
    _this_thread: StaysOnItsThread,
}

impl<'a, T> SharedHome<'a, T> {
    fn new(core: &'a SharedCore<T>, cache: &'a Cache<T>) -> Self {
        Self {
            core,
            cache,
            _this_thread: PhantomData,
        }
    }
}

// SAFETY: through `&SharedHome` nothing can be done (the release needs the guard).
unsafe impl<T> Sync for SharedHome<'_, T> {}

impl<'a, T: 'static> crate::guard::GuardKind<'a, T> for kind::Shared {
    type Home = SharedHome<'a, T>;
    const NAME: &'static str = "SharedPooled";
}

impl<T: 'static> Home<T> for SharedHome<'_, T> {
    #[inline]
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller; `cache` came from `SharedCore::cache` on this
        // thread (the guard cannot leave it).
        unsafe { self.core.release_kept(slot, self.cache) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { self.core.detach(slot) }
    }
}

impl<T: 'static> crate::guard::GuardKind<'_, T> for kind::SharedOwned {
    type Home = Arc<ThreadSafePool<T>>;
    const NAME: &'static str = "OwnedPooled";
}

/// An [`OwnedPooled`] guard holds the pool itself and goes back to the cache of whichever
/// thread drops it.
impl<T: 'static> Home<T> for Arc<ThreadSafePool<T>> {
    unsafe fn release(&self, slot: Slot<T>) {
        let core = self.core();
        // SAFETY: forwarded from the caller; the cache is the calling thread's.
        unsafe { core.release(slot, core.cache()) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        let core = self.core();
        // SAFETY: forwarded from the caller.
        unsafe { core.detach(slot) }
    }
}
