#!/usr/bin/env bash
# Typed store rows read from the test PostgreSQL (tests/unit/db_store_rows against a fresh
# database): every kind with values and SQL NULL, columns by name, a missing column named.
source "$(dirname "$0")/../lib.sh"
use_fresh_db t_store_rows || { not_ok "create test database"; finish; exit 1; }
TOOL="$(dirname "$MINCA")/tests/db_store_rows"
out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$TOOL" 2>&1)
rc=$?
check_eq "db_store_rows passes against PostgreSQL" "0" "$rc"
check_no_match "no test was skipped" "# SKIP" "$out"
check_match "every test ran" "^ok 6 " "$out"
[ "$rc" = 0 ] || printf '%s\n' "$out" | sed 's/^/# /' >&2

# A command reading typed rows: the insurer list names the insurer by its slug and name.
"$MINCA" insurer list >/dev/null 2>&1 # applies the migrations
psql_q "INSERT INTO insurers (slug, name, cot_prefix) VALUES ('rowtest', 'Aseguradora Filas', 'ROW')" >/dev/null
check_match "minca insurer list prints the rows" "rowtest +Aseguradora Filas" "$(MINCA_INSURER=rowtest "$MINCA" insurer list 2>&1)"
finish
