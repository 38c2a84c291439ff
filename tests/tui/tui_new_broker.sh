#!/usr/bin/env bash
# A broker Minca has never seen, at the desk: the case of an email whose sheet resembles the
# shipped xoconostle profile (tests/tools/new_broker_emails.py) shows, in the case view's
# header, the profile the layout resembled next to the wizard key and a warning for the column
# that held data but was ignored; `i` shows the same in full.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "new broker at the desk" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "new broker at the desk" "no test database (run through tests/run.sh)"; finish; exit; fi
if ! /usr/bin/python3 -c "import openpyxl" 2>/dev/null; then skip "new broker at the desk" "python3-openpyxl is not installed"; finish; exit; fi

export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_new_broker || { not_ok "create test database"; finish; exit 1; }
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
/usr/bin/python3 "$SRC/tests/tools/new_broker_emails.py" "$T_TMP/in"
"$MINCA" batch "$T_TMP/in/nuevo.eml" >"$T_TMP/batch.log" 2>&1
cot=$(psql_q "SELECT cot FROM cases")

TUI_COLS=150 start nb MINCA_TUI_ENGINE=0   # wide enough for the whole header line
expect "the desk opens" nb "Inbox" 15
keys nb 2
expect "the Cases pane lists the case" nb "$cot"
keys nb / "$cot" Enter
keys nb Enter
expect "the case view's header warns about the ignored column that held data" nb "WARNING: 1 column with data ignored \(i\)"
expect "and names the profile the layout resembled, with the wizard key" nb "no broker profile, like 'xoconostle' \(W: wizard\)"
keys nb i
expect "i lists the column that was ignored, with why" nb "warning: column 'ECO' held data on 3 rows but was ignored"
expect "and the column mapped beyond the profile" nb "column 'USO' is not in profile 'xoconostle'"
keys nb q q
finish
