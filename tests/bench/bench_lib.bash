# Shared set-up of the shell benchmarks (sourced): a scratch directory, a database of their own
# in the bench servers' cluster (dropped on exit), and for the desk benchmarks a private tmux
# server with the real binary in a session.
#
#   bench_begin NAME        TMP, ADMIN_URL, DB; MINCA_DATABASE_URL points at the new database;
#                           the EXIT trap runs bench_cleanup_hook (if defined), then drops them
#   q SQL                   runs SQL against it, unaligned tuples, stops at the first error
#   desk NAME TIMING [VAR=VALUE...]
#                           starts the desk in a 100x30 tmux session, timing into TIMING
#   screen NAME / wait_for NAME REGEX [TRIES]
BENCH_NAME=bench
bench_begin() {
  BENCH_NAME=$1
  TMP=$(mktemp -d "/tmp/minca-$BENCH_NAME.XXXXXX")
  chmod 755 "$TMP"
  ADMIN_URL=$MINCA_DATABASE_URL
  DB=${BENCH_NAME}_$$
  SOCK="minca-$BENCH_NAME-$$"
  trap bench_cleanup EXIT
  psql "$ADMIN_URL" -X -q -c "CREATE DATABASE $DB" >/dev/null || { echo "$BENCH_NAME: cannot create a database"; exit 1; }
  MINCA_DATABASE_URL=$(printf '%s' "$ADMIN_URL" | sed -E "s#^(postgres[a-z]*://[^/?]*)/[^?]*#\1/$DB#")
  export MINCA_DATABASE_URL LC_ALL=C.UTF-8 LANG=C.UTF-8
}
bench_cleanup() {
  if declare -F bench_cleanup_hook >/dev/null; then bench_cleanup_hook; fi
  TM kill-server >/dev/null 2>&1
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
  if [ -n "${MINCA_BENCH_KEEP:-}" ]; then echo "$BENCH_NAME: database $DB kept"
  else psql "$ADMIN_URL" -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; fi
  rm -rf "$TMP"
}
q() { psql "$MINCA_DATABASE_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }

TM() { tmux -L "$SOCK" -f /dev/null "$@"; }
screen() { TM capture-pane -p -t "$1"; }
wait_for() {
  local i=0 tries=${3:-600}
  until screen "$1" | grep -qE -- "$2"; do
    i=$((i + 1)); [ $i -ge "$tries" ] && { echo "$BENCH_NAME: timeout waiting for [$2]"; screen "$1"; return 1; }
    sleep 0.05
  done
}
# The desk without its own engine, polling rarely, so only the keys sent cost time.
desk() {
  local name=$1 timing=$2; shift 2
  TM new-session -d -s "$name" -x 100 -y 30 \
    "env MINCA_HOME='$MINCA_HOME' MINCA_DATABASE_URL='$MINCA_DATABASE_URL' MINCA_REDIS_URL='${MINCA_REDIS_URL:-}' \
     MINCA_CONFIG='${CONFIG:-/dev/null}' MINCA_INSURER=demo MINCA_USER=bench MINCA_TUI_ENGINE=0 MINCA_TUI_POLL=600 \
     MINCA_TUI_TIMING='$timing' LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color $* '$MINCA'; sleep 60"
}
