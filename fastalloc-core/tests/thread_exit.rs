//! Guards and pools at every point of a thread's exit (issue 12, bugs 1, 2 and 4), and a reset
//! that closes its own pool (bug 3).
//!
//! The thread-exit cases used to abort the process, so each runs in a child process (this test
//! binary started again with `FASTALLOC_CHILD` naming the case), and the parent checks that the
//! child exited normally and printed what it should. A case that aborts shows up as a failed
//! parent test with the child's stderr, not as a dead test binary.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(clippy::missing_panics_doc)]

mod common;

use std::cell::RefCell;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{Counts, Tracked};
use fastalloc_core::{
    FixedPool, GrowingPool, Growth, OwnedPooled, PoolError, ThreadLocalPool, ThreadSafePool,
};

/// Runs the case `name` in a child process and returns its stderr; panics with the child's
/// output if it did not exit with success. (Miri cannot start processes: there the cases
/// run in the test process itself, see `child::chosen`.)
fn in_child(name: &str) -> Option<String> {
    if cfg!(miri) {
        return None;
    }
    let exe = std::env::current_exe().unwrap();
    let output = Command::new(exe)
        .args([
            "--exact",
            &format!("child::{name}"),
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FASTALLOC_CHILD", name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "child `{name}` failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("1 passed"),
        "child `{name}` did not run:\n{stdout}"
    );
    Some(stderr)
}

#[test]
fn a_late_owned_guard_after_another_thread_local_user_is_taken_back() {
    in_child("late_owned_guard");
}

#[test]
fn every_guard_and_allocation_works_at_any_point_of_thread_exit() {
    in_child("every_point_of_exit");
}

#[test]
fn a_panicking_drop_at_thread_exit_is_reported_not_fatal() {
    if let Some(stderr) = in_child("panicking_drop_at_exit") {
        assert!(
            stderr.contains("at thread exit panicked (boom)"),
            "no report on stderr:\n{stderr}"
        );
    }
}

/// The cases run in child processes; each is a no-op unless `FASTALLOC_CHILD` names it.
mod child {
    use super::*;

    fn chosen(name: &str) -> bool {
        cfg!(miri) || std::env::var("FASTALLOC_CHILD").is_ok_and(|chosen| chosen == name)
    }

    thread_local! {
        static HOLD: RefCell<Option<OwnedPooled<Vec<u8>>>> = const { RefCell::new(None) };
    }

    /// The reproducer of issue 12: on a thread where another library used the `thread_local`
    /// crate before us, a guard kept in a thread-local whose destructor runs late.
    #[test]
    fn late_owned_guard() {
        if !chosen("late_owned_guard") {
            return;
        }
        let pool = Arc::new(ThreadSafePool::<Vec<u8>>::new(4).unwrap());
        let guard = pool.allocate_owned().unwrap();
        std::thread::spawn(move || {
            HOLD.with(|h| drop(h.borrow_mut().take())); // HOLD's destructor registered first
            thread_local::ThreadLocal::<u8>::new().get_or(|| 1); // another user of the crate
            HOLD.with(|h| *h.borrow_mut() = Some(guard));
        })
        .join()
        .unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.releases, stats.idle), (0, 1, 1));
    }

    /// A thread-local whose destructor runs `action` when the thread exits.
    struct AtExit(Option<Box<dyn FnOnce()>>);

    impl Drop for AtExit {
        fn drop(&mut self) {
            if let Some(action) = self.0.take() {
                action();
            }
        }
    }

    thread_local! {
        static BEFORE: RefCell<AtExit> = const { RefCell::new(AtExit(None)) };
        static AFTER: RefCell<AtExit> = const { RefCell::new(AtExit(None)) };
    }

    /// Guards of every kind, released or detached, and allocations of both per-thread pools,
    /// from a thread-local destructor that runs before the pools' own exit work on the thread
    /// (registered after the thread first used them) and from one that runs after it
    /// (registered before). Nothing aborts, nothing is lost: the allocations late in the exit
    /// fail with `ThreadExiting` or are served from the shared pool's depot.
    #[test]
    fn every_point_of_exit() {
        if !chosen("every_point_of_exit") {
            return;
        }
        let counts = Counts::new();
        let c = Arc::clone(&counts);
        let shared = Arc::new(
            ThreadSafePool::builder()
                .capacity(8)
                .factory(move || Tracked::new(&c))
                .reset_with(Tracked::reset)
                .build()
                .unwrap(),
        );
        let c = Arc::clone(&counts);
        let local = Arc::new(
            ThreadLocalPool::builder()
                .capacity(8)
                .factory(move || Tracked::new(&c))
                .reset_with(Tracked::reset)
                .build()
                .unwrap(),
        );
        let outcomes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let late_work = |shared: &Arc<ThreadSafePool<Tracked>>,
                         local: &Arc<ThreadLocalPool<Tracked>>,
                         outcomes: &Arc<std::sync::Mutex<Vec<String>>>,
                         when: &'static str| {
            let (shared, local, outcomes) =
                (Arc::clone(shared), Arc::clone(local), Arc::clone(outcomes));
            let released = shared.allocate_owned().unwrap();
            let detached = shared.allocate_owned().unwrap();
            Box::new(move || {
                drop(released);
                drop(OwnedPooled::detach(detached));
                let owned = shared.allocate_owned().map(drop);
                let borrowed = shared.allocate().map(drop);
                let mine = local.allocate().map(drop);
                outcomes.lock().unwrap().push(format!(
                    "{when}: owned {owned:?}, borrowed {borrowed:?}, local {mine:?}"
                ));
            }) as Box<dyn FnOnce()>
        };
        let (s, l, o) = (
            Arc::clone(&shared),
            Arc::clone(&local),
            Arc::clone(&outcomes),
        );
        std::thread::spawn(move || {
            AFTER.with(|_| ()); // registered before the pools' exit work: runs after it
            let after = late_work(&s, &l, &o, "after");
            AFTER.with(|slot| slot.borrow_mut().0 = Some(after));
            drop(s.allocate().unwrap());
            drop(l.allocate().unwrap()); // the pools' exit work is registered now
            let before = late_work(&s, &l, &o, "before");
            BEFORE.with(|slot| slot.borrow_mut().0 = Some(before)); // runs first
        })
        .join()
        .unwrap();
        let outcomes = outcomes.lock().unwrap().clone();
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert_eq!(
            outcomes[0],
            "before: owned Ok(()), borrowed Ok(()), local Ok(())"
        );
        assert_eq!(
            outcomes[1],
            "after: owned Ok(()), borrowed Ok(()), local Err(ThreadExiting)"
        );
        let stats = shared.stats();
        assert_eq!(stats.in_use, 0, "{stats:?}");
        assert_eq!(stats.detached, 2);
        // The exiting thread's objects went back to the depot: all of them serve this thread.
        let idle = stats.idle;
        let held: Vec<_> = (0..idle).map(|_| shared.allocate().unwrap()).collect();
        assert_eq!(shared.stats().created, stats.created, "none built anew");
        drop(held);
        drop(shared);
        drop(local);
        assert_eq!(
            counts.live(),
            0,
            "every object was dropped once (the detached ones at once)"
        );
    }

    /// An object whose `Drop` panics.
    #[derive(Default)]
    struct Bomb;

    static BOMBS_DROPPED: AtomicUsize = AtomicUsize::new(0);

    impl Drop for Bomb {
        fn drop(&mut self) {
            BOMBS_DROPPED.fetch_add(1, Ordering::SeqCst);
            panic!("boom");
        }
    }

    impl fastalloc_core::Reset for Bomb {
        fn reset(&mut self) {}
    }

    /// A `ThreadLocalPool` drops a thread's idle objects as it exits; a `Drop` that panics
    /// there is caught, reported and counted, and the other objects are dropped too.
    #[test]
    fn panicking_drop_at_exit() {
        if !chosen("panicking_drop_at_exit") {
            return;
        }
        let pool: Arc<ThreadLocalPool<Bomb>> = Arc::new(ThreadLocalPool::new(3).unwrap());
        let p = Arc::clone(&pool);
        // Joined, not scoped: a scope can end before its threads' thread-locals are destroyed.
        std::thread::spawn(move || {
            let held: Vec<_> = (0..3).map(|_| p.allocate().unwrap()).collect();
            drop(held); // three idle objects in this thread's part
        })
        .join()
        .unwrap();
        assert_eq!(BOMBS_DROPPED.load(Ordering::SeqCst), 3);
        let stats = pool.stats();
        assert_eq!((stats.discarded, stats.idle, stats.in_use), (3, 0, 0));
    }
}

/// Issue 12, bug 4: a thread that drops an object and exits gives it back for the others.
#[test]
fn objects_released_by_an_exited_thread_serve_the_others() {
    let counts = Counts::new();
    let c = Arc::clone(&counts);
    let pool = Arc::new(
        ThreadSafePool::builder()
            .capacity(4)
            .factory(move || Tracked::new(&c))
            .reset_with(Tracked::reset)
            .build()
            .unwrap(),
    );
    let rounds = if cfg!(miri) { 20 } else { 2_000 };
    for _ in 0..rounds {
        let guard = pool.allocate_owned().unwrap();
        std::thread::spawn(move || drop(guard)).join().unwrap();
    }
    assert_eq!(counts.created(), 1, "a working set of one needs one object");
    assert_eq!(pool.stats().idle, 1);
}

thread_local! {
    /// What a closing reset calls: closes the pool under test (through a `Weak`, so that the
    /// pool can still be dropped). A thread-local, since single-threaded pools are not `Sync`
    /// and a reset closure must be.
    static CLOSE_MY_POOL: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// A reset that closes its own pool once the object's value is 1, and clears the value.
fn closing_reset(tracked: &mut Tracked) {
    if tracked.value == 1 {
        CLOSE_MY_POOL.with(|close| (close.borrow().as_ref().unwrap())());
    }
    tracked.value = 0;
}

/// One reset-closes-its-pool case: `pool` resets with [`closing_reset`]; `allocate` lends a
/// guard (the case writes 1 into it and drops it).
fn closing_reset_case<P: 'static>(
    pool: P,
    close: fn(&P),
    allocate: impl for<'p> Fn(&'p P) -> Box<dyn std::ops::DerefMut<Target = Tracked> + 'p>,
    idle: fn(&P) -> usize,
    counts: &Counts,
) {
    let pool = std::rc::Rc::new(pool);
    let me = std::rc::Rc::downgrade(&pool);
    CLOSE_MY_POOL.with(|slot| {
        *slot.borrow_mut() = Some(Box::new(move || close(&me.upgrade().unwrap())));
    });
    drop(allocate(&pool)); // a first round trip: the slow paths, a per-thread part made
    let mut guard = allocate(&pool); // the fast paths
    guard.value = 1;
    drop(guard);
    assert_eq!(idle(&pool), 0, "a closed pool keeps nothing");
    assert_eq!(
        counts.live(),
        0,
        "the object came back to a closed pool and was dropped"
    );
}

/// Issue 12, bug 3: a reset that closes its own pool; the object is dropped, not kept idle.
#[test]
fn a_reset_that_closes_its_pool_drops_the_object() {
    /// One case per pool type: `$pool::builder()` with the settings `$($setting)*`, objects that
    /// count themselves, and the closing reset; `$idle` reads the idle count.
    macro_rules! case {
        ($pool:ident $(.$setting:ident($value:expr))*, idle: $idle:expr) => {{
            let counts = Counts::new();
            let c = Arc::clone(&counts);
            let pool = $pool::builder()
                $(.$setting($value))*
                .factory(move || Tracked::new(&c))
                .reset_with(closing_reset)
                .build()
                .unwrap();
            closing_reset_case(
                pool,
                $pool::close,
                |p| Box::new(p.allocate().unwrap()),
                $idle,
                &counts,
            );
        }};
    }
    case!(FixedPool.capacity(2), idle: FixedPool::idle);
    case!(
        GrowingPool.capacity(1).growth(Growth::Linear(1)).max_capacity(4),
        idle: GrowingPool::idle
    );
    case!(ThreadLocalPool.capacity(2), idle: |p| p.stats().idle);
    case!(ThreadSafePool.capacity(2), idle: ThreadSafePool::idle);
    assert_eq!(
        FixedPool::<u8>::new(1).map(|p| {
            p.close();
            p.allocate().map(drop)
        }),
        Ok(Err(PoolError::Closed))
    );
}
