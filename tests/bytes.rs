//! `bytes::BytesMut` in pools (feature `bytes`): `Reset` clears it and keeps its memory, and
//! `#[reset(max_capacity = N)]` measures it.
//!
//! The root package's dev-dependencies turn the feature on, so `cargo test --workspace` runs
//! these; no `cfg` gate that could let them be skipped without notice.

use std::error::Error;

use bytes::{Buf, BufMut, BytesMut};
use fastalloc::{pooled, FixedPool, Reset, ThreadSafePool};

#[test]
fn a_pooled_bytes_mut_comes_back_empty_with_its_memory() -> Result<(), Box<dyn Error>> {
    let pool: FixedPool<BytesMut> = FixedPool::new(1)?;
    let mut buf = pool.allocate()?;
    buf.reserve(4096);
    buf.put_slice(b"GET / HTTP/1.1\r\n\r\n");
    let (address, capacity) = (buf.as_ptr(), buf.capacity());
    drop(buf);

    let again = pool.allocate()?;
    assert!(again.is_empty());
    assert_eq!(again.as_ptr(), address, "the same allocation comes back");
    assert_eq!(again.capacity(), capacity);
    let stats = pool.stats();
    assert_eq!((stats.created, stats.reused), (1, 1));
    Ok(())
}

/// What the `Reset` impl's documentation promises: room given up at the front is not lost, the
/// next user's `reserve` takes it back without allocating.
#[test]
fn room_given_up_at_the_front_comes_back_on_the_next_reserve() -> Result<(), Box<dyn Error>> {
    let pool: ThreadSafePool<BytesMut> = ThreadSafePool::new(1)?;

    // Read the whole buffer with `advance`.
    let mut buf = pool.allocate()?;
    buf.reserve(4096);
    buf.put_bytes(b'x', 4096);
    let address = buf.as_ptr();
    buf.advance(4096);
    assert_eq!(
        buf.capacity(),
        0,
        "the test's premise: the view moved to the end"
    );
    drop(buf);
    // Takes the buffer's memory if it was freed, so a fresh allocation cannot land there.
    let decoy: Vec<u8> = Vec::with_capacity(4096);
    let mut again = pool.allocate()?;
    again.reserve(4096);
    assert_eq!(again.as_ptr(), address, "reclaimed, not allocated");

    // Hand a frame off with `split_to(..).freeze()`, as a codec does, and let it go later.
    again.put_bytes(b'y', 4096);
    let frame = again.split_to(4096).freeze();
    drop(again);
    drop(frame); // the pooled buffer is the allocation's last owner again
    let mut third = pool.allocate()?;
    third.reserve(4096);
    assert_eq!(third.as_ptr(), address, "reclaimed once the frame is gone");
    assert_eq!(pool.stats().created, 1);
    drop(decoy);
    Ok(())
}

/// A connection's read buffer, pooled with a limit: one huge request must not pin its memory.
#[derive(Default, Reset)]
struct Connection {
    #[reset(max_capacity = 4096)]
    read: BytesMut,
    #[reset(skip)]
    id: u64,
}

#[test]
fn max_capacity_refuses_a_grown_bytes_mut() -> Result<(), Box<dyn Error>> {
    let pool: FixedPool<Connection> = FixedPool::new(1)?;
    let mut conn = pool.allocate()?;
    conn.id = 7;
    conn.read.reserve(1024);
    conn.read.put_slice(b"small request");
    let address = conn.read.as_ptr();
    drop(conn);
    assert_eq!(
        (pool.idle(), pool.stats().discarded),
        (1, 0),
        "under the limit: kept"
    );

    let mut conn = pool.allocate()?;
    assert_eq!(
        (conn.read.as_ptr(), conn.read.len(), conn.id),
        (address, 0, 7)
    );
    conn.read.reserve(64 * 1024);
    assert!(conn.read.capacity() > 4096, "the test's premise");
    drop(conn);
    assert_eq!(
        (pool.idle(), pool.stats().discarded),
        (0, 1),
        "above: dropped"
    );

    let fresh = pool.allocate()?;
    assert_eq!(
        (fresh.read.capacity(), fresh.id),
        (0, 0),
        "a new object replaces it"
    );
    assert_eq!(pool.stats().created, 2);
    Ok(())
}

/// The same through `#[pooled]`: a static pool of request buffers.
#[pooled(capacity = 4, thread_safe)]
#[derive(Default, Reset)]
struct Request {
    #[reset(max_capacity = 4096)]
    body: BytesMut,
}

#[test]
fn a_pooled_type_holding_a_bytes_mut() -> Result<(), Box<dyn Error>> {
    let mut request = Request::pool().allocate()?;
    request.body.put_slice(b"{\"id\": 1}");
    drop(request);
    let mut request = Request::pool().allocate()?;
    assert!(request.body.is_empty() && request.body.capacity() > 0);
    request.body.reserve(1 << 20);
    drop(request);
    let stats = Request::pool().stats();
    assert_eq!((stats.releases, stats.discarded), (2, 1));
    Ok(())
}
