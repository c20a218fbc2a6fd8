// An enum can be pooled, but its `Reset` needs to know which variant to go back to.
use fastalloc::pooled;

#[pooled(capacity = 8)]
#[derive(Default)]
enum State {
    #[default]
    Idle,
    Busy(u32),
}

fn main() {
    let _guard = State::pool().allocate();
}
