#!/usr/bin/env bash
# How many Queue lines the doubtful rows of a real inbox make: the labelled broker emails of
# shared/data/inbox_dev (and inbox_real_dev when present) read and codified against the
# Quálitas catalog, then the rows waiting for a person counted per line, once grouped by the
# stored description key (the baseline: punctuation, spacing, order and equipment words split
# lines) and once by the codifier's reading (minca review queue, the desk's Queue pane).
# BENCH_QUEUE_INBOXES names other folders of .eml files to read instead.
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-$PWD/build/minca}
SHARED=${MINCA_SHARED:-$PWD/../shared}
if [ -z "${MINCA_DATABASE_URL:-}" ]; then echo "bench_queue_lines: skipped (run through tests/bench/run.sh)"; exit 0; fi
if [ ! -f "$SHARED/data/inbox_dev/labels.json" ]; then echo "bench_queue_lines: skipped (no shared data at $SHARED)"; exit 0; fi
. tests/bench/bench_lib.bash
bench_begin bench_qlines
export MINCA_INSURER=qualitas MINCA_USER=bench
"$MINCA" catalog import --insurer qualitas "$SHARED/data/catalog/catver_qualitas.csv" >/dev/null || exit 1
for d in ${BENCH_QUEUE_INBOXES:-$SHARED/data/inbox_dev $SHARED/data/inbox_real_dev}; do
  [ -d "$d" ] && "$MINCA" batch --insurer qualitas "$d" >>"$TMP/batch.log" 2>&1
done
rows=$(q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id
          WHERE x.decision = 'needs_review' AND x.reviewed_by IS NULL AND x.norm_key IS NOT NULL
            AND k.status NOT IN ('exported', 'error')")
keys=$(q "SELECT count(DISTINCT x.norm_key) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id
          JOIN cases k ON k.id = v.case_id
          WHERE x.decision = 'needs_review' AND x.reviewed_by IS NULL AND x.norm_key IS NOT NULL
            AND k.status NOT IN ('exported', 'error')")
lines=$("$MINCA" review queue --insurer qualitas | tail -1 | sed -E 's/.* in ([0-9]+) lines?$/\1/')
[ "${rows:-0}" -gt 0 ] || { echo "bench_queue_lines: no doubtful row was read"; tail -5 "$TMP/batch.log"; exit 1; }
awk -v r="$rows" -v k="$keys" -v l="$lines" 'BEGIN {
  printf "  %d doubtful rows\n", r
  printf "  by stored description key (baseline): %4d lines, %5.1f per 100 rows\n", k, 100 * k / r
  printf "  by the codifier'"'"'s reading:           %4d lines, %5.1f per 100 rows\n", l, 100 * l / r }'
