//! `FixedPool` and `GrowingPool` through the API that feature `alloc` gives without `std`
//! (issue 15): allocate, reset, grow, exhaust, detach, trim, close, a panicking reset, drop
//! counts, statistics and names. It runs with `std` too
//! (`cargo test -p fastalloc-core --test alloc_only`) and without
//! (`--no-default-features --features alloc`): the pools must behave the same. The test
//! harness has `std` either way, so the counters here are `std`'s and a panic can be caught
//! here even where the pool cannot catch it.
#![cfg(feature = "alloc")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use fastalloc_core::{BuildError, FixedPool, GrowingPool, Growth, PoolError, Pooled, Reset};

/// Counts the objects of one test: built, reset, dropped.
#[derive(Debug, Default)]
struct Counts {
    built: AtomicUsize,
    resets: AtomicUsize,
    drops: AtomicUsize,
}

impl Counts {
    fn built(&self) -> usize {
        self.built.load(Ordering::SeqCst)
    }

    fn resets(&self) -> usize {
        self.resets.load(Ordering::SeqCst)
    }

    fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    fn live(&self) -> usize {
        self.built() - self.drops()
    }
}

/// An object that counts itself, with a number to tell objects apart and a buffer whose
/// capacity a reset keeps.
#[derive(Debug)]
struct Item {
    id: usize,
    data: Vec<u8>,
    counts: Arc<Counts>,
    /// When set, the next reset panics.
    fail_reset: Arc<AtomicBool>,
}

impl Item {
    fn new(counts: &Arc<Counts>, fail_reset: &Arc<AtomicBool>) -> Self {
        Self {
            id: counts.built.fetch_add(1, Ordering::SeqCst),
            data: Vec::new(),
            counts: Arc::clone(counts),
            fail_reset: Arc::clone(fail_reset),
        }
    }
}

impl Reset for Item {
    fn reset(&mut self) {
        self.counts.resets.fetch_add(1, Ordering::SeqCst);
        self.data.clear();
        assert!(
            !self.fail_reset.load(Ordering::SeqCst),
            "reset failed on purpose"
        );
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        self.counts.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The counters and switch of one test, and factories for its pools.
struct Setup {
    counts: Arc<Counts>,
    fail_reset: Arc<AtomicBool>,
}

impl Setup {
    fn new() -> Self {
        Self {
            counts: Arc::default(),
            fail_reset: Arc::default(),
        }
    }

    fn factory(&self) -> impl Fn() -> Item + Send + Sync + 'static {
        let (counts, fail_reset) = (Arc::clone(&self.counts), Arc::clone(&self.fail_reset));
        move || Item::new(&counts, &fail_reset)
    }

    fn fixed(&self, capacity: usize) -> FixedPool<Item> {
        FixedPool::builder()
            .capacity(capacity)
            .factory(self.factory())
            .build()
            .unwrap()
    }

    fn growing(&self, capacity: usize, growth: Growth, max: usize) -> GrowingPool<Item> {
        GrowingPool::builder()
            .capacity(capacity)
            .growth(growth)
            .max_capacity(max)
            .factory(self.factory())
            .build()
            .unwrap()
    }
}

#[test]
fn fixed_pool_lends_resets_and_reuses_last_in_first_out() {
    let setup = Setup::new();
    let pool = setup.fixed(4);
    let mut a = pool.allocate().unwrap();
    a.data.extend_from_slice(&[1, 2, 3]);
    let (a_id, a_capacity) = (a.id, a.data.capacity());
    let b = pool.allocate().unwrap();
    assert_eq!((setup.counts.built(), setup.counts.resets()), (2, 0));
    drop(a);
    assert_eq!(setup.counts.resets(), 1, "reset on release");
    let again = pool.allocate().unwrap();
    assert_eq!(again.id, a_id, "the last object returned comes back first");
    assert!(again.data.is_empty(), "reset");
    assert_eq!(again.data.capacity(), a_capacity, "its memory kept");
    drop((again, b));
    let stats = pool.stats();
    assert_eq!(
        (
            stats.allocations,
            stats.releases,
            stats.created,
            stats.reused
        ),
        (3, 3, 2, 1)
    );
    assert_eq!((stats.in_use, stats.idle, stats.peak_in_use), (0, 2, 2));
    drop(pool);
    assert_eq!(setup.counts.live(), 0, "the pool drops its idle objects");
}

#[test]
fn default_and_reset_without_a_builder() {
    let pool: FixedPool<Vec<u32>> = FixedPool::new(2).unwrap();
    let mut v = pool.allocate().unwrap();
    v.extend([1, 2, 3]);
    drop(v);
    let v = pool.allocate().unwrap();
    assert!(v.is_empty() && v.capacity() >= 3);
    let pool: GrowingPool<String> = GrowingPool::new(1, Growth::Linear(1)).unwrap();
    let names: Vec<_> = (0..3).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.capacity(), 3);
    drop(names);
}

#[test]
fn a_fixed_pool_reports_exhaustion_and_recovers() {
    let setup = Setup::new();
    let pool = setup.fixed(2);
    let held: Vec<_> = (0..2).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.available(), 0);
    assert!(matches!(
        pool.allocate(),
        Err(PoolError::Exhausted { capacity: 2 })
    ));
    assert_eq!(pool.stats().exhausted, 1);
    drop(held);
    assert!(pool.allocate().is_ok());
    assert_eq!(setup.counts.built(), 2, "no object beyond the capacity");
}

#[test]
fn a_growing_pool_grows_by_its_policy_up_to_its_maximum() {
    let setup = Setup::new();
    let pool = setup.growing(2, Growth::Exponential(2.0), 7);
    let mut held = Vec::new();
    let mut capacities = Vec::new();
    for _ in 0..7 {
        held.push(pool.allocate().unwrap());
        capacities.push(pool.capacity());
    }
    assert_eq!(
        capacities,
        [2, 2, 4, 4, 7, 7, 7],
        "2, doubled, then capped at 7"
    );
    assert_eq!(pool.max_capacity(), 7);
    assert!(matches!(
        pool.allocate(),
        Err(PoolError::Exhausted { capacity: 7 })
    ));
    // Growing never moves a lent object.
    let addresses: Vec<*const Item> = held.iter().map(|item| &raw const **item).collect();
    let stats = pool.stats();
    assert_eq!((stats.growths, stats.exhausted, stats.in_use), (2, 1, 7));
    for (item, address) in held.iter().zip(&addresses) {
        assert_eq!(&raw const **item, *address);
    }
    drop(held);
    // A trim gives the chunks of the burst back: the pool is as it started.
    assert_eq!(pool.trim(0), 7);
    assert_eq!((pool.capacity(), pool.idle()), (2, 0));
    assert_eq!(setup.counts.live(), 0);
    let linear = setup.growing(3, Growth::Linear(2), 100);
    let held: Vec<_> = (0..6).map(|_| linear.allocate().unwrap()).collect();
    assert_eq!(linear.capacity(), 7, "3, then 5, then 7");
    drop(held);
}

#[test]
fn detach_takes_the_object_and_frees_its_slot() {
    let setup = Setup::new();
    let pool = setup.fixed(1);
    let mut guard = pool.allocate().unwrap();
    guard.data.push(9);
    let kept: Item = Pooled::detach(guard);
    assert_eq!(kept.data, [9], "not reset");
    assert_eq!(setup.counts.resets(), 0);
    let fresh = pool.allocate().unwrap();
    assert_ne!(fresh.id, kept.id, "the slot holds a new object");
    drop(fresh);
    let stats = pool.stats();
    assert_eq!((stats.detached, stats.releases, stats.created), (1, 1, 2));
    drop(pool);
    assert_eq!(
        setup.counts.live(),
        1,
        "the detached object is the caller's"
    );
    drop(kept);
    assert_eq!(setup.counts.live(), 0);
}

/// A reset that panics, on a pool of 3 built by the closure. Without `std` the pool cannot
/// catch the panic: the guard's drop unwinds through the release, whose drop guard drops the
/// object and frees the slot. Either way the panic goes on to the caller, the object is
/// dropped once and counted as discarded, and the slot is used again.
macro_rules! panicking_reset {
    ($name:ident, $pool:expr) => {
        #[test]
        fn $name() {
            let setup = Setup::new();
            let build: fn(&Setup) -> _ = $pool;
            let pool = build(&setup);
            let held: Vec<_> = (0..3).map(|_| pool.allocate().unwrap()).collect();
            let ids: Vec<usize> = held.iter().map(|item| item.id).collect();
            let mut held = held.into_iter();
            let victim = held.next().unwrap();
            setup.fail_reset.store(true, Ordering::SeqCst);
            let result = catch_unwind(AssertUnwindSafe(|| drop(victim)));
            setup.fail_reset.store(false, Ordering::SeqCst);
            let message = *result.unwrap_err().downcast::<&str>().unwrap();
            assert_eq!(message, "reset failed on purpose", "the reset's own panic");
            assert_eq!(setup.counts.drops(), 1, "the object was dropped once");
            let stats = pool.stats();
            assert_eq!((stats.discarded, stats.releases, stats.in_use), (1, 1, 2));
            assert_eq!(pool.available(), 1, "the slot is free again");

            // The other objects come and go as usual, and the free slot takes a new one.
            drop(held);
            let all: Vec<_> = (0..3).map(|_| pool.allocate().unwrap()).collect();
            let mut now: Vec<usize> = all.iter().map(|item| item.id).collect();
            now.sort_unstable();
            assert_eq!(
                now,
                [ids[1], ids[2], 3],
                "two kept, one new in the freed slot"
            );
            assert!(pool.allocate().is_err(), "still three slots, no more");
            drop(all);
            drop(pool);
            assert_eq!(setup.counts.live(), 0, "every object dropped exactly once");
        }
    };
}

panicking_reset!(a_fixed_pool_survives_a_panicking_reset, |setup| setup
    .fixed(3));
panicking_reset!(a_growing_pool_survives_a_panicking_reset, |setup| setup
    .growing(1, Growth::Linear(1), 3));

#[test]
fn objects_refused_by_retain_if_are_dropped_and_replaced() {
    let setup = Setup::new();
    let pool = FixedPool::builder()
        .capacity(2)
        .factory(setup.factory())
        .retain_if(|item: &Item| item.id % 2 == 1)
        .build()
        .unwrap();
    let (even, odd) = (pool.allocate().unwrap(), pool.allocate().unwrap());
    assert_eq!((even.id, odd.id), (0, 1));
    drop((even, odd));
    assert_eq!((pool.idle(), pool.stats().discarded), (1, 1));
    assert_eq!(setup.counts.drops(), 1);
    drop(pool);
    assert_eq!(setup.counts.live(), 0);
}

#[test]
fn close_drops_idle_objects_now_and_lent_ones_on_return() {
    let setup = Setup::new();
    let pool = setup.fixed(3);
    let lent = pool.allocate().unwrap();
    drop(pool.allocate().unwrap());
    pool.close();
    assert!(pool.is_closed());
    assert_eq!(setup.counts.drops(), 1, "the idle object");
    assert!(matches!(pool.allocate(), Err(PoolError::Closed)));
    drop(lent);
    assert_eq!(setup.counts.live(), 0, "the lent one, on its return");
    assert_eq!(
        setup.counts.resets(),
        1,
        "only the release before the close reset"
    );
}

#[test]
fn preallocate_builds_every_object_up_front() {
    let setup = Setup::new();
    let pool = FixedPool::builder()
        .capacity(5)
        .preallocate(true)
        .factory(setup.factory())
        .build()
        .unwrap();
    assert_eq!((setup.counts.built(), pool.idle()), (5, 5));
    let stats = pool.stats();
    assert_eq!((stats.created, stats.allocations), (5, 0));
    drop(pool.allocate().unwrap());
    assert_eq!(pool.stats().reused, 1);
    assert_eq!(pool.trim_unused(), 4, "four objects no allocation needed");
}

#[test]
fn builder_errors_are_the_same() {
    assert_eq!(
        FixedPool::<u8>::builder().build().unwrap_err(),
        BuildError::MissingCapacity
    );
    assert_eq!(
        FixedPool::<u8>::builder()
            .capacity(2)
            .growth(Growth::Linear(1))
            .build()
            .unwrap_err(),
        BuildError::FixedPoolCannotGrow
    );
    assert!(matches!(
        GrowingPool::<u8>::new(2, Growth::Exponential(1.0)),
        Err(BuildError::GrowthFactorTooSmall { .. })
    ));
}

/// A named pool keeps its name with or without `std`; only with `std` is it listed in the
/// registry.
#[test]
fn a_named_pool_keeps_its_name() {
    let pool: GrowingPool<u64> = GrowingPool::builder()
        .capacity(2)
        .name("alloc-only::numbers")
        .build()
        .unwrap();
    assert_eq!(pool.name(), Some("alloc-only::numbers"));
    assert!(format!("{pool:?}").contains("alloc-only::numbers"));
    #[cfg(feature = "std")]
    assert!(fastalloc_core::registry::snapshot()
        .get("alloc-only::numbers")
        .is_some());
    let unnamed: FixedPool<u64> = FixedPool::new(1).unwrap();
    assert_eq!(unnamed.name(), None);
}

/// `FixedPool` and `GrowingPool` may move to another thread but not be shared, with or
/// without `std` (their counters are `Cell`s without it).
#[test]
fn single_threaded_pools_are_send_not_sync() {
    fn is_send<T: Send>() {}
    trait NotSync<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSync<()> for T {}
    impl<T: ?Sized + Sync> NotSync<u8> for T {}

    is_send::<FixedPool<Vec<u8>>>();
    is_send::<GrowingPool<Vec<u8>>>();
    <FixedPool<u8> as NotSync<_>>::check();
    <GrowingPool<u8> as NotSync<_>>::check();
    let pool: FixedPool<Vec<u8>> = FixedPool::new(1).unwrap();
    std::thread::spawn(move || drop(pool.allocate().unwrap()))
        .join()
        .unwrap();
}
