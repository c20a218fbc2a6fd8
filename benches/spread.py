#!/usr/bin/env python3
"""Runs the round-trip bench as several separate processes and prints, per row, how much its
figure moves from one process start to the next: "the same speed in every process" (issue 16).

A criterion run's confidence interval only covers the noise inside one process; where the
stack, the heap and the code land is fixed at start-up and can shift a row by 2x from one start
to the next. This measures that spread.

Usage (from the repository root; on the shared machine, under the bench lock):

    flock /tmp/bench.lock python3 benches/spread.py [options] [FILTER]

    FILTER               criterion's name filter, a regex (default: the object_64B and
                         vec_4KiB groups)
    --starts N           process starts (default 10)
    --binary PATH        a round_trip bench executable built already (default: build it with
                         `cargo bench --no-run`); any criterion bench binary works
    --warm-up-time S     criterion's warm-up per row, seconds (default: the bench's own, 0.4)
    --measurement-time S criterion's measurement per row, seconds (default: the bench's own, 1.2)
    --threshold F        flag rows with a start further than F from the median (default 0.15)
    --wrap CMD           run each start under CMD, split on spaces (e.g. "setarch -R": ASLR off)

Each start gets a CRITERION_HOME of its own in a temporary directory, so runs do not compare
themselves with one another (nor touch target/criterion); the figure kept per start is
criterion's median (estimates.json), as in benches/summary.py. The table shows per row the
median over the starts, the fastest and slowest start, and their ratios to that median; `!`
marks a row where some start is more than the threshold away from it. The per-start figures
follow the table, one column per start, to see whether rows move together (a slow process) or
alone (a placement effect).
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_revisions import ROOT, bench_binary  # noqa: E402  (the same build step)

DEFAULT_FILTER = "^(object_64B|vec_4KiB)/"


def run(binary, filter_, args):
    """One process start: returns {"group/row": median ns}."""
    with tempfile.TemporaryDirectory(prefix="spread-") as home:
        command = shlex.split(args.wrap) if args.wrap else []
        command += [binary, "--bench", filter_, "--noplot"]
        if args.warm_up_time is not None:
            command += ["--warm-up-time", str(args.warm_up_time)]
        if args.measurement_time is not None:
            command += ["--measurement-time", str(args.measurement_time)]
        subprocess.run(command, check=True, capture_output=True, text=True,
                       env=dict(os.environ, CRITERION_HOME=home))
        rows = {}
        # Criterion writes the rows in the order it runs them; sort by write time to keep it.
        benches = sorted(Path(home).glob("*/*/new/benchmark.json"), key=os.path.getmtime)
        for bench in benches:
            meta = json.loads(bench.read_text())
            estimates = json.loads((bench.parent / "estimates.json").read_text())
            name = f'{meta["group_id"]}/{meta.get("function_id") or meta.get("value_str")}'
            rows[name] = estimates["median"]["point_estimate"]
        return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("filter", nargs="?", default=DEFAULT_FILTER)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--binary")
    parser.add_argument("--warm-up-time", type=float)
    parser.add_argument("--measurement-time", type=float)
    parser.add_argument("--threshold", type=float, default=0.15)
    parser.add_argument("--wrap")
    args = parser.parse_args()

    binary = args.binary or bench_binary(ROOT, os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    starts = []
    for start in range(args.starts):
        starts.append(run(binary, args.filter, args))
        print(f"start {start + 1}/{args.starts} done", file=sys.stderr)

    names = [n for n in starts[0] if all(n in s for s in starts)]
    print(f"{args.starts} process starts of {Path(binary).name}, filter `{args.filter}`; "
          f"criterion's median per start, ns\n")
    print("| row | median | min | max | min / median | max / median | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    flagged = 0
    for name in names:
        values = [s[name] for s in starts]
        mid = statistics.median(values)
        low, high = min(values), max(values)
        flag = "!" if high / mid > 1 + args.threshold or low / mid < 1 - args.threshold else ""
        flagged += bool(flag)
        print(f"| {name} | {mid:.2f} | {low:.2f} | {high:.2f} | {low / mid:.3f} | "
              f"{high / mid:.3f} | {flag} |")
    print(f"\n{flagged} of {len(names)} rows have a start more than "
          f"{args.threshold:.0%} from their median.")
    print("\nper start (ns):\n")
    print("| row | " + " | ".join(str(i + 1) for i in range(args.starts)) + " |")
    print("|---|" + "---:|" * args.starts)
    for name in names:
        print(f"| {name} | " + " | ".join(f"{s[name]:.2f}" for s in starts) + " |")


if __name__ == "__main__":
    main()
