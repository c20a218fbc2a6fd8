// An enum resets to the one unit variant marked `#[reset(default)]`.
use fastalloc::Reset;

#[derive(Reset)]
enum Unmarked {
    Idle,
    Busy(u32),
}

#[derive(Reset)]
enum TwoMarked {
    #[reset(default)]
    Idle,
    #[reset(default)]
    Off,
}

#[derive(Reset)]
enum MarkedWithFields {
    #[reset(default)]
    Busy(u32),
    Idle,
}

#[derive(Reset)]
enum Empty {}

fn check<T: Reset>() {}

fn main() {
    check::<Unmarked>();
    check::<TwoMarked>();
    check::<MarkedWithFields>();
    check::<Empty>();
}
