// A misspelt argument: one error naming the right word. The struct is still emitted, with a
// `pool()`, so the code below adds no error of its own.
use fastalloc::pooled;

#[pooled(capasity = 64, thread_safe)]
#[derive(Default)]
struct Particle {
    position: [f32; 3],
}

fn main() {
    let particle = Particle { position: [0.0; 3] };
    let _ = particle.position;
    let _guard = Particle::pool().allocate();
}
