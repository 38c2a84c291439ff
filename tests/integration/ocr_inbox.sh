#!/usr/bin/env bash
# Image-only attachments through the whole pipeline: a fleet list printed to PDF at test
# time, rasterised (poppler's pdftoppm) into a photo (PNG) and wrapped image-only into a
# scanned PDF, is read by OCR: its rows are stored with their OCR confidence, marked "read
# from an image" and left for review. A picture OCR cannot read is named as the probable
# vehicle list and its case waits for a person; a logo-sized picture is skipped.
source "$(dirname "$0")/../lib.sh"
command -v pdftoppm >/dev/null || { skip "ocr inbox" "pdftoppm (poppler-utils) is not installed"; finish; exit 0; }
use_fresh_db t_ocr_inbox || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
FIX="$T_TMP/fix"; IN="$T_TMP/in"; mkdir -p "$FIX" "$IN"
# the list printed by the broker: the PDF fixtures' layout with VINs whose check digit is right
/usr/bin/python3 - "$SRC/tests/fixtures/docs" "$FIX" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import make_pdf_fixtures as m
rows = [("NISSAN", "VERSA", "SENSE 4P L4 1.6 STD", "2019", "3N1CN7AD3KL812345", "ABC-12-34", "$250,000.00"),
        ("TOYOTA", "HILUX", "DOBLE CABINA 4X2", "2021", "MR0EX8CB5M1234567", "XYZ-98-76", "$518,900.00"),
        ("FORD", "RANGER", "XL DOBLE CABINA", "2020", "8AFRE9EU3KX923696", "EN TRAMITE", "$410,000.00")]
open(os.path.join(sys.argv[2], "lista.pdf"), "wb").write(m.pdf([m.fleet_page(1, rows)]))
open(os.path.join(sys.argv[2], "scan.pdf"), "wb").write(m.pdf([[]]))
PY
pdftoppm -r 200 -gray -png -singlefile "$FIX/lista.pdf" "$FIX/foto"          # the photo
pdftoppm -r 200 -gray -jpeg -singlefile "$FIX/lista.pdf" "$FIX/pagina"       # the scanner's page
pdftoppm -r 100 -gray -png -singlefile "$FIX/scan.pdf" "$FIX/blanco"         # a picture with no text
pdftoppm -scale-to 80 -gray -png -singlefile "$FIX/lista.pdf" "$FIX/logo"    # a logo-sized picture
/usr/bin/python3 - "$FIX" "$IN" <<'PY'
import base64, os, struct, sys
fix, out = sys.argv[1], sys.argv[2]

def jpeg_size(d):
    i = 2
    while i < len(d):
        m, n = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", d[i + 5:i + 9])
            return w, h, d[i + 9]
        i += 2 + n

def image_pdf(jpg):
    """One page holding only the JPEG, as a scanner writes it (no text layer)."""
    w, h, comps = jpeg_size(jpg)
    space = b"/DeviceGray" if comps == 1 else b"/DeviceRGB"
    pw, ph = w * 72 / 200, h * 72 / 200
    content = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % (pw, ph)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 4 0 R >> >> "
            b"/Contents 5 0 R >>" % (pw, ph),
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 "
            b"/Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, space, len(jpg)) + jpg + b"\nendstream",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    pdf, offs = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs):
        offs.append(len(pdf))
        pdf += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
    pdf += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return bytes(pdf)

def mail(name, mid, fn, ctype, data):
    b = "ob"
    body = ("Buen día, envío la relación de unidades para cotizar.\r\n\r\nRazón social: TRANSPORTES PEÑA, S.A. DE C.V.\r\n"
            "RFC: TPE010101AB3\r\nCobertura: Amplia\r\n")
    msg = (f"From: Corredor Foto <ventas@corredor-foto.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
           f"Subject: Cotizacion {name}\r\nMessage-ID: <{mid}@corredor-foto.mx>\r\nDate: Mon, 1 Dec 2025 09:00:00 -0600\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
           f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
           f"--{b}\r\nContent-Type: {ctype}; name=\"{fn}\"\r\nContent-Disposition: attachment; filename=\"{fn}\"\r\n"
           f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(data) + f"\r\n--{b}--\r\n".encode()
    open(os.path.join(out, name + ".eml"), "wb").write(msg)

rd = lambda f: open(os.path.join(fix, f), "rb").read()
mail("01_foto", "foto", "IMG_0001.png", "image/png", rd("foto.png"))
mail("02_escaneo", "escaneo", "Escaneo.pdf", "application/pdf", image_pdf(rd("pagina.jpg")))
mail("03_ilegible", "ilegible", "IMG_0002.png", "image/png", rd("blanco.png"))
mail("04_logo", "logo", "logo.png", "image/png", rd("logo.png"))
PY
"$MINCA" batch --json "$IN" >"$T_TMP/batch.json" 2>"$T_TMP/batch.err"
q_case() { psql_q "SELECT $1 FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<$2@corredor-foto.mx>'"; }
q_rows() { psql_q "SELECT $1 FROM vehicle_rows v JOIN cases k ON k.id = v.case_id JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<$2@corredor-foto.mx>' ${3:-}"; }
for m in foto escaneo; do
  check_eq "$m: the three vehicles of the list are read by OCR" "3" "$(q_rows 'count(*)' $m)"
  vins=$(q_rows 'count(*)' $m "AND v.vin IN ('3N1CN7AD3KL812345', '8AFRE9EU3KX923696', 'MR0EX8CB5M1234567')")
  check_match "$m: the VINs are read right (at least two of three)" "^[23]$" "$vins"
  check_eq "$m: no VIN is 'repaired' into one that is not on the list" "0" \
    "$(q_rows 'count(*)' $m "AND v.issues::text LIKE '%corregido a%' AND v.vin NOT IN ('3N1CN7AD3KL812345', '8AFRE9EU3KX923696', 'MR0EX8CB5M1234567')")"
  check_eq "$m: the model years are read right" "2019 2020 2021" "$(q_rows 'year' $m 'ORDER BY year' | tr '\n' ' ' | sed 's/ $//')"
  check_eq "$m: every row keeps its OCR confidence" "3" "$(q_rows 'count(*)' $m 'AND v.ocr_confidence BETWEEN 0 AND 100')"
  check_eq "$m: every row is marked as read from an image" "3" \
    "$(q_rows 'count(*)' $m "AND v.issues::text LIKE '%leída de una imagen%'")"
  check_eq "$m: no row read from an image is auto-accepted" "0" \
    "$(q_rows 'count(*)' $m "AND EXISTS (SELECT 1 FROM matches x WHERE x.vehicle_row_id = v.id AND x.decision = 'auto_accept')")"
  check_match "$m: the match says why the row waits" "read from an image \(OCR confidence [0-9]+%\)" \
    "$(q_rows "(SELECT x.note FROM matches x WHERE x.vehicle_row_id = v.id)" $m)"
  check_eq "$m: the case waits for review" "review" "$(q_case 'k.status' $m)"
done
check_eq "unreadable photo: the case waits for a person" "review" "$(q_case 'k.status' ilegible)"
check_match "unreadable photo: the case names it as the probable vehicle list" \
  "IMG_0002.png: a photo, probably the vehicle list, could not be read: .*OCR found no text" "$(q_case 'k.status_reason' ilegible)"
check_match "unreadable photo: the attachment keeps the reader's error" "OCR found no text" \
  "$(psql_q "SELECT a.error FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<ilegible@corredor-foto.mx>'")"
check_eq "a logo-sized picture is skipped" "skipped" \
  "$(psql_q "SELECT a.status FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<logo@corredor-foto.mx>'")"
check_match "the skip says why" "too small for a vehicle list" \
  "$(psql_q "SELECT a.extraction::text FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<logo@corredor-foto.mx>'")"
finish
