//! Round trip (allocate + release of a warm pool) of a 64-byte object, side by side with the
//! baselines: `Box::new` under the system allocator and a hand-written `Vec<Box<T>>` stack.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use fastalloc::{FixedPool, GrowingPool, Growth, Reset, ThreadLocalPool, ThreadSafePool};

#[derive(Default, Clone, Copy)]
struct Object64([u64; 8]);

impl Reset for Object64 {
    #[inline]
    fn reset(&mut self) {
        self.0[0] = 0;
    }
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip_64B");

    group.bench_function("Box::new (system)", |b| {
        b.iter(|| {
            let mut boxed = Box::new(Object64::default());
            boxed.0[0] = black_box(1);
            black_box(&*boxed);
        });
    });

    let mut stack: Vec<Box<Object64>> = (0..64).map(|_| Box::default()).collect();
    group.bench_function("Vec<Box<T>> stack", |b| {
        b.iter(|| {
            let mut boxed = stack.pop().unwrap();
            boxed.0[0] = black_box(1);
            black_box(&*boxed);
            boxed.reset();
            stack.push(boxed);
        });
    });

    let fixed: FixedPool<Object64> = FixedPool::new(64).unwrap();
    group.bench_function("FixedPool", |b| {
        b.iter(|| {
            let mut guard = fixed.allocate().unwrap();
            guard.0[0] = black_box(1);
            black_box(&*guard);
        });
    });

    let growing: GrowingPool<Object64> = GrowingPool::new(64, Growth::Linear(64)).unwrap();
    group.bench_function("GrowingPool", |b| {
        b.iter(|| {
            let mut guard = growing.allocate().unwrap();
            guard.0[0] = black_box(1);
            black_box(&*guard);
        });
    });

    let local: ThreadLocalPool<Object64> = ThreadLocalPool::new(64).unwrap();
    group.bench_function("ThreadLocalPool", |b| {
        b.iter(|| {
            let mut guard = local.allocate().unwrap();
            guard.0[0] = black_box(1);
            black_box(&*guard);
        });
    });

    let shared: ThreadSafePool<Object64> = ThreadSafePool::new(64).unwrap();
    group.bench_function("ThreadSafePool", |b| {
        b.iter(|| {
            let mut guard = shared.allocate().unwrap();
            guard.0[0] = black_box(1);
            black_box(&*guard);
        });
    });
    group.finish();
}

criterion_group!(benches, round_trip);
criterion_main!(benches);
