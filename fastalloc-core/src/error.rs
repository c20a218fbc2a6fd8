//! The errors a pool returns: [`PoolError`] from `allocate` and [`BuildError`] from `build`.

use core::fmt;

/// Why `allocate` could not hand out an object.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{FixedPool, PoolError};
///
/// let pool: FixedPool<u64> = FixedPool::new(1).unwrap();
/// let _first = pool.allocate().unwrap();
/// assert_eq!(pool.allocate().unwrap_err(), PoolError::Exhausted { capacity: 1 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PoolError {
    /// Every object is in use and the pool may not grow any further.
    Exhausted {
        /// The capacity the pool had reached.
        capacity: usize,
    },
    /// The pool was closed with `close()` and hands out nothing more.
    Closed,
    /// A bounded wait (`ThreadSafePool::allocate_timeout`) ended with every object still in
    /// use.
    ///
    /// (No capacity in it, unlike `Exhausted`: with it the error took a word more, and so did
    /// every `Result` that `allocate` returns.)
    Timeout {
        /// How long the caller waited.
        timeout: core::time::Duration,
    },
    // Not a link: `AsyncPool` needs the `async` feature. One field only: a second would make
    // every `Result<guard, PoolError>` a word larger (`tests/auto_traits.rs`), and the number
    // asked for is the caller's to know.
    /// `AsyncPool::allocate_many` asked for more objects than the pool can ever lend at once,
    /// so no wait would be long enough.
    TooMany {
        /// The most the pool can lend at once (its `max_capacity`).
        max_capacity: usize,
    },
    /// A [`ThreadLocalPool`](crate::ThreadLocalPool) was asked for an object by a thread that
    /// is exiting (from the destructor of a thread-local): that thread's part of the pool is
    /// already gone.
    ThreadExiting,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Exhausted { capacity } => write!(
                f,
                "pool exhausted: all {capacity} objects are in use; drop a guard to return one, \
                 or build the pool with a larger `capacity`, a `growth` policy or a higher \
                 `max_capacity`"
            ),
            PoolError::Timeout { timeout } => write!(
                f,
                "timed out after {timeout:?}: every object stayed in use; wait longer, return \
                 objects sooner, or build the pool with a larger `capacity` or a `growth` \
                 policy"
            ),
            PoolError::Closed => f.write_str(
                "pool is closed: `close()` was called, so no more objects are handed out; \
                 build a new pool",
            ),
            PoolError::TooMany { max_capacity } => write!(
                f,
                "asked for more objects at once than this pool can ever lend ({max_capacity}): \
                 ask for at most {max_capacity}, or build the pool with a higher `max_capacity`"
            ),
            PoolError::ThreadExiting => f.write_str(
                "this thread is exiting (the call comes from a thread-local's destructor), so its \
                 part of the `ThreadLocalPool` is gone; allocate before the thread ends, or use a \
                 `ThreadSafePool`",
            ),
        }
    }
}

impl core::error::Error for PoolError {}

/// Why a pool builder (or a `new` constructor) refused its configuration.
///
/// Every message says which setting to change.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{BuildError, GrowingPool, Growth};
///
/// let err = GrowingPool::<u32>::new(16, Growth::Exponential(1.0)).unwrap_err();
/// assert_eq!(err, BuildError::GrowthFactorTooSmall { factor: 1.0 });
/// assert!(err.to_string().contains("greater than 1.0"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum BuildError {
    /// No capacity was given to the builder.
    MissingCapacity,
    /// The capacity was zero.
    ZeroCapacity,
    /// The maximum capacity is below the initial capacity.
    MaxBelowCapacity {
        /// The initial capacity asked for.
        capacity: usize,
        /// The maximum asked for.
        max_capacity: usize,
    },
    /// `Growth::Linear(0)` would never add a slot.
    ZeroGrowthStep,
    /// `Growth::Exponential(f)` needs a finite factor above 1.0.
    GrowthFactorTooSmall {
        /// The factor asked for.
        factor: f64,
    },
    /// A `FixedPool` was given a growth policy or a maximum capacity.
    FixedPoolCannotGrow,
    /// The capacity is larger than the pool can address (`u32::MAX` objects) or than memory
    /// allows for this object size.
    CapacityTooLarge {
        /// The capacity asked for.
        capacity: usize,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingCapacity => {
                f.write_str("no capacity given: call `.capacity(n)` on the builder with n >= 1")
            }
            BuildError::ZeroCapacity => f.write_str(
                "capacity must be at least 1: a pool of zero objects can never hand one out",
            ),
            BuildError::MaxBelowCapacity {
                capacity,
                max_capacity,
            } => write!(
                f,
                "max_capacity ({max_capacity}) is below the initial capacity ({capacity}): \
                 raise `max_capacity` to at least {capacity} or lower `capacity`"
            ),
            BuildError::ZeroGrowthStep => {
                f.write_str("`Growth::Linear(0)` never adds an object: use a step of at least 1")
            }
            BuildError::GrowthFactorTooSmall { factor } => write!(
                f,
                "growth factor {factor} does not grow the pool: `Growth::Exponential` needs a \
                 finite factor greater than 1.0, such as 1.5 or 2.0"
            ),
            BuildError::FixedPoolCannotGrow => f.write_str(
                "a `FixedPool` never grows: remove `.growth(...)` and `.max_capacity(...)`, or \
                 build a `GrowingPool` instead",
            ),
            BuildError::CapacityTooLarge { capacity } => write!(
                f,
                "capacity {capacity} is too large: a pool holds at most {} objects and their \
                 memory must fit in the address space; lower `capacity` or `max_capacity`",
                u32::MAX
            ),
        }
    }
}

impl core::error::Error for BuildError {}
