//! `FixedPool` and `GrowingPool`: reuse, reset, growth, detach, close, drops, statistics.
#![cfg(feature = "alloc")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;

use common::{Counts, Particle, Tracked};
use fastalloc_core::{BuildError, FixedPool, GrowingPool, Growth, PoolError, Pooled};

fn tracked_fixed(counts: &std::sync::Arc<Counts>, capacity: usize) -> FixedPool<Tracked> {
    let make = std::sync::Arc::clone(counts);
    FixedPool::builder()
        .capacity(capacity)
        .factory(move || Tracked::new(&make))
        .reset_with(Tracked::reset)
        .build()
        .unwrap()
}

#[test]
fn reuses_the_last_returned_object_first() {
    let pool: FixedPool<Particle> = FixedPool::new(4).unwrap();
    let a = pool.allocate().unwrap();
    let b = pool.allocate().unwrap();
    let (pa, pb) = (&*a as *const Particle, &*b as *const Particle);
    drop(a);
    drop(b);
    let first = pool.allocate().unwrap();
    assert_eq!(
        &*first as *const Particle, pb,
        "LIFO: b came back last, so it goes out first"
    );
    let second = pool.allocate().unwrap();
    assert_eq!(&*second as *const Particle, pa);
}

#[test]
fn reset_runs_on_release_never_on_creation() {
    let counts = Counts::new();
    let pool = tracked_fixed(&counts, 2);
    let mut guard = pool.allocate().unwrap();
    assert_eq!(
        (counts.created(), counts.resets()),
        (1, 0),
        "a fresh object is not reset"
    );
    guard.value = 42;
    guard.data.extend_from_slice(&[1, 2, 3]);
    let capacity = guard.data.capacity();
    drop(guard);
    assert_eq!(counts.resets(), 1, "released objects are reset at once");
    let again = pool.allocate().unwrap();
    assert_eq!(again.value, 0);
    assert!(again.data.is_empty());
    assert_eq!(again.data.capacity(), capacity, "reset keeps capacity");
    assert_eq!(counts.created(), 1, "the object was reused, not rebuilt");
}

#[test]
fn exhausted_names_the_capacity() {
    let pool: FixedPool<u32> = FixedPool::new(2).unwrap();
    let _a = pool.allocate().unwrap();
    let _b = pool.allocate().unwrap();
    let err = pool.allocate().unwrap_err();
    assert_eq!(err, PoolError::Exhausted { capacity: 2 });
    assert!(
        err.to_string().contains("all 2 objects are in use"),
        "{err}"
    );
    assert_eq!(pool.stats().exhausted, 1);
    assert_eq!(pool.available(), 0);
}

#[test]
fn lazy_by_default_eager_on_request() {
    let counts = Counts::new();
    let lazy = tracked_fixed(&counts, 8);
    assert_eq!((lazy.idle(), counts.created()), (0, 0));
    assert_eq!(lazy.available(), 8);

    let eager_counts = Counts::new();
    let make = std::sync::Arc::clone(&eager_counts);
    let eager = FixedPool::builder()
        .capacity(8)
        .preallocate(true)
        .factory(move || Tracked::new(&make))
        .reset_with(Tracked::reset)
        .build()
        .unwrap();
    assert_eq!((eager.idle(), eager_counts.created()), (8, 8));
    let stats = eager.stats();
    assert_eq!((stats.created, stats.allocations, stats.idle), (8, 0, 8));
    let _g = eager.allocate().unwrap();
    assert_eq!(eager.stats().reused, 1);
}

#[test]
fn growing_pool_grows_by_policy_and_stops_at_max() {
    let pool = GrowingPool::<u64>::builder()
        .capacity(2)
        .growth(Growth::Linear(3))
        .max_capacity(7)
        .build()
        .unwrap();
    let mut guards = Vec::new();
    for expected_capacity in [2, 2, 5, 5, 5, 7, 7] {
        guards.push(pool.allocate().unwrap());
        assert_eq!(pool.capacity(), expected_capacity);
    }
    assert_eq!(
        pool.allocate().unwrap_err(),
        PoolError::Exhausted { capacity: 7 }
    );
    let stats = pool.stats();
    assert_eq!(
        (
            stats.growths,
            stats.created,
            stats.in_use,
            stats.peak_in_use
        ),
        (2, 7, 7, 7)
    );
}

#[test]
fn exponential_growth_keeps_objects_in_place() {
    let pool: GrowingPool<Particle> = GrowingPool::new(1, Growth::Exponential(1.5)).unwrap();
    let mut guards: Vec<Pooled<'_, Particle>> = Vec::new();
    let mut addresses = Vec::new();
    for i in 0..common::scaled(500, 40) {
        let mut guard = pool.allocate().unwrap();
        guard.trail.push(i as u32);
        addresses.push(&*guard as *const Particle);
        guards.push(guard);
    }
    // Growing added chunks; every earlier guard still sees its own object at the same address.
    for (i, guard) in guards.iter().enumerate() {
        assert_eq!(&**guard as *const Particle, addresses[i]);
        assert_eq!(guard.trail, [i as u32]);
    }
    let unique: HashSet<_> = addresses.iter().collect();
    assert_eq!(unique.len(), addresses.len(), "no slot handed out twice");
    assert!(pool.stats().growths > 5);
}

#[test]
fn detach_frees_the_slot_for_a_new_object() {
    let counts = Counts::new();
    let pool = tracked_fixed(&counts, 1);
    let mut guard = pool.allocate().unwrap();
    guard.value = 7;
    let kept = Pooled::detach(guard);
    assert_eq!(kept.value, 7, "detach does not reset");
    assert_eq!((pool.in_use(), pool.idle(), pool.available()), (0, 0, 1));
    let fresh = pool.allocate().unwrap();
    assert_ne!(fresh.id, kept.id, "the slot is filled by a new object");
    assert_eq!(pool.stats().detached, 1);
    drop(fresh);
    drop(pool);
    assert_eq!(counts.drops(), 1, "the pool dropped only its own object");
    drop(kept);
    assert_eq!(counts.live(), 0);
}

#[test]
fn close_rejects_allocations_and_drops_returning_objects() {
    let counts = Counts::new();
    let pool = tracked_fixed(&counts, 4);
    let out = pool.allocate().unwrap();
    drop(pool.allocate().unwrap()); // one idle object
    assert_eq!(counts.live(), 2);
    pool.close();
    assert!(pool.is_closed());
    assert_eq!(counts.live(), 1, "idle objects are dropped at close");
    assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed);
    drop(out);
    assert_eq!(
        counts.live(),
        0,
        "a guard returned after close drops its object"
    );
    let stats = pool.stats();
    assert_eq!((stats.discarded, stats.in_use, stats.idle), (2, 0, 0));
    assert!(PoolError::Closed.to_string().contains("closed"));
}

#[test]
fn dropping_the_pool_drops_every_idle_object_once() {
    let counts = Counts::new();
    {
        let pool = tracked_fixed(&counts, 16);
        let guards: Vec<_> = (0..10).map(|_| pool.allocate().unwrap()).collect();
        drop(guards);
        assert_eq!(counts.live(), 10);
    }
    assert_eq!((counts.created(), counts.drops()), (10, 10));
}

#[test]
#[cfg_attr(
    miri,
    ignore = "leaks an object on purpose, which Miri reports as an error"
)]
fn a_forgotten_guard_leaks_its_object_but_nothing_else() {
    let counts = Counts::new();
    {
        let pool = tracked_fixed(&counts, 2);
        std::mem::forget(pool.allocate().unwrap());
        drop(pool.allocate().unwrap());
        assert_eq!(pool.in_use(), 1);
    }
    assert_eq!(
        counts.live(),
        1,
        "only the forgotten object is never dropped"
    );
}

#[test]
fn builder_errors_say_what_to_change() {
    let zero = FixedPool::<u8>::new(0).unwrap_err();
    assert_eq!(zero, BuildError::ZeroCapacity);
    assert!(zero.to_string().contains("at least 1"));

    let missing = FixedPool::<u8>::builder().build().unwrap_err();
    assert!(missing.to_string().contains(".capacity(n)"), "{missing}");

    let below = GrowingPool::<u8>::builder()
        .capacity(10)
        .max_capacity(5)
        .build()
        .unwrap_err();
    assert_eq!(
        below,
        BuildError::MaxBelowCapacity {
            capacity: 10,
            max_capacity: 5
        }
    );
    assert!(
        below
            .to_string()
            .contains("raise `max_capacity` to at least 10"),
        "{below}"
    );

    let step = GrowingPool::<u8>::new(4, Growth::Linear(0)).unwrap_err();
    assert_eq!(step, BuildError::ZeroGrowthStep);

    let factor = GrowingPool::<u8>::new(4, Growth::Exponential(0.9)).unwrap_err();
    assert!(factor.to_string().contains("greater than 1.0"), "{factor}");

    let fixed = FixedPool::<u8>::builder()
        .capacity(4)
        .growth(Growth::Linear(1))
        .build();
    assert_eq!(fixed.unwrap_err(), BuildError::FixedPoolCannotGrow);

    let huge = FixedPool::<[u64; 64]>::builder()
        .capacity(usize::MAX / 2)
        .factory(|| [0; 64])
        .build()
        .unwrap_err();
    assert!(matches!(huge, BuildError::CapacityTooLarge { .. }));
}

#[test]
fn pools_of_types_with_neither_default_nor_reset() {
    struct Socket {
        buffer: Vec<u8>,
    }
    let pool = FixedPool::builder()
        .capacity(2)
        .factory(|| Socket {
            buffer: Vec::with_capacity(64),
        })
        .reset_with(|s: &mut Socket| s.buffer.clear())
        .build()
        .unwrap();
    let mut s = pool.allocate().unwrap();
    s.buffer.push(1);
    drop(s);
    assert!(pool.allocate().unwrap().buffer.is_empty());
}

#[test]
fn statistics_add_up() {
    let pool: GrowingPool<Vec<u8>> = GrowingPool::new(2, Growth::Linear(2)).unwrap();
    let a = pool.allocate().unwrap();
    let b = pool.allocate().unwrap();
    let c = pool.allocate().unwrap();
    drop(a);
    let _kept = Pooled::detach(b);
    let d = pool.allocate().unwrap();
    drop((c, d));
    let s = pool.stats();
    assert_eq!(s.capacity, 4);
    assert_eq!(s.allocations, 4);
    assert_eq!(s.releases, 3);
    assert_eq!(s.created, 3);
    assert_eq!(s.reused, 1);
    assert_eq!(s.growths, 1);
    assert_eq!(s.detached, 1);
    assert_eq!(s.in_use, 0);
    assert_eq!(s.idle, 2);
    assert_eq!(s.peak_in_use, 3);
    let table = s.to_string();
    assert!(
        table.contains("allocations") && table.contains('4'),
        "{table}"
    );
}

#[test]
fn debug_output_is_informative() {
    let pool: FixedPool<u8> = FixedPool::new(3).unwrap();
    let guard = pool.allocate().unwrap();
    assert_eq!(format!("{guard:?}"), "Pooled(0)");
    let text = format!("{pool:?}");
    assert!(
        text.contains("FixedPool") && text.contains("capacity: 3"),
        "{text}"
    );
    assert!(format!("{:?}", FixedPool::<u8>::builder().capacity(2)).contains("Some(2)"));
}

#[test]
fn zero_sized_objects_pool_correctly() {
    let pool: GrowingPool<()> = GrowingPool::new(2, Growth::Linear(2)).unwrap();
    let guards: Vec<_> = (0..9).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.in_use(), 9);
    drop(guards);
    assert_eq!(pool.idle(), 9);
}
