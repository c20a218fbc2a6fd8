//! Loom models of `ThreadLocalPool` and of the per-thread machinery under it (`per_thread`:
//! thread numbers, the table of parts, exit hooks): every interleaving (up to two preemptions)
//! of close against a thread on the fast path, parts made by racing threads while another
//! reads the statistics, a part handed to a new thread after its owner exited, slots parked by
//! late guards while the owner allocates, and a lazy pool's first use.
//!
//! Under loom, `thread_local!` is loom's: each simulated thread has its own, and thread exit
//! (exit flag, hooks, number freed) is modelled too: it runs at the end of each simulated
//! thread's closure (`tests::spawn`), as part of the interleavings.

use std::sync::atomic::{AtomicBool as StdBool, AtomicUsize as StdUsize, Ordering as Std};
use std::sync::Arc;

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

use crate::{PoolError, ThreadLocalPool};

/// Counts objects built and dropped across a model run (plain std atomics: loom runs every
/// simulated thread on one OS thread, and these are not the code under test).
#[derive(Default)]
struct Tally {
    created: StdUsize,
    drops: StdUsize,
}

struct Obj {
    held: StdBool,
    tally: Arc<Tally>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        assert!(!self.held.load(Std::SeqCst), "dropped while lent");
        self.tally.drops.fetch_add(1, Std::SeqCst);
    }
}

fn pool(capacity: usize) -> (ThreadLocalPool<Obj>, Arc<Tally>) {
    let tally = Arc::new(Tally::default());
    let t = Arc::clone(&tally);
    let pool = ThreadLocalPool::builder()
        .capacity(capacity)
        .factory(move || {
            t.created.fetch_add(1, Std::SeqCst);
            Obj {
                held: StdBool::new(false),
                tally: Arc::clone(&t),
            }
        })
        .reset_with(|obj: &mut Obj| assert!(!obj.held.load(Std::SeqCst)))
        .build()
        .unwrap();
    (pool, tally)
}

/// Lends an object, marks it held (an object lent twice fails the model), and gives it back.
fn use_once(pool: &ThreadLocalPool<Obj>) -> Result<(), PoolError> {
    let guard = pool.allocate()?;
    assert!(!guard.held.swap(true, Std::SeqCst), "one object lent twice");
    guard.held.store(false, Std::SeqCst);
    Ok(())
}

/// Every object built is dropped exactly once when the pool goes (the threads' parts
/// included). A thread whose exit hooks are still running when the pool is dropped holds the
/// pool's shared part for a moment and drops what is left itself (loom's `join`, like a
/// scope's end, does not wait for thread-local destructors), so this waits for that.
fn all_dropped(pool: Arc<ThreadLocalPool<Obj>>, tally: &Tally) {
    drop(pool);
    while tally.drops.load(Std::SeqCst) != tally.created.load(Std::SeqCst) {
        assert!(tally.drops.load(Std::SeqCst) < tally.created.load(Std::SeqCst));
        thread::yield_now();
    }
}

/// `close` against a thread whose part is on the fast path (the part is recorded, its attention
/// byte clear): once `close` has returned, that thread's next allocation fails, and its guard
/// still out is dropped when it comes back, not kept. The `SeqCst` fences of `close` and of a
/// part's creation make one of the two see the other.
#[test]
fn loom_close_reaches_a_thread_on_the_fast_path() {
    super::model(|| {
        let (pool, tally) = pool(2);
        let pool = Arc::new(pool);
        let closed = Arc::new(AtomicBool::new(false));
        let (p, c) = (Arc::clone(&pool), Arc::clone(&closed));
        let t = super::spawn(move || {
            let first = use_once(&p); // makes the part (or finds the pool closed)
            let seen_closed = c.load(Ordering::SeqCst);
            let second = use_once(&p); // the fast path, if the part is recorded
            if seen_closed {
                assert_eq!(
                    second,
                    Err(PoolError::Closed),
                    "allocated after close returned"
                );
            }
            assert!(matches!(first, Ok(()) | Err(PoolError::Closed)));
            assert!(matches!(second, Ok(()) | Err(PoolError::Closed)));
        });
        pool.close();
        closed.store(true, Ordering::SeqCst);
        assert!(matches!(pool.allocate(), Err(PoolError::Closed)));
        t.join().unwrap();
        all_dropped(pool, &tally);
    });
}

/// Three threads make their parts at once (two of them race to install the same bucket of
/// the table) while one of them reads the statistics, which walk every part.
#[test]
fn loom_parts_made_at_once_while_stats_walk_them() {
    super::model(|| {
        let (pool, tally) = pool(1);
        let pool = Arc::new(pool);
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let p = Arc::clone(&pool);
                super::spawn(move || use_once(&p).unwrap())
            })
            .collect();
        use_once(&pool).unwrap();
        let stats = pool.stats();
        assert!((1..=3).contains(&stats.allocations), "{stats:?}");
        assert!(
            stats.in_use <= 2,
            "only the other two threads may hold one: {stats:?}"
        );
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(pool.stats().allocations, 3);
        all_dropped(pool, &tally);
    });
}

/// A thread uses the pool and exits; its exit hook drops its idle object and frees its
/// number, which a second thread may then get, inheriting the part (or not yet: loom's `join`
/// does not wait for the exit hooks, so the second thread may get a new number). Either way
/// the second thread's object is its own, and nothing is dropped twice or lost.
#[test]
fn loom_a_part_goes_to_a_new_thread_after_its_owner_exits() {
    super::model(|| {
        let (pool, tally) = pool(1);
        let pool = Arc::new(pool);
        let p = Arc::clone(&pool);
        super::spawn(move || use_once(&p).unwrap()).join().unwrap();
        let p = Arc::clone(&pool);
        let second = super::spawn(move || {
            use_once(&p).unwrap();
            use_once(&p).unwrap();
        });
        second.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.allocations, 3);
        assert!(stats.created <= 3);
        all_dropped(pool, &tally);
    });
}

/// Guards returned on an exiting thread park their empty slots in the owner's part (from any
/// thread, under the part's lock) while the owner keeps allocating and takes them back; no
/// slot is lost or counted twice.
#[test]
fn loom_late_slots_parked_while_the_owner_allocates() {
    /// A slot moved to another thread to be parked (as an exiting thread would).
    struct Parked(crate::slab::Slot<Obj>);
    // SAFETY: the model hands the slot's loan over to the other thread, which gives it back
    // once; the object inside is only dropped there.
    unsafe impl Send for Parked {}

    super::model(|| {
        let (pool, tally) = pool(2);
        let pool = Arc::new(pool);
        let part: *const super::super::pool::thread_local::PerThread<Obj> =
            pool.local_slow().unwrap();
        // SAFETY: the part lives as long as the pool, which outlives the spawned thread
        // (joined below, before the pool is dropped).
        let slot = Parked(unsafe { (*part).allocate_for_test() });
        let part_addr = part as usize;
        let t = super::spawn(move || {
            let part = part_addr as *const super::super::pool::thread_local::PerThread<Obj>;
            let slot = slot;
            // SAFETY: the slot was lent by this part and is handed back once, as a guard
            // dropped on an exiting thread does.
            unsafe { (*part).release_late(slot.0, false) };
        });
        // The owner allocates meanwhile: each allocation may take the parked slot back.
        use_once(&pool).unwrap();
        t.join().unwrap();
        use_once(&pool).unwrap();
        use_once(&pool).unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.discarded), (0, 1), "{stats:?}");
        assert_eq!(pool.available(), 2, "every slot is free again");
        all_dropped(pool, &tally);
    });
}

/// Two threads race to use a lazy pool (what `#[pooled]` puts in a `static`) for the first
/// time: it is built once, and both get their objects.
#[test]
fn loom_a_lazy_pool_is_built_once() {
    use loom::sync::atomic::AtomicUsize;
    loom::lazy_static! {
        static ref BUILDS: AtomicUsize = AtomicUsize::new(0);
    }
    fn build() -> ThreadLocalPool<Vec<u8>> {
        BUILDS.fetch_add(1, Ordering::SeqCst);
        ThreadLocalPool::new(1).unwrap()
    }
    super::model(|| {
        let pool = Arc::new(ThreadLocalPool::lazy(build));
        let p = Arc::clone(&pool);
        let t = super::spawn(move || drop(p.allocate().unwrap()));
        drop(pool.allocate().unwrap());
        t.join().unwrap();
        assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
        assert_eq!(pool.stats().allocations, 2);
    });
}
