// `#[derive(Reset)]` above a `#[pooled]` with a mistake: the derive leaves the impl to
// `#[pooled]`, which still writes it (and a `pool()`) beside its error. One error in all.
use fastalloc::{pooled, Reset};

#[derive(Default, Reset)]
#[pooled(capacity = 4, thread_safe, growth = linear(0))]
struct Particle {
    trail: Vec<u8>,
}

fn main() {
    let mut particle = Particle::default();
    particle.reset();
    let _guard = Particle::pool().allocate();
}
