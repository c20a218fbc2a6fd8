//! The pool types. Each file holds one: `FixedPool`, `GrowingPool`, `ThreadSafePool`,
//! `ThreadLocalPool`, `AsyncPool`, [`StaticPool`]; `local.rs` holds the single-threaded engine
//! the first two and each thread of `ThreadLocalPool` share. Without `std`, `StaticPool` is
//! there, and with `alloc` also `FixedPool` and `GrowingPool` (with `local.rs`).

#[cfg(feature = "async")]
pub(crate) mod async_pool;
#[cfg(feature = "alloc")]
pub(crate) mod fixed;
#[cfg(feature = "alloc")]
pub(crate) mod growing;
#[cfg(feature = "alloc")]
pub(crate) mod local;
pub(crate) mod static_pool;
#[cfg(feature = "std")]
pub(crate) mod thread_local;
#[cfg(feature = "std")]
pub(crate) mod thread_safe;

#[cfg(feature = "async")]
pub use async_pool::AsyncPool;
#[cfg(feature = "alloc")]
pub use fixed::FixedPool;
#[cfg(feature = "alloc")]
pub use growing::GrowingPool;
pub use static_pool::StaticPool;
#[cfg(feature = "std")]
pub use thread_local::ThreadLocalPool;
#[cfg(feature = "std")]
pub use thread_safe::ThreadSafePool;

/// The methods `FixedPool` and `GrowingPool` share: both wrap a `LocalCore` in `self.core`.
#[cfg(feature = "alloc")]
macro_rules! single_thread_pool_methods {
    () => {
        /// Lends an object: the most recently returned idle one if any (LIFO, so it is still in
        /// cache), else a new one built by the factory.
        ///
        /// # Errors
        ///
        /// [`PoolError::Exhausted`](crate::PoolError::Exhausted) when every object is lent
        /// and the pool cannot grow; [`PoolError::Closed`](crate::PoolError::Closed) after
        /// [`close`](Self::close).
        ///
        /// # Panics
        ///
        /// If the factory panics, the panic propagates; the slot it was filling stays usable.
        #[inline]
        #[cfg_attr(feature = "sanitizer", track_caller)]
        pub fn allocate(&self) -> Result<crate::Pooled<'_, T>, crate::PoolError> {
            let slot = self.core.allocate()?;
            Ok(crate::Pooled::new(
                slot,
                crate::pool::local::LocalHome::new(&self.core),
            ))
        }

        /// How many objects the pool may hold now.
        pub fn capacity(&self) -> usize {
            self.core.capacity()
        }

        /// The name given to the builder's [`name`](crate::PoolBuilder::name), if any.
        pub fn name(&self) -> Option<&str> {
            self.named.as_ref().map(crate::pool::local::Named::name)
        }

        /// Objects lent and not yet returned.
        pub fn in_use(&self) -> usize {
            self.core.in_use()
        }

        /// How many more allocations succeed before the pool must grow or report exhaustion.
        pub fn available(&self) -> usize {
            self.core.available()
        }

        /// Constructed objects waiting to be lent.
        pub fn idle(&self) -> usize {
            self.core.idle()
        }

        /// A snapshot of the pool's statistics.
        pub fn stats(&self) -> crate::PoolStats {
            self.core.stats()
        }

        /// Closes the pool: `allocate` returns
        /// [`PoolError::Closed`](crate::PoolError::Closed) from now on, idle objects are
        /// dropped now, and objects still lent are dropped when their guards return them.
        pub fn close(&self) {
            self.core.close();
        }

        /// Whether [`close`](Self::close) was called.
        pub fn is_closed(&self) -> bool {
            crate::pool::local::Env::is_closed(&self.core.env)
        }

        /// Drops idle objects until at most `keep_idle` are idle, and returns how many it
        /// dropped (counted in `stats().trimmed`). It keeps the objects in the oldest slots,
        /// and a growing pool then gives back every chunk it added whose slots are all empty:
        /// its capacity falls back, never below the initial capacity.
        ///
        /// A `Drop` of the object that panics stops the trim: the objects not dropped yet
        /// stay idle, and the panic goes on.
        ///
        /// # Examples
        ///
        /// ```
        /// use fastalloc_core::{GrowingPool, Growth};
        ///
        /// let pool: GrowingPool<Vec<u8>> = GrowingPool::new(4, Growth::Exponential(2.0))?;
        /// let burst: Vec<_> = (0..100).map(|_| pool.allocate().unwrap()).collect();
        /// drop(burst);
        /// assert_eq!((pool.capacity(), pool.idle()), (128, 100));
        /// assert_eq!(pool.trim(0), 100);
        /// assert_eq!(pool.capacity(), 4); // back to where it started
        /// # Ok::<(), fastalloc_core::BuildError>(())
        /// ```
        pub fn trim(&self, keep_idle: usize) -> usize {
            self.core.trim(keep_idle)
        }

        /// Drops the idle objects that no allocation needed since the previous call (or since
        /// the pool was built): those that stayed idle through that whole period (the
        /// low-water mark of the idle count). Returns how many it dropped, and gives back
        /// empty chunks as [`trim`](Self::trim) does.
        ///
        /// Called from a timer every few seconds, it keeps what the program's working set
        /// needs and drops what a past burst left behind.
        ///
        /// # Examples
        ///
        /// ```
        /// use fastalloc_core::FixedPool;
        ///
        /// let pool: FixedPool<String> = FixedPool::new(100)?;
        /// let burst: Vec<_> = (0..100).map(|_| pool.allocate().unwrap()).collect();
        /// drop(burst);
        /// assert_eq!(pool.trim_unused(), 0); // every object was needed in this period
        /// for _ in 0..1000 {
        ///     let _a = pool.allocate().unwrap(); // ten in use at a time, at most
        ///     let _rest: Vec<_> = (0..9).map(|_| pool.allocate().unwrap()).collect();
        /// }
        /// assert_eq!(pool.trim_unused(), 90);
        /// assert_eq!(pool.idle(), 10);
        /// # Ok::<(), fastalloc_core::BuildError>(())
        /// ```
        pub fn trim_unused(&self) -> usize {
            self.core.trim_unused()
        }
    };
}

#[cfg(feature = "alloc")]
pub(crate) use single_thread_pool_methods;
