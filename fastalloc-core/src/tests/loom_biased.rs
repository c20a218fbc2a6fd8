//! Loom models of `BiasedLock` alone: the owner's sections (plain stores and a light barrier)
//! against visitors (a heavy barrier), with the barriers modelled as `SeqCst` fences (see
//! `sync/mocked.rs`). The data is a loom `UnsafeCell`, so loom reports any access of the two
//! sides that is not ordered by the lock.

use std::sync::Arc;

use crate::sync::{BiasedLock, UnsafeCell};

struct Guarded {
    lock: BiasedLock,
    value: UnsafeCell<usize>,
}

// SAFETY: `value` is only touched under `lock` (that is what the models check).
unsafe impl Sync for Guarded {}

impl Guarded {
    fn new() -> Self {
        Self {
            lock: BiasedLock::new(false),
            value: UnsafeCell::new(0),
        }
    }

    /// Adds one as the owner.
    ///
    /// # Safety
    ///
    /// Only the owner thread calls it.
    unsafe fn owner_add(&self) {
        // SAFETY: the caller is the owner; `with_owner` excludes the visitors.
        unsafe { self.lock.with_owner(|| self.value.with_mut(|v| *v += 1)) };
    }

    /// Takes the value as a visitor, leaving 0 (a thief emptying a cache).
    fn visit_take(&self) -> usize {
        let request = self.lock.request();
        crate::sync::barrier::heavy(false);
        let _visit = request.admit();
        // SAFETY: the visit excludes the owner and the other visitors.
        self.value.with_mut(|v| unsafe { std::mem::take(&mut *v) })
    }
}

/// The owner adds twice while a visitor empties the value at any point: nothing is lost or
/// counted twice, and loom finds no unordered access.
#[test]
fn loom_owner_against_a_visitor() {
    super::model(|| {
        let guarded = Arc::new(Guarded::new());
        let other = Arc::clone(&guarded);
        let visitor = super::spawn(move || other.visit_take());
        // SAFETY: this thread is the lock's only owner.
        unsafe {
            guarded.owner_add();
            guarded.owner_add();
        }
        let taken = visitor.join().unwrap();
        assert_eq!(taken + guarded.visit_take(), 2);
    });
}

/// Two visitors and the owner at once.
#[test]
fn loom_owner_against_two_visitors() {
    super::model(|| {
        let guarded = Arc::new(Guarded::new());
        let visitors: Vec<_> = (0..2)
            .map(|_| {
                let other = Arc::clone(&guarded);
                super::spawn(move || other.visit_take())
            })
            .collect();
        // SAFETY: this thread is the lock's only owner.
        unsafe { guarded.owner_add() };
        let taken: usize = visitors.into_iter().map(|v| v.join().unwrap()).sum();
        assert_eq!(taken + guarded.visit_take(), 1);
    });
}

/// A shared lock (no owner): two threads use `with_owner` at once, both on the slow path.
#[test]
fn loom_shared_lock_excludes_its_users() {
    super::model(|| {
        let guarded = Arc::new(Guarded {
            lock: BiasedLock::shared(),
            value: UnsafeCell::new(0),
        });
        let other = Arc::clone(&guarded);
        // SAFETY: a shared lock may be used by any thread as its owner.
        let t = super::spawn(move || unsafe { other.owner_add() });
        // SAFETY: as above.
        unsafe { guarded.owner_add() };
        t.join().unwrap();
        assert_eq!(guarded.visit_take(), 2);
    });
}
