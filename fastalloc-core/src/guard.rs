//! Guards, the loan of one object: [`Pooled`] (`FixedPool`, `GrowingPool`), [`LocalPooled`]
//! (`ThreadLocalPool`), [`SharedPooled`] and its `'static + Send` form [`OwnedPooled`]
//! (`ThreadSafePool`).

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use crate::pool::local::{LocalCore, SingleEnv};
use crate::pool::thread_local::PerThread;
use crate::pool::thread_safe::{Cache, SharedCore, ThreadSafePool};
use crate::slab::Slot;

/// Implements what the three borrowed guards share: `Deref`, `DerefMut`, `AsRef`, `AsMut`,
/// `Debug`, `Display`, `Sync`, and `Drop` through the guard's own `release`.
///
/// Each pool kind has its own guard type so that a guard's drop holds the release of one kind
/// only: small enough for the compiler to inline at every end of scope (one guard type for all
/// kinds was not, and the call cost a third of a round trip).
macro_rules! borrowed_guard {
    ($guard:ident) => {
        // SAFETY: sharing `&Guard` across threads only gives out `&T`, which is fine when
        // `T: Sync`; the guard's release runs only on drop, which needs ownership, and
        // ownership never leaves the thread (the guard is not `Send`: `ptr` is a `NonNull`,
        // which `tests/auto_traits.rs` checks).
        unsafe impl<T: Sync> Sync for $guard<'_, T> {}

        impl<T> $guard<'_, T> {
            /// The lent slot, put back together.
            #[inline]
            fn slot(&self) -> Slot<T> {
                // SAFETY: `ptr` and `index` are the parts of the slot given to `new`.
                unsafe { Slot::from_parts(self.ptr, self.index as u32) }
            }
        }

        impl<T> Deref for $guard<'_, T> {
            type Target = T;

            #[inline]
            fn deref(&self) -> &T {
                // SAFETY: while the guard lives, the slot holds a constructed object that only
                // this guard can reach.
                unsafe { self.ptr.as_ref() }
            }
        }

        impl<T> DerefMut for $guard<'_, T> {
            #[inline]
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: as in `deref`, and `&mut self` makes this access unique.
                unsafe { self.ptr.as_mut() }
            }
        }

        impl<T> Drop for $guard<'_, T> {
            #[inline]
            fn drop(&mut self) {
                // SAFETY: the guard owns the loan of `slot` and gives it back once, here.
                unsafe { self.release() };
            }
        }

        impl<T: fmt::Debug> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($guard)).field(&**self).finish()
            }
        }

        impl<T: fmt::Display> fmt::Display for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }

        impl<T> AsRef<T> for $guard<'_, T> {
            fn as_ref(&self) -> &T {
                self
            }
        }

        impl<T> AsMut<T> for $guard<'_, T> {
            fn as_mut(&mut self) -> &mut T {
                self
            }
        }
    };
}

/// An object lent by a [`FixedPool`](crate::FixedPool) or a
/// [`GrowingPool`](crate::GrowingPool). Dereferences to the object; dropping the guard resets
/// the object and returns it to the pool.
///
/// The guard owns the loan, so the object cannot be used after it went back and cannot be
/// returned twice or to another pool: the borrow checker rejects all three. Helpers are
/// associated functions (`Pooled::detach(guard)`), so they never hide a method of the object
/// inside. The other pools lend through [`LocalPooled`] ([`ThreadLocalPool`](crate::ThreadLocalPool)),
/// [`SharedPooled`] and [`OwnedPooled`] ([`ThreadSafePool`]), which work the same way.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{FixedPool, Pooled};
///
/// let pool: FixedPool<String> = FixedPool::new(2).unwrap();
/// let mut name = pool.allocate().unwrap();
/// name.push_str("ada");
/// assert_eq!(*name, "ada");
/// drop(name); // reset (cleared) and back in the pool
///
/// let kept: String = Pooled::detach(pool.allocate().unwrap());
/// assert!(kept.is_empty()); // a reused object is always reset
/// ```
#[must_use = "dropping a `Pooled` guard at once returns the object to the pool"]
pub struct Pooled<'a, T> {
    ptr: NonNull<T>,
    /// The slot's number, widened: a 4-byte field left the guard's last word half written,
    /// and copying the guard (8-byte loads) then stalled on the 4-byte store.
    index: usize,
    core: &'a LocalCore<T, SingleEnv<T>>,
}

borrowed_guard!(Pooled);

impl<'a, T> Pooled<'a, T> {
    #[inline]
    pub(crate) fn new(slot: Slot<T>, core: &'a LocalCore<T, SingleEnv<T>>) -> Self {
        let (ptr, index) = slot.into_parts();
        let index = index as usize;
        Self { ptr, index, core }
    }

    /// # Safety
    ///
    /// Called once, by `drop`.
    #[inline]
    unsafe fn release(&self) {
        // SAFETY: forwarded: the guard owns the loan and this is its one release.
        unsafe { self.core.release(self.slot()) };
    }

    /// Takes the object out of the pool for good. The pool does not reset it, and its slot
    /// becomes free for a new object (counted in `stats().detached`).
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        // SAFETY: the guard owns the loan, and `ManuallyDrop` makes sure it is handed back
        // exactly once, here.
        unsafe { this.core.detach(this.slot()) }
    }
}

/// An object lent by a [`ThreadLocalPool`](crate::ThreadLocalPool), from the calling
/// thread's own objects. Works like [`Pooled`]; it is not `Send`, since the object goes back
/// to the thread that took it.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{LocalPooled, ThreadLocalPool};
///
/// let pool: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::new(8).unwrap();
/// let mut buffer: LocalPooled<'_, Vec<u8>> = pool.allocate().unwrap();
/// buffer.extend_from_slice(b"scratch");
/// let kept = LocalPooled::detach(buffer); // taken out for good, not reset
/// assert_eq!(kept, b"scratch");
/// ```
#[must_use = "dropping a `LocalPooled` guard at once returns the object to the pool"]
pub struct LocalPooled<'a, T> {
    ptr: NonNull<T>,
    /// The slot's number (widened: see `Pooled`).
    index: usize,
    part: &'a PerThread<T>,
}

borrowed_guard!(LocalPooled);

impl<'a, T> LocalPooled<'a, T> {
    #[inline]
    pub(crate) fn new(slot: Slot<T>, part: &'a PerThread<T>) -> Self {
        let (ptr, index) = slot.into_parts();
        let index = index as usize;
        Self { ptr, index, part }
    }

    /// # Safety
    ///
    /// Called once, by `drop`.
    #[inline]
    unsafe fn release(&self) {
        // SAFETY: forwarded: the guard owns the loan and this is its one release.
        unsafe { self.part.release(self.slot()) };
    }

    /// Takes the object out of the pool for good (see [`Pooled::detach`]).
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        // SAFETY: the guard owns the loan; `ManuallyDrop` hands it back exactly once.
        unsafe { this.part.detach(this.slot()) }
    }
}

/// An object lent by a [`ThreadSafePool`] through `allocate`. Works like [`Pooled`]; it is not
/// `Send` (it goes back through the cache of the thread that took it, the fast path): use
/// [`ThreadSafePool::allocate_owned`] for a guard that moves between threads.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{SharedPooled, ThreadSafePool};
///
/// let pool: ThreadSafePool<String> = ThreadSafePool::new(8).unwrap();
/// std::thread::scope(|scope| {
///     for _ in 0..2 {
///         scope.spawn(|| {
///             let mut name: SharedPooled<'_, String> = pool.allocate().unwrap();
///             name.push_str("shared");
///         });
///     }
/// });
/// assert_eq!(pool.in_use(), 0);
/// ```
#[must_use = "dropping a `SharedPooled` guard at once returns the object to the pool"]
pub struct SharedPooled<'a, T> {
    ptr: NonNull<T>,
    /// The slot's number (widened: see `Pooled`).
    index: usize,
    core: &'a SharedCore<T>,
    /// The cache of the thread that allocated: the guard goes back to it.
    cache: &'a Cache<T>,
}

borrowed_guard!(SharedPooled);

impl<'a, T> SharedPooled<'a, T> {
    #[inline]
    pub(crate) fn new(slot: Slot<T>, core: &'a SharedCore<T>, cache: &'a Cache<T>) -> Self {
        let (ptr, index) = slot.into_parts();
        let index = index as usize;
        Self {
            ptr,
            index,
            core,
            cache,
        }
    }

    /// # Safety
    ///
    /// Called once, by `drop`.
    #[inline]
    unsafe fn release(&self) {
        // SAFETY: forwarded: the guard owns the loan and this is its one release, on the
        // thread that owns `cache` (the guard is not `Send`).
        unsafe { self.core.release(self.slot(), self.cache) };
    }

    /// Takes the object out of the pool for good (see [`Pooled::detach`]).
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        // SAFETY: the guard owns the loan; `ManuallyDrop` hands it back exactly once.
        unsafe { this.core.detach(this.slot(), this.cache) }
    }
}

/// An object lent by a [`ThreadSafePool`] held through an `Arc`: `'static` and `Send`, so it
/// can move into spawned threads and tasks. Dropping it (on any thread) resets the object and
/// returns it.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use fastalloc_core::ThreadSafePool;
///
/// let pool = Arc::new(ThreadSafePool::<Vec<u8>>::new(4).unwrap());
/// let mut buffer = pool.allocate_owned().unwrap();
/// std::thread::spawn(move || buffer.extend_from_slice(b"from another thread"))
///     .join()
///     .unwrap();
/// assert_eq!(pool.in_use(), 0);
/// ```
#[must_use = "dropping an `OwnedPooled` guard at once returns the object to the pool"]
pub struct OwnedPooled<T> {
    slot: Slot<T>,
    pool: Arc<ThreadSafePool<T>>,
}

// SAFETY: the guard owns its object (as a `Box<T>` would) and releases it through the
// thread-safe pool, whose release path works from any thread; moving it is fine when `T: Send`.
unsafe impl<T: Send> Send for OwnedPooled<T> {}
// SAFETY: `&OwnedPooled` gives out `&T` (needs `T: Sync`) and, through `OwnedPooled::pool`,
// `&Arc<ThreadSafePool<T>>`, with which another thread can take and drop objects (needs
// `T: Send`).
unsafe impl<T: Send + Sync> Sync for OwnedPooled<T> {}

impl<T> OwnedPooled<T> {
    pub(crate) fn new(slot: Slot<T>, pool: Arc<ThreadSafePool<T>>) -> Self {
        Self { slot, pool }
    }

    /// Takes the object out of the pool for good (see [`Pooled::detach`]).
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        let core = this.pool.core();
        // SAFETY: the guard owns the loan and `ManuallyDrop` hands it back exactly once.
        let value = unsafe { core.detach(this.slot, core.cache()) };
        // SAFETY: `this` is never used again; this drops the `Arc` it held.
        drop(unsafe { std::ptr::read(&raw const this.pool) });
        value
    }

    /// The pool this object came from.
    pub fn pool(this: &Self) -> &Arc<ThreadSafePool<T>> {
        &this.pool
    }
}

impl<T> Deref for OwnedPooled<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: while the guard lives, the slot holds a constructed object only it reaches.
        unsafe { self.slot.as_ref() }
    }
}

impl<T> DerefMut for OwnedPooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique.
        unsafe { self.slot.as_mut() }
    }
}

impl<T> Drop for OwnedPooled<T> {
    fn drop(&mut self) {
        let core = self.pool.core();
        // SAFETY: the guard owns the loan and gives it back once, to the cache of the thread
        // it is dropped on.
        unsafe { core.release(self.slot, core.cache()) };
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedPooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedPooled").field(&**self).finish()
    }
}

impl<T> AsRef<T> for OwnedPooled<T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T> AsMut<T> for OwnedPooled<T> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}
