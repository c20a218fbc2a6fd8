// Pools live in a `static` and may be used from any thread: a `!Send` type cannot be pooled.
use std::rc::Rc;

use fastalloc::pooled;

#[pooled(capacity = 8)]
#[derive(Default)]
struct Shared {
    #[reset(skip)]
    counter: Rc<u32>,
}

#[pooled(capacity = 8, thread_safe)]
#[derive(Default)]
struct SharedSafe {
    #[reset(skip)]
    counter: Rc<u32>,
}

fn main() {}
