//! Runs the pools that `#[pooled]` generates and the impls that `#[derive(Reset)]` generates.
//!
//! Every pooled type here is used by one test only: the pools are `static`, and tests run in
//! parallel, so sharing a type between tests would mix their statistics. Tests of
//! `ThreadLocalPool`s may rely on running alone on their thread; thread-safe pools are only
//! checked with counts that other tests cannot touch.
// Reset values are exact (zero, or a value assigned by `#[reset(value = ...)]`).
#![allow(clippy::float_cmp)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use fastalloc::{
    pooled, LocalPooled, PoolError, Reset, SharedPooled, ThreadLocalPool, ThreadSafePool,
};

/// Scales loop counts down under Miri.
const ROUNDS: usize = if cfg!(miri) { 20 } else { 2_000 };

// ---------------------------------------------------------------------------------------------
// Reuse and reset

/// The particle of the issue, as written there.
#[pooled(capacity = 1000, thread_safe)]
#[derive(Debug, Default, Reset)]
struct Particle {
    position: [f32; 3],
    velocity: [f32; 3],
    trail: Vec<[f32; 3]>, // cleared on release, capacity kept
    #[reset(skip)]
    id: u64, // left as it is
}

#[test]
fn the_issue_example_compiles_and_runs() -> Result<(), PoolError> {
    let mut p = Particle::pool().allocate()?;
    p.position = [1.0, 2.0, 3.0];
    p.velocity = [0.5; 3];
    p.trail.extend([[0.0; 3]; 10]);
    p.id = 99;
    let address: *const Particle = &*p;
    drop(p);
    // A thread-safe pool keeps returned objects in this thread's cache, so the same object
    // comes back.
    let p = Particle::pool().allocate()?;
    assert!(std::ptr::eq(&*p, address), "the same object comes back");
    assert_eq!(p.position, [0.0; 3]);
    assert_eq!(p.velocity, [0.0; 3]);
    assert!(p.trail.is_empty());
    assert!(p.trail.capacity() >= 10, "the trail keeps its capacity");
    assert_eq!(p.id, 99, "a skipped field is left as it is");
    assert_eq!(Particle::pool().capacity(), 1000);
    Ok(())
}

/// No mode word: a `ThreadLocalPool`.
#[pooled(capacity = 4)]
#[derive(Default)]
struct Scratch {
    bytes: Vec<u8>,
    words: HashMap<String, usize>,
    count: u32,
    label: String,
}

#[test]
fn objects_come_back_reset_and_keep_their_memory() {
    let pool: &'static ThreadLocalPool<Scratch> = Scratch::pool();
    let mut first = pool.allocate().unwrap();
    first.bytes.extend_from_slice(&[7; 256]);
    first.words.insert("hello".into(), 1);
    first.count = 41;
    first.label.push_str("first user");
    let address: *const Scratch = &*first;
    drop(first);

    let again = pool.allocate().unwrap();
    assert!(
        std::ptr::eq(&*again, address),
        "the same object comes back (LIFO)"
    );
    assert!(again.bytes.is_empty() && again.bytes.capacity() >= 256);
    assert!(again.words.is_empty() && again.words.capacity() >= 1);
    assert_eq!(again.count, 0);
    assert!(again.label.is_empty() && again.label.capacity() >= 10);
    drop(again);

    let stats = pool.stats();
    assert_eq!(
        (
            stats.allocations,
            stats.releases,
            stats.created,
            stats.reused
        ),
        (2, 2, 1, 1)
    );
}

// ---------------------------------------------------------------------------------------------
// Field attributes

fn truncate_to_two(items: &mut Vec<u32>) {
    items.truncate(2);
}

#[derive(Debug, Clone, PartialEq)]
struct Colour(u8, u8, u8);

impl Default for Colour {
    fn default() -> Self {
        Colour(255, 255, 255)
    }
}

#[pooled(capacity = 2)]
#[derive(Default)]
struct Attributed {
    reset_normally: Vec<u8>,
    #[reset(skip)]
    skipped: String,
    #[reset(default)]
    defaulted: Colour,
    #[reset(value = 16)]
    valued: u32,
    #[reset(value = Colour(1, 2, 3))]
    valued_expr: Colour,
    #[reset(with = truncate_to_two)]
    with_fn: Vec<u32>,
    #[reset(with = Vec::clear)]
    with_method: Vec<u8>,
}

#[test]
fn field_attributes_are_applied() {
    let mut object = Attributed::pool().allocate().unwrap();
    object.reset_normally.push(1);
    object.skipped.push_str("kept");
    object.defaulted = Colour(0, 0, 0);
    object.valued = 0;
    object.valued_expr = Colour(9, 9, 9);
    object.with_fn.extend([1, 2, 3, 4]);
    object.with_method.extend([5, 6]);
    drop(object);

    let object = Attributed::pool().allocate().unwrap();
    assert!(object.reset_normally.is_empty());
    assert_eq!(object.skipped, "kept", "skip leaves the field untouched");
    assert_eq!(
        object.defaulted,
        Colour(255, 255, 255),
        "default assigns Default::default()"
    );
    assert_eq!(object.valued, 16);
    assert_eq!(object.valued_expr, Colour(1, 2, 3));
    assert_eq!(object.with_fn, [1, 2], "with calls the function");
    assert!(object.with_method.is_empty());
}

/// `#[derive(Reset)]` alone, on every kind of struct.
#[derive(Debug, PartialEq, Reset)]
struct Tuple(u8, #[reset(skip)] u8, Vec<u8>);

#[derive(Debug, PartialEq, Reset)]
struct Unit;

#[derive(Debug, PartialEq, Reset)]
struct Generic<T, const N: usize> {
    items: Vec<T>, // `Vec<T>: Reset` for any `T`: no bound on `T` needed
    value: Option<T>,
    array: [u8; N],
    #[reset(skip)]
    kept: T,
}

#[derive(Debug, PartialEq, Reset)]
struct Bounded<T> {
    value: T, // needs `T: Reset`
}

/// Not `Reset`, not `Default`: usable inside `Vec<T>` of a `Generic<T>` anyway.
#[derive(Debug, PartialEq)]
struct Opaque(u8);

#[derive(Debug, PartialEq, Reset)]
enum State {
    Busy(u32),
    #[reset(default)]
    Idle,
    Stopped {
        code: i32,
    },
}

#[test]
fn derive_reset_on_structs_enums_and_generics() {
    let mut tuple = Tuple(1, 2, vec![3]);
    tuple.reset();
    assert_eq!(tuple, Tuple(0, 2, vec![]));

    let mut unit = Unit;
    unit.reset();
    assert_eq!(unit, Unit);

    let mut generic: Generic<Opaque, 2> = Generic {
        items: vec![Opaque(1)],
        value: Some(Opaque(2)),
        array: [3, 4],
        kept: Opaque(5),
    };
    generic.reset();
    assert_eq!(
        generic,
        Generic {
            items: vec![],
            value: None,
            array: [0, 0],
            kept: Opaque(5)
        }
    );

    let mut bounded = Bounded {
        value: String::from("x"),
    };
    bounded.reset();
    assert!(bounded.value.is_empty());

    for mut state in [State::Busy(3), State::Idle, State::Stopped { code: 2 }] {
        state.reset();
        assert_eq!(state, State::Idle);
    }
}

// ---------------------------------------------------------------------------------------------
// Factory, reset function, manual Reset

static BUILT: AtomicUsize = AtomicUsize::new(0);

fn make_connection() -> Connection {
    BUILT.fetch_add(1, Ordering::Relaxed);
    Connection {
        buffer: Vec::with_capacity(4096),
        serial: BUILT.load(Ordering::Relaxed),
    }
}

/// No `Default`: built by the factory.
#[pooled(capacity = 3, factory = make_connection)]
struct Connection {
    buffer: Vec<u8>,
    #[reset(skip)]
    serial: usize,
}

#[test]
fn the_factory_builds_objects() {
    let a = Connection::pool().allocate().unwrap();
    let b = Connection::pool().allocate().unwrap();
    assert!(a.buffer.capacity() >= 4096 && b.buffer.capacity() >= 4096);
    assert_ne!(a.serial, b.serial);
    assert_eq!(BUILT.load(Ordering::Relaxed), 2);
    drop((a, b));
    let _c = Connection::pool().allocate().unwrap();
    assert_eq!(BUILT.load(Ordering::Relaxed), 2, "reused, not built again");
}

static RESETS: AtomicUsize = AtomicUsize::new(0);

/// Neither `Reset` nor a derive: reset by a function.
#[pooled(capacity = 2, reset = Self::recycle, factory = Self::new)]
struct Recycled {
    data: Vec<u8>,
    uses: u32,
}

impl Recycled {
    fn new() -> Self {
        Recycled {
            data: Vec::new(),
            uses: 0,
        }
    }

    fn recycle(&mut self) {
        RESETS.fetch_add(1, Ordering::Relaxed);
        self.data.clear();
        self.uses += 1; // counts uses instead of resetting
    }
}

#[test]
fn the_reset_function_replaces_reset() {
    for _ in 0..3 {
        let mut object = Recycled::pool().allocate().unwrap();
        object.data.push(1);
    }
    let object = Recycled::pool().allocate().unwrap();
    assert!(object.data.is_empty());
    assert_eq!(object.uses, 3);
    assert_eq!(RESETS.load(Ordering::Relaxed), 3);
}

/// `manual_reset`: the struct implements `Reset` itself.
#[pooled(capacity = 2, manual_reset)]
#[derive(Default)]
struct Manual {
    log: Vec<String>,
    resets: u32,
}

impl Reset for Manual {
    fn reset(&mut self) {
        self.log.clear();
        self.resets += 1;
    }
}

#[test]
fn manual_reset_uses_the_handwritten_impl() {
    for _ in 0..2 {
        Manual::pool().allocate().unwrap().log.push("entry".into());
    }
    let object = Manual::pool().allocate().unwrap();
    assert!(object.log.is_empty());
    assert_eq!(object.resets, 2);
}

// ---------------------------------------------------------------------------------------------
// Both orders of `#[pooled]` and `#[derive(Reset)]`: exactly one `Reset` impl each time (a
// second one would not compile), and it honours the field attributes.

#[pooled(capacity = 2)]
#[derive(Default, Reset)]
struct PooledAbove {
    data: Vec<u8>,
    #[reset(value = 7)]
    seven: u8,
}

#[derive(Default, Reset)]
#[pooled(capacity = 2)]
struct DeriveAbove {
    data: Vec<u8>,
    #[reset(value = 7)]
    seven: u8,
}

#[pooled(capacity = 2, reset = reset_counting)]
#[derive(Default, Reset)]
struct PooledAboveWithFn {
    data: Vec<u8>,
    #[reset(skip)]
    resets: u32,
}

#[derive(Default, Reset)]
#[pooled(capacity = 2, reset = reset_counting_too)]
struct DeriveAboveWithFn {
    data: Vec<u8>,
    #[reset(skip)]
    resets: u32,
}

fn reset_counting(value: &mut PooledAboveWithFn) {
    value.reset();
    value.resets += 1;
}

fn reset_counting_too(value: &mut DeriveAboveWithFn) {
    value.reset();
    value.resets += 1;
}

#[test]
fn both_orders_of_the_two_macros_work() {
    let mut a = PooledAbove::pool().allocate().unwrap();
    a.data.push(1);
    a.seven = 0;
    drop(a);
    let a = PooledAbove::pool().allocate().unwrap();
    assert!(a.data.is_empty());
    assert_eq!(a.seven, 7);

    let mut b = DeriveAbove::pool().allocate().unwrap();
    b.data.push(1);
    b.seven = 0;
    drop(b);
    let b = DeriveAbove::pool().allocate().unwrap();
    assert!(b.data.is_empty());
    assert_eq!(b.seven, 7);

    // With `reset = path` the derive still provides `Reset`, and the pool uses the function.
    PooledAboveWithFn::pool().allocate().unwrap().data.push(1);
    let c = PooledAboveWithFn::pool().allocate().unwrap();
    assert!(c.data.is_empty());
    assert_eq!(c.resets, 1);

    DeriveAboveWithFn::pool().allocate().unwrap().data.push(1);
    let d = DeriveAboveWithFn::pool().allocate().unwrap();
    assert!(d.data.is_empty());
    assert_eq!(d.resets, 1);
}

/// `#[pooled]` writes the impl for tuple structs and enums too.
#[pooled(capacity = 1)]
#[derive(Default)]
struct PooledTuple(Vec<u8>, #[reset(skip)] u8);

#[pooled(capacity = 1, thread_safe)]
#[derive(Debug, Default, PartialEq)]
enum PooledEnum {
    #[default]
    #[reset(default)]
    Empty,
    Full(Vec<u8>),
}

#[test]
fn tuple_structs_and_enums_can_be_pooled() {
    let mut tuple = PooledTuple::pool().allocate().unwrap();
    tuple.0.push(1);
    tuple.1 = 9;
    drop(tuple);
    let tuple = PooledTuple::pool().allocate().unwrap();
    assert!(tuple.0.is_empty());
    assert_eq!(tuple.1, 9);

    let mut state = PooledEnum::pool().allocate().unwrap();
    *state = PooledEnum::Full(vec![1]);
    drop(state);
    assert_eq!(*PooledEnum::pool().allocate().unwrap(), PooledEnum::Empty);
}

/// A field that `cfg` removes is not reset (an attribute macro sees it before `cfg` runs).
#[pooled(capacity = 1)]
#[derive(Default)]
struct WithCfg {
    kept: Vec<u8>,
    #[cfg(any())]
    removed: NotReset,
    #[cfg(any())]
    #[reset(max_capacity = 8)]
    removed_and_measured: NotReset,
}

#[cfg(any())]
struct NotReset;

#[test]
fn cfg_removed_fields_are_not_reset() {
    WithCfg::pool().allocate().unwrap().kept.push(1);
    assert!(WithCfg::pool().allocate().unwrap().kept.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Refusing objects: `#[reset(max_capacity = N)]`, the fields' own `reusable`, `retain_if`

/// Counts its drops in the counter it was given (none when built by `Default`), so a test can
/// tell an object the pool dropped from one it kept.
#[derive(Default)]
struct DropCounter(Option<Arc<AtomicUsize>>);

impl DropCounter {
    /// Counts in `drops` from now on, unless it counts already (replacing a counter would
    /// drop it, and count that drop).
    fn tag(&mut self, drops: &Arc<AtomicUsize>) {
        if self.0.is_none() {
            self.0 = Some(Arc::clone(drops));
        }
    }
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        if let Some(drops) = &self.0 {
            drops.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The limit of the issue: a buffer that grew past 1 KiB is given back to the allocator.
const FRAME_LIMIT: usize = 1024;

/// Derived only: pooled in a `FixedPool` and a `ThreadSafePool` built by hand.
#[derive(Default, Reset)]
struct Frame {
    #[reset(max_capacity = 1024)]
    buf: Vec<u8>,
    #[reset(skip)]
    drops: DropCounter,
}

/// Grows the buffer of a lent `Frame` to exactly `capacity` bytes and tags it with `drops`,
/// then gives it back; returns the buffer's address.
fn use_frame<G: std::ops::DerefMut<Target = Frame>>(
    mut frame: G,
    capacity: usize,
    drops: &Arc<AtomicUsize>,
) -> *const u8 {
    frame.buf.reserve_exact(capacity);
    assert_eq!(frame.buf.capacity(), capacity, "the test's premise");
    frame.buf.push(1);
    frame.drops.tag(drops);
    frame.buf.as_ptr()
}

#[test]
fn max_capacity_refuses_a_grown_object_in_a_fixed_pool() {
    let pool = fastalloc::FixedPool::<Frame>::new(2).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));

    let kept = use_frame(pool.allocate().unwrap(), FRAME_LIMIT, &drops);
    assert_eq!(
        (pool.idle(), pool.stats().discarded),
        (1, 0),
        "at the limit: kept"
    );
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    let again = pool.allocate().unwrap();
    assert_eq!(again.buf.as_ptr(), kept, "the same buffer comes back");
    assert!(again.buf.is_empty() && again.buf.capacity() == FRAME_LIMIT);

    use_frame(again, FRAME_LIMIT + 1, &drops);
    assert_eq!(
        (pool.idle(), pool.stats().discarded),
        (0, 1),
        "above: dropped"
    );
    assert_eq!(drops.load(Ordering::Relaxed), 1, "dropped at once");
    let fresh = pool.allocate().unwrap();
    assert_eq!(fresh.buf.capacity(), 0, "a fresh object replaces it");
    assert_eq!(pool.stats().created, 2);
}

#[test]
fn max_capacity_refuses_a_grown_object_in_a_thread_safe_pool() {
    let pool = ThreadSafePool::<Frame>::new(2).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));

    use_frame(pool.allocate().unwrap(), FRAME_LIMIT, &drops);
    assert_eq!((pool.idle(), pool.stats().discarded), (1, 0));
    use_frame(pool.allocate().unwrap(), 4 * FRAME_LIMIT, &drops);
    assert_eq!((pool.idle(), pool.stats().discarded), (0, 1));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    let stats = pool.stats();
    assert_eq!((stats.releases, stats.in_use), (2, 0));
}

/// The other pool kinds refuse a derived `Frame` the same way: kept at the limit, dropped
/// above it, the slot refilled.
#[test]
fn max_capacity_refuses_a_grown_object_in_every_other_pool_kind() {
    fn check<G: std::ops::DerefMut<Target = Frame>>(
        name: &str,
        allocate: &dyn Fn() -> G,
        stats: &dyn Fn() -> fastalloc::PoolStats,
    ) {
        let drops = Arc::new(AtomicUsize::new(0));
        use_frame(allocate(), FRAME_LIMIT, &drops);
        use_frame(allocate(), FRAME_LIMIT + 1, &drops);
        let after = stats();
        assert_eq!((after.idle, after.discarded), (0, 1), "{name}: {after}");
        assert_eq!(drops.load(Ordering::Relaxed), 1, "{name}");
        assert_eq!(allocate().buf.capacity(), 0, "{name}: a fresh object");
    }
    let growing = fastalloc::GrowingPool::<Frame>::new(1, fastalloc::Growth::Linear(1)).unwrap();
    check("GrowingPool", &|| growing.allocate().unwrap(), &|| {
        growing.stats()
    });
    let local = fastalloc::ThreadLocalPool::<Frame>::new(2).unwrap();
    check("ThreadLocalPool", &|| local.allocate().unwrap(), &|| {
        local.stats()
    });
    let asynchronous = fastalloc::AsyncPool::<Frame>::new(2).unwrap();
    check(
        "AsyncPool",
        &|| asynchronous.try_allocate().unwrap(),
        &|| asynchronous.stats(),
    );
}

/// `#[pooled]` writes this `Reset` impl (no derive), `reusable` included.
#[pooled(capacity = 2)]
#[derive(Default)]
struct LocalFrame {
    #[reset(max_capacity = FRAME_LIMIT)]
    buf: Vec<u8>,
    #[reset(skip)]
    drops: DropCounter,
}

/// The derive writes this one; `#[pooled]`'s pool asks its `reusable`.
#[pooled(capacity = 2, thread_safe)]
#[derive(Default, Reset)]
struct SharedFrame {
    #[reset(max_capacity = 1024)]
    buf: Vec<u8>,
    #[reset(skip)]
    drops: DropCounter,
}

#[test]
fn pooled_pools_drop_objects_above_max_capacity() {
    let drops = Arc::new(AtomicUsize::new(0));
    for capacity in [FRAME_LIMIT, FRAME_LIMIT + 1] {
        let mut frame = LocalFrame::pool().allocate().unwrap();
        frame.buf.reserve_exact(capacity);
        frame.drops.tag(&drops);
    }
    let pool = LocalFrame::pool();
    let stats = pool.stats();
    assert_eq!((pool.idle(), stats.discarded, stats.releases), (0, 1, 2));
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "only the grown one was dropped"
    );

    let drops = Arc::new(AtomicUsize::new(0));
    let mut small = SharedFrame::pool().allocate().unwrap();
    small.buf.reserve_exact(16);
    small.drops.tag(&drops);
    let mut large = SharedFrame::pool().allocate().unwrap();
    large.buf.reserve_exact(FRAME_LIMIT + 1);
    large.drops.tag(&drops);
    drop((small, large));
    let pool = SharedFrame::pool();
    assert_eq!((pool.idle(), pool.stats().discarded), (1, 1));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(
        pool.allocate().unwrap().buf.capacity(),
        16,
        "the small one is kept"
    );
}

/// A field type that refuses itself after three uses, and counts its drops.
#[derive(Default)]
struct Worn {
    uses: u32,
    drops: DropCounter,
}

impl Reset for Worn {
    fn reset(&mut self) {
        self.uses += 1;
    }

    fn reusable(&self) -> bool {
        self.uses < 3
    }
}

#[pooled(capacity = 1, thread_safe)]
#[derive(Default)]
struct Machine {
    part: Worn, // reset with its own `Reset`, so asked
    #[reset(skip)]
    spare: Worn, // skipped: its `reusable` is none of the derive's business
    #[reset(value = Worn { uses: 9, drops: DropCounter::default() })]
    assigned: Worn,
}

#[test]
fn a_field_is_asked_its_own_reusable() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut machine = Machine::pool().allocate().unwrap();
    machine.part.drops.tag(&drops);
    machine.spare.uses = 100; // would refuse itself if it were asked
    drop(machine);
    drop(Machine::pool().allocate().unwrap()); // `part.uses` is 2 now: still kept
    assert_eq!(Machine::pool().stats().discarded, 0);
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    drop(Machine::pool().allocate().unwrap()); // 3: refused
    let stats = Machine::pool().stats();
    assert_eq!((stats.discarded, stats.idle, stats.created), (1, 0, 1));
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    assert_eq!(
        Machine::pool().allocate().unwrap().part.uses,
        0,
        "a fresh one"
    );
}

/// `max_capacity` with `skip`: the field keeps its contents, but not too much memory.
#[derive(Default, Reset)]
struct Memo {
    #[reset(skip, max_capacity = 64)]
    cache: Vec<u8>,
    #[reset(max_capacity = 8)]
    #[reset(with = Vec::clear)]
    scratch: Vec<u8>,
}

#[test]
fn max_capacity_goes_with_other_options() {
    let mut memo = Memo {
        cache: Vec::with_capacity(64),
        scratch: Vec::with_capacity(8),
    };
    memo.cache.push(7);
    memo.scratch.push(7);
    memo.reset();
    assert_eq!(memo.cache, [7], "skip leaves the contents");
    assert!(memo.scratch.is_empty(), "with still runs");
    assert!(memo.reusable());
    memo.cache.reserve_exact(65);
    assert!(!memo.reusable(), "skipped, but measured");
    memo.cache = Vec::new();
    memo.scratch.reserve_exact(9);
    assert!(!memo.reusable());

    let pool = fastalloc::FixedPool::<Memo>::new(1).unwrap();
    let mut memo = pool.allocate().unwrap();
    memo.cache.extend_from_slice(&[1; 100]);
    drop(memo);
    assert_eq!((pool.idle(), pool.stats().discarded), (0, 1));
}

/// A constant expression, in a generic type: the impl bounds `Vec<T>: Capacity`.
#[derive(Reset)]
struct Window<T, const N: usize> {
    #[reset(max_capacity = N * 2)]
    items: Vec<T>,
}

#[test]
fn max_capacity_takes_constant_expressions() {
    let mut window: Window<Opaque, 4> = Window {
        items: Vec::with_capacity(8),
    };
    window.items.push(Opaque(1));
    window.reset();
    assert!(window.items.is_empty() && window.reusable());
    window.items.reserve_exact(9);
    assert!(!window.reusable());
}

/// `retain_if`, beside the type's own `reusable` (a `max_capacity` field): both are asked.
#[pooled(capacity = 2, retain_if = Self::fresh_enough)]
#[derive(Default)]
struct Session {
    #[reset(max_capacity = 256)]
    log: String,
    #[reset(skip)]
    uses: u32,
    #[reset(skip)]
    drops: DropCounter,
}

impl Session {
    /// Asked after the reset: refuses a session used three times.
    fn fresh_enough(&self) -> bool {
        self.uses < 3
    }
}

#[test]
fn retain_if_refuses_objects() {
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = Session::pool();
    let mut session = pool.allocate().unwrap();
    session.drops.tag(&drops);
    drop(session);
    for round in 1..=3 {
        let mut session = pool.allocate().unwrap();
        session.uses = round;
    }
    assert_eq!(
        (pool.idle(), pool.stats().discarded),
        (0, 1),
        "refused by retain_if"
    );
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    let mut session = pool.allocate().unwrap();
    assert_eq!(session.uses, 0, "a fresh one");
    session.log.reserve_exact(257);
    drop(session);
    assert_eq!(pool.stats().discarded, 2, "refused by `Reset::reusable`");
}

/// `reset = path`: the pool resets with that function, and does not ask `Reset::reusable`.
#[pooled(capacity = 1, reset = clear_untracked)]
#[derive(Default, Reset)]
struct Untracked {
    #[reset(max_capacity = 16)]
    buf: Vec<u8>,
}

fn clear_untracked(value: &mut Untracked) {
    value.buf.clear();
}

/// `reset = path` with `retain_if`: only `retain_if` is asked.
#[pooled(capacity = 1, thread_safe, reset = clear_filtered, retain_if = small_filtered)]
#[derive(Default, Reset)]
struct Filtered {
    #[reset(max_capacity = 16)]
    buf: Vec<u8>,
}

fn clear_filtered(value: &mut Filtered) {
    value.buf.clear();
}

fn small_filtered(value: &Filtered) -> bool {
    value.buf.capacity() <= 32
}

#[test]
fn reset_path_ignores_reset_reusable() {
    let mut object = Untracked::pool().allocate().unwrap();
    object.buf.reserve_exact(100);
    assert!(!object.reusable(), "the type's own check would refuse it");
    drop(object);
    assert_eq!(Untracked::pool().stats().discarded, 0);
    assert_eq!(Untracked::pool().idle(), 1);
    assert!(Untracked::pool().allocate().unwrap().buf.capacity() >= 100);

    let mut object = Filtered::pool().allocate().unwrap();
    object.buf.reserve_exact(32);
    drop(object);
    assert_eq!(Filtered::pool().stats().discarded, 0, "above 16, kept");
    Filtered::pool().allocate().unwrap().buf.reserve_exact(33);
    assert_eq!(Filtered::pool().stats().discarded, 1, "above 32, refused");
}

// ---------------------------------------------------------------------------------------------
// Growth, maximum, preallocation, constant expressions

#[pooled(capacity = 2, growth = linear(2), max_capacity = 6)]
#[derive(Default)]
struct Linear {
    value: u64,
}

#[test]
fn linear_growth_stops_at_the_maximum() {
    let pool = Linear::pool();
    assert_eq!(pool.capacity(), 2);
    let guards: Vec<LocalPooled<'_, Linear>> = (0..6).map(|_| pool.allocate().unwrap()).collect();
    assert_eq!(pool.capacity(), 6);
    assert!(matches!(
        pool.allocate(),
        Err(PoolError::Exhausted { capacity: 6 })
    ));
    let stats = pool.stats();
    assert_eq!((stats.growths, stats.exhausted, stats.in_use), (2, 1, 6));
    drop(guards);
    assert_eq!(pool.stats().in_use, 0);
}

const BASE: usize = 2;

#[pooled(capacity = Self::START, growth = exponential(FACTOR), max_capacity = BASE * 5)]
#[derive(Default)]
struct Exponential {
    value: u64,
}

const FACTOR: f64 = 2.0;

impl Exponential {
    const START: usize = BASE;
}

#[test]
fn exponential_growth_with_constant_expressions() {
    let pool = Exponential::pool();
    let mut guards = Vec::new();
    let mut capacities = Vec::new();
    for _ in 0..10 {
        guards.push(pool.allocate().unwrap());
        capacities.push(pool.capacity());
    }
    assert_eq!(capacities, [2, 2, 4, 4, 8, 8, 8, 8, 10, 10]);
    assert!(matches!(
        pool.allocate(),
        Err(PoolError::Exhausted { capacity: 10 })
    ));
}

#[pooled(capacity = 8, max_capacity = 8)]
#[derive(Default)]
struct Fixed {
    value: u64,
}

#[test]
fn without_growth_the_pool_is_fixed() {
    let guards: Vec<_> = (0..8).map(|_| Fixed::pool().allocate().unwrap()).collect();
    assert!(matches!(
        Fixed::pool().allocate(),
        Err(PoolError::Exhausted { capacity: 8 })
    ));
    assert_eq!(guards.len(), 8);
}

#[pooled(capacity = 5, thread_safe, preallocate)]
#[derive(Default)]
struct Eager {
    value: u64,
}

#[pooled(capacity = 5, preallocate)]
#[derive(Default)]
struct EagerPerThread {
    value: u64,
}

#[test]
fn preallocate_builds_objects_up_front() {
    let stats = Eager::pool().stats();
    assert_eq!(
        (stats.created, stats.idle),
        (5, 5),
        "built when the pool is created"
    );

    // A thread-local pool fills each thread's part on that thread's first allocation.
    let guard = EagerPerThread::pool().allocate().unwrap();
    assert_eq!(EagerPerThread::pool().idle(), 4);
    drop(guard);
    assert_eq!(EagerPerThread::pool().stats().created, 5);
}

// ---------------------------------------------------------------------------------------------
// Threads

#[pooled(capacity = 4, thread_safe)]
#[derive(Default)]
struct Shared {
    data: Vec<usize>,
}

#[test]
fn a_thread_safe_pool_is_shared_by_many_threads() {
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|id| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut served = 0;
                for round in 0..ROUNDS {
                    // Four objects for eight threads: some allocations find the pool empty.
                    if let Ok(mut object) = Shared::pool().allocate() {
                        assert!(object.data.is_empty(), "every object comes back reset");
                        object.data.extend([id, round]);
                        served += 1;
                    }
                }
                served
            })
        })
        .collect();
    let served: usize = handles
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .sum();
    let stats = Shared::pool().stats();
    assert_eq!(stats.allocations, served as u64);
    assert_eq!(stats.releases, served as u64);
    assert!(stats.created <= 4, "never more objects than the capacity");
    assert_eq!(stats.in_use, 0);
    assert_eq!(Shared::pool().capacity(), 4);
}

#[pooled(capacity = 2)]
#[derive(Default)]
struct PerThread {
    owner: Option<std::thread::ThreadId>,
}

#[test]
fn a_thread_local_pool_has_a_part_per_thread() {
    let threads = 4;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Every thread holds the two objects of its own part at the same time.
                let mut a = PerThread::pool().allocate().unwrap();
                let mut b = PerThread::pool().allocate().unwrap();
                a.owner = Some(std::thread::current().id());
                b.owner = a.owner;
                assert!(
                    PerThread::pool().allocate().is_err(),
                    "this thread's part is full"
                );
                assert_eq!(PerThread::pool().in_use(), 2);
                barrier.wait(); // all threads hold two objects now
                drop((a, b));
                let again = PerThread::pool().allocate().unwrap();
                assert_eq!(again.owner, None, "reset on release");
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let stats = PerThread::pool().stats();
    assert_eq!(stats.allocations, 3 * threads as u64);
    assert_eq!(stats.exhausted, threads as u64);
    assert_eq!(
        stats.created,
        2 * threads as u64,
        "each thread built its own objects"
    );
    assert_eq!(PerThread::pool().in_use(), 0, "this thread never allocated");
}

// ---------------------------------------------------------------------------------------------
// Statistics, visibility, crate path

/// Public types: their `pool()` is public too, and documented.
pub mod nested {
    use fastalloc::pooled;

    /// `pool()` has the visibility of the struct.
    #[pooled(capacity = 3)]
    #[derive(Default)]
    pub struct Public {
        /// A counter.
        pub value: u32,
    }

    #[pooled(capacity = 3)]
    #[derive(Default)]
    pub(crate) struct CrateVisible {
        pub(crate) value: u32,
    }
}

#[test]
fn statistics_are_visible_through_the_type() {
    let pool = nested::Public::pool();
    for _ in 0..5 {
        let mut object = pool.allocate().unwrap();
        object.value += 1;
    }
    let stats = nested::Public::pool().stats();
    assert_eq!(stats.allocations, 5);
    assert_eq!(stats.releases, 5);
    assert_eq!(stats.created, 1);
    assert_eq!(stats.reused, 4);
    assert!(stats.reuse_ratio() > 0.7);
    assert_eq!(nested::CrateVisible::pool().stats().allocations, 0);
}

mod renamed {
    // As if `Cargo.toml` had `alloc_pool = { package = "fastalloc", ... }`.
    use fastalloc as alloc_pool;

    #[alloc_pool::pooled(capacity = 2, crate = alloc_pool)]
    #[derive(Default, alloc_pool::Reset)]
    pub(super) struct Renamed {
        pub(super) data: Vec<u8>,
    }

    #[derive(Default, alloc_pool::Reset)]
    #[reset(crate = alloc_pool)]
    pub(super) struct DeriveOnly {
        pub(super) data: Vec<u8>,
    }

    #[alloc_pool::pooled(capacity = 2, thread_safe, crate = self::alloc_pool)]
    #[derive(Default)]
    pub(super) struct Generated {
        pub(super) data: Vec<u8>,
    }
}

#[test]
fn a_renamed_crate_path_is_used() {
    renamed::Renamed::pool().allocate().unwrap().data.push(1);
    assert!(renamed::Renamed::pool().allocate().unwrap().data.is_empty());
    renamed::Generated::pool().allocate().unwrap().data.push(1);
    assert!(renamed::Generated::pool()
        .allocate()
        .unwrap()
        .data
        .is_empty());
    let mut only = renamed::DeriveOnly { data: vec![1] };
    only.reset();
    assert!(only.data.is_empty());
}

#[test]
fn guards_can_be_detached() {
    #[pooled(capacity = 1, thread_safe)]
    #[derive(Default)]
    struct Detachable {
        data: Vec<u8>,
    }

    let mut guard = Detachable::pool().allocate().unwrap();
    guard.data.push(1);
    let owned: Detachable = SharedPooled::detach(guard);
    assert_eq!(owned.data, [1], "a detached object is not reset");
    let stats = Detachable::pool().stats();
    assert_eq!((stats.detached, stats.in_use), (1, 0));
    assert!(
        Detachable::pool().allocate().is_ok(),
        "the slot is free again"
    );
}

#[test]
fn pool_types_are_the_documented_ones() {
    let _: &'static ThreadSafePool<Particle> = Particle::pool();
    let _: &'static ThreadLocalPool<Scratch> = Scratch::pool();
    // The same pool every time.
    assert!(std::ptr::eq(Shared::pool(), Shared::pool()));
}

#[pooled(capacity = 2, async)]
#[derive(Default, Reset)]
struct Job {
    id: u32,
    output: Vec<u8>,
}

#[tokio::test(flavor = "current_thread")]
async fn async_mode_waits_for_an_object() {
    let _: &'static fastalloc::AsyncPool<Job> = Job::pool();
    let mut first = Job::pool().allocate().await.unwrap();
    first.id = 1;
    first.output.extend_from_slice(b"done");
    let _second = Job::pool().allocate().await.unwrap();
    // Both objects are out: the third allocation waits until the first comes back.
    let third = tokio::spawn(async {
        let job = Job::pool().allocate().await.unwrap();
        (job.id, job.output.is_empty())
    });
    while Job::pool().waiting() == 0 {
        tokio::task::yield_now().await;
    }
    drop(first);
    assert_eq!(
        third.await.unwrap(),
        (0, true),
        "the waiter got the reset object"
    );
    let stats = Job::pool().stats();
    assert_eq!((stats.waits, stats.created), (1, 2));
}
