//! A slot and everything that touches its memory: the only module that writes an object into
//! a slot, reads one out or drops one in place (sharded-slab keeps the same rule in its
//! `page/slot.rs`). Above it, the pool engines move [`Slot`]s between lists and ask this
//! module to build, take out or discard the object inside.
//!
//! # The object lifecycle
//!
//! A slot is *empty* (vacant or fresh) or holds a constructed object. [`Slot::construct`] fills
//! an empty slot with the factory's object; [`Slot::discard`] drops the object and gives the
//! slot back as empty (the [`Owner`] is told why: [`Gone`]); [`Slot::take`] moves the object
//! out (a detach); [`Slot::move_to`] moves an idle one to another slot (when a trim gives a
//! chunk back); [`discard_all`] discards
//! a batch of idle objects. Each is panic-safe the same way for every engine: whatever a
//! factory or a `Drop` does, the slot goes back to its [`Owner`] (as vacant, or as idle for the
//! objects a panicking `Drop` kept `discard_all` from reaching), so no slot is lost and no
//! object is dropped twice.

use core::ptr::NonNull;

#[cfg(feature = "alloc")]
use alloc::vec::{self, Vec};

/// One slot of a slab: where its object lives and the slot's number. Copied around while the
/// object is lent (in guards and thread caches), so that the slab gets the number back without
/// a lookup.
pub struct Slot<T> {
    ptr: NonNull<T>,
    /// The slot's number (a `u32`), kept in a full word: a 4-byte field left a guard's last
    /// word half written, and copying the guard (8-byte loads) then stalled on the 4-byte
    /// store. The slot is 16 bytes either way.
    index: usize,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Slot<T> {}

impl<T> Slot<T> {
    /// The slot at `ptr` numbered `index`.
    ///
    /// # Safety
    ///
    /// `ptr` is the address of slot `index` of a live slab (the slab trusts a slot's number).
    #[inline]
    pub(crate) unsafe fn new(ptr: NonNull<T>, index: u32) -> Self {
        Self {
            ptr,
            index: index as usize,
        }
    }

    /// The slot's number.
    #[inline]
    pub(crate) fn index(self) -> u32 {
        // Fits: made from a `u32` in `new`.
        self.index as u32
    }

    /// The object's address (for the sanitizer's records and tests; never dereferenced
    /// outside this module).
    #[inline]
    #[cfg(any(all(test, feature = "alloc", not(loom)), feature = "sanitizer"))]
    pub(crate) fn addr(self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// The object, shared.
    ///
    /// # Safety
    ///
    /// As for [`NonNull::as_ref`]: the slot holds a constructed object, and nothing mutates
    /// it for `'a`.
    #[inline]
    pub(crate) unsafe fn as_ref<'a>(&self) -> &'a T {
        // SAFETY: guaranteed by the caller.
        unsafe { self.ptr.as_ref() }
    }

    /// The object, unique.
    ///
    /// # Safety
    ///
    /// As for [`NonNull::as_mut`]: the slot holds a constructed object, and nothing else
    /// reaches it for `'a`.
    #[inline]
    pub(crate) unsafe fn as_mut<'a>(&mut self) -> &'a mut T {
        // SAFETY: guaranteed by the caller.
        unsafe { self.ptr.as_mut() }
    }

    /// Builds an object into this empty slot with `owner`'s factory. If the factory panics,
    /// the slot goes back to `owner` as vacant and the panic continues.
    pub(crate) fn construct<O: Owner<T> + ?Sized>(self, owner: &O) {
        /// Gives the slot back as vacant if the factory unwinds.
        struct Vacate<'a, T, O: Owner<T> + ?Sized>(&'a O, Slot<T>);

        impl<T, O: Owner<T> + ?Sized> Drop for Vacate<'_, T, O> {
            fn drop(&mut self) {
                self.0.vacate(self.1, Gone::Unbuilt);
            }
        }

        let vacate = Vacate(owner, self);
        let value = owner.build();
        core::mem::forget(vacate);
        // SAFETY: the slot is empty and owned by the caller (it was taken from the slab's
        // vacant or fresh slots, or is being preallocated), so nothing else reaches it.
        unsafe { self.ptr.as_ptr().write(value) };
    }

    /// Moves the object out; the slot is empty afterwards.
    ///
    /// # Safety
    ///
    /// The slot holds a constructed object that nothing else refers to; the caller treats
    /// the slot as empty from now on.
    pub(crate) unsafe fn take(self) -> T {
        // SAFETY: guaranteed by the caller.
        unsafe { self.ptr.as_ptr().read() }
    }

    /// Moves the object into the empty slot `to` (a bitwise move, as any Rust move); this slot
    /// is empty afterwards. For idle objects only: a lent object never moves.
    ///
    /// # Safety
    ///
    /// This slot holds a constructed object that nothing refers to; `to` is another slot of
    /// the same slab, empty and owned by the caller.
    #[cfg(feature = "alloc")]
    pub(crate) unsafe fn move_to(self, to: Slot<T>) {
        debug_assert_ne!(self.index, to.index);
        // SAFETY: guaranteed by the caller: the source holds an object nobody refers to and
        // is treated as empty from now on; the destination is empty, so nothing is
        // overwritten, and the two are different slots, so they do not overlap.
        unsafe { to.ptr.as_ptr().write(self.ptr.as_ptr().read()) };
    }

    /// Drops the object in place; the slot is empty afterwards, even if the drop panics.
    ///
    /// # Safety
    ///
    /// As for [`take`](Self::take).
    pub(crate) unsafe fn drop_object(self) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.ptr.as_ptr().drop_in_place() };
    }

    /// Drops the object and gives the slot back to `owner` as vacant, counted as discarded,
    /// even if the drop panics (the panic then continues).
    ///
    /// # Safety
    ///
    /// The slot holds a constructed object that nothing else refers to and that is listed
    /// nowhere.
    pub(crate) unsafe fn discard<O: Owner<T> + ?Sized>(self, owner: &O) {
        // SAFETY: guaranteed by the caller.
        unsafe { self.discard_as(owner, Gone::Discarded) };
    }

    /// Runs `f` on the object (a reset); if `f` unwinds, discards the object as
    /// [`discard`](Self::discard) does on the way out: it is dropped and the slot goes back to
    /// `owner` as vacant, so no slot is lost. For builds without `std`, where the pool cannot
    /// catch the panic of a reset. If the object's `Drop` panics as well, that panic during
    /// unwinding aborts the program.
    ///
    /// # Safety
    ///
    /// As for [`discard`](Self::discard): the slot holds a constructed object that nothing
    /// else refers to and that is listed nowhere.
    #[cfg(all(feature = "alloc", not(feature = "std")))]
    #[inline]
    pub(crate) unsafe fn discard_on_unwind<O: Owner<T> + ?Sized, R>(
        mut self,
        owner: &O,
        f: impl FnOnce(&mut T) -> R,
    ) -> R {
        /// Discards the object if `f` unwinds.
        struct Discard<'a, T, O: Owner<T> + ?Sized>(&'a O, Slot<T>);

        impl<T, O: Owner<T> + ?Sized> Drop for Discard<'_, T, O> {
            fn drop(&mut self) {
                // SAFETY: only reached while `f` unwinds: the slot still holds the object
                // (the caller's promise), which nothing refers to any more.
                unsafe { self.1.discard(self.0) };
            }
        }

        let discard = Discard(owner, self);
        // SAFETY: guaranteed by the caller: nothing else reaches the object while `f` runs.
        let result = f(unsafe { self.as_mut() });
        core::mem::forget(discard);
        result
    }

    /// [`discard`](Self::discard), counted as `gone`.
    ///
    /// # Safety
    ///
    /// As for [`discard`](Self::discard).
    pub(crate) unsafe fn discard_as<O: Owner<T> + ?Sized>(self, owner: &O, gone: Gone) {
        /// Gives the slot back whether or not the drop unwinds.
        struct Vacate<'a, T, O: Owner<T> + ?Sized>(&'a O, Slot<T>, Gone);

        impl<T, O: Owner<T> + ?Sized> Drop for Vacate<'_, T, O> {
            fn drop(&mut self) {
                self.0.vacate(self.1, self.2);
            }
        }

        let _vacate = Vacate(owner, self, gone);
        // SAFETY: guaranteed by the caller; `_vacate` lists the slot as vacant afterwards.
        unsafe { self.drop_object() };
    }
}

/// Why a slot became empty, for the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    /// The factory panicked: there never was an object.
    Unbuilt,
    /// The pool dropped the object instead of keeping it (refused, closed).
    Discarded,
    /// `trim` or `trim_unused` dropped the idle object.
    Trimmed,
}

/// What the lifecycle needs from the engine a slot belongs to (`LocalCore`, `SharedCore`).
pub(crate) trait Owner<T> {
    /// A new object, from the pool's factory (user code: it may panic or use the pool).
    fn build(&self) -> T;
    /// Takes back an empty slot (its object was dropped or never built), counting it as
    /// `gone` says.
    fn vacate(&self, slot: Slot<T>, gone: Gone);
    /// Takes back idle objects that `discard_all` did not reach.
    #[cfg(feature = "alloc")]
    fn requeue(&self, rest: &mut dyn Iterator<Item = Slot<T>>);
}

/// Discards every object in `slots` (idle ones, taken off the idle list by the caller),
/// counted as `gone`. If a `Drop` panics, the objects not reached yet go back to `owner` as
/// idle and the panic continues.
///
/// # Safety
///
/// Every slot holds a constructed object that nothing refers to and that is listed nowhere.
#[cfg(feature = "alloc")]
pub(crate) unsafe fn discard_all<T, O: Owner<T> + ?Sized>(
    owner: &O,
    slots: Vec<Slot<T>>,
    gone: Gone,
) {
    /// Puts back what the loop did not reach.
    struct Requeue<'a, T, O: Owner<T> + ?Sized>(&'a O, vec::IntoIter<Slot<T>>);

    impl<T, O: Owner<T> + ?Sized> Drop for Requeue<'_, T, O> {
        fn drop(&mut self) {
            if self.1.len() > 0 {
                self.0.requeue(&mut self.1);
            }
        }
    }

    let mut rest = Requeue(owner, slots.into_iter());
    for slot in rest.1.by_ref() {
        // SAFETY: guaranteed by the caller; each slot is visited once.
        unsafe { slot.discard_as(owner, gone) };
    }
}
