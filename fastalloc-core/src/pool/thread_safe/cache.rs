//! A thread's cache of idle objects, and the depot behind every cache.

use std::cell::Cell;
use std::collections::VecDeque;
use std::marker::PhantomData;

use crate::slab::{Slab, Slot};
use crate::stats::Counters;
use crate::sync::{barrier, BiasedLock, Request, UnsafeCell};

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
    pub(crate) trimmed: u64,
    /// Threads blocked in `allocate_timeout`, oldest first (see `SharedCore::allocate_timeout`).
    pub(crate) waiters: VecDeque<Waiter<T>>,
    /// The number of the next waiter, and how many have waited in all (`PoolStats::waits`).
    pub(crate) waits: u64,
    /// A trim is dropping the objects it took, on the thread of this number (`usize::MAX` for
    /// an exiting thread): their slots come back one by one. One trim at a time.
    pub(crate) trimmer: Option<usize>,
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
            trimmed: 0,
            trimmer: None,
            waiters: VecDeque::new(),
            waits: 0,
            dead: false,
        }
    }

    /// Counts `n` objects leaving the depot.
    pub(crate) fn lend(&mut self, n: usize) {
        self.outside += n;
        self.peak_outside = self.peak_outside.max(self.outside);
    }
}

/// A thread blocked in `allocate_timeout`.
pub(crate) struct Waiter<T> {
    pub(crate) id: u64,
    /// An object a release handed to this waiter (reset, still counted outside the depot).
    pub(crate) handed: Option<Slot<T>>,
}

// SAFETY: a handed slot owns a reset object on its way from one user to the next, as a guard
// owns one (like a `Box<T>`), and only the waiter takes it, under the depot's lock: moving a
// waiter to another thread moves a `T`.
unsafe impl<T: Send> Send for Waiter<T> {}

/// One thread's cache of idle objects, with that thread's counters. Aligned to its own cache
/// lines so that threads do not slow each other down by writing neighbouring memory.
///
/// Its owner (the thread whose number it belongs to, see `per_thread`) uses it through
/// [`with`](Self::with), which costs no atomic read-modify-write ([`BiasedLock`]); every other
/// thread only visits it ([`visit`](Self::visit), [`request`](Self::request)), which costs
/// microseconds and happens when a pool is exhausted, closed or asked for its statistics.
#[repr(align(128))]
pub(crate) struct Cache<T> {
    lock: BiasedLock,
    inner: UnsafeCell<CacheInner<T>>,
}

pub(crate) struct CacheInner<T> {
    pub(crate) items: Vec<Slot<T>>,
    /// The fewest `items` since the period of `trim_unused` began: the items below were not
    /// touched since.
    pub(crate) low: usize,
    pub(crate) counters: Counters<Cell<u64>>,
    /// The thread that owns the cache now has registered the hook that empties it into the
    /// depot when the thread exits (a new thread that inherits the cache registers its own).
    pub(crate) hooked: bool,
}

// SAFETY: every access to `inner` goes through `with` or a visit, under `lock`, which gives
// mutual exclusion. A cache holds idle objects of type `T`, which may be taken by another
// thread; that is only possible when the pool is shared, and `ThreadSafePool<T>` is `Send` or
// `Sync` only when `T: Send` (its depot holds a `Slab<T>`, which is `Send` only then). So no
// `!Send` object can cross threads through a cache.
unsafe impl<T> Send for Cache<T> {}
// SAFETY: as above.
unsafe impl<T> Sync for Cache<T> {}

impl<T> Cache<T> {
    /// A thread's cache, with room for `size` objects; `fenced` as for [`BiasedLock::new`].
    pub(crate) fn new(size: usize, fenced: bool) -> Self {
        Self::with_lock(size, BiasedLock::new(fenced))
    }

    /// The cache of the exiting threads, which any of them may use in turn: it has no owner
    /// and keeps no object.
    pub(crate) fn shared() -> Self {
        Self::with_lock(0, BiasedLock::shared())
    }

    fn with_lock(size: usize, lock: BiasedLock) -> Self {
        Self {
            lock,
            inner: UnsafeCell::new(CacheInner {
                items: Vec::with_capacity(size),
                low: 0,
                counters: Counters::default(),
                hooked: false,
            }),
        }
    }

    /// Runs `f` on each of `caches` in turn, each as its only user, with
    /// one heavy barrier for all of them: each is announced, then one barrier is made, then
    /// each is entered when its owner is out of its section. Each cache's lock is also marked
    /// as `mark` says during its visit.
    pub(crate) fn visit_all<'a>(
        caches: impl Iterator<Item = &'a Self>,
        mark: Mark,
        mut f: impl FnMut(&mut CacheInner<T>),
    ) where
        T: 'a,
    {
        let requests: Vec<(Request<'a>, &'a Self)> =
            caches.map(|cache| (cache.lock.request(), cache)).collect();
        // One `membarrier` serves every lock (it is a fence on this thread too).
        barrier::heavy(requests.iter().all(|(_, cache)| cache.lock.fenced()));
        for (request, cache) in requests {
            let visit = request.admit();
            // SAFETY: the visit excludes the owner and every other visitor until it ends.
            cache.inner.with_mut(|inner| f(unsafe { &mut *inner }));
            match mark {
                Mark::Nothing => {}
                Mark::Closed => visit.close(),
                Mark::Waiting(waiting) => visit.set_waiting(waiting),
            }
        }
    }

    /// [`with`](Self::with) when the caller has the cache to itself already.
    pub(crate) fn get_mut(&mut self) -> &mut CacheInner<T> {
        // SAFETY: `&mut self` rules out every other access.
        self.inner.with_mut(|inner| unsafe { &mut *inner })
    }
}

/// How [`Cache::visit_all`] marks each cache it visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Nothing,
    /// Closed for good: the owner's [`OwnCache::try_with`] fails from then on.
    Closed,
    /// Threads wait for an object (`true`), or no longer do: while marked, the owner's
    /// [`OwnCache::try_with`] fails, so releases take the path that hands objects over.
    Waiting(bool),
}

/// The calling thread's own cache: a cache together with the proof that this thread may use it
/// as its owner ([`BiasedLock::with_owner`]). Made by `SharedCore::cache`; not `Send`, so it
/// stays on its thread, and only kept for the length of one pool operation.
pub(crate) struct OwnCache<'a, T> {
    cache: &'a Cache<T>,
    _this_thread: PhantomData<*const ()>,
}

impl<T> Clone for OwnCache<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for OwnCache<'_, T> {}

impl<'a, T> OwnCache<'a, T> {
    /// # Safety
    ///
    /// The calling thread owns `cache` for as long as the result is used: `cache` is the
    /// entry of the thread's number in its pool's table and the thread is not exiting (or is
    /// running the exit hook that empties the cache, before its number is freed), or `cache`
    /// was made by [`Cache::shared`]. Cache entries are handed from one owner to the next
    /// through the thread-number lock, which orders the two.
    pub(crate) unsafe fn new(cache: &'a Cache<T>) -> Self {
        Self {
            cache,
            _this_thread: PhantomData,
        }
    }

    /// [`with`](Self::with)'s fast path alone: `None`, without running `f`, when the cache is
    /// being visited, fenced, shared or closed (see [`BiasedLock::try_with_owner`]).
    #[inline]
    pub(crate) fn try_with<R>(self, f: impl FnOnce(&mut CacheInner<T>) -> R) -> Option<R> {
        // SAFETY: as in `with`.
        unsafe {
            self.cache
                .lock
                .try_with_owner(|| self.cache.inner.with_mut(|inner| f(&mut *inner)))
        }
    }

    /// Whether the pool's `close` marked the cache closed.
    pub(crate) fn is_closed(self) -> bool {
        self.cache.lock.is_closed()
    }

    /// Whether threads wait for an object (see [`Mark::Waiting`]).
    pub(crate) fn is_waiting(self) -> bool {
        self.cache.lock.is_waiting()
    }

    /// The cache itself, to keep in a guard that stays on this thread (see `SharedHome`).
    pub(crate) fn cache(self) -> &'a Cache<T> {
        self.cache
    }

    /// Runs `f` with the cache to itself. `f` must not run user code (a visitor may be
    /// waiting for it) and must not use the cache again.
    #[inline]
    pub(crate) fn with<R>(self, f: impl FnOnce(&mut CacheInner<T>) -> R) -> R {
        // SAFETY: this thread owns the cache (the promise made by `new`), or the cache's lock
        // is shared; `with_owner` excludes every visitor, so this is the only access.
        unsafe {
            self.cache
                .lock
                .with_owner(|| self.cache.inner.with_mut(|inner| f(&mut *inner)))
        }
    }
}

impl<T> CacheInner<T> {
    /// Keeps a released object if there is room, counting the release; whether it was kept
    /// (the release's fast path and its cold path both use it).
    #[inline]
    pub(crate) fn keep(&mut self, slot: Slot<T>) -> bool {
        if self.items.len() == self.items.capacity() {
            return false;
        }
        self.items.push(slot);
        self.counters.on_release();
        true
    }

    /// Takes one idle object, if any, for an allocation.
    #[inline]
    pub(crate) fn take(&mut self) -> Option<Slot<T>> {
        let slot = self.items.pop()?;
        self.low = self.low.min(self.items.len());
        self.counters.on_allocate_unpeaked();
        Some(slot)
    }

    /// Takes the idle objects that no allocation reached since the period began (the bottom of
    /// the stack) into `taken`, and starts a new period.
    pub(crate) fn take_unused(&mut self, taken: &mut Vec<Slot<T>>) {
        let low = self.low.min(self.items.len());
        taken.extend(self.items.drain(..low));
        self.low = self.items.len();
    }

    /// Moves the idle objects past the first `keep` into the depot (every one for `keep` 0).
    pub(crate) fn spill(&mut self, depot: &mut Depot<T>, keep: usize) {
        let keep = keep.min(self.items.len());
        self.low = self.low.min(keep);
        depot.outside -= self.items.len() - keep;
        for slot in self.items.drain(keep..) {
            depot.slab.push_idle(slot);
        }
    }
}
