/* The audit trail of a case as a table (H): time, who, action, inciso, and what changed
 * (before → after) in words, oldest first; Enter shows an entry in full. */
#include "minca/store.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column audit_cols[] = {
    {"Time", 11, 0, false}, {"Who", 8, 0, false}, {"Action", 10, 0, false},
    {"Inciso", 6, 0, true}, {"Before → after", 20, 6, false},
};
#define N_COLS (int)(sizeof audit_cols / sizeof audit_cols[0])

typedef struct audit {
    char *cot;
    json_t *entries;
} audit;

/* A match state of a decision's details ({decision, cvegs, year}) in words; the key left out
 * when with_key is false. */
static void state_text(json_t *st, bool with_key, char *out, size_t outsz)
{
    const char *d = tui_json_str(st, "decision"), *cvegs = tui_json_str(st, "cvegs");
    long long year = tui_json_int(st, "year");
    const char *word = !*d                                                          ? "—"
                       : strcmp(d, "needs_review") == 0                             ? "to review"
                       : strcmp(d, "auto_accept") == 0                              ? "auto"
                       : strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0 ? "no match"
                                                                                    : d;
    if (with_key && *cvegs && strcmp(word, "no match") != 0)
        snprintf(out, outsz, "%s %s %lld", word, cvegs, year);
    else
        snprintf(out, outsz, "%s", word);
}

/* The scalar details of an entry as "key value" pairs, the ids the other columns show left out. */
static void details_text(json_t *details, GString *out)
{
    const char *k;
    json_t *val;
    json_object_foreach(details, k, val) {
        if (strcmp(k, "case_id") == 0 || strcmp(k, "vehicle_row_id") == 0)
            continue;
        if (json_is_string(val)) {
            g_string_append_printf(out, "%s%s %s", out->len ? ", " : "", k, json_string_value(val));
        } else if (!json_is_array(val) && !json_is_object(val)) {
            char *text = json_dumps(val, JSON_ENCODE_ANY);
            if (text)
                g_string_append_printf(out, "%s%s %s", out->len ? ", " : "", k, text);
            free(text);
        }
    }
}

static char *change_text(json_t *e)
{
    const char *action = tui_json_str(e, "action");
    json_t *d = json_object_get(e, "details");
    GString *out = g_string_new(NULL);
    if (json_is_object(json_object_get(d, "before")) && json_is_object(json_object_get(d, "after"))) {
        /* A decision that keeps the key names it once, after the arrow ("to review → accepted
         * 40002 2024"): the change reads whole in an 80-column terminal. */
        json_t *b = json_object_get(d, "before"), *a = json_object_get(d, "after");
        bool same_key = *tui_json_str(b, "cvegs") && strcmp(tui_json_str(b, "cvegs"), tui_json_str(a, "cvegs")) == 0 &&
                        tui_json_int(b, "year") == tui_json_int(a, "year");
        char before[96], after[96];
        state_text(b, !same_key, before, sizeof before);
        state_text(a, true, after, sizeof after);
        g_string_append_printf(out, "%s → %s", before, after);
        if (*tui_json_str(d, "group"))
            g_string_append(out, " (group)");
    } else if (strcmp(action, "review.note") == 0) {
        g_string_append_printf(out, "note: %s", tui_json_str(d, "note"));
    } else if (strcmp(action, "review.undo") == 0) {
        g_string_append_printf(out, "the decision of entry %lld undone", tui_json_int(d, "undoes"));
    } else {
        details_text(d, out);
    }
    char *r = g_strdup(out->str);
    g_string_free(out, TRUE);
    return r;
}

static int audit_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    v->priv = g_malloc0_n(1, sizeof(audit));
    v->table = tui_table_new(audit_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_empty(v->table, "No audit entry for this case yet.");
    return 0;
}

static void audit_close(tui_view *v)
{
    audit *a = v->priv;
    if (a) {
        g_free(a->cot);
        json_decref(a->entries);
        g_free(a);
    }
    tui_table_free(v->table);
}

static void audit_refresh(tui_view *v)
{
    audit *a = v->priv;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    long long case_id = review_case_id(db, insurer_id, a->cot, &err);
    store_audit_filter f = {.insurer_id = insurer_id, .case_id = case_id};
    json_t *list = case_id > 0 ? store_audit_list(db, &f, &err) : NULL;
    if (!list) {
        tui_app_message(v->app, TUI_EL_ERROR, "audit of %s: %s", a->cot, case_id == 0 ? "no such case" : err.msg);
        return;
    }
    json_decref(a->entries);
    a->entries = list;
    tui_table_clear(v->table);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        char when[32], inciso[16] = "", key[32];
        tui_text_when(tui_json_str(e, "at"), when, sizeof when);
        if (json_is_integer(json_object_get(e, "inciso")))
            snprintf(inciso, sizeof inciso, "%lld", tui_json_int(e, "inciso"));
        const char *action = tui_json_str(e, "action");
        if (strncmp(action, "review.", 7) == 0)
            action += 7;
        char *change = change_text(e);
        const char *cells[N_COLS] = {when, tui_json_str(e, "actor"), action, inciso, change};
        snprintf(key, sizeof key, "%lld", tui_json_int(e, "id"));
        tui_table_add(v->table, key, cells, TUI_EL_NORMAL, e);
        tui_table_set_sort_key(v->table, 0, tui_json_str(e, "at"));
        g_free(change);
    }
    tui_table_done(v->table);
    tui_table_set_empty(v->table, "No audit entry for this case yet.");
}

static void audit_draw(tui_view *v, WINDOW *win, int h, int w)
{
    audit *a = v->priv;
    char title[200];
    snprintf(title, sizeof title, " Audit trail of %s · %d entries, oldest first · Enter: an entry in full", a->cot,
             tui_table_total(v->table));
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, title, false);
    wattrset(win, A_NORMAL);
    v->body_rows = h - 2;
    tui_table_draw(v->table, win, 1, 0, h - 1, w);
}

static tui_view *audit_enter(tui_view *v)
{
    json_t *e = tui_table_selected(v->table);
    if (!e)
        return NULL;
    char *details = tui_json_text(json_object_get(e, "details"), 2);
    char *change = change_text(e);
    char *text = core_strdup_printf("%s  %s (account %s)\n%s %s %s\n%s\n\n%s\n", tui_json_str(e, "at"),
                                    tui_json_str(e, "actor"), tui_json_str(e, "os_login"), tui_json_str(e, "action"),
                                    tui_json_str(e, "entity"), tui_json_str(e, "entity_id"), change, details);
    char title[64];
    snprintf(title, sizeof title, "Audit entry %lld", tui_json_int(e, "id"));
    tui_view *p = tui_pager_new(v->app, title, text);
    g_free(text);
    g_free(change);
    g_free(details);
    return p;
}

static const tui_view_ops audit_ops = {
    .name = "audit",
    .title = "Audit",
    .open = audit_open,
    .close = audit_close,
    .refresh = audit_refresh,
    .draw = audit_draw,
    .enter = audit_enter,
};

tui_view *tui_audit_new(tui_app *app, const char *cot)
{
    tui_view *v = tui_view_new(app, &audit_ops);
    if (!v)
        return NULL;
    audit *a = v->priv;
    a->cot = g_strdup(cot);
    return v;
}
