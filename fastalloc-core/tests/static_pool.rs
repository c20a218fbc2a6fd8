//! `StaticPool`: exhaustion, reuse, reset, close, panic safety and drop counts, on one thread
//! and on sixteen. These tests use no pool that needs `std`, so they also run with
//! `--no-default-features` (the crate is then `no_std`; the test harness is not).
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(clippy::items_after_statements)] // each test's `probe!` type and its `static` pool

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;

use fastalloc_core::{PoolError, Pooled, Reset, StaticPool, StaticPooled};

/// A type whose builds, resets and drops are counted in statics of its own, so that each test
/// (run in parallel with the others) has its own counts; `StaticPool` takes function pointers,
/// not closures. `fail_build` / `fail_reset` / `fail_drop` make the next one panic.
macro_rules! probe {
    ($name:ident) => {
        #[derive(Debug)]
        #[allow(dead_code)] // not every test reads every field
        struct $name {
            id: usize,
            value: u64,
            lent: AtomicBool,
        }

        static PROBE: Probe = Probe::new();

        #[allow(dead_code)]
        impl $name {
            const BUILT: &'static AtomicUsize = &PROBE.built;
            const RESETS: &'static AtomicUsize = &PROBE.resets;
            const DROPS: &'static AtomicUsize = &PROBE.drops;
            const FAIL_BUILD: &'static AtomicBool = &PROBE.fail_build;
            const FAIL_RESET: &'static AtomicBool = &PROBE.fail_reset;
            const FAIL_DROP: &'static AtomicBool = &PROBE.fail_drop;
            const REFUSE: &'static AtomicBool = &PROBE.refuse;

            fn build() -> Self {
                if Self::FAIL_BUILD.swap(false, Ordering::SeqCst) {
                    panic!("factory failed");
                }
                Self {
                    id: Self::BUILT.fetch_add(1, Ordering::SeqCst),
                    value: 0,
                    lent: AtomicBool::new(false),
                }
            }

            fn counts() -> (usize, usize, usize) {
                (
                    Self::BUILT.load(Ordering::SeqCst),
                    Self::RESETS.load(Ordering::SeqCst),
                    Self::DROPS.load(Ordering::SeqCst),
                )
            }
        }

        impl Reset for $name {
            fn reset(&mut self) {
                Self::RESETS.fetch_add(1, Ordering::SeqCst);
                if Self::FAIL_RESET.swap(false, Ordering::SeqCst) {
                    panic!("reset failed");
                }
                self.value = 0;
            }

            fn reusable(&self) -> bool {
                !Self::REFUSE.load(Ordering::SeqCst)
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                Self::DROPS.fetch_add(1, Ordering::SeqCst);
                if Self::FAIL_DROP.swap(false, Ordering::SeqCst) {
                    panic!("drop failed");
                }
            }
        }
    };
}

/// The counts and switches of one `probe!` type.
struct Probe {
    built: AtomicUsize,
    resets: AtomicUsize,
    drops: AtomicUsize,
    fail_build: AtomicBool,
    fail_reset: AtomicBool,
    fail_drop: AtomicBool,
    refuse: AtomicBool,
}

impl Probe {
    const fn new() -> Self {
        Self {
            built: AtomicUsize::new(0),
            resets: AtomicUsize::new(0),
            drops: AtomicUsize::new(0),
            fail_build: AtomicBool::new(false),
            fail_reset: AtomicBool::new(false),
            fail_drop: AtomicBool::new(false),
            refuse: AtomicBool::new(false),
        }
    }
}

#[derive(Debug, Default, PartialEq)]
struct Plain(u32);

impl Reset for Plain {
    fn reset(&mut self) {
        self.0 = 0;
    }
}

#[test]
fn a_static_is_built_at_compile_time_and_reuses_lifo() {
    static POOL: StaticPool<Plain, 3> = StaticPool::new();
    let a = POOL.allocate().unwrap();
    let b = POOL.allocate().unwrap();
    let (pa, pb) = (
        std::ptr::from_ref::<Plain>(&a),
        std::ptr::from_ref::<Plain>(&b),
    );
    drop(a);
    drop(b);
    // Last in, first out: `b` went back last.
    let again = POOL.allocate().unwrap();
    assert!(std::ptr::eq(&*again, pb));
    let next = POOL.allocate().unwrap();
    assert!(std::ptr::eq(&*next, pa));
    assert_eq!(POOL.capacity(), 3);
}

#[test]
fn objects_are_built_on_first_use_and_reset_on_release() {
    probe!(P);
    static POOL: StaticPool<P, 4> = StaticPool::with_factory(P::build);
    assert_eq!(
        P::counts(),
        (0, 0, 0),
        "nothing is built before the first allocation"
    );
    let mut first = POOL.allocate().unwrap();
    first.value = 42;
    assert_eq!(P::counts(), (1, 0, 0));
    drop(first);
    assert_eq!(P::counts(), (1, 1, 0));
    let again = POOL.allocate().unwrap();
    assert_eq!(again.value, 0, "a reused object is reset");
    assert_eq!(again.id, 0, "and it is the same object");
    let stats = POOL.stats();
    assert_eq!(
        (
            stats.allocations,
            stats.created,
            stats.reused,
            stats.releases
        ),
        (2, 1, 1, 1)
    );
    assert_eq!((stats.in_use, stats.idle, stats.peak_in_use), (1, 0, 1));
}

#[test]
fn exhaustion_is_an_error_and_a_release_ends_it() {
    probe!(P);
    static POOL: StaticPool<P, 2> = StaticPool::with_factory(P::build);
    let a = POOL.allocate().unwrap();
    let _b = POOL.allocate().unwrap();
    assert_eq!(
        POOL.allocate().unwrap_err(),
        PoolError::Exhausted { capacity: 2 }
    );
    assert_eq!(POOL.stats().exhausted, 1);
    drop(a);
    let c = POOL.allocate().unwrap();
    assert_eq!(c.id, 0);
    assert_eq!(P::counts().0, 2, "no third object was ever built");
}

#[test]
fn a_local_pool_drops_its_objects_exactly_once() {
    probe!(P);
    {
        let pool: StaticPool<P, 8> = StaticPool::with_factory(P::build);
        let guards: Vec<_> = (0..5).map(|_| pool.allocate().unwrap()).collect();
        drop(guards);
        let kept = Pooled::detach(pool.allocate().unwrap());
        assert_eq!(P::counts(), (5, 5, 0));
        drop(kept);
        assert_eq!(P::counts().2, 1);
        assert_eq!(pool.stats().detached, 1);
    }
    assert_eq!(
        P::counts(),
        (5, 5, 5),
        "the pool's drop dropped the 4 idle objects"
    );
}

#[test]
fn a_detached_slot_is_filled_again_by_the_factory() {
    probe!(P);
    static POOL: StaticPool<P, 1> = StaticPool::with_factory(P::build);
    let kept = StaticPooled::detach(POOL.allocate().unwrap());
    assert_eq!(kept.id, 0);
    let next = POOL.allocate().unwrap();
    assert_eq!(next.id, 1, "a new object in the vacant slot");
    drop(next);
    let stats = POOL.stats();
    assert_eq!(
        (stats.created, stats.detached, stats.idle, stats.in_use),
        (2, 1, 1, 0)
    );
    assert_eq!((stats.allocations, stats.releases, stats.reused), (2, 1, 0));
    drop(kept);
}

#[test]
fn refused_objects_are_dropped_and_counted() {
    probe!(P);
    static POOL: StaticPool<P, 2> = StaticPool::with_factory(P::build);
    P::REFUSE.store(true, Ordering::SeqCst);
    drop(POOL.allocate().unwrap());
    P::REFUSE.store(false, Ordering::SeqCst);
    assert_eq!(P::counts(), (1, 1, 1));
    assert_eq!(POOL.stats().discarded, 1);
    assert_eq!(
        POOL.allocate().unwrap().id,
        1,
        "the slot is filled by a new object"
    );
}

#[test]
fn retain_if_and_with_hooks() {
    fn build() -> Vec<u8> {
        Vec::with_capacity(16)
    }
    fn clear(buffer: &mut Vec<u8>) {
        buffer.clear();
    }
    fn small(buffer: &Vec<u8>) -> bool {
        buffer.capacity() <= 64
    }
    static POOL: StaticPool<Vec<u8>, 2> = StaticPool::with_hooks(build, clear).retain_if(small);
    let mut big = POOL.allocate().unwrap();
    big.extend_from_slice(&[0; 1000]);
    drop(big);
    let mut fine = POOL.allocate().unwrap();
    assert!(fine.capacity() < 1000, "the large buffer was not kept");
    fine.push(1);
    drop(fine);
    assert!(POOL.allocate().unwrap().is_empty());
    let stats = POOL.stats();
    assert_eq!((stats.discarded, stats.created, stats.reused), (1, 2, 1));
}

/// The constructors called at run time, for a pool that is not a `static`.
#[test]
fn a_local_pool_from_each_constructor() {
    fn build() -> Vec<u8> {
        Vec::with_capacity(8)
    }
    fn clear(buffer: &mut Vec<u8>) {
        buffer.clear();
    }
    fn small(buffer: &Vec<u8>) -> bool {
        buffer.capacity() <= 64
    }
    let pool: StaticPool<Vec<u8>, 2> = StaticPool::with_hooks(build, clear).retain_if(small);
    pool.allocate().unwrap().extend_from_slice(&[1; 100]);
    assert_eq!(pool.stats().discarded, 1);
    let defaulted: StaticPool<Plain, 2> = StaticPool::default();
    assert_eq!(*defaulted.allocate().unwrap(), Plain(0));
}

#[test]
fn close_drops_idle_objects_and_refuses_allocations() {
    probe!(P);
    static POOL: StaticPool<P, 4> = StaticPool::with_factory(P::build);
    let lent = POOL.allocate().unwrap();
    drop([POOL.allocate().unwrap(), POOL.allocate().unwrap()]);
    POOL.close();
    assert!(POOL.is_closed());
    assert_eq!(
        P::counts().2,
        2,
        "the two idle objects are dropped at close"
    );
    assert_eq!(POOL.allocate().unwrap_err(), PoolError::Closed);
    drop(lent);
    assert_eq!(P::counts().2, 3, "a lent one when it comes back");
    POOL.close();
    let stats = POOL.stats();
    assert_eq!((stats.discarded, stats.in_use, stats.idle), (3, 0, 0));
    assert_eq!((stats.allocations, stats.releases), (3, 3));
}

#[test]
fn trim_drops_idle_objects_past_those_kept() {
    probe!(P);
    static POOL: StaticPool<P, 6> = StaticPool::with_factory(P::build);
    let lent = POOL.allocate().unwrap();
    drop([
        POOL.allocate().unwrap(),
        POOL.allocate().unwrap(),
        POOL.allocate().unwrap(),
        POOL.allocate().unwrap(),
    ]);
    assert_eq!((POOL.idle(), POOL.in_use(), POOL.available()), (4, 1, 5));
    assert_eq!(POOL.trim(1), 3);
    assert_eq!(P::counts().2, 3, "three dropped");
    let stats = POOL.stats();
    assert_eq!((stats.trimmed, stats.idle, stats.in_use), (3, 1, 1));
    assert_eq!(POOL.trim(1), 0);
    // The vacant slots are built into again when needed.
    let more: Vec<_> = (0..5).map(|_| POOL.allocate().unwrap()).collect();
    // 3 built into vacant slots, 1 into the last fresh slot; the kept one reused.
    assert_eq!(P::counts().0, 9);
    assert_eq!((POOL.stats().allocations, POOL.stats().reused), (10, 1));
    drop(more);
    drop(lent);
    assert_eq!(POOL.trim(0), 6);
    assert_eq!(POOL.stats().idle, 0);
}

/// After a trim, the kept objects are handed out before any slot is built into again, most
/// recently used first; after a detach, an idle object is reused before the factory runs.
#[test]
fn idle_objects_go_before_vacant_slots() {
    probe!(P);
    static POOL: StaticPool<P, 5> = StaticPool::with_factory(P::build);
    let all: Vec<_> = (0..5).map(|_| POOL.allocate().unwrap()).collect();
    drop(all); // the list, top first: 4 3 2 1 0
    assert_eq!(POOL.trim(2), 3);
    let first = POOL.allocate().unwrap();
    let second = POOL.allocate().unwrap();
    assert_eq!(
        (first.id, second.id),
        (4, 3),
        "the two most recent, in order"
    );
    assert_eq!(P::counts().0, 5, "no object built for them");
    let third = POOL.allocate().unwrap();
    assert_eq!(third.id, 5, "then a new one in a vacant slot");
    drop((first, second, third));
}

#[test]
fn a_detached_slot_waits_behind_idle_objects() {
    probe!(P);
    static POOL: StaticPool<P, 2> = StaticPool::with_factory(P::build);
    let a = POOL.allocate().unwrap();
    let b = POOL.allocate().unwrap();
    drop(a);
    let _kept = StaticPooled::detach(b);
    assert_eq!(
        POOL.allocate().unwrap().id,
        0,
        "the idle object, not a new one"
    );
    assert_eq!(P::counts().0, 2);
}

#[test]
fn a_panicking_factory_loses_no_slot() {
    probe!(P);
    static POOL: StaticPool<P, 1> = StaticPool::with_factory(P::build);
    P::FAIL_BUILD.store(true, Ordering::SeqCst);
    assert!(catch_unwind(|| POOL.allocate().map(drop)).is_err());
    let stats = POOL.stats();
    assert_eq!((stats.allocations, stats.created, stats.in_use), (0, 0, 0));
    // The one slot is still there, and built this time.
    let object = POOL.allocate().unwrap();
    assert_eq!(object.id, 0);
    assert_eq!(POOL.stats().allocations, 1);
}

#[test]
fn a_panicking_reset_drops_the_object_and_frees_its_slot() {
    probe!(P);
    static POOL: StaticPool<P, 1> = StaticPool::with_factory(P::build);
    let guard = POOL.allocate().unwrap();
    P::FAIL_RESET.store(true, Ordering::SeqCst);
    let panic = catch_unwind(AssertUnwindSafe(|| drop(guard))).unwrap_err();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"reset failed"));
    assert_eq!(P::counts(), (1, 1, 1), "dropped once");
    assert_eq!(POOL.stats().discarded, 1);
    assert_eq!(POOL.allocate().unwrap().id, 1, "the slot is usable again");
}

#[test]
fn a_panicking_drop_at_close_keeps_the_rest() {
    probe!(P);
    let pool: StaticPool<P, 3> = StaticPool::with_factory(P::build);
    drop([
        pool.allocate().unwrap(),
        pool.allocate().unwrap(),
        pool.allocate().unwrap(),
    ]);
    P::FAIL_DROP.store(true, Ordering::SeqCst);
    assert!(catch_unwind(AssertUnwindSafe(|| pool.close())).is_err());
    assert_eq!(P::counts().2, 1);
    let stats = pool.stats();
    assert_eq!(
        (stats.idle, stats.in_use),
        (2, 0),
        "the two not reached stay idle"
    );
    drop(pool);
    assert_eq!(P::counts(), (3, 3, 3), "and are dropped with the pool");
}

#[test]
fn statistics_print_and_debug_shows_the_pool() {
    static POOL: StaticPool<Plain, 2> = StaticPool::new();
    drop(POOL.allocate().unwrap());
    let table = POOL.stats().to_string();
    assert!(table.contains("| capacity    |"), "{table}");
    let debug = format!("{POOL:?}");
    assert!(debug.starts_with("StaticPool { capacity: 2"), "{debug}");
    let guard = POOL.allocate().unwrap();
    assert_eq!(format!("{guard:?}"), "StaticPooled(Plain(0))");
}

#[test]
fn the_pool_is_small() {
    // 4 bytes of link per object, beside the objects themselves, and a few words.
    let size = std::mem::size_of::<StaticPool<u64, 1000>>();
    assert_eq!(
        size,
        1000 * 8 + 1000 * 4 + 16 * std::mem::size_of::<usize>()
    );
}

fn assert_sync<T: Sync + Send>() {}
fn assert_send<T: Send>() {}

#[test]
fn the_pool_is_sync_and_its_guard_send() {
    assert_sync::<StaticPool<Vec<u8>, 4>>();
    assert_send::<StaticPooled<'static, Vec<u8>, 4>>();
}

/// Sixteen threads allocate, hold, detach and release on one pool smaller than them. Each
/// object's `lent` flag is set while a guard holds it: an object lent twice is caught at once.
/// At the end every object was dropped once and every count adds up.
#[test]
fn sixteen_threads_share_one_pool() {
    probe!(P);
    const THREADS: usize = 16;
    let rounds = if cfg!(miri) { 20 } else { 20_000 };
    static POOL: StaticPool<P, 8> = StaticPool::with_factory(P::build);
    let exhausted = AtomicUsize::new(0);
    let detached = AtomicUsize::new(0);
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (exhausted, detached, start) = (&exhausted, &detached, &start);
            scope.spawn(move || {
                start.wait();
                let mut held: Vec<StaticPooled<'static, P, 8>> = Vec::new();
                for round in 0..rounds {
                    match POOL.allocate() {
                        Ok(mut guard) => {
                            assert!(!guard.lent.swap(true, Ordering::SeqCst), "lent twice");
                            assert_eq!(guard.value, 0, "not reset");
                            guard.value = thread as u64 + 1;
                            held.push(guard);
                        }
                        Err(PoolError::Exhausted { capacity: 8 }) => {
                            exhausted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(other) => panic!("{other}"),
                    }
                    if held.len() > (round % 3) {
                        let guard = held.swap_remove(0);
                        guard.lent.store(false, Ordering::SeqCst);
                        if (round + thread) % 97 == 0 {
                            drop(Pooled::detach(guard));
                            detached.fetch_add(1, Ordering::Relaxed);
                        } else {
                            drop(guard);
                        }
                    }
                }
                for guard in held {
                    guard.lent.store(false, Ordering::SeqCst);
                }
            });
        }
    });
    let stats = POOL.stats();
    let (built, resets, drops) = P::counts();
    assert_eq!(stats.in_use, 0);
    assert_eq!(stats.exhausted, exhausted.load(Ordering::Relaxed) as u64);
    assert_eq!(stats.detached, detached.load(Ordering::Relaxed) as u64);
    assert_eq!(stats.created, built as u64);
    assert_eq!(stats.releases, resets as u64);
    assert_eq!(
        drops, stats.detached as usize,
        "only detached objects were dropped"
    );
    assert_eq!(stats.idle, built - drops);
    assert_eq!(stats.allocations, stats.releases + stats.detached);
    assert_eq!(
        stats.allocations + stats.exhausted,
        (THREADS * rounds) as u64,
        "every call counted once"
    );
    assert!(stats.peak_in_use <= 8);
}
