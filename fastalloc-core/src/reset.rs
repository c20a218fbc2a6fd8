//! The [`Reset`] trait: how a pooled object goes back to its fresh state.

#[cfg(feature = "alloc")]
use alloc::{
    boxed::Box,
    collections::{BTreeMap, BTreeSet, BinaryHeap, LinkedList, VecDeque},
    string::String,
    vec::Vec,
};
#[cfg(feature = "std")]
use std::collections::{HashMap, HashSet};
#[cfg(feature = "std")]
use std::hash::BuildHasher;

/// Puts an object back into its "fresh" state, keeping whatever memory it has allocated.
///
/// A pool calls `reset` when a guard is dropped, before the object waits for its next user, so
/// an idle object never holds the previous caller's data. Keeping capacity is the point: a
/// pooled `Vec<u8>` that grew to 4 KiB stays 4 KiB and the next user writes into it without
/// calling the allocator. Containers are therefore *cleared*, not replaced.
///
/// Numbers reset to zero, `bool` to `false`, `char` to `'\0'`, `Option` to `None`, arrays and
/// tuples element by element, and `Box<T>` resets the `T` inside (keeping the box).
///
/// Most structs can derive it with `#[derive(Reset)]` from the `fastalloc` crate, field by field.
///
/// # Examples
///
/// ```
/// use fastalloc_core::Reset;
///
/// let mut buffer: Vec<u8> = Vec::with_capacity(4096);
/// buffer.extend_from_slice(b"request data");
/// buffer.reset();
/// assert!(buffer.is_empty());
/// assert!(buffer.capacity() >= 4096); // the memory is kept for the next user
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Reset`, so a pool cannot put it back in its fresh state",
    label = "this type needs `Reset`",
    note = "derive it with `#[derive(Reset)]`, implement `fastalloc::Reset` by hand, \
            or give the pool builder a `.reset_with(|value| ...)` closure"
)]
pub trait Reset {
    /// Returns `self` to its fresh state, keeping allocated capacity.
    fn reset(&mut self);

    /// Whether the object, just reset, is worth keeping for the next user. A pool asks right
    /// after [`reset`](Self::reset); on `false` it drops the object instead of keeping it
    /// (counted in `PoolStats::discarded`), and its slot is filled by a fresh object from the
    /// factory when next needed.
    ///
    /// The default keeps every object, and costs nothing: the pool's check of it compiles
    /// away. Override it to refuse objects that grew too large, so that one oversized request
    /// does not pin its memory for the life of the pool. `#[derive(Reset)]` generates it from
    /// `#[reset(max_capacity = N)]` fields and from the fields' own `reusable`.
    ///
    /// If it panics, the pool drops the object (counted as discarded) and the panic goes on
    /// from the guard's drop, as for a panicking `reset`.
    ///
    /// # Examples
    ///
    /// ```
    /// use fastalloc_core::{FixedPool, Reset};
    ///
    /// #[derive(Default)]
    /// struct Body(Vec<u8>);
    ///
    /// impl Reset for Body {
    ///     fn reset(&mut self) {
    ///         self.0.clear();
    ///     }
    ///     fn reusable(&self) -> bool {
    ///         self.0.capacity() <= 64 * 1024 // give back anything above 64 KiB
    ///     }
    /// }
    ///
    /// let pool: FixedPool<Body> = FixedPool::new(4).unwrap();
    /// let mut body = pool.allocate().unwrap();
    /// body.0.resize(1 << 20, 0); // one huge request
    /// drop(body);
    /// assert_eq!(pool.stats().discarded, 1);
    /// assert_eq!(pool.idle(), 0); // the megabyte went back to the allocator
    /// ```
    #[inline]
    fn reusable(&self) -> bool {
        true
    }
}

/// A container whose reserved memory can be measured: what `#[reset(max_capacity = N)]`
/// compares with `N` after the reset.
///
/// Implemented for the standard collections that keep capacity when cleared, and for
/// `bytes::BytesMut` with the `bytes` feature; implement it for your own container types to use
/// them with `max_capacity`.
#[diagnostic::on_unimplemented(
    message = "`#[reset(max_capacity = ...)]` needs the capacity of `{Self}`, which does not \
               implement `fastalloc::Capacity`",
    label = "this field has no capacity to measure",
    note = "`max_capacity` works on `Vec`, `String`, `VecDeque`, `HashMap`, `HashSet`, \
            `BinaryHeap`, `OsString`, `PathBuf` and (feature `bytes`) `BytesMut`; implement \
            `fastalloc::Capacity` for other containers"
)]
pub trait Capacity {
    /// How many elements (bytes for strings) fit without reallocating.
    fn capacity(&self) -> usize;
}

#[cfg(feature = "alloc")]
macro_rules! capacity_of {
    ($({$($gen:tt)*} $ty:ty),* $(,)?) => {
        $(
            impl<$($gen)*> Capacity for $ty {
                #[inline]
                fn capacity(&self) -> usize {
                    <$ty>::capacity(self)
                }
            }
        )*
    };
}

#[cfg(feature = "alloc")]
capacity_of! {
    {} String,
    {T} Vec<T>,
    {T} VecDeque<T>,
    {T} BinaryHeap<T>,
}

#[cfg(feature = "std")]
capacity_of! {
    {K, V, S} HashMap<K, V, S>,
    {T, S} HashSet<T, S>,
    {} std::ffi::OsString,
    {} std::path::PathBuf,
}

#[cfg(feature = "alloc")]
impl<T: Capacity + ?Sized> Capacity for Box<T> {
    #[inline]
    fn capacity(&self) -> usize {
        (**self).capacity()
    }
}

/// The room from the start of the buffer's view, as `BytesMut::capacity` counts it. Memory the
/// buffer still shares with a `Bytes` split off it, or gave up at the front with `advance` or
/// `split_to`, is not counted.
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl Capacity for bytes::BytesMut {
    #[inline]
    fn capacity(&self) -> usize {
        bytes::BytesMut::capacity(self)
    }
}

macro_rules! reset_to {
    ($value:expr => $($ty:ty),* $(,)?) => {
        $(
            impl Reset for $ty {
                #[inline]
                fn reset(&mut self) {
                    *self = $value;
                }
            }
        )*
    };
}

reset_to!(0 => u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);
reset_to!(0.0 => f32, f64);
reset_to!(false => bool);
reset_to!('\0' => char);

impl Reset for () {
    #[inline]
    fn reset(&mut self) {}
}

#[cfg(feature = "alloc")]
macro_rules! reset_by_clear {
    ($({$($gen:tt)*} $ty:ty),* $(,)?) => {
        $(
            impl<$($gen)*> Reset for $ty {
                #[inline]
                fn reset(&mut self) {
                    self.clear();
                }
            }
        )*
    };
}

#[cfg(feature = "alloc")]
reset_by_clear! {
    {} String,
    {T} Vec<T>,
    {T} VecDeque<T>,
    {T} LinkedList<T>,
    {T} BinaryHeap<T>,
    {K, V} BTreeMap<K, V>,
    {T} BTreeSet<T>,
}

#[cfg(feature = "std")]
reset_by_clear! {
    {K, V, S: BuildHasher} HashMap<K, V, S>,
    {T, S: BuildHasher} HashSet<T, S>,
    {} std::ffi::OsString,
    {} std::path::PathBuf,
}

impl<T> Reset for Option<T> {
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }
}

#[cfg(feature = "alloc")]
impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    #[inline]
    fn reusable(&self) -> bool {
        (**self).reusable()
    }
}

impl<T: Reset> Reset for [T] {
    #[inline]
    fn reset(&mut self) {
        for item in self {
            item.reset();
        }
    }

    #[inline]
    fn reusable(&self) -> bool {
        self.iter().all(T::reusable)
    }
}

impl<T: Reset, const N: usize> Reset for [T; N] {
    #[inline]
    fn reset(&mut self) {
        self.as_mut_slice().reset();
    }

    #[inline]
    fn reusable(&self) -> bool {
        self.as_slice().reusable()
    }
}

impl<T: Reset> Reset for core::cell::Cell<T>
where
    T: Copy,
{
    #[inline]
    fn reset(&mut self) {
        self.get_mut().reset();
    }

    #[inline]
    fn reusable(&self) -> bool {
        self.get().reusable()
    }
}

impl<T: Reset + ?Sized> Reset for core::cell::RefCell<T> {
    #[inline]
    fn reset(&mut self) {
        self.get_mut().reset();
    }

    /// Asks the value inside, unless it is borrowed mutably right now (then `true`).
    #[inline]
    fn reusable(&self) -> bool {
        self.try_borrow().map_or(true, |value| value.reusable())
    }
}

#[allow(clippy::disallowed_types)] // the user's `std` mutex, not one of the runtime's
#[cfg(feature = "std")]
impl<T: Reset + ?Sized> Reset for std::sync::Mutex<T> {
    /// Resets the value inside; a poisoned mutex is reset too and stays usable.
    #[inline]
    fn reset(&mut self) {
        self.get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .reset();
    }

    /// Asks the value inside (poisoned or not), unless it is locked right now (then `true`).
    #[inline]
    fn reusable(&self) -> bool {
        match self.try_lock() {
            Ok(value) => value.reusable(),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner().reusable(),
            Err(std::sync::TryLockError::WouldBlock) => true,
        }
    }
}

#[cfg(feature = "std")]
impl<T: Reset + ?Sized> Reset for std::sync::RwLock<T> {
    #[inline]
    fn reset(&mut self) {
        self.get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .reset();
    }

    /// Asks the value inside (poisoned or not), unless it is locked right now (then `true`).
    #[inline]
    fn reusable(&self) -> bool {
        match self.try_read() {
            Ok(value) => value.reusable(),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner().reusable(),
            Err(std::sync::TryLockError::WouldBlock) => true,
        }
    }
}

impl<T: ?Sized> Reset for core::marker::PhantomData<T> {
    #[inline]
    fn reset(&mut self) {}
}

impl<T: Reset> Reset for core::num::Wrapping<T> {
    #[inline]
    fn reset(&mut self) {
        self.0.reset();
    }

    #[inline]
    fn reusable(&self) -> bool {
        self.0.reusable()
    }
}

impl Reset for core::time::Duration {
    #[inline]
    fn reset(&mut self) {
        *self = core::time::Duration::ZERO;
    }
}

/// Clears the buffer and keeps its memory, as for `Vec<u8>`.
///
/// Room given up at the front with `advance` or `split_to` stays allocated, outside the view:
/// the next `reserve` that needs it moves the view back without allocating, once no `Bytes`
/// split off the buffer is still alive. It is not moved here because `BytesMut` has no call
/// that does so without being told a size.
#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl Reset for bytes::BytesMut {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

macro_rules! reset_tuple {
    ($($name:ident . $idx:tt),+) => {
        impl<$($name: Reset),+> Reset for ($($name,)+) {
            #[inline]
            fn reset(&mut self) {
                $(self.$idx.reset();)+
            }

            #[inline]
            fn reusable(&self) -> bool {
                $(self.$idx.reusable())&&+
            }
        }
    };
}

reset_tuple!(A.0);
reset_tuple!(A.0, B.1);
reset_tuple!(A.0, B.1, C.2);
reset_tuple!(A.0, B.1, C.2, D.3);
reset_tuple!(A.0, B.1, C.2, D.3, E.4);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
reset_tuple!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);

#[cfg(all(test, feature = "std", not(loom)))]
#[allow(clippy::many_single_char_names)]
mod tests {
    use super::Reset;
    use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

    #[test]
    fn numbers_and_flags_go_to_zero() {
        let mut values = (5u8, -3i64, 2.5f64, true, 'x', 9usize);
        values.reset();
        assert_eq!(values, (0, 0, 0.0, false, '\0', 0));
    }

    #[test]
    fn containers_are_cleared_and_keep_capacity() {
        let mut v: Vec<u32> = (0..100).collect();
        let cap = v.capacity();
        v.reset();
        assert!(v.is_empty());
        assert_eq!(v.capacity(), cap);

        let mut s = String::with_capacity(64);
        s.push_str("hello");
        s.reset();
        assert!(s.is_empty());
        assert!(s.capacity() >= 64);

        let mut m: HashMap<u32, u32> = (0..50).map(|i| (i, i)).collect();
        let cap = m.capacity();
        m.reset();
        assert!(m.is_empty());
        assert_eq!(m.capacity(), cap);

        let mut d: VecDeque<u8> = VecDeque::from(vec![1, 2, 3]);
        d.reset();
        assert!(d.is_empty());

        let mut set: HashSet<i32> = [1, 2].into_iter().collect();
        set.reset();
        assert!(set.is_empty());

        let mut b: BTreeMap<u8, u8> = [(1, 1)].into_iter().collect();
        b.reset();
        assert!(b.is_empty());
    }

    #[test]
    fn option_box_array_reset() {
        let mut o = Some(3);
        o.reset();
        assert_eq!(o, None);

        let mut b = Box::new(vec![1, 2, 3]);
        b.reset();
        assert!(b.is_empty());

        let mut a = [[1u8; 4]; 3];
        a.reset();
        assert_eq!(a, [[0; 4]; 3]);

        #[allow(clippy::disallowed_types)] // the `Reset` impl for `std`'s mutex
        let mut m = std::sync::Mutex::new(String::from("x"));
        m.reset();
        assert!(m.get_mut().unwrap().is_empty());
    }

    #[test]
    fn cells_locks_and_wrappers_reset_what_they_hold() {
        let mut cell = std::cell::Cell::new(7u8);
        cell.reset();
        assert_eq!(cell.get(), 0);
        let mut refcell = std::cell::RefCell::new(vec![1]);
        refcell.reset();
        assert!(refcell.borrow().is_empty());
        let mut lock = std::sync::RwLock::new(String::from("x"));
        lock.reset();
        assert!(lock.read().unwrap().is_empty());
        let mut wrapping = std::num::Wrapping(5u32);
        wrapping.reset();
        assert_eq!(wrapping.0, 0);
        let mut duration = std::time::Duration::from_secs(3);
        duration.reset();
        assert_eq!(duration, std::time::Duration::ZERO);
        let mut marker = std::marker::PhantomData::<u8>;
        marker.reset();
        let mut unit = ();
        unit.reset();
        let mut path = std::path::PathBuf::from("/tmp");
        path.reset();
        assert_eq!(path.as_os_str(), "");
    }
}
