#!/usr/bin/env bash
# Fuzzes the pools for a bounded time: the `pool_ops` target in fuzz/ (random pool settings and
# operations checked against a model; see fuzz/fuzz_targets/pool_ops.rs).
#
#   scripts/fuzz.sh [SECONDS]      default 60
#
# Needs the nightly toolchain (libFuzzer and AddressSanitizer); installs cargo-fuzz if missing.
# The corpus grows in fuzz/corpus/pool_ops and is reused by the next run; a crash is saved in
# fuzz/artifacts/pool_ops/ and makes this script fail. Reproduce one with
#   cargo +nightly fuzz run pool_ops fuzz/artifacts/pool_ops/crash-...
# and shrink it with
#   cargo +nightly fuzz tmin pool_ops fuzz/artifacts/pool_ops/crash-...
# Environment: FUZZ_TARGET (default pool_ops), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
target="${FUZZ_TARGET:-pool_ops}"
case "$seconds" in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "fuzzing $target for ${seconds}s ($(cargo fuzz --version))"
# Built like `cargo build --release` plus debug assertions, overflow checks and
# AddressSanitizer. `-timeout` turns a hang (a deadlock) into a reported failure.
status=0
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
cargo +nightly fuzz run --debug-assertions "$target" -- \
  -max_total_time="$seconds" -timeout=30 -print_final_stats=1 ${FUZZ_ARGS:-} \
  2>&1 | tee "$log" || status=$?

runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED after ${runs:-?} runs (exit $status); see fuzz/artifacts/$target/" >&2
  exit "$status"
fi
corpus="$(find "fuzz/corpus/$target" -type f 2>/dev/null | wc -l)"
echo "fuzz: $target ran ${runs:-?} inputs in ${seconds}s, no failure (corpus: $corpus inputs)"
