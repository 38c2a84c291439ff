#!/usr/bin/env bash
# One poll of 1,000 broker emails (with a CSV fleet attachment each) from a local Dovecot over
# IMAP + STARTTLS, beside the same messages read from a Maildir by the same poller in the same
# run. Both store every message (raw blob, source record, ingest job, cursor: one transaction
# each) and leave the pipeline to workers (--no-process), so the difference is the source.
set -uo pipefail
cd "$(dirname "$0")/../.."
MINCA=${MINCA_BIN:-$PWD/build/minca}
N=${MINCA_BENCH_INTAKE_N:-1000}
source tests/tools/dovecot.bash
T=$(mktemp -d /tmp/minca-bench-intake.XXXXXX)
chmod 755 "$T"
trap 'dovecot_stop "$T/dovecot"; rm -rf "$T"' EXIT
if ! dovecot_start "$T/dovecot" 2>"$T/dovecot.err"; then
  echo "intake_poll: skipped: Dovecot cannot run here: $(cat "$T/dovecot.err")"
  exit 0
fi
python3 tests/tools/gen_emails.py "$N" "$T/gen" --rows 5 --prefix bench-intake >/dev/null
mkdir -p "$T/maildir/cur" "$T/maildir/new" "$T/maildir/tmp"
i=0
for f in "$T"/gen/*.eml; do
  i=$((i + 1))
  cp "$f" "$T/maildir/new/$i.bench"
  dovecot_deliver "$f" "$i.bench"
done
bytes=$(du -sb "$T/maildir/new" | cut -f1)
export MINCA_BENCH_IMAP_PASSWORD="$DOVECOT_PASS"
cat >"$T/config.yaml" <<CONF
sources:
  bench-imap:
    kind: imap
    insurer: bench-imap
    url: imap://127.0.0.1:$DOVECOT_PORT/INBOX
    user: $DOVECOT_USER
    password_env: MINCA_BENCH_IMAP_PASSWORD
    ca_file: $DOVECOT_CA
  bench-maildir:
    kind: maildir
    insurer: bench-maildir
    path: $T/maildir
CONF
export MINCA_CONFIG="$T/config.yaml"
"$MINCA" db migrate >/dev/null 2>&1
run() { # run SOURCE: seconds of one poll
  local t0 t1
  t0=$(date +%s.%N)
  "$MINCA" intake run --once --no-process --source "$1" >"$T/$1.out" 2>&1 || { echo "intake_poll: $1 failed: $(cat "$T/$1.out")" >&2; return 1; }
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.3f}')"
}
s_md=$(run bench-maildir) || exit 1
s_imap=$(run bench-imap) || exit 1
n_md=$(grep -oE '^bench-maildir: [0-9]+' "$T/bench-maildir.out" | grep -oE '[0-9]+$')
n_imap=$(grep -oE '^bench-imap: [0-9]+' "$T/bench-imap.out" | grep -oE '[0-9]+$')
python3 - "$N" "$bytes" "$s_md" "$n_md" "$s_imap" "$n_imap" <<'PY'
import sys
n, size, s_md, n_md, s_imap, n_imap = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
mb = size / 1e6
print(f"  {n} messages, {mb:.1f} MB")
print(f"  maildir (baseline)  {n_md:5d} stored in {s_md:6.2f} s  {n_md / s_md:7.0f} msg/s  {mb / s_md:6.1f} MB/s")
print(f"  imap (Dovecot, TLS) {n_imap:5d} stored in {s_imap:6.2f} s  {n_imap / s_imap:7.0f} msg/s  {mb / s_imap:6.1f} MB/s  ({s_imap / s_md:.2f}x the Maildir time)")
if n_md != n or n_imap != n:
    print("  MISMATCH: not every message was stored"); sys.exit(1)
PY
