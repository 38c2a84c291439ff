#!/usr/bin/env bash
# First start: the desk opens on the only insurer there is; with several it asks which one at
# the `:insurer ` prompt, where Tab completes a prefix; the CLI names the insurers there are
# when it is given one nobody created.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"
trap 'tmux_cleanup; rm -rf "$T_TMP"' EXIT

if ! command -v tmux >/dev/null; then skip "first start" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "first start" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_USER=revisora MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_first_start || { not_ok "create test database"; finish; exit 1; }
check "a catalog for qualitas, the only insurer" "$MINCA" catalog import --insurer qualitas "$SRC/samples/catalog/demo_catver.csv"

out=$(MINCA_INSURER=nadie "$MINCA" case list 2>&1); rc=$?
check_eq "the CLI refuses an insurer nobody created" 1 "$rc"
check_match "and names the insurers there are" "no insurer 'nadie'; the insurers are: qualitas" "$out"
check_match "review says the same" "the insurers are: qualitas" "$(MINCA_INSURER=nadie "$MINCA" review queue 2>&1)"

mkdir -p "$T_TMP/h1" "$T_TMP/h2"
start o MINCA_INSURER= MINCA_HOME="$T_TMP/h1"
expect "with no insurer named, the desk opens on the only one" o "revisora@qualitas" 15
expect "and says so" o "insurer qualitas, the only one"
keys o q
wait_exit o

check "a second insurer" "$MINCA" catalog import --insurer gnp "$SRC/samples/catalog/demo_catver.csv"
start p MINCA_INSURER= MINCA_HOME="$T_TMP/h2"
expect "with several, the desk asks which one" p "which one\? gnp, qualitas" 15
expect "at the :insurer prompt" p ":insurer"
keys p g Tab
expect "Tab completes the prefix" p ":insurer gnp"
keys p Enter
expect "Enter opens it" p "revisora@gnp"
keys p I q Tab
expect "I and Tab complete another prefix" p ":insurer qualitas"
keys p Enter
expect "and Enter switches to it" p "revisora@qualitas"
keys p q
wait_exit p
finish
