//! `ThreadSafePool` and `ThreadLocalPool`: sharing, per-thread caches, owned guards, thread exit.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::{Arc, Barrier};

use common::{Counts, Particle, Tracked};
use fastalloc_core::{Growth, OwnedPooled, PoolError, ThreadLocalPool, ThreadSafePool};

fn tracked_shared(counts: &Arc<Counts>, capacity: usize) -> ThreadSafePool<Tracked> {
    let make = Arc::clone(counts);
    ThreadSafePool::builder()
        .capacity(capacity)
        .factory(move || Tracked::new(&make))
        .reset_with(Tracked::reset)
        .build()
        .unwrap()
}

#[test]
fn thread_safe_pool_reuses_and_resets() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 4);
    let mut a = pool.allocate().unwrap();
    a.value = 9;
    let id = a.id;
    drop(a);
    let again = pool.allocate().unwrap();
    assert_eq!((again.id, again.value), (id, 0));
    assert_eq!((counts.created(), counts.resets()), (1, 1));
}

#[test]
fn any_thread_can_have_the_last_object_parked_in_another_threads_cache() {
    let capacity = 16;
    let pool: ThreadSafePool<Particle> = ThreadSafePool::new(capacity).unwrap();
    // This thread takes every object and returns them: they park in its cache and the depot.
    let guards: Vec<_> = (0..capacity).map(|_| pool.allocate().unwrap()).collect();
    drop(guards);
    assert_eq!(pool.idle(), capacity);
    std::thread::scope(|s| {
        s.spawn(|| {
            let all: Vec<_> = (0..capacity).map(|_| pool.allocate().unwrap()).collect();
            assert_eq!(all.len(), capacity);
            assert!(matches!(
                pool.allocate(),
                Err(PoolError::Exhausted { capacity: 16 })
            ));
        });
    });
    assert_eq!(
        pool.stats().created,
        capacity as u64,
        "objects were reused, not rebuilt"
    );
}

#[test]
fn growing_thread_safe_pool_honours_its_maximum() {
    let pool = ThreadSafePool::<u32>::builder()
        .capacity(2)
        .growth(Growth::Linear(2))
        .max_capacity(5)
        .build()
        .unwrap();
    let guards: Vec<_> = (0..5).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.capacity(), 5);
    assert_eq!(
        pool.allocate().unwrap_err(),
        PoolError::Exhausted { capacity: 5 }
    );
    assert_eq!(pool.stats().growths, 2);
    drop(guards);
    assert_eq!(pool.in_use(), 0);
}

#[test]
fn owned_guards_move_to_other_threads_and_return() {
    let counts = Counts::new();
    let pool = Arc::new(tracked_shared(&counts, 4));
    let guards: Vec<OwnedPooled<Tracked>> =
        (0..4).map(|_| pool.allocate_owned().unwrap()).collect();
    let handles: Vec<_> = guards
        .into_iter()
        .map(|mut guard| {
            std::thread::spawn(move || {
                guard.value = 5;
                // dropped here, on this thread
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.releases, stats.idle), (0, 4, 4));
    assert_eq!(counts.resets(), 4);
    let detached = OwnedPooled::detach(pool.allocate_owned().unwrap());
    assert_eq!(detached.value, 0);
    assert_eq!(pool.stats().detached, 1);
    drop(pool);
    assert_eq!(
        counts.live(),
        1,
        "the pool dropped its 3 idle objects; the detached one lives"
    );
}

#[test]
fn closing_a_shared_pool_drops_idle_objects_in_every_cache() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 8);
    // Taken first, so that this thread's cache exists before the workers' (an exited thread's
    // cache is handed to the next new thread).
    let out = pool.allocate().unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| drop(pool.allocate().unwrap()));
        }
    });
    assert!(
        counts.live() >= 2,
        "live {} created {}",
        counts.live(),
        counts.created()
    );
    assert!(pool.idle() >= 1);
    pool.close();
    assert_eq!(counts.live(), 1, "only the lent object survives close");
    assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed);
    drop(out);
    assert_eq!(counts.live(), 0);
    assert!(pool.is_closed());
}

#[test]
fn dropping_a_shared_pool_drops_every_object_once() {
    let counts = Counts::new();
    let threads = common::scaled(8, 3);
    {
        let pool = tracked_shared(&counts, 64);
        let barrier = Barrier::new(threads);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    let guards: Vec<_> = (0..5).map(|_| pool.allocate().unwrap()).collect();
                    barrier.wait();
                    drop(guards);
                });
            }
        });
        assert_eq!(pool.stats().in_use, 0);
    }
    assert_eq!(counts.created(), threads * 5);
    assert_eq!(counts.drops(), threads * 5);
}

#[test]
fn thread_local_pool_gives_each_thread_its_own_objects() {
    let pool: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::new(2).unwrap();
    let _a = pool.allocate().unwrap();
    let _b = pool.allocate().unwrap();
    assert!(matches!(
        pool.allocate(),
        Err(PoolError::Exhausted { capacity: 2 })
    ));
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(pool.in_use(), 0, "another thread has its own part");
            let _c = pool.allocate().unwrap();
            let _d = pool.allocate().unwrap();
            assert_eq!(pool.in_use(), 2);
        });
    });
    let stats = pool.stats();
    assert_eq!(
        (stats.allocations, stats.exhausted, stats.capacity),
        (4, 1, 4)
    );
}

#[test]
fn thread_local_objects_are_dropped_when_their_thread_exits() {
    let counts = Counts::new();
    let make = Arc::clone(&counts);
    let pool = ThreadLocalPool::builder()
        .capacity(4)
        .factory(move || Tracked::new(&make))
        .reset_with(Tracked::reset)
        .build()
        .unwrap();
    let pool = Arc::new(pool);
    let worker = Arc::clone(&pool);
    std::thread::spawn(move || {
        let guards: Vec<_> = (0..3).map(|_| worker.allocate().unwrap()).collect();
        drop(guards);
        assert_eq!(worker.idle(), 3);
    })
    .join()
    .unwrap();
    assert_eq!(counts.created(), 3);
    assert_eq!(
        counts.drops(),
        3,
        "the exiting thread dropped its idle objects"
    );
    // This thread's part is untouched and still works.
    drop(pool.allocate().unwrap());
    assert_eq!(counts.live(), 1);
    drop(pool);
    assert_eq!(counts.live(), 0);
}

#[test]
fn thread_local_pool_close_is_seen_by_every_thread() {
    let pool: ThreadLocalPool<u8> = ThreadLocalPool::new(2).unwrap();
    drop(pool.allocate().unwrap());
    pool.close();
    assert!(pool.is_closed());
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed));
    });
    assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed);
}

#[test]
fn debug_output_of_shared_pools() {
    let shared: ThreadSafePool<u8> = ThreadSafePool::new(2).unwrap();
    let local: ThreadLocalPool<u8> = ThreadLocalPool::new(2).unwrap();
    assert!(format!("{shared:?}").starts_with("ThreadSafePool"));
    assert!(format!("{local:?}").contains("capacity_per_thread: 2"));
    let owned = Arc::new(shared);
    let guard = owned.allocate_owned().unwrap();
    assert_eq!(format!("{guard:?}"), "OwnedPooled(0)");
}

#[test]
fn a_thread_learning_of_close_drops_its_idle_objects() {
    let counts = Counts::new();
    let make = Arc::clone(&counts);
    let pool = ThreadLocalPool::builder()
        .capacity(4)
        .factory(move || Tracked::new(&make))
        .reset_with(Tracked::reset)
        .build()
        .unwrap();
    let pool = &pool;
    std::thread::scope(|s| {
        let (to_worker, from_main) = std::sync::mpsc::channel::<()>();
        let (to_main, from_worker) = std::sync::mpsc::channel::<()>();
        s.spawn(move || {
            drop([pool.allocate().unwrap(), pool.allocate().unwrap()]);
            assert_eq!(pool.idle(), 2);
            to_main.send(()).unwrap();
            from_main.recv().unwrap(); // main closes the pool meanwhile
            assert_eq!(pool.allocate().unwrap_err(), PoolError::Closed);
            assert_eq!(
                pool.idle(),
                0,
                "the worker dropped its idle objects on learning of it"
            );
        });
        from_worker.recv().unwrap();
        pool.close();
        to_worker.send(()).unwrap();
    });
    assert_eq!(counts.live(), 0);
}

#[test]
fn a_thread_that_returns_others_objects_can_still_allocate() {
    let pool = Arc::new(ThreadSafePool::<u64>::new(4).unwrap());
    let guard = pool.allocate_owned().unwrap();
    let other = Arc::clone(&pool);
    std::thread::spawn(move || {
        drop(guard); // returned here, taken on the main thread
        for _ in 0..10 {
            let _a = other.allocate().unwrap();
            let _b = other.allocate_owned().unwrap();
        }
    })
    .join()
    .unwrap();
    let stats = pool.stats();
    assert_eq!(
        (stats.in_use, stats.allocations, stats.releases),
        (0, 21, 21)
    );
}

mod late_guard {
    //! A guard kept in a thread-local that is destroyed after the `thread_local` crate has
    //! freed the thread's id: the entry may already serve a new thread when the guard comes
    //! back. The slab's lock makes that safe (Miri checks for the data race).
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::LazyLock;

    use fastalloc_core::{LocalPooled, ThreadLocalPool};

    static POOL: LazyLock<ThreadLocalPool<Vec<u8>>> =
        LazyLock::new(|| ThreadLocalPool::new(4).unwrap());
    static A_ID_FREED: AtomicBool = AtomicBool::new(false);
    static B_DONE: AtomicBool = AtomicBool::new(false);

    struct Holder(Option<LocalPooled<'static, Vec<u8>>>);

    impl Drop for Holder {
        fn drop(&mut self) {
            A_ID_FREED.store(true, Ordering::SeqCst);
            let start = std::time::Instant::now();
            while !B_DONE.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
                std::thread::yield_now();
            }
            drop(self.0.take());
        }
    }

    std::thread_local! {
        static HOLD: RefCell<Holder> = const { RefCell::new(Holder(None)) };
    }

    #[test]
    fn a_guard_returned_after_its_threads_entry_was_reused() {
        let a = std::thread::spawn(|| {
            HOLD.with(|_| {}); // registered first, so destroyed after the crate's id guard
            let guard = POOL.allocate().unwrap();
            HOLD.with(|hold| hold.borrow_mut().0 = Some(guard));
        });
        let b = std::thread::spawn(|| {
            let start = std::time::Instant::now();
            while !A_ID_FREED.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
                std::thread::yield_now();
            }
            let mut guard = POOL.allocate().unwrap();
            guard.push(1);
            drop(guard);
            B_DONE.store(true, Ordering::SeqCst);
        });
        a.join().unwrap();
        b.join().unwrap();
        let stats = POOL.stats();
        assert_eq!(stats.allocations, stats.releases);
    }
}

mod exiting_thread {
    //! Guards dropped, and allocations made, in a thread-local destructor that runs after the
    //! `thread_local` crate freed the thread's id: no per-thread storage may be touched then
    //! (looking it up would panic inside a destructor, which aborts).
    use std::cell::RefCell;
    use std::sync::{Arc, LazyLock, Mutex};

    use fastalloc_core::{LocalPooled, OwnedPooled, PoolError, ThreadLocalPool, ThreadSafePool};

    static SHARED: LazyLock<Arc<ThreadSafePool<Vec<u8>>>> =
        LazyLock::new(|| Arc::new(ThreadSafePool::new(2).unwrap()));
    static LOCAL: LazyLock<ThreadLocalPool<Vec<u8>>> =
        LazyLock::new(|| ThreadLocalPool::new(1).unwrap());
    static DETACH: LazyLock<ThreadLocalPool<Vec<u8>>> =
        LazyLock::new(|| ThreadLocalPool::new(1).unwrap());
    /// What the late destructor saw.
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[derive(Default)]
    struct Holder {
        owned: Option<OwnedPooled<Vec<u8>>>,
        local: Option<LocalPooled<'static, Vec<u8>>>,
        detach: Option<LocalPooled<'static, Vec<u8>>>,
    }

    impl Drop for Holder {
        fn drop(&mut self) {
            let mut seen = SEEN.lock().unwrap();
            drop(self.owned.take());
            seen.push(format!("owned returned, in use {}", SHARED.in_use()));
            let again = SHARED.allocate().map(|mut guard| {
                guard.push(7);
                guard.len()
            });
            seen.push(format!("shared allocate: {again:?}"));
            drop(self.local.take());
            let kept = self.detach.take().map(LocalPooled::detach);
            seen.push(format!("detached {kept:?}"));
            seen.push(format!("local allocate: {:?}", LOCAL.allocate().err()));
        }
    }

    std::thread_local! {
        static HOLD: RefCell<Holder> = RefCell::new(Holder::default());
    }

    #[test]
    fn guards_and_allocations_on_an_exiting_thread() {
        std::thread::spawn(|| {
            HOLD.with(|_| {}); // registered first, so destroyed after the crate's id guard
            let mut owned = SHARED.allocate_owned().unwrap();
            owned.push(1);
            let mut local = LOCAL.allocate().unwrap();
            local.push(2);
            let mut kept = DETACH.allocate().unwrap();
            kept.push(3);
            HOLD.with(|hold| {
                let mut hold = hold.borrow_mut();
                hold.owned = Some(owned);
                hold.local = Some(local);
                hold.detach = Some(kept);
            });
        })
        .join()
        .unwrap();
        let seen = SEEN.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "owned returned, in use 0",
                "shared allocate: Ok(1)",
                "detached Some([3])",
                &format!("local allocate: {:?}", Some(PoolError::ThreadExiting)),
            ]
        );
        let shared = SHARED.stats();
        assert_eq!(
            (shared.allocations, shared.releases, shared.in_use),
            (2, 2, 0)
        );
        assert_eq!(shared.idle, 1, "the object went back, reset: {shared:?}");

        // The late guard dropped its object (counted as discarded) and parked the slot; a
        // thread that uses the pool next gets a working part either way.
        let local = LOCAL.stats();
        assert_eq!(
            (
                local.allocations,
                local.releases,
                local.discarded,
                local.in_use
            ),
            (1, 1, 1, 0)
        );
        std::thread::spawn(|| {
            let mut guard = LOCAL.allocate().unwrap();
            assert!(guard.is_empty());
            guard.push(4);
        })
        .join()
        .unwrap();
        let local = LOCAL.stats();
        assert_eq!((local.allocations, local.releases, local.in_use), (2, 2, 0));
        let detach = DETACH.stats();
        assert_eq!(
            (detach.allocations, detach.detached, detach.in_use),
            (1, 1, 0)
        );
    }
}

#[test]
fn a_panicking_drop_during_close_of_a_shared_pool_loses_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = ThreadSafePool::builder()
        .capacity(4)
        .factory(common::brittle(&drops, 0))
        .reset_with(|_| {})
        .build()
        .unwrap();
    let all: Vec<_> = (0..4).map(|_| pool.allocate().unwrap()).collect();
    drop(all);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.close())).is_err());
    drop(pool);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "every object dropped exactly once"
    );
}

#[test]
fn a_panicking_drop_while_a_pool_is_dropped_loses_nothing() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = fastalloc_core::FixedPool::builder()
        .capacity(4)
        .factory(common::brittle(&drops, 3))
        .reset_with(|_| {})
        .build()
        .unwrap();
    let all: Vec<_> = (0..4).map(|_| pool.allocate().unwrap()).collect();
    drop(all); // the brittle one (built last) goes back last: it is on top, dropped first
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(pool))).is_err());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        4,
        "the others were still dropped"
    );
}

// Bounded waits: `ThreadSafePool::allocate_timeout`.

/// Waits (yielding) until `pool` has `n` threads waiting in `allocate_timeout`; fails the
/// test rather than hang if they never do.
fn until_waiting<T>(pool: &ThreadSafePool<T>, n: usize) {
    let start = std::time::Instant::now();
    while pool.stats().waiting != n {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{n} threads never waited"
        );
        std::thread::yield_now();
    }
}

#[test]
fn allocate_timeout_gives_up_on_time_and_loses_nothing() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 2);
    let held = (pool.allocate().unwrap(), pool.allocate().unwrap());
    let timeout = std::time::Duration::from_millis(30);
    let start = std::time::Instant::now();
    let err = pool.allocate_timeout(timeout).unwrap_err();
    assert_eq!(err, PoolError::Timeout { timeout });
    assert!(
        start.elapsed() >= timeout,
        "gave up early: {:?}",
        start.elapsed()
    );
    assert!(err.to_string().contains("timed out"), "{err}");
    let stats = pool.stats();
    assert_eq!(
        (stats.waiting, stats.waits, stats.in_use),
        (0, 1, 2),
        "{stats}"
    );
    // The fast path works again once nobody waits: releases keep their objects in caches.
    drop(held);
    assert_eq!(pool.stats().idle, 2);
    let again = pool.allocate_timeout(timeout).unwrap();
    assert_eq!(
        counts.created(),
        2,
        "an idle object, not a new one: {}",
        again.id
    );
}

#[test]
fn allocate_timeout_is_woken_by_a_release_on_another_thread() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 1);
    let held = pool.allocate().unwrap();
    let id = held.id;
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let start = std::time::Instant::now();
            let got = pool
                .allocate_timeout(std::time::Duration::from_secs(60))
                .unwrap();
            (got.id, got.value, start.elapsed())
        });
        until_waiting(&pool, 1);
        let mut held = held;
        held.value = 7;
        drop(held); // handed straight to the waiter, reset
        let (got, value, elapsed) = waiter.join().unwrap();
        assert_eq!((got, value), (id, 0), "the same object, reset");
        assert!(elapsed < std::time::Duration::from_secs(60));
    });
    let stats = pool.stats();
    assert_eq!(
        (stats.in_use, stats.idle, stats.waiting),
        (0, 1, 0),
        "{stats}"
    );
    assert_eq!((stats.allocations, stats.releases), (2, 2), "{stats}");
    assert_eq!(counts.created(), 1);
}

#[test]
fn allocate_timeout_is_ended_by_close() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 1);
    let held = pool.allocate().unwrap();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            pool.allocate_timeout(std::time::Duration::from_secs(60))
                .map(|_| ())
        });
        until_waiting(&pool, 1);
        pool.close();
        assert_eq!(waiter.join().unwrap().unwrap_err(), PoolError::Closed);
    });
    drop(held);
    assert_eq!(counts.live(), 0, "the last object was dropped on return");
    assert_eq!(
        pool.allocate_timeout(std::time::Duration::from_secs(60))
            .unwrap_err(),
        PoolError::Closed,
        "at once on a closed pool"
    );
}

/// Four threads queue up one after another; the one object goes round in the order they came.
#[test]
fn allocate_timeout_serves_waiters_first_come_first_served() {
    let counts = Counts::new();
    let pool = tracked_shared(&counts, 1);
    let order = std::sync::Mutex::new(Vec::new());
    let held = pool.allocate().unwrap();
    std::thread::scope(|s| {
        for waiter in 0..4 {
            let (pool, order) = (&pool, &order);
            s.spawn(move || {
                let got = pool
                    .allocate_timeout(std::time::Duration::from_secs(60))
                    .unwrap();
                order.lock().unwrap().push(waiter);
                // Returned at the end of this scope: handed to the next in line.
                drop(got);
            });
            until_waiting(pool, waiter + 1);
        }
        // A thread that does not wait does not jump the queue.
        assert!(matches!(
            pool.allocate().unwrap_err(),
            PoolError::Exhausted { .. }
        ));
        drop(held);
    });
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
    let stats = pool.stats();
    assert_eq!(
        (stats.waits, stats.in_use, stats.idle),
        (4, 0, 1),
        "{stats}"
    );
    assert_eq!(counts.created(), 1);
}

/// A slot that comes free (a detach, or an object the pool refuses) lets a waiter build a new
/// object; and a growing pool at its maximum waits like a fixed one.
#[test]
fn allocate_timeout_builds_in_a_slot_that_comes_free() {
    for detach in [true, false] {
        let counts = Counts::new();
        let make = Arc::clone(&counts);
        let pool = ThreadSafePool::builder()
            .capacity(1)
            .growth(Growth::Linear(1))
            .max_capacity(2)
            .factory(move || Tracked::new(&make))
            .reset_with(Tracked::reset)
            .retain_if(|t: &Tracked| t.data.capacity() < 100)
            .build()
            .unwrap();
        let (mut a, _b) = (pool.allocate().unwrap(), pool.allocate().unwrap());
        std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let got = pool
                    .allocate_timeout(std::time::Duration::from_secs(60))
                    .unwrap();
                got.id
            });
            until_waiting(&pool, 1);
            if detach {
                drop(fastalloc_core::SharedPooled::detach(a));
            } else {
                a.data.resize(100, 0); // refused when it comes back
                drop(a);
            }
            assert_eq!(waiter.join().unwrap(), 2, "a new object in the freed slot");
        });
        let stats = pool.stats();
        assert_eq!(
            (stats.discarded, stats.detached),
            (u64::from(!detach), u64::from(detach)),
            "{stats}"
        );
        assert_eq!(counts.created(), 3);
    }
}

#[test]
fn allocate_owned_timeout_waits_too() {
    let pool = Arc::new(ThreadSafePool::<Vec<u8>>::new(1).unwrap());
    let held = pool.allocate_owned().unwrap();
    let waiter = {
        let pool = Arc::clone(&pool);
        std::thread::spawn(move || {
            pool.allocate_owned_timeout(std::time::Duration::from_secs(60))
                .map(|guard| guard.capacity())
        })
    };
    until_waiting(&pool, 1);
    drop(held);
    assert!(waiter.join().unwrap().is_ok());
}
