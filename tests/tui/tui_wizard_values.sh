#!/usr/bin/env bash
# The wizard's step 3 checks the values of every mapped column: a "VALOR" column whose cells
# read "V. COMERCIAL" is mapped as the sum insured by its header, but its values are no amount;
# step 3 says so and S refuses to save until the mapping is fixed. Two columns mapped to one
# field (PLACAS moved onto `use` beside USO) are refused the same way.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux_lib.bash"

if ! command -v tmux >/dev/null; then skip "wizard column values" "tmux is not installed"; finish; exit; fi
if [ -z "${MINCA_DATABASE_URL:-}" ]; then skip "wizard column values" "no test database (run through tests/run.sh)"; finish; exit; fi

export MINCA_INSURER=demo MINCA_CONFIG="$T_TMP/config.yaml"
: >"$MINCA_CONFIG"
use_fresh_db t_tui_wizard_values || { not_ok "create test database"; finish; exit 1; }
"$MINCA" catalog import "$SRC/samples/catalog/demo_catver.csv" >/dev/null 2>&1
mkdir -p "$T_TMP/in"
python3 - "$T_TMP/in/valor.eml" <<'PY'
import base64, sys
rows = ["INCISO,MARCA,SUBMARCA,MODELO,DESCRIPCION,SERIE,VALOR,PLACAS,USO"]
rows += [f"{i},NISSAN,VERSA,2022,SENSE STD,3N1CN8AE2NL{i:06d},V. COMERCIAL,ABC{i:03d}A,PARTICULAR" for i in range(1, 6)]
att = base64.encodebytes(("\r\n".join(rows) + "\r\n").encode()).decode()
body = "Buen día,\r\n\r\nRazón social: VALORES PRUEBA, S.A. DE C.V.\r\nRFC: VPR010101AB8\r\nCobertura: Amplia\r\n"
open(sys.argv[1], "w", newline="").write(
    "From: Corredor Valor <ventas@corredor-valor.mx>\r\nTo: cotizaciones@aseguradora.mx\r\nSubject: Cotizacion valor\r\n"
    "Message-ID: <valor-1@corredor-valor.mx>\r\nDate: Mon, 1 Dec 2025 09:00:00 -0600\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"bv\"\r\n\r\n--bv\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body +
    "\r\n--bv\r\nContent-Type: text/csv; name=\"valor.csv\"\r\nContent-Disposition: attachment; filename=\"valor.csv\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n" + att + "\r\n--bv--\r\n")
PY
"$MINCA" batch "$T_TMP/in" >"$T_TMP/batch.log" 2>&1
cot=$(psql_q "SELECT cot FROM cases")

TUI_COLS=100 start wv MINCA_TUI_ENGINE=0
expect "the desk opens" wv "Inbox" 15
keys wv 2 / "$cot" Enter
expect "the case is listed" wv "Cases 1/1"
keys wv Enter
keys wv W
expect "the wizard maps VALOR to the sum insured by its header" wv "VALOR +insured_amount"
keys wv '>' '>'
expect "step 3 says its values are no amount" wv "mapping does not fit: 'VALOR' as insured_amount: \"V. COMERCIAL\" is not an amount"
keys wv S
expect "S refuses to save" wv "not saved: the mapping does not fit"
check_eq "no profile was stored" 0 "$(psql_q "SELECT count(*) FROM broker_profiles")"
# Back to step 2: VALOR ignored, PLACAS moved one field on, onto `use`, where USO already is.
keys wv '<'
expect "step 2 again" wv "step 2/3: edit the mapping"
keys wv g j j j j j j
expect "on VALOR" wv "samples: V. COMERCIAL"
while ! screen wv | grep -qE "VALOR +ignore"; do keys wv h; sleep 0.1; n=$((${n:-0} + 1)); [ $n -gt 20 ] && break; done
keys wv j
expect "on PLACAS" wv "PLACAS +plates"
keys wv l
expect "l makes PLACAS the use" wv "PLACAS +use"
keys wv '>'
expect "step 3 names the two columns mapped to use" wv "'PLACAS' and 'USO' both mapped to use \(one column a field\)"
keys wv S
expect "S refuses to save two columns on one field" wv "not saved: the mapping does not fit: 'PLACAS' and 'USO' both mapped"
check_eq "still no profile stored" 0 "$(psql_q "SELECT count(*) FROM broker_profiles")"
keys wv q q q
finish
