//! [`SharedCore`]: the engine of a `ThreadSafePool` (see the module above for the design).

use std::time::{Duration, Instant};

use super::cache::{Cache, CacheInner, Depot, Mark, OwnCache, Waiter};
use crate::anchored::Anchored;
use crate::builder::{panic_of, Hooks, Refusal};
use crate::config::Config;
use crate::error::{BuildError, PoolError};
use crate::per_thread::{self, ExitHook, Table};
use crate::pool::local::SharedEnv;
use crate::registry::View;
use crate::slab::{discard_all, EmptySlot, Gone, Owner, Slab, Slot};
use crate::stats::{Counter, PoolStats};
use crate::sync::{Arc, Condvar, Mutex, MutexGuard, Ordering, Weak};

/// The shared engine: depot, caches, hooks.
pub(crate) struct SharedCore<T> {
    /// This pool's id for `per_thread::recent`.
    id: u64,
    pub(crate) env: SharedEnv<T>,
    /// In an `Arc` so that a thread's exit hook can reach it however the pool moved, and
    /// learn that the pool is gone (`Depot::dead`, or no `Arc` left).
    depot: Arc<Mutex<Depot<T>>>,
    /// On the heap, as `fallback` and `depot` are: the registry reads a named pool's statistics
    /// through pointers to them ([`SharedView`]), which a move of the pool must not disturb.
    /// Only the slow paths look here (a thread finds its own cache through `per_thread`).
    caches: Anchored<Table<Cache<T>>>,
    /// The cache of threads that are exiting, which must not use their own any more (see
    /// `per_thread`): shared by all of them, under its flag like any cache. It keeps nothing.
    fallback: Anchored<Cache<T>>,
    /// How many objects move between a cache and the depot at once.
    batch: usize,
    /// The caches fence on every operation (`PoolBuilder::membarrier(false)`).
    no_membarrier: bool,
    /// Wakes the threads waiting in [`allocate_timeout`](Self::allocate_timeout) (with the
    /// depot's lock): an object was handed to one, a slot came free, or the pool closed.
    wake: Condvar,
}

/// How a wait in `allocate_timeout` ended.
enum Waited<T> {
    /// A release handed this object over.
    Handed(Slot<T>),
    /// Taken from the depot's idle objects.
    Idle(Slot<T>),
    /// A free slot, to build an object in.
    Empty(EmptySlot<T>),
    /// The pool closed (and this object, handed over meanwhile, is to be dropped).
    Closed(Option<Slot<T>>),
    TimedOut,
}

/// Why a release left its fast path (see `SharedCore::release`).
enum Rare {
    /// The pool was closed (the object is dropped, not reset), or the thread is exiting (the
    /// object goes to the exiting threads' cache).
    ClosedOrExiting,
    /// The object was reset but refused: not reusable, or the reset or the check panicked
    /// (the payload). It is dropped, and a panic goes on.
    Refused(Refusal),
    /// The object was reset but not kept on the fast path: the cache is full (a batch goes to
    /// the depot first), or its fast path was not open (a visitor was there, or the cache is
    /// fenced, shared, or closed, and then the object is dropped). One case, not two: each
    /// branch counts against the inlining of the guard's drop.
    NotKept,
}

impl<T> SharedCore<T> {
    pub(crate) fn new(config: Config, hooks: Hooks<T>) -> Result<Self, BuildError> {
        let slab = Slab::new(config).ok_or(BuildError::CapacityTooLarge {
            capacity: config.capacity,
        })?;
        let batch = (config.capacity / 8).clamp(1, 16);
        let core = Self {
            id: per_thread::new_pool_id(),
            env: SharedEnv::new(hooks),
            depot: Arc::new(Mutex::new(Depot::new(slab))),
            caches: Anchored::new(Table::new()),
            fallback: Anchored::new(Cache::shared()),
            batch,
            no_membarrier: config.no_membarrier,
            wake: Condvar::new(),
        };
        if config.preallocate {
            for _ in 0..config.capacity {
                let mut depot = core.depot.lock();
                let Some(EmptySlot::Found(slot)) = depot.slab.take_empty() else {
                    unreachable!("a new slab has `capacity` fresh slots");
                };
                depot.lend(1);
                drop(depot);
                slot.construct(&core);
                let mut depot = core.depot.lock();
                depot.created += 1;
                depot.outside -= 1;
                depot.slab.push_idle(slot);
            }
            let mut depot = core.depot.lock();
            depot.peak_outside = 0;
            // Built with the pool: idle since then, for `trim_unused`.
            depot.slab.restart_period();
        }
        Ok(core)
    }

    /// Wakes the waiting threads, if any, after a slot came free or an object reached the
    /// depot (under the depot's lock, so that no waiter misses it).
    fn wake_waiters(&self, depot: &Depot<T>) {
        if !depot.waiters.is_empty() {
            self.wake.notify_all();
        }
    }

    /// Every cache: each thread's and the exiting threads' one.
    fn all_caches(&self) -> impl Iterator<Item = &Cache<T>> {
        self.caches.iter().chain(std::iter::once(&*self.fallback))
    }

    pub(crate) fn capacity(&self) -> usize {
        self.depot.lock().slab.capacity()
    }

    pub(crate) fn close(&self) {
        self.env.closed.store(true, Ordering::Release);
        let mut depot = self.depot.lock();
        Cache::visit_all(self.all_caches(), Mark::Closed, |inner| {
            inner.spill(&mut depot, 0);
        });
        let taken = depot.slab.take_all_idle();
        // They are outside the depot while being dropped; `vacate` counts each back in.
        depot.outside += taken.len();
        drop(depot);
        // Waiting threads leave with `Closed`.
        self.wake.notify_all();
        // SAFETY: the slots were idle (taken off the idle list): each holds an object that
        // nothing refers to.
        unsafe { discard_all(self, taken, Gone::Discarded) };
        self.env.hooks.check_closed();
    }

    /// Drops idle objects, from the depot and from every thread's cache, until at most `keep`
    /// are idle; returns how many it dropped. Then gives back the chunks left empty. Returns 0
    /// at once if another trim is running (or this is a `Drop` called by one).
    pub(crate) fn trim(&self, keep: usize) -> usize {
        let mut depot = self.depot.lock();
        if depot.trimmer.is_some() {
            return 0;
        }
        // Every cache's objects to the depot first (one heavy barrier for all), so that the
        // count is exact when the other threads are quiet.
        Cache::visit_all(self.all_caches(), Mark::Nothing, |inner| {
            inner.spill(&mut depot, 0);
        });
        let taken = depot.slab.take_idle_over(keep);
        // Outside the depot while being dropped; `vacate` counts each back in.
        depot.outside += taken.len();
        // SAFETY: taken off the depot's idle list: each holds an object nothing refers to.
        unsafe { self.drop_trimmed(depot, taken) }
    }

    /// Drops the idle objects that stayed idle, in the depot or in a cache, since the last
    /// call (or since the pool was built); returns how many. Then gives back the chunks left
    /// empty. Returns 0 at once if another trim is running.
    pub(crate) fn trim_unused(&self) -> usize {
        let mut depot = self.depot.lock();
        if depot.trimmer.is_some() {
            return 0;
        }
        let mut taken = depot.slab.take_unused();
        // Outside the depot while being dropped (`vacate` counts each back in); the ones taken
        // from caches below were outside it already.
        depot.outside += taken.len();
        // The caches' objects that were used go to the depot too, where a chunk that only
        // they keep can be given back (they move to lower slots). Each thread takes a batch
        // back on its next allocation: one lock per timer tick.
        Cache::visit_all(self.all_caches(), Mark::Nothing, |inner| {
            inner.take_unused(&mut taken);
            inner.spill(&mut depot, 0);
        });
        // Idle from now on, in the depot: the next period starts with them.
        depot.slab.restart_period();
        // SAFETY: taken off the depot's idle list or out of a cache: each holds an object
        // nothing refers to.
        unsafe { self.drop_trimmed(depot, taken) }
    }

    /// Drops the idle objects `taken` (outside the lock: a `Drop` may use the pool), then
    /// gives back the chunks left empty. Returns how many objects it dropped.
    ///
    /// While it drops them, their slots are neither idle nor free, so an allocation that
    /// finds nothing else waits for them (see `allocate_slow`) rather than report a pool at
    /// its maximum exhausted.
    ///
    /// # Safety
    ///
    /// Every slot in `taken` holds an object that nothing refers to, and is listed nowhere
    /// (neither in the depot nor in a cache); `depot.outside` counts them.
    unsafe fn drop_trimmed(
        &self,
        mut depot: MutexGuard<'_, Depot<T>>,
        taken: Vec<Slot<T>>,
    ) -> usize {
        /// Ends the trim, even if a `Drop` panics.
        struct Done<'a, T>(&'a SharedCore<T>);

        impl<T> Drop for Done<'_, T> {
            fn drop(&mut self) {
                self.0.depot.lock().trimmer = None;
            }
        }

        let count = taken.len();
        if count == 0 {
            return 0;
        }
        depot.trimmer = Some(per_thread::current().unwrap_or(usize::MAX));
        drop(depot);
        let done = Done(self);
        // SAFETY: guaranteed by the caller.
        unsafe { discard_all(self, taken, Gone::Trimmed) };
        drop(done);
        self.depot.lock().slab.shrink();
        count
    }

    pub(crate) fn stats(&self) -> PoolStats {
        stats_of(&self.depot, &self.caches, &self.fallback)
    }

    /// What the registry reads of this pool (see [`SharedView`]).
    pub(crate) fn view(&self) -> SharedView<T> {
        SharedView {
            depot: &*self.depot,
            caches: &*self.caches,
            fallback: &*self.fallback,
        }
    }
}

/// `SharedCore::stats`, from the parts it reads.
fn stats_of<T>(
    depot: &Mutex<Depot<T>>,
    caches: &Table<Cache<T>>,
    fallback: &Cache<T>,
) -> PoolStats {
    let depot = depot.lock();
    let mut stats = PoolStats {
        capacity: depot.slab.capacity(),
        idle: depot.slab.idle(),
        peak_in_use: depot.peak_outside,
        created: depot.created,
        growths: depot.growths,
        exhausted: depot.exhausted,
        discarded: depot.discarded,
        trimmed: depot.trimmed,
        waiting: depot.waiters.len(),
        waits: depot.waits,
        ..PoolStats::default()
    };
    let (mut allocations, mut returns, mut detached, mut built) = (0u64, 0, 0, 0);
    let all_caches = caches.iter().chain(std::iter::once(fallback));
    Cache::visit_all(all_caches, Mark::Nothing, |inner| {
        let c = &inner.counters;
        stats.idle += inner.items.len();
        allocations += c.allocations.get();
        returns += c.returns.get();
        detached += c.detached.get();
        built += c.created.get();
    });
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

/// What the registry reads of a named `ThreadSafePool` (or of the pool under an `AsyncPool`):
/// the depot, the table of caches and the exiting threads' cache, each at its place on the
/// heap (in the depot's `Arc`, or `Anchored`), where a move of the pool leaves it.
pub(crate) struct SharedView<T> {
    depot: *const Mutex<Depot<T>>,
    caches: *const Table<Cache<T>>,
    fallback: *const Cache<T>,
}

impl<T> View for SharedView<T> {
    unsafe fn stats(&self) -> PoolStats {
        // SAFETY: the pool is alive (the caller's promise), so are its parts, which have not
        // moved since the view was made; each is read as `stats()` reads it, through its lock
        // or a visit, and no object of type `T` is touched.
        unsafe { stats_of(&*self.depot, &*self.caches, &*self.fallback) }
    }
}

impl<T: 'static> SharedCore<T> {
    /// The calling thread's cache, made on first use.
    #[inline]
    pub(crate) fn cache(&self) -> OwnCache<'_, T> {
        if let Some(entry) = per_thread::recent(per_thread::Kind::ThreadSafe, self.id) {
            // SAFETY: recorded by `find_cache` from `self.caches`, and `self` is alive; see
            // `per_thread::recent` for why it is still this thread's cache (a hit also means
            // that the thread is not exiting, so it owns the cache).
            return unsafe { OwnCache::new(&*entry.cast::<Cache<T>>()) };
        }
        self.find_cache()
    }

    #[cold]
    fn find_cache(&self) -> OwnCache<'_, T> {
        let Some(number) = per_thread::current() else {
            // SAFETY: the fallback cache has no owner: any thread may use it.
            return unsafe { OwnCache::new(&self.fallback) };
        };
        let cache = if let Some(cache) = self.caches.get(number) {
            cache
        } else {
            // Made under the depot lock: `close` walks the caches under it, so a new cache is
            // either seen by that walk or made after it, when the closed flag is visible to
            // the thread that made it.
            let depot = self.depot.lock();
            let made = self.caches.get_or_try(number, || {
                Ok::<_, ()>(Cache::new(2 * self.batch, self.no_membarrier))
            });
            let made = made.unwrap_or_else(|()| unreachable!("making a cache cannot fail"));
            // A cache made after `close` is closed too (releases into it must drop, not keep),
            // and one made while threads wait hands its releases over.
            if self.env.is_closed() {
                Cache::visit_all(std::iter::once(made), Mark::Closed, |_| {});
            } else if !depot.waiters.is_empty() {
                Cache::visit_all(std::iter::once(made), Mark::Waiting(true), |_| {});
            }
            made
        };
        // SAFETY: the cache of the calling thread's number, and the thread is not exiting
        // (`current` said so): the thread owns it until its exit frees the number.
        let own = unsafe { OwnCache::new(cache) };
        if !own.with(|inner| inner.hooked) && self.hook_exit(cache) {
            own.with(|inner| inner.hooked = true);
        }
        let entry: *const Cache<T> = cache;
        per_thread::remember(per_thread::Kind::ThreadSafe, self.id, entry.cast());
        own
    }

    /// Has the calling thread empty `cache` into the depot when it exits, so that its idle
    /// objects serve the other threads (issue 12: a thread that released an object and exited
    /// kept it in its cache, and the next allocation elsewhere built a new one). Returns whether
    /// the hook could be registered.
    fn hook_exit(&self, cache: &Cache<T>) -> bool {
        let depot: Weak<Mutex<Depot<T>>> = Arc::downgrade(&self.depot);
        let alive = depot.clone();
        let cache: *const Cache<T> = cache;
        per_thread::at_exit(ExitHook {
            alive: Box::new(move || alive.strong_count() > 0),
            run: Box::new(move || {
                let Some(depot) = depot.upgrade() else { return };
                let mut depot = depot.lock();
                if depot.dead {
                    return;
                }
                // SAFETY: the pool is not being dropped (`dead` is unset, and its `Drop` sets
                // it under this lock before its table of caches goes), so the cache, which
                // never moves while the table lives, is alive until the lock is released.
                // The hook runs on the exiting thread that owns the cache, before its number is
                // freed for another thread to inherit the cache.
                let cache = unsafe { OwnCache::new(&*cache) };
                cache.with(|inner| {
                    inner.spill(&mut depot, 0);
                    inner.hooked = false;
                });
            }),
        })
    }

    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn allocate(&self) -> Result<(Slot<T>, OwnCache<'_, T>), PoolError> {
        if self.env.is_closed() {
            return Err(PoolError::Closed);
        }
        let cache = self.cache();
        let hit = cache.with(CacheInner::take);
        let slot = match hit {
            Some(slot) => slot,
            None => self.allocate_slow(cache)?,
        };
        self.env.hooks.lend(slot);
        Ok((slot, cache))
    }

    #[cold]
    fn allocate_slow(&self, cache: OwnCache<'_, T>) -> Result<Slot<T>, PoolError> {
        let mut round = 0;
        loop {
            let mut depot = self.depot.lock();
            if self.env.is_closed() {
                return Err(PoolError::Closed);
            }
            if !depot.waiters.is_empty() {
                // Threads wait in `allocate_timeout`: what comes free is theirs, first come,
                // first served; an allocation that does not wait does not jump the queue.
                depot.exhausted += 1;
                return Err(PoolError::Exhausted {
                    capacity: depot.slab.capacity(),
                });
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
                slot.construct(self);
                cache.with(|inner| {
                    inner.counters.created.add(1);
                    inner.counters.on_allocate_unpeaked();
                });
                return Ok(slot);
            }
            // Every slot is built and none is idle in the depot: gather the idle objects
            // parked in every thread's cache (the depot lock keeps them from moving back
            // meanwhile).
            Cache::visit_all(self.all_caches(), Mark::Nothing, |inner| {
                inner.spill(&mut depot, 0);
            });
            if let Some(slot) = self.refill(&mut depot, cache) {
                return Ok(slot);
            }
            // A trim on another thread is dropping idle objects: their slots come back one
            // by one, and this allocation would have had one of them. (A `Drop` that allocates
            // on the trimming thread itself must not wait for its own trim; nor does an exiting
            // thread, which cannot tell whether it is the trimmer.)
            let other_trims = match (depot.trimmer, per_thread::current()) {
                (Some(trimmer), Some(me)) => trimmer != me,
                _ => false,
            };
            if other_trims {
                drop(depot);
                crate::sync::pause(&mut round);
                continue;
            }
            depot.exhausted += 1;
            return Err(PoolError::Exhausted {
                capacity: depot.slab.capacity(),
            });
        }
    }

    /// [`allocate`](Self::allocate), waiting up to `timeout` while every object is lent and
    /// the pool may not grow.
    ///
    /// A waiting thread is queued in the depot. The first one marks every cache
    /// ([`Mark::Waiting`]): the owners' fast path then fails, so each release goes the slow
    /// way and hands its object to the first waiter with none ([`hand_over`](Self::hand_over)),
    /// and no cache keeps one meanwhile; the last one to leave clears the marks. A slot that
    /// comes free (a detach, a refused object) or an object that reaches the depot wakes the
    /// waiters, and the first of them takes it. So the fast paths pay nothing for waits.
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn allocate_timeout(
        &self,
        timeout: Duration,
    ) -> Result<(Slot<T>, OwnCache<'_, T>), PoolError> {
        match self.allocate() {
            Err(PoolError::Exhausted { .. }) => {}
            done => return done,
        }
        // `None`: so far ahead that it cannot be represented; wait without a limit.
        let deadline = Instant::now().checked_add(timeout);
        let cache = self.cache();
        let mut depot = self.depot.lock();
        let id = depot.waits;
        depot.waits += 1;
        depot.waiters.push_back(Waiter { id, handed: None });
        if depot.waiters.len() == 1 {
            // Objects released into a cache since the allocation failed are gathered too.
            Cache::visit_all(self.all_caches(), Mark::Waiting(true), |inner| {
                inner.spill(&mut depot, 0);
            });
        }
        let got = loop {
            let at = Self::waiter_at(&depot, id);
            let handed = depot.waiters[at].handed.take();
            if self.env.is_closed() {
                break Waited::Closed(handed);
            }
            if let Some(slot) = handed {
                break Waited::Handed(slot);
            }
            // First come, first served: only a waiter with no one before it still waiting
            // for an object takes one from the depot or a free slot.
            if depot.waiters.iter().take(at).all(|w| w.handed.is_some()) {
                if let Some(slot) = depot.slab.pop_idle() {
                    depot.lend(1);
                    break Waited::Idle(slot);
                }
                if let Some(empty) = depot.slab.take_empty() {
                    depot.lend(1);
                    break Waited::Empty(empty);
                }
            }
            let remaining = deadline.map_or(Duration::MAX, |deadline| {
                deadline.saturating_duration_since(Instant::now())
            });
            if remaining.is_zero() {
                break Waited::TimedOut;
            }
            depot = self.wake.wait_timeout(depot, remaining);
        };
        let at = Self::waiter_at(&depot, id);
        depot.waiters.remove(at);
        if depot.waiters.is_empty() {
            Cache::visit_all(self.all_caches(), Mark::Waiting(false), |_| {});
        } else if matches!(got, Waited::TimedOut | Waited::Closed(_)) {
            // The next waiter may now be first in line for what is in the depot.
            self.wake.notify_all();
        }
        let slot = match got {
            Waited::Handed(slot) | Waited::Idle(slot) => {
                drop(depot);
                cache.with(|inner| inner.counters.on_allocate_unpeaked());
                slot
            }
            Waited::Empty(empty) => {
                let slot = match empty {
                    EmptySlot::Found(slot) => slot,
                    EmptySlot::Grown(slot) => {
                        depot.growths += 1;
                        slot
                    }
                };
                drop(depot);
                slot.construct(self);
                cache.with(|inner| {
                    inner.counters.created.add(1);
                    inner.counters.on_allocate_unpeaked();
                });
                slot
            }
            Waited::Closed(handed) => {
                drop(depot);
                if let Some(slot) = handed {
                    // SAFETY: handed over by a release (reset, lent to no one, listed
                    // nowhere); the pool closed, so it is dropped rather than lent.
                    unsafe { slot.discard(self) };
                }
                return Err(PoolError::Closed);
            }
            Waited::TimedOut => {
                depot.exhausted += 1;
                return Err(PoolError::Timeout { timeout });
            }
        };
        self.env.hooks.lend(slot);
        Ok((slot, cache))
    }

    /// Where waiter `id` is in the queue (it stays there until it removes itself).
    fn waiter_at(depot: &Depot<T>, id: u64) -> usize {
        depot
            .waiters
            .iter()
            .position(|w| w.id == id)
            .expect("a waiter leaves the queue only by itself")
    }

    /// Moves up to a batch of idle objects from the depot to `cache` and lends one of them.
    fn refill(
        &self,
        depot: &mut MutexGuard<'_, Depot<T>>,
        cache: OwnCache<'_, T>,
    ) -> Option<Slot<T>> {
        // For `trim_unused`: the depot's idle objects below this mark were untouched this
        // period, and stay so in the cache.
        let (idle, untouched) = (depot.slab.idle(), depot.slab.untouched());
        let first = depot.slab.pop_idle()?;
        depot.lend(1);
        cache.with(|inner| {
            // The cache is empty: its allocation found nothing.
            debug_assert!(inner.items.is_empty());
            for _ in 1..self.batch {
                let Some(slot) = depot.slab.pop_idle() else {
                    break;
                };
                depot.lend(1);
                inner.items.push(slot);
            }
            // In the depot's order (the deepest at the bottom, the warmest on top), and with
            // the untouched ones at the bottom, where `take_unused` looks.
            inner.items.reverse();
            let moved = inner.items.len();
            inner.low = untouched.saturating_sub(idle - 1 - moved).min(moved);
            inner.counters.on_allocate_unpeaked();
        });
        Some(first)
    }

    /// Takes back a lent object into `cache`, the calling thread's own.
    ///
    /// # Safety
    ///
    /// `slot` must have been lent by this pool and not released or detached since; the caller
    /// gives up all access to it.
    #[inline]
    pub(crate) unsafe fn release(&self, slot: Slot<T>, cache: OwnCache<'_, T>) {
        // SAFETY: forwarded from the caller; `cache` is owned by this thread.
        unsafe { self.release_into(slot, cache.cache(), false) };
    }

    /// Takes back a lent object into `cache`, which this thread got from [`cache`](Self::cache)
    /// earlier (a guard that stays on its thread keeps it), or into the exiting threads' cache
    /// if this thread's exit has begun since (its cache may then soon belong to a new thread
    /// with the same number).
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release), and `cache` came from `cache` on this thread.
    #[inline]
    pub(crate) unsafe fn release_kept(&self, slot: Slot<T>, cache: &Cache<T>) {
        // SAFETY: forwarded from the caller.
        unsafe { self.release_into(slot, cache, true) };
    }

    /// Both releases. Only the common case is here: every other one leaves through a single
    /// call to [`release_rare`](Self::release_rare), which keeps this small enough for the
    /// compiler to inline into the guard's drop (issue 16: every test and branch here counts
    /// against LLVM's inlining threshold).
    ///
    /// # Safety
    ///
    /// As for [`release_kept`](Self::release_kept); without `exiting_check`, the caller knows
    /// that `cache` is owned by this thread.
    #[inline]
    unsafe fn release_into(&self, mut slot: Slot<T>, cache: &Cache<T>, exiting_check: bool) {
        let rare = 'fast: {
            // One test for both rare cases before the reset.
            if self.env.is_closed() | (exiting_check && per_thread::is_exiting()) {
                break 'fast Rare::ClosedOrExiting;
            }
            // SAFETY: `cache` came from `cache` on this thread, whose exit has not begun
            // (checked above, or known to the caller), so the thread still owns it.
            let cache = unsafe { OwnCache::new(cache) };
            self.env.hooks.give_back(slot);
            // SAFETY: the slot holds a constructed object the caller no longer uses; it is
            // listed nowhere while lent, so this is the only reference.
            if let Err(refusal) = (self.env.hooks.reset)(unsafe { slot.as_mut() }) {
                break 'fast Rare::Refused(refusal);
            }
            // A pool closed since the test above (by another thread, or by the reset) is
            // learnt of here: `close` marks every cache closed during its visit, which either
            // comes after this section, and takes the object with the rest, or before it, and
            // then this fails; so no second test of the flag is needed.
            let kept = cache.try_with(|inner| inner.keep(slot));
            if kept != Some(true) {
                break 'fast Rare::NotKept;
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
        if let Rare::ClosedOrExiting = rare {
            // This thread's cache, found again: the exiting threads' one if it is exiting.
            let cache = self.cache();
            if !self.env.is_closed() {
                // SAFETY: forwarded from the caller; `cache` is this thread's.
                return unsafe { self.release_into(slot, cache.cache(), false) };
            }
            self.env.hooks.give_back(slot);
            cache.with(|inner| inner.counters.on_release());
            // SAFETY: the caller hands over a lent, constructed object.
            unsafe { slot.discard(self) };
            return;
        }
        // SAFETY: the fast path found the thread not exiting (or the caller knew it), and it
        // cannot have started since: the thread still owns `cache`.
        let cache = unsafe { OwnCache::new(cache) };
        match rare {
            Rare::ClosedOrExiting => unreachable!("handled above"),
            Rare::Refused(refusal) => {
                cache.with(|inner| inner.counters.on_release());
                // SAFETY: the object is lent to no one and listed nowhere.
                unsafe { slot.discard(self) };
                if let Some(panic) = panic_of(refusal) {
                    std::panic::resume_unwind(panic)
                }
            }
            Rare::NotKept if cache.is_closed() => {
                cache.with(|inner| inner.counters.on_release());
                // SAFETY: the object is reset, lent to no one and listed nowhere.
                unsafe { slot.discard(self) };
            }
            Rare::NotKept => self.keep_or_hand_over(slot, cache),
        }
        // `close` (on another thread, or by the reset itself) may have run since the fast
        // path failed, with its visit before the push above: drop what the cache holds.
        if self.env.is_closed() {
            self.discard_cached(cache);
        }
    }

    /// The release's slow way for an object that is kept: into the cache, unless threads
    /// wait, and then to the first of them.
    ///
    /// Whether threads wait is read under the cache's lock, before keeping: the visit that
    /// marks the caches ([`Mark::Waiting`]) either came first, and then this sees the mark,
    /// or comes after, and then it gathers what this kept (loom found the object kept in a
    /// cache, and the waiter waiting forever, when the mark was read before taking the lock).
    #[cold]
    fn keep_or_hand_over(&self, mut slot: Slot<T>, cache: OwnCache<'_, T>) {
        loop {
            if cache.with(|inner| !cache.is_waiting() && inner.keep(slot)) {
                return;
            }
            if !cache.is_waiting() {
                // The cache is full.
                return self.release_slow(slot, cache);
            }
            match self.hand_over(slot, cache) {
                None => return,
                // The last waiter left (and cleared the marks, under the depot's lock).
                Some(back) => slot = back,
            }
        }
    }

    /// Hands a released (reset) object to the first thread waiting in
    /// [`allocate_timeout`](Self::allocate_timeout) that has none yet, counting the release
    /// in `cache`; gives it back if no thread waits any more.
    #[cold]
    fn hand_over(&self, slot: Slot<T>, cache: OwnCache<'_, T>) -> Option<Slot<T>> {
        let mut depot = self.depot.lock();
        self.give_to_waiter(&mut depot, slot, cache)
    }

    /// [`hand_over`](Self::hand_over) with the depot's lock held.
    fn give_to_waiter(
        &self,
        depot: &mut Depot<T>,
        slot: Slot<T>,
        cache: OwnCache<'_, T>,
    ) -> Option<Slot<T>> {
        let Some(waiter) = depot.waiters.iter_mut().find(|w| w.handed.is_none()) else {
            return Some(slot);
        };
        // It stays outside the depot: from one user to the next.
        waiter.handed = Some(slot);
        cache.with(|inner| inner.counters.on_release());
        // The waiter looks once this thread releases the lock.
        self.wake.notify_all();
        None
    }

    /// Drops every idle object parked in `cache` (used once the pool is closed).
    #[cold]
    fn discard_cached(&self, cache: OwnCache<'_, T>) {
        let parked: Vec<Slot<T>> = cache.with(|inner| inner.items.drain(..).collect());
        // SAFETY: the slots were idle in the cache: each holds an object nothing refers to.
        unsafe { discard_all(self, parked, Gone::Discarded) };
    }

    /// The cache is full: move a batch back to the depot, then keep `slot`. The exiting
    /// threads' cache keeps nothing: its objects go straight to the depot, unless the pool was
    /// closed (seen under the depot lock, which `close` takes after setting the flag), and
    /// then they are dropped.
    #[cold]
    fn release_slow(&self, slot: Slot<T>, cache: OwnCache<'_, T>) {
        let mut depot = self.depot.lock();
        let closed = self.env.is_closed();
        // A thread may have started waiting since the caller looked.
        let Some(slot) = (if closed {
            Some(slot)
        } else {
            self.give_to_waiter(&mut depot, slot, cache)
        }) else {
            return;
        };
        let keep = cache.with(|inner| {
            inner.spill(&mut depot, self.batch);
            inner.counters.on_release();
            if inner.items.capacity() == 0 {
                false
            } else {
                inner.items.push(slot);
                true
            }
        });
        if keep {
            return;
        }
        if closed {
            drop(depot);
            // SAFETY: the object was reset and is listed nowhere; it is discarded once.
            unsafe { slot.discard(self) };
        } else {
            depot.outside -= 1;
            depot.slab.push_idle(slot);
            self.wake_waiters(&depot);
        }
    }

    /// Moves a lent object out for good.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    pub(crate) unsafe fn detach(&self, slot: Slot<T>) -> T {
        let cache = self.cache();
        // SAFETY: the caller hands over a constructed object; the slot is empty afterwards.
        let value = unsafe { slot.take() };
        self.env.hooks.give_back(slot);
        let mut depot = self.depot.lock();
        // Counted before the slot is listed, so that no other thread can fill the slot and
        // count that allocation first (lock order: depot, then cache).
        cache.with(|inner| inner.counters.on_detach());
        depot.outside -= 1;
        depot.slab.push_vacant(slot);
        self.wake_waiters(&depot);
        drop(depot);
        value
    }
}

impl<T> Owner<T> for SharedCore<T> {
    fn build(&self) -> T {
        (self.env.hooks.factory)()
    }

    fn vacate(&self, slot: Slot<T>, gone: Gone) {
        let mut depot = self.depot.lock();
        depot.outside -= 1;
        match gone {
            Gone::Unbuilt => {}
            Gone::Discarded => depot.discarded += 1,
            Gone::Trimmed => depot.trimmed += 1,
        }
        depot.slab.push_vacant(slot);
        // A waiting thread may build a new object in it.
        self.wake_waiters(&depot);
    }

    fn requeue(&self, rest: &mut dyn Iterator<Item = Slot<T>>) {
        let mut depot = self.depot.lock();
        for slot in rest {
            depot.outside -= 1;
            depot.slab.push_idle(slot);
        }
        self.wake_waiters(&depot);
    }
}

impl<T> Drop for SharedCore<T> {
    fn drop(&mut self) {
        // From now on the exit hooks of other threads leave the caches alone (they check
        // `dead` under this lock, and the caches go when this function returns).
        let mut depot = self.depot.lock();
        depot.dead = true;
        // Idle objects parked in caches go back to the slab, which drops every idle object.
        for cache in self
            .caches
            .iter_mut()
            .chain(std::iter::once(&mut *self.fallback))
        {
            cache.get_mut().spill(&mut depot, 0);
        }
        // The objects are dropped here, by the pool's owner, even if an exiting thread's hook
        // still holds the depot for a moment (a scoped thread's thread-locals can be destroyed
        // after the scope ends): what it keeps alive holds no object any more.
        let slab = depot.slab.take();
        drop(depot);
        drop(slab);
    }
}
