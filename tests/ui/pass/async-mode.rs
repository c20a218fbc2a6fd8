// `async` gives an `AsyncPool`, whose `allocate` is awaited.
use fastalloc::{pooled, AsyncPool, Reset};

#[pooled(capacity = 8, async, growth = linear(8), max_capacity = 32)]
#[derive(Default, Reset)]
struct Task {
    value: u32,
    log: Vec<String>,
}

fn pool_type(_: &'static AsyncPool<Task>) {}

async fn handle() -> u32 {
    let mut task = Task::pool().allocate().await.unwrap();
    task.value += 1;
    task.value
}

fn main() {
    pool_type(Task::pool());
    let _future = handle();
}
