// A mistake in a `#[reset(...)]` read by `#[pooled]`: one error; the struct, its `pool()` and
// a stand-in `Reset` impl are still emitted, so the code below adds no error of its own.
use fastalloc::{pooled, Reset};

#[pooled(capacity = 4)]
#[derive(Default)]
struct Particle {
    trail: Vec<u8>,
    #[reset(skp)]
    id: u64,
}

fn main() {
    let mut particle = Particle { trail: Vec::new(), id: 1 };
    particle.reset();
    let _guard = Particle::pool().allocate();
}
