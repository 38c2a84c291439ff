#!/usr/bin/env bash
# The tree keeps its structure: the layering of modules (lower never includes higher), SQL
# only in src/store, no array grown so that a failed realloc loses it. The rules are in
# tests/tools/structure.py; the acceptance check of the one-home-for-SQL rule is here too.
# runner: no-servers (reads the source tree only)
source "$(dirname "$0")/../lib.sh"

out=$(python3 "$SRC/tests/tools/structure.py" "$SRC")
while IFS= read -r line; do
  case "$line" in
    "ok "*) ok "${line#ok }" ;;
    "not ok "*) not_ok "${line#not ok }" ;;
  esac
done <<<"$out"
check_eq "grep -l PQexec src outside src/store is empty" "" "$(cd "$SRC" && grep -rl PQexec src | grep -v '^src/store/')"

# The checker finds what it is for: a copy of the tree with one fault of each kind fails.
bad="$T_TMP/bad"
mkdir -p "$bad/src/codify" "$bad/src/tui" "$bad/include/minca"
printf '#include "minca/store.h"\n' >"$bad/src/codify/x.c"
printf 'static const char *q = "SELECT 1";\nvoid f(void) { store_query(0, 0, q, 0, 0); }\n' >"$bad/src/tui/y.c"
printf 'void g(char **v, int n) { *v = realloc(*v, n); }\n' >>"$bad/src/tui/y.c"
badout=$(python3 "$SRC/tests/tools/structure.py" "$bad")
check_match "a lower module including a higher one is found" "^not ok each module includes.*src/codify/x.c" "$badout"
check_match "SQL outside the store is found" "^not ok SQL text only in src/store: src/tui/y.c:1" "$badout"
check_match "a statement outside the store is found" "^not ok statements run only in src/store: src/tui/y.c:2" "$badout"
check_match "a realloc that loses its block is found" "^not ok no array loses its block.*src/tui/y.c:3" "$badout"
# A migration's version is its name's first three digits: one file per version.
dups=$(ls "$SRC/migrations" | grep -E '^[0-9]{3}_.*\.sql$' | cut -c1-3 | sort | uniq -d | tr '\n' ' ')
check_eq "no two migrations share a version" "" "$dups"
finish
