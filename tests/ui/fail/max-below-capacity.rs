// `max_capacity` below `capacity`, as literals and as constants.
use fastalloc::pooled;

#[pooled(capacity = 16, max_capacity = 8)]
#[derive(Default)]
struct Literal {
    value: u32,
}

const START: usize = 16;
const LIMIT: usize = 8;

#[pooled(capacity = START, growth = linear(4), max_capacity = LIMIT)]
#[derive(Default)]
struct Constant {
    value: u32,
}

fn main() {}
