// A `const` initializer cannot call the factory: a `heapless` pool builds objects on first use.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless, preallocate)]
#[derive(Default)]
struct Eager {
    value: u32,
}

fn main() {
    let _ = Eager::pool().allocate();
}
