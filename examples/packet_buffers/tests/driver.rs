//! The packet example's driver on the host: receive and transmit cycles, exhaustion, resets,
//! statistics, and a frame returned from another thread.
//!
//! Each test has its own `static` pool (tests run in parallel, and a pool's figures are its
//! own); the doc example in `src/lib.rs` uses `Packet::pool()`.

use fastalloc_example_packets::{
    Driver, DriverError, Frame, Packet, RxPool, Wire, FRAME_CAPACITY, HEADER_LEN, RX_BUFFERS,
};

/// A MAC that records what it sends, and is busy when told to be.
#[derive(Default)]
struct Recorder {
    sent: Vec<Vec<u8>>,
    busy: bool,
}

impl Wire for Recorder {
    fn send(&mut self, frame: &[u8]) -> bool {
        if !self.busy {
            self.sent.push(frame.to_vec());
        }
        !self.busy
    }
}

/// An IPv4 frame of `len` bytes from `02:00:00:00:00:01` to the broadcast address, its
/// payload numbered by `seq`.
fn frame(len: usize, seq: u8) -> Vec<u8> {
    let mut frame = vec![seq; len];
    frame[..6].copy_from_slice(&[0xff; 6]);
    frame[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    frame[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    frame
}

#[test]
fn receive_and_transmit_cycles_reuse_the_buffers() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    for seq in 0..100u8 {
        let len = 60 + usize::from(seq) * 14;
        let frame = driver.receive(&frame(len, seq)).unwrap();
        assert_eq!(frame.len(), len);
        assert_eq!(frame.destination(), [0xff; 6]);
        assert_eq!(frame.source(), [0x02, 0, 0, 0, 0, 0x01]);
        assert_eq!(frame.ethertype(), 0x0800);
        driver.transmit(frame).unwrap();
    }
    let sent = &driver.wire().sent;
    assert_eq!(sent.len(), 100);
    assert!(sent
        .iter()
        .enumerate()
        .all(|(seq, f)| *f == frame(f.len(), seq as u8)));
    let stats = driver.stats();
    assert_eq!((stats.rx_frames, stats.tx_frames), (100, 100));
    // One frame at a time: one buffer was ever built, and reused 99 times.
    assert_eq!(stats.buffers.created, 1);
    assert_eq!(stats.buffers.reused, 99);
    assert_eq!(stats.buffers.in_use, 0);
}

#[test]
fn the_ninth_held_frame_is_dropped_and_counted() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    let held: Vec<Frame> = (0..RX_BUFFERS as u8)
        .map(|seq| driver.receive(&frame(64, seq)).unwrap())
        .collect();
    assert_eq!(
        driver.receive(&frame(64, 8)).unwrap_err(),
        DriverError::NoBuffer
    );
    assert_eq!(
        driver.receive(&frame(64, 9)).unwrap_err(),
        DriverError::NoBuffer
    );
    let stats = driver.stats();
    assert_eq!((stats.rx_frames, stats.rx_no_buffer), (8, 2));
    assert_eq!((stats.buffers.in_use, stats.buffers.exhausted), (8, 2));
    // The held frames are intact, each in its own buffer.
    for (seq, frame) in held.iter().enumerate() {
        assert!(frame.bytes()[HEADER_LEN..].iter().all(|&b| b == seq as u8));
    }

    drop(held);
    assert!(driver.receive(&frame(64, 10)).is_ok());
    assert_eq!(driver.stats().buffers.in_use, 0);
}

#[test]
fn a_returned_buffer_forgets_its_frame() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    drop(driver.receive(&frame(FRAME_CAPACITY, 7)).unwrap());
    // The same buffer (last in, first out), reset: `len` is 0, so no byte of the old frame
    // can be read.
    let packet = POOL.allocate().unwrap();
    assert!(packet.is_empty());
    assert_eq!(packet.bytes(), &[] as &[u8]);
    assert_eq!(packet.ethertype(), 0);
    assert_eq!(POOL.stats().reused, 1);
}

#[test]
fn bad_lengths_take_no_buffer() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    let short = driver.receive(&[0; HEADER_LEN - 1]).unwrap_err();
    assert_eq!(short, DriverError::Truncated { len: 13 });
    let long = driver.receive(&frame(FRAME_CAPACITY + 1, 0)).unwrap_err();
    assert_eq!(long, DriverError::Oversized { len: 1537 });
    assert_eq!(long.to_string(), "frame of 1537 bytes exceeds 1536");
    let stats = driver.stats();
    assert_eq!((stats.rx_malformed, stats.rx_frames), (2, 0));
    assert_eq!(stats.buffers.allocations, 0);

    let mut packet = Packet::empty();
    assert!(packet.copy_from(&[0; 3]).is_err());
    assert!(packet.is_empty());
}

#[test]
fn a_busy_mac_drops_the_frame_and_frees_its_buffer() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(
        &POOL,
        Recorder {
            busy: true,
            ..Recorder::default()
        },
    );
    let frame = driver.receive(&frame(100, 1)).unwrap();
    assert_eq!(driver.transmit(frame), Err(DriverError::TxBusy));
    let stats = driver.stats();
    assert_eq!((stats.tx_frames, stats.tx_busy), (0, 1));
    assert_eq!(stats.buffers.in_use, 0);
    assert!(driver.wire().sent.is_empty());
}

#[test]
fn a_frame_goes_back_from_another_thread() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    let frames: Vec<Frame> = (0..4)
        .map(|seq| driver.receive(&frame(200, seq)).unwrap())
        .collect();
    // The stack runs on another thread: it reads the frames and drops them there.
    let seen = std::thread::spawn(move || {
        frames
            .into_iter()
            .map(|frame| frame.bytes()[HEADER_LEN])
            .collect::<Vec<u8>>()
    })
    .join()
    .unwrap();
    assert_eq!(seen, [0, 1, 2, 3]);
    let stats = driver.stats();
    assert_eq!((stats.buffers.in_use, stats.buffers.idle), (0, 4));
    assert_eq!(stats.buffers.releases, 4);
    // Buffers returned over there are lent again here, reset.
    let again = driver.receive(&frame(60, 9)).unwrap();
    assert_eq!(again.len(), 60);
    assert_eq!(driver.stats().buffers.reused, 1);
}

#[test]
fn a_closed_pool_means_the_driver_is_down() {
    static POOL: RxPool = RxPool::with_factory(Packet::empty);
    let mut driver = Driver::new(&POOL, Recorder::default());
    POOL.close();
    assert_eq!(
        driver.receive(&frame(64, 0)).unwrap_err(),
        DriverError::Down
    );
}
