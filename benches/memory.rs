//! Memory: the bytes each pool holds for 1,000 and 100,000 objects of 64 bytes, measured with a
//! counting global allocator (the method of `tests/alloc_count.rs`: count what the calling
//! thread allocates and frees while the pool is built, filled and used once).
//!
//! Bytes are what the pools ask the allocator for; the allocator's own per-block overhead
//! (glibc: 8 to 16 bytes per block) is not included, which is why the live block count is
//! printed too. Not a timing: it prints a table. `cargo bench --bench memory`.
#![allow(missing_docs)] // a bench binary
#![allow(clippy::cast_precision_loss, clippy::cast_possible_wrap)] // byte counts far below 2^52

mod common;
#[path = "../tests/support/counting_alloc.rs"]
mod counting_alloc;

use std::any::Any;

use counting_alloc::Counting;

use common::Object64;
use fastalloc::{
    AsyncPool, FixedPool, GrowingPool, Growth, Reset, ThreadLocalPool, ThreadSafePool,
};
use lockfree_object_pool::LinearObjectPool;
use opool::PoolAllocator;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Builds something with counting on; returns it with the net bytes and blocks it holds.
fn held(make: impl FnOnce() -> Box<dyn Any>) -> (Box<dyn Any>, isize, isize) {
    let (pool, counts) = counting_alloc::counted(make);
    (pool, counts.bytes, counts.blocks)
}

struct OpoolObjects;

impl PoolAllocator<Object64> for OpoolObjects {
    fn allocate(&self) -> Object64 {
        Object64::default()
    }

    fn reset(&self, object: &mut Object64) {
        object.reset();
    }
}

/// Every contender: a name and a function that builds a pool holding `n` idle objects.
type Build = fn(usize) -> Box<dyn Any>;

fn contenders() -> Vec<(&'static str, Build)> {
    vec![
        ("Vec<Box<T>> stack", |n| {
            let stack: Vec<Box<Object64>> = (0..n).map(|_| Box::default()).collect();
            Box::new(stack)
        }),
        ("fastalloc FixedPool", |n| {
            let pool = FixedPool::<Object64>::builder()
                .capacity(n)
                .preallocate(true)
                .build()
                .unwrap();
            drop(pool.allocate().unwrap());
            Box::new(pool)
        }),
        ("fastalloc GrowingPool (built at n)", |n| {
            let pool = GrowingPool::<Object64>::builder()
                .capacity(n)
                .preallocate(true)
                .build()
                .unwrap();
            drop(pool.allocate().unwrap());
            Box::new(pool)
        }),
        ("fastalloc GrowingPool (grown from 16, x2)", |n| {
            let pool = GrowingPool::<Object64>::new(16, Growth::Exponential(2.0)).unwrap();
            drop((0..n).map(|_| pool.allocate().unwrap()).collect::<Vec<_>>());
            Box::new(pool)
        }),
        ("fastalloc ThreadLocalPool (one thread)", |n| {
            let pool = ThreadLocalPool::<Object64>::builder()
                .capacity(n)
                .preallocate(true)
                .build()
                .unwrap();
            drop(pool.allocate().unwrap()); // makes and fills this thread's part
            Box::new(pool)
        }),
        ("fastalloc ThreadSafePool", |n| {
            let pool = ThreadSafePool::<Object64>::builder()
                .capacity(n)
                .preallocate(true)
                .build()
                .unwrap();
            drop(pool.allocate().unwrap()); // makes this thread's cache
            Box::new(pool)
        }),
        ("fastalloc AsyncPool", |n| {
            let pool = AsyncPool::<Object64>::builder()
                .capacity(n)
                .preallocate(true)
                .build()
                .unwrap();
            drop(pool.try_allocate().unwrap());
            Box::new(pool)
        }),
        ("object-pool Pool", |n| {
            Box::new(object_pool::Pool::new(n, Object64::default))
        }),
        ("lockfree-object-pool LinearObjectPool", |n| {
            let pool = LinearObjectPool::new(Object64::default, Object64::reset);
            drop((0..n).map(|_| pool.pull()).collect::<Vec<_>>());
            Box::new(pool)
        }),
        ("opool LocalPool", |n| {
            Box::new(opool::LocalPool::new_prefilled(n, OpoolObjects))
        }),
        ("opool Pool", |n| {
            Box::new(opool::Pool::new_prefilled(n, OpoolObjects))
        }),
        ("sharded-slab Pool", |n| {
            let pool: sharded_slab::Pool<Object64> = sharded_slab::Pool::new();
            let guards: Vec<_> = (0..n).map(|_| pool.create().unwrap()).collect();
            let keys: Vec<usize> = guards.iter().map(sharded_slab::pool::RefMut::key).collect();
            drop(guards);
            for key in keys {
                pool.clear(key);
            }
            Box::new(pool)
        }),
    ]
}

fn main() {
    println!(
        "\nmemory_64B: bytes held by a pool of n idle 64-byte objects (after one round trip on \
         this thread); overhead = bytes beyond n * 64, as a share of n * 64"
    );
    println!(
        "{:<42} {:>8} {:>12} {:>10} {:>10} {:>8}",
        "pool", "n", "bytes", "bytes/obj", "overhead", "blocks"
    );
    for n in [1_000, 100_000] {
        for (name, build) in contenders() {
            let (pool, bytes, blocks) = held(|| build(n));
            drop(pool);
            let objects = (n * 64) as f64;
            println!(
                "{name:<42} {n:>8} {bytes:>12} {:>10.1} {:>9.1}% {blocks:>8}",
                bytes as f64 / n as f64,
                (bytes as f64 - objects) / objects * 100.0
            );
        }
    }
}
