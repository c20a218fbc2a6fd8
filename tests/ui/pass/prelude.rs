// `use fastalloc::prelude::*` brings the macros along with the pool types.
use fastalloc::prelude::*;

#[pooled(capacity = 2)]
#[derive(Default, Reset)]
struct Job {
    steps: Vec<u8>,
}

fn main() -> Result<(), PoolError> {
    let pool: &ThreadLocalPool<Job> = Job::pool();
    pool.allocate()?.steps.push(1);
    Ok(())
}
