//! Receive buffers of an Ethernet driver on a microcontroller, from a [`StaticPool`]: no heap,
//! no `std`, no lock (an example of fastalloc, issue 15; not published).
//!
//! The receive interrupt calls [`Driver::receive`], which copies the frame out of the MAC's
//! DMA ring into a pooled [`Packet`] and returns its guard, a [`Frame`]. The frame then goes
//! wherever the firmware sends it (a queue to the protocol stack, another thread) and back
//! out through [`Driver::transmit`], or is simply dropped: either way the guard resets the
//! packet and returns it to the pool, from any thread or interrupt. The eight buffers of
//! [`Packet::pool`] (`#[pooled(heapless)]`) live in a `static` and are built on first use.
//! When all eight are out, the frame is dropped and counted ([`DriverError::NoBuffer`]): an
//! interrupt handler cannot wait for a buffer.
//!
//! # Examples
//!
//! ```
//! use fastalloc_example_packets::{Driver, Packet, Wire};
//!
//! /// A MAC that takes every frame (a real one copies it into its transmit ring).
//! struct Loopback(u32);
//!
//! impl Wire for Loopback {
//!     fn send(&mut self, _frame: &[u8]) -> bool {
//!         self.0 += 1;
//!         true
//!     }
//! }
//!
//! let mut driver = Driver::new(Packet::pool(), Loopback(0));
//! let frame = driver.receive(&[0xff; 64])?; // a broadcast frame, from the DMA ring
//! assert_eq!(frame.ethertype(), 0xffff);
//! driver.transmit(frame)?; // sent back out; the buffer returns to the pool
//! assert_eq!((driver.stats().rx_frames, driver.stats().tx_frames), (1, 1));
//! assert_eq!(Packet::pool().stats().in_use, 0);
//! # Ok::<(), fastalloc_example_packets::DriverError>(())
//! ```
#![no_std]

use core::fmt;

use fastalloc::{pooled, PoolError, PoolStats, StaticPool, StaticPooled};

/// Bytes in one buffer: the longest Ethernet frame with a VLAN tag and its checksum (1,522)
/// rounded up to a multiple of 64, a size DMA engines like.
pub const FRAME_CAPACITY: usize = 1536;
/// The Ethernet header: the destination and source addresses, and the payload's type.
pub const HEADER_LEN: usize = 14;
/// Receive buffers in [`Packet::pool`].
pub const RX_BUFFERS: usize = 8;

/// One receive buffer: an Ethernet frame of `len` bytes at the start of `data`.
///
/// `Packet::pool()` is the driver's pool: 8 × 1,538 bytes and the pool's bookkeeping (12,400
/// bytes on thumbv7em), each buffer built on its first use. The pool holds function pointers
/// and a non-zero head, so its `static` lands in `.data`, not `.bss`: its initial image, zeros
/// included, takes as much flash.
///
/// A returned buffer is reset: `len` goes back to 0. The bytes stay (clearing 1,536 of them on
/// every release would cost more than copying the frame in); nothing reads past `len`.
#[pooled(capacity = RX_BUFFERS, heapless, factory = Self::empty)]
pub struct Packet {
    len: u16,
    #[reset(skip)]
    data: [u8; FRAME_CAPACITY],
}

impl Packet {
    /// An empty buffer: the pool's factory (`[u8; 1536]` has no `Default`).
    pub const fn empty() -> Self {
        Self {
            len: 0,
            data: [0; FRAME_CAPACITY],
        }
    }

    /// The frame's length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether the buffer holds no frame (a fresh or reset one).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The frame.
    pub fn bytes(&self) -> &[u8] {
        // `len <= FRAME_CAPACITY` always (see `copy_from`); `get` keeps the panic path out.
        self.data.get(..self.len()).unwrap_or_default()
    }

    /// Replaces the frame with a copy of `frame`.
    ///
    /// # Errors
    ///
    /// [`DriverError::Truncated`] below [`HEADER_LEN`] bytes, [`DriverError::Oversized`] above
    /// [`FRAME_CAPACITY`]; the packet is left as it was.
    pub fn copy_from(&mut self, frame: &[u8]) -> Result<(), DriverError> {
        let len = check_len(frame.len())?;
        if let Some(data) = self.data.get_mut(..frame.len()) {
            data.copy_from_slice(frame);
            self.len = len;
        }
        Ok(())
    }

    /// Where the frame is going (a MAC address).
    pub fn destination(&self) -> [u8; 6] {
        self.field(0)
    }

    /// Where the frame comes from.
    pub fn source(&self) -> [u8; 6] {
        self.field(6)
    }

    /// What the payload is: `0x0800` IPv4, `0x0806` ARP, `0x86dd` IPv6, ...
    pub fn ethertype(&self) -> u16 {
        u16::from_be_bytes(self.field(12))
    }

    /// `N` header bytes from `at` (0s in a buffer that holds no frame).
    fn field<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut field = [0; N];
        if let Some(bytes) = self.bytes().get(at..at + N) {
            field.copy_from_slice(bytes);
        }
        field
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("len", &self.len)
            .field("ethertype", &format_args!("{:#06x}", self.ethertype()))
            .finish_non_exhaustive()
    }
}

/// A pool of receive buffers, as [`Packet::pool`] is (a test or a second port can have its own).
pub type RxPool = StaticPool<Packet, RX_BUFFERS>;

/// A received frame: the guard of a [`Packet`] lent by an [`RxPool`]. `Send`, so it may go to
/// another thread or interrupt priority; dropping it returns the buffer.
pub type Frame = StaticPooled<'static, Packet, RX_BUFFERS>;

/// The transmit side of the MAC, below the driver.
pub trait Wire {
    /// Copies `frame` into a transmit descriptor and starts sending it; `false` when every
    /// descriptor is busy.
    fn send(&mut self, frame: &[u8]) -> bool;
}

/// Why a frame was not received or not sent. All but `Down` are counted in [`DriverStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverError {
    /// Every receive buffer is in use: the frame was dropped.
    NoBuffer,
    /// The frame is shorter than its header.
    Truncated {
        /// Its length in bytes.
        len: usize,
    },
    /// The frame does not fit in a buffer.
    Oversized {
        /// Its length in bytes.
        len: usize,
    },
    /// The MAC had no free transmit descriptor: the frame was dropped, its buffer returned.
    TxBusy,
    /// The pool was closed ([`StaticPool::close`]): the driver is shutting down.
    Down,
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoBuffer => f.write_str("no free receive buffer: frame dropped"),
            Self::Truncated { len } => write!(f, "frame of {len} bytes is shorter than a header"),
            Self::Oversized { len } => write!(f, "frame of {len} bytes exceeds {FRAME_CAPACITY}"),
            Self::TxBusy => f.write_str("no free transmit descriptor: frame dropped"),
            Self::Down => f.write_str("the driver is shut down"),
        }
    }
}

impl core::error::Error for DriverError {}

/// What a driver has seen since it was made. The counters wrap around.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Frames received into a buffer.
    pub rx_frames: u32,
    /// Frames dropped because every buffer was in use.
    pub rx_no_buffer: u32,
    /// Frames dropped because of their length.
    pub rx_malformed: u32,
    /// Frames handed to the MAC.
    pub tx_frames: u32,
    /// Frames dropped because the MAC was busy.
    pub tx_busy: u32,
    /// The buffer pool's own figures (`in_use`, `peak_in_use`, `exhausted`, ...).
    pub buffers: PoolStats,
}

/// An Ethernet driver: receives into buffers of `pool`, transmits through `wire`.
pub struct Driver<W> {
    pool: &'static RxPool,
    wire: W,
    stats: DriverStats,
}

impl<W: Wire> Driver<W> {
    /// A driver whose frames are received into `pool`'s buffers (usually [`Packet::pool`]).
    pub fn new(pool: &'static RxPool, wire: W) -> Self {
        let stats = DriverStats::default();
        Self { pool, wire, stats }
    }

    /// Copies a frame from the DMA ring into a free buffer. Never waits, and no panic on the
    /// way. The first use of a buffer builds its `Packet` on the stack and moves it into the
    /// pool, so the call needs about 1.6 KiB of stack (thumbv7em, release build).
    ///
    /// # Errors
    ///
    /// [`DriverError::NoBuffer`] when every buffer is in use, [`DriverError::Truncated`] or
    /// [`DriverError::Oversized`] for a bad length (no buffer is taken), [`DriverError::Down`]
    /// once the pool is closed.
    pub fn receive(&mut self, frame: &[u8]) -> Result<Frame, DriverError> {
        if let Err(error) = check_len(frame.len()) {
            self.stats.rx_malformed = self.stats.rx_malformed.wrapping_add(1);
            return Err(error);
        }
        let mut packet = match self.pool.allocate() {
            Ok(packet) => packet,
            Err(PoolError::Exhausted { .. }) => {
                self.stats.rx_no_buffer = self.stats.rx_no_buffer.wrapping_add(1);
                return Err(DriverError::NoBuffer);
            }
            Err(_) => return Err(DriverError::Down),
        };
        packet.copy_from(frame)?; // the length was checked above: cannot fail
        self.stats.rx_frames = self.stats.rx_frames.wrapping_add(1);
        Ok(packet)
    }

    /// Sends a frame and gives its buffer back to the pool, sent or not.
    ///
    /// # Errors
    ///
    /// [`DriverError::TxBusy`] when the MAC had no free descriptor: the frame is dropped (a
    /// protocol above retransmits; holding it here could starve the receive side).
    pub fn transmit(&mut self, frame: Frame) -> Result<(), DriverError> {
        let sent = self.wire.send(frame.bytes());
        drop(frame); // the buffer goes back to the pool, sent or not
        if sent {
            self.stats.tx_frames = self.stats.tx_frames.wrapping_add(1);
            Ok(())
        } else {
            self.stats.tx_busy = self.stats.tx_busy.wrapping_add(1);
            Err(DriverError::TxBusy)
        }
    }

    /// The driver's counters and its pool's figures.
    pub fn stats(&self) -> DriverStats {
        DriverStats {
            buffers: self.pool.stats(),
            ..self.stats
        }
    }

    /// The MAC below the driver.
    pub fn wire(&self) -> &W {
        &self.wire
    }
}

/// The length of a frame that fits a buffer, as a `u16`.
fn check_len(len: usize) -> Result<u16, DriverError> {
    if len < HEADER_LEN {
        Err(DriverError::Truncated { len })
    } else if len > FRAME_CAPACITY {
        Err(DriverError::Oversized { len })
    } else {
        Ok(len as u16) // FRAME_CAPACITY < 65,536
    }
}
