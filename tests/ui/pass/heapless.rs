// `heapless` pools: every argument that goes with them, under strict lints.
#![forbid(unsafe_code)]
#![deny(
    warnings,
    unused_qualifications,
    unused_results,
    unreachable_pub,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    trivial_casts,
    trivial_numeric_casts,
    single_use_lifetimes,
    unused_import_braces,
    clippy::pedantic
)]
//! A crate with `heapless` pools.

use fastalloc::{pooled, PoolError, Reset, StaticPool, StaticPooled};

const FRAMES: usize = 2;

/// A public type: its `pool()` is public and documented.
#[pooled(capacity = FRAMES * 2, heapless)]
#[derive(Debug)]
pub struct Frame {
    /// The bytes.
    pub data: [u8; 64],
    /// How many are in use.
    pub len: usize,
}

impl Default for Frame {
    fn default() -> Self {
        Frame { data: [0; 64], len: 0 }
    }
}

/// Every function argument, `Self` paths included, and a derive above.
#[derive(Debug, Reset)]
#[pooled(
    heapless,
    capacity = 3,
    factory = Self::new,
    retain_if = Self::young,
    crate = fastalloc
)]
pub(crate) struct Job {
    #[reset(value = 1)]
    generation: u64,
}

impl Job {
    fn new() -> Self {
        Job { generation: 1 }
    }

    fn young(&self) -> bool {
        self.generation < 100
    }
}

fn clear(counter: &mut Counter) {
    counter.0 = 0;
}

#[pooled(capacity = 1, heapless, reset = clear, retain_if = Counter::small)]
#[derive(Debug, Default)]
struct Counter(u32);

impl Counter {
    fn small(&self) -> bool {
        self.0 < 10
    }
}

/// Runs every pool once.
///
/// # Errors
///
/// When a pool is exhausted.
pub fn run() -> Result<usize, PoolError> {
    let pool: &'static StaticPool<Frame, 4> = Frame::pool();
    let mut frame: StaticPooled<'static, Frame, 4> = pool.allocate()?;
    frame.len = 1;
    let mut job = Job::pool().allocate()?;
    job.generation += 1;
    let mut counter = Counter::pool().allocate()?;
    counter.0 += 1;
    Ok(frame.len + usize::from(job.young()) + counter.0 as usize)
}

fn main() {
    assert_eq!(run().ok(), Some(3));
}
