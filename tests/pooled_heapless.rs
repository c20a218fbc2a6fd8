//! `#[pooled(capacity = N, heapless)]` (issue 15): `Type::pool()` is a `StaticPool<Type, N>` in a
//! plain `static`, with no heap and no lazy initialisation.
//!
//! Every pooled type here is used by one test only: the pools are `static`, and tests run in
//! parallel, so sharing a type between tests would mix their statistics and counts.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use fastalloc::{pooled, PoolError, Pooled, Reset, StaticPool, StaticPooled};

/// A frame buffer with nothing on the heap: the type of the issue.
#[pooled(capacity = 4, heapless)]
#[derive(Debug)]
struct Frame {
    data: [u8; 64],
    len: usize,
}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            data: [0; 64],
            len: 0,
        }
    }
}

#[test]
fn frames_are_lent_reset_and_exhausted_after_four() {
    let pool: &'static StaticPool<Frame, 4> = Frame::pool();
    assert!(
        std::ptr::eq(pool, Frame::pool()),
        "the same static every time"
    );
    assert_eq!(pool.capacity(), 4);
    assert_eq!(
        pool.stats().created,
        0,
        "nothing is built before it is needed"
    );

    let mut lent: Vec<StaticPooled<'static, Frame, 4>> = Vec::new();
    for byte in 1..=4 {
        let mut frame = pool.allocate().unwrap();
        frame.data[..3].fill(byte);
        frame.len = 3;
        lent.push(frame);
    }
    assert_eq!(
        pool.allocate().unwrap_err(),
        PoolError::Exhausted { capacity: 4 }
    );
    let addresses: HashSet<*const Frame> = lent
        .iter()
        .map(|frame| std::ptr::from_ref(&**frame))
        .collect();
    assert_eq!(addresses.len(), 4);
    // The objects live in the pool, which lives in the static: no heap.
    let start = std::ptr::from_ref(pool) as usize;
    let end = start + std::mem::size_of::<StaticPool<Frame, 4>>();
    assert!(addresses
        .iter()
        .all(|&address| (start..end).contains(&(address as usize))));

    drop(lent);
    let stats = pool.stats();
    assert_eq!(
        (stats.in_use, stats.idle, stats.releases, stats.exhausted),
        (0, 4, 4, 1)
    );

    let again: Vec<_> = (0..4).map(|_| Frame::pool().allocate().unwrap()).collect();
    for frame in &again {
        assert_eq!(frame.len, 0, "reset on release");
        assert_eq!(frame.data, [0; 64]);
        assert!(addresses.contains(&std::ptr::from_ref(&**frame)));
    }
    let stats = pool.stats();
    assert_eq!((stats.created, stats.reused, stats.in_use), (4, 4, 4));
}

static TOKENS_BUILT: AtomicUsize = AtomicUsize::new(0);
static TOKENS_DROPPED: AtomicUsize = AtomicUsize::new(0);

fn make_token() -> Token {
    Token {
        serial: TOKENS_BUILT.fetch_add(1, Ordering::SeqCst),
        uses: 0,
    }
}

/// A token is retired after three uses: `retain_if` beside the generated `Reset`.
#[pooled(capacity = 2, heapless, factory = make_token, retain_if = Self::fresh)]
#[derive(Debug)]
struct Token {
    #[reset(skip)]
    serial: usize,
    #[reset(skip)]
    uses: u32,
}

impl Token {
    fn fresh(&self) -> bool {
        self.uses < 3
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        TOKENS_DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn retain_if_retires_objects_and_each_is_dropped_once() {
    let counts = || {
        (
            TOKENS_BUILT.load(Ordering::SeqCst),
            TOKENS_DROPPED.load(Ordering::SeqCst),
        )
    };
    for round in 0..3 {
        let mut token = Token::pool().allocate().unwrap();
        assert_eq!(token.serial, 0, "round {round}: the first token again");
        token.uses += 1;
    }
    assert_eq!(counts(), (1, 1), "the third release retired it");
    assert_eq!(Token::pool().stats().discarded, 1);

    let token = Token::pool().allocate().unwrap();
    assert_eq!(
        (token.serial, token.uses),
        (1, 0),
        "a new one from the factory"
    );
    assert_eq!(counts(), (2, 1));

    // A detached object leaves the pool and is the caller's to drop.
    let detached: Token = Pooled::detach(token);
    assert_eq!(counts(), (2, 1));
    drop(detached);
    assert_eq!(counts(), (2, 2));

    // Closing drops the idle objects now.
    drop(Token::pool().allocate().unwrap());
    assert_eq!(counts(), (3, 2));
    Token::pool().close();
    assert!(Token::pool().is_closed());
    assert_eq!(counts(), (3, 3), "the idle token is dropped by close");
    assert_eq!(Token::pool().allocate().unwrap_err(), PoolError::Closed);
}

fn make_counter() -> Counter {
    Counter {
        value: 10,
        resets: 0,
    }
}

fn reset_counter(counter: &mut Counter) {
    counter.value = 10;
    counter.resets += 1;
}

/// Neither `Default` nor `Reset`: a factory and a reset function.
#[pooled(capacity = 1, heapless, factory = make_counter, reset = reset_counter)]
struct Counter {
    value: u32,
    resets: u32,
}

#[test]
fn factory_and_reset_functions_replace_default_and_reset() {
    let mut counter = Counter::pool().allocate().unwrap();
    assert_eq!((counter.value, counter.resets), (10, 0));
    counter.value = 99;
    drop(counter);
    let counter = Counter::pool().allocate().unwrap();
    assert_eq!((counter.value, counter.resets), (10, 1));
    assert_eq!(Counter::pool().stats().created, 1);
}

fn clear_limited(limited: &mut Limited) {
    limited.level = 0;
}

/// With `reset = path`, `retain_if` alone decides (there is no `Reset::reusable` to ask).
#[pooled(capacity = 1, heapless, reset = clear_limited, retain_if = Self::healthy)]
#[derive(Default)]
struct Limited {
    level: u8,
    errors: u8, // left as it is by `clear_limited`
}

impl Limited {
    fn healthy(&self) -> bool {
        self.errors == 0
    }
}

#[test]
fn retain_if_goes_with_a_reset_function() {
    let mut limited = Limited::pool().allocate().unwrap();
    limited.level = 3;
    drop(limited);
    let mut limited = Limited::pool().allocate().unwrap();
    assert_eq!(limited.level, 0);
    limited.errors = 1;
    drop(limited);
    let stats = Limited::pool().stats();
    assert_eq!((stats.created, stats.discarded), (1, 1));
    assert_eq!(Limited::pool().allocate().unwrap().errors, 0);
}

/// `manual_reset`: the handwritten `Reset`, whose `reusable` the pool asks too.
#[pooled(capacity = 2, heapless, manual_reset)]
#[derive(Default)]
struct Session {
    user: u32,
    poisoned: bool,
}

impl Reset for Session {
    fn reset(&mut self) {
        self.user = 0;
    }

    fn reusable(&self) -> bool {
        !self.poisoned
    }
}

#[test]
fn a_handwritten_reset_and_its_reusable_are_used() {
    let mut session = Session::pool().allocate().unwrap();
    session.user = 7;
    drop(session);
    let mut session = Session::pool().allocate().unwrap();
    assert_eq!(session.user, 0);
    session.poisoned = true;
    drop(session);
    let stats = Session::pool().stats();
    assert_eq!((stats.created, stats.reused, stats.discarded), (1, 1, 1));
}

const SLOTS: usize = 3;

/// `#[derive(Reset)]` below, a constant expression naming `Self` for the capacity.
#[pooled(heapless, capacity = Self::PER_CORE * SLOTS)]
#[derive(Default, Reset)]
struct Sample {
    values: [i16; 8],
    #[reset(value = 1)]
    gain: i16,
}

impl Sample {
    const PER_CORE: usize = 2;
}

#[test]
fn constant_capacities_and_a_derived_reset() {
    let pool: &'static StaticPool<Sample, 6> = Sample::pool();
    assert_eq!(pool.capacity(), 6);
    let mut sample = pool.allocate().unwrap();
    assert_eq!(sample.gain, 0, "built by `Default`, not reset");
    sample.values[0] = -5;
    drop(sample);
    let sample = pool.allocate().unwrap();
    assert_eq!((sample.values, sample.gain), ([0; 8], 1));
}

/// Shared by all threads: a `StaticPool` is `Sync`, and its guards are `Send`.
#[pooled(capacity = 4, heapless)]
#[derive(Default)]
struct Shared {
    hits: u64,
}

#[test]
fn one_pool_is_shared_by_all_threads() {
    const THREADS: u64 = 4;
    let rounds: u64 = if cfg!(miri) { 20 } else { 2_000 };
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(move || {
                for _ in 0..rounds {
                    let mut shared = Shared::pool().allocate().unwrap();
                    assert_eq!(shared.hits, 0);
                    shared.hits += 1;
                }
            });
        }
    });
    // A guard taken on one thread can be dropped on another.
    let guard = Shared::pool().allocate().unwrap();
    std::thread::spawn(move || drop(guard)).join().unwrap();
    let stats = Shared::pool().stats();
    assert_eq!(stats.allocations, THREADS * rounds + 1);
    assert_eq!(stats.in_use, 0);
    assert!(stats.created <= 4);
}
