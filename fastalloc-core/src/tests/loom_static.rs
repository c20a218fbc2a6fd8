//! Loom models of `StaticPool`'s lock-free free list. The objects hold a loom `UnsafeCell`
//! that the reset and the holder write, so an object lent to two threads at once, or handed
//! out before its reset is visible, is a race loom reports; the counts check that no slot is
//! lost.

use std::sync::Arc;

use crate::sync::UnsafeCell;
use crate::{Pooled, Reset, StaticPool};

struct Object {
    value: UnsafeCell<usize>,
}

impl Object {
    fn build() -> Self {
        Self {
            value: UnsafeCell::new(0),
        }
    }

    /// Writes `value` (the holder's mark) after checking the object came back reset.
    fn mark(&mut self, value: usize) {
        // SAFETY: `&mut self`: this thread holds the object (loom checks that no other
        // thread's access is unordered with this one).
        self.value.with_mut(|v| unsafe {
            assert_eq!(*v, 0, "an object handed out without its reset");
            *v = value;
        });
    }
}

impl Reset for Object {
    fn reset(&mut self) {
        // SAFETY: as in `mark`.
        self.value.with_mut(|v| unsafe { *v = 0 });
    }
}

/// Two threads allocate, mark and release on a pool of one object: each gets it or
/// `Exhausted`, never both at once, and the object is built once.
#[test]
fn loom_two_threads_one_object() {
    super::model(|| {
        let pool: Arc<StaticPool<Object, 1>> = Arc::new(StaticPool::with_factory(Object::build));
        let other = Arc::clone(&pool);
        let thread = super::spawn(move || {
            if let Ok(mut object) = other.allocate() {
                object.mark(1);
            }
        });
        if let Ok(mut object) = pool.allocate() {
            object.mark(2);
        }
        thread.join().unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.idle, stats.created), (0, 1, 1));
        assert_eq!(stats.allocations + stats.exhausted, 2);
        assert_eq!(stats.releases, stats.allocations);
    });
}

/// The ABA case: thread A starts to pop the top slot `x`, reading `y` below it, while thread B
/// takes `x`, `y` and the fresh `z`, gives back `z` and then `x`, and keeps `y`. The list is
/// then `x` over `z`, as long as before: only the tag tells A's swap that it changed. Without
/// the tag the swap succeeds and puts the lent `y` on top, lending it twice (a race on its
/// cell, or a mark on an object not reset). With it, A retries.
#[test]
fn loom_aba_on_the_free_list() {
    super::model(|| {
        // Room for a fourth, so that B's three allocations succeed while A holds one.
        let pool: Arc<StaticPool<Object, 4>> = Arc::new(StaticPool::with_factory(Object::build));
        // Free list: x on top of y; z is fresh.
        {
            let y = pool.allocate().unwrap();
            let x = pool.allocate().unwrap();
            drop(y);
            drop(x);
        }
        let other = Arc::clone(&pool);
        let b = super::spawn(move || {
            let x = other.allocate().unwrap();
            let mut y = other.allocate().unwrap();
            let z = other.allocate().unwrap();
            drop(z);
            drop(x);
            // `y` stays lent, and marked, until here, while A may pop.
            y.mark(1);
            drop(y);
        });
        if let Ok(mut a) = pool.allocate() {
            a.mark(2);
        }
        b.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.idle, stats.created as usize);
        assert!(stats.created <= 4);
        // A list gone wrong (a lent slot put on top) would now lend a slot twice, or lose one.
        let mut all: Vec<_> = (0..4).map(|_| pool.allocate().unwrap()).collect();
        for (mark, object) in all.iter_mut().enumerate() {
            object.mark(mark + 1);
        }
        assert!(pool.allocate().is_err());
    });
}

/// A release and a detach race an allocation: the detached slot goes back vacant and is
/// built into again; nothing is lost.
#[test]
fn loom_detach_against_allocate() {
    super::model(|| {
        let pool: Arc<StaticPool<Object, 2>> = Arc::new(StaticPool::with_factory(Object::build));
        let first = pool.allocate().unwrap();
        drop(pool.allocate().unwrap());
        let other = Arc::clone(&pool);
        let thread = super::spawn(move || {
            let mut a = other.allocate().unwrap();
            a.mark(1);
            let mut b = other.allocate();
            if let Ok(b) = b.as_mut() {
                b.mark(1);
            }
        });
        drop(Pooled::detach(first));
        thread.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.detached, 1);
        assert_eq!(stats.allocations, stats.releases + stats.detached);
    });
}

/// `close` racing a release: every object is dropped by one side or the other, once.
#[test]
fn loom_close_against_release() {
    super::model(|| {
        let pool: Arc<StaticPool<Object, 2>> = Arc::new(StaticPool::with_factory(Object::build));
        let lent = pool.allocate().unwrap();
        drop(pool.allocate().unwrap());
        let other = Arc::clone(&pool);
        let thread = super::spawn(move || other.close());
        drop(lent);
        thread.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert!(pool.allocate().is_err());
    });
}
