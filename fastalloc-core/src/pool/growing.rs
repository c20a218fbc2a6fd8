//! [`GrowingPool`]: a single-threaded pool that grows when it runs dry.

use core::fmt;

use crate::anchored::Anchored;
use crate::builder::{FactorySource, PoolBuilder, PoolKind, ResetSource};
use crate::config::{Growth, Kind};
use crate::error::BuildError;
use crate::pool::local::{LocalCore, Named, SingleEnv};
use crate::reset::Reset;

/// A pool for one thread that grows when every object is lent: by a fixed step
/// ([`Growth::Linear`]) or a factor ([`Growth::Exponential`]), up to an optional maximum.
///
/// Growing adds a new chunk of slots; a lent object never moves, so guards stay valid.
/// [`trim`](Self::trim) and [`trim_unused`](Self::trim_unused) give the chunks back once a
/// burst is over.
/// Like [`FixedPool`](crate::FixedPool), it uses no locks and no atomic read-modify-writes.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{GrowingPool, Growth};
///
/// let pool: GrowingPool<String> = GrowingPool::new(2, Growth::Exponential(2.0))?;
/// let guards: Vec<_> = (0..5).map(|_| pool.allocate().unwrap()).collect();
/// assert_eq!(pool.capacity(), 8); // 2 -> 4 -> 8
/// assert_eq!(pool.stats().growths, 2);
/// drop(guards);
/// assert_eq!(pool.idle(), 5);
/// # Ok::<(), fastalloc_core::BuildError>(())
/// ```
pub struct GrowingPool<T> {
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

impl<T> PoolKind for GrowingPool<T> {
    type Item = T;
}

impl<T: Default + Reset + 'static> GrowingPool<T> {
    /// A pool of `capacity` objects at first that grows by `growth` without limit, building
    /// objects with `Default` and resetting them with [`Reset`].
    ///
    /// # Errors
    ///
    /// [`BuildError::ZeroCapacity`], [`BuildError::ZeroGrowthStep`] or
    /// [`BuildError::GrowthFactorTooSmall`] for settings that cannot work.
    pub fn new(capacity: usize, growth: Growth) -> Result<Self, BuildError> {
        Self::builder().capacity(capacity).growth(growth).build()
    }
}

impl<T> GrowingPool<T> {
    /// A builder for a growing pool (it doubles unless `growth` says otherwise).
    pub fn builder() -> PoolBuilder<Self> {
        PoolBuilder::new()
    }

    /// The most objects the pool may grow to.
    pub fn max_capacity(&self) -> usize {
        self.core.max_capacity()
    }

    super::single_thread_pool_methods!();
}

impl<T, F: FactorySource<T>, R: ResetSource<T>> PoolBuilder<GrowingPool<T>, F, R> {
    /// Builds the pool.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] naming the setting to change: no or zero capacity, a maximum below the
    /// capacity, a growth step of 0 or factor of at most 1.0, or a capacity too large.
    ///
    /// # Panics
    ///
    /// With `preallocate(true)`, a panic of the factory propagates.
    pub fn build(self) -> Result<GrowingPool<T>, BuildError> {
        let (settings, hooks, name) = self.into_parts();
        let config = settings.check::<T>(Kind::Growing)?;
        let core = Anchored::new(LocalCore::new(config, SingleEnv::new(hooks))?);
        let named = name.map(|name| LocalCore::register(&core, name));
        Ok(GrowingPool { named, core })
    }
}

impl<T> fmt::Debug for GrowingPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowingPool")
            .field("name", &self.name())
            .field("capacity", &self.capacity())
            .field("max_capacity", &self.max_capacity())
            .field("in_use", &self.in_use())
            .field("idle", &self.idle())
            .field("closed", &self.is_closed())
            .finish()
    }
}
