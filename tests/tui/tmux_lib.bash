# tmux helpers for the desk's tests (sourced after tests/lib.sh): a private tmux server per
# script, the real binary in a session, keys sent, the captured screen checked.
export LANG=C.UTF-8 LC_ALL=C.UTF-8
SOCK="minca-tui-$$"
# Under AddressSanitizer (a build-asan/ binary) the desk runs several times slower, and its
# sanitizer reports would be lost in the pane: waits are stretched and reports go to files
# that `finish` turns into a failing test.
TUI_WAIT_SCALE=1 TUI_ASAN_ENV=
case "$MINCA" in
  *build-asan*)
    TUI_WAIT_SCALE=4
    TUI_ASAN_ENV="ASAN_OPTIONS=log_path=$T_TMP/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS} UBSAN_OPTIONS=log_path=$T_TMP/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    ;;
esac
# Runs before `finish` (tests/lib.sh): stops the desks so they exit, then reports any
# sanitizer finding they wrote.
finish_hook() {
  TM kill-server >/dev/null 2>&1
  local f found=0
  for f in "$T_TMP"/sanitizer.*; do
    # A report that only lists the suppressions used (tests/lsan.supp) is no finding.
    grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|WARNING: [A-Za-z]+Sanitizer' "$f" 2>/dev/null || continue
    found=1; echo "# sanitizer report from the desk ($f):" >&2; head -n 60 "$f" >&2
  done
  if [ -n "$TUI_ASAN_ENV" ]; then
    if [ "$found" = 0 ]; then ok "the desk ran clean under the sanitizers"; else not_ok "the desk ran clean under the sanitizers"; fi
  fi
}
TM() { tmux -L "$SOCK" -f /dev/null "$@"; }
# tmux_descendants PID: the processes under PID (a desk, and the parser children it forked).
tmux_descendants() {
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; tmux_descendants "$c"; done
}
tmux_cleanup() {
  # The desks in the panes stop their pipeline threads before they exit: they are waited for
  # (a few seconds), so the script does not end with a desk still stopping; one that does not
  # go is killed.
  local pids=() p i=0 alive
  for p in $(TM list-panes -a -F '#{pane_pid}' 2>/dev/null); do pids+=("$p" $(tmux_descendants "$p")); done
  TM kill-server >/dev/null 2>&1
  while [ "${#pids[@]}" -gt 0 ] && [ "$i" -lt $((100 * TUI_WAIT_SCALE)) ]; do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1; i=$((i + 1))
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
}
# The private tmux server (and the desks in it) goes when the script exits, however it exits.
on_exit tmux_cleanup
# start NAME [VAR=VALUE...]: runs the desk in a new 100x30 session (MINCA_INSURER, MINCA_USER
# and MINCA_CONFIG come from the environment); its exit status lands in $T_TMP/NAME.exit.
start() {
  local name=$1; shift
  TM new-session -d -s "$name" -x "${TUI_COLS:-100}" -y "${TUI_LINES:-30}" \
    "trap : INT; env MINCA_HOME='$MINCA_HOME' MINCA_DATABASE_URL='$MINCA_DATABASE_URL' MINCA_REDIS_URL='${MINCA_REDIS_URL:-}' \
     MINCA_CONFIG='${MINCA_CONFIG:-/dev/null}' MINCA_INSURER='${MINCA_INSURER:-demo}' MINCA_USER='${MINCA_USER:-tester}' \
     LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color $TUI_ASAN_ENV $* '$MINCA'; echo \$? >'$T_TMP/$name.exit'; sleep 60"
}
screen() { TM capture-pane -p -t "$1"; }
keys() { local s=$1; shift; TM send-keys -t "$s" "$@"; }
# keys_wait SESSION KEYS...: sends the keys, then waits until the desk has redrawn the screen
# (it differs from before), at most 3 seconds (stretched under AddressSanitizer): the next
# keys then go to what these opened.
keys_wait() {
  local s=$1 before i=0; shift
  before=$(screen "$s")
  TM send-keys -t "$s" "$@"
  while [ "$(screen "$s")" = "$before" ]; do
    i=$((i + 1)); [ "$i" -ge $((30 * TUI_WAIT_SCALE)) ] && return 1
    sleep 0.1
  done
}
# wait_for SESSION REGEX [SECONDS]: polls the screen until REGEX shows; prints the screen.
wait_for() {
  local s=$1 re=$2 limit=$(( ${3:-5} * TUI_WAIT_SCALE )) i=0 out
  while :; do
    out=$(screen "$s")
    if printf '%s' "$out" | grep -qE -- "$re"; then printf '%s' "$out"; return 0; fi
    i=$((i + 1)); [ "$i" -ge $((limit * 10)) ] && { printf '%s' "$out"; return 1; }
    sleep 0.1
  done
}
# expect NAME SESSION REGEX [SECONDS]
expect() { local out; out=$(wait_for "$2" "$3" "${4:-5}"); check_match "$1" "$3" "$out"; }
# wait_exit NAME: waits until the session's shell has recorded minca's exit status.
wait_exit() {
  local i=0
  while [ ! -s "$T_TMP/$1.exit" ] && [ $i -lt $((50 * TUI_WAIT_SCALE)) ]; do sleep 0.1; i=$((i + 1)); done
}
# position SESSION PANE: the selected line number shown on the status line ("Matches 3/8" -> 3).
position() { screen "$1" | tail -n 1 | sed -nE "s/^ *$2 ([0-9]+)\/[0-9]+.*/\1/p"; }
# moved_from SESSION PANE OLD: the selected line number once it differs from OLD (a move sent
# before takes effect), or the current one after a few seconds (the key did not move it).
moved_from() {
  local i=0 p
  while :; do
    p=$(position "$1" "$2")
    if [ -n "$p" ] && [ "$p" != "$3" ]; then echo "$p"; return 0; fi
    i=$((i + 1)); [ "$i" -ge $((30 * TUI_WAIT_SCALE)) ] && { echo "$p"; return 1; }
    sleep 0.1
  done
}
# db_eventually NAME EXPECTED SQL [SECONDS]: polls a query until it prints EXPECTED.
db_eventually() {
  local name=$1 want=$2 sql=$3 limit=$(( ${4:-10} * TUI_WAIT_SCALE )) i=0 got
  while :; do
    got=$(psql_q "$sql" 2>/dev/null)
    [ "$got" = "$want" ] && { ok "$name"; return 0; }
    i=$((i + 1)); [ "$i" -ge $((limit * 10)) ] && break
    sleep 0.1
  done
  not_ok "$name"; echo "# $name: expected [$want] got [$got]" >&2; return 1
}
