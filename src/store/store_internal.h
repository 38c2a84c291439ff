/* store_internal: what the repository files share and nobody else sees: reading a column of a
 * result row. A SQL NULL reads as 0, 0.0, false or a NULL string. */
#ifndef MINCA_STORE_INTERNAL_H
#define MINCA_STORE_INTERNAL_H

#include "minca/store.h"

long long store_get_ll(const PGresult *r, int row, int col);
int store_get_int(const PGresult *r, int row, int col);
double store_get_double(const PGresult *r, int row, int col);
/* PostgreSQL's text form of a boolean: 't'. */
bool store_get_bool(const PGresult *r, int row, int col);
/* A new copy (caller g_free()s), or NULL for SQL NULL; running out of memory ends the process (GLib). */
char *store_get_dup(const PGresult *r, int row, int col);

/* A match's version as the desk shows it and a decision names it: its decision, key and the
 * time a person last decided it, to the microsecond (X is the matches alias). One definition for
 * every statement that reads a row for the desk and for the decision that checks it. */
#define SQL_MATCH_VERSION(X)                                                                               \
    "(coalesce(" X ".decision, '') || '|' || coalesce(" X ".cvegs, '') || '|' || coalesce(" X ".year, 0)"   \
    " || '|' || coalesce((extract(epoch FROM " X ".reviewed_at) * 1000000)::bigint::text, ''))"

#endif
