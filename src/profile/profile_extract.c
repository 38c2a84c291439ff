/* profile: extraction of canonical vehicle rows from a table, with or without a profile. */
#include "profile_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void add_note(profile_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(profile_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    res->notes = g_realloc_n(res->notes, (size_t)res->n_notes + 1, sizeof *res->notes);
    res->notes[res->n_notes++] = msg;
}

void profile_columns_free(profile_column *cols, int n)
{
    for (int i = 0; i < n; i++) {
        g_free(cols[i].header);
        g_free(cols[i].reason);
    }
    g_free(cols);
}

void profile_result_clear(profile_result *res)
{
    if (!res)
        return;
    for (int i = 0; res->rows && i < res->n_rows; i++)
        vehicle_row_clear(&res->rows[i]);
    g_free(res->rows);
    g_free(res->format);
    g_free(res->encoding);
    g_free(res->sheet);
    g_free(res->profile_name);
    g_free(res->resembles);
    g_free(res->table_header_rows);
    profile_columns_free(res->columns, res->n_columns);
    for (int i = 0; i < res->n_notes; i++)
        g_free(res->notes[i]);
    g_free(res->notes);
    memset(res, 0, sizeof *res);
}

/* ---- normalisation helpers (the steps themselves are in profile_steps.c) ---- */

char *pf_collapse_spaces(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));
    bool space = false;
    for (const char *p = s; *p; p++) {
        bool ws = *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
        if (ws) {
            space = true;
            continue;
        }
        if (space && out->len)
            g_string_append_c(out, ' ');
        space = false;
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* ---- row state ---- */

typedef struct rowvals {
    char *val[PF_COUNT];       /* g_malloc'd text after normalisation; NULL when absent */
    double num[PF_COUNT];
    bool has_num[PF_COUNT];    /* source cell was a number */
} rowvals;

static void rowvals_clear(rowvals *rv)
{
    for (int f = 0; f < PF_COUNT; f++)
        g_free(rv->val[f]);
    memset(rv, 0, sizeof *rv);
}

static void append_val(rowvals *rv, profile_field f, const char *text)
{
    if (!rv->val[f]) {
        rv->val[f] = g_strdup(text);
    } else {
        char *j = g_strconcat(rv->val[f], " ", text, NULL);
        g_free(rv->val[f]);
        rv->val[f] = j;
    }
}

/* ---- templates ---- */

static const char *header_cell(const docs_table *t, const docs_row *row, const char *name)
{
    char *want = docs_fold(name);
    const char *found = NULL;
    for (int c = 0; c < t->n_cols && !found; c++) {
        char *have = docs_fold(t->headers[c]);
        char *name = docs_fold(t->names ? t->names[c] : t->headers[c]);
        if (strcmp(have, want) == 0 || strcmp(name, want) == 0)
            found = c < row->n_cells ? row->cells[c].text : "";
        g_free(have);
        g_free(name);
    }
    g_free(want);
    return found;
}

static char *expand_template(const char *tmpl, const rowvals *rv, const docs_table *t,
                             const docs_row *row)
{
    GString *out = g_string_new(NULL);
    for (const char *p = tmpl; *p; p++) {
        if (*p != '{') {
            g_string_append_c(out, *p);
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close)
            break;
        char *name = g_strndup(p + 1, (gsize)(close - p - 1));
        g_strstrip(name);
        profile_field f = profile_field_from_name(name);
        const char *v = NULL;
        if (f != PF_NONE && f != PF_IGNORE)
            v = rv->val[f];
        else
            v = header_cell(t, row, name);
        if (v)
            g_string_append(out, v);
        g_free(name);
        p = close;
    }
    char *collapsed = pf_collapse_spaces(out->str);
    g_string_free(out, TRUE);
    return collapsed;
}

/* ---- validation ---- */

static profile_policy policy_of(const profile *p, const pf_rule *r)
{
    if (r && r->has_policy)
        return r->policy;
    return p ? p->on_error : PROFILE_ON_ERROR_WARN;
}

typedef struct row_verdict {
    bool skip;
    bool fail;
    char fail_msg[512];
} row_verdict;

static void violation(vehicle_row *vr, row_verdict *vd, profile_policy pol, profile_field f,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void violation(vehicle_row *vr, row_verdict *vd, profile_policy pol, profile_field f,
                      const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vehicle_row_add_issue(vr, profile_field_name(f), pol == PROFILE_ON_ERROR_WARN ? "warn" : "error",
                          "%s", msg);
    if (pol == PROFILE_ON_ERROR_SKIP_ROW)
        vd->skip = true;
    if (pol == PROFILE_ON_ERROR_FAIL && !vd->fail) {
        vd->fail = true;
        snprintf(vd->fail_msg, sizeof vd->fail_msg, "%s: %s", profile_field_name(f), msg);
    }
}

/* The row's member of field f, by its KIND (pf_fields: core_vehicle.h's VEHICLE_FIELDS). */
#define MEMBER(vr, f, type) (*(type *)(void *)((char *)(vr) + pf_fields[f].offset))
#define CMEMBER(vr, f, type) (*(const type *)(const void *)((const char *)(vr) + pf_fields[f].offset))

/* Whether the row holds field f (text or number); a field not held on the row never is. */
static bool held_value(const vehicle_row *vr, int f)
{
    switch (pf_fields[f].held) {
    case PF_HELD_TEXT: return CMEMBER(vr, f, char *) != NULL;
    case PF_HELD_INT:
    case PF_HELD_YEAR: return CMEMBER(vr, f, int) != 0;
    case PF_HELD_AMOUNT: return CMEMBER(vr, f, double) >= 0;
    case PF_HELD_BASIS: return CMEMBER(vr, f, vehicle_sum_basis) != VEHICLE_SUM_UNKNOWN;
    case PF_HELD_NONE: break;
    }
    return false;
}

static bool numeric_value(profile_field f, const vehicle_row *vr, const rowvals *rv, double *out)
{
    switch (pf_fields[f].held) {
    case PF_HELD_INT:
    case PF_HELD_YEAR:
        if (!held_value(vr, f))
            return false;
        *out = CMEMBER(vr, f, int);
        return true;
    case PF_HELD_AMOUNT:
        if (!held_value(vr, f))
            return false;
        *out = CMEMBER(vr, f, double);
        return true;
    default:
        if (!rv->val[f])
            return false;
        return profile_parse_money(rv->val[f], out);
    }
}

static void check_rule(const profile *p, bool hint_only, profile_field f, const pf_rule *r,
                       vehicle_row *vr, const rowvals *rv, row_verdict *vd)
{
    profile_policy pol = hint_only ? PROFILE_ON_ERROR_WARN : policy_of(p, r);
    const char *v = rv->val[f];
    bool empty = !v || !*v;
    if (pf_fields[f].held == PF_HELD_YEAR)
        empty = !held_value(vr, f);
    if (pf_fields[f].held == PF_HELD_AMOUNT)
        empty = empty && !held_value(vr, f);
    if (empty) {
        if (r->required)
            violation(vr, vd, pol, f, "campo obligatorio vacío o no reconocido (%s)",
                      profile_field_name(f));
        return;
    }
    double num;
    if ((r->has_min || r->has_max) && numeric_value(f, vr, rv, &num)) {
        if (r->has_min && num < r->min)
            violation(vr, vd, pol, f, "%s %g menor que el mínimo %g", profile_field_name(f), num, r->min);
        if (r->has_max && num > r->max)
            violation(vr, vd, pol, f, "%s %g mayor que el máximo %g", profile_field_name(f), num, r->max);
    }
    if (r->enum_vals && v) {
        char *fv = docs_fold(v);
        bool ok = false;
        for (char **e = r->enum_vals; *e && !ok; e++)
            ok = strcmp(*e, fv) == 0;
        g_free(fv);
        if (!ok)
            violation(vr, vd, pol, f, "valor '%s' fuera de la lista permitida", v);
    }
    if (r->pattern && v && !g_regex_match(r->pattern, v, 0, NULL))
        violation(vr, vd, pol, f, "valor '%s' no tiene el formato esperado", v);
    const char *vin = pf_fields[f].parse == PARSE_VIN && pf_fields[f].held == PF_HELD_TEXT ? CMEMBER(vr, f, char *) : NULL;
    if (r->check_digit && vin && !profile_vin_check_digit(vin))
        violation(vr, vd, pol, f, "VIN '%s' con dígito verificador inválido", vin);
}

/* ---- building one vehicle row ---- */

static int current_year(void)
{
    GDateTime *now = g_date_time_new_now_local();
    int y = g_date_time_get_year(now);
    g_date_time_unref(now);
    return y;
}

static vehicle_sum_basis basis_from_text(const char *s)
{
    if (!s)
        return VEHICLE_SUM_UNKNOWN;
    char *f = docs_fold(s);
    vehicle_sum_basis b = VEHICLE_SUM_UNKNOWN;
    if (strstr(f, "comercial"))
        b = VEHICLE_SUM_COMERCIAL;
    else if (strstr(f, "factura"))
        b = VEHICLE_SUM_FACTURA;
    else if (strstr(f, "convenid"))
        b = VEHICLE_SUM_CONVENIDO;
    g_free(f);
    return b;
}

static char *nonempty_dup(const char *s)
{
    return s && *s ? g_strdup(s) : NULL;
}

static char *raw_json(const docs_table *t, const docs_row *row, bool text_only)
{
    json_t *o = json_object();
    int n = row->n_cells > t->n_cols ? row->n_cells : t->n_cols;
    for (int c = 0; c < n; c++) {
        const docs_cell *cell = c < row->n_cells ? &row->cells[c] : NULL;
        char key[300];
        if (c < t->n_cols && t->headers[c][0]) {
            snprintf(key, sizeof key, "%s", t->headers[c]);
        } else {
            if (!cell || cell->type == DOCS_CELL_EMPTY)
                continue;
            char col[8];
            docs_col_name(c, col);
            snprintf(key, sizeof key, "%s", col);
        }
        for (int k = 2; json_object_get(o, key) && k < 100; k++) {
            char base[290];
            snprintf(base, sizeof base, "%s", c < t->n_cols ? t->headers[c] : "");
            core_fmt(key, sizeof key, "%s (%d)", base, k);   /* a very long header is cut, the number kept unique by the loop */
        }
        json_t *v;
        if (!cell || cell->type == DOCS_CELL_EMPTY)
            v = text_only ? json_string("") : json_null();
        else if (text_only || cell->type == DOCS_CELL_TEXT || cell->type == DOCS_CELL_DATE)
            v = json_string(cell->text);
        else if (cell->type == DOCS_CELL_BOOL)
            v = json_boolean(cell->number != 0);
        else if (cell->number == floor(cell->number) && fabs(cell->number) < 9e15)
            v = json_integer((json_int_t)cell->number);
        else
            v = json_real(cell->number);
        json_object_set_new(o, key, v ? v : json_null());
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

#define EXTRA_MAX_COLUMNS 24
#define EXTRA_MAX_CHARS 1000

/* The columns the profile left unmapped whose cell in this row holds text (not an amount):
 * observations, notes, the driver, the economic number. JSON header -> text; NULL when none. */
static char *extra_json(const docs_table *t, const profile_column *cols, int n_cols, const bool *amount_like,
                        const docs_row *row)
{
    json_t *o = json_object();
    for (int i = 0; i < n_cols && json_object_size(o) < EXTRA_MAX_COLUMNS; i++) {
        const profile_column *pc = &cols[i];
        int c = pc->col;
        if ((pc->field != PF_IGNORE && pc->field != PF_NONE) || pc->hidden || c >= row->n_cells ||
            (amount_like && amount_like[i]) || row->cells[c].type != DOCS_CELL_TEXT)
            continue;
        char *v = pf_collapse_spaces(row->cells[c].text);
        if (*v && g_utf8_validate(v, -1, NULL)) {
            if (g_utf8_strlen(v, -1) > EXTRA_MAX_CHARS)
                *g_utf8_offset_to_pointer(v, EXTRA_MAX_CHARS) = '\0';
            char key[300];
            if (c < t->n_cols && t->headers[c][0])
                snprintf(key, sizeof key, "%s", t->headers[c]);
            else
                docs_col_name(c, key);
            if (g_utf8_validate(key, -1, NULL) && !json_object_get(o, key))
                json_object_set_new(o, key, json_string(v));
        }
        g_free(v);
    }
    char *s = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return s;
}

typedef struct extract_ctx {
    const profile *p;
    docs_table *t;
    profile_column *cols;
    int n_cols;
    bool text_cells;          /* csv / grid: raw cells are text */
    bool is_sheet;            /* xlsx / xls: keep the sheet name */
    vehicle_sum_basis header_basis;
    int max_year;
    bool hint_only;           /* profile of another broker: its rules only warn */
    bool default_description; /* compute.description would leave out a mapped column */
    const bool *amount_like;  /* n_cols: an unmapped column of amounts */
} extract_ctx;

/* The sum insured is empty but an unmapped column of the row holds an amount: an error on
 * the row, so the case waits for a person instead of ending ready without its sums. */
/* A VIN read from an image whose check digit fails: repaired where the check digit confirms
 * it (said on the row), else tidied; the row's model year tells the VIN's year character. */
static void repair_ocr_vin(vehicle_row *vr)
{
    char *fixed = g_strdup(vr->vin);
    if (profile_vin_ocr_repair_year(fixed, vr->year)) {
        vehicle_row_add_issue(vr, "vin", "warn", "VIN leído '%s', corregido a '%s' por el dígito "
                              "verificador", vr->vin, fixed);
        g_free(vr->vin);
        vr->vin = g_strdup(fixed);
    } else if (profile_vin_ocr_tidy_year(fixed, vr->year)) {
        g_free(vr->vin);
        vr->vin = g_strdup(fixed);
    }
    g_free(fixed);
}

static void check_lost_sum(const extract_ctx *x, const docs_row *row, const rowvals *rv, vehicle_row *vr)
{
    if (!x->amount_like || vr->insured_amount >= 0 || rv->val[PF_INSURED_AMOUNT])
        return;
    for (int i = 0; i < x->n_cols; i++) {
        int c = x->cols[i].col;
        if (!x->amount_like[i] || c >= row->n_cells)
            continue;
        const docs_cell *cell = &row->cells[c];
        double m;
        if (cell->type == DOCS_CELL_NUMBER ? cell->number > 0
                                           : cell->type == DOCS_CELL_TEXT && profile_parse_money(cell->text, &m) && m > 0) {
            vehicle_row_add_issue(vr, "insured_amount", "error",
                                  "sin suma asegurada, pero la columna '%s' tiene un monto (%s) que no se leyó como suma asegurada",
                                  x->cols[i].header, cell->text);
            return;
        }
    }
}

/* The row's cells in the mapped columns, normalised by the profile, into rv; *ocr gets the
 * lowest confidence of those read from an image (-1: none was). */
static void collect_values(const extract_ctx *x, const docs_row *row, rowvals *rv, double *ocr)
{
    const profile *p = x->p;
    *ocr = -1;
    for (int i = 0; i < x->n_cols; i++) {
        profile_field f = x->cols[i].field;
        int c = x->cols[i].col;
        if (f == PF_IGNORE || f == PF_NONE || c >= row->n_cells)
            continue;
        const docs_cell *cell = &row->cells[c];
        if (cell->type == DOCS_CELL_EMPTY)
            continue;
        if ((cell->flags & DOCS_CELL_OCR) && (*ocr < 0 || cell->confidence < *ocr))
            *ocr = cell->confidence;
        char *s = pf_collapse_spaces(cell->text);
        if (p) {
            s = pf_apply_steps(p->norm_all, s);
            s = pf_apply_steps(p->norm[f], s);
        }
        if (*s) {
            append_val(rv, f, s);
            if (cell->type == DOCS_CELL_NUMBER) {
                rv->num[f] = cell->number;
                rv->has_num[f] = true;
            }
        }
        g_free(s);
    }
}

/* The profile's defaults and compute: templates; whether the description is the profile's
 * template (else it is composed from its parts). */
static bool apply_profile_values(const extract_ctx *x, const docs_row *row, rowvals *rv)
{
    const profile *p = x->p;
    if (!p)
        return false;
    for (int f = 0; f < PF_COUNT; f++)
        if (p->defaults[f] && !rv->val[f])
            rv->val[f] = g_strdup(p->defaults[f]);
    bool tmpl_description = p->compute[PF_DESCRIPTION] && !x->default_description;
    for (int f = 0; f < PF_COUNT; f++) {
        if (!p->compute[f] || (f == PF_DESCRIPTION && !tmpl_description))
            continue;
        char *v = expand_template(p->compute[f], rv, x->t, row);
        g_free(rv->val[f]);
        rv->val[f] = *v ? v : (g_free(v), NULL);
    }
    return tmpl_description;
}

/* The description parts (VEHICLE_F_DESC, in list order) that are not empty, one space apart. */
static char *compose_description(const rowvals *rv)
{
    GString *d = g_string_new(NULL);
    for (int f = 0; f < PF_COUNT; f++) {
        const char *v = rv->val[f];
        if ((pf_fields[f].flags & VEHICLE_F_DESC) && v && *v) {
            if (d->len)
                g_string_append_c(d, ' ');
            g_string_append(d, v);
        }
    }
    char *out = d->len ? g_strdup(d->str) : NULL;
    g_string_free(d, TRUE);
    return out;
}

/* Text fields kept as written: every text field whose value check is text, but the
 * description (composed) and those a value check cleans (the VIN). */
static void copy_text_fields(const rowvals *rv, vehicle_row *vr)
{
    for (int f = 0; f < PF_COUNT; f++)
        if (pf_fields[f].held == PF_HELD_TEXT && pf_fields[f].parse == PARSE_TEXT && f != PF_DESCRIPTION)
            MEMBER(vr, f, char *) = nonempty_dup(rv->val[f]);
}

/* A money value: the member of an amount field, with the basis its text names ("valor
 * comercial"); any other field's text becomes the plain number. */
static void parse_money_value(rowvals *rv, int f, vehicle_row *vr)
{
    const char *v = rv->val[f];
    double m;
    if (rv->has_num[f])
        m = rv->num[f];
    else if (!profile_parse_money(v, &m))
        m = -1;
    if (pf_fields[f].held == PF_HELD_AMOUNT) {
        MEMBER(vr, f, double) = m;
        vehicle_sum_basis b = basis_from_text(v);
        if (b != VEHICLE_SUM_UNKNOWN)
            vr->sum_basis = b;
        if (m < 0 && b == VEHICLE_SUM_UNKNOWN) {
            char *label = g_utf8_strdown(vehicle_field_label(pf_fields[f].name), -1);
            vehicle_row_add_issue(vr, pf_fields[f].name, "warn", "%s '%s' no reconocida", label, v);
            g_free(label);
        }
    } else if (m >= 0) {
        char buf[40];
        snprintf(buf, sizeof buf, "%.15g", m);
        g_free(rv->val[f]);
        rv->val[f] = g_strdup(buf);
    }
}

/* A date or percentage: the value in its plain form, or a warning. */
static void parse_date_percent(rowvals *rv, int f, parse_kind k, vehicle_row *vr)
{
    const char *v = rv->val[f];
    char out[40] = "";
    double d;
    if (k == PARSE_DATE && profile_parse_date(v, out)) {
    } else if (k == PARSE_PERCENT && profile_parse_percent(v, &d)) {
        snprintf(out, sizeof out, "%.15g", d);
    } else {
        vehicle_row_add_issue(vr, profile_field_name(f), "warn", "valor '%s' no reconocido como %s",
                              v, k == PARSE_DATE ? "fecha" : "porcentaje");
        return;
    }
    g_free(rv->val[f]);
    rv->val[f] = g_strdup(out);
}

/* Field f's value through its value check k, into its member when the row holds one of
 * that kind. */
static void parse_value(rowvals *rv, int f, parse_kind k, double ocr, vehicle_row *vr)
{
    const char *v = rv->val[f];
    pf_held held = pf_fields[f].held;
    switch (k) {
    case PARSE_YEAR: {
        int y = 0;
        if (profile_parse_year(v, &y) || (ocr >= 0 && profile_parse_year_ocr(v, &y))) {
            if (held == PF_HELD_YEAR)
                MEMBER(vr, f, int) = y;
        } else {
            vehicle_row_add_issue(vr, profile_field_name(f), "warn", "año '%s' no reconocido", v);
        }
        break;
    }
    case PARSE_INT: {
        char *end;
        double d = g_ascii_strtod(v, &end);
        if (end != v && *end == '\0' && d == floor(d) && fabs(d) < 1e9 &&
            (held == PF_HELD_INT || held == PF_HELD_YEAR))
            MEMBER(vr, f, int) = (int)d;
        break;
    }
    case PARSE_MONEY:
        parse_money_value(rv, f, vr);
        break;
    case PARSE_VIN:
        if (held == PF_HELD_TEXT && pf_fields[f].parse == PARSE_VIN) {
            char *clean = profile_vin_clean(v);
            g_free(MEMBER(vr, f, char *));
            MEMBER(vr, f, char *) = *clean ? clean : (g_free(clean), NULL);
        }
        break;
    case PARSE_DATE:
    case PARSE_PERCENT:
        parse_date_percent(rv, f, k, vr);
        break;
    default:
        break;
    }
}

/* Every value through its value check: the profile's parse: or the field's own. */
static void parse_values(const profile *p, rowvals *rv, double ocr, vehicle_row *vr)
{
    for (int f = 0; f < PF_COUNT; f++) {
        parse_kind k = p && p->parse[f] ? p->parse[f] : pf_fields[f].parse;
        if (rv->val[f] && f != PF_IGNORE)
            parse_value(rv, f, k, ocr, vr);
    }
}

/* The checks every row gets (warnings), and the profile's validate: rules into vd. */
static void check_row(const extract_ctx *x, double ocr, const rowvals *rv, vehicle_row *vr, row_verdict *vd)
{
    const profile *p = x->p;
    if (ocr >= 0) {
        vehicle_row_add_issue(vr, NULL, "warn", "fila leída de una imagen (OCR, confianza %.0f%%): "
                              "verificar contra el original", ocr);
        if (vr->plates && !profile_looks_plate(vr->plates))
            vehicle_row_add_issue(vr, "plates", "warn", "placas '%s' sin forma de placa (leídas de "
                                  "una imagen)", vr->plates);
    }
    if (vr->year && (vr->year < 1950 || vr->year > x->max_year))
        vehicle_row_add_issue(vr, "year", "warn", "año %d fuera de rango (1950-%d)", vr->year, x->max_year);
    if (vr->vin && !(p && p->rules[PF_VIN].check_digit)) {
        if (strlen(vr->vin) != 17)
            vehicle_row_add_issue(vr, "vin", "warn", "VIN '%s' no tiene 17 caracteres", vr->vin);
        else if (!profile_vin_check_digit(vr->vin))
            vehicle_row_add_issue(vr, "vin", "warn", "VIN '%s' con dígito verificador inválido", vr->vin);
    }
    if (!p) {
        if (!vr->year)
            vehicle_row_add_issue(vr, "year", "warn", "sin año modelo");
        if (!vr->description)
            vehicle_row_add_issue(vr, "description", "warn", "sin descripción del vehículo");
    } else {
        for (int f = 0; f < PF_COUNT; f++)
            if (p->rules[f].present)
                check_rule(p, x->hint_only, (profile_field)f, &p->rules[f], vr, rv, vd);
    }
}

/* Whether the row holds any field that tells a vehicle (VEHICLE_F_KEY). */
static bool is_vehicle(const vehicle_row *vr)
{
    for (int f = 0; f < PF_COUNT; f++)
        if ((pf_fields[f].flags & VEHICLE_F_KEY) && held_value(vr, f))
            return true;
    return false;
}

/* Builds vr from row; returns 1 to keep, 0 when a rule skips it, 2 when the row holds no
 * vehicle field at all (a note under the table), -1 to fail (err set). */
static int build_row(extract_ctx *x, const docs_row *row, vehicle_row *vr, minca_err *err)
{
    rowvals rv;
    memset(&rv, 0, sizeof rv);
    double ocr;   /* the row read from an image: its mapped cells' lowest confidence */
    collect_values(x, row, &rv, &ocr);
    bool tmpl_description = apply_profile_values(x, row, &rv);
    vehicle_row_init(vr);
    vr->source_sheet = x->is_sheet ? g_strdup(x->t->sheet_name) : NULL;
    vr->source_row = (int)row->row;
    vr->raw_json = raw_json(x->t, row, x->text_cells);
    vr->extra_json = extra_json(x->t, x->cols, x->n_cols, x->amount_like, row);
    vr->ocr_confidence = ocr;
    if (row->hidden)
        vehicle_row_add_issue(vr, NULL, "warn", "fila oculta en la hoja de origen");
    /* description: computed, else marca + submarca + version + description */
    vr->description = tmpl_description ? nonempty_dup(rv.val[PF_DESCRIPTION]) : compose_description(&rv);
    copy_text_fields(&rv, vr);
    parse_values(x->p, &rv, ocr, vr);
    if (rv.val[PF_SUM_BASIS]) {
        vehicle_sum_basis b = basis_from_text(rv.val[PF_SUM_BASIS]);
        if (b != VEHICLE_SUM_UNKNOWN)
            vr->sum_basis = b;
    }
    if (vr->sum_basis == VEHICLE_SUM_UNKNOWN && vr->insured_amount >= 0)
        vr->sum_basis = x->header_basis;

    if (ocr >= 0 && vr->vin && !profile_vin_check_digit(vr->vin))
        repair_ocr_vin(vr);
    check_lost_sum(x, row, &rv, vr);
    row_verdict vd = { 0 };
    check_row(x, ocr, &rv, vr, &vd);
    bool vehicle = is_vehicle(vr);
    rowvals_clear(&rv);
    if (!vehicle) {
        vehicle_row_clear(vr);
        return 2;
    }
    if (vd.fail) {
        minca_err_set(err, "row %ld%s%s: %s", row->row, x->is_sheet ? " of sheet " : "",
                      x->is_sheet ? x->t->sheet_name : "", vd.fail_msg);
        vehicle_row_clear(vr);
        return -1;
    }
    if (vd.skip) {
        vehicle_row_clear(vr);
        return 0;
    }
    return 1;
}

/* ---- column binding for a profile ---- */

/* Automatic mapping must be at least this sure to map a column a profile does not name. */
#define BEYOND_PROFILE_MIN_CONF 0.7

static bool description_part(profile_field f)
{
    return f >= 0 && f < PF_COUNT && (pf_fields[f].flags & VEHICLE_F_DESC);
}

/* Does a profile of another broker read column c as the values show? It does unless automatic
 * mapping reads the column as another field on the strength of its values. Year and VIN
 * columns must hold years and VINs. */
static bool values_agree(profile_field f, const profile_column *ac, const pf_auto_col *d)
{
    if (d->n_values == 0)
        return true;
    if ((f == PF_YEAR || f == PF_VIN) && d->value_field != f)
        return false;
    profile_field a = ac->field;
    if (a == PF_NONE || a == PF_IGNORE || a == f || (description_part(a) && description_part(f)))
        return true;
    if (f == PF_IGNORE)
        return ac->confidence < 0.8;
    return d->value_field != a && ac->confidence < 0.8;
}

static void set_column(profile_column *pc, profile_field f, double conf, char *reason)
{
    pc->field = f;
    pc->confidence = conf;
    g_free(pc->reason);
    pc->reason = reason;
}

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *g = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *s = g_strdup(g);
    g_free(g);
    return s;
}

/* Binds the table's columns: the profile says how to read the columns it names, it never
 * hides another one. 1) a header the profile names (exact folded text) takes the profile's
 * field (for a profile of another broker, only where the values agree); 2) a profile column
 * that is not found is looked for by meaning: a column automatic mapping reads as the same
 * field (SERIE ~ NO. SERIE ~ NIV); 3) every other column automatic mapping recognises with
 * confidence is mapped automatically and marked beyond_profile. */
static void bind_profile(const profile *p, const docs_table *t, bool foreign,
                         const profile_column *ac, const pf_auto_col *det, profile_result *res)
{
    int n = t->n_cols;
    res->n_columns = n;
    res->columns = g_malloc0_n((size_t)(n ? n : 1), sizeof *res->columns);
    bool *used = g_malloc0_n(p->map->len + 1, sizeof *used);
    bool *bound = g_malloc0_n((size_t)(n ? n : 1), sizeof *bound);
    for (int c = 0; c < n; c++) {
        profile_column *pc = &res->columns[c];
        pc->col = c;
        pc->header = g_strdup(t->headers[c]);
        pc->field = PF_IGNORE;
        pc->confidence = 1.0;
        char *f = docs_fold(t->headers[c]);
        char *fname = docs_fold(t->names ? t->names[c] : t->headers[c]);
        for (guint i = 0; i < p->map->len && *f; i++) {
            pf_map *m = &g_array_index(p->map, pf_map, i);
            if (used[i] || (strcmp(m->folded, f) != 0 && strcmp(m->folded, fname) != 0))
                continue;
            used[i] = true;
            if (foreign && !values_agree(m->field, &ac[c], &det[c])) {
                pc->reason = dup_printf("profile '%s' reads it as %s but the values disagree: %s",
                                        p->name, profile_field_name(m->field), ac[c].reason);
                add_note(res, "column '%s': profile '%s' reads it as %s, the values show %s; mapped automatically",
                         t->headers[c], p->name, profile_field_name(m->field),
                         profile_field_name(det[c].value_field) ? profile_field_name(det[c].value_field) : "something else");
            } else {
                pc->field = m->field;
                pc->reason = g_strdup(m->field == PF_IGNORE ? "the profile ignores it" : "profile mapping");
                bound[c] = true;
            }
            break;
        }
        g_free(f);
        g_free(fname);
    }
    /* 2) profile columns not found under their own name */
    for (guint i = 0; i < p->map->len; i++) {
        pf_map *m = &g_array_index(p->map, pf_map, i);
        if (used[i] || m->field == PF_IGNORE)
            continue;
        int best = -1;
        for (int c = 0; c < n; c++)
            if (!bound[c] && ac[c].field == m->field && ac[c].confidence >= 0.5 &&
                (best < 0 || ac[c].confidence > ac[best].confidence))
                best = c;
        used[i] = true;
        if (best < 0) {
            add_note(res, "profile column '%s' (%s) not found in the table", m->header,
                     profile_field_name(m->field));
            continue;
        }
        bound[best] = true;
        set_column(&res->columns[best], m->field, ac[best].confidence,
                   dup_printf("profile column '%s' found by meaning: %s", m->header, ac[best].reason));
        add_note(res, "profile column '%s' (%s) read from column '%s', which means the same", m->header,
                 profile_field_name(m->field), t->headers[best]);
    }
    /* 3) columns the profile does not cover, most confident first */
    bool taken[PF_COUNT + 1] = { 0 };
    for (int c = 0; c < n; c++)
        if (bound[c])
            taken[res->columns[c].field] = true;
    for (;;) {
        int best = -1;
        for (int c = 0; c < n; c++) {
            profile_field a = ac[c].field;
            if (bound[c] || a == PF_NONE || a == PF_IGNORE || taken[a] ||
                ac[c].confidence < BEYOND_PROFILE_MIN_CONF)
                continue;
            if (best < 0 || ac[c].confidence > ac[best].confidence)
                best = c;
        }
        if (best < 0)
            break;
        profile_column *pc = &res->columns[best];
        bound[best] = true;
        taken[ac[best].field] = true;
        pc->beyond_profile = true;
        res->n_beyond_profile++;
        set_column(pc, ac[best].field, ac[best].confidence,
                   dup_printf("not in profile '%s'; mapped automatically: %s", p->name, ac[best].reason));
        add_note(res, "profile '%s' does not map column '%s': mapped automatically as %s (%.2f)", p->name,
                 t->headers[best], profile_field_name(ac[best].field), ac[best].confidence);
    }
    for (int c = 0; c < n; c++) {
        profile_column *pc = &res->columns[c];
        if (bound[c] || pc->reason)
            continue;
        profile_field a = ac[c].field;
        if (a != PF_NONE && a != PF_IGNORE && taken[a])
            pc->reason = dup_printf("not in the profile mapping; automatic mapping reads it as %s, "
                                    "already taken by another column", profile_field_name(a));
        else if (a != PF_NONE && a != PF_IGNORE)
            pc->reason = dup_printf("not in the profile mapping; automatic mapping not sure enough "
                                    "(%.2f): %s", ac[c].confidence, ac[c].reason);
        else
            pc->reason = dup_printf("not in the profile mapping; %s", ac[c].reason);
        pc->confidence = ac[c].confidence;
    }
    g_free(bound);
    g_free(used);
}

/* True when a column outside the profile feeds a description part the profile's
 * compute.description template leaves out: the default concatenation keeps it. */
static bool template_misses_column(const profile *p, const profile_result *res)
{
    const char *tmpl = p->compute[PF_DESCRIPTION];
    if (!tmpl)
        return false;
    for (int c = 0; c < res->n_columns; c++) {
        const profile_column *pc = &res->columns[c];
        if (!pc->beyond_profile || !description_part(pc->field))
            continue;
        char *ref = g_strdup_printf("{%s}", profile_field_name(pc->field));
        bool has = strstr(tmpl, ref) != NULL;
        g_free(ref);
        if (!has)
            return true;
    }
    return false;
}

static int profile_header_score(const char *header, void *user)
{
    const profile *p = user;
    char *f = docs_fold(header);
    int hit = 0;
    for (guint i = 0; i < p->map->len && !hit; i++)
        hit = strcmp(g_array_index(p->map, pf_map, i).folded, f) == 0;
    g_free(f);
    return hit;
}

static bool cell_filled(const docs_row *row, int c)
{
    if (c >= row->n_cells || row->cells[c].type == DOCS_CELL_EMPTY)
        return false;
    const char *v = row->cells[c].text;
    while (*v == ' ')
        v++;
    return *v != '\0';
}

/* Counts the values of every column, those right of the last header (beyond) included. */
static void count_filled(profile_column *cols, int n_cols, const docs_row *row, int n_headers,
                         GArray *beyond)
{
    for (int i = 0; i < n_cols; i++)
        if (cell_filled(row, cols[i].col))
            cols[i].n_filled++;
    for (int c = n_headers; c < row->n_cells; c++) {
        if (!cell_filled(row, c))
            continue;
        guint k = (guint)(c - n_headers);
        if (k >= beyond->len)
            g_array_set_size(beyond, k + 1);
        g_array_index(beyond, int, k)++;
    }
}

/* Columns with data but no header are accounted for too: ignored, with why. */
static void add_headerless_columns(GArray *cols, int n_headers, const GArray *beyond)
{
    for (guint k = 0; k < beyond->len; k++) {
        int n = g_array_index(beyond, int, k);
        if (!n)
            continue;
        profile_column pc;
        memset(&pc, 0, sizeof pc);
        pc.col = n_headers + (int)k;
        pc.header = g_strdup("");
        pc.field = PF_IGNORE;
        pc.reason = g_strdup("no header above this column");
        pc.n_filled = n;
        g_array_append_val(cols, pc);
    }
}

/* Appends a table's columns (owned by cols, moved) to the report's. */
static void append_columns(profile_result *res, GArray *cols, int table)
{
    if (!cols->len)
        return;
    profile_column *grown = g_realloc_n(res->columns, (size_t)res->n_columns + cols->len, sizeof *grown);
    if (!grown) {   /* out of memory: the columns are dropped from the report */
        for (guint i = 0; i < cols->len; i++) {
            g_free(g_array_index(cols, profile_column, i).header);
            g_free(g_array_index(cols, profile_column, i).reason);
        }
        return;
    }
    res->columns = grown;
    for (guint i = 0; i < cols->len; i++) {
        profile_column pc = g_array_index(cols, profile_column, i);
        pc.table = table;
        res->columns[res->n_columns++] = pc;
    }
}

/* Binds one table's columns: the profile's mapping, or the automatic one when there is no
 * profile or it maps almost nothing of this table (*pp is then cleared). The columns go to
 * cols (the report's column list is used as scratch and restored). */
static int map_table(docs_book *book, const profile **pp, const char *how, docs_table *t,
                     profile_result *res, GArray *cols, GArray *amount_like, bool *default_description,
                     minca_err *err)
{
    profile_column *kept = res->columns;
    int n_kept = res->n_columns;
    res->columns = NULL;
    res->n_columns = 0;
    int rc = -1;
    const profile *p = *pp;
    *default_description = false;
    profile_column *ac = NULL;
    pf_auto_col *det = NULL;
    int n_ac = 0;
    if (pf_auto_map_detail(book, t, &ac, &det, &n_ac, err) != 0)
        goto done;
    if (p) {
        bind_profile(p, t, how && strcmp(how, "headers") == 0, ac, det, res);
        *default_description = template_misses_column(p, res);
        /* A profile that maps almost nothing of this table (a different file from the same
         * broker) would produce empty rows: map automatically instead and say so. */
        int key = 0;
        for (int i = 0; i < res->n_columns; i++) {
            profile_field f = res->columns[i].beyond_profile ? PF_IGNORE : res->columns[i].field;
            key += f >= 0 && f < PF_COUNT && (pf_fields[f].flags & VEHICLE_F_KEY);
        }
        if (key < 2) {
            add_note(res, "profile '%s' maps %d of this table's vehicle columns; columns mapped "
                          "automatically instead", p->name, key);
            profile_columns_free(res->columns, res->n_columns);
            res->columns = NULL;
            res->n_columns = 0;
            p = NULL;
            res->n_beyond_profile = 0;
        }
    }
    if (!p) {
        res->columns = ac;
        res->n_columns = n_ac;
        ac = NULL;
        n_ac = 0;
    }
    for (int i = 0; i < res->n_columns; i++) {
        profile_column *pc = &res->columns[i];
        int c = pc->col;
        pc->hidden = t->hidden_cols && c < t->n_cols && t->hidden_cols[c];
        /* An amount column read as nothing: its values must not vanish unnoticed. */
        bool amount = (pc->field == PF_IGNORE || pc->field == PF_NONE) && det && c < t->n_cols &&
                      (det[c].header_field == PF_INSURED_AMOUNT ||
                       (det[c].header_field == PF_NONE && det[c].value_field == PF_INSURED_AMOUNT));
        g_array_append_val(cols, *pc);
        g_array_append_val(amount_like, amount);
    }
    g_free(res->columns);
    res->columns = NULL;
    res->n_columns = 0;
    *pp = p;
    rc = 0;
done:
    profile_columns_free(ac, n_ac);
    g_free(det);
    profile_columns_free(res->columns, res->n_columns);
    res->columns = kept;
    res->n_columns = n_kept;
    return rc;
}

/* Reads the rows of one table with its columns: each kept row goes to opt->on_row, or is
 * appended to kept (GArray of vehicle_row, moved there). */
static int extract_rows(docs_book *book, extract_ctx *x, const profile_options *opt,
                        profile_result *res, GArray *kept, GArray *beyond, int *lost_sums, minca_err *err)
{
    docs_table *t = x->t;
    if (docs_table_open(book, t, err) != 0)
        return -1;
    const docs_row *row;
    int n;
    vehicle_row built;
    while ((n = docs_table_next(book, t, &row, err)) == 1) {
        vehicle_row *vr = &built;
        int keep = build_row(x, row, vr, err);
        if (keep < 0)
            return -1;
        if (keep == 0) {
            res->n_skipped++;
            add_note(res, "row %ld skipped by a validation rule", row->row);
            continue;
        }
        if (keep == 2) {
            res->n_not_vehicle++;
            add_note(res, "row %ld has no vehicle data (brand, model, year, VIN or description); left out",
                     row->row);
            continue;
        }
        vr->source_table = t->index;
        res->n_rows++;
        for (int k = 0; k < vr->n_issues; k++)
            if (vr->issues[k].field && strcmp(vr->issues[k].field, "insured_amount") == 0 &&
                strcmp(vr->issues[k].severity, "error") == 0)
                (*lost_sums)++;
        count_filled(x->cols, x->n_cols, row, t->n_cols, beyond);
        for (int k = 0; k < vr->n_issues; k++) {
            if (strcmp(vr->issues[k].severity, "error") == 0)
                res->n_errors++;
            else
                res->n_warnings++;
        }
        if (opt->on_row) {
            int cb = opt->on_row(vr, opt->user, err);
            vehicle_row_clear(vr);
            if (cb != 0)
                return -1;
        } else {
            g_array_append_val(kept, built);
        }
    }
    if (n < 0)
        return -1;
    res->n_subtotals += t->n_subtotals;
    res->n_repeated_headers += t->n_repeated_headers;
    return 0;
}

static vehicle_sum_basis header_basis(const GArray *cols)
{
    for (guint i = 0; i < cols->len; i++) {
        const profile_column *pc = &g_array_index(cols, profile_column, i);
        if (pc->field == PF_INSURED_AMOUNT)
            return basis_from_text(pc->header);
    }
    return VEHICLE_SUM_UNKNOWN;
}

/* One table: map its columns, read its rows, account for every column. */
static int extract_table(docs_book *book, const profile *p, const char *how,
                         const profile_options *opt, docs_table *t, profile_result *res, GArray *kept,
                         minca_err *err)
{
    GArray *cols = g_array_new(FALSE, TRUE, sizeof(profile_column));
    GArray *beyond = g_array_new(FALSE, TRUE, sizeof(int));
    GArray *amount_like = g_array_new(FALSE, TRUE, sizeof(bool));
    bool default_description = false;
    int rc = -1;
    if (map_table(book, &p, how, t, res, cols, amount_like, &default_description, err) != 0)
        goto done;
    if (p && !res->profile_name)
        res->profile_name = g_strdup(p->name);
    if (!p) {
        res->auto_mapped = true;
        res->needs_profile = true;
    }
    docs_format fmt = docs_book_format(book);
    extract_ctx x = {
        .p = p, .t = t, .cols = (profile_column *)(void *)cols->data, .n_cols = (int)cols->len,
        .text_cells = docs_format_text_cells(fmt),
        .is_sheet = docs_format_has_sheets(fmt),
        .max_year = current_year() + 2,
        .hint_only = how && strcmp(how, "headers") == 0,
        .default_description = default_description,
        .header_basis = header_basis(cols),
        .amount_like = (const bool *)(void *)amount_like->data,
    };
    int before = res->n_rows, lost_sums = 0;
    if (extract_rows(book, &x, opt, res, kept, beyond, &lost_sums, err) != 0)
        goto done;
    if (lost_sums > 0)
        add_note(res, "%d vehicle row(s)%s have no sum insured although another column holds an amount: "
                      "check which column is the sum insured", lost_sums,
                 t->index ? " of a further table" : "");
    if (t->index == 0)
        res->stop_row = t->stop_row;
    add_headerless_columns(cols, t->n_cols, beyond);
    for (guint i = 0; i < cols->len; i++) {
        const profile_column *pc = &g_array_index(cols, profile_column, i);
        if ((pc->field == PF_IGNORE || pc->field == PF_NONE) && pc->n_filled > 0)
            res->n_ignored_with_data++;
    }
    if (res->n_rows == before)
        add_note(res, t->index ? "table %d (header on row %ld) has a header but no vehicle rows"
                               : "the table has a header row but no vehicle rows",
                 t->index + 1, t->header_first);
    rc = 0;
done:
    append_columns(res, cols, t->index);   /* moved into res, freed with it */
    g_array_free(cols, TRUE);
    g_array_free(beyond, TRUE);
    g_array_free(amount_like, TRUE);
    return rc;
}

int profile_extract_book(docs_book *book, const profile *p, const profile_options *opt,
                         profile_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    profile_options none = { 0 };
    if (!opt)
        opt = &none;
    const char *how = p ? "given" : NULL;
    if (!p && opt->n_candidates > 0 && opt->sender_domain) {
        int i = profile_recognize(opt->candidates, opt->n_candidates, opt->sender_domain, NULL, 0, NULL);
        if (i >= 0) {
            p = opt->candidates[i];
            how = "domain";
        }
    }
    docs_table *tables = NULL;
    int n_tables = 0;
    int rc = -1;
    docs_table_hint hint = { .header_known = pf_auto_header_known };
    if (p) {
        hint.sheet_pattern = p->table_sheet ? p->table_sheet : p->detect_sheet;
        /* A PDF's rows are numbered from the printed table's first data row (the header is row
         * 0): a spreadsheet's fixed header row does not apply. */
        hint.header_row = docs_book_format(book) == DOCS_FMT_PDF ? 0 : p->header_row;
        hint.required_headers = (const char *const *)p->required_headers->pdata;
        hint.n_required = (int)p->required_headers->len;
        hint.header_score = profile_header_score;
        hint.user = (void *)p;
    }
    if (docs_tables_find(book, &hint, &tables, &n_tables, err) != 0) {
        if (!p)
            return -1;
        minca_err first;
        snprintf(first.msg, sizeof first.msg, "%s", err ? err->msg : "");
        docs_table_hint plain = { .header_known = pf_auto_header_known };
        if (docs_tables_find(book, &plain, &tables, &n_tables, err) != 0)
            return -1;
        add_note(res, "the table does not fit profile '%s' (%s); detected it without the profile's hints",
                 p->name, first.msg);
    }
    docs_table *t = &tables[0];
    if (!p && opt->n_candidates > 0) {
        int i = profile_recognize(opt->candidates, opt->n_candidates, NULL,
                                  (const char *const *)t->names, t->n_cols, t->sheet_name);
        if (i >= 0) {
            p = opt->candidates[i];
            how = "headers";
            res->resembles = g_strdup(p->name);
            res->needs_profile = true;
            add_note(res, "the layout resembles broker profile '%s', but the sender domain %s is not in "
                          "it: its mapping is used only where the values agree, automatic mapping "
                          "elsewhere; save a profile for this broker with the wizard (W)", p->name,
                     opt->sender_domain ? opt->sender_domain : "(none)");
        }
    }
    res->recognized_by = how;
    docs_format fmt = docs_book_format(book);
    res->format = g_strdup(docs_format_name(fmt));
    if (fmt == DOCS_FMT_CSV) {
        res->encoding = g_strdup(docs_book_encoding(book));
        res->delimiter = docs_book_delimiter(book);
    }
    res->sheet = g_strdup(t->sheet_name);
    res->header_row = t->header_row;
    res->n_tables = n_tables;
    res->table_header_rows = g_malloc0_n((size_t)n_tables, sizeof *res->table_header_rows);
    GArray *kept = g_array_new(FALSE, FALSE, sizeof(vehicle_row));   /* the rows, res->rows at the end */
    bool failed = false;
    for (int k = 0; k < n_tables && !failed; k++) {
        if (res->table_header_rows)
            res->table_header_rows[k] = tables[k].header_first;
        failed = extract_table(book, p, how, opt, &tables[k], res, kept, err) != 0;
    }
    res->rows = g_array_steal(kept, NULL);   /* NULL when none were kept (or they were streamed) */
    g_array_free(kept, TRUE);
    if (failed)
        goto done;
    if (!res->profile_name)
        res->recognized_by = NULL;
    if (n_tables > 1) {
        GString *rows = g_string_new(NULL);
        for (int k = 0; k < n_tables; k++)
            g_string_append_printf(rows, "%s%ld", k ? (k + 1 == n_tables ? " and " : ", ") : "",
                                   tables[k].header_first);
        add_note(res, "%d vehicle tables on the sheet, headers on rows %s: rows of every table read",
                 n_tables, rows->str);
        g_string_free(rows, TRUE);
    }
    rc = 0;
done:
    docs_tables_free(tables, n_tables);
    if (rc != 0) {
        minca_err saved;
        snprintf(saved.msg, sizeof saved.msg, "%s", err ? err->msg : "");
        profile_result_clear(res);
        if (err)
            snprintf(err->msg, sizeof err->msg, "%s", saved.msg);
    }
    return rc;
}

int profile_extract(const void *data, size_t len, const char *filename_hint, const profile *p,
                    const profile_options *opt, profile_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    docs_book *book;
    if (docs_open(data, len, filename_hint, opt ? opt->limits : NULL, &book, err) != 0)
        return -1;
    int rc = profile_extract_book(book, p, opt, res, err);
    docs_close(book);
    return rc;
}

/* ---- JSON ---- */

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* Field f of the row as JSON: null when absent. */
static json_t *field_json(const vehicle_row *r, int f)
{
    if (!held_value(r, f))
        return json_null();
    switch (pf_fields[f].held) {
    case PF_HELD_TEXT: return json_string(CMEMBER(r, f, char *));
    case PF_HELD_INT:
    case PF_HELD_YEAR: return json_integer(CMEMBER(r, f, int));
    case PF_HELD_AMOUNT: return json_real(CMEMBER(r, f, double));
    case PF_HELD_BASIS: return json_string(vehicle_sum_basis_name(CMEMBER(r, f, vehicle_sum_basis)));
    case PF_HELD_NONE: break;
    }
    return json_null();
}

char *profile_result_json(const profile_result *res, bool with_rows)
{
    json_t *rep = json_object();
    json_object_set_new(rep, "format", str_or_null(res->format));
    if (res->encoding) {
        json_object_set_new(rep, "encoding", json_string(res->encoding));
        char d[2] = { res->delimiter, 0 };
        json_object_set_new(rep, "delimiter", json_string(d));
    }
    json_object_set_new(rep, "sheet", str_or_null(res->sheet));
    json_object_set_new(rep, "header_row", json_integer(res->header_row));
    json_object_set_new(rep, "stop_row", res->stop_row ? json_integer(res->stop_row) : json_null());
    json_t *tables = json_array();
    for (int k = 0; k < res->n_tables && res->table_header_rows; k++)
        json_array_append_new(tables, json_integer(res->table_header_rows[k]));
    json_object_set_new(rep, "tables", tables);
    json_object_set_new(rep, "subtotal_rows", json_integer(res->n_subtotals));
    json_object_set_new(rep, "repeated_header_rows", json_integer(res->n_repeated_headers));
    json_object_set_new(rep, "profile", str_or_null(res->profile_name));
    json_object_set_new(rep, "recognized_by", str_or_null(res->recognized_by));
    json_object_set_new(rep, "auto_mapped", json_boolean(res->auto_mapped));
    json_object_set_new(rep, "resembles", str_or_null(res->resembles));
    json_object_set_new(rep, "needs_profile", json_boolean(res->needs_profile));
    json_object_set_new(rep, "beyond_profile", json_integer(res->n_beyond_profile));
    json_object_set_new(rep, "ignored_with_data", json_integer(res->n_ignored_with_data));
    json_object_set_new(rep, "not_vehicle_rows", json_integer(res->n_not_vehicle));
    json_object_set_new(rep, "rows", json_integer(res->n_rows));
    json_object_set_new(rep, "skipped", json_integer(res->n_skipped));
    json_object_set_new(rep, "warnings", json_integer(res->n_warnings));
    json_object_set_new(rep, "errors", json_integer(res->n_errors));
    json_t *cols = json_array();
    for (int i = 0; i < res->n_columns; i++) {
        const profile_column *c = &res->columns[i];
        json_t *o = json_object();
        json_object_set_new(o, "table", json_integer(c->table));
        json_object_set_new(o, "col", json_integer(c->col));
        json_object_set_new(o, "header", str_or_null(c->header));
        if (c->hidden)
            json_object_set_new(o, "hidden", json_true());
        json_object_set_new(o, "field", str_or_null(profile_field_name(c->field)));
        json_object_set_new(o, "confidence", json_real(round(c->confidence * 100) / 100));
        json_object_set_new(o, "reason", str_or_null(c->reason));
        json_object_set_new(o, "filled", json_integer(c->n_filled));
        if (c->beyond_profile)
            json_object_set_new(o, "beyond_profile", json_true());
        json_array_append_new(cols, o);
    }
    json_object_set_new(rep, "columns", cols);
    json_t *notes = json_array();
    for (int i = 0; i < res->n_notes; i++)
        json_array_append_new(notes, json_string(res->notes[i]));
    json_object_set_new(rep, "notes", notes);
    json_t *root = json_object();
    json_object_set_new(root, "report", rep);
    if (with_rows) {
        json_t *rows = json_array();
        for (int i = 0; i < res->n_rows; i++) {
            const vehicle_row *r = &res->rows[i];
            json_t *o = json_object();
            json_object_set_new(o, "sheet", str_or_null(r->source_sheet));
            json_object_set_new(o, "row", json_integer(r->source_row));
            json_object_set_new(o, "table", json_integer(r->source_table));
            for (int f = 0; f < PF_COUNT; f++)
                if (pf_fields[f].held != PF_HELD_NONE)
                    json_object_set_new(o, pf_fields[f].name, field_json(r, f));
            json_t *raw = r->raw_json ? json_loads(r->raw_json, 0, NULL) : NULL;
            json_object_set_new(o, "raw", raw ? raw : json_null());
            json_t *issues = json_array();
            for (int k = 0; k < r->n_issues; k++) {
                json_t *is = json_object();
                json_object_set_new(is, "field", str_or_null(r->issues[k].field));
                json_object_set_new(is, "severity", str_or_null(r->issues[k].severity));
                json_object_set_new(is, "message", str_or_null(r->issues[k].message));
                json_array_append_new(issues, is);
            }
            json_object_set_new(o, "issues", issues);
            json_array_append_new(rows, o);
        }
        json_object_set_new(root, "rows", rows);
    }
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return s;
}

/* ---- what a person must see about a stored report ---- */

static const json_t *report_of(const json_t *extraction)
{
    const json_t *rep = json_object_get(extraction, "report");
    return rep ? rep : extraction;
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool ignored_with_data(const json_t *col)
{
    const char *f = jstr(col, "field");
    return (!*f || strcmp(f, "ignore") == 0) && json_integer_value(json_object_get(col, "filled")) > 0;
}

char *profile_report_summary(const json_t *extraction, const char *indent)
{
    GString *out = g_string_new(NULL);
    const json_t *rep = report_of(extraction);
    if (!indent)
        indent = "";
    if (json_is_object(rep)) {
        if (*jstr(rep, "resembles"))
            g_string_append_printf(out, "%sthe layout resembles broker profile '%s' (another broker's): "
                                        "used only where the values agree; save a profile for this broker (W)\n",
                                   indent, jstr(rep, "resembles"));
        const json_t *cols = json_object_get(rep, "columns");
        size_t i;
        const json_t *c;
        json_array_foreach(cols, i, c) {
            if (json_is_true(json_object_get(c, "beyond_profile")))
                g_string_append_printf(out, "%scolumn '%s' is not in profile '%s': mapped automatically as %s\n",
                                       indent, jstr(c, "header"), jstr(rep, "profile"), jstr(c, "field"));
        }
        json_array_foreach(cols, i, c) {
            if (!json_is_true(json_object_get(c, "hidden")))
                continue;
            const char *f = jstr(c, "field");
            if (*f && strcmp(f, "ignore") != 0)
                g_string_append_printf(out, "%shidden column '%s' read as %s: no visible column serves it\n",
                                       indent, jstr(c, "header"), f);
            else
                g_string_append_printf(out, "%shidden column '%s' not read: %s\n", indent,
                                       jstr(c, "header"), jstr(c, "reason"));
        }
        json_array_foreach(cols, i, c) {
            if (ignored_with_data(c))
                g_string_append_printf(out, "%swarning: column '%s' held data on %lld rows but was ignored: %s\n",
                                       indent, *jstr(c, "header") ? jstr(c, "header") : "(no header)",
                                       (long long)json_integer_value(json_object_get(c, "filled")), jstr(c, "reason"));
        }
    }
    char *s = g_strdup(out->str);
    g_string_free(out, TRUE);
    return s;
}

int profile_report_warnings(const json_t *extraction)
{
    const json_t *rep = report_of(extraction);
    int n = 0;
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(rep, "columns"), i, c)
        n += ignored_with_data(c);
    return n;
}
