/* Profile wizard: teaches the desk a broker's sheet layout from one of the broker's emails.
 *
 *   step 1  review what was detected: sheet, header row, and for each column the suggested
 *           canonical field with its confidence, the reason and sample values;
 *   step 2  edit: cycle the field of each column, its normalisation and its validation;
 *   step 3  validate: the profile is generated (the same YAML layout `minca profile suggest`
 *           writes), loaded and applied to the attachment; every row is shown as passing or
 *           failing with the reason. Save stores it as a new version bound to the sender's
 *           domain (profile_store_save); one more key re-runs the case with it
 *           (profile_store_rerun_case), and the in-process engine reads the sheet again.
 *
 * Columns the automatic mapping left below its confidence are also put to the optional language
 * model (when one is configured): its field and reason are shown beside the heuristic's, and
 * only the person's choice is saved.
 *
 * The wizard keeps the attachment bytes and the open book for its whole life. */
#include "minca/engine_assist.h"
#include "minca/core_config.h"
#include "minca/docs.h"
#include "minca/llm.h"
#include "minca/profile.h"
#include "minca/desk_profile_store.h"
#include "minca/store_tui.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_SAMPLES 3
#define DETAIL_LINES 4

/* Normalisation presets a column can take (on top of strip + collapse_spaces for all). */
static const char *const norm_names[] = {"as written", "upper", "upper, no accents", "alnum only"};
#define N_NORM 4
/* Validation presets. */
static const char *const valid_names[] = {"none", "required", "required, skip row", "check, warn"};
#define N_VALID 4

typedef struct wiz_col {
    int col;                /* 0-based source column */
    char *header;
    profile_field suggested;
    double confidence;
    char *reason;
    char *samples;          /* "v1 | v2 | v3" */
    profile_field field;    /* as edited */
    int norm, valid;        /* presets */
    profile_field model;    /* the language model's suggestion, PF_NONE when none */
    char *model_reason;
} wiz_col;

typedef struct wizard {
    int step;               /* 1..3 */
    char *cot;
    long long case_id;
    char *domain;           /* sender domain the profile is bound to */
    char *broker;           /* broker name for the description ("" when unknown) */
    char *name;             /* profile name */
    char *filename;
    char *data;             /* attachment bytes (the book borrows them) */
    size_t len;
    char *format;
    char *sheet;
    long header_row;
    wiz_col *cols;
    int ncols;
    tui_table *tables[3];   /* one per step; v->table is the current one */
    char *yaml;             /* generated at step 3 */
    char *load_error;       /* the YAML did not load (should not happen) */
    int n_rows, n_pass, n_fail, n_skipped;
    char *bad_columns;      /* step 3: mapped columns whose values are not what the field holds */
    int saved_version;      /* > 0 once saved */
    bool edited;            /* changed since opened or saved: Esc asks before dropping it */
    int from_version;       /* the stored profile version the mapping started from, 0: none */
    char *model_note;       /* why the language model gave no suggestion (NULL: it did, or was not asked) */
    int n_model;            /* columns with a suggestion of the model */
    bool model_cols;        /* step 1 has the Model column (a model is configured) */
} wizard;

static const tui_column review_cols[] = {
    {"Col", 3, 0, false},  {"Header", 10, 2, false}, {"Field", 14, 0, false},
    {"Conf", 4, 0, true},  {"Reason", 12, 4, false}, {"Samples", 10, 3, false},
};
/* The same with the language model's suggestion, when a model is configured. */
static const tui_column review_model_cols[] = {
    {"Col", 3, 0, false},  {"Header", 10, 2, false}, {"Field", 14, 0, false},
    {"Conf", 4, 0, true},  {"Reason", 12, 4, false}, {"Model", 14, 0, false}, {"Samples", 10, 3, false},
};
static const tui_column edit_cols[] = {
    {"Col", 3, 0, false},           {"Header", 10, 2, false},   {"Field", 14, 0, false},
    {"Normalise", 17, 0, false},    {"Validate", 18, 0, false}, {"Samples", 10, 3, false},
};
static const tui_column check_cols[] = {
    {"Row", 4, 0, true},  {"Inc", 3, 0, true},  {"Year", 4, 0, true},
    {"Description", 14, 4, false}, {"Result", 12, 5, false},
};

static int wiz_open(tui_view *v)
{
    wizard *w = g_malloc0_n(1, sizeof *w);
    v->priv = w;
    if (!w)
        return -1;
    w->step = 1;
    w->model_cols = config_llm_enabled();
    w->tables[0] = w->model_cols ? tui_table_new(review_model_cols, 7) : tui_table_new(review_cols, 6);
    w->tables[1] = tui_table_new(edit_cols, 6);
    w->tables[2] = tui_table_new(check_cols, 5);
    if (!w->tables[0] || !w->tables[1] || !w->tables[2])
        return -1;
    v->table = w->tables[0];
    return 0;
}

static void free_columns(wizard *w);
static void redetect(tui_view *v, const char *sheet, long row);
static char *next_sheet(wizard *w);

static void wiz_close(tui_view *v)
{
    wizard *w = v->priv;
    if (!w)
        return;
    free_columns(w);
    for (int i = 0; i < 3; i++)
        tui_table_free(w->tables[i]);
    g_free(w->cot);
    g_free(w->model_note);
    g_free(w->domain);
    g_free(w->bad_columns);
    g_free(w->broker);
    g_free(w->name);
    g_free(w->filename);
    g_free(w->data);
    g_free(w->format);
    g_free(w->sheet);
    g_free(w->yaml);
    g_free(w->load_error);
    g_free(w);
}

/* ---- the mapping ----------------------------------------------------------------------------- */

static const char *field_label(profile_field f)
{
    return f == PF_NONE || f == PF_IGNORE ? "ignore" : profile_field_name(f);
}

static profile_field cycle_field(profile_field f, int dir)
{
    /* ignore, inciso, marca, ..., sum_basis, ignore, ... */
    int order = f == PF_IGNORE || f == PF_NONE ? 0 : (int)f + 1;
    order = (order + dir + PF_COUNT) % PF_COUNT;
    return order == 0 ? PF_IGNORE : (profile_field)(order - 1);
}

static int default_norm(profile_field f)
{
    return f == PF_VIN ? 3 : f == PF_PLATES ? 1 : 0;
}

static int default_valid(profile_field f)
{
    return f == PF_YEAR ? 1 : f == PF_VIN ? 3 : 0;
}

static void set_field(wiz_col *c, profile_field f)
{
    c->field = f;
    c->norm = default_norm(f);
    c->valid = default_valid(f);
}

/* ---- YAML -------------------------------------------------------------------------------------- */

static void yaml_quoted(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(out, '\\');
        if ((unsigned char)*p < 0x20)
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static bool usable_header(wizard *w, int i)
{
    if (!*w->cols[i].header)
        return false;
    for (int j = 0; j < i; j++) /* a repeated header cannot be told apart: the first wins */
        if (strcmp(w->cols[j].header, w->cols[i].header) == 0)
            return false;
    return true;
}

/* The column mapped to f (first one), or NULL. */
static wiz_col *column_of(wizard *w, profile_field f)
{
    for (int i = 0; i < w->ncols; i++)
        if (w->cols[i].field == f && usable_header(w, i))
            return &w->cols[i];
    return NULL;
}

static char *build_yaml(wizard *w, const char *user)
{
    GString *y = g_string_new(NULL);
    g_string_append_printf(y, "# Broker profile written with the profile wizard by %s.\n", user);
    g_string_append_printf(y, "# Source: %s (%s, sheet '%s', header on row %ld).\n", w->filename, w->format,
                           w->sheet ? w->sheet : "", w->header_row);
    g_string_append_printf(y, "name: %s\nversion: 1\ndescription: ", w->name);
    yaml_quoted(y, *w->broker ? w->broker : w->domain ? w->domain : w->name);
    g_string_append(y, "\n\ndetect:\n");
    if (w->domain && *w->domain) {
        g_string_append(y, "  sender_domains: [");
        yaml_quoted(y, w->domain);
        g_string_append(y, "]\n");
    }
    g_string_append(y, "  required_headers: [");
    int n_req = 0;
    for (int i = 0; i < w->ncols && n_req < 4; i++) {
        if (w->cols[i].field == PF_IGNORE || !usable_header(w, i))
            continue;
        if (n_req++)
            g_string_append(y, ", ");
        yaml_quoted(y, w->cols[i].header);
    }
    g_string_append(y, "]\n\ntable:\n");
    if (w->sheet && *w->sheet) {
        gchar *re = g_regex_escape_string(w->sheet, -1);
        char *anchored = core_strdup_printf("^%s$", re);
        g_string_append(y, "  sheet: ");
        yaml_quoted(y, anchored);
        g_string_append_c(y, '\n');
        g_free(anchored);
        g_free(re);
    }
    g_string_append_printf(y, "  header_row: %ld\n\nmapping:\n", w->header_row);
    for (int i = 0; i < w->ncols; i++) {
        wiz_col *c = &w->cols[i];
        if (!usable_header(w, i))
            continue;
        GString *line = g_string_new("  ");
        yaml_quoted(line, c->header);
        g_string_append_printf(line, ": %s", field_label(c->field));
        while (line->len < 38)
            g_string_append_c(line, ' ');
        if (c->field == c->suggested)
            g_string_append_printf(line, " # %.2f %s", c->confidence, c->reason);
        else
            g_string_append_printf(line, " # set in the wizard (suggested: %s)", field_label(c->suggested));
        for (char *p = line->str; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        g_string_append_printf(y, "%s\n", line->str);
        g_string_free(line, TRUE);
    }
    g_string_append(y, "\nnormalize:\n  all: [strip, collapse_spaces]\n");
    for (int f = 0; f < PF_IGNORE; f++) {
        wiz_col *c = column_of(w, (profile_field)f);
        if (!c || !c->norm)
            continue;
        static const char *const steps[] = {"", "[upper]", "[upper, remove_accents]",
                                            "[upper, {replace: {pattern: \"[^A-Z0-9]\", with: \"\"}}]"};
        g_string_append_printf(y, "  %s: %s\n", profile_field_name((profile_field)f), steps[c->norm]);
    }
    GString *parse = g_string_new(NULL);
    if (column_of(w, PF_YEAR))
        g_string_append(parse, "  year: year\n");
    if (column_of(w, PF_INSURED_AMOUNT))
        g_string_append(parse, "  insured_amount: money\n");
    if (column_of(w, PF_VIN))
        g_string_append(parse, "  vin: vin\n");
    if (column_of(w, PF_INCISO))
        g_string_append(parse, "  inciso: int\n");
    if (parse->len)
        g_string_append_printf(y, "\nparse:\n%s", parse->str);
    g_string_free(parse, TRUE);
    GString *valid = g_string_new(NULL);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int max_year = tm.tm_year + 1900 + 2;
    for (int f = 0; f < PF_IGNORE; f++) {
        wiz_col *c = column_of(w, (profile_field)f);
        if (!c || !c->valid)
            continue;
        const char *name = profile_field_name((profile_field)f);
        if (c->valid == 1 && f == PF_YEAR)
            g_string_append_printf(valid, "  %s: {required: true, min: 1950, max: %d}\n", name, max_year);
        else if (c->valid == 1)
            g_string_append_printf(valid, "  %s: {required: true}\n", name);
        else if (c->valid == 2)
            g_string_append_printf(valid, "  %s: {required: true, on_error: skip_row}\n", name);
        else if (f == PF_YEAR)
            g_string_append_printf(valid, "  %s: {min: 1950, max: %d, on_error: warn}\n", name, max_year);
        else if (f == PF_VIN)
            g_string_append_printf(valid, "  %s: {check_digit: true, on_error: warn}\n", name);
        else
            g_string_append_printf(valid, "  %s: {required: true, on_error: warn}\n", name);
    }
    if (valid->len)
        g_string_append_printf(y, "\nvalidate:\n%s", valid->str);
    g_string_free(valid, TRUE);
    g_string_append(y, "\non_error: warn   # warn | skip_row | fail\n");
    return g_string_free(y, FALSE);
}

/* ---- tables ------------------------------------------------------------------------------------ */

static void fill_columns(wizard *w, tui_table *t, bool edit)
{
    tui_table_clear(t);
    for (int i = 0; i < w->ncols; i++) {
        wiz_col *c = &w->cols[i];
        char key[16], letter[8], conf[16];
        snprintf(key, sizeof key, "%d", i);
        docs_col_name(c->col, letter);
        snprintf(conf, sizeof conf, "%.2f", c->confidence);
        bool changed = c->field != c->suggested;
        char field[48];
        snprintf(field, sizeof field, "%s%s", field_label(c->field), changed ? " *" : "");
        tui_elem elem = c->field == PF_IGNORE ? TUI_EL_DIM : changed ? TUI_EL_OK : c->confidence < 0.6 ? TUI_EL_WARN
                                                                                                         : TUI_EL_NORMAL;
        if (edit) {
            const char *cells[6] = {letter, c->header, field, norm_names[c->norm], valid_names[c->valid], c->samples};
            tui_table_add(t, key, cells, elem, NULL);
        } else {
            const char *model = c->model != PF_NONE ? field_label(c->model) : "";
            const char *cells[7] = {letter, c->header, field, changed ? "" : conf, changed ? "changed in the wizard" : c->reason,
                                    w->model_cols ? model : c->samples, c->samples};
            tui_table_add(t, key, cells, elem, NULL);
        }
    }
    tui_table_done(t);
}

static void fill_tables(wizard *w)
{
    fill_columns(w, w->tables[0], false);
    fill_columns(w, w->tables[1], true);
}

/* A sample value the field can hold: an amount reads as money, a year as a year, a VIN has
 * digits. Other fields take any text. */
static bool value_fits(profile_field f, const char *text)
{
    double amount;
    int year;
    switch (f) {
    case PF_INSURED_AMOUNT:
        return profile_parse_money(text, &amount);
    case PF_YEAR:
        return profile_parse_year(text, &year);
    case PF_VIN:
        return strpbrk(text, "0123456789") != NULL;
    default:
        return true;
    }
}

/* Step 3 checks the values of every mapped column, not only the rows: a "Valor" column whose
 * samples read "V. COMERCIAL" is no amount, however the rows came out. NULL when all fit. */
static char *check_columns(wizard *w)
{
    GString *bad = g_string_new(NULL);
    /* One column a field: a second one would overwrite the first row by row (a PLACAS column
     * taken for the use puts plates into USO and leaves PLACA empty). Only the description
     * joins the columns given to it. */
    for (int f = 0; f < PF_IGNORE; f++) {
        if (f == PF_DESCRIPTION)
            continue;
        GString *names = g_string_new(NULL);
        int n = 0;
        for (int i = 0; i < w->ncols; i++)
            if ((int)w->cols[i].field == f && usable_header(w, i)) {
                g_string_append_printf(names, "%s'%s'", n ? " and " : "", w->cols[i].header);
                n++;
            }
        if (n > 1)
            g_string_append_printf(bad, "%s%s both mapped to %s (one column a field)", bad->len ? "; " : "",
                                   names->str, field_label((profile_field)f));
        g_string_free(names, TRUE);
    }
    for (int i = 0; i < w->ncols; i++) {
        wiz_col *c = &w->cols[i];
        if (c->field == PF_NONE || c->field == PF_IGNORE || !c->samples)
            continue;
        gchar **vals = g_strsplit(c->samples, " | ", -1);
        int n = 0, misfit = 0;
        const char *example = NULL;
        for (gchar **val = vals; *val; val++) {
            char *t = g_strstrip(*val);
            if (!*t || strcmp(t, "·") == 0)
                continue;
            n++;
            if (!value_fits(c->field, t)) {
                misfit++;
                if (!example)
                    example = t;
            }
        }
        if (n > 0 && misfit * 2 >= n)
            g_string_append_printf(bad, "%s'%s' as %s: \"%s\" is not %s", bad->len ? "; " : "", c->header,
                                   field_label(c->field), example,
                                   c->field == PF_INSURED_AMOUNT ? "an amount" : c->field == PF_YEAR ? "a year" : "a VIN");
        g_strfreev(vals);
    }
    return bad->len ? g_string_free(bad, FALSE) : (g_string_free(bad, TRUE), NULL);
}

/* Step 3: generate, load and apply the profile to the attachment. */
static void validate(tui_view *v)
{
    wizard *w = v->priv;
    g_free(w->bad_columns);
    w->bad_columns = check_columns(w);
    g_free(w->yaml);
    g_free(w->load_error);
    w->load_error = NULL;
    w->yaml = build_yaml(w, tui_app_user(v->app));
    w->n_rows = w->n_pass = w->n_fail = w->n_skipped = 0;
    tui_table *t = w->tables[2];
    tui_table_clear(t);
    profile *p = NULL;
    minca_err err = {0};
    docs_book *book = NULL;
    profile_result res;
    memset(&res, 0, sizeof res);
    if (profile_load_string(w->yaml, strlen(w->yaml), "wizard", &p, &err) < 0 ||
        docs_open(w->data, w->len, w->filename, NULL, &book, &err) < 0) {
        w->load_error = g_strdup(err.msg);
        goto done;
    }
    profile_options opts = {.sender_domain = w->domain};
    if (profile_extract_book(book, p, &opts, &res, &err) < 0) {
        w->load_error = g_strdup(err.msg);
        goto done;
    }
    w->n_rows = res.n_rows;
    w->n_skipped = res.n_skipped;
    for (int i = 0; i < res.n_rows; i++) {
        vehicle_row *r = &res.rows[i];
        GString *why = g_string_new(NULL);
        bool error = false;
        for (int k = 0; k < r->n_issues; k++) {
            vehicle_issue *is = &r->issues[k];
            error |= strcmp(is->severity, "error") == 0;
            g_string_append_printf(why, "%s%s%s%s: %s", why->len ? "; " : "", is->field ? is->field : "row",
                                   strcmp(is->severity, "error") == 0 ? " (error)" : "", "", is->message);
        }
        if (error)
            w->n_fail++;
        else
            w->n_pass++;
        char key[16], row[16], inc[16], year[16];
        snprintf(key, sizeof key, "%d", i);
        snprintf(row, sizeof row, "%d", r->source_row);
        snprintf(inc, sizeof inc, "%d", r->inciso);
        snprintf(year, sizeof year, "%d", r->year);
        char *result = core_strdup_printf("%s%s%s", error ? "FAIL" : "ok", why->len ? ": " : "", why->str);
        const char *cells[5] = {row, r->inciso ? inc : "", r->year ? year : "", r->description ? r->description : "",
                                result};
        tui_table_add(t, key, cells, error ? TUI_EL_ERROR : r->n_issues ? TUI_EL_WARN : TUI_EL_NORMAL, NULL);
        g_free(result);
        g_string_free(why, TRUE);
    }
done:
    tui_table_done(t);
    tui_table_set_empty(t, w->load_error ? "The profile could not be applied; see the message above."
                                         : "No vehicle row was read with this mapping.");
    profile_result_clear(&res);
    docs_close(book);
    profile_free(p);
}

static void go_step(tui_view *v, int step)
{
    wizard *w = v->priv;
    if (step < 1 || step > 3)
        return;
    w->step = step;
    if (step == 3)
        validate(v);
    else
        fill_tables(w);
    /* Same column selected in steps 1 and 2. */
    const char *sel = tui_table_selected_key(v->table);
    if (step < 3 && sel && v->table != w->tables[step - 1]) {
        tui_table *t = w->tables[step - 1];
        tui_table_move(t, TUI_ACT_FIRST, 1);
        while (tui_table_selected_key(t) && strcmp(tui_table_selected_key(t), sel) != 0 &&
               tui_table_move(t, TUI_ACT_DOWN, 1))
            ;
    }
    v->table = w->tables[step - 1];
}

/* ---- drawing ----------------------------------------------------------------------------------- */

static void put(WINDOW *win, int y, int w, tui_elem elem, const char *text)
{
    wattrset(win, tui_theme_attr(elem));
    mvwhline(win, y, 0, ' ', w);
    tui_text_put(win, y, 0, w, text, false);
    wattrset(win, A_NORMAL);
}

typedef struct lines2 {
    char *line[3];
    int n, max;
} lines2;

/* Keeps the first lines of a wrap (the detail panel has room for two, three with the model's). */
static void keep_line(char *line, void *user)
{
    lines2 *l = user;
    if (l->n < l->max)
        l->line[l->n++] = line;
    else
        g_free(line);
}

static void wiz_draw(tui_view *v, WINDOW *win, int h, int w)
{
    wizard *z = v->priv;
    static const char *const titles[] = {"review what was detected", "edit the mapping", "validate and save"};
    char *title = core_strdup_printf(" Profile wizard · step %d/3: %s · %s · %s", z->step, titles[z->step - 1], z->cot,
                                     z->domain ? z->domain : "(no sender domain)");
    put(win, 0, w, TUI_EL_TITLE, title);
    g_free(title);
    char *info, *hint;
    tui_elem info_elem = TUI_EL_DIM;
    if (z->step < 3) {
        info = core_strdup_printf(" sheet '%s' · header row %ld · %d columns · profile '%s' · %s (%s)%s%s",
                                  z->sheet ? z->sheet : "", z->header_row, z->ncols, z->name, z->filename, z->format,
                                  z->n_model ? " · language model suggestions in column Model"
                                  : z->model_note ? " · " : "",
                                  z->n_model ? "" : z->model_note ? z->model_note : "");
        hint = g_strdup(z->step == 1 ? " {field-prev}/{field-next} field · {header-up}/{header-down} header row · "
                                     "{sheet-next} sheet · {step-next} next step"
                                   : " {field-prev}/{field-next} field · {normalize} normalisation · {validate} "
                                     "validation · {step-next} validate · {step-prev} back");
    } else if (z->load_error) {
        info = core_strdup_printf(" The profile does not apply: %s", z->load_error);
        info_elem = TUI_EL_ERROR;
        hint = g_strdup(" {step-prev} goes back to the mapping · Enter shows the YAML");
    } else if (z->bad_columns) {
        info = core_strdup_printf(" the mapping does not fit: %s", z->bad_columns);
        info_elem = TUI_EL_ERROR;
        hint = g_strdup(" {step-prev} goes back to the mapping (the column's field) · Enter shows the YAML");
    } else {
        info = core_strdup_printf(" %d rows read: %d pass, %d fail%s%d skipped by rules · profile '%s'%s", z->n_rows,
                                  z->n_pass, z->n_fail, ", ", z->n_skipped, z->name,
                                  z->saved_version ? " · saved" : "");
        info_elem = z->n_fail ? TUI_EL_WARN : TUI_EL_OK;
        hint = g_strdup(z->saved_version ? " Saved. {rerun} re-runs the case with it · Enter shows the YAML · Esc closes"
                                       : " {save} saves it as a new version for the sender's domain · Enter shows the "
                                         "YAML · {step-prev} back");
    }
    put(win, 1, w, info_elem, info);
    char *expanded = tui_keys_expand(hint);
    put(win, 2, w, TUI_EL_HINT, expanded);
    g_free(expanded);
    g_free(info);
    g_free(hint);

    int detail = z->step < 3 ? DETAIL_LINES + (z->n_model ? 1 : 0) : 0;
    int list_h = h - 3 - detail;
    v->body_rows = list_h - 1;
    tui_table_draw(v->table, win, 3, 0, list_h, w);
    if (detail) {
        const char *key = tui_table_selected_key(v->table);
        int i = key ? atoi(key) : -1;
        wattrset(win, tui_theme_attr(TUI_EL_DIM));
        tui_text_rule(win, h - detail, 0, w);
        wattrset(win, A_NORMAL);
        if (i >= 0 && i < z->ncols) {
            wiz_col *c = &z->cols[i];
            char *l1 = core_strdup_printf("%s → %s (suggested %s, %.2f): %s", c->header, field_label(c->field),
                                          field_label(c->suggested), c->confidence, c->reason);
            char *l2 = core_strdup_printf(" samples: %s", c->samples);
            lines2 two = {.n = 0, .max = 2};
            tui_text_wrap(l1, w - 2, keep_line, &two);
            if (z->n_model) {
                char *lm = c->model != PF_NONE
                               ? core_strdup_printf("language model: %s, %s", field_label(c->model), c->model_reason)
                               : g_strdup("language model: no suggestion for this column");
                two.max = two.n + 1;
                tui_text_wrap(lm, w - 2, keep_line, &two);
                g_free(lm);
            }
            for (int k = 0; k < two.n; k++) {
                char *indented = core_strdup_printf(" %s", two.line[k]);
                put(win, h - detail + 1 + k, w, TUI_EL_NORMAL, indented);
                g_free(indented);
                g_free(two.line[k]);
            }
            put(win, h - 1, w, TUI_EL_DIM, l2);
            g_free(l1);
            g_free(l2);
        }
    }
}

/* ---- keys -------------------------------------------------------------------------------------- */

static wiz_col *selected_col(tui_view *v)
{
    wizard *w = v->priv;
    const char *key = tui_table_selected_key(v->table);
    int i = key ? atoi(key) : -1;
    return w->step < 3 && i >= 0 && i < w->ncols ? &w->cols[i] : NULL;
}

static void rerun_others_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    wizard *w = v->priv;
    if (key != 'y' && key != 'Y') {
        tui_app_message(v->app, TUI_EL_NORMAL, "saved; the broker's other cases stay as they were read");
        return;
    }
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    if (!db || !ins)
        return;
    minca_err err = {0};
    json_t *others = store_tui_broker_open_cases(db, ins, w->case_id, &err);
    size_t i, done = 0;
    json_t *k;
    json_array_foreach(others, i, k) {
        long long job = 0;
        if (profile_store_rerun_case(db, ins, tui_json_int(k, "id"), tui_app_user(v->app), NULL, &job, &err) == 0)
            done++;
        else
            log_warn("tui: re-run of %s: %s", tui_json_str(k, "cot"), err.msg);
    }
    if (done == json_array_size(others))
        tui_app_message(v->app, TUI_EL_OK, "%zu other case%s of the broker queued to be read again", done, done == 1 ? "" : "s");
    else
        tui_app_message(v->app, TUI_EL_WARN, "%zu of %zu other cases queued to be read again; %s", done,
                        json_array_size(others), err.msg);
    json_decref(others);
    tui_app_changed(v->app);
}

static void save(tui_view *v)
{
    wizard *w = v->priv;
    if (w->step != 3 || w->load_error || !w->yaml) {
        tui_app_message(v->app, TUI_EL_WARN, "validate first: step 3 (%s)", "step-next");
        return;
    }
    if (w->bad_columns) {
        tui_app_message(v->app, TUI_EL_ERROR, "not saved: the mapping does not fit: %s", w->bad_columns);
        return;
    }
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    if (!db || !ins)
        return;
    profile_saved saved;
    minca_err err = {0};
    if (profile_store_save(db, ins, w->yaml, w->domain, tui_app_user(v->app), &saved, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "profile not saved: %s", err.msg);
        return;
    }
    w->saved_version = saved.version;
    char key[16];
    tui_keys_primary(TUI_ACT_RERUN, key, sizeof key);
    tui_app_message(v->app, TUI_EL_OK, "saved profile %s v%d for %s; %s re-runs the case", w->name, saved.version,
                    w->domain ? w->domain : "(no domain)", key);
    tui_app_changed(v->app);
    /* The broker's other open cases were read without this profile: offer them a re-read (their
     * reviewers' decisions stay on the rows that read the same). */
    json_t *others = store_tui_broker_open_cases(db, ins, w->case_id, &err);
    size_t n = json_array_size(others);
    json_decref(others);
    if (n > 0) {
        char q[200];
        snprintf(q, sizeof q, "saved v%d. re-read the broker's %zu other open case%s with it? y ", saved.version, n,
                 n == 1 ? "" : "s");
        tui_app_confirm(v->app, v, q, rerun_others_answer, NULL);
    }
}

static void rerun(tui_view *v)
{
    wizard *w = v->priv;
    if (!w->saved_version) {
        char key[16];
        tui_keys_primary(TUI_ACT_SAVE, key, sizeof key);
        tui_app_message(v->app, TUI_EL_WARN, "save the profile first (%s at step 3)", key);
        return;
    }
    PGconn *db = tui_app_db(v->app);
    long long ins = db ? tui_app_insurer_id(v->app) : 0;
    if (!db || !ins)
        return;
    minca_err err = {0};
    long long job = 0;
    if (profile_store_rerun_case(db, ins, w->case_id, tui_app_user(v->app), NULL, &job, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot re-run %s: %s", w->cot, err.msg);
        return;
    }
    tui_app_message(v->app, TUI_EL_OK, "re-run with %s v%d queued (job %lld)", w->name, w->saved_version, job);
    tui_app_changed(v->app);
    tui_app_close(v->app, v);
}

static void drop_answer(tui_view *v, tui_key key, void *user)
{
    (void)user;
    if (key == 'y' || key == 'Y')
        tui_app_close(v->app, v);
    else
        tui_app_message(v->app, TUI_EL_NORMAL, "still editing (S saves)");
}

/* l, h, m, v: the selected column's field, normalisation or validation rule, cycled. */
static bool act_edit_column(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    wizard *w = v->priv;
    wiz_col *c = selected_col(v);
    if (!c) {
        tui_app_message(v->app, TUI_EL_NORMAL, "columns are edited in steps 1 and 2");
        return true;
    }
    if (act == TUI_ACT_FIELD_NEXT || act == TUI_ACT_FIELD_PREV)
        set_field(c, cycle_field(c->field, act == TUI_ACT_FIELD_NEXT ? 1 : -1));
    else if (act == TUI_ACT_NORMALIZE)
        c->norm = (c->norm + 1) % N_NORM;
    else
        c->valid = (c->valid + 1) % N_VALID;
    w->saved_version = 0;
    w->edited = true;
    fill_tables(w);
    return true;
}

/* + and -: the header one row lower or higher; ]: the next sheet (step 1). */
static bool act_move_header(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    wizard *w = v->priv;
    if (w->step != 1) {
        tui_app_message(v->app, TUI_EL_NORMAL, "the sheet and header row are chosen in step 1");
    } else if (act == TUI_ACT_SHEET_NEXT) {
        char *next = next_sheet(w);
        if (next)
            redetect(v, next, 0);
        else
            tui_app_message(v->app, TUI_EL_NORMAL, "the attachment has one sheet");
        g_free(next);
    } else if (act == TUI_ACT_HEADER_UP && w->header_row <= 1) {
        tui_app_message(v->app, TUI_EL_NORMAL, "the header is already on the first row");
    } else {
        redetect(v, NULL, w->header_row + (act == TUI_ACT_HEADER_DOWN ? 1 : -1));
    }
    w->edited = true;
    return true;
}

static bool act_step(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    wizard *w = v->priv;
    go_step(v, w->step + (act == TUI_ACT_STEP_NEXT ? 1 : -1));
    return true;
}

static bool act_save(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    wizard *w = v->priv;
    save(v);
    if (w->saved_version)
        w->edited = false;
    return true;
}

/* Esc and q with unsaved edits ask first; otherwise they close the wizard as anywhere. */
static bool act_leave(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    wizard *w = v->priv;
    if (!w->edited || (act == TUI_ACT_BACK && tui_table_filter(v->table)))
        return false;
    tui_app_confirm(v->app, v, "drop the unsaved edits to this profile? y: drop · Esc: keep editing ", drop_answer,
                    NULL);
    return true;
}

static bool act_rerun(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    rerun(v);
    return true;
}

static const tui_action_row wizard_rows[] = {
    {TUI_ACT_FIELD_NEXT, act_edit_column},
    {TUI_ACT_FIELD_PREV, act_edit_column},
    {TUI_ACT_NORMALIZE, act_edit_column},
    {TUI_ACT_VALIDATE, act_edit_column},
    {TUI_ACT_HEADER_DOWN, act_move_header},
    {TUI_ACT_HEADER_UP, act_move_header},
    {TUI_ACT_SHEET_NEXT, act_move_header},
    {TUI_ACT_STEP_NEXT, act_step},
    {TUI_ACT_STEP_PREV, act_step},
    {TUI_ACT_SAVE, act_save},
    {TUI_ACT_BACK, act_leave},
    {TUI_ACT_QUIT, act_leave},
    {TUI_ACT_RERUN, act_rerun},
    TUI_ROWS_END,
};

static tui_view *wiz_enter(tui_view *v)
{
    wizard *w = v->priv;
    if (w->step < 3) {
        go_step(v, w->step + 1);
        tui_app_dirty(v->app);
        return NULL;
    }
    char *title = core_strdup_printf("Profile %s (generated by the wizard)", w->name);
    tui_view *pv = tui_pager_new(v->app, title, w->yaml ? w->yaml : "");
    g_free(title);
    return pv;
}

const tui_view_ops tui_pane_wizard_ops = {
    .name = "wizard",
    .title = "Wizard",
    .open = wiz_open,
    .close = wiz_close,
    .draw = wiz_draw,
    .actions = wizard_rows,
    .enter = wiz_enter,
};

/* ---- opening ----------------------------------------------------------------------------------- */

/* "nuevo-corredor" from "ventas.nuevo-corredor.com.mx": the labels before the public suffix. */
static char *name_from_domain(const char *domain, long long case_id)
{
    static const char *const suffixes[] = {"com", "mx", "net", "org", "gob", "edu", "co", "info", "biz"};
    if (!domain || !*domain)
        return core_strdup_printf("broker-%lld", case_id);
    gchar **labels = g_strsplit(domain, ".", -1);
    int n = (int)g_strv_length(labels);
    while (n > 1) {
        bool suffix = false;
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
            suffix |= g_ascii_strcasecmp(labels[n - 1], suffixes[i]) == 0;
        if (!suffix)
            break;
        n--;
    }
    const char *base = n ? labels[n - 1] : domain;
    char *name = g_ascii_strdown(base, -1);
    for (char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-')
            *p = '-';
    char *out = g_strdup(name);
    g_free(name);
    g_strfreev(labels);
    return out;
}

/* Samples of each column from the first data rows. */
static void read_samples(wizard *w, docs_book *book, docs_table *table)
{
    GString *s[w->ncols > 0 ? w->ncols : 1];
    for (int i = 0; i < w->ncols; i++)
        s[i] = g_string_new(NULL);
    minca_err err = {0};
    if (docs_table_open(book, table, &err) == 0) {
        const docs_row *row;
        for (int n = 0; n < N_SAMPLES && docs_table_next(book, table, &row, &err) == 1; n++)
            for (int i = 0; i < w->ncols; i++) {
                int col = w->cols[i].col;
                const char *text = col < row->n_cells ? row->cells[col].text : "";
                g_string_append_printf(s[i], "%s%s", n ? " | " : "", *text ? text : "·");
            }
    }
    for (int i = 0; i < w->ncols; i++)
        w->cols[i].samples = g_string_free(s[i], FALSE);
}

static void free_columns(wizard *w)
{
    for (int i = 0; i < w->ncols; i++) {
        g_free(w->cols[i].header);
        g_free(w->cols[i].reason);
        g_free(w->cols[i].samples);
        g_free(w->cols[i].model_reason);
    }
    g_free(w->cols);
    w->cols = NULL;
    w->ncols = 0;
}

/* Finds the table in the attachment (hint: NULL to detect it, or a sheet and header row the
 * user chose) and maps its columns automatically. On failure the wizard is left as it was. */
static int detect(wizard *w, const docs_table_hint *hint, minca_err *err)
{
    docs_book *book = NULL;
    docs_table table;
    memset(&table, 0, sizeof table);
    profile_column *cols = NULL;
    int n = 0;
    if (docs_open(w->data, w->len, w->filename, NULL, &book, err) < 0 || docs_table_find(book, hint, &table, err) < 0 ||
        profile_auto_map(book, &table, &cols, &n, err) < 0) {
        docs_table_clear(&table);
        docs_close(book);
        return -1;
    }
    free_columns(w);
    g_free(w->format);
    g_free(w->sheet);
    w->format = g_strdup(docs_format_name(docs_book_format(book)));
    w->sheet = g_strdup(table.sheet_name ? table.sheet_name : "");
    w->header_row = table.header_row;
    w->ncols = n;
    w->cols = g_malloc0_n((size_t)(n > 0 ? n : 1), sizeof *w->cols);
    for (int k = 0; k < n; k++) {
        wiz_col *c = &w->cols[k];
        c->col = cols[k].col;
        c->header = g_strdup(cols[k].header ? cols[k].header : "");
        c->suggested = cols[k].field == PF_NONE ? PF_IGNORE : cols[k].field;
        c->confidence = cols[k].confidence;
        c->reason = g_strdup(cols[k].reason ? cols[k].reason : "");
        c->model = PF_NONE;
        set_field(c, c->suggested);
    }
    read_samples(w, book, &table);
    profile_columns_free(cols, n);
    docs_table_clear(&table);
    docs_close(book);
    return 0;
}

/* Puts the columns the automatic mapping was unsure of to the language model, if there is one. */
static void ask_model(wizard *w, PGconn *db, long long ins)
{
    g_free(w->model_note);
    w->model_note = NULL;
    w->n_model = 0;
    if (!db || !llm_available(db, ins))
        return;
    assist_column *ask = g_malloc0_n((size_t)(w->ncols > 0 ? w->ncols : 1), sizeof *ask);
    int n = 0;
    for (int i = 0; i < w->ncols; i++) {
        wiz_col *c = &w->cols[i];
        if (c->confidence >= ASSIST_COLUMN_CONFIDENCE || !*c->header)
            continue;
        ask[n++] = (assist_column){.col = c->col, .header = c->header, .samples = c->samples,
                                   .guess = c->suggested != PF_IGNORE ? profile_field_name(c->suggested) : NULL,
                                   .confidence = c->confidence};
    }
    if (n) {
        json_t *got = assist_columns(db, ins, ask, n, &w->model_note);
        size_t k;
        json_t *s;
        json_array_foreach(got, k, s) {
            for (int i = 0; i < w->ncols; i++) {
                wiz_col *c = &w->cols[i];
                if (c->col != json_integer_value(json_object_get(s, "col")))
                    continue;
                c->model = profile_field_from_name(json_string_value(json_object_get(s, "field")));
                g_free(c->model_reason);
                c->model_reason = g_strdup(json_string_value(json_object_get(s, "reason")));
                w->n_model++;
            }
        }
        json_decref(got);
    }
    g_free(ask);
}

/* Detects again on sheet `sheet` (NULL: the current one) with header row `row` (0: detect). */
static void redetect(tui_view *v, const char *sheet, long row)
{
    wizard *w = v->priv;
    gchar *re = NULL;
    char *anchored = NULL;
    const char *name = sheet ? sheet : w->sheet;
    if (name && *name) {
        re = g_regex_escape_string(name, -1);
        anchored = core_strdup_printf("^%s$", re);
    }
    docs_table_hint hint = {.sheet_pattern = anchored, .header_row = row};
    minca_err err = {0};
    if (detect(w, &hint, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "no table there: %s", err.msg);
    } else {
        ask_model(w, tui_app_db(v->app), tui_app_insurer_id(v->app));
        tui_app_message(v->app, TUI_EL_NORMAL, "sheet '%s', header row %ld: %d columns", w->sheet, w->header_row,
                        w->ncols);
    }
    w->saved_version = 0;
    fill_tables(w);
    g_free(anchored);
    g_free(re);
}

/* The sheet after the current one (wrapping), for trying another sheet. NULL when alone. */
static char *next_sheet(wizard *w)
{
    docs_book *book = NULL;
    minca_err err = {0};
    if (docs_open(w->data, w->len, w->filename, NULL, &book, &err) < 0)
        return NULL;
    int n = docs_sheet_count(book), cur = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(docs_sheet_name(book, i), w->sheet) == 0)
            cur = i;
    char *name = n > 1 ? g_strdup(docs_sheet_name(book, (cur + 1) % n)) : NULL;
    docs_close(book);
    return name;
}

/* Opens the first attachment of the case that holds a table. */
static int load_sheet(tui_view *v, PGconn *db, long long ins, minca_err *err)
{
    wizard *w = v->priv;
    json_t *sheets = store_tui_case_sheets(db, ins, w->case_id, err);
    if (!sheets)
        return -1;
    int rc = -1;
    size_t i;
    json_t *a;
    GString *why = g_string_new(NULL);
    json_array_foreach(sheets, i, a) {
        minca_err e = {0};
        if (store_blob_get(db, tui_json_str(a, "sha256"), &w->data, &w->len, &e) < 0) {
            g_string_append_printf(why, "%s%s: %s", why->len ? "; " : "", tui_json_str(a, "filename"), e.msg);
            continue;
        }
        w->filename = g_strdup(tui_json_str(a, "filename"));
        /* Nothing looked like a header: start from the first row, the user moves it (step 1). */
        docs_table_hint first_row = {.header_row = 1};
        minca_err e2 = {0};
        if (detect(w, NULL, &e) == 0 || detect(w, &first_row, &e2) == 0) {
            rc = 0;
            break;
        }
        g_string_append_printf(why, "%s%s: %s", why->len ? "; " : "", w->filename, e.msg);
        g_free(w->data);
        g_free(w->filename);
        w->data = NULL;
        w->filename = NULL;
    }
    if (rc < 0)
        minca_err_set(err, "%s", why->len ? why->str : "the case has no attachment");
    g_string_free(why, TRUE);
    json_decref(sheets);
    return rc;
}

/* The broker already has a profile: start from its mapping (it is what gets changed), read
 * by applying it to the attachment, so each column shows the field the profile gives it. */
static void start_from_profile(tui_view *v, PGconn *db, long long ins)
{
    wizard *w = v->priv;
    int version = 0;
    minca_err err = {0};
    char *yaml = profile_store_get(db, ins, w->name, &version, &err);
    if (!yaml)
        return;
    profile *p = NULL;
    docs_book *book = NULL;
    profile_result res;
    memset(&res, 0, sizeof res);
    char origin[128];
    snprintf(origin, sizeof origin, "db:%s v%d", w->name, version);
    if (profile_load_string(yaml, strlen(yaml), origin, &p, &err) == 0 &&
        docs_open(w->data, w->len, w->filename, NULL, &book, &err) == 0) {
        profile_options opts = {.sender_domain = w->domain};
        if (profile_extract_book(book, p, &opts, &res, &err) == 0 && res.sheet &&
            strcmp(res.sheet, w->sheet) == 0 && res.header_row == w->header_row) {
            for (int k = 0; k < res.n_columns; k++)
                for (int i = 0; i < w->ncols; i++) {
                    wiz_col *c = &w->cols[i];
                    if (c->col != res.columns[k].col)
                        continue;
                    profile_field f = res.columns[k].field == PF_NONE ? PF_IGNORE : res.columns[k].field;
                    g_free(c->reason);
                    if (res.columns[k].beyond_profile) {   /* saving the profile adds it */
                        c->reason = core_strdup_printf("not in profile %s v%d, mapped automatically: %s", w->name,
                                                       version, res.columns[k].reason);
                        c->confidence = res.columns[k].confidence;
                    } else {
                        c->reason = core_strdup_printf("in profile %s v%d", w->name, version);
                        c->confidence = 1.0;
                    }
                    c->suggested = f;
                    set_field(c, f);
                }
            w->from_version = version;
        }
    }
    if (!w->from_version)
        log_info("tui: wizard: profile %s does not apply to %s as detected (%s); starting from the suggestions",
                 w->name, w->filename, err.msg[0] ? err.msg : "other sheet or header row");
    profile_result_clear(&res);
    docs_close(book);
    profile_free(p);
    g_free(yaml);
}

tui_view *tui_wizard_new(tui_app *app, const char *cot)
{
    PGconn *db = tui_app_db(app);
    long long ins = db ? tui_app_insurer_id(app) : 0;
    if (!db || !ins)
        return NULL;
    minca_err err = {0};
    json_t *head = store_tui_case_head(db, ins, cot, &err);
    if (!head) {
        tui_app_message(app, TUI_EL_ERROR, "cannot open the wizard: %s", err.msg);
        return NULL;
    }
    tui_view *v = tui_view_new(app, &tui_pane_wizard_ops);
    if (!v) {
        json_decref(head);
        return NULL;
    }
    wizard *w = v->priv;
    w->cot = g_strdup(cot);
    w->case_id = tui_json_int(head, "id");
    const char *domain = tui_json_str(head, "sender_domain");
    w->domain = *domain ? g_ascii_strdown(domain, -1) : NULL;
    w->broker = g_strdup(tui_json_str(head, "broker"));
    w->name = *tui_json_str(head, "profile_name") ? g_strdup(tui_json_str(head, "profile_name"))
                                                  : name_from_domain(w->domain, w->case_id);
    json_t *head_profile = json_pack("{s:s}", "profile_name", tui_json_str(head, "profile_name"));
    json_decref(head);
    if (load_sheet(v, db, ins, &err) < 0) {
        tui_app_message(app, TUI_EL_ERROR, "no sheet to learn from in %s: %s", cot, err.msg);
        json_decref(head_profile);
        tui_view_free(v);
        return NULL;
    }
    if (*tui_json_str(head_profile, "profile_name"))
        start_from_profile(v, db, ins);
    json_decref(head_profile);
    ask_model(w, db, ins);
    fill_tables(w);
    v->loaded = true;
    if (w->from_version)
        tui_app_message(app, TUI_EL_NORMAL, "%d columns of %s, mapped as in profile %s v%d", w->ncols, w->filename,
                        w->name, w->from_version);
    else
        tui_app_message(app, TUI_EL_NORMAL, "%d columns read from %s", w->ncols, w->filename);
    return v;
}
