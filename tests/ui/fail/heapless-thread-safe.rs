// A `heapless` pool is shared by all threads already; `thread_safe` asks for a heap pool.
use fastalloc::{pooled, StaticPool};

#[pooled(capacity = 8, heapless, thread_safe)]
#[derive(Default)]
struct Before {
    value: u32,
}

#[pooled(thread_safe, capacity = 8, heapless)]
#[derive(Default)]
struct After {
    value: u32,
}

fn main() {
    // No follow-on errors: `pool()` is still there, a `StaticPool`.
    let _: &'static StaticPool<Before, 8> = Before::pool();
    let _: &'static StaticPool<After, 8> = After::pool();
}
