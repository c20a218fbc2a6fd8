// A field whose type has no `Reset` impl: the error points at that field, for the impl that
// `#[pooled]` writes and for `#[derive(Reset)]`.
use fastalloc::{pooled, Reset};

#[derive(Default)]
struct Socket;

#[pooled(capacity = 8)]
#[derive(Default)]
struct Connection {
    buffer: Vec<u8>,
    socket: Socket,
}

#[derive(Reset)]
struct Derived(u32, Socket);

fn main() {}
