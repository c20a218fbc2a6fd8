#!/usr/bin/env bash
# Line coverage of the workspace tests, per crate, with a floor for the runtime.
#
#   scripts/coverage.sh            run the tests under coverage and print the figures
#   COVERAGE_MIN=95                the least line coverage of fastalloc-core and -macros (%)
#   COVERAGE_DOCTESTS=1            also run the doc tests (cargo-llvm-cov needs nightly for them;
#                                  the trybuild UI suite runs on stable only, so this variant
#                                  measures less of fastalloc-macros)
#   COVERAGE_HTML=1                also write an HTML report (cargo-llvm-cov prints where)
#
# Installs what it needs: rustup's llvm-tools-preview component and cargo-llvm-cov. Builds in
# cargo-llvm-cov's own directory (target/llvm-cov-target, or under CARGO_TARGET_DIR if set).
# Exits non-zero if a test fails or if fastalloc-core or fastalloc-macros is below COVERAGE_MIN.
#
# fastalloc-macros is a proc-macro crate: it runs inside rustc. cargo-llvm-cov builds it with
# coverage instrumentation too, and each rustc process that loads it writes a profile when it
# exits, so its figure counts both its own unit tests and every expansion done while the
# tests compile (the integration tests and the trybuild UI cases).
set -euo pipefail
cd "$(dirname "$0")/.."

min="${COVERAGE_MIN:-95}"
export CARGO_TERM_COLOR=never

toolchain=()
doctests=()
if [ "${COVERAGE_DOCTESTS:-}" = 1 ]; then
  toolchain=(+nightly)
  doctests=(--doctests)
fi

if ! rustup component list --installed "${toolchain[@]/#+/--toolchain=}" | grep -q '^llvm-tools'; then
  rustup component add llvm-tools-preview "${toolchain[@]/#+/--toolchain=}"
fi
if ! cargo llvm-cov --version >/dev/null 2>&1; then
  cargo install cargo-llvm-cov --locked
fi

# One instrumented run of every test of the workspace, then reports from the same data.
cargo "${toolchain[@]}" llvm-cov clean --workspace
cargo "${toolchain[@]}" llvm-cov --no-report --workspace "${doctests[@]}"

summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
cargo "${toolchain[@]}" llvm-cov report --workspace "${doctests[@]}" \
  --summary-only --show-missing-lines >"$summary"
echo
cat "$summary"
echo

# Sum the line columns of one crate's source files in the summary table
# (Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover ...).
crate_lines() {
  awk -v prefix="$1/src/" '
    index($1, prefix) == 1 && $8 ~ /^[0-9]+$/ { lines += $8; missed += $9 }
    END {
      if (lines == 0) { print "0 0 n/a"; exit }
      printf "%d %d %.2f\n", lines, missed, 100 * (lines - missed) / lines
    }' "$summary"
}

status=0
for crate in fastalloc-core fastalloc-macros fastalloc; do
  read -r lines missed percent < <(crate_lines "$crate")
  printf 'coverage: %-17s %6s%% of lines (%d of %d lines not run)\n' \
    "$crate" "$percent" "$missed" "$lines"
  # The facade is re-exports and a compile-time `const fn`; the floor is for the other two.
  if [ "$crate" != fastalloc ]; then
    if [ "$percent" = n/a ] || ! awk -v p="$percent" -v m="$min" 'BEGIN { exit !(p >= m) }'; then
      echo "coverage: $crate is below the floor of ${min}%" >&2
      status=1
    fi
  fi
done

if [ "${COVERAGE_HTML:-}" = 1 ]; then
  cargo "${toolchain[@]}" llvm-cov report --workspace "${doctests[@]}" --html
fi
exit "$status"
