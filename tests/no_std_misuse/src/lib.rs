//! `#[pooled]` in a `#![no_std]` crate, with `fastalloc`'s default features off: see
//! `Cargo.toml`.
#![no_std]

use fastalloc::{pooled, PoolError, StaticPool, StaticPooled};

/// A frame buffer with no heap in it.
#[pooled(capacity = 4, heapless)]
pub struct Frame {
    /// The bytes.
    pub data: [u8; 64],
    /// How many of them are in use.
    pub len: usize,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            data: [0; 64],
            len: 0,
        }
    }
}

/// Fills a frame from the pool.
///
/// # Errors
///
/// When all four frames are in use.
pub fn fill(bytes: &[u8]) -> Result<StaticPooled<'static, Frame, 4>, PoolError> {
    let pool: &'static StaticPool<Frame, 4> = Frame::pool();
    let mut frame = pool.allocate()?;
    let len = bytes.len().min(frame.data.len());
    frame.data[..len].copy_from_slice(&bytes[..len]);
    frame.len = len;
    Ok(frame)
}

/// Every mode but `heapless` needs `std`: four errors, one per type.
#[cfg(feature = "misuse")]
mod misuse {
    use fastalloc::pooled;

    #[pooled(capacity = 4)]
    #[derive(Default)]
    struct NoModeWord {
        value: u32,
    }

    #[pooled(capacity = 4, thread_local)]
    #[derive(Default)]
    struct ThreadLocal {
        value: u32,
    }

    #[pooled(capacity = 4, thread_safe)]
    #[derive(Default)]
    struct ThreadSafe {
        value: u32,
    }

    #[pooled(capacity = 4, async)]
    #[derive(Default)]
    struct Async {
        value: u32,
    }
}
