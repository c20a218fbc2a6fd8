//! The same cases with mimalloc as the global allocator: `Box::new` at its best, next to the
//! hand-written stack and the fastalloc pools (a warm pool never calls the allocator, so its
//! figures should match `round_trip`'s), and fastalloc 1.5.0's pools (whose 4 KiB round trip
//! does call the allocator). It has a binary of its own because a global allocator
//! changes everything in its process.
//!
//! Criterion groups `object_64B_mimalloc` and `vec_4KiB_mimalloc`, then the contention loop of
//! `benches/contention.rs` for `Box::new` under mimalloc. `cargo bench --bench mimalloc`.
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions

mod common;

use common::{
    baseline_contenders, buffers_baseline_rows, fastalloc_1_5_buffer_rows,
    fastalloc_1_5_object_rows, objects_baseline_rows, run_contention, ContentionSettings, Object64,
    POOL_SIZE,
};
use criterion::{criterion_group, Criterion};
use fastalloc::ThreadSafePool;
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn objects_64b(c: &mut Criterion) {
    let mut group = c.benchmark_group("object_64B_mimalloc");
    objects_baseline_rows(&mut group, "mimalloc");
    fastalloc_1_5_object_rows(&mut group);
    group.finish();
}

fn buffers_4kib(c: &mut Criterion) {
    let mut group = c.benchmark_group("vec_4KiB_mimalloc");
    buffers_baseline_rows(&mut group, "mimalloc");
    // fastalloc 1.5.0's slot pools build and free a buffer on every round trip: the allocator
    // is part of their figure, unlike the other pools'.
    fastalloc_1_5_buffer_rows(&mut group);
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = objects_64b, buffers_4kib
}

fn contention() {
    let thread_safe: ThreadSafePool<Object64> = ThreadSafePool::new(POOL_SIZE).unwrap();
    let contenders = baseline_contenders("Box::new (mimalloc)", &thread_safe);
    run_contention(
        "contention_64B_mimalloc",
        &contenders,
        "fastalloc ThreadSafePool",
        ContentionSettings::from_mode(),
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    contention();
}
