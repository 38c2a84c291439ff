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

# A header named after one module declaring another's function, and a header named after no
# module, are found; a header named after the module whose functions it declares is not.
mkdir -p "$bad/src/desk"
printf 'int export_case_run(int n)\n{\n    return n;\n}\nint desk_size(void) { return 1; }\n' >"$bad/src/desk/export_case.c"
printf '/* export_case */\nint export_case_run(int n);\n' >"$bad/include/minca/export_case.h"
printf 'int desk_size(void);\nint export_case_run(int n);\n' >"$bad/include/minca/desk_export_case.h"
printf 'int widget_count(void);\n' >"$bad/include/minca/widgets.h"
badout=$(python3 "$SRC/tests/tools/structure.py" "$bad")
check_match "a header declaring another module's function is found" \
  "^not ok each header is named after the module.*include/minca/export_case.h \\(export\\) declares export_case_run, defined in src/desk/" "$badout"
check_match "a header named after no module is found" \
  "^not ok each header is named after the module.*include/minca/widgets.h is named after no module" "$badout"
check_match "a header named after the module that defines its functions passes" \
  "^not ok each header is named after the module[^;]*; [^;]*\\(2 found\\)$" "$badout"

# The function length and allocation checks name the file and function of a fault planted in a
# copy of a real source file; memory jansson hands back is still freed with free().
planted="$T_TMP/planted"
mkdir -p "$planted/src/core"
cp "$SRC/src/core/util.c" "$planted/src/core/util.c"
{
  printf '\nint planted_long(int x)\n{\n'
  for i in $(seq 1 119); do printf '    x += %d;\n' "$i"; done
  printf '    return x;\n}\n'
  printf '\nchar *planted_alloc(void)\n{\n    char *p = malloc(4);\n    if (!p)\n        abort();\n'
  printf '    char *q = g_strdup("x");\n    free(q);\n    return p;\n}\n'
  printf '\nvoid planted_json(json_t *o)\n{\n    char *s = json_dumps(o, 0);\n    free(s);\n}\n'
  printf '\nvoid planted_grow(int **v, int *n, int *cap, int x)\n{\n    if (*n == *cap) {\n'
  printf '        *cap = *cap ? *cap * 2 : 16;\n        *v = g_renew(int, *v, (gsize)*cap);\n    }\n'
  printf '    (*v)[(*n)++] = x;\n}\n'
} >>"$planted/src/core/util.c"
plantout=$(python3 "$SRC/tests/tools/structure.py" "$planted")
check_match "a function over 120 lines is found by file and name" \
  "^not ok no function over 120 lines in src/: src/core/util.c planted_long \\(122 lines\\) \\(1 found\\)$" "$plantout"
check_match "a libc allocator is found by file and function" \
  "^not ok one allocation family.*: src/core/util.c:[0-9]+ planted_alloc\\(\\) calls malloc \\(1 found\\)$" "$plantout"
check_match "abort() on out-of-memory is found by file and function" \
  "^not ok no abort.*: src/core/util.c:[0-9]+ planted_alloc\\(\\) calls abort \\(1 found\\)$" "$plantout"
check_match "free() of GLib memory is found, free() of json_dumps text is not" \
  "^not ok free\\(\\) only.*: src/core/util.c:[0-9]+ planted_alloc\\(\\) frees q with free\\(\\) \\(1 found\\)$" "$plantout"
check_match "an array grown by hand is found by file and function" \
  "^not ok no array grown by hand.*: src/core/util.c:[0-9]+ planted_grow\\(\\) grows an array with g_renew \\(1 found\\)$" "$plantout"
mkdir -p "$planted/tests"
printf 'array src/core/util.c planted_grow # kept: says why\n' >"$planted/tests/structure-allow.txt"
plantout=$(python3 "$SRC/tests/tools/structure.py" "$planted")
check_match "an array the allow-list names is not a fault" "^ok no array grown by hand" "$plantout"
check_match "an array the allow-list names is still listed" "^# still grown by hand.*src/core/util.c:[0-9]+ planted_grow" "$plantout"
rm "$planted/tests/structure-allow.txt"
cp "$SRC/src/core/util.c" "$planted/src/core/util.c"
check_match "the unplanted copy passes" "^ok one allocation family" "$(python3 "$SRC/tests/tools/structure.py" "$planted")"
# A constructor wiring one module into another is found by file and function; the parser
# child's entry point in docs_book.c is the one allowed.
wired="$T_TMP/wired"
mkdir -p "$wired/src/access" "$wired/src/docs"
cp "$SRC/src/access/access.c" "$wired/src/access/access.c"
cp "$SRC/src/docs/docs_book.c" "$wired/src/docs/docs_book.c"
printf '\n__attribute__((constructor)) static void access_register(void) { store_set_login_hook(access_login); }\n' \
  >>"$wired/src/access/access.c"
check_match "a constructor wiring a module is found by file and function" \
  "^not ok no constructor wiring.*: src/access/access.c:[0-9]+ access_register \\(1 found\\)$" \
  "$(python3 "$SRC/tests/tools/structure.py" "$wired")"
cp "$SRC/src/access/access.c" "$wired/src/access/access.c"
check_match "the parser child's entry point is the constructor allowed" "^ok no constructor wiring" \
  "$(python3 "$SRC/tests/tools/structure.py" "$wired")"
# A library reading the global configuration is found by file and function; the start-up code
# (cli) may.
readers="$T_TMP/readers"
mkdir -p "$readers/src/queue" "$readers/src/cli"
cp "$SRC/src/queue/jobs.c" "$readers/src/queue/jobs.c"
cp "$SRC/src/cli/main.c" "$readers/src/cli/main.c"
printf '\nint planted_attempts(void)\n{\n    return config_get()->max_attempts;\n}\n' >>"$readers/src/queue/jobs.c"
check_match "a library reading config_get() is found by file and function" \
  "^not ok config_get\\(\\) only in .*: src/queue/jobs.c:[0-9]+ planted_attempts\\(\\) \\(1 found\\)$" \
  "$(python3 "$SRC/tests/tools/structure.py" "$readers")"
cp "$SRC/src/queue/jobs.c" "$readers/src/queue/jobs.c"
check_match "the start-up code reading it passes" "^ok config_get\\(\\) only in" \
  "$(python3 "$SRC/tests/tools/structure.py" "$readers")"
# The allow-list names only functions that are still over the limit, or still grow an array.
while read -r path fn rest; do
  case "$path" in ""|"#"*|json_t) continue ;; esac
  if [ "$path" = array ]; then
    path=$fn fn=${rest%% *}
    check_match "$path $fn still grows an array by hand (else drop it from tests/structure-allow.txt)" \
      "$path:[0-9]+ $fn\\(\\)" "$(grep '^# still grown' <<<"$out")"
    continue
  fi
  check_match "$path $fn is still over the limit (else drop it from tests/structure-allow.txt)" \
    "$path $fn" "$(grep '^# still over' <<<"$out")"
done <"$SRC/tests/structure-allow.txt"
# Typed store rows: a store header's function returning json_t * is found, a listed one is
# allowed, and a line of the list for a function that returns json_t no more (or gives no
# reason) is found too.
typed="$T_TMP/typed"
mkdir -p "$typed/include/minca" "$typed/tests"
cp "$SRC/include/minca/store_rows.h" "$SRC/include/minca/store_savepoint.h" "$typed/include/minca/"
printf '#include "minca/store.h"\n/* a list */\njson_t *store_planted_list(PGconn *c, minca_err *err);\n' \
  >"$typed/include/minca/store_planted.h"
typedout=$(python3 "$SRC/tests/tools/structure.py" "$typed")
check_match "a store function returning json_t * is found by header and name" \
  "^not ok no store function returns json_t .*: include/minca/store_planted.h store_planted_list \\(1 found\\)$" "$typedout"
printf 'json_t include/minca/store_planted.h store_planted_list # a stored document\n' >"$typed/tests/structure-allow.txt"
check_match "a listed one with its reason is allowed" "^ok no store function returns json_t" \
  "$(python3 "$SRC/tests/tools/structure.py" "$typed")"
printf 'json_t include/minca/store_savepoint.h store_savepoint_release # once JSON\njson_t include/minca/store_planted.h store_planted_list\n' \
  >"$typed/tests/structure-allow.txt"
staleout=$(python3 "$SRC/tests/tools/structure.py" "$typed")
check_match "a list line for a function returning json_t no more is found" \
  "^not ok each json_t line.*store_savepoint_release \\(returns json_t no more\\)" "$staleout"
check_match "a list line with no reason is found" "^not ok each json_t line.*store_planted_list \\(no reason given\\)" \
  "$staleout"

# A migration's version is its name's first three digits: one file per version.
dups=$(ls "$SRC/migrations" | grep -E '^[0-9]{3}_.*\.sql$' | cut -c1-3 | sort | uniq -d | tr '\n' ' ')
check_eq "no two migrations share a version" "" "$dups"
finish
