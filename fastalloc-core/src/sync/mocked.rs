//! The loom versions of the primitives in `native.rs`, with the same names and signatures
//! (except that nothing here is `const`: loom's objects belong to one model run).

pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
pub(crate) use loom::thread::LocalKey;

/// The asymmetric barriers of `native/barrier.rs`, modelled as what they stand for: a `SeqCst`
/// fence on each side. The real light barrier is only a compiler fence, and the heavy one
/// makes every CPU of the process run a full barrier; for the protocols that use them the
/// pair is equivalent to a fence on both sides (the light side's accesses are ordered with the
/// heavy side's as if the light side had fenced at the moment the heavy barrier reached it),
/// which is what loom can check.
/// A waiting step: under loom a yield, so that the model schedules the thread waited for.
pub(crate) fn pause(_round: &mut u32) {
    loom::thread::yield_now();
}

pub(crate) mod barrier {
    use super::{fence, Ordering};

    pub(crate) fn membarrier_available() -> bool {
        true
    }

    pub(crate) fn light(_fenced: bool) {
        fence(Ordering::SeqCst);
    }

    pub(crate) fn heavy(_fenced: bool) {
        fence(Ordering::SeqCst);
    }
}

/// loom's `thread_local!` for the `const { ... }` form the crate uses (loom's macro takes the
/// initialiser as a plain expression, built on first use in each simulated thread).
macro_rules! loom_thread_local {
    ($($(#[$attr:meta])* static $name:ident: $t:ty = const { $init:expr };)*) => {
        $(loom::thread_local! { $(#[$attr])* static $name: $t = $init; })*
    };
}
pub(crate) use loom_thread_local as thread_local;

/// A `static` built on first use in each model run (loom's `lazy_static`).
macro_rules! global {
    (static $name:ident: $t:ty = $init:expr;) => {
        loom::lazy_static! {
            static ref $name: $t = $init;
        }
    };
}
pub(crate) use global;

/// `std::sync::Arc` with what loom needs to see of it: every clone's drop is an acquire-release
/// read-modify-write on one loom atomic, so the drop of the last clone (and of the value)
/// happens after every use through the others, as `std`'s reference count guarantees. (loom's
/// own `Arc` has no `Weak`.)
#[derive(Debug)]
pub(crate) struct Arc<T>(std::sync::Arc<Counted<T>>);

#[derive(Debug)]
pub(crate) struct Counted<T> {
    drops: AtomicUsize,
    value: T,
}

/// `std::sync::Weak` for [`Arc`].
#[derive(Debug)]
pub(crate) struct Weak<T>(std::sync::Weak<Counted<T>>);

impl<T> Arc<T> {
    pub(crate) fn new(value: T) -> Self {
        Self(std::sync::Arc::new(Counted {
            drops: AtomicUsize::new(0),
            value,
        }))
    }

    pub(crate) fn downgrade(this: &Self) -> Weak<T> {
        Weak(std::sync::Arc::downgrade(&this.0))
    }
}

impl<T> Clone for Arc<T> {
    fn clone(&self) -> Self {
        Self(std::sync::Arc::clone(&self.0))
    }
}

impl<T> std::ops::Deref for Arc<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T> Drop for Arc<T> {
    fn drop(&mut self) {
        self.0.drops.fetch_add(1, Ordering::AcqRel);
    }
}

impl<T> Weak<T> {
    pub(crate) fn upgrade(&self) -> Option<Arc<T>> {
        self.0.upgrade().map(Arc)
    }

    pub(crate) fn strong_count(&self) -> usize {
        self.0.strong_count()
    }
}

impl<T> Clone for Weak<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

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

    /// Runs `init` at most once, as `std`'s does: under the lock, so a racing caller waits.
    pub(crate) fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        let mut slot = self.0.lock().unwrap();
        let ptr: *const T = &**slot.get_or_insert_with(|| Box::new(init()));
        // SAFETY: the box is set once and never replaced or dropped before `self` is, so the
        // value stays at this address for as long as `&self` is borrowed.
        unsafe { &*ptr }
    }

    pub(crate) fn into_inner(self) -> Option<T> {
        self.0.into_inner().unwrap().map(|boxed| *boxed)
    }
}

/// A loom condition variable. Its `wait_timeout` never times out (loom has no clock): a model
/// must wake every waiter.
#[derive(Debug, Default)]
pub(crate) struct Condvar(loom::sync::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Self(loom::sync::Condvar::new())
    }

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
