//! Loom models of `AsyncPool`'s wake-up and cancellation paths. Under `cfg(loom)` tokio's
//! semaphore is built on loom's primitives too, so loom explores its interleavings with ours.

use std::future::Future;
use std::pin::pin;
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
