// `crate = path` (and `#[reset(crate = path)]`) for a renamed `fastalloc`.
mod inner {
    pub use fastalloc as pools;
}

use inner::pools;

#[pools::pooled(capacity = 2, crate = pools)]
#[derive(Default, pools::Reset)]
struct ViaDerive {
    data: Vec<u8>,
}

#[pools::pooled(capacity = 2, thread_safe, crate = crate::inner::pools)]
#[derive(Default)]
struct Generated {
    data: Vec<u8>,
}

#[derive(pools::Reset)]
#[reset(crate = inner::pools)]
struct DeriveOnly {
    data: Vec<u8>,
}

fn main() {
    ViaDerive::pool().allocate().unwrap().data.push(1);
    Generated::pool().allocate().unwrap().data.push(1);
    let mut only = DeriveOnly { data: vec![1] };
    pools::Reset::reset(&mut only);
}
