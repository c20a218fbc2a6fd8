//! `Pooled::detach` takes the guard of every pool kind, the `#[pooled]` ones included (it did
//! not compile for a `#[pooled(thread_safe)]` type when each kind had its own guard type).
use std::sync::Arc;

use fastalloc::{
    pooled, AsyncPool, FixedPool, GrowingPool, Growth, Pooled, Reset, ThreadLocalPool,
    ThreadSafePool,
};

#[pooled(capacity = 4, thread_safe)]
#[derive(Debug, Default)]
struct Shared {
    value: u32,
}

#[pooled(capacity = 4)]
#[derive(Debug, Default)]
struct Local {
    value: u32,
}

fn main() {
    let fixed: FixedPool<Vec<u8>> = FixedPool::new(1).unwrap();
    let _: Vec<u8> = Pooled::detach(fixed.allocate().unwrap());

    let growing: GrowingPool<Vec<u8>> = GrowingPool::new(1, Growth::Linear(1)).unwrap();
    let _: Vec<u8> = Pooled::detach(growing.allocate().unwrap());

    let local: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::new(1).unwrap();
    let _: Vec<u8> = Pooled::detach(local.allocate().unwrap());

    let shared = Arc::new(ThreadSafePool::<Vec<u8>>::new(2).unwrap());
    let _: Vec<u8> = Pooled::detach(shared.allocate().unwrap());
    let _: Vec<u8> = Pooled::detach(shared.allocate_owned().unwrap());

    let waiting = Arc::new(AsyncPool::<Vec<u8>>::new(2).unwrap());
    futures::executor::block_on(async {
        let _: Vec<u8> = Pooled::detach(waiting.allocate().await.unwrap());
        let _: Vec<u8> = Pooled::detach(waiting.allocate_owned().await.unwrap());
    });

    let mut shared = Pooled::detach(Shared::pool().allocate().unwrap());
    shared.value = 1;
    shared.reset();
    let local: Local = Pooled::detach(Local::pool().allocate().unwrap());
    assert_eq!((shared.value, local.value), (0, 0));
}
