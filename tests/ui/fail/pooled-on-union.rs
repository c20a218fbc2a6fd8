// A union cannot be pooled.
use fastalloc::pooled;

#[pooled(capacity = 8)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {
    let _ = Bits { int: 1 };
}
