#!/usr/bin/env bash
# Answering the broker from the desk, driven through tmux: `r` on a case in the Cases pane
# drafts the request for the missing data (no export yet) and opens the compose form on it;
# the body is edited in $EDITOR and the subject on the prompt; sending queues it in the
# outbox, the desk's engine sends it through the case's Microsoft 365 mailbox (the Graph stub)
# and the Cases pane shows it sent. While Graph refuses, the next one shows failing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "reply at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "reply at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_USER=analista MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
use_fresh_db t_tui_reply || { not_ok "create test database"; finish; exit 1; }
source "$SRC/tests/tools/graph_stub.bash"
graph_stub_start "$T_TMP/stub" || { not_ok "the Graph stub starts"; finish; exit 1; }
graph_source_config "$MINCA_CONFIG" 1 1
export MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
check "catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"
ctl add '{"count": 1}'
check "the request comes in through Graph" "$MINCA" intake run --once
cot=$(psql_q "SELECT cot FROM cases")

cat >"$T_TMP/editor.sh" <<'SH'
#!/bin/sh
printf 'Estimado agente:\nNos falta la vigencia de la póliza, escrita en el editor.\n' >"$1"
SH
chmod +x "$T_TMP/editor.sh"
start desk EDITOR="$T_TMP/editor.sh" VISUAL= MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
expect "the desk opens" desk "Cotización flotilla nube 0" 10
keys desk 2
expect "the Cases pane lists the case" desk "$cot" 5
keys desk r
expect "r opens the reply's compose form" desk "Reply to the broker of $cot: request for the missing data" 5
expect "addressed to the broker" desk "To +ventas@corredor-nube.mx" 5
expect "the subject carries the COT" desk "Subject +.*$cot" 5
expect "from the case's mailbox" desk "From +cotiza@aseguradora.mx" 5
keys_wait desk j j j Enter
expect "the body comes from the editor" desk "Body +2 line\(s\): Estimado agente" 5
keys_wait desk k Enter
keys desk C-e -l " (urgente)"; keys desk Enter
expect "the subject edited on the prompt" desk "Subject +.*$cot.*\(urgente\)" 5
keys desk S
expect "sending queues it in the outbox" desk "queued \(outbox #1\)" 5
expect "the Cases pane shows it sent" desk "$cot.* sent" 20
sent=$(curl -s "$G/_control/sent")
check_match "Graph sent the desk's text" "escrita en el editor" "$sent"
check_match "under the edited subject" "\(urgente\)" "$sent"
check_match "as a reply to the broker's message" "\"replyTo\": \"AAkALg000000==\"" "$sent"

# Graph refusing: the next reply shows failing on the case.
ctl storm '{"count": 100, "status": 503, "retry_after": 0}'
keys desk r
expect "r again opens the form" desk "Reply to the broker of $cot" 5
keys desk S
expect "the Cases pane shows it failing" desk "$cot.* failing" 30
ctl storm '{"count": 0}'
check_eq "the outbox holds one sent, one failing" "failing sent" "$(psql_q "SELECT string_agg(state, ' ' ORDER BY state) FROM outbox")"
keys desk q
wait_exit desk

# A reviewer answers brokers too: S in the form sends (it is not the wizard's save, which
# needs a supervisor).
check "a reviewer is added" "$MINCA" user add revi --role reviewer --insurer demo
MINCA_USER=revi start rev EDITOR="$T_TMP/editor.sh" VISUAL= MINCA_TEST_GRAPH_SECRET="$GRAPH_STUB_SECRET"
expect "the reviewer's desk opens" rev "revi@demo" 10
keys rev 2
expect "the reviewer's Cases pane lists the case" rev "$cot" 5
keys rev r
expect "r opens the reviewer's reply" rev "Reply to the broker of $cot" 5
keys rev S
expect "the reviewer's S queues it" rev "queued \(outbox #[0-9]+\)" 5
check_no_match "and is not refused" "needs the" "$(screen rev)"
keys rev q
wait_exit rev
finish
