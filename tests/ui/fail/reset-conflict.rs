// `reset = path` and `manual_reset` say two different things.
use fastalloc::{pooled, Reset};

fn clear(value: &mut Both) {
    value.value = 0;
}

#[pooled(capacity = 8, reset = clear, manual_reset)]
#[derive(Default)]
struct Both {
    value: u32,
}

impl Reset for Both {
    fn reset(&mut self) {}
}

fn main() {}
