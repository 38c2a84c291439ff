#!/usr/bin/env bash
# Runs the test suites and ends with one line: "N passed, N failed[, N skipped]".
#
#   tests/run.sh [BUILD_DIR] [PATTERN]
#
# PATTERN (a regex) runs only the suites whose name matches, e.g. `tests/run.sh build batch`
# or `tests/run.sh build '^test_'` (the unit tests). Suite names are the unit test programs
# (test_codify), the integration scripts (batch) and the TUI scripts (tui_review).
#
# Suites run in parallel, MINCA_TEST_JOBS at a time (default: the number of cores), the
# longest first: the times of the last run are kept in BUILD_DIR/test-times (before any run,
# tests/suite-times). Each suite writes to its own files in the output directory named at
# the end. Unit tests are cmocka programs (TAP output) and run without servers. Integration
# and TUI tests are shell scripts that print TAP lines through tests/lib.sh; those that need
# them share one pair of throwaway PostgreSQL and Redis servers started here (only when a
# chosen suite needs them), each suite on a database of its own (MINCA_DATABASE_URL) and a
# Redis database number of its own, emptied before it starts (MINCA_REDIS_URL ...?db=N), with
# a MINCA_HOME of its own for logs and exports. A script says in its head comment:
#
#   # runner: no-servers   it needs none of the shared servers (it starts its own, or none)
#   # runner: serial       it cannot run beside other suites: it runs alone, after the others
#
# After each suite, a process it started that is still running (a server, a stub, a worker)
# is stopped and counted as a failed test; at the end so is any process of the run.
# MINCA_TEST_SKIP_TUI=1 leaves out the TUI suites.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
ONLY=${2:-}
wanted() { [ -z "$ONLY" ] || [[ "$1" =~ $ONLY ]]; }
case "$BUILD" in /*) export MINCA_BIN="$BUILD/minca" ;; *) export MINCA_BIN="$PWD/$BUILD/minca" ;; esac
export MINCA_SRC="$PWD"
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
OUT=$(mktemp -d /tmp/minca-test.XXXXXX)
chmod 755 "$OUT"
mkdir -p "$OUT/w"
# Every process of this run inherits MINCA_TEST_RUN, and each suite's MINCA_TEST_SUITE: that
# is how what a suite left running is found.
export MINCA_TEST_OUT="$OUT" MINCA_TEST_RUN="$OUT"
PY=$(command -v /usr/bin/python3 || command -v python3)
LEFTOVERS="$PWD/tests/tools/leftovers.py"

# Redis has databases 0..15: suites running at once each use one of 1..15.
MAX_JOBS=15
JOBS=${MINCA_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
if ! [[ "$JOBS" =~ ^[0-9]+$ ]] || [ "$JOBS" -lt 1 ]; then
  echo "MINCA_TEST_JOBS must be a whole number of at least 1 (got '$JOBS')"; echo "0 passed, 1 failed"; exit 1
fi
[ "$JOBS" -gt "$MAX_JOBS" ] && JOBS=$MAX_JOBS

# ---- the suites -----------------------------------------------------------------------------
names=()               # in the order they are reported
declare -A CMD KIND LIMIT SERVERS SERIAL
# runner_tag FILE WORD: the script's head comment has "# runner: ... WORD".
runner_tag() { sed -n '1,30{/^# runner:/p}' "$1" | grep -qw -- "$2"; }
# An AddressSanitizer build runs several times slower: its suites get twice the time.
case "$BUILD" in *asan*) LIMIT_SCALE=2 ;; *) LIMIT_SCALE=1 ;; esac
add_suite() { # NAME KIND TIMEOUT_SECONDS COMMAND
  names+=("$1"); KIND[$1]=$2; LIMIT[$1]=$(($3 * LIMIT_SCALE)); CMD[$1]=$4
  SERVERS[$1]=0; SERIAL[$1]=0
  if [ "$2" != unit ]; then
    runner_tag "$4" no-servers || SERVERS[$1]=1
    runner_tag "$4" serial && SERIAL[$1]=1
  fi
}
# Timeouts only stop a suite that hangs: they are generous, since on a machine shared with
# other work a CPU-heavy suite beside another (docs_inbox) has taken over 900 s.
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] && [ -f "$t" ] || continue
  case "$t" in *.d) continue ;; esac
  name=$(basename "$t"); wanted "$name" && add_suite "$name" unit 600 "$t"
done
for t in tests/integration/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh); wanted "$name" && add_suite "$name" integration 1800 "$t"
done
if [ -z "${MINCA_TEST_SKIP_TUI:-}" ]; then
  for t in tests/tui/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh); wanted "$name" && add_suite "$name" tui 900 "$t"
  done
fi
if [ ${#names[@]} -eq 0 ]; then
  rm -rf "$OUT"
  echo "no suite matches '$ONLY'"; echo "0 passed, 1 failed"; exit 1
fi

# Longest first: the shipped times, overridden by those measured in this build directory. A
# suite never timed counts as long, so it starts early.
declare -A SECS
for f in tests/suite-times "$BUILD/test-times"; do
  [ -f "$f" ] || continue
  while read -r n s _; do [[ "$s" =~ ^[0-9]+$ ]] && SECS[$n]=$s; done <"$f"
done
pool=() serial=()
while read -r _ n; do
  if [ "${SERIAL[$n]}" = 1 ]; then serial+=("$n"); else pool+=("$n"); fi
done < <(for n in "${names[@]}"; do echo "${SECS[$n]:-9999} $n"; done | sort -k1,1nr -k2,2)

# ---- servers --------------------------------------------------------------------------------
servers_started=0
start_servers() {
  export MINCA_HOME="$OUT/home"
  unset MINCA_DATABASE_URL MINCA_REDIS_URL
  # A throwaway cluster under the temporary directory: no fsync (MINCA_PG_FAST).
  if ! MINCA_PG_FAST=1 "$MINCA_BIN" db start >"$OUT/db-start.log" 2>&1; then
    echo "could not start the throwaway servers:"; cat "$OUT/db-start.log"
    return 1
  fi
  servers_started=1
  eval "$("$MINCA_BIN" db url --shell)"
  BASE_DATABASE_URL=$MINCA_DATABASE_URL BASE_REDIS_URL=$MINCA_REDIS_URL
  REDIS_SOCK=${BASE_REDIS_URL#unix://}; REDIS_SOCK=${REDIS_SOCK%%\?*}
  unset MINCA_DATABASE_URL MINCA_REDIS_URL
}
# servers_cpu: the CPU seconds the shared servers used (PostgreSQL with its backends, Redis),
# which a timing of the run does not include: they are not its children.
servers_cpu() {
  local pg redis hz
  pg=$(head -1 "$OUT/home/pg/data/postmaster.pid" 2>/dev/null); redis=$(cat "$OUT/home/run/redis.pid" 2>/dev/null)
  hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
  awk -v hz="$hz" '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); t += f[12] + f[13] + f[14] + f[15] }
    END { printf "%.0f", t / hz }' "/proc/${pg:-0}/stat" "/proc/${redis:-0}/stat" 2>/dev/null
}
stop_servers() {
  [ "$servers_started" = 1 ] || return 0
  (unset MINCA_DATABASE_URL MINCA_REDIS_URL; MINCA_HOME="$OUT/home" "$MINCA_BIN" db stop >/dev/null 2>&1)
  servers_started=0
}
on_exit() {
  # Interrupted: the suites still running (in process groups of their own, under timeout)
  # and all they started are stopped, then the servers.
  if [ -n "$(jobs -p)" ]; then
    "$PY" "$LEFTOVERS" --kill --env "MINCA_TEST_RUN=$OUT" >/dev/null 2>&1
    wait 2>/dev/null
  fi
  stop_servers
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need_servers=0
for n in "${names[@]}"; do [ "${SERVERS[$n]}" = 1 ] && need_servers=1; done
if [ "$need_servers" = 1 ]; then
  echo "== servers"
  start_servers || { echo "0 passed, 1 failed"; exit 1; }
  echo "  PostgreSQL and Redis running under $OUT/home"
fi

# ---- one suite ------------------------------------------------------------------------------
# run_suite NAME SLOT: runs in the background (its own process group); writes NAME.out,
# NAME.err, NAME.rc, NAME.secs and NAME.left (what it left running) in $OUT.
run_suite() {
  local name=$1 slot=$2 dir="$OUT/w/$1" t0=$SECONDS rc
  mkdir -p "$dir/home"
  export MINCA_TEST_SUITE="$name" MINCA_TEST_DIR="$dir" MINCA_HOME="$dir/home"
  unset MINCA_DATABASE_URL MINCA_REDIS_URL MINCA_TEST_DATABASE_URL MINCA_TEST_REDIS_URL
  if [ "${SERVERS[$name]}" = 1 ]; then
    local db="suite_${name}"
    psql "$BASE_DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >"$dir/db.log" 2>&1 ||
      echo "not ok 1 - $name: could not create its database $db: $(cat "$dir/db.log")" >>"$OUT/$name.setup"
    redis-cli -s "$REDIS_SOCK" -n "$slot" FLUSHDB >>"$dir/db.log" 2>&1
    MINCA_DATABASE_URL=$(printf '%s' "$BASE_DATABASE_URL" | sed -E "s|^([a-z]+://[^/]*/)[^?]*|\1$db|")
    MINCA_REDIS_URL="unix://$REDIS_SOCK?db=$slot"
    export MINCA_DATABASE_URL MINCA_REDIS_URL
    export MINCA_TEST_DATABASE_URL="$MINCA_DATABASE_URL" MINCA_TEST_REDIS_URL="$MINCA_REDIS_URL"
  fi
  # The suite's own CPU time (user + sys of it and what it waited for) beside its wall time:
  # a suite that mostly waits shows a small share.
  local TIMEFORMAT='%U %S'
  { time {
    case "${KIND[$name]}" in
      unit) CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 30 "${LIMIT[$name]}" "${CMD[$name]}" >"$OUT/$name.out" 2>"$OUT/$name.err" ;;
      *) timeout -k 30 "${LIMIT[$name]}" bash "${CMD[$name]}" >"$OUT/$name.out" 2>"$OUT/$name.err" ;;
    esac
  } ; } 2>"$OUT/$name.cpu"
  rc=$?
  # Whatever the suite started and left running: stopped, and reported. tests/lib.sh keeps
  # each script's record of the servers it started in $dir/*.pids.
  local pids=() f
  for f in "$dir"/*.pids; do [ -f "$f" ] && pids+=(--pids "$f"); done
  "$PY" "$LEFTOVERS" --kill --env "MINCA_TEST_RUN=$OUT" --env "MINCA_TEST_SUITE=$name" --under "$dir" "${pids[@]}" >"$OUT/$name.left" 2>&1
  [ "${SERVERS[$name]}" = 1 ] &&
    psql "$BASE_DATABASE_URL" -X -q -c "DROP DATABASE IF EXISTS suite_${name} WITH (FORCE)" >/dev/null 2>&1
  echo "$rc" >"$OUT/$name.rc"
  echo $((SECONDS - t0)) >"$OUT/$name.secs"
  [ -z "${MINCA_TEST_KEEP:-}" ] && rm -rf "$dir"
  return 0
}

# ---- the pool -------------------------------------------------------------------------------
declare -A SLOT_OF    # pid -> slot
free_slots=()
for ((s = 1; s <= JOBS; s++)); do free_slots+=("$s"); done
started=0 finished=0 total=$(( ${#pool[@]} + ${#serial[@]} ))
progress() { # NAME
  finished=$((finished + 1))
  local rc; rc=$(cat "$OUT/$1.rc" 2>/dev/null || echo '?')
  local cpu; cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$OUT/$1.cpu" 2>/dev/null)
  printf '  [%d/%d] %-24s %4ss  (CPU %ss)%s\n' "$finished" "$total" "$1" "$(cat "$OUT/$1.secs" 2>/dev/null)" "${cpu:-?}" \
    "$([ "$rc" = 0 ] && [ ! -s "$OUT/$1.left" ] || echo '  FAILED')"
}
declare -A NAME_OF    # pid -> suite
reap_one() {
  local pid
  wait -n -p pid 2>/dev/null
  [ -n "${pid:-}" ] || return 1
  free_slots+=("${SLOT_OF[$pid]}")
  progress "${NAME_OF[$pid]}"
  unset "SLOT_OF[$pid]" "NAME_OF[$pid]"
}
echo "== ${#pool[@]} suites, $JOBS at a time$([ ${#serial[@]} -gt 0 ] && echo ", then ${#serial[@]} alone")"
for n in "${pool[@]}"; do
  while [ ${#free_slots[@]} -eq 0 ]; do reap_one || break; done
  slot=${free_slots[0]}; free_slots=("${free_slots[@]:1}")
  run_suite "$n" "$slot" &
  SLOT_OF[$!]=$slot NAME_OF[$!]=$n
done
while [ ${#SLOT_OF[@]} -gt 0 ]; do reap_one || break; done
for n in "${serial[@]}"; do
  run_suite "$n" 1 &
  SLOT_OF[$!]=1 NAME_OF[$!]=$n
  reap_one
done

# ---- the count, in the usual order ----------------------------------------------------------
passed=0 failed=0 skipped=0
failures=()
count() { # count TAP lines of one suite's output file; $1 = suite name, $2 = file, $3 = exit status
  local name=$1 file=$2 rc=$3 p f s
  [ -f "$OUT/$name.setup" ] && cat "$OUT/$name.setup" >>"$file"
  # cmocka reports a skipped test as "not ok N # SKIP": a skip either way.
  p=$(grep -cE '^ok [0-9]+' "$file" | head -1)
  s=$(grep -cE '^(not )?ok [0-9]+.*# (SKIP|skip)' "$file" | head -1)
  f=$(grep -E '^not ok [0-9]+' "$file" | grep -cvE '# (SKIP|skip)' | head -1)
  p=$((p - $(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$file" | head -1)))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "not ok - $name exited with status $rc" >>"$file"
  fi
  if [ $((p + f + s)) -eq 0 ]; then f=1; echo "not ok - $name ran no test" >>"$file"; fi
  if [ -s "$OUT/$name.left" ]; then
    f=$((f + 1))
    echo "not ok - $name left processes running (stopped now): $(tr '\n' ';' <"$OUT/$name.left")" >>"$file"
  fi
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  grep -E '^(not ok|ok)' "$file" | sed "s|^|  [$name] |"
  [ "$f" -gt 0 ] && failures+=("$name")
}
for kind in unit integration tui; do
  header=0
  for n in "${names[@]}"; do
    [ "${KIND[$n]}" = "$kind" ] || continue
    if [ "$header" = 0 ]; then
      case $kind in
        unit) echo "== unit and integration (C)" ;;
        integration) echo "== integration (shell)" ;;
        tui) echo "== tui (tmux)" ;;
      esac
      header=1
    fi
    rc=$(cat "$OUT/$n.rc" 2>/dev/null || echo 1)
    touch "$OUT/$n.out"
    count "$n" "$OUT/$n.out" "$rc"
  done
done

# Times for the next run's order.
{
  for n in "${names[@]}"; do [ -f "$OUT/$n.secs" ] && echo "$n $(cat "$OUT/$n.secs")"; done
  if [ -f "$BUILD/test-times" ]; then cat "$BUILD/test-times"; fi
} | awk '!seen[$1]++' | sort >"$OUT/times" && cp "$OUT/times" "$BUILD/test-times" 2>/dev/null

# Nothing of the run may outlive it: the servers are stopped, then any process still carrying
# the run's mark or running under its directory is a failure (and is stopped).
[ "$servers_started" = 1 ] && echo "  (the shared PostgreSQL and Redis used $(servers_cpu) s of CPU)"
stop_servers
left=$("$PY" "$LEFTOVERS" --kill --env "MINCA_TEST_RUN=$OUT" --under "$OUT" 2>&1)
if [ -n "$left" ]; then
  failed=$((failed + 1)); failures+=("(run)")
  echo "  [run] not ok - processes of the run still alive after it (stopped now): $(printf '%s' "$left" | tr '\n' ';')"
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "Failed suites (output under $OUT):"
  for f in "${failures[@]}"; do
    [ "$f" = "(run)" ] && continue
    echo "--- $f"; tail -n 30 "$OUT/$f.err" 2>/dev/null
  done
fi
echo
echo "Output of every suite: $OUT/NAME.out (stderr in NAME.err)"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
