//! Fuzz target `pool_ops`: random pools driven by random operations, checked step by step
//! against a plain model of what the pool must do.
//!
//! The input bytes choose (with the `arbitrary` crate) a pool — `FixedPool`, `GrowingPool`,
//! `ThreadSafePool` or `ThreadLocalPool`, its capacity, growth policy (linear or exponential),
//! maximum, eager creation and reset source, including settings the builder must refuse — and
//! then a sequence of operations: allocate (borrowed or owned guard), drop guard i, detach
//! guard i, write into guard i, close, read the statistics, allocate with a panicking factory,
//! drop with a panicking reset, drop or detach an owned guard on another thread, and drop a
//! detached object.
//!
//! Checked after every step:
//! * `build` fails exactly when the settings are invalid, with the right `BuildError`, and a
//!   factory panic while preallocating drops every object built so far;
//! * `allocate` succeeds exactly when the model has an idle object, an empty slot or room to
//!   grow; it fails with `Exhausted { capacity }` otherwise, and with `Closed` after `close`;
//! * a reused object is an idle one (for `FixedPool`, `GrowingPool` and `ThreadLocalPool`
//!   exactly the last one returned: LIFO), it is reset (value 0, empty buffer), keeps its
//!   buffer's capacity and its address, and no object is lent twice;
//! * a lent object keeps what its user wrote;
//! * `capacity`, `in_use`, `idle`, `available`, `is_closed` and every `PoolStats` counter
//!   match the model;
//! * the objects alive are exactly the idle, lent and detached ones; none is dropped twice;
//! * at the end, after the pool is dropped, every object built was dropped exactly once,
//!   except the detached ones, which this target drops itself.
//!
//! The `ThreadSafePool` model also follows where idle objects wait — this thread's cache, the
//! shared depot, or the cache the spawned threads share (they run one at a time, so the
//! `thread_local` crate gives each the same entry) — because that decides whether an
//! allocation reuses an object, builds one, grows, or gathers the other caches first. Its
//! `peak_in_use` counts cached objects as in use (documented), so it is only checked to be at
//! least the true peak.
//!
//! Run it with `scripts/fuzz.sh [SECONDS]`.
#![no_main]

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::ops::{Deref, DerefMut};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use arbitrary::Arbitrary;
use fastalloc_core::{
    BuildError, FixedPool, GrowingPool, Growth, LocalPooled, OwnedPooled, PoolError, PoolStats,
    Pooled, Reset, SharedPooled, ThreadLocalPool, ThreadSafePool,
};
use libfuzzer_sys::fuzz_target;

/// Operations read per input; more only slows the fuzzer down. A pool grows only when every
/// slot is lent, so this also bounds its size (capacities are at most 255, growth steps 255 and
/// factors 32): no input can make it exhaust memory.
const MAX_OPS: usize = 1024;
/// What the panics this target injects say, to tell them from real ones.
const PANIC_MESSAGE: &str = "fuzz: panics on purpose";

// ---------------------------------------------------------------------------------------------
// The input
// ---------------------------------------------------------------------------------------------

#[derive(Arbitrary, Debug)]
struct Input {
    config: Config,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Fixed,
    Growing,
    ThreadSafe,
    ThreadLocal,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum CapacitySpec {
    Small(u8),
    /// `u32::MAX + 1`: one more than a pool can address.
    AboveLimit,
    Huge,
}

impl CapacitySpec {
    fn value(self) -> usize {
        match self {
            CapacitySpec::Small(n) => usize::from(n),
            CapacitySpec::AboveLimit => u32::MAX as usize + 1,
            CapacitySpec::Huge => usize::MAX,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum MaxSpec {
    Small(u8),
    /// `u32::MAX`, the largest maximum allowed (nothing is reserved for it up front).
    Limit,
    Huge,
}

impl MaxSpec {
    fn value(self) -> usize {
        match self {
            MaxSpec::Small(n) => usize::from(n),
            MaxSpec::Limit => u32::MAX as usize,
            MaxSpec::Huge => usize::MAX,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum GrowthSpec {
    Linear(u8),
    /// The factor is `n / 8`: 0.0 to 31.875, so at most 1.0 (invalid) for `n <= 8`.
    Exponential(u8),
    /// NaN (`true`) or infinity (`false`): both invalid.
    NotFinite(bool),
}

impl GrowthSpec {
    fn value(self) -> Growth {
        match self {
            GrowthSpec::Linear(step) => Growth::Linear(usize::from(step)),
            GrowthSpec::Exponential(n) => Growth::Exponential(f64::from(n) / 8.0),
            GrowthSpec::NotFinite(true) => Growth::Exponential(f64::NAN),
            GrowthSpec::NotFinite(false) => Growth::Exponential(f64::INFINITY),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum ResetSpec {
    /// `.reset_with(|t| ...)`.
    Closure,
    /// The `Reset` impl of the object type.
    Trait,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Config {
    kind: Kind,
    capacity: Option<CapacitySpec>,
    growth: Option<GrowthSpec>,
    max: Option<MaxSpec>,
    preallocate: bool,
    reset: ResetSpec,
    /// With `preallocate`, a value from 1 to 8 makes that factory call of the preallocation
    /// panic (at `build`, or at a `ThreadLocalPool`'s first allocation); other values don't.
    prealloc_panic_at: u8,
}

impl Config {
    fn prealloc_panic_at(&self) -> Option<usize> {
        (self.preallocate && (1..=8).contains(&self.prealloc_panic_at))
            .then_some(usize::from(self.prealloc_panic_at))
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
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

/// libFuzzer's panic hook aborts the process; let panics this target injects through quietly.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPECTING_PANIC.with(Cell::get) {
                fuzzer_hook(info);
            }
        }));
    });
}

/// Runs `f`, catching a panic injected by this target (`None`). Any other panic is a bug and
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
    ($pool:ident, $config:expr, $life:expr) => {{
        let config: &Config = $config;
        let mut builder = $pool::builder().preallocate(config.preallocate);
        if let Some(capacity) = config.capacity {
            builder = builder.capacity(capacity.value());
        }
        if let Some(growth) = config.growth {
            builder = builder.growth(growth.value());
        }
        if let Some(max) = config.max {
            builder = builder.max_capacity(max.value());
        }
        let life = Arc::clone($life);
        let builder = builder.factory(move || Tracked::new(&life));
        match config.reset {
            ResetSpec::Closure => builder.reset_with(Tracked::clear).build(),
            ResetSpec::Trait => builder.build(),
        }
    }};
}

impl Pool {
    fn build(config: &Config, life: &Arc<Life>) -> Result<Self, BuildError> {
        Ok(match config.kind {
            Kind::Fixed => Pool::Fixed(build!(FixedPool, config, life)?),
            Kind::Growing => Pool::Growing(build!(GrowingPool, config, life)?),
            Kind::ThreadSafe => Pool::ThreadSafe(Arc::new(build!(ThreadSafePool, config, life)?)),
            Kind::ThreadLocal => Pool::ThreadLocal(build!(ThreadLocalPool, config, life)?),
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
// The model
// ---------------------------------------------------------------------------------------------

/// The settings a valid configuration stands for, or the error `build` must return: the rules
/// of the builder's documentation, checked in the order it checks them.
fn expected_shape(config: &Config) -> Result<(usize, usize, Option<Growth>), BuildError> {
    let capacity = config
        .capacity
        .map(CapacitySpec::value)
        .ok_or(BuildError::MissingCapacity)?;
    if capacity == 0 {
        return Err(BuildError::ZeroCapacity);
    }
    let given_growth = config.growth.map(GrowthSpec::value);
    let given_max = config.max.map(MaxSpec::value);
    let growth = match config.kind {
        Kind::Fixed if given_growth.is_some() || given_max.is_some() => {
            return Err(BuildError::FixedPoolCannotGrow)
        }
        Kind::Fixed => None,
        Kind::Growing => Some(given_growth.unwrap_or(Growth::Exponential(2.0))),
        Kind::ThreadSafe | Kind::ThreadLocal if given_max.is_some() => {
            Some(given_growth.unwrap_or(Growth::Exponential(2.0)))
        }
        Kind::ThreadSafe | Kind::ThreadLocal => given_growth,
    };
    match growth {
        Some(Growth::Linear(0)) => return Err(BuildError::ZeroGrowthStep),
        Some(Growth::Exponential(factor)) if !(factor.is_finite() && factor > 1.0) => {
            return Err(BuildError::GrowthFactorTooSmall { factor })
        }
        _ => {}
    }
    let max = match (growth, given_max) {
        (None, _) => capacity,
        (Some(_), Some(max)) => max,
        (Some(_), None) => u32::MAX as usize,
    };
    if max < capacity {
        return Err(BuildError::MaxBelowCapacity {
            capacity,
            max_capacity: max,
        });
    }
    for value in [capacity, max] {
        if value > u32::MAX as usize {
            return Err(BuildError::CapacityTooLarge { capacity: value });
        }
    }
    Ok((capacity, max, growth))
}

fn same_build_error(a: BuildError, b: BuildError) -> bool {
    match (a, b) {
        (
            BuildError::GrowthFactorTooSmall { factor: x },
            BuildError::GrowthFactorTooSmall { factor: y },
        ) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
}

/// What `allocate` must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Lend this idle object (`None`: any idle one; the shared pool's order is not specified).
    Reuse(Option<usize>),
    /// Build a new object, after growing to this capacity if `Some`.
    Create(Option<usize>),
    Fail(PoolError),
}

#[derive(Debug)]
struct Model {
    kind: Kind,
    capacity: usize,
    max: usize,
    growth: Option<Growth>,
    preallocate: bool,
    prealloc_panic_at: Option<usize>,
    /// A `ThreadLocalPool` builds this thread's part at its first allocation.
    part_made: bool,
    closed: bool,
    /// Objects lent.
    out: usize,
    /// The idle objects; for the single-threaded engine, in LIFO order (last is next).
    idle: Vec<usize>,
    /// `ThreadSafePool` only: how the idle objects are spread over this thread's cache, the
    /// shared depot and the cache of the other threads (every spawned thread here reuses the
    /// same per-thread entry), and the cache batch size.
    here: usize,
    depot: usize,
    elsewhere: usize,
    batch: usize,
    /// `ThreadSafePool` only: the object on top of this thread's cache, if known.
    top_here: Option<usize>,
    peak: usize,
    allocations: u64,
    releases: u64,
    created: u64,
    prebuilt: u64,
    growths: u64,
    exhausted: u64,
    detached: u64,
    discarded: u64,
}

impl Model {
    fn new(config: &Config, capacity: usize, max: usize, growth: Option<Growth>) -> Self {
        Self {
            kind: config.kind,
            capacity,
            max,
            growth,
            preallocate: config.preallocate,
            prealloc_panic_at: config.prealloc_panic_at(),
            part_made: config.kind != Kind::ThreadLocal,
            closed: false,
            out: 0,
            idle: Vec::new(),
            here: 0,
            depot: 0,
            elsewhere: 0,
            batch: (capacity / 8).clamp(1, 16),
            top_here: None,
            peak: 0,
            allocations: 0,
            releases: 0,
            created: 0,
            prebuilt: 0,
            growths: 0,
            exhausted: 0,
            detached: 0,
            discarded: 0,
        }
    }

    fn shared(&self) -> bool {
        self.kind == Kind::ThreadSafe
    }

    /// Objects built up front: ids `first..first + capacity`, pushed in order.
    fn prebuild(&mut self, first: usize) {
        self.idle.extend(first..first + self.capacity);
        self.depot = self.capacity;
        self.created += self.capacity as u64;
        self.prebuilt += self.capacity as u64;
    }

    fn empty(&self) -> usize {
        self.capacity - self.out - self.idle.len()
    }

    /// The capacity after one growth step, by the documented rules: add the step, or multiply
    /// by the factor and round up; always at least one more; never above the maximum.
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    fn grown(&self) -> Option<usize> {
        let next = match self.growth? {
            Growth::Linear(step) => self.capacity.saturating_add(step),
            Growth::Exponential(factor) => {
                let target = (self.capacity as f64 * factor).ceil();
                if target >= usize::MAX as f64 {
                    usize::MAX
                } else {
                    target as usize
                }
            }
        };
        let next = next.max(self.capacity + 1).min(self.max);
        (next > self.capacity).then_some(next)
    }

    fn plan(&self) -> Plan {
        if self.closed {
            return Plan::Fail(PoolError::Closed);
        }
        if self.shared() {
            if self.here > 0 {
                return Plan::Reuse(self.top_here);
            }
            if self.depot > 0 {
                return Plan::Reuse(None);
            }
        } else if let Some(&top) = self.idle.last() {
            return Plan::Reuse(Some(top));
        }
        if self.empty() > 0 {
            return Plan::Create(None);
        }
        if let Some(grown) = self.grown() {
            return Plan::Create(Some(grown));
        }
        if self.shared() && self.elsewhere > 0 {
            // The other threads' caches are gathered into the depot only now.
            return Plan::Reuse(None);
        }
        Plan::Fail(PoolError::Exhausted {
            capacity: self.capacity,
        })
    }

    /// Applies a plan whose allocation succeeded with object `id`.
    fn lend(&mut self, plan: Plan, id: usize) {
        match plan {
            Plan::Reuse(_) => {
                let at = self.idle.iter().position(|&i| i == id);
                let at = at.unwrap_or_else(|| panic!("reused object {id} was not idle"));
                self.idle.remove(at);
                if self.shared() {
                    if self.here > 0 {
                        self.here -= 1;
                    } else {
                        if self.depot == 0 {
                            self.depot = std::mem::take(&mut self.elsewhere);
                        }
                        let batch = self.batch.min(self.depot);
                        self.depot -= batch;
                        self.here += batch - 1;
                    }
                }
            }
            Plan::Create(grown) => {
                self.grow(grown);
                self.created += 1;
            }
            Plan::Fail(_) => unreachable!(),
        }
        self.top_here = None;
        self.out += 1;
        self.peak = self.peak.max(self.out);
        self.allocations += 1;
    }

    fn grow(&mut self, grown: Option<usize>) {
        if let Some(capacity) = grown {
            self.capacity = capacity;
            self.growths += 1;
        }
    }

    fn fail(&mut self, error: PoolError) {
        if let PoolError::Exhausted { .. } = error {
            self.exhausted += 1;
        }
    }

    /// A guard of object `id` came back on this thread (`here`) or another one.
    fn release(&mut self, id: usize, here: bool) {
        self.out -= 1;
        self.releases += 1;
        if self.closed {
            self.discarded += 1;
            return;
        }
        self.idle.push(id);
        if self.shared() {
            let cache = if here {
                &mut self.here
            } else {
                &mut self.elsewhere
            };
            if *cache == 2 * self.batch {
                *cache -= self.batch;
                self.depot += self.batch;
            }
            *cache += 1;
            if here {
                self.top_here = Some(id);
            }
        }
    }

    /// A guard came back and its reset panicked: the object is dropped.
    fn release_discarded(&mut self) {
        self.out -= 1;
        self.releases += 1;
        self.discarded += 1;
    }

    fn detach(&mut self) {
        self.out -= 1;
        self.detached += 1;
    }

    /// Every idle object is dropped.
    fn discard_idle(&mut self) -> Vec<usize> {
        self.discarded += self.idle.len() as u64;
        (self.here, self.depot, self.elsewhere, self.top_here) = (0, 0, 0, None);
        std::mem::take(&mut self.idle)
    }

    fn close(&mut self) -> Vec<usize> {
        self.closed = true;
        self.discard_idle()
    }

    fn expected_stats(&self) -> PoolStats {
        let mut stats = PoolStats::default();
        stats.capacity = if self.part_made { self.capacity } else { 0 };
        stats.in_use = self.out;
        stats.idle = self.idle.len();
        stats.peak_in_use = self.peak;
        stats.allocations = self.allocations;
        stats.releases = self.releases;
        stats.created = self.created;
        stats.reused = self.allocations - (self.created - self.prebuilt);
        stats.growths = self.growths;
        stats.exhausted = self.exhausted;
        stats.detached = self.detached;
        stats.discarded = self.discarded;
        stats
    }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// A guard held by the target, with what its user wrote.
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
                std::thread::spawn(move || drop(guard)).join().unwrap();
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
                std::thread::spawn(move || OwnedPooled::detach(guard))
                    .join()
                    .unwrap()
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

    /// The thorough checks: every statistic and every object.
    fn check_all(&self) {
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
        let table = stats.to_string();
        assert!(
            table.contains("capacity") && table.contains("discarded"),
            "{table}"
        );
        assert!(!self.pool.debug().is_empty());
        for held in &self.held {
            held.check();
        }
        let mut alive: HashSet<usize> = self.model.idle.iter().copied().collect();
        alive.extend(self.held.iter().map(|h| h.id));
        alive.extend(self.kept.iter().map(|t| t.id));
        for id in 0..self.life.created() {
            assert_eq!(self.life.is_alive(id), alive.contains(&id), "object {id}");
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

fn run(input: &Input) {
    install_panic_hook();
    let config = &input.config;
    let life = Arc::new(Life::default());
    let expected = expected_shape(config);

    // Build, perhaps with a factory that panics while preallocating.
    let prealloc_panic_at = config
        .prealloc_panic_at()
        .filter(|_| config.kind != Kind::ThreadLocal);
    let build_panics = match (&expected, prealloc_panic_at) {
        (Ok((capacity, ..)), Some(at)) => at <= *capacity,
        _ => false,
    };
    life.arm_factory(prealloc_panic_at.unwrap_or(0));
    let built = catch_injected(|| Pool::build(config, &life));
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
    let mut model = Model::new(config, capacity, max, growth);
    if config.preallocate && model.part_made {
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
    };
    run.check_sizes();
    for &op in input.ops.iter().take(MAX_OPS) {
        run.step(op);
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

fuzz_target!(|input: Input| run(&input));
