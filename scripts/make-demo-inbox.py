#!/usr/bin/python3
"""Generates samples/inbox/*.eml: the demo inbox that `make run` loads.

Seven invented broker emails to an invented insurer (cotizaciones@aseguradora-ejemplo.mx):
five quote requests with a fleet list (xlsx with the header in row 1, a latin-1 ';' CSV,
xlsx with title rows before the header, a RE: chain that corrects the vigencia, a 38-unit
fleet), one general question without vehicles, and one repeated delivery of the first email
(same Message-ID). Brokers, clients, people, RFCs (valid check digits), VINs (valid ISO 3779
check digit), plates and phone numbers are invented. Every vehicle comes from a row of
samples/catalog/demo_catver.csv, described the way brokers type it (abbreviations, dropped
equipment tokens, brand repeated, the odd typo).

Deterministic: fixed seed, fixed dates, fixed MIME boundaries and fixed zip timestamps, so
re-running gives the same files byte for byte.

Needs python3-openpyxl (Debian). usage: scripts/make-demo-inbox.py [OUTDIR]
"""
import csv
import datetime
import email.charset
import email.utils
import io
import os
import random
import sys
import zipfile
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.generator import BytesGenerator
from email.policy import compat32

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "samples", "catalog", "demo_catver.csv")
OUTDIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "samples", "inbox")
INSURER = ("Cotizaciones Flotillas", "cotizaciones@aseguradora-ejemplo.mx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TZ = datetime.timezone(datetime.timedelta(hours=-6))
rng = random.Random(20251126)

# ---------------------------------------------------------------- identifiers ----

RFC_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ")}


def rfc(prefix11_or_12):
    """Appends the SAT check digit to the first 11 (moral) or 12 (física) characters."""
    s = prefix11_or_12 if len(prefix11_or_12) == 12 else " " + prefix11_or_12
    total = sum(RFC_VALUES[c] * (13 - i) for i, c in enumerate(s))
    r = total % 11
    d = 0 if r == 0 else 11 - r
    return prefix11_or_12 + ("A" if d == 10 else str(d))


VIN_TRANSLIT = {**{str(d): d for d in range(10)},
                **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
                **dict(zip("STUVWXYZ", range(2, 10)))}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VIN_YEAR = "ABCDEFGHJKLMNPRSTVWXY123456789"
WMI = {"NISSAN": "3N6", "TOYOTA": "MR0", "CHEVROLET": "3GC", "FORD": "3FT", "VOLKSWAGEN": "3VW",
       "ISUZU": "JAL", "RAM": "3C6", "HONDA": "3HG", "KIA": "3KP", "MAZDA": "3MZ",
       "GENERAL MOTORS": "3GT", "BYD": "LGX"}


def vin(brand, year):
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = WMI.get(brand, "3XX") + "".join(rng.choice(chars) for _ in range(5))
    year_code = VIN_YEAR[(year - 2010) % 30]
    tail = year_code + rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") + "".join(rng.choice("0123456789") for _ in range(6))
    partial = body + "0" + tail
    total = sum(VIN_TRANSLIT[c] * w for c, w in zip(partial, VIN_WEIGHTS))
    check = total % 11
    return body + ("X" if check == 10 else str(check)) + tail


def plate():
    if rng.random() < 0.08:
        return "EN TRAMITE"
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if rng.random() < 0.5:
        return "%s-%03d-%s" % ("".join(rng.choice(letters) for _ in range(3)), rng.randrange(1000), rng.choice(letters))
    return "%s-%04d" % ("".join(rng.choice(letters) for _ in range(3)), rng.randrange(10000))


def engine():
    if rng.random() < 0.3:
        return "HECHO EN MEXICO"
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(10))


# ---------------------------------------------------------------- catalog ----

def load_catalog():
    with open(CATALOG, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ABBREV = [
    ("DOBLE CABINA", ["DOBLE CAB", "D/CAB", "DC", "DOBLE CABINA"]),
    ("CHASIS CABINA", ["CHASIS CAB", "CHAS. CAB.", "CHASIS"]),
    ("PICK UP", ["PICK UP", "P/U", "PICKUP", "PU"]),
    ("TURBO DIESEL", ["TDI", "T. DIESEL", "TURBO DIESEL"]),
    (" AUT ", [" AUT ", " AUTOMATICA ", " AT ", " AUT. "]),
    (" STD ", [" STD ", " ESTANDAR ", " MANUAL ", " STD. "]),
]
DROPPABLE = {"ABS", "BA", "AC", "DH", "PQS", "EE", "PIEL", "CE", "VP", "QC", "RA"}


def broker_description(desc):
    """Rewrites a catalog DESCVEH the way a broker would type it."""
    d = " " + desc + " "
    for full, options in ABBREV:
        if full in d:
            d = d.replace(full, rng.choice(options), 1)
    words = [w for w in d.split() if not (w in DROPPABLE and rng.random() < 0.7)]
    # "5 OCUP" is usually dropped, and so is the displacement's "L".
    out = []
    skip = False
    for i, w in enumerate(words):
        if skip:
            skip = False
            continue
        if w.isdigit() and i + 1 < len(words) and words[i + 1] == "OCUP" and rng.random() < 0.8:
            skip = True
            continue
        if w.endswith("L") and w[:-1].replace(".", "").isdigit() and rng.random() < 0.4:
            w = w[:-1]
        out.append(w)
    text = " ".join(out)
    if rng.random() < 0.06 and len(text) > 8:   # the odd typo: two letters swapped
        i = rng.randrange(1, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


PRICE_RANGE = {"AUTO": (260, 430), "SUV": (480, 820), "PICKUP": (390, 760), "VAN": (560, 900),
               "CAMION": (780, 1150)}


def insured_value(tipveh, year):
    """An invoice-like value in pesos: a price for the type, minus ~8% a year of age."""
    lo, hi = PRICE_RANGE.get(tipveh, (300, 600))
    price = rng.randrange(lo, hi) * 1000.0
    return round(price * (0.92 ** max(0, 2025 - year)) / 500) * 500.0


def pick_vehicles(catalog, n, submarcas, years=(2017, 2025)):
    pool = [r for r in catalog if r["SUBMARCA"] in submarcas and years[0] <= int(r["MODELO"]) <= years[1]]
    if not pool:
        raise SystemExit("demo catalog has no rows for %s" % ", ".join(submarcas))
    rows = []
    # Fleets repeat models: choose a few catalog rows and repeat them.
    base = rng.sample(pool, min(len(pool), max(2, n // 3)))
    for i in range(n):
        r = rng.choice(base)
        year = int(r["MODELO"])
        rows.append({
            "marca": r["MARCA"], "submarca": r["SUBMARCA"], "year": year, "descveh": r["DESCVEH"],
            "desc": broker_description(r["DESCVEH"]), "vin": vin(r["MARCA"], year), "plate": plate(),
            "engine": engine(), "value": insured_value(r["TIPVEH"], year),
        })
    return rows


# ---------------------------------------------------------------- files ----

FIXED_ZIP_TIME = (2025, 11, 3, 9, 0, 0)


def deterministic_xlsx(wb):
    wb.properties.creator = "Ejecutivo de cuenta"
    wb.properties.lastModifiedBy = "Ejecutivo de cuenta"
    wb.properties.created = datetime.datetime(2025, 11, 3, 9, 0, 0)
    wb.properties.modified = datetime.datetime(2025, 11, 3, 9, 0, 0)
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the current time whatever is set.
                text = data.decode("utf-8")
                import re
                text = re.sub(r"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                              r"<dcterms:modified\1>2025-11-03T09:00:00Z</dcterms:modified>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def xlsx_header_row1(vehicles):
    """Cenzontle layout: header in row 1; MODELO is the year, TIPO the submarca."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Unidades"
    header = ["No.", "MARCA", "TIPO", "DESCRIPCION", "MODELO", "NO. SERIE", "PLACAS", "SUMA ASEGURADA"]
    ws.append(header)
    for c in ws[1]:
        c.fill, c.font = HEADER_FILL, HEADER_FONT
    for i, v in enumerate(vehicles, 1):
        ws.append([i, v["marca"], v["submarca"], v["desc"], v["year"], v["vin"], v["plate"], v["value"]])
        ws.cell(row=i + 1, column=8).number_format = '"$"#,##0.00'
    for col, width in zip("ABCDEFGH", (5, 12, 14, 46, 8, 20, 12, 16)):
        ws.column_dimensions[col].width = width
    return deterministic_xlsx(wb)


def xlsx_title_rows(vehicles, client, date_text):
    """Xoconostle layout: two title rows and a blank row, then the header; económico numbers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Flotilla"
    ws["A1"] = "RELACIÓN DE UNIDADES — " + client
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:I1")
    ws["A2"] = "Fecha de solicitud: " + date_text
    ws.append([])
    header = ["ECO", "MARCA", "SUBMARCA", "VERSIÓN", "AÑO", "SERIE", "MOTOR", "PLACAS", "VALOR FACTURA"]
    ws.append(header)
    for c in ws[4]:
        c.fill, c.font = HEADER_FILL, HEADER_FONT
        c.alignment = Alignment(horizontal="center")
    for i, v in enumerate(vehicles, 1):
        version = v["desc"]
        ws.append(["ECO-%03d" % i, v["marca"].title(), v["submarca"], version, str(v["year"]), v["vin"],
                   v["engine"], v["plate"], "$ {:,.2f}".format(v["value"])])
    for col, width in zip("ABCDEFGHI", (9, 12, 14, 44, 6, 20, 16, 12, 16)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    return deterministic_xlsx(wb)


def xlsx_simple(vehicles):
    """Tzintzuntzan layout: one description column with brand and model repeated."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hoja1"
    ws.append(["#", "VEHICULO", "AÑO MODELO", "SERIE", "PLACAS", "USO"])
    for c in ws[1]:
        c.font = Font(bold=True)
    for i, v in enumerate(vehicles, 1):
        ws.append([i, "%s %s %s" % (v["marca"], v["submarca"], v["desc"]), v["year"], v["vin"], v["plate"],
                   "PARTICULAR"])
    ws.column_dimensions["B"].width = 60
    return deterministic_xlsx(wb)


def csv_latin1(vehicles):
    """Golfo layout: CSV exported by Excel in Windows: latin-1, ';', CRLF."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["NUM", "DESCRIPCIÓN VEHÍCULO", "AÑO", "NÚM. SERIE", "PLACAS", "VALOR"])
    for i, v in enumerate(vehicles, 1):
        w.writerow([i, "%s %s %s" % (v["marca"], v["submarca"], v["desc"]), v["year"], v["vin"], v["plate"],
                    "{:,.2f}".format(v["value"])])
    return out.getvalue().encode("iso-8859-1", errors="replace")


# ---------------------------------------------------------------- emails ----

QP_UTF8 = email.charset.Charset("utf-8")
QP_UTF8.header_encoding = email.charset.QP
QP_UTF8.body_encoding = email.charset.QP


def addr(name, address, charset="utf-8"):
    if all(ord(c) < 128 for c in name):
        return email.utils.formataddr((name, address))
    return "%s <%s>" % (Header(name, charset).encode(), address)


def headers(msg, frm, subject, date, message_id, subject_charset="utf-8", extra=()):
    msg["Received"] = ("from mail.%s (mail.%s [198.51.100.%d]) by mx1.aseguradora-ejemplo.mx "
                       "with ESMTPS; %s" % (frm[1].split("@")[1], frm[1].split("@")[1], rng.randrange(2, 250),
                                            email.utils.format_datetime(date + datetime.timedelta(seconds=20))))
    msg["From"] = addr(*frm)
    msg["To"] = addr(*INSURER)
    msg["Subject"] = subject if all(ord(c) < 128 for c in subject) else Header(subject, subject_charset).encode()
    msg["Date"] = email.utils.format_datetime(date)
    msg["Message-ID"] = message_id
    for k, v in extra:
        msg[k] = v
    msg["MIME-Version"] = "1.0"


def text_part(body, charset="utf-8", cte="quoted-printable"):
    if cte == "8bit":
        p = MIMENonMultipart("text", "plain", charset=charset)
        p.set_payload(body.encode(charset))
        p["Content-Transfer-Encoding"] = "8bit"
        return p
    if charset == "utf-8" and cte == "quoted-printable":
        return MIMEText(body, "plain", QP_UTF8)
    return MIMEText(body, "plain", charset)


def html_from_text(body):
    import html
    paras = []
    for line in body.split("\n"):
        if ":" in line and len(line.split(":", 1)[0]) < 30 and line.strip():
            k, v = line.split(":", 1)
            paras.append("<p class=MsoNormal><b>%s:</b>%s</p>" % (html.escape(k), html.escape(v)))
        else:
            paras.append("<p class=MsoNormal>%s</p>" % (html.escape(line) if line.strip() else "&nbsp;"))
    return ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>"
            "<body lang=ES-MX><div class=WordSection1>\n" + "\n".join(paras) + "\n</div></body></html>\n")


def attachment(data, maintype, subtype, filename):
    p = MIMEApplication(data, subtype) if maintype == "application" else MIMENonMultipart(maintype, subtype)
    if maintype != "application":
        p.set_payload(data)
        email.encoders.encode_base64(p)
    if all(ord(c) < 128 for c in filename):
        p.add_header("Content-Disposition", "attachment", filename=filename)
    else:
        p.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return p


def serialise(msg):
    out = io.BytesIO()
    BytesGenerator(out, policy=compat32.clone(linesep="\r\n"), mangle_from_=False).flatten(msg)
    return out.getvalue()


SIGNATURES = {
    "cenzontle": "Mariela Cruz Zamudio\nEjecutiva de Flotillas\nSeguros Cenzontle, Agente de Seguros\n"
                 "Tel. 55 5090 4411  |  Cel. 55 1987 2230\nmcruz@cenzontle-seguros.mx\nClave de agente: CZ-3318",
    "golfo": "Ramiro Ñeco Saldaña\nDirector de Autos\nAsesores Patrimoniales del Golfo\nTel. 229 931 0455\n"
             "rneco@apgolfo.com.mx",
    "xoconostle": "Ing. Lucía Ibáñez Ocampo\nGerente Comercial\nGrupo Corredor Xoconostle\nTel. 444 820 1190\n"
                  "libanez@xoconostle.mx\n\nAVISO DE PRIVACIDAD: la información de este correo es confidencial.",
    "tzintzuntzan": "Act. Joaquín Tzintzun Méndez\nProtección Patrimonial Tzintzuntzan\nTel. 443 312 7788\n"
                    "jtzintzun@tzintzuntzan-seguros.mx",
}


def main():
    catalog = load_catalog()
    os.makedirs(OUTDIR, exist_ok=True)
    files = {}

    # 1. Cenzontle: multipart/alternative + xlsx (header row 1), labelled fields.
    v1 = pick_vehicles(catalog, 12, {"NP300", "HILUX", "ELF 400"})
    client1 = "TRANSPORTES CAÑADA DEL ORO, S.A. DE C.V."
    rfc1 = rfc("TCO0503157P")
    body1 = ("Buenos días,\n\nPor medio del presente les solicito su apoyo con la cotización de la flotilla "
             "de nuestro cliente.\n\n"
             "Razón social: %s\nRFC: %s\nGiro: Autotransporte de carga\n"
             "Contacto: Lic. Begoña Aguirre Peña / Tel. 55 5812 3344\nUso: Carga\nCobertura: Amplia\n"
             "Vigencia: 01/12/2025 al 01/12/2026\nForma de pago: Anual\nNúmero de unidades: %d\n\n"
             "Adjunto la relación de unidades, favor de validar las series.\n\nSaludos.\n\n%s\n"
             % (client1, rfc1, len(v1), SIGNATURES["cenzontle"]))
    m = MIMEMultipart("mixed", boundary="----=_Part_1001_CZ.1762185600000")
    headers(m, ("Mariela Cruz Zamudio", "mcruz@cenzontle-seguros.mx"), "Cotización flotilla – Transportes Cañada del Oro",
            datetime.datetime(2025, 11, 3, 9, 12, tzinfo=TZ), "<CZ1762186320.4411@cenzontle-seguros.mx>")
    alt = MIMEMultipart("alternative", boundary="----=_Part_1002_CZ.1762185600000")
    alt.attach(text_part(body1))
    alt.attach(MIMEText(html_from_text(body1), "html", QP_UTF8))
    m.attach(alt)
    m.attach(attachment(xlsx_header_row1(v1), "application", XLSX_TYPE.split("/")[1],
                        "Relación unidades Cañada del Oro.xlsx"))
    files["01_cenzontle_canada_del_oro.eml"] = serialise(m)
    first_delivery = m

    # 2. Golfo: text-only latin-1 8bit, free-text sentences, CSV latin-1 ';'.
    v2 = pick_vehicles(catalog, 8, {"VERSA", "AVEO", "VENTO", "MARCH"})
    client2 = "COMERCIALIZADORA PIÑÓN Y ALMENDRA, S.A. DE C.V."
    rfc2 = rfc("CPA1107226K")
    body2 = ("Buen día\n\nLes comparto la información para cotizar la flotilla de nuestro cliente.\n\n"
             "El cliente es %s, con RFC %s, dedicado a la venta de semillas y botanas.\n"
             "Requiere cobertura Limitada con vigencia del 15 de diciembre de 2025 al 15 de diciembre de 2026, "
             "forma de pago semestral.\nLas unidades son de uso particular (vendedores).\n"
             "La persona de contacto es C.P. Íñigo Sáenz, tel. 229 944 1020, isaenz@pinonyalmendra.mx\n\n"
             "Siniestralidad: sin siniestros en los últimos dos años.\n\n"
             "Anexo archivo con el detalle de las %d unidades.\n\nSaludos cordiales,\n\n%s\n"
             % (client2, rfc2, len(v2), SIGNATURES["golfo"]))
    m = MIMEMultipart("mixed", boundary="------------0A1B2C3D4E5F60718293A4B5")
    headers(m, ("Ramiro Ñeco Saldaña", "rneco@apgolfo.com.mx"), "Cotización flotilla Piñón y Almendra",
            datetime.datetime(2025, 11, 4, 11, 40, tzinfo=TZ), "<5e1f0c2a-77b4-4d0e-9c1a-golfo02@apgolfo.com.mx>",
            subject_charset="iso-8859-1", extra=[("User-Agent", "Mozilla Thunderbird")])
    m.attach(text_part(body2, "iso-8859-1", "8bit"))
    m.attach(attachment(csv_latin1(v2), "application", "vnd.ms-excel", "unidades_Pinon_Almendra.csv"))
    files["02_golfo_pinon_almendra.eml"] = serialise(m)

    # 3. Xoconostle: base64 bodies, xlsx with title rows before the header, 25 units.
    v3 = pick_vehicles(catalog, 25, {"URVAN", "HIACE", "TRANSIT", "PROMASTER", "NP300"})
    client3 = "SERVICIOS LOGÍSTICOS MUÑOZ ARAGÓN, S. DE R.L. DE C.V."
    rfc3 = rfc("SLM120830RN")
    body3 = ("Estimados, buenas tardes.\n\nSolicito de su apoyo para cotizar la siguiente flotilla.\n\n"
             "CONTRATANTE: %s\nR.F.C.: %s-%s-%s\nCONTACTO: ING. ÁLVARO MUÑOZ  TEL. 444 815 6620\n"
             "COBERTURA: AMPLIA (DM 5%% / RT 10%%)\nVIGENCIA: 10/12/2025 AL 10/12/2026\nFORMA DE PAGO: TRIMESTRAL\n"
             "USO: COMERCIAL\n\nSINIESTRALIDAD ÚLTIMA VIGENCIA: 2 SINIESTROS (COLISIÓN), MONTO PAGADO APROX. $84,500.00\n\n"
             "Les adjunto la relación vehicular en Excel.\n\nAtentamente,\n\n%s\n"
             % (client3, rfc3[:3], rfc3[3:9], rfc3[9:], SIGNATURES["xoconostle"]))
    m = MIMEMultipart("mixed", boundary="_004_XOC3MB8812AA0144CC_")
    headers(m, ("Lucía Ibáñez Ocampo", "libanez@xoconostle.mx"), "COTIZACIÓN FLOTILLA SERVICIOS LOGÍSTICOS MUÑOZ ARAGÓN",
            datetime.datetime(2025, 11, 5, 16, 5, tzinfo=TZ),
            "<XOC3MB8812AA0144CC1A2B@XOC3MB8812.namprd20.prod.outlook.com>",
            extra=[("X-MS-Has-Attach", "yes"), ("Content-Language", "es-MX")])
    alt = MIMEMultipart("alternative", boundary="_000_XOC3MB8812AA0144CC_")
    alt.attach(MIMEText(body3, "plain", "utf-8"))
    alt.attach(MIMEText(html_from_text(body3), "html", "utf-8"))
    m.attach(alt)
    m.attach(attachment(xlsx_title_rows(v3, client3, "05/11/2025"), "application", XLSX_TYPE.split("/")[1],
                        "RELACIÓN DE UNIDADES MUÑOZ ARAGÓN.xlsx"))
    files["03_xoconostle_munoz_aragon.eml"] = serialise(m)

    # 4. Tzintzuntzan: RE: chain; the newest message corrects the vigencia stated below.
    v4 = pick_vehicles(catalog, 6, {"CR-V", "RAV4", "JETTA", "SENTRA"})
    client4 = "CLÍNICA DENTAL SONRISA DEL BAJÍO, S.C."
    rfc4 = rfc("CDS0902189H")
    body4 = ("Hola Fernanda, buen día.\n\nCorrijo la vigencia: el cliente la necesita a partir del 1 de enero, "
             "no del 15 de diciembre. Reitero los datos completos:\n\n"
             "- Cliente: %s\n- R.F.C. %s\n- Contacto del cliente: Dra. Maricarmen Ruíz (mruiz@sonrisabajio.mx)\n"
             "- Cobertura solicitada: Cobertura Amplia\n- Vigencia: del 1 de enero de 2026 al 1 de enero de 2027\n"
             "- Forma de pago: Contado (anual)\n- Uso de las unidades: Particular\n\n"
             "Adjunto nuevamente la relación.\n\nSaludos\n\n%s\n\n"
             "________________________________\n"
             "De: Fernanda Ortiz <fortiz@aseguradora-ejemplo.mx>\nEnviado: jueves, 6 de noviembre de 2025 10:02 a. m.\n"
             "Para: Joaquín Tzintzun <jtzintzun@tzintzuntzan-seguros.mx>\nAsunto: RE: Cotización flotilla Sonrisa del Bajío\n\n"
             "Buen día Joaquín,\n\n¿Nos confirma la fecha de inicio de vigencia?\n\nSaludos,\nFernanda Ortiz\n\n"
             "________________________________\n"
             "De: Joaquín Tzintzun <jtzintzun@tzintzuntzan-seguros.mx>\nEnviado: miércoles, 5 de noviembre de 2025 6:30 p. m.\n"
             "Para: Cotizaciones Flotillas <cotizaciones@aseguradora-ejemplo.mx>\nAsunto: Cotización flotilla Sonrisa del Bajío\n\n"
             "- Cliente: %s\n- R.F.C. %s\n- Vigencia: del 15 de diciembre de 2025 al 15 de diciembre de 2026\n"
             "- Forma de pago: Contado (anual)\n"
             % (client4, rfc4, SIGNATURES["tzintzuntzan"], client4, rfc4))
    m = MIMEMultipart("mixed", boundary="----=_NextPart_000_0042_01DC4F2A.7B3C1D20")
    headers(m, ("Joaquín Tzintzun Méndez", "jtzintzun@tzintzuntzan-seguros.mx"),
            "RE: RE: Cotización flotilla Sonrisa del Bajío", datetime.datetime(2025, 11, 6, 12, 47, tzinfo=TZ),
            "<004201dc4f2a$7b3c1d20$71b45760@tzintzuntzan-seguros.mx>", subject_charset="iso-8859-1",
            extra=[("In-Reply-To", "<TZ5PR01MB7781C0FFEE01@TZ5PR01MB7781.namprd01.prod.outlook.com>"),
                   ("X-Mailer", "Microsoft Outlook 16.0")])
    m.attach(text_part(body4, "iso-8859-1", "quoted-printable"))
    m.attach(attachment(xlsx_simple(v4), "application", "octet-stream", "Flotilla Sonrisa del Bajío.xlsx"))
    files["04_tzintzuntzan_sonrisa_bajio.eml"] = serialise(m)

    # 5. Xoconostle again (same layout): 38 units, persona física, vigencia "anual a partir de".
    v5 = pick_vehicles(catalog, 38, {"NP300", "HILUX", "RANGER", "S10", "SAVEIRO", "TORNADO"})
    client5 = "GUADALUPE ÑÚÑEZ CASTAÑEDA"
    rfc5 = rfc("NUCG8105123Q")
    body5 = ("Buenas tardes,\n\nMe apoyan por favor con la cotización de flotilla para el siguiente prospecto "
             "(persona física con actividad empresarial, reparto de abarrotes).\n\n"
             "CONTRATANTE: %s\nR.F.C.: %s\nCONTACTO: SRA. GUADALUPE ÑÚÑEZ  TEL. 444 833 0712\n"
             "COBERTURA: LIMITADA\nVIGENCIA: ANUAL A PARTIR DEL 20-DIC-2025\nFORMA DE PAGO: 12 PAGOS MENSUALES\n"
             "USO: CARGA\n\nSon %d unidades, todas pick up de reparto.\n\nAtentamente,\n\n%s\n"
             % (client5, rfc5, len(v5), SIGNATURES["xoconostle"]))
    m = MIMEMultipart("mixed", boundary="_004_XOC3MB8812BB0255DD_")
    headers(m, ("Lucía Ibáñez Ocampo", "libanez@xoconostle.mx"), "Cotización 38 unidades - Guadalupe Ñúñez (PFAE)",
            datetime.datetime(2025, 11, 7, 13, 20, tzinfo=TZ),
            "<XOC3MB8812BB0255DD3C4D@XOC3MB8812.namprd20.prod.outlook.com>")
    alt = MIMEMultipart("alternative", boundary="_000_XOC3MB8812BB0255DD_")
    alt.attach(MIMEText(body5, "plain", "utf-8"))
    alt.attach(MIMEText(html_from_text(body5), "html", "utf-8"))
    m.attach(alt)
    m.attach(attachment(xlsx_title_rows(v5, client5, "07/11/2025"), "application", XLSX_TYPE.split("/")[1],
                        "RELACIÓN DE UNIDADES ÑÚÑEZ.xlsx"))
    files["05_xoconostle_nunez_pfae.eml"] = serialise(m)

    # 6. Golfo: a general question, no client and no vehicles.
    body6 = ("Hola, buen día.\n\nUna consulta: tengo un prospecto con unas 30 unidades (camionetas de reparto y "
             "dos camiones de 3.5 toneladas). ¿Qué información necesitan para cotizar flotilla y a partir de "
             "cuántas unidades aplica la tarifa de flotilla?\n\n¿Manejan descuento por pago de contado?\n\n"
             "Gracias, saludos.\n\n%s\n" % SIGNATURES["golfo"])
    m = MIMEMultipart("alternative", boundary="------------B7C8D9E0F1A2B3C4D5E6F708")
    headers(m, ("Ramiro Ñeco Saldaña", "rneco@apgolfo.com.mx"), "Duda: requisitos para cotizar flotilla",
            datetime.datetime(2025, 11, 10, 10, 15, tzinfo=TZ), "<9a3e51d0-2b6c-4f11-8e7d-golfo06@apgolfo.com.mx>")
    m.attach(text_part(body6))
    m.attach(MIMEText(html_from_text(body6), "html", QP_UTF8))
    files["06_golfo_consulta_general.eml"] = serialise(m)

    # 7. The first email delivered a second time (same Message-ID, one more Received line).
    again = serialise(first_delivery)
    files["07_cenzontle_canada_del_oro_repetido.eml"] = (
        b"Received: from mx2.aseguradora-ejemplo.mx by mbx01.aseguradora-ejemplo.mx with LMTP; "
        b"Mon, 03 Nov 2025 09:31:02 -0600\r\n" + again)

    for name in sorted(os.listdir(OUTDIR)):
        if name.endswith(".eml") and name not in files:
            os.remove(os.path.join(OUTDIR, name))
    for name, data in sorted(files.items()):
        with open(os.path.join(OUTDIR, name), "wb") as f:
            f.write(data)
    print("wrote %d messages to %s" % (len(files), OUTDIR))


if __name__ == "__main__":
    import email.encoders  # noqa: F401  (used by attachment())
    main()
