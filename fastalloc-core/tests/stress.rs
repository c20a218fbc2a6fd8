//! Many threads hammering one pool with random allocate / release / detach. Each object carries
//! a flag that its holder sets on allocate and clears on release, so an object lent to two
//! guards at once is caught at once; drop counters prove every object is dropped exactly once.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use fastalloc_core::{
    Growth, OwnedPooled, PoolError, SharedPooled, ThreadLocalPool, ThreadSafePool,
};

struct Tagged {
    held: AtomicBool,
    uses: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Tagged {
    fn drop(&mut self) {
        assert!(
            !self.held.load(Ordering::SeqCst),
            "an object was dropped while lent"
        );
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn take(object: &mut Tagged) {
    assert!(
        !object.held.swap(true, Ordering::SeqCst),
        "an object was lent to two guards"
    );
    object.uses += 1;
}

fn give_back(object: &Tagged) {
    object.held.store(false, Ordering::SeqCst);
}

/// A small xorshift generator, so each thread has its own reproducible sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn stress(pool: &Arc<ThreadSafePool<Tagged>>, threads: usize, steps: usize) -> usize {
    let barrier = Barrier::new(threads);
    let detached = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (barrier, detached) = (&barrier, &detached);
            s.spawn(move || {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t as u64 + 1));
                let mut held: Vec<SharedPooled<'_, Tagged>> = Vec::new();
                let mut owned: Vec<OwnedPooled<Tagged>> = Vec::new();
                barrier.wait();
                for _ in 0..steps {
                    match rng.next() % 10 {
                        0..=3 => match pool.allocate() {
                            Ok(mut guard) => {
                                take(&mut guard);
                                held.push(guard);
                            }
                            Err(PoolError::Exhausted { .. }) => {}
                            Err(err) => panic!("unexpected {err}"),
                        },
                        4 => {
                            if let Ok(mut guard) = pool.allocate_owned() {
                                take(&mut guard);
                                owned.push(guard);
                            }
                        }
                        5..=7 => {
                            if !held.is_empty() {
                                let i = rng.next() as usize % held.len();
                                let guard = held.swap_remove(i);
                                give_back(&guard);
                            }
                        }
                        8 => {
                            if let Some(guard) = owned.pop() {
                                give_back(&guard);
                            }
                        }
                        _ => {
                            if rng.next() % 16 == 0 && !held.is_empty() {
                                let object = SharedPooled::detach(held.pop().unwrap());
                                give_back(&object);
                                detached.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                }
                for guard in &held {
                    give_back(guard);
                }
                for guard in &owned {
                    give_back(guard);
                }
            });
        }
    });
    detached.load(Ordering::SeqCst)
}

#[test]
fn sixteen_threads_never_share_an_object() {
    sixteen_threads(true);
}

/// The same with the caches' fallback path (a fence per operation instead of `membarrier`):
/// both stay tested in every run, whatever the machine offers. (`.ci/run` also runs this file
/// with `FASTALLOC_NO_MEMBARRIER` set, which turns `membarrier` off for every pool.)
#[test]
fn sixteen_threads_never_share_an_object_with_fenced_caches() {
    sixteen_threads(false);
}

fn sixteen_threads(membarrier: bool) {
    let threads = if cfg!(miri) { 3 } else { 16 };
    let steps = common::scaled(200_000, 150);
    let drops = Arc::new(AtomicUsize::new(0));
    let created = Arc::new(AtomicUsize::new(0));
    let (d, c) = (Arc::clone(&drops), Arc::clone(&created));
    let pool = ThreadSafePool::builder()
        .capacity(32)
        .growth(Growth::Linear(16))
        .max_capacity(96)
        .membarrier(membarrier)
        .factory(move || {
            c.fetch_add(1, Ordering::SeqCst);
            Tagged {
                held: AtomicBool::new(false),
                uses: 0,
                drops: Arc::clone(&d),
            }
        })
        .reset_with(|t: &mut Tagged| assert!(!t.held.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let pool = Arc::new(pool);
    let detached = stress(&pool, threads, steps);
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0);
    assert!(stats.capacity <= 96);
    assert_eq!(stats.allocations, stats.releases + stats.detached);
    assert_eq!(stats.detached as usize, detached);
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        created.load(Ordering::SeqCst),
        "every object built was dropped exactly once"
    );
}

#[test]
fn a_small_fixed_pool_under_contention_lends_each_object_once() {
    let threads = if cfg!(miri) { 2 } else { 8 };
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let pool = ThreadSafePool::builder()
        .capacity(3)
        .factory(move || Tagged {
            held: AtomicBool::new(false),
            uses: 0,
            drops: Arc::clone(&d),
        })
        .reset_with(|_| {})
        .build()
        .unwrap();
    let pool = Arc::new(pool);
    stress(&pool, threads, common::scaled(50_000, 100));
    let stats = pool.stats();
    assert!(
        stats.created <= 3 + stats.detached,
        "only detached objects are replaced"
    );
    assert!(stats.capacity == 3);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst) as u64, stats.created);
}

#[test]
fn thread_local_pool_across_many_short_lived_threads() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let created = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&created);
    let pool = ThreadLocalPool::builder()
        .capacity(4)
        .factory(move || {
            c.fetch_add(1, Ordering::SeqCst);
            Tagged {
                held: AtomicBool::new(false),
                uses: 0,
                drops: Arc::clone(&d),
            }
        })
        .reset_with(|_| {})
        .build()
        .unwrap();
    let pool = Arc::new(pool);
    let rounds = common::scaled(20, 2);
    for _ in 0..rounds {
        // `JoinHandle::join` (unlike the end of `thread::scope`) waits until the thread's
        // thread-local destructors ran, which is when its idle objects are dropped.
        let handles: Vec<_> = (0..common::scaled(8, 2))
            .map(|_| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || {
                    for _ in 0..common::scaled(1000, 10) {
                        let mut a = pool.allocate().unwrap();
                        take(&mut a);
                        let mut b = pool.allocate().unwrap();
                        take(&mut b);
                        give_back(&a);
                        give_back(&b);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        assert_eq!(drops.load(Ordering::SeqCst), created.load(Ordering::SeqCst));
    }
    let stats = pool.stats();
    assert_eq!(stats.in_use, 0);
    assert_eq!(stats.allocations, stats.releases);
}
