//! The smaller parts of the public API: every error message, `Debug`/`Display`/`AsRef` of the
//! guards and builders, the size accessors of every pool, and a `Drop` that panics during
//! `close()`.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(clippy::ref_as_ptr)]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fastalloc_core::{
    BuildError, FixedPool, GrowingPool, Growth, LocalPooled, OwnedPooled, PoolError,
    ThreadLocalPool, ThreadSafePool,
};

#[test]
fn every_build_error_names_the_setting_to_change() {
    let cases = [
        (BuildError::MissingCapacity, ".capacity(n)"),
        (BuildError::ZeroCapacity, "at least 1"),
        (
            BuildError::MaxBelowCapacity {
                capacity: 8,
                max_capacity: 2,
            },
            "raise `max_capacity`",
        ),
        (BuildError::ZeroGrowthStep, "step of at least 1"),
        (
            BuildError::GrowthFactorTooSmall { factor: 1.0 },
            "greater than 1.0",
        ),
        (BuildError::FixedPoolCannotGrow, "`GrowingPool`"),
        (
            BuildError::CapacityTooLarge {
                capacity: usize::MAX,
            },
            "lower `capacity`",
        ),
    ];
    for (error, advice) in cases {
        let message = error.to_string();
        assert!(message.contains(advice), "{error:?}: {message}");
        let _: &dyn std::error::Error = &error;
    }
    let exhausted = PoolError::Exhausted { capacity: 3 }.to_string();
    assert!(exhausted.contains("all 3 objects") && exhausted.contains("max_capacity"));
    let exiting = PoolError::ThreadExiting.to_string();
    assert!(
        exiting.contains("allocate before the thread ends") && exiting.contains("ThreadSafePool"),
        "{exiting}"
    );
}

#[test]
fn builders_show_their_settings() {
    let builder = GrowingPool::builder()
        .capacity(4)
        .max_capacity(8)
        .growth(Growth::Linear(2))
        .preallocate(true)
        .factory(|| 1u8)
        .reset_with(|v| *v = 0);
    let text = format!("{builder:?}");
    for part in [
        "Some(4)",
        "Some(8)",
        "Linear(2)",
        "preallocate: true",
        "WithFactory",
        "WithReset",
    ] {
        assert!(text.contains(part), "{part} missing in {text}");
    }
    let pool = builder.build().unwrap();
    assert_eq!(
        (pool.capacity(), pool.max_capacity(), pool.idle()),
        (4, 8, 4)
    );
    let text = format!("{pool:?}");
    assert!(
        text.contains("GrowingPool") && text.contains("max_capacity: 8"),
        "{text}"
    );
}

#[test]
fn guards_display_and_convert() {
    let pool: FixedPool<String> = FixedPool::new(1).unwrap();
    let mut guard = pool.allocate().unwrap();
    guard.as_mut().push_str("text");
    assert_eq!(guard.to_string(), "text");
    assert_eq!(guard.as_ref(), "text");

    let shared = Arc::new(ThreadSafePool::<Vec<u8>>::new(1).unwrap());
    let mut owned = shared.allocate_owned().unwrap();
    owned.as_mut().push(1);
    assert_eq!(owned.as_ref(), &[1]);
    assert!(Arc::ptr_eq(OwnedPooled::pool(&owned), &shared));
}

#[test]
fn size_accessors_of_the_shared_pools() {
    let shared = ThreadSafePool::<u32>::new(3).unwrap();
    assert_eq!(shared.available(), 3);
    let guard = shared.allocate().unwrap();
    assert_eq!(
        (shared.available(), shared.in_use(), shared.idle()),
        (2, 1, 0)
    );
    drop(guard);
    assert_eq!((shared.available(), shared.idle()), (3, 1));

    let local = ThreadLocalPool::<u32>::new(3).unwrap();
    assert_eq!(
        (local.available(), local.capacity(), local.idle()),
        (3, 3, 0)
    );
    let guard = local.allocate().unwrap();
    assert_eq!((local.available(), local.in_use()), (2, 1));
    let kept = LocalPooled::detach(guard);
    assert_eq!(kept, 0);
    assert_eq!((local.available(), local.stats().detached), (3, 1));
}

#[test]
fn a_drop_that_panics_during_close_loses_no_other_object() {
    let drops = Arc::new(AtomicUsize::new(0));
    // The last object built is the first one `close` drops (LIFO).
    let pool = FixedPool::builder()
        .capacity(3)
        .factory(common::brittle(&drops, 2))
        .reset_with(|_| {})
        .build()
        .unwrap();
    drop([
        pool.allocate().unwrap(),
        pool.allocate().unwrap(),
        pool.allocate().unwrap(),
    ]);
    assert_eq!(pool.idle(), 3);
    assert!(catch_unwind(AssertUnwindSafe(|| pool.close())).is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the panicking drop ran once"
    );
    assert_eq!(pool.idle(), 2, "the objects not reached yet are idle again");
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        3,
        "each object dropped exactly once"
    );
}
