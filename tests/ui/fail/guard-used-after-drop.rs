// A guard cannot be used once it is dropped, nor can a reference into it outlive it.
use fastalloc::pooled;

#[pooled(capacity = 8)]
#[derive(Default)]
struct Particle {
    trail: Vec<[f32; 3]>,
}

fn main() {
    let guard = Particle::pool().allocate().unwrap();
    drop(guard);
    let _ = guard.trail.len();

    let guard = Particle::pool().allocate().unwrap();
    let trail = &guard.trail;
    drop(guard);
    let _ = trail.len();
}
