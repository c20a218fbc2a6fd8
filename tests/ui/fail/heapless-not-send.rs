// A `heapless` pool is shared by all threads: a `!Send` type cannot be pooled.
use std::rc::Rc;

use fastalloc::pooled;

#[pooled(capacity = 8, heapless)]
#[derive(Default)]
struct Shared {
    #[reset(skip)]
    counter: Rc<u32>,
}

fn main() {}
