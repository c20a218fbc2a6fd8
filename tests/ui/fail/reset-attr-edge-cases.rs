// Less common mistakes in `#[reset(...)]`, each reported once, on the offending tokens.
use fastalloc::Reset;

#[derive(Default, Reset)]
struct MissingComma {
    #[reset(skip default)]
    a: u32,
}

#[derive(Default, Reset)]
struct NotAnOption {
    #[reset(= 3)]
    a: u32,
    #[reset(7)]
    b: u32,
}

#[derive(Default, Reset)]
struct EmptyValues {
    #[reset(value =)]
    a: u32,
    #[reset(with)]
    b: Vec<u8>,
    #[reset(with = "clear")]
    c: Vec<u8>,
}

#[derive(Default, Reset)]
#[reset(crate)]
struct CrateWithoutPath(u8);

#[derive(Default, Reset)]
#[reset(crate = "fastalloc")]
struct CrateAsString(u8);

#[derive(Default, Reset)]
#[reset(crate = fastalloc, crate = fastalloc)]
struct CrateTwice(u8);

#[derive(Default, Reset)]
#[reset(skip)]
struct FieldOptionOnType(u8);

#[derive(Default, Reset)]
#[reset(colour)]
struct UnknownOnType(u8);

#[derive(Reset)]
enum TwoDefaults {
    #[reset(default, default)]
    Idle,
    Busy,
}

fn main() {}
