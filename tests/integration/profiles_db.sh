#!/usr/bin/env bash
# Broker profiles saved in the database: suggest -> save (versions, domain binding) -> the
# broker's case re-run with it; list/show prefer the saved version; bad YAML is refused.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_profiles || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
"$MINCA" batch "$SRC/samples/inbox" >/dev/null 2>&1
cot=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.sender_domain = 'tzintzuntzan-seguros.mx' ORDER BY k.id LIMIT 1")
check_match "the demo broker without a profile has a case" "^COT-" "$cot"
check_eq "its case is flagged for a profile" "t" "$(psql_q "SELECT needs_profile FROM cases WHERE cot = '$cot'")"

src=$(psql_q "SELECT m.source_ref FROM messages m JOIN cases k ON k.message_id = m.id WHERE k.cot = '$cot'")
/usr/bin/python3 - "$src" "$T_TMP" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
for part in m.iter_attachments():
    if part.get_filename():
        open(sys.argv[2] + "/fleet.xlsx", "wb").write(part.get_payload(decode=True))
PY
check "profile suggest drafts a profile from the attachment" sh -c "'$MINCA' profile suggest '$T_TMP/fleet.xlsx' --domain tzintzuntzan-seguros.mx --name tzintzuntzan > '$T_TMP/p.yaml'"
check "profile save stores it" "$MINCA" profile save "$T_TMP/p.yaml"
check_eq "version 1, active" "1|true" "$(psql_q "SELECT version || '|' || active FROM broker_profiles WHERE name = 'tzintzuntzan'")"
check_eq "the sender domain is bound to a broker" "1" "$(psql_q "SELECT count(*) FROM broker_domains WHERE domain = 'tzintzuntzan-seguros.mx'")"
check "saving again makes version 2" "$MINCA" profile save "$T_TMP/p.yaml"
check_eq "only the newest version is active" "1:false 2:true" "$(psql_q "SELECT string_agg(version || ':' || active, ' ' ORDER BY version) FROM broker_profiles WHERE name = 'tzintzuntzan'")"
check_match "profile list shows the saved versions" "tzintzuntzan +v2 .*active" "$("$MINCA" profile list)"
check_match "profile show prints the saved YAML" "tzintzuntzan-seguros.mx" "$("$MINCA" profile show tzintzuntzan)"
printf 'name: roto\nmapping: [\n' > "$T_TMP/bad.yaml"
out=$("$MINCA" profile save "$T_TMP/bad.yaml" 2>&1); rc=$?
check_eq "a profile that does not parse is refused" "1" "$rc"
check_match "with its line and column" "line [0-9]+, column [0-9]+" "$out"
check_eq "and nothing is stored" "0" "$(psql_q "SELECT count(*) FROM broker_profiles WHERE name = 'roto'")"

check "case rerun extracts again with the saved profile" "$MINCA" case rerun "$cot"
check_eq "the case is no longer flagged" "f" "$(psql_q "SELECT needs_profile FROM cases WHERE cot = '$cot'")"
check_match "the case now names the broker" "." "$(psql_q "SELECT b.name FROM cases k JOIN brokers b ON b.id = k.broker_id WHERE k.cot = '$cot'")"
check_eq "the extraction report names the profile" "tzintzuntzan" "$(psql_q "SELECT a.extraction->'report'->>'profile' FROM attachments a JOIN cases k ON k.message_id = a.message_id WHERE k.cot = '$cot' AND a.status = 'extracted' LIMIT 1")"
check_eq "the rows were codified again" "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'")" \
  "$(psql_q "SELECT count(*) FROM matches x JOIN vehicle_rows v ON v.id = x.vehicle_row_id JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'")"
check_eq "the re-run is audited" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'case.rerun'")"
finish
