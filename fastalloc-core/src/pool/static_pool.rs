//! [`StaticPool`]: `N` objects inline, no heap ever, lock-free across threads; the pool of
//! `no_std` targets (firmware, audio callbacks, control loops).
//!
//! # The free list
//!
//! Every slot that is not lent is on one free list (a Treiber stack): the head word says which
//! slot is on top, and each slot's 4-byte link says which slot is below it and whether the
//! slot holds an object (*idle*) or not (*vacant*: its object was detached, refused, or never
//! built because the factory panicked). Slots never used yet are not on the list: they are
//! the ones at and past `fresh`, taken in order once the list runs dry, so that the pool
//! builds objects on first use (a `static` needs no run-time initialisation).
//!
//! The head word packs, from the low bits up: the top slot's index (`N` for none), the list's
//! length, and a tag that every pop increments. A pop reads the top slot's link, then swaps
//! the head for the link's slot with one compare-and-swap; the tag makes that swap fail if
//! the head went away and came back meanwhile (the ABA problem: thread A reads top `x` and
//! below it `y`; B pops `x` and `y` and pushes `x` back; without the tag, A's swap would put
//! the lent `y` on top). Only pops need to change it: a head that returns to the same slot
//! after a change always went through a pop of that slot. A push writes its slot's link and
//! swaps it in.
//!
//! So a round trip is one compare-and-swap each way, as in heapless's `pool` and embassy's
//! `atomic-pool`, and the statistics cost nothing more on that path: the length and the tag
//! (the number of pops) in the head, with `fresh`, give the in-use, idle and allocation counts;
//! the rare events (a first use, a detach, a refusal, exhaustion) count themselves.
//!
//! On targets without compare-and-swap (`thumbv6m-none-eabi`) the atomics are
//! `portable-atomic`'s, whose read-modify-writes run inside a `critical-section`.

use core::cell::UnsafeCell;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr::NonNull;

use crate::error::PoolError;
use crate::guard::{kind, GuardKind, Home, Pooled};
use crate::reset::Reset;
use crate::slab::{Gone, Owner, Slot};
use crate::stats::PoolStats;
use crate::sync::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

/// The link bit that marks a vacant slot (the rest is the index of the slot below).
const VACANT: u32 = 1 << 31;

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
/// head word must keep at least 12 bits of tag beside two indices: `N` up to 1,023 on 32-bit
/// targets, 67 million on 64-bit ones. Both are checked when the pool is built (a `static`
/// that breaks them does not compile).
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
    /// The free list's top slot, length and tag (see the module documentation).
    head: AtomicUsize,
    /// Slots `fresh..N` were never used.
    fresh: AtomicUsize,
    /// Times the tag wrapped around to 0 (so `stats().allocations` keeps counting).
    epochs: AtomicUsize,
    /// Vacant slots on the free list.
    vacant: AtomicUsize,
    /// Objects built, factory panics, `Exhausted` errors, detaches and discards.
    created: AtomicUsize,
    unbuilt: AtomicUsize,
    exhausted: AtomicUsize,
    detached: AtomicUsize,
    discarded: AtomicUsize,
    trimmed: AtomicUsize,
    /// Pops that were not allocations (`close` taking the whole list).
    drained: AtomicUsize,
    closed: AtomicBool,
    factory: fn() -> T,
    reset: fn(&mut T),
    reusable: fn(&T) -> bool,
    retain_if: Option<fn(&T) -> bool>,
    /// Per slot: the index of the slot below it on the free list, and `VACANT`.
    links: [AtomicU32; N],
    /// The objects. A slot is reached only by the thread that popped it off the free list (or
    /// took it fresh), until it is pushed back.
    slots: UnsafeCell<MaybeUninit<[T; N]>>,
}

// SAFETY: the pool hands each object to one thread at a time (a guard owns it until it is
// pushed back), so sharing the pool moves `T`s between threads and never shares one: as for
// `Mutex<T>`, `T: Send` is enough. Every other field is an atomic or a function pointer.
unsafe impl<T: Send, const N: usize> Sync for StaticPool<T, N> {}

/// `Reset::reset` and `Reset::reusable`, as the function pointers a `const fn` can store.
fn reset_of<T: Reset>(object: &mut T) {
    object.reset();
}

fn reusable_of<T: Reset>(object: &T) -> bool {
    object.reusable()
}

fn always<T>(_: &T) -> bool {
    true
}

/// The bits of the head word, for a pool of `n` objects.
struct Layout {
    /// Bits of one index or length (both go up to `n`).
    index_bits: u32,
    /// Where the tag starts.
    tag_shift: u32,
}

impl Layout {
    const fn of(n: usize) -> Self {
        let index_bits = usize::BITS - n.leading_zeros();
        Self {
            index_bits,
            tag_shift: 2 * index_bits,
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
            Self::LAYOUT.tag_shift + MIN_TAG_BITS <= usize::BITS && N < VACANT as usize,
            "StaticPool: N is too large for this target: the free list's head word must keep \
             two indices and at least 12 bits of tag (N <= 1023 on 32-bit targets)"
        );
    };
    const INDEX_MASK: usize = (1 << Self::LAYOUT.index_bits) - 1;
    const NONE: usize = N;

    const_unless_loom! {
        /// An empty pool whose objects are built by `T::default()` and reset by
        /// [`Reset`], which also decides with [`reusable`](Reset::reusable) whether an object
        /// is kept.
        pub fn new() -> Self
        where
            T: Default + Reset,
        {
            Self::from_parts(T::default, reset_of::<T>, reusable_of::<T>)
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
            Self::from_parts(factory, reset_of::<T>, reusable_of::<T>)
        }
    }

    const_unless_loom! {
        /// An empty pool whose objects are built by `factory` and reset by `reset`, for a type
        /// without [`Reset`] (or to reset it another way). Every object is kept unless
        /// [`retain_if`](Self::retain_if) says otherwise.
        pub fn with_hooks(factory: fn() -> T, reset: fn(&mut T)) -> Self {
            Self::from_parts(factory, reset, always::<T>)
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
        fn from_parts(factory: fn() -> T, reset: fn(&mut T), reusable: fn(&T) -> bool) -> Self {
            let () = Self::CHECK;
            Self {
                head: AtomicUsize::new(Self::NONE),
                fresh: AtomicUsize::new(0),
                epochs: AtomicUsize::new(0),
                vacant: AtomicUsize::new(0),
                created: AtomicUsize::new(0),
                unbuilt: AtomicUsize::new(0),
                exhausted: AtomicUsize::new(0),
                detached: AtomicUsize::new(0),
                discarded: AtomicUsize::new(0),
                trimmed: AtomicUsize::new(0),
                drained: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
                factory,
                reset,
                reusable,
                retain_if: None,
                links: new_links(),
                slots: UnsafeCell::new(MaybeUninit::uninit()),
            }
        }
    }

    /// Lends an object: the most recently returned idle one if any, else a new one built by
    /// the factory in a slot never used before (or in a vacant one).
    ///
    /// # Errors
    ///
    /// [`PoolError::Exhausted`] when all `N` objects are lent; [`PoolError::Closed`] after
    /// [`close`](Self::close).
    ///
    /// # Panics
    ///
    /// If the factory panics, the panic propagates; the slot it was filling stays usable.
    #[inline]
    pub fn allocate(&self) -> Result<Pooled<'_, T, kind::Static<N>>, PoolError> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(PoolError::Closed);
        }
        let (slot, idle) = if let Some((index, idle)) = self.pop() {
            if !idle {
                self.vacant.fetch_sub(1, Ordering::Relaxed);
            }
            (self.slot(index), idle)
        } else if let Some(index) = self.take_fresh() {
            (self.slot(index), false)
        } else {
            self.exhausted.fetch_add(1, Ordering::Relaxed);
            return Err(PoolError::Exhausted { capacity: N });
        };
        if !idle {
            // Cold: the first use of a slot, or one whose object went away.
            slot.construct(self);
            self.created.fetch_add(1, Ordering::Relaxed);
        }
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
        self.closed.store(true, Ordering::Relaxed);
        self.discard_idle(0, Gone::Discarded);
    }

    /// Drops idle objects until at most `keep_idle` are idle, and returns how many it dropped
    /// (counted in `stats().trimmed`); their slots are filled by the factory when next needed.
    /// It keeps the most recently used ones. For objects that hold resources of their own (a
    /// file, a buffer on a heap): the pool's own memory is inline and stays.
    ///
    /// Exact when no other thread uses the pool meanwhile; objects released while it runs
    /// stay idle. A `Drop` that panics stops the trim: the objects not reached stay idle, and
    /// the panic goes on.
    pub fn trim(&self, keep_idle: usize) -> usize {
        self.discard_idle(keep_idle, Gone::Trimmed)
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

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// The pool's figures (see [`PoolStats`]). Exact when no other thread is using the pool;
    /// while others are, each figure is one they had a moment ago. `peak_in_use` is the
    /// number of slots ever used: exact on one thread, an upper bound when threads race
    /// (two may take a new slot at once while a third returns one).
    pub fn stats(&self) -> PoolStats {
        let layout = Self::LAYOUT;
        let (head, epochs) = loop {
            let epochs = self.epochs.load(Ordering::Acquire);
            let head = self.head.load(Ordering::Acquire);
            if self.epochs.load(Ordering::Acquire) == epochs {
                break (head, epochs);
            }
        };
        let len = (head >> layout.index_bits) & Self::INDEX_MASK;
        let tag_bits = usize::BITS - layout.tag_shift;
        let pops = ((epochs as u64) << tag_bits) | (head >> layout.tag_shift) as u64;
        let fresh = self.fresh.load(Ordering::Relaxed);
        let vacant = self.vacant.load(Ordering::Relaxed).min(len);
        let created = self.created.load(Ordering::Relaxed) as u64;
        let unbuilt = self.unbuilt.load(Ordering::Relaxed) as u64;
        let drained = self.drained.load(Ordering::Relaxed) as u64;
        let detached = self.detached.load(Ordering::Relaxed) as u64;
        let in_use = fresh.saturating_sub(len);
        let allocations = (pops + fresh as u64).saturating_sub(unbuilt + drained);
        let returns = allocations.saturating_sub(in_use as u64);
        let mut stats = PoolStats {
            capacity: N,
            in_use,
            idle: len - vacant,
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
        // SAFETY: `index < N` (it came off the free list or from `fresh`, both below `N`), so
        // the pointer stays inside the array; it is derived from the `UnsafeCell`, so writing
        // through it is allowed, and it is never null.
        unsafe { Slot::new(NonNull::new_unchecked(base.add(index)), index as u32) }
    }

    /// Pops the top slot of the free list: its index and whether it holds an object.
    #[inline]
    fn pop(&self) -> Option<(usize, bool)> {
        let head = self.head.load(Ordering::Acquire);
        let step = self.pop_step(head)?;
        self.finish_pop(head, step)
    }

    /// The second half of a pop: swaps `head` for the word `step` computed from it, or, if the
    /// head changed meanwhile, starts again from the new one. (The loom model of the ABA case
    /// lets another thread change the list between the two halves.)
    #[inline]
    pub(crate) fn finish_pop(
        &self,
        mut head: usize,
        mut step: (usize, u32, usize),
    ) -> Option<(usize, bool)> {
        loop {
            let (top, link, new) = step;
            match self
                .head
                .compare_exchange(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => {
                    if new >> Self::LAYOUT.tag_shift == 0 {
                        self.epochs.fetch_add(1, Ordering::Release);
                    }
                    return Some((top, link & VACANT == 0));
                }
                Err(now) => {
                    head = now;
                    step = self.pop_step(head)?;
                }
            }
        }
    }

    /// The first half of a pop from `head`: the top slot, its link, and the head word that
    /// replaces `head` (`None` if the list is empty).
    #[inline]
    pub(crate) fn pop_step(&self, head: usize) -> Option<(usize, u32, usize)> {
        let layout = Self::LAYOUT;
        let top = head & Self::INDEX_MASK;
        if top == Self::NONE {
            return None;
        }
        // Read before the swap: if the slot was popped and pushed again meanwhile, the link
        // may be stale, but then the tag changed and the swap fails.
        let link = self.links[top].load(Ordering::Relaxed);
        let below = (link & !VACANT) as usize;
        let len = (head >> layout.index_bits) & Self::INDEX_MASK;
        let tag = (head >> layout.tag_shift).wrapping_add(1);
        let new = (tag << layout.tag_shift) | ((len - 1) << layout.index_bits) | below;
        Some((top, link, new))
    }

    /// The head word now (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn head_word(&self) -> usize {
        self.head.load(Ordering::Acquire)
    }

    /// The slot number of a lent object (for the loom models).
    #[cfg(all(test, loom))]
    pub(crate) fn index_of(&self, object: &T) -> usize {
        let base = self.slots.get().cast::<T>().cast_const();
        // SAFETY: `object` is one of the pool's objects, inside its array.
        unsafe { core::ptr::from_ref(object).offset_from(base) }.unsigned_abs()
    }

    /// Pushes slot `index` on the free list, idle (holding an object) or vacant.
    #[inline]
    fn push(&self, index: usize, idle: bool) {
        let layout = Self::LAYOUT;
        let flag = if idle { 0 } else { VACANT };
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            self.links[index].store((head & Self::INDEX_MASK) as u32 | flag, Ordering::Relaxed);
            let len = (head >> layout.index_bits) & Self::INDEX_MASK;
            let tag = head >> layout.tag_shift << layout.tag_shift;
            let new = tag | ((len + 1) << layout.index_bits) | index;
            // Release: the object (reset) and the link are written before the slot is seen.
            match self
                .head
                .compare_exchange(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
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
        (self.reset)(object);
        (self.reusable)(object) && self.retain_if.is_none_or(|keep| keep(object))
    }

    /// Takes the whole free list at once, drops every idle object on it past the first
    /// `keep_idle` (counted as `gone`), and pushes every slot back: the kept ones idle, the
    /// others vacant. Returns how many it dropped.
    fn discard_idle(&self, keep_idle: usize, gone: Gone) -> usize {
        let layout = Self::LAYOUT;
        let mut head = self.head.load(Ordering::Acquire);
        let top = loop {
            let top = head & Self::INDEX_MASK;
            if top == Self::NONE {
                return 0;
            }
            let tag = (head >> layout.tag_shift).wrapping_add(1);
            match self.head.compare_exchange(
                head,
                (tag << layout.tag_shift) | Self::NONE,
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    if tag << layout.tag_shift == 0 {
                        self.epochs.fetch_add(1, Ordering::Release);
                    }
                    self.drained.fetch_add(1, Ordering::Relaxed);
                    break top;
                }
                Err(now) => head = now,
            }
        };
        // The chain from `top` is this thread's now: nothing else reaches its links.
        let mut rest = Chain {
            pool: self,
            next: top,
        };
        let (mut kept, mut dropped) = (0, 0);
        while rest.next != Self::NONE {
            let index = rest.next;
            let link = self.links[index].load(Ordering::Relaxed);
            rest.next = (link & !VACANT) as usize;
            let idle = link & VACANT == 0;
            if idle && kept < keep_idle {
                kept += 1;
                self.push(index, true);
            } else if idle {
                dropped += 1;
                // SAFETY: an idle slot holds an object that nothing refers to, and it is
                // listed nowhere now (taken off the list above, its link read). `discard_as`
                // pushes it back vacant, also if the `Drop` panics.
                unsafe { self.slot(index).discard_as(self, gone) };
            } else {
                self.push(index, false);
            }
        }
        dropped
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

/// The rest of a chain of slots taken off the free list by `discard_idle`: pushed back as they
/// were if a `Drop` panics on the way.
struct Chain<'a, T, const N: usize> {
    pool: &'a StaticPool<T, N>,
    next: usize,
}

impl<T, const N: usize> Drop for Chain<'_, T, N> {
    fn drop(&mut self) {
        while self.next != N {
            let index = self.next;
            let link = self.pool.links[index].load(Ordering::Relaxed);
            self.next = (link & !VACANT) as usize;
            self.pool.push(index, link & VACANT == 0);
        }
    }
}

impl<T, const N: usize> Owner<T> for StaticPool<T, N> {
    fn build(&self) -> T {
        (self.factory)()
    }

    fn vacate(&self, slot: Slot<T>, gone: Gone) {
        match gone {
            Gone::Unbuilt => {
                self.unbuilt.fetch_add(1, Ordering::Relaxed);
            }
            Gone::Discarded => {
                self.discarded.fetch_add(1, Ordering::Relaxed);
            }
            Gone::Trimmed => {
                self.trimmed.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.vacant.fetch_add(1, Ordering::Relaxed);
        self.push(slot.index() as usize, false);
    }

    #[cfg(feature = "alloc")]
    fn requeue(&self, rest: &mut dyn Iterator<Item = Slot<T>>) {
        for slot in rest {
            self.push(slot.index() as usize, true);
        }
    }
}

impl<'a, T: 'a, const N: usize> GuardKind<'a, T> for kind::Static<N> {
    type Home = &'a StaticPool<T, N>;
    const NAME: &'static str = "StaticPooled";
}

impl<T, const N: usize> Home<T> for &StaticPool<T, N> {
    #[inline]
    unsafe fn release(&self, mut slot: Slot<T>) {
        let pool = *self;
        // SAFETY: the guard gave up the loan: the slot holds its object and nothing else
        // refers to it.
        let object = unsafe { slot.as_mut() };
        #[cfg(feature = "std")]
        let keep = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.reset_and_check(object)
        })) {
            Ok(keep) => keep,
            Err(panic) => {
                // SAFETY: as above; the slot is listed nowhere.
                unsafe { slot.discard(pool) };
                std::panic::resume_unwind(panic);
            }
        };
        #[cfg(not(feature = "std"))]
        let keep = {
            /// Drops the object and frees the slot if the reset unwinds. (Without `std` the
            /// panic cannot be caught; a `Drop` that panics as well then aborts.)
            struct Discard<'a, T, const N: usize>(&'a StaticPool<T, N>, Slot<T>);

            impl<T, const N: usize> Drop for Discard<'_, T, N> {
                fn drop(&mut self) {
                    // SAFETY: only reached while the reset unwinds: the slot holds the
                    // object, which nothing refers to any more.
                    unsafe { self.1.discard(self.0) };
                }
            }

            let discard = Discard(pool, slot);
            let keep = pool.reset_and_check(object);
            core::mem::forget(discard);
            keep
        };
        if keep && !pool.closed.load(Ordering::Relaxed) {
            pool.push(slot.index() as usize, true);
        } else {
            // SAFETY: as above.
            unsafe { slot.discard(pool) };
        }
    }

    unsafe fn detach(&self, slot: Slot<T>) -> T {
        let pool = *self;
        // SAFETY: the guard gave up the loan; the slot is empty from here on and goes back
        // vacant.
        let object = unsafe { slot.take() };
        pool.detached.fetch_add(1, Ordering::Relaxed);
        pool.vacant.fetch_add(1, Ordering::Relaxed);
        pool.push(slot.index() as usize, false);
        object
    }
}

impl<T, const N: usize> Drop for StaticPool<T, N> {
    fn drop(&mut self) {
        // No guard can be alive (they borrow the pool): every object is on the free list.
        self.discard_idle(0, Gone::Discarded);
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
        let head = pool.head.load(Ordering::Acquire);
        let (top, _, replacement) = pool.pop_step(head).unwrap();
        assert_eq!(top, x_at);
        assert_eq!(replacement & StaticPool::<Plain, 4>::INDEX_MASK, y_at);

        // B.
        let x = pool.allocate().unwrap();
        let y = pool.allocate().unwrap();
        let z = pool.allocate().unwrap();
        drop(z);
        drop(x);
        let now = pool.head.load(Ordering::Acquire);
        let below_tag = (1 << StaticPool::<Plain, 4>::LAYOUT.tag_shift) - 1;
        assert_eq!(now & below_tag, head & below_tag, "same top, same length");
        assert_ne!(now, head, "but another tag");

        // A, second half: refused, so `y` (lent to B) never goes on top.
        assert!(pool
            .head
            .compare_exchange(head, replacement, Ordering::Acquire, Ordering::Acquire)
            .is_err());
        drop(y);
        assert_eq!(pool.stats().in_use, 0);
    }

    #[test]
    fn the_head_keeps_at_least_12_bits_of_tag() {
        assert_eq!(StaticPool::<u8, 1>::LAYOUT.tag_shift, 2);
        assert_eq!(StaticPool::<u8, 4>::LAYOUT.tag_shift, 6);
        assert_eq!(StaticPool::<u8, 1023>::LAYOUT.tag_shift, 20);
        assert_eq!(StaticPool::<u8, 1024>::LAYOUT.tag_shift, 22);
    }

    /// The tag wraps around: the epochs keep `allocations` counting.
    #[test]
    fn allocations_count_past_the_tag() {
        let pool: StaticPool<Plain, 1> = StaticPool::new();
        drop(pool.allocate().unwrap());
        // Set the tag to its last value, as if that many pops had happened.
        let tag_shift = StaticPool::<Plain, 1>::LAYOUT.tag_shift;
        let head = pool.head.load(Ordering::Relaxed);
        let last = (usize::MAX >> tag_shift) << tag_shift;
        pool.head
            .store(last | (head & ((1 << tag_shift) - 1)), Ordering::Relaxed);
        let before = pool.stats().allocations;
        drop(pool.allocate().unwrap());
        drop(pool.allocate().unwrap());
        assert_eq!(pool.stats().allocations, before + 2);
        assert_eq!(pool.epochs.load(Ordering::Relaxed), 1);
    }
}
