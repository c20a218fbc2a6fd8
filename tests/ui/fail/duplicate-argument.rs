// An argument given twice points at the second one.
use fastalloc::pooled;

#[pooled(capacity = 8, preallocate, capacity = 16, preallocate)]
#[derive(Default)]
struct Twice {
    value: u32,
}

fn main() {}
