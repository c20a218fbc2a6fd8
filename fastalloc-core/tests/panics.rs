//! A factory or reset that panics, and a factory or reset that uses the pool again.
//!
//! After a panic the pool must be consistent: no slot lost, nothing handed out or dropped
//! twice, the panic passed on to the caller, and a panicking reset's object dropped and counted
//! as discarded.
//!
//! `FixedPool` and `GrowingPool` also run here without `std` (feature `alloc` alone): the pool
//! cannot catch a reset's panic then, and a drop guard frees the slot as the panic unwinds;
//! the test harness has `std`, so the tests catch the panic either way.
#![cfg(feature = "alloc")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
#[cfg(feature = "std")]
use std::sync::LazyLock;

use common::{Counts, Tracked};
use fastalloc_core::{FixedPool, GrowingPool, Growth};
#[cfg(feature = "std")]
use fastalloc_core::{ThreadLocalPool, ThreadSafePool};

/// A factory and reset that panic on demand.
#[derive(Clone)]
struct Faults {
    counts: Arc<Counts>,
    fail_factory: Arc<AtomicBool>,
    fail_reset: Arc<AtomicBool>,
}

impl Faults {
    fn new() -> Self {
        Self {
            counts: Counts::new(),
            fail_factory: Arc::new(AtomicBool::new(false)),
            fail_reset: Arc::new(AtomicBool::new(false)),
        }
    }

    fn factory(&self) -> impl Fn() -> Tracked + Send + Sync + 'static {
        let this = self.clone();
        move || {
            assert!(
                !this.fail_factory.load(Ordering::SeqCst),
                "factory failed on purpose"
            );
            Tracked::new(&this.counts)
        }
    }

    fn reset(&self) -> impl Fn(&mut Tracked) + Send + Sync + 'static {
        let fail = Arc::clone(&self.fail_reset);
        move |t| {
            t.reset();
            assert!(!fail.load(Ordering::SeqCst), "reset failed on purpose");
        }
    }
}

macro_rules! panic_safety_test {
    ($name:ident, $pool:ident, $capacity:expr, $($extra:tt)*) => {
        #[test]
        fn $name() {
            let faults = Faults::new();
            let pool = $pool::builder()
                .capacity($capacity)
                $($extra)*
                .factory(faults.factory())
                .reset_with(faults.reset())
                .build()
                .unwrap();

            // A panicking factory: the panic reaches the caller, and the slot stays usable.
            faults.fail_factory.store(true, Ordering::SeqCst);
            let result = catch_unwind(AssertUnwindSafe(|| pool.allocate().map(drop)));
            assert!(result.is_err(), "the factory's panic propagates");
            faults.fail_factory.store(false, Ordering::SeqCst);
            assert_eq!(pool.in_use(), 0);
            let all: Vec<_> = (0..$capacity).map(|_| pool.allocate().unwrap()).collect();
            assert_eq!(all.len(), $capacity, "no slot was lost to the failed factory");
            drop(all);

            // A panicking reset: the object is dropped, counted, and the panic propagates.
            let guard = pool.allocate().unwrap();
            let live_before = faults.counts.live();
            faults.fail_reset.store(true, Ordering::SeqCst);
            let result = catch_unwind(AssertUnwindSafe(|| drop(guard)));
            faults.fail_reset.store(false, Ordering::SeqCst);
            assert!(result.is_err(), "the reset's panic propagates");
            assert_eq!(faults.counts.live(), live_before - 1, "the object was dropped once");
            let stats = pool.stats();
            assert_eq!(stats.discarded, 1);
            assert_eq!(stats.in_use, 0);

            // Its slot is reused by a new object; the pool still holds `capacity` objects.
            let all: Vec<_> = (0..$capacity).map(|_| pool.allocate().unwrap()).collect();
            let mut ids: Vec<_> = all.iter().map(|t| t.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), $capacity, "nothing handed out twice");
            drop(all);
            drop(pool);
            assert_eq!(faults.counts.live(), 0, "every object dropped exactly once");
        }
    };
}

panic_safety_test!(fixed_pool_survives_panics, FixedPool, 4,);
panic_safety_test!(growing_pool_survives_panics, GrowingPool, 4, .growth(Growth::Linear(1)).max_capacity(4));
#[cfg(feature = "std")]
panic_safety_test!(thread_safe_pool_survives_panics, ThreadSafePool, 4,);
#[cfg(feature = "std")]
panic_safety_test!(thread_local_pool_survives_panics, ThreadLocalPool, 4,);

#[test]
fn a_panic_during_preallocation_drops_what_was_built() {
    let counts = Counts::new();
    let made = Arc::new(AtomicUsize::new(0));
    let (c, m) = (Arc::clone(&counts), Arc::clone(&made));
    let result = catch_unwind(|| {
        FixedPool::builder()
            .capacity(8)
            .preallocate(true)
            .factory(move || {
                assert!(m.fetch_add(1, Ordering::SeqCst) < 5, "sixth object fails");
                Tracked::new(&c)
            })
            .reset_with(Tracked::reset)
            .build()
    });
    assert!(result.is_err());
    assert_eq!((counts.created(), counts.drops()), (5, 5));
}

std::thread_local! {
    static LOCAL: FixedPool<Vec<u32>> = FixedPool::builder()
        .capacity(4)
        .factory(|| {
            // A factory that uses the pool it fills: it must find the pool consistent.
            LOCAL.with(|pool| assert!(pool.available() <= 4));
            Vec::new()
        })
        .reset_with(|v: &mut Vec<u32>| {
            // A reset that takes (and returns) another object from the same pool.
            LOCAL.with(|pool| {
                if let Ok(mut other) = pool.allocate() {
                    other.push(1);
                }
            });
            v.clear();
        })
        .build()
        .unwrap();
}

#[test]
fn factory_and_reset_may_use_their_own_pool() {
    LOCAL.with(|pool| {
        let mut a = pool.allocate().unwrap();
        a.push(7);
        drop(a);
        let b = pool.allocate().unwrap();
        assert!(b.is_empty());
        drop(b);
        assert_eq!(pool.in_use(), 0);
        assert!(pool.stats().allocations >= 3, "the reset allocated too");
    });
}

#[cfg(feature = "std")]
static SHARED: LazyLock<ThreadSafePool<Vec<u32>>> = LazyLock::new(|| {
    ThreadSafePool::builder()
        .capacity(2)
        .reset_with(|v: &mut Vec<u32>| {
            if let Ok(mut other) = SHARED.allocate() {
                other.push(1);
            }
            v.clear();
        })
        .build()
        .unwrap()
});

#[cfg(feature = "std")]
#[test]
fn thread_safe_reset_may_use_its_own_pool_without_deadlock() {
    let mut a = SHARED.allocate().unwrap();
    a.push(3);
    drop(a);
    let one = SHARED.allocate().unwrap();
    let two = SHARED.allocate().unwrap();
    assert!(one.is_empty() && two.is_empty());
}
