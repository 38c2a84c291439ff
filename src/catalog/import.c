/* CATVER import: docs reader -> validated rows -> the store's bulk load -> activate. */
#include "minca/access.h"
#include "minca/catalog.h"
#include "minca/core_vehicle.h"
#include "minca/docs.h"
#include "minca/store_catalog.h"

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
                g_free(folded);
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

/* Validates the rows after the header and loads the good ones into version_id. */
static int load_rows(PGconn *c, docs_book *book, const int cols[C_COUNT], long long version_id,
                     long long insurer_id, catalog_progress_fn progress, void *puser,
                     catalog_import_result *res, minca_err *err)
{
    store_catalog_load *ld = store_catalog_load_begin(c, version_id, insurer_id, err);
    if (!ld)
        return -1;
    const docs_row *row;
    int rc;
    int sent = 0;
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
            char *marca = g_utf8_strup(trimmed[C_MARCA], -1), *submarca = g_utf8_strup(trimmed[C_SUBMARCA], -1),
                 *descveh = g_utf8_strup(trimmed[C_DESCVEH], -1);
            const char *sumabas = trimmed[C_SUMABAS];
            /* numeric SUMABAS: anything unparseable is dropped to NULL rather than failing */
            if (*sumabas && !g_ascii_isdigit(sumabas[0]))
                sumabas = "";
            store_catalog_row entry = {
                .line_no = row->row, .marca = marca, .submarca = submarca, .numver = trimmed[C_NUMVER],
                .ramo = trimmed[C_RAMO], .cvemarc = trimmed[C_CVEMARC], .cvesubm = trimmed[C_CVESUBM],
                .martip = trimmed[C_MARTIP], .cvesegm = trimmed[C_CVESEGM], .modelo = atoi(trimmed[C_MODELO]),
                .cvegs = trimmed[C_CVEGS], .descveh = descveh, .idperiod = trimmed[C_IDPERIOD],
                .sumabas = sumabas, .tipveh = trimmed[C_TIPVEH], .transmision = trimmed[C_TRANSMISION],
            };
            sent = store_catalog_load_row(ld, &entry, err);
            g_free(marca);
            g_free(submarca);
            g_free(descveh);
            res->rows++;
            if (progress && res->rows % 5000 == 0)
                progress(res->rows, puser);
        }
        for (int k = 0; k < C_COUNT; k++)
            g_free(trimmed[k]);
        if (sent < 0)
            break;
    }
    return store_catalog_load_end(ld, rc >= 0 && sent == 0, err);
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
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (store_catalog_version_create(c, ins->id, base, res->sha256, user, &res->version_id, err) < 0)
        goto rollback;
    if (load_rows(c, book, cols, res->version_id, ins->id, progress, progress_user, res, err) < 0) {
        minca_err_prefix(err, "%s", path);
        goto rollback;
    }
    if (res->rows == 0) {
        minca_err_set(err, "%s: no valid catalog row (%ld refused); the active catalog is unchanged", path,
                      res->bad_rows);
        goto rollback;
    }
    if (store_catalog_version_activate(c, ins->id, res->version_id, res->rows, err) < 0)
        goto rollback;
    json_t *details = json_pack("{s:s, s:s, s:I, s:I}", "file", base, "sha256", res->sha256, "rows",
                                (json_int_t)res->rows, "bad_rows", (json_int_t)res->bad_rows);
    char version_id[32];
    snprintf(version_id, sizeof version_id, "%lld", res->version_id);
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
    g_free(data);
    return rc;
}

int catalog_versions(PGconn *c, long long insurer_id, store_catalog_version_row_list *out, minca_err *err)
{
    return store_catalog_version_list(c, insurer_id, out, err);
}
