#!/usr/bin/env bash
# Every command answers an unknown option, or an option given without its value, with the
# reason, its usage and exit status 2, before it does anything: the commands are walked from
# `minca help`, each form of a command (the words after `minca NAME` in its usage) with
# `--bogus` and with each option its help names with a value, left without it. The database
# and Redis named are out of reach, so a command that went on instead of refusing fails.
# runner: no-servers (nothing is reached)
source "$(dirname "$0")/../lib.sh"

export MINCA_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none" MINCA_REDIS_URL="redis://127.0.0.1:1"
export MINCA_HOME="$T_TMP/home" MINCA_INSURER=demo
mkdir -p "$MINCA_HOME"
out=$(python3 - "$MINCA" <<'PYEOF'
import re, subprocess, sys
minca = sys.argv[1]
def run(args):
    try:
        p = subprocess.run([minca] + args, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        return p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        return "timeout", ""
top = subprocess.run([minca, "help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z]+) ", top.split("commands:")[1].split("options:")[0], re.M)
print("commands %d" % len(cmds))
for c in cmds:
    usage = subprocess.run([minca, "help", c], capture_output=True, text=True).stdout
    valued = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)[ =](?:[A-Z]|[a-z][a-z0-9-]*\|)", usage))
    forms = {()}
    for line in usage.splitlines():
        m = re.match(r"\s*(?:usage:)?\s*minca\s+%s\b(.*)" % c, line)
        if not m:
            continue
        lead = []
        for w in m.group(1).split():
            if not re.fullmatch(r"[a-z][a-z-]*", w):
                break
            lead.append(w)
        forms.add(tuple(lead))
    for lead in sorted(forms):
        for opt in ["--bogus"] + sorted(valued):
            args = [c] + list(lead) + [opt]
            rc, err = run(args)
            first = err.strip().splitlines()[0] if err.strip() else ""
            if rc == 2 and "usage:" in err and ("unknown option" in first or "needs a value" in first or opt == "--bogus"):
                print("ok minca %s exits 2 with the usage" % " ".join(args))
            else:
                print("not ok minca %s: status %s, %s" % (" ".join(args), rc, first[:100]))
PYEOF
)
while IFS= read -r line; do
  case "$line" in
    "ok "*) ok "${line#ok }" ;;
    "not ok "*) not_ok "${line#not ok }" ;;
    "commands "*) n=${line#commands }; [ "$n" -ge 20 ] && ok "minca help lists the commands ($n)" || not_ok "minca help lists the commands ($n)" ;;
  esac
done <<<"$out"
err=$("$MINCA" case show --bogus 2>&1 >/dev/null); rc=$?
check_eq "case show --bogus exits 2" 2 "$rc"
check_match "naming the option" "unknown option '--bogus'" "$err"
err=$("$MINCA" report --since 2>&1 >/dev/null); rc=$?
check_eq "report --since without a date exits 2" 2 "$rc"
check_match "saying it needs a value" "option '--since' needs a value" "$err"
check_match "with the usage" "usage: minca report" "$err"
finish
