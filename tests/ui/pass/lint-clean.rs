// The expansions are clean under strict lints, in a crate that forbids unsafe code.
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
//! A crate with pooled types.

use fastalloc::{pooled, Reset};

const CAPACITY: usize = 32;

/// A public pooled type: its `pool()` is public and documented.
#[pooled(capacity = CAPACITY, thread_safe, growth = linear(8), max_capacity = 64)]
#[derive(Debug, Default, Reset)]
pub struct Message {
    /// The payload; a message that grew it past 4 KiB is dropped.
    #[reset(max_capacity = 4096)]
    pub body: Vec<u8>,
    /// Kept between uses.
    #[reset(skip)]
    pub channel: u16,
}

/// A private type behind `pub(crate)`.
#[pooled(
    capacity = 4,
    preallocate,
    growth = exponential(1.5),
    max_capacity = 16,
    retain_if = Self::young
)]
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    #[reset(skip, max_capacity = CAPACITY * 2)]
    words: Vec<String>,
    #[reset(value = 1)]
    generation: u64,
}

impl Scratch {
    fn young(&self) -> bool {
        self.generation < 100
    }
}

#[derive(Debug, Default)]
#[pooled(capacity = 2)]
struct Private(Vec<u8>);

/// A generic type with a derived `Reset`.
#[derive(Debug, Reset)]
pub struct Batch<T> {
    /// The items.
    pub items: Vec<T>,
    /// The current item.
    pub current: Option<T>,
    /// Dropped above 64 items.
    #[reset(with = Vec::clear, max_capacity = 64)]
    pub spare: Vec<T>,
}

/// Runs every pool once.
///
/// # Errors
///
/// When a pool is exhausted.
pub fn run() -> Result<usize, fastalloc::PoolError> {
    let mut message = Message::pool().allocate()?;
    let channel = message.channel.to_le_bytes()[0];
    message.body.push(channel);
    let mut scratch = Scratch::pool().allocate()?;
    scratch.words.push(String::from("word"));
    scratch.generation += 1;
    let mut private = Private::pool().allocate()?;
    private.0.push(1);
    let mut batch = Batch { items: vec![1], current: Some(2), spare: Vec::new() };
    batch.reset();
    assert!(batch.reusable());
    Ok(message.body.len() + scratch.words.len() + private.0.len() + batch.items.len())
}

fn main() {
    assert_eq!(run().ok(), Some(3));
}
