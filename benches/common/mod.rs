//! What every bench binary shares: the pooled types, the work done with an object between
//! allocate and release, quick mode, criterion settings, the fastalloc pools and baselines that
//! appear in several groups, and the plain timing loop of the contention case.
//!
//! Every round trip does the same work whatever the pool: take an object, write to it, let the
//! optimizer see it escape (`black_box`), reset it, give it back. A pool that resets on
//! allocation (opool) or has no reset hook (object-pool, deadpool, tub: the loop resets by
//! hand) does the same reset at another moment.
// Each bench binary uses only a part of this module.
#![allow(dead_code)]

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion};
use fastalloc::{FixedPool, GrowingPool, Growth, Reset, ThreadLocalPool, ThreadSafePool};

/// Whether this is a full run. `cargo bench` passes `--bench`; `cargo test --benches` (and
/// `--all-targets`) runs the same binaries without it, unoptimized, and they must then finish
/// at once. `FASTALLOC_BENCH_QUICK=1` forces quick mode under `cargo bench` too (a smoke test).
pub(crate) fn full_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
        && std::env::var_os("FASTALLOC_BENCH_QUICK").is_none()
}

/// Criterion settings: short enough that the whole suite takes a few minutes on two cores,
/// long enough for stable medians of nanosecond-scale round trips.
pub(crate) fn criterion() -> Criterion {
    let criterion = Criterion::default().without_plots();
    if full_run() {
        criterion
            .warm_up_time(Duration::from_millis(400))
            .measurement_time(Duration::from_millis(1200))
            .sample_size(40)
    } else {
        criterion
            .warm_up_time(Duration::from_millis(1))
            .measurement_time(Duration::from_millis(10))
            .sample_size(10)
    }
}

/// A 64-byte object: a small record, entity or message (one cache line).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Object64(pub(crate) [u64; 8]);

const _: () = assert!(std::mem::size_of::<Object64>() == 64);

impl Reset for Object64 {
    #[inline]
    fn reset(&mut self) {
        self.0 = [0; 8];
    }
}

/// fastalloc 1.5.0's pools store the value that `allocate(value)` moves in and drop it on
/// release; no hook is needed: the value passed in, `Object64::default()`, is the reset (done
/// on allocation, as opool does it).
impl fastalloc_1_5::Poolable for Object64 {}

impl sharded_slab::Clear for Object64 {
    #[inline]
    fn clear(&mut self) {
        self.reset();
    }
}

/// The work done with a lent object: one write the optimizer cannot drop.
#[inline]
pub(crate) fn use_object(object: &mut Object64) {
    object.0[0] = black_box(1);
    black_box(&*object);
}

/// Capacity of a pooled buffer.
pub(crate) const BUF_CAPACITY: usize = 4096;
/// Bytes written into the buffer on each round trip.
pub(crate) const PAYLOAD_LEN: usize = 256;

/// A fresh 4 KiB buffer.
pub(crate) fn new_buffer() -> Vec<u8> {
    Vec::with_capacity(BUF_CAPACITY)
}

/// The work done with a lent buffer: write 256 bytes (a fill rather than a copy from a
/// constant, whose speed would depend on how the source and destination addresses line up).
/// The `reserve` is a no-op for a buffer that already has its 4 KiB (every pooled one after
/// its first use), and sizes the buffers of pools that build them with `Default`
/// (sharded-slab) once.
#[inline]
pub(crate) fn use_buffer(buffer: &mut Vec<u8>) {
    buffer.reserve(BUF_CAPACITY);
    buffer.resize(PAYLOAD_LEN, black_box(0xA5));
    black_box(buffer.as_slice());
}

/// The static pools that `#[pooled]` generates (a `ThreadLocalPool` and a `ThreadSafePool`),
/// of a wrapper with the same layout and reset as `Object64`.
#[fastalloc::pooled(capacity = 64)]
#[derive(Debug, Default, fastalloc::Reset)]
pub(crate) struct Local64(pub(crate) Object64);

#[fastalloc::pooled(capacity = 64, thread_safe)]
#[derive(Debug, Default, fastalloc::Reset)]
pub(crate) struct Shared64(pub(crate) Object64);

/// How many objects each single-threaded pool holds: more than a round trip needs (one).
pub(crate) const POOL_SIZE: usize = 64;

/// A `GrowingPool` that started at 16 and has grown to 64 (so the measured round trips are
/// those of a warm pool that grew, not of one built at its final size).
pub(crate) fn warm_growing_pool<T: Default + Reset + 'static>() -> GrowingPool<T> {
    let pool = GrowingPool::new(16, Growth::Exponential(2.0)).expect("valid settings");
    let guards: Vec<_> = (0..POOL_SIZE).map(|_| pool.allocate().unwrap()).collect();
    drop(guards);
    assert_eq!(pool.capacity(), POOL_SIZE);
    pool
}

/// Adds to `group` the hand-written limit for 64-byte objects, named `name`: a `Vec<Box<T>>`
/// used as a stack (pop, use, reset, push).
pub(crate) fn stack_row(group: &mut BenchmarkGroup<'_, WallTime>, name: &str) {
    let mut stack: Vec<Box<Object64>> = (0..POOL_SIZE).map(|_| Box::default()).collect();
    group.bench_function(name, |b| {
        b.iter(|| {
            let stack = black_box(&mut stack);
            let mut boxed = stack.pop().unwrap();
            use_object(&mut boxed);
            boxed.reset();
            stack.push(boxed);
        });
    });
}

/// Adds to `group` the rows for 64-byte objects that every binary shows: the allocator (named
/// `alloc`), the hand-written stack and the four fastalloc pools.
pub(crate) fn objects_baseline_rows(group: &mut BenchmarkGroup<'_, WallTime>, alloc: &str) {
    group.bench_function(format!("Box::new ({alloc})"), |b| {
        b.iter(|| {
            let mut boxed = Box::new(Object64::default());
            use_object(&mut boxed);
        });
    });

    stack_row(group, "Vec<Box<T>> stack");

    let fixed: FixedPool<Object64> = FixedPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc FixedPool", |b| {
        b.iter(|| use_object(&mut black_box(&fixed).allocate().unwrap()));
    });

    let growing: GrowingPool<Object64> = warm_growing_pool();
    group.bench_function("fastalloc GrowingPool (warm)", |b| {
        b.iter(|| use_object(&mut black_box(&growing).allocate().unwrap()));
    });

    let local: ThreadLocalPool<Object64> = ThreadLocalPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc ThreadLocalPool", |b| {
        b.iter(|| use_object(&mut black_box(&local).allocate().unwrap()));
    });

    let shared: ThreadSafePool<Object64> = ThreadSafePool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc ThreadSafePool", |b| {
        b.iter(|| use_object(&mut black_box(&shared).allocate().unwrap()));
    });

    // The caches' fallback path (a `SeqCst` fence per cache operation), taken where
    // `membarrier` is unavailable or turned off (issue 16).
    let fenced: ThreadSafePool<Object64> = ThreadSafePool::builder()
        .capacity(POOL_SIZE)
        .membarrier(false)
        .build()
        .unwrap();
    group.bench_function("fastalloc ThreadSafePool (fenced, no membarrier)", |b| {
        b.iter(|| use_object(&mut black_box(&fenced).allocate().unwrap()));
    });
}

/// The same rows for 4 KiB buffers.
pub(crate) fn buffers_baseline_rows(group: &mut BenchmarkGroup<'_, WallTime>, alloc: &str) {
    group.bench_function(format!("Vec::with_capacity ({alloc})"), |b| {
        b.iter(|| {
            let mut buffer = new_buffer();
            use_buffer(&mut buffer);
        });
    });

    let mut stack: Vec<Vec<u8>> = (0..POOL_SIZE).map(|_| new_buffer()).collect();
    group.bench_function("Vec<Vec<u8>> stack", |b| {
        b.iter(|| {
            let stack = black_box(&mut stack);
            let mut buffer = stack.pop().unwrap();
            use_buffer(&mut buffer);
            buffer.clear();
            stack.push(buffer);
        });
    });

    // The same stack holding boxed buffers: a pop and a push move a pointer instead of the
    // 24-byte `Vec` header (whose 16-byte reload after two 8-byte stores cannot be forwarded
    // from the store buffer, which costs the stack above a few nanoseconds).
    let mut boxed_stack: Vec<Box<Vec<u8>>> =
        (0..POOL_SIZE).map(|_| Box::new(new_buffer())).collect();
    group.bench_function("Vec<Box<Vec<u8>>> stack", |b| {
        b.iter(|| {
            let stack = black_box(&mut boxed_stack);
            let mut buffer = stack.pop().unwrap();
            use_buffer(&mut buffer);
            buffer.clear();
            stack.push(buffer);
        });
    });

    let fixed = FixedPool::builder()
        .capacity(POOL_SIZE)
        .factory(new_buffer)
        .build()
        .unwrap();
    group.bench_function("fastalloc FixedPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&fixed).allocate().unwrap()));
    });

    let growing = GrowingPool::builder()
        .capacity(16)
        .growth(Growth::Exponential(2.0))
        .factory(new_buffer)
        .build()
        .unwrap();
    drop(
        (0..POOL_SIZE)
            .map(|_| growing.allocate().unwrap())
            .collect::<Vec<_>>(),
    );
    group.bench_function("fastalloc GrowingPool (warm)", |b| {
        b.iter(|| use_buffer(&mut black_box(&growing).allocate().unwrap()));
    });

    let local = ThreadLocalPool::builder()
        .capacity(POOL_SIZE)
        .factory(new_buffer)
        .build()
        .unwrap();
    group.bench_function("fastalloc ThreadLocalPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&local).allocate().unwrap()));
    });

    let shared = ThreadSafePool::builder()
        .capacity(POOL_SIZE)
        .factory(new_buffer)
        .build()
        .unwrap();
    group.bench_function("fastalloc ThreadSafePool", |b| {
        b.iter(|| use_buffer(&mut black_box(&shared).allocate().unwrap()));
    });
}

/// One contender of the contention case: `run(ops, barrier)` is called on each thread. It
/// prepares whatever it needs, waits on the barrier, then does `ops` round trips and returns
/// how long they took (use [`timed`]).
pub(crate) struct Contender<'a> {
    pub(crate) name: &'static str,
    pub(crate) run: RunFn<'a>,
}

/// `run(ops, barrier)`: see [`Contender`].
pub(crate) type RunFn<'a> = Box<dyn Fn(usize, &Barrier) -> Duration + Sync + 'a>;

impl<'a> Contender<'a> {
    pub(crate) fn new(
        name: &'static str,
        run: impl Fn(usize, &Barrier) -> Duration + Sync + 'a,
    ) -> Self {
        Self {
            name,
            run: Box::new(run),
        }
    }
}

/// The first rows of every contention table: a stack per thread (the control that shares
/// nothing), `Box::new` under this binary's allocator (named `alloc`), and `pool`, a
/// `ThreadSafePool` shared by the threads (the reference row).
pub(crate) fn baseline_contenders<'a>(
    alloc: &'static str,
    pool: &'a ThreadSafePool<Object64>,
) -> [Contender<'a>; 3] {
    [
        Contender::new("thread-local Vec<Box<T>> stack (limit)", |ops, barrier| {
            let mut stack: Vec<Box<Object64>> = (0..POOL_SIZE).map(|_| Box::default()).collect();
            timed(ops, barrier, || {
                let mut boxed = stack.pop().unwrap();
                use_object(&mut boxed);
                boxed.reset();
                stack.push(boxed);
            })
        }),
        Contender::new(alloc, |ops, barrier| {
            timed(ops, barrier, || {
                use_object(&mut Box::new(Object64::default()));
            })
        }),
        Contender::new("fastalloc ThreadSafePool", move |ops, barrier| {
            timed(ops, barrier, || {
                use_object(&mut pool.allocate().unwrap());
            })
        }),
    ]
}

/// Warms up with a few round trips, waits for the other threads, then times `ops` round trips.
pub(crate) fn timed(ops: usize, barrier: &Barrier, mut round_trip: impl FnMut()) -> Duration {
    for _ in 0..ops.min(10_000) {
        round_trip();
    }
    barrier.wait();
    let start = Instant::now();
    for _ in 0..ops {
        round_trip();
    }
    start.elapsed()
}

/// Settings of the contention loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContentionSettings {
    /// Round trips per thread and run.
    pub(crate) ops: usize,
    /// Runs per contender and thread count; the median is reported.
    pub(crate) runs: usize,
}

impl ContentionSettings {
    pub(crate) fn from_mode() -> Self {
        if full_run() {
            Self {
                ops: 1_000_000,
                runs: 7,
            }
        } else {
            Self {
                ops: 1_000,
                runs: 1,
            }
        }
    }
}

/// Wall-clock nanoseconds per round trip on each thread (the slowest thread's time over its
/// `ops`): with `threads` threads started together, each doing `ops` round trips.
#[allow(clippy::cast_precision_loss)] // nanosecond counts far below 2^52
pub(crate) fn ns_per_op(contender: &Contender<'_>, threads: usize, ops: usize) -> f64 {
    let barrier = Barrier::new(threads);
    let slowest = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| (contender.run)(ops, &barrier)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("contender panicked"))
            .max()
            .expect("at least one thread")
    });
    slowest.as_nanos() as f64 / ops as f64
}

/// The median of `values` (sorted in place).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    }
}

/// Runs every contender with 1 and 2 threads, `settings.runs` times each, and prints the
/// medians and the ratios against `reference` (a contender name). Runs are interleaved (each
/// contender once per round) so that a burst of load elsewhere on the machine hits all alike.
/// The first contender should need no sharing (a stack per thread): its 2-thread / 1-thread
/// ratio shows whether two cores were really free. Returns the medians.
pub(crate) fn run_contention(
    title: &str,
    contenders: &[Contender<'_>],
    reference: &str,
    settings: ContentionSettings,
) -> Vec<(&'static str, f64, f64)> {
    println!(
        "\n{title}: at least {} round trips per thread (enough for 20 ms), median of {} runs \
         (interleaved), ns per round trip (wall clock of the slowest thread / round trips per \
         thread)",
        settings.ops, settings.runs
    );
    // `FASTALLOC_CONTENDERS=a,b` keeps only the rows whose names contain `a` or `b` (and the
    // control and reference rows), to look at a few rows closely.
    let wanted = std::env::var("FASTALLOC_CONTENDERS").ok();
    let contenders: Vec<&Contender<'_>> = contenders
        .iter()
        .enumerate()
        .filter(|&(i, contender)| {
            i == 0
                || contender.name == reference
                || wanted.as_deref().is_none_or(|wanted| {
                    wanted.split(',').any(|part| contender.name.contains(part))
                })
        })
        .map(|(_, contender)| contender)
        .collect();
    // Each contender does at least `settings.ops` round trips per run, and more if they take
    // under 20 ms: a run of a few milliseconds is the scale at which the scheduler places new
    // threads, and on this VM such short runs of the fast contenders came out up to 2x slow
    // with 2 threads even when they shared nothing.
    let ops: Vec<usize> = contenders
        .iter()
        .map(|contender| {
            let probe = settings.ops / 10;
            let ns = ns_per_op(contender, 1, probe).max(0.1);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let wanted = (20e6 / ns) as usize;
            wanted.clamp(settings.ops, 10 * settings.ops)
        })
        .collect();
    let mut samples = vec![[Vec::new(), Vec::new()]; contenders.len()];
    for _ in 0..settings.runs {
        for ((contender, samples), &ops) in contenders.iter().zip(&mut samples).zip(&ops) {
            for (threads, samples) in [1, 2].into_iter().zip(samples.iter_mut()) {
                samples.push(ns_per_op(contender, threads, ops));
            }
        }
    }
    let results: Vec<_> = contenders
        .iter()
        .zip(&mut samples)
        .map(|(contender, [one, two])| (contender.name, median(one), median(two)))
        .collect();
    let reference = results
        .iter()
        .find(|(name, ..)| *name == reference)
        .map_or(f64::NAN, |&(_, _, two)| two);
    println!(
        "{:<44} {:>11} {:>11} {:>9} {:>13}",
        "contender", "1 thread", "2 threads", "2T / 1T", "2T / ref. 2T"
    );
    for &(name, one, two) in &results {
        println!(
            "{name:<44} {one:>8.2} ns {two:>8.2} ns {:>8.2}x {:>12.2}x",
            two / one,
            two / reference
        );
    }
    if let Some(&(name, one, two)) = results.first() {
        if two / one > 1.3 {
            println!(
                "warning: `{name}` shares nothing, yet 2 threads took {:.2}x the time of 1: \
                 the machine did not have two idle cores",
                two / one
            );
        }
    }
    results
}

/// fastalloc 1.5.0's `GrowingPool` built at 16 and grown to 64, as [`warm_growing_pool`]
/// grows ours.
pub(crate) fn warm_growing_pool_1_5<T: fastalloc_1_5::Poolable>(
    value: impl Fn() -> T,
) -> fastalloc_1_5::GrowingPool<T> {
    let config = fastalloc_1_5::PoolConfig::builder()
        .capacity(16)
        .growth_strategy(fastalloc_1_5::GrowthStrategy::Exponential { factor: 2.0 })
        .build()
        .expect("valid settings");
    let pool = fastalloc_1_5::GrowingPool::with_config(config).expect("valid settings");
    let handles: Vec<_> = (0..POOL_SIZE)
        .map(|_| pool.allocate(value()).unwrap())
        .collect();
    drop(handles);
    assert_eq!(pool.capacity(), POOL_SIZE);
    pool
}

/// Adds to `group` the rows of fastalloc 1.5.0 (crates.io, the seed author's crate) for 64-byte
/// objects: its five pools. Its `FixedPool`, `GrowingPool`, `ThreadLocalPool` (a `FixedPool`
/// inside) and `ThreadSafePool` (a `Mutex<GrowingPool>` in an `Arc`) lend a slot and take the
/// object by value; its `LockFreePool` lends a `Box<T>` and has no reset hook.
pub(crate) fn fastalloc_1_5_object_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    use fastalloc_1_5 as v1_5;

    let fixed: v1_5::FixedPool<Object64> = v1_5::FixedPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 FixedPool", |b| {
        b.iter(|| use_object(&mut black_box(&fixed).allocate(Object64::default()).unwrap()));
    });

    let growing = warm_growing_pool_1_5(Object64::default);
    group.bench_function("fastalloc 1.5.0 GrowingPool (warm)", |b| {
        b.iter(|| use_object(&mut black_box(&growing).allocate(Object64::default()).unwrap()));
    });

    let local: v1_5::ThreadLocalPool<Object64> = v1_5::ThreadLocalPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 ThreadLocalPool", |b| {
        b.iter(|| use_object(&mut black_box(&local).allocate(Object64::default()).unwrap()));
    });

    let shared: v1_5::ThreadSafePool<Object64> = v1_5::ThreadSafePool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 ThreadSafePool", |b| {
        b.iter(|| use_object(&mut black_box(&shared).allocate(Object64::default()).unwrap()));
    });

    let lock_free = v1_5::LockFreePool::with_initializer(POOL_SIZE, Object64::default).unwrap();
    group.bench_function("fastalloc 1.5.0 LockFreePool", |b| {
        b.iter(|| {
            let pool = black_box(&lock_free);
            let mut boxed = pool.try_allocate().unwrap();
            use_object(&mut boxed);
            boxed.reset(); // LockFreePool has no reset hook
            pool.return_object(boxed);
        });
    });
}

/// The same rows for 4 KiB buffers. The four slot pools drop the value on release and cannot
/// give it back, so they cannot keep a buffer: each round trip moves a fresh
/// `Vec::with_capacity(4096)` in and frees it on release (an allocator round trip plus the
/// pool's). Only `LockFreePool`, which lends the boxed object itself, reuses its buffers.
pub(crate) fn fastalloc_1_5_buffer_rows(group: &mut BenchmarkGroup<'_, WallTime>) {
    use fastalloc_1_5 as v1_5;

    let fixed: v1_5::FixedPool<Vec<u8>> = v1_5::FixedPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 FixedPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&fixed).allocate(new_buffer()).unwrap()));
    });

    let growing = warm_growing_pool_1_5(new_buffer);
    group.bench_function("fastalloc 1.5.0 GrowingPool (warm)", |b| {
        b.iter(|| use_buffer(&mut black_box(&growing).allocate(new_buffer()).unwrap()));
    });

    let local: v1_5::ThreadLocalPool<Vec<u8>> = v1_5::ThreadLocalPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 ThreadLocalPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&local).allocate(new_buffer()).unwrap()));
    });

    let shared: v1_5::ThreadSafePool<Vec<u8>> = v1_5::ThreadSafePool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc 1.5.0 ThreadSafePool", |b| {
        b.iter(|| use_buffer(&mut black_box(&shared).allocate(new_buffer()).unwrap()));
    });

    let lock_free = v1_5::LockFreePool::with_initializer(POOL_SIZE, new_buffer).unwrap();
    group.bench_function("fastalloc 1.5.0 LockFreePool", |b| {
        b.iter(|| {
            let pool = black_box(&lock_free);
            let mut buffer = pool.try_allocate().unwrap();
            use_buffer(&mut buffer);
            buffer.clear(); // LockFreePool has no reset hook
            pool.return_object(buffer);
        });
    });
}
