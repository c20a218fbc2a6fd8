// Other names for `max_capacity`, and `max_capacity` where it means nothing.
use fastalloc::Reset;

#[derive(Reset)]
struct Aliases {
    #[reset(max_len = 64)]
    a: Vec<u8>,
    #[reset(capacity_limit = 64)]
    b: String,
    #[reset(max_capcity = 64)]
    c: String,
}

// The pool's size is `#[pooled(max_capacity = N)]`.
#[derive(Reset)]
#[reset(max_capacity = 64)]
struct OnType {
    a: Vec<u8>,
}

// After the reset, an enum is in its fieldless `#[reset(default)]` variant: nothing to measure.
#[derive(Reset)]
enum OnVariantField {
    #[reset(default)]
    Idle,
    Busy(#[reset(max_capacity = 64)] Vec<u8>),
}

fn main() {}
