//! The pool sanitizer (cargo feature `sanitizer`, off by default): finds objects that never
//! came back.
//!
//! With the feature on, every pool records where each lent object was allocated (through
//! `#[track_caller]`). When a pool is closed while objects are still lent, or dropped while
//! objects are missing (a guard was leaked with `mem::forget`, say), it prints a report to
//! standard error naming how many objects are out and the source locations that allocated
//! them, and keeps the report for [`take_reports`]. It costs a lock and a hash-map update per
//! allocation and release, so it is meant for debug builds and tests.
//!
//! # Examples
//!
//! ```
//! # #[cfg(feature = "sanitizer")] {
//! use fastalloc_core::{sanitizer, FixedPool};
//!
//! let pool: FixedPool<u32> = FixedPool::new(4).unwrap();
//! std::mem::forget(pool.allocate().unwrap()); // leaked
//! drop(pool);
//! let reports = sanitizer::take_reports();
//! assert_eq!(reports[0].outstanding, 1);
//! assert_eq!(reports[0].event, sanitizer::Event::Dropped);
//! # }
//! ```

// A debug aid outside the pools' protocols (it only records loans), never run under loom: it
// may use `std`'s mutex.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;
use std::sync::Mutex;

/// When the sanitizer noticed lent objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// `close()` was called while objects were still lent (they are dropped when they return;
    /// this is a warning, not a leak).
    Closed,
    /// The pool was dropped while objects had not come back: they were leaked.
    Dropped,
}

/// What the sanitizer found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// The pool's type, such as `fastalloc_core::FixedPool<u32>`.
    pub pool: &'static str,
    /// When it was noticed.
    pub event: Event,
    /// How many objects were lent and not returned.
    pub outstanding: usize,
    /// Where they were allocated, with a count per location, most frequent first.
    pub sites: Vec<(&'static Location<'static>, usize)>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.event {
            Event::Closed => "closed while objects were still lent",
            Event::Dropped => "dropped while objects were never returned (leaked guards?)",
        };
        write!(
            f,
            "fastalloc sanitizer: {} {what}: {} outstanding",
            self.pool, self.outstanding
        )?;
        for (site, count) in &self.sites {
            write!(f, "\n  {count} allocated at {site}")?;
        }
        Ok(())
    }
}

static REPORTS: Mutex<Vec<Report>> = Mutex::new(Vec::new());

/// Takes every report made so far (in this process), oldest first.
pub fn take_reports() -> Vec<Report> {
    std::mem::take(
        &mut *REPORTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// The loans of one pool: object address to allocation sites.
pub(crate) struct Loans {
    pool: &'static str,
    out: Mutex<HashMap<usize, Vec<&'static Location<'static>>>>,
}

impl Loans {
    pub(crate) fn new(pool: &'static str) -> Self {
        Self {
            pool,
            out: Mutex::new(HashMap::new()),
        }
    }

    fn out(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Vec<&'static Location<'static>>>> {
        self.out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn lend<T>(&self, slot: *const T, site: &'static Location<'static>) {
        self.out().entry(slot as usize).or_default().push(site);
    }

    pub(crate) fn give_back<T>(&self, slot: *const T) {
        let mut out = self.out();
        if let Some(sites) = out.get_mut(&(slot as usize)) {
            sites.pop();
            if sites.is_empty() {
                out.remove(&(slot as usize));
            }
        }
    }

    /// Reports the objects still lent, if any.
    pub(crate) fn check(&self, event: Event) {
        let mut counts: HashMap<&'static Location<'static>, usize> = HashMap::new();
        for site in self.out().values().flatten() {
            *counts.entry(site).or_default() += 1;
        }
        let outstanding = counts.values().sum();
        if outstanding == 0 {
            return;
        }
        let mut sites: Vec<_> = counts.into_iter().collect();
        sites.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.to_string().cmp(&b.0.to_string()))
        });
        let report = Report {
            pool: self.pool,
            event,
            outstanding,
            sites,
        };
        eprintln!("{report}");
        REPORTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(report);
    }
}

impl Drop for Loans {
    fn drop(&mut self) {
        self.check(Event::Dropped);
    }
}

impl fmt::Debug for Loans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loans")
            .field("pool", &self.pool)
            .field("out", &self.out().len())
            .finish()
    }
}
