//! Async pools on a tokio current-thread runtime: `AsyncPool::allocate().await` against
//! deadpool's unmanaged pool (`Pool::get().await`) and tub (`Pool::acquire().await`), in the
//! same run.
//!
//! * `async_uncontended_64B`: one task, round trips of a 64-byte object on a warm pool.
//! * `async_contended_64B`: 32 tasks share a pool of 4 objects; each task allocates, yields to
//!   the runtime while holding the object (so the others must wait for it), and releases.
//!   One iteration is one round trip of each of the 32 tasks.
//!
//! `cargo bench --bench async_pool`; see `docs/performance.md`.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{use_object, Object64, POOL_SIZE};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fastalloc::{AsyncPool, Reset, ThreadSafePool};
use tokio::runtime::{Builder, Runtime};

fn runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

fn deadpool_of(n: usize) -> deadpool::unmanaged::Pool<Object64> {
    deadpool::unmanaged::Pool::from(vec![Object64::default(); n])
}

fn tub_of(n: usize) -> tub::Pool<Object64> {
    tub::Pool::from_initializer(n, Object64::default)
}

fn uncontended(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("async_uncontended_64B");

    let pool: AsyncPool<Object64> = AsyncPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc AsyncPool allocate().await", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    use_object(&mut black_box(&pool).allocate().await.unwrap());
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("fastalloc AsyncPool try_allocate()", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    use_object(&mut black_box(&pool).try_allocate().unwrap());
                }
                start.elapsed()
            })
        });
    });

    let deadpool = deadpool_of(POOL_SIZE);
    group.bench_function("deadpool unmanaged get().await", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut object = black_box(&deadpool).get().await.unwrap();
                    use_object(&mut object);
                    object.reset(); // deadpool's unmanaged pool has no reset hook
                }
                start.elapsed()
            })
        });
    });

    let tub = tub_of(POOL_SIZE);
    group.bench_function("tub acquire().await", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let mut object = black_box(&tub).acquire().await;
                    use_object(&mut object);
                    object.reset(); // tub has no reset hook
                }
                start.elapsed()
            })
        });
    });

    // The synchronous pool under the async pool, in the same loop, for reference.
    let shared: ThreadSafePool<Object64> = ThreadSafePool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc ThreadSafePool (sync, reference)", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    use_object(&mut black_box(&shared).allocate().unwrap());
                }
                start.elapsed()
            })
        });
    });
    group.finish();
}

const TASKS: usize = 32;
const SHARED_OBJECTS: usize = 4;

/// Spawns `TASKS` tasks on `rt`, each running `task(pool, iters)` (which does `iters` round
/// trips); returns the time until all have finished.
fn contend<P, F>(rt: &Runtime, iters: u64, pool: &P, task: fn(P, u64) -> F) -> Duration
where
    P: Clone + Send + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    rt.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..TASKS)
            .map(|_| tokio::spawn(task(pool.clone(), iters)))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed()
    })
}

fn contended(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("async_contended_64B");
    group.throughput(Throughput::Elements(TASKS as u64));

    let pool = Arc::new(AsyncPool::<Object64>::new(SHARED_OBJECTS).unwrap());
    group.bench_function("fastalloc AsyncPool allocate().await", |b| {
        b.iter_custom(|iters| {
            contend(&rt, iters, &pool, |pool, iters| async move {
                for _ in 0..iters {
                    let mut object = pool.allocate().await.unwrap();
                    use_object(&mut object);
                    tokio::task::yield_now().await;
                }
            })
        });
    });

    let deadpool = deadpool_of(SHARED_OBJECTS);
    group.bench_function("deadpool unmanaged get().await", |b| {
        b.iter_custom(|iters| {
            contend(&rt, iters, &deadpool, |pool, iters| async move {
                for _ in 0..iters {
                    let mut object = pool.get().await.unwrap();
                    use_object(&mut object);
                    tokio::task::yield_now().await;
                    object.reset();
                }
            })
        });
    });

    let tub = tub_of(SHARED_OBJECTS);
    group.bench_function("tub acquire().await", |b| {
        b.iter_custom(|iters| {
            contend(&rt, iters, &tub, |pool, iters| async move {
                for _ in 0..iters {
                    let mut object = pool.acquire().await;
                    use_object(&mut object);
                    tokio::task::yield_now().await;
                    object.reset();
                }
            })
        });
    });

    // The cost of the scheduling alone: the same tasks, yielding, with no pool.
    group.bench_function("no pool (yield only, reference)", |b| {
        b.iter_custom(|iters| {
            contend(&rt, iters, &(), |(), iters| async move {
                for _ in 0..iters {
                    let mut object = Object64::default();
                    use_object(&mut object);
                    tokio::task::yield_now().await;
                }
            })
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = uncontended, contended
}
criterion_main!(benches);
