// A `heapless` pool needs its size; the stand-in `pool()` raises no further errors where it is
// used, whatever capacity the code that uses it names.
use fastalloc::{pooled, StaticPool, StaticPooled};

#[pooled(heapless)]
#[derive(Default)]
struct Unsized {
    value: u32,
}

#[pooled(heapless, factory = Self::new)]
struct WithFactory {
    value: u32,
}

impl WithFactory {
    fn new() -> Self {
        WithFactory { value: 1 }
    }
}

fn main() {
    let _ = Unsized::pool().allocate();
    let _: &'static StaticPool<Unsized, 8> = Unsized::pool();
    let guard: StaticPooled<'static, WithFactory, 2> = WithFactory::pool().allocate().unwrap();
    let _ = guard.value;
}
