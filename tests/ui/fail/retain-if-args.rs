// `retain_if` without a function, given twice, as a string or a closure, and its other names.
use fastalloc::pooled;

fn keep(_: &Missing) -> bool {
    true
}

#[pooled(capacity = 4, retain_if)]
#[derive(Default)]
struct Missing {
    value: u32,
}

#[pooled(capacity = 4, retain_if = keep_twice, retain_if = keep_twice)]
#[derive(Default)]
struct Twice {
    value: u32,
}

fn keep_twice(_: &Twice) -> bool {
    true
}

#[pooled(capacity = 4, retain_if = "keep", thread_safe)]
#[derive(Default)]
struct Quoted {
    value: u32,
}

#[pooled(capacity = 4, retain_if = |_| true)]
#[derive(Default)]
struct Closure {
    value: u32,
}

#[pooled(capacity = 4, retain = keep)]
#[derive(Default)]
struct Retain {
    value: u32,
}

#[pooled(capacity = 4, keep_if = keep)]
#[derive(Default)]
struct KeepIf {
    value: u32,
}

fn main() {
    let _ = keep;
}
