// A pool in a `static` cannot be generic, nor hold borrowed data. The `Reset` impl is still
// written, so using it adds no error.
use fastalloc::{pooled, Reset};

#[pooled(capacity = 8)]
#[derive(Default)]
struct Buffer<T> {
    items: Vec<T>,
}

#[pooled(capacity = 8)]
#[derive(Default)]
struct View<'a> {
    text: &'a str,
}

fn main() {
    let mut buffer = Buffer::<u8> { items: Vec::new() };
    buffer.reset();
    let _ = View { text: "" };
}
