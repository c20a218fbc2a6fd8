//! Growth policies and the validated configuration every pool is built from.

use crate::error::BuildError;

/// How a pool grows when every object is in use.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{GrowingPool, Growth};
///
/// // Start with 16 objects, add 16 more each time the pool runs dry, stop at 64.
/// let pool = GrowingPool::<Vec<u8>>::builder()
///     .capacity(16)
///     .growth(Growth::Linear(16))
///     .max_capacity(64)
///     .build()
///     .unwrap();
/// assert_eq!(pool.capacity(), 16);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    /// Add this many objects each time (at least 1).
    Linear(usize),
    /// Multiply the capacity by this factor each time (finite and greater than 1.0); the pool
    /// always grows by at least one object.
    Exponential(f64),
}

impl Default for Growth {
    /// Doubling, as `Vec` does.
    fn default() -> Self {
        Growth::Exponential(2.0)
    }
}

impl Growth {
    pub(crate) fn validate(self) -> Result<(), BuildError> {
        match self {
            Growth::Linear(0) => Err(BuildError::ZeroGrowthStep),
            Growth::Exponential(factor) if !(factor.is_finite() && factor > 1.0) => {
                Err(BuildError::GrowthFactorTooSmall { factor })
            }
            _ => Ok(()),
        }
    }

    /// The capacity after one growth step from `capacity`, before any maximum is applied.
    #[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)]
    pub(crate) fn next(self, capacity: usize) -> usize {
        let grown = match self {
            Growth::Linear(step) => capacity.saturating_add(step),
            Growth::Exponential(factor) => {
                let target = ceil(capacity as f64 * factor);
                if target >= usize::MAX as f64 {
                    usize::MAX
                } else {
                    target as usize
                }
            }
        };
        grown.max(capacity.saturating_add(1))
    }
}

/// `f64::ceil`, which `core` lacks (it is `std`'s, from the platform's maths library), for the
/// non-negative values of [`Growth::next`].
#[inline]
fn ceil(value: f64) -> f64 {
    #[cfg(feature = "std")]
    return value.ceil();
    // Truncating a non-negative value rounds it down (saturating at `u64::MAX`, far above any
    // capacity); below 2^53 the result is exact, and from there every `f64` is whole.
    #[cfg(not(feature = "std"))]
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    return {
        let down = value as u64 as f64;
        if down < value {
            down + 1.0
        } else {
            down
        }
    };
}

/// The most objects of type `T` one pool can hold: `u32::MAX`, and fewer for objects so large
/// that their memory would not fit in the address space (`isize::MAX` bytes).
///
/// The one place this limit is computed: the builder checks every capacity against it, and
/// the code `#[pooled]` generates checks its settings against it at compile time.
pub const fn max_objects<T>() -> usize {
    let size = core::mem::size_of::<T>();
    let by_memory = isize::MAX as usize / if size == 0 { 1 } else { size };
    let by_index = u32::MAX as usize;
    if by_memory < by_index {
        by_memory
    } else {
        by_index
    }
}

/// A checked pool configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Config {
    pub(crate) capacity: usize,
    pub(crate) max_capacity: usize,
    pub(crate) growth: Option<Growth>,
    pub(crate) preallocate: bool,
    /// The shared pools' caches pay a fence per operation instead of relying on `membarrier`.
    pub(crate) no_membarrier: bool,
}

/// What the user asked for, before checking.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Settings {
    pub(crate) capacity: Option<usize>,
    pub(crate) max_capacity: Option<usize>,
    pub(crate) growth: Option<Growth>,
    pub(crate) preallocate: bool,
    pub(crate) no_membarrier: bool,
}

/// Whether the pool kind may grow at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Never grows (`FixedPool`).
    Fixed,
    /// Grows by the given policy, doubling if none is given (`GrowingPool`).
    Growing,
    /// Fixed unless a growth policy or a maximum is given (the shared pools, with `std`).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    Either,
}

impl Settings {
    pub(crate) fn check<T>(self, kind: Kind) -> Result<Config, BuildError> {
        let capacity = self.capacity.ok_or(BuildError::MissingCapacity)?;
        if capacity == 0 {
            return Err(BuildError::ZeroCapacity);
        }
        let growth = match kind {
            Kind::Fixed if self.growth.is_some() || self.max_capacity.is_some() => {
                return Err(BuildError::FixedPoolCannotGrow)
            }
            Kind::Fixed => None,
            Kind::Growing => Some(self.growth.unwrap_or_default()),
            Kind::Either if self.max_capacity.is_some() => Some(self.growth.unwrap_or_default()),
            Kind::Either => self.growth,
        };
        if let Some(growth) = growth {
            growth.validate()?;
        }
        let max_capacity = match (growth, self.max_capacity) {
            (None, _) => capacity,
            (Some(_), Some(max)) => max,
            (Some(_), None) => max_objects::<T>(),
        };
        if max_capacity < capacity {
            return Err(BuildError::MaxBelowCapacity {
                capacity,
                max_capacity,
            });
        }
        for value in [capacity, max_capacity] {
            if value > max_objects::<T>() {
                return Err(BuildError::CapacityTooLarge { capacity: value });
            }
        }
        Ok(Config {
            capacity,
            max_capacity,
            growth,
            preallocate: self.preallocate,
            no_membarrier: self.no_membarrier,
        })
    }
}

impl Config {
    /// The capacity after one growth step, or `None` at the maximum or without growth.
    pub(crate) fn grown(&self, capacity: usize) -> Option<usize> {
        let next = self.growth?.next(capacity).min(self.max_capacity);
        (next > capacity).then_some(next)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn settings(capacity: usize) -> Settings {
        Settings {
            capacity: Some(capacity),
            ..Settings::default()
        }
    }

    #[test]
    fn growth_steps() {
        assert_eq!(Growth::Linear(10).next(5), 15);
        assert_eq!(Growth::Exponential(2.0).next(5), 10);
        assert_eq!(
            Growth::Exponential(1.01).next(5),
            6,
            "always at least one more"
        );
        assert_eq!(Growth::Linear(usize::MAX).next(5), usize::MAX);
        assert_eq!(Growth::Exponential(1e300).next(5), usize::MAX);
    }

    /// The fallback without `std` rounds up as `f64::ceil` does (with `std` it is that), and
    /// past `u64::MAX`, where it stops at 2^64, it still means "more than any capacity".
    #[test]
    #[allow(clippy::cast_precision_loss)]
    fn ceil_rounds_up() {
        for value in [
            0.0,
            0.5,
            1.0,
            1.000_000_1,
            2.5,
            10.0,
            4_294_967_295.5,
            9_007_199_254_740_991.0, // 2^53 - 1
            9_007_199_254_740_992.0,
            1e19,
        ] {
            assert_eq!(ceil(value).to_bits(), value.ceil().to_bits(), "{value}");
        }
        for value in [1e20, 1e300, f64::INFINITY] {
            assert!(ceil(value) >= usize::MAX as f64, "{value}");
        }
    }

    #[test]
    fn bad_settings_are_rejected() {
        assert_eq!(
            Settings::default().check::<u8>(Kind::Fixed),
            Err(BuildError::MissingCapacity)
        );
        assert_eq!(
            settings(0).check::<u8>(Kind::Fixed),
            Err(BuildError::ZeroCapacity)
        );
        let s = Settings {
            max_capacity: Some(4),
            ..settings(8)
        };
        assert_eq!(
            s.check::<u8>(Kind::Growing),
            Err(BuildError::MaxBelowCapacity {
                capacity: 8,
                max_capacity: 4
            })
        );
        assert_eq!(
            s.check::<u8>(Kind::Fixed),
            Err(BuildError::FixedPoolCannotGrow)
        );
        let s = Settings {
            growth: Some(Growth::Linear(0)),
            ..settings(8)
        };
        assert_eq!(
            s.check::<u8>(Kind::Growing),
            Err(BuildError::ZeroGrowthStep)
        );
        for factor in [1.0, 0.5, f64::NAN, f64::INFINITY] {
            let s = Settings {
                growth: Some(Growth::Exponential(factor)),
                ..settings(8)
            };
            assert!(matches!(
                s.check::<u8>(Kind::Growing),
                Err(BuildError::GrowthFactorTooSmall { .. })
            ));
        }
        assert_eq!(
            settings(usize::MAX).check::<u8>(Kind::Fixed),
            Err(BuildError::CapacityTooLarge {
                capacity: usize::MAX
            })
        );
    }

    #[test]
    fn defaults_per_kind() {
        let fixed = settings(4).check::<u8>(Kind::Fixed).unwrap();
        assert_eq!((fixed.growth, fixed.max_capacity), (None, 4));
        let growing = settings(4).check::<u8>(Kind::Growing).unwrap();
        assert_eq!(growing.growth, Some(Growth::Exponential(2.0)));
        assert_eq!(growing.max_capacity, max_objects::<u8>());
        let either = settings(4).check::<u8>(Kind::Either).unwrap();
        assert_eq!(either.growth, None);
        let capped = Settings {
            max_capacity: Some(9),
            ..settings(4)
        };
        let capped = capped.check::<u8>(Kind::Either).unwrap();
        assert_eq!(capped.grown(4), Some(8));
        assert_eq!(capped.grown(8), Some(9));
        assert_eq!(capped.grown(9), None);
    }
}
