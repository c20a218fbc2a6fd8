// An `AsyncPool` waits on the heap; a `heapless` pool returns `Exhausted` instead.
use fastalloc::pooled;

#[pooled(capacity = 8, async, heapless)]
#[derive(Default)]
struct Task {
    value: u32,
}

fn main() {
    let _ = Task::pool().allocate();
}
