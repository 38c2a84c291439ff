#!/usr/bin/env python3
"""Rewrites labelled vehicle rows into forms broker text takes that no development file shows.

    scripts/make-codify-variants.py [--seed N] [--rows N] --catalog CATVER.csv \\
        --out VARIANTS.csv DEV_FILE.csv...

Each output row is one input row (chosen with the seed) rewritten by two to four of these
transformations, named in the `variant` column:

  year_text     the model year only in the text, in a short form: 'YY, M-YY, MOD YY,
                MOD.YY, AÑO 'YY, MOD ’YY (the year column left blank)
  year_column   the year column holding two digits ("20"), or "'20", and no year in the text
  year_vin      the year only in a VIN: a VIN of the brand's manufacturer prefix (data/codify
                wmi.txt) whose 10th character is the model year (with a valid check digit for
                North American prefixes), the year column and text years removed
  units         the displacement as 2.0L, 2 .0 L, 20L or 2.0 LTS
  ocr           digit/letter confusions in words that are not the brand, the model or a
                figure: O->0, I->1, S->5, B->8
  body_use      words of body type (from the catalog entry's TIPVEH) and of use ("USO
                PARTICULAR", "SERVICIO PUBLICO"...)
  junk          colour, fleet, plate and paperwork words, some no word list carries
  spacing       a space dropped between a letter word and a figure, or doubled
  case          lower or mixed case

The label (expected_cvegs, expected_year) is kept: every rewrite keeps what identifies the
vehicle. The output has the eval layout (data/eval/README.md) with ids prefixed DV-, plus
`variant`. The same seed gives the same file. Rows of the files the confidence was fitted on
are rewritten here; report the codifier on this file only with a model fitted on other rows
(scripts/fit-codify-calibration.py folds by row).
"""
import argparse
import csv
import os
import random
import re
import sys

CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
TRANSLIT = {**{str(d): d for d in range(10)},
            **dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ",
                       [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]))}
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"

BODY = {
    "AUTO": ["AUTOMOVIL", "TURISMO", "VEHICULO"],   # not "AUTO": brokers write it for AUT
    "SUV": ["CAMIONETA", "SUV", "UTILITARIO DEPORTIVO"],
    "PICKUP": ["CAMIONETA", "PICK UP", "PICKUP", "CAMIONETA CARGA"],
    "VAN": ["VAN", "CAMIONETA", "FURGONETA"],
    "CAMION": ["CAMION", "CHASIS"],
}
USE = ["USO PARTICULAR", "SERVICIO PARTICULAR", "USO COMERCIAL", "SERVICIO PUBLICO",
       "USO: PERSONAL", "USO EMPRESARIAL", "TRANSPORTE DE PERSONAL", "REPARTO", "UTILITARIO",
       "SERV. PART.", "PARTICULAR"]
JUNK = ["COLOR GRIS OXFORD", "BLANCO", "ROJO", "INV 4471", "ECO-12", "ASIGNADO A VENTAS",
        "FACTURA 2231", "PLACAS NXZ-123-A", "UNIDAD 38", "NUEVO", "SEMINUEVO", "1 UNIDAD",
        "SIN ADAPTACIONES", "COBERTURA AMPLIA", "COTIZAR", "ASEGURAR", "ALTA", "SUCURSAL GDL",
        "RESGUARDO: J. PEREZ", "POLIZA ANTERIOR 112233", "CONDUCTOR ASIGNADO", "FLOTILLA",
        "PLATA", "NEGRO METALICO", "KM 0", "EQUIPO ESPECIAL NO", "AJUSTE", "#12", "NO. 7"]
SHORT_YEAR = ["'{yy}", "M-{yy}", "MOD {yy}", "MOD.{yy}", "AÑO '{yy}", "MOD ’{yy}", "MOD '{yy}",
              "M{yy}"]
OCR = {"O": "0", "I": "1", "S": "5", "B": "8"}
UNIT_WORDS = {"L", "LT", "LTS", "LITROS", "P", "PTAS", "PUERTAS", "CIL", "OCUP", "PAS", "TON",
              "AUT", "STD", "ABS", "VEL", "HP", "MOD", "MODELO", "VIN", "SERIE"}


def compact(s):
    return re.sub(r"[^A-Z0-9]", "", s.upper())


def load_catalog(path):
    cat = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            key = (r["CVEGS"].lstrip("0"), r["MODELO"])
            cat[key] = (r["MARCA"], r["SUBMARCA"], (r.get("TIPVEH") or "").strip())
    return cat


def load_wmi(path):
    by_brand = {}
    na = "12345"
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("%checkdigit"):
                na = compact(line[len("%checkdigit"):])
                continue
            if "=" not in line:
                continue
            wmi, brands = line.split("=", 1)
            wmi = compact(wmi)
            if len(wmi) != 3:
                continue
            for b in brands.split(","):
                by_brand.setdefault(compact(b), []).append(wmi)
    return by_brand, na


def check_digit(vin):
    s = sum(TRANSLIT[c] * w for c, w in zip(vin, WEIGHTS)) % 11
    return "X" if s == 10 else str(s)


def make_vin(rng, wmi, year, na_regions):
    off = (year - 1980) % 30
    code = CODES[off]
    vds = [rng.choice(VIN_CHARS) for _ in range(5)]
    # position 7: a letter from 2010 on, a digit before (the North American rule)
    vds[3] = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if year >= 2010 else rng.choice("0123456789")
    # position 11 the plant, 12-17 the serial number (digits, as high-volume makers write it)
    serial = rng.choice(VIN_CHARS) + "".join(rng.choice("0123456789") for _ in range(6))
    vin = wmi + "".join(vds) + "0" + code + serial
    if wmi[0] in na_regions or rng.random() < 0.5:
        vin = vin[:8] + check_digit(vin) + vin[9:]
    else:
        vin = vin[:8] + rng.choice("0123456789X") + vin[9:]
    return vin


def strip_years(text, year):
    """Removes the stated model year from a description: MOD 2019, (2019), mod: 19, M-19."""
    y4, y2 = str(year), str(year)[2:]
    text = re.sub(r"(?i)\b(MOD(ELO)?|A[ÑN]O|YEAR|M)\s*[.:\-]?\s*['’]?(" + y4 + "|" + y2 + r")\b", " ", text)
    text = re.sub(r"\(\s*" + y4 + r"\s*\)", " ", text)
    text = re.sub(r"\b" + y4 + r"\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def t_year_text(rng, row, ctx):
    y = int(row["expected_year"])
    row["descripcion"] = strip_years(row["descripcion"], y)
    row["anio"] = ""
    form = rng.choice(SHORT_YEAR).format(yy=str(y)[2:])
    row["descripcion"] = (row["descripcion"] + " " + form) if rng.random() < 0.8 else (form + " " + row["descripcion"])
    return True


def t_year_column(rng, row, ctx):
    y = int(row["expected_year"])
    row["descripcion"] = strip_years(row["descripcion"], y)
    row["anio"] = rng.choice(["{yy}", "{yy}", "'{yy}"]).format(yy=str(y)[2:])
    return True


def t_year_vin(rng, row, ctx):
    wmis = ctx["wmi"].get(compact(ctx["brand"]))
    if not wmis:
        return False
    y = int(row["expected_year"])
    row["descripcion"] = strip_years(re.sub(r"(?i)\b[A-HJ-NPR-Z0-9]{17}\b", " ", row["descripcion"]), y)
    row["anio"] = ""
    vin = make_vin(rng, rng.choice(wmis), y, ctx["na"])
    row["descripcion"] += " " + rng.choice(["VIN ", "SERIE ", "NIV: ", "S/", ""]) + vin
    return True


def t_units(rng, row, ctx):
    m = re.search(r"\b(\d)\.(\d)\s?(L|LTS?|LITROS)?\b\.?", row["descripcion"])
    if not m:
        return False
    a, b = m.group(1), m.group(2)
    form = rng.choice([f"{a}.{b}L", f"{a} .{b} L", f"{a}{b}L", f"{a}.{b} LTS", f"{a}.{b}LT"])
    row["descripcion"] = row["descripcion"][:m.start()] + form + row["descripcion"][m.end():]
    return True


def t_ocr(rng, row, ctx):
    key_words = {compact(w) for w in (ctx["brand"] + " " + ctx["model"] + " " + row["marca"] + " " +
                                       row["submarca"]).split()}
    words = row["descripcion"].split(" ")
    cands = [i for i, w in enumerate(words)
             if re.fullmatch(r"[A-Za-z]{5,}", w) and compact(w) not in key_words and w.upper() not in UNIT_WORDS
             and any(c in OCR for c in w.upper()[1:])]
    if not cands:
        return False
    i = rng.choice(cands)
    w = words[i]
    pos = [k for k in range(1, len(w)) if w[k].upper() in OCR]
    k = rng.choice(pos)
    words[i] = w[:k] + OCR[w[k].upper()] + w[k + 1:]
    row["descripcion"] = " ".join(words)
    return True


def t_body_use(rng, row, ctx):
    parts = []
    body = BODY.get(ctx["tipveh"].upper())
    if body and rng.random() < 0.7:
        parts.append(rng.choice(body))
    if not parts or rng.random() < 0.6:
        parts.append(rng.choice(USE))
    for p in parts:
        if rng.random() < 0.5:
            row["descripcion"] = p + " " + row["descripcion"]
        else:
            row["descripcion"] += " " + p
    return True


def t_junk(rng, row, ctx):
    for _ in range(rng.choice([1, 1, 2])):
        j = rng.choice(JUNK)
        row["descripcion"] = (row["descripcion"] + " " + j) if rng.random() < 0.75 else (j + " " + row["descripcion"])
    return True


def t_spacing(rng, row, ctx):
    d = row["descripcion"]
    gaps = [m.start() for m in re.finditer(r"(?<=[A-Za-z]) (?=\d)|(?<=\d) (?=[A-Za-z])", d)]
    if gaps and rng.random() < 0.6:
        g = rng.choice(gaps)
        row["descripcion"] = d[:g] + d[g + 1:]
    else:
        spaces = [m.start() for m in re.finditer(" ", d)]
        if not spaces:
            return False
        g = rng.choice(spaces)
        row["descripcion"] = d[:g] + "  " + d[g + 1:]
    return True


def t_case(rng, row, ctx):
    if rng.random() < 0.5:
        row["descripcion"] = row["descripcion"].lower()
    else:
        row["descripcion"] = " ".join(w.capitalize() for w in row["descripcion"].split(" "))
    return True


YEARS = [("year_text", t_year_text), ("year_column", t_year_column), ("year_vin", t_year_vin)]
OTHERS = [("units", t_units), ("ocr", t_ocr), ("body_use", t_body_use), ("junk", t_junk),
          ("spacing", t_spacing), ("case", t_case)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=26)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--wmi", default=os.path.join(os.path.dirname(__file__), "..", "data", "codify", "wmi.txt"))
    ap.add_argument("--out", required=True)
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    cat = load_catalog(a.catalog)
    wmi, na = load_wmi(a.wmi)
    rows = []
    for path in a.files:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows += [r for r in csv.DictReader(f) if r["expected_cvegs"].strip()]
    rng.shuffle(rows)
    out_rows = []
    for r in rows:
        if len(out_rows) >= a.rows:
            break
        ent = cat.get((r["expected_cvegs"].lstrip("0"), r["expected_year"]))
        if not ent:
            continue
        row = dict(r)
        ctx = {"brand": ent[0], "model": ent[1], "tipveh": ent[2], "wmi": wmi, "na": na}
        done = []
        others = rng.sample(OTHERS, rng.choice([1, 2, 3]))
        # spaces are dropped in the broker's own text, before the year or VIN is written
        if ("spacing", t_spacing) in others and t_spacing(rng, row, ctx):
            done.append("spacing")
        name, fn = rng.choice(YEARS)
        if not fn(rng, row, ctx):
            name, fn = YEARS[0]   # no manufacturer prefix for the brand: the year in the text
            fn(rng, row, ctx)
        done.append(name)
        for name, fn in others:
            if name != "spacing" and fn(rng, row, ctx):
                done.append(name)
        row["id"] = "DV-" + r["id"]
        row["variant"] = "+".join(done)
        out_rows.append(row)
    cols = ["id", "marca", "submarca", "anio", "descripcion", "expected_cvegs", "expected_year", "source",
            "difficulty", "variant"]
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore", lineterminator="\r\n")
        w.writeheader()
        w.writerows(out_rows)
    print(f"{a.out}: {len(out_rows)} rows (seed {a.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
