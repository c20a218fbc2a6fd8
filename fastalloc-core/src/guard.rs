//! [`Pooled`]: the loan of one object, one guard type for every pool kind.
//!
//! A guard holds the lent slot and its *home*: what the pool kind needs to take the object back
//! (a reference to a single-threaded engine, a thread's part, a cache and its pool, an `Arc`).
//! The guard knows its pool only through the [`GuardKind`] trait and the home's `release` and
//! `detach`, as `lock_api`'s guards know their lock only through `RawMutex`; the pools implement
//! the trait beside their own code, so this module imports no pool.
//!
//! Every trait impl and helper is written once, here, for every kind. The release itself stays
//! per kind: `Drop` calls the kind's own `release`, monomorphised for that kind only, so it is
//! small enough to inline at every end of scope (one guard with a run-time switch between
//! kinds was not, and the call cost a third of a round trip).

use core::borrow::{Borrow, BorrowMut};
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

use crate::slab::Slot;

/// An object lent by a pool. Dereferences to the object; dropping the guard resets the object
/// and returns it to the pool.
///
/// One type serves every pool; the third parameter names the pool kind, and each pool's guard
/// has a short name: [`Pooled<'_, T>`](Pooled) itself for [`FixedPool`](crate::FixedPool) and
/// [`GrowingPool`](crate::GrowingPool), [`LocalPooled`] for
/// [`ThreadLocalPool`](crate::ThreadLocalPool), [`SharedPooled`] and [`OwnedPooled`] for
/// [`ThreadSafePool`](crate::ThreadSafePool), and `AsyncPooled` / `OwnedAsyncPooled` for
/// `AsyncPool`. They all have the same traits (`Deref`, `DerefMut`, `AsRef`, `AsMut`, `Borrow`,
/// `BorrowMut`, `Debug`, `Display`, `PartialEq`, `Eq`, `PartialOrd`, `Ord`, `Hash`, comparing
/// and hashing the objects as `Box` does) and the same helpers.
///
/// The guard owns the loan, so the object cannot be used after it went back and cannot be
/// returned twice or to another pool: the borrow checker rejects all three. Helpers are
/// associated functions (`Pooled::detach(guard)`), so they never hide a method of the object
/// inside; `Pooled::detach` takes a guard of any kind.
///
/// Which guards may move to another thread depends on the kind: the guards of the
/// single-threaded and per-thread pools (`Pooled`, `LocalPooled`, `SharedPooled`) stay on the
/// thread that took them; `OwnedPooled` and the async guards are `Send` when `T` is.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{FixedPool, Pooled, ThreadSafePool};
///
/// let pool: FixedPool<String> = FixedPool::new(2).unwrap();
/// let mut name = pool.allocate().unwrap();
/// name.push_str("ada");
/// assert_eq!(*name, "ada");
/// drop(name); // reset (cleared) and back in the pool
///
/// let kept: String = Pooled::detach(pool.allocate().unwrap());
/// assert!(kept.is_empty()); // a reused object is always reset
///
/// let shared: ThreadSafePool<String> = ThreadSafePool::new(2).unwrap();
/// let kept: String = Pooled::detach(shared.allocate().unwrap()); // any kind of guard
/// # drop(kept);
/// ```
#[must_use = "dropping a guard at once returns the object to the pool"]
pub struct Pooled<'a, T, K: GuardKind<'a, T> = kind::Local> {
    slot: Slot<T>,
    pub(crate) home: K::Home,
    _loan: PhantomData<&'a ()>,
}

/// The guard of a [`ThreadLocalPool`](crate::ThreadLocalPool): the object goes back to the
/// calling thread's part, so the guard is not `Send`.
#[cfg(feature = "std")]
pub type LocalPooled<'a, T> = Pooled<'a, T, kind::ThreadLocal>;
/// The guard of [`ThreadSafePool::allocate`](crate::ThreadSafePool::allocate): it goes back
/// through the cache of the thread that took it (the fast path), so it is not `Send`; use
/// [`ThreadSafePool::allocate_owned`](crate::ThreadSafePool::allocate_owned) for one that
/// moves between threads.
#[cfg(feature = "std")]
pub type SharedPooled<'a, T> = Pooled<'a, T, kind::Shared>;
/// The guard of [`ThreadSafePool::allocate_owned`](crate::ThreadSafePool::allocate_owned):
/// it keeps the pool alive through an `Arc`, and is `'static` and `Send`, so it can move into
/// spawned threads and tasks. Dropping it on any thread returns the object.
#[cfg(feature = "std")]
pub type OwnedPooled<T> = Pooled<'static, T, kind::SharedOwned>;
/// The guard of `AsyncPool::allocate`: `Send` when `T` is, so it can be held across `.await`
/// in a spawned task. Dropping it returns the object and wakes the next waiting task.
#[cfg(feature = "async")]
pub type AsyncPooled<'a, T> = Pooled<'a, T, kind::Async>;
/// The guard of `AsyncPool::allocate_owned`: `'static + Send`, for spawned tasks.
#[cfg(feature = "async")]
pub type OwnedAsyncPooled<T> = Pooled<'static, T, kind::AsyncOwned>;

/// The guard of a [`StaticPool`](crate::StaticPool) of `N` objects: it gives the object back
/// through the pool's lock-free free list, so it may be dropped on any thread (it is `Send`
/// when `T` is).
pub type StaticPooled<'a, T, const N: usize> = Pooled<'a, T, kind::Static<N>>;

/// The pool kinds, as the third parameter of [`Pooled`].
pub mod kind {
    /// `FixedPool` and `GrowingPool` (feature `alloc`), and the default of
    /// [`Pooled`](super::Pooled)'s third parameter, so it exists without them.
    #[derive(Debug)]
    pub enum Local {}
    /// [`ThreadLocalPool`](crate::ThreadLocalPool).
    #[cfg(feature = "std")]
    #[derive(Debug)]
    pub enum ThreadLocal {}
    /// [`ThreadSafePool::allocate`](crate::ThreadSafePool::allocate).
    #[cfg(feature = "std")]
    #[derive(Debug)]
    pub enum Shared {}
    /// [`ThreadSafePool::allocate_owned`](crate::ThreadSafePool::allocate_owned).
    #[cfg(feature = "std")]
    #[derive(Debug)]
    pub enum SharedOwned {}
    /// [`StaticPool`](crate::StaticPool) of `N` objects.
    #[derive(Debug)]
    pub enum Static<const N: usize> {}
    /// `AsyncPool::allocate`.
    #[cfg(feature = "async")]
    #[derive(Debug)]
    pub enum Async {}
    /// `AsyncPool::allocate_owned`.
    #[cfg(feature = "async")]
    #[derive(Debug)]
    pub enum AsyncOwned {}
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::kind::Local {}
    #[cfg(feature = "std")]
    impl Sealed for super::kind::ThreadLocal {}
    #[cfg(feature = "std")]
    impl Sealed for super::kind::Shared {}
    #[cfg(feature = "std")]
    impl Sealed for super::kind::SharedOwned {}
    impl<const N: usize> Sealed for super::kind::Static<N> {}
    #[cfg(feature = "async")]
    impl Sealed for super::kind::Async {}
    #[cfg(feature = "async")]
    impl Sealed for super::kind::AsyncOwned {}

    /// How a guard gives its object back; implemented by each kind's home, beside its pool.
    pub trait Home<T> {
        /// Takes back the lent object in `slot`: reset and kept, or dropped.
        ///
        /// # Safety
        ///
        /// `slot` was lent by this home's pool and is handed back once; the caller gives up
        /// every access to it.
        unsafe fn release(&self, slot: crate::slab::Slot<T>);

        /// Moves the lent object out of the pool for good.
        ///
        /// # Safety
        ///
        /// As for [`release`](Self::release).
        unsafe fn detach(&self, slot: crate::slab::Slot<T>) -> T;
    }
}

pub(crate) use sealed::Home;

/// Held by the homes of guards whose object must go back to the thread that took it, to make
/// them not `Send` (the compiler names this type when such a guard is moved to a thread).
#[cfg(feature = "std")]
pub(crate) struct ObjectGoesBackToItsThread(#[allow(dead_code)] *const ());

/// The marker field of those homes.
#[cfg(feature = "std")]
pub(crate) type StaysOnItsThread = PhantomData<ObjectGoesBackToItsThread>;

/// A pool kind: what a [`Pooled`] guard of that kind holds to give its object back. Sealed:
/// the kinds are those of [`kind`].
pub trait GuardKind<'a, T>: sealed::Sealed {
    /// What the guard holds besides the slot.
    #[doc(hidden)]
    type Home: sealed::Home<T>;
    /// The guard's short name, for `Debug`.
    #[doc(hidden)]
    const NAME: &'static str;
}

// SAFETY: a guard owns its object, like a `Box<T>`, and gives it back through its home, so
// moving it to another thread moves a `T` (`T: Send`) and the home. The homes of the kinds
// whose objects must go back to the thread that took them are not `Send`.
unsafe impl<'a, T: Send, K: GuardKind<'a, T>> Send for Pooled<'a, T, K> where K::Home: Send {}
// SAFETY: through `&Pooled` another thread gets `&T` (`T: Sync`) and, through helpers such as
// `OwnedPooled::pool`, `&K::Home`. The release needs the guard itself, so it never runs there.
unsafe impl<'a, T: Sync, K: GuardKind<'a, T>> Sync for Pooled<'a, T, K> where K::Home: Sync {}

impl<'a, T, K: GuardKind<'a, T>> Pooled<'a, T, K> {
    /// The guard of the object lent in `slot`.
    #[inline]
    pub(crate) fn new(slot: Slot<T>, home: K::Home) -> Self {
        Self {
            slot,
            home,
            _loan: PhantomData,
        }
    }

    /// Takes the object out of the pool for good. The pool does not reset it, and its slot
    /// becomes free for a new object (counted in `stats().detached`). Works on a guard of any
    /// pool kind.
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the home is moved out once (and
        // dropped at the end of this function: the `Arc` of an owned guard).
        let home = unsafe { core::ptr::read(&this.home) };
        // SAFETY: the guard owns the loan and `ManuallyDrop` keeps its `Drop` from handing it
        // back a second time.
        unsafe { home.detach(this.slot) }
    }
}

impl<'a, T, K: GuardKind<'a, T>> Drop for Pooled<'a, T, K> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the guard owns the loan of `slot` and gives it back once, here.
        unsafe { self.home.release(self.slot) };
    }
}

impl<'a, T, K: GuardKind<'a, T>> Deref for Pooled<'a, T, K> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: while the guard lives, the slot holds a constructed object that only this
        // guard can reach.
        unsafe { self.slot.as_ref() }
    }
}

impl<'a, T, K: GuardKind<'a, T>> DerefMut for Pooled<'a, T, K> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this access unique.
        unsafe { self.slot.as_mut() }
    }
}

impl<'a, T, K: GuardKind<'a, T>> AsRef<T> for Pooled<'a, T, K> {
    fn as_ref(&self) -> &T {
        self
    }
}

impl<'a, T, K: GuardKind<'a, T>> AsMut<T> for Pooled<'a, T, K> {
    fn as_mut(&mut self) -> &mut T {
        self
    }
}

impl<'a, T, K: GuardKind<'a, T>> Borrow<T> for Pooled<'a, T, K> {
    fn borrow(&self) -> &T {
        self
    }
}

impl<'a, T, K: GuardKind<'a, T>> BorrowMut<T> for Pooled<'a, T, K> {
    fn borrow_mut(&mut self) -> &mut T {
        self
    }
}

impl<'a, T: fmt::Debug, K: GuardKind<'a, T>> fmt::Debug for Pooled<'a, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(K::NAME).field(&**self).finish()
    }
}

impl<'a, T: fmt::Display, K: GuardKind<'a, T>> fmt::Display for Pooled<'a, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl<'a, T: PartialEq, K: GuardKind<'a, T>> PartialEq for Pooled<'a, T, K> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a, T: Eq, K: GuardKind<'a, T>> Eq for Pooled<'a, T, K> {}

impl<'a, T: PartialOrd, K: GuardKind<'a, T>> PartialOrd for Pooled<'a, T, K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (**self).partial_cmp(&**other)
    }
}

impl<'a, T: Ord, K: GuardKind<'a, T>> Ord for Pooled<'a, T, K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl<'a, T: Hash, K: GuardKind<'a, T>> Hash for Pooled<'a, T, K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}
