//! `AsyncPool`: waiting, FIFO order, cancellation at every poll point, close while waiting,
//! owned guards across `.await` and `tokio::spawn`, and a second executor.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![cfg(feature = "async")]
#![allow(clippy::cast_possible_truncation)]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use fastalloc_core::{AsyncPool, AsyncPooled, Growth, OwnedAsyncPooled, PoolError};

/// An object that catches being lent to two tasks at once.
#[derive(Default)]
struct Tagged {
    held: AtomicBool,
    uses: usize,
}

fn tagged_pool(capacity: usize) -> AsyncPool<Tagged> {
    AsyncPool::builder()
        .capacity(capacity)
        .factory(Tagged::default)
        .reset_with(|t: &mut Tagged| assert!(!t.held.load(Ordering::SeqCst)))
        .build()
        .unwrap()
}

/// Polls a future once with a waker that does nothing.
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

fn is_send<T: Send>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_share_a_small_pool_and_never_share_an_object() {
    let pool = Arc::new(tagged_pool(3));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                for _ in 0..50 {
                    let mut guard = pool.allocate().await.unwrap();
                    assert!(!guard.held.swap(true, Ordering::SeqCst), "lent twice");
                    guard.uses += 1;
                    tokio::task::yield_now().await; // held across an await, on any worker
                    guard.held.store(false, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting), (0, 0));
    assert_eq!(stats.allocations, 32 * 50);
    assert!(stats.created <= 3);
    assert!(
        stats.waits > 0,
        "with 32 tasks and 3 objects some had to wait"
    );
    assert_eq!(pool.available(), 3);
}

#[tokio::test(flavor = "current_thread")]
async fn waiters_are_served_first_come_first_served() {
    let pool = Arc::new(AsyncPool::<u32>::new(1).unwrap());
    let held = pool.allocate().await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for i in 0..5 {
        let (task_pool, order) = (Arc::clone(&pool), Arc::clone(&order));
        tasks.push(tokio::spawn(async move {
            let guard = task_pool.allocate().await.unwrap();
            order.lock().unwrap().push(i);
            tokio::task::yield_now().await;
            drop(guard);
        }));
        // Let task `i` start and queue up before the next one is spawned.
        while pool.waiting() < i + 1 {
            tokio::task::yield_now().await;
        }
    }
    assert_eq!(pool.stats().waiting, 5);
    drop(held);
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
}

#[test]
fn cancelling_allocate_at_any_poll_loses_no_object_and_no_turn() {
    let pool = AsyncPool::<u8>::new(2).unwrap();
    for polls_before_drop in 0..4 {
        // Both objects out: the future has to wait.
        let a = pool.try_allocate().unwrap();
        let b = pool.try_allocate().unwrap();
        {
            let mut waiting = pin!(pool.allocate());
            for _ in 0..polls_before_drop {
                assert!(poll_once(waiting.as_mut()).is_pending());
            }
            if polls_before_drop > 0 {
                assert_eq!(pool.waiting(), 1);
            }
        } // cancelled here
        assert_eq!(pool.waiting(), 0);
        drop((a, b));
        assert_eq!(
            pool.available(),
            2,
            "no permit lost after {polls_before_drop} polls"
        );
        let _both = (pool.try_allocate().unwrap(), pool.try_allocate().unwrap());
    }
}

#[test]
fn a_woken_waiter_that_is_cancelled_passes_its_turn_on() {
    let pool = AsyncPool::<u8>::new(1).unwrap();
    let held = pool.try_allocate().unwrap();
    let mut first = Box::pin(pool.allocate());
    let mut second = Box::pin(pool.allocate());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());
    assert_eq!(pool.waiting(), 2);
    drop(held); // the object is promised to `first`
    assert!(
        pool.try_allocate().is_err(),
        "a released object does not jump the queue"
    );
    drop(first); // ... which gives up without being polled again
    match poll_once(second.as_mut()) {
        Poll::Ready(Ok(guard)) => drop(guard),
        other => panic!(
            "the second waiter should have the object, got {:?}",
            other.is_ready()
        ),
    }
    assert_eq!((pool.waiting(), pool.available()), (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_wakes_every_waiter_with_closed() {
    let pool = Arc::new(AsyncPool::<String>::new(1).unwrap());
    let held = pool.allocate_owned().await.unwrap();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move { pool.allocate().await.map(drop) })
        })
        .collect();
    while pool.waiting() < 3 {
        tokio::task::yield_now().await;
    }
    pool.close();
    for waiter in waiters {
        assert_eq!(waiter.await.unwrap(), Err(PoolError::Closed));
    }
    assert!(pool.is_closed());
    assert_eq!(pool.try_allocate().unwrap_err(), PoolError::Closed);
    drop(held);
    assert_eq!(pool.stats().in_use, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owned_guards_cross_await_points_and_tasks() {
    let pool = Arc::new(AsyncPool::<Vec<u8>>::new(2).unwrap());
    let mut guard: OwnedAsyncPooled<Vec<u8>> = pool.allocate_owned().await.unwrap();
    guard.extend_from_slice(b"request");
    is_send(&guard);
    let handle = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        guard.push(b'!');
        guard.len()
    });
    assert_eq!(handle.await.unwrap(), 8);
    let again = pool.allocate().await.unwrap();
    assert!(
        again.is_empty(),
        "reset on release, capacity kept: {}",
        again.capacity()
    );
    is_send(&again);
    let kept: Vec<u8> = AsyncPooled::detach(again);
    assert!(kept.is_empty());
    assert_eq!(pool.stats().detached, 1);
    assert_eq!(pool.available(), 2, "a detached object frees its turn");
    let mut owned = pool.allocate_owned().await.unwrap();
    owned.push(7);
    let kept: Vec<u8> = OwnedAsyncPooled::detach(owned);
    assert_eq!(kept, [7], "a detached object is not reset");
    let stats = pool.stats();
    assert_eq!((stats.detached, stats.releases, stats.in_use), (2, 1, 0));
    assert_eq!(pool.available(), 2, "returned exactly once");
    assert_eq!(
        Arc::strong_count(&pool),
        1,
        "the guard's handle on the pool was released"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn timeouts_are_the_callers_and_lose_nothing() {
    let pool = AsyncPool::<u64>::new(1).unwrap();
    let held = pool.allocate().await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(5), pool.allocate()).await;
    assert!(waited.is_err());
    assert_eq!(pool.waiting(), 0);
    drop(held);
    let _again = tokio::time::timeout(Duration::from_millis(5), pool.allocate())
        .await
        .expect("the object came back")
        .unwrap();
}

#[test]
fn works_on_another_executor() {
    let pool = Arc::new(AsyncPool::<Vec<u32>>::new(1).unwrap());
    let held = futures::executor::block_on(pool.allocate_owned()).unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        drop(held);
    });
    // Waits for the other thread to give the object back.
    let mut guard = futures::executor::block_on(pool.allocate()).unwrap();
    guard.push(1);
    releaser.join().unwrap();
    assert_eq!(pool.stats().waits, 1);
}

#[test]
fn try_allocate_never_waits_and_growth_is_honoured() {
    let pool = AsyncPool::<u8>::builder()
        .capacity(1)
        .growth(Growth::Linear(1))
        .max_capacity(3)
        .build()
        .unwrap();
    let guards: Vec<_> = (0..3).map(|_| pool.try_allocate().unwrap()).collect();
    assert_eq!((pool.capacity(), pool.in_use()), (3, 3));
    assert_eq!(format!("{:?}", guards[0]), "AsyncPooled(0)");
    assert_eq!(
        pool.try_allocate().unwrap_err(),
        PoolError::Exhausted { capacity: 3 }
    );
    drop(guards);
    assert_eq!(pool.idle(), 3);
    let text = format!("{pool:?}");
    assert!(
        text.contains("AsyncPool") && text.contains("waiting: 0"),
        "{text}"
    );
}

#[test]
fn a_panicking_reset_returns_the_turn() {
    let fail = Arc::new(AtomicBool::new(false));
    let resets = Arc::new(AtomicUsize::new(0));
    let (f, r) = (Arc::clone(&fail), Arc::clone(&resets));
    let pool = AsyncPool::builder()
        .capacity(1)
        .factory(|| 0u8)
        .reset_with(move |_| {
            r.fetch_add(1, Ordering::SeqCst);
            assert!(!f.load(Ordering::SeqCst), "reset failed on purpose");
        })
        .build()
        .unwrap();
    let guard = pool.try_allocate().unwrap();
    fail.store(true, Ordering::SeqCst);
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(guard))).is_err());
    fail.store(false, Ordering::SeqCst);
    assert_eq!(pool.available(), 1, "the permit came back");
    assert_eq!(pool.stats().discarded, 1);
    drop(pool.try_allocate().unwrap());
    assert_eq!(resets.load(Ordering::SeqCst), 2);
}

#[test]
fn owned_try_allocate_and_a_closed_pool() {
    let pool = Arc::new(AsyncPool::<u16>::new(1).unwrap());
    let owned = pool.try_allocate_owned().unwrap();
    assert_eq!(format!("{owned:?}"), "OwnedAsyncPooled(0)");
    assert_eq!(
        pool.try_allocate_owned().unwrap_err(),
        PoolError::Exhausted { capacity: 1 }
    );
    drop(owned);
    pool.close();
    assert_eq!(
        futures::executor::block_on(pool.allocate()).unwrap_err(),
        PoolError::Closed
    );
    assert_eq!(pool.try_allocate_owned().unwrap_err(), PoolError::Closed);
}

// ---- Issue 16: a released object goes straight to the first waiter. ----

/// An object that counts its drops in a tally shared with the test, and carries a value the
/// reset clears (so a test can tell a reset object from a dirty one).
struct Tracked {
    drops: Arc<AtomicUsize>,
    value: u32,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A pool of `capacity` tracked objects; returns it with the tallies of drops and resets.
fn tracked_pool(capacity: usize) -> (AsyncPool<Tracked>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let resets = Arc::new(AtomicUsize::new(0));
    let (d, r) = (Arc::clone(&drops), Arc::clone(&resets));
    let pool = AsyncPool::builder()
        .capacity(capacity)
        .factory(move || Tracked {
            drops: Arc::clone(&d),
            value: 0,
        })
        .reset_with(move |t: &mut Tracked| {
            r.fetch_add(1, Ordering::SeqCst);
            t.value = 0;
        })
        .build()
        .unwrap();
    (pool, drops, resets)
}

fn address<T>(guard: &T) -> usize {
    std::ptr::from_ref(guard) as usize
}

#[test]
fn a_released_object_goes_reset_to_the_first_waiter_not_through_the_pool() {
    let (pool, drops, resets) = tracked_pool(1);
    let mut held = pool.try_allocate().unwrap();
    held.value = 7;
    let lent_at = address(&*held);
    let mut first = Box::pin(pool.allocate());
    let mut second = Box::pin(pool.allocate());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(second.as_mut()).is_pending());
    drop(held);
    assert_eq!(
        resets.load(Ordering::SeqCst),
        1,
        "reset in the guard's drop"
    );
    assert_eq!(pool.idle(), 0, "the object never went back to the pool");
    assert!(
        poll_once(second.as_mut()).is_pending(),
        "the second waiter does not get it"
    );
    let Poll::Ready(Ok(guard)) = poll_once(first.as_mut()) else {
        panic!("the first waiter has the object");
    };
    assert_eq!(address(&*guard), lent_at, "the same object");
    assert_eq!(guard.value, 0, "reset before it was handed over");
    let stats = pool.stats();
    assert_eq!(
        (
            stats.allocations,
            stats.releases,
            stats.reused,
            stats.in_use
        ),
        (2, 1, 1, 1)
    );
    assert_eq!((stats.created, stats.waits, stats.waiting), (1, 2, 1));
    drop(guard);
    let Poll::Ready(Ok(guard)) = poll_once(second.as_mut()) else {
        panic!("then the second waiter has it");
    };
    assert_eq!(address(&*guard), lent_at);
    drop(guard);
    let stats = pool.stats();
    assert_eq!(
        (
            stats.allocations,
            stats.releases,
            stats.reused,
            stats.in_use
        ),
        (3, 3, 2, 0)
    );
    assert_eq!((stats.waiting, pool.available(), pool.idle()), (0, 1, 1));
    assert_eq!(drops.load(Ordering::SeqCst), 0, "nothing dropped");
    drop((first, second));
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the one object, once");
}

#[test]
fn many_waiters_are_served_in_the_order_they_queued() {
    let pool = AsyncPool::<u32>::new(2).unwrap();
    let mut held: VecDeque<_> = (0..2).map(|_| pool.try_allocate().unwrap()).collect();
    let mut waiters: Vec<_> = (0..6).map(|_| Box::pin(pool.allocate())).collect();
    for waiter in &mut waiters {
        assert!(poll_once(waiter.as_mut()).is_pending());
    }
    assert_eq!(pool.waiting(), 6);
    for (served, waiter) in waiters.iter_mut().enumerate() {
        drop(held.pop_front());
        match poll_once(waiter.as_mut()) {
            Poll::Ready(Ok(guard)) => held.push_back(guard),
            _ => panic!("waiter {served} is first in line"),
        }
    }
    assert_eq!((pool.waiting(), pool.available()), (0, 0));
    drop(held);
    assert_eq!((pool.available(), pool.stats().in_use), (2, 0));
}

/// Cancels a waiter at every step of a hand-over, with and without another waiter behind it:
/// the object always ends with the next waiter or back in the pool, reset once per release.
#[test]
fn cancelling_a_waiter_at_every_step_of_a_hand_over_loses_nothing() {
    // Steps: 0 = never polled, 1 = queued, 2 = handed the object and not polled since,
    // 3 = handed and polled once more by a stale waker (still handed).
    for step in 0..4 {
        for behind in [false, true] {
            let (pool, drops, resets) = tracked_pool(1);
            let mut held = pool.try_allocate().unwrap();
            held.value = 1;
            let mut cancelled = Box::pin(pool.allocate());
            if step >= 1 {
                assert!(poll_once(cancelled.as_mut()).is_pending());
            }
            let mut next = Box::pin(pool.allocate());
            if behind {
                assert!(poll_once(next.as_mut()).is_pending());
            }
            drop(held);
            let mut taken = None;
            if step == 3 {
                // The waiter runs before being dropped: it takes the object; then the guard
                // is what is dropped, which must pass it on too.
                let Poll::Ready(Ok(guard)) = poll_once(cancelled.as_mut()) else {
                    panic!("step {step}: the queued waiter was handed the object");
                };
                taken = Some(guard);
            }
            drop(cancelled);
            drop(taken);
            let label = format!("step {step}, waiter behind: {behind}");
            if behind {
                assert_eq!(pool.available(), 0, "{label}: kept for the next waiter");
                let Poll::Ready(Ok(guard)) = poll_once(next.as_mut()) else {
                    panic!("{label}: the next waiter has it");
                };
                assert_eq!(guard.value, 0, "{label}: reset");
                drop(guard);
            } else {
                assert_eq!(pool.available(), 1, "{label}: back in the pool");
                assert_eq!(pool.idle(), 1, "{label}");
            }
            drop(next);
            let stats = pool.stats();
            assert_eq!(
                (stats.in_use, stats.waiting, stats.created),
                (0, 0, 1),
                "{label}"
            );
            assert_eq!(stats.allocations, stats.releases, "{label}");
            assert_eq!(
                resets.load(Ordering::SeqCst) as u64,
                stats.releases,
                "{label}: one reset per release, none twice"
            );
            assert_eq!(pool.available(), 1, "{label}");
            assert_eq!(drops.load(Ordering::SeqCst), 0, "{label}");
            drop(pool.try_allocate().unwrap());
            drop(pool);
            assert_eq!(drops.load(Ordering::SeqCst), 1, "{label}: dropped once");
        }
    }
}

#[test]
fn close_while_a_waiter_holds_an_untaken_object_drops_it_once() {
    let (pool, drops, _) = tracked_pool(1);
    let held = pool.try_allocate().unwrap();
    let mut waiter = Box::pin(pool.allocate());
    let mut queued = Box::pin(pool.allocate());
    assert!(poll_once(waiter.as_mut()).is_pending());
    assert!(poll_once(queued.as_mut()).is_pending());
    drop(held); // handed to `waiter`, not taken yet
    pool.close();
    assert!(matches!(
        poll_once(waiter.as_mut()),
        Poll::Ready(Err(PoolError::Closed))
    ));
    assert!(matches!(
        poll_once(queued.as_mut()),
        Poll::Ready(Err(PoolError::Closed))
    ));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the handed object was dropped"
    );
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting), (0, 0));
    assert_eq!((stats.allocations, stats.releases), (1, 1));
    drop((waiter, queued));
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "and only once");
}

#[test]
fn a_panicking_reset_while_a_task_waits_hands_it_a_new_object() {
    let drops = Arc::new(AtomicUsize::new(0));
    let fail = Arc::new(AtomicBool::new(true));
    let (d, f) = (Arc::clone(&drops), Arc::clone(&fail));
    let pool = AsyncPool::builder()
        .capacity(1)
        .factory(move || Tracked {
            drops: Arc::clone(&d),
            value: 0,
        })
        .reset_with(move |_: &mut Tracked| {
            assert!(!f.load(Ordering::SeqCst), "reset failed on purpose");
        })
        .build()
        .unwrap();
    let mut held = pool.try_allocate().unwrap();
    held.value = 9;
    let mut waiter = Box::pin(pool.allocate());
    assert!(poll_once(waiter.as_mut()).is_pending());
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(held)));
    assert!(unwound.is_err(), "the reset's panic goes on");
    fail.store(false, Ordering::SeqCst);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the dirty object was dropped"
    );
    let Poll::Ready(Ok(guard)) = poll_once(waiter.as_mut()) else {
        panic!("the waiter was woken with the freed slot's turn");
    };
    assert_eq!(guard.value, 0, "a new object, not the dirty one");
    let stats = pool.stats();
    assert_eq!((stats.created, stats.discarded, stats.in_use), (2, 1, 1));
    drop(guard);
    assert_eq!((pool.available(), pool.stats().in_use), (1, 0));
    drop(waiter);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

#[test]
fn a_detach_while_a_task_waits_hands_it_the_free_slot() {
    let (pool, drops, _) = tracked_pool(1);
    let held = pool.try_allocate().unwrap();
    let mut waiter = Box::pin(pool.allocate());
    assert!(poll_once(waiter.as_mut()).is_pending());
    let kept = AsyncPooled::detach(held);
    let Poll::Ready(Ok(guard)) = poll_once(waiter.as_mut()) else {
        panic!("the waiter gets a new object in the detached one's slot");
    };
    assert_eq!(pool.stats().created, 2);
    drop((guard, kept));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the detached object, by its owner"
    );
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.detached, pool.available()), (0, 1, 1));
}

/// Many tasks on two threads, cancelling at random points with short timeouts: no object
/// is lent twice, none is lost, and each is dropped once in the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_cancellations_under_contention_lose_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let pool = Arc::new(
        AsyncPool::builder()
            .capacity(3)
            .factory(move || {
                (
                    Tagged::default(),
                    Tracked {
                        drops: Arc::clone(&d),
                        value: 0,
                    },
                )
            })
            .reset_with(|t: &mut (Tagged, Tracked)| assert!(!t.0.held.load(Ordering::SeqCst)))
            .build()
            .unwrap(),
    );
    let tasks: Vec<_> = (0..if cfg!(miri) { 4 } else { 16u64 })
        .map(|task| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                for round in 0..if cfg!(miri) { 5 } else { 200u64 } {
                    let wait = Duration::from_micros((task * 7 + round * 13) % 50);
                    if let Ok(guard) = tokio::time::timeout(wait, pool.allocate()).await {
                        let guard = guard.unwrap();
                        assert!(!guard.0.held.swap(true, Ordering::SeqCst), "lent twice");
                        tokio::task::yield_now().await;
                        guard.0.held.store(false, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting, pool.available()), (0, 0, 3));
    assert_eq!(stats.allocations, stats.releases);
    assert!(stats.created <= 3);
    let pool = Arc::into_inner(pool).unwrap();
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst) as u64, stats.created);
}

// ---- Issue 14: `allocate_many`, all or none, first come first served. ----

/// Polls `future` until it is ready, with a waker that does nothing; panics if it is still
/// pending after `polls` polls.
fn ready<F: Future>(mut future: std::pin::Pin<&mut F>, what: &str) -> F::Output {
    match poll_once(future.as_mut()) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("{what}: still waiting"),
    }
}

/// Checks that the pool is at rest: nothing lent or waiting, every permit free, every object
/// built still alive and idle, each release reset once.
fn assert_at_rest(
    pool: &AsyncPool<Tracked>,
    drops: &AtomicUsize,
    resets: &AtomicUsize,
    label: &str,
) {
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting), (0, 0), "{label}");
    assert_eq!(
        pool.available(),
        stats.capacity,
        "{label}: every permit back"
    );
    assert_eq!(stats.allocations, stats.releases, "{label}");
    assert_eq!(
        stats.created,
        stats.idle as u64 + drops.load(Ordering::SeqCst) as u64,
        "{label}: every object built is idle or dropped, none lost"
    );
    assert_eq!(
        resets.load(Ordering::SeqCst) as u64,
        stats.releases,
        "{label}: one reset per release, none twice"
    );
}

#[test]
fn allocate_many_waits_until_it_can_have_them_all() {
    let (pool, drops, resets) = tracked_pool(4);
    let mut held: VecDeque<_> = (0..3).map(|_| pool.try_allocate().unwrap()).collect();
    for guard in &mut held {
        guard.value = 5;
    }
    let mut many = Box::pin(pool.allocate_many(2));
    assert!(
        poll_once(many.as_mut()).is_pending(),
        "one is free, two wanted"
    );
    assert_eq!(pool.available(), 0, "the free one is kept for the waiter");
    assert_eq!(
        pool.try_allocate().err(),
        Some(PoolError::Exhausted { capacity: 4 }),
        "and nobody takes it meanwhile"
    );
    assert_eq!((pool.waiting(), pool.stats().in_use), (1, 3));
    let returned = held.pop_front().unwrap();
    let returned_at = address(&*returned);
    drop(returned);
    let guards = ready(many.as_mut(), "one came back").unwrap();
    assert_eq!(guards.len(), 2);
    assert!(guards.iter().all(|g| g.value == 0), "reset, or new");
    assert!(
        guards.iter().any(|g| address(&**g) == returned_at),
        "the returned object was handed over"
    );
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.created, stats.waiting), (4, 4, 0));
    assert_eq!(stats.waits, 1);
    drop((guards, held, many));
    assert_at_rest(&pool, &drops, &resets, "all returned");
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst), 4, "each object dropped once");
}

#[test]
fn allocate_many_takes_free_objects_at_once() {
    let pool = Arc::new(tagged_pool(4));
    let guards = futures::executor::block_on(pool.allocate_many(3)).unwrap();
    assert_eq!(
        (guards.len(), pool.available(), pool.stats().waits),
        (3, 1, 0)
    );
    let owned: Vec<OwnedAsyncPooled<Tagged>> =
        futures::executor::block_on(pool.allocate_many_owned(1)).unwrap();
    assert_eq!(pool.available(), 0);
    drop(guards);
    let owned_more = futures::executor::block_on(pool.allocate_many_owned(3)).unwrap();
    is_send(&owned_more);
    let handle = std::thread::spawn(move || owned_more.len());
    assert_eq!(handle.join().unwrap(), 3);
    drop(owned);
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.created, pool.available()), (0, 4, 4));
    assert_eq!(stats.allocations, 7);
    assert_eq!(
        Arc::strong_count(&pool),
        1,
        "the owned guards let go of the pool"
    );
}

#[test]
fn a_waiting_allocate_many_is_not_overtaken_by_a_later_allocate() {
    let (pool, drops, resets) = tracked_pool(4);
    let mut held: VecDeque<_> = (0..4).map(|_| pool.try_allocate().unwrap()).collect();
    let mut many = Box::pin(pool.allocate_many(3));
    let mut single = Box::pin(pool.allocate());
    assert!(poll_once(many.as_mut()).is_pending());
    assert!(poll_once(single.as_mut()).is_pending());
    assert_eq!(pool.waiting(), 2, "an allocate_many counts once");
    for returned in 1..=2 {
        drop(held.pop_front());
        assert!(
            poll_once(single.as_mut()).is_pending(),
            "{returned} back: kept for the first in line"
        );
        assert!(poll_once(many.as_mut()).is_pending(), "{returned} of 3");
        assert_eq!((pool.available(), pool.idle()), (0, 0));
    }
    drop(held.pop_front());
    assert!(poll_once(single.as_mut()).is_pending(), "third: still its");
    let guards = ready(many.as_mut(), "three came back").unwrap();
    assert_eq!(guards.len(), 3);
    assert_eq!(pool.waiting(), 1);
    drop(held.pop_front());
    let guard = ready(single.as_mut(), "the fourth is the single's").unwrap();
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.created, stats.waits), (4, 4, 2));
    assert_eq!((stats.reused, stats.releases), (4, 4));
    drop((guard, guards, many, single));
    assert_at_rest(&pool, &drops, &resets, "all returned");
}

#[test]
fn a_waiting_allocate_many_queues_behind_earlier_waiters() {
    let pool = AsyncPool::<u8>::new(3).unwrap();
    let mut held: VecDeque<_> = (0..3).map(|_| pool.try_allocate().unwrap()).collect();
    let mut first = Box::pin(pool.allocate());
    let mut many = Box::pin(pool.allocate_many(2));
    let mut last = Box::pin(pool.allocate());
    assert!(poll_once(first.as_mut()).is_pending());
    assert!(poll_once(many.as_mut()).is_pending());
    assert!(poll_once(last.as_mut()).is_pending());
    drop(held.pop_front());
    let one = ready(first.as_mut(), "the first in line").unwrap();
    assert!(poll_once(many.as_mut()).is_pending());
    drop(held.pop_front());
    assert!(poll_once(many.as_mut()).is_pending(), "1 of 2");
    assert!(poll_once(last.as_mut()).is_pending(), "no overtaking");
    drop(one);
    let two = ready(many.as_mut(), "2 of 2").unwrap();
    assert!(poll_once(last.as_mut()).is_pending());
    drop(held.pop_front());
    let three = ready(last.as_mut(), "then the last").unwrap();
    drop((two, three));
    assert_eq!((pool.available(), pool.in_use(), pool.waiting()), (3, 0, 0));
}

/// For each number of polls, with one object coming back after each poll: the
/// `allocate_many(3)` is dropped queued with nothing, gathering, handed all it wanted, or after
/// taking them; with and without a waiter behind it. Every object comes back, reset once per
/// release, and the waiter behind is served.
#[test]
fn cancelling_allocate_many_at_every_poll_loses_nothing() {
    for polls in 0..=5 {
        for behind in [false, true] {
            let label = format!("{polls} polls, waiter behind: {behind}");
            let (pool, drops, resets) = tracked_pool(4);
            let mut held: VecDeque<_> = (0..4).map(|_| pool.try_allocate().unwrap()).collect();
            for guard in &mut held {
                guard.value = 1;
            }
            let mut many = Box::pin(pool.allocate_many(3));
            let mut next = Box::pin(pool.allocate());
            if behind && polls == 0 {
                assert!(poll_once(next.as_mut()).is_pending());
            }
            let mut taken = None;
            for poll in 0..polls {
                match poll_once(many.as_mut()) {
                    Poll::Pending => assert!(poll < 4, "{label}"),
                    Poll::Ready(guards) => {
                        let guards = guards.unwrap();
                        assert_eq!(guards.len(), 3, "{label}");
                        assert!(guards.iter().all(|g| g.value == 0), "{label}: reset");
                        taken = Some(guards);
                        break;
                    }
                }
                if behind && poll == 0 {
                    assert!(poll_once(next.as_mut()).is_pending(), "{label}");
                }
                drop(held.pop_front());
            }
            drop(many); // cancelled
            drop(taken);
            if behind && polls > 0 {
                // What it had gathered, or the guards it took, served the next in line.
                let guard = ready(next.as_mut(), &label).unwrap();
                assert_eq!(guard.value, 0, "{label}: reset");
                drop(guard);
            }
            assert!(
                pool.stats().waiting <= usize::from(behind),
                "{label}: it left the queue"
            );
            drop(held);
            if behind && polls == 0 {
                drop(ready(next.as_mut(), &label).unwrap());
            }
            drop(next);
            assert_at_rest(&pool, &drops, &resets, &label);
            let stats = pool.stats();
            assert_eq!(
                (stats.created, stats.idle, stats.discarded),
                (4, 4, 0),
                "{label}"
            );
            let all = pool.try_allocate().map(drop);
            assert!(all.is_ok(), "{label}");
            drop(pool);
            assert_eq!(
                drops.load(Ordering::SeqCst),
                4,
                "{label}: each dropped once"
            );
        }
    }
}

#[test]
fn close_while_allocate_many_waits_gives_closed_and_drops_what_it_gathered() {
    // Closed while gathering, and closed after it had all it wanted but before it took them.
    for complete in [false, true] {
        let label = format!("complete: {complete}");
        let (pool, drops, _) = tracked_pool(3);
        let mut held: VecDeque<_> = (0..2).map(|_| pool.try_allocate().unwrap()).collect();
        let mut many = Box::pin(pool.allocate_many(3));
        let mut behind = Box::pin(pool.allocate());
        assert!(poll_once(many.as_mut()).is_pending(), "{label}");
        assert!(poll_once(behind.as_mut()).is_pending(), "{label}");
        drop(held.pop_front()); // gathered
        if complete {
            drop(held.pop_front());
        }
        pool.close();
        assert_eq!(ready(many.as_mut(), &label).err(), Some(PoolError::Closed));
        assert_eq!(
            ready(behind.as_mut(), &label).err(),
            Some(PoolError::Closed)
        );
        let gathered = if complete { 2 } else { 1 };
        assert_eq!(drops.load(Ordering::SeqCst), gathered, "{label}");
        drop(held);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            2,
            "{label}: every object, once"
        );
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting), (0, 0), "{label}");
        assert_eq!(stats.allocations, stats.releases, "{label}");
        assert_eq!(pool.available(), 3, "{label}");
        let mut at_once = Box::pin(pool.allocate_many(2));
        assert_eq!(
            ready(at_once.as_mut(), &label).err(),
            Some(PoolError::Closed)
        );
        drop((many, behind, at_once));
        drop(pool);
        assert_eq!(drops.load(Ordering::SeqCst), 2, "{label}: and only once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_wakes_a_task_waiting_in_allocate_many() {
    let pool = Arc::new(AsyncPool::<String>::new(2).unwrap());
    let held = pool.allocate_owned().await.unwrap();
    let waiter = {
        let pool = Arc::clone(&pool);
        tokio::spawn(async move { pool.allocate_many_owned(2).await.map(drop) })
    };
    while pool.waiting() < 1 {
        tokio::task::yield_now().await;
    }
    pool.close();
    assert_eq!(waiter.await.unwrap(), Err(PoolError::Closed));
    drop(held);
    assert_eq!((pool.stats().in_use, pool.available()), (0, 2));
}

#[test]
fn allocate_many_refuses_more_than_the_pool_can_ever_lend() {
    let growing = AsyncPool::<u8>::builder()
        .capacity(1)
        .growth(Growth::Linear(1))
        .max_capacity(3)
        .build()
        .unwrap();
    let mut refused = Box::pin(growing.allocate_many(4));
    let err = ready(refused.as_mut(), "refused at once").unwrap_err();
    assert_eq!(err, PoolError::TooMany { max_capacity: 3 });
    let message = err.to_string();
    assert!(
        message.contains("at most 3") && message.contains("`max_capacity`"),
        "{message}"
    );
    assert_eq!((growing.waiting(), growing.stats().waits), (0, 0));
    // Up to the maximum, the pool grows to serve it.
    let all = futures::executor::block_on(growing.allocate_many(3)).unwrap();
    assert_eq!((all.len(), growing.capacity()), (3, 3));
    drop(all);
    let fixed = AsyncPool::<u8>::new(2).unwrap();
    let mut refused = Box::pin(fixed.allocate_many(3));
    assert_eq!(
        ready(refused.as_mut(), "refused at once").unwrap_err(),
        PoolError::TooMany { max_capacity: 2 }
    );
}

#[test]
fn allocate_many_of_zero_or_one() {
    let pool = AsyncPool::<u8>::new(1).unwrap();
    let held = pool.try_allocate().unwrap();
    let mut none = Box::pin(pool.allocate_many(0));
    assert!(ready(none.as_mut(), "nothing to wait for")
        .unwrap()
        .is_empty());
    // One is an `allocate`: it waits its turn the same way.
    let mut one = Box::pin(pool.allocate_many(1));
    assert!(poll_once(one.as_mut()).is_pending());
    assert_eq!(pool.waiting(), 1);
    drop(held);
    assert_eq!(ready(one.as_mut(), "handed over").unwrap().len(), 1);
    pool.close();
    let mut none = Box::pin(pool.allocate_many(0));
    assert!(ready(none.as_mut(), "even closed").unwrap().is_empty());
    let mut one = Box::pin(pool.allocate_many(1));
    assert_eq!(
        ready(one.as_mut(), "closed").unwrap_err(),
        PoolError::Closed
    );
    assert_eq!((pool.in_use(), pool.stats().allocations), (0, 2));
}

/// If the factory panics while `allocate_many` builds its objects, every object it took goes
/// back and every permit is free again.
#[test]
fn a_panicking_factory_in_allocate_many_returns_everything() {
    let built = Arc::new(AtomicUsize::new(0));
    let b = Arc::clone(&built);
    let pool = AsyncPool::builder()
        .capacity(4)
        .factory(move || {
            let n = b.fetch_add(1, Ordering::SeqCst);
            assert_ne!(n, 2, "the third object fails on purpose");
            n
        })
        .reset_with(|_: &mut usize| {})
        .build()
        .unwrap();
    let first = pool.try_allocate().unwrap();
    let mut many = Box::pin(pool.allocate_many(4));
    assert!(poll_once(many.as_mut()).is_pending());
    drop(first); // handed over; the other three are built from permits
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = poll_once(many.as_mut());
    }));
    assert!(unwound.is_err(), "the factory's panic goes on");
    drop(many);
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting, pool.available()), (0, 0, 4));
    assert_eq!(stats.allocations, stats.releases);
    let all = futures::executor::block_on(pool.allocate_many(4)).unwrap();
    assert_eq!(all.len(), 4);
}

#[test]
fn two_tasks_wanting_three_of_four_deadlock_one_at_a_time_but_not_with_allocate_many() {
    // One at a time: each task gets two, then both wait for a third that never comes.
    let pool = AsyncPool::<u8>::new(4).unwrap();
    let a: Vec<_> = (0..2).map(|_| pool.try_allocate().unwrap()).collect();
    let b: Vec<_> = (0..2).map(|_| pool.try_allocate().unwrap()).collect();
    let mut a_third = Box::pin(pool.allocate());
    let mut b_third = Box::pin(pool.allocate());
    assert!(poll_once(a_third.as_mut()).is_pending());
    assert!(poll_once(b_third.as_mut()).is_pending());
    assert_eq!((pool.available(), pool.waiting()), (0, 2), "stuck for good");
    drop((a_third, b_third, a, b));
    // All at once: the second waits for the first, which finishes and gives them back.
    let mut a_all = Box::pin(pool.allocate_many(3));
    let mut b_all = Box::pin(pool.allocate_many(3));
    let a = ready(a_all.as_mut(), "three were free").unwrap();
    assert!(poll_once(b_all.as_mut()).is_pending());
    drop(a);
    assert_eq!(ready(b_all.as_mut(), "then the second").unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_wanting_three_of_four_at_once_never_deadlock() {
    let pool = Arc::new(tagged_pool(4));
    let rounds = if cfg!(miri) { 5 } else { 300 };
    let tasks: Vec<_> = (0..if cfg!(miri) { 2 } else { 4 })
        .map(|_| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                for _ in 0..rounds {
                    let guards = pool.allocate_many_owned(3).await.unwrap();
                    for guard in &guards {
                        assert!(!guard.held.swap(true, Ordering::SeqCst), "lent twice");
                    }
                    tokio::task::yield_now().await;
                    for guard in &guards {
                        guard.held.store(false, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    let all = async {
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("no deadlock");
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting, pool.available()), (0, 0, 4));
    assert_eq!(stats.allocations, stats.releases);
    assert!(stats.created <= 4);
}

/// Tasks wanting one, two or three objects at a time on two threads, cancelling at random
/// points with short timeouts: no object is lent twice, none is lost, and each is dropped once
/// in the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_sizes_and_random_cancellations_lose_nothing() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let pool = Arc::new(
        AsyncPool::builder()
            .capacity(4)
            .factory(move || {
                (
                    Tagged::default(),
                    Tracked {
                        drops: Arc::clone(&d),
                        value: 0,
                    },
                )
            })
            .reset_with(|t: &mut (Tagged, Tracked)| assert!(!t.0.held.load(Ordering::SeqCst)))
            .build()
            .unwrap(),
    );
    let tasks: Vec<_> = (0..if cfg!(miri) { 4 } else { 12u64 })
        .map(|task| {
            let pool = Arc::clone(&pool);
            tokio::spawn(async move {
                for round in 0..if cfg!(miri) { 4 } else { 200u64 } {
                    let wait = Duration::from_micros((task * 7 + round * 13) % 60);
                    let n = ((task + round) % 3 + 1) as usize;
                    if let Ok(guards) = tokio::time::timeout(wait, pool.allocate_many(n)).await {
                        let guards = guards.unwrap();
                        assert_eq!(guards.len(), n);
                        for guard in &guards {
                            assert!(!guard.0.held.swap(true, Ordering::SeqCst), "lent twice");
                        }
                        tokio::task::yield_now().await;
                        for guard in &guards {
                            guard.0.held.store(false, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting, pool.available()), (0, 0, 4));
    assert_eq!(stats.allocations, stats.releases);
    assert!(stats.created <= 4);
    let pool = Arc::into_inner(pool).unwrap();
    drop(pool);
    assert_eq!(drops.load(Ordering::SeqCst) as u64, stats.created);
}
