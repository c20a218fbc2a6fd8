// Malformed `growth = ...`.
use fastalloc::pooled;

#[pooled(capacity = 8, growth = quadratic(2))]
#[derive(Default)]
struct Unknown {
    value: u32,
}

#[pooled(capacity = 8, growth = doubling)]
#[derive(Default)]
struct Alias {
    value: u32,
}

#[pooled(capacity = 8, growth = linear)]
#[derive(Default)]
struct NoStep {
    value: u32,
}

#[pooled(capacity = 8, growth = exponential(2.0, 3.0))]
#[derive(Default)]
struct TwoValues {
    value: u32,
}

fn main() {}
