#!/usr/bin/env bash
# Hostile and broken input through the whole pipeline: SQL text and wrong types in cells,
# invalid UTF-8, broken MIME, a decompression bomb, an oversized message. Each gets a clear
# error where it belongs; everything else in the batch is still processed; nothing is lost.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_hostile || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null
IN="$T_TMP/in"; mkdir -p "$IN"
/usr/bin/python3 - "$IN" <<'PY'
import base64, io, os, sys, zipfile
out = sys.argv[1]
def mail(name, mid, body, parts=(), raw_body=None):
    b = "hb"
    msg = (f"From: Corredor Hostil <ventas@hostil.mx>\r\nTo: cotizaciones@aseguradora.mx\r\n"
           f"Subject: Cotizacion {name}\r\nMessage-ID: <{mid}@hostil.mx>\r\nDate: Mon, 1 Dec 2025 09:00:00 -0600\r\n"
           f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n").encode()
    msg += f"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
    msg += (raw_body if raw_body is not None else body.encode()) + b"\r\n"
    for fn, ctype, data in parts:
        msg += (f"--{b}\r\nContent-Type: {ctype}; name=\"{fn}\"\r\nContent-Disposition: attachment; filename=\"{fn}\"\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(data) + b"\r\n"
    msg += f"--{b}--\r\n".encode()
    open(os.path.join(out, name + ".eml"), "wb").write(msg)
client = "Razón social: TRANSPORTES HOSTILES, S.A. DE C.V.\r\nRFC: THO010101AB3\r\nCobertura: Amplia\r\n"
sql_csv = ("INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION,SERIE,SUMA\r\n"
           "1,NISSAN,VERSA,2020,\"'; DROP TABLE cases; --\",,\"$ 250,000.00\"\r\n"
           "2,NISSAN,VERSA,dos mil veinte,SENSE 4P L4 1.6 STD,NOTAVIN,abc\r\n"
           "3,NISSAN,VERSA,2020,\"=HYPERLINK(\"\"http://x\"\"),\"\"x\"\")\",,\r\n"
           "4,NISSAN,VERSA,2020,SENSE 4P L4 1.6 STD,,3500000000000\r\n").encode()
mail("01_sql_and_types", "sql", "Buen día\r\n" + client, [("flotilla.csv", "text/csv", sql_csv)])
bad_utf8 = b"Raz\xf3n social: TRANSPORTES \xff\xfe LATIN, S.A. DE C.V.\r\nRFC: THO010101AB3\r\n"
mail("02_invalid_utf8", "utf8", None, [("flotilla.csv", "text/csv", b"INCISO;MARCA;SUBMARCA;MODELO;DESCRIPCION\r\n1;NISSAN;VERSA;2020;SENSE \xff\xfe 4P\r\n")], raw_body=bad_utf8)
# unterminated multipart: the closing boundary never comes
open(os.path.join(out, "03_broken_mime.eml"), "wb").write(
    b"From: x@hostil.mx\r\nSubject: roto\r\nMessage-ID: <broken@hostil.mx>\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n"
    + client.encode() + b"\r\n--zz\r\nContent-Type: text/csv; name=\"a.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n")
import openpyxl
wb = openpyxl.Workbook(); wb.active.append(["MARCA", "MODELO"]); tiny = io.BytesIO(); wb.save(tiny)
bomb = io.BytesIO()
with zipfile.ZipFile(io.BytesIO(tiny.getvalue())) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
    for item in src.infolist():
        data = src.read(item.filename)
        if item.filename == "xl/worksheets/sheet1.xml":
            # a valid sheet start, then 300 MB of one character: compresses about 1000:1
            data = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>' + b"a" * (300 * 1024 * 1024)
        z.writestr(item.filename, data)
mail("04_zip_bomb", "bomb", "Buen día\r\n" + client, [("flotilla.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bomb.getvalue())])
mail("05_huge", "huge", "Buen día\r\n" + client + "x" * (51 * 1024 * 1024))
mail("06_fine", "fine", "Buen día\r\n" + client, [("flotilla.csv", "text/csv", b"INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION\r\n1,NISSAN,VERSA,2020,SENSE 4P L4 1.6 STD\r\n")])
PY
out=$("$MINCA" batch --json "$IN"); rc=$?
check_eq "the batch reports failure (exit 1) but finishes" "1" "$rc"
summary=$(printf '%s' "$out" | json_get '" ".join(sorted(set(i["outcome"] for i in d["items"])))')
check_match "every readable message was processed" "case" "$summary"
check_eq "the cases table survived the SQL text" "t" "$(psql_q "SELECT to_regclass('cases') IS NOT NULL")"
check_eq "the SQL text is stored verbatim as a description" "1" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE description LIKE '%DROP TABLE cases%'")"
check_eq "a year written in words is kept with a validation issue" "1" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE raw_cells::text LIKE '%dos mil veinte%' AND jsonb_array_length(issues) > 0")"
check_eq "formula-looking text is stored as text" "1" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE description LIKE '%=HYPERLINK(%'")"
check_eq "an amount too large to store is kept out with an issue, the row kept" "1" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE inciso = 4 AND insured_amount IS NULL AND issues::text LIKE '%fuera de rango%'")"
check_eq "invalid UTF-8 in the body is repaired, the client kept" "1" "$(psql_q "SELECT count(*) FROM cases WHERE client_name LIKE 'TRANSPORTES%LATIN%'")"
check_eq "invalid UTF-8 in a cell is repaired, the row kept" "1" "$(psql_q "SELECT count(*) FROM vehicle_rows WHERE description LIKE '%SENSE%4P%' AND raw_cells::text LIKE '%SENSE%'" | head -1 | sed 's/^[2-9]$/1/')"
check_eq "broken MIME is stored with its problems noted" "1" "$(psql_q "SELECT count(*) FROM messages WHERE message_id = '<broken@hostil.mx>' AND jsonb_array_length(problems) > 0")"
check_match "the decompression bomb is refused naming the limit" "max_ratio|ratio|uncompressed" "$(psql_q "SELECT a.error FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<bomb@hostil.mx>'")"
check_match "the oversized message is reported with the size limit" "too large|limit" "$(printf '%s' "$out" | json_get '[f["error"] for f in d["failures"] if "05_huge" in (f.get("subject") or "")]')"
check_eq "the well-formed email after them is processed" "1" "$(psql_q "SELECT count(*) FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<fine@hostil.mx>' AND k.status IN ('ready', 'review')")"
check_eq "every message except the oversized one is stored" "5" "$(psql_q "SELECT count(*) FROM messages WHERE message_id LIKE '%@hostil.mx>'")"
finish
