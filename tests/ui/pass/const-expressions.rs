// Capacities and growth given as constant expressions, including `Self::...`.
use fastalloc::pooled;

const BASE: usize = 8;
const FACTOR: f64 = 1.5;

#[pooled(
    capacity = Self::CAPACITY,
    growth = exponential(FACTOR),
    max_capacity = BASE * Self::CAPACITY,
    factory = Self::new,
    reset = Self::clear,
)]
struct Frame {
    pixels: Vec<u32>,
}

impl Frame {
    const CAPACITY: usize = BASE / 2;

    fn new() -> Self {
        Frame { pixels: Vec::with_capacity(16) }
    }

    fn clear(&mut self) {
        self.pixels.clear();
    }
}

/// A field's `max_capacity` and `retain_if`, naming `Self` too.
#[pooled(capacity = 2, thread_safe, retain_if = Self::keep)]
#[derive(Default)]
struct Buffer {
    #[reset(max_capacity = Self::LIMIT * BASE)]
    bytes: Vec<u8>,
}

impl Buffer {
    const LIMIT: usize = 512;

    fn keep(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[pooled(capacity = 2 + 2, growth = linear(BASE), thread_safe)]
#[derive(Default)]
struct Block {
    bytes: Vec<u8>,
}

fn main() {
    assert_eq!(Frame::pool().capacity(), 4);
    assert_eq!(Block::pool().capacity(), 4);
    Frame::pool().allocate().unwrap().pixels.push(1);
    Block::pool().allocate().unwrap().bytes.push(1);
    Buffer::pool().allocate().unwrap().bytes.reserve_exact(Buffer::LIMIT * BASE + 1);
    assert_eq!(Buffer::pool().stats().discarded, 1);
}
