//! Simulated async request handlers sharing pooled response buffers.
//!
//! 200 requests arrive at once on a tokio runtime, but the server has only 8 response buffers.
//! Each handler awaits a buffer from an `AsyncPool` (waiting its turn, first come first
//! served), holds it across `.await` points while it "works", and gives it back by dropping
//! it. Handlers that cannot get a buffer within their deadline give up with a timeout, which
//! costs the pool nothing. At the end the example prints how many handlers waited, how many
//! timed out and the pool's statistics.
//!
//! Run it with `cargo run --release --example async_server`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fastalloc::{AsyncPool, PoolError};

const REQUESTS: usize = 200;
const BUFFERS: usize = 8;

/// Handles one request: waits for a buffer (at most `deadline`), fills it, "sends" it.
async fn handle(
    id: usize,
    pool: Arc<AsyncPool<Vec<u8>>>,
    deadline: Duration,
    served_bytes: Arc<AtomicUsize>,
) -> Result<(), &'static str> {
    let mut buffer = match tokio::time::timeout(deadline, pool.allocate()).await {
        Ok(Ok(buffer)) => buffer,
        Ok(Err(PoolError::Closed)) => return Err("pool closed"),
        Ok(Err(_)) => return Err("no buffer"),
        Err(_) => return Err("timed out waiting for a buffer"),
    };
    // The buffer is held across these awaits; the task may move between worker threads.
    buffer.extend_from_slice(format!("HTTP/1.1 200 OK\r\nx-request: {id}\r\n\r\n").as_bytes());
    tokio::time::sleep(Duration::from_millis(2)).await; // "database call"
    let len = buffer.len() + 1024;
    buffer.resize(len, b'.');
    tokio::task::yield_now().await; // "write to the socket"
    served_bytes.fetch_add(buffer.len(), Ordering::Relaxed);
    Ok(()) // the buffer is cleared and returned here, waking the next waiting handler
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = Arc::new(
        AsyncPool::builder()
            .capacity(BUFFERS)
            .preallocate(true)
            .factory(|| Vec::with_capacity(4096))
            .reset_with(Vec::clear)
            .build()?,
    );
    println!("{REQUESTS} requests, {BUFFERS} pooled 4 KiB response buffers");

    for (round, deadline) in [("generous deadline", 1000), ("tight deadline", 8)] {
        let served_bytes = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let handlers: Vec<_> = (0..REQUESTS)
            .map(|id| {
                let deadline = Duration::from_millis(deadline);
                tokio::spawn(handle(
                    id,
                    Arc::clone(&pool),
                    deadline,
                    Arc::clone(&served_bytes),
                ))
            })
            .collect();
        let (mut ok, mut timed_out) = (0, 0);
        for handler in handlers {
            match handler.await? {
                Ok(()) => ok += 1,
                Err(_) => timed_out += 1,
            }
        }
        println!(
            "\n== {round} ({deadline} ms): {ok} served, {timed_out} timed out, {} bytes, \
             {:.1} ms (informal, one run)",
            served_bytes.load(Ordering::Relaxed),
            start.elapsed().as_secs_f64() * 1000.0
        );
        println!(
            "buffers in use now: {}, available: {}, tasks still waiting: {}",
            pool.in_use(),
            pool.available(),
            pool.waiting()
        );
    }

    println!("\n{}", pool.stats());
    println!(
        "the factory ran {} times (all up front) for {} allocations: the rest reused a buffer",
        pool.stats().created,
        pool.stats().allocations
    );

    // Closing wakes anyone still waiting with `PoolError::Closed`.
    let mut held = Vec::new();
    for _ in 0..BUFFERS {
        held.push(pool.allocate_owned().await?);
    }
    let late = tokio::spawn({
        let pool = Arc::clone(&pool);
        async move { pool.allocate().await.map(drop) }
    });
    let waiting_pool = Arc::clone(&pool);
    while waiting_pool.waiting() == 0 && !late.is_finished() {
        tokio::task::yield_now().await;
    }
    pool.close();
    println!(
        "\nafter close(): the handler that was waiting got {:?}",
        late.await?
    );
    drop(held);
    Ok(())
}
