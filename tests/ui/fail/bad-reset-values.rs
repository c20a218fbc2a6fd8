// Well-formed `#[reset(...)]` attributes whose values do not fit the field: the errors point
// at the values.
use fastalloc::Reset;

struct NoDefault;

fn clear_string(value: &mut String) {
    value.clear();
}

#[derive(Reset)]
struct Fields {
    #[reset(value = "zero")]
    count: u32,
    #[reset(default)]
    handle: NoDefault,
    #[reset(with = clear_string)]
    bytes: Vec<u8>,
}

fn main() {}
