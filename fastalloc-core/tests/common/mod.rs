//! Helpers shared by the integration tests: objects that count their drops and resets.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fastalloc_core::Reset;

/// Counts drops, resets and creations of [`Tracked`] objects.
#[derive(Debug, Default)]
pub struct Counts {
    pub created: AtomicUsize,
    pub resets: AtomicUsize,
    pub drops: AtomicUsize,
}

impl Counts {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn created(&self) -> usize {
        self.created.load(Ordering::SeqCst)
    }

    pub fn resets(&self) -> usize {
        self.resets.load(Ordering::SeqCst)
    }

    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    /// Live objects: built and not yet dropped.
    pub fn live(&self) -> usize {
        self.created() - self.drops()
    }
}

/// An object that reports its life to a [`Counts`] and carries a value that reset clears.
#[derive(Debug)]
pub struct Tracked {
    pub id: usize,
    pub value: u64,
    pub data: Vec<u8>,
    counts: Arc<Counts>,
}

impl Tracked {
    pub fn new(counts: &Arc<Counts>) -> Self {
        let id = counts.created.fetch_add(1, Ordering::SeqCst);
        Self {
            id,
            value: 0,
            data: Vec::new(),
            counts: Arc::clone(counts),
        }
    }

    pub fn reset(&mut self) {
        self.counts.resets.fetch_add(1, Ordering::SeqCst);
        self.value = 0;
        self.data.clear();
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.counts.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `Default + Reset` type for the plain constructors.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Particle {
    pub position: [f32; 3],
    pub trail: Vec<u32>,
}

impl Reset for Particle {
    fn reset(&mut self) {
        self.position.reset();
        self.trail.reset();
    }
}

/// Loop counts: large natively, small under Miri.
pub fn scaled(native: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else {
        native
    }
}

/// Counts its drops, and panics when dropped if it was built to (see [`brittle`]).
pub struct Brittle {
    panic_on_drop: bool,
    drops: Arc<AtomicUsize>,
}

impl Drop for Brittle {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        assert!(!self.panic_on_drop, "drop failed on purpose");
    }
}

/// A factory of [`Brittle`] objects counting into `drops`: the `fail_at`-th one built
/// (from 0) panics when it is dropped.
pub fn brittle(
    drops: &Arc<AtomicUsize>,
    fail_at: usize,
) -> impl Fn() -> Brittle + Send + Sync + 'static {
    let (drops, made) = (Arc::clone(drops), AtomicUsize::new(0));
    move || Brittle {
        panic_on_drop: made.fetch_add(1, Ordering::SeqCst) == fail_at,
        drops: Arc::clone(&drops),
    }
}
