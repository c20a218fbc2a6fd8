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
//! The model and the driver that checks the pool against it after every step are shared with
//! the proptest suite: `fastalloc-core/tests/support/` (`model.rs`, `driver.rs`, whose
//! documentation lists the invariants). This file only decodes the input. The `Op`, `Kind`
//! and `ResetSource` types there derive `Arbitrary` under `cfg(fuzzing)`, which cargo-fuzz sets.
//! Statistics and every object are compared with the model at `Op::Stats` and at the end; the
//! cheaper checks after every step.
//!
//! Run it with `scripts/fuzz.sh [SECONDS]`.
#![no_main]

#[path = "../../fastalloc-core/tests/support/mod.rs"]
mod support;

use arbitrary::Arbitrary;
use fastalloc_core::Growth;
use libfuzzer_sys::fuzz_target;
use support::driver::{run, Checks, Op};
use support::model::{Kind, ResetSource, Settings};

/// Operations read per input; more only slows the fuzzer down. A pool grows only when every
/// slot is lent, so this also bounds its size (capacities are at most 255, growth steps 255 and
/// factors 32): no input can make it exhaust memory.
const MAX_OPS: usize = 1024;

#[derive(Arbitrary, Debug)]
struct Input {
    config: Config,
    ops: Vec<Op>,
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

#[derive(Arbitrary, Debug, Clone, Copy)]
struct Config {
    kind: Kind,
    capacity: Option<CapacitySpec>,
    growth: Option<GrowthSpec>,
    max: Option<MaxSpec>,
    preallocate: bool,
    reset: ResetSource,
    /// With `preallocate`, a value from 1 to 8 makes that factory call of the preallocation
    /// panic (at `build`, or at a `ThreadLocalPool`'s first allocation); other values don't.
    prealloc_panic_at: u8,
}

impl Config {
    fn settings(&self) -> Settings {
        Settings {
            kind: self.kind,
            capacity: self.capacity.map(CapacitySpec::value),
            growth: self.growth.map(GrowthSpec::value),
            max: self.max.map(MaxSpec::value),
            preallocate: self.preallocate,
            reset: self.reset,
            prealloc_panic_at: (1..=8)
                .contains(&self.prealloc_panic_at)
                .then_some(usize::from(self.prealloc_panic_at)),
        }
    }
}

fuzz_target!(|input: Input| {
    let ops = &input.ops[..input.ops.len().min(MAX_OPS)];
    run(&input.config.settings(), ops, Checks::OnStats);
});
