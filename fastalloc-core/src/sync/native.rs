//! The real primitives (see the module above for the loom ones).
#![allow(clippy::disallowed_types)] // the one place that names the `std` originals

#[cfg(feature = "async")]
pub(crate) use std::sync::atomic::AtomicUsize;
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
pub(crate) use std::sync::{Arc, OnceLock, Weak};
pub(crate) use std::thread::LocalKey;
pub(crate) use std::thread_local;

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

/// A tiny lock for data that is held for a few instructions and almost never contended: one
/// atomic swap to take it, one release store to give it back.
///
/// Under loom it is a loom mutex with the same acquire/release semantics (see `mocked.rs`).
#[derive(Debug, Default)]
pub(crate) struct SpinFlag(std::sync::atomic::AtomicBool);

/// Holds a [`SpinFlag`] until dropped.
pub(crate) struct SpinGuard<'a>(&'a std::sync::atomic::AtomicBool);

impl SpinFlag {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_> {
        if self.0.swap(true, std::sync::atomic::Ordering::Acquire) {
            self.lock_contended();
        }
        SpinGuard(&self.0)
    }

    /// Waits for the flag, spinning a little and then yielding; out of line, so that `lock`
    /// stays one swap where it is inlined.
    #[cold]
    #[inline(never)]
    fn lock_contended(&self) {
        let mut round = 0u32;
        loop {
            if round < 6 {
                for _ in 0..(1u32 << round) {
                    core::hint::spin_loop();
                }
                round += 1;
            } else {
                std::thread::yield_now();
            }
            if !self.0.swap(true, std::sync::atomic::Ordering::Acquire) {
                return;
            }
        }
    }
}

impl Drop for SpinGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}
