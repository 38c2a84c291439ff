#!/usr/bin/env python3
"""Checks the source tree keeps its structure (tests/integration/structure.sh prints the result).

Prints one line per check, "ok NAME" or "not ok NAME: details". The rules:
  - each module includes only the modules below it (LAYERS);
  - each public header is named after the module that implements it: include/minca/<module>.h
    or <module>_<part>.h, and the functions it declares are defined in src/<module>/;
  - SQL text and statement calls live only in src/store/;
  - no array is grown with `p = realloc(p, ...)` (the old block is lost when it fails);
  - no array grown by hand in src/: no g_realloc_n/g_renew/realloc growing a capacity; GArray,
    GPtrArray or GString grow, unless tests/structure-allow.txt names the function ("array PATH
    FUNCTION # why");
  - no function in src/ longer than MAX_FUNCTION_LINES, counted from the line of its opening
    brace (column 0) to the line of its closing one, unless tests/structure-allow.txt names it;
  - one allocation family: GLib's (g_new, g_malloc, g_strdup, GArray, GPtrArray...), which ends
    the process on out-of-memory; no libc allocator, no abort() as an out-of-memory policy, and
    free() only for memory a library hands back with that contract (LIBRARY_FREED);
  - no `__attribute__((constructor))` in src/ wiring one module into another: a module is wired
    by an explicit call at start-up; the one constructor allowed is the re-executed parser
    child's entry point (CONSTRUCTOR_ALLOWED);
  - the global configuration (config_get()) is read only by the program's start-up and the
    registry (CONFIG_READERS): a library receives its settings as arguments from its caller;
    CONFIG_GET_LEFT names a module not converted yet, with why.
  - typed store rows: no function declared in a store header (include/minca/store*.h) returns
    json_t *, unless tests/structure-allow.txt lists it on a `json_t PATH FUNCTION # reason`
    line (a stored JSON document, or a header not converted yet); a listed one must still
    return json_t * and say why.
"""
import glob
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."

# The modules each module may include (besides itself). Lower never includes higher.
LAYERS = {
    "core": set(),
    "servers": {"core"},
    "codify": {"core"},
    "docs": {"core"},
    "export": {"core"},
    "intake": {"core"},
    "profile": {"core", "docs"},
    "store": {"core", "servers"},
    "queue": {"core", "servers", "store"},
    "access": {"core", "store"},
    "llm": {"core", "queue", "store"},
    "metrics": {"core", "queue", "store"},
    "catalog": {"core", "access", "codify", "docs", "store"},
    "engine": {"core", "catalog", "codify", "intake", "llm", "profile", "queue", "store"},
    "desk": {"core", "access", "codify", "docs", "engine", "export", "intake", "profile", "queue", "store"},
    "tui": {"core", "access", "desk", "docs", "engine", "intake", "llm", "profile", "queue", "store"},
    "cli": None,  # the top: may include any module
}
SQL = re.compile(r'"\s*(SELECT|INSERT|UPDATE|DELETE|WITH|LOCK|COPY|CREATE|DROP|ALTER|BEGIN|COMMIT|DO)\s')
STATEMENT = re.compile(r"\b(PQexec|PQexecParams|PQprepare|PQexecPrepared|store_query\w*|store_exec\w*)\s*\(")
LOST_REALLOC = re.compile(r"(?<![\w.>*])(\**[A-Za-z_][\w.>\-\[\]]*)\s*=\s*realloc(?:array)?\(\s*\1\s*,")


MAX_FUNCTION_LINES = 120
# The libc allocators replaced by GLib's family (g_malloc/g_new, g_malloc0/g_new0, g_realloc/GArray,
# g_strdup, g_strndup, g_strdup_printf, g_strdup_vprintf).
LIBC_ALLOC = re.compile(r"(?<![\w.>])(malloc|calloc|realloc|reallocarray|strdup|strndup|asprintf|vasprintf)\s*\(")
# Reallocation: an array grown by hand (GArray, GPtrArray and GString grow for the caller).
GROWN = re.compile(r"(?<![\w.>])(g_realloc_n|g_realloc|g_renew|g_try_realloc_n|g_try_realloc|g_try_renew|realloc|reallocarray)\s*\(")
ABORT = re.compile(r"(?<![\w.>])abort\s*\(")
FREE = re.compile(r"(?<![\w.>])free\s*\(\s*([^;]*?)\s*\)\s*;")
# Memory a library allocates with malloc and documents as the caller's to free(): the only free()
# calls allowed, on a name the same function assigned from one of these.
LIBRARY_FREED = {
    "json_dumps": "jansson: the returned text is freed with free()",
    "open_memstream": "libc: the buffer the stream wrote is freed with free() after fclose",
    "getline": "libc: the line buffer getline grows is freed with free()",
}
ASSIGNED_FROM = re.compile(r"([A-Za-z_][\w.>\-\[\]]*)\s*=\s*(?:[^;=]*?[?:]\s*)?\b(%s)\s*\(" % "|".join(LIBRARY_FREED))
STREAM_OF = re.compile(r"\b(open_memstream|getline)\s*\(\s*&\s*([A-Za-z_][\w.>\-\[\]]*)")
FUNC_NAME = re.compile(r"([A-Za-z_]\w*)\s*\(")
# A function defined on one line at column 0, not static.
ONE_LINE_DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \t*]*?\b([a-z]\w*)\s*\([^;{}]*\)\s*\{")
# The name of a declared function: the first lower-case name before a parameter list (not `void (*hook)(...)`).
DECLARED = re.compile(r"\b([a-z]\w*)\s*\((?!\s*\*)")
CONSTRUCTOR = re.compile(r"__attribute__\s*\(\(\s*(?:__)?constructor\b")
# Code run before main that is not wiring: the parser child's entry point (docs_book.c).
CONSTRUCTOR_ALLOWED = {("src/docs/docs_book.c", "docs_child_main")}
CONFIG_GET = re.compile(r"(?<![\w.>])config_get\s*\(")
CONFIG_READERS = {"cli", "tui", "engine", "core"}
# Modules that still read the global configuration, and why (none now).
CONFIG_GET_LEFT = {}


def strip_c(text):
    """The text with comments, string and character literals blanked (lines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c if j - i >= 2 else text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def signature_before(lines, i):
    """The signature above the body that line i opens: the lines back to the one at column 0."""
    sig, j = "", i - 1
    while j >= 0 and i - j <= 12 and lines[j].strip() and not lines[j].startswith(("}", "#")) \
            and not lines[j].rstrip().endswith((";", "}")):
        sig = lines[j] + " " + sig
        if not lines[j][:1].isspace():
            break
        j -= 1
    return sig


def functions(lines):
    """(name, first line, last line) of each function: a body opened by `{` and closed by `}` at
    column 0, after a signature with a parameter list."""
    start = None
    for i, line in enumerate(lines):
        if line.startswith("{") and start is None:
            m = FUNC_NAME.search(signature_before(lines, i))
            start = (m.group(1), i) if m else ("", i)
        elif line.startswith("}") and start is not None:
            if start[0]:
                yield start[0], start[1], i
            start = None


def defined_functions(lines):
    """Names of the functions with external linkage the lines define: bodies at column 0 and
    one-line definitions (`size_t x_size(const x *v) { return v->n; }`)."""
    for name, first, _last in functions(lines):
        if not re.match(r"\s*static\b", signature_before(lines, first)):
            yield name
    for line in lines:
        m = ONE_LINE_DEF.match(line)
        if m:
            yield m.group(1)


def declared_functions(text):
    """Names of the functions a header declares (prototypes at file scope; not macros, static
    inline definitions, function pointer types or members)."""
    code = re.sub(r"(?m)^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", strip_c(text))
    while True:
        blanked = re.sub(r"\{[^{}]*\}", ";", code)
        if blanked == code:
            break
        code = blanked
    for stmt in code.split(";"):
        stmt = " ".join(stmt.split())
        if stmt.startswith(("typedef", "static")):
            continue
        m = DECLARED.search(stmt)
        if m:
            yield m.group(1)


def allow_rows():
    path = os.path.join(ROOT, "tests/structure-allow.txt")
    if not os.path.exists(path):
        return []
    return [l.split("#")[0].split() for l in open(path, encoding="utf-8")]


def allowed_long():
    """Functions allowed over the limit for now: "path function" lines of tests/structure-allow.txt."""
    return {(r[0], r[1]) for r in allow_rows() if len(r) >= 2 and r[0] not in ("array", "json_t")}


def allowed_grown():
    """Functions allowed to grow an array by hand: "array path function" lines of the same file."""
    return {(r[1], r[2]) for r in allow_rows() if len(r) >= 3 and r[0] == "array"}


JSON_RETURN = re.compile(r"^[ \t]*(?:extern[ \t]+)?json_t[ \t]*\*[ \t]*(store_\w+)[ \t]*\(", re.M)


def allowed_json():
    """Store functions allowed to return json_t *: {(path, function): reason} from the
    `json_t PATH FUNCTION # reason` lines of tests/structure-allow.txt."""
    path = os.path.join(ROOT, "tests/structure-allow.txt")
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path, encoding="utf-8"):
        words = line.split("#")[0].split()
        if len(words) >= 3 and words[0] == "json_t":
            out[(words[1], words[2])] = line.partition("#")[2].strip()
    return out


def header_module(name):
    """The module a public header belongs to: the one its name is, or starts with followed by `_`
    (core_config.h is core's, store_case_flow.h store's); None when no module's."""
    mods = [m for m in LAYERS if name == m or name.startswith(m + "_")]
    return max(mods, key=len) if mods else None


def sources():
    for path in sorted(glob.glob(os.path.join(ROOT, "src/*/*.[ch]"))):
        yield path, os.path.relpath(path, ROOT).split(os.sep)[1]
    for path in sorted(glob.glob(os.path.join(ROOT, "include/minca/*.h"))):
        yield path, header_module(os.path.basename(path)[:-2])


def report(name, problems):
    if problems:
        more = " ..." if len(problems) > 10 else ""
        print("not ok %s: %s%s (%d found)" % (name, "; ".join(problems[:10]), more, len(problems)))
    else:
        print("ok %s" % name)


def header_names(defined):
    """Headers not named after the module that implements them: a header's name is its module's
    (<module>.h or <module>_<part>.h) and every function it declares is defined in src/<module>/."""
    problems = []
    for path in sorted(glob.glob(os.path.join(ROOT, "include/minca/*.h"))):
        rel = os.path.relpath(path, ROOT)
        module = header_module(os.path.basename(path)[:-2])
        if module is None:
            problems.append("%s is named after no module (<module>.h or <module>_<part>.h)" % rel)
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        for fn in declared_functions(text):
            where = defined.get(fn)
            if where and module not in where:
                problems.append("%s (%s) declares %s, defined in %s" % (
                    rel, module, fn, ", ".join("src/%s/" % m for m in sorted(where))))
    return problems


layer, sql, calls, realloc, unknown = [], [], [], [], []
defined = {}
long_fns, long_allowed, libc_alloc, aborts, frees = [], [], [], [], []
grown, grown_allowed = [], []
constructors, config_reads, config_left = [], [], []
allow = allowed_long()
allow_grown = allowed_grown()
for path, module in sources():
    rel = os.path.relpath(path, ROOT)
    text = open(path, encoding="utf-8", errors="replace").read()
    if module not in LAYERS:
        unknown.append("%s (module %s)" % (rel, module))
        continue
    allowed = LAYERS[module]
    for inc in re.findall(r'#include "minca/(\w+)\.h"', text):
        target = header_module(inc)
        if target not in LAYERS:
            unknown.append("%s includes minca/%s.h (module %s)" % (rel, inc, target))
        elif allowed is not None and target != module and target not in allowed:
            layer.append("%s (%s) includes minca/%s.h (%s)" % (rel, module, inc, target))
    for n, line in enumerate(text.splitlines(), 1):
        if module != "store":
            # A Redis command that happens to be spelt like SQL is not SQL.
            if SQL.search(line) and "redis" not in line.lower():
                sql.append("%s:%d" % (rel, n))
            if STATEMENT.search(line):
                calls.append("%s:%d" % (rel, n))
        if LOST_REALLOC.search(line):
            realloc.append("%s:%d" % (rel, n))
    if not rel.startswith("src/"):
        for n, line in enumerate(strip_c(text).splitlines()):
            if CONSTRUCTOR.search(line):   # a macro that would plant one in src/
                constructors.append("%s:%d (a macro)" % (rel, n + 1))
        continue
    code = strip_c(text).splitlines()
    spans = list(functions(code))
    if rel.endswith(".c"):
        for fn in defined_functions(code):
            defined.setdefault(fn, set()).add(module)

    def function_at(n):
        return next((f for f in spans if f[1] <= n <= f[2]), ("", n, n))

    for name, first, last in spans:
        if last - first + 1 > MAX_FUNCTION_LINES:
            item = "%s %s (%d lines)" % (rel, name, last - first + 1)
            (long_allowed if (rel, name) in allow else long_fns).append(item)
    for n, line in enumerate(code):
        name = function_at(n)[0] or "file scope"
        for m in LIBC_ALLOC.finditer(line):
            libc_alloc.append("%s:%d %s() calls %s" % (rel, n + 1, name, m.group(1)))
        for m in GROWN.finditer(line):
            item = "%s:%d %s() grows an array with %s" % (rel, n + 1, name, m.group(1))
            (grown_allowed if (rel, name) in allow_grown else grown).append(item)
        if CONSTRUCTOR.search(line):
            names = FUNC_NAME.findall(line[CONSTRUCTOR.search(line).end():])
            fn = names[0] if names else "?"
            if (rel, fn) not in CONSTRUCTOR_ALLOWED:
                constructors.append("%s:%d %s" % (rel, n + 1, fn))
        if CONFIG_GET.search(line) and module not in CONFIG_READERS:
            (config_left if module in CONFIG_GET_LEFT else config_reads).append(
                "%s:%d %s()" % (rel, n + 1, name))
        if ABORT.search(line):
            aborts.append("%s:%d %s() calls abort" % (rel, n + 1, name))
        for m in FREE.finditer(line):
            fn = function_at(n)
            body = "\n".join(code[fn[1]:fn[2] + 1]) if fn[0] else line
            ours = {a for a, _ in ASSIGNED_FROM.findall(body)} | {a for _, a in STREAM_OF.findall(body)}
            if m.group(1) not in ours:
                frees.append("%s:%d %s() frees %s with free()" % (rel, n + 1, name, m.group(1)))

json_allow = allowed_json()
json_fns, json_allowed, json_seen = [], [], set()
for path in sorted(glob.glob(os.path.join(ROOT, "include/minca/store*.h"))):
    rel = os.path.relpath(path, ROOT)
    for m in JSON_RETURN.finditer(strip_c(open(path, encoding="utf-8", errors="replace").read())):
        key = (rel, m.group(1))
        json_seen.add(key)
        (json_allowed if key in json_allow else json_fns).append("%s %s" % key)
json_stale = ["%s %s (%s)" % (k[0], k[1], "returns json_t no more" if k not in json_seen else "no reason given")
              for k, why in sorted(json_allow.items()) if k not in json_seen or not why]

report("every module and header belongs to a known layer", unknown)
report("each module includes only the modules below it", layer)
report("each header is named after the module that implements it", header_names(defined))
report("SQL text only in src/store", sql)
report("statements run only in src/store", calls)
report("no array loses its block when growing fails", realloc)
report("no function over %d lines in src/" % MAX_FUNCTION_LINES, long_fns)
if long_allowed:
    print("# still over %d lines, allowed by tests/structure-allow.txt: %s" % (MAX_FUNCTION_LINES, "; ".join(long_allowed)))
report("one allocation family: no libc allocator in src/ (GLib's g_new/g_strdup/GArray)", libc_alloc)
report("no abort() as an out-of-memory policy in src/", aborts)
report("no array grown by hand in src/ (GArray, GPtrArray, GString)", grown)
if grown_allowed:
    print("# still grown by hand, allowed by tests/structure-allow.txt: %s" % "; ".join(grown_allowed))
report("no constructor wiring modules in src/ or include/ (only the parser child's entry point)", constructors)
report("config_get() only in %s: libraries get their settings as arguments" % ", ".join(
    "src/" + m for m in sorted(CONFIG_READERS)), config_reads)
if config_left:
    print("# still reading config_get(), allowed by CONFIG_GET_LEFT: %s" % "; ".join(
        "%s (%s)" % (m, why) for m, why in sorted(CONFIG_GET_LEFT.items())))
report("free() only for memory a library hands back to be freed so", frees)
report("no store function returns json_t * (typed rows, store_rows.h)", json_fns)
report("each json_t line of tests/structure-allow.txt names a store function returning json_t * and says why",
       json_stale)
if json_allowed:
    print("# store functions still returning json_t *, allowed by tests/structure-allow.txt: %d" % len(json_allowed))
