// `factory` and `reset` must name functions of the right type.
use fastalloc::pooled;

fn make(size: usize) -> Sized {
    Sized { buffer: Vec::with_capacity(size) }
}

fn clear(buffer: &mut Vec<u8>) {
    buffer.clear();
}

#[pooled(capacity = 8, factory = make, reset = clear)]
struct Sized {
    buffer: Vec<u8>,
}

fn main() {}
