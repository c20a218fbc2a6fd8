//! [`StaticPool`]: `N` objects inline, no heap ever, lock-free across threads; the pool of
//! `no_std` targets (firmware, audio callbacks, control loops).
//!
//! # The free lists
//!
//! Every slot that is not lent is on one of two free lists (Treiber stacks): the *idle* list
//! of slots that hold a reset object, and the *vacant* list of slots whose object went away
//! (detached, refused, dropped by `trim` or `close`, or never built because the factory
//! panicked). Each slot's 4-byte link names the slot below it on its list. Slots never used
//! yet are on neither: they are the ones at and past `fresh`, taken in order once both lists
//! run dry, so that the pool builds objects on first use (a `static` needs no run-time
//! initialisation). An allocation takes from the idle list first, so an idle object is always
//! reused before the factory runs.
//!
//! A list's head word packs, from the low bits up: the top slot's index (`N` for none), the
//! list's length, a `CLOSED` bit (used on the idle list), and a tag that every pop increments.
//! A pop reads the top slot's link, then swaps the head for the link's slot with one
//! compare-and-swap; the tag makes that swap fail if the head went away and came back
//! meanwhile (the ABA problem: thread A reads top `x` and below it `y`; B pops `x` and `y`,
//! and pushes `z` and then `x`; the list has the same top and length as before, and without
//! the tag, A's swap would put the lent `y` on top). Only pops need to change it: pushes only
//! lengthen the list, so a head that comes back to the same top and length went through a
//! pop. A push writes its slot's link and swaps it in.
//!
//! `close` sets `CLOSED` in the same swap that takes the idle list, and a release pushes its
//! object only with a swap that sees `CLOSED` clear, so no object can be put back after the
//! pool closed (with a separate flag, a release that read it just before `close` could).
//!
//! So a round trip is one compare-and-swap each way, as in heapless's `pool` and embassy's
//! `atomic-pool`, and the statistics cost nothing more on that path: the lengths and the tags
//! (the numbers of pops) in the heads, with `fresh`, give the in-use, idle and allocation
//! counts; the rare events (a first use, a detach, a refusal, exhaustion) count themselves.
//!
//! On targets without compare-and-swap (`thumbv6m-none-eabi`) the atomics are
//! `portable-atomic`'s, whose read-modify-writes run inside a `critical-section`.

// `#[inline(always)]` on the round trip's three functions, on purpose: measured, see `allocate`.
#![allow(clippy::inline_always)]

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::error::PoolError;
use crate::guard::{kind, GuardKind, Home, Pooled};
use crate::reset::Reset;
use crate::slab::{Gone, Owner, Slot};
use crate::stats::PoolStats;
use crate::sync::{AtomicU32, AtomicUsize, Ordering};

/// The fewest bits of tag the head keeps: an ABA failure needs one thread to stall between
/// reading the head and swapping it while others pop exactly a multiple of `2^12` times and
/// leave the same slot on top with the same length.
const MIN_TAG_BITS: u32 = 12;

/// `const fn` in the real build; under loom the atomics are built at run time (loom's
/// objects belong to one model run), so the constructors are plain functions there.
macro_rules! const_unless_loom {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$attr])*
        $vis const fn $($rest)*

        #[cfg(loom)]
        $(#[$attr])*
        $vis fn $($rest)*
    };
}

/// A pool of `N` objects stored inline: no heap, ever. Built by a `const fn`, so it can be a
/// `static`; objects are built on first use (by `Default`, or the factory given to
/// [`with_factory`](Self::with_factory)) and reset on release, like every pool's.
///
/// Shared between threads and interrupt handlers without a lock: `allocate` and the guard's
/// release are each one compare-and-swap on a free list (ABA-safe: a tag beside the index;
/// see the module source). On targets without compare-and-swap they go through a
/// `critical-section`. It is `Sync` when `T` is `Send`, and its guard,
/// [`StaticPooled`](crate::StaticPooled), may be dropped on another thread than the one that
/// took it.
///
/// Bookkeeping: 4 bytes per object (a link) and 16 words. `N` must be at least 1, and the
/// head word of each free list must keep at least 12 bits of tag beside two indices and a bit:
/// `N` up to 511 on 32-bit targets, 33 million on 64-bit ones. Both are checked when the pool
/// is built (a `static` that breaks them does not compile).
///
/// Objects are reused most recently returned first; a slot whose object went away (detached,
/// refused, trimmed) is built into again only when no idle object is left.
///
/// Available without any cargo feature (`#![no_std]`); `#[pooled(capacity = N, heapless)]`
/// makes one for a type.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{PoolError, StaticPool};
///
/// #[derive(Debug, Default)]
/// struct Packet {
///     len: usize,
///     bytes: [u8; 32],
/// }
///
/// impl fastalloc_core::Reset for Packet {
///     fn reset(&mut self) {
///         self.len = 0; // the bytes past `len` are never read
///     }
/// }
///
/// static PACKETS: StaticPool<Packet, 4> = StaticPool::new();
///
/// let mut packet = PACKETS.allocate()?;
/// packet.bytes[..5].copy_from_slice(b"hello");
/// packet.len = 5;
/// drop(packet); // reset and back on the free list
///
/// let all: Vec<_> = (0..4).map(|_| PACKETS.allocate().unwrap()).collect();
/// assert_eq!(PACKETS.allocate().unwrap_err(), PoolError::Exhausted { capacity: 4 });
/// assert_eq!(PACKETS.stats().in_use, 4);
/// # drop(all);
/// # Ok::<(), PoolError>(())
/// ```
pub struct StaticPool<T, const N: usize> {
    /// The slots holding a reset object, and the `CLOSED` bit.
    idle: List,
    /// The slots without an object.
    vacant: List,
    /// Slots `fresh..N` were never used.
    fresh: AtomicUsize,
    /// Objects built, factory panics, `Exhausted` errors, detaches, discards and trims.
    created: AtomicUsize,
    unbuilt: AtomicUsize,
    exhausted: AtomicUsize,
    detached: AtomicUsize,
    discarded: AtomicUsize,
    trimmed: AtomicUsize,
    /// Pops that were not allocations (`close` and `trim` taking the whole idle list).
    drained: AtomicUsize,
    factory: fn() -> T,
    reset: ResetHook<T>,
    retain_if: Option<fn(&T) -> bool>,
    /// Per slot: the index of the slot below it on its free list.
    links: [AtomicU32; N],
    /// The objects. A slot is reached only by the thread that popped it off a free list (or
    /// took it fresh), until it is pushed back.
    slots: UnsafeCell<MaybeUninit<[T; N]>>,
}

/// One free list: its head word (see the module documentation) and the times its tag wrapped
/// around to 0 (so that `stats().allocations` keeps counting).
struct List {
    head: AtomicUsize,
    epochs: AtomicUsize,
}

// SAFETY: the pool hands each object to one thread at a time (a guard owns it until it is
// pushed back), so sharing the pool moves `T`s between threads and never shares one: as for
// `Mutex<T>`, `T: Send` is enough. Every other field is an atomic or a function pointer.
unsafe impl<T: Send, const N: usize> Sync for StaticPool<T, N> {}

/// How a returned object is reset: one call through a function pointer either way (a
/// pointer each to `reset` and `reusable` cost two).
enum ResetHook<T> {
    /// [`Reset::reset`] then [`Reset::reusable`] (`reset_and_ask::<T>`).
    Checked(fn(&mut T) -> bool),
    /// The function given to `with_hooks`; every object is kept.
    Plain(fn(&mut T)),
}

/// `Reset::reset` then `Reset::reusable`, as the function pointer a `const fn` can store.
fn reset_and_ask<T: Reset>(object: &mut T) -> bool {
    object.reset();
    object.reusable()
}

/// The bits of a head word, for a pool of `n` objects.
struct Layout {
    /// Bits of one index or length (both go up to `n`).
    index_bits: u32,
    /// Where the tag starts (above the `CLOSED` bit).
    tag_shift: u32,
}

impl Layout {
    const fn of(n: usize) -> Self {
        let index_bits = usize::BITS - n.leading_zeros();
        Self {
            index_bits,
            tag_shift: 2 * index_bits + 1,
        }
    }
}

impl<T, const N: usize> StaticPool<T, N> {
    const LAYOUT: Layout = Layout::of(N);
    /// The checks of `N`, evaluated wherever a pool is built (so a bad `static` does not
    /// compile).
    const CHECK: () = {
        assert!(
            N > 0,
            "a StaticPool needs room for at least one object (N = 0)"
        );
        assert!(
            Self::LAYOUT.tag_shift + MIN_TAG_BITS <= usize::BITS && N <= u32::MAX as usize,
            "StaticPool: N is too large for this target: a free list's head word must keep \
             two indices, a bit and at least 12 bits of tag (N <= 511 on 32-bit targets)"
        );
    };
    const INDEX_MASK: usize = (1 << Self::LAYOUT.index_bits) - 1;
    const NONE: usize = N;
    /// The idle list's head has it once the pool is closed.
    const CLOSED: usize = 1 << (2 * Self::LAYOUT.index_bits);
    /// The bits below the tag.
    const BELOW_TAG: usize = (1 << Self::LAYOUT.tag_shift) - 1;

    const_unless_loom! {
        /// An empty pool whose objects are built by `T::default()` and reset by
        /// [`Reset`], which also decides with [`reusable`](Reset::reusable) whether an object
        /// is kept.
        pub fn new() -> Self
        where
            T: Default + Reset,
        {
            Self::from_parts(T::default, ResetHook::Checked(reset_and_ask::<T>))
        }
    }

    const_unless_loom! {
        /// An empty pool whose objects are built by `factory` and reset by [`Reset`].
        ///
        /// # Examples
        ///
        /// ```
        /// use fastalloc_core::StaticPool;
        ///
        /// fn frame() -> [u8; 64] {
        ///     [0xff; 64]
        /// }
        ///
        /// static FRAMES: StaticPool<[u8; 64], 8> = StaticPool::with_factory(frame);
        /// assert_eq!(FRAMES.allocate().unwrap()[0], 0xff); // built by the factory
        /// ```
        pub fn with_factory(factory: fn() -> T) -> Self
        where
            T: Reset,
        {
            Self::from_parts(factory, ResetHook::Checked(reset_and_ask::<T>))
        }
    }

    const_unless_loom! {
        /// An empty pool whose objects are built by `factory` and reset by `reset`, for a type
        /// without [`Reset`] (or to reset it another way). Every object is kept unless
        /// [`retain_if`](Self::retain_if) says otherwise.
        pub fn with_hooks(factory: fn() -> T, reset: fn(&mut T)) -> Self {
            Self::from_parts(factory, ResetHook::Plain(reset))
        }
    }

    const_unless_loom! {
        /// Keeps a released object only if `keep` returns `true` for it (after the reset, and
        /// after [`Reset::reusable`] said yes); otherwise the pool drops it, counts it in
        /// `stats().discarded`, and builds a new one when the slot is next needed. A second
        /// call replaces the first.
        pub fn retain_if(mut self, keep: fn(&T) -> bool) -> Self {
            self.retain_if = Some(keep);
            self
        }
    }

    const_unless_loom! {
        fn from_parts(factory: fn() -> T, reset: ResetHook<T>) -> Self {
            let () = Self::CHECK;
            Self {
                idle: List::new(Self::NONE),
                vacant: List::new(Self::NONE),
                fresh: AtomicUsize::new(0),
                created: AtomicUsize::new(0),
                unbuilt: AtomicUsize::new(0),
                exhausted: AtomicUsize::new(0),
                detached: AtomicUsize::new(0),
                discarded: AtomicUsize::new(0),
                trimmed: AtomicUsize::new(0),
                drained: AtomicUsize::new(0),
                factory,
                reset,
                retain_if: None,
                links: new_links(),
                slots: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }
    }

    /// Lends an object: the most recently returned idle one if any, else a new one built by
    /// the factory in a vacant slot or one never used before.
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when all `N` objects are lent; [`PoolError::Closed`] after
    /// [`close`](Self::close).
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; the slot it was filling stays usable.
    #[inline(always)]
    pub fn allocate(&self) -> Result<Pooled<'_, T, kind::Static<N>>, PoolError> {
        // Inlined into every caller, so it is kept to the warm case (an idle object on top of
        // the idle list) and the rest is a call. Left to LLVM, `allocate` and the guard's drop
        // were calls in a plain loop, with the `Result` returned through memory: 20.7 ns a
        // round trip instead of 8.4 (`benches/static_pool.rs`, docs/performance.md). A closed
        // pool's idle list is empty, so the closed check is on the slow path.
        let head = self.idle.head.load(Ordering::Acquire);
        if let Some(step) = self.pop_step(head) {
            if let Some(index) = self.finish_pop(&self.idle, head, step) {
                return Ok(Pooled::new(self.slot(index), self));
            }
        }
        self.allocate_slow()
    }

    /// `allocate` with no idle object: build one into a vacant slot or a fresh one, or report
    /// a closed or exhausted pool.
    #[cold]
    #[inline(never)]
    fn allocate_slow(&self) -> Result<Pooled<'_, T, kind::Static<N>>, PoolError> {
        if self.is_closed() {
            return Err(PoolError::Closed);
        }
        // An object released meanwhile is still better than a new one.
        if let Some(index) = self.pop(&self.idle) {
            return Ok(Pooled::new(self.slot(index), self));
        }
        let Some(index) = self.pop(&self.vacant).or_else(|| self.take_fresh()) else {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Exhausted { capacity: N });
        };
        let slot = self.slot(index);
        slot.construct(self);
        self.created.fetch_add(1, Ordering::Relaxed);
        Ok(Pooled::new(slot, self))
    }

    /// How many objects the pool holds at most: `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Stops lending: `allocate` fails with [`PoolError::Closed`] from now on, idle objects
    /// are dropped now (counted as discarded), and lent ones when their guards are dropped.
    /// Closing twice does nothing more.
    ///
    /// If an object's `Drop` panics, the objects not dropped yet stay idle and the panic goes
    /// on (they are dropped with the pool, if it is ever dropped).
    pub fn close(&self) {
        self.discard_idle(0, Gone::Discarded, true);
    }

    /// Drops idle objects until at most `keep_idle` are idle, and returns how many it dropped
    /// (counted in `stats().trimmed`); their slots are filled by the factory when next needed.
    /// It keeps the most recently used ones, in their order. For objects that hold resources
    /// of their own (a file, a buffer on a heap): the pool's own memory is inline and stays.
    ///
    /// While it runs, the idle list is in its hands: an allocation on another thread meanwhile
    /// builds a new object in a vacant slot, or reports `Exhausted` if there is none (so do
    /// not trim a pool that a real-time path relies on while it is in use). A `Drop` that
    /// panics stops the trim: the objects not reached stay idle, and the panic goes on.
    pub fn trim(&self, keep_idle: usize) -> usize {
        self.discard_idle(keep_idle, Gone::Trimmed, false)
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.idle.head.load(Ordering::Relaxed) & Self::CLOSED != 0
    }

    /// Objects lent and not yet returned.
    pub fn in_use(&self) -> usize {
        self.stats().in_use
    }

    /// Constructed objects waiting to be lent.
    pub fn idle(&self) -> usize {
        self.stats().idle
    }

    /// How many more allocations succeed before the pool reports exhaustion: `N - in_use()`.
    pub fn available(&self) -> usize {
        N - self.in_use()
    }

    /// The pool's figures (see [`PoolStats`]). Exact when no other thread is using the pool;
    /// while others are, each figure is one they had a moment ago. `peak_in_use` is the
    /// number of slots ever used: exact on one thread, an upper bound when threads race
    /// (two may take a new slot at once while a third returns one).
    pub fn stats(&self) -> PoolStats {
        let layout = Self::LAYOUT;
        let tag_bits = usize::BITS - layout.tag_shift;
        let (idle_head, vacant_head, epochs) = loop {
            let epochs = (
                self.idle.epochs.load(Ordering::Acquire),
                self.vacant.epochs.load(Ordering::Acquire),
            );
            let idle = self.idle.head.load(Ordering::Acquire);
            let vacant = self.vacant.head.load(Ordering::Acquire);
            if (
                self.idle.epochs.load(Ordering::Acquire),
                self.vacant.epochs.load(Ordering::Acquire),
            ) == epochs
            {
                break (idle, vacant, epochs);
            }
        };
        let pops = |head: usize, epochs: usize| {
            ((epochs as u64) << tag_bits) | (head >> layout.tag_shift) as u64
        };
        let idle = (idle_head >> layout.index_bits) & Self::INDEX_MASK;
        let vacant = (vacant_head >> layout.index_bits) & Self::INDEX_MASK;
        let fresh = self.fresh.load(Ordering::Relaxed);
        let created = self.created.load(Ordering::Relaxed) as u64;
        let unbuilt = self.unbuilt.load(Ordering::Relaxed) as u64;
        let drained = self.drained.load(Ordering::Relaxed) as u64;
        let detached = self.detached.load(Ordering::Relaxed) as u64;
        let in_use = fresh.saturating_sub(idle + vacant);
        let allocations = (pops(idle_head, epochs.0) + pops(vacant_head, epochs.1) + fresh as u64)
            .saturating_sub(unbuilt + drained);
        let returns = allocations.saturating_sub(in_use as u64);
        let mut stats = PoolStats {
            capacity: N,
            in_use,
            idle,
            peak_in_use: fresh,
            allocations,
            releases: returns.saturating_sub(detached),
            created,
            reused: allocations.saturating_sub(created),
            exhausted: self.exhausted.load(Ordering::Relaxed) as u64,
            detached,
            discarded: self.discarded.load(Ordering::Relaxed) as u64,
            ..PoolStats::default()
        };
        stats.trimmed = self.trimmed.load(Ordering::Relaxed) as u64;
        stats
    }

    /// The slot numbered `index`.
    #[inline]
    fn slot(&self, index: usize) -> Slot<T> {
        debug_assert!(index < N);
        let base = self.slots.get().cast::<T>();
        // SAFETY: `index < N` (it came off a free list or from `fresh`, all below `N`), so
        // the pointer stays inside the array; it is derived from the `UnsafeCell`, so writing
        // through it is allowed, and it is never null.
        unsafe { Slot::new(NonNull::new_unchecked(base.add(index)), index as u32) }
    }

    /// Pops the top slot of `list`.
    #[inline]
    fn pop(&self, list: &List) -> Option<usize> {
        let head = list.head.load(Ordering::Acquire);
        let step = self.pop_step(head)?;
        self.finish_pop(list, head, step)
    }

    /// The first half of a pop from `head`: the top slot and the head word that replaces
    /// `head` (`None` if the list is empty).
    #[inline]
    pub(crate) fn pop_step(&self, head: usize) -> Option<(usize, usize)> {
        let layout = Self::LAYOUT;
        let top = head & Self::INDEX_MASK;
        if top == Self::NONE {
            return None;
        }
        // Read before the swap: if the slot was popped and pushed again meanwhile, the link
        // may be stale, but then the tag changed and the swap fails.
        let below = self.links[top].load(Ordering::Relaxed) as usize;
        let len = (head >> layout.index_bits) & Self::INDEX_MASK;
        let tag = (head >> layout.tag_shift).wrapping_add(1);
        let new = (tag << layout.tag_shift)
            | (head & Self::CLOSED)
            | ((len - 1) << layout.index_bits)
            | below;
        Some((top, new))
    }

    /// The second half of a pop: swaps `head` for the word `step` computed from it, or, if the
    /// head changed meanwhile, starts again from the new one. (The loom model of the ABA case
    /// lets another thread change the list between the two halves.)
    #[inline]
    fn finish_pop(&self, list: &List, mut head: usize, mut step: (usize, usize)) -> Option<usize> {
        loop {
            let (top, new) = step;
            match list
                .head
                .compare_exchange(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    if new >> Self::LAYOUT.tag_shift == 0 {
                        list.epochs.fetch_add(1, Ordering::Release);
                    }
                    return Some(top);
                }
                Err(now) => {
                    head = now;
                    step = self.pop_step(head)?;
                }
            }
        }
    }

    /// [`finish_pop`](Self::finish_pop) on the idle list, for the loom model.
    #[cfg(all(test, loom))]
    pub(crate) fn finish_idle_pop(&self, head: usize, step: (usize, usize)) -> Option<usize> {
        self.finish_pop(&self.idle, head, step)
    }

    /// The idle list's head word now (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn head_word(&self) -> usize {
        self.idle.head.load(Ordering::Acquire)
    }

    /// The slot number of a lent object (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn index_of(&self, object: &T) -> usize {
        let base = self.slots.get().cast::<T>().cast_const();
        // SAFETY: `object` is one of the pool's objects, inside its array.
        unsafe { core::ptr::from_ref(object).offset_from(base) }.unsigned_abs()
    }

    /// Pushes the chain of `count` slots from `first` to `bottom` (already linked to each other)
    /// on `list`, trying first with `head` as its head word. With `unless_closed`, pushes
    /// nothing and returns `false` if the list is closed.
    #[inline(always)]
    fn push_chain(
        &self,
        list: &List,
        mut head: usize,
        (first, bottom, count): (usize, usize, usize),
        unless_closed: bool,
    ) -> bool {
        let layout = Self::LAYOUT;
        loop {
            if unless_closed && head & Self::CLOSED != 0 {
                return false;
            }
            self.links[bottom].store((head & Self::INDEX_MASK) as u32, Ordering::Relaxed);
            let len = (head >> layout.index_bits) & Self::INDEX_MASK;
            let new = (head & !Self::BELOW_TAG)
                | (head & Self::CLOSED)
                | ((len + count) << layout.index_bits)
                | first;
            // Release: the objects (reset) and the links are written before the slots are
            // seen.
            match list
                .head
                .compare_exchange(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => head = now,
            }
        }
    }

    /// Pushes a slot without an object on the vacant list.
    fn push_vacant(&self, index: usize) {
        let head = self.vacant.head.load(Ordering::Relaxed);
        self.push_chain(&self.vacant, head, (index, index, 1), false);
    }

    /// Takes a slot never used before, if any is left.
    #[cold]
    fn take_fresh(&self) -> Option<usize> {
        let mut fresh = self.fresh.load(Ordering::Relaxed);
        loop {
            if fresh >= N {
                return None;
            }
            match self.fresh.compare_exchange(
                fresh,
                fresh + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(fresh),
                Err(now) => fresh = now,
            }
        }
    }

    /// Resets a returned object and says whether to keep it.
    #[inline]
    fn reset_and_check(&self, object: &mut T) -> bool {
        let keep = match self.reset {
            ResetHook::Checked(reset) => reset(object),
            ResetHook::Plain(reset) => {
                reset(object);
                true
            }
        };
        keep && self.retain_if.is_none_or(|keep| keep(object))
    }

    /// Drops a returned object the pool does not keep (refused, or the pool is closed).
    ///
    /// # Safety
    ///
    /// The slot holds a constructed object that nothing refers to and that is listed nowhere.
    #[cold]
    #[inline(never)]
    unsafe fn discard(&self, slot: Slot<T>) {
        // SAFETY: guaranteed by the caller.
        unsafe { slot.discard(self) };
    }

    /// Drops the object whose reset panicked, then resumes the panic.
    ///
    /// # Safety
    ///
    /// As for [`discard`](Self::discard).
    #[cfg(feature = "std")]
    #[cold]
    #[inline(never)]
    unsafe fn discard_and_resume(&self, slot: Slot<T>, panic: Box<dyn std::any::Any + Send>) -> ! {
        // SAFETY: guaranteed by the caller.
        unsafe { slot.discard(self) };
        std::panic::resume_unwind(panic);
    }

    /// Takes the whole idle list at once (setting `CLOSED` with `close`), drops every object
    /// on it past the first `keep_idle` (counted as `gone`; their slots go to the vacant
    /// list), and puts the kept ones back on top, in their order. Returns how many it dropped.
    fn discard_idle(&self, keep_idle: usize, gone: Gone, close: bool) -> usize {
        let layout = Self::LAYOUT;
        let mut head = self.idle.head.load(Ordering::Acquire);
        let top = loop {
            let closed = if close {
                Self::CLOSED
            } else {
                head & Self::CLOSED
            };
            if head & Self::INDEX_MASK == Self::NONE && head & Self::CLOSED == closed {
                return 0;
            }
            let tag = (head >> layout.tag_shift).wrapping_add(1);
            match self.idle.head.compare_exchange(
                head,
                (tag << layout.tag_shift) | closed | Self::NONE,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if tag << layout.tag_shift == 0 {
                        self.idle.epochs.fetch_add(1, Ordering::Release);
                    }
                    self.drained.fetch_add(1, Ordering::Relaxed);
                    break head & Self::INDEX_MASK;
                }
                Err(now) => head = now,
            }
        };
        // The chain from `top` is this thread's now: nothing else reaches its links.
        let mut rest = Chain {
            pool: self,
            next: top,
            kept: None,
        };
        let mut dropped = 0;
        while rest.next != Self::NONE {
            let index = rest.next;
            rest.next = self.links[index].load(Ordering::Relaxed) as usize;
            match rest.kept {
                Some((first, last, count)) if count < keep_idle => {
                    self.links[last].store(index as u32, Ordering::Relaxed);
                    rest.kept = Some((first, index, count + 1));
                }
                None if keep_idle > 0 => rest.kept = Some((index, index, 1)),
                _ => {
                    dropped += 1;
                    // SAFETY: an idle slot holds an object that nothing refers to, and it is
                    // listed nowhere now (taken off the list above, its link read).
                    // `discard_as` puts it on the vacant list, also if the `Drop` panics.
                    unsafe { self.slot(index).discard_as(self, gone) };
                }
            }
        }
        dropped
    }
}

/// A new list head (`NONE` on top, empty, open, tag 0).
impl List {
    const_unless_loom! {
        fn new(none: usize) -> Self {
            Self {
                head: AtomicUsize::new(none),
                epochs: AtomicUsize::new(0),
            }
        }
    }
}

/// The links of a new pool (their values do not matter until a slot is pushed).
#[cfg(not(loom))]
const fn new_links<const N: usize>() -> [AtomicU32; N] {
    [const { AtomicU32::new(0) }; N]
}

#[cfg(loom)]
fn new_links<const N: usize>() -> [AtomicU32; N] {
    core::array::from_fn(|_| AtomicU32::new(0))
}

/// What `discard_idle` holds of the idle list it took: the slots not visited yet (from
/// `next`) and the chain of those it keeps. Dropped at the end, or when a `Drop` panics on
/// the way, it puts both back on the idle list, the kept ones on top.
struct Chain<'a, T, const N: usize> {
    pool: &'a StaticPool<T, N>,
    next: usize,
    /// The first and last slot kept, and how many.
    kept: Option<(usize, usize, usize)>,
}

impl<T, const N: usize> Drop for Chain<'_, T, N> {
    fn drop(&mut self) {
        let pool = self.pool;
        if self.next != N {
            // Only after a panic: the slots not reached go back as they are.
            let (first, mut last, mut count) = (self.next, self.next, 1);
            loop {
                let below = pool.links[last].load(Ordering::Relaxed) as usize;
                if below == N {
                    break;
                }
                last = below;
                count += 1;
            }
            let head = pool.idle.head.load(Ordering::Relaxed);
            pool.push_chain(&pool.idle, head, (first, last, count), false);
        }
        if let Some(kept) = self.kept {
            let head = pool.idle.head.load(Ordering::Relaxed);
            pool.push_chain(&pool.idle, head, kept, false);
        }
    }
}

impl<T, const N: usize> Owner<T> for StaticPool<T, N> {
    fn build(&self) -> T {
        (self.factory)()
    }

    fn vacate(&self, slot: Slot<T>, gone: Gone) {
        match gone {
            Gone::Unbuilt => self.unbuilt.fetch_add(1, Ordering::Relaxed),
            Gone::Discarded => self.discarded.fetch_add(1, Ordering::Relaxed),
            Gone::Trimmed => self.trimmed.fetch_add(1, Ordering::Relaxed),
        };
        self.push_vacant(slot.index() as usize);
    }

    #[cfg(feature = "alloc")]
    fn requeue(&self, rest: &mut dyn Iterator<Item = Slot<T>>) {
        for slot in rest {
            let index = slot.index() as usize;
            let head = self.idle.head.load(Ordering::Relaxed);
            self.push_chain(&self.idle, head, (index, index, 1), false);
        }
    }
}

impl<'a, T: 'a, const N: usize> GuardKind<'a, T> for kind::Static<N> {
    type Home = &'a StaticPool<T, N>;
    const NAME: &'static str = "StaticPooled";
}

impl<T, const N: usize> Home<T> for &StaticPool<T, N> {
    #[inline(always)]
    unsafe fn release(&self, slot: Slot<T>) {
        let pool = *self;
        // Read before the reset, so that the load's latency overlaps the reset instead of
        // sitting between it and the swap (if the list changes meanwhile, the swap fails and
        // the push starts again from the new head).
        let head = pool.idle.head.load(Ordering::Relaxed);
        #[cfg(feature = "std")]
        let keep = {
            // SAFETY: the guard gave up the loan: the slot holds its object and nothing else
            // refers to it.
            let object = unsafe { { slot }.as_mut() };
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.reset_and_check(object)
            })) {
                Ok(keep) => keep,
                // SAFETY: as above; the slot is listed nowhere.
                Err(panic) => unsafe { pool.discard_and_resume(slot, panic) },
            }
        };
        // SAFETY: as above. Without `std` the panic cannot be caught: a guard discards the
        // object if the reset unwinds.
        #[cfg(not(feature = "std"))]
        let keep = unsafe { slot.discard_on_unwind(pool, |object| pool.reset_and_check(object)) };
        let index = slot.index() as usize;
        // The swap that puts the object back sees `CLOSED` clear, or the object is dropped.
        if !(keep && pool.push_chain(&pool.idle, head, (index, index, 1), true)) {
            // SAFETY: as above.
            unsafe { pool.discard(slot) };
        }
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        let pool = *self;
        // SAFETY: the guard gave up the loan; the slot is empty from here on and goes on the
        // vacant list.
        let object = unsafe { slot.take() };
        pool.detached.fetch_add(1, Ordering::Relaxed);
        pool.push_vacant(slot.index() as usize);
        object
    }
}

impl<T, const N: usize> Drop for StaticPool<T, N> {
    fn drop(&mut self) {
        // No guard can be alive (they borrow the pool): every object is on the idle list.
        self.discard_idle(0, Gone::Discarded, false);
    }
}

impl<T, const N: usize> Default for StaticPool<T, N>
where
    T: Default + Reset,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for StaticPool<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stats = self.stats();
        f.debug_struct("StaticPool")
            .field("capacity", &N)
            .field("in_use", &stats.in_use)
            .field("idle", &stats.idle)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Plain(u32);

    impl Reset for Plain {
        fn reset(&mut self) {
            self.0 = 0;
        }
    }

    /// The ABA case, step by step: thread A reads the head (`x` over `y`) and `x`'s link,
    /// then thread B takes `x`, `y` and a fresh `z`, gives back `z` and `x`, and keeps `y`.
    /// The list is `x` over `z`, as long as before, so index and length match A's reading:
    /// only the tag differs, and A's swap, which would have put the lent `y` on top, fails.
    #[test]
    fn the_tag_defeats_aba() {
        let pool: StaticPool<Plain, 4> = StaticPool::new();
        let y = pool.allocate().unwrap();
        let x = pool.allocate().unwrap();
        let base = pool.slots.get().cast::<Plain>().cast_const();
        // SAFETY: both objects live in the pool's array.
        let at = |object: &Plain| unsafe { core::ptr::from_ref(object).offset_from(base) };
        let (x_at, y_at) = (at(&x).unsigned_abs(), at(&y).unsigned_abs());
        drop(y);
        drop(x);

        // A, first half of a pop.
        let head = pool.idle.head.load(Ordering::Acquire);
        let (top, replacement) = pool.pop_step(head).unwrap();
        assert_eq!(top, x_at);
        assert_eq!(replacement & StaticPool::<Plain, 4>::INDEX_MASK, y_at);

        // B.
        let x = pool.allocate().unwrap();
        let y = pool.allocate().unwrap();
        let z = pool.allocate().unwrap();
        drop(z);
        drop(x);
        let now = pool.idle.head.load(Ordering::Acquire);
        let below_tag = (1 << StaticPool::<Plain, 4>::LAYOUT.tag_shift) - 1;
        assert_eq!(now & below_tag, head & below_tag, "same top, same length");
        assert_ne!(now, head, "but another tag");

        // A, second half: refused, so `y` (lent to B) never goes on top.
        assert!(pool
            .idle
            .head
            .compare_exchange(head, replacement, Ordering::Acquire, Ordering::Acquire)
            .is_err());
        drop(y);
        assert_eq!(pool.stats().in_use, 0);
    }

    #[test]
    fn the_head_word_layout() {
        assert_eq!(StaticPool::<u8, 1>::LAYOUT.tag_shift, 3);
        assert_eq!(StaticPool::<u8, 4>::LAYOUT.tag_shift, 7);
        assert_eq!(StaticPool::<u8, 511>::LAYOUT.tag_shift, 19);
        assert_eq!(StaticPool::<u8, 1024>::LAYOUT.tag_shift, 23);
    }

    /// The layout computed at run time too (the pools' constants are computed at compile
    /// time, which coverage does not see).
    #[test]
    fn the_layout_at_run_time() {
        let layout = Layout::of(core::hint::black_box(4));
        assert_eq!((layout.index_bits, layout.tag_shift), (3, 7));
    }

    /// `requeue` (the slot lifecycle's way back for idle objects a batch discard did not
    /// reach) puts a slot back on the idle list.
    #[test]
    #[cfg(feature = "alloc")]
    fn requeue_puts_slots_back_idle() {
        let pool: StaticPool<Plain, 2> = StaticPool::new();
        core::mem::forget(pool.allocate().unwrap());
        assert_eq!(pool.stats().in_use, 1);
        Owner::requeue(&pool, &mut core::iter::once(pool.slot(0)));
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.idle), (0, 1));
        assert_eq!(pool.allocate().unwrap().0, 0, "reused");
    }

    /// The tag wraps around: the epochs keep `allocations` counting.
    #[test]
    fn allocations_count_past_the_tag() {
        let pool: StaticPool<Plain, 1> = StaticPool::new();
        drop(pool.allocate().unwrap());
        // Set the tag to its last value, as if that many pops had happened.
        let tag_shift = StaticPool::<Plain, 1>::LAYOUT.tag_shift;
        let head = pool.idle.head.load(Ordering::Relaxed);
        let last = (usize::MAX >> tag_shift) << tag_shift;
        pool.idle
            .head
            .store(last | (head & ((1 << tag_shift) - 1)), Ordering::Relaxed);
        let before = pool.stats().allocations;
        drop(pool.allocate().unwrap());
        drop(pool.allocate().unwrap());
        assert_eq!(pool.stats().allocations, before + 2);
        assert_eq!(pool.idle.epochs.load(Ordering::Relaxed), 1);
    }
}
