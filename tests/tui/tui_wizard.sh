#!/usr/bin/env bash
# The profile wizard end to end, driven through tmux: an email from a broker the desk has never
# seen (new domain, a sheet with title rows above the header and its own column names) becomes
# a case flagged for a profile; the wizard shows what was detected, one column's field is
# changed, the rows are validated, the profile is saved for the sender's domain and the case is
# re-run by the desk's own engine. The broker's next email is then read with the saved profile.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "profile wizard" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "profile wizard" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_USER=analista MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_wizard || { not_ok "create test database"; finish; exit 1; }
check "catalog imported" "$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv"

DOMAIN=corredora-nueva.com.mx
# mail N: an email from the new broker with a CSV fleet list in its own layout.
mail() {
  python3 - "$1" "$T_TMP/mail$1.eml" "$DOMAIN" <<'PY'
import base64, csv, io, sys
n, path, domain = int(sys.argv[1]), sys.argv[2], sys.argv[3]
units = [("NISSAN", "VERSA", "SENSE 4P L4 1.6L STD", 2020), ("CHEVROLET", "AVEO", "LS 4P L4 1.5L STD", 2022),
         ("NISSAN", "SENTRA", "SR 4P L4 2.0L CVT", 2022), ("CHEVROLET", "S10", "MAX CABINA REGULAR 2P", 2022)]
out = io.StringIO()
w = csv.writer(out, lineterminator="\r\n")
w.writerow(["PARQUE VEHICULAR - ALTA DE FLOTILLA"] + [""] * 7)
w.writerow(["Cliente: Fletes del Sureste %d" % n] + [""] * 7)
w.writerow([""] * 8)
w.writerow(["Unidad", "Fabricante", "Línea", "Equipamiento", "Año-Mod", "Observaciones", "Clave interna", "Serie vehicular"])
for i, (m, s, d, y) in enumerate(units[: 3 + n % 2], 1):
    w.writerow([i, m, s, d, y, "uso reparto" if i % 2 else "sin comentarios", "FS-%d%02d" % (n, i), ""])
att = base64.encodebytes(out.getvalue().encode("utf-8")).decode("ascii")
body = ("Buen día,\r\n\r\nLes comparto la relación de unidades para cotizar.\r\n\r\n"
        "Razón social: FLETES DEL SURESTE %d, S.A. DE C.V.\r\nRFC: FSU0101014H5\r\nCobertura: Amplia\r\n" % n)
msg = ("From: Marta Quiroz <marta@%s>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: Alta flotilla Fletes %d\r\n"
       "Message-ID: <wizard-%d@%s>\r\nDate: Mon, 6 Oct 2025 09:%02d:00 -0600\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n--b1\r\nContent-Type: text/csv; name=\"parque_vehicular.csv\"\r\n"
       "Content-Disposition: attachment; filename=\"parque_vehicular.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       "%s\r\n--b1--\r\n") % (domain, n, n, domain, 10 + n, body, att)
open(path, "w", encoding="utf-8", newline="").write(msg)
PY
}
mail 1
"$MINCA" batch "$T_TMP/mail1.eml" >"$T_TMP/batch1.log" 2>&1
cot=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<wizard-1@$DOMAIN>'")
check_match "the first email became a case" "^[A-Z]+-[0-9]{4}-[0-9]+$" "$cot"
check_eq "the unknown broker's case is flagged for a profile" "t" "$(psql_q "SELECT needs_profile FROM cases WHERE cot = '$cot'")"
check_eq "no profile is stored yet" "0" "$(psql_q "SELECT count(*) FROM broker_profiles")"

start wiz
expect "the desk opens" wiz "Inbox" 15
keys wiz 2 / "$cot" Enter
expect "the case is listed" wiz "Cases 1/1"
keys wiz Enter
expect "the case view offers the wizard" wiz "no broker profile \(W: wizard\)"
keys wiz W
expect "step 1 shows what was detected" wiz "step 1/3: review what was detected .*$DOMAIN"
expect "the header row below the title rows is found" wiz "sheet '' · header row 4 · 8 columns · profile 'corredora-nueva'"
expect "each column has a suggested field, confidence and reason" wiz "Fabricante +marca +0\.[0-9]+ header 'Fabricante'"
expect "sample values of the selected column are shown" wiz "samples: 1 \| 2 \| 3"
expect "the internal key column is ignored at first" wiz "Clave interna +ignore"
keys wiz +
expect "+ moves the header one row lower" wiz "sheet '' · header row 5 · "
keys wiz -l "-"
expect "- moves it back and the columns are mapped again" wiz "sheet '' · header row 4 · 8 columns"
expect "the mapping is the detected one again" wiz "Fabricante +marca +0\.[0-9]+ header 'Fabricante'"

keys wiz '>'
expect "step 2 edits the mapping" wiz "step 2/3: edit the mapping"
expect "step 2 shows normalisation and validation" wiz "Año-Mod +year +as written +required"
keys wiz j j j j j j
keys wiz h h h h h h
expect "cycling the field maps the internal key to plates" wiz "Clave interna +plates \*"
keys wiz m
expect "m cycles its normalisation" wiz "Clave interna +plates \* +upper, no accents"
keys wiz Escape
expect "Esc asks before dropping the edits" wiz "drop the unsaved edits to this profile\? y: drop"
keys wiz n
expect "anything but y keeps the wizard open" wiz "still editing \(S saves\)"
keys wiz '>'
expect "step 3 validates against the attachment" wiz "step 3/3: validate and save"
expect "every row passes" wiz "4 rows read: 4 pass, 0 fail"
expect "the rows are listed with their result" wiz "NISSAN VERSA SENSE.* ok"
keys wiz Enter
expect "Enter shows the generated YAML" wiz "\"Clave interna\": plates"
keys wiz q
keys wiz S
expect "S saves the profile for the sender's domain" wiz "saved profile corredora-nueva v1 for $DOMAIN"
check_eq "the profile is stored as version 1 by the user" "corredora-nueva 1 analista true" \
  "$(psql_q "SELECT name || ' ' || version || ' ' || author || ' ' || active FROM broker_profiles")"
check_eq "the sender's domain is bound to the broker" "1" \
  "$(psql_q "SELECT count(*) FROM broker_domains d JOIN broker_profiles p ON p.broker_id = d.broker_id WHERE d.domain = '$DOMAIN'")"
check_match "the stored YAML maps the edited column" '"Clave interna": plates' "$(psql_q "SELECT yaml FROM broker_profiles")"
check_eq "saving is audited with the user" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'profile.save' AND actor = 'analista'")"

keys wiz '!'
expect "! re-runs the case" wiz "re-run with corredora-nueva v1 queued"
db_eventually "the desk's engine reads the sheet again with the profile" "4 FS-101,FS-102,FS-103,FS-104" \
  "SELECT count(*) || ' ' || string_agg(v.plates, ',' ORDER BY v.inciso) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot'" 20
db_eventually "the case is no longer flagged" "f" "SELECT needs_profile FROM cases WHERE cot = '$cot'" 10
expect "the case view refreshes with the new rows" wiz "4 vehicles: " 10
check_eq "the re-run is audited" "1" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'case.rerun' AND actor = 'analista'")"
keys wiz q
keys wiz q
wait_exit wiz
check_eq "the desk quits" "0" "$(cat "$T_TMP/wiz.exit" 2>/dev/null)"

# The broker's next email is read with the saved profile, straight away.
mail 2
"$MINCA" batch "$T_TMP/mail2.eml" >"$T_TMP/batch2.log" 2>&1
cot2=$(psql_q "SELECT k.cot FROM cases k JOIN messages m ON m.id = k.message_id WHERE m.message_id = '<wizard-2@$DOMAIN>'")
check_match "the second email became a case" "^[A-Z]+-[0-9]{4}-[0-9]+$" "$cot2"
check_eq "the next email needs no profile" "f" "$(psql_q "SELECT needs_profile FROM cases WHERE cot = '$cot2'")"
check_eq "its sheet was read with the saved profile" "corredora-nueva" \
  "$(psql_q "SELECT a.extraction->'report'->>'profile' FROM attachments a JOIN cases k ON k.message_id = a.message_id WHERE k.cot = '$cot2'")"
check_eq "including the column mapped in the wizard" "3 FS-201,FS-202,FS-203" \
  "$(psql_q "SELECT count(*) || ' ' || string_agg(v.plates, ',' ORDER BY v.inciso) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot2'")"

# Changing the profile: the wizard starts from the stored mapping and saves version 2.
start wiz2
expect "the desk opens again" wiz2 "Inbox" 15
keys wiz2 2 / "$cot2" Enter
expect "the second case is listed" wiz2 "Cases 1/1"
keys wiz2 W
expect "the wizard starts from the stored profile" wiz2 "mapped as in profile corredora-"
expect "the edited column keeps its field from the profile" wiz2 "Clave interna +plates +1\.00 in profile corredora-nueva v1"
keys wiz2 '>' '>'
expect "the stored mapping validates" wiz2 "3 rows read: 3 pass, 0 fail"
keys wiz2 S
expect "saving again makes version 2, and offers to re-read the broker's other open case" wiz2 \
  "saved v2\. re-read the broker's 1 other open case with it\? y"
keys wiz2 n
expect "anything but y leaves it as it was read" wiz2 "saved; the broker's other cases stay as they were read"
check_eq "one active version, the newest" "1 false|2 true" \
  "$(psql_q "SELECT string_agg(version || ' ' || active, '|' ORDER BY version) FROM broker_profiles")"
# Re-running from the case view asks first.
keys wiz2 Escape
expect "Esc closes the wizard" wiz2 "Cases 1/1"
keys wiz2 Enter
expect "the case view opens" wiz2 "3 vehicles: "
keys wiz2 '!'
expect "! in the case view asks before reading again" wiz2 "read the case's sheet again\? yes: "
keys wiz2 n o Enter
expect "anything but yes cancels" wiz2 "re-run cancelled"
keys wiz2 '!'
keys wiz2 y e s Enter
expect "yes queues the case again" wiz2 "case queued for extraction again"
db_eventually "the desk's engine reads it again with version 2" "3 corredora-nueva" \
  "SELECT (SELECT count(*) FROM vehicle_rows v JOIN cases k ON k.id = v.case_id WHERE k.cot = '$cot2') || ' ' ||
          (SELECT a.extraction->'report'->>'profile' FROM attachments a JOIN cases k ON k.message_id = a.message_id WHERE k.cot = '$cot2' AND k.status <> 'extracting')" 20
check_eq "both re-runs are audited" "2" "$(psql_q "SELECT count(*) FROM audit_log WHERE action = 'case.rerun'")"
# From the Profiles pane, W opens the wizard on the broker's newest case.
keys wiz2 4
expect "the Profiles pane lists the stored versions" wiz2 "corredora-nueva +db +2 "
keys wiz2 W
expect "W on a profile opens the wizard on the broker's newest case" wiz2 "step 1/3: review what was detected · $cot2"
keys wiz2 q q
finish
