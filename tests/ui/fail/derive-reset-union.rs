// `Reset` cannot be derived for a union.
use fastalloc::Reset;

#[derive(Reset)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
