// `max_capacity = N` is evaluated at compile time: an expression that is not constant is an
// error at the expression, in the impl `#[pooled]` writes and in a derived one.
use fastalloc::{pooled, Reset};

fn limit() -> usize {
    64
}

#[pooled(capacity = 4)]
#[derive(Default)]
struct Generated {
    #[reset(max_capacity = limit())]
    buffer: Vec<u8>,
}

#[derive(Reset)]
struct Derived {
    #[reset(max_capacity = limit() * 2)]
    buffer: Vec<u8>,
}

fn main() {}
