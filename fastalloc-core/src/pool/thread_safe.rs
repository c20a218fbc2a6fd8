//! [`ThreadSafePool`]: one pool shared by many threads.
//!
//! # Design
//!
//! Objects live in a [`Slab`] guarded by one lock, the *depot*. In front of it each thread has
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

use crate::slab::Slot;
use std::cell::Cell;
use std::fmt;
use std::mem;
use std::sync::Arc;

use crate::builder::{FactorySource, Hooks, Panic, PoolBuilder, PoolKind, ResetSource};
use crate::config::{Config, Kind};
use crate::error::{BuildError, PoolError};
use crate::guard::{OwnedPooled, SharedPooled};
use crate::pool::local::SharedEnv;
use crate::pool::thread_exit;
use crate::reset::Reset;
use crate::slab::{EmptySlot, Slab};
use crate::stats::{Counter, Counters, PoolStats};

use crate::sync::{Mutex, MutexGuard, Ordering, SpinFlag, ThreadLocal, UnsafeCell};

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
    core: SharedCore<T>,
}

/// The shared engine: depot, caches, hooks.
pub(crate) struct SharedCore<T> {
    /// This pool's id for `thread_exit::recent`.
    id: u64,
    env: SharedEnv<T>,
    depot: Mutex<Depot<T>>,
    caches: ThreadLocal<Cache<T>>,
    /// The cache of threads that are exiting, which must not use their own any more (see
    /// `thread_exit`): shared by all of them, under its flag like any cache.
    fallback: Cache<T>,
    /// How many objects move between a cache and the depot at once.
    batch: usize,
}

/// The shared part, behind the lock.
struct Depot<T> {
    slab: Slab<T>,
    /// Objects outside the depot: in a cache, lent, or being built.
    outside: usize,
    peak_outside: usize,
    created: u64,
    growths: u64,
    exhausted: u64,
    discarded: u64,
}

impl<T> Depot<T> {
    fn lend(&mut self, n: usize) {
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

struct CacheInner<T> {
    items: Vec<Slot<T>>,
    counters: Counters<Cell<u64>>,
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
    fn new(size: usize) -> Self {
        Self {
            busy: SpinFlag::new(),
            inner: UnsafeCell::new(CacheInner {
                items: Vec::with_capacity(size),
                counters: Counters::default(),
            }),
        }
    }

    /// Runs `f` with the cache to itself. `f` must not run user code.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut CacheInner<T>) -> R) -> R {
        let _busy = self.busy.lock();
        // SAFETY: `busy` is held until `_busy` drops, so this is the only access.
        self.inner.with_mut(|inner| f(unsafe { &mut *inner }))
    }
}

/// Why a release left its fast path (see `SharedCore::release`).
enum Rare {
    /// The pool was closed: the object is dropped, not reset.
    Closed,
    /// The reset panicked: the object is dropped and the panic goes on.
    ResetPanicked(Panic),
    /// The object was reset but the cache is full: a batch goes to the depot first.
    Full,
    /// The object was reset and kept, but the pool was closed meanwhile: the cache is emptied.
    ClosedMeanwhile,
}

impl<T> SharedCore<T> {
    fn new(config: Config, hooks: Hooks<T>) -> Result<Self, BuildError> {
        let slab = Slab::new(config).ok_or(BuildError::CapacityTooLarge {
            capacity: config.capacity,
        })?;
        let batch = (config.capacity / 8).clamp(1, 16);
        let core = Self {
            id: thread_exit::new_pool_id(),
            env: SharedEnv::new(hooks),
            depot: Mutex::new(Depot {
                slab,
                outside: 0,
                peak_outside: 0,
                created: 0,
                growths: 0,
                exhausted: 0,
                discarded: 0,
            }),
            caches: ThreadLocal::new(),
            fallback: Cache::new(0),
            batch,
        };
        if config.preallocate {
            for _ in 0..config.capacity {
                let mut depot = core.depot.lock();
                let Some(EmptySlot::Found(slot)) = depot.slab.take_empty() else {
                    unreachable!("a new slab has `capacity` fresh slots");
                };
                depot.lend(1);
                drop(depot);
                core.construct(slot);
                let mut depot = core.depot.lock();
                depot.created += 1;
                depot.outside -= 1;
                depot.slab.push_idle(slot);
            }
            core.depot.lock().peak_outside = 0;
        }
        Ok(core)
    }

    /// The calling thread's cache, made on first use.
    #[inline]
    pub(crate) fn cache(&self) -> &Cache<T> {
        if let Some(entry) = thread_exit::recent(thread_exit::Kind::ThreadSafe, self.id) {
            // SAFETY: recorded by `find_cache` from `self.caches`, and `self` is alive; see
            // `thread_exit::recent` for why it is still this thread's cache.
            return unsafe { &*entry.cast::<Cache<T>>() };
        }
        self.find_cache()
    }

    #[cold]
    fn find_cache(&self) -> &Cache<T> {
        if thread_exit::is_exiting() {
            return &self.fallback;
        }
        if self.caches.get().is_none() {
            // Made under the depot lock: `close` walks the caches under it, so a new cache is
            // either seen by that walk or made after it, when the closed flag is visible to
            // the thread that made it.
            let depot = self.depot.lock();
            self.caches.get_or(|| Cache::new(2 * self.batch));
            drop(depot);
        }
        // Look the cache up again rather than keep the reference `get_or` returns: that one
        // is derived from the `&mut` the `thread_local` crate used to write the entry, and
        // Miri (Stacked Borrows) invalidates it at the next write through any other reference
        // to the entry. Every reference from `get` shares one parent, so they stay valid.
        let cache = self.caches.get().expect("the cache was just inserted");
        // From now on this thread sets its exit flag (and forgets the record) before its
        // cache can be handed to another thread.
        if thread_exit::watch() {
            let entry: *const Cache<T> = cache;
            thread_exit::remember(thread_exit::Kind::ThreadSafe, self.id, entry.cast());
        }
        cache
    }

    /// Every cache: each thread's and the exiting threads' one.
    fn all_caches(&self) -> impl Iterator<Item = &Cache<T>> {
        self.caches.iter().chain(std::iter::once(&self.fallback))
    }

    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn allocate(&self) -> Result<(Slot<T>, &Cache<T>), PoolError> {
        if self.env.is_closed() {
            return Err(PoolError::Closed);
        }
        let cache = self.cache();
        let hit = cache.with(|inner| {
            let slot = inner.items.pop()?;
            inner.counters.on_allocate_unpeaked();
            Some(slot)
        });
        let slot = match hit {
            Some(slot) => slot,
            None => self.allocate_slow(cache)?,
        };
        self.env.hooks.lend(slot);
        Ok((slot, cache))
    }

    #[cold]
    fn allocate_slow(&self, cache: &Cache<T>) -> Result<Slot<T>, PoolError> {
        let mut depot = self.depot.lock();
        if self.env.is_closed() {
            return Err(PoolError::Closed);
        }
        if let Some(slot) = self.refill(&mut depot, cache) {
            return Ok(slot);
        }
        if let Some(empty) = depot.slab.take_empty() {
            let slot = match empty {
                EmptySlot::Found(slot) => slot,
                EmptySlot::Grown(slot) => {
                    depot.growths += 1;
                    slot
                }
            };
            depot.lend(1);
            drop(depot);
            self.construct(slot);
            cache.with(|inner| {
                inner.counters.created.add(1);
                inner.counters.on_allocate_unpeaked();
            });
            return Ok(slot);
        }
        // Every slot is built and none is idle in the depot: gather the idle objects parked
        // in every thread's cache (the depot lock keeps them from moving back meanwhile).
        for other in self.all_caches() {
            other.with(|inner| {
                depot.outside -= inner.items.len();
                for slot in inner.items.drain(..) {
                    depot.slab.push_idle(slot);
                }
            });
        }
        if let Some(slot) = self.refill(&mut depot, cache) {
            return Ok(slot);
        }
        depot.exhausted += 1;
        Err(PoolError::Exhausted {
            capacity: depot.slab.capacity(),
        })
    }

    /// Moves up to a batch of idle objects from the depot to `cache` and lends one of them.
    fn refill(&self, depot: &mut MutexGuard<'_, Depot<T>>, cache: &Cache<T>) -> Option<Slot<T>> {
        let first = depot.slab.pop_idle()?;
        depot.lend(1);
        cache.with(|inner| {
            for _ in 1..self.batch {
                let Some(slot) = depot.slab.pop_idle() else {
                    break;
                };
                depot.lend(1);
                inner.items.push(slot);
            }
            inner.counters.on_allocate_unpeaked();
        });
        Some(first)
    }

    /// Builds an object into an empty slot; on a factory panic the slot goes back as vacant.
    fn construct(&self, slot: Slot<T>) {
        let vacate = Vacate { core: self, slot };
        let value = (self.env.hooks.factory)();
        mem::forget(vacate);
        // SAFETY: the slot is empty and was taken from the slab by this thread.
        unsafe { slot.as_ptr().write(value) };
    }

    /// Takes back a lent object into `cache`.
    ///
    /// Only the common case is here: every other one leaves through a single call to
    /// [`release_rare`](Self::release_rare), which keeps this small enough for the compiler to
    /// inline into the guard's drop.
    ///
    /// # Safety
    ///
    /// `slot` must have been lent by this pool and not released or detached since; the caller
    /// gives up all access to it. `cache` is the calling thread's cache of this pool.
    #[inline]
    pub(crate) unsafe fn release(&self, slot: Slot<T>, cache: &Cache<T>) {
        let rare = 'fast: {
            if self.env.is_closed() {
                break 'fast Rare::Closed;
            }
            self.env.hooks.give_back(slot);
            // SAFETY: the slot holds a constructed object the caller no longer uses; it is
            // listed nowhere while lent, so this is the only reference.
            if let Err(panic) = (self.env.hooks.reset)(unsafe { &mut *slot.as_ptr() }) {
                break 'fast Rare::ResetPanicked(panic);
            }
            let kept = cache.with(|inner| {
                if inner.items.len() == inner.items.capacity() {
                    return false;
                }
                inner.items.push(slot);
                inner.counters.on_release();
                true
            });
            if !kept {
                break 'fast Rare::Full;
            }
            // `close` may have emptied this cache just before the push above; it set the flag
            // before taking the cache's lock, so this load sees it.
            if self.env.is_closed() {
                break 'fast Rare::ClosedMeanwhile;
            }
            return;
        };
        // SAFETY: forwarded from the caller.
        unsafe { self.release_rare(slot, cache, rare) };
    }

    /// The release of `slot` when it was not simply kept in the cache.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release); `rare` says how far the release went.
    #[cold]
    #[inline(never)]
    unsafe fn release_rare(&self, slot: Slot<T>, cache: &Cache<T>, rare: Rare) {
        match rare {
            Rare::Closed => {
                self.env.hooks.give_back(slot);
                cache.with(|inner| inner.counters.on_release());
                // SAFETY: the caller hands over a lent, constructed object.
                unsafe { self.discard(slot) };
            }
            Rare::ResetPanicked(panic) => {
                cache.with(|inner| inner.counters.on_release());
                // SAFETY: the object is lent to no one and listed nowhere.
                unsafe { self.discard(slot) };
                std::panic::resume_unwind(panic)
            }
            Rare::Full => {
                self.release_slow(slot, cache);
                if self.env.is_closed() {
                    self.discard_cached(cache);
                }
            }
            Rare::ClosedMeanwhile => self.discard_cached(cache),
        }
    }

    /// Drops every idle object parked in `cache` (used once the pool is closed).
    #[cold]
    fn discard_cached(&self, cache: &Cache<T>) {
        let parked: Vec<Slot<T>> = cache.with(|inner| inner.items.drain(..).collect());
        self.discard_all(parked);
    }

    /// Drops idle objects taken out of the depot or a cache (still counted as outside the
    /// depot). If a `Drop` panics, the objects not reached yet go back to the depot as idle.
    fn discard_all(&self, slots: Vec<Slot<T>>) {
        struct Requeue<'a, T> {
            core: &'a SharedCore<T>,
            rest: std::vec::IntoIter<Slot<T>>,
        }

        impl<T> Drop for Requeue<'_, T> {
            fn drop(&mut self) {
                if self.rest.len() == 0 {
                    return;
                }
                let mut depot = self.core.depot.lock();
                for slot in self.rest.by_ref() {
                    depot.outside -= 1;
                    depot.slab.push_idle(slot);
                }
            }
        }

        let mut rest = Requeue {
            core: self,
            rest: slots.into_iter(),
        };
        for slot in rest.rest.by_ref() {
            // SAFETY: the slot was idle: it holds an object nobody refers to, and it was taken
            // off the idle list or out of a cache. `discard` lists it as vacant again.
            unsafe { self.discard(slot) };
        }
    }

    /// The cache is full: move a batch back to the depot, then keep `slot`.
    #[cold]
    fn release_slow(&self, slot: Slot<T>, cache: &Cache<T>) {
        let mut depot = self.depot.lock();
        cache.with(|inner| {
            let keep = inner.items.len().saturating_sub(self.batch);
            depot.outside -= inner.items.len() - keep;
            for moved in inner.items.drain(keep..) {
                depot.slab.push_idle(moved);
            }
            if inner.items.capacity() == 0 {
                // The exiting threads' cache keeps nothing (and never allocates).
                depot.outside -= 1;
                depot.slab.push_idle(slot);
            } else {
                inner.items.push(slot);
            }
            inner.counters.on_release();
        });
    }

    /// Moves a lent object out for good.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    pub(crate) unsafe fn detach(&self, slot: Slot<T>, cache: &Cache<T>) -> T {
        // SAFETY: the caller hands over a constructed object; the slot is empty afterwards.
        let value = unsafe { slot.as_ptr().read() };
        self.env.hooks.give_back(slot);
        let mut depot = self.depot.lock();
        // Counted before the slot is listed, so that no other thread can fill the slot and
        // count that allocation first (lock order: depot, then cache).
        cache.with(|inner| inner.counters.on_detach());
        depot.outside -= 1;
        depot.slab.push_vacant(slot);
        drop(depot);
        value
    }

    /// Drops a lent object and makes its slot vacant, even if the drop panics.
    ///
    /// # Safety
    ///
    /// `slot` holds a constructed object nothing else refers to and that is listed nowhere.
    unsafe fn discard(&self, slot: Slot<T>) {
        let _vacate = Vacate { core: self, slot };
        // SAFETY: guaranteed by the caller; `_vacate` lists the slot as vacant afterwards.
        unsafe { slot.as_ptr().drop_in_place() };
        self.depot.lock().discarded += 1;
    }

    fn close(&self) {
        self.env.closed.store(true, Ordering::Release);
        let mut depot = self.depot.lock();
        for cache in self.all_caches() {
            cache.with(|inner| {
                depot.outside -= inner.items.len();
                for slot in inner.items.drain(..) {
                    depot.slab.push_idle(slot);
                }
            });
        }
        let taken = depot.slab.take_all_idle();
        // They are outside the depot while being dropped; `discard` counts each back in.
        depot.outside += taken.len();
        drop(depot);
        self.discard_all(taken);
        self.env.hooks.check_closed();
    }

    fn stats(&self) -> PoolStats {
        let depot = self.depot.lock();
        let mut stats = PoolStats {
            capacity: depot.slab.capacity(),
            idle: depot.slab.idle(),
            peak_in_use: depot.peak_outside,
            created: depot.created,
            growths: depot.growths,
            exhausted: depot.exhausted,
            discarded: depot.discarded,
            ..PoolStats::default()
        };
        let (mut allocations, mut returns, mut detached, mut built) = (0u64, 0, 0, 0);
        for cache in self.all_caches() {
            cache.with(|inner| {
                let c = &inner.counters;
                stats.idle += inner.items.len();
                allocations += c.allocations.get();
                returns += c.returns.get();
                detached += c.detached.get();
                built += c.created.get();
            });
        }
        drop(depot);
        stats.allocations = allocations;
        stats.releases = returns.saturating_sub(detached);
        stats.detached = detached;
        stats.created += built;
        stats.reused = allocations.saturating_sub(built);
        // The caches are visited one after another while other threads keep working, so the
        // sums can be off by the operations that ran meanwhile; never report more objects in
        // use than the pool has.
        stats.in_use = (allocations.saturating_sub(returns) as usize).min(stats.capacity);
        stats
    }
}

impl<T> Drop for SharedCore<T> {
    fn drop(&mut self) {
        // Idle objects parked in caches go back to the slab, which drops every idle object.
        let depot = self.depot.get_mut();
        for cache in self
            .caches
            .iter_mut()
            .chain(std::iter::once(&mut self.fallback))
        {
            cache.inner.with_mut(|inner| {
                // SAFETY: `&mut self` means no other thread can use the cache.
                let inner = unsafe { &mut *inner };
                for slot in inner.items.drain(..) {
                    depot.slab.push_idle(slot);
                }
            });
        }
    }
}

/// Lists a slot as vacant when dropped (also during a panic).
struct Vacate<'a, T> {
    core: &'a SharedCore<T>,
    slot: Slot<T>,
}

impl<T> Drop for Vacate<'_, T> {
    fn drop(&mut self) {
        let mut depot = self.core.depot.lock();
        depot.outside -= 1;
        depot.slab.push_vacant(self.slot);
    }
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
            core: SharedCore::new(config, hooks)?,
        })
    }

    pub(crate) fn core(&self) -> &SharedCore<T> {
        &self.core
    }

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
        Ok(SharedPooled::new(slot, &self.core, cache))
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

    /// How many objects the pool may hold now.
    pub fn capacity(&self) -> usize {
        self.core.depot.lock().slab.capacity()
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
        let (settings, hooks) = self.into_parts();
        ThreadSafePool::from_config(settings.check::<T>(Kind::Either)?, hooks)
    }
}

impl<T> fmt::Debug for ThreadSafePool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.core.stats();
        f.debug_struct("ThreadSafePool")
            .field("capacity", &stats.capacity)
            .field("in_use", &stats.in_use)
            .field("idle", &stats.idle)
            .field("closed", &self.is_closed())
            .finish()
    }
}
