// `max_capacity` on a field whose type has no `Capacity`, and a constant of the wrong type:
// the errors point at the field type or the expression.
use fastalloc::{pooled, Reset};

const SMALL: u32 = 64;

#[derive(Reset)]
struct Derived {
    #[reset(max_capacity = 64)]
    count: u32,
    #[reset(max_capacity = 64)]
    maybe: Option<Vec<u8>>,
    #[reset(max_capacity = SMALL)]
    wrong_type: Vec<u8>,
}

#[pooled(capacity = 4)]
#[derive(Default)]
struct Generated {
    #[reset(skip, max_capacity = 64)]
    id: u64,
}

fn main() {}
