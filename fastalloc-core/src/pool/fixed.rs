//! [`FixedPool`]: a single-threaded pool of a fixed number of objects.

use core::fmt;

use crate::anchored::Anchored;
use crate::builder::{FactorySource, PoolBuilder, PoolKind, ResetSource};
use crate::config::Kind;
use crate::error::BuildError;
use crate::pool::local::{LocalCore, Named, SingleEnv};
use crate::reset::Reset;

/// A pool of at most `capacity` objects for one thread: no locks, no atomic
/// read-modify-writes.
///
/// Objects are built on demand (or all at once with `preallocate(true)`), handed out as
/// [`Pooled`](crate::Pooled) guards, reset when a guard drops and reused last-in, first-out.
/// The slots are reserved when the pool is built, so a warm pool never calls the allocator.
///
/// `FixedPool` is `Send` (when `T` is) but not `Sync`; share one between threads with
/// [`ThreadSafePool`](crate::ThreadSafePool), or give each thread its own with
/// [`ThreadLocalPool`](crate::ThreadLocalPool).
///
/// # Examples
///
/// ```
/// use fastalloc_core::{FixedPool, PoolError};
///
/// let pool: FixedPool<Vec<u32>> = FixedPool::new(2)?;
/// let mut a = pool.allocate()?;
/// a.extend([1, 2, 3]);
/// let _b = pool.allocate()?;
/// assert!(matches!(pool.allocate(), Err(PoolError::Exhausted { capacity: 2 })));
/// drop(a); // cleared and returned
/// let again = pool.allocate()?;
/// assert!(again.is_empty() && again.capacity() >= 3); // reset, capacity kept
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FixedPool<T> {
    /// The pool's place in the registry, if it is named (without `std`, only its name).
    /// Declared first, so dropped first: the registry reads `core` until the pool is gone
    /// from its list.
    named: Option<Named>,
    /// On the heap, not inline: the pool's hot fields (free list, counters) must not sit on
    /// the caller's stack, where their distance from the objects (on the heap) changes with
    /// every process start. When a field and an object a reset just wrote are 4 KiB apart
    /// modulo the page, the CPU takes the load for one that depends on the store (4 KiB
    /// aliasing): one stack position in 256 made a round trip 5x slower, and a benchmark
    /// that held the pool in a local variable ran at 2.5 ns in eight starts and 6.2 ns in
    /// the ninth (issue 16). On the heap the distance is the same in every start. An
    /// `Anchored` box, not a `Box`: the registry keeps pointers into it (issue 14).
    pub(crate) core: Anchored<LocalCore<T, SingleEnv<T>>>,
}

impl<T> PoolKind for FixedPool<T> {
    type Item = T;
}

impl<T: Default + Reset + 'static> FixedPool<T> {
    /// A pool of `capacity` objects built on demand with `Default` and reset with [`Reset`].
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroCapacity`] for 0, [`BuildError::CapacityTooLarge`] if the slots do
    /// not fit in memory.
    pub fn new(capacity: usize) -> Result<Self, BuildError> {
        Self::builder().capacity(capacity).build()
    }
}

impl<T> FixedPool<T> {
    /// A builder for a fixed pool: capacity, eager creation, factory and reset closure.
    pub fn builder() -> PoolBuilder<Self> {
        PoolBuilder::new()
    }

    super::single_thread_pool_methods!();
}

impl<T, F: FactorySource<T>, R: ResetSource<T>> PoolBuilder<FixedPool<T>, F, R> {
    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the setting to change: no or zero capacity, a capacity too
    /// large, or a growth policy or maximum (a fixed pool never grows).
    ///
    /// # Panics
    ///
    /// With `preallocate(true)`, a panic of the factory propagates.
    pub fn build(self) -> Result<FixedPool<T>, BuildError> {
        let (settings, hooks, name) = self.into_parts();
        let config = settings.check::<T>(Kind::Fixed)?;
        let core = Anchored::new(LocalCore::new(config, SingleEnv::new(hooks))?);
        let named = name.map(|name| LocalCore::register(&core, name));
        Ok(FixedPool { named, core })
    }
}

impl<T> fmt::Debug for FixedPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedPool")
            .field("name", &self.name())
            .field("capacity", &self.capacity())
            .field("in_use", &self.in_use())
            .field("idle", &self.idle())
            .field("closed", &self.is_closed())
            .finish()
    }
}
