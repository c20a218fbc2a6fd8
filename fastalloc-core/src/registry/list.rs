//! The list of live named pools: what each record holds, and how pools join and leave it.
//!
//! # Protocol
//!
//! One mutex guards the list. A named pool joins it when it is built ([`register`]) and leaves
//! it when its [`Registration`] drops, which every pool type does before it frees anything a
//! record reads. [`read_all`] reads every pool's statistics under the same mutex, so a pool
//! cannot leave, and then free its parts, while a snapshot reads it: the drop waits for the
//! read to end, and a snapshot taken after the drop does not find it.
//!
//! A record cannot point at the pool itself, which moves (`build` returns it by value). It
//! holds a [`View`] (boxed, its type erased: a [`Source`]): pointers to the parts of the pool
//! that stay where they are on the heap (in an `Arc`, or an
//! [`Anchored`](crate::anchored::Anchored) box, which a move leaves alone where a `Box` would
//! not), that can be read from any thread (atomics, and what locks guard), and of which no
//! `&mut` is made while the pool is listed.
//!
//! Nothing under the mutex runs user code or waits for anything that waits for the mutex: a
//! view takes a pool's own locks (the depot of a `ThreadSafePool`, the queue of an
//! `AsyncPool`), which are never held while a pool is built or dropped, and visits its caches,
//! each held for a few instructions by its owner.

use std::borrow::Cow;
use std::ptr::NonNull;

use crate::stats::PoolStats;
use crate::sync::{global, Mutex};

/// What a pool gives the registry to read its statistics from: pointers to its parts.
pub(crate) trait View {
    /// The pool's statistics now, on any thread.
    ///
    /// # Safety
    ///
    /// The pool must be alive: true while its record is listed, since a pool leaves the list
    /// before it frees anything a view reads.
    unsafe fn stats(&self) -> PoolStats;
}

/// A boxed [`View`] whose type is erased: a pool's object type need not be `'static`, but the
/// list is. Its two functions are the view's `stats` and `drop`, made for its type.
struct Source {
    view: NonNull<()>,
    stats: unsafe fn(NonNull<()>) -> PoolStats,
    free: unsafe fn(NonNull<()>),
}

// SAFETY: a view only holds pointers to parts of a pool that any thread may read (atomics, and
// locks, `Sync` types), and reads them only in `stats`; its drop frees the box, nothing else.
unsafe impl Send for Source {}

impl Source {
    fn new<V: View>(view: V) -> Self {
        /// # Safety
        ///
        /// `view` came from `Box::into_raw` of a `V`, not freed yet; as for [`View::stats`].
        unsafe fn stats<V: View>(view: NonNull<()>) -> PoolStats {
            // SAFETY: guaranteed by the caller.
            unsafe { view.cast::<V>().as_ref().stats() }
        }

        /// # Safety
        ///
        /// `view` came from `Box::into_raw` of a `V`, and is freed once.
        unsafe fn free<V>(view: NonNull<()>) {
            // SAFETY: guaranteed by the caller.
            drop(unsafe { Box::from_raw(view.cast::<V>().as_ptr()) });
        }

        Self {
            view: NonNull::from(Box::leak(Box::new(view))).cast(),
            stats: stats::<V>,
            free: free::<V>,
        }
    }

    /// # Safety
    ///
    /// As for [`View::stats`].
    unsafe fn stats(&self) -> PoolStats {
        // SAFETY: `view` holds the box made in `new` for the type `stats` was made for; the
        // caller vouches for the pool.
        unsafe { (self.stats)(self.view) }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        // SAFETY: the box made in `new`, for the type `free` was made for, freed only here.
        unsafe { (self.free)(self.view) };
    }
}

/// One live named pool.
struct Record {
    id: u64,
    name: Cow<'static, str>,
    source: Source,
}

/// Every live named pool, oldest first.
struct List {
    records: Vec<Record>,
    next_id: u64,
}

global! {
    static LIST: Mutex<List> = Mutex::new(List {
        records: Vec::new(),
        next_id: 0,
    });
}

/// A named pool's name and its place in the list, which it leaves when this drops.
///
/// Boxed, so that an unnamed pool's `Option<Registration>` is one word.
#[derive(Debug)]
pub(crate) struct Registration(Box<Named>);

#[derive(Debug)]
struct Named {
    id: u64,
    name: Cow<'static, str>,
}

impl Registration {
    pub(crate) fn name(&self) -> &str {
        &self.0.name
    }
}

/// Lists a pool under `name`, read through `view`, until the returned registration drops.
///
/// # Safety
///
/// Until the registration is dropped, the view's `stats` must be sound to call on any thread:
/// the pool drops its registration before it frees (or makes a `&mut` to) anything the view
/// reads. (A pool that is leaked leaks its parts too, and a view reads no object of the pool's
/// type, so a record outliving the pool's lifetime parameters still reads valid memory.)
pub(crate) unsafe fn register<V: View>(name: Cow<'static, str>, view: V) -> Registration {
    let source = Source::new(view);
    let mut list = LIST.lock();
    let id = list.next_id;
    list.next_id += 1;
    list.records.push(Record {
        id,
        name: name.clone(),
        source,
    });
    Registration(Box::new(Named { id, name }))
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut list = LIST.lock();
        let id = self.0.id;
        // Order kept: a snapshot lists pools oldest first, and `get` finds the oldest of two
        // of the same name.
        if let Some(index) = list.records.iter().position(|record| record.id == id) {
            let record = list.records.remove(index);
            // The source holds plain pointers and the name a string: nothing here runs user
            // code, but drop them after the lock anyway.
            drop(list);
            drop(record);
        }
    }
}

/// The name and statistics of every live named pool, oldest first.
pub(crate) fn read_all() -> Vec<(Cow<'static, str>, PoolStats)> {
    let list = LIST.lock();
    list.records
        .iter()
        .map(|record| {
            // SAFETY: the record is listed, and stays so while `list` is locked.
            let stats = unsafe { record.source.stats() };
            (record.name.clone(), stats)
        })
        .collect()
}
