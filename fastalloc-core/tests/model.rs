//! Model-based tests: random sequences of allocate / drop / detach / write / close, checked
//! step by step against a plain model of what the pool must do.
//!
//! Invariants checked after every step:
//! * `allocate` succeeds exactly when the model has an idle object, a free slot or room to grow,
//!   fails with `Exhausted { capacity }` otherwise, and with `Closed` after `close`;
//! * a lent object is always reset (its value is 0) and no two guards share an object;
//! * `in_use`, `idle`, `capacity` and the statistics match the model;
//! * dropping the pool drops every object that was built and not detached, exactly once.
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![allow(
    clippy::borrow_as_ptr,
    clippy::ref_as_ptr,
    clippy::many_single_char_names,
    clippy::cast_possible_truncation
)]

mod common;

use std::sync::Arc;

use common::{Counts, Tracked};
use fastalloc_core::{
    FixedPool, GrowingPool, Growth, PoolError, Pooled, SharedPooled, ThreadSafePool,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Allocate,
    Drop(usize),
    Detach(usize),
    Write(usize, u64),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Allocate),
        5 => any::<usize>().prop_map(Op::Drop),
        1 => any::<usize>().prop_map(Op::Detach),
        3 => (any::<usize>(), 1..u64::MAX).prop_map(|(i, v)| Op::Write(i, v)),
        1 => Just(Op::Close),
    ]
}

#[derive(Debug, Default)]
struct Model {
    capacity: usize,
    max: usize,
    step: usize,
    /// Built objects not lent (idle).
    idle: usize,
    /// Objects lent.
    out: usize,
    /// Slots never used or vacant.
    empty: usize,
    closed: bool,
    allocations: u64,
    created: u64,
    releases: u64,
    detached: u64,
    discarded: u64,
    exhausted: u64,
    growths: u64,
}

impl Model {
    fn new(capacity: usize, step: usize, max: usize) -> Self {
        Self {
            capacity,
            max,
            step,
            empty: capacity,
            ..Self::default()
        }
    }

    /// What `allocate` must return.
    fn allocate(&mut self) -> Result<(), PoolError> {
        if self.closed {
            return Err(PoolError::Closed);
        }
        if self.idle > 0 {
            self.idle -= 1;
        } else {
            if self.empty == 0 {
                let grown = (self.capacity + self.step).min(self.max);
                if grown == self.capacity {
                    self.exhausted += 1;
                    return Err(PoolError::Exhausted {
                        capacity: self.capacity,
                    });
                }
                self.empty += grown - self.capacity;
                self.capacity = grown;
                self.growths += 1;
            }
            self.empty -= 1;
            self.created += 1;
        }
        self.out += 1;
        self.allocations += 1;
        Ok(())
    }

    fn release(&mut self) {
        self.out -= 1;
        self.releases += 1;
        if self.closed {
            self.discarded += 1;
            self.empty += 1;
        } else {
            self.idle += 1;
        }
    }

    fn detach(&mut self) {
        self.out -= 1;
        self.detached += 1;
        self.empty += 1;
    }

    fn close(&mut self) {
        self.closed = true;
        self.discarded += self.idle as u64;
        self.empty += self.idle;
        self.idle = 0;
    }
}

/// The operations every pool type offers, so one model test drives them all.
trait TestPool {
    type Guard<'a>: std::ops::DerefMut<Target = Tracked>
    where
        Self: 'a;
    fn alloc(&self) -> Result<Self::Guard<'_>, PoolError>;
    fn detach(guard: Self::Guard<'_>) -> Tracked;
    fn close(&self);
    fn sizes(&self) -> (usize, usize, usize);
    fn stats(&self) -> fastalloc_core::PoolStats;
}

macro_rules! impl_test_pool {
    ($($pool:ident => $guard:ident),*) => {$(
        impl TestPool for $pool<Tracked> {
            type Guard<'a> = $guard<'a, Tracked>;
            fn alloc(&self) -> Result<$guard<'_, Tracked>, PoolError> {
                self.allocate()
            }
            fn detach(guard: $guard<'_, Tracked>) -> Tracked {
                $guard::detach(guard)
            }
            fn close(&self) {
                $pool::close(self);
            }
            fn sizes(&self) -> (usize, usize, usize) {
                (self.capacity(), self.in_use(), self.idle())
            }
            fn stats(&self) -> fastalloc_core::PoolStats {
                $pool::stats(self)
            }
        }
    )*};
}

impl_test_pool!(FixedPool => Pooled, GrowingPool => Pooled, ThreadSafePool => SharedPooled);

fn run<P: TestPool>(pool: &P, mut model: Model, ops: &[Op], counts: &Counts) -> Vec<Tracked> {
    let mut held: Vec<(P::Guard<'_>, u64)> = Vec::new();
    let mut kept = Vec::new();
    for op in ops {
        match *op {
            Op::Allocate => {
                let expected = model.allocate();
                match pool.alloc() {
                    Ok(guard) => {
                        assert_eq!(expected, Ok(()), "allocate succeeded but the model says no");
                        assert_eq!(guard.value, 0, "a lent object is reset");
                        assert!(
                            held.iter().all(|(g, _)| g.id != guard.id),
                            "object {} lent twice",
                            guard.id
                        );
                        held.push((guard, 0));
                    }
                    Err(err) => assert_eq!(Err(err), expected),
                }
            }
            Op::Drop(i) if !held.is_empty() => {
                let (guard, value) = held.swap_remove(i % held.len());
                assert_eq!(
                    guard.value, value,
                    "a lent object keeps what its user wrote"
                );
                drop(guard);
                model.release();
            }
            Op::Detach(i) if !held.is_empty() => {
                let (guard, value) = held.swap_remove(i % held.len());
                let object = P::detach(guard);
                assert_eq!(object.value, value);
                kept.push(object);
                model.detach();
            }
            Op::Write(i, value) if !held.is_empty() => {
                let len = held.len();
                let (guard, expected) = &mut held[i % len];
                guard.value = value;
                *expected = value;
            }
            Op::Close => {
                pool.close();
                model.close();
            }
            _ => {}
        }
        assert_eq!(pool.sizes(), (model.capacity, model.out, model.idle));
        let stats = pool.stats();
        let seen = (
            stats.allocations,
            stats.created,
            stats.releases,
            stats.detached,
        );
        assert_eq!(
            seen,
            (
                model.allocations,
                model.created,
                model.releases,
                model.detached
            )
        );
        let seen = (stats.discarded, stats.exhausted, stats.growths);
        assert_eq!(seen, (model.discarded, model.exhausted, model.growths));
        let live = counts.live() - kept.len();
        assert_eq!(live, model.idle + model.out, "objects alive = idle + lent");
    }
    drop(held);
    kept
}

fn tracked(counts: &Arc<Counts>) -> impl Fn() -> Tracked + Send + Sync + 'static {
    let counts = Arc::clone(counts);
    move || Tracked::new(&counts)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        // Miri's isolation forbids the file system, where failures are normally recorded.
        failure_persistence: if cfg!(miri) { None } else { ProptestConfig::default().failure_persistence },
        ..ProptestConfig::default()
    })]

    #[test]
    fn fixed_pool_matches_model(capacity in 1usize..8, ops in prop::collection::vec(op(), 0..120)) {
        let counts = Counts::new();
        let pool = FixedPool::builder()
            .capacity(capacity)
            .factory(tracked(&counts))
            .reset_with(Tracked::reset)
            .build()
            .unwrap();
        let kept = run(&pool, Model::new(capacity, 0, capacity), &ops, &counts);
        drop(pool);
        prop_assert_eq!(counts.live(), kept.len());
    }

    #[test]
    fn growing_pool_matches_model(
        capacity in 1usize..6,
        step in 1usize..4,
        extra in 0usize..10,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let counts = Counts::new();
        let pool = GrowingPool::builder()
            .capacity(capacity)
            .growth(Growth::Linear(step))
            .max_capacity(capacity + extra)
            .factory(tracked(&counts))
            .reset_with(Tracked::reset)
            .build()
            .unwrap();
        let kept = run(&pool, Model::new(capacity, step, capacity + extra), &ops, &counts);
        drop(pool);
        prop_assert_eq!(counts.live(), kept.len());
    }

    #[test]
    fn thread_safe_pool_matches_model_on_one_thread(
        capacity in 1usize..40,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let counts = Counts::new();
        let pool = ThreadSafePool::builder()
            .capacity(capacity)
            .factory(tracked(&counts))
            .reset_with(Tracked::reset)
            .build()
            .unwrap();
        let kept = run(&pool, Model::new(capacity, 0, capacity), &ops, &counts);
        drop(pool);
        prop_assert_eq!(counts.live(), kept.len());
    }
}
