//! The one door to atomics, locks, lazily set cells and thread-locals.
//!
//! Every module that shares state between threads imports them from here, never from `std`:
//! under `RUSTFLAGS="--cfg loom"` this module swaps all of them for loom's model-checked
//! versions at once, so every concurrent protocol of the crate can be modelled (tokio's
//! `loom/{std,mocked}` layout). `native.rs` holds the real ones, `mocked.rs` the loom ones, with
//! the same names and signatures. `clippy.toml` forbids the `std` originals everywhere else.

#[cfg(not(loom))]
mod native;
#[cfg(not(loom))]
pub(crate) use native::*;

#[cfg(loom)]
mod mocked;
#[cfg(loom)]
pub(crate) use mocked::*;

/// A cell with closure-based access (the API loom's `UnsafeCell` has), so that loom can check
/// every access for races.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(
    #[cfg(not(loom))] core::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

#[allow(dead_code)] // only the `std` pools use it
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Self(core::cell::UnsafeCell::new(value));
        #[cfg(loom)]
        return Self(loom::cell::UnsafeCell::new(value));
    }

    /// Runs `f` with a mutable pointer to the contents.
    ///
    /// The caller must ensure that no other access to the contents happens while `f` runs.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(not(loom))]
        return f(self.0.get());
        #[cfg(loom)]
        return self.0.with_mut(f);
    }
}

#[cfg(feature = "std")]
mod biased;
#[cfg(feature = "std")]
pub(crate) use biased::{BiasedLock, Request};
