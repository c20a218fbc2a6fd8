//! Named pools and the registry: names in `Debug`, `snapshot()` against each pool's own
//! `stats()`, pools built, moved and dropped on several threads while others take snapshots,
//! the `Display` table, and (features `serde`, `metrics`) the serialised and exported forms.
//!
//! The registry is one per process and the tests of this file run in parallel, so each test
//! names its pools after itself and looks only for those.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use fastalloc_core::registry::{self, Snapshot};
use fastalloc_core::{FixedPool, GrowingPool, Growth, PoolStats, ThreadLocalPool, ThreadSafePool};

/// The listed pools whose names start with `prefix`.
fn listed(snapshot: &Snapshot, prefix: &str) -> Vec<(String, PoolStats)> {
    snapshot
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .map(|(name, stats)| (name.to_owned(), *stats))
        .collect()
}

#[test]
fn every_pool_kind_has_its_name_in_debug() {
    let fixed: FixedPool<u32> = FixedPool::builder()
        .capacity(2)
        .name("debug::fixed")
        .build()
        .unwrap();
    let growing: GrowingPool<u32> = GrowingPool::builder()
        .capacity(2)
        .name(String::from("debug::growing"))
        .build()
        .unwrap();
    let shared: ThreadSafePool<u32> = ThreadSafePool::builder()
        .capacity(2)
        .name("debug::shared")
        .build()
        .unwrap();
    let local: ThreadLocalPool<u32> = ThreadLocalPool::builder()
        .capacity(2)
        .name("debug::local")
        .build()
        .unwrap();
    let debug = [
        (fixed.name(), format!("{fixed:?}")),
        (growing.name(), format!("{growing:?}")),
        (shared.name(), format!("{shared:?}")),
        (local.name(), format!("{local:?}")),
    ];
    for ((name, debug), expected) in debug.iter().zip(["fixed", "growing", "shared", "local"]) {
        let expected = format!("debug::{expected}");
        assert_eq!(*name, Some(expected.as_str()));
        assert!(
            debug.contains(&format!("name: Some({expected:?})")),
            "{debug}"
        );
    }
    let unnamed: FixedPool<u32> = FixedPool::new(2).unwrap();
    assert_eq!(unnamed.name(), None);
    assert!(format!("{unnamed:?}").contains("name: None"));
    let builder = FixedPool::<u32>::builder()
        .capacity(1)
        .name("debug::builder");
    assert!(
        format!("{builder:?}").contains("debug::builder"),
        "{builder:?}"
    );
}

#[test]
fn a_snapshot_holds_what_each_pool_reports() {
    let fixed: FixedPool<Vec<u8>> = FixedPool::builder()
        .capacity(4)
        .name("same::fixed")
        .build()
        .unwrap();
    let growing: GrowingPool<Vec<u8>> = GrowingPool::builder()
        .capacity(2)
        .growth(Growth::Linear(2))
        .name("same::growing")
        .build()
        .unwrap();
    let shared: ThreadSafePool<Vec<u8>> = ThreadSafePool::builder()
        .capacity(8)
        .name("same::shared")
        .build()
        .unwrap();
    let local: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::builder()
        .capacity(3)
        .name("same::local")
        .build()
        .unwrap();

    let held = (
        fixed.allocate().unwrap(),
        [growing.allocate().unwrap(), growing.allocate().unwrap()],
        growing.allocate().unwrap(), // grows
        shared.allocate().unwrap(),
        local.allocate().unwrap(),
    );
    drop(fixed.allocate().unwrap());
    drop(shared.allocate().unwrap());
    std::thread::scope(|s| {
        s.spawn(|| drop(local.allocate().unwrap()));
        s.spawn(|| drop(shared.allocate().unwrap()));
    });
    drop(growing.allocate().unwrap());

    let snapshot = registry::snapshot();
    let expected = [
        ("same::fixed", fixed.stats()),
        ("same::growing", growing.stats()),
        ("same::shared", shared.stats()),
        ("same::local", local.stats()),
    ];
    for (name, stats) in expected {
        assert_eq!(snapshot.get(name), Some(&stats), "{name}");
    }
    // The figures the test did, not only equal ones.
    let growing_stats = snapshot.get("same::growing").unwrap();
    assert_eq!(
        (
            growing_stats.capacity,
            growing_stats.in_use,
            growing_stats.idle,
            growing_stats.growths
        ),
        (4, 3, 1, 1)
    );
    let local_stats = snapshot.get("same::local").unwrap();
    assert_eq!((local_stats.allocations, local_stats.in_use), (2, 1));
    assert_eq!(local_stats.capacity, 6, "two threads' parts of 3");
    assert_eq!(listed(&snapshot, "same::").len(), 4);
    drop(held);
}

#[test]
fn dropped_pools_leave_and_moved_pools_stay() {
    fn build(name: &'static str) -> FixedPool<String> {
        FixedPool::builder().capacity(2).name(name).build().unwrap()
    }

    // Moved out of `build`, into a box, then to another thread and back.
    let pool = Box::new(build("moves::fixed"));
    let pool = std::thread::spawn(move || {
        // Used on another thread, and read from this one meanwhile.
        drop(pool.allocate().unwrap());
        let held = pool.allocate().unwrap();
        assert_eq!(registry::snapshot().get("moves::fixed").unwrap().in_use, 1);
        drop(held);
        pool
    })
    .join()
    .unwrap();
    let stats = *registry::snapshot().get("moves::fixed").unwrap();
    assert_eq!((stats.allocations, stats.in_use, stats.idle), (2, 0, 1));
    assert_eq!(stats, pool.stats());

    let shared = vec![ThreadSafePool::<String>::builder()
        .capacity(2)
        .name("moves::shared")
        .build()
        .unwrap()];
    let shared = Arc::new(shared.into_iter().next().unwrap());
    drop(shared.allocate_owned().unwrap());
    assert_eq!(
        registry::snapshot().get("moves::shared").unwrap().releases,
        1
    );

    drop(pool);
    drop(shared);
    let snapshot = registry::snapshot();
    assert!(listed(&snapshot, "moves::").is_empty(), "{snapshot}");
}

#[test]
fn pools_of_the_same_name_are_all_listed_and_get_finds_the_oldest() {
    let first: FixedPool<u8> = FixedPool::builder()
        .capacity(1)
        .name("twins")
        .build()
        .unwrap();
    let second: FixedPool<u8> = FixedPool::builder()
        .capacity(2)
        .name("twins")
        .build()
        .unwrap();
    let snapshot = registry::snapshot();
    let twins: Vec<usize> = snapshot
        .iter()
        .filter(|(name, _)| *name == "twins")
        .map(|(_, stats)| stats.capacity)
        .collect();
    assert_eq!(twins, [1, 2], "both, oldest first");
    assert_eq!(snapshot.get("twins").unwrap().capacity, 1);
    drop(first);
    assert_eq!(registry::snapshot().get("twins").unwrap().capacity, 2);
    drop(second);
    assert!(registry::snapshot().get("twins").is_none());
}

/// Threads build named pools of every kind, move them about, use them and drop them, while
/// others take snapshots. A snapshot must list every pool that is alive through all of it,
/// none that was dropped before it began, and figures that belong to the pool.
#[test]
fn snapshots_race_with_pools_built_and_dropped_on_other_threads() {
    const BUILDERS: usize = 3;
    let rounds = if cfg!(miri) { 4 } else { 300 };
    let running = AtomicUsize::new(BUILDERS);
    let start = Barrier::new(BUILDERS + 2);
    std::thread::scope(|s| {
        for thread in 0..BUILDERS {
            let (start, running) = (&start, &running);
            s.spawn(move || {
                start.wait();
                for round in 0..rounds {
                    let name = format!("race::{thread}::{round}");
                    let prefix = format!("race::{thread}::");
                    let capacity = 1 + round % 4;
                    // One kind per round, built here and moved into a box.
                    let pool: Box<dyn Fn() -> PoolStats + Send> = match round % 4 {
                        0 => {
                            let pool: FixedPool<Vec<u8>> = FixedPool::builder()
                                .capacity(capacity)
                                .name(name.clone())
                                .build()
                                .unwrap();
                            drop(pool.allocate().unwrap());
                            Box::new(move || pool.stats())
                        }
                        1 => {
                            let pool: GrowingPool<Vec<u8>> = GrowingPool::builder()
                                .capacity(capacity)
                                .name(name.clone())
                                .build()
                                .unwrap();
                            drop(pool.allocate().unwrap());
                            Box::new(move || pool.stats())
                        }
                        2 => {
                            let pool: ThreadSafePool<Vec<u8>> = ThreadSafePool::builder()
                                .capacity(capacity)
                                .name(name.clone())
                                .build()
                                .unwrap();
                            drop(pool.allocate().unwrap());
                            Box::new(move || pool.stats())
                        }
                        _ => {
                            let pool: ThreadLocalPool<Vec<u8>> = ThreadLocalPool::builder()
                                .capacity(capacity)
                                .name(name.clone())
                                .build()
                                .unwrap();
                            drop(pool.allocate().unwrap());
                            Box::new(move || pool.stats())
                        }
                    };
                    // Alive through the whole snapshot: listed, with its own figures.
                    let mine = listed(&registry::snapshot(), &prefix);
                    assert_eq!(mine.len(), 1, "{mine:?}");
                    assert_eq!(mine[0].0, name);
                    assert_eq!(mine[0].1, pool(), "{name}");
                    assert_eq!(mine[0].1.capacity, capacity, "{name}");
                    drop(pool);
                    // Dropped before the snapshot began: not listed.
                    assert!(listed(&registry::snapshot(), &prefix).is_empty(), "{name}");
                }
                running.fetch_sub(1, Ordering::Release);
            });
        }
        for _ in 0..2 {
            let (start, running) = (&start, &running);
            s.spawn(move || {
                start.wait();
                while running.load(Ordering::Acquire) > 0 {
                    for (name, stats) in &listed(&registry::snapshot(), "race::") {
                        // Every pool above holds 1 to 4 objects (a thread-local one none
                        // until its thread's part is made) and builds at most one, which it
                        // may be lending as the snapshot reads it.
                        assert!(stats.capacity <= 4, "{name}: {stats:?}");
                        assert!(stats.created <= 1, "{name}: {stats:?}");
                        assert!(stats.in_use + stats.idle <= 1, "{name}: {stats:?}");
                    }
                    std::thread::yield_now();
                }
            });
        }
    });
    assert!(listed(&registry::snapshot(), "race::").is_empty());
}

#[test]
fn display_is_one_table_with_a_row_per_pool() {
    let _a: FixedPool<u8> = FixedPool::builder()
        .capacity(3)
        .name("table::a")
        .build()
        .unwrap();
    let b: ThreadSafePool<u8> = ThreadSafePool::builder()
        .capacity(5)
        .name("table::b-with-a-longer-name")
        .build()
        .unwrap();
    let _held = b.allocate().unwrap();
    let snapshot = registry::snapshot();
    let table = snapshot.to_string();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    for column in [
        "pool",
        "capacity",
        "in use",
        "idle",
        "peak",
        "allocations",
        "releases",
        "created",
        "reused",
        "reuse",
        "growths",
        "exhausted",
        "detached",
        "discarded",
        "trimmed",
    ] {
        assert!(header.contains(column), "{column} missing from\n{table}");
    }
    assert_eq!(lines.count(), snapshot.len(), "a row per pool:\n{table}");
    let row = table
        .lines()
        .find(|line| line.starts_with("table::b-with-a-longer-name "))
        .unwrap();
    let cells: Vec<&str> = row.split_whitespace().collect();
    // name, capacity, in use, idle, peak, allocations, ...
    assert_eq!(
        &cells[..6],
        ["table::b-with-a-longer-name", "5", "1", "0", "1", "1"]
    );
    // Every line as wide as the header: one column per statistic, aligned.
    assert!(
        table.lines().all(|line| line.len() == header.len()),
        "{table}"
    );
    assert!(
        !header.contains("waits"),
        "no async columns without async figures"
    );
}

#[test]
fn an_empty_snapshot_says_so() {
    let empty = Snapshot::default();
    assert!(empty.is_empty());
    assert_eq!(empty.len(), 0);
    assert!(empty.get("anything").is_none());
    let table = empty.to_string();
    assert!(table.starts_with("pool"), "{table}");
    assert!(table.ends_with("(no named pool is alive)"), "{table}");
}

#[cfg(feature = "async")]
#[test]
fn async_pools_are_listed_with_their_waiters() {
    use std::future::Future;

    use fastalloc_core::AsyncPool;

    let pool: AsyncPool<Vec<u8>> = AsyncPool::builder()
        .capacity(1)
        .name("async::pool")
        .build()
        .unwrap();
    assert_eq!(pool.name(), Some("async::pool"));
    assert!(format!("{pool:?}").contains("name: Some(\"async::pool\")"));
    futures::executor::block_on(async {
        let held = pool.allocate().await.unwrap();
        let mut waiting = Box::pin(pool.allocate());
        let waker = futures::task::noop_waker();
        let mut context = std::task::Context::from_waker(&waker);
        assert!(waiting.as_mut().poll(&mut context).is_pending());
        let snapshot = registry::snapshot();
        let stats = snapshot.get("async::pool").unwrap();
        assert_eq!(*stats, pool.stats());
        assert_eq!((stats.in_use, stats.waiting, stats.waits), (1, 1, 1));
        let table = snapshot.to_string();
        assert!(
            table.lines().next().unwrap().ends_with("waiting  waits"),
            "{table}"
        );
        drop(held); // handed to the waiter
        drop(waiting.await.unwrap());
    });
    let stats = *registry::snapshot().get("async::pool").unwrap();
    assert_eq!(stats, pool.stats());
    assert_eq!(
        (stats.allocations, stats.releases, stats.waiting),
        (2, 2, 0)
    );
    drop(pool);
    assert!(registry::snapshot().get("async::pool").is_none());
}

#[cfg(feature = "serde")]
#[test]
fn pool_stats_round_trip_through_serde() {
    let pool: GrowingPool<Vec<u8>> = GrowingPool::builder()
        .capacity(1)
        .name("serde::growing")
        .build()
        .unwrap();
    let held = (pool.allocate().unwrap(), pool.allocate().unwrap());
    drop(held.0);
    let stats = pool.stats();
    let json = serde_json::to_string(&stats).unwrap();
    assert!(json.contains("\"in_use\":1"), "{json}");
    assert_eq!(serde_json::from_str::<PoolStats>(&json).unwrap(), stats);
    // Fields missing from older figures load as 0.
    let old: PoolStats = serde_json::from_str(r#"{"capacity": 3, "in_use": 2}"#).unwrap();
    assert_eq!((old.capacity, old.in_use, old.trimmed), (3, 2, 0));

    let snapshot = registry::snapshot();
    let value = serde_json::to_value(&snapshot).unwrap();
    let list = value.as_array().expect("a list of pools");
    assert_eq!(list.len(), snapshot.len());
    let mine = list
        .iter()
        .find(|pool| pool["name"] == "serde::growing")
        .unwrap();
    assert_eq!(mine.as_object().unwrap().len(), 2, "{mine}");
    assert_eq!(
        serde_json::from_value::<PoolStats>(mine["stats"].clone()).unwrap(),
        stats
    );
    drop(held.1);
}

#[cfg(feature = "metrics")]
#[test]
fn export_metrics_records_every_named_pool() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::MetricKind;

    let pool: ThreadSafePool<Vec<u8>> = ThreadSafePool::builder()
        .capacity(4)
        .name("metrics::shared")
        .build()
        .unwrap();
    let held = pool.allocate().unwrap();
    drop(pool.allocate().unwrap());
    assert!(pool.trim(0) >= 1);
    let stats = pool.stats();

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, registry::export_metrics);
    let mut ours = std::collections::BTreeMap::new();
    for (key, _, description, value) in snapshotter.snapshot().into_vec() {
        let labels: Vec<(String, String)> = key
            .key()
            .labels()
            .map(|label| (label.key().to_owned(), label.value().to_owned()))
            .collect();
        assert_eq!(labels.len(), 1, "{key:?}");
        assert_eq!(labels[0].0, "pool");
        assert!(description.is_some(), "{key:?} is described");
        if labels[0].1 == "metrics::shared" {
            let kind = key.kind();
            ours.insert(key.key().name().to_owned(), (kind, value));
        }
    }
    let gauge = |value: usize| {
        #[allow(clippy::cast_precision_loss)]
        let value = value as f64;
        (MetricKind::Gauge, DebugValue::Gauge(value.into()))
    };
    let counter = |value: u64| (MetricKind::Counter, DebugValue::Counter(value));
    let expected = [
        ("fastalloc_capacity", gauge(stats.capacity)),
        ("fastalloc_in_use", gauge(1)),
        ("fastalloc_idle", gauge(stats.idle)),
        ("fastalloc_peak_in_use", gauge(stats.peak_in_use)),
        ("fastalloc_allocations_total", counter(2)),
        ("fastalloc_created_total", counter(stats.created)),
        ("fastalloc_reused_total", counter(stats.reused)),
        ("fastalloc_discarded_total", counter(0)),
        ("fastalloc_exhausted_total", counter(0)),
        ("fastalloc_trimmed_total", counter(stats.trimmed)),
    ];
    assert_eq!(ours.len(), expected.len(), "{ours:?}");
    for (name, value) in expected {
        assert_eq!(ours.get(name), Some(&value), "{name}");
    }
    assert!(stats.trimmed >= 1);
    drop(held);
}
