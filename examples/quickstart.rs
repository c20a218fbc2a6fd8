//! A short tour of fastalloc: allocate, reuse, reset, exhaustion, growth and statistics.
//!
//! Run it with `cargo run --release --example quickstart`.

use fastalloc::{FixedPool, GrowingPool, Growth, PoolError, Pooled, Reset};

/// A message buffer, the kind of object a server creates and drops in a hot loop.
#[derive(Debug, Default)]
struct Message {
    id: u64,
    body: Vec<u8>,
}

impl Reset for Message {
    fn reset(&mut self) {
        self.id = 0;
        self.body.clear(); // keep the capacity: that is the point of pooling
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("== A fixed pool of 2 messages ==");
    let pool: FixedPool<Message> = FixedPool::new(2)?;

    let mut first = pool.allocate()?;
    first.id = 1;
    first.body.extend_from_slice(b"hello, pool");
    let address: *const Message = &*first;
    println!(
        "allocated #{} with body {:?}",
        first.id,
        String::from_utf8_lossy(&first.body)
    );

    let second = pool.allocate()?;
    match pool.allocate() {
        Err(err @ PoolError::Exhausted { .. }) => println!("third allocate: {err}"),
        other => println!("unexpected: {other:?}"),
    }

    drop(second);
    drop(first); // reset (id = 0, body cleared) and back in the pool, on top (LIFO)

    let reused = pool.allocate()?;
    println!(
        "reused the same object: {}, reset: id = {}, body empty = {}, capacity kept = {} bytes",
        std::ptr::eq(&*reused, address),
        reused.id,
        reused.body.is_empty(),
        reused.body.capacity()
    );

    let kept: Message = Pooled::detach(reused);
    println!(
        "detached an object for good (capacity {}); its slot is free again",
        kept.body.capacity()
    );

    println!("\n{}", pool.stats());

    println!("\n== A growing pool: starts at 4, doubles up to 32 ==");
    let growing = GrowingPool::<Message>::builder()
        .capacity(4)
        .growth(Growth::Exponential(2.0))
        .max_capacity(32)
        .build()?;
    let batch: Vec<_> = (0..20)
        .map(|_| growing.allocate())
        .collect::<Result<_, _>>()?;
    println!(
        "20 objects in use; capacity is now {} after {} growths",
        growing.capacity(),
        growing.stats().growths
    );
    drop(batch);
    for round in 0..3 {
        let _msgs: Vec<_> = (0..20)
            .map(|_| growing.allocate())
            .collect::<Result<_, _>>()?;
        println!(
            "round {round}: 20 more allocations, objects built so far: {}",
            growing.stats().created
        );
    }
    println!("\n{}", growing.stats());
    Ok(())
}
