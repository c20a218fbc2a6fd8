#!/usr/bin/env python3
"""Runs the round-trip bench of two revisions in turn and prints, per row, the median of each
and their ratio: "no speed lost" checks that want both sides in one run on this noisy machine.

Usage (from the repository root):

    python3 benches/compare_revisions.py BASE_REV [ROUNDS] [FILTER]

BASE_REV is built in a temporary git worktree (its own target directory under
target/compare-base, kept between runs), or is the path of a round_trip bench executable
built already; the working tree is the other side. ROUNDS (default 5)
alternates which side runs first. FILTER is criterion's name filter (default: the fastalloc
rows and the Vec<Box<T>> stack they are measured against). Each run is a short criterion
pass (1 s warm-up, 2 s measurement); the figure kept per run is criterion's point estimate of
the mean of its samples, and the table shows the median over ROUNDS runs.
"""

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME = re.compile(r"^(\S.*?)\s*\n?\s*time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", re.M)
UNITS = {"ps": 1e-3, "ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6}


def bench_binary(source, target_dir):
    """Builds the round_trip bench in `source` and returns the path of its executable."""
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir))
    out = subprocess.run(
        ["cargo", "bench", "--bench", "round_trip", "--no-run", "--message-format=json"],
        cwd=source, env=env, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        if '"executable"' in line and '"round_trip"' in line:
            match = re.search(r'"executable":"([^"]+)"', line)
            if match:
                return match.group(1)
    sys.exit(f"no round_trip executable built in {source}")


def run(binary, filter_):
    out = subprocess.run(
        [binary, "--bench", filter_, "--warm-up-time", "1", "--measurement-time", "2",
         "--noplot"],
        check=True, capture_output=True, text=True,
    ).stdout
    rows = {}
    for name, value, unit in TIME.findall(out):
        rows[name.strip()] = float(value) * UNITS[unit]
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    base = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    filter_ = sys.argv[3] if len(sys.argv) > 3 else "fastalloc|Vec<Box<T>> stack|Vec<Box<Vec<u8>>> stack"
    worktree = ROOT / "target" / "compare-base-src"
    prebuilt = os.path.isfile(base) and os.access(base, os.X_OK)
    if not prebuilt:
        if worktree.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT,
                           check=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(worktree), base], cwd=ROOT,
                       check=True, capture_output=True)
    try:
        sides = {
            "base": base if prebuilt else bench_binary(worktree, ROOT / "target" / "compare-base"),
            "new": bench_binary(ROOT, ROOT / "target"),
        }
        results = {"base": [], "new": []}
        for round_ in range(rounds):
            order = ["base", "new"] if round_ % 2 == 0 else ["new", "base"]
            for side in order:
                results[side].append(run(sides[side], filter_))
                print(f"round {round_ + 1}/{rounds}: {side} done", file=sys.stderr)
    finally:
        if not prebuilt:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    label = "base" if prebuilt else base[:10]
    names = [n for n in results["new"][0] if n in results["base"][0]]
    print(f"| row | {label} (ns) | working tree (ns) | new / base |")
    print("|---|---:|---:|---:|")
    for name in names:
        old = statistics.median(r[name] for r in results["base"] if name in r)
        new = statistics.median(r[name] for r in results["new"] if name in r)
        print(f"| {name} | {old:.2f} | {new:.2f} | {new / old:.3f} |")


if __name__ == "__main__":
    main()
