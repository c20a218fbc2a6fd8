// Factories and reset closures of a pool that threads share must be `Send + Sync`: one that
// captures an `Rc` is rejected where it is passed.
use std::rc::Rc;

use fastalloc::ThreadSafePool;

fn main() {
    let template = Rc::new(vec![0u8; 16]);
    let _pool = ThreadSafePool::builder()
        .capacity(4)
        .factory(move || template.to_vec())
        .build();

    let counter = std::cell::Cell::new(0);
    let _pool = ThreadSafePool::<Vec<u8>>::builder()
        .capacity(4)
        .reset_with(move |v| {
            counter.set(counter.get() + 1);
            v.clear();
        })
        .build();
}
