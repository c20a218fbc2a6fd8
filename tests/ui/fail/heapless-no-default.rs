// A `heapless` pool builds objects with `Default` unless a `factory` is given.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless)]
struct NoDefault {
    value: u32,
}

fn make() -> u32 {
    1
}

#[pooled(capacity = 8, heapless, factory = make)]
struct WrongFactory {
    value: u32,
}

fn main() {}
