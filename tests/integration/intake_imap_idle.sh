#!/usr/bin/env bash
# IMAP IDLE against a real Dovecot: with the next poll an hour away, a message delivered 4 s
# after a poll is stored within 5 s; with `idle: off` it waits for the poll.
source "$(dirname "$0")/../lib.sh"
source "$SRC/tests/tools/dovecot.bash"
use_fresh_db t_intake_imap_idle || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
DV="$T_TMP/dovecot"
if ! dovecot_start "$DV" 2>"$T_TMP/dovecot.err"; then
  skip "IMAP IDLE against Dovecot" "Dovecot cannot run here: $(cat "$T_TMP/dovecot.err")"
  finish; exit 0
fi
runpid=
trap 'kill $runpid 2>/dev/null; dovecot_stop "$DV"' EXIT
export MINCA_TEST_IMAP_PASSWORD="$DOVECOT_PASS"
conf() {
  cat <<CONF
insurer: demo
sources:
  corredores:
    kind: imap
    url: imap://127.0.0.1:$DOVECOT_PORT/INBOX
    user: $DOVECOT_USER
    password_env: MINCA_TEST_IMAP_PASSWORD
    ca_file: $DOVECOT_CA
    after: seen
    poll_seconds: 3600
    idle: $1
CONF
}
seen() { psql_q "SELECT count(*) FROM intake_seen WHERE job_id IS NOT NULL" 2>/dev/null || echo 0; }
wait_seen() { # wait_seen N SECONDS: elapsed seconds until N messages are stored, or "timeout"
  local start; start=$(date +%s.%N)
  while :; do
    [ "$(seen)" -ge "$1" ] && { python3 -c "print(round($(date +%s.%N) - $start, 1))"; return; }
    python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $start < $2 else 1)" || { echo timeout; return; }
    sleep 0.1
  done
}

conf on >"$T_TMP/idle.yaml"
mk_eml "<idle-1@corredor-prueba.mx>" "Antes" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" i1.test
MINCA_CONFIG="$T_TMP/idle.yaml" "$MINCA" intake run >"$T_TMP/run.out" 2>&1 &
runpid=$!
check_match "the first poll stores what waits" "^[0-9.]+$" "$(wait_seen 1 120)"
sleep 4
mk_eml "<idle-2@corredor-prueba.mx>" "Después del poll" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" i2.test
t=$(wait_seen 2 5)
check_match "with IDLE, a message delivered 4 s after the poll is stored within 5 s (took ${t}s)" "^[0-9.]+$" "$t"
kill $runpid; wait $runpid 2>/dev/null; runpid=

conf off >"$T_TMP/poll.yaml"
MINCA_CONFIG="$T_TMP/poll.yaml" "$MINCA" intake run >"$T_TMP/run2.out" 2>&1 &
runpid=$!
sleep 3
mk_eml "<idle-3@corredor-prueba.mx>" "Sin IDLE" >"$T_TMP/m.eml"; dovecot_deliver "$T_TMP/m.eml" i3.test
check_eq "with idle: off, it waits for the next poll" "timeout" "$(wait_seen 3 5)"
kill $runpid; wait $runpid 2>/dev/null; runpid=
dovecot_stop "$DV"
finish
