#!/usr/bin/env bash
# Ingest failures that must not lose mail: a batch whose ingest jobs went dead is ingested
# when run again; a Message-ID reused by another sender does not swallow the real email.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_ingest_failures || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
"$MINCA" db migrate >/dev/null 2>&1

# ---- a dead ingest job and the re-run of its batch
mkdir -p "$T_TMP/dead"
for i in 1 2 3; do mk_eml "<dead-$i@corredor-prueba.mx>" "Flotilla $i" >"$T_TMP/dead/$i.eml"; done
psql_q "CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'messages are refused for this test'; END \$\$;
        CREATE TRIGGER t_refuse BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION t_refuse();"
MINCA_MAX_ATTEMPTS=2 timeout 120 "$MINCA" batch "$T_TMP/dead" >"$T_TMP/dead1.out" 2>&1
check_eq "with the failing trigger the three ingest jobs are dead" "3" "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'ingest' AND state = 'dead'")"
check_match "the summary says they could not be stored" "0 unreadable, 3 could not be stored" "$(cat "$T_TMP/dead1.out")"
check_match "the failure names the database error" "messages are refused for this test" "$(cat "$T_TMP/dead1.out")"
psql_q "DROP TRIGGER t_refuse ON messages"
MINCA_MAX_ATTEMPTS=2 timeout 120 "$MINCA" batch "$T_TMP/dead" >"$T_TMP/dead2.out" 2>&1
rc=$?
check_eq "the re-run exits 0" "0" "$rc"
check_match "the re-run queues the three messages again" "3 message\(s\) queued" "$(cat "$T_TMP/dead2.out")"
check_eq "the three messages are stored" "3" "$(psql_q "SELECT count(*) FROM messages WHERE message_id LIKE '<dead-%'")"
check_eq "no ingest job is left dead" "0" "$(psql_q "SELECT count(*) FROM jobs WHERE kind = 'ingest' AND state = 'dead'")"
MINCA_MAX_ATTEMPTS=2 timeout 120 "$MINCA" batch "$T_TMP/dead" >"$T_TMP/dead3.out" 2>&1
check_match "a third run finds them ingested" "0 message\(s\) queued for demo, 3 already ingested" "$(cat "$T_TMP/dead3.out")"
# ---- a Message-ID reused by another sender
mk_eml "<flotilla-2026@corredor-prueba.mx>" "Flotilla real" >"$T_TMP/real.eml"
sed 's/^From: .*/From: Alguien <otro@spam.example>\r/; s/^Subject: .*/Subject: hola\r/' "$T_TMP/real.eml" >"$T_TMP/hijack.eml"
"$MINCA" batch "$T_TMP/hijack.eml" >/dev/null 2>&1
"$MINCA" batch "$T_TMP/real.eml" >"$T_TMP/real.out" 2>&1
check_eq "both messages are stored" "2" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<flotilla-2026@corredor-prueba.mx>'")"
check_eq "the broker's email opened its case" "1" \
  "$(psql_q "SELECT count(*) FROM messages m JOIN cases k ON k.message_id = m.id WHERE m.message_id = '<flotilla-2026@corredor-prueba.mx>' AND m.from_addr = 'ventas@corredor-prueba.mx'")"
check_match "the second message is flagged as reusing a Message-ID" "Message-ID" \
  "$(psql_q "SELECT problems::text FROM messages WHERE message_id = '<flotilla-2026@corredor-prueba.mx>' AND from_addr = 'ventas@corredor-prueba.mx'")"
"$MINCA" batch "$T_TMP/real.eml" >"$T_TMP/real2.out" 2>&1
cp "$T_TMP/real.eml" "$T_TMP/real-copy.eml"
"$MINCA" batch --json "$T_TMP/real-copy.eml" >"$T_TMP/real3.out" 2>&1
check_eq "the same email again is a duplicate" "2" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<flotilla-2026@corredor-prueba.mx>'")"
finish
