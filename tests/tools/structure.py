#!/usr/bin/env python3
"""Checks the source tree keeps its structure (tests/integration/structure.sh prints the result).

Prints one line per check, "ok NAME" or "not ok NAME: details". The rules:
  - each module includes only the modules below it (LAYERS);
  - SQL text and statement calls live only in src/store/;
  - no array is grown with `p = realloc(p, ...)` (the old block is lost when it fails).
"""
import glob
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."

# Which module each public header belongs to, where the file name does not say it.
HEADER_MODULE = {
    "config": "core", "csv": "core", "text": "core", "vehicle": "core",
    "assist": "engine", "engine_run": "engine", "steps": "engine", "intake_poll": "engine",
    "export_case": "desk", "profile_store": "desk", "review": "desk", "reply": "desk",
    "http_guard": "metrics",
    "tui_actions": "tui",
}
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


def header_module(name):
    if name in HEADER_MODULE:
        return HEADER_MODULE[name]
    return "store" if name.startswith("store") else name


def sources():
    for path in sorted(glob.glob(os.path.join(ROOT, "src/*/*.[ch]"))):
        yield path, os.path.relpath(path, ROOT).split(os.sep)[1]
    for path in sorted(glob.glob(os.path.join(ROOT, "include/minca/*.h"))):
        yield path, header_module(os.path.basename(path)[:-2])


def report(name, problems):
    if problems:
        print("not ok %s: %s" % (name, "; ".join(problems[:10]) + (" ..." if len(problems) > 10 else "")))
    else:
        print("ok %s" % name)


layer, sql, calls, realloc, unknown = [], [], [], [], []
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

report("every module and header belongs to a known layer", unknown)
report("each module includes only the modules below it", layer)
report("SQL text only in src/store", sql)
report("statements run only in src/store", calls)
report("no array loses its block when growing fails", realloc)
