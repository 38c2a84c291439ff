/* CATVER import: docs reader -> validated rows -> COPY into catalog_entries -> activate. */
#include "minca/access.h"
#include "minca/catalog.h"
#include "minca/vehicle.h"
#include "minca/docs.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_MARCA, C_SUBMARCA, C_NUMVER, C_RAMO, C_CVEMARC, C_CVESUBM, C_MARTIP, C_CVESEGM, C_MODELO,
       C_CVEGS, C_DESCVEH, C_IDPERIOD, C_SUMABAS, C_TIPVEH, C_TRANSMISION, C_COUNT };

static const char *const column_names[C_COUNT] = {
    "marca", "submarca", "numver", "ramo", "cvemarc", "cvesubm", "martip", "cvesegm",
    "modelo", "cvegs", "descveh", "idperdiod", "sumabas", "tipveh", "transmision",
};
static const bool column_required[C_COUNT] = {
    [C_MARCA] = true, [C_SUBMARCA] = true, [C_MODELO] = true, [C_CVEGS] = true, [C_DESCVEH] = true,
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

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool is_integer(const char *s)
{
    return !*s || all_digits(s);
}

static void add_bad(catalog_import_result *res, long line, const char *fmt, const char *what)
{
    if (res->bad_rows < CATALOG_MAX_BAD_ROWS_REPORTED) {
        res->bad[res->bad_rows].line = line;
        snprintf(res->bad[res->bad_rows].reason, sizeof res->bad[0].reason, fmt, what);
    }
    res->bad_rows++;
}

/* Finds the header row among the first rows of each sheet: the row naming every required
 * column. Leaves the book positioned on the row after it. */
static int find_header(docs_book *book, int cols[C_COUNT], minca_err *err)
{
    for (int s = 0; s < docs_sheet_count(book); s++) {
        if (docs_sheet_open(book, s, err) < 0)
            return -1;
        const docs_row *row;
        for (int scanned = 0; scanned < 20; scanned++) {
            int r = docs_sheet_next(book, &row, err);
            if (r < 0)
                return -1;
            if (r == 0)
                break;
            for (int k = 0; k < C_COUNT; k++)
                cols[k] = -1;
            for (int i = 0; i < row->n_cells; i++) {
                char *folded = docs_fold(row->cells[i].text);
                for (int k = 0; k < C_COUNT; k++)
                    if (cols[k] < 0 && strcmp(folded, column_names[k]) == 0)
                        cols[k] = i;
                /* The AMIS spelling IDPERDIOD has a common variant IDPERIODO. */
                if (cols[C_IDPERIOD] < 0 && strcmp(folded, "idperiodo") == 0)
                    cols[C_IDPERIOD] = i;
                free(folded);
            }
            bool ok = true;
            for (int k = 0; k < C_COUNT; k++)
                if (column_required[k] && cols[k] < 0)
                    ok = false;
            if (ok)
                return 0;
        }
    }
    GString *names = g_string_new(NULL);
    for (int k = 0; k < C_COUNT; k++)
        if (column_required[k])
            g_string_append_printf(names, "%s%s", names->len ? ", " : "", column_names[k]);
    minca_err_set(err, "no CATVER header found: a row with the columns %s (any case, any order) is "
                       "required", names->str);
    g_string_free(names, TRUE);
    return -1;
}

static const char *cell(const docs_row *row, int col)
{
    if (col < 0 || col >= row->n_cells)
        return "";
    return row->cells[col].text;
}

static int send_copy(PGconn *c, GString *buf, minca_err *err)
{
    if (buf->len && PQputCopyData(c, buf->str, (int)buf->len) != 1)
        return minca_err_set(err, "COPY failed: %s", PQerrorMessage(c));
    g_string_truncate(buf, 0);
    return 0;
}

static int copy_rows(PGconn *c, docs_book *book, const int cols[C_COUNT], const char *version_id,
                     const char *insurer_id, catalog_progress_fn progress, void *puser,
                     catalog_import_result *res, minca_err *err)
{
    /* Row-level security allows no COPY into the table itself: the rows go through a temporary
     * table of this transaction and one INSERT, which the insurer's policy checks. */
    if (store_exec(c, err,
                   "CREATE TEMP TABLE catalog_load (LIKE catalog_entries INCLUDING DEFAULTS) ON COMMIT DROP", 0,
                   NULL) < 0)
        return -1;
    PGresult *r = PQexec(c, "COPY catalog_load (catalog_version_id, insurer_id, line_no, marca, submarca,"
                            " numver, ramo, cvemarc, cvesubm, martip, cvesegm, modelo, cvegs, descveh,"
                            " idperiod, sumabas, tipveh, transmision) FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        minca_err_set(err, "cannot start COPY: %s", PQerrorMessage(c));
        PQclear(r);
        return -1;
    }
    PQclear(r);
    GString *buf = g_string_sized_new(1 << 16);
    const docs_row *row;
    int rc;
    char numbuf[32];
    while ((rc = docs_sheet_next(book, &row, err)) == 1) {
        const char *v[C_COUNT];
        bool blank = true;
        for (int k = 0; k < C_COUNT; k++) {
            v[k] = cell(row, cols[k]);
            if (*v[k])
                blank = false;
        }
        if (blank)
            continue;
        char *trimmed[C_COUNT];
        for (int k = 0; k < C_COUNT; k++)
            trimmed[k] = g_strstrip(g_strdup(v[k]));
        const char *bad = NULL;
        for (int k = 0; k < C_COUNT && !bad; k++)
            if (column_required[k] && !*trimmed[k])
                bad = column_names[k];
        if (bad) {
            add_bad(res, row->row, "empty %s", bad);
        } else if (!all_digits(trimmed[C_MODELO]) || !vehicle_year_valid(atoi(trimmed[C_MODELO]))) {
            add_bad(res, row->row, "MODELO is not a model year: '%.40s'", trimmed[C_MODELO]);
        } else if (!all_digits(trimmed[C_CVEGS])) {
            add_bad(res, row->row, "CVEGS is not a numeric key: '%.40s'", trimmed[C_CVEGS]);
        } else if (!is_integer(trimmed[C_NUMVER]) || !is_integer(trimmed[C_RAMO]) ||
                   !is_integer(trimmed[C_CVEMARC]) || !is_integer(trimmed[C_CVESUBM])) {
            add_bad(res, row->row, "a numeric column holds text%s", "");
        } else {
            snprintf(numbuf, sizeof numbuf, "%ld", row->row);
            copy_field(buf, version_id, false);
            copy_field(buf, insurer_id, false);
            copy_field(buf, numbuf, false);
            for (int k = 0; k < C_COUNT; k++) {
                const char *val = trimmed[k];
                char *up = (k == C_MARCA || k == C_SUBMARCA || k == C_DESCVEH) ? g_utf8_strup(val, -1) : NULL;
                /* numeric SUMABAS: anything unparseable is dropped to NULL rather than failing */
                if (k == C_SUMABAS && *val && !g_ascii_isdigit(val[0]))
                    val = "";
                copy_field(buf, up ? up : val, k == C_COUNT - 1);
                g_free(up);
            }
            res->rows++;
            if (progress && res->rows % 5000 == 0)
                progress(res->rows, puser);
        }
        for (int k = 0; k < C_COUNT; k++)
            g_free(trimmed[k]);
        if (buf->len > (1 << 20) && send_copy(c, buf, err) < 0)
            break;
    }
    int status = rc < 0 ? -1 : send_copy(c, buf, err);
    g_string_free(buf, TRUE);
    if (PQputCopyEnd(c, status < 0 ? "import aborted" : NULL) != 1)
        return minca_err_set(err, "COPY failed: %s", PQerrorMessage(c));
    r = PQgetResult(c);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && status == 0)
        status = minca_err_set(err, "COPY failed: %s", PQerrorMessage(c));
    PQclear(r);
    while ((r = PQgetResult(c)))
        PQclear(r);
    if (status == 0 &&
        store_exec(c, err, "INSERT INTO catalog_entries SELECT * FROM catalog_load", 0, NULL) < 0)
        status = -1;
    return status;
}

int catalog_import(PGconn *c, const store_insurer *ins, const char *path, const char *user,
                   catalog_progress_fn progress, void *progress_user, catalog_import_result *res,
                   minca_err *err)
{
    if (access_require(c, ins->id, ACCESS_IMPORT_CATALOG, err) < 0)
        return -1;
    memset(res, 0, sizeof *res);
    double started = core_now_seconds();
    char *data = NULL;
    size_t len = 0;
    docs_book *book = NULL;
    int cols[C_COUNT];
    int rc = -1;
    if (core_read_file(path, (size_t)512 << 20, &data, &len, err) < 0)
        return -1;
    core_sha256_hex(data, len, res->sha256);
    docs_limits lim;
    docs_limits_default(&lim);
    lim.max_input_bytes = (size_t)512 << 20;
    if (docs_open(data, len, path, &lim, &book, err) < 0 || find_header(book, cols, err) < 0) {
        minca_err_prefix(err, "%s", path);
        goto done;
    }
    if (store_begin(c, err) < 0)
        goto done;
    char ins_id[32];
    snprintf(ins_id, sizeof ins_id, "%lld", ins->id);
    /* Two imports for one insurer take turns (one active version at a time). */
    const char *pl[] = {ins_id};
    if (store_exec(c, err, "SELECT 1 FROM insurers WHERE id = $1::bigint FOR UPDATE", 1, pl) < 0)
        goto rollback;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *p[] = {ins_id, base, res->sha256, user};
    PGresult *r = store_query(c, err,
                              "INSERT INTO catalog_versions (insurer_id, label, source_name, source_sha256, imported_by)"
                              " VALUES ($1::bigint, to_char(now(), 'YYYY-MM-DD HH24:MI:SS'), $2, $3, $4) RETURNING id",
                              4, p);
    if (!r)
        goto rollback;
    char version_id[32];
    snprintf(version_id, sizeof version_id, "%s", PQgetvalue(r, 0, 0));
    res->version_id = strtoll(version_id, NULL, 10);
    PQclear(r);
    if (copy_rows(c, book, cols, version_id, ins_id, progress, progress_user, res, err) < 0) {
        minca_err_prefix(err, "%s", path);
        goto rollback;
    }
    if (res->rows == 0) {
        minca_err_set(err, "%s: no valid catalog row (%ld refused); the active catalog is unchanged", path,
                      res->bad_rows);
        goto rollback;
    }
    char count[32];
    snprintf(count, sizeof count, "%ld", res->rows);
    const char *q[] = {ins_id, version_id, count};
    if (store_exec(c, err, "UPDATE catalog_versions SET active = false WHERE insurer_id = $1::bigint AND active", 1, q) < 0 ||
        store_exec(c, err, "UPDATE catalog_versions SET active = true, row_count = $2::int WHERE id = $1::bigint", 2, q + 1) < 0)
        goto rollback;
    json_t *details = json_pack("{s:s, s:s, s:I, s:I}", "file", base, "sha256", res->sha256, "rows",
                                (json_int_t)res->rows, "bad_rows", (json_int_t)res->bad_rows);
    int arc = store_audit(c, ins->id, user, "catalog_import", "catalog_version", version_id, details, err);
    json_decref(details);
    if (arc < 0 || store_commit(c, err) < 0)
        goto rollback;
    rc = 0;
    goto done;
rollback:
    store_rollback(c);
done:
    res->seconds = core_now_seconds() - started;
    docs_close(book);
    free(data);
    return rc;
}

json_t *catalog_versions(PGconn *c, long long insurer_id, minca_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", insurer_id);
    const char *p[] = {id};
    return store_query_json(c, err,
                            "SELECT id, label, source_name, row_count, active, imported_by,"
                            "       to_char(imported_at, 'YYYY-MM-DD HH24:MI') AS imported_at"
                            "  FROM catalog_versions WHERE insurer_id = $1::bigint ORDER BY id DESC",
                            1, p);
}
