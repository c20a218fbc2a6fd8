#!/usr/bin/env python3
"""Prints the medians of the last `cargo bench` run as Markdown tables, with ratios.

Usage (from the repository root, after `cargo bench 2>&1 | tee bench.log`):

    python3 benches/summary.py [TARGET_DIR] [bench.log]

TARGET_DIR defaults to $CARGO_TARGET_DIR or ./target. Criterion keeps each benchmark's
estimates in TARGET_DIR/criterion/<group>/<bench>/new/; this reads the median of each. The
plain-loop benches (contention, growth, memory) print their own tables; with a log file, those tables
are copied from it.
"""

import json
import os
import sys
from pathlib import Path

# The row each group's ratios are taken against.
REFERENCE = {
    "object_64B": "Vec<Box<T>> stack",
    "vec_4KiB": "Vec<Box<Vec<u8>>> stack",
    "object_64B_mimalloc": "Vec<Box<T>> stack",
    "vec_4KiB_mimalloc": "Vec<Box<Vec<u8>>> stack",
    "stats_cost_64B": "hand pool, boxed reset, no counters",
    "pooled_macro_64B": "fastalloc ThreadLocalPool<Local64>",
    "async_uncontended_64B": "fastalloc AsyncPool allocate().await",
    "async_contended_64B": "fastalloc AsyncPool allocate().await",
}
# Groups whose iteration is several operations: time is divided by this to give ns per op.
PER_ITERATION = {"async_contended_64B": 32}


def medians(criterion_dir):
    groups = {}
    for bench in sorted(criterion_dir.glob("*/*/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        group = meta["group_id"]
        name = meta.get("function_id") or meta.get("value_str") or ""
        groups.setdefault(group, []).append((name, estimates["median"]["point_estimate"]))
    return groups


def fmt(ns):
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    if ns >= 1_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns:.2f} ns"


def main():
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target"))
    groups = medians(target / "criterion")
    for group, rows in groups.items():
        if group not in REFERENCE:
            # Left in target/criterion by an older version of the benches.
            print(f"skipped criterion group `{group}`: not in today's benches", file=sys.stderr)
            continue
        per = PER_ITERATION.get(group, 1)
        ref_name = REFERENCE.get(group)
        ref = next((ns for name, ns in rows if name == ref_name), None)
        print(f"\n### `{group}`\n")
        unit = "ns per op" if per == 1 else f"ns per op (median / {per})"
        print(f"| bench | median | {unit} | ratio to `{ref_name}` |")
        print("|---|---:|---:|---:|")
        for name, ns in rows:
            ratio = f"{ns / ref:.2f}x" if ref else "-"
            print(f"| {name} | {fmt(ns)} | {ns / per:.2f} | {ratio} |")
    if len(sys.argv) > 2:
        lines = Path(sys.argv[2]).read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(("contention_64B", "memory_64B", "growth_16_to_1M")):
                print()
                end = i + 1
                while end < len(lines) and lines[end].strip() and not lines[end].startswith(
                    ("     Running", "Benchmarking", "object_64B", "vec_4KiB")
                ):
                    end += 1
                print("\n".join(lines[i:end]))


if __name__ == "__main__":
    main()
