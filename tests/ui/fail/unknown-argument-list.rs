// An argument that resembles none: the error lists the valid ones. Common other names get a
// suggestion too.
use fastalloc::pooled;

#[pooled(capacity = 8, colour = "red")]
#[derive(Default)]
struct Paint {
    amount: u32,
}

#[pooled(size = 8, max = 16, shared)]
#[derive(Default)]
struct Aliased {
    amount: u32,
}

fn main() {}
