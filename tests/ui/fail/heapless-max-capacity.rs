// `max_capacity` is for pools that grow; a `heapless` pool's size is its `capacity`.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless, max_capacity = 64)]
#[derive(Default)]
struct Bounded {
    value: u32,
}

// No second error for a `max_capacity` below `capacity`: the argument is wrong anyway.
#[pooled(heapless, max_capacity = 4, capacity = 8)]
#[derive(Default)]
struct Below {
    value: u32,
}

fn main() {
    let _ = Bounded::pool().allocate();
    let _ = Below::pool().allocate();
}
