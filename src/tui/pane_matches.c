/* Matches pane: the vehicle rows of the case selected in Cases, with the codifier's key,
 * decision and confidence. A header line names the case; Enter shows one row in full. */
#include "minca/store.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column matches_cols[] = {
    {"Inc", 4, 0, true},    {"Description", 20, 1, false}, {"Year", 4, 0, true},
    {"Key", 10, 0, false},  {"Decision", 8, 0, false},     {"Conf", 5, 0, true},
};
#define N_COLS (int)(sizeof matches_cols / sizeof matches_cols[0])

typedef struct matches {
    json_t *kase;      /* store_case_show() of the case shown, or NULL */
    char *cot;
} matches;

static const char *no_case_hint = "No case selected. Pick one in the Cases pane ({cases}), then come back here ({matches}).";

static int matches_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    v->priv = calloc(1, sizeof(matches));
    v->table = tui_table_new(matches_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_empty(v->table, no_case_hint);
    return 0;
}

static void matches_close(tui_view *v)
{
    matches *m = v->priv;
    if (m) {
        json_decref(m->kase);
        free(m->cot);
        free(m);
    }
    tui_table_free(v->table);
}

static const char *decision_label(const char *d)
{
    if (!*d)
        return "—";
    if (strcmp(d, "auto_accept") == 0)
        return "auto";
    if (strcmp(d, "needs_review") == 0)
        return "review";
    if (strcmp(d, "no_match") == 0)
        return "no match";
    return d;
}

static tui_elem decision_elem(const char *d)
{
    if (strcmp(d, "needs_review") == 0)
        return TUI_EL_WARN;
    if (strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0)
        return TUI_EL_ERROR;
    if (*d)
        return TUI_EL_OK;
    return TUI_EL_NORMAL;
}

static void matches_refresh(tui_view *v)
{
    matches *m = v->priv;
    const char *cot = tui_app_current_case(v->app);
    if (!m->cot || !cot || strcmp(m->cot, cot) != 0) {
        /* Another case: start at its first row with no filter. */
        tui_table_clear(v->table);
        tui_table_done(v->table);
        tui_table_set_filter(v->table, NULL);
    }
    free(m->cot);
    m->cot = cot ? strdup(cot) : NULL;
    json_decref(m->kase);
    m->kase = NULL;
    if (!cot) {
        tui_table_clear(v->table);
        tui_table_done(v->table);
        tui_table_set_empty(v->table, no_case_hint);
        return;
    }
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    m->kase = store_case_show(db, insurer_id, cot, &err);
    tui_table_clear(v->table);
    if (!m->kase) {
        tui_table_done(v->table);
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read case %s: %s", cot, err.msg);
        return;
    }
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(m->kase, "vehicles"), i, r) {
        char key[32], inciso[16], year[16], conf[16];
        snprintf(key, sizeof key, "%lld", tui_json_int(r, "id"));
        json_t *inc = json_object_get(r, "inciso");
        snprintf(inciso, sizeof inciso, "%lld", json_is_null(inc) || !inc ? (long long)i + 1 : tui_json_int(r, "inciso"));
        json_t *y = json_object_get(r, "match_year");
        if (!json_is_integer(y))
            y = json_object_get(r, "year");
        if (json_is_integer(y))
            snprintf(year, sizeof year, "%lld", (long long)json_integer_value(y));
        else
            year[0] = '\0';
        json_t *c = json_object_get(r, "confidence");
        if (json_is_number(c))
            snprintf(conf, sizeof conf, "%.2f", json_number_value(c));
        else
            conf[0] = '\0';
        char desc[512];
        if (*tui_json_str(r, "description"))
            snprintf(desc, sizeof desc, "%s", tui_json_str(r, "description"));
        else
            snprintf(desc, sizeof desc, "%s %s", tui_json_str(r, "marca"), tui_json_str(r, "submarca"));
        const char *decision = tui_json_str(r, "decision");
        const char *cells[N_COLS] = {inciso, desc, year, tui_json_str(r, "cvegs"), decision_label(decision), conf};
        tui_table_add(v->table, key, cells, decision_elem(decision), r);
    }
    tui_table_done(v->table);
    tui_table_set_empty(v->table, json_is_true(json_object_get(m->kase, "needs_profile"))
                                      ? "No vehicle rows: this broker's sheet needs a profile before it can be read."
                                      : "This case has no vehicle rows yet (still being read, or its email had no "
                                        "vehicle list).");
}

static void matches_draw(tui_view *v, WINDOW *win, int h, int w)
{
    matches *m = v->priv;
    char head[600];
    if (m->kase) {
        int n = tui_table_total(v->table), review = 0, nomatch = 0, keyed = 0;
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(m->kase, "vehicles"), i, r) {
            tui_elem e = decision_elem(tui_json_str(r, "decision"));
            review += e == TUI_EL_WARN;
            nomatch += e == TUI_EL_ERROR;
            keyed += e == TUI_EL_OK;
        }
        snprintf(head, sizeof head, " %s · %s · %s · %d vehicles: %d keyed, %d to review, %d no match", m->cot,
                 *tui_json_str(m->kase, "client_name") ? tui_json_str(m->kase, "client_name") : "(client unknown)",
                 tui_json_str(m->kase, "status"), n, keyed, review, nomatch);
    } else {
        snprintf(head, sizeof head, " Matches");
    }
    wattrset(win, tui_theme_attr(TUI_EL_TITLE));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, head, false);
    wattrset(win, A_NORMAL);
    v->body_rows = h - 2;
    tui_table_draw(v->table, win, 1, 0, h - 1, w);
}

static bool needs_review(json_t *row, void *user)
{
    (void)user;
    return strcmp(tui_json_str(row, "decision"), "needs_review") == 0;
}

static bool matches_key(tui_view *v, tui_action act, tui_key key)
{
    (void)key;
    if (act != TUI_ACT_NEXT_REVIEW)
        return false;
    if (!tui_table_select_next(v->table, needs_review, NULL))
        tui_app_message(v->app, TUI_EL_OK, "no row of this case needs review");
    return true;
}

static tui_view *matches_enter(tui_view *v)
{
    json_t *r = tui_table_selected(v->table);
    matches *m = v->priv;
    if (!r || !m->cot)
        return NULL;
    GString *out = g_string_new(NULL);
    static const char *fields[][2] = {
        {"inciso", "Inciso"},         {"source_sheet", "Sheet"},  {"source_row", "Row"},
        {"marca", "Brand"},           {"submarca", "Model"},      {"year", "Year"},
        {"description", "Description"}, {"vin", "VIN"},           {"plates", "Plates"},
        {"use", "Use"},               {"coverage", "Coverage"},   {"insured_amount", "Insured amount"},
        {"cvegs", "Key (CVEGS)"},     {"match_year", "Key year"}, {"confidence", "Confidence"},
        {"decision", "Decision"},     {"reviewed_by", "Reviewed by"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *val = json_object_get(r, fields[i][0]);
        if (!val || json_is_null(val))
            continue;
        char *text = json_is_string(val) ? strdup(json_string_value(val))
                     : json_is_real(val)   ? core_strdup_printf(strcmp(fields[i][0], "insured_amount") == 0 ? "%.2f" : "%.4g",
                                                                    json_real_value(val))
                                           : json_dumps(val, JSON_ENCODE_ANY);
        if (text && *text)
            g_string_append_printf(out, "%-16s %s\n", fields[i][1], text);
        free(text);
    }
    json_t *issues = json_object_get(r, "issues");
    if (json_array_size(issues)) {
        g_string_append(out, "\nIssues:\n");
        char *text = tui_json_text(issues, 2);
        g_string_append(out, text);
        free(text);
    }
    char *title = core_strdup_printf("%s · inciso %lld · %s", m->cot, tui_json_int(r, "inciso"),
                                     *tui_json_str(r, "description") ? tui_json_str(r, "description") : tui_json_str(r, "submarca"));
    tui_view *pv = tui_pager_new(v->app, title, out->str);
    free(title);
    g_string_free(out, TRUE);
    return pv;
}

const tui_view_ops tui_pane_matches_ops = {
    .name = "matches",
    .title = "Matches",
    .open = matches_open,
    .close = matches_close,
    .refresh = matches_refresh,
    .draw = matches_draw,
    .key = matches_key,
    .enter = matches_enter,
};
