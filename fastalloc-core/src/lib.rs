//! The runtime of [fastalloc](https://docs.rs/fastalloc): object pools, their guards, the
//! [`Reset`] trait, a fluent builder and statistics.
//!
//! Use it through the `fastalloc` crate, which re-exports everything here together with the
//! `#[pooled]` and `#[derive(Reset)]` macros.
//!
//! # Which pool?
//!
//! | pool | threads | grows | guard | cost of a round trip |
//! |---|---|---|---|---|
//! | [`FixedPool`] | one (`Send`, not `Sync`) | no | [`Pooled`] | a pointer pop and push, no atomic read-modify-write |
//! | [`GrowingPool`] | one | by [`Growth`], up to a maximum | [`Pooled`] | the same; growing adds a chunk |
//! | [`ThreadLocalPool`] | many, each its own objects | optional | [`LocalPooled`] (`!Send`) | one thread-local read, no atomic read-modify-write |
//! | [`ThreadSafePool`] | many, shared objects | optional | [`SharedPooled`] or [`OwnedPooled`] (`Send`) | plain loads and stores on the thread's cache, no atomic read-modify-write |
//! | `AsyncPool` (feature `async`, on by default) | many tasks; `allocate().await` waits, FIFO | optional | `AsyncPooled` / `OwnedAsyncPooled` (`Send`) | a permit (one compare-exchange) plus the thread-safe pool |
//! | [`StaticPool`] | many (`Sync`, lock-free); no heap, `N` objects inline, a `static` | no | [`StaticPooled`] (`Send`) | one compare-and-swap each way |
//!
//! Every pool hands out a guard that dereferences to the object; dropping the guard resets the
//! object (with [`Reset`] or the builder's `reset_with`) and makes it idle again. Objects are
//! reused last-in, first-out, a lent object never moves, and a warm pool never calls the
//! allocator. `trim` and `trim_unused` give idle objects, and the chunks a pool grew by, back.
//!
//! Without the `std` feature the crate is `#![no_std]`: [`Reset`], the errors, [`PoolStats`],
//! the guard and [`StaticPool`] remain. With `alloc` (a heap, no `std`) so do [`FixedPool`],
//! [`GrowingPool`], the builder, [`Growth`] and `Reset` for the `alloc` collections; the
//! thread-aware pools, the registry (a named pool then only keeps its name) and the sanitizer
//! need `std`. Without `std` no panic can be caught: a reset that panics still has its object
//! dropped and its slot freed, by a drop guard as the panic unwinds, but if that object's
//! `Drop` panics as well the program aborts (with `std` that second panic propagates).
//!
//! A pool named with the builder's [`name`](PoolBuilder::name) is listed in the [`registry`]
//! while it lives, so that one [`registry::snapshot`] shows every named pool's statistics.
//!
//! # Examples
//!
//! ```
//! use fastalloc_core::{FixedPool, PoolError};
//!
//! let pool: FixedPool<Vec<u8>> = FixedPool::new(16)?;
//! {
//!     let mut buffer = pool.allocate()?;
//!     buffer.extend_from_slice(b"hello");
//! } // cleared and returned here
//! assert_eq!(pool.stats().releases, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;

// Without `alloc`, what is left needs neither a heap nor threads: `Reset`, the errors, the
// statistics, the guard and `StaticPool`. `alloc` adds the single-threaded pools on a heap
// (`FixedPool`, `GrowingPool`) and what they are built from: the builder, the slab. The
// modules below `std` need thread-locals, locks, `catch_unwind` or a registry shared by
// threads.
#[cfg(feature = "alloc")]
mod anchored;
#[cfg(feature = "alloc")]
mod builder;
#[cfg(feature = "alloc")]
mod config;
mod error;
mod guard;
#[cfg(feature = "std")]
mod per_thread;
mod pool;
#[cfg(feature = "std")]
pub mod registry;
mod reset;
#[cfg(feature = "sanitizer")]
pub mod sanitizer;
#[cfg(feature = "alloc")]
mod slab;
/// Without the slab, its one module of raw slot access: `StaticPool` keeps its objects in
/// slots too.
#[cfg(not(feature = "alloc"))]
mod slab {
    mod slot;
    pub(crate) use slot::{Gone, Owner, Slot};
}
mod stats;
mod sync;

// The unit tests use `std` (collections, threads) whatever the features: the test harness
// links it anyway.
#[cfg(all(test, not(feature = "std")))]
extern crate std;

#[cfg(test)]
mod tests;

#[cfg(feature = "alloc")]
pub use builder::{
    FactorySource, PoolBuilder, PoolKind, ResetSource, RetainIf, UseDefault, UseReset, WithFactory,
    WithReset,
};
#[cfg(feature = "alloc")]
pub use config::Growth;
// For the code `#[pooled]` generates (through `fastalloc::__private`); not public API.
#[cfg(feature = "alloc")]
#[doc(hidden)]
pub use config::max_objects;
pub use error::{BuildError, PoolError};
pub use guard::{kind, GuardKind, Pooled, StaticPooled};
#[cfg(feature = "async")]
pub use guard::{AsyncPooled, OwnedAsyncPooled};
#[cfg(feature = "std")]
pub use guard::{LocalPooled, OwnedPooled, SharedPooled};
#[cfg(feature = "async")]
pub use pool::AsyncPool;
pub use pool::StaticPool;
#[cfg(feature = "alloc")]
pub use pool::{FixedPool, GrowingPool};
#[cfg(feature = "std")]
pub use pool::{ThreadLocalPool, ThreadSafePool};
pub use reset::{Capacity, Reset};
pub use stats::PoolStats;

/// Everything a user of pools needs, for `use fastalloc_core::prelude::*`.
pub mod prelude {
    #[cfg(feature = "async")]
    pub use crate::{AsyncPool, AsyncPooled, OwnedAsyncPooled};
    pub use crate::{BuildError, PoolError, PoolStats, Pooled, Reset, StaticPool, StaticPooled};
    #[cfg(feature = "alloc")]
    pub use crate::{FixedPool, GrowingPool, Growth};
    #[cfg(feature = "std")]
    pub use crate::{LocalPooled, OwnedPooled, SharedPooled, ThreadLocalPool, ThreadSafePool};
}
