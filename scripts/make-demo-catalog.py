#!/usr/bin/env python3
"""Generates samples/catalog/demo_catver.csv: a small invented demo catalog in the AMIS
CATVER layout (15 columns, RFC 4180, CRLF, UTF-8 without BOM).

The vehicles, versions and keys are invented for demos and tests; they are realistic for the
Mexican market in style (insurer-like DESCVEH text) but are not copied from any insurer's
catalog. Output is deterministic: CVEGS is derived from a hash of (MARCA, SUBMARCA, DESCVEH),
so re-running the script gives the same file byte for byte.

usage: scripts/make-demo-catalog.py [OUTPUT]   (default samples/catalog/demo_catver.csv)
"""
import csv
import hashlib
import os
import sys

# brand -> list of (submarca, ramo, tipveh, segment, [(descveh, transmision, first_year, last_year)])
CATALOG = [
    ("NISSAN", [
        ("NP300", 712, "PICKUP", "CARGA", [
            ("PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", "MANUAL", 2016, 2025),
            ("PICK UP 2P L4 2.5L AC DH PQS 1.5TON 6 VEL STD 3 OCUP", "MANUAL", 2017, 2025),
            ("DOBLE CABINA SE 4P L4 2.5L AC BA ABS 1TON STD 5 OCUP", "MANUAL", 2016, 2025),
            ("DOBLE CABINA LE 4P L4 2.5L AC BA ABS 1TON AUT 5 OCUP", "AUTO", 2019, 2025),
            ("DOBLE CABINA 4P L4 2.5L DIESEL 4X4 AC 1TON STD 5 OCUP", "MANUAL", 2016, 2022),
            ("CHASIS CABINA 2P L4 2.5L DH 1.5TON STD 2 OCUP", "MANUAL", 2018, 2025),
        ]),
        ("FRONTIER", 712, "PICKUP", "CARGA", [
            ("PRO-4X DOBLE CABINA 4P V6 4.0L 4X4 AUT 5 OCUP", "AUTO", 2016, 2021),
            ("LE DOBLE CABINA 4P L4 2.3L TURBO DIESEL 4X4 AUT 5 OCUP", "AUTO", 2018, 2025),
            ("XE DOBLE CABINA 4P L4 2.5L AC BA ABS STD 5 OCUP", "MANUAL", 2016, 2024),
        ]),
        ("VERSA", 711, "AUTO", "", [
            ("SENSE 4P L4 1.6L ABS BA AC STD 5 OCUP", "MANUAL", 2016, 2025),
            ("SENSE 4P L4 1.6L ABS BA AC CVT 5 OCUP", "AUTO", 2020, 2025),
            ("ADVANCE 4P L4 1.6L ABS BA AC EE CVT 5 OCUP", "AUTO", 2016, 2025),
            ("EXCLUSIVE 4P L4 1.6L ABS BA AC EE PIEL CVT 5 OCUP", "AUTO", 2016, 2025),
            ("DRIVE 4P L4 1.6L BA AC STD 5 OCUP", "MANUAL", 2016, 2019),
        ]),
        ("MARCH", 711, "AUTO", "", [
            ("SENSE 5P HB L4 1.6L BA AC STD 5 OCUP", "MANUAL", 2016, 2025),
            ("ADVANCE 5P HB L4 1.6L BA ABS AC EE AUT 5 OCUP", "AUTO", 2016, 2025),
            ("ACTIVE 5P HB L4 1.6L BA STD 5 OCUP", "MANUAL", 2016, 2020),
        ]),
        ("SENTRA", 711, "AUTO", "", [
            ("SENSE 4P L4 2.0L ABS BA AC CVT 5 OCUP", "AUTO", 2018, 2025),
            ("ADVANCE 4P L4 2.0L ABS BA AC EE CVT 5 OCUP", "AUTO", 2018, 2025),
            ("SR 4P L4 2.0L ABS BA AC EE PIEL CVT 5 OCUP", "AUTO", 2018, 2025),
        ]),
        ("URVAN", 712, "VAN", "PASAJEROS", [
            ("PANEL 3P L4 2.5L AC STD 3 OCUP", "MANUAL", 2016, 2025),
            ("PASAJEROS 4P L4 2.5L AC STD 15 OCUP", "MANUAL", 2016, 2025),
        ]),
        ("KICKS", 711, "SUV", "", [
            ("SENSE 5P L4 1.6L ABS BA AC CVT 5 OCUP", "AUTO", 2018, 2025),
            ("EXCLUSIVE 5P L4 1.6L ABS BA AC EE PIEL CVT 5 OCUP", "AUTO", 2018, 2025),
        ]),
    ]),
    ("CHEVROLET", [
        ("AVEO", 711, "AUTO", "", [
            ("LS 4P L4 1.5L BA AC STD 5 OCUP", "MANUAL", 2018, 2025),
            ("LT 4P L4 1.5L BA ABS AC EE AUT 5 OCUP", "AUTO", 2018, 2025),
            ("LTZ 4P L4 1.6L BA ABS AC EE AUT 5 OCUP", "AUTO", 2016, 2017),
            ("PAQ A 4P L4 1.6L STD 5 OCUP", "MANUAL", 2016, 2017),
        ]),
        ("S10", 712, "PICKUP", "CARGA", [
            ("MAX CABINA REGULAR 2P L4 2.7L AC STD 2 OCUP", "MANUAL", 2021, 2025),
            ("MAX DOBLE CABINA 4P L4 2.0L TURBO 4X4 AC STD 5 OCUP", "MANUAL", 2022, 2025),
            ("LT DOBLE CABINA 4P L4 2.8L TURBO DIESEL 4X4 AUT 5 OCUP", "AUTO", 2021, 2025),
        ]),
        ("SILVERADO 2500", 712, "PICKUP", "CARGA", [
            ("CABINA REGULAR 2P V8 6.6L 4X2 AUT 3 OCUP", "AUTO", 2018, 2025),
            ("DOBLE CABINA 4P V8 6.6L 4X4 AUT 6 OCUP", "AUTO", 2018, 2025),
        ]),
        ("SPARK", 711, "AUTO", "", [
            ("LT 5P HB L4 1.4L BA ABS AC STD 5 OCUP", "MANUAL", 2016, 2022),
            ("ACTIV 5P HB L4 1.4L BA ABS AC CVT 5 OCUP", "AUTO", 2017, 2022),
        ]),
        ("TORNADO", 712, "PICKUP", "CARGA", [
            ("PICK UP 2P L4 1.8L AC STD 2 OCUP", "MANUAL", 2016, 2020),
            ("VAN 4P L4 1.5L AC STD 2 OCUP", "MANUAL", 2022, 2025),
        ]),
        ("TAHOE", 711, "SUV", "LUJO", [
            ("LT 5P V8 5.3L 4X4 PIEL AUT 8 OCUP", "AUTO", 2016, 2025),
            ("PREMIER 5P V8 6.2L 4X4 PIEL QC AUT 7 OCUP", "AUTO", 2019, 2025),
        ]),
    ]),
    ("VOLKSWAGEN", [
        ("JETTA", 711, "AUTO", "", [
            ("TRENDLINE 4P L4 1.4T ABS BA AC STD 5 OCUP", "MANUAL", 2019, 2025),
            ("COMFORTLINE 4P L4 1.4T ABS BA AC EE TIPTRONIC 5 OCUP", "AUTO", 2019, 2025),
            ("HIGHLINE 4P L4 1.4T ABS BA AC EE PIEL QC TIPTRONIC 5 OCUP", "AUTO", 2019, 2025),
            ("GLI 4P L4 2.0T ABS BA AC EE PIEL DSG 5 OCUP", "AUTO", 2019, 2025),
        ]),
        ("VENTO", 711, "AUTO", "", [
            ("STARLINE 4P L4 1.6L BA AC STD 5 OCUP", "MANUAL", 2016, 2022),
            ("COMFORTLINE 4P L4 1.6L ABS BA AC EE AUT 5 OCUP", "AUTO", 2016, 2022),
        ]),
        ("VIRTUS", 711, "AUTO", "", [
            ("SENSE 4P L4 1.6L BA ABS AC STD 5 OCUP", "MANUAL", 2022, 2025),
            ("HIGHLINE 4P L3 1.0T BA ABS AC EE AUT 5 OCUP", "AUTO", 2022, 2025),
        ]),
        ("SAVEIRO", 712, "PICKUP", "CARGA", [
            ("ROBUST 2P L4 1.6L AC STD 2 OCUP", "MANUAL", 2017, 2025),
            ("CROSS DOBLE CABINA 2P L4 1.6L AC EE STD 5 OCUP", "MANUAL", 2019, 2025),
        ]),
        ("AMAROK", 712, "PICKUP", "CARGA", [
            ("COMFORTLINE DOBLE CABINA 4P L4 2.0L TDI 4MOTION AUT 5 OCUP", "AUTO", 2018, 2023),
        ]),
        ("TRANSPORTER", 712, "VAN", "CARGA", [
            ("PANEL 4P L4 2.0L TDI STD 3 OCUP", "MANUAL", 2017, 2025),
            ("KOMBI 4P L4 2.0L TDI AC STD 9 OCUP", "MANUAL", 2017, 2025),
        ]),
        ("TIGUAN", 711, "SUV", "", [
            ("TRENDLINE PLUS 5P L4 1.4T ABS BA AC DSG 5 OCUP", "AUTO", 2018, 2025),
            ("COMFORTLINE 5P L4 1.4T ABS BA AC EE DSG 7 OCUP", "AUTO", 2018, 2025),
        ]),
    ]),
    ("TOYOTA", [
        ("HILUX", 712, "PICKUP", "CARGA", [
            ("CHASIS CABINA 2P L4 2.7L AC STD 3 OCUP", "MANUAL", 2016, 2025),
            ("CABINA SENCILLA 2P L4 2.7L AC DH STD 3 OCUP", "MANUAL", 2016, 2025),
            ("DOBLE CABINA SR 4P L4 2.7L AC BA ABS STD 5 OCUP", "MANUAL", 2016, 2025),
            ("DOBLE CABINA SRV 4P L4 2.7L AC BA ABS EE AUT 5 OCUP", "AUTO", 2016, 2025),
            ("DOBLE CABINA DIESEL 4P L4 2.8L TURBO 4X4 AUT 5 OCUP", "AUTO", 2020, 2025),
        ]),
        ("HIACE", 712, "VAN", "PASAJEROS", [
            ("PANEL 3P L4 2.7L AC STD 3 OCUP", "MANUAL", 2016, 2025),
            ("SUPER LARGA 4P L4 2.7L AC STD 15 OCUP", "MANUAL", 2016, 2025),
            ("DIESEL PASAJEROS 4P L4 2.8L TURBO AC STD 12 OCUP", "MANUAL", 2020, 2025),
        ]),
        ("COROLLA", 711, "AUTO", "", [
            ("BASE 4P L4 2.0L ABS BA AC CVT 5 OCUP", "AUTO", 2020, 2025),
            ("SE 4P L4 2.0L ABS BA AC EE CVT 5 OCUP", "AUTO", 2020, 2025),
            ("HIBRIDO 4P L4 1.8L HEV ABS BA AC EE CVT 5 OCUP", "AUTO", 2020, 2025),
            ("LE 4P L4 1.8L ABS BA AC STD 5 OCUP", "MANUAL", 2016, 2019),
        ]),
        ("YARIS", 711, "AUTO", "", [
            ("CORE 4P L4 1.5L BA ABS AC STD 5 OCUP", "MANUAL", 2018, 2023),
            ("S 5P HB L4 1.5L BA ABS AC EE CVT 5 OCUP", "AUTO", 2018, 2023),
        ]),
        ("RAV4", 711, "SUV", "", [
            ("XLE 5P L4 2.5L ABS BA AC EE AUT 5 OCUP", "AUTO", 2019, 2025),
            ("HIBRIDA LIMITED 5P L4 2.5L HEV AWD ABS BA AC PIEL CVT 5 OCUP", "AUTO", 2019, 2025),
        ]),
        ("TACOMA", 712, "PICKUP", "CARGA", [
            ("TRD SPORT DOBLE CABINA 4P V6 3.5L 4X2 AUT 5 OCUP", "AUTO", 2016, 2023),
            ("TRD OFF ROAD DOBLE CABINA 4P V6 3.5L 4X4 AUT 5 OCUP", "AUTO", 2016, 2023),
        ]),
    ]),
    ("FORD", [
        ("F-150", 712, "PICKUP", "CARGA", [
            ("XL CABINA REGULAR 2P V6 3.3L 4X2 AUT 3 OCUP", "AUTO", 2018, 2025),
            ("XLT DOBLE CABINA 4P V8 5.0L 4X4 AUT 5 OCUP", "AUTO", 2018, 2025),
            ("LARIAT DOBLE CABINA 4P V6 3.5L TURBO 4X4 PIEL AUT 5 OCUP", "AUTO", 2018, 2025),
            ("RAPTOR SUPERCREW 4P V6 3.5L TURBO 4X4 PIEL AUT 5 OCUP", "AUTO", 2019, 2025),
        ]),
        ("RANGER", 712, "PICKUP", "CARGA", [
            ("XL CHASIS CABINA 2P L4 2.5L AC STD 2 OCUP", "MANUAL", 2016, 2023),
            ("XL CABINA REGULAR 2P L4 2.5L AC DH STD 3 OCUP", "MANUAL", 2016, 2023),
            ("XLT DOBLE CABINA 4P L4 2.5L AC BA ABS AUT 5 OCUP", "AUTO", 2016, 2023),
            ("XLT DOBLE CABINA 4P L4 2.0L TURBO DIESEL 4X4 AUT 5 OCUP", "AUTO", 2024, 2025),
        ]),
        ("TRANSIT", 712, "VAN", "CARGA", [
            ("VAN CORTA 3P L4 2.2L TURBO DIESEL STD 3 OCUP", "MANUAL", 2016, 2025),
            ("BUS 4P L4 2.2L TURBO DIESEL AC STD 15 OCUP", "MANUAL", 2016, 2025),
        ]),
        ("FIGO", 711, "AUTO", "", [
            ("IMPULSE 4P L4 1.5L BA AC STD 5 OCUP", "MANUAL", 2016, 2020),
            ("ENERGY 5P HB L4 1.5L BA ABS AC EE AUT 5 OCUP", "AUTO", 2016, 2020),
        ]),
        ("ESCAPE", 711, "SUV", "", [
            ("S 5P L4 2.5L ABS BA AC AUT 5 OCUP", "AUTO", 2016, 2022),
            ("TITANIUM HIBRIDA 5P L4 2.5L HEV ABS BA AC PIEL CVT 5 OCUP", "AUTO", 2020, 2025),
        ]),
    ]),
    ("RAM", [
        ("RAM 700", 712, "PICKUP", "CARGA", [
            ("CABINA REGULAR 2P L4 1.4L AC STD 2 OCUP", "MANUAL", 2016, 2023),
            ("DOBLE CABINA SLT 4P L4 1.6L AC BA ABS STD 5 OCUP", "MANUAL", 2016, 2023),
        ]),
        ("RAM 2500", 712, "PICKUP", "CARGA", [
            ("SLT CABINA REGULAR 2P V8 5.7L 4X2 AUT 3 OCUP", "AUTO", 2016, 2025),
            ("SLT CREW CAB 4P V8 5.7L 4X4 AUT 6 OCUP", "AUTO", 2016, 2025),
        ]),
        ("RAM 4000", 713, "CAMION", "CARGA", [
            ("CHASIS CABINA 2P V8 5.7L 4X2 AUT 3.5TON 3 OCUP", "AUTO", 2016, 2025),
        ]),
        ("PROMASTER", 712, "VAN", "CARGA", [
            ("CARGO VAN 4P V6 3.6L AUT 2 OCUP", "AUTO", 2017, 2025),
            ("RAPID CARGO 4P L4 1.4L STD 2 OCUP", "MANUAL", 2019, 2024),
        ]),
    ]),
    ("KIA", [
        ("RIO", 711, "AUTO", "", [
            ("L 4P L4 1.6L ABS BA AC STD 5 OCUP", "MANUAL", 2018, 2025),
            ("LX 4P L4 1.6L ABS BA AC EE AUT 5 OCUP", "AUTO", 2018, 2025),
            ("EX 5P HB L4 1.6L ABS BA AC EE AUT 5 OCUP", "AUTO", 2018, 2025),
        ]),
        ("FORTE", 711, "AUTO", "", [
            ("LX 4P L4 2.0L ABS BA AC STD 5 OCUP", "MANUAL", 2019, 2025),
            ("GT 4P L4 1.6T ABS BA AC EE PIEL DCT 5 OCUP", "AUTO", 2019, 2025),
        ]),
        ("SPORTAGE", 711, "SUV", "", [
            ("LX 5P L4 2.0L ABS BA AC AUT 5 OCUP", "AUTO", 2017, 2025),
            ("SXL 5P L4 2.4L AWD ABS BA AC PIEL AUT 5 OCUP", "AUTO", 2017, 2025),
        ]),
        ("SELTOS", 711, "SUV", "", [
            ("EX 5P L4 2.0L ABS BA AC EE CVT 5 OCUP", "AUTO", 2020, 2025),
            ("SX 5P L4 1.4T ABS BA AC EE PIEL DCT 5 OCUP", "AUTO", 2020, 2025),
        ]),
    ]),
    ("MAZDA", [
        ("MAZDA 3", 711, "AUTO", "", [
            ("I SPORT 4P L4 2.0L ABS BA AC STD 5 OCUP", "MANUAL", 2016, 2025),
            ("I GRAND TOURING 4P L4 2.5L ABS BA AC EE PIEL AUT 5 OCUP", "AUTO", 2016, 2025),
            ("HATCHBACK I SPORT 5P L4 2.0L ABS BA AC AUT 5 OCUP", "AUTO", 2016, 2025),
        ]),
        ("MAZDA 2", 711, "AUTO", "", [
            ("I 4P L4 1.5L ABS BA AC STD 5 OCUP", "MANUAL", 2016, 2024),
            ("I GRAND TOURING 5P HB L4 1.5L ABS BA AC EE AUT 5 OCUP", "AUTO", 2016, 2024),
        ]),
        ("CX-5", 711, "SUV", "", [
            ("I SPORT 5P L4 2.0L ABS BA AC AUT 5 OCUP", "AUTO", 2017, 2025),
            ("SIGNATURE 5P L4 2.5T AWD ABS BA AC PIEL AUT 5 OCUP", "AUTO", 2019, 2025),
        ]),
        ("BT-50", 712, "PICKUP", "CARGA", [
            ("DOBLE CABINA 4P L4 2.2L DIESEL AC STD 5 OCUP", "MANUAL", 2016, 2021),
        ]),
    ]),
    ("HONDA", [
        ("CIVIC", 711, "AUTO", "", [
            ("EX 4P L4 2.0L ABS BA AC EE CVT 5 OCUP", "AUTO", 2016, 2025),
            ("TOURING 4P L4 1.5T ABS BA AC EE PIEL CVT 5 OCUP", "AUTO", 2016, 2025),
        ]),
        ("CR-V", 711, "SUV", "", [
            ("EX 5P L4 1.5T ABS BA AC EE CVT 5 OCUP", "AUTO", 2017, 2025),
            ("TOURING 5P L4 1.5T AWD ABS BA AC EE PIEL CVT 5 OCUP", "AUTO", 2017, 2025),
        ]),
        ("CITY", 711, "AUTO", "", [
            ("LX 4P L4 1.5L ABS BA AC STD 5 OCUP", "MANUAL", 2016, 2025),
            ("SPORT 4P L4 1.5L ABS BA AC EE CVT 5 OCUP", "AUTO", 2021, 2025),
        ]),
    ]),
    ("GENERAL MOTORS", [
        ("SIERRA", 712, "PICKUP", "CARGA", [
            ("SLE DOBLE CABINA 4P V8 5.3L 4X4 AUT 5 OCUP", "AUTO", 2016, 2025),
            ("DENALI DOBLE CABINA 4P V8 6.2L 4X4 PIEL AUT 5 OCUP", "AUTO", 2016, 2025),
        ]),
    ]),
    ("ISUZU", [
        ("ELF 400", 713, "CAMION", "CARGA", [
            ("CHASIS CABINA 2P L4 3.0L TURBO DIESEL STD 4TON 3 OCUP", "MANUAL", 2016, 2025),
        ]),
    ]),
    ("BYD", [
        ("DOLPHIN", 711, "AUTO", "", [
            ("MINI 5P HB ELECTRICO ABS BA AC EE AUT 4 OCUP", "AUTO", 2024, 2025),
        ]),
        ("SONG PLUS", 711, "SUV", "", [
            ("DM-I 5P L4 1.5L PHEV ABS BA AC PIEL AUT 5 OCUP", "AUTO", 2023, 2025),
        ]),
    ]),
]

HEADER = ["MARCA", "SUBMARCA", "NUMVER", "RAMO", "CVEMARC", "CVESUBM", "MARTIP", "CVESEGM",
          "MODELO", "CVEGS", "DESCVEH", "IDPERDIOD", "SUMABAS", "TIPVEH", "TRANSMISION"]


def cvegs_for(marca, submarca, desc, used):
    """5-digit key from a hash of the identity; linear probing keeps keys unique."""
    h = int(hashlib.sha256(f"{marca}|{submarca}|{desc}".encode()).hexdigest(), 16) % 100000
    while h in used:
        h = (h + 1) % 100000
    used.add(h)
    return f"{h:05d}"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "samples", "catalog", "demo_catver.csv")
    used = set()
    rows = []
    for cvemarc, (marca, models) in enumerate(sorted(CATALOG, key=lambda b: b[0]), start=1):
        for cvesubm, (submarca, ramo, tipveh, segm, versions) in enumerate(sorted(models, key=lambda m: m[0]), start=1):
            for numver, (desc, trans, y0, y1) in enumerate(versions, start=1):
                key = cvegs_for(marca, submarca, desc, used)
                for year in range(y0, y1 + 1):
                    rows.append([marca, submarca, str(numver), str(ramo), str(cvemarc), str(cvesubm),
                                 f"{cvemarc:03d}{cvesubm:03d}", segm, str(year), key, desc,
                                 "202510", "", tipveh, trans])
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(HEADER)
        w.writerows(rows)
    print(f"{out}: {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
