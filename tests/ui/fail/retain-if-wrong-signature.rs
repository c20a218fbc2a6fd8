// `retain_if` must name a `fn(&Type) -> bool`: a wrong signature is reported at the path.
use fastalloc::pooled;

fn takes_mut(value: &mut Mutable) -> bool {
    value.buffer.capacity() < 64
}

#[pooled(capacity = 4, retain_if = takes_mut)]
#[derive(Default)]
struct Mutable {
    buffer: Vec<u8>,
}

fn returns_nothing(_: &NoBool) {}

#[pooled(capacity = 4, thread_safe, retain_if = returns_nothing)]
#[derive(Default)]
struct NoBool {
    buffer: Vec<u8>,
}

#[pooled(capacity = 4, manual_reset, retain_if = Self::by_value)]
#[derive(Default)]
struct ByValue {
    buffer: Vec<u8>,
}

impl ByValue {
    fn by_value(self) -> bool {
        self.buffer.is_empty()
    }
}

impl fastalloc::Reset for ByValue {
    fn reset(&mut self) {
        self.buffer.clear();
    }
}

fn main() {}
