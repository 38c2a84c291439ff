#!/usr/bin/env python3
"""Refits the codifier's confidence: the model's score (src/codify/calibrate.c) and the map from
score to confidence (data/codify/calibration.txt).

    scripts/make-codify-variants.py --seed 1 --catalog CAT --out /tmp/v/variants_dev_broker.csv \\
        data/eval/dev_broker.csv                       # likewise for each development file
    build/minca eval --catalog CAT --features /tmp/features.csv DEV_FILES... VARIANT_FILES...
    scripts/fit-codify-calibration.py --with-variants [--threshold 0.99] [--dump ROWS.csv] \\
        [--write data/codify/calibration.txt] /tmp/features.csv

The shipped score and map were fitted with --with-variants on the five development files and
the seed-1 rewrites of the four matchable ones (report_* files: seed 26 rewrites of
dev_broker and dev_broker_hard).

The features file holds one row per codified row (`minca eval --features`): the file, whether
the top proposal is right, the features, and what codify_match did to the logistic's output
(cap, div; div 0 marks a row without any proposal). Files are grouped by the development file
they come from: `dev_broker.csv`, its rewrites `variants_dev_broker.csv` (fitting the map) and
`report_dev_broker.csv` (only reported, never fitted).

1. The score: an L2-regularised logistic regression (Newton's method, pure Python) of "the top
   proposal is right" on the features of the development files (with --with-variants also
   their rewrites; each file weighted equally), capped as codify_match does. A file of
   vehicles the catalog lacks is held out by rows, five folds, as it alone has such rows. Fitted once per group without that group, it gives
   every row a score from a model that never saw it (nor the rows it was rewritten from).
2. The map: those held-out scores of every group, cut into bins of at least 40 rows and made
   monotone (pool adjacent violators); the confidence at a bin's mean score is the share right
   in it (add-half smoothed), interpolated linearly in between. A score below the auto-accept
   threshold never maps to the threshold or above, so the map only ever removes rows from
   auto-acceptance. Proposals of another class (the features file's `class`: `contradicted`,
   a brand or VIN year the query contradicts) are left out of that map and get one share of
   their own, add-half smoothed (they are few); a coin flip (`coin_flip`) gets the map pooled
   over all proposals moved by one log-odds shift fitted on its rows (shift_map).
3. The report, per file: the map fitted without the file's group applied to its held-out
   scores: auto-accept rate and precision at the threshold, and the reliability table by band
   (rows, share right, mean confidence, gap) with the expected calibration error; beside it
   the same table without the map (the held-out score itself).
4. With --write, the maps fitted on every group and the coefficients fitted on every
   development file (%feature lines) are written for the codifier, and the coefficients again
   beside it in score_coef.inc (calibrate.c's built-in score, for an alias directory without
   them). --dump
   writes every row's held-out score and confidence with its features, to study the misses.
"""
import csv
import math
import os
import sys

L2 = 1.0
MIN_BIN = 100
BANDS = [0.0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0]
META = ("file", "id", "correct", "cap", "div", "score", "class", "confidence", "decision")


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
                if f:
                    for k in range(c, n + 1):
                        m[r][k] -= f * m[c][k]
    return [m[i][n] / (m[i][i] or 1e-12) for i in range(n)]


def fit(rows, d, beta=None):
    """rows: (sparse x as [(i, v)], y, w). Newton's method from beta (zeros by default)."""
    beta = list(beta) if beta else [0.0] * d
    for _ in range(60):
        g = [0.0] * d
        h = [[0.0] * d for _ in range(d)]
        for x, y, w in rows:
            z = sum(beta[i] * v for i, v in x)
            z = max(-30, min(30, z))
            p = 1 / (1 + math.exp(-z))
            r = w * (y - p)
            q = w * p * (1 - p)
            for i, vi in x:
                g[i] += r * vi
                hi = h[i]
                qi = q * vi
                for j, vj in x:
                    hi[j] += qi * vj
        for i in range(1, d):
            g[i] -= L2 * beta[i]
            h[i][i] += L2
        for i in range(d):
            h[i][i] += 1e-9
        step = solve(h, g)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return beta


def logistic(beta, x):
    z = max(-30, min(30, sum(beta[i] * v for i, v in x)))
    return 1 / (1 + math.exp(-z))


def score_of(beta, r):
    """The score of the version, capped as codify_match caps it (the share among guessed
    years, div, is applied after the map)."""
    if r["div"] == 0:
        return 0.0
    return min(logistic(beta, r["x"]), r["cap"])


def group_of(name):
    for p in ("variants_", "report_"):
        if name.startswith(p):
            return name[len(p):]
    return name.split("#")[0]


def kind_of(name):
    return "variants" if name.startswith("variants_") else "report" if name.startswith("report_") else "dev"


TRAIN_KINDS = ("dev",)


def training_rows(rows, keep):
    """Rows with a proposal of the files the score is fitted on, each file weighted equally."""
    sel = [r for r in rows if r["div"] and kind_of(r["file"]) in TRAIN_KINDS and keep(r)]
    per = {}
    for r in sel:
        f = r["file"].split("#")[0]
        per[f] = per.get(f, 0) + 1
    return [(r["x"], r["y"], len(sel) / (len(per) * per[r["file"].split("#")[0]])) for r in sel]


def fit_map(pairs, threshold, min_bin=MIN_BIN, prior=None, strength=0.0):
    """pairs: (score, right). Returns knots [(score, confidence)], increasing. With a prior
    map, each bin's share is shrunk towards the prior's confidence at the bin's mean score
    as if `strength` rows more had been right at that rate (a thin bin follows the prior)."""
    pairs = sorted(pairs)
    bins = []
    i = 0
    while i < len(pairs):
        j = min(len(pairs), i + min_bin)
        while j < len(pairs) and pairs[j][0] == pairs[j - 1][0]:
            j += 1   # equal scores share a bin
        if len(pairs) - j < min_bin:
            j = len(pairs)
        chunk = pairs[i:j]
        bins.append([sum(s for s, _ in chunk), sum(y for _, y in chunk), len(chunk)])
        i = j

    def share(b):
        s, y, n = b
        if prior is None:
            return (y + 0.5) / (n + 1)
        return (y + strength * apply_map(prior, s / n)) / (n + strength)

    # pool adjacent violators on the share right
    stack = []
    for b in bins:
        stack.append(b)
        while len(stack) > 1 and share(stack[-2]) >= share(stack[-1]):
            top = stack.pop()
            stack[-1] = [stack[-1][0] + top[0], stack[-1][1] + top[1], stack[-1][2] + top[2]]
    knots = []
    for b in stack:
        s, y, n = b
        x = s / n
        c = share(b)
        if x < threshold:
            c = min(c, threshold - 0.001)
        if knots and x <= knots[-1][0] + 1e-9:
            continue
        if knots and c < knots[-1][1]:
            c = knots[-1][1]
        knots.append((x, c))
    if knots[0][0] > 0:
        knots.insert(0, (0.0, 0.0))   # no chance at all stays none
    if knots[-1][0] < 1:
        knots.append((1.0, knots[-1][1]))
    # between the last knot below the threshold and the first above, a score below the
    # threshold must still map below it
    edge = threshold - 1e-6
    below = [k for k in knots if k[0] < edge]
    above = [k for k in knots if k[0] > edge]
    if below and above:
        knots = below + [(edge, min(apply_map(knots, edge), threshold - 0.001))] + above
    return knots


def fit_class_map(pairs, threshold):
    """A class of proposal too rare for bins of its own (a contradicted brand or VIN year): one
    share right for every score, shrunk towards one half (Jeffreys' prior, add-half), kept
    below the threshold."""
    n = len(pairs)
    c = min((sum(y for _, y in pairs) + 0.5) / (n + 1), threshold - 0.001)
    return [(0.0, c), (1.0, c)]


# classes of proposal with a map of their own over the score: the map pooled over every
# proposal shifted in log-odds by one amount fitted on the class's rows (shift_map), so the
# score still orders them and a class of a few dozen rows is not cut into bins that mix kinds
# of text; any other class gets one share (fit_class_map)
BINNED_CLASSES = ("coin_flip",)
# the shift's prior: a normal of this standard deviation (log-odds) around no shift
SHIFT_PRIOR_SD = 1.0


def logit(p):
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def shift_map(pairs, base, threshold, prior_sd=SHIFT_PRIOR_SD):
    """pairs: (score, right) of one class. The knots of base with every confidence moved by one
    shift d in log-odds, d the posterior mode (Newton's method) of the class's rows under a
    normal prior of prior_sd around 0; a confidence of 0 stays 0, and a score below the
    threshold still maps below it."""
    ls = [(logit(apply_map(base, s)), y) for s, y in pairs]
    d = 0.0
    for _ in range(50):
        g, h = -d / prior_sd ** 2, -1.0 / prior_sd ** 2
        for l, y in ls:
            p = 1 / (1 + math.exp(-(l + d)))
            g += y - p
            h -= p * (1 - p)
        step = g / h
        d -= step
        if abs(step) < 1e-9:
            break
    knots = []
    for x, c in base:
        c2 = 0.0 if c <= 0 else 1 / (1 + math.exp(-(logit(c) + d)))
        if x < threshold:
            c2 = min(c2, threshold - 0.001)
        if knots and c2 < knots[-1][1]:
            c2 = knots[-1][1]
        knots.append((x, c2))
    return knots


def fit_maps(pairs_by_class, threshold):
    """pairs_by_class: class -> [(score, right)]. The map of "all" from its own rows; a binned
    class as the map pooled over "all" and every binned class, shifted in log-odds to its rows
    (shift_map); every other class from its rows alone, as one share (fit_class_map)."""
    maps = {"all": fit_map(pairs_by_class.get("all", []), threshold)}
    pooled = [p for c, ps in pairs_by_class.items() if c == "all" or c in BINNED_CLASSES for p in ps]
    pooled_map = fit_map(pooled, threshold) if pooled else maps["all"]
    for c, ps in pairs_by_class.items():
        if c in BINNED_CLASSES and ps:
            maps[c] = shift_map(ps, pooled_map, threshold)
        elif c != "all" and ps:
            maps[c] = fit_class_map(ps, threshold)
    return maps


def apply_maps(maps, cls, s):
    return apply_map(maps.get(cls, maps["all"]), s)


def apply_map(knots, s):
    if s <= knots[0][0]:
        return knots[0][1]
    for (x0, y0), (x1, y1) in zip(knots, knots[1:]):
        if s <= x1:
            return y0 + (s - x0) / (x1 - x0) * (y1 - y0)
    return knots[-1][1]


def bands_table(conf, label):
    """conf: (confidence, right). Returns (ECE, lines, worst gap below threshold)."""
    n = len(conf)
    lines = []
    ece = 0.0
    worst = 0.0
    for lo, hi in zip(BANDS, BANDS[1:]):
        sel = [(c, y) for c, y in conf if lo <= c < hi or (hi == 1.0 and c >= 1.0)]
        if not sel:
            lines.append(f"      {lo:.2f}-{hi:.2f} {0:6d}        -        -        -")
            continue
        acc = sum(y for _, y in sel) / len(sel)
        mean = sum(c for c, _ in sel) / len(sel)
        gap = acc - mean
        ece += len(sel) / n * abs(gap)
        flag = hi <= BANDS[-2] and len(sel) >= 30 and abs(gap) > 0.05
        if hi <= BANDS[-2] and len(sel) >= 30:
            worst = max(worst, abs(gap))
        lines.append(f"      {lo:.2f}-{hi:.2f} {len(sel):6d}  {acc:7.4f}  {mean:7.4f}  {gap:+7.4f}" + ("  *" if flag else ""))
    return ece, lines, worst


def write_calibration_body(out, names, beta, maps, coef_digits=6):
    """The lines of a calibration.txt after its comments: the map of every proposal, each
    class's map (%class), the score's coefficients (%feature)."""
    for x, y in maps["all"]:
        out.write(f"{x:.6f} {y:.6f}\n")
    for c, knots in maps.items():
        if c != "all":
            out.write(f"%class {c}\n")
            for x, y in knots:
                out.write(f"{x:.6f} {y:.6f}\n")
    for n, b in zip(names, beta):
        out.write(f"%feature {n} {b:.{coef_digits}g}\n")


def write_coef_inc(path, names, beta):
    """The built-in coefficients of calibrate.c, by name (CODIFY_COEF lines)."""
    with open(path, "w") as out:
        out.write("/* The codifier's built-in score coefficients, one CODIFY_COEF(NAME, COEF) a line (the names of\n"
                  " * CODIFY_FEATURE_LIST), read by src/codify/calibrate.c for an alias directory whose\n"
                  " * calibration.txt names none. Written by scripts/fit-codify-calibration.py --write; refit, do\n"
                  " * not edit. */\n")
        for n, b in zip(names, beta):
            out.write(f"CODIFY_COEF({n}, {b:.4f})\n")


def main():
    args = sys.argv[1:]
    threshold = 0.99
    write = None
    dump = None
    global TRAIN_KINDS
    while args and args[0].startswith("--"):
        if args[0] == "--with-variants":
            TRAIN_KINDS = ("dev", "variants")
            args = args[1:]
        elif args[0] == "--threshold":
            threshold = float(args[1])
            args = args[2:]
        elif args[0] == "--dump":
            dump = args[1]
            args = args[2:]
        elif args[0] == "--write":
            write = args[1]
            args = args[2:]
        else:
            sys.exit(f"unknown option {args[0]}")
    if len(args) != 1:
        sys.exit(__doc__)
    BANDS[-2] = threshold
    raw = list(csv.DictReader(open(args[0])))
    names = [k for k in raw[0].keys() if k not in META]
    d = len(names)
    rows = []
    for r in raw:
        x = [(i, float(r[k])) for i, k in enumerate(names) if float(r[k]) != 0.0]
        rows.append({"file": r["file"], "id": r["id"], "y": int(r["correct"]), "x": x,
                     "cap": float(r["cap"]), "div": int(r["div"]), "cls": r.get("class") or "all"})
    # a file of vehicles the catalog lacks is the only source of such rows: it is held out
    # by rows (five folds), so every fit still sees some
    for f in sorted({r["file"] for r in rows}):
        sel = [r for r in rows if r["file"] == f]
        if kind_of(f) == "dev" and not any(r["y"] for r in sel):
            for k, r in enumerate(sel):
                r["file"] = f"{f}#{k % 5}"
    groups = sorted({group_of(r["file"]) for r in rows})
    files = sorted({r["file"].split("#")[0] for r in rows})

    print(f"score fitted on every development file ({len(training_rows(rows, lambda r: True))} rows)...", file=sys.stderr)
    beta_all = fit(training_rows(rows, lambda r: True), d)
    held = {}   # row index -> held-out score
    for g in groups:
        print(f"score fitted without {g}...", file=sys.stderr)
        beta = fit(training_rows(rows, lambda r, g=g: group_of(r["file"]) != g), d, beta_all)
        for i, r in enumerate(rows):
            if group_of(r["file"]) == g:
                held[i] = score_of(beta, r)

    cls = [r["cls"] for r in rows]

    def maps_of(keep):
        by = {}
        for i, r in enumerate(rows):
            if keep(r) and kind_of(r["file"]) != "report" and r["div"]:
                if r["div"] == 1:   # a guessed year is shared after the map
                    by.setdefault(cls[i], []).append((held[i], r["y"]))
        return fit_maps(by, threshold)

    def map_without(g):
        return maps_of(lambda r: group_of(r["file"]) != g)

    print(f"held out by group (score and map fitted without the file's group; threshold {threshold}):")
    print("  band rows: confidence band, rows, share whose top proposal is right, mean confidence, gap;")
    print("  * marks a band below the threshold of 30 rows or more off by over 0.05")
    maps = {g: map_without(g) for g in groups}
    for f in files:
        idx = [i for i, r in enumerate(rows) if r["file"].split("#")[0] == f]
        after = [(apply_maps(maps[group_of(rows[i]["file"])], cls[i], held[i]) / rows[i]["div"] if rows[i]["div"]
                  else 0.0, rows[i]["y"]) for i in idx]
        before = [(held[i] / rows[i]["div"] if rows[i]["div"] else 0.0, rows[i]["y"]) for i in idx]
        matchable = any(rows[i]["y"] for i in idx)
        auto = [(c, y) for (c, y), i in zip(after, idx) if c >= threshold and rows[i]["div"] and
                dict(rows[i]["x"]).get(names.index("model_level"), 0) > 0]
        top1 = sum(y for _, y in after) / len(after)
        prec = sum(y for _, y in auto) / len(auto) if auto else float("nan")
        print(f"\n{f} ({kind_of(f)}): rows {len(idx)}" +
              (f", top-1 {top1:.4f}, auto-accepted {len(auto) / len(idx):.4f} at precision {prec:.4f}" if matchable
               else f", auto-accepted {len(auto)} (no entry exists)"))
        eb, lb, wb = bands_table(before, "before")
        ea, la, wa = bands_table(after, "after")
        print(f"      {'band':9s} {'rows':>6s}  {'right':>7s}  {'score':>7s}  {'gap':>7s}   |   mapped: rows, right, confidence, gap")
        for x, y in zip(lb, la):
            print(x.ljust(50) + "   |  " + y.strip().split(" ", 1)[1].strip())
        print(f"      ECE held-out score {eb:.4f}, mapped {ea:.4f}; worst gap below the threshold "
              f"(bands of 30+) {wb:.4f} -> {wa:.4f}")

    if dump:
        with open(dump, "w") as out:
            out.write("file,id,correct,held_score,confidence," + ",".join(names) + "\n")
            for i, r in enumerate(rows):
                c = apply_maps(maps[group_of(r["file"])], cls[i], held[i]) / r["div"] if r["div"] else 0.0
                xs = dict(r["x"])
                out.write(f"{r['file']},{r['id']},{r['y']},{held[i]:.6f},{c:.6f}," +
                          ",".join(f"{xs.get(k, 0.0):.6g}" for k in range(d)) + "\n")
    final = maps_of(lambda r: True)
    print("\nfitted on every development file:")
    print("coefficients: " + ", ".join(f"{n} {b:.4f}" for n, b in zip(names, beta_all)))
    for c, knots in final.items():
        print(f"map {c}: {len(knots)} knots: " + ", ".join(f"{x:.4f}->{y:.4f}" for x, y in knots))
    if write:
        with open(write, "w") as out:
            out.write("# Confidence calibration: SCORE CONFIDENCE, one pair a line, scores increasing.\n")
            out.write("# The codifier's confidence is the share of proposals right at the model's score,\n")
            out.write("# interpolated linearly between these points. Written by\n")
            out.write("# scripts/fit-codify-calibration.py from scores of rows the model was not fitted on\n")
            out.write(f"# ({len(groups)} groups of development files and their rewrites); refit, do not edit.\n")
            out.write("# %class NAME: the map of one class of proposal (one share when the class is rare);\n")
            out.write("# %feature NAME COEF: the score's coefficients, fitted on every development file.\n")
            write_calibration_body(out, names, beta_all, final)
        print(f"wrote {write}")
        coef = os.path.join(os.path.dirname(write) or ".", "score_coef.inc")
        write_coef_inc(coef, names, beta_all)
        print(f"wrote {coef}")


if __name__ == "__main__":
    main()
