/* Catalog versions and entries: creating and activating a version, the COPY load of its
 * entries, the active catalog for the codifier, and the matcher's thresholds and corrections. */
#include "minca/store_catalog.h"
#include "minca/store_jobs.h"
#include "store_internal.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- versions ---- */

int store_catalog_version_create(PGconn *c, long long insurer_id, const char *source_name, const char *sha256,
                                 const char *imported_by, long long *version_id, minca_err *err)
{
    store_params lock = {0};
    store_param_ll(&lock, insurer_id);
    if (store_exec_p(c, err, "SELECT 1 FROM insurers WHERE id = $1::bigint FOR UPDATE", &lock) < 0)
        return -1;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, source_name);
    store_param_text(&p, sha256);
    store_param_text(&p, imported_by);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO catalog_versions (insurer_id, label, source_name, source_sha256, imported_by)"
                                " VALUES ($1::bigint, to_char(now(), 'YYYY-MM-DD HH24:MI:SS'), $2, $3, $4) RETURNING id",
                                &p);
    if (!r)
        return -1;
    *version_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_catalog_version_activate(PGconn *c, long long insurer_id, long long version_id, long rows,
                                   minca_err *err)
{
    store_params off = {0};
    store_param_ll(&off, insurer_id);
    store_params on = {0};
    store_param_ll(&on, version_id);
    store_param_ll(&on, rows);
    /* Jobs parked for want of a catalog are woken in the same transaction (store_jobs_wake
     * takes the wait lock): they run once it commits. */
    char condition[64];
    store_jobs_catalog_condition(insurer_id, condition);
    if (store_exec_p(c, err, "UPDATE catalog_versions SET active = false WHERE insurer_id = $1::bigint AND active",
                     &off) < 0 ||
        store_exec_p(c, err, "UPDATE catalog_versions SET active = true, row_count = $2::int WHERE id = $1::bigint",
                     &on) < 0)
        return -1;
    int woken = store_jobs_wake(c, condition, err);
    if (woken < 0)
        return -1;
    if (woken)
        log_info("catalog: %d job(s) waiting for the catalog of insurer %lld woken", woken, insurer_id);
    return 0;
}

STORE_ROW_READER(store_catalog_version_row, STORE_CATALOG_VERSION_COLUMNS)

int store_catalog_version_list(PGconn *c, long long insurer_id, store_catalog_version_row_list *out, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    return store_catalog_version_row_list_query(c,
                              "SELECT id, label, source_name, row_count, active, imported_by,"
                              "       to_char(imported_at, 'YYYY-MM-DD HH24:MI') AS imported_at"
                              "  FROM catalog_versions WHERE insurer_id = $1::bigint ORDER BY id DESC",
                              &p, out, err);
}

/* ---- the COPY load ---- */

#define LOAD_CHUNK (1 << 20)

struct store_catalog_load {
    PGconn *c;
    GString *buf;
    char version_id[32], insurer_id[32];
};

/* Appends s to buf escaped for COPY text format. */
static void copy_field(GString *buf, const char *s, bool last)
{
    if (!s || !*s) {
        g_string_append(buf, "\\N");
    } else {
        for (const char *p = s; *p; p++) {
            switch (*p) {
            case '\\': g_string_append(buf, "\\\\"); break;
            case '\t': g_string_append(buf, "\\t"); break;
            case '\n': g_string_append(buf, "\\n"); break;
            case '\r': g_string_append(buf, "\\r"); break;
            default: g_string_append_c(buf, *p);
            }
        }
    }
    g_string_append_c(buf, last ? '\n' : '\t');
}

static int send_copy(store_catalog_load *ld, minca_err *err)
{
    if (ld->buf->len && PQputCopyData(ld->c, ld->buf->str, (int)ld->buf->len) != 1)
        return minca_err_set(err, "COPY failed: %s", PQerrorMessage(ld->c));
    g_string_truncate(ld->buf, 0);
    return 0;
}

store_catalog_load *store_catalog_load_begin(PGconn *c, long long version_id, long long insurer_id, minca_err *err)
{
    /* Row-level security allows no COPY into the table itself: the rows go through a temporary
     * table of this transaction and one INSERT, which the insurer's policy checks. */
    if (store_exec(c, err,
                   "CREATE TEMP TABLE catalog_load (LIKE catalog_entries INCLUDING DEFAULTS) ON COMMIT DROP", 0,
                   NULL) < 0)
        return NULL;
    PGresult *r = PQexec(c, "COPY catalog_load (catalog_version_id, insurer_id, line_no, marca, submarca,"
                            " numver, ramo, cvemarc, cvesubm, martip, cvesegm, modelo, cvegs, descveh,"
                            " idperiod, sumabas, tipveh, transmision) FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        minca_err_set(err, "cannot start COPY: %s", PQerrorMessage(c));
        PQclear(r);
        return NULL;
    }
    PQclear(r);
    store_catalog_load *ld = g_malloc0_n(1, sizeof *ld);
    ld->c = c;
    ld->buf = g_string_sized_new(1 << 16);
    snprintf(ld->version_id, sizeof ld->version_id, "%lld", version_id);
    snprintf(ld->insurer_id, sizeof ld->insurer_id, "%lld", insurer_id);
    return ld;
}

int store_catalog_load_row(store_catalog_load *ld, const store_catalog_row *row, minca_err *err)
{
    char line[32], modelo[16];
    snprintf(line, sizeof line, "%ld", row->line_no);
    snprintf(modelo, sizeof modelo, "%d", row->modelo);
    const char *fields[] = {ld->version_id, ld->insurer_id, line, row->marca, row->submarca, row->numver,
                            row->ramo, row->cvemarc, row->cvesubm, row->martip, row->cvesegm, modelo,
                            row->cvegs, row->descveh, row->idperiod, row->sumabas, row->tipveh,
                            row->transmision};
    size_t n = sizeof fields / sizeof fields[0];
    for (size_t i = 0; i < n; i++)
        copy_field(ld->buf, fields[i], i == n - 1);
    if (ld->buf->len > LOAD_CHUNK)
        return send_copy(ld, err);
    return 0;
}

int store_catalog_load_end(store_catalog_load *ld, bool ok, minca_err *err)
{
    PGconn *c = ld->c;
    int status = ok ? send_copy(ld, err) : -1;
    g_string_free(ld->buf, TRUE);
    g_free(ld);
    if (PQputCopyEnd(c, status < 0 ? "import aborted" : NULL) != 1)
        return minca_err_set(err, "COPY failed: %s", PQerrorMessage(c));
    PGresult *r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && status == 0)
        status = minca_err_set(err, "COPY failed: %s", PQerrorMessage(c));
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    if (status == 0 && store_exec(c, err, "INSERT INTO catalog_entries SELECT * FROM catalog_load", 0, NULL) < 0)
        status = -1;
    return status;
}

/* ---- the active catalog ---- */
int store_catalog_active_version(PGconn *c, long long insurer_id, long long *version, minca_err *err)
{
    *version = 0;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err, "SELECT id FROM catalog_versions WHERE insurer_id = $1::bigint AND active", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        *version = store_get_ll(r, 0, 0);
    PQclear(r);
    return found;
}


static const char *nz(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

int store_catalog_active_entries(PGconn *c, long long insurer_id, store_catalog_entries *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT e.marca, e.submarca, e.cvegs, e.modelo, e.descveh, e.tipveh, e.transmision,"
                                "       v.id"
                                "  FROM catalog_versions v JOIN catalog_entries e ON e.catalog_version_id = v.id"
                                " WHERE v.insurer_id = $1::bigint AND v.active ORDER BY e.line_no",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->priv = r;
    if (n == 0)
        return 0;
    out->items = g_malloc0_n((size_t)n, sizeof *out->items);
    for (int i = 0; i < n; i++) {
        store_catalog_entry *e = &out->items[i];
        e->marca = PQgetvalue(r, i, 0);
        e->submarca = PQgetvalue(r, i, 1);
        e->cvegs = PQgetvalue(r, i, 2);
        e->modelo = store_get_int(r, i, 3);
        e->descveh = PQgetvalue(r, i, 4);
        e->tipveh = nz(r, i, 5);
        e->transmision = nz(r, i, 6);
    }
    out->n = (size_t)n;
    out->version_id = store_get_ll(r, 0, 7);
    return 0;
}

void store_catalog_entries_clear(store_catalog_entries *e)
{
    if (!e)
        return;
    g_free(e->items);
    PQclear(e->priv);
    memset(e, 0, sizeof *e);
}

/* ---- thresholds and corrections ---- */

int store_catalog_thresholds(PGconn *c, long long insurer_id, bool *has_auto_accept, double *auto_accept,
                             bool *has_no_match, double *no_match, minca_err *err)
{
    *has_auto_accept = *has_no_match = false;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT CASE WHEN settings->>'auto_accept' ~ '^[0-9]*\\.?[0-9]+$'"
                                "            THEN (settings->>'auto_accept')::float8 END,"
                                "       CASE WHEN settings->>'no_match' ~ '^[0-9]*\\.?[0-9]+$'"
                                "            THEN (settings->>'no_match')::float8 END"
                                " FROM insurers WHERE id = $1::bigint",
                                &p);
    if (!r)
        return -1;
    if (PQntuples(r) && !PQgetisnull(r, 0, 0)) {
        *has_auto_accept = true;
        *auto_accept = store_get_double(r, 0, 0);
    }
    if (PQntuples(r) && !PQgetisnull(r, 0, 1)) {
        *has_no_match = true;
        *no_match = store_get_double(r, 0, 1);
    }
    PQclear(r);
    return 0;
}

int store_catalog_corrections_each(PGconn *c, long long insurer_id, store_correction_fn fn, void *user,
                                   minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT norm_key, broker_id::text, coalesce(cvegs, ''), coalesce(year, 0)"
                                " FROM corrections WHERE insurer_id = $1::bigint AND revoked_at IS NULL ORDER BY id",
                                &p);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        fn(PQgetvalue(r, i, 0), nz(r, i, 1), PQgetvalue(r, i, 2), store_get_int(r, i, 3), user);
    PQclear(r);
    return 0;
}
