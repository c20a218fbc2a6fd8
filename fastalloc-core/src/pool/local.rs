//! The single-threaded engine behind `FixedPool`, `GrowingPool` and each thread's part of a
//! `ThreadLocalPool`: a [`Slab`] in a plain cell, with counters that only the owner writes
//! (relaxed atomic loads and stores, the code of plain ones: other threads read them for
//! statistics, a `ThreadLocalPool`'s or the registry's). No locks and no atomic
//! read-modify-writes; a `ThreadLocalPool` part is only ever used by its own thread (see
//! `PerThread`).
//!
//! Without `std` (feature `alloc` alone) only `FixedPool` and `GrowingPool` use it: there is no
//! registry and no other thread reads their counters, which are plain `Cell<u64>`s then, and
//! a reset that panics cannot be caught, so the release discards the object in a drop guard
//! as the panic unwinds (see [`LocalCore::release_open`]).

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::cell::{Cell, UnsafeCell};

use crate::anchored::Anchored;
#[cfg(feature = "std")]
use crate::builder::panic_of;
use crate::builder::{Hooks, Refusal};
use crate::config::Config;
use crate::error::{BuildError, PoolError};
use crate::guard::{kind, GuardKind, Home};
#[cfg(feature = "std")]
use crate::registry::{self, View};
use crate::slab::{discard_all, EmptySlot, Gone, Owner, Slab, Slot};
#[cfg(feature = "std")]
use crate::stats::OwnedCounter;
use crate::stats::{Counter, Counters, PoolStats};
#[cfg(feature = "std")]
use crate::sync::{Arc, AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// What a [`LocalCore`] shares with the rest of its pool: the hooks and the closed flag.
pub(crate) trait Env<T> {
    /// The counter type: [`OwnedCounter`], which other threads may read (`Cell<u64>` would do
    /// where none does).
    type Counter: Counter;
    fn hooks(&self) -> &Hooks<T>;
    fn is_closed(&self) -> bool;
    fn set_closed(&self);
    /// The slab grew or shrank to `capacity` slots.
    fn capacity_changed(&self, capacity: usize);
}

/// The environment of a pool that lives on one thread.
///
/// With `std`, its counters are [`OwnedCounter`]s and it keeps its capacity in an atomic, as
/// a `ThreadLocalPool` part does: the registry reads a named pool's statistics from other
/// threads (`LocalCore::published_stats`). A relaxed load and store cost what the `Cell`s
/// they replaced cost (`benches/compare_revisions.py`, issue 14). Without `std` there is no
/// registry: the counters are `Cell`s (no 64-bit atomics needed, which 32-bit embedded
/// targets lack) and the capacity is not published.
pub(crate) struct SingleEnv<T> {
    hooks: Hooks<T>,
    closed: Cell<bool>,
    /// A `u32` (no pool holds more objects: `max_objects`), which fits beside `closed` in the
    /// padding: a single-threaded pool's fixed size stays under issue 5's 7% at 1,000
    /// objects (`tests/alloc_count.rs`).
    #[cfg(feature = "std")]
    capacity: AtomicU32,
}

/// The counters of a [`SingleEnv`]: read by the registry from other threads with `std`, by
/// no other thread without.
#[cfg(feature = "std")]
type SingleCounter = OwnedCounter;
#[cfg(not(feature = "std"))]
type SingleCounter = Cell<u64>;

impl<T> SingleEnv<T> {
    pub(crate) fn new(hooks: Hooks<T>) -> Self {
        Self {
            hooks,
            closed: Cell::new(false),
            #[cfg(feature = "std")]
            capacity: AtomicU32::new(0),
        }
    }
}

impl<T> Env<T> for SingleEnv<T> {
    type Counter = SingleCounter;

    #[inline]
    fn hooks(&self) -> &Hooks<T> {
        &self.hooks
    }

    #[inline]
    fn is_closed(&self) -> bool {
        self.closed.get()
    }

    fn set_closed(&self) {
        self.closed.set(true);
    }

    fn capacity_changed(&self, capacity: usize) {
        #[cfg(feature = "std")]
        {
            let capacity = u32::try_from(capacity).unwrap_or(u32::MAX);
            self.capacity.store(capacity, Ordering::Relaxed);
        }
        // Only the registry reads it.
        #[cfg(not(feature = "std"))]
        let _ = capacity;
    }
}

/// The environment shared by every thread's part of a pool.
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct SharedEnv<T> {
    pub(crate) hooks: Hooks<T>,
    pub(crate) closed: AtomicBool,
}

#[cfg(feature = "std")]
impl<T> SharedEnv<T> {
    pub(crate) fn new(hooks: Hooks<T>) -> Self {
        Self {
            hooks,
            closed: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn set_closed(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

/// The environment of one thread's part of a `ThreadLocalPool`: the pool's shared one, and the
/// part's capacity, kept for other threads' `stats()` (they cannot look at the part's slab).
#[cfg(feature = "std")]
#[derive(Debug)]
pub(crate) struct PartEnv<T> {
    pub(crate) shared: Arc<SharedEnv<T>>,
    capacity: AtomicUsize,
}

#[cfg(feature = "std")]
impl<T> PartEnv<T> {
    pub(crate) fn new(shared: Arc<SharedEnv<T>>) -> Self {
        Self {
            shared,
            capacity: AtomicUsize::new(0),
        }
    }

    /// The part's capacity, as its owner last set it.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }
}

#[cfg(feature = "std")]
impl<T> Env<T> for PartEnv<T> {
    type Counter = OwnedCounter;

    #[inline]
    fn hooks(&self) -> &Hooks<T> {
        &self.shared.hooks
    }

    #[inline]
    fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    fn set_closed(&self) {
        self.shared.set_closed();
    }

    fn capacity_changed(&self, capacity: usize) {
        self.capacity.store(capacity, Ordering::Relaxed);
    }
}

/// One single-threaded pool engine.
///
/// It is `!Sync` (the slab is in an `UnsafeCell`), so every method runs on one thread at a
/// time (a `ThreadLocalPool` part, which is `Sync` to let other threads read its counters, is
/// only used by its own thread: see `PerThread`). The slab is only borrowed inside `with_slab`, whose closures never run user code, so
/// a factory, reset or `Drop` impl that uses the pool again finds it consistent.
pub(crate) struct LocalCore<T, E: Env<T>> {
    slab: UnsafeCell<Slab<T>>,
    pub(crate) stats: Counters<E::Counter>,
    pub(crate) env: E,
}

impl<T, E: Env<T>> LocalCore<T, E> {
    /// Reserves the slots and, with `preallocate`, builds every object.
    ///
    /// # Panics
    ///
    /// Propagates a panic of the factory while preallocating (objects built so far are
    /// dropped).
    pub(crate) fn new(config: Config, env: E) -> Result<Self, BuildError> {
        let slab = Slab::new(config).ok_or(BuildError::CapacityTooLarge {
            capacity: config.capacity,
        })?;
        let core = Self {
            slab: UnsafeCell::new(slab),
            stats: Counters::default(),
            env,
        };
        core.env.capacity_changed(config.capacity);
        if config.preallocate {
            for _ in 0..config.capacity {
                let Some(EmptySlot::Found(slot)) = core.with_slab(Slab::take_empty) else {
                    unreachable!("a new slab has `capacity` fresh slots");
                };
                slot.construct(&core);
                core.stats.created.add(1);
                core.stats.prebuilt.add(1);
                core.with_slab(|slab| slab.push_idle(slot));
            }
            // Built with the pool: idle since then, for `trim_unused`.
            core.with_slab(Slab::restart_period);
        }
        Ok(core)
    }

    /// Runs `f` on the slab. `f` must not run user code (factory, reset, `Drop` of `T`).
    #[inline]
    fn with_slab<R>(&self, f: impl FnOnce(&mut Slab<T>) -> R) -> R {
        // SAFETY: for a `FixedPool` or `GrowingPool` the core is `!Sync`, so only this thread
        // reaches the slab; a `ThreadLocalPool` part is only used by the thread that owns it
        // (a guard that comes back after its thread started exiting does not touch it: see
        // `PerThread::release`). The closures passed here never call back into the pool, so
        // this is the only borrow.
        f(unsafe { &mut *self.slab.get() })
    }

    /// Lends an object: an idle one if any, else a new one.
    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn allocate(&self) -> Result<Slot<T>, PoolError> {
        if self.env.is_closed() {
            return Err(self.closed());
        }
        self.allocate_open()
    }

    /// [`allocate`](Self::allocate) for a caller that checked the pool is open by other
    /// means (a `ThreadLocalPool` part's attention byte).
    #[inline]
    #[cfg_attr(feature = "sanitizer", track_caller)]
    pub(crate) fn allocate_open(&self) -> Result<Slot<T>, PoolError> {
        let slot = if let Some(slot) = self.with_slab(Slab::pop_idle) {
            self.stats.on_allocate();
            slot
        } else {
            self.allocate_new()?
        };
        self.env.hooks().lend(slot);
        Ok(slot)
    }

    /// A closed pool drops what it still holds (this thread's part of a `ThreadLocalPool` may
    /// learn of the closing only now).
    #[cold]
    fn closed(&self) -> PoolError {
        self.drop_idle();
        PoolError::Closed
    }

    #[cold]
    fn allocate_new(&self) -> Result<Slot<T>, PoolError> {
        let slot = match self.with_slab(Slab::take_empty) {
            Some(EmptySlot::Found(slot)) => slot,
            Some(EmptySlot::Grown(slot)) => {
                self.stats.growths.add(1);
                self.env.capacity_changed(self.capacity());
                slot
            }
            None => {
                self.stats.exhausted.add(1);
                return Err(PoolError::Exhausted {
                    capacity: self.capacity(),
                });
            }
        };
        slot.construct(self);
        self.stats.created.add(1);
        self.stats.on_allocate();
        Ok(slot)
    }

    /// Takes back a lent object: resets it and makes it idle, or drops it if the pool is
    /// closed, the object is not reusable, or the reset panics (then the panic continues).
    ///
    /// Only the common case is here, small enough to be inlined into a guard's drop; the rest
    /// is in cold functions.
    ///
    /// # Safety
    ///
    /// `slot` must have been returned by `allocate` on this core and not released or detached
    /// since; the caller gives up all access to it.
    #[inline]
    pub(crate) unsafe fn release(&self, slot: Slot<T>) {
        if self.env.is_closed() {
            // SAFETY: forwarded from the caller.
            unsafe { self.release_closed(slot) };
        } else {
            // SAFETY: forwarded from the caller; the pool is open.
            unsafe { self.release_open(slot, || self.env.is_closed()) };
        }
    }

    /// [`release`](Self::release) once the pool is known to be open. `closed` says whether
    /// it was closed meanwhile, by the reset itself: the object is then dropped, not kept.
    ///
    /// With `std` the reset catches its own panic (see `Resetter`). Without `std` it cannot:
    /// the panic unwinds from here, and a drop guard discards the object on the way (drops it
    /// and lists its slot as vacant, counted as discarded), so no slot is lost. If the
    /// object's `Drop` panics too, that second panic during unwinding aborts the program (with
    /// `std` it would propagate instead, the slot vacant all the same).
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    #[inline]
    #[cfg_attr(not(feature = "std"), allow(unused_mut))]
    pub(crate) unsafe fn release_open(&self, mut slot: Slot<T>, closed: impl FnOnce() -> bool) {
        self.env.hooks().give_back(slot);
        self.stats.on_release();
        #[cfg(feature = "std")]
        // SAFETY: the slot holds a constructed object that the caller no longer uses, and no
        // other reference to it exists (it is listed nowhere while lent).
        let reset = (self.env.hooks().reset)(unsafe { slot.as_mut() });
        #[cfg(not(feature = "std"))]
        // SAFETY: as above; the slot is listed nowhere, as `discard_on_unwind` requires.
        let reset =
            unsafe { slot.discard_on_unwind(self, |object| (self.env.hooks().reset)(object)) };
        // One branch and one cold call for both rare outcomes keep the release small enough
        // to be inlined into the guard's drop (two calls cost it its inlining).
        if reset.is_err() | closed() {
            // SAFETY: as above: the object is lent to no one and listed nowhere.
            unsafe { self.reset_failed_or_closed(slot, reset) };
        } else {
            self.with_slab(|slab| slab.push_idle(slot));
        }
    }

    /// After the reset of the object in `slot`: the object was refused (the reset or the
    /// `reusable` check panicked, or it is not reusable), or the reset closed the pool. Either
    /// way the object is dropped, not kept, and a panic is resumed.
    ///
    /// # Safety
    ///
    /// As for [`Slot::discard`].
    #[cold]
    #[inline(never)]
    unsafe fn reset_failed_or_closed(&self, slot: Slot<T>, reset: Result<(), Refusal>) {
        // SAFETY: guaranteed by the caller.
        unsafe { slot.discard(self) };
        // (Without `std` a refusal is never a panic: see `release_open`.)
        #[cfg(feature = "std")]
        if let Some(panic) = reset.err().and_then(panic_of) {
            std::panic::resume_unwind(panic);
        }
        #[cfg(not(feature = "std"))]
        drop(reset);
    }

    /// The release of an object into a closed pool: it is dropped.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    #[cold]
    #[inline(never)]
    unsafe fn release_closed(&self, slot: Slot<T>) {
        self.env.hooks().give_back(slot);
        self.stats.on_release();
        // SAFETY: the caller hands over a lent, constructed object.
        unsafe { slot.discard(self) };
    }

    /// Moves a lent object out of the pool for good; its slot becomes vacant.
    ///
    /// # Safety
    ///
    /// As for [`release`](Self::release).
    pub(crate) unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: the slot holds a constructed object handed over by the caller; after the read
        // the slot is treated as empty.
        let value = unsafe { slot.take() };
        self.env.hooks().give_back(slot);
        self.with_slab(|slab| slab.push_vacant(slot));
        self.stats.on_detach();
        value
    }

    /// Takes back the empty slot of a lent object that was dropped (a discarded release) or, with
    /// `detached`, moved out, elsewhere (see `PerThread::release`).
    #[cfg(feature = "std")]
    pub(crate) fn take_back_empty(&self, slot: Slot<T>, detached: bool) {
        if detached {
            self.stats.on_detach();
        } else {
            self.stats.on_release();
            self.stats.discarded.add(1);
        }
        self.with_slab(|slab| slab.push_vacant(slot));
    }

    /// Marks the pool closed and drops every idle object.
    pub(crate) fn close(&self) {
        self.env.set_closed();
        self.drop_idle();
        self.env.hooks().check_closed();
    }

    /// Drops every idle object (counted as discarded).
    pub(crate) fn drop_idle(&self) {
        let taken = self.with_slab(Slab::take_all_idle);
        // SAFETY: the slots were idle: each holds an object nothing refers to, and they were
        // taken off the idle list.
        unsafe { discard_all(self, taken, Gone::Discarded) };
    }

    /// Drops idle objects until at most `keep` are idle, then gives back the chunks left
    /// empty; returns how many objects it dropped.
    pub(crate) fn trim(&self, keep: usize) -> usize {
        let taken = self.with_slab(|slab| slab.take_idle_over(keep));
        // SAFETY: taken off the idle list: each holds an object nothing refers to.
        unsafe { self.drop_trimmed(taken) }
    }

    /// Drops the idle objects that no allocation needed since the last call (or since the
    /// pool was built), then gives back the chunks left empty; returns how many.
    pub(crate) fn trim_unused(&self) -> usize {
        let taken = self.with_slab(Slab::take_unused);
        // SAFETY: taken off the idle list: each holds an object nothing refers to.
        unsafe { self.drop_trimmed(taken) }
    }

    /// # Safety
    ///
    /// Every slot in `taken` holds an object that nothing refers to and is listed nowhere.
    unsafe fn drop_trimmed(&self, taken: Vec<Slot<T>>) -> usize {
        let count = taken.len();
        if count > 0 {
            // SAFETY: guaranteed by the caller.
            unsafe { discard_all(self, taken, Gone::Trimmed) };
            self.with_slab(Slab::shrink);
            self.env.capacity_changed(self.capacity());
        }
        count
    }

    pub(crate) fn capacity(&self) -> usize {
        self.with_slab(|slab| slab.capacity())
    }

    pub(crate) fn idle(&self) -> usize {
        self.with_slab(|slab| slab.idle())
    }

    pub(crate) fn available(&self) -> usize {
        self.with_slab(|slab| slab.available())
    }

    pub(crate) fn in_use(&self) -> usize {
        self.stats.in_use() as usize
    }

    pub(crate) fn max_capacity(&self) -> usize {
        self.with_slab(|slab| slab.config().max_capacity)
    }

    /// A snapshot of this core's counters and sizes.
    pub(crate) fn stats(&self) -> PoolStats {
        let mut stats = PoolStats {
            capacity: self.capacity(),
            idle: self.idle(),
            ..PoolStats::default()
        };
        self.stats.add_to(&mut stats);
        stats
    }
}

// What a named `FixedPool` or `GrowingPool` keeps: with `std`, its place in the registry
// (which has the name); without, only the name, as there is no registry to list it in.
#[cfg(feature = "std")]
pub(crate) use crate::registry::Registration as Named;

/// The name of a `FixedPool` or `GrowingPool` without `std`, where there is no registry to
/// list it in (with `std` this is the pool's `Registration`). Boxed, as the registration is,
/// so that an unnamed pool's `Option<Named>` is one word.
#[cfg(not(feature = "std"))]
#[derive(Debug)]
pub(crate) struct Named(alloc::boxed::Box<Cow<'static, str>>);

#[cfg(not(feature = "std"))]
impl Named {
    pub(crate) fn name(&self) -> &str {
        &self.0
    }
}

impl<T> LocalCore<T, SingleEnv<T>> {
    /// Lists the pool of `core` in the registry under `name`; it leaves when the registration
    /// drops, which the pool must do before it drops `core`.
    #[cfg(feature = "std")]
    pub(crate) fn register(core: &Anchored<Self>, name: Cow<'static, str>) -> Named {
        let view = SingleView {
            counters: &core.stats,
            capacity: &core.env.capacity,
        };
        // SAFETY: the view reads the counters and the capacity, atomics, at their place on the
        // heap (an `Anchored`, which a move of the pool does not disturb and which the pool
        // frees only after dropping the registration).
        unsafe { registry::register(name, view) }
    }

    /// Without `std` there is no registry: only keeps the name.
    #[cfg(not(feature = "std"))]
    pub(crate) fn register(_core: &Anchored<Self>, name: Cow<'static, str>) -> Named {
        Named(alloc::boxed::Box::new(name))
    }
}

/// What the registry reads of a `FixedPool` or `GrowingPool`: its counters and its capacity,
/// atomics that the owner writes with relaxed stores. Never the slab, which only the thread
/// that has the pool may touch.
#[cfg(feature = "std")]
struct SingleView {
    counters: *const Counters<OwnedCounter>,
    capacity: *const AtomicU32,
}

#[cfg(feature = "std")]
impl View for SingleView {
    unsafe fn stats(&self) -> PoolStats {
        // SAFETY: the pool is alive (the caller's promise), and the two atomics stay where
        // they were when the view was made (see `register`).
        let (counters, capacity) = unsafe { (&*self.counters, &*self.capacity) };
        let mut stats = PoolStats {
            capacity: capacity.load(Ordering::Relaxed) as usize,
            ..PoolStats::default()
        };
        counters.add_to(&mut stats);
        stats.derive_idle();
        stats
    }
}

impl<T, E: Env<T>> Owner<T> for LocalCore<T, E> {
    fn build(&self) -> T {
        (self.env.hooks().factory)()
    }

    fn vacate(&self, slot: Slot<T>, gone: Gone) {
        match gone {
            Gone::Unbuilt => {}
            Gone::Discarded => self.stats.discarded.add(1),
            Gone::Trimmed => self.stats.trimmed.add(1),
        }
        self.with_slab(|slab| slab.push_vacant(slot));
    }

    fn requeue(&self, rest: &mut dyn Iterator<Item = Slot<T>>) {
        self.with_slab(|slab| rest.for_each(|slot| slab.push_idle(slot)));
    }
}

/// What a [`Pooled`](crate::Pooled) guard of a `FixedPool` or `GrowingPool` holds: the engine.
pub struct LocalHome<'a, T>(&'a LocalCore<T, SingleEnv<T>>);

impl<'a, T> LocalHome<'a, T> {
    pub(crate) fn new(core: &'a LocalCore<T, SingleEnv<T>>) -> Self {
        Self(core)
    }
}

// SAFETY: through `&LocalHome` nothing can be done (the guard's release needs the guard), so
// sharing one between threads is harmless. It is not `Send`: the engine is single-threaded.
unsafe impl<T> Sync for LocalHome<'_, T> {}

impl<'a, T: 'a> GuardKind<'a, T> for kind::Local {
    type Home = LocalHome<'a, T>;
    const NAME: &'static str = "Pooled";
}

impl<T> Home<T> for LocalHome<'_, T> {
    #[inline]
    unsafe fn release(&self, slot: Slot<T>) {
        // SAFETY: forwarded from the caller (the guard's one release).
        unsafe { self.0.release(slot) };
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.detach(slot) }
    }
}
