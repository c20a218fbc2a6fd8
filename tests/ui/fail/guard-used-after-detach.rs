// A detached guard is gone: the object now belongs to the caller.
use fastalloc::{pooled, SharedPooled};

#[pooled(capacity = 8, thread_safe)]
#[derive(Default)]
struct Particle {
    trail: Vec<[f32; 3]>,
}

fn main() {
    let guard = Particle::pool().allocate().unwrap();
    let particle: Particle = SharedPooled::detach(guard);
    let _ = particle.trail.len();
    let _ = guard.trail.len();
}
