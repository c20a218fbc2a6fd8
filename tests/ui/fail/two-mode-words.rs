// One pool has one mode.
use fastalloc::pooled;

#[pooled(capacity = 8, thread_safe, thread_local)]
#[derive(Default)]
struct Both {
    value: u32,
}

#[pooled(thread_safe, capacity = 8, thread_safe)]
#[derive(Default)]
struct Repeated {
    value: u32,
}

fn main() {}
