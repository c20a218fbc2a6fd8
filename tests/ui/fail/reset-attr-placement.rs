// `#[reset(...)]` in places where its options mean nothing.
use fastalloc::Reset;

#[derive(Reset)]
#[reset(skip)]
struct OnType {
    value: u8,
}

#[derive(Reset)]
enum OnVariantFields {
    #[reset(default)]
    Idle,
    Busy(#[reset(skip)] u32),
    #[reset(skip)]
    Stopped,
}

fn main() {}
