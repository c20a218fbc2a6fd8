// Every argument of `#[pooled]`, in every mode that exists today.
use fastalloc::{pooled, Reset};

fn make() -> Everything {
    Everything { buffer: Vec::with_capacity(64) }
}

fn clear(value: &mut Everything) {
    value.buffer.clear();
}

#[pooled(
    capacity = 4,
    thread_safe,
    growth = linear(4),
    max_capacity = 16,
    preallocate,
    factory = make,
    reset = clear,
    crate = fastalloc,
)]
struct Everything {
    buffer: Vec<u8>,
}

#[pooled(capacity = 4, thread_local, growth = exponential(2), max_capacity = 1_000usize)]
#[derive(Default)]
struct Local {
    buffer: Vec<u8>,
}

#[pooled(capacity = 1, manual_reset)]
#[derive(Default)]
struct Handwritten {
    buffer: Vec<u8>,
}

impl Reset for Handwritten {
    fn reset(&mut self) {
        self.buffer.clear();
    }
}

#[pooled(capacity = 1)]
#[derive(Default)]
struct Unit;

fn main() {
    let _: &'static fastalloc::ThreadSafePool<Everything> = Everything::pool();
    let _: &'static fastalloc::ThreadLocalPool<Local> = Local::pool();
    assert!(Everything::pool().allocate().unwrap().buffer.capacity() >= 64);
    Local::pool().allocate().unwrap().buffer.push(1);
    Handwritten::pool().allocate().unwrap().buffer.push(1);
    let _unit = Unit::pool().allocate().unwrap();
}
