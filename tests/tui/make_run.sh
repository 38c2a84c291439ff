#!/usr/bin/env bash
# The README's first command, run the way a newcomer runs it: `make run` in a terminal (tmux)
# with a fresh HOME and no MINCA_* settings. It must open the desk on the demo inbox with its
# cases; a second `make run` must open the desk at once without loading the demo again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

NEWHOME="$T_TMP/home"
mkdir -p "$NEWHOME"
chmod 755 "$NEWHOME"
# What a newcomer's login shell has: no MINCA_* variables, a fresh HOME.
newcomer() {
  env -i PATH="$PATH" HOME="$NEWHOME" TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    ${TMPDIR:+TMPDIR="$TMPDIR"} "$@"
}
stop_newcomer_servers() { newcomer "$SRC/build/minca" db stop >/dev/null 2>&1; }
cleanup() {
  tmux_cleanup
  stop_newcomer_servers
  rm -rf "$T_TMP"
}
trap cleanup EXIT

if ! command -v tmux >/dev/null; then skip "make run" "tmux is not installed"; finish; exit; fi

# run_make NAME: `make run` from the checkout in a new tmux session; its output and the desk
# share the pane, and make's exit status lands in $T_TMP/NAME.exit.
run_make() {
  local name=$1
  # The pane is a real terminal for make and the desk; pipe-pane copies what it shows to a log,
  # started before make so no line is missed.
  TM new-session -d -s "$name" -x 110 -y 32 \
    "while [ ! -e '$T_TMP/$name.go' ]; do sleep 0.05; done; \
     env -i PATH='$PATH' HOME='$NEWHOME' TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 \
     make --no-print-directory -C '$SRC' run; echo \$? >'$T_TMP/$name.exit'; sleep 60"
  TM pipe-pane -t "$name" "cat >>'$T_TMP/$name.log'"
  touch "$T_TMP/$name.go"
}
# desk_open SESSION SECONDS: waits until the desk shows the Inbox tab with a demo case, or
# make has ended without opening it.
desk_open() {
  local s=$1 limit=$(( $2 * 10 * TUI_WAIT_SCALE )) i=0 out
  while [ "$i" -lt "$limit" ]; do
    out=$(screen "$s" 2>/dev/null)
    if printf '%s' "$out" | grep -q 'Inbox' && printf '%s' "$out" | grep -q 'COT-'; then
      printf '%s' "$out"; return 0
    fi
    [ -s "$T_TMP/$s.exit" ] && break
    i=$((i + 1)); sleep 0.1
  done
  printf '%s' "$out"; return 1
}

run_make first
opened=1
out=$(desk_open first 300) && ok "make run opens the desk for a new user" || {
  opened=0; not_ok "make run opens the desk for a new user"
  echo "# screen:" >&2; printf '%s\n' "$out" >&2
  echo "# make run output:" >&2; tail -n 30 "$T_TMP/first.log" >&2 2>/dev/null
}
[ "$opened" = 1 ] || out=""   # what make printed before failing is no desk
check_match "the Inbox lists the demo brokers' messages" 'cenzontle|golfo|xoconostle|tzintzuntzan|Cenzontle|Golfo|Xoconostle|Tzintzuntzan' "$out"
check_match "the demo messages opened cases" 'COT-[0-9]' "$out"
check_match "the first run loaded the demo" 'Loading the demo data' "$(cat "$T_TMP/first.log" 2>/dev/null)"
keys first q
wait_exit first
check_eq "quitting the desk ends make run cleanly" "0" "$(cat "$T_TMP/first.exit" 2>/dev/null)"

count_cases() { newcomer "$SRC/build/minca" case list --insurer demo --json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d if isinstance(d, list) else d.get("cases", [])))' 2>/dev/null; }
cases_before=$(count_cases)

run_make second
out=$(desk_open second 60) && ok "a second make run opens the desk" || {
  not_ok "a second make run opens the desk"
  echo "# screen:" >&2; printf '%s\n' "$out" >&2
  echo "# make run output:" >&2; tail -n 30 "$T_TMP/second.log" >&2 2>/dev/null
}
check_no_match "the second run does not load the demo again" 'Loading the demo data' "$(cat "$T_TMP/second.log" 2>/dev/null)"
keys second q
wait_exit second
check_eq "quitting the second desk ends make run cleanly" "0" "$(cat "$T_TMP/second.exit" 2>/dev/null)"
cases_after=$(count_cases)
check_match "the demo cases are there" '^[1-9][0-9]*$' "$cases_after"
check_eq "the demo is loaded once (same cases after the second run)" "$cases_before" "$cases_after"
finish
