//! Watching pools: a few named pools (one of them `#[pooled]`) serve work on several threads,
//! then the program prints what a server would print on a signal or serve on a debug
//! endpoint: `registry::snapshot()` as one table, and the same figures in the Prometheus text
//! format, recorded by `registry::export_metrics()` through the `metrics` crate.
//!
//! Run it with `cargo run --release --example pool_metrics --features metrics`.

use std::sync::{Arc, Barrier};
use std::thread;

use fastalloc::{pooled, registry, FixedPool, GrowingPool, Growth, Reset, ThreadSafePool};
use metrics_exporter_prometheus::PrometheusBuilder;

const WORKERS: usize = 4;
const REQUESTS_PER_WORKER: usize = 10_000;

/// A parsed request: a `#[pooled]` type, so its pool is named after its path
/// (`pool_metrics::Request`) and listed once first used.
#[pooled(capacity = 8, thread_safe, max_capacity = 64)]
#[derive(Default, Reset)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Buffers shared by every worker (an `Arc`, for the owned guards below).
    let buffers: Arc<ThreadSafePool<Vec<u8>>> = Arc::new(
        ThreadSafePool::builder()
            .capacity(WORKERS * 2)
            .name("http::response_buffers")
            .factory(|| Vec::with_capacity(4096))
            .build()?,
    );

    let together = Barrier::new(WORKERS);
    thread::scope(|scope| {
        for worker in 0..WORKERS {
            let buffers = Arc::clone(&buffers);
            let together = &together;
            scope.spawn(move || {
                // Each worker's own scratch space: a single-thread pool, named per worker.
                let scratch: GrowingPool<String> = GrowingPool::builder()
                    .capacity(2)
                    .growth(Growth::Linear(2))
                    .name(format!("worker-{worker}::scratch"))
                    .build()
                    .expect("valid settings");
                together.wait();
                for n in 0..REQUESTS_PER_WORKER {
                    let mut request = Request::pool().allocate().expect("room to grow");
                    request.path = format!("/items/{n}");
                    request.headers.push(("host".into(), "example".into()));
                    let mut note = scratch.allocate().expect("grows");
                    note.push_str(&request.path);
                    // One request in four keeps a second buffer (an owned guard) meanwhile.
                    let held = (n % 4 == 0)
                        .then(|| buffers.allocate_owned().expect("two buffers per worker"));
                    let mut buffer = buffers.allocate().expect("two buffers per worker");
                    buffer.extend_from_slice(note.as_bytes());
                    drop(held);
                }
                // Each scratch pool leaves the registry when its worker drops it: print them
                // while every worker still has its own.
                if together.wait().is_leader() {
                    println!("== while the workers run ==\n{}\n", registry::snapshot());
                }
                together.wait();
            });
        }
    });

    // A single-thread pool of this thread's; the workers' scratch pools left the registry
    // when their threads dropped them.
    let frames: FixedPool<Vec<u8>> = FixedPool::builder()
        .capacity(16)
        .name("video::frames")
        .factory(|| Vec::with_capacity(64 * 1024))
        .build()?;
    let _frame = frames.allocate()?;

    let snapshot = registry::snapshot();
    println!("== registry::snapshot() ==\n{snapshot}\n");
    assert!(snapshot.get("worker-0::scratch").is_none());

    // A Prometheus recorder without its HTTP listener: `render()` gives the text a scrape
    // would get. Installed for this thread only; a server installs it globally (`install`).
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, registry::export_metrics);
    println!(
        "== Prometheus text of registry::export_metrics() ==\n{}",
        handle.render()
    );
    Ok(())
}
