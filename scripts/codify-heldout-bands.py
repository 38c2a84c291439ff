#!/usr/bin/env python3
"""Reports, per development file, the codifier's reliability table by confidence band and its
expected calibration error with a score and map fitted without that file's rows: the figures a
calibration change is judged by.

    scripts/codify-heldout-bands.py [--minca build/minca] [--catalog CATVER.csv] [--eval DIR]
        [--work DIR] [--one-map] [--threshold 0.99]

1. The development files of DIR (default ../shared/data/eval) and their rewrites into forms no
   development file shows (scripts/make-codify-variants.py: seed 1 for the four matchable
   files, fitted on like the files; seed 26 of dev_broker and dev_broker_hard, reported only)
   are codified once with `minca eval --features` for the features of every row.
2. The files are grouped by the development file they come from; the file of vehicles the
   catalog lacks is cut into five row folds (it alone has such rows). For each group, the score
   (scripts/fit-codify-calibration.py: logistic regression on the other groups) and the map
   from score to confidence (fitted on held-out scores of the other groups) are written as a
   calibration.txt into a copy of data/codify.
3. The group's files are codified again by `minca eval --aliases COPY`, the shipping code with
   that held-out calibration, and its confidences and decisions are reported per file: rows,
   top-1, auto-accept rate and precision, and the bands table (rows, share whose top proposal
   is right, mean confidence, gap; * marks a band below the threshold holding 30 rows or more
   off by over 0.05) with the ECE; beside each gap, the binomial standard error of the share.

--one-map fits a single map for every proposal (the calibration before classes of proposal),
for a before/after comparison in one run. No row is ever reported by a model or map fitted on
it or on the row it was rewritten from.
"""
import argparse
import csv
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BANDS = [0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0]
MATCHABLE = ("dev_broker", "dev_broker_hard", "dev_cross_hdi", "dev_cross_chubb")
REPORTED = ("dev_broker", "dev_broker_hard")
FOLDS = 5


def load_fit_module():
    spec = importlib.util.spec_from_file_location("fitcal", os.path.join(HERE, "fit-codify-calibration.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.TRAIN_KINDS = ("dev", "variants")
    return mod


def run(cmd, out=None):
    r = subprocess.run(cmd, stdout=out or subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {r.stderr.strip()}")


def read_features(path, fm):
    raw = list(csv.DictReader(open(path, newline="")))
    names = [k for k in raw[0].keys() if k not in fm.META]
    rows = []
    for r in raw:
        x = [(i, float(r[k])) for i, k in enumerate(names) if float(r[k]) != 0.0]
        rows.append({"file": r["file"], "id": r["id"], "y": int(r["correct"]), "x": x,
                     "cap": float(r["cap"]), "div": int(r["div"]), "cls": r.get("class") or "all",
                     "confidence": float(r["confidence"]), "decision": r["decision"]})
    return names, rows


def heldout_calibrations(fm, names, rows, threshold, one_map):
    """group -> (coefficients, maps), each fitted without the group's rows."""
    d = len(names)
    groups = sorted({fm.group_of(r["file"]) for r in rows})
    beta_all = fm.fit(fm.training_rows(rows, lambda r: True), d)
    betas, held = {}, {}
    for g in groups:
        print(f"  score fitted without {g}", file=sys.stderr)
        betas[g] = fm.fit(fm.training_rows(rows, lambda r, g=g: fm.group_of(r["file"]) != g), d, beta_all)
        for i, r in enumerate(rows):
            if fm.group_of(r["file"]) == g:
                held[i] = fm.score_of(betas[g], r)
    out = {}
    for g in groups:
        by = {}
        for i, r in enumerate(rows):
            if fm.group_of(r["file"]) != g and fm.kind_of(r["file"]) != "report" and r["div"] == 1:
                by.setdefault("all" if one_map else r["cls"], []).append((held[i], r["y"]))
        out[g] = (betas[g], fm.fit_maps(by, threshold))
    return out


def write_calibration(fm, path, names, beta, maps):
    with open(path, "w") as f:
        f.write("# held-out calibration written by scripts/codify-heldout-bands.py\n")
        fm.write_calibration_body(f, names, beta, maps, coef_digits=10)


def bands_lines(conf, threshold):
    """conf: (confidence, top proposal right). The table as `minca eval --bands` prints it,
    with the binomial standard error of each share; returns (lines, ECE, worst gap, flags)."""
    edges = list(BANDS)
    edges[-2] = threshold
    n = len(conf)
    lines, ece, worst, flags = [], 0.0, 0.0, 0
    lines.append(f"  bands: {'confidence':11s} {'rows':>6s}  {'right':>7s}  {'mean':>7s}  {'gap':>7s}  {'s.e.':>6s}")
    for b, (lo, hi) in enumerate(zip(edges, edges[1:])):
        last = b == len(edges) - 2
        sel = [(c, y) for c, y in conf if lo <= c < hi or (last and c >= hi)]
        if not sel:
            lines.append(f"         {lo:.2f}-{hi:.2f}   {0:6d}        -        -        -")
            continue
        acc = sum(y for _, y in sel) / len(sel)
        mean = sum(c for c, _ in sel) / len(sel)
        gap = acc - mean
        se = math.sqrt(max(mean * (1 - mean), 1e-12) / len(sel))
        ece += len(sel) / n * abs(gap)
        checked = hi <= threshold and len(sel) >= 30
        flag = checked and abs(gap) > 0.05
        if checked:
            worst = max(worst, abs(gap))
        flags += flag
        lines.append(f"         {lo:.2f}-{hi:.2f}   {len(sel):6d}  {acc:7.4f}  {mean:7.4f}  {gap:+7.4f}  {se:6.4f}"
                     + ("  *" if flag else ""))
    lines.append(f"  expected calibration error (ECE): {ece:.4f} over {n} rows")
    return lines, ece, worst, flags


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minca", default=os.path.join(ROOT, "build", "minca"))
    ap.add_argument("--catalog", default=os.path.join(ROOT, "..", "shared", "data", "catalog", "catver_qualitas.csv"))
    ap.add_argument("--eval", default=os.path.join(ROOT, "..", "shared", "data", "eval"))
    ap.add_argument("--work", default=None, help="keep the files made here (default: a temporary directory)")
    ap.add_argument("--one-map", action="store_true", help="one map for every proposal (no classes)")
    ap.add_argument("--threshold", type=float, default=0.99)
    a = ap.parse_args()
    fm = load_fit_module()
    work = a.work or tempfile.mkdtemp(prefix="codify-heldout.")
    os.makedirs(work, exist_ok=True)
    dev = sorted(os.path.join(a.eval, f) for f in os.listdir(a.eval) if f.startswith("dev_") and f.endswith(".csv"))
    if not dev:
        sys.exit(f"no dev_*.csv in {a.eval}")
    made = []
    for f in dev:
        base = os.path.basename(f)[:-4]
        for kind, seed, names in (("variants", 1, MATCHABLE), ("report", 26, REPORTED)):
            if base in names:
                out = os.path.join(work, f"{kind}_{base}.csv")
                if not os.path.exists(out):
                    run([sys.executable, os.path.join(HERE, "make-codify-variants.py"), "--seed", str(seed),
                         "--catalog", a.catalog, "--out", out, f])
                made.append(out)
    print("codifying every file for its features...", file=sys.stderr)
    feats = os.path.join(work, "features.csv")
    run([a.minca, "eval", "--catalog", a.catalog, "--features", feats] + dev + made)
    names, rows = read_features(feats, fm)
    # the file of vehicles the catalog lacks: five row folds, each its own group
    for f in sorted({r["file"] for r in rows}):
        sel = [r for r in rows if r["file"] == f]
        if fm.kind_of(f) == "dev" and not any(r["y"] for r in sel):
            for k, r in enumerate(sel):
                r["file"] = f"{f}#{k % FOLDS}"
    cal = heldout_calibrations(fm, names, rows, a.threshold, a.one_map)
    paths = {os.path.basename(p): p for p in dev + made}
    result = {}   # file -> [(confidence, right, decision, positive)]
    for g, (beta, maps) in sorted(cal.items()):
        gdir = os.path.join(work, "heldout", g.replace("#", "_"))
        shutil.rmtree(gdir, ignore_errors=True)
        shutil.copytree(os.path.join(ROOT, "data", "codify"), gdir)
        write_calibration(fm, os.path.join(gdir, "calibration.txt"), names, beta, maps)
        files = []
        if "#" in g:   # a fold: its rows of the file, in a file of their own
            src, k = g.split("#")
            with open(paths[src], newline="") as fin:
                rd = csv.reader(fin)
                head = next(rd)
                fold = os.path.join(gdir, src)
                with open(fold, "w", newline="") as fout:
                    w = csv.writer(fout, lineterminator="\r\n")
                    w.writerow(head)
                    for j, line in enumerate(rd):
                        if j % FOLDS == int(k):
                            w.writerow(line)
            files.append(fold)
        else:
            files = [paths[p] for p in paths if fm.group_of(p) == g]
        out = os.path.join(gdir, "features.csv")
        print(f"  codifying {g} with its held-out calibration", file=sys.stderr)
        run([a.minca, "eval", "--catalog", a.catalog, "--aliases", gdir, "--features", out] + files)
        for r in csv.DictReader(open(out, newline="")):
            result.setdefault(r["file"], []).append(
                (float(r["confidence"]), int(r["correct"]), r["decision"], r["id"]))
    labels = {}
    for name, p in paths.items():
        for r in csv.DictReader(open(p, newline="", encoding="utf-8")):
            labels[(name, r["id"])] = r["expected_cvegs"] != ""
    print(f"held out: score and map fitted without each file's group (threshold {a.threshold}"
          f"{', one map' if a.one_map else ', a map per class of proposal'})")
    summary = []
    for f in sorted(result, key=lambda f: (fm.kind_of(f) != "dev", f)):
        rs = result[f]
        pos = [r for r in rs if labels[(f, r[3])]]
        auto = [r for r in pos if r[2] == "auto_accept"]
        neg_auto = sum(1 for r in rs if not labels[(f, r[3])] and r[2] == "auto_accept")
        top1 = sum(1 for r in pos if r[1] and r[2] != "no_match") / len(pos) if pos else float("nan")
        prec = sum(r[1] for r in auto) / len(auto) if auto else float("nan")
        rate = len(auto) / len(pos) if pos else float("nan")
        print(f"\n{f} ({fm.kind_of(f)}): rows {len(rs)}" +
              (f", top-1 {top1:.4f}, auto-accepted {rate:.4f} at precision {prec:.4f}" if pos
               else f", unmatchable auto-accepted {neg_auto}"))
        lines, ece, worst, flags = bands_lines([(r[0], r[1]) for r in rs], a.threshold)
        print("\n".join(lines))
        summary.append((f, len(rs), top1, rate, prec, neg_auto, ece, worst, flags))
    print("\nsummary: file, rows, top-1, auto-accept rate, precision, unmatchable auto-accepted, ECE, "
          "worst gap below the threshold (bands of 30+), bands off by over 0.05")
    for f, n, t, r, p, na, e, w, fl in summary:
        print(f"  {f:30s} {n:5d}  {t:6.4f}  {r:6.4f}  {p:6.4f}  {na:2d}  {e:6.4f}  {w:6.4f}  {fl}")
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
