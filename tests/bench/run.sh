#!/usr/bin/env bash
# Runs every benchmark program (build/bench/bench_*) and the shell benchmarks (tests/bench/*.sh)
# against throwaway PostgreSQL and Redis servers. Each prints its figures beside a baseline
# measured in the same run.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
case "$BUILD" in /*) export MINCA_BIN="$BUILD/minca" ;; *) export MINCA_BIN="$PWD/$BUILD/minca" ;; esac
export MINCA_SRC="$PWD" LC_ALL=C.UTF-8
# The benchmark programs (BUILD/bench/bench_*) do not sit where the binary looks for its data
# (BUILD/minca, beside migrations/ one level up): point every program at the source tree, so
# a fresh clone needs nothing installed.
export MINCA_SHARE="$PWD"
export MINCA_HOME=$(mktemp -d /tmp/minca-bench.XXXXXX)
chmod 755 "$MINCA_HOME"
unset MINCA_DATABASE_URL MINCA_REDIS_URL
"$MINCA_BIN" db start >/dev/null || { echo "bench: cannot start the throwaway servers"; exit 1; }
eval "$("$MINCA_BIN" db url --shell)"
export MINCA_DATABASE_URL MINCA_REDIS_URL
trap '(unset MINCA_DATABASE_URL MINCA_REDIS_URL; "$MINCA_BIN" db stop >/dev/null 2>&1); rm -rf "$MINCA_HOME"' EXIT
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
