/* export workbook: the Gcotiza sheet, the Resumen and Incidencias sheets, via libxlsxwriter. */
#include "export_internal.h"

#include <errno.h>
#include <glib.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define MAX_SHEET_ROWS 1048576

/* Row states, each with its own set of cell formats. */
enum { ROW_OK = 0, ROW_PENDING = 1, ROW_NO_KEY = 2, ROW_STATES = 3 };

static const lxw_color_t state_fill[ROW_STATES] = {0, 0xFFEB9C, 0xFFC7CE};
static const lxw_color_t state_font[ROW_STATES] = {0, 0x9C5700, 0x9C0006};

typedef enum { V_EMPTY = 0, V_TEXT, V_NUMBER, V_DATE } value_kind;

typedef struct cell_value {
    value_kind kind;
    const char *text;     /* V_TEXT, borrowed */
    char buf[64];         /* storage for rendered numbers / dates / SI-NO */
    double number;
    lxw_datetime date;
} cell_value;

typedef struct case_dates {
    bool has_received, has_start, has_end;
    lxw_datetime received, start, end, exported;
} case_dates;

typedef struct writer {
    const export_case *c;
    const export_template *tpl;
    const export_coverage *cov;
    const export_options *opt;
    const export_coverage_package *case_pkg;
    const export_coverage_package *row_pkg;   /* package of the row being written */
    const export_field **src, **fallback;   /* per column */
    case_dates dates;
    const char *exported_by;
    lxw_workbook *wb;
    lxw_worksheet *main, *client, *summary, *issues;
    lxw_format **cell_fmt;                  /* [column * ROW_STATES + state] */
    lxw_format *text_cell_fmt[ROW_STATES];  /* text landing in a numeric column (never a % format) */
    double *col_chars;                      /* per column: the widest cell, in characters */
    double *col_width;                      /* per column: the width given, in Excel's units */
    int row_lines;                          /* lines of the tallest wrapped cell of the row being written */
    lxw_format *header_fmt, *title_fmt, *label_fmt, *text_fmt, *int_fmt, *pct_fmt, *date_fmt,
        *datetime_fmt, *money_fmt, *issue_fmt[4];
    lxw_error lxw_status;                   /* first libxlsxwriter error */
    int issue_row;                          /* next row on Incidencias */
    export_quote quote;                     /* the price, when a tariff priced the case */
    bool priced;
    char unpriced[200];                     /* why not */
    lxw_worksheet *prices;                  /* "Prima", when priced */
    export_result *res;
    minca_err *err;
} writer;

/* ---- values ------------------------------------------------------------------------------- */

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][zone]" -> date. 0 absent, 1 parsed, -1 invalid. */
static int parse_date(const char *s, lxw_datetime *out)
{
    if (core_str_empty(s))
        return 0;
    while (*s == ' ')
        s++;
    int y, mo, d, h = 0, mi = 0, n = 0;
    double sec = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    const char *t = s + n;
    if (*t == ' ' || *t == 'T') {
        int m2 = 0;
        if (sscanf(t + 1, "%2d:%2d%n", &h, &mi, &m2) == 2) {
            t += 1 + m2;
            if (*t == ':') {
                char *end;
                sec = strtod(t + 1, &end);
                t = end;
            }
        } else if (t[1] != '\0') {
            return -1;
        }
    }
    if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec >= 61)
        return -1;
    *out = (lxw_datetime){y, mo, d, h, mi, sec};
    return 1;
}

static lxw_datetime date_only(lxw_datetime d)
{
    d.hour = 0;
    d.min = 0;
    d.sec = 0;
    return d;
}

static void set_text(cell_value *v, const char *s)
{
    if (core_str_empty(s)) {
        v->kind = V_EMPTY;
        return;
    }
    v->kind = V_TEXT;
    v->text = s;
}

static void set_number(cell_value *v, double n)
{
    v->kind = V_NUMBER;
    v->number = n;
}

static void set_date(cell_value *v, bool has, lxw_datetime d)
{
    if (!has) {
        v->kind = V_EMPTY;
        return;
    }
    v->kind = V_DATE;
    v->date = d;
}

static const char *decision_label(export_decision d)
{
    switch (d) {
    case EXPORT_DECISION_AUTO: return "AUTOMATICA";
    case EXPORT_DECISION_REVIEW: return "REVISION";
    case EXPORT_DECISION_NO_MATCH: return "SIN COINCIDENCIA";
    }
    return "";
}

static int coverage_value(writer *w, const char *source, const export_column *col,
                          cell_value *v)
{
    const char *key = source + strlen("coverage.");
    const export_coverage_package *pkg = w->row_pkg;
    if (!pkg)
        return 0;   /* the request names no package (a forced export): the cells stay empty */
    for (int i = 0; i < pkg->n_values; i++) {
        const export_coverage_value *cv = &pkg->values[i];
        if (strcmp(cv->key, key) != 0)
            continue;
        if (cv->text)
            set_text(v, cv->text);
        else
            set_number(v, cv->number);
        return 0;
    }
    return minca_err_set(w->err, "%s: package %s has no value for '%s' (template column %s)",
                         w->cov->path, pkg->name, key, col->header);
}

/* ---- sources: one row each, with the callback that gives its value ----------------------- */

#define SOURCE_ARGS writer *w, const export_row *row, const export_field *f, const char *source, \
                    const export_column *col, cell_value *v
#define UNUSED_SOURCE_ARGS (void)w, (void)row, (void)f, (void)source, (void)col
#define AT(base, type) (*(const type *)(const void *)((const char *)(base) + f->offset))

static int row_index(const writer *w, const export_row *row) { return (int)(row - w->c->rows); }

/* A text, or a number when above 0, of the row's vehicle, its match, itself or its case. */
static int vehicle_text(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, AT(&row->vehicle, char *)); return 0; }
static int vehicle_count(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    if (AT(&row->vehicle, int) > 0)
        set_number(v, AT(&row->vehicle, int));
    return 0;
}
static int match_text(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, AT(&row->match, char *)); return 0; }
static int export_row_text(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, AT(row, char *)); return 0; }
static int case_text(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, AT(w->c, char *)); return 0; }

/* The number on the quote (renumbered when the source's incisos repeat or are missing). */
static int vehicle_inciso(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    set_number(v, w->res->inciso[row_index(w, row)]);
    return 0;
}

static int vehicle_insured(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    double amount = AT(&row->vehicle, double);
    if (amount >= 0)
        set_number(v, amount);
    else if (export_row_commercial(row))
        set_text(v, "VALOR COMERCIAL");
    return 0;
}

static int vehicle_basis(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    set_text(v, vehicle_sum_basis_name(AT(&row->vehicle, vehicle_sum_basis)));
    return 0;
}

static int row_premium(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    int i = row_index(w, row);
    if (w->priced && w->quote.units[i].priced)
        set_number(v, (double)w->quote.units[i].neta_cents / 100.0);
    else if (!w->priced && row->premium >= 0)
        set_number(v, row->premium);
    return 0;
}

static int row_package(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, w->row_pkg ? w->row_pkg->name : NULL); return 0; }

static int match_year(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    if (row->match.year > 0)
        set_number(v, row->match.year);
    return 0;
}

static int match_confidence(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    if (row->match.confidence >= 0)
        set_number(v, row->match.confidence);
    return 0;
}

static int match_decision(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, decision_label(row->match.decision)); return 0; }
static int match_reviewed(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, row->match.reviewed ? "SÍ" : "NO"); return 0; }

/* The case's dates, as days (f->offset picks one of case_dates' pairs). */
static int case_day(SOURCE_ARGS)
{
    UNUSED_SOURCE_ARGS;
    const case_dates *d = &w->dates;
    if (f->offset == offsetof(case_dates, received))
        set_date(v, d->has_received, date_only(d->received));
    else if (f->offset == offsetof(case_dates, start))
        set_date(v, d->has_start, date_only(d->start));
    else
        set_date(v, d->has_end, date_only(d->end));
    return 0;
}

static int case_exported_at(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_date(v, true, w->dates.exported); return 0; }
static int case_exported_by(SOURCE_ARGS) { UNUSED_SOURCE_ARGS; set_text(v, w->exported_by); return 0; }

static int coverage_source(SOURCE_ARGS)
{
    (void)row, (void)f;
    return coverage_value(w, source, col, v);
}

/* row.<field> of VEHICLE_FIELDS, by its EXPORT: the source's kind and callback. */
#define ROW_SOURCE_TEXT(name) {"row." #name, FIELD_TEXT, vehicle_text, offsetof(vehicle_row, name)},
#define ROW_SOURCE_YEAR(name) {"row." #name, FIELD_INT, vehicle_count, offsetof(vehicle_row, name)},
#define ROW_SOURCE_INCISO(name) {"row." #name, FIELD_INT, vehicle_inciso, offsetof(vehicle_row, name)},
#define ROW_SOURCE_INSURED(name) {"row." #name, FIELD_NUMBER, vehicle_insured, offsetof(vehicle_row, name)},
#define ROW_SOURCE_BASIS(name) {"row." #name, FIELD_TEXT, vehicle_basis, offsetof(vehicle_row, name)},
#define ROW_SOURCE_NONE(name)
#define ROW_SOURCE(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) ROW_SOURCE_##EXPORT(name)

const export_field export_fields[] = {
    VEHICLE_FIELDS(ROW_SOURCE)
    {"row.premium", FIELD_NUMBER, row_premium, 0},
    {"row.source_sheet", FIELD_TEXT, vehicle_text, offsetof(vehicle_row, source_sheet)},
    {"row.source_row", FIELD_INT, vehicle_count, offsetof(vehicle_row, source_row)},
    {"row.source_file", FIELD_TEXT, export_row_text, offsetof(export_row, source_file)},
    {"row.package", FIELD_TEXT, row_package, 0},
    {"match.cvegs", FIELD_TEXT, match_text, offsetof(export_match, cvegs)},
    {"match.description", FIELD_TEXT, match_text, offsetof(export_match, description)},
    {"match.brand", FIELD_TEXT, match_text, offsetof(export_match, brand)},
    {"match.model", FIELD_TEXT, match_text, offsetof(export_match, model)},
    {"match.body", FIELD_TEXT, match_text, offsetof(export_match, body)},
    {"match.year", FIELD_INT, match_year, 0},
    {"match.confidence", FIELD_NUMBER, match_confidence, 0},
    {"match.decision", FIELD_TEXT, match_decision, 0},
    {"match.reviewed", FIELD_BOOL, match_reviewed, 0},
    {"match.reviewer", FIELD_TEXT, match_text, offsetof(export_match, reviewer)},
    {"match.note", FIELD_TEXT, match_text, offsetof(export_match, note)},
    {"case.cot", FIELD_TEXT, case_text, offsetof(export_case, cot)},
    {"case.client_name", FIELD_TEXT, case_text, offsetof(export_case, client_name)},
    {"case.client_rfc", FIELD_TEXT, case_text, offsetof(export_case, client_rfc)},
    {"case.broker", FIELD_TEXT, case_text, offsetof(export_case, broker)},
    {"case.agent", FIELD_TEXT, case_text, offsetof(export_case, agent)},
    {"case.contact", FIELD_TEXT, case_text, offsetof(export_case, contact)},
    {"case.received_date", FIELD_DATE, case_day, offsetof(case_dates, received)},
    {"case.coverage_package", FIELD_TEXT, case_text, offsetof(export_case, coverage_package)},
    {"case.vigencia_start", FIELD_DATE, case_day, offsetof(case_dates, start)},
    {"case.vigencia_end", FIELD_DATE, case_day, offsetof(case_dates, end)},
    {"case.use", FIELD_TEXT, case_text, offsetof(export_case, use)},
    {"case.payment_terms", FIELD_TEXT, case_text, offsetof(export_case, payment_terms)},
    {"case.currency", FIELD_TEXT, case_text, offsetof(export_case, currency)},
    {"case.catalog_version", FIELD_TEXT, case_text, offsetof(export_case, catalog_version)},
    {"case.exported_by", FIELD_TEXT, case_exported_by, 0},
    {"case.exported_at", FIELD_DATETIME, case_exported_at, 0},
};
const size_t export_n_fields = sizeof export_fields / sizeof export_fields[0];
const export_field export_coverage_field = {"coverage.*", FIELD_COVERAGE, coverage_source, 0};

bool export_field_is_premium(const export_field *f) { return f && f->value == row_premium; }

static int field_value(writer *w, const export_row *row, const export_field *f,
                       const char *source, const export_column *col, cell_value *v)
{
    v->kind = V_EMPTY;
    return f->value(w, row, f, source, col, v);
}

/* A number or date landing in a text column is written as the text a person would type. */
static void as_text(cell_value *v)
{
    if (v->kind == V_NUMBER) {
        snprintf(v->buf, sizeof v->buf, "%.15g", v->number);
        v->text = v->buf;
        v->kind = V_TEXT;
    } else if (v->kind == V_DATE) {
        snprintf(v->buf, sizeof v->buf, "%02d/%02d/%04d", v->date.day, v->date.month,
                 v->date.year);
        v->text = v->buf;
        v->kind = V_TEXT;
    }
}

/* ---- writing helpers ---------------------------------------------------------------------- */

static void track(writer *w, lxw_error e)
{
    if (e != LXW_NO_ERROR && w->lxw_status == LXW_NO_ERROR)
        w->lxw_status = e;
}

/* Writes text cleaned for a cell; returns the EXPORT_TEXT_* flags. Empty text writes a blank
 * (only when a format must show, e.g. a highlighted row). */
static int put_text(writer *w, lxw_worksheet *ws, int r, int col, const char *text,
                    lxw_format *fmt)
{
    int flags = 0;
    char *clean = export_text_clean(text, EXPORT_CELL_MAX_CHARS, &flags);
    if (clean && *clean)
        track(w, worksheet_write_string(ws, (lxw_row_t)r, (lxw_col_t)col, clean, fmt));
    else if (fmt)
        track(w, worksheet_write_blank(ws, (lxw_row_t)r, (lxw_col_t)col, fmt));
    g_free(clean);
    if (flags && ws == w->main)
        w->res->n_repaired_cells++;
    return flags;
}

static void put_number(writer *w, lxw_worksheet *ws, int r, int col, double n, lxw_format *f)
{
    track(w, worksheet_write_number(ws, (lxw_row_t)r, (lxw_col_t)col, n, f));
}

static void put_date(writer *w, lxw_worksheet *ws, int r, int col, lxw_datetime *d,
                     lxw_format *f)
{
    track(w, worksheet_write_datetime(ws, (lxw_row_t)r, (lxw_col_t)col, d, f));
}

static const char *default_num_format(export_col_type t)
{
    switch (t) {
    case EXPORT_COL_TEXT: return "@";
    case EXPORT_COL_INTEGER: return "0";
    case EXPORT_COL_MONEY: return "#,##0.00";
    case EXPORT_COL_PERCENT: return "0%";
    case EXPORT_COL_DATE: return "dd/mm/yyyy";
    }
    return "General";
}

static lxw_format *new_format(writer *w, int state)
{
    lxw_format *f = workbook_add_format(w->wb);
    format_set_font_name(f, "Calibri");
    format_set_font_size(f, 10);
    if (state != ROW_OK) {
        format_set_bg_color(f, state_fill[state]);
        format_set_font_color(f, state_font[state]);
    }
    return f;
}

static void make_formats(writer *w)
{
    const export_template *tpl = w->tpl;
    /* One format object per distinct look: libxlsxwriter looks up a format that duplicates
     * another one in a hash on every cell, which made formats per column cost more than the
     * rest of the workbook together. */
    w->cell_fmt = g_malloc0_n((size_t)tpl->n_columns * ROW_STATES, sizeof *w->cell_fmt);
    for (int i = 0; i < tpl->n_columns; i++) {
        const export_column *col = &tpl->columns[i];
        const char *nf = col->num_format ? col->num_format : default_num_format(col->type);
        bool right = col->type != EXPORT_COL_TEXT;
        int same = -1;
        for (int j = 0; j < i && same < 0; j++) {
            const export_column *o = &tpl->columns[j];
            const char *onf = o->num_format ? o->num_format : default_num_format(o->type);
            if (!strcmp(nf, onf) && right == (o->type != EXPORT_COL_TEXT))
                same = j;
        }
        for (int s = 0; s < ROW_STATES; s++) {
            if (same >= 0) {
                w->cell_fmt[i * ROW_STATES + s] = w->cell_fmt[same * ROW_STATES + s];
                continue;
            }
            lxw_format *f = new_format(w, s);
            format_set_num_format(f, nf);
            if (right)
                format_set_align(f, LXW_ALIGN_RIGHT);
            else
                format_set_text_wrap(f);   /* text past the column's widest wraps, never cut */
            format_set_align(f, LXW_ALIGN_VERTICAL_TOP);
            w->cell_fmt[i * ROW_STATES + s] = f;
        }
    }
    for (int s = 0; s < ROW_STATES; s++) {
        w->text_cell_fmt[s] = new_format(w, s);
        format_set_num_format(w->text_cell_fmt[s], "@");
        format_set_text_wrap(w->text_cell_fmt[s]);
        format_set_align(w->text_cell_fmt[s], LXW_ALIGN_VERTICAL_TOP);
    }
    w->header_fmt = workbook_add_format(w->wb);
    format_set_bold(w->header_fmt);
    format_set_font_name(w->header_fmt, "Calibri");
    format_set_font_size(w->header_fmt, 10);
    format_set_font_color(w->header_fmt, LXW_COLOR_WHITE);
    format_set_bg_color(w->header_fmt, 0x1F4E78);
    format_set_border(w->header_fmt, LXW_BORDER_THIN);
    format_set_border_color(w->header_fmt, 0xBFBFBF);
    format_set_align(w->header_fmt, LXW_ALIGN_CENTER);
    format_set_align(w->header_fmt, LXW_ALIGN_VERTICAL_CENTER);
    format_set_text_wrap(w->header_fmt);

    w->title_fmt = workbook_add_format(w->wb);
    format_set_bold(w->title_fmt);
    format_set_font_size(w->title_fmt, 14);
    format_set_font_color(w->title_fmt, 0x1F4E78);
    w->label_fmt = new_format(w, ROW_OK);
    format_set_bold(w->label_fmt);
    w->text_fmt = new_format(w, ROW_OK);
    format_set_text_wrap(w->text_fmt);
    format_set_align(w->text_fmt, LXW_ALIGN_VERTICAL_TOP);
    w->int_fmt = new_format(w, ROW_OK);
    format_set_num_format(w->int_fmt, "#,##0");
    format_set_align(w->int_fmt, LXW_ALIGN_LEFT);
    w->pct_fmt = new_format(w, ROW_OK);
    format_set_num_format(w->pct_fmt, "0.0%");
    format_set_align(w->pct_fmt, LXW_ALIGN_LEFT);
    w->date_fmt = new_format(w, ROW_OK);
    format_set_num_format(w->date_fmt, "dd/mm/yyyy");
    format_set_align(w->date_fmt, LXW_ALIGN_LEFT);
    w->money_fmt = new_format(w, ROW_OK);
    format_set_num_format(w->money_fmt, "#,##0.00");
    format_set_align(w->money_fmt, LXW_ALIGN_LEFT);
    w->datetime_fmt = new_format(w, ROW_OK);
    format_set_num_format(w->datetime_fmt, "dd/mm/yyyy hh:mm");
    format_set_align(w->datetime_fmt, LXW_ALIGN_LEFT);
    /* Incidencias severities: aviso, error, pendiente, decisión */
    static const lxw_color_t issue_fill[4] = {0xFFF2CC, 0xFFC7CE, 0xFFEB9C, 0xDDEBF7};
    for (int i = 0; i < 4; i++) {
        w->issue_fmt[i] = new_format(w, ROW_OK);
        format_set_bg_color(w->issue_fmt[i], issue_fill[i]);
        format_set_align(w->issue_fmt[i], LXW_ALIGN_VERTICAL_TOP);
    }
}

/* ---- Incidencias -------------------------------------------------------------------------- */

static const char *issue_headers[] = {"FILA COTIZACION", "HOJA ORIGEN", "FILA ORIGEN", "INCISO",
                                      "CLAVE VEHÍCULO", "CAMPO", "SEVERIDAD", "DESCRIPCIÓN"};
static const double issue_widths[] = {10, 18, 8, 8, 14, 18, 12, 70};
enum { ISSUE_COLS = 8 };
enum { SEV_WARN = 0, SEV_ERROR = 1, SEV_PENDING = 2, SEV_DECISION = 3 };

static void start_issues_sheet(writer *w)
{
    for (int i = 0; i < ISSUE_COLS; i++) {
        track(w, worksheet_set_column(w->issues, (lxw_col_t)i, (lxw_col_t)i, issue_widths[i],
                                      NULL));
        put_text(w, w->issues, 0, i, issue_headers[i], w->header_fmt);
    }
    worksheet_set_row(w->issues, 0, 30, NULL);
    worksheet_freeze_panes(w->issues, 1, 0);
    w->issue_row = 1;
}

static void add_issue(writer *w, int sheet_row, const export_row *row, const char *field,
                      int severity, const char *message)
{
    static const char *sev_names[4] = {"AVISO", "ERROR", "PENDIENTE", "DECISION"};
    if (w->issue_row >= MAX_SHEET_ROWS)
        return;
    lxw_worksheet *ws = w->issues;
    int r = w->issue_row++;
    if (!row) {   /* about the whole case */
        put_text(w, ws, r, 5, field, NULL);
        put_text(w, ws, r, 6, sev_names[severity], w->issue_fmt[severity]);
        put_text(w, ws, r, 7, message, w->text_fmt);
        w->res->n_incidences++;
        return;
    }
    const vehicle_row *vr = &row->vehicle;
    put_number(w, ws, r, 0, sheet_row + 1, NULL);
    put_text(w, ws, r, 1, vr->source_sheet, NULL);
    if (vr->source_row > 0)
        put_number(w, ws, r, 2, vr->source_row, NULL);
    put_number(w, ws, r, 3, w->res->inciso[row - w->c->rows], NULL);
    put_text(w, ws, r, 4, row->match.cvegs, NULL);
    put_text(w, ws, r, 5, field, NULL);
    put_text(w, ws, r, 6, sev_names[severity], w->issue_fmt[severity]);
    put_text(w, ws, r, 7, message, w->text_fmt);
    w->res->n_incidences++;
}

static void row_issues(writer *w, int sheet_row, const export_row *row, int state,
                       const char *repaired_columns, int repaired_flags,
                       const export_coverage_package *bad_pkg_fallback)
{
    const vehicle_row *vr = &row->vehicle;
    for (int i = 0; i < vr->n_issues; i++) {
        const vehicle_issue *is = &vr->issues[i];
        int sev = (is->severity && !strcmp(is->severity, "error")) ? SEV_ERROR : SEV_WARN;
        add_issue(w, sheet_row, row, is->field, sev, is->message);
    }
    if (state != ROW_OK) {
        char msg[256];
        if (state == ROW_PENDING && row->match.decision == EXPORT_DECISION_REVIEW)
            snprintf(msg, sizeof msg, "Clave sin confirmar: pendiente de revisión (confianza %.0f%%)",
                     row->match.confidence >= 0 ? row->match.confidence * 100 : 0.0);
        else if (state == ROW_PENDING)
            snprintf(msg, sizeof msg, "Clave sin confirmar: decisión %s sin revisar",
                     decision_label(row->match.decision));
        else if (row->match.reviewed)
            snprintf(msg, sizeof msg, "Sin clave: %s decidió que ninguna clave del catálogo "
                                      "corresponde; se cotiza aparte",
                     row->match.reviewer && *row->match.reviewer ? row->match.reviewer
                                                                 : "el revisor");
        else if (row->match.decision == EXPORT_DECISION_NO_MATCH)
            snprintf(msg, sizeof msg, "Sin clave: el vehículo no se encontró en el catálogo");
        else
            snprintf(msg, sizeof msg, "Sin clave: falta elegir la clave del catálogo");
        add_issue(w, sheet_row, row, "clave",
                  export_row_decided(row) ? SEV_DECISION : SEV_PENDING, msg);
    }
    if (export_row_unidentified(row))
        add_issue(w, sheet_row, row, "serie", SEV_WARN,
                  "Unidad sin serie (VIN) ni placas: la póliza no podrá identificarla; pida la serie al broker");
    if (!core_str_empty(row->match.note))
        add_issue(w, sheet_row, row, "nota", SEV_WARN, row->match.note);
    if (bad_pkg_fallback) {
        char *msg = core_strdup_printf("Paquete '%s' desconocido; se usó el del caso (%s)",
                                       vr->coverage, bad_pkg_fallback->name);
        add_issue(w, sheet_row, row, "coverage", SEV_WARN, msg);
        g_free(msg);
    }
    if (repaired_flags) {
        char *msg = core_strdup_printf(
            "Texto corregido en %s:%s%s%s", repaired_columns,
            (repaired_flags & EXPORT_TEXT_REPAIRED) ? " UTF-8 inválido reemplazado;" : "",
            (repaired_flags & EXPORT_TEXT_CONTROLS) ? " caracteres de control quitados;" : "",
            (repaired_flags & EXPORT_TEXT_TRUNCATED) ? " recortado a 32,767 caracteres;" : "");
        msg[strlen(msg) - 1] = '\0';
        add_issue(w, sheet_row, row, NULL, SEV_WARN, msg);
        g_free(msg);
    }
}

/* Requirements of the quote the request does not state: incidencias of the whole case. */
static void case_issues(writer *w)
{
    const export_case *c = w->c;
    const char *missing[EXPORT_MAX_MISSING];
    int n = export_case_missing(c, missing, EXPORT_MAX_MISSING);
    for (int i = 0; i < n; i++)
        add_issue(w, 0, NULL, missing[i], SEV_PENDING, export_missing_sentence(missing[i]));
    if (c->n_rows == 0)
        add_issue(w, 0, NULL, "vehiculos", SEV_ERROR, "El caso no tiene vehículos");
    if (w->res->vigencia_started) {
        char issued[16];
        export_case_issue_date(c, issued);
        lxw_datetime start = {0};
        parse_date(c->vigencia_start, &start);
        char *msg = core_strdup_printf("La vigencia solicitada inicia el %02d/%02d/%04d, antes de la fecha de emisión "
                                       "(%.2s/%.2s/%.4s): confirme la fecha de inicio con el broker",
                                       start.day % 100, start.month % 100, start.year % 10000, issued + 8, issued + 5,
                                       issued);
        add_issue(w, 0, NULL, "vigencia", SEV_WARN, msg);
        g_free(msg);
    }
    for (int s = 0; w->res->renumbered && s < w->res->n_spans; s++) {
        char *msg = export_span_note(w->res, s);
        add_issue(w, 0, NULL, "inciso", SEV_WARN, msg);
        g_free(msg);
    }
}

/* ---- the main sheet ----------------------------------------------------------------------- */

static int row_state(const export_row *row)
{
    if (core_str_empty(row->match.cvegs))
        return ROW_NO_KEY;   /* highlighted even when a person decided there is no key */
    return export_row_decided(row) ? ROW_OK : ROW_PENDING;
}

/* The widest line of a text, in characters. */
static double text_chars(const char *t)
{
    double widest = 0;
    while (t && *t) {
        const char *nl = strchr(t, '\n');
        size_t n = nl ? (size_t)(nl - t) : strlen(t);
        double c = (double)g_utf8_strlen(t, (gssize)n);
        widest = c > widest ? c : widest;
        t = nl ? nl + 1 : NULL;
    }
    return widest;
}

/* The characters a number takes in its column's format. */
static double number_chars(const export_column *col, double x)
{
    if (col->type == EXPORT_COL_PERCENT)
        return 6;
    if (col->type == EXPORT_COL_DATE)
        return 10;
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", x < 0 ? -x : x);
    double n = (double)strlen(digits) + (x < 0);
    const char *nf = col->num_format ? col->num_format : default_num_format(col->type);
    if (strchr(nf, ','))
        n += (double)((strlen(digits) - 1) / 3);
    const char *dot = strchr(nf, '.');
    if (dot)
        n += 1 + (double)strspn(dot + 1, "0#");
    return n;
}

/* The widest a column gets: the template's width; a numeric column holding a label
 * ("NO AMPARADA" under a deductible) widens to NUMERIC_TEXT_WIDTH rather than wrap it. */
#define NUMERIC_TEXT_WIDTH 16
static double column_cap(const export_column *col)
{
    if (col->type == EXPORT_COL_TEXT || col->width >= NUMERIC_TEXT_WIDTH)
        return col->width;
    return NUMERIC_TEXT_WIDTH;
}

/* The lines a text takes wrapped in a column at most `width` wide (a cell wraps only when its
 * column reached that width, so the width is known before the column's content is). */
static int wrapped_lines(const char *t, double width)
{
    double cap = (width - 2) / 1.1;
    if (cap < 1)
        cap = 1;
    int lines = 0;
    while (t && *t) {
        const char *nl = strchr(t, '\n');
        size_t n = nl ? (size_t)(nl - t) : strlen(t);
        double used = 0;
        lines++;
        for (const char *p = t; p < t + n;) {
            size_t wl = strcspn(p, " ");
            if (p + wl > t + n)
                wl = (size_t)(t + n - p);
            double c = (double)g_utf8_strlen(p, (gssize)wl);
            if (used > 0 && used + 1 + c > cap) {
                lines++;
                used = 0;
            }
            used += (used > 0) + c;
            while (used > cap) {   /* a word longer than the line breaks inside */
                lines++;
                used -= cap;
            }
            p += wl;
            while (p < t + n && *p == ' ')
                p++;
        }
        t = nl ? nl + 1 : NULL;
    }
    return lines;
}

static void widen(writer *w, int ci, double chars)
{
    if (chars > w->col_chars[ci])
        w->col_chars[ci] = chars;
}

static int write_cell(writer *w, int r, int ci, const export_row *row, int state, int *flags)
{
    const export_column *col = &w->tpl->columns[ci];
    lxw_format *fmt = w->cell_fmt[ci * ROW_STATES + state];
    cell_value v = {0};
    if (field_value(w, row, w->src[ci], col->source, col, &v) < 0)
        return -1;
    if (v.kind == V_EMPTY && w->fallback[ci] &&
        field_value(w, row, w->fallback[ci], col->fallback, col, &v) < 0)
        return -1;
    if (col->type == EXPORT_COL_TEXT)
        as_text(&v);
    switch (v.kind) {
    case V_EMPTY:
        if (state != ROW_OK)
            track(w, worksheet_write_blank(w->main, (lxw_row_t)r, (lxw_col_t)ci, fmt));
        break;
    case V_TEXT:
        /* "NO AMPARADA" in a deductible's percent column: a text cell, never a % format */
        *flags = put_text(w, w->main, r, ci, v.text, col->type == EXPORT_COL_TEXT ? fmt : w->text_cell_fmt[state]);
        widen(w, ci, text_chars(v.text));
        if (text_chars(v.text) * 1.15 + 2 > column_cap(col) || strchr(v.text, '\n')) {
            int lines = wrapped_lines(v.text, column_cap(col));
            w->row_lines = lines > w->row_lines ? lines : w->row_lines;
        }
        break;
    case V_NUMBER:
        put_number(w, w->main, r, ci, col->type == EXPORT_COL_INTEGER ? (double)(long long)v.number
                                                                    : v.number, fmt);
        widen(w, ci, number_chars(col, v.number));
        break;
    case V_DATE:
        put_date(w, w->main, r, ci, &v.date, fmt);
        widen(w, ci, 10);
        break;
    }
    return 0;
}

/* Excel's width units for a column whose widest cell takes `chars` characters and whose
 * header (bold, on at most two lines) reads `header`: at most the template's width. */
static double column_width(const export_column *col, double chars)
{
    double words = 0, len = text_chars(col->header);
    for (const char *p = col->header; *p;) {
        size_t n = strcspn(p, " ");
        double c = (double)g_utf8_strlen(p, (gssize)n);
        words = c > words ? c : words;
        p += n + (p[n] == ' ');
    }
    double header = (words > len / 2 + 1 ? words : len / 2 + 1) * 1.2 + 2;
    double cells = chars * 1.15 + 2;
    double want = header > cells ? header : cells;
    return want < column_cap(col) ? want : column_cap(col);
}

static int write_main_sheet(writer *w)
{
    const export_template *tpl = w->tpl;
    const export_case *c = w->c;
    w->col_chars = g_malloc0_n((size_t)tpl->n_columns, sizeof *w->col_chars);
    w->col_width = g_malloc0_n((size_t)tpl->n_columns, sizeof *w->col_width);
    for (int i = 0; i < tpl->n_columns; i++)
        put_text(w, w->main, 0, i, tpl->columns[i].header, w->header_fmt);
    worksheet_set_row(w->main, 0, 30, NULL);
    /* the header row, and the inciso and key columns (the ones every printed page repeats) */
    int frozen = tpl->print_repeat_columns < tpl->n_columns ? tpl->print_repeat_columns : 0;
    worksheet_freeze_panes(w->main, 1, (lxw_col_t)frozen);
    bool rated = w->priced;
    for (int i = 0; i < c->n_rows && !rated; i++)
        rated = c->rows[i].premium >= 0;
    for (int i = 0; i < tpl->n_columns && !rated; i++)
        if (export_field_is_premium(w->src[i]))
            track(w, worksheet_write_comment(w->main, 0, (lxw_col_t)i,
                                             "Sin tarifa: ninguna fuente de tarifa dio la prima. "
                                             "Gcotiza la calcula al cargar la cotización."));

    GString *repaired = g_string_new(NULL);
    for (int i = 0; i < c->n_rows; i++) {
        const export_row *row = &c->rows[i];
        int r = i + 1, state = row_state(row), all_flags = 0;
        g_string_truncate(repaired, 0);
        /* the row's own package when the broker's sheet named a known one, else the case's */
        const export_coverage_package *fallback_pkg = NULL;
        w->row_pkg = export_row_package(w->cov, c, row);
        if (w->cov && !core_str_empty(row->vehicle.coverage) &&
            !export_coverage_find(w->cov, row->vehicle.coverage))
            fallback_pkg = w->case_pkg;
        w->row_lines = 1;
        for (int ci = 0; ci < tpl->n_columns; ci++) {
            int flags = 0;
            if (write_cell(w, r, ci, row, state, &flags) < 0) {
                g_string_free(repaired, TRUE);
                return minca_err_prefix(w->err, "row %d", r + 1);
            }
            if (flags) {
                g_string_append_printf(repaired, "%s%s", repaired->len ? ", " : "",
                                       tpl->columns[ci].header);
                all_flags |= flags;
            }
        }
        /* rows are as tall as their wrapped text (Calc keeps a row's stored height) */
        if (w->row_lines > 1)
            worksheet_set_row(w->main, (lxw_row_t)r, 13.0 * (w->row_lines > 40 ? 40 : w->row_lines) + 2, NULL);
        row_issues(w, r, row, state, repaired->str, all_flags, fallback_pkg);
        if (w->priced && !w->quote.units[i].priced) {
            char *msg = core_strdup_printf("Unidad referida, sin prima: %s", w->quote.units[i].referral);
            add_issue(w, r, row, "prima", SEV_PENDING, msg);
            g_free(msg);
        }
    }
    g_string_free(repaired, TRUE);
    for (int i = 0; i < tpl->n_columns; i++) {
        w->col_width[i] = column_width(&tpl->columns[i], w->col_chars[i]);
        track(w, worksheet_set_column(w->main, (lxw_col_t)i, (lxw_col_t)i, w->col_width[i], NULL));
    }

    int last = c->n_rows > 0 ? c->n_rows : 1;
    track(w, worksheet_autofilter(w->main, 0, 0, (lxw_row_t)last, (lxw_col_t)(tpl->n_columns - 1)));
    /* keys such as "01100018" are text on purpose: no "number stored as text" markers */
    char range[48];
    lxw_rowcol_to_range(range, 0, 0, (lxw_row_t)last, (lxw_col_t)(tpl->n_columns - 1));
    track(w, worksheet_ignore_errors(w->main, LXW_IGNORE_NUMBER_STORED_AS_TEXT, range));
    for (int i = 0; i < tpl->n_columns && c->n_rows > 0; i++) {
        const export_column *col = &tpl->columns[i];
        if (!col->color_scale)
            continue;
        lxw_conditional_format cf = {0};
        cf.type = LXW_CONDITIONAL_3_COLOR_SCALE;
        cf.min_color = 0xF8696B;
        cf.mid_color = 0xFFEB84;
        cf.max_color = 0x63BE7B;
        if (col->type == EXPORT_COL_PERCENT) {
            /* confidence-like columns: fixed 0 / 75% / 100% so colours mean the same in every case */
            cf.min_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER;
            cf.min_value = 0;
            cf.mid_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER;
            cf.mid_value = 0.75;
            cf.max_rule_type = LXW_CONDITIONAL_RULE_TYPE_NUMBER;
            cf.max_value = 1;
        } else {
            cf.min_rule_type = LXW_CONDITIONAL_RULE_TYPE_MINIMUM;
            cf.mid_rule_type = LXW_CONDITIONAL_RULE_TYPE_PERCENTILE;
            cf.mid_value = 50;
            cf.max_rule_type = LXW_CONDITIONAL_RULE_TYPE_MAXIMUM;
        }
        track(w, worksheet_conditional_format_range(w->main, 1, (lxw_col_t)i,
                                                    (lxw_row_t)c->n_rows, (lxw_col_t)i, &cf));
    }
    return 0;
}

/* ---- Resumen ------------------------------------------------------------------------------ */

static void summary_text(writer *w, int *r, const char *label, const char *value)
{
    put_text(w, w->summary, *r, 0, label, w->label_fmt);
    put_text(w, w->summary, *r, 1, value, w->text_fmt);
    (*r)++;
}

static void summary_int(writer *w, int *r, const char *label, int value)
{
    put_text(w, w->summary, *r, 0, label, w->label_fmt);
    put_number(w, w->summary, *r, 1, value, w->int_fmt);
    (*r)++;
}

static void summary_date(writer *w, int *r, const char *label, bool has, lxw_datetime d,
                         lxw_format *fmt)
{
    put_text(w, w->summary, *r, 0, label, w->label_fmt);
    if (has)
        put_date(w, w->summary, *r, 1, &d, fmt);
    (*r)++;
}

static void summary_money(writer *w, lxw_worksheet *ws, int *r, const char *label, double value)
{
    put_text(w, ws, *r, 0, label, w->label_fmt);
    put_number(w, ws, *r, 1, value, w->money_fmt);
    (*r)++;
}

/* The client block and the totals: what the underwriter checks before sending the quote. */
static void write_client_sheet(writer *w)
{
    const export_case *c = w->c;
    const export_result *res = w->res;
    lxw_worksheet *ws = w->client, *keep = w->summary;
    w->summary = ws;   /* the summary_* helpers write to w->summary */
    track(w, worksheet_set_column(ws, 0, 0, 34, NULL));
    track(w, worksheet_set_column(ws, 1, 1, 64, NULL));
    int r = 0;
    put_text(w, ws, r, 0, "Cotización de flotilla", w->title_fmt);
    r += 2;
    char cot[160];
    if (c->version > 0)
        snprintf(cot, sizeof cot, "%s (versión %d)", c->cot, c->version);
    else
        snprintf(cot, sizeof cot, "%s", c->cot);
    summary_text(w, &r, "COT", cot);
    if (c->revision > 1) {
        char rev[32];
        snprintf(rev, sizeof rev, "%d", c->revision);
        summary_text(w, &r, "Revisión de la lista", rev);
    }
    summary_text(w, &r, "Aseguradora", export_case_insurer_label(c));
    char until[16];
    export_case_valid_until(c, until);
    char *validity = core_strdup_printf("%d días, hasta el %s", c->validity_days > 0 ? c->validity_days : 30, until);
    summary_text(w, &r, "Vigencia de la cotización", validity);
    g_free(validity);
    summary_text(w, &r, "Cliente", c->client_name);
    summary_text(w, &r, "RFC", c->client_rfc);
    summary_text(w, &r, "Broker / agente", c->broker);
    summary_text(w, &r, "Clave de agente", c->agent);
    summary_text(w, &r, "Contacto", c->contact);
    summary_text(w, &r, "Paquete de cobertura",
                 w->case_pkg ? w->case_pkg->name
                             : (core_str_empty(c->coverage_package) ? "NO INDICADA" : c->coverage_package));
    summary_text(w, &r, "Uso", c->use);
    summary_date(w, &r, "Vigencia inicio", w->dates.has_start, date_only(w->dates.start), w->date_fmt);
    summary_date(w, &r, "Vigencia fin", w->dates.has_end, date_only(w->dates.end), w->date_fmt);
    summary_text(w, &r, "Forma de pago", c->payment_terms);
    summary_text(w, &r, "Moneda", c->currency);
    r++;
    put_text(w, ws, r++, 0, "Totales", w->label_fmt);
    summary_int(w, &r, "Vehículos", res->n_rows);
    summary_money(w, ws, &r, res->n_with_sum < res->n_rows ? "Suma asegurada de las unidades con suma"
                                                             : "Suma asegurada de la flotilla",
                  res->fleet_sum);
    if (res->n_commercial)
        summary_int(w, &r, "Unidades a VALOR COMERCIAL (fuera de la suma)", res->n_commercial);
    if (res->n_with_sum + res->n_commercial < res->n_rows)
        summary_int(w, &r, "Vehículos sin suma asegurada (fuera de la suma)",
                    res->n_rows - res->n_with_sum - res->n_commercial);
    double premium = 0;
    int rated = 0;
    for (int i = 0; i < c->n_rows; i++)
        if (c->rows[i].premium >= 0) {
            premium += c->rows[i].premium;
            rated++;
        }
    if (w->priced) {
        const export_quote *q = &w->quote;
        summary_text(w, &r, "Tarifa", q->tariff_name);
        if (q->n_imported)
            summary_text(w, &r, "Primas netas importadas", q->source);
        summary_money(w, ws, &r, "Prima neta", (double)q->neta / 100.0);
        summary_money(w, ws, &r, "Derecho de póliza", (double)q->derecho / 100.0);
        summary_money(w, ws, &r, "Recargo por pago fraccionado", (double)q->recargo / 100.0);
        summary_money(w, ws, &r, "IVA", (double)q->iva / 100.0);
        summary_money(w, ws, &r, "Prima total", (double)q->total / 100.0);
        if (q->n_referrals)
            summary_int(w, &r, "Unidades referidas (sin prima)", q->n_referrals);
    } else if (rated) {
        summary_money(w, ws, &r, "Prima total", premium);
    } else {
        char *why = core_strdup_printf("Sin tarifa (%s): la aseguradora calcula la prima", w->unpriced);
        summary_text(w, &r, "Prima total", why);
        g_free(why);
    }
    const char *missing[EXPORT_MAX_MISSING];
    int nm = export_case_missing(c, missing, EXPORT_MAX_MISSING);
    GString *m = g_string_new(NULL);
    for (int i = 0; i < nm; i++)
        g_string_append_printf(m, "%s%s", i ? ", " : "", missing[i]);
    summary_text(w, &r, "Requisitos faltantes", nm ? m->str : "ninguno");
    g_string_free(m, TRUE);
    w->summary = keep;
}

static void write_summary_sheet(writer *w)
{
    const export_case *c = w->c;
    const export_result *res = w->res;
    track(w, worksheet_set_column(w->summary, 0, 0, 34, NULL));
    track(w, worksheet_set_column(w->summary, 1, 1, 60, NULL));
    int r = 0;
    put_text(w, w->summary, r, 0, "Resumen de cotización", w->title_fmt);
    r += 2;
    summary_text(w, &r, "COT", c->cot);
    summary_text(w, &r, "Cliente", c->client_name);
    summary_text(w, &r, "RFC", c->client_rfc);
    summary_text(w, &r, "Broker / agente", c->broker);
    summary_text(w, &r, "Clave de agente", c->agent);
    summary_date(w, &r, "Fecha de recepción", w->dates.has_received,
                 date_only(w->dates.received), w->date_fmt);
    summary_text(w, &r, "Paquete de cobertura", w->case_pkg ? w->case_pkg->name : c->coverage_package);
    summary_date(w, &r, "Vigencia inicio", w->dates.has_start, date_only(w->dates.start),
                 w->date_fmt);
    summary_date(w, &r, "Vigencia fin", w->dates.has_end, date_only(w->dates.end), w->date_fmt);
    summary_text(w, &r, "Forma de pago", c->payment_terms);
    summary_text(w, &r, "Moneda", c->currency);
    r++;
    summary_int(w, &r, "Vehículos", res->n_rows);
    summary_int(w, &r, "Aceptados automáticamente", res->n_auto);
    summary_int(w, &r, "En revisión", res->n_review);
    summary_int(w, &r, "Sin coincidencia", res->n_no_match);
    summary_int(w, &r, "Revisados por personal", res->n_reviewed);
    summary_int(w, &r, "Con clave decidida", res->n_decided);
    summary_int(w, &r, "Sin clave decidida", res->n_undecided);
    put_text(w, w->summary, r, 0, "Tasa de aceptación automática", w->label_fmt);
    put_number(w, w->summary, r, 1, res->n_rows ? (double)res->n_auto / res->n_rows : 0.0,
               w->pct_fmt);
    r++;
    summary_int(w, &r, "Incidencias", res->n_incidences);
    summary_int(w, &r, "Requisitos faltantes", res->n_missing);
    r++;
    summary_text(w, &r, "Versión de catálogo", c->catalog_version);
    summary_text(w, &r, "Plantilla", w->tpl->name);
    summary_text(w, &r, "Versión de plantilla", w->tpl->version);
    summary_text(w, &r, "Exportado por", w->exported_by);
    summary_date(w, &r, "Fecha de exportación", true, w->dates.exported, w->datetime_fmt);
    summary_text(w, &r, "Exportación forzada", res->overridden ? "SÍ" : "NO");
}

/* ---- Prima: the price unit by unit, the totals and the receipts -------------------------------- */

static void put_cents(writer *w, int r, int col, long long cents)
{
    put_number(w, w->prices, r, col, (double)cents / 100.0, w->money_fmt);
}

static void write_prices_sheet(writer *w)
{
    const export_quote *q = &w->quote;
    const export_case *c = w->c;
    lxw_worksheet *ws = w->prices;
    int nc = q->n_coverages, col = 0;
    const char *lead[] = {"INCISO", "CLAVE VEHÍCULO", "TIPO", "ANTIGÜEDAD", "PAQUETE"};
    for (int i = 0; i < 5; i++, col++) {
        put_text(w, ws, 0, col, lead[i], w->header_fmt);
        track(w, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, i == 1 ? 14 : 11, NULL));
    }
    for (int k = 0; k < nc; k++, col++) {
        char *h = core_strdup_printf("PRIMA %s", q->coverages[k].key);
        put_text(w, ws, 0, col, h, w->header_fmt);
        g_free(h);
        track(w, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, 13, NULL));
    }
    const char *tail[] = {"AJUSTE PRIMA MÍNIMA", "PRIMA NETA", "REFERIDA"};
    for (int i = 0; i < 3; i++, col++) {
        put_text(w, ws, 0, col, tail[i], w->header_fmt);
        track(w, worksheet_set_column(ws, (lxw_col_t)col, (lxw_col_t)col, i == 2 ? 48 : 14, NULL));
    }
    worksheet_set_row(ws, 0, 30, NULL);
    worksheet_freeze_panes(ws, 1, 2);
    for (int i = 0; i < c->n_rows; i++) {
        const export_unit_price *u = &q->units[i];
        int r = i + 1;
        put_number(w, ws, r, 0, w->res->inciso[i], NULL);
        put_text(w, ws, r, 1, c->rows[i].match.cvegs, NULL);
        if (!u->priced) {
            put_text(w, ws, r, 7 + nc, u->referral, w->text_fmt);
            continue;
        }
        put_text(w, ws, r, 2, u->type, NULL);
        put_text(w, ws, r, 3, u->band, NULL);
        const export_coverage_package *pkg = export_row_package(w->cov, c, &c->rows[i]);
        put_text(w, ws, r, 4, pkg ? pkg->name : q->package, NULL);
        for (int k = 0; k < u->n_coverages && k < nc; k++)
            put_cents(w, r, 5 + k, u->cents[k]);
        put_cents(w, r, 5 + nc, u->minimum_cents);
        put_cents(w, r, 6 + nc, u->neta_cents);
    }
    int r = c->n_rows + 2;
    put_text(w, ws, r++, 0, q->tariff_name, w->label_fmt);
    if (q->n_imported) {
        char *src = core_strdup_printf("Primas netas de %d unidades importadas: %s", q->n_imported, q->source);
        put_text(w, ws, r++, 0, src, NULL);
        g_free(src);
    }
    struct {
        const char *label;
        long long cents;
    } totals[] = {
        {"PRIMA NETA", q->neta}, {"DERECHO DE PÓLIZA", q->derecho}, {"RECARGO", q->recargo},
        {"IVA", q->iva},         {"PRIMA TOTAL", q->total},
    };
    for (size_t i = 0; i < sizeof totals / sizeof totals[0]; i++, r++) {
        put_text(w, ws, r, 0, totals[i].label, w->label_fmt);
        put_cents(w, r, 2, totals[i].cents);
    }
    char *rates = core_strdup_printf("%s: recargo %d.%02d%%, IVA %d.%02d%%", q->frequency, q->recargo_bp / 100,
                                     q->recargo_bp % 100, q->iva_bp / 100, q->iva_bp % 100);
    put_text(w, ws, r++, 0, rates, NULL);
    g_free(rates);
    r++;
    const char *rh[] = {"RECIBO", "PRIMA NETA", "RECARGO", "DERECHO", "IVA", "TOTAL"};
    for (int i = 0; i < 6; i++)
        put_text(w, ws, r, i, rh[i], w->header_fmt);
    r++;
    for (int k = 0; k < q->n_receipts; k++, r++) {
        const export_receipt *rc = &q->receipts[k];
        put_number(w, ws, r, 0, k + 1, NULL);
        put_cents(w, r, 1, rc->neta);
        put_cents(w, r, 2, rc->recargo);
        put_cents(w, r, 3, rc->derecho);
        put_cents(w, r, 4, rc->iva);
        put_cents(w, r, 5, rc->total);
    }
}

/* ---- Otros datos: the source's columns the profile did not map ----------------------------- */

#define EXTRA_MAX_HEADERS 60

static bool has_extra(const export_case *c)
{
    for (int i = 0; i < c->n_rows; i++)
        if (!core_str_empty(c->rows[i].vehicle.extra_json) && strcmp(c->rows[i].vehicle.extra_json, "{}"))
            return true;
    return false;
}

/* One row per unit with its inciso and key, one column per header met (in the order met). */
static void write_extra_sheet(writer *w, lxw_worksheet *ws)
{
    const export_case *c = w->c;
    GPtrArray *headers = g_ptr_array_new_with_free_func(g_free);
    json_t **parsed = g_new0(json_t *, c->n_rows > 0 ? c->n_rows : 1);
    for (int i = 0; i < c->n_rows; i++) {
        const char *text = c->rows[i].vehicle.extra_json;
        parsed[i] = core_str_empty(text) ? NULL : json_loads(text, 0, NULL);
        const char *h;
        json_t *v;
        json_object_foreach(parsed[i], h, v) {
            bool known = false;
            for (guint k = 0; k < headers->len && !known; k++)
                known = !strcmp(g_ptr_array_index(headers, k), h);
            if (!known && headers->len < EXTRA_MAX_HEADERS)
                g_ptr_array_add(headers, g_strdup(h));
        }
    }
    put_text(w, ws, 0, 0, "INCISO", w->header_fmt);
    put_text(w, ws, 0, 1, "CLAVE VEHÍCULO", w->header_fmt);
    track(w, worksheet_set_column(ws, 0, 0, 8, NULL));
    track(w, worksheet_set_column(ws, 1, 1, 15, NULL));
    for (guint k = 0; k < headers->len; k++) {
        put_text(w, ws, 0, (int)k + 2, g_ptr_array_index(headers, k), w->header_fmt);
        track(w, worksheet_set_column(ws, (lxw_col_t)k + 2, (lxw_col_t)k + 2, 40, NULL));
    }
    worksheet_set_row(ws, 0, 30, NULL);
    worksheet_freeze_panes(ws, 1, 2);
    int r = 1;
    for (int i = 0; i < c->n_rows; i++) {
        if (!json_object_size(parsed[i]))
            continue;
        put_number(w, ws, r, 0, w->res->inciso ? w->res->inciso[i] : c->rows[i].vehicle.inciso, NULL);
        put_text(w, ws, r, 1, c->rows[i].match.cvegs, NULL);
        int lines = 1;
        for (guint k = 0; k < headers->len; k++) {
            const char *v = json_string_value(json_object_get(parsed[i], g_ptr_array_index(headers, k)));
            if (!v)
                continue;
            put_text(w, ws, r, (int)k + 2, v, w->text_fmt);
            int n = wrapped_lines(v, 40);
            lines = n > lines ? n : lines;
        }
        if (lines > 1)
            worksheet_set_row(ws, (lxw_row_t)r, 13.0 * (lines > 40 ? 40 : lines) + 2, NULL);
        r++;
    }
    for (int i = 0; i < c->n_rows; i++)
        json_decref(parsed[i]);
    g_free(parsed);
    g_ptr_array_free(headers, TRUE);
}

/* ---- file handling ------------------------------------------------------------------------ */

static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return g_strdup(".");
    if (slash == path)
        return g_strdup("/");
    return g_strndup(path, (size_t)(slash - path));
}

/* Creates an empty scratch file for libxlsxwriter to write to; returns its g_malloc'd path. */
static char *scratch_file(const char *dir, minca_err *err)
{
    char *tmpl = core_strdup_printf("%s/.minca-export-XXXXXX", dir);
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        minca_err_set(err, "cannot create a file in %s: %s", dir, strerror(errno));
        g_free(tmpl);
        return NULL;
    }
    close(fd);
    return tmpl;
}

static void fill_dates(writer *w)
{
    struct tm tm;
    minca_err ignored = {0};   /* the zone was checked by export_check_rules */
    if (export_case_local_time(w->c, w->c->exported_at, &tm, &ignored) < 0)
        return;
    w->dates.exported = (lxw_datetime){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                       tm.tm_hour, tm.tm_min, tm.tm_sec};
}

static int check_dates(writer *w)
{
    struct {
        const char *name, *text;
        bool *has;
        lxw_datetime *d;
    } ds[] = {
        {"received_date", w->c->received_date, &w->dates.has_received, &w->dates.received},
        {"vigencia_start", w->c->vigencia_start, &w->dates.has_start, &w->dates.start},
        {"vigencia_end", w->c->vigencia_end, &w->dates.has_end, &w->dates.end},
    };
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        int rc = parse_date(ds[i].text, ds[i].d);
        if (rc < 0)
            return minca_err_set(w->err, "case %s: %s '%s' is not a date (YYYY-MM-DD)",
                                 w->c->cot, ds[i].name, ds[i].text);
        *ds[i].has = rc == 1;
    }
    return 0;
}

static bool template_uses_coverage(const export_template *tpl)
{
    for (int i = 0; i < tpl->n_columns; i++)
        if (!strncmp(tpl->columns[i].source, "coverage.", 9) ||
            (tpl->columns[i].fallback && !strncmp(tpl->columns[i].fallback, "coverage.", 9)))
            return true;
    return false;
}

/* Resolves the template's sources once, checks the case, and refuses undecided cases. */
static int prepare(writer *w)
{
    const export_case *c = w->c;
    if (export_check_rules(c, w->opt && w->opt->force, w->res, w->err) < 0)
        return -1;
    if (c->n_rows + 1 > MAX_SHEET_ROWS)
        return minca_err_set(w->err, "case %s has %d rows; a sheet holds at most %d", c->cot,
                             c->n_rows, MAX_SHEET_ROWS - 1);
    if (check_dates(w) < 0)
        return -1;
    fill_dates(w);
    if (c->tariff) {
        minca_err why = {0};
        if (export_quote_price(c->tariff, c, &w->quote, &why) == 0) {
            w->priced = w->res->priced = true;
            w->res->total_cents = w->quote.total;
            w->res->n_referrals = w->quote.n_referrals;
            w->res->n_imported = w->quote.n_imported;
        }
        else
            snprintf(w->unpriced, sizeof w->unpriced, "%.190s", why.msg);
    } else {
        snprintf(w->unpriced, sizeof w->unpriced, "la aseguradora no tiene tarifa cargada");
    }
    if (template_uses_coverage(w->tpl)) {
        if (!w->cov)
            return minca_err_set(w->err, "%s uses coverage columns but no coverage table was "
                                         "given", w->tpl->path);
        w->case_pkg = export_coverage_find(w->cov, c->coverage_package);
        /* no package named (a forced export): coverage cells stay empty, Incidencias says why */
        if (!w->case_pkg && !core_str_empty(c->coverage_package)) {
            GString *known = g_string_new(NULL);
            for (int i = 0; i < w->cov->n_packages; i++)
                g_string_append_printf(known, "%s%s", i ? ", " : "", w->cov->packages[i].name);
            minca_err_set(w->err, "case %s: coverage package '%s' is not in %s (known: %s)",
                          c->cot, c->coverage_package ? c->coverage_package : "(none)",
                          w->cov->path, known->str);
            g_string_free(known, TRUE);
            return -1;
        }
    }
    if (w->tpl->n_columns <= 0)
        return minca_err_set(w->err, "%s: the template has no columns", w->tpl->path);
    w->src = g_malloc0_n((size_t)w->tpl->n_columns, sizeof *w->src);
    w->fallback = g_malloc0_n((size_t)w->tpl->n_columns, sizeof *w->fallback);
    for (int i = 0; i < w->tpl->n_columns; i++) {
        const export_column *col = &w->tpl->columns[i];
        w->src[i] = export_field_find(col->source);
        w->fallback[i] = col->fallback ? export_field_find(col->fallback) : NULL;
        if (!w->src[i] || (col->fallback && !w->fallback[i]))
            return minca_err_set(w->err, "%s:%d: unknown source in column %s", w->tpl->path,
                                 col->line, col->header);
    }
    return 0;
}

static void set_properties(writer *w)
{
    /* property strings must be clean too */
    char *cot = export_text_clean(w->c->cot, 255, NULL);
    char *author = export_text_clean(w->exported_by, 255, NULL);
    char *company = export_text_clean(w->c->broker, 255, NULL);
    char *title = core_strdup_printf("Cotización %s", cot);
    char *subject = core_strdup_printf("Gcotiza %s %s", w->tpl->name, w->tpl->version);
    lxw_doc_properties props = {
        .title = title,
        .subject = subject,
        .author = author && *author ? author : NULL,
        .company = company && *company ? company : NULL,
        .comments = (char *)"Minca " MINCA_VERSION,
        .created = w->c->exported_at ? w->c->exported_at : time(NULL),
    };
    track(w, workbook_set_properties(w->wb, &props));
    track(w, workbook_set_custom_property_string(w->wb, "COT", cot));
    track(w, workbook_set_custom_property_string(w->wb, "Plantilla", w->tpl->name));
    track(w, workbook_set_custom_property_string(w->wb, "Version plantilla", w->tpl->version));
    g_free(cot);
    g_free(author);
    g_free(company);
    g_free(title);
    g_free(subject);
}

/* Landscape, one page wide, header row repeated: what staff expect when they print it. */
static void set_print_layout(lxw_worksheet *ws, bool repeat_header)
{
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 1); /* letter, the usual paper in Mexico */
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_set_margins(ws, 0.4, 0.4, 0.6, 0.6);
    if (repeat_header)
        worksheet_repeat_rows(ws, 0, 0);
    worksheet_set_footer(ws, "&L&A&RPágina &P de &N");
}

/* Header and footer text is a code language: a literal '&' is written "&&". */
static void header_escape(GString *out, const char *text, size_t max_chars)
{
    char *clean = export_text_clean(text, max_chars, NULL);
    for (const char *p = clean ? clean : ""; *p; p++) {
        if (*p == '&')
            g_string_append_c(out, '&');
        g_string_append_c(out, *p == '\n' ? ' ' : *p);
    }
    g_free(clean);
}

/* Printed width of a column, in points: Excel's character width to pixels, then points. */
static double column_points(double chars)
{
    return ((double)(int)(chars * 7 + 0.5) + 5) * 0.75;
}

/* The main sheet at a fixed, readable scale, cut into pages of whole columns with the key
 * columns and the header row repeated (fitting 40 columns to one page wide makes them
 * unreadable). Each printed page carries the COT and the client in its header. */
static void set_main_print_layout(writer *w)
{
    const export_template *tpl = w->tpl;
    lxw_worksheet *ws = w->main;
    set_print_layout(ws, true);
    GString *h = g_string_new("&L&B");
    header_escape(h, w->c->cot, 40);
    if (w->c->version > 0)
        g_string_append_printf(h, " v%d", w->c->version);
    g_string_append(h, "&C");
    if (w->priced && w->quote.demo) {   /* every page the demo tariff prices says so */
        header_escape(h, w->quote.tariff_name, 40);
        g_string_append(h, " · ");
    }
    header_escape(h, w->c->client_name, 80);
    g_string_append(h, "&R");
    header_escape(h, export_case_insurer_label(w->c), 60);
    /* Excel allows 255 characters: a header too long for it keeps the COT alone */
    if (g_utf8_strlen(h->str, -1) > 255) {
        g_string_assign(h, "&L&B");
        header_escape(h, w->c->cot, 60);
    }
    track(w, worksheet_set_header(ws, h->str));
    g_string_free(h, TRUE);
    int printed = tpl->n_printed > 0 ? tpl->n_printed : tpl->n_columns;
    track(w, worksheet_print_area(ws, 0, 0, (lxw_row_t)(w->c->n_rows > 0 ? w->c->n_rows : 1), (lxw_col_t)(printed - 1)));
    if (tpl->print_scale <= 0)
        return;
    worksheet_fit_to_pages(ws, 0, 0);
    worksheet_print_across(ws);
    int rep = tpl->print_repeat_columns < printed ? tpl->print_repeat_columns : 0;
    const double page100 = (11.0 - 0.8) * 72; /* letter landscape, inside the margins */
    double total = 0, repeated = 0;
    for (int i = 0; i < printed; i++)
        total += column_points(w->col_width[i]);
    for (int i = 0; i < rep; i++)
        repeated += column_points(w->col_width[i]);
    /* one page wide at the largest scale that fits, not above `scale` nor below min_scale */
    int fit = (int)(page100 * 100.0 / total);
    if (fit >= tpl->print_min_scale) {
        worksheet_set_print_scale(ws, (uint16_t)(fit < tpl->print_scale ? fit : tpl->print_scale));
        return;
    }
    worksheet_set_print_scale(ws, (uint16_t)tpl->print_min_scale);
    if (rep > 0)
        track(w, worksheet_repeat_columns(ws, 0, (lxw_col_t)(rep - 1)));
    const double page = page100 * 100.0 / tpl->print_min_scale;
    /* pages of whole columns, each filled; a last page that would hold one column takes one
     * more from the page before */
    lxw_col_t *breaks = g_malloc0_n((size_t)printed + 1, sizeof *breaks);
    int nb = 0;
    double used = repeated;
    for (int i = rep; i < printed; i++) {
        double cw = column_points(w->col_width[i]);
        if (used + cw > page && used > repeated && nb < 1023) {
            breaks[nb++] = (lxw_col_t)i;
            used = repeated;
        }
        used += cw;
    }
    if (nb > 0 && (int)breaks[nb - 1] == printed - 1) {
        int before = nb > 1 ? (int)breaks[nb - 2] : rep;
        if ((int)breaks[nb - 1] - before >= 3)
            breaks[nb - 1]--;
    }
    if (nb > 0)
        track(w, worksheet_set_v_pagebreaks(ws, breaks));
    g_free(breaks);
}

/* Every sheet of the workbook, in its order. */
static int write_sheets(writer *w)
{
    const export_template *tpl = w->tpl;
    minca_err *err = w->err;
    make_formats(w);
    set_properties(w);
    w->main = workbook_add_worksheet(w->wb, tpl->sheet);
    w->client = workbook_add_worksheet(w->wb, "Cliente");
    w->summary = workbook_add_worksheet(w->wb, "Resumen");
    w->issues = workbook_add_worksheet(w->wb, "Incidencias");
    if (w->priced && !(w->prices = workbook_add_worksheet(w->wb, "Prima")))
        return minca_err_set(err, "cannot add sheet Prima");
    if (!w->main || !w->client || !w->summary || !w->issues)
        return minca_err_set(err, "%s: cannot add sheet '%s'", tpl->path, tpl->sheet);
    worksheet_activate(w->main);
    set_print_layout(w->client, false);
    worksheet_set_portrait(w->client);
    set_print_layout(w->summary, false);
    set_print_layout(w->issues, true);
    start_issues_sheet(w);
    case_issues(w);
    if (write_main_sheet(w) < 0)
        return -1;
    set_main_print_layout(w);   /* the columns' widths follow their content */
    if (w->issue_row > 1)
        track(w, worksheet_autofilter(w->issues, 0, 0, (lxw_row_t)(w->issue_row - 1),
                                      ISSUE_COLS - 1));
    write_client_sheet(w);
    write_summary_sheet(w);
    if (w->priced) {
        set_print_layout(w->prices, true);
        write_prices_sheet(w);
    }
    if (has_extra(w->c)) {
        lxw_worksheet *extra = workbook_add_worksheet(w->wb, "Otros datos");
        if (!extra)
            return minca_err_set(err, "cannot add sheet Otros datos");
        set_print_layout(extra, true);
        write_extra_sheet(w, extra);
    }
    if (w->lxw_status != LXW_NO_ERROR)
        return minca_err_set(err, "case %s: cannot write a cell: %s", w->c->cot, lxw_strerror(w->lxw_status));
    return 0;
}

/* Closes the workbook, which writes it to its scratch file. */
static int close_workbook(writer *w)
{
    errno = 0;
    lxw_error e = workbook_close(w->wb);
    int close_errno = errno;
    w->wb = NULL;
    if (e == LXW_NO_ERROR)
        return 0;
    /* A full disk shows only in errno (libxlsxwriter's text is generic). */
    if (close_errno)
        return minca_err_set(w->err, "case %s: cannot write the workbook: %s: %s (%s)", w->c->cot, lxw_strerror(e),
                             strerror(close_errno), core_errno_name(close_errno));
    return minca_err_set(w->err, "case %s: cannot write the workbook: %s", w->c->cot, lxw_strerror(e));
}

/* A failed export's result: nothing written, but a refusal keeps the counts that say why. */
static void drop_result(export_result *res)
{
    bool refused = res->refused;
    export_result counts = *res;
    g_free(res->data);
    g_free(res->path);
    g_free(res->template_name);
    g_free(res->template_version);
    g_free(res->template_path);
    if (!refused) {
        g_free(res->inciso);
        g_free(res->spans);
    }
    memset(res, 0, sizeof *res);
    if (refused) {   /* the counts say why */
        *res = counts;
        res->data = NULL;
        res->len = 0;
        res->sha256[0] = '\0';
        res->path = res->template_name = res->template_version = res->template_path = NULL;
    }
}

int export_case_write_with(const export_case *c, const export_template *tpl,
                           const export_coverage *cov, const export_options *opt,
                           export_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    writer w = {.c = c, .tpl = tpl, .cov = cov, .opt = opt, .res = res, .err = err};
    int rc = -1;
    char *exported_by = NULL, *scratch = NULL, *dir = NULL;
    const char *out_path = opt ? opt->out_path : NULL;

    if (prepare(&w) < 0)
        goto done;
    exported_by = c->exported_by && *c->exported_by ? g_strdup(c->exported_by) : core_login_name();
    w.exported_by = exported_by;

    if (out_path) {
        dir = parent_dir(out_path);
        if (!core_is_dir(dir) && core_mkdir_p(dir, 0755, err) < 0)
            goto done;
    } else {
        const char *t = opt && opt->tmp_dir ? opt->tmp_dir : getenv("TMPDIR");
        dir = g_strdup(t && *t ? t : "/tmp");
    }
    if (!(scratch = scratch_file(dir, err)))
        goto done;

    lxw_workbook_options wopt = {.constant_memory = LXW_FALSE, .tmpdir = dir};
    w.wb = workbook_new_opt(scratch, &wopt);
    if (!w.wb) {
        minca_err_set(err, "cannot start a workbook in %s", dir);
        goto done;
    }
    if (write_sheets(&w) < 0 || close_workbook(&w) < 0)
        goto done;
    char *bytes = NULL;
    if (core_read_file(scratch, (size_t)1 << 31, &bytes, &res->len, err) < 0)
        goto done;
    res->data = (unsigned char *)bytes;
    core_sha256_hex(res->data, res->len, res->sha256);
    if (out_path) {
        chmod(scratch, 0644);
        if (rename(scratch, out_path) != 0) {
            minca_err_set(err, "cannot write %s: %s (%s)", out_path, strerror(errno), core_errno_name(errno));
            goto done;
        }
        g_free(scratch);
        scratch = NULL;
        res->path = g_strdup(out_path);
    }
    res->template_name = g_strdup(tpl->name);
    res->template_version = g_strdup(tpl->version);
    res->template_path = g_strdup(tpl->path);
    rc = 0;
done:
    if (w.wb) {
        /* abandon the half-built workbook: closing writes it, and the scratch file goes below */
        workbook_close(w.wb);
    }
    if (scratch) {
        unlink(scratch);
        g_free(scratch);
    }
    g_free(dir);
    g_free(exported_by);
    g_free(w.cell_fmt);
    export_quote_clear(&w.quote);
    g_free(w.col_chars);
    g_free(w.col_width);
    g_free(w.src);
    g_free(w.fallback);
    if (rc < 0)
        drop_result(res);
    return rc;
}

int export_case_write(const export_case *c, const export_options *opt, export_result *res,
                      minca_err *err)
{
    memset(res, 0, sizeof *res);
    export_template *tpl = NULL;
    export_coverage *cov = NULL;
    char *tpath = NULL, *cpath = NULL;
    int rc = -1;
    const char *share = opt ? opt->share_dir : NULL;
    if (export_template_resolve(share, c->insurer, opt ? opt->template_name : NULL, &tpath, err) <
            0 ||
        export_template_load(tpath, &tpl, err) < 0)
        goto done;
    cpath = export_coverage_resolve(share, c->insurer);
    if (export_coverage_load(cpath, &cov, err) < 0)
        goto done;
    rc = export_case_write_with(c, tpl, cov, opt, res, err);
done:
    g_free(tpath);
    g_free(cpath);
    export_template_free(tpl);
    export_coverage_free(cov);
    return rc;
}
