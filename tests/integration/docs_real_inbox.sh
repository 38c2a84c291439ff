#!/usr/bin/env bash
# Vehicle lists as real office software saves them (shared/data/inbox_real_dev: workbooks saved
# by LibreOffice Calc with title blocks, two-row header bands, several tables on a sheet, hidden
# columns, subtotal and totals rows): scripts/score-inbox.py runs the batch over the folder on
# private servers and scores the cases against labels.json per format class. The text classes
# read by the sheet model must stay above their floors: vehicles found, year, VIN, plates and sum
# insured right on the vehicles found, and few extra rows (a header or a total read as a vehicle).
source "$(dirname "$0")/../lib.sh"

INBOX="$SHARED/data/inbox_real_dev"
CATALOG="$SHARED/data/catalog/catver_qualitas.csv"
if [ ! -f "$INBOX/labels.json" ] || [ ! -f "$CATALOG" ]; then
  skip "real inbox score" "shared data not found at $SHARED (set MINCA_SHARED): inbox_real_dev and the catalog are needed"
  finish; exit $?
fi
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
  skip "real inbox score" "python3 not installed"
  finish; exit $?
fi

# The scorer starts its own servers on an empty database.
floors=()
for cls in xlsx-LO xls-LO; do
  floors+=(--class-floor "$cls:found=0.98" --class-floor "$cls:year=0.97" --class-floor "$cls:vin=0.97"
           --class-floor "$cls:plates=0.97" --class-floor "$cls:sum=0.97" --class-floor "$cls:extra=0.005")
done
out=$(env -u MINCA_DATABASE_URL -u MINCA_REDIS_URL MINCA_HOME="$T_TMP/home" \
      "$PY" "$SRC/scripts/score-inbox.py" "$INBOX" --minca "$MINCA" --catalog "$CATALOG" \
      --json "$T_TMP/score.json" "${floors[@]}" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
check_eq "spreadsheets saved by Calc (xlsx, xls) meet their floors (found 98%, fields 97%, extra rows 0.5%)" 0 "$rc"
check_match "the score covers the xlsx class" "^xlsx-LO +[0-9]+ +[0-9]+ +1?[.0-9]+" "$out"
check_match "the score covers the xls class" "^xls-LO +[0-9]+ +[0-9]+ +1?[.0-9]+" "$out"
finish
