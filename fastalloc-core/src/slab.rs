//! Where pooled objects live: chunks of slots that never move, and the free list over them.
//!
//! A [`Slab`] owns a list of chunks. Each chunk is one allocation of uninitialised slots; a
//! growing pool adds a chunk and never moves the objects already built, so a guard's pointer
//! stays valid for as long as the guard lives. Every slot is in exactly one of four states:
//!
//! * **idle**: holds a constructed object, listed on the idle stack (LIFO, so the most recently
//!   used, cache-warm object is handed out next);
//! * **vacant**: holds nothing and is listed on the vacant stack (its object was detached or
//!   discarded);
//! * **fresh**: holds nothing and was never used: the tail of the newest chunk past `fresh`;
//! * **out**: lent to a guard (or being built or reset), and listed nowhere.
//!
//! The idle and vacant stacks share one array of `capacity` entries, idle from the front and
//! vacant from the back: both hold only slots that are not out, so they always fit, and a
//! release never calls the allocator.

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::config::Config;

/// One allocation of slots. Freed (without dropping any object) when dropped.
struct Chunk<T> {
    slots: NonNull<[MaybeUninit<T>]>,
}

impl<T> Chunk<T> {
    /// Allocates `len` uninitialised slots, or `None` if the allocator refuses.
    fn new(len: usize) -> Option<Self> {
        let mut slots: Vec<MaybeUninit<T>> = Vec::new();
        slots.try_reserve_exact(len).ok()?;
        slots.resize_with(len, MaybeUninit::uninit);
        let slots = Box::into_raw(slots.into_boxed_slice());
        // SAFETY: `Box::into_raw` never returns null.
        Some(Self {
            slots: unsafe { NonNull::new_unchecked(slots) },
        })
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    /// The slot at `index`.
    fn slot(&self, index: usize) -> NonNull<T> {
        assert!(index < self.len());
        // SAFETY: `index` is in bounds of the allocation, so the offset stays inside it.
        unsafe { self.slots.cast::<T>().add(index) }
    }
}

impl<T> Drop for Chunk<T> {
    fn drop(&mut self) {
        // SAFETY: `slots` came from `Box::into_raw` in `Chunk::new` and is freed only here.
        // The slots are `MaybeUninit`, so no object is dropped: the slab drops live objects
        // before its chunks go.
        drop(unsafe { Box::from_raw(self.slots.as_ptr()) });
    }
}

/// The idle and vacant stacks, sharing one array (see the module docs).
struct FreeList<T> {
    entries: Vec<*mut T>,
    idle: usize,
    vacant: usize,
}

impl<T> FreeList<T> {
    fn with_len(len: usize) -> Option<Self> {
        let mut entries = Vec::new();
        entries.try_reserve_exact(len).ok()?;
        entries.resize(len, std::ptr::null_mut());
        Some(Self {
            entries,
            idle: 0,
            vacant: 0,
        })
    }

    #[inline]
    fn push_idle(&mut self, slot: NonNull<T>) {
        // Both stacks hold only slots that are not lent, so they never hold more than the
        // `entries.len()` slots of the slab together.
        assert!(
            self.idle + self.vacant < self.entries.len(),
            "free list overflow"
        );
        // SAFETY: `idle < entries.len()`, checked just above.
        unsafe { *self.entries.get_unchecked_mut(self.idle) = slot.as_ptr() };
        self.idle += 1;
    }

    #[inline]
    fn pop_idle(&mut self) -> Option<NonNull<T>> {
        let top = self.idle.checked_sub(1)?;
        self.idle = top;
        debug_assert!(top < self.entries.len());
        // SAFETY: `top < idle <= entries.len()`, and entries below `idle` were written by
        // `push_idle` with non-null pointers (or moved there by `resize`).
        unsafe { Some(NonNull::new_unchecked(*self.entries.get_unchecked(top))) }
    }

    fn push_vacant(&mut self, slot: NonNull<T>) {
        debug_assert!(
            self.idle + self.vacant < self.entries.len(),
            "free list overflow"
        );
        self.vacant += 1;
        let at = self.entries.len() - self.vacant;
        self.entries[at] = slot.as_ptr();
    }

    fn pop_vacant(&mut self) -> Option<NonNull<T>> {
        if self.vacant == 0 {
            return None;
        }
        let at = self.entries.len() - self.vacant;
        self.vacant -= 1;
        NonNull::new(self.entries[at])
    }

    /// Makes room for at least `len` entries (and at most `max`), keeping both stacks. The
    /// array at least doubles, so a pool that grows in small steps copies it O(log n) times,
    /// not once per step.
    fn reserve(&mut self, len: usize, max: usize) -> Option<()> {
        if len <= self.entries.len() {
            return Some(());
        }
        let len = len.max(self.entries.len().saturating_mul(2).min(max));
        let mut entries = Vec::new();
        entries.try_reserve_exact(len).ok()?;
        entries.extend_from_slice(&self.entries[..self.idle]);
        entries.resize(len - self.vacant, std::ptr::null_mut());
        entries.extend_from_slice(&self.entries[self.entries.len() - self.vacant..]);
        self.entries = entries;
        Some(())
    }
}

/// Where a slot for a new object came from, so a failed construction can give it back.
pub(crate) enum EmptySlot<T> {
    /// A vacant or fresh slot within the current capacity.
    Found(NonNull<T>),
    /// The pool grew to find it.
    Grown(NonNull<T>),
}

/// The slots of one pool (or of one thread's part of a pool). Not thread-safe by itself: the
/// pools wrap it in a cell or a lock.
pub(crate) struct Slab<T> {
    chunks: Vec<Chunk<T>>,
    free: FreeList<T>,
    /// Slots `fresh..` of the last chunk were never used.
    fresh: usize,
    capacity: usize,
    config: Config,
}

// SAFETY: a slab owns its objects (through raw pointers into its chunks); sending it to another
// thread sends those objects, which is fine when `T: Send`.
unsafe impl<T: Send> Send for Slab<T> {}

impl<T> Slab<T> {
    /// Allocates the slots for `config.capacity` objects (no object is built).
    pub(crate) fn new(config: Config) -> Option<Self> {
        let chunk = Chunk::new(config.capacity)?;
        let free = FreeList::with_len(config.capacity)?;
        Some(Self {
            chunks: vec![chunk],
            free,
            fresh: 0,
            capacity: config.capacity,
            config,
        })
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Constructed objects waiting.
    pub(crate) fn idle(&self) -> usize {
        self.free.idle
    }

    /// How many allocations succeed before the pool must grow or report exhaustion.
    pub(crate) fn available(&self) -> usize {
        let last = self.chunks.last().map_or(0, Chunk::len);
        self.free.idle + self.free.vacant + (last - self.fresh)
    }

    /// Takes the most recently returned idle object.
    #[inline]
    pub(crate) fn pop_idle(&mut self) -> Option<NonNull<T>> {
        self.free.pop_idle()
    }

    /// Returns a slot holding a constructed object.
    #[inline]
    pub(crate) fn push_idle(&mut self, slot: NonNull<T>) {
        self.free.push_idle(slot);
    }

    /// Returns a slot whose object is gone (dropped or moved out).
    pub(crate) fn push_vacant(&mut self, slot: NonNull<T>) {
        self.free.push_vacant(slot);
    }

    /// Finds an empty slot: a vacant one, then a fresh one, then by growing.
    pub(crate) fn take_empty(&mut self) -> Option<EmptySlot<T>> {
        if let Some(slot) = self.free.pop_vacant() {
            return Some(EmptySlot::Found(slot));
        }
        if let Some(slot) = self.take_fresh() {
            return Some(EmptySlot::Found(slot));
        }
        self.grow()?;
        self.take_fresh().map(EmptySlot::Grown)
    }

    fn take_fresh(&mut self) -> Option<NonNull<T>> {
        let last = self.chunks.last()?;
        if self.fresh == last.len() {
            return None;
        }
        let slot = last.slot(self.fresh);
        self.fresh += 1;
        Some(slot)
    }

    /// Adds one chunk by the growth policy. `None` without growth, at the maximum, or when the
    /// allocator refuses (the pool then reports exhaustion rather than aborting).
    fn grow(&mut self) -> Option<()> {
        let target = self.config.grown(self.capacity)?;
        let chunk = Chunk::new(target - self.capacity)?;
        self.free.reserve(target, self.config.max_capacity)?;
        self.chunks.push(chunk);
        self.fresh = 0;
        self.capacity = target;
        Some(())
    }

    /// Drops every idle object and marks its slot vacant. Returns how many were dropped.
    ///
    /// Drops happen one at a time through `drop_one`, which the caller provides so that it can
    /// release any borrow of the slab first (a `Drop` impl may use the pool again).
    pub(crate) fn take_all_idle(&mut self) -> Vec<NonNull<T>> {
        let mut taken = Vec::with_capacity(self.free.idle);
        while let Some(slot) = self.free.pop_idle() {
            taken.push(slot);
        }
        taken
    }
}

impl<T> Drop for Slab<T> {
    fn drop(&mut self) {
        /// Drops the idle objects left when a `Drop` panics, so one failing object does not
        /// leak the others (a second panic aborts, as in `Vec`).
        struct DropIdle<'a, T>(&'a mut FreeList<T>);

        impl<T> Drop for DropIdle<'_, T> {
            fn drop(&mut self) {
                while let Some(slot) = self.0.pop_idle() {
                    // SAFETY: an idle slot holds a constructed object that nothing refers to;
                    // it is popped first, so it is dropped exactly once.
                    unsafe { slot.as_ptr().drop_in_place() };
                }
            }
        }

        let rest = DropIdle(&mut self.free);
        while let Some(slot) = rest.0.pop_idle() {
            // SAFETY: as in `DropIdle::drop`. If this panics, `rest` drops the others.
            unsafe { slot.as_ptr().drop_in_place() };
        }
        // `rest` finds nothing left. The chunks free their memory when `chunks` drops.
    }
}
