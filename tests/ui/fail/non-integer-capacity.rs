// A capacity that is not a whole `usize`.
use fastalloc::pooled;

#[pooled(capacity = 1.5)]
#[derive(Default)]
struct Float {
    value: u32,
}

#[pooled(capacity = "64")]
#[derive(Default)]
struct Quoted {
    value: u32,
}

#[pooled(capacity = -3)]
#[derive(Default)]
struct Negative {
    value: u32,
}

#[pooled(capacity = 8u8)]
#[derive(Default)]
struct Suffixed {
    value: u32,
}

const SMALL: u32 = 8;

#[pooled(capacity = SMALL)]
#[derive(Default)]
struct WrongType {
    value: u32,
}

#[pooled(capacity = 10_000_000_000)]
#[derive(Default)]
struct TooMany {
    value: u32,
}

#[pooled(capacity = 8, max_capacity = 10_000_000_000)]
#[derive(Default)]
struct TooManyAtMost {
    value: u32,
}

fn main() {}
