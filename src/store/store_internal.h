/* store_internal: what the repository files share and nobody else sees: reading a column of a
 * result row. A SQL NULL reads as 0, 0.0, false or a NULL string. */
#ifndef MINCA_STORE_INTERNAL_H
#define MINCA_STORE_INTERNAL_H

#include "minca/store.h"
#include "minca/store_rows.h"

#include <glib.h>
#include <string.h>

/* Result of a query as a JSON array of objects (column name -> value; numbers stay
 * numbers, json/jsonb columns are embedded, NULL is null). New reference. Only for the
 * functions not yet returning typed rows (store_rows.h) and for stored JSON documents. */
json_t *store_result_json(PGresult *r);
/* Runs a query and returns store_result_json() of it, or NULL with err. */
json_t *store_query_json(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params);
json_t *store_query_json_p(PGconn *c, minca_err *err, const char *sql, const store_params *p);

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

/* ---- typed rows (store_rows.h) ----
 * STORE_ROW_READER(name, COLUMNS), once in the repository file that fills the rows, defines
 * name_clear, name_list_clear, name_json, name_list_json and three static readers:
 *   name_list_read(r, out, err)   every row of result r into *out (zeroed first);
 *   name_list_query(c, sql, p, out, err)   runs sql with parameters p (may be NULL) and reads it;
 *   name_query_one(c, sql, p, out, err)    the same for the first row only: 1 read into *out
 *                                          (zeroed first), 0 no row, -1 error.
 * Each column of COLUMNS is found by its name once per result (PQfnumber); a missing one is an
 * error naming the row type and the column. 0 / -1 with err. */
int store_row_columns(const PGresult *r, const char *type, const char *const *names, int n, int *cols,
                      minca_err *err);
int store_row_get_TEXT(const PGresult *r, int row, int col, char **out, minca_err *err);
int store_row_get_OPT_TEXT(const PGresult *r, int row, int col, char **out, minca_err *err);
int store_row_get_LL(const PGresult *r, int row, int col, long long *out, minca_err *err);
int store_row_get_OPT_LL(const PGresult *r, int row, int col, long long *out, minca_err *err);
int store_row_get_INT(const PGresult *r, int row, int col, int *out, minca_err *err);
int store_row_get_DOUBLE(const PGresult *r, int row, int col, double *out, minca_err *err);
int store_row_get_OPT_DOUBLE(const PGresult *r, int row, int col, double *out, minca_err *err);
int store_row_get_BOOL(const PGresult *r, int row, int col, bool *out, minca_err *err);
int store_row_get_JSON(const PGresult *r, int row, int col, json_t **out, minca_err *err);
void store_row_free_TEXT(char **v);
void store_row_free_OPT_TEXT(char **v);
void store_row_free_JSON(json_t **v);
void store_row_json_TEXT(json_t *o, const char *name, char *const *v);
void store_row_json_OPT_TEXT(json_t *o, const char *name, char *const *v);
void store_row_json_LL(json_t *o, const char *name, const long long *v);
void store_row_json_OPT_LL(json_t *o, const char *name, const long long *v);
void store_row_json_INT(json_t *o, const char *name, const int *v);
void store_row_json_DOUBLE(json_t *o, const char *name, const double *v);
void store_row_json_OPT_DOUBLE(json_t *o, const char *name, const double *v);
void store_row_json_BOOL(json_t *o, const char *name, const bool *v);
void store_row_json_JSON(json_t *o, const char *name, json_t *const *v);
#define store_row_free_LL(v) ((void)(v))
#define store_row_free_OPT_LL(v) ((void)(v))
#define store_row_free_INT(v) ((void)(v))
#define store_row_free_DOUBLE(v) ((void)(v))
#define store_row_free_OPT_DOUBLE(v) ((void)(v))
#define store_row_free_BOOL(v) ((void)(v))

#define STORE_ROW_COLUMN_NAME(col, KIND) #col,
#define STORE_ROW_JSON(col, KIND) store_row_json_##KIND(o, #col, &row->col);
#define STORE_ROW_FREE(col, KIND) store_row_free_##KIND(&row->col);
#define STORE_ROW_GET(col, KIND)                                                                  \
    if (store_row_get_##KIND(r, i, cols[k++], &o->col, err) < 0)                                  \
        goto done;

#define STORE_ROW_READER(name, COLUMNS)                                                           \
    void name##_clear(name *row)                                                                  \
    {                                                                                             \
        if (!row)                                                                                 \
            return;                                                                               \
        COLUMNS(STORE_ROW_FREE)                                                                   \
        memset(row, 0, sizeof *row);                                                              \
    }                                                                                             \
    void name##_list_clear(name##_list *list)                                                     \
    {                                                                                             \
        if (!list)                                                                                \
            return;                                                                               \
        for (size_t i = 0; i < list->n; i++)                                                      \
            name##_clear(&list->items[i]);                                                        \
        g_free(list->items);                                                                      \
        memset(list, 0, sizeof *list);                                                            \
    }                                                                                             \
    json_t *name##_json(const name *row)                                                          \
    {                                                                                             \
        json_t *o = json_object();                                                                \
        COLUMNS(STORE_ROW_JSON)                                                                   \
        return o;                                                                                 \
    }                                                                                             \
    json_t *name##_list_json(const name##_list *list)                                             \
    {                                                                                             \
        json_t *a = json_array();                                                                 \
        for (size_t i = 0; list && i < list->n; i++)                                              \
            json_array_append_new(a, name##_json(&list->items[i]));                               \
        return a;                                                                                 \
    }                                                                                             \
    static const char *const name##_columns[] = {COLUMNS(STORE_ROW_COLUMN_NAME)};                 \
    G_GNUC_UNUSED static int name##_list_read(const PGresult *r, name##_list *out, minca_err *err) \
    {                                                                                             \
        int cols[G_N_ELEMENTS(name##_columns)];                                                   \
        int rc = -1;                                                                              \
        memset(out, 0, sizeof *out);                                                              \
        if (store_row_columns(r, #name, name##_columns, (int)G_N_ELEMENTS(name##_columns), cols, err) < 0) \
            return -1;                                                                            \
        int rows = PQntuples(r);                                                                  \
        out->items = g_new0(name, rows > 0 ? rows : 1);                                           \
        for (int i = 0; i < rows; i++) {                                                          \
            name *o = &out->items[i];                                                             \
            int k = 0;                                                                            \
            out->n = (size_t)i + 1;                                                               \
            COLUMNS(STORE_ROW_GET)                                                                \
        }                                                                                         \
        rc = 0;                                                                                   \
    done:                                                                                         \
        if (rc < 0)                                                                               \
            name##_list_clear(out);                                                               \
        return rc;                                                                                \
    }                                                                                             \
    G_GNUC_UNUSED static int name##_list_query(PGconn *c, const char *sql, const store_params *p,  \
                                               name##_list *out, minca_err *err)                  \
    {                                                                                             \
        memset(out, 0, sizeof *out);                                                              \
        static const store_params none;                                                           \
        PGresult *r = store_query_p(c, err, sql, p ? p : &none);                                  \
        if (!r)                                                                                   \
            return -1;                                                                            \
        int rc = name##_list_read(r, out, err);                                                   \
        PQclear(r);                                                                               \
        return rc;                                                                                \
    }                                                                                             \
    G_GNUC_UNUSED static int name##_query_one(PGconn *c, const char *sql, const store_params *p, name *out, \
                                              minca_err *err)                                     \
    {                                                                                             \
        name##_list l;                                                                            \
        memset(out, 0, sizeof *out);                                                              \
        if (name##_list_query(c, sql, p, &l, err) < 0)                                            \
            return -1;                                                                            \
        int found = l.n > 0;                                                                      \
        if (found) {                                                                              \
            *out = l.items[0];                                                                    \
            memset(&l.items[0], 0, sizeof l.items[0]);                                            \
        }                                                                                         \
        name##_list_clear(&l);                                                                    \
        return found;                                                                             \
    }

#endif
