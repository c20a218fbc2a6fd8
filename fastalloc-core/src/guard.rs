//! Guards: [`Pooled`], the loan of one object, and [`OwnedPooled`], its `'static + Send` form.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use crate::pool::local::{LocalCore, SingleEnv};
use crate::pool::thread_local::PerThread;
use crate::pool::thread_safe::{Cache, SharedCore, ThreadSafePool};
use crate::slab::Slot;

/// The pool a guard returns its object to.
pub(crate) enum Home<'a, T> {
    /// A `FixedPool` or `GrowingPool`.
    Single(&'a LocalCore<T, SingleEnv<T>>),
    /// The current thread's part of a `ThreadLocalPool`.
    PerThread(&'a PerThread<T>),
    /// A `ThreadSafePool`, with the cache of the thread that allocated (guards stay on it).
    Shared(&'a SharedCore<T>, &'a Cache<T>),
}

impl<T> Clone for Home<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Home<'_, T> {}

/// Where a guard's object goes back to, with the object's slot number tucked in beside the
/// variant tag (the padding a separate `u32` field would not reuse), so that a guard stays
/// four words long (`tests/auto_traits.rs` checks the size).
enum Packed<'a, T> {
    Single(u32, &'a LocalCore<T, SingleEnv<T>>),
    PerThread(u32, &'a PerThread<T>),
    Shared(u32, &'a SharedCore<T>, &'a Cache<T>),
}

/// An object lent by a pool. Dereferences to the object; dropping the guard resets the object
/// and returns it to the pool.
///
/// The guard owns the loan, so the object cannot be used after it went back and cannot be
/// returned twice or to another pool: the borrow checker rejects all three. `Pooled` is not
/// `Send`: it goes back to the pool on the thread that took it (for a `ThreadSafePool`, use
/// [`ThreadSafePool::allocate_owned`] to move a loan between threads).
///
/// Helpers are associated functions (`Pooled::detach(guard)`), so they never hide a method of
/// the object inside.
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
    /// The lent object. `NonNull` is neither `Send` nor `Sync`, which makes the guard `!Send`:
    /// the object goes back on the thread that took it (`tests/auto_traits.rs` checks this).
    slot: NonNull<T>,
    home: Packed<'a, T>,
}

// SAFETY: `Packed` is only ever stored inside a `Pooled`, which stays `!Send` through its
// `slot` pointer; this impl only keeps the compiler's error for sending a guard to another
// thread down to that one field, instead of listing the pool's private internals.
unsafe impl<T> Send for Packed<'_, T> {}

// SAFETY: sharing `&Pooled` across threads only gives out `&T`, which is fine when `T: Sync`;
// the guard's release runs only on drop, which needs ownership (and ownership never leaves the
// thread, since `Pooled` is not `Send`).
unsafe impl<T: Sync> Sync for Pooled<'_, T> {}

impl<'a, T> Pooled<'a, T> {
    pub(crate) fn new(slot: Slot<T>, home: Home<'a, T>) -> Self {
        let (ptr, index) = slot.into_parts();
        let home = match home {
            Home::Single(core) => Packed::Single(index, core),
            Home::PerThread(part) => Packed::PerThread(index, part),
            Home::Shared(core, cache) => Packed::Shared(index, core, cache),
        };
        Self { slot: ptr, home }
    }

    /// The lent slot, put back together.
    #[inline]
    fn slot(&self) -> Slot<T> {
        let (Packed::Single(index, _) | Packed::PerThread(index, _) | Packed::Shared(index, ..)) =
            self.home;
        // SAFETY: `slot` and `index` are the parts of the slot given to `new`.
        unsafe { Slot::from_parts(self.slot, index) }
    }

    /// Takes the object out of the pool for good. The pool does not reset it, and its slot
    /// becomes free for a new object (counted in `stats().detached`).
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        // SAFETY: the guard owns the loan of `slot` from `home`, and `ManuallyDrop` makes sure
        // it is handed back exactly once, here.
        unsafe {
            match this.home {
                Packed::Single(_, core) => core.detach(this.slot()),
                Packed::PerThread(_, part) => part.detach(this.slot()),
                Packed::Shared(_, core, cache) => core.detach(this.slot(), cache),
            }
        }
    }
}

impl<T> Deref for Pooled<'_, T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: while the guard lives, the slot holds a constructed object that only this
        // guard can reach.
        unsafe { self.slot.as_ref() }
    }
}

impl<T> DerefMut for Pooled<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique.
        unsafe { self.slot.as_mut() }
    }
}

impl<T> Drop for Pooled<'_, T> {
    #[inline]
    fn drop(&mut self) {
        // The single-threaded pools' release is small and inlined here; the other two go
        // through one out-of-line call, so that the whole `drop` stays small enough for the
        // compiler to inline at every guard's end of scope.
        match self.home {
            // SAFETY: the guard owns the loan of `slot` from `home` and gives it back once.
            Packed::Single(index, core) => unsafe {
                core.release(Slot::from_parts(self.slot, index));
            },
            _ => release_shared(self.slot(), &self.home),
        }
    }
}

/// The release of a `ThreadLocalPool` or `ThreadSafePool` guard.
#[inline(never)]
fn release_shared<T>(slot: Slot<T>, home: &Packed<'_, T>) {
    // SAFETY: called only from `Pooled::drop`, which owns the loan and gives it back once.
    unsafe {
        match *home {
            Packed::Single(_, core) => core.release(slot),
            Packed::PerThread(_, part) => part.release(slot),
            Packed::Shared(_, core, cache) => core.release(slot, cache),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pooled").field(&**self).finish()
    }
}

impl<T: fmt::Display> fmt::Display for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<T> AsRef<T> for Pooled<'_, T> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<T> AsMut<T> for Pooled<'_, T> {
    fn as_mut(&mut self) -> &mut T {
        self
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
