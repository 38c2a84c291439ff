/* Premiums returned by the insurer's rating system: the Gcotiza workbook sent back with its
 * PRIMA column filled, checked row by row against the case and stored as the case's next
 * import (nothing is stored when one row is wrong). */
#include "minca/access.h"
#include "minca/core_config.h"
#include "minca/docs.h"
#include "minca/export.h"
#include "minca/desk_export_case.h"
#include "minca/store_export.h"
#include "minca/store_rated.h"
#include "minca/store_tariff.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATED_MAX_FILE ((size_t)64 << 20)
#define RATED_MAX_SHOWN 8

/* The columns the import reads, found by the template's headers for their sources. */
typedef struct rated_cols {
    char *inciso, *premium, *cvegs, *vin;   /* folded headers (owned) */
} rated_cols;

typedef struct rated_sheet {
    int col_inciso, col_premium, col_cvegs, col_vin;   /* -1 when absent */
    long header_row;
} rated_sheet;

typedef struct rated_ctx {
    const export_case *ec;
    const int *inciso;         /* the quote's inciso of each case row */
    GString *problems;         /* one line per refused row */
    int n_problems;
    GArray *premiums;          /* store_rated_premium */
    int *seen_row;             /* per case row: the sheet row that priced it, 0 = none */
} rated_ctx;

static void problem(rated_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(rated_ctx *x, const char *fmt, ...)
{
    x->n_problems++;
    if (x->n_problems > RATED_MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    g_string_append(x->problems, x->problems->len ? "; " : "");
    g_string_append_vprintf(x->problems, fmt, ap);
    va_end(ap);
}

static void cols_clear(rated_cols *k)
{
    g_free(k->inciso);
    g_free(k->premium);
    g_free(k->cvegs);
    g_free(k->vin);
}

/* The template's headers of the four columns the import reads. */
static int template_cols(PGconn *c, long long insurer_id, const char *insurer, rated_cols *k, minca_err *err)
{
    json_t *settings = store_insurer_settings(c, insurer_id, NULL);
    const char *t = json_string_value(json_object_get(settings, "export_template"));
    char *path = NULL;
    export_template *tpl = NULL;
    int rc = -1;
    if (export_template_resolve(NULL, insurer, t && *t ? t : NULL, &path, err) < 0 ||
        export_template_load(path, &tpl, err) < 0)
        goto done;
    for (int i = 0; i < tpl->n_columns; i++) {
        const char *s = tpl->columns[i].source;
        char **slot = !strcmp(s, "row.inciso") ? &k->inciso : !strcmp(s, "row.premium") ? &k->premium
                      : !strcmp(s, "match.cvegs")  ? &k->cvegs
                      : !strcmp(s, "row.vin")      ? &k->vin
                                                   : NULL;
        if (slot && !*slot)
            *slot = docs_fold(tpl->columns[i].header);
    }
    if (!k->inciso || !k->premium) {
        minca_err_set(err, "%s has no inciso (row.inciso) or premium (row.premium) column to import by", path);
        goto done;
    }
    rc = 0;
done:
    json_decref(settings);
    export_template_free(tpl);
    g_free(path);
    return rc;
}

static const char *cell_text(const docs_row *row, int col)
{
    return col >= 0 && col < row->n_cells ? row->cells[col].text : "";
}

static bool cell_is(const docs_row *row, int col, const char *folded)
{
    if (!folded || col >= row->n_cells)
        return false;
    char *f = docs_fold(row->cells[col].text);
    bool same = !strcmp(f, folded);
    g_free(f);
    return same;
}

/* The header row of the sheet holding the units: the one naming the inciso and premium columns. */
static bool find_header(const docs_row *row, const rated_cols *k, rated_sheet *s)
{
    rated_sheet t = {-1, -1, -1, -1, row->row};
    for (int i = 0; i < row->n_cells; i++) {
        if (t.col_inciso < 0 && cell_is(row, i, k->inciso))
            t.col_inciso = i;
        else if (t.col_premium < 0 && cell_is(row, i, k->premium))
            t.col_premium = i;
        else if (t.col_cvegs < 0 && cell_is(row, i, k->cvegs))
            t.col_cvegs = i;
        else if (t.col_vin < 0 && cell_is(row, i, k->vin))
            t.col_vin = i;
    }
    if (t.col_inciso < 0 || t.col_premium < 0)
        return false;
    *s = t;
    return true;
}

/* "1234.5", "$1,234.50": cents, rounded half up past the second decimal. -1 not a number,
 * -2 negative. */
static long long parse_cents(const char *text)
{
    const char *p = text;
    while (*p == ' ')
        p++;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (*p == '$')
        p++;
    long long whole = 0, frac = 0;
    int digits = 0, decimals = 0, round_digit = -1;
    for (; *p && *p != '.'; p++) {
        if (*p == ',' && digits)
            continue;
        if (*p < '0' || *p > '9' || whole > 100000000000LL)
            return -1;
        whole = whole * 10 + (*p - '0');
        digits++;
    }
    if (*p == '.')
        for (p++; *p; p++) {
            if (*p < '0' || *p > '9')
                return -1;
            if (decimals < 2)
                frac = frac * 10 + (*p - '0');
            else if (round_digit < 0)
                round_digit = *p - '0';
            decimals++;
        }
    if (!digits && !decimals)
        return -1;
    if (decimals == 1)
        frac *= 10;
    long long cents = whole * 100 + frac + (round_digit >= 5);
    if (neg && cents > 0)
        return -2;
    return cents;
}

static int find_unit(const rated_ctx *x, long inciso)
{
    for (int i = 0; i < x->ec->n_rows; i++)
        if (x->inciso[i] == inciso)
            return i;
    return -1;
}

static bool same_text(const char *sheet, const char *ours)
{
    char *a = docs_fold(sheet ? sheet : ""), *b = docs_fold(ours ? ours : "");
    bool same = !strcmp(a, b);
    g_free(a);
    g_free(b);
    return same;
}

/* One data row of the returned sheet. */
static void check_row(rated_ctx *x, const rated_sheet *s, const docs_row *row)
{
    const char *inc = cell_text(row, s->col_inciso), *prem = cell_text(row, s->col_premium);
    if (!*inc && !*prem)
        return;   /* a blank row, or a line of the sheet that is not a unit */
    char *end = NULL;
    long inciso = strtol(inc, &end, 10);
    if (!*inc || *end || inciso <= 0) {
        problem(x, "row %ld: inciso '%.40s' is not a unit number", row->row, inc);
        return;
    }
    int i = find_unit(x, inciso);
    if (i < 0) {
        problem(x, "row %ld: inciso %ld is not a unit of %s", row->row, inciso, x->ec->cot);
        return;
    }
    if (x->seen_row[i]) {
        problem(x, "row %ld: inciso %ld again (already on row %d)", row->row, inciso, x->seen_row[i]);
        return;
    }
    x->seen_row[i] = (int)row->row;
    const export_row *unit = &x->ec->rows[i];
    if (s->col_cvegs >= 0 && !same_text(cell_text(row, s->col_cvegs), unit->match.cvegs)) {
        problem(x, "row %ld: inciso %ld is another unit (key '%.20s', the case has '%.20s')", row->row, inciso,
                cell_text(row, s->col_cvegs), unit->match.cvegs ? unit->match.cvegs : "");
        return;
    }
    if (s->col_vin >= 0 && !same_text(cell_text(row, s->col_vin), unit->vehicle.vin)) {
        problem(x, "row %ld: inciso %ld is another unit (serie '%.20s', the case has '%.20s')", row->row, inciso,
                cell_text(row, s->col_vin), unit->vehicle.vin ? unit->vehicle.vin : "");
        return;
    }
    long long cents = *prem ? parse_cents(prem) : -1;
    if (!*prem)
        problem(x, "row %ld: inciso %ld has no premium", row->row, inciso);
    else if (cents == -2)
        problem(x, "row %ld: inciso %ld has a negative premium (%.20s)", row->row, inciso, prem);
    else if (cents < 0)
        problem(x, "row %ld: inciso %ld: premium '%.30s' is not a number", row->row, inciso, prem);
    else
        g_array_append_val(x->premiums, ((store_rated_premium){(int)inciso, unit->match.cvegs, unit->vehicle.vin,
                                                               cents}));
}

/* "COT-2026-000001 (versión 2)" on the Cliente sheet, and the list's revision (absent: 1). */
typedef struct rated_head {
    char cot[128];
    int version, revision;
} rated_head;

static void read_head_row(const docs_row *row, rated_head *h)
{
    if (row->n_cells < 2)
        return;
    char *label = docs_fold(row->cells[0].text);
    const char *value = row->cells[1].text;
    if (!strcmp(label, "cot")) {   /* the Cliente sheet's line says the version; Resumen's does not */
        if (!h->cot[0])
            snprintf(h->cot, sizeof h->cot, "%.*s", (int)strcspn(value, " ("), value);
        const char *v = strstr(value, "(versión ");
        if (v && !h->version)
            h->version = atoi(v + strlen("(versión "));
    } else if (!strcmp(label, "revision de la lista")) {
        h->revision = atoi(value);
    }
    g_free(label);
}

/* Reads the workbook: its head (COT, version, revision) and the unit rows. */
static int read_book(docs_book *book, const rated_cols *k, rated_ctx *x, rated_head *h, minca_err *err)
{
    bool found_units = false;
    h->revision = 1;
    for (int sh = 0; sh < docs_sheet_count(book); sh++) {
        if (docs_sheet_open(book, sh, err) < 0)
            return -1;
        rated_sheet s = {-1, -1, -1, -1, 0};
        bool units = false;
        const docs_row *row;
        int rc;
        while ((rc = docs_sheet_next(book, &row, err)) == 1) {
            if (units)
                check_row(x, &s, row);
            else if (!found_units && row->row <= 5 && find_header(row, k, &s))
                units = found_units = true;
            else if (!units && row->row <= 40)
                read_head_row(row, h);
        }
        if (rc < 0)
            return -1;
    }
    if (!h->cot[0])
        return minca_err_set(err, "the workbook does not say its COT (a COT line on its Cliente sheet)");
    if (!found_units)
        return minca_err_set(err, "no sheet has the %s and %s columns", k->inciso, k->premium);
    return 0;
}

int export_rated_import(PGconn *c, long long insurer_id, const char *cot, const char *file,
                        export_rated_outcome *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    if (access_require(c, insurer_id, ACCESS_EXPORT, err) < 0)
        return -1;
    export_case ec;
    export_case_init(&ec);
    export_result numbering;
    memset(&numbering, 0, sizeof numbering);
    rated_cols k = {0};
    char *data = NULL;
    size_t len = 0;
    docs_book *book = NULL;
    rated_ctx x = {.ec = &ec, .problems = g_string_new(NULL), .premiums = g_array_new(FALSE, FALSE,
                                                                                       sizeof(store_rated_premium))};
    int rc = -1;
    long long case_id = 0;
    store_tariff_row tariff = {0};
    int has_tariff = store_tariff_active(c, insurer_id, &tariff, err);
    store_tariff_row_clear(&tariff);
    if (has_tariff < 0)
        goto done;
    if (!has_tariff) {
        minca_err_set(err, "the insurer has no tariff to take the derecho de póliza, recargo and IVA from "
                           "(minca tariff import FILE)");
        goto done;
    }
    if (export_case_load(c, insurer_id, cot, &ec, &case_id, err) < 0)
        goto done;
    /* the incisos as the quote numbered them (the same rules every export applies) */
    minca_err ignored = {0};
    export_check_rules(&ec, true, &numbering, &ignored);
    if (!numbering.inciso || ec.n_rows == 0) {
        minca_err_set(err, "case %s has no units to price", cot);
        goto done;
    }
    x.inciso = numbering.inciso;
    x.seen_row = g_new0(int, ec.n_rows);
    if (template_cols(c, insurer_id, ec.insurer, &k, err) < 0 ||
        core_read_file(file, RATED_MAX_FILE, &data, &len, err) < 0 ||
        docs_open(data, len, file, NULL, &book, err) < 0)
        goto done;
    rated_head h = {0};
    if (read_book(book, &k, &x, &h, err) < 0)
        goto done;
    if (strcmp(h.cot, cot) != 0) {
        minca_err_set(err, "the workbook is the quote of %s, not of %s", h.cot, cot);
        goto done;
    }
    int exists = h.version > 0 ? store_rated_export_exists(c, case_id, h.version, err) : 0;
    if (exists < 0)
        goto done;
    if (!exists) {
        minca_err_set(err, "the workbook names no export of %s (version %d); import the workbook an export wrote",
                      cot, h.version);
        goto done;
    }
    if (h.revision != ec.revision) {
        minca_err_set(err, "the workbook prices revision %d of the vehicle list; %s is at revision %d: export it "
                           "again and have that one rated", h.revision, cot, ec.revision);
        goto done;
    }
    for (int i = 0; i < ec.n_rows; i++)
        if (!x.seen_row[i])
            problem(&x, "inciso %d: no row in the workbook", numbering.inciso[i]);
    if (x.n_problems) {
        minca_err_set(err, "%s: %d row(s) refused, nothing imported: %s%s", file, x.n_problems, x.problems->str,
                      x.n_problems > RATED_MAX_SHOWN ? "; ..." : "");
        goto done;
    }
    char sha[65];
    core_sha256_hex(data, len, sha);
    char *base = g_path_get_basename(file);
    store_rated_import imp = {
        .insurer_id = insurer_id,
        .case_id = case_id,
        .export_version = h.version,
        .revision = h.revision,
        .source_name = base,
        .sha256 = sha,
        .actor = config_get()->user,
        .premiums = (const store_rated_premium *)(void *)x.premiums->data,
        .n_premiums = (int)x.premiums->len,
    };
    int src = store_rated_save(c, &imp, &out->version, err);
    g_free(base);
    if (src < 0)
        goto done;
    out->export_version = h.version;
    out->revision = h.revision;
    out->n_units = (int)x.premiums->len;
    for (guint i = 0; i < x.premiums->len; i++)
        out->neta_cents += g_array_index(x.premiums, store_rated_premium, i).cents;
    rc = 0;
done:
    if (book)
        docs_close(book);
    g_free(data);
    cols_clear(&k);
    g_free(x.seen_row);
    g_string_free(x.problems, TRUE);
    g_array_free(x.premiums, TRUE);
    export_result_clear(&numbering);
    export_case_clear(&ec);
    return rc;
}

int export_rated_apply(PGconn *c, long long case_id, export_case *ec, char *warning, size_t warning_len,
                       minca_err *err)
{
    warning[0] = '\0';
    store_rated_row r;
    int found = store_rated_active(c, case_id, &r, err);
    if (found <= 0)
        return found;
    if (r.revision != ec->revision) {
        snprintf(warning, warning_len, "the premiums imported for revision %d of the list were left out (the case is "
                 "at revision %d): priced with the tariff", r.revision, ec->revision);
        store_rated_row_clear(&r);
        return 0;
    }
    export_result numbering;
    memset(&numbering, 0, sizeof numbering);
    minca_err ignored = {0};
    export_check_rules(ec, true, &numbering, &ignored);
    for (int i = 0; numbering.inciso && i < ec->n_rows; i++)
        for (int k = 0; k < r.n; k++)
            if (r.inciso[k] == numbering.inciso[i] && same_text(r.cvegs[k], ec->rows[i].match.cvegs))
                ec->rows[i].rated_cents = r.cents[k];
    ec->rated_source = core_strdup_printf("«%s», importación %d del %s por %s", r.source_name, r.version,
                                          r.imported_at, r.imported_by ? r.imported_by : "—");
    export_result_clear(&numbering);
    store_rated_row_clear(&r);
    return 1;
}
