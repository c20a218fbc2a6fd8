//! A short tour of fastalloc: allocate, reuse, reset, exhaustion, growth, statistics and
//! `#[pooled]`.
//!
//! Run it with `cargo run --release --example quickstart`.

use fastalloc::{pooled, FixedPool, GrowingPool, Growth, PoolError, Pooled, Reset};

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

/// A game particle with a pool of its own: `#[pooled]` gives it `Particle::pool()`, a static
/// `ThreadSafePool` made on first use, and `#[derive(Reset)]` resets it field by field.
#[pooled(capacity = 64, thread_safe)]
#[derive(Debug, Default, Reset)]
struct Particle {
    position: [f32; 2],
    trail: Vec<[f32; 2]>, // cleared on release, capacity kept
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

    println!("\n== #[pooled]: Particle::pool(), a pool per type ==");
    for frame in 1..=3u8 {
        let mut particle = Particle::pool().allocate()?;
        let kept = particle.trail.capacity(); // the last frame's memory, on the same object
        let position = [f32::from(frame), 0.5];
        particle.position = position;
        particle.trail.extend([position; 8]);
        println!(
            "frame {frame}: particle at {position:?}, trail of {} points, trail capacity \
             kept from the frame before: {kept}",
            particle.trail.len()
        );
    } // each frame's particle is reset (position zeroed, trail cleared) and goes back
    println!("\n{}", Particle::pool().stats());
    Ok(())
}
