// A capacity of zero, as a literal and as a constant.
use fastalloc::pooled;

#[pooled(capacity = 0)]
#[derive(Default)]
struct Literal {
    value: u32,
}

const NONE: usize = 0;

#[pooled(capacity = NONE)]
#[derive(Default)]
struct Constant {
    value: u32,
}

fn main() {}
