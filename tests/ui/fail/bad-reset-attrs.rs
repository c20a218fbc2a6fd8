// Malformed `#[reset(...)]` field attributes, all reported in one round.
use fastalloc::Reset;

fn clear(value: &mut Vec<u8>) {
    value.clear();
}

#[derive(Reset)]
struct Fields {
    #[reset]
    bare: u8,
    #[reset = "skip"]
    name_value: u8,
    #[reset(skp)]
    misspelt: u8,
    #[reset(frobnicate)]
    unknown: u8,
    #[reset(skip, default)]
    conflicting: u8,
    #[reset(skip)]
    #[reset(skip)]
    duplicate: u8,
    #[reset(value)]
    value_without_expr: u8,
    #[reset(skip = true)]
    skip_with_value: u8,
    #[reset(with = "clear")]
    quoted_path: Vec<u8>,
    #[reset(with = |v: &mut Vec<u8>| v.clear())]
    closure: Vec<u8>,
    #[reset(crate = fastalloc)]
    crate_on_field: u8,
}

fn main() {
    let _ = clear;
}
