//! The `Display` of a [`Snapshot`](super::Snapshot): one table, a row per pool and a column per
//! statistic, narrow enough for a terminal or a log line per pool.
//!
//! ```text
//! pool           capacity  in use  idle  peak  allocations  releases  created  reused  reuse  growths  exhausted  detached  discarded  trimmed
//! http::buffers        64       3    61    12        10234     10231       64   10170  99.4%        0          0         0          0        0
//! ```
//!
//! Names are left-aligned, figures right-aligned, each column as wide as its widest cell. The
//! `waiting` and `waits` columns (async pools) appear only when a pool has a figure there, as
//! in `PoolStats`'s own table.

use std::fmt;

use crate::stats::PoolStats;

/// One column: its header and how to read its cell from a pool's statistics.
struct Column {
    header: &'static str,
    cell: fn(&PoolStats) -> String,
}

/// Every column but the name, in `PoolStats` order (the reuse ratio beside `reused`).
const COLUMNS: [Column; 16] = [
    column("capacity", |s| s.capacity.to_string()),
    column("in use", |s| s.in_use.to_string()),
    column("idle", |s| s.idle.to_string()),
    column("peak", |s| s.peak_in_use.to_string()),
    column("allocations", |s| s.allocations.to_string()),
    column("releases", |s| s.releases.to_string()),
    column("created", |s| s.created.to_string()),
    column("reused", |s| s.reused.to_string()),
    column("reuse", |s| format!("{:.1}%", s.reuse_ratio() * 100.0)),
    column("growths", |s| s.growths.to_string()),
    column("exhausted", |s| s.exhausted.to_string()),
    column("detached", |s| s.detached.to_string()),
    column("discarded", |s| s.discarded.to_string()),
    column("trimmed", |s| s.trimmed.to_string()),
    column("waiting", |s| s.waiting.to_string()),
    column("waits", |s| s.waits.to_string()),
];

/// The columns only async pools fill, at the end of [`COLUMNS`].
const ASYNC_COLUMNS: usize = 2;

const fn column(header: &'static str, cell: fn(&PoolStats) -> String) -> Column {
    Column { header, cell }
}

/// Between two columns.
const GAP: &str = "  ";

pub(super) fn write<'a>(
    f: &mut fmt::Formatter<'_>,
    pools: impl Iterator<Item = (&'a str, &'a PoolStats)>,
) -> fmt::Result {
    let pools: Vec<(&str, &PoolStats)> = pools.collect();
    let any_async = pools
        .iter()
        .any(|(_, stats)| stats.waiting != 0 || stats.waits != 0);
    let columns = if any_async {
        &COLUMNS[..]
    } else {
        &COLUMNS[..COLUMNS.len() - ASYNC_COLUMNS]
    };
    // Every cell first, for the widths.
    let rows: Vec<(&str, Vec<String>)> = pools
        .iter()
        .map(|(name, stats)| (*name, columns.iter().map(|c| (c.cell)(stats)).collect()))
        .collect();
    let name_width = rows
        .iter()
        .map(|(name, _)| name.chars().count())
        .chain(std::iter::once("pool".len()))
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            rows.iter()
                .map(|(_, cells)| cells[i].len())
                .chain(std::iter::once(column.header.len()))
                .max()
                .unwrap_or(0)
        })
        .collect();

    write!(f, "{:<name_width$}", "pool")?;
    for (column, width) in columns.iter().zip(&widths) {
        write!(f, "{GAP}{:>width$}", column.header)?;
    }
    if rows.is_empty() {
        return write!(f, "\n(no named pool is alive)");
    }
    for (name, cells) in &rows {
        write!(f, "\n{name:<name_width$}")?;
        for (cell, width) in cells.iter().zip(&widths) {
            write!(f, "{GAP}{cell:>width$}")?;
        }
    }
    Ok(())
}
