/* Typed rows (store_rows.h): finding a row type's columns in a result by name, and reading
 * one value of each kind. */
#include "store_internal.h"

#include <math.h>
#include <stdlib.h>

int store_row_columns(const PGresult *r, const char *type, const char *const *names, int n, int *cols,
                      minca_err *err)
{
    for (int i = 0; i < n; i++) {
        cols[i] = PQfnumber(r, names[i]);
        if (cols[i] < 0)
            return minca_err_set(err, "%s: the statement's result has no column \"%s\"", type, names[i]);
    }
    return 0;
}

int store_row_get_TEXT(const PGresult *r, int row, int col, char **out, minca_err *err)
{
    (void)err;
    *out = g_strdup(PQgetvalue(r, row, col)); /* "" for SQL NULL */
    return 0;
}

int store_row_get_OPT_TEXT(const PGresult *r, int row, int col, char **out, minca_err *err)
{
    (void)err;
    *out = store_get_dup(r, row, col);
    return 0;
}

int store_row_get_LL(const PGresult *r, int row, int col, long long *out, minca_err *err)
{
    (void)err;
    *out = store_get_ll(r, row, col);
    return 0;
}

int store_row_get_OPT_LL(const PGresult *r, int row, int col, long long *out, minca_err *err)
{
    (void)err;
    *out = PQgetisnull(r, row, col) ? STORE_ROW_NULL_LL : store_get_ll(r, row, col);
    return 0;
}

int store_row_get_INT(const PGresult *r, int row, int col, int *out, minca_err *err)
{
    (void)err;
    *out = store_get_int(r, row, col);
    return 0;
}

int store_row_get_DOUBLE(const PGresult *r, int row, int col, double *out, minca_err *err)
{
    (void)err;
    *out = store_get_double(r, row, col);
    return 0;
}

int store_row_get_OPT_DOUBLE(const PGresult *r, int row, int col, double *out, minca_err *err)
{
    (void)err;
    *out = PQgetisnull(r, row, col) ? NAN : store_get_double(r, row, col);
    return 0;
}

int store_row_get_BOOL(const PGresult *r, int row, int col, bool *out, minca_err *err)
{
    (void)err;
    *out = store_get_bool(r, row, col);
    return 0;
}

int store_row_get_JSON(const PGresult *r, int row, int col, json_t **out, minca_err *err)
{
    *out = NULL;
    if (PQgetisnull(r, row, col))
        return 0;
    json_error_t je;
    *out = json_loads(PQgetvalue(r, row, col), JSON_DECODE_ANY, &je);
    if (!*out)
        return minca_err_set(err, "column \"%s\" holds no JSON document: %s", PQfname(r, col), je.text);
    return 0;
}

void store_row_free_TEXT(char **v)
{
    g_free(*v);
    *v = NULL;
}

void store_row_free_OPT_TEXT(char **v)
{
    g_free(*v);
    *v = NULL;
}

void store_row_free_JSON(json_t **v)
{
    json_decref(*v);
    *v = NULL;
}

void store_row_json_TEXT(json_t *o, const char *name, char *const *v)
{
    json_object_set_new(o, name, json_string(*v ? *v : ""));
}

void store_row_json_OPT_TEXT(json_t *o, const char *name, char *const *v)
{
    json_object_set_new(o, name, *v ? json_string(*v) : json_null());
}

void store_row_json_LL(json_t *o, const char *name, const long long *v)
{
    json_object_set_new(o, name, json_integer((json_int_t)*v));
}

void store_row_json_OPT_LL(json_t *o, const char *name, const long long *v)
{
    json_object_set_new(o, name, *v == STORE_ROW_NULL_LL ? json_null() : json_integer((json_int_t)*v));
}

void store_row_json_INT(json_t *o, const char *name, const int *v)
{
    json_object_set_new(o, name, json_integer(*v));
}

void store_row_json_DOUBLE(json_t *o, const char *name, const double *v)
{
    json_object_set_new(o, name, json_real(*v));
}

void store_row_json_OPT_DOUBLE(json_t *o, const char *name, const double *v)
{
    json_object_set_new(o, name, isnan(*v) ? json_null() : json_real(*v));
}

void store_row_json_BOOL(json_t *o, const char *name, const bool *v)
{
    json_object_set_new(o, name, json_boolean(*v));
}

void store_row_json_JSON(json_t *o, const char *name, json_t *const *v)
{
    json_object_set_new(o, name, *v ? json_incref(*v) : json_null());
}
