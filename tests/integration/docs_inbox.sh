#!/usr/bin/env bash
# Extraction agreement on the labelled inbox (shared/data/inbox_dev): every fleet attachment
# (and the HTML body of messages whose vehicle table is in the body) goes through
# `minca profile test`, once recognising the broker among profiles/ by sender domain and once
# with automatic mapping only; rows are compared with labels.json field by field and the
# agreement is printed (all lists, and the PDF list on its own). A third mode ("stranger")
# plays a broker Minca has never seen: the sender's domain is in no profile and the broker's own
# profile is withdrawn, so a profile of another broker whose headers look alike may be
# recognised; it must hide no column. Corrupt and disguised
# attachments must give readable errors / be read; the PDF list is read from its text layer.
source "$(dirname "$0")/../lib.sh"

INBOX="$SHARED/data/inbox_dev"
if [ ! -f "$INBOX/labels.json" ]; then
  skip "inbox agreement" "shared data not found at $SHARED (set MINCA_SHARED)"
  finish; exit $?
fi
PY=$(command -v python3 || true)
if [ -z "$PY" ]; then
  skip "inbox agreement" "python3 not installed"
  finish; exit $?
fi

run_mode() { # run_mode MODE OUTFILE
  "$PY" - "$INBOX" "$T_TMP/$1" "$MINCA" "$SRC/profiles" "$1" >"$2" <<'PYEOF'
import email, json, os, re, subprocess, sys, unicodedata
from email import policy

inbox, work, minca, profiles, mode = sys.argv[1:6]
os.makedirs(work, exist_ok=True)
labels = json.load(open(os.path.join(inbox, "labels.json"), encoding="utf-8"))

def attachments(msg):
    for part in msg.walk():
        fn = part.get_filename()
        if fn and not part.is_multipart():
            yield fn, part.get_payload(decode=True)

def html_body(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            return part.get_content()
    return None

def fold(s):
    s = unicodedata.normalize("NFD", str(s)); s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", s).strip().upper()

def others_dir(domain):
    """profiles/ without the broker's own profile (the one naming its sender domain)."""
    d = os.path.join(work, "others-" + domain)
    if not os.path.isdir(d):
        os.makedirs(d)
        for fn in os.listdir(profiles):
            text = open(os.path.join(profiles, fn), encoding="utf-8").read()
            if fn.endswith(".yaml") and domain not in text:
                open(os.path.join(d, fn), "w", encoding="utf-8").write(text)
    return d

def run(path, domain):
    env = dict(os.environ, MINCA_PROFILES=profiles)
    name = "auto"
    args = [minca, "profile", "test", name, path, "--json"]
    if mode == "profiles":
        args += ["--domain", domain]
    if mode == "stranger":
        env["MINCA_PROFILES"] = others_dir(domain)
        args += ["--domain", "corredor-nuevo.example.mx"]
    p = subprocess.run(args, capture_output=True, env=env)
    out = p.stdout.decode("utf-8", "replace")
    try:
        return json.loads(out), p.stderr.decode("utf-8", "replace").strip()
    except ValueError:
        return None, p.stderr.decode("utf-8", "replace").strip()

fields = ["count", "year", "vin", "description", "plate", "insured_value", "coverage", "use",
          "motor", "sheet", "row"]
agree = {f: 0 for f in fields}; total = {f: 0 for f in fields}
pagree = {f: 0 for f in fields}; ptotal = {f: 0 for f in fields}   # PDF lists only
lists_ok = lists = 0
checks = []       # (name, ok, detail)
per_msg = []
for m in labels:
    msg = email.message_from_binary_file(open(os.path.join(inbox, m["file"]), "rb"), policy=policy.default)
    by_src = {}
    for v in m["vehicles"]:
        by_src.setdefault(v["source"]["attachment"], []).append(v)
    atts = dict(attachments(msg))
    for a in m["attachments"]:
        if a["role"] != "fleet_list": continue
        by_src.setdefault(a["filename"], [])
    for src, vs in by_src.items():
        fmt = vs[0]["source"]["format"] if vs else None
        if src is None:                      # vehicle table in the HTML body: read as HTML
            path = os.path.join(work, m["file"] + ".body.html")
            with open(path, "w", encoding="utf-8") as f:
                f.write(html_body(msg) or "")
            label = "html body"
        else:
            data = atts.get(src)
            if data is None:
                checks.append(("%s: attachment %s present" % (m["file"], src), False, "not found in the message")); continue
            path = os.path.join(work, m["file"] + "__" + re.sub(r"[^\w.-]", "_", src))
            open(path, "wb").write(data)
            label = src
        res, errtext = run(path, m["broker_domain"])
        exp_err = m.get("expect_error")
        if exp_err and exp_err.get("attachment") == src and exp_err["kind"] == "corrupt_xlsx_truncated_zip":
            ok = res is not None and "error" in res and "truncated" in res["error"]
            checks.append(("%s: truncated xlsx gives a readable error" % m["file"], ok, errtext))
            per_msg.append((m["file"], label, 0, 0, "error: " + errtext[:90]))
            continue
        if fmt == "pdf":
            ok = res is not None and "error" not in res and res.get("report", {}).get("format") == "pdf"
            checks.append(("%s: PDF fleet list read from its text layer" % m["file"], ok, errtext))
        rows = (res or {}).get("rows", []) if res and "error" not in res else []
        rep = (res or {}).get("report", {})
        total["count"] += 1; lists += 1
        if fmt == "pdf": ptotal["count"] += 1
        if len(rows) == len(vs):
            agree["count"] += 1; lists_ok += 1
            if fmt == "pdf": pagree["count"] += 1
        if exp_err and exp_err["kind"] == "xlsx_is_csv":
            checks.append(("%s: .xlsx that is really CSV read by sniffing" % m["file"],
                           rep.get("format") == "csv" and len(rows) == len(vs), "format %s, %d rows" % (rep.get("format"), len(rows))))
        for i, v in enumerate(vs):
            r = rows[i] if i < len(rows) else {}
            def cmp(f, ok):
                total[f] += 1
                if ok: agree[f] += 1
                if fmt == "pdf":
                    ptotal[f] += 1
                    if ok: pagree[f] += 1
            cmp("year", r.get("year") == v["year"])
            lv = v["vin"].replace(" ", "").replace("-", "").upper() if v["vin"] else None
            cmp("vin", r.get("vin") == lv)
            cmp("description", re.sub(r"\s+", " ", v["description_raw"] or "").strip() == (r.get("description") or ""))
            cmp("plate", (v["plate"] or None) == (r.get("plates") or None))
            iv = v["insured_value"]; ov = r.get("insured_amount")
            cmp("insured_value", (iv is None and ov is None) or (iv is not None and ov is not None and abs(iv - ov) < 0.01))
            cmp("coverage", (v["coverage"] is None and not r.get("coverage")) or (v["coverage"] is not None and fold(r.get("coverage") or "") == fold(v["coverage"])))
            cmp("use", (v["uso"] is None and not r.get("use")) or (v["uso"] is not None and fold(r.get("use") or "") == fold(v["uso"])))
            cmp("motor", (v["motor"] or None) == (r.get("engine_number") or None))
            s = v["source"]
            cmp("sheet", s.get("sheet") == r.get("sheet"))
            cmp("row", (s.get("row") or s.get("line") or s.get("tr")) == r.get("row"))
        how = rep.get("profile") or ("auto" if res and "error" not in res else (errtext[:90] if errtext else "-"))
        if rep.get("resembles"):
            how = "resembles " + rep["resembles"]
        per_msg.append((m["file"], label, len(vs), len(rows), how))

if mode == "profiles":
    readable = [x for x in per_msg if not x[4].startswith(("error", "minca"))]
    unrec = [x[0] for x in readable if x[4] == "auto"]
    checks.append(("broker profile recognised by sender domain for all %d readable lists" % len(readable),
                   not unrec, "automatic mapping used for " + ", ".join(unrec)))
print("# mode: %s" % mode)
for f, label, want, got, how in per_msg:
    print("#   %-12s %-45s labels %4d  extracted %4d  %s" % (f, label[:45], want, got, how))
print("# per-field agreement (%s): all labelled vehicles | the PDF list alone" % mode)
for f in fields:
    unit = "lists" if f == "count" else "vehicles"
    pct = 100.0 * agree[f] / total[f] if total[f] else 0
    ppct = 100.0 * pagree[f] / ptotal[f] if ptotal[f] else 0
    print("#   %-14s %4d / %4d %-8s %6.2f%%  | %4d / %4d %6.2f%%" % (f, agree[f], total[f], unit, pct, pagree[f], ptotal[f], ppct))
print(json.dumps({"agree": agree, "total": total, "pagree": pagree, "ptotal": ptotal, "checks": checks}))
PYEOF
}

for mode in profiles auto stranger; do
  if ! run_mode "$mode" "$T_TMP/$mode.out"; then
    not_ok "$mode: agreement script ran"; continue
  fi
  grep '^#' "$T_TMP/$mode.out"
  summary=$(tail -n 1 "$T_TMP/$mode.out")
  pct() { "$PY" -c "import json,sys; d=json.loads(sys.argv[1]); a=d[sys.argv[3]][sys.argv[2]]; t=d[sys.argv[4]][sys.argv[2]]; print(int(10000*a/t) if t else 0)" "$summary" "$1" "$2" "$3"; }
  # Every list counts, the PDF one included; the PDF list must agree on its own too.
  for f in count year vin description plate insured_value use; do
    p=$(pct "$f" agree total)
    pp="$((p / 100)).$(printf %02d $((p % 100)))%"
    if [ "$p" -ge 9900 ]; then ok "$mode: $f agreement $pp >= 99% (spreadsheets, HTML tables and the PDF)"; else not_ok "$mode: $f agreement $pp < 99%"; fi
  done
  for f in count year vin description plate insured_value row; do
    p=$(pct "$f" pagree ptotal)
    if [ "$p" -ge 10000 ]; then ok "$mode: PDF list $f agreement 100%"; else not_ok "$mode: PDF list $f agreement $((p / 100)).$(printf %02d $((p % 100)))% < 100%"; fi
  done
  if [ "$mode" = profiles ]; then
    while IFS=$'\t' read -r okflag name detail; do
      if [ "$okflag" = True ]; then ok "$name"; else not_ok "$name"; echo "# $detail" >&2; fi
    done < <("$PY" -c "import json,sys; [print('%s\t%s\t%s' % (c[1], c[0], c[2].replace(chr(10),' '))) for c in json.loads(sys.argv[1])['checks']]" "$summary")
  fi
done
finish
