//! Loom models of `ThreadSafePool`: every interleaving (up to two preemptions) of allocate,
//! release, growth, stealing from another thread's cache, owned guards dropped on other
//! threads, and close.
//!
//! Each object carries a flag its holder sets and clears, so an object lent twice fails the
//! model, and a drop counter checks that every object is dropped exactly once.

use std::sync::atomic::{AtomicBool as StdBool, AtomicUsize as StdUsize, Ordering as Std};

use std::sync::Arc;

use crate::{Growth, PoolError, ThreadSafePool};

/// Counts drops across a model run (loom runs every thread on one OS thread, so plain std
/// atomics are exact here; they are not part of what loom checks). The pool is shared through
/// a std `Arc` too: its reference count is not the code under test.
struct Tally {
    drops: StdUsize,
    created: StdUsize,
}

struct Obj {
    held: StdBool,
    tally: std::sync::Arc<Tally>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        assert!(!self.held.load(Std::SeqCst), "dropped while lent");
        self.tally.drops.fetch_add(1, Std::SeqCst);
    }
}

fn hold(obj: &Obj) {
    assert!(
        !obj.held.swap(true, Std::SeqCst),
        "one object lent to two guards"
    );
}

fn unhold(obj: &Obj) {
    obj.held.store(false, Std::SeqCst);
}

fn pool(capacity: usize, max: Option<usize>) -> (ThreadSafePool<Obj>, std::sync::Arc<Tally>) {
    let tally = std::sync::Arc::new(Tally {
        drops: StdUsize::new(0),
        created: StdUsize::new(0),
    });
    let t = std::sync::Arc::clone(&tally);
    let mut builder = ThreadSafePool::builder().capacity(capacity);
    if let Some(max) = max {
        builder = builder.growth(Growth::Linear(1)).max_capacity(max);
    }
    let pool = builder
        .factory(move || {
            t.created.fetch_add(1, Std::SeqCst);
            Obj {
                held: StdBool::new(false),
                tally: std::sync::Arc::clone(&t),
            }
        })
        .reset_with(|obj: &mut Obj| assert!(!obj.held.load(Std::SeqCst)))
        .build()
        .unwrap();
    (pool, tally)
}

fn use_once(pool: &ThreadSafePool<Obj>) -> Result<(), PoolError> {
    let guard = pool.allocate()?;
    hold(&guard);
    unhold(&guard);
    Ok(())
}

/// Uses `pool` once on this thread and runs `visit` here while another thread uses it twice
/// (through its own cache), at every interleaving; returns once that thread has exited.
fn while_an_owner_works(pool: &Arc<ThreadSafePool<Obj>>, visit: impl FnOnce()) {
    let other = Arc::clone(pool);
    let owner = super::spawn(move || {
        for _ in 0..2 {
            let _ = use_once(&other);
        }
    });
    let _ = use_once(pool);
    visit();
    owner.join().unwrap();
}

#[test]
fn loom_two_threads_share_one_object() {
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        let other = Arc::clone(&pool);
        let t = super::spawn(move || use_once(&other));
        let mine = use_once(&pool);
        let theirs = t.join().unwrap();
        assert!(
            mine.is_ok() || theirs.is_ok(),
            "at least one thread got the object"
        );
        for result in [mine, theirs] {
            assert!(matches!(
                result,
                Ok(()) | Err(PoolError::Exhausted { capacity: 1 })
            ));
        }
        // Both threads are done: the object is idle in some cache, and any thread can have it.
        use_once(&pool).expect("the idle object is found in another thread's cache");
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.idle, stats.created), (0, 1, 1));
        drop(pool);
        assert_eq!(tally.drops.load(Std::SeqCst), 1);
    });
}

#[test]
fn loom_growth_under_contention() {
    super::model(|| {
        let (pool, tally) = pool(1, Some(2));
        let pool = Arc::new(pool);
        let other = Arc::clone(&pool);
        let t = super::spawn(move || {
            let guard = other.allocate().unwrap();
            hold(&guard);
            unhold(&guard);
        });
        let guard = pool.allocate().unwrap();
        hold(&guard);
        unhold(&guard);
        drop(guard);
        t.join().unwrap();
        let stats = pool.stats();
        assert!(stats.capacity <= 2);
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.created, tally.created.load(Std::SeqCst) as u64);
        drop(pool);
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

#[test]
fn loom_owned_guard_returned_on_another_thread() {
    super::model(|| {
        let (pool, tally) = pool(2, None);
        let pool = Arc::new(pool);
        let guard = pool.allocate_owned().unwrap();
        hold(&guard);
        let t = super::spawn(move || {
            unhold(&guard);
            drop(guard);
        });
        use_once(&pool).unwrap();
        t.join().unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.releases), (0, 2));
        drop(pool);
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

#[test]
fn loom_close_while_another_thread_returns() {
    super::model(|| {
        let (pool, tally) = pool(2, None);
        let pool = Arc::new(pool);
        let guard = pool.allocate_owned().unwrap();
        use_once(&pool).unwrap(); // one idle object in this thread's cache
        let t = super::spawn(move || drop(guard));
        pool.close();
        t.join().unwrap();
        assert!(matches!(pool.allocate(), Err(PoolError::Closed)));
        drop(pool);
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

#[test]
fn loom_cache_overflow_moves_a_batch_to_the_depot() {
    super::model(|| {
        // Capacity 16 gives a batch of 2 and caches of 4, so returning 5 objects spills.
        let (pool, tally) = pool(16, None);
        let pool = Arc::new(pool);
        let guards: Vec<_> = (0..5).map(|_| pool.allocate_owned().unwrap()).collect();
        let other = Arc::clone(&pool);
        let t = super::spawn(move || {
            let _mine = other.allocate().unwrap();
        });
        drop(guards);
        t.join().unwrap();
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.idle as u64, stats.created);
        drop(pool);
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

#[test]
fn loom_detach_racing_an_allocation_keeps_the_counts() {
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        let guard = pool.allocate_owned().unwrap();
        let detacher = super::spawn(move || drop(crate::OwnedPooled::detach(guard)));
        let other = use_once(&pool);
        detacher.join().unwrap();
        let stats = pool.stats();
        assert!(stats.in_use <= stats.capacity);
        assert_eq!(stats.in_use, 0);
        assert_eq!(stats.detached, 1);
        assert_eq!(stats.allocations, stats.releases + stats.detached);
        assert!(matches!(
            other,
            Ok(()) | Err(PoolError::Exhausted { capacity: 1 })
        ));
        drop(pool);
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

/// A thread exits (its exit hook moves its cache into the depot) while the pool is dropped,
/// by this thread or by that one, whichever lets go last: the hook finds the pool alive and
/// flushes, or finds it dropping (`dead`, under the depot lock) and leaves the caches alone.
/// Every object is dropped exactly once, by the pool's drop. (The pool is in a loom `Arc`
/// here, so that loom sees the reference count order the two drops.)
#[test]
fn loom_an_exiting_thread_flushes_its_cache_while_the_pool_drops() {
    super::model(|| {
        let (pool, tally) = pool(2, None);
        let pool = loom::sync::Arc::new(pool);
        let other = loom::sync::Arc::clone(&pool);
        let t = super::spawn(move || {
            use_once(&other).unwrap(); // one idle object in this thread's cache
            drop(other);
        });
        use_once(&pool).unwrap();
        drop(pool);
        t.join().unwrap();
        assert_eq!(
            tally.drops.load(Std::SeqCst),
            tally.created.load(Std::SeqCst)
        );
    });
}

/// Objects released by a thread that then exits serve the others: the next allocation here
/// reuses the object instead of building a second one (issue 12, bug 4).
#[test]
fn loom_an_exited_threads_objects_serve_the_others() {
    super::model(|| {
        let (pool, tally) = pool(2, None);
        let pool = Arc::new(pool);
        let guard = pool.allocate_owned().unwrap();
        super::spawn(move || drop(guard)).join().unwrap();
        use_once(&pool).unwrap();
        assert_eq!(tally.created.load(Std::SeqCst), 1, "reused, not built anew");
        drop(pool);
        assert_eq!(tally.drops.load(Std::SeqCst), 1);
    });
}

/// The owner of a cache is parked between two operations (it released its object into its
/// cache and now waits for something that only the other thread can give): the other thread
/// must still get that object, from the parked thread's cache (issue 16: the owner's fast
/// path takes no lock, so the visitor's side of the handshake alone must make this safe).
#[test]
fn loom_a_parked_owners_cache_is_emptied_by_another_thread() {
    use loom::sync::atomic::{AtomicBool, Ordering};
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        let parked = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (other, p, d) = (Arc::clone(&pool), Arc::clone(&parked), Arc::clone(&done));
        let owner = super::spawn(move || {
            use_once(&other).unwrap();
            p.store(true, Ordering::Release);
            while !d.load(Ordering::Acquire) {
                loom::thread::yield_now();
            }
            // Its cache was emptied meanwhile: the object comes back from the depot.
            use_once(&other).unwrap();
        });
        while !parked.load(Ordering::Acquire) {
            loom::thread::yield_now();
        }
        use_once(&pool).expect("the parked thread's idle object is taken from its cache");
        done.store(true, Ordering::Release);
        owner.join().unwrap();
        assert_eq!(tally.created.load(Std::SeqCst), 1);
        drop(pool);
        assert_eq!(tally.drops.load(Std::SeqCst), 1);
    });
}

/// A thread empties another thread's cache (the pool is exhausted) while that thread is in the
/// middle of its own operations, at every point between and inside them: the object is never
/// lent twice, never lost, and `stats` (which visits every cache) and `close` (which empties
/// them) race the owner too.
#[test]
fn loom_visits_race_the_owners_operations() {
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        while_an_owner_works(&pool, || {
            let stats = pool.stats();
            assert!(stats.in_use <= 1 && stats.idle <= 1, "{stats:?}");
            pool.close();
        });
        assert_eq!(pool.stats().in_use, 0);
        assert_eq!(
            tally.created.load(Std::SeqCst),
            tally.drops.load(Std::SeqCst)
        );
    });
}

/// A pool whose caches fence on every operation (`membarrier(false)`: the fallback path)
/// behaves the same when a thread steals from another's cache.
#[test]
fn loom_fenced_caches_share_one_object() {
    super::model(|| {
        let tally = std::sync::Arc::new(Tally {
            drops: StdUsize::new(0),
            created: StdUsize::new(0),
        });
        let t = std::sync::Arc::clone(&tally);
        let pool = ThreadSafePool::builder()
            .capacity(1)
            .membarrier(false)
            .factory(move || {
                t.created.fetch_add(1, Std::SeqCst);
                Obj {
                    held: StdBool::new(false),
                    tally: std::sync::Arc::clone(&t),
                }
            })
            .reset_with(|obj: &mut Obj| assert!(!obj.held.load(Std::SeqCst)))
            .build()
            .unwrap();
        let pool = Arc::new(pool);
        let other = Arc::clone(&pool);
        let t = super::spawn(move || use_once(&other));
        let mine = use_once(&pool);
        let theirs = t.join().unwrap();
        assert!(mine.is_ok() || theirs.is_ok());
        use_once(&pool).expect("the idle object is found in another thread's cache");
        drop(pool);
        assert_eq!(tally.drops.load(Std::SeqCst), 1);
    });
}

/// `trim` (which empties every cache into the depot and drops idle objects) and `trim_unused`
/// race a thread using its own cache: no object is lent twice or dropped while lent, and each
/// is dropped exactly once.
#[test]
fn loom_trim_races_a_cache_owner() {
    super::model(|| {
        let (pool, tally) = pool(2, None);
        let pool = Arc::new(pool);
        let (mut first, mut second) = (0, 0);
        while_an_owner_works(&pool, || {
            first = pool.trim(0);
            second = pool.trim_unused();
        });
        let stats = pool.stats();
        assert_eq!(stats.in_use, 0, "{stats:?}");
        assert_eq!(stats.trimmed as usize, first + second);
        assert_eq!(
            tally.created.load(Std::SeqCst) - tally.drops.load(Std::SeqCst),
            stats.idle,
            "{stats:?}"
        );
        pool.trim(0);
        assert_eq!(
            tally.created.load(Std::SeqCst),
            tally.drops.load(Std::SeqCst)
        );
    });
}

/// A trim that gives back a chunk races an allocation that grows the pool again: the slot
/// numbers of the chunk given back are reused without lending one object twice.
#[test]
fn loom_trim_gives_back_a_chunk_while_another_thread_grows() {
    super::model(|| {
        let (pool, tally) = pool(1, Some(3));
        let pool = Arc::new(pool);
        {
            // Grow to 2 chunks, then leave both objects idle.
            let a = pool.allocate().unwrap();
            let b = pool.allocate().unwrap();
            drop((a, b));
        }
        let other = Arc::clone(&pool);
        let grower = super::spawn(move || {
            let a = other.allocate().unwrap();
            hold(&a);
            let b = other.allocate().unwrap();
            hold(&b);
            unhold(&a);
            unhold(&b);
        });
        pool.trim(0);
        grower.join().unwrap();
        assert_eq!(pool.stats().in_use, 0);
        pool.trim(0);
        assert_eq!(pool.capacity(), 1);
        assert_eq!(
            tally.created.load(Std::SeqCst),
            tally.drops.load(Std::SeqCst)
        );
    });
}

/// A thread waits in `allocate_timeout` for the one object while another thread returns it:
/// whether the release comes before the wait begins (the object is then in a cache, gathered
/// when the caches are marked) or after (handed over), the waiter gets it, once.
#[test]
fn loom_a_waiter_gets_the_object_another_thread_returns() {
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        let held = pool.allocate_owned().unwrap();
        hold(&held);
        let releaser = super::spawn(move || {
            unhold(&held);
            drop(held);
        });
        let got = pool
            .allocate_timeout(std::time::Duration::from_secs(3600))
            .expect("the object comes back");
        hold(&got);
        unhold(&got);
        drop(got);
        releaser.join().unwrap();
        let stats = pool.stats();
        assert_eq!((stats.in_use, stats.waiting), (0, 0), "{stats:?}");
        assert_eq!(tally.created.load(Std::SeqCst), 1);
    });
}

/// `close` ends a wait, whether it comes before or during it.
#[test]
fn loom_close_ends_a_wait() {
    super::model(|| {
        let (pool, tally) = pool(1, None);
        let pool = Arc::new(pool);
        let held = pool.allocate().unwrap();
        let other = Arc::clone(&pool);
        let closer = super::spawn(move || other.close());
        let waited = pool.allocate_timeout(std::time::Duration::from_secs(3600));
        assert_eq!(waited.map(|_| ()).unwrap_err(), PoolError::Closed);
        closer.join().unwrap();
        drop(held);
        assert_eq!(tally.drops.load(Std::SeqCst), 1);
    });
}
