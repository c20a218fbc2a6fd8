//! The pool sanitizer (feature `sanitizer`): reports of objects still lent at `close()` and of
//! leaked guards at drop, with the places that allocated them.
#![cfg(feature = "std")]
#![allow(clippy::disallowed_types)] // `crate::sync` is the runtime's door; tests use `std`
#![cfg(feature = "sanitizer")]

use std::sync::{Arc, Mutex, MutexGuard};

use fastalloc_core::sanitizer::{take_reports, Event, Report};
use fastalloc_core::{FixedPool, GrowingPool, Growth, ThreadLocalPool, ThreadSafePool};

/// Reports are process-wide: tests take turns.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    take_reports();
    guard
}

fn only_report() -> Report {
    let mut reports = take_reports();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    reports.remove(0)
}

#[test]
fn a_leaked_guard_is_reported_with_where_it_was_allocated() {
    let _serial = serial();
    let pool: FixedPool<u32> = FixedPool::new(4).unwrap();
    let line = line!() + 1;
    std::mem::forget(pool.allocate().unwrap());
    drop(pool.allocate().unwrap()); // returned: not reported
    drop(pool);
    let report = only_report();
    assert_eq!(report.event, Event::Dropped);
    assert_eq!(report.outstanding, 1);
    assert!(report.pool.contains("FixedPool<u32>"), "{}", report.pool);
    assert_eq!(report.sites.len(), 1);
    assert_eq!(
        (report.sites[0].0.file(), report.sites[0].0.line()),
        (file!(), line)
    );
    let text = report.to_string();
    assert!(text.contains("leaked") && text.contains(file!()), "{text}");
}

#[test]
fn closing_with_guards_out_is_reported_and_counted_per_site() {
    let _serial = serial();
    let pool: GrowingPool<String> = GrowingPool::new(1, Growth::Linear(1)).unwrap();
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(pool.allocate().unwrap());
    }
    let other = pool.allocate().unwrap();
    pool.close();
    let report = only_report();
    assert_eq!((report.event, report.outstanding), (Event::Closed, 4));
    assert_eq!(
        report.sites.iter().map(|(_, n)| n).collect::<Vec<_>>(),
        [&3, &1]
    );
    drop(out);
    drop(other);
    drop(pool);
    assert!(
        take_reports().is_empty(),
        "everything came back before the pool was dropped"
    );
}

#[test]
fn shared_pools_report_too() {
    let _serial = serial();
    let pool = Arc::new(ThreadSafePool::<Vec<u8>>::new(8).unwrap());
    let guard = pool.allocate_owned().unwrap();
    let local = pool.allocate().unwrap();
    pool.close();
    assert_eq!(only_report().outstanding, 2);
    drop((guard, local));

    let tl: ThreadLocalPool<u8> = ThreadLocalPool::new(2).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| std::mem::forget(tl.allocate().unwrap()));
    });
    drop(tl);
    let report = only_report();
    assert_eq!((report.event, report.outstanding), (Event::Dropped, 1));
}

#[test]
fn clean_use_reports_nothing() {
    let _serial = serial();
    let pool: FixedPool<u8> = FixedPool::new(2).unwrap();
    for _ in 0..10 {
        let _a = pool.allocate().unwrap();
        let b = pool.allocate().unwrap();
        let _kept = fastalloc_core::Pooled::detach(b);
    }
    pool.close();
    drop(pool);
    assert!(take_reports().is_empty());
}
