// `capacity` is required.
use fastalloc::pooled;

#[pooled]
#[derive(Default)]
struct Bare {
    value: u32,
}

#[pooled(thread_safe, preallocate)]
#[derive(Default)]
struct NoCapacity {
    value: u32,
}

fn main() {
    let _ = Bare::pool();
    let _ = NoCapacity::pool();
}
