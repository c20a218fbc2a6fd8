// Flags take no value; function and crate arguments take paths, not strings.
use fastalloc::pooled;

fn make() -> Flags {
    Flags { value: 0 }
}

#[pooled(capacity = 8, preallocate = true, thread_safe(true))]
#[derive(Default)]
struct Flags {
    value: u32,
}

#[pooled(capacity = 8, factory = "make", crate = "fastalloc")]
struct Strings {
    value: u32,
}

#[pooled(capacity = 8, factory = || Closure { value: 1 }, reset)]
struct Closure {
    value: u32,
}

fn main() {
    let _ = make;
}
