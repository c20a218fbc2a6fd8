// `manual_reset` promises a handwritten `Reset` impl, in a `heapless` pool too.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless, manual_reset)]
#[derive(Default)]
struct Forgotten {
    value: u32,
}

fn main() {}
