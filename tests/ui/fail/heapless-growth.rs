// A `heapless` pool holds exactly `capacity` objects: it cannot grow.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless, growth = linear(8))]
#[derive(Default)]
struct Linear {
    value: u32,
}

#[pooled(capacity = 8, growth = exponential(0.5), heapless)]
#[derive(Default)]
struct Exponential {
    value: u32,
}

fn main() {
    let _ = Linear::pool().allocate();
    let _ = Exponential::pool().allocate();
}
