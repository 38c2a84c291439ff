#!/usr/bin/env python3
"""A catalog and broker emails whose doubtful rows repeat, for the review desk's tests.

    gen_doubtful.py OUTDIR [--rows N] [--descriptions K] [--skip S] [--copies C] [--cases M] [--prefix P]

OUTDIR/catalog.csv: for each of S + K models two versions that differ only in transmission and
drive ("... AUT 4X4 ..." and "... STD 4X2 ..."), plus one model with a single version.
OUTDIR/in/P_NNNNN.eml (M emails): a CSV fleet list of N rows, of which K x C name one of the
K models (after the first S) without transmission or drive (the codifier cannot tell the versions apart: review),
the rest the single-version model in full (auto-accepted). Deterministic.
"""
import argparse
import base64
import os

HEADER = ("MARCA,SUBMARCA,NUMVER,RAMO,CVEMARC,CVESUBM,MARTIP,CVESEGM,MODELO,CVEGS,DESCVEH,IDPERDIOD,SUMABAS,"
          "TIPVEH,TRANSMISION")
MODELS = ["TERRANO", "VALLEJO", "ZAPATA", "MORELOS", "HIDALGO", "ALLENDE", "ALDAMA", "MINA", "GUERRERO", "VICTORIA",
          "BRAVO", "MATAMOROS", "OCAMPO", "JUAREZ", "MADERO", "CARRANZA", "OBREGON", "CALLES", "CARDENAS", "ZARAGOZA"]


VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
              **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin_2024(v):
    """A well-formed VIN of model year 2024 (R in 10th place) with its ISO 3779 check digit in
    9th place, so the codifier's reading of the VIN's year agrees with the stated year."""
    total = sum(VIN_VALUES[c] * w for c, w in zip(v, VIN_WEIGHTS))
    check = "X" if total % 11 == 10 else str(total % 11)
    return v[:8] + check + v[9:]


def catalog_rows(k):
    rows, key = [HEADER], 40000
    for i, model in enumerate(MODELS[:k]):
        for trans, drive in (("AUT", "4X4"), ("STD", "4X2")):
            key += 1
            tipo = "AUTO" if trans == "AUT" else "MANUAL"
            rows.append(f"ANAHUAC,{model},1,711,90,{i + 1},090{i + 1:03d},,2024,{key},"
                        f"SUV 5P LIMITED {trans} {drive} 5 OCUP,202510,,CAMIONETA,{tipo}")
    rows.append("ANAHUAC,PLAYERO,1,711,90,99,090099,,2024,49999,SEDAN 4P BASE STD 5 OCUP,202510,,AUTO,MANUAL")
    return rows


def email(n, prefix, rows, k, copies, skip):
    lines = ["INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION,SERIE,PLACAS"]
    doubtful = [(d, c) for c in range(copies) for d in range(k)]
    # Spread the doubtful rows over the list, as a real fleet has them.
    step = max(1, rows // max(1, len(doubtful)))
    first = 3 if step > 3 else 1
    at = {j * step + first: doubtful[j] for j in range(len(doubtful))}
    for i in range(1, rows + 1):
        vin = vin_2024(f"3N1AB7AD0RL{n:02d}{i:04d}")
        if i in at:
            d, _ = at[i]
            lines.append(f"{i},ANAHUAC,{MODELS[skip + d]},2024,SUV 5P LIMITED,{vin},EN TRAMITE")
        else:
            lines.append(f"{i},ANAHUAC,PLAYERO,2024,SEDAN 4P BASE STD 5 OCUP,{vin},EN TRAMITE")
    att = base64.encodebytes(("\r\n".join(lines) + "\r\n").encode("utf-8")).decode("ascii")
    body = (f"Buen día,\r\n\r\nSolicito cotización de flotilla.\r\n\r\n"
            f"Razón social: FLOTILLA REPETIDA {n:05d}, S.A. DE C.V.\r\nRFC: FRE010101AB8\r\n"
            f"Cobertura: Amplia\r\nVigencia: anual a partir del 01/12/2025\r\nForma de pago: contado\r\n")
    return (f"From: Corredor Repetido <ventas@corredor-repetido.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
            f"Subject: Cotizacion flotilla {prefix} {n:05d}\r\nMessage-ID: <{prefix}-{n:05d}@corredor-repetido.mx>\r\n"
            f"Date: Mon, 1 Dec 2025 09:00:00 -0600\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n"
            f"--b{n}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
            f"--b{n}\r\nContent-Type: text/csv; name=\"flotilla_{n:05d}.csv\"\r\n"
            f"Content-Disposition: attachment; filename=\"flotilla_{n:05d}.csv\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{att}\r\n--b{n}--\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=600)
    ap.add_argument("--descriptions", type=int, default=10)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--cases", type=int, default=1)
    ap.add_argument("--prefix", default="dup")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.outdir, "in"), exist_ok=True)
    with open(os.path.join(a.outdir, "catalog.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(catalog_rows(a.skip + a.descriptions)) + "\n")
    for n in range(1, a.cases + 1):
        with open(os.path.join(a.outdir, "in", f"{a.prefix}_{n:05d}.eml"), "w", encoding="utf-8", newline="") as f:
            f.write(email(n, a.prefix, a.rows, a.descriptions, a.copies, a.skip))


if __name__ == "__main__":
    main()
