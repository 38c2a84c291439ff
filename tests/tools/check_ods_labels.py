#!/usr/bin/env python3
"""Checks the ODS reader against the labelled Calc files: every labelled vehicle's row, on its
sheet, holds each of its labelled cells (numbers by value, text as written), and the cells of
labelled hidden columns are flagged hidden.

    check_ods_labels.py MINCA INBOX_DIR WORK_DIR

Prints one line per email and a last line "cells N/M rows N/M"; exits 1 on any mismatch."""
import email, json, os, re, subprocess, sys

minca, inbox, work = sys.argv[1:4]
labels = json.load(open(os.path.join(inbox, "labels.json"), encoding="utf-8"))
cells_ok = cells_all = rows_ok = rows_all = 0
bad = []

def read_rows(path):
    """(sheet name, row number) -> the row's printed line, from `minca profile read`."""
    out = subprocess.run([minca, "profile", "read", path], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise SystemExit("minca profile read %s: %s" % (path, out.stderr.strip()))
    rows, sheet, key = {}, None, None
    for line in out.stdout.split("\n"):
        m = re.match(r"^== sheet \d+ '(.*)'", line)
        if m:
            sheet = m.group(1)
            continue
        m = re.match(r"^ *(\d+)h? ", line)
        if m and sheet is not None:
            key = (sheet, int(m.group(1)))
            rows[key] = line
        elif key:   # a cell with a line break goes on
            rows[key] += "\n" + line
    return rows

def expected(v):
    """The printed cell for a labelled value. The labels keep the text of the source the sheet
    was made from (a CSV export: "$547,000", "01/03/2026"); Calc stored the number or date, and
    the reader gives the stored value."""
    if isinstance(v, str):
        t = v.strip()
        if re.fullmatch(r"\$? ?-?[0-9][0-9,]*(\.[0-9]+)?", t) and not re.fullmatch(r"0[0-9]+", t):
            num = float(t.replace("$", "").replace(",", "").strip())
            return r"(\|[sd][*+]* " + re.escape(v) + r"|\|n[*+]* " + re.escape("%.15g" % num) + ")"
        m = re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", t)
        if m:
            return r"(\|[sd][*+]* " + re.escape(v) + r"|\|d[*+]* %s-%s-%s)" % (m.group(3), m.group(2), m.group(1))
    if isinstance(v, bool):
        return r"\|b[*+]* " + ("TRUE" if v else "FALSE")
    if isinstance(v, (int, float)):
        return r"\|n[*+]* " + re.escape("%.15g" % v)
    return r"\|[sd][*+]* " + re.escape(str(v))

for msg in labels:
    atts = [a for a in msg.get("attachments", []) if a.get("format") == "ods"]
    if not atts:
        continue
    m = email.message_from_binary_file(open(os.path.join(inbox, msg["file"]), "rb"))
    files = {}
    for part in m.walk():
        name = part.get_filename()
        if name and name.lower().endswith(".ods"):
            path = os.path.join(work, msg["file"] + ".ods")
            open(path, "wb").write(part.get_payload(decode=True))
            files[name] = read_rows(path)
    ok_here = 0
    for v in msg.get("vehicles", []):
        src = v["source"]
        rows = files.get(src["attachment"], {})
        line = rows.get((src["sheet"], src["row"]), "")
        rows_all += 1
        good = True
        for col, val in (v.get("raw_cells") or {}).items():
            if val is None or val == "":
                continue
            cells_all += 1
            if re.search(expected(val) + r"( \||$)", line, re.M):
                cells_ok += 1
            else:
                good = False
                bad.append("%s %s:%d %s=%r not in %s" % (msg["file"], src["sheet"], src["row"], col, val, line[:300]))
        for col in v.get("hidden_columns") or []:   # shown as hidden ("*")
            val = (v.get("raw_cells") or {}).get(col)
            if val in (None, ""):
                continue
            cells_all += 1
            pat = expected(val).replace("[*+]*", r"\*[+]?")
            if re.search(pat + r"( \||$)", line, re.M):
                cells_ok += 1
            else:
                good = False
                bad.append("%s %s:%d hidden column %s=%r not flagged in %s" % (msg["file"], src["sheet"], src["row"], col, val, line[:300]))
        rows_ok += good
        ok_here += good
    print("%s: %d/%d vehicle rows read with every labelled cell" % (msg["file"], ok_here, len(msg.get("vehicles", []))))
for b in bad[:20]:
    print("  mismatch:", b)
print("cells %d/%d rows %d/%d" % (cells_ok, cells_all, rows_ok, rows_all))
sys.exit(0 if cells_ok == cells_all and rows_all > 0 else 1)
