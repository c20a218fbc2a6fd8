// `async` is recognised but `AsyncPool` does not exist yet.
use fastalloc::pooled;

#[pooled(capacity = 8, async)]
#[derive(Default)]
struct Task {
    value: u32,
}

fn main() {}
