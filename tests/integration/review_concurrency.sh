#!/usr/bin/env bash
# Reviewers colliding: three shells deciding one row, two reviewers deciding two rows with one
# description, undo racing ready, ready on an exported case.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_review_concurrency || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
cot=$(psql_q "SELECT k.cot FROM cases k JOIN vehicle_rows v ON v.case_id = k.id JOIN matches x ON x.vehicle_row_id = v.id
              WHERE x.decision = 'needs_review' GROUP BY k.cot HAVING count(*) >= 3 ORDER BY k.cot LIMIT 1")
[ -n "$cot" ] || { not_ok "the demo inbox has a case with rows to review"; finish; exit 1; }
rowq() { psql_q "SELECT $1 FROM vehicle_rows v JOIN cases k ON k.id = v.case_id LEFT JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND v.inciso = $2"; }
inc=$(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
              WHERE k.cot = '$cot' AND x.decision = 'needs_review' AND jsonb_array_length(x.candidates) >= 3 ORDER BY v.inciso LIMIT 1")
rid=$(rowq v.id "$inc")

# ---- three reviewers picking on one row: every audit entry's "before" is the previous "after"
reviewer() { # USER CANDIDATE_INDEX N
  local key; key=$(rowq "x.candidates->$2->>'cvegs' || ' ' || (x.candidates->$2->>'year')" "$inc")
  for _ in $(seq "$3"); do MINCA_USER=$1 "$MINCA" review "$cot" pick "$inc" $key >/dev/null 2>&1; done
}
reviewer ana 0 17 & reviewer beto 1 17 & reviewer carla 2 16 &
wait
n=$(psql_q "SELECT count(*) FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = '$rid' AND action LIKE 'review.%'")
check_eq "50 decisions on the row are audited" "50" "$n"
stale=$(psql_q "SELECT count(*) FROM (SELECT details->'before'->>'cvegs' AS b, details->'before'->>'decision' AS bd,
                  lag(details->'after'->>'cvegs') OVER (ORDER BY id) AS prev, lag(details->'after'->>'decision') OVER (ORDER BY id) AS prevd, id,
                  row_number() OVER (ORDER BY id) AS k
                  FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = '$rid' AND action LIKE 'review.%') s
                WHERE k > 1 AND (b IS DISTINCT FROM prev OR bd IS DISTINCT FROM prevd)")
check_eq "no audit entry records a stale before" "0" "$stale"
last=$(psql_q "SELECT actor FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = '$rid' ORDER BY id DESC LIMIT 1")
prev=$(psql_q "SELECT actor || ' ' || (details->'after'->>'cvegs') FROM audit_log WHERE entity = 'vehicle_row' AND entity_id = '$rid' ORDER BY id DESC OFFSET 1 LIMIT 1")
check "the last reviewer undoes" env MINCA_USER="$last" "$MINCA" review "$cot" undo
check_eq "undo restores the colleague's pick, with the colleague as reviewer" "$prev" "$(rowq "x.reviewed_by || ' ' || x.cvegs" "$inc")"

# ---- two reviewers, two rows with one description, different keys: one correction in force
src=$(psql_q "SELECT m.source_ref FROM messages m JOIN cases k ON k.message_id = m.id WHERE k.cot = '$cot'")
sed 's/^Message-ID: <\(.*\)>/Message-ID: <twin-\1>/I' "$src" > "$T_TMP/twin.eml"
"$MINCA" batch "$T_TMP/twin.eml" >/dev/null 2>&1
cot2=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id LIKE '<twin-%'")
inc2=$(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id
               WHERE k.cot = '$cot' AND v.inciso <> $inc AND x.decision = 'needs_review' AND jsonb_array_length(x.candidates) >= 2 ORDER BY v.inciso LIMIT 1")
k1=$(rowq "x.candidates->0->>'cvegs' || ' ' || (x.candidates->0->>'year')" "$inc2")
k2=$(rowq "x.candidates->1->>'cvegs' || ' ' || (x.candidates->1->>'year')" "$inc2")
desc=$(rowq "v.description" "$inc2")
check_eq "the twin case has the row with the same description" "$desc" \
  "$(psql_q "SELECT v.description FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot2' AND v.inciso = $inc2")"
before=$(psql_q "SELECT coalesce(max(id), 0) FROM corrections")
two=0 none=0
for _ in $(seq 40); do
  MINCA_USER=ana "$MINCA" review "$cot" pick "$inc2" $k1 >/dev/null 2>&1 &
  MINCA_USER=beto "$MINCA" review "$cot2" pick "$inc2" $k2 >/dev/null 2>&1 &
  wait
  act=$(psql_q "SELECT count(*) FROM corrections WHERE id > $before AND revoked_at IS NULL")
  [ "$act" -gt 1 ] && two=$((two + 1)); [ "$act" -eq 0 ] && none=$((none + 1))
done
check_eq "80 decisions: never two corrections in force for one description" "0" "$two"
check_eq "80 decisions: never none" "0" "$none"
check_eq "exactly one correction in force for the description" "1" "$(psql_q "SELECT count(*) FROM corrections WHERE id > $before AND revoked_at IS NULL")"
MINCA_USER=ana "$MINCA" review "$cot" undo >/dev/null 2>&1 &
MINCA_USER=beto "$MINCA" review "$cot2" undo >/dev/null 2>&1 &
wait
check_eq "after two concurrent undos at most one correction is in force" "1" \
  "$(psql_q "SELECT (count(*) <= 1)::int FROM corrections WHERE id > $before AND revoked_at IS NULL")"

# ---- undo racing ready: a ready case never keeps an undecided row
open=($(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND x.decision = 'needs_review' AND x.cvegs IS NOT NULL ORDER BY 1"))
r0=${open[0]}
for i in $(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' AND x.decision IN ('needs_review', 'no_match') AND v.inciso <> $r0 ORDER BY 1"); do
  MINCA_USER=ana "$MINCA" review "$cot" accept "$i" >/dev/null 2>&1 || MINCA_USER=ana "$MINCA" review "$cot" nomatch "$i" >/dev/null 2>&1
done
bad=0
for _ in $(seq 3); do
  MINCA_USER=dora "$MINCA" review "$cot" accept "$r0" >/dev/null 2>&1
  # A third session holds the case row for a moment, so the undo is in flight (waiting) when
  # ready starts; then both go on.
  psql "$MINCA_DATABASE_URL" -X -q -c "BEGIN; SELECT 1 FROM cases WHERE cot = '$cot' FOR UPDATE; SELECT pg_sleep(2.5); COMMIT;" >/dev/null 2>&1 &
  wait_until 30 sql_is "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'" 1
  MINCA_USER=dora "$MINCA" review "$cot" undo >/dev/null 2>&1 &
  wait_until 10 sql_ge "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'" 1
  MINCA_USER=eli "$MINCA" review "$cot" ready >/dev/null 2>&1 &
  wait
  st=$(psql_q "SELECT k.status || ' ' || count(*) FILTER (WHERE x.decision IS NULL OR x.decision IN ('needs_review', 'no_match'))
               FROM cases k JOIN vehicle_rows v ON v.case_id = k.id LEFT JOIN matches x ON x.vehicle_row_id = v.id WHERE k.cot = '$cot' GROUP BY k.status")
  case "$st" in "ready 0"|"review "[1-9]*) ;; *) bad=$((bad + 1)); echo "# undo + ready left: $st" >&2 ;; esac
done
check_eq "undo racing ready (3 rounds): status and rows always agree" "0" "$bad"

# ---- ready on an exported case
MINCA_USER=dora "$MINCA" review "$cot" accept "$r0" >/dev/null 2>&1
check "the decided case exports" "$MINCA" export "$cot"
check_fails "ready on an exported case is refused" "$MINCA" review "$cot" ready
check_eq "the case stays exported" "exported" "$(psql_q "SELECT status FROM cases WHERE cot = '$cot'")"
nrows=$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'")
check_fails "re-running an exported case is refused" "$MINCA" case rerun "$cot"
check_eq "the rows the workbook was built from are kept" "$nrows" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'")"
finish
