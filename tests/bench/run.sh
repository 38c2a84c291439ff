#!/usr/bin/env bash
# Runs every benchmark program (build/bench/bench_*) and the shell benchmarks (tests/bench/*.sh).
# Each prints its figures beside a baseline measured in the same run.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
export MINCA_BIN="$PWD/$BUILD/minca" MINCA_SRC="$PWD" LC_ALL=C.UTF-8
status=0
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
done
for b in tests/bench/*.sh; do
  [ -f "$b" ] || continue
  [ "$(basename "$b")" = run.sh ] && continue
  echo "== $(basename "$b" .sh)"
  bash "$b" || status=1
done
exit $status
