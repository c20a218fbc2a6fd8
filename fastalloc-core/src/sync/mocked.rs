//! The loom versions of the primitives in `native.rs`, with the same names and signatures
//! (except that nothing here is `const`: loom's objects belong to one model run).

#[cfg(feature = "async")]
pub(crate) use loom::sync::atomic::AtomicUsize;
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
pub(crate) use loom::thread::LocalKey;
pub(crate) use loom::thread_local;

/// A `static` built on first use in each model run (loom's `lazy_static`).
macro_rules! global {
    ($vis:vis static $name:ident: $t:ty = $init:expr;) => {
        loom::lazy_static! {
            $vis static ref $name: $t = $init;
        }
    };
}
pub(crate) use global;

/// A loom mutex; poisoning is ignored as in `native.rs`.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The spin flag as a loom mutex, with the same acquire/release semantics: loom cannot explore
/// a spin loop under a preemption bound (the spinning thread is never preempted, so the model
/// never ends); every other interleaving with the rest of the pool is still checked.
#[derive(Debug, Default)]
pub(crate) struct SpinFlag(loom::sync::Mutex<()>);

/// Holds a [`SpinFlag`] until dropped.
pub(crate) struct SpinGuard<'a>(#[allow(dead_code)] loom::sync::MutexGuard<'a, ()>);

impl SpinFlag {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn lock(&self) -> SpinGuard<'_> {
        SpinGuard(
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// `std::sync::OnceLock` for models: the value is boxed behind a loom mutex, so loom sees its
/// creation happen before every read, as the real one publishes it with release/acquire.
#[derive(Debug)]
pub(crate) struct OnceLock<T>(loom::sync::Mutex<Option<Box<T>>>);

impl<T> Default for OnceLock<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> From<T> for OnceLock<T> {
    fn from(value: T) -> Self {
        Self(loom::sync::Mutex::new(Some(Box::new(value))))
    }
}

impl<T> OnceLock<T> {
    pub(crate) fn new() -> Self {
        Self(loom::sync::Mutex::new(None))
    }

    pub(crate) fn get(&self) -> Option<&T> {
        let value = self.0.lock().unwrap();
        let ptr: *const T = &**value.as_ref()?;
        // SAFETY: the box is set once and never replaced or dropped before `self` is, so the
        // value stays at this address for as long as `&self` is borrowed.
        Some(unsafe { &*ptr })
    }

    pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        if let Some(value) = self.get() {
            return value;
        }
        let built = Box::new(init());
        let mut slot = self.0.lock().unwrap();
        let ptr: *const T = &**slot.get_or_insert(built);
        // SAFETY: as in `get`.
        unsafe { &*ptr }
    }

    pub(crate) fn into_inner(self) -> Option<T> {
        self.0.into_inner().unwrap().map(|boxed| *boxed)
    }
}
