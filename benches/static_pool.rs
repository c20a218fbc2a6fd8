//! `StaticPool` (issue 15) against the `no_std` static pools it replaces: heapless's `pool`
//! (`box_pool!` and `object_pool!`) and embassy's `atomic-pool`, with the usual baselines, in
//! one group, `static_64B`. One thread, warm pools, 32 objects of 64 bytes each, every pool a
//! `static`; `StaticPool` both used directly and as made by `#[pooled(capacity = 32,
//! heapless)]`.
//!
//! **The round trip** is the same for every row: take an object, write one field
//! (`black_box`ed), let it escape through `black_box`, zero that field again, give the object
//! back. `StaticPool` zeroes the field in its reset ([`Obj64`]'s `Reset`, called on release);
//! the peers have no reset hook, so the loop zeroes it by hand before the drop, and the stack
//! and `Box::new` rows do the same.
//!
//! **What the peers do besides.** heapless's `box_pool!` and atomic-pool's `Box` are memory
//! pools: allocating moves a value in, so each round trip also writes the whole 64-byte object
//! (`Obj64::default()`), as `Box::new` does; that is their API, not a choice of this bench.
//! heapless's `object_pool!` lends objects that keep their value, like `StaticPool`, and is the
//! closest peer. No peer keeps statistics or can be closed.
//!
//! **How the statics are reached.** heapless and atomic-pool keep their `static` inside the
//! type their macro declares, so it cannot be passed through `black_box`; to treat every pool
//! alike, `StaticPool` is used directly too (`POOL.allocate()`). Every pool's state is atomics
//! in memory, which the optimizer cannot keep in registers across round trips anyway.
//!
//! On `x86_64`, heapless's pool needs its `portable-atomic` feature: the head of its free list
//! is a 64-bit pointer and a 64-bit tag, swapped by a 128-bit compare-and-swap (CMPXCHG16B,
//! found at run time by portable-atomic unless the build enables the `cmpxchg16b` target
//! feature).
//!
//! `cargo bench --bench static_pool`; see `docs/performance.md` ("`StaticPool` against
//! heapless and atomic-pool").
#![allow(missing_docs)] // `criterion_group!` generates undocumented public functions
#![allow(clippy::inline_always)] // on purpose: see `Row`

mod common;

use std::hint::black_box;
use std::ptr::addr_of_mut;
use std::sync::Once;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, BenchmarkGroup, Criterion};
use fastalloc::{Reset, StaticPool};
use heapless::pool::boxed::BoxBlock;
use heapless::pool::object::ObjectBlock;
use heapless::{box_pool, object_pool};

/// Objects per pool.
const CAPACITY: usize = 32;

/// The 64-byte object (one cache line), as in `benches/round_trip.rs`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Obj64([u64; 8]);

const _: () = assert!(std::mem::size_of::<Obj64>() == 64);

/// The cheapest real reset: zero the one field a round trip writes (`round_trip.rs` zeroes all
/// eight words instead).
impl Reset for Obj64 {
    #[inline]
    fn reset(&mut self) {
        self.0[0] = 0;
    }
}

/// The work done with a lent object: one write the optimizer cannot drop.
#[inline]
fn use_object(object: &mut Obj64) {
    object.0[0] = black_box(1);
    black_box(&*object);
}

/// What a pool without a reset hook leaves to its user: the same write as `Obj64::reset`.
#[inline]
fn reset_by_hand(object: &mut Obj64) {
    object.0[0] = 0;
}

static FASTALLOC: StaticPool<Obj64, CAPACITY> = StaticPool::new();

/// The same pool made by `#[pooled(heapless)]` (a `StaticPool` in a `static` inside
/// `Macro64::pool()`), for a wrapper with `Obj64`'s layout and reset.
#[fastalloc::pooled(capacity = 32, heapless)]
#[derive(Debug, Default, fastalloc::Reset)]
pub struct Macro64(Obj64);

box_pool!(HeaplessBoxes: Obj64);
object_pool!(HeaplessObjects: Obj64);
use atomic::AtomicPool;

mod atomic {
    // `pool!` computes the bitset's length as `(N + 31) / 32`.
    #![allow(clippy::manual_div_ceil)]
    atomic_pool::pool!(pub AtomicPool: [super::Obj64; super::CAPACITY]);
}

/// Gives heapless's pools their memory blocks, once per process.
fn manage_heapless_blocks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        #[allow(clippy::declare_interior_mutable_const)]
        const BOX_BLOCK: BoxBlock<Obj64> = BoxBlock::new();
        #[allow(clippy::declare_interior_mutable_const)]
        const OBJECT_BLOCK: ObjectBlock<Obj64> = ObjectBlock::new(Obj64([0; 8]));
        static mut BOX_BLOCKS: [BoxBlock<Obj64>; CAPACITY] = [BOX_BLOCK; CAPACITY];
        static mut OBJECT_BLOCKS: [ObjectBlock<Obj64>; CAPACITY] = [OBJECT_BLOCK; CAPACITY];
        // SAFETY: `call_once` runs this once per process, so these are the only references
        // ever made to the two arrays; the pools keep them for the rest of the process.
        let (boxes, objects) = unsafe {
            (
                &mut *addr_of_mut!(BOX_BLOCKS),
                &mut *addr_of_mut!(OBJECT_BLOCKS),
            )
        };
        for block in boxes {
            HeaplessBoxes.manage(block);
        }
        for block in objects {
            HeaplessObjects.manage(block);
        }
    });
}

/// Takes every object of each pool once and gives them all back: every slot used and, for
/// `StaticPool`, every object built, so that the measured round trips are those of warm pools.
fn warm_up() {
    manage_heapless_blocks();
    let fastalloc: Vec<_> = (0..CAPACITY)
        .map(|_| FASTALLOC.allocate().unwrap())
        .collect();
    assert!(FASTALLOC.allocate().is_err(), "StaticPool holds {CAPACITY}");
    drop(fastalloc);
    let pooled: Vec<_> = (0..CAPACITY)
        .map(|_| Macro64::pool().allocate().unwrap())
        .collect();
    assert!(
        Macro64::pool().allocate().is_err(),
        "#[pooled] holds {CAPACITY}"
    );
    drop(pooled);
    let boxes: Vec<_> = (0..CAPACITY)
        .map(|_| HeaplessBoxes.alloc(Obj64::default()).unwrap())
        .collect();
    assert!(HeaplessBoxes.alloc(Obj64::default()).is_err(), "32 blocks");
    drop(boxes);
    let objects: Vec<_> = (0..CAPACITY)
        .map(|_| HeaplessObjects.request().unwrap())
        .collect();
    assert!(HeaplessObjects.request().is_none(), "32 blocks");
    drop(objects);
    let items: Vec<_> = (0..CAPACITY)
        .map(|_| atomic_pool::Box::<AtomicPool>::new(Obj64::default()).unwrap())
        .collect();
    assert!(atomic_pool::Box::<AtomicPool>::new(Obj64::default()).is_none());
    drop(items);
}

/// What the stateful rows keep between round trips (the other pools are statics).
struct Ctx {
    #[allow(clippy::vec_box)] // one allocation per object, as in `benches/round_trip.rs`
    stack: Vec<Box<Obj64>>,
}

#[inline(always)]
fn fastalloc_static_pool(_: &mut Ctx) {
    use_object(&mut FASTALLOC.allocate().unwrap());
}

#[inline(always)]
fn fastalloc_pooled_heapless(_: &mut Ctx) {
    use_object(&mut Macro64::pool().allocate().unwrap().0);
}

#[inline(always)]
fn heapless_box_pool(_: &mut Ctx) {
    let mut boxed = HeaplessBoxes.alloc(Obj64::default()).unwrap();
    use_object(&mut boxed);
    reset_by_hand(&mut boxed);
}

#[inline(always)]
fn heapless_object_pool(_: &mut Ctx) {
    let mut object = HeaplessObjects.request().unwrap();
    use_object(&mut object);
    reset_by_hand(&mut object);
}

#[inline(always)]
fn atomic_pool_box(_: &mut Ctx) {
    let mut boxed = atomic_pool::Box::<AtomicPool>::new(Obj64::default()).unwrap();
    use_object(&mut boxed);
    reset_by_hand(&mut boxed);
}

/// The hand-written limit: single-threaded, no atomics.
#[inline(always)]
fn vec_box_stack(ctx: &mut Ctx) {
    let stack = black_box(&mut ctx.stack);
    let mut boxed = stack.pop().unwrap();
    use_object(&mut boxed);
    boxed.reset();
    stack.push(boxed);
}

#[inline(always)]
fn box_new(_: &mut Ctx) {
    let mut boxed = Box::new(Obj64::default());
    use_object(&mut boxed);
    reset_by_hand(&mut boxed);
}

/// One row: its name, its criterion benchmark, and `n` round trips timed in a plain loop. The
/// round trips are `#[inline(always)]` so that each loop has its row's code inline, with no
/// call per round trip (as `b.iter(|| ...)` has in `benches/round_trip.rs`).
struct Row {
    name: &'static str,
    bench: fn(&mut BenchmarkGroup<'_, WallTime>, &mut Ctx),
    timed: fn(&mut Ctx, u64) -> Duration,
}

/// `n` round trips of `round_trip`, timed.
fn timed_loop(ctx: &mut Ctx, n: u64, round_trip: impl Fn(&mut Ctx)) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        round_trip(ctx);
    }
    start.elapsed()
}

macro_rules! row {
    ($name:expr, $round_trip:path) => {
        Row {
            name: $name,
            bench: |group, ctx| {
                group.bench_function($name, |b| b.iter(|| $round_trip(ctx)));
            },
            timed: |ctx, n| timed_loop(ctx, n, $round_trip),
        }
    };
}

/// The rows of `static_64B`; the first is the one the others are compared with.
const ROWS: [Row; 7] = [
    row!("fastalloc StaticPool", fastalloc_static_pool),
    row!("fastalloc #[pooled(heapless)]", fastalloc_pooled_heapless),
    row!("heapless box_pool", heapless_box_pool),
    row!("heapless object_pool", heapless_object_pool),
    row!("atomic-pool Box", atomic_pool_box),
    row!("Vec<Box<T>> stack", vec_box_stack),
    row!("Box::new (system)", box_new),
];

fn new_ctx() -> Ctx {
    Ctx {
        stack: (0..CAPACITY).map(|_| Box::default()).collect(),
    }
}

fn static_64b(c: &mut Criterion) {
    warm_up();
    let mut ctx = new_ctx();
    let mut group = c.benchmark_group("static_64B");
    for row in &ROWS {
        (row.bench)(&mut group, &mut ctx);
    }
    group.finish();
}

/// The same rows in a plain loop, interleaved: in each round every row runs once for about
/// 20 ms (starting with a different row each round), so that a burst of load from elsewhere on
/// this shared machine hits every row alike; the table gives each row's median over the
/// rounds and its ratio to the first row's.
#[allow(clippy::cast_precision_loss)] // nanosecond counts far below 2^52
fn interleaved() {
    warm_up();
    let mut ctx = new_ctx();
    let (rounds, slice_ns) = if common::full_run() {
        (21, 20e6)
    } else {
        (1, 1e5)
    };
    // Round trips per slice, from a short trial of each row.
    let ops: Vec<u64> = ROWS
        .iter()
        .map(|row| {
            let trial = 10_000;
            let ns = (row.timed)(&mut ctx, trial).as_nanos() as f64 / trial as f64;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ops = (slice_ns / ns.max(0.1)) as u64;
            ops.max(1_000)
        })
        .collect();
    let mut samples = vec![Vec::new(); ROWS.len()];
    for round in 0..rounds {
        for i in (0..ROWS.len()).map(|i| (i + round) % ROWS.len()) {
            let elapsed = (ROWS[i].timed)(&mut ctx, ops[i]);
            samples[i].push(elapsed.as_nanos() as f64 / ops[i] as f64);
        }
    }
    let medians: Vec<f64> = samples.iter_mut().map(|s| common::median(s)).collect();
    println!(
        "\nstatic_64B_interleaved: {rounds} rounds, each row about {} ms per round, rows \
         interleaved; median ns per round trip, ratio to `{}`",
        slice_ns / 1e6,
        ROWS[0].name
    );
    println!("{:<32} {:>10} {:>8}", "row", "median", "ratio");
    for (row, median) in ROWS.iter().zip(&medians) {
        println!(
            "{:<32} {:>7.2} ns {:>7.2}x",
            row.name,
            median,
            median / medians[0]
        );
    }
}

criterion_group! {
    name = benches;
    config = common::criterion();
    targets = static_64b
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    interleaved();
}
