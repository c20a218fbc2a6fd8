// A handwritten `Reset` impl without `manual_reset` conflicts with the generated one.
use fastalloc::{pooled, Reset};

#[pooled(capacity = 8)]
#[derive(Default)]
struct Handwritten {
    buffer: Vec<u8>,
}

impl Reset for Handwritten {
    fn reset(&mut self) {
        self.buffer.clear();
    }
}

fn main() {}
