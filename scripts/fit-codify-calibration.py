#!/usr/bin/env python3
"""Refits the codifier's confidence model (src/codify/calibrate.c).

    build/minca eval --catalog CATALOG.csv --features /tmp/features.csv DEV_FILES...
    scripts/fit-codify-calibration.py [--threshold 0.99] /tmp/features.csv

Fits an L2-regularised logistic regression (Newton's method, pure Python) of "the top
proposal is right" on the feature columns that `minca eval --features` writes, over all rows
with a proposal (each file weighted equally so the larger files do not dominate).

The confidence must hold on text it was not fitted on, so the script first reports each file
held out: fitted on the other files, measured on the held-out one (auto-accept rate and
precision at the threshold, coverage at precision 0.995, and the reliability table: share
right among rows with confidence >= c). Only then does it fit on every file and print the
coefficients to paste into COEF[] in calibrate.c. A file whose rows are all unmatchable
(no right answer exists) is always kept in the training set and reported as the share of
its rows that would be auto-accepted.
"""
import csv
import math
import sys

L2 = 1.0


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        piv = m[c][c] or 1e-12
        for r in range(n):
            if r != c:
                f = m[r][c] / piv
                for k in range(c, n + 1):
                    m[r][k] -= f * m[c][k]
    return [m[i][n] / (m[i][i] or 1e-12) for i in range(n)]


def fit(xs, ys, ws):
    d = len(xs[0])
    beta = [0.0] * d
    for _ in range(60):
        g = [0.0] * d
        h = [[0.0] * d for _ in range(d)]
        for x, y, w in zip(xs, ys, ws):
            z = sum(b * v for b, v in zip(beta, x))
            z = max(-30, min(30, z))
            p = 1 / (1 + math.exp(-z))
            for i in range(d):
                if x[i] == 0:
                    continue
                g[i] += w * (y - p) * x[i]
                wi = w * p * (1 - p) * x[i]
                for j in range(d):
                    if x[j]:
                        h[i][j] += wi * x[j]
        for i in range(1, d):
            g[i] -= L2 * beta[i]
            h[i][i] += L2
        for i in range(d):
            h[i][i] += 1e-9
        step = solve(h, g)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return beta


def predict(beta, x):
    z = max(-30, min(30, sum(b * v for b, v in zip(beta, x))))
    return 1 / (1 + math.exp(-z))


def weights(rows, files):
    per_file = {}
    for r in rows:
        per_file[r["file"]] = per_file.get(r["file"], 0) + 1
    return [len(rows) / (len(per_file) * per_file[r["file"]]) for r in rows]


def report(label, conf, threshold, negative):
    """conf: list of (confidence, correct)."""
    n = len(conf)
    auto = [y for c, y in conf if c >= threshold]
    if negative:
        print(f"  {label}: rows {n}, auto-accepted {len(auto)} ({len(auto) / n:.4f})")
        return
    prec = sum(auto) / len(auto) if auto else 1.0
    ranked = sorted(conf, key=lambda t: -t[0])
    right = 0
    cov = 0
    for i, (c, y) in enumerate(ranked, 1):
        right += y
        if right / i >= 0.995:
            cov = i
    rel = []
    for c0 in (0.9, 0.95, 0.99):
        sel = [y for c, y in conf if c >= c0]
        rel.append(f">={c0}: {sum(sel) / len(sel):.4f} of {len(sel)}" if sel else f">={c0}: -")
    print(f"  {label}: rows {n}, top-1 right {sum(y for _, y in conf) / n:.4f}, auto rate "
          f"{len(auto) / n:.4f}, auto precision {prec:.4f}, coverage@0.995 {cov / n:.4f}; " + "; ".join(rel))


def main():
    args = sys.argv[1:]
    threshold = 0.99
    if len(args) >= 2 and args[0] == "--threshold":
        threshold = float(args[1])
        args = args[2:]
    rows = list(csv.DictReader(open(args[0])))
    names = [k for k in rows[0].keys() if k not in ("file", "id", "correct")]
    files = sorted({r["file"] for r in rows})
    negative = {f for f in files if not any(int(r["correct"]) for r in rows if r["file"] == f)}
    xs = [[float(r[k]) for k in names] for r in rows]
    ys = [int(r["correct"]) for r in rows]

    print(f"held out one file at a time (threshold {threshold}):")
    for f in files:
        if f in negative:
            continue
        train = [i for i, r in enumerate(rows) if r["file"] != f]
        tr_rows = [rows[i] for i in train]
        beta = fit([xs[i] for i in train], [ys[i] for i in train], weights(tr_rows, files))
        test = [i for i, r in enumerate(rows) if r["file"] == f]
        report(f, [(predict(beta, xs[i]), ys[i]) for i in test], threshold, False)
        for g in sorted(negative):
            neg = [i for i, r in enumerate(rows) if r["file"] == g]
            # the unmatchable file is in training here; shown for completeness only
            report(f"  ({g}, in training)", [(predict(beta, xs[i]), 0) for i in neg], threshold, True)

    beta = fit(xs, ys, weights(rows, files))
    print("\nfitted on every file:")
    print("/* features: " + ", ".join(names) + " */")
    print("static const double COEF[CODIFY_N_FEATURES] = {\n    " +
          ", ".join(f"{b:.4f}" for b in beta) + ",\n};")
    for f in files:
        idx = [i for i, r in enumerate(rows) if r["file"] == f]
        report(f + " (in training)", [(predict(beta, xs[i]), ys[i]) for i in idx], threshold, f in negative)


if __name__ == "__main__":
    main()
