#!/usr/bin/env bash
# End-to-end `minca codify --json --input` on 30,000 rows (index build, CSV reading, matching,
# JSON Lines output), beside a baseline in the same run: the same CSV read and written back
# as JSON Lines by python3's csv and json modules (no matching at all).
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-build/minca}
SHARED=${MINCA_SHARED:-$PWD/../shared}
T=$(mktemp -d /tmp/minca-bench-codify.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ -d "$SHARED/data/eval" ]; then
  CAT="$SHARED/data/catalog/catver_qualitas.csv"
  SRC_FILES=("$SHARED"/data/eval/dev_*.csv)
else
  CAT="samples/catalog/demo_catver.csv"
  SRC_FILES=()
fi
python3 - "$T/in.csv" "$CAT" "${SRC_FILES[@]}" <<'PY'
import csv, sys
out, cat, files = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = []
for f in files:
    for r in csv.DictReader(open(f, encoding="utf-8")):
        rows.append((r["marca"], r["submarca"], r["anio"], r["descripcion"]))
if not rows:  # no shared data: the demo catalog's own rows
    for r in csv.DictReader(open(cat, encoding="utf-8")):
        rows.append((r["MARCA"].lower(), r["SUBMARCA"], r["MODELO"], r["DESCVEH"]))
w = csv.writer(open(out, "w", newline="", encoding="utf-8"))
w.writerow(["id", "marca", "submarca", "anio", "descripcion"])
for i in range(30000):
    w.writerow([f"R{i}", *rows[i % len(rows)]])
PY
now() { date +%s.%N; }
best() { # best of 3 wall-clock runs of "$@" (stdout to $T/out)
  local b=999 t0 t1 d
  for _ in 1 2 3; do
    t0=$(now); "$@" >"$T/out" 2>/dev/null; t1=$(now)
    d=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
    b=$(awk -v a="$b" -v d="$d" 'BEGIN {print (d < a ? d : a)}')
  done
  echo "$b"
}
mine=$(best "$MINCA" codify --catalog "$CAT" --json --input "$T/in.csv")
lines=$(wc -l <"$T/out"); bytes=$(wc -c <"$T/out")
explained=$(best "$MINCA" codify --catalog "$CAT" --json --explain --input "$T/in.csv")
ebytes=$(wc -c <"$T/out")
base=$(best python3 -c 'import csv, json, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")): print(json.dumps(r))' "$T/in.csv")
awk -v m="$mine" -v e="$explained" -v b="$base" -v n="$lines" -v by="$bytes" -v eb="$ebytes" 'BEGIN {
  printf "%-44s %10s %12s %10s\n", "30,000 rows, end to end (best of 3)", "seconds", "rows/s", "bytes/row"
  printf "%-44s %10.3f %12.0f %10.0f\n", "minca codify --json --input", m, n / m, by / n
  printf "%-44s %10.3f %12.0f %10.0f\n", "minca codify --json --explain --input", e, n / e, eb / n
  printf "%-44s %10.3f %12.0f\n", "baseline: python3 csv -> json, no matching", b, n / b
}'
