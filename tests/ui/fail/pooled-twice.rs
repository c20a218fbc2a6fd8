// Two `#[pooled]` on one type: one error, and no second `pool()`.
use fastalloc::pooled;

#[pooled(capacity = 8)]
#[pooled(capacity = 16, thread_safe)]
#[derive(Default)]
struct Twice {
    value: u32,
}

fn main() {
    let _ = Twice::pool();
}
