//! Threads contending on one shared pool: a plain timing loop over scoped threads, 1 and 2
//! threads, each doing the same number of round trips (allocate, use, reset, release) of a
//! 64-byte object; the median of several runs.
//!
//! The hand-written limit is a stack per thread (nothing shared); the other baselines are
//! `Box::new` under the system allocator (glibc keeps a cache per thread) and a hand-written
//! `Mutex<Vec<Box<T>>>`. `cargo bench --bench contention`; see `docs/performance.md`.
#![allow(missing_docs)] // a bench binary

mod common;

use std::sync::{Arc, Mutex};

use common::{
    baseline_contenders, run_contention, timed, use_object, Contender, ContentionSettings,
    Object64, Shared64, POOL_SIZE,
};
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

/// `Object64` on a 128-byte boundary of its own: two threads' objects never share a cache line
/// (nor the pair of lines some CPUs fetch together). A diagnostic row: compared with the
/// plain `ThreadSafePool` row, it shows what neighbouring slots cost when two threads write
/// them (the slots of one chunk are packed, 64 bytes apart, and not line-aligned).
#[derive(Default)]
#[repr(align(128))]
struct Padded(Object64);

impl Reset for Padded {
    #[inline]
    fn reset(&mut self) {
        self.0.reset();
    }
}

#[allow(clippy::too_many_lines)] // one flat list of contenders, read top to bottom
fn main() {
    let settings = ContentionSettings::from_mode();
    let padded: ThreadSafePool<Padded> = ThreadSafePool::new(POOL_SIZE).unwrap();

    let thread_safe: ThreadSafePool<Object64> = ThreadSafePool::new(POOL_SIZE).unwrap();
    // The caches' fallback path: a fence per cache operation instead of `membarrier`.
    let fenced: ThreadSafePool<Object64> = ThreadSafePool::builder()
        .capacity(POOL_SIZE)
        .membarrier(false)
        .build()
        .unwrap();
    // The owned guards of the same pool type (an `Arc` clone and drop per round trip).
    let thread_safe_arc = Arc::new(ThreadSafePool::<Object64>::new(POOL_SIZE).unwrap());
    let thread_local: ThreadLocalPool<Object64> = ThreadLocalPool::new(POOL_SIZE).unwrap();
    let mutex_stack: Mutex<Vec<Box<Object64>>> =
        Mutex::new((0..POOL_SIZE).map(|_| Box::default()).collect());
    let object_pool = object_pool::Pool::new(POOL_SIZE, Object64::default);
    let linear = LinearObjectPool::new(Object64::default, Object64::reset);
    let spin = SpinLockObjectPool::new(Object64::default, Object64::reset);
    let mutex = MutexObjectPool::new(Object64::default, Object64::reset);
    let opool_shared = opool::Pool::new_prefilled(POOL_SIZE, OpoolObjects);
    let slab: sharded_slab::Pool<Object64> = sharded_slab::Pool::new();
    let v1_5_shared: fastalloc_1_5::ThreadSafePool<Object64> =
        fastalloc_1_5::ThreadSafePool::new(POOL_SIZE).unwrap();
    let v1_5_lock_free =
        fastalloc_1_5::LockFreePool::with_initializer(POOL_SIZE, Object64::default).unwrap();

    let [stack, boxed, reference] = baseline_contenders("Box::new (system)", &thread_safe);
    let contenders = [
        stack,
        boxed,
        reference,
        Contender::new(
            "fastalloc ThreadSafePool, 128 B-aligned objects",
            |ops, barrier| {
                timed(ops, barrier, || {
                    use_object(&mut padded.allocate().unwrap().0);
                })
            },
        ),
        Contender::new(
            "fastalloc ThreadSafePool (fenced, no membarrier)",
            |ops, barrier| {
                timed(ops, barrier, || {
                    use_object(&mut fenced.allocate().unwrap());
                })
            },
        ),
        Contender::new(
            "fastalloc FixedPool per thread (no sharing)",
            |ops, barrier| {
                let pool: FixedPool<Object64> = FixedPool::new(POOL_SIZE).unwrap();
                timed(ops, barrier, || {
                    use_object(&mut pool.allocate().unwrap());
                })
            },
        ),
        Contender::new("fastalloc ThreadSafePool allocate_owned", |ops, barrier| {
            timed(ops, barrier, || {
                use_object(&mut thread_safe_arc.allocate_owned().unwrap());
            })
        }),
        Contender::new("fastalloc #[pooled(thread_safe)]", |ops, barrier| {
            timed(ops, barrier, || {
                use_object(&mut Shared64::pool().allocate().unwrap().0);
            })
        }),
        Contender::new(
            "fastalloc ThreadLocalPool (shared handle)",
            |ops, barrier| {
                timed(ops, barrier, || {
                    use_object(&mut thread_local.allocate().unwrap());
                })
            },
        ),
        // fastalloc 1.5.0 (crates.io): a `Mutex<GrowingPool>` locked on allocate and on release;
        // the object passed in by value is the reset.
        Contender::new("fastalloc 1.5.0 ThreadSafePool", |ops, barrier| {
            timed(ops, barrier, || {
                use_object(&mut v1_5_shared.allocate(Object64::default()).unwrap());
            })
        }),
        Contender::new("fastalloc 1.5.0 LockFreePool", |ops, barrier| {
            timed(ops, barrier, || {
                let mut boxed = v1_5_lock_free.try_allocate().unwrap();
                use_object(&mut boxed);
                boxed.reset(); // LockFreePool has no reset hook
                v1_5_lock_free.return_object(boxed);
            })
        }),
        Contender::new("hand-written Mutex<Vec<Box<T>>>", |ops, barrier| {
            timed(ops, barrier, || {
                let mut boxed = mutex_stack.lock().unwrap().pop().unwrap();
                use_object(&mut boxed);
                boxed.reset();
                mutex_stack.lock().unwrap().push(boxed);
            })
        }),
        Contender::new("object-pool Pool", |ops, barrier| {
            timed(ops, barrier, || {
                let mut object = object_pool.pull(Object64::default);
                use_object(&mut object);
                object.reset();
            })
        }),
        Contender::new("lockfree-object-pool LinearObjectPool", |ops, barrier| {
            timed(ops, barrier, || use_object(&mut linear.pull()))
        }),
        Contender::new("lockfree-object-pool SpinLockObjectPool", |ops, barrier| {
            timed(ops, barrier, || use_object(&mut spin.pull()))
        }),
        Contender::new("lockfree-object-pool MutexObjectPool", |ops, barrier| {
            timed(ops, barrier, || use_object(&mut mutex.pull()))
        }),
        Contender::new("opool Pool", |ops, barrier| {
            timed(ops, barrier, || use_object(&mut opool_shared.get()))
        }),
        Contender::new("sharded-slab Pool", |ops, barrier| {
            timed(ops, barrier, || {
                let mut object = slab.create().unwrap();
                use_object(&mut object);
                let key = object.key();
                drop(object);
                slab.clear(key);
            })
        }),
    ];
    run_contention(
        "contention_64B (system allocator)",
        &contenders,
        "fastalloc ThreadSafePool",
        settings,
    );
}
