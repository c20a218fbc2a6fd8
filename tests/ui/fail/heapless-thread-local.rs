// A pool with a part per thread needs the heap and `std`.
use fastalloc::pooled;

#[pooled(capacity = 8, heapless, thread_local)]
#[derive(Default)]
struct PerThread {
    value: u32,
}

fn main() {
    let _ = PerThread::pool().allocate();
}
