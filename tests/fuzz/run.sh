#!/usr/bin/env bash
# Builds every tests/fuzz/fuzz_*.c as a libFuzzer binary (clang, -fsanitize=fuzzer,address,
# undefined) against the library sources and runs each for a while.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     (default 30 seconds each, every target)
#
# Seeds come from tests/fuzz/make_corpus.py (regenerated each run into tests/fuzz/corpus/);
# new inputs go to $FUZZ_WORK/<target>/corpus (default /tmp/minca-fuzz), crashes to
# $FUZZ_WORK/<target>/. Ends with one line per target and a non-zero status on a finding.
set -uo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-30}
shift || true
WORK=${FUZZ_WORK:-/tmp/minca-fuzz}
OUT=$WORK/build
JOBS=${FUZZ_JOBS:-2}
PKGS="libzip libxml-2.0 freexl poppler-glib yaml-0.1 jansson glib-2.0 gmime-3.0 libpq hiredis libcurl ncursesw xlsxwriter pangocairo libmicrohttpd libytnef tesseract lept libgsf-1"

if ! command -v clang >/dev/null; then
  echo "fuzz: installing clang"
  apt-get install -y clang libclang-rt-14-dev >/dev/null || { echo "fuzz: clang is required"; exit 1; }
fi
avail=""
for p in $PKGS; do pkg-config --exists "$p" && avail="$avail $p"; done
CFLAGS="-g -O1 -std=c17 -D_GNU_SOURCE -Iinclude -fno-omit-frame-pointer $(pkg-config --cflags $avail)"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
LIBS="$(pkg-config --libs $avail) -lpthread -lm"
mkdir -p "$OUT/obj"
# Leaks inside the libraries themselves, known and bounded (each one says why there).
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# Library: every module except the CLI, compiled with fuzzer instrumentation. A module that
# does not compile is reported and left out; a target needing it then fails to link.
objs=()
for src in src/*/*.c; do
  case "$src" in src/cli/*) continue ;; esac
  obj="$OUT/obj/$(echo "${src%.c}" | tr / _).o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find include src -name '*.h' -newer "$obj" -print -quit)" ]; then
    if ! clang $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log"; then
      echo "fuzz: $src does not compile with clang, left out (see $obj.log)"
      rm -f "$obj"
      continue
    fi
  fi
  objs+=("$obj")
done
rm -f "$OUT/libminca-fuzz.a"
ar rcs "$OUT/libminca-fuzz.a" "${objs[@]}"

python3 tests/fuzz/make_corpus.py tests/fuzz/corpus >/dev/null || echo "fuzz: seed corpus not generated"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi
status=0
summary=()
for t in "${targets[@]}"; do
  src=tests/fuzz/fuzz_$t.c
  bin=$OUT/fuzz_$t
  if ! clang $CFLAGS $SAN -fsanitize=fuzzer "$src" "$OUT/libminca-fuzz.a" $LIBS -o "$bin" 2>"$bin.log"; then
    echo "fuzz: $t does not build:"; tail -n 5 "$bin.log"
    summary+=("$t: BUILD FAILED"); status=1; continue
  fi
  mkdir -p "$WORK/$t/corpus"
  seeds=()
  [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  echo "== fuzz_$t for ${SECS}s"
  log=$WORK/$t/run.log
  # The .msg reader's allocations go through libgsf and GLib, which have no frame pointers:
  # its stacks are unwound whole, so the suppression of libgsf's own leak (tests/lsan.supp)
  # sees the function's name. (Whole unwinding slows every allocation: the others keep the
  # fast one, or Tesseract in the PDF target would run past the timeout.)
  unwind=
  [ "$t" = msg ] && unwind=fast_unwind_on_malloc=0
  ASAN_OPTIONS="${unwind}${ASAN_OPTIONS:+${unwind:+:}$ASAN_OPTIONS}" \
  "$bin" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$WORK/$t/" "$WORK/$t/corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}')
  cov=$(grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
  if [ $rc -eq 0 ]; then
    contained=$(grep -c '^SUMMARY: AddressSanitizer' "$log")
    note=""
    # The XLS parser (libfreexl) runs in a forked child; its own memory errors are reported by
    # the sanitizer in that child and turned into a readable error by the parent.
    [ "$contained" -gt 0 ] && note=" ($contained sanitizer reports inside the isolated parser child, contained: $(grep '^SUMMARY: AddressSanitizer' "$log" | sed -E 's/.*AddressSanitizer: ([a-z-]+).* in (.*)/\1 in \2/' | sort -u | tr '\n' ';'))"
    summary+=("$t: ok, ${execs:-?} runs in ${SECS}s, coverage ${cov:-?} edges, no finding$note")
  else
    summary+=("$t: FINDING (exit $rc), see $log and $WORK/$t/crash-*")
    grep -E 'ERROR|SUMMARY' "$log" | head -n 5
    status=1
  fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
