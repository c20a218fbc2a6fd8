// `#[pooled]` goes on a struct or an enum.
use fastalloc::pooled;

#[pooled(capacity = 8)]
fn make() -> u32 {
    0
}

fn main() {
    let _ = make();
}
