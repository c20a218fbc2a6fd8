//! The pool types. Each file holds one: [`FixedPool`], [`GrowingPool`], [`ThreadSafePool`],
//! [`ThreadLocalPool`]; `local.rs` holds the single-threaded engine the first two and each
//! thread of the last one share.

#[cfg(feature = "async")]
pub(crate) mod async_pool;
pub(crate) mod fixed;
pub(crate) mod growing;
pub(crate) mod local;
pub(crate) mod thread_local;
pub(crate) mod thread_safe;

#[cfg(feature = "async")]
pub use async_pool::AsyncPool;
pub use fixed::FixedPool;
pub use growing::GrowingPool;
pub use thread_local::ThreadLocalPool;
pub use thread_safe::ThreadSafePool;

/// The methods `FixedPool` and `GrowingPool` share: both wrap a `LocalCore` in `self.core`.
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
    };
}

pub(crate) use single_thread_pool_methods;
