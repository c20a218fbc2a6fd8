//! [`Anchored`]: a value on the heap that other threads may point at while its owner moves.

use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use alloc::boxed::Box;

/// A `Box` that does not claim its contents as its own alone.
///
/// A pool keeps in one what the registry (`crate::registry`, with `std`) reads from other
/// threads through raw pointers (made from `&*anchored`), which must stay valid however the
/// pool is moved.
/// With a `Box` they would not, in Rust's aliasing model: each move of a `Box` into a function
/// (or of a struct that holds one) asserts that it is the only way to its contents, which
/// invalidates every pointer derived from it before (Miri reports the next read through one). Here the owner holds a
/// raw pointer, as an `Arc` does, and gives out shared references, and `&mut` only to a caller
/// with `&mut self` (a pool's `Drop`, once the registry let go of it).
///
/// The same code as a `Box` on the hot paths: dereferencing it is one load of the pointer.
pub(crate) struct Anchored<T> {
    value: NonNull<T>,
    /// It owns a `T` (for the drop check).
    _owns: PhantomData<T>,
}

// SAFETY: it owns a `T` as a `Box<T>` does: moving it to another thread moves the `T`.
unsafe impl<T: Send> Send for Anchored<T> {}
// SAFETY: as for a `Box<T>`: sharing it shares `&T`.
unsafe impl<T: Sync> Sync for Anchored<T> {}

impl<T> Anchored<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            value: NonNull::from(Box::leak(Box::new(value))),
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for Anchored<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the pointer came from a `Box` and is freed only by `drop`; `&mut` to the value
        // is only made through `&mut self`, which cannot coexist with this `&self`.
        unsafe { self.value.as_ref() }
    }
}

impl<T> DerefMut for Anchored<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` excludes every other reference made through
        // `self`. Raw pointers made from `deref` must not be in use: their holders let go
        // before the owner takes `&mut self` (the registry's records: see `registry`).
        unsafe { self.value.as_mut() }
    }
}

impl<T> Drop for Anchored<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::leak` in `new` and is freed only here, once.
        drop(unsafe { Box::from_raw(self.value.as_ptr()) });
    }
}
