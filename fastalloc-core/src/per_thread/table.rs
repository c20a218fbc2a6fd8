//! [`Table`]: one entry per thread number, for the per-thread parts of a pool.
//!
//! Thread numbers are dense and reused (see the module above), so the table is a list of
//! buckets of growing size: bucket `b` holds the entries of numbers `2^b - 1 ..= 2^(b+1) - 2`,
//! allocated when a thread of that range first asks. Entries never move, so a reference to one
//! stays valid until the table is dropped, and they are never removed: a thread that inherits
//! a number inherits its entry, as with the `thread_local` crate.
//!
//! Each entry is boxed on its own, so a bucket holds 8-byte pointers: a pool whose only thread
//! has number 5 costs a bucket of 4 pointers and one part, not four parts' worth of memory.
//!
//! # Protocol
//!
//! * Only the thread that holds number `n` fills entry `n`, once, and only while it is empty:
//!   it builds the value in a box and publishes the pointer with a release store.
//! * Readers (the owner, and other threads iterating for statistics or to gather idle objects)
//!   see a value only through an acquire load of its pointer, and only ever get `&T`: whatever
//!   an entry shares between threads is the business of `T`'s own synchronisation.
//! * A bucket is installed with a compare-and-swap; the loser frees its own.

use std::ptr;

use crate::sync::{AtomicPtr, Ordering};

/// Buckets per table: numbers up to `2^BUCKETS - 2`. 32 buckets (256 bytes) cover four billion
/// threads at once; loom models have a handful of threads, and fewer objects to track.
#[cfg(not(loom))]
const BUCKETS: usize = 32;
#[cfg(loom)]
const BUCKETS: usize = 3;

/// The largest thread number a table can hold.
pub(crate) const MAX_NUMBER: usize = (1 << BUCKETS) - 2;

/// One entry per thread number (see the module docs).
pub(crate) struct Table<T> {
    buckets: [AtomicPtr<AtomicPtr<T>>; BUCKETS],
}

// SAFETY: a table owns its entries; moving it to another thread moves them (`T: Send`).
unsafe impl<T: Send> Send for Table<T> {}
// SAFETY: through `&Table` another thread can read any entry (`&T` crosses threads: `T: Sync`)
// and the owner of a number can create that entry (a `T` built on one thread and dropped,
// with the table, on another: `T: Send`).
unsafe impl<T: Send + Sync> Sync for Table<T> {}

/// The bucket of `number`, and the entry's place in it.
fn locate(number: usize) -> (usize, usize) {
    debug_assert!(number <= MAX_NUMBER);
    let n = number + 1;
    let bucket = (usize::BITS - 1 - n.leading_zeros()) as usize;
    (bucket, n - (1 << bucket))
}

fn bucket_len(bucket: usize) -> usize {
    1 << bucket
}

impl<T> Table<T> {
    pub(crate) fn new() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// The entry of `number`'s pointer, if its bucket exists.
    #[inline]
    fn entry(&self, number: usize) -> Option<&AtomicPtr<T>> {
        let (bucket, index) = locate(number);
        let entries = self.buckets[bucket].load(Ordering::Acquire);
        // SAFETY: a non-null bucket pointer points at `bucket_len(bucket)` entries that live
        // until the table drops, and `index` is below that length (`locate`).
        (!entries.is_null()).then(|| unsafe { &*entries.add(index) })
    }

    /// The value of `number`'s entry if it was made.
    #[inline]
    pub(crate) fn get(&self, number: usize) -> Option<&T> {
        let value = self.entry(number)?.load(Ordering::Acquire);
        // SAFETY: a non-null entry points at a boxed value, published with release after it
        // was built (`get_or_try`), freed only when the table drops.
        (!value.is_null()).then(|| unsafe { &*value })
    }

    /// The value of `number`'s entry, made by `create` if there is none yet.
    ///
    /// Only the thread that holds `number` (see [`current`](super::current)) may call it: it
    /// is the one writer of that entry.
    pub(crate) fn get_or_try<E>(
        &self,
        number: usize,
        create: impl FnOnce() -> Result<T, E>,
    ) -> Result<&T, E> {
        if let Some(value) = self.get(number) {
            return Ok(value);
        }
        let value = Box::into_raw(Box::new(create()?));
        let (bucket, index) = locate(number);
        let entries = self.bucket(bucket);
        // SAFETY: as in `entry`.
        let entry = unsafe { &*entries.add(index) };
        // The entry is empty (`get` found none, and only this thread, the holder of `number`,
        // fills it): publish the value.
        entry.store(value, Ordering::Release);
        // SAFETY: just published; freed only when the table drops.
        Ok(unsafe { &*value })
    }

    /// The entries of `bucket`, allocated if need be.
    #[cold]
    fn bucket(&self, bucket: usize) -> *mut AtomicPtr<T> {
        let current = self.buckets[bucket].load(Ordering::Acquire);
        if !current.is_null() {
            return current;
        }
        let fresh: Box<[AtomicPtr<T>]> = (0..bucket_len(bucket))
            .map(|_| AtomicPtr::new(ptr::null_mut()))
            .collect();
        let fresh = Box::into_raw(fresh).cast::<AtomicPtr<T>>();
        match self.buckets[bucket].compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => fresh,
            Err(installed) => {
                // SAFETY: `fresh` came from `Box::into_raw` just above and was not published.
                drop(unsafe {
                    Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, bucket_len(bucket)))
                });
                installed
            }
        }
    }

    /// The pointers of every entry made so far, in number order (`ordering` for the loads).
    fn values(&self, ordering: Ordering) -> impl Iterator<Item = *mut T> + '_ {
        self.buckets
            .iter()
            .enumerate()
            .filter_map(move |(bucket, entries)| {
                let entries = entries.load(ordering);
                (!entries.is_null()).then(|| (entries, bucket_len(bucket)))
            })
            .flat_map(|(entries, len)| {
                // SAFETY: as in `entry`, for every index below the bucket's length.
                (0..len).map(move |index| unsafe { &*entries.add(index) })
            })
            .map(move |entry| entry.load(ordering))
            .filter(|value| !value.is_null())
    }

    /// Every value made so far, in number order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        // SAFETY: as in `get`.
        self.values(Ordering::Acquire)
            .map(|value| unsafe { &*value })
    }

    /// Every value made so far, with the table to itself.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        // Relaxed: `&mut self` means every write to the table happened before.
        // SAFETY: as in `get`, and `&mut self` makes these the only references to the values
        // while they live.
        self.values(Ordering::Relaxed)
            .map(|value| unsafe { &mut *value })
    }
}

impl<T> Drop for Table<T> {
    fn drop(&mut self) {
        let values: Vec<*mut T> = self.values(Ordering::Relaxed).collect();
        for value in values {
            // SAFETY: made by `Box::into_raw` in `get_or_try`, freed once, here.
            drop(unsafe { Box::from_raw(value) });
        }
        for (bucket, entries) in self.buckets.iter().enumerate() {
            let entries = entries.load(Ordering::Relaxed);
            if !entries.is_null() {
                // SAFETY: installed by `bucket` from a boxed slice of this length, freed once.
                drop(unsafe {
                    Box::from_raw(ptr::slice_from_raw_parts_mut(entries, bucket_len(bucket)))
                });
            }
        }
    }
}
