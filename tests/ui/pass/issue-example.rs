// The example of the issue, as written there.
use fastalloc::{pooled, Reset};

#[pooled(capacity = 1000, thread_safe)]
#[derive(Debug, Default, Reset)]
struct Particle {
    position: [f32; 3],
    velocity: [f32; 3],
    trail: Vec<[f32; 3]>,      // cleared on release, capacity kept
    #[reset(skip)] id: u64,    // left as it is
}

fn main() -> Result<(), fastalloc::PoolError> {
    let mut p = Particle::pool().allocate()?;   // a guard; dropping it resets and returns the particle
    p.position = [1.0, 2.0, 3.0];
    p.velocity = [0.0, 1.0, 0.0];
    let position = p.position;
    p.trail.push(position);
    p.id = 7;
    println!("{p:?}");
    Ok(())
}
