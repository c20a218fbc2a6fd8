//! A counting global allocator, shared by `tests/alloc_count.rs` (zero allocator calls in
//! steady state, bytes held) and `benches/memory.rs` (the memory table). Each includes this
//! file with `#[path]` and installs [`Counting`] as its `#[global_allocator]`.
//!
//! It counts only what the thread inside [`counted`] does (other threads, such as the test
//! harness's, allocate meanwhile), and forwards every call to the system allocator unchanged.
// Each user reads only some of the counts.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

/// The counting allocator.
pub(crate) struct Counting;

static CALLS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

std::thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
}

fn on() -> bool {
    ON.try_with(Cell::get).unwrap_or(false)
}

fn count(calls: usize, bytes: isize, blocks: isize) {
    if on() {
        CALLS.fetch_add(calls, Ordering::Relaxed);
        BYTES.fetch_add(bytes, Ordering::Relaxed);
        BLOCKS.fetch_add(blocks, Ordering::Relaxed);
    }
}

#[allow(clippy::cast_possible_wrap)] // sizes of live allocations fit in `isize`
fn signed(size: usize) -> isize {
    size as isize
}

// SAFETY: defers to the system allocator; the counters are side effects only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(1, signed(layout.size()), 1);
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(1, -signed(layout.size()), -1);
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(1, signed(new_size) - signed(layout.size()), 0);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What the calling thread did with the allocator while [`counted`] ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Calls to `alloc`, `dealloc` and `realloc`.
    pub(crate) calls: usize,
    /// Bytes allocated minus bytes freed.
    pub(crate) bytes: isize,
    /// Blocks allocated minus blocks freed.
    pub(crate) blocks: isize,
}

/// Runs `f` with counting on for the calling thread; returns its result and the counts. Not
/// re-entrant, and callers on several threads must take turns (the counters are global).
pub(crate) fn counted<R>(f: impl FnOnce() -> R) -> (R, Counts) {
    CALLS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    BLOCKS.store(0, Ordering::SeqCst);
    ON.with(|on| on.set(true));
    let result = f();
    ON.with(|on| on.set(false));
    let counts = Counts {
        calls: CALLS.load(Ordering::SeqCst),
        bytes: BYTES.load(Ordering::SeqCst),
        blocks: BLOCKS.load(Ordering::SeqCst),
    };
    (result, counts)
}
