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

/// The ABA case, with the schedule forced: thread A reads the head (`x` over `y`) and `x`'s
/// link, and stops;
/// thread B takes `x`, `y` and a fresh `z`, gives back `z` and `x`, and keeps `y`; then A
/// finishes its pop from the head it read. The list is `x` over `z`, as long as before: only
/// the tag tells A's swap that it changed, so A must retry and take `x`, never the lent `y`.
/// (Loom checks the orderings of every step; a pop that ignored the tag fails here. Left to
/// loom's own schedules, the window between A's read and its swap was not reached within the
/// preemption bound, hence the handshake.)
#[test]
fn loom_aba_on_the_free_list() {
    use crate::sync::{AtomicUsize, Ordering};

    super::model(|| {
        // Room for a fourth, so that B's three allocations succeed.
        let pool: Arc<StaticPool<Object, 4>> = Arc::new(StaticPool::with_factory(Object::build));
        let step = Arc::new(AtomicUsize::new(0));
        // Free list: x on top of y; z is fresh.
        let (x_at, y_at) = {
            let y = pool.allocate().unwrap();
            let x = pool.allocate().unwrap();
            let at = (pool.index_of(&x), pool.index_of(&y));
            drop(y);
            drop(x);
            at
        };
        let (other, other_step) = (Arc::clone(&pool), Arc::clone(&step));
        let b = super::spawn(move || {
            while other_step.load(Ordering::Acquire) != 1 {
                loom::thread::yield_now();
            }
            let x = other.allocate().unwrap();
            let mut y = other.allocate().unwrap();
            let z = other.allocate().unwrap();
            drop(z);
            drop(x);
            other_step.store(2, Ordering::Release);
            while other_step.load(Ordering::Acquire) != 3 {
                loom::thread::yield_now();
            }
            y.mark(1);
            drop(y);
        });
        // A: the first half of a pop (the head and `x`'s link, `y`)...
        let head = pool.head_word();
        let first_half = pool.pop_step(head).unwrap();
        step.store(1, Ordering::Release);
        while step.load(Ordering::Acquire) != 2 {
            loom::thread::yield_now();
        }
        // ... and the second, after B's changes.
        let popped = pool.finish_idle_pop(head, first_half).unwrap();
        assert_eq!(popped, x_at, "A takes x, on top again");
        assert_ne!(popped, y_at, "never the lent y");
        step.store(3, Ordering::Release);
        b.join().unwrap();
        // A's object goes back as a release would (it is idle and reset).
        let stats = pool.stats();
        assert_eq!(stats.in_use, 1);
        let mut all: Vec<_> = (0..3).map(|_| pool.allocate().unwrap()).collect();
        for (mark, object) in all.iter_mut().enumerate() {
            object.mark(mark + 1);
            assert_ne!(pool.index_of(object), popped);
        }
        assert!(pool.allocate().is_err(), "three lent and A's: all four");
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
        let _detached: Object = Pooled::detach(first);
        thread.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.detached, 1);
        assert_eq!(stats.allocations, stats.releases + stats.detached);
    });
}

/// `close` racing a release: every object is dropped by one side or the other, once, and
/// none stays idle in the closed pool (the release's push sees `CLOSED` in the same word it
/// swaps; with a separate flag, a release that read it just before `close` left its object
/// idle for good).
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
        assert_eq!((stats.in_use, stats.idle), (0, 0));
        assert_eq!(stats.discarded, 2);
        assert!(pool.allocate().is_err());
    });
}
