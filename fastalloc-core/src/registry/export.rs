//! [`export_metrics`]: the registry's statistics through the `metrics` crate (feature
//! `metrics`).

use std::borrow::Cow;

use crate::stats::PoolStats;

/// The label that tells pools apart.
const POOL: &str = "pool";

/// Records every named pool's statistics through the `metrics` crate's recorder (the global one,
/// or the thread's local one), labelled `pool = <name>`:
///
/// * gauges `fastalloc_capacity`, `fastalloc_in_use`, `fastalloc_idle`, `fastalloc_peak_in_use`;
/// * counters, set with `absolute` (each is a running total kept by the pool):
///   `fastalloc_allocations_total`, `fastalloc_created_total`, `fastalloc_reused_total`,
///   `fastalloc_discarded_total`, `fastalloc_exhausted_total`, `fastalloc_trimmed_total`.
///
/// Call it before each scrape (from the handler that renders the metrics, or a timer): the
/// pools keep their own counters and are never slowed by a recorder. Two live pools of the
/// same name share their series, and their figures overwrite each other: give pools distinct
/// names.
///
/// # Examples
///
/// ```
/// use fastalloc_core::{registry, FixedPool};
///
/// let pool: FixedPool<Vec<u8>> = FixedPool::builder().capacity(4).name("frames").build()?;
/// drop(pool.allocate()?);
/// // With a recorder installed (`metrics::set_global_recorder`, or an exporter's `install`):
/// registry::export_metrics();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_metrics() {
    describe();
    for (name, stats) in &super::snapshot() {
        record(name, stats);
    }
}

/// What each series means, for exporters that print it (Prometheus's `# HELP`).
fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!("fastalloc_capacity", "Objects the pool may hold now.");
    describe_gauge!("fastalloc_in_use", "Objects lent and not yet returned.");
    describe_gauge!("fastalloc_idle", "Built objects waiting to be lent.");
    describe_gauge!("fastalloc_peak_in_use", "The most objects in use at once.");
    describe_counter!("fastalloc_allocations_total", "Successful allocations.");
    describe_counter!("fastalloc_created_total", "Objects built by the factory.");
    describe_counter!(
        "fastalloc_reused_total",
        "Allocations served by an object built already."
    );
    describe_counter!(
        "fastalloc_discarded_total",
        "Objects dropped instead of kept (refused on release, or the pool closed)."
    );
    describe_counter!(
        "fastalloc_exhausted_total",
        "Allocations that failed: every object lent and no room to grow."
    );
    describe_counter!(
        "fastalloc_trimmed_total",
        "Idle objects dropped by trim or trim_unused."
    );
}

// Gauges are `f64`: a pool's sizes are far below 2^53, where the cast would round.
#[allow(clippy::cast_precision_loss)]
fn record(name: &str, stats: &PoolStats) {
    use metrics::{counter, gauge};
    let pool = || Cow::<'static, str>::Owned(name.to_owned());
    gauge!("fastalloc_capacity", POOL => pool()).set(stats.capacity as f64);
    gauge!("fastalloc_in_use", POOL => pool()).set(stats.in_use as f64);
    gauge!("fastalloc_idle", POOL => pool()).set(stats.idle as f64);
    gauge!("fastalloc_peak_in_use", POOL => pool()).set(stats.peak_in_use as f64);
    counter!("fastalloc_allocations_total", POOL => pool()).absolute(stats.allocations);
    counter!("fastalloc_created_total", POOL => pool()).absolute(stats.created);
    counter!("fastalloc_reused_total", POOL => pool()).absolute(stats.reused);
    counter!("fastalloc_discarded_total", POOL => pool()).absolute(stats.discarded);
    counter!("fastalloc_exhausted_total", POOL => pool()).absolute(stats.exhausted);
    counter!("fastalloc_trimmed_total", POOL => pool()).absolute(stats.trimmed);
}
