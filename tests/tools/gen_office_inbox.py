#!/usr/bin/env python3
"""Generates broker emails whose fleet lists were saved by LibreOffice Calc, with labels.

    gen_office_inbox.py OUTDIR [--count N] [--seed S] [--catalog CSV] [--formats xlsx,xls,ods,pdf]

Each email gets a workbook in a layout drawn at random from the shapes brokers use (title blocks,
one- or two-row headers with merged group labels, several tables on a sheet, hidden columns,
amounts as numbers or text, "VALOR COMERCIAL" for old units, subtotal and totals rows, a sheet of
conditions before or after, long lists printed over several pages). The workbook is written with
openpyxl and then opened and saved by LibreOffice (`soffice --headless --convert-to`) as xlsx,
xls, ods or pdf, so the bytes are what Calc writes. OUTDIR receives the .eml files and a
labels.json in the layout of shared/data/inbox_real_dev (the fields scripts/score-inbox.py reads).

The layouts and header wordings here are written from how brokers build their lists, not from any
labelled file: a set generated with a seed nobody tuned on measures the extraction honestly.
Needs openpyxl and LibreOffice (soffice); without soffice it exits 77.
"""
import argparse
import base64
import csv
import datetime
import email.utils
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HEADERS = {
    "inciso": ["INCISO", "NO.", "NÚM.", "PARTIDA", "CONS.", "#", "NO. UNIDAD", "ITEM"],
    "marca": ["MARCA", "FABRICANTE", "ARMADORA"],
    "submarca": ["SUBMARCA", "LÍNEA", "SUB MARCA", "TIPO"],
    "year": ["AÑO", "MODELO", "AÑO MOD.", "AÑO-MODELO", "ANIO", "AÑO MODELO"],
    "version": ["VERSIÓN", "DESCRIPCIÓN", "VERSIÓN / EQUIPAMIENTO", "DESCRIPCIÓN DEL VEHÍCULO"],
    "description": ["DESCRIPCIÓN", "DESCRIPCIÓN DEL VEHÍCULO", "VEHÍCULO", "UNIDAD"],
    "vin": ["VIN", "NO. SERIE (VIN)", "SERIE VEHICULAR", "NIV / VIN", "NÚMERO DE SERIE", "SERIE"],
    "plate": ["PLACAS", "PLACA", "NO. PLACAS"],
    "motor": ["MOTOR", "NO. MOTOR"],
    "sum": ["VALOR ASEGURADO", "VALOR A ASEGURAR", "VALOR CONVENIDO", "SUMA ASEG. (MXN)", "SUMA ASEGURADA"],
    "uso": ["USO"],
}
EXTRA = ["COLOR", "CONDUCTOR ASIGNADO", "OBSERVACIONES", "CENTRO DE COSTOS", "ÁREA"]
COLORS = ["BLANCO", "GRIS PLATA", "ROJO", "NEGRO", "AZUL MARINO", "ARENA"]
NAMES = ["J. PÉREZ", "M. LÓPEZ", "R. ÁVILA", "S. NÚÑEZ", "A. CASTAÑEDA", "L. OROZCO"]
VIN_VALUES = {**{str(d): d for d in range(10)},
              **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
              **dict(zip("STUVWXYZ", range(2, 10)))}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 2010 -> A ... 2039 -> 9
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
CLIENT_WORDS = ["TRANSPORTES", "DISTRIBUIDORA", "COMERCIALIZADORA", "CONSTRUCTORA", "AGROINDUSTRIAS",
                "SERVICIOS", "LOGÍSTICA", "ALIMENTOS", "MATERIALES"]
PLACES = ["DEL BAJÍO", "DE LA SIERRA", "HUASTECA", "DEL PACÍFICO", "PENINSULAR", "NORTEÑA", "DEL GOLFO",
          "ALTEÑA", "MIXTECA", "LAGUNERA"]
RFC_CHARS = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


def rfc_check_digit(base):
    if len(base) == 11:
        base = " " + base
    total = sum(RFC_CHARS.index(c) * (13 - i) for i, c in enumerate(base))
    r = 11 - total % 11
    return "0" if r == 11 else ("A" if r == 10 else str(r))


def make_vin(rng, year):
    chars = [rng.choice(VIN_CHARS) for _ in range(17)]
    chars[0] = rng.choice("1235JKLMNW9")
    chars[9] = YEAR_CODES[(year - 2010) % 30]
    for i in range(12, 17):
        chars[i] = rng.choice("0123456789")
    chars[8] = "0"
    total = sum(VIN_VALUES[c] * w for c, w in zip(chars, VIN_WEIGHTS))
    chars[8] = "X" if total % 11 == 10 else str(total % 11)
    return "".join(chars)


def make_plate(rng):
    L = "ABCDEFGHJKLMNPRSTUVWXYZ"
    shape = rng.choice(["LLL-NNN-L", "LLL-NNNN", "LL-NN-NNN", "NN-LL-NNN", "LLLNNNN"])
    return "".join(rng.choice(L) if c == "L" else rng.choice("0123456789") if c == "N" else c for c in shape)


def money_text(rng, v):
    return rng.choice(["$ {:,.2f}", "${:,.0f}", "{:,.2f} MXN", "$ {:,.2f} M.N."]).format(v)


def load_catalog(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["MODELO"].isdigit() and 2012 <= int(r["MODELO"]) <= 2026]
    return rows


def vehicles_for(rng, catalog, n, trucks=False):
    pool = [r for r in catalog if (r["TIPVEH"] in ("CAMION", "PICK UP", "PICKUP", "CARGA")) == trucks] or catalog
    out = []
    for _ in range(n):
        r = rng.choice(pool)
        year = int(r["MODELO"])
        commercial = year <= 2016 and rng.random() < 0.5
        out.append({
            "marca": r["MARCA"], "submarca": r["SUBMARCA"], "year": year, "version": r["DESCVEH"],
            "cvegs": r["CVEGS"], "vin": make_vin(rng, year) if rng.random() > 0.05 else None,
            "plate": make_plate(rng) if rng.random() > 0.08 else rng.choice([None, "EN TRÁMITE"]),
            "motor": "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(8)),
            "sum": None if commercial else float(rng.randrange(150000, 950000, 500)),
            "commercial": commercial,
            "uso": rng.choice(["CARGA", "PARTICULAR", "COMERCIAL"]),
            "extra": {"COLOR": rng.choice(COLORS), "CONDUCTOR ASIGNADO": rng.choice(NAMES),
                      "OBSERVACIONES": rng.choice(["", "", "", "BLINDADA NIVEL III", "SUSTITUYE UNIDAD ROBADA"]),
                      "CENTRO DE COSTOS": "CC-%03d" % rng.randint(1, 40), "ÁREA": rng.choice(["VENTAS", "REPARTO", "DIRECCIÓN"])},
        })
    return out


class Layout:
    def __init__(self, rng, fmt):
        self.rng = rng
        self.fmt = fmt
        self.title_rows = rng.choice([0, 0, 2, 3, 4, 5, 7])
        self.start_col = rng.choice([0, 0, 0, 1])
        self.two_row = rng.random() < 0.35
        self.single_desc = rng.random() < 0.2
        self.money = rng.choice(["number", "number", "currency", "text"])
        self.years_text = rng.random() < 0.25
        self.blank_between = rng.random() < 0.15
        self.subtotals = rng.random() < 0.15
        self.totals = rng.random() < 0.5
        self.two_tables = rng.random() < 0.25
        self.conditions = rng.choice([None, None, "first", "after"])
        self.hidden = rng.choice([None, None, "factura", "extra"])
        self.extras = rng.sample(EXTRA, rng.choice([0, 0, 1, 2]))
        self.has_motor = rng.random() < 0.3
        self.has_uso = rng.random() < 0.3
        self.n = rng.choice([8, 12, 15, 20, 30]) if rng.random() < 0.8 else rng.randint(55, 90)
        fields = ["inciso"]
        fields += ["description"] if self.single_desc else ["marca", "submarca", "year", "version"]
        if self.single_desc:
            fields.insert(2, "year")
        fields += ["vin", "plate"]
        if self.has_motor:
            fields.append("motor")
        if self.has_uso:
            fields.append("uso")
        fields.append("sum")
        if self.hidden == "factura":
            fields.append("factura")
        fields += ["x:" + e for e in self.extras]
        if self.hidden == "extra" and not self.extras:
            fields.append("x:COLOR")
        self.fields = fields
        self.names = {f: (rng.choice(HEADERS[f]) if f in HEADERS else "VALOR FACTURA" if f == "factura" else f[2:])
                      for f in fields}
        if self.names.get("year") == "MODELO" and self.single_desc:
            self.names["year"] = "AÑO"


def cell_value(lay, f, v, inciso):
    rng = lay.rng
    if f == "inciso":
        return inciso
    if f == "description":
        return "%s %s %s" % (v["marca"], v["submarca"], v["version"])
    if f == "year":
        return str(v["year"]) if lay.years_text else v["year"]
    if f in ("marca", "submarca", "version", "vin", "plate", "motor", "uso"):
        return v[f]
    if f == "sum":
        if v["commercial"]:
            return "VALOR COMERCIAL"
        return money_text(rng, v["sum"]) if lay.money == "text" else v["sum"]
    if f == "factura":
        return (v["sum"] or 300000.0) * 1.12
    if f.startswith("x:"):
        return v["extra"].get(f[2:], "")
    return None


def write_table(ws, lay, top, vehicles, title, label_rows, table_index, extra_fields=()):
    """Writes one table at row `top` (1-based); returns the next free row."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    fields = list(lay.fields) + list(extra_fields)
    for f in extra_fields:
        lay.names.setdefault(f, f[2:])
    c0 = lay.start_col + 1
    r = top
    if title:
        ws.cell(r, c0, title).font = Font(bold=True)
        r += 1
    header_top = r
    if lay.two_row:
        groups = {"marca": "DATOS DEL VEHÍCULO", "submarca": "DATOS DEL VEHÍCULO", "year": "DATOS DEL VEHÍCULO",
                  "version": "DATOS DEL VEHÍCULO", "description": "DATOS DEL VEHÍCULO",
                  "vin": "IDENTIFICACIÓN", "plate": "IDENTIFICACIÓN", "motor": "IDENTIFICACIÓN"}
        i = 0
        while i < len(fields):
            g = groups.get(fields[i])
            j = i
            while j + 1 < len(fields) and g and groups.get(fields[j + 1]) == g:
                j += 1
            if g and j > i:
                ws.cell(r, c0 + i, g)
                ws.merge_cells(start_row=r, start_column=c0 + i, end_row=r, end_column=c0 + j)
                for k in range(i, j + 1):
                    ws.cell(r + 1, c0 + k, lay.names[fields[k]])
            else:
                for k in range(i, j + 1):
                    ws.cell(r, c0 + k, lay.names[fields[k]])
                    ws.merge_cells(start_row=r, start_column=c0 + k, end_row=r + 1, end_column=c0 + k)
            i = j + 1
        for k in range(len(fields)):
            ws.cell(r, c0 + k).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.cell(r, c0 + k).font = Font(bold=True)
            ws.cell(r + 1, c0 + k).font = Font(bold=True)
        r += 2
    else:
        for k, f in enumerate(fields):
            ws.cell(r, c0 + k, lay.names[f]).font = Font(bold=True)
        r += 1
    header_rows = (header_top, r - 1)
    first_data = r
    prev_brand = None
    brand_start = r
    amount_col = c0 + fields.index("sum")
    for n, v in enumerate(vehicles, 1):
        if prev_brand is not None and v["marca"] != prev_brand:
            if lay.subtotals:
                ws.cell(r, c0 + 1, "SUBTOTAL %s" % prev_brand)
                col = get_column_letter(amount_col)
                ws.cell(r, amount_col, "=SUM(%s%d:%s%d)" % (col, brand_start, col, r - 1))
                r += 1
            if lay.blank_between or lay.subtotals:
                r += 1
            brand_start = r
        prev_brand = v["marca"]
        for k, f in enumerate(fields):
            val = cell_value(lay, f, v, n)
            if val is not None and val != "":
                c = ws.cell(r, c0 + k, val)
                if f in ("sum", "factura") and isinstance(val, float) and lay.money == "currency":
                    c.number_format = '"$"#,##0.00'
                elif f in ("sum", "factura") and isinstance(val, float):
                    c.number_format = '#,##0.00'
                elif f == "year" and isinstance(val, str):
                    c.number_format = "@"
        label_rows.append((v, r, table_index))
        r += 1
    if lay.totals:
        col = get_column_letter(amount_col)
        ws.cell(r, c0 + 1, "TOTAL")
        ws.cell(r, amount_col, "=SUM(%s%d:%s%d)" % (col, first_data, col, r - 1))
        if lay.rng.random() < 0.5:
            ws.cell(r, c0 + 2, "=COUNTA(%s%d:%s%d)" % (get_column_letter(c0 + 2), first_data, get_column_letter(c0 + 2), r - 1))
        r += 1
    for k, f in enumerate(fields):
        letter = get_column_letter(c0 + k)
        # Columns sized to their content, as a broker's autofit leaves them (text cut at a cell
        # edge is another problem than reading the table).
        longest = max([len(str(cell_value(lay, f, v, 1) or "")) for v in vehicles] + [len(lay.names[f]) // 2 + 2, 6])
        ws.column_dimensions[letter].width = min(70, longest * 1.15 + 3)
        if (f == "factura") or (lay.hidden == "extra" and f.startswith("x:") and k == len(fields) - 1):
            ws.column_dimensions[letter].hidden = True
    return r, header_rows


def build_workbook(path, lay, client, vehicles, trucks):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    ws = wb.active
    sheet_name = lay.rng.choice(["Unidades", "Parque vehicular", "Flotilla", "Relación", "Hoja1", "Vehículos"])
    ws.title = sheet_name
    if lay.conditions:
        cs = wb.create_sheet("Condiciones", 0 if lay.conditions == "first" else None)
        for i, line in enumerate(["CONDICIONES SOLICITADAS", "Cobertura: %s" % client["coverage"],
                                  "Deducible DM 5%, RT 10%", "RC 3,000,000", "Gastos médicos 200,000 por evento"], 1):
            cs.cell(i, 1, line)
    label_rows = []
    r = 1
    c0 = lay.start_col + 1
    for i in range(lay.title_rows):
        text = [client["name"], "RELACIÓN DE UNIDADES A ASEGURAR", "RFC: " + client["rfc"],
                "Fecha: %s" % datetime.date(2026, 2, 3).strftime("%d/%m/%Y"), "Agente: 12345", "", ""][i]
        if text:
            ws.cell(r, c0, text).font = Font(bold=(i == 0))
            if i < 2:
                ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=c0 + len(lay.fields) - 1)
        r += 1
    if lay.title_rows:
        r += 0 if lay.rng.random() < 0.5 else 1
    title1 = "AUTOMÓVILES" if lay.two_tables else None
    r, band = write_table(ws, lay, r, vehicles, title1, label_rows, 0)
    header_rows = [band]
    if lay.two_tables:
        r += lay.rng.choice([1, 2, 3])
        for v in trucks:
            v["extra"]["CAPACIDAD (TON)"] = lay.rng.choice([3.5, 5, 8, 12])
        r, band2 = write_table(ws, lay, r, trucks, "CAMIONES Y TRACTOS", label_rows, 1,
                               extra_fields=("x:CAPACIDAD (TON)",))
        header_rows.append(band2)
    ws.print_title_rows = "%d:%d" % header_rows[0]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)
    return sheet_name, label_rows


def convert(sources, fmt, outdir, profile_dir):
    """One soffice run converts every file of a format (its start-up is most of the cost)."""
    if not sources:
        return
    filt = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "xls": "xls:MS Excel 97", "ods": "ods", "pdf": "pdf"}[fmt]
    cmd = ["soffice", "-env:UserInstallation=file://" + profile_dir, "--headless", "--norestore",
           "--convert-to", filt, "--outdir", outdir] + sources
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)


CT = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "xls": "application/vnd.ms-excel", "ods": "application/vnd.oasis.opendocument.spreadsheet",
      "pdf": "application/pdf"}


def make_email(rng, n, client, fname, data, fmt, domain):
    start = datetime.date(2026, rng.randint(1, 12), 1)
    end = start.replace(year=start.year + 1)
    body = "\r\n".join([
        "Buen día,", "", "Les solicito cotización de flotilla para el siguiente cliente:", "",
        "Razón social: " + client["name"], "RFC: " + client["rfc"],
        "Cobertura: " + client["coverage"].capitalize(),
        "Vigencia: del %s al %s" % (start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y")),
        "Forma de pago: " + client["payment"].lower(), "Uso: " + client["uso"].lower(), "",
        "Adjunto la relación de unidades.", "", "Saludos cordiales,", "Agente " + domain.split(".")[0].upper(), ""])
    b = "=_b%06d" % n
    msgid = "<gen-%05d.%d@%s>" % (n, rng.randint(10**6, 10**7), domain)
    msg = "\r\n".join([
        "From: Ejecutivo <ventas@%s>" % domain, "To: cotizaciones@aseguradora-demo.com.mx",
        "Subject: =?utf-8?b?%s?=" % base64.b64encode(("Cotización flotilla " + client["name"]).encode()).decode(),
        "Date: " + email.utils.format_datetime(datetime.datetime(2026, 2, 3, 9, n % 60, tzinfo=datetime.timezone(datetime.timedelta(hours=-6)))),
        "Message-ID: " + msgid, "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="%s"' % b, "",
        "--" + b, 'Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64", "",
        base64.encodebytes(body.encode("utf-8")).decode("ascii"),
        "--" + b, '%s; name="%s"' % ("Content-Type: " + CT[fmt], fname), "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="%s"' % fname, "",
        base64.encodebytes(data).decode("ascii"), "--" + b + "--", ""])
    return msg.encode("utf-8"), msgid, start, end


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--seed", default="office-1")
    ap.add_argument("--catalog", default=os.path.join(here, "..", "..", "..", "shared", "data", "catalog", "catver_qualitas.csv"))
    ap.add_argument("--formats", default="xlsx,xls,ods,pdf")
    a = ap.parse_args()
    if not shutil.which("soffice"):
        print("gen_office_inbox: LibreOffice (soffice) is not installed", file=sys.stderr)
        return 77
    rng = random.Random(a.seed)
    catalog = load_catalog(a.catalog)
    formats = a.formats.split(",")
    os.makedirs(a.outdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="gen-office.")
    profile = os.path.join(work, "lo-profile")
    labels = []
    pending = []
    layouts = {}
    try:
        for n in range(1, a.count + 1):
            fmt = formats[(n - 1) % len(formats)]
            lay = Layout(rng, fmt)
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
            base = "%s%02d%02d%02d%s%d" % (letters, rng.randint(0, 99), rng.randint(1, 12), rng.randint(1, 28),
                                          rng.choice("ABCDEFGH"), rng.randint(1, 9))
            client = {"name": "%s %s, S.A. DE C.V." % (rng.choice(CLIENT_WORDS), rng.choice(PLACES)),
                      "rfc": base + rfc_check_digit(base), "coverage": rng.choice(["AMPLIA", "LIMITADA"]),
                      "payment": rng.choice(["ANUAL", "SEMESTRAL", "TRIMESTRAL", "MENSUAL"]),
                      "uso": rng.choice(["CARGA", "PARTICULAR", "COMERCIAL"])}
            layouts[n] = {k: getattr(lay, k) for k in ("title_rows", "start_col", "two_row", "single_desc", "money",
                                                       "years_text", "subtotals", "totals", "two_tables",
                                                       "conditions", "hidden", "n")}
            vehicles = vehicles_for(rng, catalog, lay.n)
            vehicles.sort(key=lambda v: v["marca"]) if (lay.subtotals or lay.blank_between) else None
            trucks = vehicles_for(rng, catalog, rng.randint(3, 8), trucks=True) if lay.two_tables else []
            stem = "flotilla_%03d" % n
            xlsx = os.path.join(work, "src", stem + ".xlsx")
            os.makedirs(os.path.dirname(xlsx), exist_ok=True)
            sheet, label_rows = build_workbook(xlsx, lay, client, vehicles, trucks)
            pending.append((n, fmt, stem, xlsx, sheet, label_rows, client))
        for fmt in formats:
            convert([p[3] for p in pending if p[1] == fmt], fmt, os.path.join(work, "out"), profile)
        for n, fmt, stem, xlsx, sheet, label_rows, client in pending:
            out = os.path.join(work, "out", stem + "." + fmt)
            if not os.path.exists(out):
                raise SystemExit("gen_office_inbox: soffice did not write " + out)
            data = open(out, "rb").read()
            fname = stem + "." + fmt
            domain = "agentes-%s.mx" % "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            msg, msgid, start, end = make_email(rng, n, client, fname, data, fmt, domain)
            eml = "gen_%03d.eml" % n
            open(os.path.join(a.outdir, eml), "wb").write(msg)
            vlabels = []
            for i, (v, row, table) in enumerate(label_rows):
                src = {"attachment": fname, "format": fmt, "row": row, "table": table}
                if fmt == "pdf":
                    src["sheet_in_source"] = sheet
                else:
                    src["sheet"] = sheet
                vlabels.append({"source": src, "row_index": i, "cvegs": v["cvegs"], "year": v["year"],
                                "vin": v["vin"], "plate": v["plate"], "insured_value": v["sum"]})
            labels.append({
                "file": eml, "message_id": msgid, "format_class": fmt + "-LO", "client_name": client["name"],
                "rfc": client["rfc"], "coverage": client["coverage"], "payment_terms": client["payment"],
                "vigencia_start": start.isoformat(), "vigencia_end": end.isoformat(), "uso": client["uso"],
                "expected_case": True, "is_duplicate_of": None, "expect_error": None,
                "layout": layouts[n],
                "vehicle_count": len(vlabels), "vehicles": vlabels})
            print("%s %s %d vehicles" % (eml, fmt, len(vlabels)), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    json.dump(labels, open(os.path.join(a.outdir, "labels.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
