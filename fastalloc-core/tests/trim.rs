//! Memory that comes back (issue 13): refused objects (`Reset::reusable`, `retain_if`), `trim`,
//! `trim_unused` and chunks given back, on every pool kind, with every object's drop counted.
#![cfg(feature = "std")]
#![allow(missing_docs)]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`

mod common;

use std::ops::DerefMut;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{scaled, Counts};
#[cfg(feature = "async")]
use fastalloc_core::AsyncPool;
use fastalloc_core::{
    FixedPool, GrowingPool, Growth, PoolBuilder, PoolError, PoolStats, Reset, ThreadLocalPool,
    ThreadSafePool,
};

/// A buffer that counts its life in a [`Counts`], and that is not reusable once its capacity
/// is above `limit` (or panics when asked, with `limit` 0).
struct Buffer {
    bytes: Vec<u8>,
    limit: usize,
    counts: Arc<Counts>,
}

impl Buffer {
    fn new(counts: &Arc<Counts>, limit: usize) -> Self {
        counts.created.fetch_add(1, Ordering::SeqCst);
        Self {
            bytes: Vec::new(),
            limit,
            counts: Arc::clone(counts),
        }
    }
}

impl Reset for Buffer {
    fn reset(&mut self) {
        self.counts.resets.fetch_add(1, Ordering::SeqCst);
        self.bytes.clear();
    }

    fn reusable(&self) -> bool {
        assert!(self.limit > 0, "reusable failed on purpose");
        self.bytes.capacity() <= self.limit
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        self.counts.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// What the tests need of a pool, whatever its kind.
#[allow(dead_code)] // each test uses some
trait TestPool {
    type Guard<'a>: DerefMut<Target = Buffer>
    where
        Self: 'a;
    fn take(&self) -> Result<Self::Guard<'_>, PoolError>;
    fn trim(&self, keep: usize) -> usize;
    fn trim_unused(&self) -> usize;
    fn stats(&self) -> PoolStats;
    fn capacity(&self) -> usize;
}

macro_rules! test_pool {
    ($pool:ty, $guard:ty, |$p:ident| $take:expr) => {
        impl TestPool for $pool {
            type Guard<'a> = $guard;
            fn take(&self) -> Result<Self::Guard<'_>, PoolError> {
                let $p = self;
                $take
            }
            fn trim(&self, keep: usize) -> usize {
                <$pool>::trim(self, keep)
            }
            fn trim_unused(&self) -> usize {
                <$pool>::trim_unused(self)
            }
            fn stats(&self) -> PoolStats {
                <$pool>::stats(self)
            }
            fn capacity(&self) -> usize {
                <$pool>::capacity(self)
            }
        }
    };
}

test_pool!(FixedPool<Buffer>, fastalloc_core::Pooled<'a, Buffer>, |p| p
    .allocate());
test_pool!(
    GrowingPool<Buffer>,
    fastalloc_core::Pooled<'a, Buffer>,
    |p| p.allocate()
);
test_pool!(
    ThreadLocalPool<Buffer>,
    fastalloc_core::LocalPooled<'a, Buffer>,
    |p| p.allocate()
);
test_pool!(
    ThreadSafePool<Buffer>,
    fastalloc_core::SharedPooled<'a, Buffer>,
    |p| p.allocate()
);
#[cfg(feature = "async")]
test_pool!(
    AsyncPool<Buffer>,
    fastalloc_core::AsyncPooled<'a, Buffer>,
    |p| p.try_allocate()
);

/// Runs `$body` with `$pool` bound to a pool of each kind, built by `$configure` applied to
/// the kind's builder (the same settings for each), and `$counts` to a new [`Counts`] for
/// each. `FixedPool` is left out with `growing`.
macro_rules! each_pool {
    (@one $kind:ty, $counts:ident, |$b:ident| $configure:expr, |$pool:ident| $body:block) => {{
        let $counts = Counts::new();
        let $b = <$kind>::builder();
        let $pool: $kind = $configure.build().unwrap();
        let $pool = &$pool;
        $body
    }};
    ($counts:ident, |$b:ident| $configure:expr, |$pool:ident| $body:block) => {{
        each_pool!(@one FixedPool<Buffer>, $counts, |$b| $configure, |$pool| $body);
        each_pool!(growing $counts, |$b| $configure, |$pool| $body);
    }};
    (growing $counts:ident, |$b:ident| $configure:expr, |$pool:ident| $body:block) => {{
        each_pool!(@one GrowingPool<Buffer>, $counts, |$b| $configure, |$pool| $body);
        each_pool!(@one ThreadLocalPool<Buffer>, $counts, |$b| $configure, |$pool| $body);
        each_pool!(@one ThreadSafePool<Buffer>, $counts, |$b| $configure, |$pool| $body);
        #[cfg(feature = "async")]
        each_pool!(@one AsyncPool<Buffer>, $counts, |$b| $configure, |$pool| $body);
    }};
}

/// A builder's settings for `Buffer`s counted in `counts`, refused above `limit` bytes.
fn buffers<P: fastalloc_core::PoolKind<Item = Buffer>>(
    builder: PoolBuilder<P>,
    capacity: usize,
    counts: &Arc<Counts>,
    limit: usize,
) -> PoolBuilder<P, fastalloc_core::WithFactory<Buffer>, fastalloc_core::UseReset> {
    let counts = Arc::clone(counts);
    builder
        .capacity(capacity)
        .factory(move || Buffer::new(&counts, limit))
}

/// Grows a pool's objects past their limit and checks they are dropped, not kept, with their
/// slots free for new objects.
fn refuses_oversized<P: TestPool>(pool: &P, counts: &Counts, capacity: usize) {
    let mut big = pool.take().unwrap();
    big.bytes.reserve(4096);
    let mut small = pool.take().unwrap();
    small.bytes.extend_from_slice(b"fits");
    drop((big, small));
    let stats = pool.stats();
    assert_eq!(
        (stats.discarded, stats.idle, stats.releases),
        (1, 1, 2),
        "{stats}"
    );
    assert_eq!(counts.drops(), 1, "the oversized buffer is dropped at once");
    // Every slot still works: the refused one is filled with a new object.
    let all: Vec<_> = (0..capacity).map(|_| pool.take().unwrap()).collect();
    assert_eq!(counts.created(), capacity + 1);
    assert!(all.iter().all(|buffer| buffer.bytes.is_empty()));
    drop(all);
    assert_eq!(counts.live(), capacity);
}

#[test]
fn reusable_false_drops_the_object_on_every_pool() {
    each_pool!(counts, |b| buffers(b, 4, &counts, 1024), |pool| {
        refuses_oversized(pool, &counts, 4);
    });
}

#[test]
fn retain_if_refuses_on_every_pool() {
    each_pool!(
        counts,
        |b| buffers(b, 4, &counts, usize::MAX)
            .retain_if(|buffer: &Buffer| buffer.bytes.capacity() <= 1024),
        |pool| {
            refuses_oversized(pool, &counts, 4);
        }
    );
}

#[test]
fn retain_if_after_reset_with_sees_the_reset_object() {
    let seen_empty = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&seen_empty);
    let pool = FixedPool::builder()
        .capacity(2)
        .factory(Vec::<u8>::new)
        .reset_with(Vec::clear)
        .retain_if(move |v: &Vec<u8>| {
            seen.store(v.is_empty(), Ordering::SeqCst);
            v.capacity() < 100
        })
        .retain_if(|v: &Vec<u8>| v.capacity() != 50)
        .build()
        .unwrap();
    pool.allocate().unwrap().extend_from_slice(b"abc");
    assert!(seen_empty.load(Ordering::SeqCst));
    assert_eq!(pool.idle(), 1);
    pool.allocate().unwrap().reserve_exact(200); // the idle one: refused by the first
    pool.allocate().unwrap().reserve_exact(50); // a new one: refused by the second
    let stats = pool.stats();
    assert_eq!((stats.discarded, stats.idle), (2, 0), "{stats}");
    pool.allocate().unwrap().push(1);
    assert_eq!(pool.idle(), 1);
}

#[test]
fn a_reusable_that_panics_is_counted_and_loses_no_slot() {
    each_pool!(counts, |b| buffers(b, 2, &counts, 0), |pool| {
        let first = pool.take().unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(first)));
        assert!(panicked.is_err(), "the panic goes on from the guard's drop");
        assert_eq!(counts.drops(), 1, "the object is dropped");
        let stats = pool.stats();
        assert_eq!(
            (stats.discarded, stats.idle, stats.in_use),
            (1, 0, 0),
            "{stats}"
        );
        // Both slots still lend.
        let mut a = pool.take().unwrap();
        let mut b = pool.take().unwrap();
        assert_eq!(counts.created(), 3);
        // Kept this time.
        (a.limit, b.limit) = (usize::MAX, usize::MAX);
        drop((a, b));
        assert_eq!(pool.stats().idle, 2);
    });
}

#[test]
fn trim_leaves_exactly_keep_idle_on_every_pool() {
    each_pool!(counts, |b| buffers(b, 50, &counts, usize::MAX), |pool| {
        let held: Vec<_> = (0..50).map(|_| pool.take().unwrap()).collect();
        drop(held);
        assert_eq!(pool.stats().idle, 50);
        assert_eq!(pool.trim(60), 0, "fewer idle than asked to keep");
        assert_eq!(pool.trim(12), 38);
        let stats = pool.stats();
        assert_eq!(
            (stats.idle, stats.trimmed, stats.discarded),
            (12, 38, 0),
            "{stats}"
        );
        assert_eq!(counts.drops(), 38);
        // The objects kept are whole; the slots freed are refilled on demand.
        let again: Vec<_> = (0..50).map(|_| pool.take().unwrap()).collect();
        assert_eq!(counts.created(), 50 + 38);
        drop(again);
        assert_eq!(pool.trim(0), 50);
        assert_eq!(counts.live(), 0);
        assert_eq!(pool.stats().trimmed, 88);
    });
}

#[test]
fn trim_keeps_lent_objects_and_drops_none_twice() {
    each_pool!(counts, |b| buffers(b, 8, &counts, usize::MAX), |pool| {
        let mut lent: Vec<_> = (0..8).map(|_| pool.take().unwrap()).collect();
        lent.truncate(3);
        assert_eq!(pool.trim(0), 5);
        for (i, buffer) in lent.iter_mut().enumerate() {
            buffer.bytes.push(i as u8);
        }
        drop(lent);
        assert_eq!(pool.stats().idle, 3);
        assert_eq!(pool.trim(0), 3);
        assert_eq!((counts.created(), counts.drops()), (8, 8));
    });
}

/// A burst grows a pool far past its initial capacity; `trim(0)` gives every added chunk back.
#[test]
fn a_burst_and_trim_zero_bring_growing_pools_back_to_their_initial_capacity() {
    let burst = scaled(20_000, 300);
    each_pool!(
        growing counts,
        |b| buffers(b, 16, &counts, usize::MAX).growth(Growth::Exponential(2.0)),
        |pool| {
            let held: Vec<_> = (0..burst).map(|_| pool.take().unwrap()).collect();
            assert!(pool.capacity() >= burst);
            drop(held);
            assert_eq!(pool.trim(0), burst);
            assert_eq!(pool.capacity(), 16, "{}", pool.stats());
            assert_eq!(counts.live(), 0);
            // It grows again as before, and every object is distinct.
            let held: Vec<_> = (0..burst).map(|_| pool.take().unwrap()).collect();
            let mut addresses: Vec<usize> = held
                .iter()
                .map(|g| std::ptr::from_ref::<Buffer>(g).addr())
                .collect();
            addresses.sort_unstable();
            addresses.dedup();
            assert_eq!(addresses.len(), burst);
            drop(held);
        }
    );
}

/// Lent objects pin their chunks: a trim gives back only the chunks with no object in them,
/// and new objects go to the oldest chunks first.
#[test]
fn chunks_with_lent_objects_stay_and_new_objects_go_low() {
    let counts = Counts::new();
    let pool: GrowingPool<Buffer> = buffers(GrowingPool::builder(), 4, &counts, usize::MAX)
        .growth(Growth::Linear(4))
        .build()
        .unwrap();
    let mut held: Vec<_> = (0..16).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.capacity(), 16); // four chunks of 4
                                     // Keep one object of the third chunk (objects 8..12).
    let pinned = held.swap_remove(9);
    drop(held);
    assert_eq!(pool.trim(0), 15);
    assert_eq!(
        pool.capacity(),
        8,
        "the first chunk and the pinned one stay"
    );
    drop(pinned);
    // 4 + 3 empty slots in the two chunks left, plus the pinned object now idle.
    let refill: Vec<_> = (0..8).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(
        pool.capacity(),
        8,
        "no growth: the freed slots are reused first"
    );
    drop(refill);
    assert_eq!(pool.trim(0), 8);
    assert_eq!(pool.capacity(), 4);
}

/// Burst, trim, burst again, many times: slot numbers freed by a trim are reused without ever
/// lending one object twice.
#[test]
fn repeated_bursts_and_trims_reuse_slot_numbers_safely() {
    let counts = Counts::new();
    let pool: GrowingPool<Buffer> = buffers(GrowingPool::builder(), 3, &counts, usize::MAX)
        .growth(Growth::Linear(5))
        .build()
        .unwrap();
    for round in 0..scaled(200, 8) {
        let size = 1 + (round * 37) % 300;
        let mut held: Vec<_> = (0..size).map(|_| pool.allocate().unwrap()).collect();
        for (i, buffer) in held.iter_mut().enumerate() {
            assert!(buffer.bytes.is_empty(), "an object lent twice");
            buffer.bytes.push(i as u8);
        }
        // Drop every other one first, so chunks empty out of order.
        let keep: Vec<_> = held
            .drain(..)
            .enumerate()
            .filter_map(|(i, g)| (i % 2 == 0).then_some(g))
            .collect();
        pool.trim(round % 7);
        drop(keep);
        pool.trim(round % 3);
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert_eq!(counts.live(), stats.idle, "{stats}");
    }
    pool.trim(0);
    assert_eq!(pool.capacity(), 3);
}

/// The scenario: a burst of 1,000, a call, a period with 10 in use at a time, and the
/// next call drops 990; a period with no allocation, and the call after drops the last 10.
#[test]
fn trim_unused_drops_what_the_working_set_did_not_need() {
    // 1,000 natively; fewer under Miri, where this runs on five pools.
    let burst = scaled(1000, 100);
    each_pool!(counts, |b| buffers(b, burst, &counts, usize::MAX), |pool| {
        let held: Vec<_> = (0..burst).map(|_| pool.take().unwrap()).collect();
        drop(held);
        assert_eq!(pool.trim_unused(), 0, "all were needed during the burst");
        for _ in 0..scaled(100, 5) {
            let working: Vec<_> = (0..10).map(|_| pool.take().unwrap()).collect();
            drop(working);
        }
        assert_eq!(pool.trim_unused(), burst - 10);
        assert_eq!(pool.stats().idle, 10);
        assert_eq!(pool.trim_unused(), 10, "nothing needed them since");
        assert_eq!((pool.stats().idle, counts.live()), (0, 0));
        assert_eq!(pool.stats().trimmed as usize, burst);
    });
}

#[test]
fn trim_unused_counts_preallocated_objects_as_idle_since_the_pool_was_built() {
    let counts = Counts::new();
    let pool: FixedPool<Buffer> = buffers(FixedPool::builder(), 10, &counts, usize::MAX)
        .preallocate(true)
        .build()
        .unwrap();
    drop(pool.allocate().unwrap());
    assert_eq!(pool.trim_unused(), 9);
    let pool: ThreadSafePool<Buffer> = buffers(ThreadSafePool::builder(), 10, &counts, usize::MAX)
        .preallocate(true)
        .build()
        .unwrap();
    assert_eq!(pool.trim_unused(), 10);
}

/// A trim keeps what `trim_unused` knows: objects kept by the trim that no allocation reached
/// are still dropped by the next `trim_unused`.
#[test]
fn trim_then_trim_unused() {
    let counts = Counts::new();
    let pool: FixedPool<Buffer> = buffers(FixedPool::builder(), 20, &counts, usize::MAX)
        .build()
        .unwrap();
    drop(
        (0..20)
            .map(|_| pool.allocate().unwrap())
            .collect::<Vec<_>>(),
    );
    pool.trim_unused();
    drop((0..5).map(|_| pool.allocate().unwrap()).collect::<Vec<_>>());
    assert_eq!(pool.trim(8), 12);
    // Of the 8 kept, at least 3 were not reached by the 5 allocations.
    let dropped = pool.trim_unused();
    assert!((3..=8).contains(&dropped), "{dropped}");
    assert_eq!(pool.stats().idle, 8 - dropped);
}

/// A `ThreadLocalPool` trims the calling thread's part at once, and another thread's part
/// when that thread next uses the pool.
#[test]
fn thread_local_trims_other_threads_parts_on_their_next_use() {
    let counts = Counts::new();
    let pool: ThreadLocalPool<Buffer> =
        buffers(ThreadLocalPool::builder(), 10, &counts, usize::MAX)
            .build()
            .unwrap();
    let (to_worker, from_main) = std::sync::mpsc::channel::<()>();
    let (to_main, from_worker) = std::sync::mpsc::channel::<usize>();
    std::thread::scope(|s| {
        let pool = &pool;
        s.spawn(move || {
            drop(
                (0..10)
                    .map(|_| pool.allocate().unwrap())
                    .collect::<Vec<_>>(),
            );
            to_main.send(pool.idle()).unwrap();
            from_main.recv().unwrap(); // main trims meanwhile
            assert_eq!(
                pool.idle(),
                10,
                "not trimmed until this thread uses the pool"
            );
            drop(pool.allocate().unwrap());
            to_main.send(pool.idle()).unwrap();
        });
        assert_eq!(from_worker.recv().unwrap(), 10);
        drop((0..6).map(|_| pool.allocate().unwrap()).collect::<Vec<_>>());
        assert_eq!(pool.trim(2), 4, "this thread's part at once");
        to_worker.send(()).unwrap();
        assert_eq!(
            from_worker.recv().unwrap(),
            2,
            "the worker's part on its next use"
        );
    });
    let stats = pool.stats();
    assert_eq!(stats.trimmed, 4 + 8, "{stats}");
    // The worker's last 2 go at its exit (a scoped thread's thread-locals may be destroyed
    // after the scope ends), the main thread's 2 with the pool.
    assert!(counts.drops() >= 12);
    drop(pool);
    assert_eq!(counts.live(), 0);
}

/// `trim` from one thread while eight others allocate and release: nothing is lost, nothing is
/// lent twice, and every object is dropped exactly once. (Three threads under Miri.)
#[test]
fn trim_races_allocations_on_eight_threads() {
    let counts = Counts::new();
    let lent_twice = Arc::new(AtomicUsize::new(0));
    let pool: ThreadSafePool<Buffer> = buffers(ThreadSafePool::builder(), 64, &counts, usize::MAX)
        .growth(Growth::Exponential(2.0))
        .max_capacity(4096)
        .build()
        .unwrap();
    let rounds = scaled(2000, 4);
    let stop = AtomicBool::new(false);
    let trims = Mutex::new(0usize);
    let threads = scaled(8, 3);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (pool, lent_twice) = (&pool, &lent_twice);
            s.spawn(move || {
                for round in 0..rounds {
                    let n = 1 + (round * (t + 3)) % 40;
                    let mut held: Vec<_> = (0..n).map(|_| pool.allocate().unwrap()).collect();
                    for buffer in &mut held {
                        if !buffer.bytes.is_empty() {
                            lent_twice.fetch_add(1, Ordering::SeqCst);
                        }
                        buffer.bytes.push(1);
                    }
                }
            });
        }
        s.spawn(|| {
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) && round < rounds * 4 {
                *trims.lock().unwrap() += if round % 2 == 0 {
                    pool.trim(round % 50)
                } else {
                    pool.trim_unused()
                };
                round += 1;
                std::thread::yield_now();
            }
        });
        // The trimming thread stops once the workers are done.
        s.spawn(|| {
            while pool.stats().allocations < (threads * rounds) as u64 {
                std::thread::yield_now();
            }
            stop.store(true, Ordering::Relaxed);
        });
    });
    assert_eq!(lent_twice.load(Ordering::SeqCst), 0);
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0, "{stats}");
    assert_eq!(stats.trimmed as usize, *trims.lock().unwrap());
    assert_eq!(counts.live(), stats.idle, "{stats}");
    assert_eq!(counts.created() as u64, stats.created);
    pool.trim(0);
    assert_eq!(counts.live(), 0);
    assert!(pool.capacity() <= 64 * 2, "{}", pool.capacity());
}

/// After a burst, the objects a program keeps using are the last ones released, in the newest
/// chunk. `trim_unused` still gives that chunk back: the working set's idle objects move to
/// empty slots of the first chunk, whole (their buffers' capacity kept), and the pool is back
/// to its initial capacity.
#[test]
fn trim_unused_moves_the_working_set_to_the_oldest_chunk() {
    let burst = scaled(5000, 200);
    each_pool!(
        growing counts,
        |b| buffers(b, 16, &counts, usize::MAX).growth(Growth::Exponential(2.0)),
        |pool| {
            drop((0..burst).map(|_| pool.take().unwrap()).collect::<Vec<_>>());
            assert_eq!(pool.trim_unused(), 0);
            for _ in 0..scaled(100, 5) {
                let mut working: Vec<_> = (0..8).map(|_| pool.take().unwrap()).collect();
                for buffer in &mut working {
                    buffer.bytes.reserve_exact(100);
                }
            }
            assert_eq!(pool.trim_unused(), burst - 8);
            let stats = pool.stats();
            assert_eq!((stats.capacity, stats.idle), (16, 8), "{stats}");
            let working: Vec<_> = (0..8).map(|_| pool.take().unwrap()).collect();
            assert!(working.iter().all(|b| b.bytes.capacity() >= 100 && b.bytes.is_empty()));
            assert_eq!(counts.created(), burst, "the working set was kept, not rebuilt");
            drop(working);
            assert_eq!(counts.live(), 8);
        }
    );
}

/// Random steps on a growing pool: allocations (each object tagged with a value no other lent
/// object has), releases in any order, `trim(k)` and `trim_unused()`. After every step: no
/// object is lent twice or changed while lent (idle objects may move, lent ones never), the
/// capacity never goes below the initial one, a trim leaves at most `k` idle, and every
/// object built is idle, lent or dropped exactly once.
mod random_trims {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone, Copy)]
    enum Step {
        Allocate(u8),
        Release(u8),
        Trim(u8),
        TrimUnused,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (1u8..12).prop_map(Step::Allocate),
            4 => any::<u8>().prop_map(Step::Release),
            1 => (0u8..20).prop_map(Step::Trim),
            1 => Just(Step::TrimUnused),
        ]
    }

    fn run<P: TestPool>(pool: &P, counts: &Counts, initial: usize, steps: &[Step]) {
        let mut lent: Vec<(P::Guard<'_>, u8)> = Vec::new();
        let mut tag = 0u8;
        for &step in steps {
            match step {
                Step::Allocate(n) => {
                    for _ in 0..n {
                        let Ok(mut buffer) = pool.take() else { break };
                        assert!(buffer.bytes.is_empty(), "lent twice, or not reset");
                        tag = tag.wrapping_add(1);
                        buffer.bytes.push(tag);
                        lent.push((buffer, tag));
                    }
                }
                Step::Release(at) => {
                    if !lent.is_empty() {
                        let (buffer, tag) = lent.swap_remove(usize::from(at) % lent.len());
                        assert_eq!(buffer.bytes, [tag], "a lent object changed");
                    }
                }
                Step::Trim(keep) => {
                    pool.trim(usize::from(keep));
                    assert!(pool.stats().idle <= usize::from(keep));
                }
                Step::TrimUnused => {
                    pool.trim_unused();
                }
            }
            for (buffer, tag) in &lent {
                assert_eq!(buffer.bytes, [*tag], "a lent object changed");
            }
            let stats = pool.stats();
            assert!(stats.capacity >= initial, "{stats}");
            assert_eq!(stats.in_use, lent.len(), "{stats}");
            assert_eq!(counts.live(), stats.idle + lent.len(), "{stats}");
        }
        drop(lent);
        pool.trim(0);
        assert_eq!((counts.live(), pool.capacity()), (0, initial));
    }

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: if cfg!(miri) { 2 } else { 128 },
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn growing_pool(
            initial in 1usize..4,
            step_size in 1usize..4,
            steps in prop::collection::vec(step(), 1..80),
        ) {
            let counts = Counts::new();
            let pool: GrowingPool<Buffer> = buffers(GrowingPool::builder(), initial, &counts, usize::MAX)
                .growth(Growth::Linear(step_size))
                .build()
                .unwrap();
            run(&pool, &counts, initial, &steps);
        }

        #[test]
        fn thread_safe_pool(initial in 1usize..8, steps in prop::collection::vec(step(), 1..60)) {
            let counts = Counts::new();
            let pool: ThreadSafePool<Buffer> = buffers(ThreadSafePool::builder(), initial, &counts, usize::MAX)
                .growth(Growth::Exponential(1.5))
                .max_capacity(300)
                .build()
                .unwrap();
            run(&pool, &counts, initial, &steps);
        }
    }
}
