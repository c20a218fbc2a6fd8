// `manual_reset` promises a handwritten `Reset` impl.
use fastalloc::pooled;

#[pooled(capacity = 8, manual_reset)]
#[derive(Default)]
struct Forgotten {
    buffer: Vec<u8>,
}

fn main() {}
