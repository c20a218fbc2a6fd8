//! The model: what a pool must do, written plainly, with no pool in it.
//!
//! [`expected_shape`] says what `build` must make of a set of [`Settings`] (or which
//! `BuildError` it must return), and [`Model`] follows a built pool step by step: its capacity
//! and growth, the idle objects (in LIFO order for the single-threaded engine), the lent and
//! detached ones, and every `PoolStats` counter. Before an allocation [`Model::plan`] says what
//! `allocate` must do ([`Plan`]); the driver (`driver.rs`) compares the pool's answer with it and
//! then applies the step to the model.
//!
//! The `ThreadSafePool` model also follows where idle objects wait — this thread's cache, the
//! shared depot, or the cache of the other thread (the driver releases "elsewhere" always on the
//! same helper thread, so that is one cache) — because that decides whether an allocation
//! reuses an object, builds one, grows, or gathers the other caches first.

use fastalloc_core::{BuildError, Growth, PoolError, PoolStats};

/// The pool types the model knows.
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Fixed,
    Growing,
    ThreadSafe,
    ThreadLocal,
}

/// Where the pool's reset comes from.
#[cfg_attr(fuzzing, derive(arbitrary::Arbitrary))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetSource {
    /// `.reset_with(|t| ...)`.
    Closure,
    /// The `Reset` impl of the object type.
    Trait,
}

/// What a test asks the builder for: `None` leaves a setting out.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub kind: Kind,
    pub capacity: Option<usize>,
    pub growth: Option<Growth>,
    pub max: Option<usize>,
    pub preallocate: bool,
    pub reset: ResetSource,
    /// With `preallocate`, the factory call of the preallocation (from 1) that panics: at
    /// `build`, or at a `ThreadLocalPool`'s first allocation. `None` (or 0): none panics.
    pub prealloc_panic_at: Option<usize>,
}

impl Settings {
    /// A pool of `kind` and `capacity`, nothing else set, reset by a closure.
    pub fn new(kind: Kind, capacity: usize) -> Self {
        Self {
            kind,
            capacity: Some(capacity),
            growth: None,
            max: None,
            preallocate: false,
            reset: ResetSource::Closure,
            prealloc_panic_at: None,
        }
    }

    /// The factory call of the preallocation that panics, if any.
    pub fn prealloc_panic_at(&self) -> Option<usize> {
        self.prealloc_panic_at
            .filter(|&at| self.preallocate && at > 0)
    }
}

/// The settings a valid configuration stands for — `(capacity, max, growth)` — or the error
/// `build` must return: the rules of the builder's documentation, checked in the order it
/// checks them.
pub fn expected_shape(settings: &Settings) -> Result<(usize, usize, Option<Growth>), BuildError> {
    let capacity = settings.capacity.ok_or(BuildError::MissingCapacity)?;
    if capacity == 0 {
        return Err(BuildError::ZeroCapacity);
    }
    let (given_growth, given_max) = (settings.growth, settings.max);
    let growth = match settings.kind {
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

/// `a == b`, except that two `GrowthFactorTooSmall` with a NaN factor are the same error.
pub fn same_build_error(a: BuildError, b: BuildError) -> bool {
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
pub enum Plan {
    /// Lend this idle object (`None`: any idle one; the shared pool's order is not specified).
    Reuse(Option<usize>),
    /// Build a new object, after growing to this capacity if `Some`.
    Create(Option<usize>),
    Fail(PoolError),
}

/// The expected state of one pool. Objects are named by their ids, given in order of creation.
#[derive(Debug)]
pub struct Model {
    pub kind: Kind,
    pub capacity: usize,
    pub max: usize,
    pub growth: Option<Growth>,
    pub preallocate: bool,
    pub prealloc_panic_at: Option<usize>,
    /// A `ThreadLocalPool` builds this thread's part at its first allocation.
    pub part_made: bool,
    pub closed: bool,
    /// Objects lent.
    pub out: usize,
    /// The idle objects; for the single-threaded engine, in LIFO order (last is next).
    pub idle: Vec<usize>,
    /// `ThreadSafePool` only: how the idle objects are spread over this thread's cache, the
    /// shared depot and the cache of the other thread, and the cache batch size.
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
    /// A model of a pool just built from `settings` with the shape [`expected_shape`] gave.
    pub fn new(settings: &Settings, capacity: usize, max: usize, growth: Option<Growth>) -> Self {
        Self {
            kind: settings.kind,
            capacity,
            max,
            growth,
            preallocate: settings.preallocate,
            prealloc_panic_at: settings.prealloc_panic_at(),
            part_made: settings.kind != Kind::ThreadLocal,
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

    /// Whether this is the `ThreadSafePool` model, whose reuse order is not LIFO.
    pub fn shared(&self) -> bool {
        self.kind == Kind::ThreadSafe
    }

    /// Objects built up front: ids `first..first + capacity`, pushed in order.
    pub fn prebuild(&mut self, first: usize) {
        self.idle.extend(first..first + self.capacity);
        self.depot = self.capacity;
        self.created += self.capacity as u64;
        self.prebuilt += self.capacity as u64;
    }

    /// Slots holding no object: never used, or vacated by a detach or a discard.
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

    /// What the next `allocate` must do.
    pub fn plan(&self) -> Plan {
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
    pub fn lend(&mut self, plan: Plan, id: usize) {
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

    /// The pool grew to `grown` (if `Some`), whatever happens next.
    pub fn grow(&mut self, grown: Option<usize>) {
        if let Some(capacity) = grown {
            self.capacity = capacity;
            self.growths += 1;
        }
    }

    /// `allocate` failed with `error`, as planned.
    pub fn fail(&mut self, error: PoolError) {
        if let PoolError::Exhausted { .. } = error {
            self.exhausted += 1;
        }
    }

    /// A guard of object `id` came back on this thread (`here`) or the other one.
    pub fn release(&mut self, id: usize, here: bool) {
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
    pub fn release_discarded(&mut self) {
        self.out -= 1;
        self.releases += 1;
        self.discarded += 1;
    }

    /// A guard was detached: its object leaves the pool, its slot is empty again.
    pub fn detach(&mut self) {
        self.out -= 1;
        self.detached += 1;
    }

    /// Every idle object is dropped; returns their ids.
    pub fn discard_idle(&mut self) -> Vec<usize> {
        self.discarded += self.idle.len() as u64;
        (self.here, self.depot, self.elsewhere, self.top_here) = (0, 0, 0, None);
        std::mem::take(&mut self.idle)
    }

    /// `close`: the idle objects are dropped (their ids are returned), lent ones later.
    pub fn close(&mut self) -> Vec<usize> {
        self.closed = true;
        self.discard_idle()
    }

    /// The `PoolStats` the pool must report. (The driver relaxes `peak_in_use` for the shared
    /// pool, which counts cached objects as in use.)
    pub fn expected_stats(&self) -> PoolStats {
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
