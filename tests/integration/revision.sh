#!/usr/bin/env bash
# A reply with a corrected vehicle list is revision 2 of its case: the difference (one unit
# added, one removed, one changed), every decision kept on the units that read the same, only
# the changed and added units codified again; the vigencia the reply states fills the case's
# missing one (audited with the message); case show and the export carry the revision.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_revision || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
python3 - "$T_TMP" "$SRC/samples/catalog/demo_catver.csv" <<'PY'
import sys, os, csv, email.message, email.policy
out, cat = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(cat, encoding="utf-8")))
seen, units = set(), []
for r in rows[::7]:
    k = (r["MARCA"], r["SUBMARCA"], r["DESCVEH"])
    if k in seen: continue
    seen.add(k)
    units.append([r["MARCA"], r["SUBMARCA"], r["DESCVEH"], r["MODELO"]])
    if len(units) == 31: break
def sheet(us):
    lines = ["No.,MARCA,TIPO,DESCRIPCION,MODELO,PLACAS"]
    for i, (inc, u) in enumerate(us):
        lines.append(",".join([str(inc), u[0], u[1], '"%s"' % u[2], u[3], "PLT%03d" % inc]))
    return "\n".join(lines) + "\n"
first = [(i + 1, units[i]) for i in range(30)]
second = [(i, u[:]) for i, u in first if i != 5]            # unit 5 removed
second = [(i, u[:3] + [str(int(u[3]) - 1)] if i == 7 else u) for i, u in second]   # unit 7: another year
second.append((31, units[30]))                               # unit 31 added
def msg(d, frm, subject, mid, text, att, irt=None, date="Mon, 06 Oct 2025 10:00:00 -0600"):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"], m["To"], m["Subject"], m["Message-ID"], m["Date"] = frm, "cotiza@aseguradora.mx", subject, mid, date
    if irt: m["In-Reply-To"] = irt; m["References"] = irt
    m.set_content(text)
    if att: m.add_attachment(att.encode(), maintype="text", subtype="csv", filename="unidades.csv")
    os.makedirs(f"{out}/{d}", exist_ok=True)
    open(f"{out}/{d}/m.eml", "wb").write(m.as_bytes())
broker = "Agente Cenzontle <agente@cenzontle-seguros.mx>"
msg("1", broker, "Cotización flotilla", "<rq@cenzontle-seguros.mx>",
    "Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES REVISADOS, S.A. DE C.V.\nRFC: TRE010101AB8\n"
    "Cobertura: amplia\nForma de pago: anual\n", sheet(first))
msg("2", broker, "RE: Cotización flotilla", "<rq-re@cenzontle-seguros.mx>",
    "Va la lista corregida. La vigencia es del 01/11/2025 al 01/11/2026.\n", sheet(second),
    irt="<rq@cenzontle-seguros.mx>", date="Mon, 06 Oct 2025 12:00:00 -0600")
msg("3", broker, "RE: Cotización flotilla", "<rq-gracias@cenzontle-seguros.mx>", "Gracias.\n", None,
    irt="<rq-re@cenzontle-seguros.mx>", date="Mon, 06 Oct 2025 13:00:00 -0600")
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
check "batch reads the request" "$MINCA" batch "$T_TMP/1"
cot=$(psql_q "SELECT cot FROM cases")
check_eq "30 units read" "30" "$(psql_q "SELECT count(*) FROM vehicle_rows")"
check_match "the vigencia is missing" "vigencia" "$(psql_q "SELECT missing_requirements::text FROM cases")"
# A person decides every row the codifier left open.
for inc in $(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE x.decision = 'needs_review' ORDER BY 1"); do
  "$MINCA" review "$cot" accept "$inc" >/dev/null 2>&1 || "$MINCA" review "$cot" nomatch "$inc" >/dev/null 2>&1
done
check_eq "every row decided before the reply" "0" "$(psql_q "SELECT count(*) FROM matches WHERE decision = 'needs_review'")"
"$MINCA" review "$cot" note 3 "revisado con el corredor" >/dev/null 2>&1
snap="SELECT v.plates || ' ' || coalesce(x.cvegs, '-') || ' ' || x.decision || ' ' || coalesce(x.reviewed_by, '-') || ' ' || coalesce(x.note, '-') FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE v.plates NOT IN ('PLT005', 'PLT007', 'PLT031') ORDER BY v.plates"
before=$(psql_q "$snap")

out=$("$MINCA" batch "$T_TMP/2" 2>&1)
check_match "the reply joins its case" "1 joined their case" "$out"
check_eq "one case still" "1" "$(psql_q "SELECT count(*) FROM cases")"
check_eq "the case is at revision 2" "2" "$(psql_q "SELECT revision FROM cases")"
check_eq "30 units in revision 2" "30" "$(psql_q "SELECT count(*) FROM vehicle_rows")"
check_eq "the rows are the reply's" "30" "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN attachments a ON a.id = v.attachment_id JOIN messages m ON m.id = a.message_id WHERE m.message_id = '<rq-re@cenzontle-seguros.mx>'")"
check_eq "the difference: 1 added, 1 removed, 1 changed, 28 kept" "1 1 1 28" \
  "$(psql_q "SELECT jsonb_array_length(diff->'added') || ' ' || jsonb_array_length(diff->'removed') || ' ' || jsonb_array_length(diff->'changed') || ' ' || (diff->>'kept') FROM case_revisions WHERE revision = 2")"
check_eq "the change is the year of unit 7" "year" "$(psql_q "SELECT diff->'changed'->0->'changes'->0->>'field' FROM case_revisions WHERE revision = 2")"
check_eq "every decision kept on the units that read the same (key, decision, reviewer, note)" "$before" "$(psql_q "$snap")"
check_eq "only the changed and added units were codified again" "2" \
  "$(psql_q "SELECT j.result->>'rows' FROM jobs j WHERE j.kind = 'codify' AND j.id > (SELECT min(id) FROM jobs WHERE kind = 'revise') ORDER BY j.id LIMIT 1")"
check_eq "only changed and added units are open for review" "0" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE x.decision = 'needs_review' AND v.plates NOT IN ('PLT007', 'PLT031')")"
check_eq "the changed and added units have fresh matches" "2" \
  "$(psql_q "SELECT count(*) FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE v.plates IN ('PLT007', 'PLT031') AND x.reviewed_by IS NULL")"
check_eq "revision 1's units are kept with the revision" "30" "$(psql_q "SELECT jsonb_array_length(previous_units) FROM case_revisions WHERE revision = 2")"
check_eq "the vigencia the reply states fills the case" "2025-11-01 2026-11-01" "$(psql_q "SELECT validity_start || ' ' || validity_end FROM cases")"
check_no_match "and is no longer missing" "vigencia" "$(psql_q "SELECT missing_requirements::text FROM cases")"
check_eq "the case says which message filled it" "<rq-re@cenzontle-seguros.mx>" \
  "$(psql_q "SELECT m.message_id FROM cases k JOIN messages m ON m.id = (k.filled_from->>'vigencia')::bigint")"
check_eq "the filling is audited with its message" "vigencia" \
  "$(psql_q "SELECT details->>'fields' FROM audit_log WHERE action = 'case_filled'")"
check_eq "the revision is audited" "2" "$(psql_q "SELECT details->>'revision' FROM audit_log WHERE action = 'case_revised'")"
show=$("$MINCA" case show "$cot" 2>&1)
check_match "case show names the revision" "revision:  2 of the vehicle list" "$show"
check_match "and the difference" "1 added, 1 removed, 1 changed, 28 read the same" "$show"
check_match "field by field" "year: [0-9]{4} -> [0-9]{4}" "$show"
check_match "the removed unit" "- inciso 5 " "$show"

# A reply without a list changes no revision; the same reply again is a duplicate.
check "a thank-you reply" "$MINCA" batch "$T_TMP/3"
check "the corrected list again" "$MINCA" batch "$T_TMP/2"
check_eq "still revision 2" "2" "$(psql_q "SELECT revision FROM cases")"
check_eq "three messages, one case" "3 1" "$(psql_q "SELECT count(*) || ' ' || count(DISTINCT case_id) FROM messages")"

# The export carries the revision.
for inc in $(psql_q "SELECT v.inciso FROM vehicle_rows v JOIN matches x ON x.vehicle_row_id = v.id WHERE x.decision = 'needs_review' ORDER BY 1"); do
  "$MINCA" review "$cot" accept "$inc" >/dev/null 2>&1 || "$MINCA" review "$cot" nomatch "$inc" >/dev/null 2>&1
done
check "export the revised case" "$MINCA" export "$cot" --format both --out "$T_TMP/q"
check_match "the workbook names the revision" "Revisión de la lista" \
  "$(python3 -c 'import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); print("".join(z.read(n).decode("utf-8","replace") for n in z.namelist() if n.endswith(".xml")))' "$T_TMP/q.xlsx")"
if command -v pdftotext >/dev/null; then
  check_match "the PDF names the revision" "revisión 2" "$(pdftotext "$T_TMP/q.pdf" - 2>/dev/null)"
else
  skip "the PDF names the revision" "pdftotext not installed"
fi
finish
