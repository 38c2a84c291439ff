#!/usr/bin/env python3
"""Writes the small seed corpus of every fuzz target into tests/fuzz/corpus/<target>/.

    make_corpus.py [CORPUS_DIR]

Only the standard library is used: xlsx and ods seeds are zipped by hand (plus the Calc .ods
attachments of shared/data/inbox_real_dev when present), the xls seed is the committed
BIFF8 fixture, csv and profile seeds are text, pdf seeds come from
tests/fixtures/docs/make_pdf_fixtures.py (plus the inbox's broker PDF when shared/ is present). The seeds are regenerated on every fuzz run and
are not committed."""
import os, sys, zipfile, io, glob, shutil

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
SHEET = ('<?xml version="1.0"?><worksheet %s><cols><col min="2" max="2" hidden="1"/></cols><sheetData>'
         '<row r="1"><c r="A1" t="inlineStr"><is><t>RELACION DE UNIDADES</t></is></c></row>'
         '<row r="3"><c r="A3" t="s"><v>0</v></c><c r="B3" t="s"><v>1</v></c><c r="C3" t="s"><v>2</v></c>'
         '<c r="D3" t="inlineStr"><is><t>PLACAS</t></is></c></row>'
         '<row r="4" hidden="1"><c r="A4" t="s"><v>3</v></c><c r="B4"><v>2019</v></c><c r="C4" t="s"><v>4</v></c>'
         '<c r="D4" s="1"><v>45000</v></c><c r="E4" t="b"><v>1</v></c><c r="F4" t="e"><v>#REF!</v></c></row>'
         '<row r="5"><c r="B5" t="inlineStr"><is><t>TOTAL</t></is></c></row>'
         '</sheetData><mergeCells count="1"><mergeCell ref="A1:D1"/></mergeCells></worksheet>') % NS

def xlsx(sheet, date1904=False):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook %s xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr%s/><sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>' % (NS, ' date1904="1"' if date1904 else ""))
        z.writestr("xl/sharedStrings.xml", '<?xml version="1.0"?><sst %s><si><t>MARCA</t></si><si><t>MODELO</t></si><si><t>SERIE</t></si><si><r><t>FO</t></r><r><t>RD</t></r></si><si><t>3N1AB7AP5KY123456</t></si></sst>' % NS)
        z.writestr("xl/styles.xml", '<?xml version="1.0"?><styleSheet %s><numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>' % NS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return b.getvalue()

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"')
ODS_CONTENT = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content %s office:version="1.3">'
    '<office:automatic-styles><style:style style:name="ta1" style:family="table"><style:table-properties table:display="false"/></style:style></office:automatic-styles>'
    '<office:body><office:spreadsheet>'
    '<table:table table:name="Condiciones" table:style-name="ta1"><table:table-row><table:table-cell office:value-type="string"><text:p>Uso</text:p></table:table-cell></table:table-row></table:table>'
    '<table:table table:name="Unidades"><table:table-column table:number-columns-repeated="2"/><table:table-column table:visibility="collapse"/><table:table-column table:number-columns-repeated="1021"/>'
    '<table:table-row><table:table-cell table:number-columns-spanned="3" table:number-rows-spanned="1" office:value-type="string"><text:p>VEH\u00cdCULO</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/><table:table-cell table:number-rows-spanned="2" office:value-type="string"><text:p>SUMA ASEGURADA</text:p></table:table-cell></table:table-row>'
    '<table:table-row><table:table-cell office:value-type="string"><text:p>MARCA</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>A\u00d1O</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>SERIE</text:p></table:table-cell><table:covered-table-cell/></table:table-row>'
    '<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>KIA <text:span>RIO</text:span><text:s text:c="2"/>L</text:p><text:p>STD</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2019"><text:p>2,019</text:p></table:table-cell>'
    '<table:table-cell office:value-type="string"><text:p>3N1AB7AP5KY123456</text:p></table:table-cell><table:table-cell office:value-type="currency" office:currency="MXN" office:value="245000.5"><text:p>$ 245,000.50</text:p></table:table-cell>'
    '<table:table-cell office:value-type="date" office:date-value="2026-03-01T10:00:00"><text:p>01/03/26</text:p></table:table-cell><table:table-cell office:value-type="percentage" office:value="0.1"><text:p>10%%</text:p></table:table-cell>'
    '<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>VERDADERO</text:p></table:table-cell><table:table-cell office:value-type="time" office:time-value="PT10H20M00S"><text:p>10:20</text:p></table:table-cell>'
    '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell></table:table-row>'
    '<table:table-row table:visibility="collapse"><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>TOTAL<text:tab/>x<text:line-break/>y</text:p></table:table-cell></table:table-row>'
    '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    '</table:table></office:spreadsheet></office:body></office:document-content>') % ODS_NS

def ods(content, mimetype="application/vnd.oasis.opendocument.spreadsheet"):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/></manifest:manifest>' % mimetype)
    return b.getvalue()

for t in ("xlsx", "xls", "csv", "profile", "html", "xmlss", "pdf", "ods"):
    shutil.rmtree(os.path.join(out, t), ignore_errors=True)

put("xlsx", "workbook.xlsx", xlsx(SHEET))
put("xlsx", "workbook1904.xlsx", xlsx(SHEET, True))
put("xlsx", "sheet.xml", SHEET)        # wrapped into a container by the target
put("xlsx", "sheet_min.xml", '<worksheet><sheetData><row><c t="s"><v>0</v></c><c><v>1.5</v></c></row></sheetData></worksheet>')

put("ods", "hojas.ods", ods(ODS_CONTENT))
put("ods", "content.xml", ODS_CONTENT)   # wrapped into a package by the target
put("ods", "carta.odt", ods("<office:document-content/>", "application/vnd.oasis.opendocument.text"))

xls = os.path.join(root, "tests", "fixtures", "docs", "flotilla.xls")
if os.path.exists(xls):
    put("xls", "flotilla.xls", open(xls, "rb").read())

put("csv", "latin1.csv", "No.;DESCRIPCION;AÑO;NO. DE SERIE;PLACAS;VALOR;USO\r\n1;FORD F-250 LIMITED;2023;1FTNR77H4PB826510;91ZM8D;724,200.00;CARGA\r\n;;;;;;\r\n".encode("cp1252"))
put("csv", "bom_tab.csv", b"\xef\xbb\xbfMarca\tA\xc3\xb1o\tSerie\nKIA\t2018\t3KPKYBHZ1JCC76369\n")
put("csv", "quoted.csv", 'UNIDAD,MARCA,"LÍNEA",AÑO,VALOR\n1,Hyundai,"Tucson, LTD",2016,"$346,500.00"\n2,Kia,"Rio ""EX""",2018,VALOR COMERCIAL\n,Total,,,\n')
put("csv", "pipe.csv", "Inciso|Descripción del vehículo|Modelo|Serie\n1|KIA RIO L|2023|KNAS4TVL3PDF18608\n")
put("csv", "utf16.csv", b"\xff\xfe" + "a;b\n1;2\n".encode("utf-16-le"))

for i, path in enumerate(sorted(glob.glob(os.path.join(root, "profiles", "*.yaml")))):
    put("profile", os.path.basename(path), open(path, "rb").read())
put("profile", "features.yaml", """name: todo
detect: {sender_domains: [broker.example.mx], required_headers: [Marca], sheet_name: "^Hoja"}
table: {sheet: "Hoja1", header_row: 1}
mapping: {"No.": inciso, Marca: marca, Submarca: submarca, "Año MOdelos": year, Descripcion: version, SERIE: vin, Placas: plates, "Suma Asegurada": insured_amount, "Paquete De Cobert": coverage, "#": ignore}
normalize:
  all: [strip, collapse_spaces]
  vin: [upper, {replace: {pattern: "[^A-Z0-9]", with: ""}}]
  coverage: [upper, remove_accents, {map: {AMPLIA: AMPLIA, "LIMITADA": LIMITADA}}]
parse: {year: year, insured_amount: money, vin: vin, inciso: int, plates: text, use: date, service: percent}
compute: {description: "{marca} {submarca} {version} {Placas}"}
defaults: {sum_basis: factura, use: "01/02/2024"}
validate:
  year: {required: true, min: 1950, max: 2030, on_error: skip_row}
  vin: {check_digit: true, pattern: "^[A-HJ-NPR-Z0-9]{17}$"}
  coverage: {enum: [AMPLIA, LIMITADA]}
on_error: warn
""")
put("profile", "anchors.yaml", "a: &x [1, 2]\nmapping: {A: marca}\nnormalize: {all: *x}\n")
put("html", "export.xls", """<html><head><meta charset="utf-8"></head><body><table><tr><td>Logo</td></tr></table>
<table border=1><thead><tr><th colspan="3">RELACI&Oacute;N DE UNIDADES</th></tr><tr><th>UNIDAD</th><th>MARCA</th><th>L&Iacute;NEA</th><th>A&Ntilde;O</th><th>SERIE</th><th>VALOR</th></tr></thead>
<tbody><tr><td>1</td><td>Hyundai</td><td>Tucson</td><td>2016</td><td>KM88XLL47GDR23699</td><td>VALOR COMERCIAL</td></tr>
<tr><td>2</td><td>Kia&nbsp;</td><td><b>Rio</b></td><td>2018</td><td>3KPKYBHZ1JCC76369</td><td>$215,000.00</td></tr><tr><td></td><td>Total</td></tr></tbody></table></body></html>""")
put("xmlss", "ss2003.xls", """<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="Portada"><Table><Row><Cell><Data ss:Type="String">Hola</Data></Cell></Row></Table></Worksheet>
<Worksheet ss:Name="Unidades"><Table><Column/><Column ss:Hidden="1" ss:Span="1"/>
<Row><Cell ss:MergeAcross="3"><Data ss:Type="String">RELACION</Data></Cell></Row>
<Row ss:Index="3"><Cell><Data ss:Type="String">No.</Data></Cell><Cell><Data ss:Type="String">Marca</Data></Cell><Cell><Data ss:Type="String">Modelo</Data></Cell><Cell><Data ss:Type="String">Serie</Data></Cell><Cell><Data ss:Type="String">Alta</Data></Cell></Row>
<Row ss:Hidden="1"><Cell><Data ss:Type="Number">1</Data></Cell><Cell><Data ss:Type="String">FORD RANGER</Data></Cell><Cell><Data ss:Type="Number">2019</Data></Cell><Cell><Data ss:Type="String">8AFRE9EU3KX923696</Data></Cell><Cell><Data ss:Type="DateTime">2025-10-14T00:00:00.000</Data></Cell><Cell ss:Index="8"><Data ss:Type="Boolean">1</Data></Cell></Row>
<Row><Cell ss:Index="2"><Data ss:Type="String">TOTAL</Data></Cell></Row>
</Table></Worksheet></Workbook>
""")
sys.path.insert(0, os.path.join(root, "tests", "fixtures", "docs"))
import make_pdf_fixtures
for name, data in make_pdf_fixtures.fixtures().items():
    put("pdf", name, data)

# Record streams as the parser child (or OCR) hands them to the table builder: 'P' u32 page
# f64 width f64 height u32 len text u32 n {f64 x1 y1 x2 y2}*n, one rectangle per character.
import struct, math

def stream(pages, tilt=0.0, jitter=0.0):
    out = b""
    for no, words in enumerate(pages):
        text, rects = "", []
        for k, (x, y, align, w) in enumerate(words):
            width = 5.0 * len(w)
            x = x - width if align == "r" else x - width / 2 if align == "c" else x
            for i, ch in enumerate(w):
                cx, cy = x + 5.0 * i + 2.5, y
                tx, ty = cx - tilt * cy, cy + tilt * cx
                d = jitter * math.sin(7.0 * k + i)
                text += ch
                rects.append((tx - 2.2 + d, ty - 4 - d, tx + 2.2 + d, ty + 4 - d))
            text += " "
            rects.append((0.0, 0.0, 0.0, 0.0))
        t = text.encode("utf-8")
        out += b"P" + struct.pack("<Iddi", no, 842.0, 595.0, len(t))[:24] + t
        out += struct.pack("<I", len(rects)) + b"".join(struct.pack("<4d", *r) for r in rects)
    return out

def band(y, names, groups=()):
    return [(x, y - 6, "c", g) for x, g in groups] + [(x, y, "c", n) for x, n in names]

def rows(y0, n, cols, pitch=11):
    out = []
    for i in range(n):
        for x, align, fmt in cols:
            out.append((x, y0 + pitch * i, align, fmt.format(i=i + 1, v=800000 + i)))
    return out

CARS = [(50, "c", "{i}"), (80, "l", "NISSAN"), (180, "l", "VERSA"), (300, "c", "2019"),
        (380, "c", "3N1CN7AD5KK{v}"), (500, "r", "$350,000.00")]
TRUCKS = [(50, "c", "{i}"), (80, "l", "ISUZU"), (180, "l", "ELF"), (300, "c", "2022"),
          (360, "c", "3.5"), (440, "c", "JAANKR55EM7{v}"), (560, "r", "$650,000.00"), (600, "l", "CARGA")]
NAMES = [(50, "NO."), (120, "MARCA"), (220, "MODELO"), (300, "ANO"), (380, "SERIE"), (455, "SUMA")]
TNAMES = [(50, "NO."), (120, "MARCA"), (220, "MODELO"), (300, "ANO"), (360, "TON"), (440, "SERIE"),
          (540, "SUMA"), (610, "USO")]
two_tables = ([(40, 60, "l", "AUTOS")] + band(100, NAMES, [(200, "VEHICULO")]) + rows(112, 4, CARS)
              + [(40, 170, "l", "CAMIONES")] + band(190, TNAMES) + rows(202, 3, TRUCKS))
put("pdf", "stream_two_tables.bin", stream([two_tables]))
put("pdf", "stream_continued.bin", stream([band(100, NAMES) + rows(112, 30, CARS),
                                           band(100, NAMES) + rows(112, 5, CARS)
                                           + [(40, 200, "l", "TOTAL"), (500, 200, "r", "$12,250,000.00")],
                                           [(40, 80, "l", "Condiciones: deducible 5% en modelos 2019")]]))
put("pdf", "stream_tilted.bin", stream([two_tables], tilt=0.017, jitter=0.6))
real = os.path.join(os.environ.get("MINCA_SHARED") or os.path.join(root, "..", "shared"), "data", "inbox_real_dev")
for path in sorted(glob.glob(os.path.join(real, "*.eml"))):   # spreadsheets saved by Calc
    import email
    for part in email.message_from_binary_file(open(path, "rb")).walk():
        if (part.get_filename() or "").lower().endswith(".ods"):
            put("ods", os.path.basename(path)[:-4] + ".ods", part.get_payload(decode=True))
inbox = os.path.join(os.environ.get("MINCA_SHARED") or os.path.join(root, "..", "shared"), "data", "inbox_dev")
if os.path.exists(os.path.join(inbox, "msg_008.eml")):   # the broker PDF of the labelled inbox
    import email
    for part in email.message_from_binary_file(open(os.path.join(inbox, "msg_008.eml"), "rb")).walk():
        if part.get_content_type() == "application/pdf":
            put("pdf", "broker.pdf", part.get_payload(decode=True))
# winmail.dat (TNEF) written as Outlook does, by tests/tools/make_tnef.py.
import importlib.util, subprocess, tempfile
spec = importlib.util.spec_from_file_location("make_tnef", os.path.join(root, "tests", "tools", "make_tnef.py"))
make_tnef = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_tnef)
put("tnef", "winmail.dat", make_tnef.tnef("Buen día, solicito cotización.", [("unidades año.csv", b"MARCA,MODELO\nNISSAN,2020\n")]))
put("tnef", "empty.dat", make_tnef.tnef("", []))
# An Outlook .msg, written with libgsf by the unit test's helper when it is built.
tool = os.path.join(root, "build", "tests", "test_intake_msg")
if os.access(tool, os.X_OK):
    with tempfile.TemporaryDirectory() as d:
        csv = os.path.join(d, "flotilla.csv")
        open(csv, "w").write("MARCA,MODELO\nNISSAN,2020\n")
        if subprocess.call([tool, "--write-msg", os.path.join(d, "item.msg"), csv]) == 0:
            put("msg", "item.msg", open(os.path.join(d, "item.msg"), "rb").read())
print("corpus written to", out)
