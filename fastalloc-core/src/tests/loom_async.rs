//! Loom models of `AsyncPool`'s wake-up, hand-over and cancellation paths. Its permit word and
//! waiter queue come from `crate::sync`, so under `cfg(loom)` loom explores their
//! interleavings with the thread-safe pool's.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::{AsyncPool, PoolError};

fn pool() -> Arc<AsyncPool<Vec<u8>>> {
    Arc::new(AsyncPool::builder().capacity(1).build().unwrap())
}

#[test]
fn loom_a_release_wakes_the_waiter() {
    super::model(|| {
        let pool = pool();
        let held = pool.try_allocate_owned().unwrap();
        let releaser = super::spawn(move || drop(held));
        // Waits (or not, if the release came first) and must get the object either way.
        let guard = loom::future::block_on(pool.allocate()).unwrap();
        drop(guard);
        releaser.join().unwrap();
        assert_eq!(pool.available(), 1);
    });
}

#[test]
fn loom_a_cancelled_waiter_loses_nothing() {
    super::model(|| {
        let pool = pool();
        let held = pool.try_allocate_owned().unwrap();
        let releaser = super::spawn(move || drop(held));
        {
            let mut waiting = pin!(pool.allocate());
            let polled = waiting
                .as_mut()
                .poll(&mut Context::from_waker(Waker::noop()));
            if let Poll::Ready(result) = polled {
                drop(result.unwrap()); // the release came first
            }
        } // cancelled, possibly after being handed the object
        releaser.join().unwrap();
        assert_eq!(pool.available(), 1, "the permit came back");
        drop(pool.try_allocate().unwrap());
    });
}

#[test]
fn loom_close_wakes_the_waiter() {
    super::model(|| {
        let pool = pool();
        let held = pool.try_allocate_owned().unwrap();
        let closer = {
            let pool = Arc::clone(&pool);
            super::spawn(move || pool.close())
        };
        let result = loom::future::block_on(pool.allocate());
        assert!(
            matches!(result, Err(PoolError::Closed)),
            "no object ever came back"
        );
        closer.join().unwrap();
        drop(held);
    });
}

// ---- Issue 16: the hand-over of a released object to the first waiter. ----

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// A pool of one object that counts the drops of its objects.
fn counted_pool() -> (Arc<AsyncPool<Dropped>>, Arc<AtomicUsize>) {
    counted_pool_of(1)
}

/// A pool of `capacity` objects that counts the drops of its objects.
fn counted_pool_of(capacity: usize) -> (Arc<AsyncPool<Dropped>>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&drops);
    let pool = AsyncPool::builder()
        .capacity(capacity)
        .factory(move || Dropped(Arc::clone(&counter)))
        .reset_with(|_: &mut Dropped| {})
        .build()
        .unwrap();
    (Arc::new(pool), drops)
}

/// Counts its drops (a plain `std` tally: the model's own bookkeeping, not modelled).
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, AtomicOrdering::SeqCst);
    }
}

/// Two queued waiters; a guard's release races the first waiter's cancellation. Whether the
/// object reaches the first waiter before or after it is dropped, or the waiter leaves the
/// queue first, the second waiter ends up with it, reset once and never dropped.
#[test]
fn loom_a_release_racing_a_waiters_cancellation_reaches_the_next_waiter() {
    super::model(|| {
        let (pool, drops) = counted_pool();
        let held = pool.try_allocate_owned().unwrap();
        let mut first = Box::pin(pool.allocate());
        let mut second = Box::pin(pool.allocate());
        assert!(poll_once(first.as_mut()).is_pending());
        assert!(poll_once(second.as_mut()).is_pending());
        let releaser = super::spawn(move || drop(held));
        drop(first); // cancelled, before, during or after the hand-over
        releaser.join().unwrap();
        let Poll::Ready(Ok(guard)) = poll_once(second.as_mut()) else {
            panic!("the second waiter has the object");
        };
        drop(guard);
        drop(second);
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting, stats.created), (0, 0, 1));
        assert_eq!((stats.allocations, stats.releases), (2, 2));
        assert_eq!(pool.available(), 1);
        assert_eq!(drops.load(AtomicOrdering::SeqCst), 0);
    });
}

/// One queued waiter; its cancellation races the release: with nobody left, the object goes
/// back to the pool (without a second reset) and its permit to the free count.
#[test]
fn loom_a_release_racing_the_last_waiters_cancellation_refills_the_pool() {
    super::model(|| {
        let (pool, drops) = counted_pool();
        let held = pool.try_allocate_owned().unwrap();
        let mut waiter = Box::pin(pool.allocate());
        assert!(poll_once(waiter.as_mut()).is_pending());
        let releaser = super::spawn(move || drop(held));
        drop(waiter);
        releaser.join().unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting, stats.idle), (0, 0, 1));
        assert_eq!(stats.allocations, stats.releases);
        assert_eq!(pool.available(), 1);
        drop(pool.try_allocate().unwrap());
        assert_eq!(drops.load(AtomicOrdering::SeqCst), 0);
    });
}

/// A queued waiter; `close` races the hand-over of the released object. Whichever comes
/// first, the waiter learns that the pool is closed and the object is dropped exactly once.
#[test]
fn loom_close_racing_a_hand_over_drops_the_object_once() {
    super::model(|| {
        let (pool, drops) = counted_pool();
        let held = pool.try_allocate_owned().unwrap();
        let mut waiter = Box::pin(pool.allocate());
        assert!(poll_once(waiter.as_mut()).is_pending());
        let releaser = super::spawn(move || drop(held));
        pool.close();
        releaser.join().unwrap();
        assert!(matches!(
            poll_once(waiter.as_mut()),
            Poll::Ready(Err(PoolError::Closed))
        ));
        drop(waiter);
        assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting), (0, 0));
        assert_eq!(stats.allocations, stats.releases);
    });
}

/// A task blocked in `allocate` on the main thread while one thread releases the object and
/// another closes the pool: it gets the object (handed over before the close) or `Closed`,
/// and either way the object is dropped once and nothing is left lent.
#[test]
fn loom_close_racing_a_hand_over_to_a_blocked_task() {
    super::model(|| {
        let (pool, drops) = counted_pool();
        let held = pool.try_allocate_owned().unwrap();
        let releaser = super::spawn(move || drop(held));
        let closer = {
            let pool = Arc::clone(&pool);
            super::spawn(move || pool.close())
        };
        match loom::future::block_on(pool.allocate()) {
            Ok(guard) => drop(guard),
            Err(err) => assert_eq!(err, PoolError::Closed),
        }
        releaser.join().unwrap();
        closer.join().unwrap();
        assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting), (0, 0));
    });
}

// ---- Issue 14: `allocate_many`, which gathers tickets at the head of the queue. ----

/// Nothing lent or waiting, every permit free, no object dropped.
fn assert_at_rest(pool: &AsyncPool<Dropped>, drops: &AtomicUsize) {
    let stats = pool.stats();
    assert_eq!((stats.in_use, stats.waiting), (0, 0));
    assert_eq!(stats.allocations, stats.releases);
    assert_eq!(pool.available(), stats.capacity);
    assert_eq!(drops.load(AtomicOrdering::SeqCst), 0);
}

/// A pool of two with one object lent; a task blocked in `allocate_many(2)` on the main thread
/// while another thread releases that object. It takes both permits at once (the release came
/// first), or queues up with the free permit and is handed the object: either way it gets
/// both, and both come back.
#[test]
fn loom_allocate_many_gets_them_all_once_the_release_comes() {
    super::model(|| {
        let (pool, drops) = counted_pool_of(2);
        let held = pool.try_allocate_owned().unwrap();
        let releaser = super::spawn(move || drop(held));
        let guards = loom::future::block_on(pool.allocate_many(2)).unwrap();
        assert_eq!(guards.len(), 2);
        drop(guards);
        releaser.join().unwrap();
        assert_at_rest(&pool, &drops);
    });
}

/// A queued `allocate_many(2)` holding the free permit, and an `allocate` behind it; the
/// first one's cancellation races the release of the lent object. Cancelled before the
/// release, it passes its permit to the waiter behind; after it, it had both and passes on
/// both, in order. Either way the waiter behind is served and nothing is lost.
#[test]
fn loom_a_cancelled_allocate_many_passes_on_what_it_gathered() {
    super::model(|| {
        let (pool, drops) = counted_pool_of(2);
        let held = pool.try_allocate_owned().unwrap();
        let mut many = Box::pin(pool.allocate_many(2));
        let mut behind = Box::pin(pool.allocate());
        assert!(poll_once(many.as_mut()).is_pending());
        assert!(poll_once(behind.as_mut()).is_pending());
        let releaser = super::spawn(move || drop(held));
        drop(many); // cancelled, before, during or after the hand-over
        releaser.join().unwrap();
        let Poll::Ready(Ok(guard)) = poll_once(behind.as_mut()) else {
            panic!("the waiter behind was served");
        };
        drop(guard);
        drop(behind);
        assert_at_rest(&pool, &drops);
    });
}

/// A queued `allocate_many(2)` holding the free permit; `close` races the hand-over of the
/// released object that completes it. Whichever comes first, it learns that the pool is
/// closed, the object is dropped once and every permit is back.
#[test]
fn loom_close_racing_the_last_ticket_of_allocate_many() {
    super::model(|| {
        let (pool, drops) = counted_pool_of(2);
        let held = pool.try_allocate_owned().unwrap();
        let mut many = Box::pin(pool.allocate_many(2));
        assert!(poll_once(many.as_mut()).is_pending());
        let releaser = super::spawn(move || drop(held));
        pool.close();
        releaser.join().unwrap();
        assert!(matches!(
            poll_once(many.as_mut()),
            Poll::Ready(Err(PoolError::Closed))
        ));
        drop(many);
        assert_eq!(drops.load(AtomicOrdering::SeqCst), 1);
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting), (0, 0));
        assert_eq!(stats.allocations, stats.releases);
        assert_eq!(pool.available(), 2);
    });
}
