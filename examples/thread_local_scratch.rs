//! Per-thread scratch space with a `ThreadLocalPool`: one pool handle shared by every worker
//! thread, a separate part of the pool for each thread, and the idle objects of a thread's part
//! dropped when that thread exits.
//!
//! Run it with `cargo run --release --example thread_local_scratch`.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use fastalloc::{Reset, ThreadLocalPool};

/// Objects built and dropped, over all threads.
static BUILT: AtomicUsize = AtomicUsize::new(0);
static DROPPED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Objects built on the current thread.
    static BUILT_HERE: Cell<usize> = const { Cell::new(0) };
}

/// Working memory for one job: big enough that building it for every job would cost.
struct Scratch {
    samples: Vec<f64>,
    histogram: Vec<u32>,
    label: String,
}

impl Scratch {
    fn new() -> Self {
        BUILT.fetch_add(1, Ordering::Relaxed);
        BUILT_HERE.with(|built| built.set(built.get() + 1));
        Scratch {
            samples: Vec::with_capacity(4096),
            histogram: vec![0; 64],
            label: String::with_capacity(32),
        }
    }
}

impl Reset for Scratch {
    fn reset(&mut self) {
        self.samples.clear(); // keeps the 4096 slots
        self.histogram.fill(0);
        self.label.clear();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}

const WORKERS: usize = 4;
const JOBS_PER_WORKER: usize = 2_000;

/// One job: fill the scratch space with 1,024 pseudo-random values and return the count of the
/// fullest histogram bucket.
#[allow(clippy::cast_precision_loss, clippy::cast_sign_loss)] // values in 0.0..1.0
fn job(scratch: &mut Scratch, seed: u64) -> u32 {
    let mut state = seed | 1;
    for _ in 0..1024 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        scratch.samples.push((state % 10_000) as f64 / 10_000.0);
    }
    for &sample in &scratch.samples {
        scratch.histogram[(sample * 64.0) as usize % 64] += 1;
    }
    scratch.label.push_str("job done");
    scratch.histogram.iter().copied().max().unwrap_or(0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 4 objects per thread; built by `Scratch::new` on the thread that first needs them.
    let pool = ThreadLocalPool::builder()
        .capacity(4)
        .factory(Scratch::new)
        .build()?;

    println!("== {WORKERS} workers, {JOBS_PER_WORKER} jobs each, one ThreadLocalPool ==");
    thread::scope(|s| {
        let mut workers = Vec::new();
        for worker in 0..WORKERS {
            let pool = &pool;
            workers.push(s.spawn(move || {
                // Two objects at once: this thread's part has its own counts.
                let a = pool.allocate().expect("4 objects per thread");
                let b = pool.allocate().expect("4 objects per thread");
                let (in_use, idle) = (pool.in_use(), pool.idle());
                let distinct = !std::ptr::eq(&*a, &*b);
                drop((a, b));

                let mut peak = 0;
                for n in 0..JOBS_PER_WORKER {
                    // The guard is not `Send`: the object goes back to this thread's part.
                    let mut scratch = pool.allocate().expect("4 objects per thread");
                    peak = peak.max(job(&mut scratch, (worker * JOBS_PER_WORKER + n) as u64));
                }
                println!(
                    "worker {worker} ({:?}): in use {in_use}, idle {idle} while holding two \
                     (distinct objects: {distinct}); after {JOBS_PER_WORKER} jobs its part has \
                     capacity {}, idle {}, objects built on this thread: {}; fullest bucket {peak}",
                    thread::current().id(),
                    pool.capacity(),
                    pool.idle(),
                    BUILT_HERE.with(Cell::get),
                );
            })); // the thread exits here: its idle objects are dropped
        }
        // `join` waits until the thread is gone, thread-local destructors included (the end of
        // the scope only waits for the closures to return).
        for worker in workers {
            worker.join().expect("the worker does not panic");
        }
    });
    let built_by_workers = BUILT.load(Ordering::Relaxed);
    println!(
        "all workers exited: {built_by_workers} objects built, {} dropped at thread exit",
        DROPPED.load(Ordering::Relaxed)
    );
    println!(
        "the main thread's part is untouched: in use {}, idle {}, capacity {}",
        pool.in_use(),
        pool.idle(),
        pool.capacity()
    );
    println!("{}", pool.stats());

    println!("\n== The main thread uses the pool too; its objects go when the pool does ==");
    {
        let mut scratch = pool.allocate()?;
        job(&mut scratch, 42);
    }
    let before = DROPPED.load(Ordering::Relaxed);
    println!(
        "main thread: idle {} in its part; drops so far: {before}",
        pool.idle()
    );
    drop(pool);
    println!(
        "pool dropped: drops now {} (every object built, {}, was dropped exactly once)",
        DROPPED.load(Ordering::Relaxed),
        BUILT.load(Ordering::Relaxed)
    );

    println!("\n== Without a pool: new scratch space for every job ==");
    let built_before = BUILT.load(Ordering::Relaxed);
    thread::scope(|s| {
        for worker in 0..WORKERS {
            s.spawn(move || {
                for n in 0..JOBS_PER_WORKER {
                    let mut scratch = Scratch::new();
                    job(&mut scratch, (worker * JOBS_PER_WORKER + n) as u64);
                }
            });
        }
    });
    println!(
        "{} objects built, three allocations each (the pooled run built {} for the same jobs)",
        BUILT.load(Ordering::Relaxed) - built_before,
        built_by_workers
    );
    Ok(())
}
