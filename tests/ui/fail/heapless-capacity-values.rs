// The capacity of a `heapless` pool is a `usize` of at least 1, literal or constant.
use fastalloc::pooled;

const NONE: usize = 0;
const SMALL: u32 = 4;

#[pooled(capacity = 0, heapless)]
#[derive(Default)]
struct ZeroLiteral {
    value: u32,
}

#[pooled(capacity = NONE, heapless)]
#[derive(Default)]
struct ZeroConstant {
    value: u32,
}

#[pooled(capacity = SMALL, heapless)]
#[derive(Default)]
struct NotUsize {
    value: u32,
}

fn main() {}
