/* store_rows: typed rows for what the store hands the desk and the CLI, each generated from
 * one column list (src/store/rows.c reads them). A row type is a list of columns, each
 * X(name, KIND), where name is both the struct member and the result column it is read from:
 *
 *     #define STORE_JOB_STATUS_COLUMNS(X) X(kind, TEXT) X(state, TEXT) X(n, LL)
 *     STORE_ROW_TYPES(store_job_status, STORE_JOB_STATUS_COLUMNS)
 *
 * declares struct store_job_status { char *kind; char *state; long long n; }, a list type
 * store_job_status_list { size_t n; store_job_status *items; }, store_job_status_clear(),
 * store_job_status_list_clear(), and store_job_status_json() / _list_json(): the row as a JSON
 * object (an array of them) keyed by the column names, for a command's --json output or an
 * audit entry's details (new references; OPT_ kinds and a NULL JSON column give null). The repository file that fills it writes
 * STORE_ROW_READER(store_job_status, STORE_JOB_STATUS_COLUMNS) (store_internal.h), which
 * defines both clear functions and a reader that finds each column by its name once per
 * result: a column missing from the statement is an error naming it, never a silent "".
 *
 * KIND  member type        SQL NULL reads as
 * TEXT      char *         ""      (never NULL)
 * OPT_TEXT  char *         NULL
 * LL        long long      0
 * OPT_LL    long long      STORE_ROW_NULL_LL (LLONG_MIN; JSON null)
 * INT       int            0
 * DOUBLE    double         0
 * OPT_DOUBLE double        NAN     (isnan() tells "none")
 * BOOL      bool           false   (PostgreSQL's 't' is true)
 * JSON      json_t *       NULL    (only for a column holding a stored JSON document)
 *
 * Ownership: a row owns its strings (g_malloc'd) and JSON references; _clear frees them and
 * zeroes the row (safe on a zeroed or cleared one). A list owns its rows; _list_clear clears
 * each and frees the array. Functions that fill a row or a list zero it first, so it can be
 * cleared whatever they returned. */
#ifndef MINCA_STORE_ROWS_H
#define MINCA_STORE_ROWS_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define STORE_ROW_CTYPE_TEXT char *
#define STORE_ROW_CTYPE_OPT_TEXT char *
#define STORE_ROW_CTYPE_LL long long
#define STORE_ROW_CTYPE_OPT_LL long long
#define STORE_ROW_CTYPE_INT int
#define STORE_ROW_CTYPE_DOUBLE double
#define STORE_ROW_CTYPE_OPT_DOUBLE double
#define STORE_ROW_CTYPE_BOOL bool
#define STORE_ROW_CTYPE_JSON json_t *

/* What an OPT_LL column holds for SQL NULL. */
#define STORE_ROW_NULL_LL LLONG_MIN

#define STORE_ROW_MEMBER(col, KIND) STORE_ROW_CTYPE_##KIND col;

/* The row struct `name`, its list `name_list` and their clear functions. */
#define STORE_ROW_TYPES(name, COLUMNS)                                                            \
    typedef struct name {                                                                         \
        COLUMNS(STORE_ROW_MEMBER)                                                                 \
    } name;                                                                                       \
    typedef struct name##_list {                                                                  \
        size_t n;                                                                                 \
        name *items;                                                                              \
    } name##_list;                                                                                \
    void name##_clear(name *row);                                                                 \
    void name##_list_clear(name##_list *list);                                                    \
    json_t *name##_json(const name *row);                                                         \
    json_t *name##_list_json(const name##_list *list);

#endif
