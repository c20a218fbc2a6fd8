// A guard of a `ThreadLocalPool` goes back to its own thread: it cannot be sent to another.
use fastalloc::pooled;

#[pooled(capacity = 8)]
#[derive(Default)]
struct Particle {
    position: [f32; 3],
}

fn main() {
    let guard = Particle::pool().allocate().unwrap();
    std::thread::spawn(move || {
        let _ = guard.position;
    });
}
