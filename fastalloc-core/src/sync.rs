//! The one place that chooses between `std` and `loom`.
//!
//! Every module that shares state between threads imports its atomics, cells, locks and
//! per-thread storage from here, so `RUSTFLAGS="--cfg loom"` swaps all of them for loom's
//! model-checked versions at once (the habit of sharded-slab's `sync.rs` and tokio's `loom`
//! module). Single-threaded pools do not use this module: they hold no atomics at all.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A cell with closure-based access, the API loom's `UnsafeCell` has, so that loom can check
/// every access for races.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(
    #[cfg(not(loom))] core::cell::UnsafeCell<T>,
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
);

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

/// A mutual-exclusion lock: the standard library's in normal builds, loom's under `cfg(loom)`.
///
/// Poisoning is ignored: no code runs under the lock that could panic halfway through an
/// update (user code never runs while it is held).
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(
    #[cfg(not(loom))] std::sync::Mutex<T>,
    #[cfg(loom)] loom::sync::Mutex<T>,
);

#[cfg(not(loom))]
pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;
#[cfg(loom)]
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(not(loom))]
        return Self(std::sync::Mutex::new(value));
        #[cfg(loom)]
        return Self(loom::sync::Mutex::new(value));
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A tiny lock for data that is held for a few instructions and almost never contended: one
/// atomic swap to take it, one release store to give it back.
///
/// Under loom it is a loom mutex with the same acquire/release semantics, because loom cannot
/// explore a spin loop under a preemption bound (the spinning thread is never preempted, so
/// the model never ends); every other interleaving with the rest of the pool is still checked.
#[derive(Debug, Default)]
pub(crate) struct SpinFlag(
    #[cfg(not(loom))] std::sync::atomic::AtomicBool,
    #[cfg(loom)] loom::sync::Mutex<()>,
);

/// Holds a [`SpinFlag`] until dropped.
pub(crate) struct SpinGuard<'a>(
    #[cfg(not(loom))] &'a std::sync::atomic::AtomicBool,
    #[cfg(loom)]
    #[allow(dead_code)] // held for its `Drop`
    loom::sync::MutexGuard<'a, ()>,
);

impl SpinFlag {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_> {
        #[cfg(not(loom))]
        {
            if self.0.swap(true, std::sync::atomic::Ordering::Acquire) {
                self.lock_contended();
            }
            SpinGuard(&self.0)
        }
        #[cfg(loom)]
        SpinGuard(
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// Waits for the flag, spinning a little and then yielding; out of line, so that `lock`
    /// stays one swap where it is inlined.
    #[cfg(not(loom))]
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

#[cfg(not(loom))]
impl Drop for SpinGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}

#[cfg(not(loom))]
pub(crate) use thread_local::ThreadLocal;

#[cfg(loom)]
pub(crate) use self::loom_tls::ThreadLocal;

/// Per-thread storage for loom models: the `thread_local` crate cannot tell loom's simulated
/// threads apart, so under loom each simulated thread gets its own boxed entry by thread id.
/// The entries sit behind a loom mutex, so that loom sees an entry's creation happen before
/// another thread reads it (as the real crate publishes entries with release/acquire atomics).
#[cfg(loom)]
mod loom_tls {
    use loom::sync::Mutex;

    pub(crate) struct ThreadLocal<T: Send> {
        entries: Mutex<Vec<(loom::thread::ThreadId, Box<T>)>>,
    }

    impl<T: Send> ThreadLocal<T> {
        pub(crate) fn new() -> Self {
            Self {
                entries: Mutex::new(Vec::new()),
            }
        }

        pub(crate) fn get(&self) -> Option<&T> {
            let id = loom::thread::current().id();
            let entries = self.entries.lock().unwrap();
            let entry = entries.iter().find(|(owner, _)| *owner == id)?;
            let ptr: *const T = &*entry.1;
            // SAFETY: entries are boxed and never removed before `self` is dropped, so the
            // value stays at this address for as long as `&self` is borrowed.
            Some(unsafe { &*ptr })
        }

        pub(crate) fn get_or(&self, create: impl FnOnce() -> T) -> &T {
            if let Some(value) = self.get() {
                return value;
            }
            let boxed = Box::new(create());
            let ptr: *const T = &*boxed;
            self.entries
                .lock()
                .unwrap()
                .push((loom::thread::current().id(), boxed));
            // SAFETY: as in `get`: the box is kept, unmoved, until `self` is dropped.
            unsafe { &*ptr }
        }

        pub(crate) fn iter(&self) -> impl Iterator<Item = &T>
        where
            T: Sync,
        {
            let entries = self.entries.lock().unwrap();
            let ptrs: Vec<*const T> = entries
                .iter()
                .map(|(_, value)| &**value as *const T)
                .collect();
            // SAFETY: as in `get`.
            ptrs.into_iter().map(|ptr| unsafe { &*ptr })
        }

        pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
            self.entries
                .get_mut()
                .unwrap()
                .iter_mut()
                .map(|(_, value)| &mut **value)
        }
    }
}
