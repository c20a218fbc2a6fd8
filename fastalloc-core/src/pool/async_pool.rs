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
//! `allocate_many(n)` (issue 14) takes `n` free permits in one compare-exchange when there are
//! that many. Otherwise it queues up like `allocate`, taking whatever permits were free if it
//! is first in line, and then keeps its place at the head and *gathers* the tickets passed on
//! (in `Queue::gathered`) until it has `n`; only then is it woken. What it gathered stays
//! reserved for it and nobody behind it overtakes, so a task wanting many is not starved by a
//! stream of tasks wanting one. Cancelled, it passes on everything it gathered, in order. A
//! single `allocate` is untouched by this: its fast path is the same compare-exchange, and a
//! hand-over checks one count more.
//!
//! Invariants, each kept under the queue's lock: `WAITERS` is set exactly while the queue is
//! not empty, and then no permit is free (a task queues up only when it found none, and
//! permits are only added while the bit is clear), so a free permit never jumps the queue.
//! `gathered` holds the tickets of the first waiter only, and fewer than it wants; it is empty
//! whenever the first waiter is an `allocate`.
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
/// A task that needs several objects at once takes them with
/// [`allocate_many`](Self::allocate_many), all or none: tasks that take them one `.await` at a
/// time can deadlock each other, each holding some and waiting for the rest.
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
    /// Permits in all (the pool's `max_capacity`): the most objects it can ever lend at once,
    /// so the most one `allocate_many` may ask for.
    permits: usize,
}

/// The waiting tasks and what was handed to them, under the pool's lock.
struct Queue<T> {
    /// Tasks waiting, oldest first.
    waiters: VecDeque<Waiter>,
    /// The tickets gathered so far by the first waiter, an `allocate_many` that wants more:
    /// reserved for it (see the module's invariants).
    gathered: Vec<Ticket<T>>,
    /// Tickets handed to tasks that have not taken them yet (one or two entries, usually).
    handed: Vec<(u64, Ticket<T>)>,
    /// All the tickets of `allocate_many` tasks that have them all and have not taken them
    /// yet.
    handed_many: Vec<(u64, Vec<Ticket<T>>)>,
    /// The number of the next task to queue up.
    next_id: u64,
    /// Tasks that had to queue up, ever.
    waits: u64,
    /// Objects a waiter took straight from a releasing guard: one release and one allocation
    /// each that the pool underneath never saw. (Counted here, under the lock the hand-over
    /// takes anyway, rather than in an atomic: one read-modify-write less per hand-over.)
    handoffs: u64,
}

/// A task waiting for a ticket (or several).
struct Waiter {
    id: u64,
    waker: Waker,
    /// How many tickets it takes at once: 1 for `allocate`, `n` (at least 2) for
    /// `allocate_many(n)`.
    wants: usize,
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

/// What is left to do with a ticket [`AsyncPool::deliver`] placed, once the lock is released.
enum Delivered<T> {
    /// Nothing: it was gathered by the first waiter, or went back to the pool and permits.
    Kept,
    /// A waiter now has all it asked for: wake it.
    Wake(Waker),
    /// The pool is closed and nobody waits: drop this object (its permit is back).
    Discard(Slot<T>),
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
    /// yet). An [`allocate_many`](Self::allocate_many) counts once, however many it wants.
    pub fn waiting(&self) -> usize {
        self.queue.lock().waiting()
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
            let mut handed: Vec<Ticket<T>> = queue.handed.drain(..).map(|(_, t)| t).collect();
            handed.append(&mut queue.gathered);
            for (_, mut tickets) in queue.handed_many.drain(..) {
                handed.append(&mut tickets);
            }
            (wakers, handed)
        };
        // The tasks find themselves neither queued nor handed anything: closed.
        for waker in wakers {
            waker.wake();
        }
        self.pool.close();
        // Objects handed to (or gathered by) tasks that had not taken them yet come back to a
        // closed pool, and are dropped like any object that does. (`close` already emptied the
        // idle lists, and the bit keeps a later pass-on from refilling them.)
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

    /// Takes `n` free permits at once, if there are that many; never waits.
    fn try_permits(&self, n: usize) -> Result<(), PoolError> {
        // No overflow: `n` is at most `permits`, which fits in `state` above the flag bits.
        let wanted = n * PERMIT;
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & CLOSED != 0 {
                return Err(PoolError::Closed);
            }
            // With `WAITERS` set no permit is free (the module's invariants), so `state` is
            // below `wanted`: enough free permits means that nobody waits.
            if state < wanted {
                return Err(PoolError::Exhausted {
                    capacity: self.capacity(),
                });
            }
            match self.state.compare_exchange(
                state,
                state - wanted,
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
        match self.deliver(&mut queue, ticket) {
            Delivered::Kept => {}
            Delivered::Wake(waker) => {
                drop(queue);
                waker.wake();
            }
            Delivered::Discard(slot) => {
                drop(queue);
                // SAFETY: the object was reset and handed over, and its ticket was taken off
                // the queue by this call: nothing else refers to it.
                unsafe { slot.discard(self.pool.core()) };
            }
        }
    }

    /// [`pass_on_locked`](Self::pass_on_locked) for several tickets (what a cancelled
    /// `allocate_many` had), in order and in one hold of the lock, so that nobody queues up or
    /// leaves between two of them.
    fn pass_on_all_locked(&self, mut queue: MutexGuard<'_, Queue<T>>, tickets: Vec<Ticket<T>>) {
        let mut wakers = Vec::new();
        let mut objects = Vec::new();
        for ticket in tickets {
            match self.deliver(&mut queue, ticket) {
                Delivered::Kept => {}
                Delivered::Wake(waker) => wakers.push(waker),
                Delivered::Discard(slot) => objects.push(slot),
            }
        }
        drop(queue);
        for waker in wakers {
            waker.wake();
        }
        // SAFETY: each object was reset and handed over, and its ticket was taken off the queue
        // by this call: nothing else refers to it.
        unsafe { discard_all(self.pool.core(), objects, Gone::Discarded) };
    }

    /// Places `ticket` under the lock: with the first waiter (which gathers it if it wants
    /// more), or back in the pool and the permits when nobody waits. Returns what is left to
    /// do once the lock is released.
    #[inline]
    fn deliver(&self, queue: &mut Queue<T>, ticket: Ticket<T>) -> Delivered<T> {
        let wants = queue.waiters.front().map_or(0, |w| w.wants);
        if queue.gathered.len() + 1 < wants {
            // An `allocate_many` short of its number keeps its place and this ticket: it is
            // woken once it has them all, and nobody behind it overtakes.
            queue.gathered.push(ticket);
            return Delivered::Kept;
        }
        if let Some(waiter) = queue.waiters.pop_front() {
            if queue.waiters.is_empty() {
                self.state.fetch_and(!WAITERS, Ordering::AcqRel);
            }
            if waiter.wants == 1 {
                queue.handed.push((waiter.id, ticket));
            } else {
                // Its last one: it takes what it gathered along with it.
                let mut tickets = std::mem::take(&mut queue.gathered);
                tickets.push(ticket);
                queue.handed_many.push((waiter.id, tickets));
            }
            return Delivered::Wake(waiter.waker);
        }
        let Ticket::Object(slot) = ticket else {
            // Nobody waits, so `WAITERS` is clear and stays so while the lock is held.
            self.state.fetch_add(PERMIT, Ordering::AcqRel);
            return Delivered::Kept;
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
            return Delivered::Kept;
        }
        self.state.fetch_add(PERMIT, Ordering::AcqRel);
        Delivered::Discard(slot)
    }
}

impl<T> Queue<T> {
    /// Tasks queued or handed what they wanted and not yet served.
    fn waiting(&self) -> usize {
        self.waiters.len() + self.handed.len() + self.handed_many.len()
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

    /// Lends `n` objects at once, all or none: waits, first come first served among all
    /// waiters (`allocate` calls included), until it can have all `n`.
    ///
    /// Tasks that take several objects one `.await` at a time can deadlock each other: with 4
    /// objects, two tasks that each got 2 and wait for a third wait forever. `allocate_many`
    /// takes them all at once, so a task holds none while it waits. First in line, it keeps
    /// its place and keeps what comes back until it has `n`; the tasks behind it, even ones
    /// that want a single object, wait their turn.
    ///
    /// Cancellation-safe: dropping the future at any point loses no object and no turn; what
    /// it had gathered goes on to the next waiters, or back to the pool.
    ///
    /// `n == 0` gives an empty `Vec` at once (even from a closed pool); `n == 1` is an
    /// [`allocate`](Self::allocate).
    ///
    /// # Errors
    ///
    /// [`PoolError::TooMany`] at once if `n` is more than the pool can ever lend
    /// (`max_capacity`), since no wait would be long enough. [`PoolError::Closed`] if the
    /// pool is closed, before or while waiting. If the last objects cannot be made (the pool
    /// cannot grow for lack of memory), that error, after every object taken went back.
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; every object taken goes back first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use fastalloc_core::{AsyncPool, PoolError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = Arc::new(AsyncPool::<Vec<u8>>::new(4)?);
    ///
    /// // Two tasks that need 3 of the 4 buffers each. Taking them one at a time, each could
    /// // end up holding 2 and waiting for a third forever; taken at once, one waits for the
    /// // other.
    /// let tasks: Vec<_> = (0..2)
    ///     .map(|_| {
    ///         let pool = Arc::clone(&pool);
    ///         tokio::spawn(async move {
    ///             let mut buffers = pool.allocate_many(3).await?;
    ///             buffers[0].extend_from_slice(b"request");
    ///             tokio::task::yield_now().await; // held across an await
    ///             Ok::<_, PoolError>(buffers.len())
    ///         })
    ///     })
    ///     .collect();
    /// for task in tasks {
    ///     assert_eq!(task.await??, 3);
    /// }
    /// assert_eq!(pool.available(), 4);
    ///
    /// // More than the pool can ever lend is refused rather than waited for.
    /// let refused = pool.allocate_many(5).await.unwrap_err();
    /// assert_eq!(refused, PoolError::TooMany { max_capacity: 4 });
    /// # Ok(())
    /// # }
    /// ```
    pub async fn allocate_many(&self, n: usize) -> Result<Vec<AsyncPooled<'_, T>>, PoolError> {
        self.acquire_many(n, |slot| AsyncPooled::new(slot, self))
            .await
    }

    /// Like [`allocate_many`](Self::allocate_many), but the guards keep the pool alive through
    /// the `Arc` and are `'static + Send`: they can move into spawned tasks.
    ///
    /// # Errors
    ///
    /// As for [`allocate_many`](Self::allocate_many).
    pub async fn allocate_many_owned(
        self: &Arc<Self>,
        n: usize,
    ) -> Result<Vec<OwnedAsyncPooled<T>>, PoolError> {
        self.acquire_many(n, |slot| OwnedAsyncPooled::new(slot, Arc::clone(self)))
            .await
    }

    /// `n` lent objects, each wrapped in a guard by `wrap`: at once with `n` free permits,
    /// else after waiting for `n` tickets; all or none.
    async fn acquire_many<G>(
        &self,
        n: usize,
        wrap: impl Fn(Slot<T>) -> G,
    ) -> Result<Vec<G>, PoolError> {
        if n > self.permits {
            return Err(PoolError::TooMany {
                max_capacity: self.permits,
            });
        }
        let tickets = match n {
            0 => return Ok(Vec::new()),
            // One is an `allocate`: handed over without gathering.
            1 => return Ok(vec![wrap(self.acquire().await?)]),
            _ => match self.try_permits(n) {
                Ok(()) => None,
                Err(PoolError::Exhausted { .. }) => Some(
                    WaitMany {
                        pool: self,
                        wants: n,
                        id: None,
                    }
                    .await?,
                ),
                Err(err) => return Err(err),
            },
        };
        // No `.await` below: from here on the future is not cancelled, only unwound.
        let mut guards = Vec::with_capacity(n);
        let mut permits = n;
        for ticket in tickets.into_iter().flatten() {
            // Handed-over objects become guards first (which cannot fail), so that a failure
            // below returns them through their guards' release.
            if let Ticket::Object(slot) = ticket {
                guards.push(wrap(slot));
                permits -= 1;
            }
        }
        // The permits become objects from the pool. If one cannot (closed meanwhile, no
        // memory to grow) or the factory panics, the permits left go back (dropped before
        // `guards`, which then give back the objects taken so far): all or none.
        let mut left = ReturnPermits {
            pool: self,
            count: permits,
        };
        while left.count > 0 {
            // `take` returns its own permit if it fails.
            left.count -= 1;
            guards.push(wrap(self.take()?));
        }
        Ok(guards)
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
                if let Some(panic) = crate::builder::panic_of(refusal) {
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

/// Gives `count` permits back when dropped: those an `allocate_many` had not turned into
/// objects yet when it failed or unwound.
struct ReturnPermits<'a, T> {
    pool: &'a AsyncPool<T>,
    count: usize,
}

impl<T> Drop for ReturnPermits<'_, T> {
    fn drop(&mut self) {
        for _ in 0..self.count {
            self.pool.return_permit();
        }
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
                wants: 1,
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

/// The wait of an `allocate_many` in the queue: resolves to all the tickets it wanted, or to
/// [`PoolError::Closed`].
///
/// Dropped at any point, it loses nothing: a queued task leaves the queue, passing on what it
/// gathered as first in line, and the tickets it was handed but did not take go on to the
/// next waiters.
struct WaitMany<'a, T> {
    pool: &'a AsyncPool<T>,
    /// How many tickets it wants (at least 2, at most the pool's permits).
    wants: usize,
    /// The task's number while it is queued or holds its tickets; `None` before it queues up
    /// and once it is done.
    id: Option<u64>,
}

impl<T> Future for WaitMany<'_, T> {
    type Output = Result<Vec<Ticket<T>>, PoolError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (pool, wants) = (self.pool, self.wants);
        let mut queue = pool.queue.lock();
        let Some(id) = self.id else {
            // First poll: queue up with whatever permits are free, unless enough came back
            // or the pool closed meanwhile.
            let mut state = pool.state.load(Ordering::Acquire);
            let mut took = 0;
            // Already set: no permit is free and nothing but this lock's holder changes
            // `state` (see the module's invariants).
            while state != WAITERS {
                if state & CLOSED != 0 {
                    return Poll::Ready(Err(PoolError::Closed));
                }
                // `WAITERS` is clear (with it set `state` would be just that), so nobody
                // waits and the free permits may be taken.
                let free = state / PERMIT;
                let next = if free >= wants {
                    state - wants * PERMIT
                } else {
                    WAITERS
                };
                match pool
                    .state
                    .compare_exchange(state, next, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) if free >= wants => {
                        return Poll::Ready(Ok((0..wants).map(|_| Ticket::Permit).collect()));
                    }
                    Ok(_) => {
                        took = free;
                        break;
                    }
                    Err(now) => state = now,
                }
            }
            // First in line with the permits it took (the queue was empty, so nobody else
            // gathered any), or behind others with none.
            debug_assert!(took == 0 || (queue.waiters.is_empty() && queue.gathered.is_empty()));
            queue.gathered.extend((0..took).map(|_| Ticket::Permit));
            let id = queue.next_id;
            queue.next_id += 1;
            queue.waits += 1;
            queue.waiters.push_back(Waiter {
                id,
                waker: cx.waker().clone(),
                wants,
            });
            drop(queue);
            self.id = Some(id);
            return Poll::Pending;
        };
        if let Some(at) = queue.handed_many.iter().position(|(to, _)| *to == id) {
            let (_, tickets) = queue.handed_many.swap_remove(at);
            let objects = tickets
                .iter()
                .filter(|ticket| matches!(ticket, Ticket::Object(_)))
                .count();
            queue.handoffs += objects as u64;
            drop(queue);
            self.id = None;
            return Poll::Ready(Ok(tickets));
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

impl<T> Drop for WaitMany<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let pool = self.pool;
        let mut queue = pool.queue.lock();
        let tickets = if let Some(at) = queue.waiters.iter().position(|w| w.id == id) {
            queue.waiters.remove(at);
            if queue.waiters.is_empty() {
                // Before the tickets below go back to the free count, which needs it clear.
                pool.state.fetch_and(!WAITERS, Ordering::AcqRel);
            }
            if at == 0 {
                // First in line: what it gathered is its own.
                std::mem::take(&mut queue.gathered)
            } else {
                return;
            }
        } else if let Some(at) = queue.handed_many.iter().position(|(to, _)| *to == id) {
            queue.handed_many.swap_remove(at).1
        } else {
            return;
        };
        // Cancelled holding tickets: they go on, in order, not lost.
        pool.pass_on_all_locked(queue, tickets);
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
        (queue.waiting(), queue.waits, queue.handoffs)
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
                gathered: Vec::new(),
                handed: Vec::new(),
                handed_many: Vec::new(),
                next_id: 0,
                waits: 0,
                handoffs: 0,
            })),
            returned: Anchored::new(AtomicU64::new(0)),
            permits,
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
