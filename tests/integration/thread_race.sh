#!/usr/bin/env bash
# A reply and its original read at the same time (minca batch with several threads, the reply's
# file first) still end in one case each conversation: without a lock both transactions find
# no case of the other, still uncommitted, and open two (or leave the answer without a case).
# A trigger in this test's database holds every message insert for a moment, so the two are
# always in flight together.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_thread_race || { not_ok "create test database"; finish; exit 1; }
export MINCA_INSURER=demo
N=8
python3 - "$T_TMP/in" "$N" <<'PY'
import sys, os, email.message, email.policy
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
csv = "No.,MARCA,TIPO,DESCRIPCION,MODELO\n1,NISSAN,NP300,NP300 PICKUP DH,2020\n2,TOYOTA,HILUX,HILUX CHASIS,2021\n"
csv3 = csv + "3,NISSAN,VERSA,SENSE 4P L4 1.6L STD,2020\n"
broker = "Agente Cenzontle <agente@cenzontle-seguros.mx>"

def msg(name, subject, mid, text, irt=None, att=None, date="Mon, 06 Oct 2025 10:00:00 -0600"):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"], m["To"], m["Subject"], m["Message-ID"], m["Date"] = broker, "cotiza@aseguradora.mx", subject, mid, date
    if irt:
        m["In-Reply-To"], m["References"] = irt, irt
    m.set_content(text)
    if att:
        m.add_attachment(att.encode(), maintype="text", subtype="csv", filename="unidades.csv")
    open(f"{out}/{name}.eml", "wb").write(m.as_bytes())

for i in range(n):
    req = f"<req-{i}@cenzontle-seguros.mx>"
    # Even pairs: the answer only gives the vigencia (it opens no case by itself); odd pairs: it
    # carries a corrected list and the client (a case on its own if read alone).
    if i % 2 == 0:
        msg(f"{i:02d}-1-respuesta", f"RE: Cotización flotilla {i}", f"<re-{i}@cenzontle-seguros.mx>",
            "La vigencia es del 01/11/2025 al 01/11/2026.\n", irt=req, date="Mon, 06 Oct 2025 11:00:00 -0600")
    else:
        msg(f"{i:02d}-1-respuesta", f"RE: Cotización flotilla {i}", f"<re-{i}@cenzontle-seguros.mx>",
            f"Lista corregida.\n\nRazón social: TRANSPORTES CARRERA {i}, S.A. DE C.V.\n", irt=req, att=csv3,
            date="Mon, 06 Oct 2025 11:00:00 -0600")
    msg(f"{i:02d}-2-pedido", f"Cotización flotilla {i}", req,
        f"Solicito cotización de flotilla.\n\nRazón social: TRANSPORTES CARRERA {i}, S.A. DE C.V.\n"
        "RFC: TPR010101AB8\nCobertura: amplia\n", att=csv)
PY
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
psql_q "CREATE FUNCTION t_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN PERFORM pg_sleep(0.4); RETURN NEW; END \$\$;
        CREATE TRIGGER t_hold AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION t_hold()" >/dev/null
check "the batch, four threads, each answer's file before its original's" "$MINCA" batch --threads 4 "$T_TMP/in"
check_eq "every message read" "$((2 * N))" "$(psql_q "SELECT count(*) FROM messages")"
check_eq "one case per conversation" "$N" "$(psql_q "SELECT count(*) FROM cases")"
check_eq "every message in a case" "0" "$(psql_q "SELECT count(*) FROM messages WHERE case_id IS NULL")"
check_eq "each answer in its original's case" "0" \
  "$(psql_q "SELECT count(*) FROM messages r JOIN messages o ON o.message_id = replace(r.message_id, '<re-', '<req-')
              WHERE r.message_id LIKE '<re-%' AND r.case_id IS DISTINCT FROM o.case_id")"
check_eq "each vigencia answer filled its case" "$((N / 2))" \
  "$(psql_q "SELECT count(*) FROM messages m JOIN cases k ON k.id = m.case_id
              WHERE m.message_id ~ '^<re-[0-9]*[02468]@' AND k.validity_start = '2025-11-01'")"
psql_q "DROP TRIGGER t_hold ON messages" >/dev/null
finish
