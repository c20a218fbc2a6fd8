//! The driver: builds a pool from [`Settings`], applies [`Op`]s to it and to the [`Model`], and
//! checks after every step that they agree. Used by the proptest suite (`tests/model.rs`) and
//! by the fuzz target (`fuzz/fuzz_targets/pool_ops.rs`), which only choose the settings and
//! operations.
//!
//! Checked after every step:
//! * `build` fails exactly when the settings are invalid, with the right `BuildError`, and a
//!   factory panic while preallocating drops every object built so far;
//! * `allocate` succeeds exactly when the model has an idle object, an empty slot or room to
//!   grow; it fails with `Exhausted { capacity }` otherwise, and with `Closed` after `close`;
//! * a reused object is an idle one (for `FixedPool`, `GrowingPool` and `ThreadLocalPool`
//!   exactly the last one returned: LIFO), it is reset (value 0, empty buffer), keeps its
//!   buffer's capacity and its address, and no object is lent twice;
//! * a lent object keeps what its user wrote, and a detached one too;
//! * `capacity`, `in_use`, `idle`, `available`, `is_closed` and the number of objects alive
//!   (exactly the idle, lent and detached ones; none is dropped twice) match the model;
//! * every `PoolStats` counter and the life of every object match the model: after every step
//!   with [`Checks::EveryStep`], after [`Op::Stats`] and at the end with [`Checks::OnStats`]
//!   (and [`Checks::StatsEveryStep`] checks the counters after every step);
//! * at the end, after the pool is dropped, every object built was dropped exactly once,
//!   except the detached ones, which the driver drops itself.
//!
//! The shared pool counts objects parked in a thread's cache as in use for its `peak_in_use`
//! (documented), so that one is only checked to be at least the true peak.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::ops::{Deref, DerefMut};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, Once};
use std::thread;

use fastalloc_core::{
    BuildError, FixedPool, GrowingPool, LocalPooled, OwnedPooled, PoolError, PoolStats, Pooled,
    Reset, SharedPooled, ThreadLocalPool, ThreadSafePool,
};

use super::model::{expected_shape, same_build_error, Kind, Model, Plan, ResetSource, Settings};

/// What the panics the driver injects say, to tell them from real ones.
const PANIC_MESSAGE: &str = "model: panics on purpose";

/// One step of a run. Guards and detached objects are chosen by an index taken modulo how many
/// there are; with none, the step does nothing.
///
/// (The fuzz target decodes its input bytes into these with `arbitrary`; keep the order of the
/// variants, or the fuzz corpus means other operations.)
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Allocate,
    /// `allocate_owned` on a `ThreadSafePool`, `allocate` on the others.
    AllocateOwned,
    Drop(u8),
    Detach(u8),
    Write {
        guard: u8,
        value: u64,
        bytes: u8,
    },
    Close,
    /// Compares every statistic and every object with the model.
    Stats,
    /// Allocates with a factory that panics if it is called.
    AllocatePanicking,
    /// Drops a guard with a reset that panics.
    DropPanicking(u8),
    /// Drops an owned guard on another thread (a borrowed one is dropped here).
    DropElsewhere(u8),
    /// Detaches an owned guard on another thread (a borrowed one is detached here).
    DetachElsewhere(u8),
    /// Drops an object detached earlier.
    DropDetached(u8),
}

/// When the driver compares every statistic and every object with the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// After every step (the proptest suite: short runs).
    EveryStep,
    /// The statistics and the lent objects after every step, the rest (every object's life,
    /// the `Display` and `Debug` output) after [`Op::Stats`] and at the end: the proptest suite
    /// under Miri, where formatting and scanning every object at every step cost minutes.
    StatsEveryStep,
    /// After [`Op::Stats`] and at the end (the fuzz target: long runs, where this would cost
    /// more than it finds); the cheap checks still run after every step.
    OnStats,
}

// ---------------------------------------------------------------------------------------------
// Objects that report their life
// ---------------------------------------------------------------------------------------------

/// What every object of one run reports: creations, drops, and the panics to inject.
#[derive(Debug, Default)]
struct Life {
    /// How often each object (by id, in order of creation) was dropped.
    drops: Mutex<Vec<u8>>,
    dropped: AtomicUsize,
    /// The factory panics at its n-th call from now (0: never).
    factory_panic_in: AtomicUsize,
    /// The next reset panics.
    reset_panics: AtomicBool,
}

impl Life {
    fn created(&self) -> usize {
        self.drops.lock().unwrap().len()
    }

    fn alive(&self) -> usize {
        self.created() - self.dropped.load(Ordering::SeqCst)
    }

    fn is_alive(&self, id: usize) -> bool {
        self.drops.lock().unwrap()[id] == 0
    }

    fn arm_factory(&self, at: usize) {
        self.factory_panic_in.store(at, Ordering::SeqCst);
    }

    fn disarm(&self) {
        self.factory_panic_in.store(0, Ordering::SeqCst);
        self.reset_panics.store(false, Ordering::SeqCst);
    }

    /// Every object ever built was dropped exactly once (drops are counted as they happen and a
    /// second drop panics, so this only looks for objects never dropped).
    fn assert_all_dropped(&self, why: &str) {
        let drops = self.drops.lock().unwrap();
        for (id, &n) in drops.iter().enumerate() {
            assert_eq!(n, 1, "object {id} dropped {n} times {why}");
        }
    }
}

/// A pooled object: an id, a value and a buffer that reset must clear (keeping its capacity).
#[derive(Debug)]
struct Tracked {
    id: usize,
    value: u64,
    data: Vec<u8>,
    life: Arc<Life>,
}

impl Tracked {
    fn new(life: &Arc<Life>) -> Self {
        let countdown = life.factory_panic_in.load(Ordering::SeqCst);
        if countdown > 0 {
            life.factory_panic_in.store(countdown - 1, Ordering::SeqCst);
            assert!(countdown != 1, "{PANIC_MESSAGE} (factory)");
        }
        let mut drops = life.drops.lock().unwrap();
        let id = drops.len();
        drops.push(0);
        Self {
            id,
            value: 0,
            data: Vec::new(),
            life: Arc::clone(life),
        }
    }

    fn clear(&mut self) {
        assert!(
            !self.life.reset_panics.swap(false, Ordering::SeqCst),
            "{PANIC_MESSAGE} (reset)"
        );
        self.value = 0;
        self.data.reset();
    }
}

impl Reset for Tracked {
    fn reset(&mut self) {
        self.clear();
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut drops = self.life.drops.lock().unwrap();
        drops[self.id] += 1;
        let n = drops[self.id];
        drop(drops);
        self.life.dropped.fetch_add(1, Ordering::SeqCst);
        assert_eq!(n, 1, "object {} dropped {n} times", self.id);
    }
}

// ---------------------------------------------------------------------------------------------
// Panics on purpose
// ---------------------------------------------------------------------------------------------

thread_local! {
    static EXPECTING_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Lets the panics the driver injects through quietly (libFuzzer's panic hook aborts the
/// process); any other panic goes to the hook installed before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPECTING_PANIC.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, catching a panic injected by the driver (`None`). Any other panic is a bug and
/// is raised again as one.
fn catch_injected<R>(f: impl FnOnce() -> R) -> Option<R> {
    EXPECTING_PANIC.with(|e| e.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    EXPECTING_PANIC.with(|e| e.set(false));
    match result {
        Ok(value) => Some(value),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("<not a string>");
            assert!(
                message.contains(PANIC_MESSAGE),
                "unexpected panic while a panic was injected: {message}"
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The other thread
// ---------------------------------------------------------------------------------------------

type Job = Box<dyn FnOnce() + Send>;

/// One helper thread for the "elsewhere" operations of a run. Always the same thread, so the
/// shared pool gives it one cache (the model's `elsewhere`) even when other threads of the
/// process come and go (the test harness runs tests in parallel).
struct OtherThread {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl OtherThread {
    fn new() -> Self {
        Self {
            jobs: None,
            thread: None,
        }
    }

    /// Runs `f` on the helper thread (started at its first use) and waits for its result.
    fn run<R: Send + 'static>(&mut self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let jobs = self.jobs.get_or_insert_with(|| {
            let (sender, receiver) = mpsc::channel::<Job>();
            self.thread = Some(thread::spawn(move || {
                for job in receiver {
                    job();
                }
            }));
            sender
        });
        let (done, result) = mpsc::channel();
        let job: Job = Box::new(move || done.send(f()).unwrap());
        jobs.send(job).expect("the other thread is gone");
        result.recv().expect("the other thread panicked")
    }
}

impl Drop for OtherThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let joined = thread.join();
            if !thread::panicking() {
                joined.expect("the other thread panicked");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pools and guards under test
// ---------------------------------------------------------------------------------------------

enum Pool {
    Fixed(FixedPool<Tracked>),
    Growing(GrowingPool<Tracked>),
    ThreadSafe(Arc<ThreadSafePool<Tracked>>),
    ThreadLocal(ThreadLocalPool<Tracked>),
}

enum Guard<'p> {
    Lent(Pooled<'p, Tracked>),
    Local(LocalPooled<'p, Tracked>),
    Shared(SharedPooled<'p, Tracked>),
    Owned(OwnedPooled<Tracked>),
}

impl Deref for Guard<'_> {
    type Target = Tracked;

    fn deref(&self) -> &Tracked {
        match self {
            Guard::Lent(guard) => guard,
            Guard::Local(guard) => guard,
            Guard::Shared(guard) => guard,
            Guard::Owned(guard) => guard,
        }
    }
}

impl DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Tracked {
        match self {
            Guard::Lent(guard) => guard,
            Guard::Local(guard) => guard,
            Guard::Shared(guard) => guard,
            Guard::Owned(guard) => guard,
        }
    }
}

impl Guard<'_> {
    fn detach(self) -> Tracked {
        match self {
            Guard::Lent(guard) => Pooled::detach(guard),
            Guard::Local(guard) => LocalPooled::detach(guard),
            Guard::Shared(guard) => SharedPooled::detach(guard),
            Guard::Owned(guard) => OwnedPooled::detach(guard),
        }
    }
}

macro_rules! build {
    ($pool:ident, $settings:expr, $life:expr) => {{
        let settings: &Settings = $settings;
        let mut builder = $pool::builder().preallocate(settings.preallocate);
        if let Some(capacity) = settings.capacity {
            builder = builder.capacity(capacity);
        }
        if let Some(growth) = settings.growth {
            builder = builder.growth(growth);
        }
        if let Some(max) = settings.max {
            builder = builder.max_capacity(max);
        }
        let life = Arc::clone($life);
        let builder = builder.factory(move || Tracked::new(&life));
        match settings.reset {
            ResetSource::Closure => builder.reset_with(Tracked::clear).build(),
            ResetSource::Trait => builder.build(),
        }
    }};
}

impl Pool {
    fn build(settings: &Settings, life: &Arc<Life>) -> Result<Self, BuildError> {
        Ok(match settings.kind {
            Kind::Fixed => Pool::Fixed(build!(FixedPool, settings, life)?),
            Kind::Growing => Pool::Growing(build!(GrowingPool, settings, life)?),
            Kind::ThreadSafe => Pool::ThreadSafe(Arc::new(build!(ThreadSafePool, settings, life)?)),
            Kind::ThreadLocal => Pool::ThreadLocal(build!(ThreadLocalPool, settings, life)?),
        })
    }

    fn allocate(&self, owned: bool) -> Result<Guard<'_>, PoolError> {
        match self {
            Pool::Fixed(pool) => pool.allocate().map(Guard::Lent),
            Pool::Growing(pool) => pool.allocate().map(Guard::Lent),
            Pool::ThreadSafe(pool) if owned => pool.allocate_owned().map(Guard::Owned),
            Pool::ThreadSafe(pool) => pool.allocate().map(Guard::Shared),
            Pool::ThreadLocal(pool) => pool.allocate().map(Guard::Local),
        }
    }

    fn close(&self) {
        match self {
            Pool::Fixed(pool) => pool.close(),
            Pool::Growing(pool) => pool.close(),
            Pool::ThreadSafe(pool) => pool.close(),
            Pool::ThreadLocal(pool) => pool.close(),
        }
    }

    /// `(capacity, in_use, idle, available, is_closed)`.
    fn sizes(&self) -> (usize, usize, usize, usize, bool) {
        macro_rules! sizes {
            ($pool:expr) => {
                (
                    $pool.capacity(),
                    $pool.in_use(),
                    $pool.idle(),
                    $pool.available(),
                    $pool.is_closed(),
                )
            };
        }
        match self {
            Pool::Fixed(pool) => sizes!(pool),
            Pool::Growing(pool) => sizes!(pool),
            Pool::ThreadSafe(pool) => sizes!(pool),
            Pool::ThreadLocal(pool) => sizes!(pool),
        }
    }

    fn stats(&self) -> PoolStats {
        match self {
            Pool::Fixed(pool) => pool.stats(),
            Pool::Growing(pool) => pool.stats(),
            Pool::ThreadSafe(pool) => pool.stats(),
            Pool::ThreadLocal(pool) => pool.stats(),
        }
    }

    fn debug(&self) -> String {
        match self {
            Pool::Fixed(pool) => format!("{pool:?}"),
            Pool::Growing(pool) => format!("{pool:?} max {}", pool.max_capacity()),
            Pool::ThreadSafe(pool) => format!("{pool:?}"),
            Pool::ThreadLocal(pool) => format!("{pool:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// A guard held by the driver, with what its user wrote.
struct Held<'p> {
    guard: Guard<'p>,
    id: usize,
    value: u64,
    len: usize,
}

impl Held<'_> {
    fn check(&self) {
        assert_eq!(self.guard.id, self.id, "a lent object was replaced");
        assert_eq!(self.guard.value, self.value, "a lent object lost its value");
        assert_eq!(
            self.guard.data.len(),
            self.len,
            "a lent object lost its data"
        );
    }
}

struct Run<'p> {
    pool: &'p Pool,
    life: &'p Arc<Life>,
    model: Model,
    held: Vec<Held<'p>>,
    kept: Vec<Tracked>,
    /// The buffer capacity each idle object had when it came back.
    capacities: HashMap<usize, usize>,
    /// Where each object lives; objects never move.
    addresses: HashMap<usize, usize>,
    other_thread: OtherThread,
}

impl<'p> Run<'p> {
    fn index(&self, i: u8) -> Option<usize> {
        (!self.held.is_empty()).then(|| usize::from(i) % self.held.len())
    }

    fn allocate(&mut self, owned: bool, factory_panics: bool) {
        let first_part = !self.model.part_made;
        let mut plan = self.model.plan();
        // A `ThreadLocalPool` builds this thread's part (perhaps preallocating) first.
        let prealloc_panic = first_part
            && self.model.preallocate
            && self
                .model
                .prealloc_panic_at
                .is_some_and(|at| at <= self.model.capacity);
        if first_part && self.model.preallocate {
            self.life
                .arm_factory(self.model.prealloc_panic_at.unwrap_or(0));
            plan = match plan {
                Plan::Create(None) => {
                    Plan::Reuse(Some(self.life.created() + self.model.capacity - 1))
                }
                other => other,
            };
        }
        let creates = matches!(plan, Plan::Create(_));
        // (A preallocating part lends one of its new objects: no other factory call.)
        if factory_panics && !(first_part && self.model.preallocate) {
            self.life.arm_factory(1);
        }
        let created_before = self.life.created();
        let result = catch_injected(|| self.pool.allocate(owned));
        self.life.disarm();
        let Some(result) = result else {
            // A factory panicked: the part could not be built, or the new object not.
            if prealloc_panic {
                let at = self.model.prealloc_panic_at.unwrap_or(0);
                assert_eq!(self.life.created(), created_before + at - 1);
                for id in created_before..self.life.created() {
                    assert!(
                        !self.life.is_alive(id),
                        "object {id} built before a panic leaked"
                    );
                }
            } else {
                assert!(
                    factory_panics && creates,
                    "unexpected factory call: {plan:?}"
                );
                // A `ThreadLocalPool` made this thread's part before the factory ran.
                self.model.part_made = true;
                assert_eq!(self.life.created(), created_before);
                if let Plan::Create(grown) = plan {
                    // The pool grew before the factory ran, and keeps the room.
                    self.model.grow(grown);
                }
            }
            return;
        };
        if first_part {
            self.model.part_made = true;
            if self.model.preallocate {
                self.model.prebuild(created_before);
            }
        }
        if self.model.closed && first_part {
            // A part made after `close` drops what it preallocated at once.
            self.model.discard_idle();
        }
        match (result, plan) {
            (Err(error), Plan::Fail(expected)) => {
                assert_eq!(error, expected);
                self.model.fail(error);
            }
            (Err(error), plan) => panic!("allocate failed with {error:?}, expected {plan:?}"),
            (Ok(guard), Plan::Fail(expected)) => {
                panic!("allocate lent object {}, expected {expected:?}", guard.id)
            }
            (Ok(guard), plan) => self.accept(guard, plan, created_before),
        }
    }

    /// Checks an object `allocate` lent as the model planned, and holds its guard.
    fn accept(&mut self, guard: Guard<'p>, plan: Plan, created_before: usize) {
        let id = guard.id;
        match plan {
            Plan::Reuse(Some(expected)) => {
                assert_eq!(id, expected, "not the last object returned (LIFO)");
            }
            Plan::Reuse(None) => {}
            Plan::Create(_) => {
                assert_eq!(id, created_before, "a new object was expected");
            }
            Plan::Fail(_) => unreachable!(),
        }
        assert!(
            self.held.iter().all(|h| h.id != id),
            "object {id} lent twice"
        );
        assert_eq!(guard.value, 0, "object {id} lent without a reset");
        assert!(guard.data.is_empty(), "object {id} lent without a reset");
        let capacity = self.capacities.remove(&id).unwrap_or(0);
        assert_eq!(
            guard.data.capacity(),
            capacity,
            "the reset of object {id} did not keep its capacity"
        );
        let address = std::ptr::from_ref::<Tracked>(&guard) as usize;
        let home = *self.addresses.entry(id).or_insert(address);
        assert_eq!(home, address, "object {id} moved");
        self.model.lend(plan, id);
        self.held.push(Held {
            guard,
            id,
            value: 0,
            len: 0,
        });
    }

    fn take(&mut self, i: u8) -> Option<Held<'p>> {
        let i = self.index(i)?;
        let held = self.held.swap_remove(i);
        held.check();
        Some(held)
    }

    fn returned(&mut self, id: usize, capacity: usize, here: bool) {
        let closed = self.model.closed;
        self.model.release(id, here);
        if closed {
            assert!(
                !self.life.is_alive(id),
                "object {id} returned to a closed pool lives on"
            );
        } else {
            self.capacities.insert(id, capacity);
        }
    }

    fn drop_guard(&mut self, i: u8, elsewhere: bool) {
        let Some(held) = self.take(i) else { return };
        let capacity = held.guard.data.capacity();
        match held.guard {
            Guard::Owned(guard) if elsewhere => {
                self.other_thread.run(move || drop(guard));
                self.returned(held.id, capacity, false);
            }
            guard => {
                drop(guard);
                self.returned(held.id, capacity, true);
            }
        }
    }

    fn drop_panicking(&mut self, i: u8) {
        let Some(held) = self.take(i) else { return };
        let closed = self.model.closed;
        self.life.reset_panics.store(true, Ordering::SeqCst);
        let finished = catch_injected(|| drop(held.guard));
        self.life.disarm();
        if closed {
            // A closed pool drops the object without resetting it.
            assert!(finished.is_some(), "a closed pool reset a returned object");
            self.model.release(held.id, true);
        } else {
            assert!(finished.is_none(), "the reset was not called");
            self.model.release_discarded();
        }
        assert!(
            !self.life.is_alive(held.id),
            "object {} outlived its failed reset",
            held.id
        );
    }

    fn detach(&mut self, i: u8, elsewhere: bool) {
        let Some(held) = self.take(i) else { return };
        let object = match held.guard {
            Guard::Owned(guard) if elsewhere => {
                self.other_thread.run(move || OwnedPooled::detach(guard))
            }
            guard => guard.detach(),
        };
        assert_eq!(object.id, held.id);
        assert_eq!(object.value, held.value, "a detached object is not reset");
        assert_eq!(
            object.data.len(),
            held.len,
            "a detached object is not reset"
        );
        self.model.detach();
        self.kept.push(object);
    }

    fn write(&mut self, i: u8, value: u64, bytes: u8) {
        let Some(i) = self.index(i) else { return };
        let held = &mut self.held[i];
        held.check();
        let len = usize::from(bytes % 64);
        held.guard.value = value;
        held.guard.data.extend(std::iter::repeat_n(bytes, len));
        held.value = value;
        held.len += len;
    }

    fn close(&mut self) {
        self.pool.close();
        if self.model.part_made {
            for id in self.model.close() {
                assert!(!self.life.is_alive(id), "idle object {id} survived close()");
                self.capacities.remove(&id);
            }
        } else {
            self.model.closed = true;
        }
    }

    /// The cheap checks, after every step.
    fn check_sizes(&self) {
        let m = &self.model;
        let expected = (
            m.capacity,
            m.out,
            m.idle.len(),
            m.capacity - m.out,
            m.closed,
        );
        assert_eq!(
            self.pool.sizes(),
            expected,
            "(capacity, in_use, idle, available, closed)"
        );
        assert_eq!(
            self.life.alive(),
            m.idle.len() + m.out + self.kept.len(),
            "objects alive != idle + lent + detached"
        );
    }

    /// Every statistic, and the objects lent.
    fn check_stats(&self) {
        let stats = self.pool.stats();
        let mut expected = self.model.expected_stats();
        if self.model.shared() {
            // The shared pool counts objects parked in a thread's cache as in use for its peak
            // (documented), so its peak is at least the true one.
            assert!(
                stats.peak_in_use >= expected.peak_in_use,
                "{stats:?} vs {expected:?}"
            );
            expected.peak_in_use = stats.peak_in_use;
        }
        assert_eq!(stats, expected);
        for held in &self.held {
            held.check();
        }
    }

    /// The thorough checks: every statistic and every object.
    fn check_all(&self) {
        self.check_stats();
        let table = self.pool.stats().to_string();
        assert!(
            table.contains("capacity") && table.contains("discarded"),
            "{table}"
        );
        assert!(!self.pool.debug().is_empty());
        let mut alive: HashSet<usize> = self.model.idle.iter().copied().collect();
        alive.extend(self.held.iter().map(|h| h.id));
        alive.extend(self.kept.iter().map(|t| t.id));
        let drops = self.life.drops.lock().unwrap();
        for (id, &n) in drops.iter().enumerate() {
            assert_eq!(n == 0, alive.contains(&id), "object {id}");
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Allocate => self.allocate(false, false),
            Op::AllocateOwned => self.allocate(true, false),
            Op::AllocatePanicking => self.allocate(false, true),
            Op::Drop(i) => self.drop_guard(i, false),
            Op::DropElsewhere(i) => self.drop_guard(i, true),
            Op::DropPanicking(i) => self.drop_panicking(i),
            Op::Detach(i) => self.detach(i, false),
            Op::DetachElsewhere(i) => self.detach(i, true),
            Op::Write {
                guard,
                value,
                bytes,
            } => self.write(guard, value, bytes),
            Op::Close => self.close(),
            Op::Stats => self.check_all(),
            Op::DropDetached(i) => {
                if !self.kept.is_empty() {
                    let object = self.kept.swap_remove(usize::from(i) % self.kept.len());
                    drop(object);
                }
            }
        }
        self.check_sizes();
    }
}

/// Builds a pool from `settings`, applies `ops` to it and to the model, checking them against
/// each other (see the module documentation), then returns every guard and drops the pool.
/// Panics at the first disagreement.
pub fn run(settings: &Settings, ops: &[Op], checks: Checks) {
    install_panic_hook();
    let life = Arc::new(Life::default());
    let expected = expected_shape(settings);

    // Build, perhaps with a factory that panics while preallocating.
    let prealloc_panic_at = settings
        .prealloc_panic_at()
        .filter(|_| settings.kind != Kind::ThreadLocal);
    let build_panics = match (&expected, prealloc_panic_at) {
        (Ok((capacity, ..)), Some(at)) => at <= *capacity,
        _ => false,
    };
    life.arm_factory(prealloc_panic_at.unwrap_or(0));
    let built = catch_injected(|| Pool::build(settings, &life));
    life.disarm();
    let Some(built) = built else {
        assert!(build_panics, "build panicked");
        assert_eq!(life.created(), prealloc_panic_at.unwrap_or(0) - 1);
        life.assert_all_dropped("after a panic while preallocating");
        return;
    };
    assert!(!build_panics, "the preallocation did not call the factory");
    let pool = match (built, expected) {
        (Ok(pool), Ok(_)) => pool,
        (Err(error), Err(expected)) => {
            assert!(
                same_build_error(error, expected),
                "{error:?}, expected {expected:?}"
            );
            assert!(!error.to_string().is_empty());
            assert_eq!(life.created(), 0);
            return;
        }
        (Ok(pool), Err(expected)) => panic!("built {}, expected {expected:?}", pool.debug()),
        (Err(error), Ok(shape)) => panic!("build failed with {error:?}, expected {shape:?}"),
    };
    let (capacity, max, growth) = expected.unwrap();
    let mut model = Model::new(settings, capacity, max, growth);
    if settings.preallocate && model.part_made {
        model.prebuild(0);
    }

    let mut run = Run {
        pool: &pool,
        life: &life,
        model,
        held: Vec::new(),
        kept: Vec::new(),
        capacities: HashMap::new(),
        addresses: HashMap::new(),
        other_thread: OtherThread::new(),
    };
    run.check_sizes();
    for &op in ops {
        run.step(op);
        match checks {
            Checks::EveryStep => run.check_all(),
            Checks::StatsEveryStep => run.check_stats(),
            Checks::OnStats => {}
        }
    }
    run.check_all();

    // Return every guard, newest first, then drop the pool: everything but the detached
    // objects must be gone, each exactly once.
    while let Some(held) = run.held.pop() {
        let id = held.id;
        let capacity = held.guard.data.capacity();
        drop(held.guard);
        run.returned(id, capacity, true);
    }
    run.check_sizes();
    run.check_all();
    let kept = std::mem::take(&mut run.kept);
    drop(run);
    drop(pool);
    assert_eq!(life.alive(), kept.len(), "objects outlived their pool");
    for object in &kept {
        assert!(life.is_alive(object.id));
    }
    drop(kept);
    life.assert_all_dropped("in all");
}
