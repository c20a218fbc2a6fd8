// A type without `Default` needs a `factory`.
use fastalloc::pooled;

#[pooled(capacity = 8)]
struct Connection {
    buffer: Vec<u8>,
}

fn main() {
    let _guard = Connection::pool().allocate();
}
