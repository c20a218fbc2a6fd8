// A public generic type with a private field type: the bound the derive adds on the field
// type does not trip `private_bounds` or any other warning.
#![deny(warnings)]

use fastalloc::Reset;

#[derive(Reset)]
struct Inner<T> {
    values: Vec<T>,
}

/// A public wrapper.
#[derive(Reset)]
pub struct Outer<T> {
    inner: Inner<T>,
}

fn main() {
    let mut outer = Outer { inner: Inner { values: vec![1] } };
    outer.reset();
    assert!(outer.inner.values.is_empty());
}
