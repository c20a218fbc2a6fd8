//! Growth: the cost per object of growing a `GrowingPool` from 16 to 1,000,000 objects (each
//! allocated and kept, so the pool must grow), against `Vec::push` of a boxed object.
//!
//! A plain timing loop: each run builds 1,000,000 objects (10,000 in quick mode) and is timed
//! from the first object to the last; dropping everything afterwards is not timed. The median of
//! several runs is printed, in nanoseconds per object, with the minor page faults per 1,000
//! objects (from `/proc/self/stat`): touching fresh memory for the first time costs a page
//! fault per 4 KiB, and which variant pays it depends on what the allocator kept from the
//! previous run, so the fault count is printed to show where the time goes.
//! `cargo bench --bench growth`; see `docs/performance.md`.
#![allow(missing_docs)] // a bench binary
#![allow(clippy::cast_precision_loss)] // counts far below 2^52

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{full_run, median, Object64};
use fastalloc::{FixedPool, GrowingPool, Growth, Pooled};

/// Minor page faults of this process so far (0 where `/proc` is not available).
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (which is in parentheses and may hold spaces);
            // `minflt` is the 10th field of the line, the 8th after the name.
            let rest = &stat[stat.rfind(')')? + 2..];
            rest.split(' ').nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// One measured run: the time it took and the page faults during it.
struct Run {
    time: Duration,
    faults: u64,
}

/// Times `body`, which builds `n` objects and returns them (dropped after the timing).
fn measure<R>(body: impl FnOnce() -> R) -> Run {
    let faults = minor_faults();
    let start = Instant::now();
    let built = body();
    let time = start.elapsed();
    let faults = minor_faults() - faults;
    drop(black_box(built));
    Run { time, faults }
}

/// Grows `pool` by allocating `n` objects and keeping every guard in `guards`.
fn fill<'a>(pool: &'a GrowingPool<Object64>, n: usize, guards: &mut Vec<Pooled<'a, Object64>>) {
    for _ in 0..n {
        let mut guard = pool.allocate().unwrap();
        guard.0[0] = 1;
        guards.push(guard);
    }
}

fn growing_pool(n: usize, growth: Growth) -> Run {
    let pool = GrowingPool::<Object64>::new(16, growth).unwrap();
    // The guards' storage is reserved outside the timing: it is not the pool's cost.
    let mut guards = Vec::with_capacity(n);
    let run = measure(|| fill(&pool, n, &mut guards));
    drop(guards);
    run
}

fn boxes(n: usize, reserved: bool) -> Run {
    let mut boxes: Vec<Box<Object64>> = if reserved {
        Vec::with_capacity(n)
    } else {
        Vec::new()
    };
    measure(move || {
        for _ in 0..n {
            let mut object = Box::new(Object64::default());
            object.0[0] = 1;
            boxes.push(object);
        }
        boxes
    })
}

fn fixed_pool(n: usize) -> Run {
    let pool = FixedPool::<Object64>::new(n).unwrap();
    let mut guards = Vec::with_capacity(n);
    let run = measure(|| {
        for _ in 0..n {
            let mut guard = pool.allocate().unwrap();
            guard.0[0] = 1;
            guards.push(guard);
        }
    });
    drop(guards);
    run
}

type Variant = (&'static str, fn(usize) -> Run);

fn main() {
    let (n, runs) = if full_run() {
        (1_000_000, 7)
    } else {
        (10_000, 1)
    };
    let variants: [Variant; 6] = [
        ("Vec::push(Box::new) from an empty Vec", |n| boxes(n, false)),
        ("Vec::push(Box::new) into a reserved Vec", |n| {
            boxes(n, true)
        }),
        ("GrowingPool 16, Exponential(2.0)", |n| {
            growing_pool(n, Growth::Exponential(2.0))
        }),
        ("GrowingPool 16, Linear(65536)", |n| {
            growing_pool(n, Growth::Linear(65_536))
        }),
        ("GrowingPool 16, Linear(4096)", |n| {
            growing_pool(n, Growth::Linear(4096))
        }),
        ("FixedPool of n, no growth (reference)", fixed_pool),
    ];
    // Runs are interleaved (every variant once per round) so that a burst of load elsewhere
    // on the machine hits every variant alike.
    let mut results: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); variants.len()];
    for _ in 0..runs {
        for ((_, variant), (times, faults)) in variants.iter().zip(&mut results) {
            let run = variant(n);
            times.push(run.time.as_nanos() as f64 / n as f64);
            faults.push(run.faults as f64 * 1000.0 / n as f64);
        }
    }
    println!(
        "\ngrowth_16_to_1M: {n} objects of 64 B built and kept, median of {runs} runs \
         (interleaved); time per object, minor page faults per 1,000 objects"
    );
    println!(
        "{:<44} {:>12} {:>10} {:>16}",
        "variant", "ns/object", "ratio", "faults/1k obj"
    );
    let mut medians: Vec<(f64, f64)> = results
        .iter_mut()
        .map(|(times, faults)| (median(times), median(faults)))
        .collect();
    let reference = medians[0].0;
    for ((name, _), (time, faults)) in variants.iter().zip(&mut medians) {
        println!(
            "{name:<44} {time:>9.2} ns {:>9.2}x {faults:>16.2}",
            *time / reference
        );
    }
}
