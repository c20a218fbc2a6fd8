//! [`AsyncPool`]: a pool whose `allocate` waits, first come first served, for an object to
//! come back.
//!
//! # Design
//!
//! Objects live in a [`ThreadSafePool`] with the same capacity and growth. In front of it sits
//! tokio's `Semaphore` (only tokio's `sync` feature: no runtime, so it works on any executor)
//! with one permit per object the pool may ever lend (`max_capacity`). `allocate` takes a
//! permit, waiting in FIFO order when none is free, and then takes an object, which always
//! succeeds: a guard gives its object back to the pool *before* it gives back its permit, so a
//! task holding a permit always finds an idle object or room to build one.
//!
//! Everything after the permit is acquired is synchronous, so dropping an `allocate` future
//! at any `.await` point only drops the semaphore's `Acquire` future, which is
//! cancellation-safe: a waiter that was handed a permit and is dropped passes it on to the
//! next waiter.

use std::fmt;
use std::sync::Arc;

use tokio::sync::{AcquireError, Semaphore, SemaphorePermit, TryAcquireError};

use crate::builder::{FactorySource, PoolBuilder, PoolKind, ResetSource};
use crate::config::Kind;
use crate::error::{BuildError, PoolError};
use crate::guard::{kind, AsyncPooled, Home, OwnedAsyncPooled};
use crate::pool::thread_safe::ThreadSafePool;
use crate::reset::Reset;
use crate::slab::Slot;
use crate::stats::PoolStats;
use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// A pool for async code: [`allocate`](Self::allocate) waits while every object is lent, and
/// waiters are served first come, first served.
///
/// It does not depend on an async runtime: it works under tokio, async-std, smol,
/// `futures::executor` or any other executor. Guards are `Send` (when `T` is), so they can be
/// held across `.await` in spawned tasks; [`allocate_owned`](Self::allocate_owned) gives a
/// `'static` guard that can move into a spawned task.
///
/// Timeouts are the caller's: wrap the future, for instance in `tokio::time::timeout`; a
/// timed-out (dropped) `allocate` loses nothing.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use fastalloc_core::AsyncPool;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = Arc::new(AsyncPool::<Vec<u8>>::new(1)?);
/// let held = pool.allocate_owned().await?;
///
/// // Every object is lent: a second allocate waits, here for at most 10 ms.
/// let waited = tokio::time::timeout(Duration::from_millis(10), pool.allocate()).await;
/// assert!(waited.is_err(), "timed out");
///
/// // Give it back from another task; the waiter gets it.
/// tokio::spawn(async move { drop(held) }).await?;
/// let buffer = pool.allocate().await?;
/// assert!(buffer.is_empty());
/// # Ok(())
/// # }
/// ```
pub struct AsyncPool<T> {
    pool: ThreadSafePool<T>,
    permits: Semaphore,
    waiting: AtomicUsize,
    waits: AtomicU64,
}

impl<T> PoolKind for AsyncPool<T> {
    type Item = T;
}

impl<T: Default + Reset + Send + 'static> AsyncPool<T> {
    /// A pool of `capacity` objects, built on demand with `Default` and reset with [`Reset`].
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroCapacity`] for 0, [`BuildError::CapacityTooLarge`] if the slots do
    /// not fit in memory.
    pub fn new(capacity: usize) -> Result<Self, BuildError> {
        Self::builder().capacity(capacity).build()
    }
}

impl<T> AsyncPool<T> {
    /// A builder for an async pool (fixed unless `growth` or `max_capacity` is given).
    pub fn builder() -> PoolBuilder<Self> {
        PoolBuilder::new()
    }

    /// How many objects the pool may hold now.
    pub fn capacity(&self) -> usize {
        self.pool.capacity()
    }

    /// Objects lent and not yet returned.
    pub fn in_use(&self) -> usize {
        self.pool.in_use()
    }

    /// How many more allocations succeed without waiting.
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Constructed objects waiting to be lent.
    pub fn idle(&self) -> usize {
        self.pool.idle()
    }

    /// Tasks waiting for an object right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A snapshot of the statistics, with `waiting` and `waits` filled in.
    pub fn stats(&self) -> PoolStats {
        let mut stats = self.pool.stats();
        stats.waiting = self.waiting();
        stats.waits = self.waits.load(Ordering::Relaxed);
        stats
    }

    /// Closes the pool: every waiting task wakes with [`PoolError::Closed`], later allocations
    /// fail with it, idle objects are dropped now and lent ones when they come back.
    pub fn close(&self) {
        self.permits.close();
        self.pool.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.permits.is_closed()
    }
}

impl<T: 'static> AsyncPool<T> {
    /// Lends an object, waiting (first come, first served) while every object is lent.
    ///
    /// Cancellation-safe: dropping the future at any point loses no object and no wake-up.
    ///
    /// # Errors
    ///
    /// [`PoolError::Closed`] if the pool is closed, before or while waiting.
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; the pool stays consistent.
    pub async fn allocate(&self) -> Result<AsyncPooled<'_, T>, PoolError> {
        let permit = self.acquire().await?;
        let slot = self.take(permit)?;
        Ok(AsyncPooled::new(slot, self))
    }

    /// Lends an object if one is free now; never waits.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when every object is lent (or promised to a waiting task),
    /// [`PoolError::Closed`] after [`close`](Self::close).
    pub fn try_allocate(&self) -> Result<AsyncPooled<'_, T>, PoolError> {
        let permit = self.try_acquire()?;
        let slot = self.take(permit)?;
        Ok(AsyncPooled::new(slot, self))
    }

    /// Like [`allocate`](Self::allocate), but the guard keeps the pool alive through the `Arc`
    /// and is `'static + Send`: it can move into spawned tasks.
    ///
    /// # Errors
    ///
    /// As for [`allocate`](Self::allocate).
    pub async fn allocate_owned(self: &Arc<Self>) -> Result<OwnedAsyncPooled<T>, PoolError> {
        let permit = self.acquire().await?;
        let slot = self.take(permit)?;
        Ok(OwnedAsyncPooled::new(slot, Arc::clone(self)))
    }

    /// Like [`try_allocate`](Self::try_allocate), with an owned guard.
    ///
    /// # Errors
    ///
    /// As for [`try_allocate`](Self::try_allocate).
    pub fn try_allocate_owned(self: &Arc<Self>) -> Result<OwnedAsyncPooled<T>, PoolError> {
        let permit = self.try_acquire()?;
        let slot = self.take(permit)?;
        Ok(OwnedAsyncPooled::new(slot, Arc::clone(self)))
    }

    fn try_acquire(&self) -> Result<SemaphorePermit<'_>, PoolError> {
        self.permits.try_acquire().map_err(|err| match err {
            TryAcquireError::Closed => PoolError::Closed,
            TryAcquireError::NoPermits => PoolError::Exhausted {
                capacity: self.capacity(),
            },
        })
    }

    async fn acquire(&self) -> Result<SemaphorePermit<'_>, PoolError> {
        /// Counts a task out of `waiting` however its wait ends, cancellation included.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }

        match self.permits.try_acquire() {
            Ok(permit) => return Ok(permit),
            Err(TryAcquireError::Closed) => return Err(PoolError::Closed),
            Err(TryAcquireError::NoPermits) => {}
        }
        self.waits.fetch_add(1, Ordering::Relaxed);
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        self.permits
            .acquire()
            .await
            .map_err(|AcquireError { .. }| PoolError::Closed)
    }

    /// Turns a permit into an object. The permit is then carried by the guard, which returns
    /// it after the object.
    fn take(&self, permit: SemaphorePermit<'_>) -> Result<Slot<T>, PoolError> {
        // If this fails (closed meanwhile, or no memory to grow) or the factory panics, the
        // permit is dropped and goes back to the semaphore.
        let slot = self.pool.core().allocate()?;
        permit.forget();
        Ok(slot)
    }

    /// Gives back a lent object and then its permit.
    ///
    /// # Safety
    ///
    /// `slot` was lent by this pool and is handed back exactly once.
    unsafe fn release(&self, slot: Slot<T>) {
        let _permit = ReturnPermit(&self.permits);
        let core = self.pool.core();
        // SAFETY: guaranteed by the caller; the object goes back to the calling thread's cache
        // (the guard may have moved threads since it was lent).
        unsafe { core.release(slot, core.cache()) };
    }

    /// Moves a lent object out for good; its slot and its permit become free.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    unsafe fn detach(&self, slot: Slot<T>) -> T {
        let _permit = ReturnPermit(&self.permits);
        let core = self.pool.core();
        // SAFETY: guaranteed by the caller.
        unsafe { core.detach(slot, core.cache()) }
    }
}

/// Adds one permit back when dropped (also while unwinding from a panicking reset).
struct ReturnPermit<'a>(&'a Semaphore);

impl Drop for ReturnPermit<'_> {
    fn drop(&mut self) {
        self.0.add_permits(1);
    }
}

impl<T, F: FactorySource<T>, R: ResetSource<T>> PoolBuilder<AsyncPool<T>, F, R> {
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
    pub fn build(self) -> Result<AsyncPool<T>, BuildError> {
        let (settings, hooks) = self.into_parts();
        let config = settings.check::<T>(Kind::Either)?;
        let permits = config.max_capacity.min(Semaphore::MAX_PERMITS);
        Ok(AsyncPool {
            pool: ThreadSafePool::from_config(config, hooks)?,
            permits: Semaphore::new(permits),
            waiting: AtomicUsize::new(0),
            waits: AtomicU64::new(0),
        })
    }
}

impl<T> fmt::Debug for AsyncPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("AsyncPool")
            .field("capacity", &stats.capacity)
            .field("in_use", &stats.in_use)
            .field("idle", &stats.idle)
            .field("waiting", &stats.waiting)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<'a, T: 'static> crate::guard::GuardKind<'a, T> for kind::Async {
    type Home = &'a AsyncPool<T>;
    const NAME: &'static str = "AsyncPooled";
}

impl<T: 'static> crate::guard::GuardKind<'_, T> for kind::AsyncOwned {
    type Home = Arc<AsyncPool<T>>;
    const NAME: &'static str = "OwnedAsyncPooled";
}

/// The async guards give their object back to the thread-safe pool and then their permit.
impl<T: 'static> Home<T> for &AsyncPool<T> {
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::release(self, slot) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::detach(self, slot) }
    }
}

impl<T: 'static> Home<T> for Arc<AsyncPool<T>> {
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::release(self, slot) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::detach(self, slot) }
    }
}
