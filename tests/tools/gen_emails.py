#!/usr/bin/env python3
"""Generates broker quote-request emails for load and failure tests.

    gen_emails.py COUNT OUTDIR [--rows K] [--prefix P] [--catalog FILE]

Each email has a client block in the body (razón social, a valid RFC, coverage, vigencia)
and a CSV fleet list of K vehicles taken from the catalog, as a base64 attachment.
Deterministic for the same arguments; Message-IDs are unique per prefix.
"""
import argparse
import base64
import csv
import os
import random

RFC_CHARS = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def rfc_check_digit(base):
    if len(base) == 11:
        base = " " + base
    total = sum(RFC_CHARS.index(c) * (13 - i) for i, c in enumerate(base))
    r = 11 - total % 11
    return "0" if r == 11 else ("A" if r == 10 else str(r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("count", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=3)
    ap.add_argument("--prefix", default="gen")
    ap.add_argument("--catalog", default=os.path.join(os.path.dirname(__file__), "../../samples/catalog/demo_catver.csv"))
    a = ap.parse_args()
    rng = random.Random(a.prefix)
    with open(a.catalog, encoding="utf-8", newline="") as f:
        catalog = list(csv.DictReader(f))
    os.makedirs(a.outdir, exist_ok=True)
    for n in range(1, a.count + 1):
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        base = f"{letters}{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.choice('ABCDEFGH')}{rng.randint(1, 9)}"
        rfc = base + rfc_check_digit(base)
        rows = ["INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION,SERIE,PLACAS"]
        for i in range(1, a.rows + 1):
            e = rng.choice(catalog)
            rows.append(f'{i},{e["MARCA"]},{e["SUBMARCA"]},{e["MODELO"]},"{e["DESCVEH"]}",,EN TRAMITE')
        attachment = base64.encodebytes(("\r\n".join(rows) + "\r\n").encode("utf-8")).decode("ascii")
        body = (f"Buen día,\r\n\r\nSolicito cotización de flotilla.\r\n\r\n"
                f"Razón social: CLIENTE DE PRUEBA {n:05d}, S.A. DE C.V.\r\nRFC: {rfc}\r\n"
                f"Cobertura: Amplia\r\nVigencia: anual a partir del 01/12/2025\r\nForma de pago: contado\r\n")
        msg = (f"From: Corredor de Carga <ventas@corredor-carga.mx>\r\n"
               f"To: cotizaciones@aseguradora.mx\r\n"
               f"Subject: Cotizacion flotilla {n:05d}\r\n"
               f"Message-ID: <{a.prefix}-{n:05d}@corredor-carga.mx>\r\n"
               f"Date: Mon, 1 Dec 2025 09:00:00 -0600\r\nMIME-Version: 1.0\r\n"
               f"Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n"
               f"--b{n}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
               f"--b{n}\r\nContent-Type: text/csv; name=\"flotilla_{n:05d}.csv\"\r\n"
               f"Content-Disposition: attachment; filename=\"flotilla_{n:05d}.csv\"\r\n"
               f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b{n}--\r\n")
        with open(os.path.join(a.outdir, f"{a.prefix}_{n:05d}.eml"), "w", encoding="utf-8", newline="") as f:
            f.write(msg)


if __name__ == "__main__":
    main()
