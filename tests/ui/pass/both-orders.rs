// `#[pooled]` above or below `#[derive(Reset)]`: one `Reset` impl either way (two would be a
// "conflicting implementations" error), and the field attributes are honoured by both.
use fastalloc::{pooled, Reset};

#[pooled(capacity = 2)]
#[derive(Default, Reset)]
struct PooledFirst {
    data: Vec<u8>,
    #[reset(skip)]
    kept: u8,
}

#[derive(Default, Reset)]
#[pooled(capacity = 2)]
struct DeriveFirst {
    data: Vec<u8>,
    #[reset(skip)]
    kept: u8,
}

fn reset_first(value: &mut DeriveFirstWithFn) {
    value.reset();
}

// With `reset = path` `#[pooled]` writes no impl, so the derive does, in both orders.
#[derive(Default, Reset)]
#[pooled(capacity = 2, reset = reset_first)]
struct DeriveFirstWithFn {
    data: Vec<u8>,
}

#[pooled(capacity = 2, manual_reset)]
#[derive(Default, Reset)]
struct PooledFirstManual {
    data: Vec<u8>,
}

fn check<T: Reset>() {}

fn main() {
    check::<PooledFirst>();
    check::<DeriveFirst>();
    check::<DeriveFirstWithFn>();
    check::<PooledFirstManual>();
    let mut a = PooledFirst::pool().allocate().unwrap();
    a.kept = 1;
    let kept = a.kept;
    a.data.push(kept);
    let mut b = DeriveFirst::pool().allocate().unwrap();
    b.kept = 1;
    let kept = b.kept;
    b.data.push(kept);
    DeriveFirstWithFn::pool().allocate().unwrap().data.push(1);
    PooledFirstManual::pool().allocate().unwrap().data.push(1);
}
