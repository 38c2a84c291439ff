#!/usr/bin/env python3
"""Writes a fleet list of N vehicle rows as an .xlsx (plain zipfile + XML, no dependencies) and,
with --eml, an email carrying it. For the tests of the row caps: a million rows is a 20-odd MB
workbook built in seconds.

    gen_fleet_xlsx.py ROWS OUT.xlsx [--eml OUT.eml --message-id ID]
"""
import argparse
import base64
import zipfile

BRANDS = [("NISSAN", "NP300", "NP300 PICKUP TM DH AC 6 VEL"), ("TOYOTA", "HILUX", "HILUX CHASIS CAB TM"),
          ("CHEVROLET", "AVEO", "AVEO LS TM 4 PTAS"), ("VOLKSWAGEN", "JETTA", "JETTA TRENDLINE TA"),
          ("FORD", "RANGER", "RANGER XL CREW CAB 4X2")]
HEADERS = ["INCISO", "MARCA", "SUBMARCA", "MODELO", "DESCRIPCION", "USO"]


def sheet_rows(n):
    yield '<row r="1">' + "".join(f'<c r="{c}1" t="s"><v>{i}</v></c>' for i, c in enumerate("ABCDEF")) + "</row>"
    base = len(HEADERS)
    for r in range(n):
        k = r % len(BRANDS)
        row = r + 2
        yield (f'<row r="{row}"><c r="A{row}"><v>{r + 1}</v></c><c r="B{row}" t="s"><v>{base + 3 * k}</v></c>'
               f'<c r="C{row}" t="s"><v>{base + 3 * k + 1}</v></c><c r="D{row}"><v>{2015 + r % 9}</v></c>'
               f'<c r="E{row}" t="s"><v>{base + 3 * k + 2}</v></c><c r="F{row}" t="s"><v>{base + 3 * len(BRANDS)}</v></c></row>')


def write_xlsx(path, n):
    strings = HEADERS + [s for b in BRANDS for s in b] + ["CARGA"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
                   '</Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   '<sheets><sheet name="Flotilla" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                   '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                   '</Relationships>')
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   f'count="{len(strings)}" uniqueCount="{len(strings)}">' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            buf = []
            for line in sheet_rows(n):
                buf.append(line)
                if len(buf) >= 10000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write("".join(buf).encode())
            f.write(b"</sheetData></worksheet>")


def write_eml(path, xlsx, message_id):
    data = base64.encodebytes(open(xlsx, "rb").read()).decode().replace("\n", "\r\n")
    body = ("Buen día, solicito cotización de flotilla.\r\n\r\nRazón social: TRANSPORTES GRANDES, S.A. DE C.V.\r\n"
            "RFC: TGR010101AB8\r\nCobertura: amplia\r\n")
    with open(path, "w", newline="") as f:
        f.write("From: Corredor Prueba <ventas@corredor-prueba.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
                f"Subject: Flotilla grande\r\nMessage-ID: {message_id}\r\nDate: Mon, 6 Oct 2025 09:14:00 -0600\r\n"
                'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
                '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + body +
                '\r\n--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="flotilla.xlsx"\r\n'
                'Content-Disposition: attachment; filename="flotilla.xlsx"\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
                data + "\r\n--b1--\r\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--eml")
    ap.add_argument("--message-id", default="<fleet@corredor-prueba.mx>")
    a = ap.parse_args()
    write_xlsx(a.out, a.rows)
    if a.eml:
        write_eml(a.eml, a.out, a.message_id)
