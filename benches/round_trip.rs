//! One thread, warm pools: the round trip (allocate, use, reset, release) of a 64-byte object
//! and of a 4 KiB `Vec<u8>`, for every fastalloc pool, the `#[pooled]` static pools, the
//! baselines (`Box::new` under the system allocator and a hand-written stack) and the peer
//! crates, all in one group per case. A third group shows what fastalloc's statistics and its
//! boxed reset closure cost, on a hand-written pool with and without them.
//!
//! `Box::new` under mimalloc is in `benches/mimalloc.rs` (a global allocator changes the whole
//! process). `cargo bench --bench round_trip`; see `docs/performance.md`.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions

mod common;

use std::hint::black_box;

use common::{
    buffers_baseline_rows, fastalloc_1_5_buffer_rows, fastalloc_1_5_object_rows, new_buffer,
    objects_baseline_rows, stack_row, use_buffer, use_object, Local64, Object64, Shared64,
    POOL_SIZE,
};
use criterion::{criterion_group, criterion_main, Criterion};
use fastalloc::{FixedPool, Reset, ThreadLocalPool, ThreadSafePool};
use lockfree_object_pool::{LinearObjectPool, MutexObjectPool, SpinLockObjectPool};
use opool::PoolAllocator;

/// opool's allocator for 64-byte objects (opool resets on allocation, not on release).
struct OpoolObjects;

impl PoolAllocator<Object64> for OpoolObjects {
    fn allocate(&self) -> Object64 {
        Object64::default()
    }

    #[inline]
    fn reset(&self, object: &mut Object64) {
        object.reset();
    }
}

/// opool's allocator for 4 KiB buffers.
struct OpoolBuffers;

impl PoolAllocator<Vec<u8>> for OpoolBuffers {
    fn allocate(&self) -> Vec<u8> {
        new_buffer()
    }

    #[inline]
    fn reset(&self, buffer: &mut Vec<u8>) {
        buffer.clear();
    }
}

fn objects_64b(c: &mut Criterion) {
    let mut group = c.benchmark_group("object_64B");
    objects_baseline_rows(&mut group, "system");

    // The static pools of `#[pooled]`, to compare with the same pool types used directly.
    group.bench_function("fastalloc #[pooled] (ThreadLocalPool)", |b| {
        b.iter(|| use_object(&mut Local64::pool().allocate().unwrap().0));
    });
    group.bench_function("fastalloc #[pooled(thread_safe)]", |b| {
        b.iter(|| use_object(&mut Shared64::pool().allocate().unwrap().0));
    });

    fastalloc_1_5_object_rows(&mut group);

    let object_pool = object_pool::Pool::new(POOL_SIZE, Object64::default);
    group.bench_function("object-pool Pool", |b| {
        b.iter(|| {
            let mut object = black_box(&object_pool).pull(Object64::default);
            use_object(&mut object);
            object.reset(); // object-pool has no reset hook
        });
    });

    let linear = LinearObjectPool::new(Object64::default, Object64::reset);
    group.bench_function("lockfree-object-pool LinearObjectPool", |b| {
        b.iter(|| use_object(&mut black_box(&linear).pull()));
    });
    let spin = SpinLockObjectPool::new(Object64::default, Object64::reset);
    group.bench_function("lockfree-object-pool SpinLockObjectPool", |b| {
        b.iter(|| use_object(&mut black_box(&spin).pull()));
    });
    let mutex = MutexObjectPool::new(Object64::default, Object64::reset);
    group.bench_function("lockfree-object-pool MutexObjectPool", |b| {
        b.iter(|| use_object(&mut black_box(&mutex).pull()));
    });

    let opool_local = opool::LocalPool::new_prefilled(POOL_SIZE, OpoolObjects);
    group.bench_function("opool LocalPool", |b| {
        b.iter(|| use_object(&mut black_box(&opool_local).get()));
    });
    let opool_shared = opool::Pool::new_prefilled(POOL_SIZE, OpoolObjects);
    group.bench_function("opool Pool", |b| {
        b.iter(|| use_object(&mut black_box(&opool_shared).get()));
    });

    let slab: sharded_slab::Pool<Object64> = sharded_slab::Pool::new();
    group.bench_function("sharded-slab Pool", |b| {
        b.iter(|| {
            let slab = black_box(&slab);
            let mut object = slab.create().unwrap();
            use_object(&mut object);
            let key = object.key();
            drop(object);
            slab.clear(key); // resets (`Clear`) and frees the slot
        });
    });
    group.finish();
}

fn buffers_4kib(c: &mut Criterion) {
    let mut group = c.benchmark_group("vec_4KiB");
    buffers_baseline_rows(&mut group, "system");
    fastalloc_1_5_buffer_rows(&mut group);

    let object_pool = object_pool::Pool::new(POOL_SIZE, new_buffer);
    group.bench_function("object-pool Pool", |b| {
        b.iter(|| {
            let mut buffer = black_box(&object_pool).pull(new_buffer);
            use_buffer(&mut buffer);
            buffer.clear(); // object-pool has no reset hook
        });
    });

    let linear = LinearObjectPool::new(new_buffer, Vec::clear);
    group.bench_function("lockfree-object-pool LinearObjectPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&linear).pull()));
    });
    let spin = SpinLockObjectPool::new(new_buffer, Vec::clear);
    group.bench_function("lockfree-object-pool SpinLockObjectPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&spin).pull()));
    });
    let mutex = MutexObjectPool::new(new_buffer, Vec::clear);
    group.bench_function("lockfree-object-pool MutexObjectPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&mutex).pull()));
    });

    let opool_local = opool::LocalPool::new_prefilled(POOL_SIZE, OpoolBuffers);
    group.bench_function("opool LocalPool", |b| {
        b.iter(|| use_buffer(&mut black_box(&opool_local).get()));
    });
    let opool_shared = opool::Pool::new_prefilled(POOL_SIZE, OpoolBuffers);
    group.bench_function("opool Pool", |b| {
        b.iter(|| use_buffer(&mut black_box(&opool_shared).get()));
    });

    let slab: sharded_slab::Pool<Vec<u8>> = sharded_slab::Pool::new();
    group.bench_function("sharded-slab Pool", |b| {
        b.iter(|| {
            let slab = black_box(&slab);
            let mut buffer = slab.create().unwrap();
            use_buffer(&mut buffer);
            let key = buffer.key();
            drop(buffer);
            slab.clear(key);
        });
    });
    group.finish();
}

/// fastalloc's per-pool counters (`Counters` in `fastalloc-core/src/stats.rs`), with the same
/// fields in the same order: the layout matters, since LLVM may merge updates of neighbouring
/// fields into one wider access, and a wide load right after a narrow store to the same bytes
/// stalls (store-to-load forwarding fails).
#[allow(dead_code)] // the fields only the cold paths update are here for the layout
#[derive(Default)]
struct Counters {
    allocations: u64,
    returns: u64,
    created: u64,
    prebuilt: u64,
    growths: u64,
    exhausted: u64,
    detached: u64,
    discarded: u64,
    peak_in_use: u64,
}

/// A hand-written pool: the `Vec<Box<T>>` stack, with the reset called through a boxed
/// closure (as every fastalloc pool calls it) and, if `STATS`, the counter updates fastalloc
/// makes on each allocate and release (`Counters::on_allocate` / `on_release`).
struct HandPool<const STATS: bool> {
    #[allow(clippy::vec_box)] // one allocation per object, like the `Vec<Box<T>>` baseline
    stack: Vec<Box<Object64>>,
    reset: Box<dyn Fn(&mut Object64)>,
    counters: Counters,
}

impl<const STATS: bool> HandPool<STATS> {
    fn new() -> Self {
        Self {
            stack: (0..POOL_SIZE).map(|_| Box::default()).collect(),
            reset: Box::new(Object64::reset),
            counters: Counters::default(),
        }
    }

    #[inline]
    fn allocate(&mut self) -> Option<Box<Object64>> {
        let object = self.stack.pop()?;
        if STATS {
            // `in_use` is derived, not stored, as in `Counters::on_allocate`.
            let c = &mut self.counters;
            c.allocations = c.allocations.wrapping_add(1);
            let in_use = c.allocations.wrapping_sub(c.returns);
            if in_use > c.peak_in_use {
                c.peak_in_use = in_use;
            }
        }
        Some(object)
    }

    #[inline]
    fn release(&mut self, mut object: Box<Object64>) {
        // Counters first, then the reset, as `LocalCore::release` does.
        if STATS {
            let c = &mut self.counters;
            c.returns = c.returns.wrapping_add(1);
        }
        (self.reset)(&mut object);
        self.stack.push(object);
    }
}

fn stats_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("stats_cost_64B");

    stack_row(&mut group, "Vec<Box<T>> stack (inlined reset)");

    let mut plain = HandPool::<false>::new();
    group.bench_function("hand pool, boxed reset, no counters", |b| {
        b.iter(|| {
            let pool = black_box(&mut plain);
            let mut object = pool.allocate().unwrap();
            use_object(&mut object);
            pool.release(object);
        });
    });

    let mut counted = HandPool::<true>::new();
    group.bench_function("hand pool, boxed reset, fastalloc's counters", |b| {
        b.iter(|| {
            let pool = black_box(&mut counted);
            let mut object = pool.allocate().unwrap();
            use_object(&mut object);
            pool.release(object);
        });
    });
    black_box(&counted.counters);

    let fixed: FixedPool<Object64> = FixedPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc FixedPool", |b| {
        b.iter(|| use_object(&mut black_box(&fixed).allocate().unwrap()));
    });

    group.finish();
}

/// The static pools `#[pooled]` generates against the same pool types, with the same
/// settings and object type, used directly.
fn pooled_macro(c: &mut Criterion) {
    let mut group = c.benchmark_group("pooled_macro_64B");
    let local: ThreadLocalPool<Local64> = ThreadLocalPool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc ThreadLocalPool<Local64>", |b| {
        b.iter(|| use_object(&mut black_box(&local).allocate().unwrap().0));
    });
    let shared: ThreadSafePool<Shared64> = ThreadSafePool::new(POOL_SIZE).unwrap();
    group.bench_function("fastalloc ThreadSafePool<Shared64>", |b| {
        b.iter(|| use_object(&mut black_box(&shared).allocate().unwrap().0));
    });
    group.bench_function("fastalloc #[pooled] (ThreadLocalPool)", |b| {
        b.iter(|| use_object(&mut Local64::pool().allocate().unwrap().0));
    });
    group.bench_function("fastalloc #[pooled(thread_safe)]", |b| {
        b.iter(|| use_object(&mut Shared64::pool().allocate().unwrap().0));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = objects_64b, buffers_4kib, stats_cost, pooled_macro
}
criterion_main!(benches);
