// Growth that never grows: a factor of at most 1.0, or a step of 0.
use fastalloc::pooled;

#[pooled(capacity = 8, growth = exponential(1.0))]
#[derive(Default)]
struct One {
    value: u32,
}

#[pooled(capacity = 8, growth = exponential(0.5))]
#[derive(Default)]
struct Half {
    value: u32,
}

const FACTOR: f64 = 1.0;

#[pooled(capacity = 8, growth = exponential(FACTOR))]
#[derive(Default)]
struct Constant {
    value: u32,
}

#[pooled(capacity = 8, growth = linear(0))]
#[derive(Default)]
struct ZeroStep {
    value: u32,
}

fn main() {}
