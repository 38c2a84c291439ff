#!/usr/bin/env python3
"""Scores what Minca extracts from a labelled inbox (an inbox_real_dev / inbox_dev style folder:
*.eml plus labels.json) against its labels, per format class and per field.

    scripts/score-inbox.py INBOX [--minca BIN] [--catalog CSV] [--insurer SLUG] [--json OUT]
                           [--floor FIELD=SHARE ...] [--class-floor CLASS:FIELD=SHARE ...]

Without MINCA_DATABASE_URL it starts private servers under a temporary MINCA_HOME, imports the
catalog, runs `minca batch` over the folder, reads every case (`minca case list/show --json`) and
stops the servers. With MINCA_DATABASE_URL (and MINCA_REDIS_URL) set it uses that database, which
should be empty.

Pairing (the labels' README): workbooks pair a labelled vehicle with the extracted row of the same
sheet and row; PDFs, scans and photos (labels with `sheet_in_source`) pair by VIN (exact, else the nearest
within 4 edits, for OCR); a label without a VIN by its plates; never by order.
Per pair: year, vin (upper case, spaces dropped), plates (upper case, accents and spaces dropped),
insured_amount (+-0.01), each only where the label has a value. An extracted row without a label
is an extra row. Body fields are compared accent- and case-folded.

The exit status is 1 when a floor is not met (shares 0..1): `--floor found=0.98` applies to every
class; `--class-floor xlsx-LO:sum=0.97` to one. Fields: found, year, vin, plates, sum, extra (a
ceiling: extra rows per labelled vehicle), body.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

FIELDS = ("year", "vin", "plates", "sum")


def fold(s):
    if s is None:
        return ""
    s = unicodedata.normalize("NFKD", str(s))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", s).strip().upper()


def compact(s):
    return re.sub(r"[\s]", "", fold(s))


def run(cmd, env, check=True):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise SystemExit("score-inbox: %s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-2000:]))
    return p


def collect(args, env):
    """Runs the batch and returns {message_id: case json}."""
    m = args.minca
    if "MINCA_DATABASE_URL" not in env:
        run([m, "db", "start"], env)
    run([m, "catalog", "import", "--insurer", args.insurer, args.catalog], env)
    # A batch whose cases wait for review exits non-zero: that is not a failure here.
    b = run([m, "batch", "--insurer", args.insurer, "--json", args.inbox], env, check=False)
    if b.returncode not in (0, 1):
        sys.stderr.write("score-inbox: batch exited %d: %s\n" % (b.returncode, b.stderr.strip()[-1000:]))
    cases = json.loads(run([m, "case", "list", "--insurer", args.insurer, "--json"], env).stdout)
    if isinstance(cases, dict):
        cases = cases.get("cases", [])
    out = {}
    for c in cases:
        d = json.loads(run([m, "case", "show", c["cot"], "--insurer", args.insurer, "--json"], env).stdout)
        out.setdefault(d.get("message_id"), d)
    return out


def edits(a, b, cap):
    """Levenshtein distance of a and b, or cap when it is at least cap."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= cap:
            return cap
        prev = cur
    return min(prev[-1], cap)


def pair(labels, rows):
    """[(label, row or None)], extra rows."""
    pairs, used = [], set()
    by_pos = {}
    for i, r in enumerate(rows):
        by_pos.setdefault((fold(r.get("source_sheet")), r.get("source_row")), []).append(i)
        by_pos.setdefault((None, r.get("source_row")), []).append(i)
    geometric = [v for v in labels if "sheet_in_source" in (v.get("source") or {})]
    positional = [v for v in labels if v not in geometric]
    for v in positional:
        src = v["source"]
        # A CSV names its physical line, an HTML body table its <tr>: both are the row the
        # product reports.
        at = src.get("row", src.get("line", src.get("tr")))
        key = (fold(src["sheet"]), at) if src.get("sheet") is not None else (None, at)
        hit = next((i for i in by_pos.get(key, []) if i not in used), None)
        if hit is not None:
            used.add(hit)
        pairs.append((v, rows[hit] if hit is not None else None))
    pending = []
    for v in geometric:
        vin = compact(v.get("vin"))
        hit = None
        if vin:
            hit = next((i for i, r in enumerate(rows) if i not in used and compact(r.get("vin")) == vin), None)
        if hit is not None:
            used.add(hit)
            pairs.append((v, rows[hit]))
        else:
            pending.append(v)
    # A VIN read with a few characters wrong (OCR) still names its vehicle: the nearest unused
    # VIN within 4 edits pairs. A label without a VIN pairs by its plates, exactly, with a row
    # that has no VIN either. Never by order: a label with neither is left unpaired (missed).
    for v in pending:
        vin = compact(v.get("vin"))
        if not vin:
            plate = compact(v.get("plate"))
            hit = next((i for i, r in enumerate(rows) if plate and i not in used and not compact(r.get("vin"))
                        and compact(r.get("plates")) == plate), None)
            if hit is not None:
                used.add(hit)
            pairs.append((v, rows[hit] if hit is not None else None))
            continue
        best, best_d = None, 5
        for i, r in enumerate(rows):
            got = compact(r.get("vin"))
            if i in used or not vin or not got:
                continue
            d = edits(vin, got, best_d)
            if d < best_d:
                best, best_d = i, d
        if best is not None:
            used.add(best)
        pairs.append((v, rows[best] if best is not None else None))
    extra = [rows[i] for i in range(len(rows)) if i not in used]
    return pairs, extra


def field_ok(field, label, row):
    if field == "year":
        want = label.get("year")
        return None if want is None else row.get("year") == want
    if field == "vin":
        want = label.get("vin")
        return None if not want else compact(row.get("vin")) == compact(want)
    if field == "plates":
        want = label.get("plate")
        return None if not want else compact(row.get("plates")) == compact(want)
    if field == "sum":
        want = label.get("insured_value")
        got = row.get("insured_amount")
        return None if want is None else (got is not None and abs(float(got) - float(want)) <= 0.01)
    raise ValueError(field)


BODY = (("client_name", "client_name"), ("rfc", "rfc"), ("coverage", "coverage"),
        ("payment_terms", "payment_terms"), ("validity_start", "vigencia_start"),
        ("validity_end", "vigencia_end"), ("uso", "uso"))


def format_class(m):
    """The label's format class, else its first attachment's format (inbox_dev has no class)."""
    if m.get("format_class"):
        return m["format_class"]
    atts = m.get("attachments") or []
    return (atts[0].get("format") if atts else None) or "none"


def new_stats():
    return {"emails": 0, "labelled": 0, "found": 0, "extra": 0, "body_ok": 0, "body_n": 0,
            **{f + "_ok": 0 for f in FIELDS}, **{f + "_n": 0 for f in FIELDS},
            "image_unreported": 0, "no_case": 0}


def score(labels, cases):
    per = {}
    detail = []
    for m in labels:
        cls = format_class(m)
        st = per.setdefault(cls, new_stats())
        st["emails"] += 1
        vehicles = m.get("vehicles") or []
        st["labelled"] += len(vehicles)
        case = cases.get(m["message_id"])
        if case is None:
            # A general question (expected_case false) or a repeated delivery opens no case.
            st["no_case"] += m.get("expected_case", True) is not False and not m.get("is_duplicate_of")
            detail.append({"file": m["file"], "class": cls, "case": None, "found": 0, "labelled": len(vehicles)})
            continue
        for ck, lk in BODY:
            if m.get(lk) is None:
                continue
            st["body_n"] += 1
            st["body_ok"] += fold(case.get(ck)) == fold(m.get(lk))
        rows = case.get("vehicles") or []
        pairs, extra = pair(vehicles, rows)
        found = sum(1 for _, r in pairs if r is not None)
        st["found"] += found
        st["extra"] += len(extra)
        wrong = {f: 0 for f in FIELDS}
        for v, r in pairs:
            for f in FIELDS:
                ok = field_ok(f, v, r) if r is not None else (None if field_ok(f, v, {}) is None else False)
                if ok is None:
                    continue
                st[f + "_n"] += 1
                st[f + "_ok"] += bool(ok)
                wrong[f] += not ok
        if m.get("expect_error") and not rows:
            atts = case.get("attachments") or []
            said = any((a.get("error") or a.get("status") in ("error", "unreadable")) for a in atts)
            if not said or case.get("status") == "ready":
                st["image_unreported"] += 1
        detail.append({"file": m["file"], "class": cls, "case": case.get("cot"), "status": case.get("status"),
                       "labelled": len(vehicles), "found": found, "extra": len(extra),
                       "wrong": wrong})
    return per, detail


def shares(st):
    lab = st["labelled"] or 1
    out = {"emails": st["emails"], "vehicles": st["labelled"], "found": st["found"] / lab,
           "extra": st["extra"] / lab, "body": (st["body_ok"] / st["body_n"]) if st["body_n"] else None}
    for f in FIELDS:
        # Of the vehicles found (the measure): misses count only in `found`.
        n = st[f + "_n"]
        out[f] = (st[f + "_ok"] / n) if n else None
    out["image_unreported"] = st["image_unreported"]
    out["no_case"] = st["no_case"]
    return out


def found_only(labels, cases):
    """Field shares over found pairs only (as the issue's table reports them)."""
    per = {"all": {f: [0, 0] for f in FIELDS}}
    for m in labels:
        cls = format_class(m)
        st = per.setdefault(cls, {f: [0, 0] for f in FIELDS})
        case = cases.get(m["message_id"])
        if case is None:
            continue
        pairs, _ = pair(m.get("vehicles") or [], case.get("vehicles") or [])
        for v, r in pairs:
            if r is None:
                continue
            for f in FIELDS:
                ok = field_ok(f, v, r)
                if ok is None:
                    continue
                for d in (st, per["all"]):
                    d[f][1] += 1
                    d[f][0] += bool(ok)
    return {c: {f: (a / n if n else None) for f, (a, n) in d.items()} for c, d in per.items()}


def fmt(x):
    return "   -  " if x is None else "%6.3f" % x


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inbox")
    ap.add_argument("--minca", default=os.path.join(here, "..", "build", "minca"))
    ap.add_argument("--catalog", default=os.path.join(here, "..", "..", "shared", "data", "catalog", "catver_qualitas.csv"))
    ap.add_argument("--insurer", default="qualitas")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--cases", help="read the cases from this JSON file (written by --save-cases) instead of running the batch")
    ap.add_argument("--save-cases")
    ap.add_argument("--floor", action="append", default=[])
    ap.add_argument("--class-floor", action="append", default=[])
    ap.add_argument("--detail", action="store_true", help="one line per email")
    args = ap.parse_args()
    labels = json.load(open(os.path.join(args.inbox, "labels.json"), encoding="utf-8"))

    if args.cases:
        cases = json.load(open(args.cases, encoding="utf-8"))
    else:
        env = dict(os.environ)
        home = None
        if "MINCA_DATABASE_URL" not in env:
            home = tempfile.mkdtemp(prefix="minca-score.")
            os.chmod(home, 0o755)
            env["MINCA_HOME"] = home
            env.pop("MINCA_REDIS_URL", None)
        env["MINCA_INSURER"] = args.insurer
        try:
            cases = collect(args, env)
        finally:
            if home:
                run([args.minca, "db", "stop"], env, check=False)
                shutil.rmtree(home, ignore_errors=True)
    if args.save_cases:
        json.dump(cases, open(args.save_cases, "w", encoding="utf-8"))

    per, detail = score(labels, cases)
    found = found_only(labels, cases)
    total = new_stats()
    for st in per.values():
        for k, v in st.items():
            total[k] += v
    report = {c: shares(st) for c, st in sorted(per.items())}
    report["all"] = shares(total)
    print("%-14s %6s %8s %6s %6s %6s %6s %6s %6s %6s  (year..sum: of the vehicles found)" %
          ("class", "emails", "vehicles", "found", "year", "vin", "plates", "sum", "extra", "body"))
    for c, r in report.items():
        fo = found.get(c, {})
        r["found_fields"] = fo
        print("%-14s %6d %8d %s %s %s %s %s %s %s" % (c, r["emails"], r["vehicles"], fmt(r["found"]),
              fmt(fo.get("year")), fmt(fo.get("vin")), fmt(fo.get("plates")), fmt(fo.get("sum")),
              fmt(r["extra"]), fmt(r["body"])))
        if r["image_unreported"]:
            print("  %d image-only attachment(s) with no rows and no clear error" % r["image_unreported"])
        if r["no_case"]:
            print("  %d message(s) opened no case" % r["no_case"])
    if args.detail:
        for d in detail:
            print("  %-12s %-12s %-16s %-8s found %3d/%3d extra %2d wrong %s" % (
                d["file"], d["class"], d.get("case"), d.get("status"), d["found"], d["labelled"],
                d.get("extra", 0), d.get("wrong")))
    if args.json_out:
        json.dump({"classes": report, "emails": detail}, open(args.json_out, "w"), indent=2)

    failed = []
    def check(cls, spec):
        field, _, val = spec.partition("=")
        val = float(val)
        r = report.get(cls)
        if r is None:
            return
        got = r["found"] if field == "found" else r["extra"] if field == "extra" else r["body"] if field == "body" \
            else r["found_fields"].get(field)
        if got is None:
            return
        bad = got > val if field == "extra" else got < val
        if bad:
            failed.append("%s %s %.3f %s %.3f" % (cls, field, got, ">" if field == "extra" else "<", val))
    for spec in args.floor:
        for cls in report:
            if cls != "all":
                check(cls, spec)
    for spec in args.class_floor:
        cls, _, rest = spec.partition(":")
        check(cls, rest)
    for f in failed:
        print("below floor: " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
