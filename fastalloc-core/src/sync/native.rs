//! The real primitives (see the module above for the loom ones).
#![allow(
    clippy::disallowed_types,
    clippy::disallowed_methods,
    clippy::disallowed_macros
)]
// (the one place that names the `std` originals)

pub(crate) use core::sync::atomic::Ordering;
#[cfg(feature = "std")]
pub(crate) use std::sync::{Arc, Weak};
#[cfg(feature = "std")]
pub(crate) use std::thread::LocalKey;

#[cfg(feature = "std")]
pub(crate) use std::thread_local;

#[cfg(feature = "std")]
pub(crate) mod barrier;

/// Where the atomics come from: `core`, or `portable-atomic` on targets without
/// compare-and-swap (`thumbv6m-none-eabi`), where its read-modify-writes run inside a
/// `critical-section` (the final binary provides one, as for every embedded crate that needs
/// it).
#[cfg(target_has_atomic = "ptr")]
use core::sync::atomic as imp;
#[cfg(not(target_has_atomic = "ptr"))]
use portable_atomic as imp;

/// One step of waiting for another thread that holds something for a few instructions: spin a
/// little longer each time, then give the CPU away (the holder may have been preempted).
#[cfg(feature = "std")]
#[inline]
pub(crate) fn pause(round: &mut u32) {
    if *round < 6 {
        for _ in 0..(1u32 << *round) {
            core::hint::spin_loop();
        }
        *round += 1;
    } else {
        #[cfg(feature = "std")]
        std::thread::yield_now();
        #[cfg(not(feature = "std"))]
        core::hint::spin_loop();
    }
}

/// `core::sync::atomic::fence`.
#[inline]
#[allow(dead_code)] // only the `std` pools fence
pub(crate) fn fence(order: Ordering) {
    imp::fence(order);
}

/// Wrappers of the `std` atomics with the operations the crate uses: their own types, so that
/// `clippy.toml` can forbid the `std` ones everywhere but here (a re-export would be the same
/// type to the lint). Each method is the `std` one, inlined.
macro_rules! atomics {
    ($($(#[$attr:meta])* $name:ident($value:ty) { $($extra:tt)* })*) => {$(
        $(#[$attr])*
        #[derive(Debug, Default)]
        #[repr(transparent)]
        pub(crate) struct $name(imp::$name);

        $(#[$attr])*
        #[allow(dead_code)] // not every type uses every operation
        impl $name {
            #[inline]
            pub(crate) const fn new(value: $value) -> Self {
                Self(imp::$name::new(value))
            }

            #[inline]
            pub(crate) fn load(&self, order: Ordering) -> $value {
                self.0.load(order)
            }

            #[inline]
            pub(crate) fn store(&self, value: $value, order: Ordering) {
                self.0.store(value, order);
            }

            #[inline]
            pub(crate) fn swap(&self, value: $value, order: Ordering) -> $value {
                self.0.swap(value, order)
            }

            #[inline]
            pub(crate) fn compare_exchange(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                self.0.compare_exchange(current, new, success, failure)
            }

            $($extra)*
        }
    )*};
}

/// The read-modify-writes of the integer atomics.
macro_rules! integer_operations {
    ($value:ty) => {
        #[inline]
        pub(crate) fn fetch_add(&self, value: $value, order: Ordering) -> $value {
            self.0.fetch_add(value, order)
        }

        #[inline]
        pub(crate) fn fetch_sub(&self, value: $value, order: Ordering) -> $value {
            self.0.fetch_sub(value, order)
        }

        #[inline]
        pub(crate) fn fetch_or(&self, value: $value, order: Ordering) -> $value {
            self.0.fetch_or(value, order)
        }

        #[inline]
        pub(crate) fn fetch_and(&self, value: $value, order: Ordering) -> $value {
            self.0.fetch_and(value, order)
        }
    };
}

atomics! {
    AtomicBool(bool) {}
    AtomicU8(u8) { integer_operations!(u8); }
    AtomicU32(u32) { integer_operations!(u32); }
    // The `std` pools' counters; 32-bit embedded targets have no 64-bit atomics.
    #[cfg(feature = "std")]
    AtomicU64(u64) { integer_operations!(u64); }
    AtomicUsize(usize) { integer_operations!(usize); }
}

/// `core::sync::atomic::AtomicPtr`, wrapped as the others are.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct AtomicPtr<T>(imp::AtomicPtr<T>);

#[allow(dead_code)] // only the `std` pools use it
impl<T> AtomicPtr<T> {
    #[inline]
    pub(crate) const fn new(value: *mut T) -> Self {
        Self(imp::AtomicPtr::new(value))
    }

    #[inline]
    pub(crate) fn load(&self, order: Ordering) -> *mut T {
        self.0.load(order)
    }

    #[inline]
    pub(crate) fn store(&self, value: *mut T, order: Ordering) {
        self.0.store(value, order);
    }

    #[inline]
    pub(crate) fn compare_exchange(
        &self,
        current: *mut T,
        new: *mut T,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut T, *mut T> {
        self.0.compare_exchange(current, new, success, failure)
    }
}

#[cfg(feature = "std")]
mod locks {
    /// `std::sync::OnceLock`, wrapped as the atomics are.
    #[derive(Debug)]
    pub(crate) struct OnceLock<T>(std::sync::OnceLock<T>);

    impl<T> From<T> for OnceLock<T> {
        fn from(value: T) -> Self {
            Self(std::sync::OnceLock::from(value))
        }
    }

    impl<T> OnceLock<T> {
        pub(crate) const fn new() -> Self {
            Self(std::sync::OnceLock::new())
        }

        #[inline]
        pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
            self.0.get_or_init(init)
        }

        pub(crate) fn into_inner(self) -> Option<T> {
            self.0.into_inner()
        }
    }

    /// A `static` built by a constant expression (under loom: on first use in each model run).
    macro_rules! global {
        (static $name:ident: $t:ty = $init:expr;) => {
            static $name: $t = $init;
        };
    }
    pub(crate) use global;

    /// A mutual-exclusion lock.
    ///
    /// Poisoning is ignored: no code runs under the lock that could panic halfway through an
    /// update (user code never runs while it is held).
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    }

    /// A condition variable for [`Mutex`]: `std`'s, with poisoning ignored as for the mutex.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(std::sync::Condvar);

    impl Condvar {
        pub(crate) const fn new() -> Self {
            Self(std::sync::Condvar::new())
        }

        /// Waits until notified or `timeout` passed (or spuriously); the lock is held again on
        /// return.
        pub(crate) fn wait_timeout<'a, T>(
            &self,
            guard: MutexGuard<'a, T>,
            timeout: std::time::Duration,
        ) -> MutexGuard<'a, T> {
            match self.0.wait_timeout(guard, timeout) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            }
        }

        pub(crate) fn notify_all(&self) {
            self.0.notify_all();
        }
    }
}
#[cfg(feature = "std")]
pub(crate) use locks::*;
