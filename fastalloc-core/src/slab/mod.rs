//! Where pooled objects live: chunks of slots that never move, and the free list over them.
//!
//! A [`Slab`] owns a list of chunks. Each chunk is one allocation of uninitialised slots; a
//! growing pool adds a chunk and never moves the objects already built, so a guard's pointer
//! stays valid for as long as the guard lives. After a trim, [`Slab::shrink`] gives back the
//! chunks past the initial ones that hold no lent object, moving their idle objects (which
//! nothing refers to) to empty slots of the chunks that stay. Every slot is in exactly one of
//! four states:
//!
//! * **idle**: holds a constructed object, listed on the idle stack (LIFO, so the most recently
//!   used, cache-warm object is handed out next);
//! * **vacant**: holds nothing and is listed on the vacant stack (its object was detached or
//!   discarded);
//! * **fresh**: holds nothing and was never used: the slots past a cursor (`fresh_chunk`,
//!   `fresh`) over the newest chunks;
//! * **out**: lent to a guard (or being built or reset), and listed nowhere.
//!
//! The idle and vacant stacks share one array of `capacity` entries, idle from the front and
//! vacant from the back: both hold only slots that are not out, so they always fit, and a
//! release never calls the allocator.
//!
//! **Slot numbers.** The stacks hold 4-byte slot numbers, not 8-byte pointers, which halves the
//! pool's memory overhead (4 bytes per object, 6.25% of a 64-byte object). A number leads back
//! to its slot through a page table: the numbers are split into pages of 256, each chunk starts
//! on a page boundary (a few numbers at the end of a chunk's last page may go unused), and
//! `pages[n / 256]` points at slot `n` rounded down to its page, inside that slot's chunk. So
//! finding a slot is one load and an add, and the table costs 8 bytes per 256 slots. Lent
//! objects travel as a [`Slot`] (pointer and number), so giving one back needs no lookup.

mod slot;

use alloc::alloc::{alloc, dealloc, Layout};
use alloc::vec;
use alloc::vec::Vec;
use core::ptr::NonNull;

pub(crate) use slot::{discard_all, Gone, Owner, Slot};

use crate::config::Config;

/// Slot numbers per page of the page table, as a power of two (256: the table costs 8 bytes
/// per 256 slots, and a chunk skips fewer than 256 numbers).
const PAGE_SHIFT: u32 = 8;
const PAGE_SLOTS: usize = 1 << PAGE_SHIFT;

/// Chunks start on this boundary: objects of 64 bytes then fill whole cache lines instead of
/// straddling two (the system allocator only promises 16 bytes), and two threads' objects in
/// a thread-safe pool do not share a line pair (some CPUs fetch lines in aligned pairs).
///
/// The chunk is allocated with the object's own alignment and `CHUNK_ALIGN` spare bytes, and
/// its slots start at the first boundary inside: asking the allocator for the alignment
/// instead makes glibc map large chunks afresh every time (`posix_memalign`), where plain
/// `malloc` reuses freed memory, which page faults made 2-3x slower in `benches/growth.rs`.
const CHUNK_ALIGN: usize = 128;

/// The most bytes of slots in one chunk: a growth step that needs more takes several chunks.
/// glibc serves an allocation above 32 MiB (its largest mmap threshold) with a fresh mapping
/// every time, so each page faults on first use and goes back to the system when freed; a pool
/// that doubled to a million 64-byte objects spent half its growth time in those faults
/// (`benches/growth.rs`). Chunks up to 16 MiB come from the heap once the allocator has seen
/// one freed.
const MAX_CHUNK_BYTES: usize = 16 << 20;

/// One allocation of slots, and the number of its first slot. Freed (without dropping any
/// object) when dropped.
struct Chunk<T> {
    /// The allocation, if the slots take memory.
    memory: Option<NonNull<u8>>,
    /// The first slot: at a `CHUNK_ALIGN` boundary inside `memory`.
    slots: NonNull<T>,
    /// (A `u32`, like slot numbers: with `start`, one word.)
    len: u32,
    start: u32,
}

impl<T> Chunk<T> {
    /// The memory of `len` slots plus room to align them, or `None` if it overflows `isize`.
    fn layout(len: usize) -> Option<Layout> {
        let size = core::mem::size_of::<T>().checked_mul(len)?;
        // An allocation aligned for `T` is at most this far before a boundary.
        let spare = if size == 0 {
            0
        } else {
            CHUNK_ALIGN.saturating_sub(core::mem::align_of::<T>())
        };
        Layout::from_size_align(size.checked_add(spare)?, core::mem::align_of::<T>()).ok()
    }

    /// Allocates `len` uninitialised slots numbered from `start`, or `None` if the allocator
    /// refuses.
    fn new(len: usize, start: u32) -> Option<Self> {
        let layout = Self::layout(len)?;
        let len_u32 = u32::try_from(len).ok()?;
        if layout.size() == 0 {
            // Zero-sized objects need no memory; any aligned, non-null address will do.
            return Some(Self {
                memory: None,
                slots: NonNull::dangling(),
                len: len_u32,
                start,
            });
        }
        // SAFETY: the layout has a non-zero size.
        let memory = NonNull::new(unsafe { alloc(layout) })?;
        // Both the allocation and the boundary are aligned for `T` (alignments are powers of
        // two; if `T`'s is `CHUNK_ALIGN` or more, the skip is 0), so the slots are too.
        let skip = memory.as_ptr().addr().wrapping_neg() % CHUNK_ALIGN;
        // SAFETY: `skip` is at most the spare bytes at the end of the allocation (the memory
        // is aligned for `T`, so the next boundary is at most `CHUNK_ALIGN - align_of::<T>()`
        // bytes away), so the slots stay inside it.
        let slots = unsafe { memory.add(skip) }.cast::<T>();
        Some(Self {
            memory: Some(memory),
            slots,
            len: len_u32,
            start,
        })
    }

    fn len(&self) -> usize {
        self.len as usize
    }

    /// The address of the slot at `offset` from the chunk's start.
    fn at(&self, offset: usize) -> NonNull<T> {
        assert!(offset < self.len());
        // SAFETY: `offset` is in bounds of the allocation, so the result stays inside it.
        unsafe { self.slots.add(offset) }
    }

    /// The slot at `offset` from the chunk's start.
    fn slot(&self, offset: usize) -> Slot<T> {
        // SAFETY: the address of slot `offset` of this chunk, numbered as the page table
        // expects. Fits: `Slab::new_chunk` keeps every slot number within `u32`.
        unsafe { Slot::new(self.at(offset), self.start + offset as u32) }
    }
}

impl<T> Drop for Chunk<T> {
    fn drop(&mut self) {
        if let Some(memory) = self.memory {
            let layout = Self::layout(self.len()).expect("the layout was valid when allocated");
            // SAFETY: `memory` was allocated in `Chunk::new` with this layout and is freed
            // only here. No object is dropped: the slab drops live objects before its chunks
            // go.
            unsafe { dealloc(memory.as_ptr(), layout) };
        }
    }
}

/// A free list pushed past its size: a slot was given back twice, which the guards rule out.
#[cold]
#[inline(never)]
fn overflow() -> ! {
    panic!("free list overflow (a slot was returned twice: a bug in fastalloc)")
}

/// The idle and vacant stacks of slot numbers, sharing one array (see the module docs): idle
/// entries are `entries[..idle]`, vacant ones `entries[vacant_at..]`.
struct FreeList {
    entries: Vec<u32>,
    idle: usize,
    /// The fewest idle entries since the period began (see [`Slab::take_unused`]): the
    /// entries below it were not touched since.
    low: u32,
    /// Where the vacant stack starts. Kept rather than the vacant count, so that the check of
    /// a release's push is one comparison (`idle < vacant_at`): it keeps the release small
    /// enough to be inlined into a guard's drop. It and `low` are `u32`s (an array of slot
    /// numbers has fewer than 2^32 entries): one word for both, in the 7% memory budget of a
    /// pool of 1,000 objects (`tests/alloc_count.rs`).
    vacant_at: u32,
}

impl FreeList {
    fn with_len(len: usize) -> Option<Self> {
        let mut entries = Vec::new();
        entries.try_reserve_exact(len).ok()?;
        entries.resize(len, 0);
        Some(Self {
            entries,
            idle: 0,
            low: 0,
            vacant_at: u32::try_from(len).ok()?,
        })
    }

    /// An empty list with no room.
    #[cfg(feature = "std")] // (for `Slab::take`)
    fn empty() -> Self {
        Self {
            entries: Vec::new(),
            idle: 0,
            low: 0,
            vacant_at: 0,
        }
    }

    fn vacant(&self) -> usize {
        self.entries.len() - self.vacant_at()
    }

    #[inline]
    fn vacant_at(&self) -> usize {
        self.vacant_at as usize
    }

    fn set_vacant_at(&mut self, at: usize) {
        // Fits: the array has at most `u32::MAX` entries (the most slots a pool has).
        self.vacant_at = at as u32;
    }

    fn low(&self) -> usize {
        self.low as usize
    }

    fn set_low(&mut self, low: usize) {
        // Fits: at most the number of idle entries.
        self.low = low as u32;
    }

    #[inline]
    fn push_idle(&mut self, index: u32) {
        // Both stacks hold only slots that are not lent, so they never hold more than the
        // `entries.len()` slots of the slab together.
        if self.idle >= self.vacant_at() {
            overflow();
        }
        // SAFETY: `idle < vacant_at <= entries.len()`, checked just above.
        unsafe { *self.entries.get_unchecked_mut(self.idle) = index };
        self.idle += 1;
    }

    #[inline]
    fn pop_idle(&mut self) -> Option<u32> {
        let top = self.idle.checked_sub(1)?;
        self.idle = top;
        // A compare and a conditional move (`benches/round_trip.rs` rows "trim_unused
        // bookkeeping": within the noise).
        // (`top` fits: it is below `vacant_at`.)
        self.low = self.low.min(top as u32);
        debug_assert!(top < self.entries.len());
        // SAFETY: `top < idle <= vacant_at <= entries.len()`.
        Some(unsafe { *self.entries.get_unchecked(top) })
    }

    fn push_vacant(&mut self, index: u32) {
        if self.idle >= self.vacant_at() {
            overflow();
        }
        self.vacant_at -= 1;
        let at = self.vacant_at();
        self.entries[at] = index;
    }

    fn pop_vacant(&mut self) -> Option<u32> {
        let index = *self.entries.get(self.vacant_at())?;
        self.vacant_at += 1;
        Some(index)
    }

    /// Makes room for at least `len` entries (and at most `max`), keeping both stacks. The
    /// array at least doubles, so a pool that grows in small steps copies it O(log n) times,
    /// not once per step.
    fn reserve(&mut self, len: usize, max: usize) -> Option<()> {
        if len <= self.entries.len() {
            return Some(());
        }
        let len = len.max(self.entries.len().saturating_mul(2).min(max));
        let vacant = self.vacant();
        let mut entries = Vec::new();
        entries.try_reserve_exact(len).ok()?;
        entries.extend_from_slice(&self.entries[..self.idle]);
        entries.resize(len - vacant, 0);
        entries.extend_from_slice(&self.entries[self.vacant_at()..]);
        self.entries = entries;
        self.set_vacant_at(len - vacant);
        Some(())
    }
}

/// Where a slot for a new object came from, so a failed construction can give it back.
pub(crate) enum EmptySlot<T> {
    /// A vacant or fresh slot within the current capacity.
    Found(Slot<T>),
    /// The pool grew to find it.
    Grown(Slot<T>),
}

/// The slots of one pool (or of one thread's part of a pool). Not thread-safe by itself: the
/// pools wrap it in a cell or a lock.
pub(crate) struct Slab<T> {
    chunks: Vec<Chunk<T>>,
    /// For each page of 256 slot numbers, the address of its first slot (see the module docs).
    pages: Vec<NonNull<T>>,
    /// The first chunk's first slot and length (0 while there is no chunk): its slots are
    /// found without the page table (see [`slot`](Self::slot)).
    first: NonNull<T>,
    first_len: u32,
    free: FreeList,
    /// Slots `fresh..` of chunk `fresh_chunk`, and every slot of the chunks after it, were
    /// never used.
    /// (`u32`s, like `fresh` and `permanent`: four to two words.)
    fresh_chunk: u32,
    /// (A `u32`, like slot numbers: it packs with `first_len`.)
    fresh: u32,
    /// The chunks of the initial capacity (`chunks[..permanent]`), which
    /// [`shrink`](Self::shrink) never gives back.
    permanent: u32,
    config: Config,
}

// SAFETY: a slab owns its objects (through raw pointers into its chunks); sending it to another
// thread sends those objects, which is fine when `T: Send`.
unsafe impl<T: Send> Send for Slab<T> {}

impl<T> Slab<T> {
    /// Allocates the slots for `config.capacity` objects (no object is built).
    pub(crate) fn new(config: Config) -> Option<Self> {
        let free = FreeList::with_len(config.capacity)?;
        let mut slab = Self {
            chunks: Vec::new(),
            pages: Vec::new(),
            first: NonNull::dangling(),
            first_len: 0,
            free,
            fresh_chunk: 0,
            fresh: 0,
            permanent: 0,
            config,
        };
        if slab.add_slots(config.capacity) < config.capacity {
            return None;
        }
        slab.permanent = slab.chunks.len() as u32;
        Some(slab)
    }

    /// Takes every slot, chunk and object out into the slab returned, leaving this one empty
    /// (no slots, nothing allocated). For `ThreadSafePool`, which needs `std`.
    #[cfg(feature = "std")]
    pub(crate) fn take(&mut self) -> Self {
        let empty = Self {
            chunks: Vec::new(),
            pages: Vec::new(),
            first: NonNull::dangling(),
            first_len: 0,
            free: FreeList::empty(),
            fresh_chunk: 0,
            fresh: 0,
            permanent: 0,
            config: self.config,
        };
        core::mem::replace(self, empty)
    }

    /// The most slots one chunk holds (see [`MAX_CHUNK_BYTES`]), a whole number of pages.
    fn max_chunk_slots() -> usize {
        match core::mem::size_of::<T>() {
            0 => usize::MAX,
            size => {
                let slots = (MAX_CHUNK_BYTES / size).max(1);
                if slots >= PAGE_SLOTS {
                    slots / PAGE_SLOTS * PAGE_SLOTS
                } else {
                    slots
                }
            }
        }
    }

    /// Adds up to `len` slots, in chunks of at most [`max_chunk_slots`](Self::max_chunk_slots),
    /// and returns how many it added (fewer if the allocator refuses part-way). Call it only
    /// when the fresh slots are used up: the new slots become the fresh ones.
    fn add_slots(&mut self, len: usize) -> usize {
        let first_new = self.chunks.len();
        let mut added = 0;
        while added < len {
            let Some(chunk) = self.new_chunk((len - added).min(Self::max_chunk_slots())) else {
                break;
            };
            added += chunk.len();
            self.push_chunk(chunk);
        }
        if added > 0 {
            self.fresh_chunk = first_new as u32;
            self.fresh = 0;
        }
        added
    }

    /// Allocates a chunk of `len` slots, numbered from the first page boundary where `len`
    /// numbers are free (a gap left by a chunk [`shrink`](Self::shrink) gave back, or the
    /// end), with room to list it. `None` if the allocator refuses or the numbers would not fit
    /// in a `u32`.
    fn new_chunk(&mut self, len: usize) -> Option<Chunk<T>> {
        let start = self.free_numbers(len);
        let end = start.checked_add(len)?;
        // (In `u64`: on 32-bit targets `u32::MAX as usize + 1` overflows.)
        if end as u64 > u64::from(u32::MAX) + 1 {
            return None;
        }
        let pages = end.div_ceil(PAGE_SLOTS).saturating_sub(self.pages.len());
        if self.chunks.is_empty() {
            // Most pools never grow: no spare room for the first chunk.
            self.pages.try_reserve_exact(pages).ok()?;
            self.chunks.try_reserve_exact(1).ok()?;
        } else {
            self.pages.try_reserve(pages).ok()?;
            self.chunks.try_reserve(1).ok()?;
        }
        Chunk::new(len, u32::try_from(start).ok()?)
    }

    /// The first slot number, on a page boundary, from which `len` numbers belong to no chunk.
    fn free_numbers(&self, len: usize) -> usize {
        let mut taken: Vec<(usize, usize)> = self
            .chunks
            .iter()
            .map(|chunk| {
                let start = chunk.start as usize;
                (start, start + chunk.len())
            })
            .collect();
        // Never more than a few dozen chunks: sorting them is cheap next to allocating one.
        taken.sort_unstable();
        let mut next = 0;
        for (start, end) in taken {
            if start >= next && start - next >= len {
                break;
            }
            next = next.max(end.next_multiple_of(PAGE_SLOTS));
        }
        next
    }

    /// Adds a chunk from [`new_chunk`](Self::new_chunk) and maps its pages (never allocates).
    fn push_chunk(&mut self, chunk: Chunk<T>) {
        let start = chunk.start as usize;
        let end = start + chunk.len();
        for page in start / PAGE_SLOTS..end.div_ceil(PAGE_SLOTS) {
            let address = chunk.at(page * PAGE_SLOTS - start);
            match self.pages.get_mut(page) {
                Some(entry) => *entry = address,
                // `new_chunk` reserved room for these, and numbers are only ever past the
                // table's end or in a gap inside it.
                None => self.pages.push(address),
            }
        }
        if self.chunks.is_empty() {
            self.first = chunk.slots;
            // Fits: `new_chunk` keeps every slot number of a chunk within `u32`.
            self.first_len = chunk.len() as u32;
        }
        self.chunks.push(chunk);
    }

    /// The slot numbered `index`.
    #[inline]
    fn slot(&self, index: u32) -> Slot<T> {
        if index < self.first_len {
            // Most pools never grow: their every slot is in the first chunk, numbered from 0,
            // and is found from the chunk's address without loading a page-table entry (a
            // dependent load on the allocation's critical path).
            // SAFETY: `index` is below the first chunk's length, so the slot is inside that
            // chunk's allocation; slot numbers of the first chunk start at 0.
            return unsafe { Slot::new(self.first.add(index as usize), index) };
        }
        let page = (index >> PAGE_SHIFT) as usize;
        debug_assert!(page < self.pages.len());
        // SAFETY: every number on the free list was made by `Chunk::slot` for a chunk whose
        // pages are all in `pages`, so `page` is in bounds, and the slot lies `index % 256`
        // slots after its page's first slot, inside the same chunk (chunks start on a page
        // boundary), so the offset stays in that chunk's allocation.
        let ptr = unsafe {
            self.pages
                .get_unchecked(page)
                .add(index as usize & (PAGE_SLOTS - 1))
        };
        // SAFETY: `ptr` is slot `index`, found through the page table as described above.
        unsafe { Slot::new(ptr, index) }
    }

    /// The slots of every chunk (summed on each call rather than kept: a pool has few chunks,
    /// and every word of its bookkeeping counts against its 7% budget at 1,000 objects).
    pub(crate) fn capacity(&self) -> usize {
        self.chunks.iter().map(Chunk::len).sum()
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
        let unused: usize = self.chunks[self.fresh_chunk as usize..]
            .iter()
            .map(Chunk::len)
            .sum();
        self.free.idle + self.free.vacant() + (unused - self.fresh as usize)
    }

    /// Takes the most recently returned idle object.
    #[inline]
    pub(crate) fn pop_idle(&mut self) -> Option<Slot<T>> {
        let index = self.free.pop_idle()?;
        Some(self.slot(index))
    }

    /// Returns a slot holding a constructed object.
    #[inline]
    pub(crate) fn push_idle(&mut self, slot: Slot<T>) {
        self.free.push_idle(slot.index());
    }

    /// Returns a slot whose object is gone (dropped or moved out).
    pub(crate) fn push_vacant(&mut self, slot: Slot<T>) {
        self.free.push_vacant(slot.index());
    }

    /// Finds an empty slot: a vacant one, then a fresh one, then by growing.
    pub(crate) fn take_empty(&mut self) -> Option<EmptySlot<T>> {
        if let Some(index) = self.free.pop_vacant() {
            return Some(EmptySlot::Found(self.slot(index)));
        }
        if let Some(slot) = self.take_fresh() {
            return Some(EmptySlot::Found(slot));
        }
        self.grow()?;
        self.take_fresh().map(EmptySlot::Grown)
    }

    fn take_fresh(&mut self) -> Option<Slot<T>> {
        loop {
            let chunk = self.chunks.get(self.fresh_chunk as usize)?;
            if (self.fresh as usize) < chunk.len() {
                let slot = chunk.slot(self.fresh as usize);
                self.fresh += 1;
                return Some(slot);
            }
            if self.fresh_chunk as usize + 1 == self.chunks.len() {
                return None;
            }
            self.fresh_chunk += 1;
            self.fresh = 0;
        }
    }

    /// Adds one growth step of slots. `None` without growth, at the maximum, or when the
    /// allocator refuses (the pool then reports exhaustion rather than aborting).
    fn grow(&mut self) -> Option<()> {
        let capacity = self.capacity();
        let target = self.config.grown(capacity)?;
        self.free.reserve(target, self.config.max_capacity)?;
        (self.add_slots(target - capacity) > 0).then_some(())
    }

    /// Takes every idle object off the idle list (the caller drops them, one at a time and
    /// without a borrow of the slab, since a `Drop` impl may use the pool again).
    pub(crate) fn take_all_idle(&mut self) -> Vec<Slot<T>> {
        let mut taken = Vec::with_capacity(self.free.idle);
        while let Some(slot) = self.pop_idle() {
            taken.push(slot);
        }
        taken
    }

    /// Takes idle objects off the idle list until at most `keep` are left, and returns them
    /// (the caller drops them, as for [`take_all_idle`](Self::take_all_idle)). The objects
    /// kept are those with the lowest slot numbers, in the oldest chunks, so that the chunks a
    /// burst added empty out and [`shrink`](Self::shrink) can give them back.
    pub(crate) fn take_idle_over(&mut self, keep: usize) -> Vec<Slot<T>> {
        let idle = self.free.idle;
        if idle <= keep {
            return Vec::new();
        }
        // Each entry with whether an allocation reached it this period (those below `low`
        // were not), so that `take_unused` still knows which of the kept ones stayed idle.
        let low = self.free.low().min(idle);
        let mut marked: Vec<(u32, bool)> = self.free.entries[..idle]
            .iter()
            .enumerate()
            .map(|(at, &index)| (index, at >= low))
            .collect();
        // Highest numbers last, so that they are the ones taken.
        marked.sort_unstable();
        let taken: Vec<u32> = marked[keep..].iter().map(|&(index, _)| index).collect();
        marked.truncate(keep);
        // The untouched ones at the bottom of the stack again.
        marked.sort_by_key(|&(_, touched)| touched);
        for (entry, &(index, _)) in self.free.entries.iter_mut().zip(&marked) {
            *entry = index;
        }
        self.free.idle = keep;
        self.free
            .set_low(marked.iter().filter(|&&(_, touched)| !touched).count());
        taken.into_iter().map(|index| self.slot(index)).collect()
    }

    /// Takes the idle objects that stayed idle through the whole period since the last call
    /// (or since [`restart_period`](Self::restart_period)): the bottom of the idle stack, which
    /// no allocation reached since. Starts a new period.
    pub(crate) fn take_unused(&mut self) -> Vec<Slot<T>> {
        let low = self.free.low().min(self.free.idle);
        let taken: Vec<Slot<T>> = self.free.entries[..low]
            .iter()
            .map(|&index| self.slot(index))
            .collect();
        self.free.entries.copy_within(low..self.free.idle, 0);
        self.free.idle -= low;
        self.restart_period();
        taken
    }

    /// How many idle objects at the bottom of the stack no allocation reached this period.
    /// (For `ThreadSafePool`'s caches, which need `std`.)
    #[cfg(feature = "std")]
    pub(crate) fn untouched(&self) -> usize {
        self.free.low().min(self.free.idle)
    }

    /// Starts a period of [`take_unused`](Self::take_unused) now.
    pub(crate) fn restart_period(&mut self) {
        self.free.set_low(self.free.idle);
    }

    /// Gives back the chunks past the initial capacity that hold no lent object, and shrinks
    /// the free list and the page table to the capacity left. Called after a trim: the
    /// objects are dropped first.
    ///
    /// A chunk whose only objects are idle is given back too when the slots left elsewhere
    /// have room for them: its idle objects move to the lowest empty slots (nothing refers to
    /// an idle object, so it may move; a lent one never does). Without that, the few objects a
    /// program keeps using after a burst (the last ones released, in its newest chunk) would
    /// keep that whole chunk.
    ///
    /// If the allocator refuses the smaller free list, nothing changes (nothing is lost).
    pub(crate) fn shrink(&mut self) {
        let Some(gone) = self.chunks_to_give_back() else {
            return;
        };
        let is_gone = |chunks: &[Chunk<T>], index: u32| {
            gone.iter().any(|&at| {
                let chunk = &chunks[at];
                (chunk.start..chunk.start + chunk.len() as u32).contains(&index)
            })
        };
        // The empty slots of the chunks that stay: those listed as vacant, and the fresh ones
        // (the fresh cursor cannot survive chunks leaving the list from under it).
        let mut empty: Vec<u32> = Vec::new();
        if empty
            .try_reserve_exact(self.free.vacant() + self.fresh_count())
            .is_err()
        {
            return;
        }
        empty.extend(
            self.free.entries[self.free.vacant_at()..]
                .iter()
                .copied()
                .filter(|&index| !is_gone(&self.chunks, index)),
        );
        for (at, chunk) in self
            .chunks
            .iter()
            .enumerate()
            .skip(self.fresh_chunk as usize)
        {
            if gone.contains(&at) {
                continue;
            }
            let from = if at == self.fresh_chunk as usize {
                self.fresh
            } else {
                0
            };
            empty.extend((from..chunk.len() as u32).map(|offset| chunk.start + offset));
        }
        // Lowest numbers first: objects move, and new ones go, to the oldest chunks.
        empty.sort_unstable_by(|a, b| b.cmp(a));
        let kept_capacity =
            self.capacity() - gone.iter().map(|&at| self.chunks[at].len()).sum::<usize>();
        let mut entries = Vec::new();
        if entries.try_reserve_exact(kept_capacity).is_err() {
            return;
        }
        // Nothing can fail from here on.
        for at in 0..self.free.idle {
            let index = self.free.entries[at];
            if is_gone(&self.chunks, index) {
                let to = empty
                    .pop()
                    .expect("`chunks_to_give_back` left room for every idle object");
                let (from, to) = (self.slot(index), self.slot(to));
                // SAFETY: `from` is idle: it holds an object nothing refers to, and is listed
                // only here, where its entry now names `to`. `to` is empty (vacant or fresh)
                // and listed nowhere else any more (taken off `empty`).
                unsafe { from.move_to(to) };
                self.free.entries[at] = to.index();
            }
        }
        entries.extend_from_slice(&self.free.entries[..self.free.idle]);
        entries.resize(kept_capacity - empty.len(), 0);
        // The vacant stack pops from its start: lowest numbers there.
        entries.extend(empty.iter().rev());
        self.free.set_vacant_at(kept_capacity - empty.len());
        self.free.entries = entries;
        // Every empty slot is listed as vacant now: none is fresh.
        let mut at = 0;
        self.chunks.retain(|_| {
            at += 1;
            !gone.contains(&(at - 1))
        });
        self.chunks.shrink_to_fit();
        self.fresh_chunk = self.chunks.len() as u32;
        self.fresh = 0;
        self.unmap_gone_pages();
    }

    /// The indices of the chunks past the permanent ones to give back, or `None` if there are
    /// none: those with no lent object, newest (highest numbers) first, as long as the chunks
    /// that stay have empty slots for the idle objects of those given back.
    fn chunks_to_give_back(&self) -> Option<Vec<usize>> {
        let permanent = self.permanent as usize;
        if self.chunks.len() == permanent {
            return None;
        }
        // Empty slots per chunk (the fresh ones, then the vacant ones), and idle objects.
        let mut empty: Vec<usize> = self
            .chunks
            .iter()
            .enumerate()
            .map(|(at, chunk)| match at.cmp(&(self.fresh_chunk as usize)) {
                core::cmp::Ordering::Less => 0,
                core::cmp::Ordering::Equal => chunk.len() - self.fresh as usize,
                core::cmp::Ordering::Greater => chunk.len(),
            })
            .collect();
        let mut idle = vec![0; self.chunks.len()];
        for &index in &self.free.entries[self.free.vacant_at()..] {
            if let Some(at) = self.chunk_of(index) {
                empty[at] += 1;
            }
        }
        for &index in &self.free.entries[..self.free.idle] {
            if let Some(at) = self.chunk_of(index) {
                idle[at] += 1;
            }
        }
        let mut candidates: Vec<usize> = (permanent..self.chunks.len())
            .filter(|&at| empty[at] + idle[at] == self.chunks[at].len())
            .collect();
        candidates.sort_unstable_by_key(|&at| core::cmp::Reverse(self.chunks[at].start));
        // Empty slots in the chunks that stay, less the idle objects that must move there.
        let mut room: usize = empty.iter().sum();
        let mut gone = Vec::new();
        for at in candidates {
            // Giving `at` back takes its empty slots away and adds its idle objects to move
            // (loom found the first half missing: a chunk whose empty slot another chunk's
            // object was to move into was given back too).
            if let Some(left) = room
                .checked_sub(empty[at])
                .and_then(|room| room.checked_sub(idle[at]))
            {
                room = left;
                gone.push(at);
            }
        }
        (!gone.is_empty()).then_some(gone)
    }

    /// The index of the chunk holding slot `index`.
    fn chunk_of(&self, index: u32) -> Option<usize> {
        self.chunks
            .iter()
            .position(|chunk| (chunk.start..chunk.start + chunk.len() as u32).contains(&index))
    }

    /// Slots never used: past the fresh cursor.
    fn fresh_count(&self) -> usize {
        let unused: usize = self.chunks[(self.fresh_chunk as usize).min(self.chunks.len())..]
            .iter()
            .map(Chunk::len)
            .sum();
        unused - self.fresh as usize
    }

    /// Points the pages of numbers no chunk holds any more at nothing, and drops those past
    /// the last chunk.
    fn unmap_gone_pages(&mut self) {
        let mut mapped = vec![false; self.pages.len()];
        for chunk in &self.chunks {
            let start = chunk.start as usize;
            let end = start + chunk.len();
            mapped[start / PAGE_SLOTS..end.div_ceil(PAGE_SLOTS)].fill(true);
        }
        for (entry, mapped) in self.pages.iter_mut().zip(&mapped) {
            if !mapped {
                // Never looked up: no list holds a number of these pages.
                *entry = NonNull::dangling();
            }
        }
        let used = mapped.iter().rposition(|&m| m).map_or(0, |last| last + 1);
        self.pages.truncate(used);
        self.pages.shrink_to_fit();
    }
}

impl<T> Drop for Slab<T> {
    fn drop(&mut self) {
        /// Drops the idle objects left when a `Drop` panics, so one failing object does not
        /// leak the others (a second panic aborts, as in `Vec`).
        struct DropIdle<'a, T>(&'a mut Slab<T>);

        impl<T> Drop for DropIdle<'_, T> {
            fn drop(&mut self) {
                while let Some(slot) = self.0.pop_idle() {
                    // SAFETY: an idle slot holds a constructed object that nothing refers to;
                    // it is popped first, so it is dropped exactly once.
                    unsafe { slot.drop_object() };
                }
            }
        }

        let rest = DropIdle(self);
        while let Some(slot) = rest.0.pop_idle() {
            // SAFETY: as in `DropIdle::drop`. If this panics, `rest` drops the others.
            unsafe { slot.drop_object() };
        }
        // `rest` finds nothing left. The chunks free their memory when `chunks` drops.
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::config::{Growth, Kind, Settings};

    fn slab(capacity: usize, growth: Growth, max: usize) -> Slab<u64> {
        big_slab(capacity, growth, max)
    }

    fn big_slab<T>(capacity: usize, growth: Growth, max: usize) -> Slab<T> {
        let config = Settings {
            capacity: Some(capacity),
            max_capacity: Some(max),
            growth: Some(growth),
            ..Settings::default()
        }
        .check::<T>(Kind::Growing)
        .unwrap();
        Slab::new(config).unwrap()
    }

    /// A growth step larger than `MAX_CHUNK_BYTES` takes several chunks, and every slot of
    /// each is handed out once, in order, before the slab grows again.
    #[test]
    fn a_large_growth_step_takes_several_chunks() {
        type Huge = [u64; 1 << 17]; // 1 MiB: 16 per chunk
        assert_eq!(Slab::<Huge>::max_chunk_slots(), 16);
        let mut slab = big_slab::<Huge>(16, Growth::Exponential(2.0), 64);
        let mut seen = std::collections::HashSet::new();
        let mut addresses = std::collections::HashSet::new();
        for taken in 0..64 {
            assert_eq!(slab.available(), slab.capacity() - taken);
            let slot = match slab.take_empty().unwrap() {
                EmptySlot::Found(slot) | EmptySlot::Grown(slot) => slot,
            };
            assert!(
                seen.insert(slot.index()),
                "slot {} handed out twice",
                slot.index()
            );
            assert!(addresses.insert(slot.addr().addr()));
        }
        // 16, then +16, then +32 in two chunks of 16.
        assert_eq!((slab.capacity(), slab.chunks.len()), (64, 4));
        assert_eq!(slab.available(), 0);
        assert!(slab.take_empty().is_none(), "at the maximum");
    }

    /// Fills every slot (growing in steps that do not line up with pages), then checks that
    /// each slot number still leads to the slot it was made for, in every chunk.
    #[test]
    fn slot_numbers_lead_back_to_their_slots_across_chunks() {
        let mut slab = slab(5, Growth::Linear(70), 300);
        let mut slots = Vec::new();
        while let Some(EmptySlot::Found(slot) | EmptySlot::Grown(slot)) = slab.take_empty() {
            // SAFETY: the slot is empty and ours; writing makes it hold an object.
            unsafe { slot.addr().write(u64::from(slot.index())) };
            slots.push(slot);
        }
        assert_eq!(slab.capacity(), 300);
        assert_eq!(slots.len(), 300);
        assert_eq!(
            slab.chunks.len(),
            6,
            "5, then five steps of 70 (the last one cut to 15)"
        );
        for &slot in &slots {
            slab.push_idle(slot);
        }
        let mut seen = std::collections::HashSet::new();
        while let Some(slot) = slab.pop_idle() {
            assert!(
                seen.insert(slot.addr() as usize),
                "one slot handed out twice"
            );
            let original = slots.iter().find(|s| s.index() == slot.index()).unwrap();
            assert_eq!(slot.addr(), original.addr());
            // SAFETY: the slot holds the `u64` written above.
            assert_eq!(unsafe { *slot.as_ref() }, u64::from(slot.index()));
            slab.push_vacant(slot); // `u64` needs no drop
        }
        assert_eq!(seen.len(), 300);
        // Chunks start on page boundaries, so some numbers are skipped, never reused.
        let largest = slots.iter().map(|s| s.index()).max().unwrap();
        assert!(largest as usize >= 300 && (largest as usize) < 6 * PAGE_SLOTS + 300);
    }

    /// Chunks given back in the middle leave a gap in the slot numbers, which the next
    /// growth fills; every number still leads to its own slot.
    #[test]
    fn shrink_gives_back_middle_chunks_and_growth_reuses_their_numbers() {
        let mut slab = slab(300, Growth::Linear(300), 1200);
        let mut lent = Vec::new();
        while let Some(EmptySlot::Found(slot) | EmptySlot::Grown(slot)) = slab.take_empty() {
            lent.push(slot);
        }
        assert_eq!(slab.chunks.len(), 4);
        // Chunk starts: 0, 512, 1024, 1536 (each 300 slots, on page boundaries).
        let starts: Vec<u32> = slab.chunks.iter().map(|c| c.start).collect();
        assert_eq!(starts, [0, 512, 1024, 1536]);
        // Give back every slot but one of the last chunk.
        let pinned = lent.pop().unwrap();
        for slot in lent.drain(..) {
            slab.push_vacant(slot);
        }
        slab.shrink();
        assert_eq!(
            slab.capacity(),
            600,
            "the first chunk and the pinned one stay"
        );
        assert_eq!(slab.free.entries.len(), 600);
        assert_eq!(slab.available(), 599);
        // 599 vacant slots: the first chunk's are handed out first (lowest numbers on top).
        let mut again = Vec::new();
        for _ in 0..599 {
            let Some(EmptySlot::Found(slot)) = slab.take_empty() else {
                panic!("vacant slots first");
            };
            again.push(slot);
        }
        assert!(again[..300].iter().all(|s| s.index() < 300));
        // Growth fills the gap the middle chunks left.
        let Some(EmptySlot::Grown(slot)) = slab.take_empty() else {
            panic!("the slab grows");
        };
        assert_eq!(slot.index(), 512);
        assert_eq!(slab.pages.len(), 1836_usize.div_ceil(PAGE_SLOTS));
        again.push(slot);
        again.push(pinned);
        for slot in &again {
            // SAFETY: each slot is empty and ours; writing makes it hold an object.
            unsafe { slot.addr().write(u64::from(slot.index())) };
            slab.push_idle(*slot);
        }
        while let Some(slot) = slab.pop_idle() {
            // SAFETY: the slot holds the `u64` written above.
            assert_eq!(unsafe { *slot.as_ref() }, u64::from(slot.index()));
        }
    }

    /// Loom's case: two chunks past the first, one with an idle object, one with a vacant
    /// slot. Only one can go: the idle object moves into the other's slot.
    #[test]
    fn an_idle_object_moves_into_a_chunk_that_then_stays() {
        let mut slab = slab(1, Growth::Linear(1), 3);
        let slots: Vec<Slot<u64>> = (0..3)
            .map(|_| match slab.take_empty().unwrap() {
                EmptySlot::Found(slot) | EmptySlot::Grown(slot) => slot,
            })
            .collect();
        assert_eq!(
            slots.iter().map(|s| s.index()).collect::<Vec<_>>(),
            [0, 256, 512]
        );
        for slot in [slots[2], slots[0]] {
            // SAFETY: the slot is empty and ours; writing makes it hold an object.
            unsafe { slot.addr().write(u64::from(slot.index()) + 1000) };
            slab.push_idle(slot);
        }
        slab.push_vacant(slots[1]);
        slab.shrink();
        assert_eq!(slab.capacity(), 2);
        let mut values = Vec::new();
        while let Some(slot) = slab.pop_idle() {
            // SAFETY: the slot holds one of the `u64`s written above (moved or not).
            values.push((slot.index(), unsafe { *slot.as_ref() }));
        }
        values.sort_unstable();
        assert_eq!(values, [(0, 1000), (256, 1512)]);
    }

    #[test]
    fn the_free_list_holds_four_bytes_per_slot() {
        let slab = slab(1000, Growth::Exponential(2.0), 1000);
        assert_eq!(core::mem::size_of_val(&slab.free.entries[0]), 4);
        assert_eq!(slab.free.entries.capacity(), 1000);
        assert_eq!(slab.pages.capacity(), 1000_usize.div_ceil(PAGE_SLOTS));
    }
}
