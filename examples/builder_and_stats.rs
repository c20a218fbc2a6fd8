//! Every builder option, every error, `detach`, `close` and the statistics table.
//!
//! Run it with `cargo run --release --example builder_and_stats`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fastalloc::{
    BuildError, FixedPool, GrowingPool, Growth, PoolError, PoolStats, Pooled, ThreadLocalPool,
    ThreadSafePool,
};

/// A connection-like object with neither `Default` nor `Reset`: the builder's `factory` and
/// `reset_with` make it poolable.
#[derive(Debug)]
struct Session {
    serial: usize,
    outbox: Vec<u8>,
    uses: u32,
}

fn builder_options() -> Result<(), Box<dyn std::error::Error>> {
    println!("== Every builder option ==");
    let serials = Arc::new(AtomicUsize::new(0));
    let next = Arc::clone(&serials);
    let pool = GrowingPool::builder()
        .capacity(4) // objects at first (required)
        .growth(Growth::Linear(2)) // when all are lent: 2 more (default: doubling)
        .max_capacity(8) // never more than 8
        .preallocate(true) // build all 4 now rather than on first use
        .factory(move || Session {
            serial: next.fetch_add(1, Ordering::Relaxed) + 1,
            outbox: Vec::with_capacity(512),
            uses: 0,
        })
        .reset_with(|session| {
            session.outbox.clear(); // capacity kept
            session.uses += 1; // a reset may also keep or count things
        })
        .build()?;
    println!(
        "built: capacity {}, max_capacity {}, idle {} (preallocated), in use {}, available {}",
        pool.capacity(),
        pool.max_capacity(),
        pool.idle(),
        pool.in_use(),
        pool.available()
    );

    let mut first = pool.allocate()?;
    first.outbox.extend_from_slice(b"HELLO");
    let serial = first.serial;
    drop(first); // reset_with runs: outbox cleared, uses counted
    let again = pool.allocate()?;
    println!(
        "session #{serial} came back reset: outbox empty = {}, capacity {}, uses = {}",
        again.outbox.is_empty(),
        again.outbox.capacity(),
        again.uses
    );
    drop(again);

    let mut lent: Vec<Pooled<'_, Session>> = Vec::new();
    loop {
        match pool.allocate() {
            Ok(session) => lent.push(session),
            Err(err) => {
                println!(
                    "lent {} sessions, capacity grew 4 -> {} in {} steps, then: {err}",
                    lent.len(),
                    pool.capacity(),
                    pool.stats().growths
                );
                println!("  as a value: {err:?}");
                break;
            }
        }
    }
    println!("the factory ran {} times", serials.load(Ordering::Relaxed));

    // `detach` takes an object out for good: the pool does not reset it, and its slot is free
    // for a new object.
    let mut kept = Pooled::detach(lent.pop().expect("8 lent"));
    kept.outbox.extend_from_slice(b"mine now");
    println!(
        "detached session #{} ({:?} in its outbox); available again: {}",
        kept.serial,
        String::from_utf8_lossy(&kept.outbox),
        pool.available()
    );
    drop(lent);
    println!("\n{}", pool.stats());
    Ok(())
}

fn build_errors() {
    println!("\n== Every BuildError, with its message ==");
    let errors: [(&str, BuildError); 7] = [
        (
            "FixedPool::<u32>::builder().build()",
            FixedPool::<u32>::builder().build().unwrap_err(),
        ),
        (
            "FixedPool::<u32>::new(0)",
            FixedPool::<u32>::new(0).unwrap_err(),
        ),
        (
            "GrowingPool: capacity(8).max_capacity(4)",
            GrowingPool::<u32>::builder()
                .capacity(8)
                .max_capacity(4)
                .build()
                .unwrap_err(),
        ),
        (
            "GrowingPool::new(8, Growth::Linear(0))",
            GrowingPool::<u32>::new(8, Growth::Linear(0)).unwrap_err(),
        ),
        (
            "GrowingPool::new(8, Growth::Exponential(1.0))",
            GrowingPool::<u32>::new(8, Growth::Exponential(1.0)).unwrap_err(),
        ),
        (
            "FixedPool: capacity(8).growth(Linear(8))",
            FixedPool::<u32>::builder()
                .capacity(8)
                .growth(Growth::Linear(8))
                .build()
                .unwrap_err(),
        ),
        (
            "FixedPool::<u32>::new(usize::MAX)",
            FixedPool::<u32>::new(usize::MAX).unwrap_err(),
        ),
    ];
    for (call, err) in errors {
        println!("{call}\n  {err:?}\n  {err}");
    }
    // The shared pools check the same settings.
    let shared = ThreadSafePool::<u32>::builder()
        .capacity(4)
        .growth(Growth::Exponential(f64::NAN))
        .build();
    println!("ThreadSafePool with Growth::Exponential(NaN)\n  {shared:?}");
    let local = ThreadLocalPool::<u32>::new(0);
    println!("ThreadLocalPool::new(0)\n  {local:?}");
}

fn close_and_stats() -> Result<(), PoolError> {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    #[derive(Debug)]
    struct Noisy(u32);
    impl Drop for Noisy {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Ordering::Relaxed);
        }
    }
    println!("\n== close() ==");
    let pool = FixedPool::builder()
        .capacity(3)
        .factory(|| Noisy(0))
        .reset_with(|n| n.0 = 0)
        .build()
        .expect("valid settings");
    let mut lent = pool.allocate()?;
    lent.0 = 7;
    drop(pool.allocate()?); // one idle object
    pool.close();
    println!(
        "closed: is_closed = {}, idle objects dropped at once: {}",
        pool.is_closed(),
        DROPS.load(Ordering::Relaxed)
    );
    let err = pool.allocate().unwrap_err();
    println!("allocate after close: {err}\n  as a value: {err:?}");
    println!(
        "the object still lent (value {}) is dropped when it comes back",
        lent.0
    );
    drop(lent);
    println!("drops now: {}", DROPS.load(Ordering::Relaxed));
    print_fields(&pool.stats());
    Ok(())
}

/// Every field of a `PoolStats`, then the table its `Display` prints.
fn print_fields(stats: &PoolStats) {
    println!("\n== The statistics, field by field ==");
    println!(
        "capacity    {:>4}  objects the pool may hold now",
        stats.capacity
    );
    println!("in_use      {:>4}  lent and not yet returned", stats.in_use);
    println!("idle        {:>4}  built and waiting", stats.idle);
    println!(
        "peak_in_use {:>4}  the highest in_use seen",
        stats.peak_in_use
    );
    println!(
        "allocations {:>4}  successful allocate calls",
        stats.allocations
    );
    println!(
        "releases    {:>4}  guards returned (kept or dropped)",
        stats.releases
    );
    println!(
        "created     {:>4}  objects the factory built",
        stats.created
    );
    println!(
        "reused      {:>4}  allocations served by an object already built",
        stats.reused
    );
    println!("growths     {:>4}  times the pool grew", stats.growths);
    println!(
        "exhausted   {:>4}  allocate calls refused: all lent",
        stats.exhausted
    );
    println!(
        "detached    {:>4}  objects taken out with detach",
        stats.detached
    );
    println!(
        "discarded   {:>4}  objects dropped: closed pool or panicking reset",
        stats.discarded
    );
    println!("reuse_ratio() = {:.2}", stats.reuse_ratio());
    println!("{stats}");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    builder_options()?;
    build_errors();
    close_and_stats()?;
    Ok(())
}
