//! A threaded server simulation (no network): request and response buffers come from one
//! `ThreadSafePool<Vec<u8>>` and travel between threads as `OwnedPooled` guards.
//!
//! A listener thread reads "requests" into pooled buffers and hands them to worker threads over
//! channels; each worker parses its request, writes a response into a second pooled buffer,
//! drops the request buffer (it goes back to the pool from the worker's thread) and passes the
//! response to a writer thread, which "sends" it and drops it. The same pipeline then runs with
//! a fresh `Vec::with_capacity` for every buffer, to compare how many buffers each builds.
//!
//! Keeping memory in check: a few requests ask for a 1 MiB response; the pool's `retain_if`
//! refuses those buffers when they come back (dropped, counted in `discarded`) instead of
//! keeping a megabyte per slot for the life of the pool. A last section grows a pool in a burst
//! of connections and shows `trim_unused` giving the burst's buffers and chunks back once the
//! load is quiet again.
//!
//! Run it with `cargo run --release --example request_buffers`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use fastalloc::{PoolError, ThreadSafePool};

const REQUESTS: usize = 20_000;
const WORKERS: usize = 4;
const BUFFER_SIZE: usize = 4096;
/// Buffers waiting in each channel at most; bounds the buffers in flight.
const QUEUE: usize = 8;
/// Every this many requests, one asks for a large response.
const LARGE_EVERY: usize = 5_000;
const LARGE_BODY: usize = 1 << 20;
/// Buffers that grew past this are not kept when they come back.
const KEEP_AT_MOST: usize = 64 * 1024;

/// What one run of the pipeline did.
struct Report {
    served: usize,
    response_bytes: usize,
    elapsed: Duration,
}

/// Runs the pipeline, taking every buffer from `make`. `B` is a pooled guard or a plain `Vec`.
fn serve<B, F>(make: F) -> Report
where
    B: AsRef<Vec<u8>> + AsMut<Vec<u8>> + Send,
    F: Fn() -> B + Sync,
{
    let start = Instant::now();
    let (response_tx, response_rx) = mpsc::sync_channel::<B>(QUEUE);
    let (served, response_bytes) = thread::scope(|s| {
        let make = &make;
        let mut request_txs = Vec::new();
        for _ in 0..WORKERS {
            let (request_tx, request_rx) = mpsc::sync_channel::<(usize, B)>(QUEUE);
            request_txs.push(request_tx);
            let response_tx = response_tx.clone();
            s.spawn(move || {
                for (id, request) in request_rx {
                    let mut response = make();
                    respond(id, request.as_ref(), response.as_mut());
                    drop(request); // back to the pool, from this worker's thread
                    response_tx.send(response).expect("the writer is running");
                }
            });
        }
        drop(response_tx);

        // The listener: one buffer per incoming request, round robin over the workers.
        s.spawn(move || {
            for id in 0..REQUESTS {
                let mut request = make();
                read_request(id, request.as_mut());
                request_txs[id % WORKERS]
                    .send((id, request))
                    .expect("the workers are running");
            }
        });

        // The writer, on this thread: "sends" each response and drops its buffer.
        let mut served = 0;
        let mut bytes = 0;
        for response in response_rx {
            served += 1;
            bytes += response.as_ref().len();
        }
        (served, bytes)
    });
    Report {
        served,
        response_bytes,
        elapsed: start.elapsed(),
    }
}

/// Fills `buffer` with request number `id`, as a socket read would.
fn read_request(id: usize, buffer: &mut Vec<u8>) {
    buffer.extend_from_slice(format!("GET /items/{id} HTTP/1.1\r\n").as_bytes());
    buffer.extend_from_slice(b"Host: shop.example\r\nAccept: text/plain\r\n\r\n");
}

/// Writes the response to `request` into `buffer`: a header and a body of 100 to 3,100 bytes,
/// or of 1 MiB for one request in [`LARGE_EVERY`].
fn respond(id: usize, request: &[u8], buffer: &mut Vec<u8>) {
    let line_end = request
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .unwrap_or(request.len());
    let path = request[..line_end]
        .split(|&byte| byte == b' ')
        .nth(1)
        .unwrap_or_default();
    let body_len = if id % LARGE_EVERY == LARGE_EVERY - 1 {
        LARGE_BODY
    } else {
        100 + (id * 7919) % 3000
    };
    buffer.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
    buffer.extend_from_slice(b"item at ");
    buffer.extend_from_slice(path);
    buffer.resize(buffer.len() + body_len, b'.');
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("== {REQUESTS} requests, {WORKERS} workers, buffers from a ThreadSafePool ==");
    let built = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&built);
    let pool = Arc::new(
        ThreadSafePool::builder()
            .capacity(64)
            .factory(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                Vec::with_capacity(BUFFER_SIZE)
            })
            // One large response must not pin a megabyte in the pool for good.
            .retain_if(|buffer: &Vec<u8>| buffer.capacity() <= KEEP_AT_MOST)
            .build()?,
    );

    // `allocate()` gives a guard that must stay on its thread; `allocate_owned()` gives an
    // `OwnedPooled`, which is `Send + 'static` and can be dropped on any thread. If every
    // buffer is in flight, the pool says so and the caller waits: the pool is the backpressure.
    let waits = AtomicU64::new(0);
    let pooled = serve(|| loop {
        match pool.allocate_owned() {
            Ok(buffer) => return buffer,
            Err(PoolError::Exhausted { .. }) => {
                waits.fetch_add(1, Ordering::Relaxed);
                thread::yield_now();
            }
            Err(err) => panic!("{err}"),
        }
    });
    let stats = pool.stats();
    println!("{stats}");
    println!(
        "served {} requests ({} response bytes) with {} buffer loans",
        pooled.served, pooled.response_bytes, stats.allocations
    );
    println!(
        "buffers ever built: {} (the factory ran {} times); waits for a free buffer: {}",
        stats.created,
        built.load(Ordering::Relaxed),
        waits.load(Ordering::Relaxed)
    );
    let large = REQUESTS / LARGE_EVERY;
    println!(
        "{large} responses of {} KiB: {} buffers refused on return (over {} KiB), so the \
         pool holds no buffer over {} KiB",
        LARGE_BODY / 1024,
        stats.discarded,
        KEEP_AT_MOST / 1024,
        KEEP_AT_MOST / 1024
    );
    assert_eq!(stats.discarded, large as u64);

    println!("\n== The same pipeline without a pool ==");
    let plain = serve(|| Vec::<u8>::with_capacity(BUFFER_SIZE));
    println!(
        "served {} requests ({} response bytes); buffers built: {} (one per request and one \
         per response, each a {BUFFER_SIZE}-byte allocation)",
        plain.served,
        plain.response_bytes,
        2 * plain.served
    );
    assert_eq!(plain.response_bytes, pooled.response_bytes);

    println!(
        "\nallocations of {BUFFER_SIZE}-byte buffers avoided by pooling: {}",
        (2 * REQUESTS as u64).saturating_sub(stats.created)
    );
    println!(
        "informal wall-clock time of one run on this machine (not a benchmark; with {} threads \
         it varies a lot from run to run): pooled {:.1?}, without a pool {:.1?}",
        WORKERS + 2,
        pooled.elapsed,
        plain.elapsed
    );

    burst_then_quiet()?;
    Ok(())
}

/// A burst of connections grows a pool far past its usual size; `trim_unused`, called from a
/// timer (here: by hand, after each "period"), gives the burst's buffers back once the load is
/// quiet again, and with them the chunks the pool grew by.
fn burst_then_quiet() -> Result<(), Box<dyn std::error::Error>> {
    const BURST: usize = 5_000;
    const STEADY: usize = 8;
    println!("\n== A burst of {BURST} connections, then {STEADY} at a time ==");
    let pool = ThreadSafePool::builder()
        .capacity(64)
        .growth(fastalloc::Growth::Exponential(2.0))
        .max_capacity(16_384)
        .factory(|| Vec::<u8>::with_capacity(BUFFER_SIZE))
        .build()?;
    let burst: Vec<_> = (0..BURST)
        .map(|_| pool.allocate())
        .collect::<Result<_, _>>()?;
    drop(burst);
    let after_burst = pool.stats();
    // The timer's first tick: every buffer was needed since the pool was built.
    let first = pool.trim_unused();
    // A quiet period: the steady load needs a handful of buffers at a time.
    for _ in 0..10_000 {
        let in_flight: Vec<_> = (0..STEADY)
            .map(|_| pool.allocate())
            .collect::<Result<_, _>>()?;
        drop(in_flight);
    }
    // The next tick drops what the quiet period did not touch.
    let second = pool.trim_unused();
    let stats = pool.stats();
    println!(
        "after the burst: capacity {}, idle {} ({} KiB of buffers)",
        after_burst.capacity,
        after_burst.idle,
        after_burst.idle * BUFFER_SIZE / 1024
    );
    println!("trim_unused after the burst dropped {first}; after the quiet period, {second}");
    println!(
        "now: capacity {}, idle {} ({} KiB of buffers)",
        stats.capacity,
        stats.idle,
        stats.idle * BUFFER_SIZE / 1024
    );
    println!("{stats}");
    assert_eq!(first, 0);
    assert!(stats.idle <= 2 * STEADY && stats.capacity < after_burst.capacity);
    Ok(())
}
