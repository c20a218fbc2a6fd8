// `heapless` given twice points at the second one.
use fastalloc::pooled;

#[pooled(heapless, capacity = 8, heapless)]
#[derive(Default)]
struct Twice {
    value: u32,
}

fn main() {
    let _ = Twice::pool().allocate();
}
