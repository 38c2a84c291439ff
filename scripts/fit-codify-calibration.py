#!/usr/bin/env python3
"""Refits the codifier's confidence model (src/codify/calibrate.c).

    build/minca eval --catalog CATALOG.csv --features /tmp/features.csv DEV_FILES...
    scripts/fit-codify-calibration.py /tmp/features.csv

Fits an L2-regularised logistic regression (Newton's method, pure Python) of "the top
proposal is right" on the feature columns that `minca eval --features` writes, over all rows
with a proposal (rows of every file pooled, each file weighted equally so the larger broker
file does not dominate). Prints the coefficients to paste into COEF[] in calibrate.c and a
reliability table (share right among rows with confidence >= c) to check the calibration.
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
    for _ in range(50):
        g = [0.0] * d
        h = [[0.0] * d for _ in range(d)]
        for x, y, w in zip(xs, ys, ws):
            z = sum(b * v for b, v in zip(beta, x))
            z = max(-30, min(30, z))
            p = 1 / (1 + math.exp(-z))
            for i in range(d):
                g[i] += w * (y - p) * x[i]
                for j in range(d):
                    h[i][j] += w * p * (1 - p) * x[i] * x[j]
        for i in range(1, d):
            g[i] -= L2 * beta[i]
            h[i][i] += L2
        step = solve(h, g)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return beta


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    names = [k for k in rows[0].keys() if k not in ("file", "id", "correct")]
    per_file = {}
    for r in rows:
        per_file[r["file"]] = per_file.get(r["file"], 0) + 1
    xs = [[float(r[k]) for k in names] for r in rows]
    ys = [int(r["correct"]) for r in rows]
    ws = [len(rows) / (len(per_file) * per_file[r["file"]]) for r in rows]
    beta = fit(xs, ys, ws)
    print("/* features: " + ", ".join(names) + " */")
    print("static const double COEF[CODIFY_N_FEATURES] = {\n    " +
          ", ".join(f"{b:.4f}" for b in beta) + ",\n};")
    conf = []
    for x, y, r in zip(xs, ys, rows):
        z = max(-30, min(30, sum(b * v for b, v in zip(beta, x))))
        conf.append((1 / (1 + math.exp(-z)), y, r["file"]))
    conf.sort(key=lambda t: -t[0])
    print("\nreliability (rows with confidence >= c: share right), per file:")
    for f in sorted(per_file):
        sub = [(c, y) for c, y, ff in conf if ff == f]
        line = []
        for c0 in (0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995):
            sel = [y for c, y in sub if c >= c0]
            if sel:
                line.append(f"c>={c0}: {sum(sel) / len(sel):.4f} ({len(sel) / len(sub):.2f})")
        print(f"  {f}: " + "  ".join(line))


if __name__ == "__main__":
    main()
