//! [`AsyncPool`]: a pool whose `allocate` waits, first come first served, for an object to
//! come back.
//!
//! # Design
//!
//! Objects live in a [`ThreadSafePool`] with the same capacity and growth. In front of it sits
//! a count of *permits*, one per object the pool may ever lend (`max_capacity`), and a queue of
//! waiting tasks:
//!
//! * Uncontended, `allocate` takes a permit (one compare-exchange on `state`) and then an
//!   object from the pool, which always succeeds: a task holding a permit always finds an idle
//!   object or room to build one. A release gives the object back to the pool and then the
//!   permit (one load and one compare-exchange): no lock is taken on either side.
//! * When no permit is left, the task queues up (under the queue's lock, which also sets the
//!   `WAITERS` bit of `state`). A guard that sees that bit resets its object (in its own drop,
//!   as always) and hands it *straight to the first waiter*, which takes it without touching
//!   the pool or the permits again (issue 16: the trip through tokio's semaphore and the pool
//!   made the contended case 1.32x slower than `tub`).
//!
//! What a waiter is handed, a [`Ticket`], is an object or a bare permit (when the object went
//! into the pool before the releasing guard saw the waiter, or a panicking reset dropped it).
//! A ticket is never lost: a waiter dropped after it was handed one passes it on to the next
//! waiter, or back to the pool and the permits when none is left.
//!
//! Invariants, each kept under the queue's lock: `WAITERS` is set exactly while the queue is
//! not empty, and then no permit is free (a task queues up only when it found none, and
//! permits are only added while the bit is clear), so a free permit never jumps the queue.
//!
//! The pool underneath never sees an object that is handed over or that comes back past its
//! release (a cancelled waiter's object): `handoffs` and `returned` count them, and
//! [`AsyncPool::stats`] adds them in.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::anchored::Anchored;
use crate::builder::{FactorySource, PoolBuilder, PoolKind, ResetSource};
use crate::config::Kind;
use crate::error::{BuildError, PoolError};
use crate::guard::{kind, AsyncPooled, Home, OwnedAsyncPooled};
use crate::pool::thread_safe::{SharedView, ThreadSafePool};
use crate::registry::{self, Registration, View};
use crate::reset::Reset;
use crate::slab::{discard_all, Gone, Owner, Slot};
use crate::stats::PoolStats;
use crate::sync::{AtomicU64, AtomicUsize, Mutex, MutexGuard, Ordering};

/// `state`: set while tasks are queued (see the module's invariants).
const WAITERS: usize = 1;
/// `state`: set by [`AsyncPool::close`].
const CLOSED: usize = 2;
/// `state`: one free permit (the count is kept above the two flag bits).
const PERMIT: usize = 4;

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
    /// The pool's place in the registry, if it is named (the pool underneath is not). Declared
    /// first, so dropped first: the registry reads `pool`, `queue` and `returned` until the
    /// pool is gone from its list.
    named: Option<Registration>,
    pool: ThreadSafePool<T>,
    /// Free permits times [`PERMIT`], plus the [`WAITERS`] and [`CLOSED`] bits.
    state: AtomicUsize,
    /// On the heap, as `returned` is, for the registry, whose pointers to them a move of the
    /// pool must not disturb (a `Box` would: see `Anchored`). Neither is on a fast path.
    queue: Anchored<Mutex<Queue<T>>>,
    /// Objects that came back past the pool's release (a cancelled waiter's, or dropped by
    /// `close` or a panicking reset on the hand-over path): one release each it never saw.
    returned: Anchored<AtomicU64>,
}

/// The waiting tasks and what was handed to them, under the pool's lock.
struct Queue<T> {
    /// Tasks waiting, oldest first.
    waiters: VecDeque<Waiter>,
    /// Tickets handed to tasks that have not taken them yet (one or two entries, usually).
    handed: Vec<(u64, Ticket<T>)>,
    /// The number of the next task to queue up.
    next_id: u64,
    /// Tasks that had to queue up, ever.
    waits: u64,
    /// Objects a waiter took straight from a releasing guard: one release and one allocation
    /// each that the pool underneath never saw. (Counted here, under the lock the hand-over
    /// takes anyway, rather than in an atomic: one read-modify-write less per hand-over.)
    handoffs: u64,
}

/// A task waiting for a ticket.
struct Waiter {
    id: u64,
    waker: Waker,
}

/// What a waiting task is handed: the right to one object.
enum Ticket<T> {
    /// A reset object that stays lent: the task takes it as it is.
    Object(Slot<T>),
    /// A permit: the task takes an object from the pool (there is one idle, or room for one).
    Permit,
}

// SAFETY: a `Ticket::Object` owns a lent object as a guard does (like a `Box<T>`), and whoever
// takes the ticket (under the queue's lock) is its only user, so moving it to another thread
// moves a `T`.
unsafe impl<T: Send> Send for Ticket<T> {}

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

    /// Objects lent and not yet returned (an object handed from one task to the next counts
    /// once).
    pub fn in_use(&self) -> usize {
        self.stats().in_use
    }

    /// How many more allocations succeed without waiting.
    pub fn available(&self) -> usize {
        self.state.load(Ordering::Relaxed) / PERMIT
    }

    /// Constructed objects waiting to be lent.
    pub fn idle(&self) -> usize {
        self.pool.idle()
    }

    /// Tasks waiting for an object right now (queued, or handed one they have not taken
    /// yet).
    pub fn waiting(&self) -> usize {
        let queue = self.queue.lock();
        queue.waiters.len() + queue.handed.len()
    }

    /// A snapshot of the statistics, with `waiting` and `waits` filled in.
    pub fn stats(&self) -> PoolStats {
        stats_of(|| self.pool.stats(), &self.queue, &self.returned)
    }

    /// The name given to the builder's [`name`](crate::PoolBuilder::name), if any.
    pub fn name(&self) -> Option<&str> {
        self.named.as_ref().map(Registration::name)
    }

    /// Closes the pool: every waiting task wakes with [`PoolError::Closed`], later allocations
    /// fail with it, idle objects are dropped now and lent ones when they come back.
    pub fn close(&self) {
        let (wakers, handed) = {
            let mut queue = self.queue.lock();
            // Under the lock: a ticket passed on later sees the bit and goes nowhere but back.
            self.state.fetch_or(CLOSED, Ordering::AcqRel);
            self.state.fetch_and(!WAITERS, Ordering::AcqRel);
            let wakers: Vec<Waker> = queue.waiters.drain(..).map(|w| w.waker).collect();
            let handed: Vec<Ticket<T>> = queue.handed.drain(..).map(|(_, t)| t).collect();
            (wakers, handed)
        };
        // The tasks find themselves neither queued nor handed anything: closed.
        for waker in wakers {
            waker.wake();
        }
        self.pool.close();
        // Objects handed to tasks that had not taken them yet come back to a closed pool, and
        // are dropped like any object that does. (`close` already emptied the idle lists, and
        // the bit keeps a later pass-on from refilling them.)
        let core = self.pool.core();
        let mut objects = Vec::new();
        for ticket in handed {
            if let Ticket::Object(slot) = ticket {
                core.env.hooks.give_back(slot);
                objects.push(slot);
            }
            self.state.fetch_add(PERMIT, Ordering::AcqRel);
        }
        self.returned
            .fetch_add(objects.len() as u64, Ordering::Relaxed);
        // SAFETY: each object was reset and handed to a task that never took it; taken off
        // the queue above, so nothing else refers to it.
        unsafe { discard_all(core, objects, Gone::Discarded) };
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.load(Ordering::Relaxed) & CLOSED != 0
    }

    /// Drops idle objects until at most `keep_idle` are idle, and returns how many it dropped;
    /// as [`ThreadSafePool::trim`], which it is. Waiting tasks lose nothing: their permits
    /// count the objects the pool may lend, not the ones it holds, and an object handed
    /// straight to a waiter is never idle.
    pub fn trim(&self, keep_idle: usize) -> usize {
        self.pool.trim(keep_idle)
    }

    /// Drops the idle objects that no allocation needed since the previous call; as
    /// [`ThreadSafePool::trim_unused`].
    pub fn trim_unused(&self) -> usize {
        self.pool.trim_unused()
    }

    /// Takes a free permit, if any; never waits.
    #[inline]
    fn try_permit(&self) -> Result<(), PoolError> {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return Err(PoolError::Closed);
            }
            if state < PERMIT {
                return Err(PoolError::Exhausted {
                    capacity: self.capacity(),
                });
            }
            // A free permit means that nobody waits (see the module's invariants): taking it
            // jumps no queue.
            match self.state.compare_exchange(
                state,
                state - PERMIT,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(now) => state = now,
            }
        }
    }

    /// Gives a permit back: to the first waiter if any, else to the free count.
    #[inline]
    fn return_permit(&self) {
        let mut state = self.state.load(Ordering::Relaxed);
        while state & WAITERS == 0 {
            match self.state.compare_exchange(
                state,
                state + PERMIT,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => state = now,
            }
        }
        self.pass_on(Ticket::Permit);
    }

    /// Gives `ticket` to the first waiter; with none, the object goes back to the pool (or
    /// is dropped, once closed) and the permit to the free count.
    #[cold]
    fn pass_on(&self, ticket: Ticket<T>) {
        let queue = self.queue.lock();
        self.pass_on_locked(queue, ticket);
    }

    /// [`pass_on`](Self::pass_on) with the lock taken; releases it before waking anyone or
    /// dropping anything.
    fn pass_on_locked(&self, mut queue: MutexGuard<'_, Queue<T>>, ticket: Ticket<T>) {
        if let Some(waiter) = queue.waiters.pop_front() {
            if queue.waiters.is_empty() {
                self.state.fetch_and(!WAITERS, Ordering::AcqRel);
            }
            queue.handed.push((waiter.id, ticket));
            drop(queue);
            waiter.waker.wake();
            return;
        }
        let Ticket::Object(slot) = ticket else {
            // Nobody waits, so `WAITERS` is clear and stays so while the lock is held.
            self.state.fetch_add(PERMIT, Ordering::AcqRel);
            return;
        };
        let core = self.pool.core();
        core.env.hooks.give_back(slot);
        self.returned.fetch_add(1, Ordering::Relaxed);
        if self.state.load(Ordering::Acquire) & CLOSED == 0 {
            // Back to the pool without a second reset. Under the lock, so that `close`
            // (which sets `CLOSED` under it before closing the pool) empties the idle lists
            // after this.
            core.requeue(&mut std::iter::once(slot));
            self.state.fetch_add(PERMIT, Ordering::AcqRel);
            return;
        }
        self.state.fetch_add(PERMIT, Ordering::AcqRel);
        drop(queue);
        // SAFETY: the object was reset and handed over, and its ticket was taken off the queue
        // by this call: nothing else refers to it.
        unsafe { slot.discard(core) };
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
        let slot = self.acquire().await?;
        Ok(AsyncPooled::new(slot, self))
    }

    /// Lends an object if one is free now; never waits.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when every object is lent (or promised to a waiting task),
    /// [`PoolError::Closed`] after [`close`](Self::close).
    pub fn try_allocate(&self) -> Result<AsyncPooled<'_, T>, PoolError> {
        self.try_permit()?;
        let slot = self.take()?;
        Ok(AsyncPooled::new(slot, self))
    }

    /// Like [`allocate`](Self::allocate), but the guard keeps the pool alive through the `Arc`
    /// and is `'static + Send`: it can move into spawned tasks.
    ///
    /// # Errors
    ///
    /// As for [`allocate`](Self::allocate).
    pub async fn allocate_owned(self: &Arc<Self>) -> Result<OwnedAsyncPooled<T>, PoolError> {
        let slot = self.acquire().await?;
        Ok(OwnedAsyncPooled::new(slot, Arc::clone(self)))
    }

    /// Like [`try_allocate`](Self::try_allocate), with an owned guard.
    ///
    /// # Errors
    ///
    /// As for [`try_allocate`](Self::try_allocate).
    pub fn try_allocate_owned(self: &Arc<Self>) -> Result<OwnedAsyncPooled<T>, PoolError> {
        self.try_permit()?;
        let slot = self.take()?;
        Ok(OwnedAsyncPooled::new(slot, Arc::clone(self)))
    }

    /// A lent object: at once with a free permit, else after waiting for a ticket.
    async fn acquire(&self) -> Result<Slot<T>, PoolError> {
        match self.try_permit() {
            Ok(()) => self.take(),
            Err(PoolError::Exhausted { .. }) => match (Wait {
                pool: self,
                id: None,
            })
            .await?
            {
                Ticket::Object(slot) => Ok(slot),
                Ticket::Permit => self.take(),
            },
            Err(err) => Err(err),
        }
    }

    /// Turns a permit the caller holds into an object. The permit is then carried by the
    /// guard, which returns it after the object.
    fn take(&self) -> Result<Slot<T>, PoolError> {
        // If this fails (closed meanwhile, or no memory to grow) or the factory panics, the
        // permit goes back.
        let permit = ReturnPermit(self);
        let (slot, _) = self.pool.core().allocate()?;
        std::mem::forget(permit);
        Ok(slot)
    }

    /// Takes back a lent object: to the pool and then its permit, or straight to the first
    /// waiting task.
    ///
    /// # Safety
    ///
    /// `slot` was lent by this pool and is handed back exactly once.
    #[inline]
    unsafe fn release(&self, slot: Slot<T>) {
        if self.state.load(Ordering::Relaxed) & WAITERS != 0 {
            // SAFETY: forwarded from the caller.
            unsafe { self.hand_over(slot) };
            return;
        }
        // Also returned if the reset panics. A task that queues up meanwhile is handed the
        // permit, and takes the object from the pool.
        let _permit = ReturnPermit(self);
        let core = self.pool.core();
        // SAFETY: guaranteed by the caller; the object goes back to the calling thread's cache
        // (the guard may have moved threads since it was lent).
        unsafe { core.release(slot, core.cache()) };
    }

    /// Resets a lent object and hands it to the first waiting task.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    #[cold]
    #[inline(never)]
    unsafe fn hand_over(&self, mut slot: Slot<T>) {
        let core = self.pool.core();
        // The reset runs here, in the releasing guard's drop, as the pool's release does.
        // SAFETY: guaranteed by the caller: the object is lent to no one else now.
        match (core.env.hooks.reset)(unsafe { slot.as_mut() }) {
            Ok(()) => self.pass_on(Ticket::Object(slot)),
            Err(refusal) => {
                {
                    // The object is dropped, as the pool drops one it refuses; its slot is
                    // free, so its permit goes on (to a waiter, which builds a new object),
                    // even if the drop panics too.
                    let _permit = ReturnPermit(self);
                    core.env.hooks.give_back(slot);
                    self.returned.fetch_add(1, Ordering::Relaxed);
                    // SAFETY: the object is lent to no one and listed nowhere.
                    unsafe { slot.discard(core) };
                }
                if let Some(panic) = refusal {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }

    /// Moves a lent object out for good; its slot and its permit become free.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    unsafe fn detach(&self, slot: Slot<T>) -> T {
        let _permit = ReturnPermit(self);
        let core = self.pool.core();
        // SAFETY: guaranteed by the caller.
        unsafe { core.detach(slot) }
    }
}

/// Gives one permit back when dropped (also while unwinding from a panicking reset or
/// factory).
struct ReturnPermit<'a, T>(&'a AsyncPool<T>);

impl<T> Drop for ReturnPermit<'_, T> {
    #[inline]
    fn drop(&mut self) {
        self.0.return_permit();
    }
}

/// The wait of one task in the queue: resolves to the ticket it is handed, or to
/// [`PoolError::Closed`].
///
/// Dropped at any point, it loses nothing: a queued task leaves the queue, and a ticket it was
/// handed but did not take goes on to the next waiter.
struct Wait<'a, T> {
    pool: &'a AsyncPool<T>,
    /// The task's number while it is queued or holds a ticket; `None` before it queues up
    /// and once it is done.
    id: Option<u64>,
}

impl<T> Future for Wait<'_, T> {
    type Output = Result<Ticket<T>, PoolError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let pool = self.pool;
        let mut queue = pool.queue.lock();
        let Some(id) = self.id else {
            // First poll: queue up, unless a permit came back or the pool closed meanwhile.
            let mut state = pool.state.load(Ordering::Acquire);
            // Already set (the usual case under contention): then no permit is free and
            // nothing but this lock's holder changes `state` (see the module's invariants).
            while state != WAITERS {
                if state & CLOSED != 0 {
                    return Poll::Ready(Err(PoolError::Closed));
                }
                let (next, done) = if state >= PERMIT {
                    (state - PERMIT, true)
                } else {
                    (state | WAITERS, false)
                };
                match pool
                    .state
                    .compare_exchange(state, next, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) if done => return Poll::Ready(Ok(Ticket::Permit)),
                    Ok(_) => break,
                    Err(now) => state = now,
                }
            }
            let id = queue.next_id;
            queue.next_id += 1;
            queue.waits += 1;
            queue.waiters.push_back(Waiter {
                id,
                waker: cx.waker().clone(),
            });
            drop(queue);
            self.id = Some(id);
            return Poll::Pending;
        };
        if let Some(at) = queue.handed.iter().position(|(to, _)| *to == id) {
            let (_, ticket) = queue.handed.swap_remove(at);
            if let Ticket::Object(_) = ticket {
                queue.handoffs += 1;
            }
            drop(queue);
            self.id = None;
            return Poll::Ready(Ok(ticket));
        }
        if let Some(waiter) = queue.waiters.iter_mut().find(|w| w.id == id) {
            // A no-op when it is the same waker (`clone_from` checks `will_wake`).
            waiter.waker.clone_from(cx.waker());
            return Poll::Pending;
        }
        // Neither queued nor handed anything: `close` emptied the queue.
        drop(queue);
        self.id = None;
        Poll::Ready(Err(PoolError::Closed))
    }
}

impl<T> Drop for Wait<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let pool = self.pool;
        let mut queue = pool.queue.lock();
        if let Some(at) = queue.waiters.iter().position(|w| w.id == id) {
            queue.waiters.remove(at);
            if queue.waiters.is_empty() {
                pool.state.fetch_and(!WAITERS, Ordering::AcqRel);
            }
        } else if let Some(at) = queue.handed.iter().position(|(to, _)| *to == id) {
            // Cancelled after being handed a ticket: it goes on, not lost.
            let (_, ticket) = queue.handed.swap_remove(at);
            pool.pass_on_locked(queue, ticket);
        }
    }
}

/// `AsyncPool::stats`, from the parts it reads (`pool` reads the pool underneath).
fn stats_of<T>(
    pool: impl FnOnce() -> PoolStats,
    queue: &Mutex<Queue<T>>,
    returned: &AtomicU64,
) -> PoolStats {
    let (waiting, waits, handoffs) = {
        let queue = queue.lock();
        let waiting = queue.waiters.len() + queue.handed.len();
        (waiting, queue.waits, queue.handoffs)
    };
    let mut stats = pool();
    let returned = returned.load(Ordering::Relaxed);
    // A hand-over is a release and an allocation (a reuse) the pool did not see; a return
    // past the pool is a release it did not see.
    stats.allocations += handoffs;
    stats.reused += handoffs;
    stats.releases += handoffs + returned;
    // Recomputed rather than adjusted: the pool's figure is clamped to its capacity.
    let returns = stats.releases + stats.detached;
    stats.in_use = usize::try_from(stats.allocations.saturating_sub(returns))
        .unwrap_or(usize::MAX)
        .min(stats.capacity);
    stats.waiting = waiting;
    stats.waits = waits;
    stats
}

/// What the registry reads of a named `AsyncPool`: the pool underneath, the queue and the
/// count of objects returned past the pool, each at its place on the heap.
struct AsyncView<T> {
    pool: SharedView<T>,
    queue: *const Mutex<Queue<T>>,
    returned: *const AtomicU64,
}

impl<T> View for AsyncView<T> {
    unsafe fn stats(&self) -> PoolStats {
        // SAFETY: the pool is alive (the caller's promise), and so are the queue and the
        // count, in their `Anchored` boxes; the queue is read under its lock, and no object
        // of type `T` is touched.
        unsafe { stats_of(|| self.pool.stats(), &*self.queue, &*self.returned) }
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
        let (settings, hooks, name) = self.into_parts();
        let config = settings.check::<T>(Kind::Either)?;
        // The permits live above the two flag bits of `state`.
        let permits = config.max_capacity.min(usize::MAX / PERMIT);
        let mut pool = AsyncPool {
            named: None,
            pool: ThreadSafePool::from_config(config, hooks)?,
            state: AtomicUsize::new(permits * PERMIT),
            queue: Anchored::new(Mutex::new(Queue {
                waiters: VecDeque::new(),
                handed: Vec::new(),
                next_id: 0,
                waits: 0,
                handoffs: 0,
            })),
            returned: Anchored::new(AtomicU64::new(0)),
        };
        if let Some(name) = name {
            let view = AsyncView {
                pool: pool.pool.core().view(),
                queue: &*pool.queue,
                returned: &*pool.returned,
            };
            // SAFETY: the view points at parts on the heap (the pool's `Arc` and `Anchored`
            // boxes), which stay where they are however the pool moves, and which are freed
            // only by the drops of the fields after `named`.
            pool.named = Some(unsafe { registry::register(name, view) });
        }
        Ok(pool)
    }
}

impl<T> fmt::Debug for AsyncPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("AsyncPool")
            .field("name", &self.name())
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

/// The async guards give their object to the first waiting task, or back to the thread-safe
/// pool and then their permit.
impl<T: 'static> Home<T> for &AsyncPool<T> {
    #[inline]
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
    #[inline]
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::release(self, slot) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { AsyncPool::detach(self, slot) }
    }
}
