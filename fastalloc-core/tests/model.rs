//! Model-based tests: random pool settings and random sequences of operations, checked step by
//! step against a plain model of what the pool must do.
//!
//! The model (`support/model.rs`) and the driver that runs a pool beside it (`support/driver.rs`)
//! are shared with the fuzz target `fuzz/fuzz_targets/pool_ops.rs`; this file only chooses the
//! settings and operations, with proptest, and asks the driver to compare every statistic and
//! every object after every step. The driver's documentation lists the invariants; in short:
//! * `build` fails exactly when the settings are invalid, with the right `BuildError`;
//! * `allocate` succeeds exactly when the model has an idle object, a free slot or room to grow,
//!   fails with `Exhausted { capacity }` otherwise, and with `Closed` after `close`; a factory
//!   that panics leaves the pool as the model says;
//! * a reused object is the last one returned (LIFO; any idle one for `ThreadSafePool`), it is
//!   reset and keeps its buffer's capacity and address, and no two guards share an object;
//! * a lent or detached object keeps what its user wrote; a reset that panics drops the object;
//! * `capacity`, `in_use`, `idle`, `available`, `is_closed` and every `PoolStats` counter match
//!   the model, and the objects alive are exactly the idle, lent and detached ones;
//! * dropping the pool drops every object that was built and not detached, exactly once.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`

mod support;

use fastalloc_core::Growth;
use proptest::prelude::*;
use support::driver::{run, Checks, Op};
use support::model::{Kind, ResetSource, Settings};

/// Everything after every step; under Miri, where that costs minutes, the statistics after
/// every step and the rest after `Op::Stats` and at the end.
const CHECKS: Checks = if cfg!(miri) {
    Checks::StatsEveryStep
} else {
    Checks::EveryStep
};

fn op() -> impl Strategy<Value = Op> {
    let index = any::<u8>;
    prop_oneof![
        8 => Just(Op::Allocate),
        3 => Just(Op::AllocateOwned),
        1 => Just(Op::AllocatePanicking),
        5 => index().prop_map(Op::Drop),
        1 => index().prop_map(Op::DropElsewhere),
        1 => index().prop_map(Op::DropPanicking),
        1 => index().prop_map(Op::Detach),
        1 => index().prop_map(Op::DetachElsewhere),
        1 => index().prop_map(Op::DropDetached),
        3 => (index(), 1..u64::MAX, any::<u8>())
            .prop_map(|(guard, value, bytes)| Op::Write { guard, value, bytes }),
        1 => Just(Op::Close),
        1 => Just(Op::Stats),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 0..120)
}

fn reset_source() -> impl Strategy<Value = ResetSource> {
    prop_oneof![Just(ResetSource::Closure), Just(ResetSource::Trait)]
}

/// Valid growth policies that keep pools small.
fn growth() -> impl Strategy<Value = Growth> {
    prop_oneof![
        (1usize..4).prop_map(Growth::Linear),
        (9u8..32).prop_map(|n| Growth::Exponential(f64::from(n) / 8.0)),
    ]
}

/// A pool of `kind` and `capacity` with the other settings given, eager or lazy, reset by a
/// closure or by the `Reset` impl.
fn settings(
    kind: Kind,
    capacity: usize,
    growth: Option<Growth>,
    max: Option<usize>,
) -> impl Strategy<Value = Settings> {
    (any::<bool>(), reset_source()).prop_map(move |(preallocate, reset)| Settings {
        growth,
        max,
        preallocate,
        reset,
        ..Settings::new(kind, capacity)
    })
}

/// A `ThreadSafePool` or `ThreadLocalPool`: fixed, or growing to a maximum.
fn thread_settings(kind: Kind) -> impl Strategy<Value = Settings> {
    (1usize..40, prop::option::of((growth(), 0usize..40))).prop_flat_map(
        move |(capacity, growth)| {
            let (growth, max) = growth.map_or((None, None), |(growth, extra)| {
                (Some(growth), Some(capacity + extra))
            });
            settings(kind, capacity, growth, max)
        },
    )
}

/// Any settings, valid or not, as the fuzz target chooses them: missing, zero and too large
/// capacities, zero steps, factors of 1 or less and not finite, maxima below the capacity, and
/// factories that panic while preallocating.
fn any_settings() -> impl Strategy<Value = Settings> {
    let kind = prop_oneof![
        Just(Kind::Fixed),
        Just(Kind::Growing),
        Just(Kind::ThreadSafe),
        Just(Kind::ThreadLocal)
    ];
    let capacity = prop_oneof![
        8 => (0usize..=64).prop_map(Some),
        1 => Just(None),
        1 => Just(Some(u32::MAX as usize + 1)),
        1 => Just(Some(usize::MAX)),
    ];
    let growth = prop_oneof![
        2 => Just(None),
        2 => (0usize..=255).prop_map(|step| Some(Growth::Linear(step))),
        2 => (0u8..=255).prop_map(|n| Some(Growth::Exponential(f64::from(n) / 8.0))),
        1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY)]
            .prop_map(|factor| Some(Growth::Exponential(factor))),
    ];
    let max = prop_oneof![
        2 => Just(None),
        2 => (0usize..=255).prop_map(Some),
        1 => Just(Some(u32::MAX as usize)),
        1 => Just(Some(usize::MAX)),
    ];
    let extras = (any::<bool>(), reset_source(), 0usize..=12);
    (kind, capacity, growth, max, extras).prop_map(
        |(kind, capacity, growth, max, (preallocate, reset, panic_at))| Settings {
            kind,
            capacity,
            growth,
            max,
            preallocate,
            reset,
            prealloc_panic_at: Some(panic_at),
        },
    )
}

/// 256 cases, or `miri_cases` under Miri.
fn config(miri_cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: if cfg!(miri) { miri_cases } else { 256 },
        // Miri's isolation forbids the file system, where failures are normally recorded.
        failure_persistence: if cfg!(miri) {
            None
        } else {
            ProptestConfig::default().failure_persistence
        },
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(4))]

    #[test]
    fn fixed_pool_matches_model(
        settings in (1usize..8).prop_flat_map(|capacity| settings(Kind::Fixed, capacity, None, None)),
        ops in ops(),
    ) {
        run(&settings, &ops, CHECKS);
    }

    #[test]
    fn growing_pool_matches_model(
        settings in (1usize..6, growth(), 0usize..10).prop_flat_map(|(capacity, growth, extra)| {
            settings(Kind::Growing, capacity, Some(growth), Some(capacity + extra))
        }),
        ops in ops(),
    ) {
        run(&settings, &ops, CHECKS);
    }

    #[test]
    fn thread_safe_pool_matches_model(
        settings in thread_settings(Kind::ThreadSafe),
        ops in ops(),
    ) {
        run(&settings, &ops, CHECKS);
    }

}

proptest! {
    // The kinds the fuzz target added; one case each under Miri, which runs the three above.
    #![proptest_config(config(1))]

    #[test]
    fn thread_local_pool_matches_model(
        settings in thread_settings(Kind::ThreadLocal),
        ops in ops(),
    ) {
        run(&settings, &ops, CHECKS);
    }

    #[test]
    fn any_settings_build_and_run_as_documented(settings in any_settings(), ops in ops()) {
        run(&settings, &ops, CHECKS);
    }
}
