#!/usr/bin/env bash
# The Dashboard pane gives the time to quote, p50 and p90 as `minca report` counts it (the
# request's date to the first quote sent, the cases of the last 30 days), and the cases past
# due now; /metrics gives the same time to quote.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
if ! command -v tmux >/dev/null; then skip "dashboard clock" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "dashboard clock" "no test database (run through tests/run.sh)"; finish; exit; fi
use_fresh_db t_tui_dashboard_clock || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
mkdir -p "$T_TMP/in"
for n in 1 2 3 4; do
  mk_eml "<clock-$n@corredor-prueba.mx>" "Solicitud numero $n" >"$T_TMP/in/$n.eml"
done
check "four cases" "$MINCA" batch "$T_TMP/in"
# Quotes sent 1, 2 and 10 hours after the request; the fourth case, long past due, unanswered.
quote() {
  psql_q "INSERT INTO outbox (insurer_id, case_id, kind, message_id, from_addr, to_addr, subject, body, state, sent_at)
          SELECT k.insurer_id, k.id, 'quote', '<q-$1@aseguradora.mx>', 'cotiza@aseguradora.mx', m.from_addr, 'Cotización',
                 'Adjunto', 'sent', m.sent_at + interval '$2 hours'
            FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<clock-$1@corredor-prueba.mx>'" >/dev/null
}
quote 1 1; quote 2 2; quote 3 10
rep=$("$MINCA" report --json --since "$(date -u -d '-30 days' +%F)")
check_eq "minca report: p50 2 h, p90 8.4 h, 3 quoted, 1 past due" "7200.0 30240.0 3 1" \
  "$(printf '%s' "$rep" | json_get "'%s %s %s %s' % (d['totals']['p50_seconds_to_quote'], d['totals']['p90_seconds_to_quote'], d['totals']['cases_quoted'], d['totals']['cases_past_due'])")"
# /metrics counts the same cases: the requests were dated weeks before the cases were opened,
# so a window on the quote's date would leave them out.
met=$("$MINCA" metrics show 2>&1)
check_match "/metrics gives the report's p50" 'minca_time_to_quote_seconds\{insurer="demo",quantile="0\.5"\} 7200(\.0+)?$' "$(printf '%s\n' "$met" | grep quantile=\"0.5\")"
check_match "/metrics gives the report's p90" 'minca_time_to_quote_seconds\{insurer="demo",quantile="0\.9"\} 30240(\.0+)?$' "$(printf '%s\n' "$met" | grep quantile=\"0.9\")"

TUI_COLS=80 TUI_LINES=24 start d MINCA_TUI_ENGINE=0
wait_for d "Inbox" 10 >/dev/null
keys d 5
out=$(wait_for d "Time to quote" 10)
check_match "the dashboard gives p50 and p90 as the report does" "Time to quote \(30 days\): p50 2\.0 h +p90 8\.4 h +\(3 quoted\)" "$out"
check_match "and the cases past due" "1 past due" "$out"
check_eq "the screen is still 24 lines" 24 "$(printf '%s\n' "$out" | wc -l)"
keys d q
wait_exit d
finish
