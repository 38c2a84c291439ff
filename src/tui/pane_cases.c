/* Cases pane: the insurer's cases, newest first, with vehicle counts by decision. The
 * selected case is the one the Matches pane shows; Enter opens the case's detail. */
#include "minca/tui.h"
#include "minca/store.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cases_cols[] = {
    {"COT", 15, 0, false},      {"Client", 14, 3, false}, {"Broker", 8, 1, false},
    {"Status", 9, 0, false},    {"Veh", 3, 0, true},      {"A/R/N", 7, 0, true},
    {"Received", 11, 0, false},
};
#define N_COLS (int)(sizeof cases_cols / sizeof cases_cols[0])

static const char *empty_hint = "No cases yet. Every message with a vehicle list becomes a case: run\n"
                                "`minca batch PATH`, then press {reload}.";

static int cases_open(tui_view *v)
{
    v->table = tui_table_new(cases_cols, N_COLS);
    if (!v->table)
        return -1;
    tui_table_set_empty(v->table, empty_hint);
    return 0;
}

static void cases_close(tui_view *v) { tui_table_free(v->table); }

static tui_elem status_elem(const char *status)
{
    if (strcmp(status, "error") == 0)
        return TUI_EL_ERROR;
    if (strcmp(status, "review") == 0)
        return TUI_EL_WARN;
    if (strcmp(status, "ready") == 0 || strcmp(status, "exported") == 0)
        return TUI_EL_OK;
    return TUI_EL_NORMAL;
}

static void cases_select(tui_view *v)
{
    tui_app_set_current_case(v->app, tui_table_selected_key(v->table));
}

static void cases_refresh(tui_view *v)
{
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db) {
        cases_select(v);
        return;
    }
    minca_err err = {0};
    json_t *list = store_case_list(db, insurer_id, &err);
    if (!list) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read cases: %s", err.msg);
        return;
    }
    tui_table_clear(v->table);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        char veh[16], counts[48], date[32];
        snprintf(veh, sizeof veh, "%lld", tui_json_int(c, "vehicles"));
        /* accepted/picked rows were reviewed into a key: they count with the automatic ones. */
        snprintf(counts, sizeof counts, "%lld/%lld/%lld", tui_json_int(c, "auto") + tui_json_int(c, "reviewed"),
                 tui_json_int(c, "review"), tui_json_int(c, "no_match"));
        tui_text_when(tui_json_str(c, "received"), date, sizeof date);
        const char *cells[N_COLS] = {tui_json_str(c, "cot"), tui_json_str(c, "client_name"), tui_json_str(c, "broker"),
                                     tui_json_str(c, "status"), veh, counts, date};
        tui_table_add(v->table, tui_json_str(c, "cot"), cells, status_elem(tui_json_str(c, "status")), c);
        tui_table_set_sort_key(v->table, 6, tui_json_str(c, "received"));
    }
    tui_table_done(v->table);
    tui_table_set_empty(v->table, empty_hint);
    json_decref(list);
    cases_select(v);
}

static void field(GString *out, const char *label, const char *value)
{
    if (value && *value)
        g_string_append_printf(out, "%-16s %s\n", label, value);
}

static const char *decision_label(const char *d)
{
    if (!*d)
        return "not codified";
    if (strcmp(d, "auto_accept") == 0)
        return "auto";
    if (strcmp(d, "needs_review") == 0)
        return "review";
    if (strcmp(d, "no_match") == 0)
        return "no match";
    return d;
}

static tui_view *cases_enter(tui_view *v)
{
    const char *cot = tui_table_selected_key(v->table);
    if (!cot)
        return NULL;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return NULL;
    minca_err err = {0};
    json_t *k = store_case_show(db, insurer_id, cot, &err);
    if (!k) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read case %s: %s", cot, err.msg);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    field(out, "Status:", tui_json_str(k, "status"));
    field(out, "Reason:", tui_json_str(k, "status_reason"));
    field(out, "Client:", tui_json_str(k, "client_name"));
    field(out, "RFC:", tui_json_str(k, "rfc"));
    field(out, "Broker:", tui_json_str(k, "broker"));
    field(out, "Coverage:", tui_json_str(k, "coverage"));
    field(out, "Payment:", tui_json_str(k, "payment_terms"));
    field(out, "Use:", tui_json_str(k, "uso"));
    if (*tui_json_str(k, "validity_start"))
        g_string_append_printf(out, "%-16s %s to %s\n", "Validity:", tui_json_str(k, "validity_start"),
                               tui_json_str(k, "validity_end"));
    field(out, "Created:", tui_json_str(k, "created_at"));
    char from[512];
    snprintf(from, sizeof from, "%s <%s>", tui_json_str(k, "from_name"), tui_json_str(k, "from_addr"));
    if (*tui_json_str(k, "from_addr"))
        field(out, "From:", from);
    field(out, "Subject:", tui_json_str(k, "subject"));
    field(out, "Received:", tui_json_str(k, "received_at"));
    field(out, "Pre-analysis:", tui_json_str(k, "preanalysis_status"));
    json_t *missing = json_object_get(k, "missing_requirements");
    size_t i;
    json_t *item;
    if (json_array_size(missing)) {
        g_string_append(out, "Missing:\n");
        char *text = tui_json_text(missing, 2);
        g_string_append(out, text);
        free(text);
    }
    if (json_is_true(json_object_get(k, "needs_profile")))
        g_string_append(out, json_array_size(json_object_get(k, "vehicles"))
                                 ? "The broker has no profile yet: the sheet's columns were guessed.\n"
                                 : "The broker has no profile yet: the vehicle list could not be read.\n");

    json_t *atts = json_object_get(k, "attachments");
    g_string_append_printf(out, "\nAttachments (%zu):\n", json_array_size(atts));
    json_array_foreach(atts, i, item)
        g_string_append_printf(out, "  %lld. %s  %s%s%s\n", tui_json_int(item, "ordinal"), tui_json_str(item, "filename"),
                               tui_json_str(item, "status"), *tui_json_str(item, "error") ? ": " : "",
                               tui_json_str(item, "error"));

    json_t *rows = json_object_get(k, "vehicles");
    int counts[4] = {0}; /* auto+reviewed, review, no match, not codified */
    json_array_foreach(rows, i, item) {
        const char *d = tui_json_str(item, "decision");
        if (!*d)
            counts[3]++;
        else if (strcmp(d, "needs_review") == 0)
            counts[1]++;
        else if (strcmp(d, "no_match") == 0 || strcmp(d, "rejected") == 0)
            counts[2]++;
        else
            counts[0]++;
    }
    g_string_append_printf(out, "\nVehicles: %zu (%d with a key, %d to review, %d no match, %d not codified)\n",
                           json_array_size(rows), counts[0], counts[1], counts[2], counts[3]);
    json_array_foreach(rows, i, item) {
        if (i >= 200) {
            g_string_append_printf(out, "  … %zu more in the Matches pane\n", json_array_size(rows) - i);
            break;
        }
        char desc[200]; /* padded by columns, not bytes, so accents keep the table aligned */
        tui_text_fit(*tui_json_str(item, "description") ? tui_json_str(item, "description")
                                                         : tui_json_str(item, "submarca"),
                     36, false, desc, sizeof desc);
        g_string_append_printf(out, "  %3lld  %s %4lld  %-10s %s\n", tui_json_int(item, "inciso"), desc,
                               tui_json_int(item, "year"), tui_json_str(item, "cvegs"),
                               decision_label(tui_json_str(item, "decision")));
    }
    char *title = core_strdup_printf("Case %s", cot);
    tui_view *pv = tui_pager_new(v->app, title, out->str);
    free(title);
    g_string_free(out, TRUE);
    json_decref(k);
    return pv;
}

const tui_view_ops tui_pane_cases_ops = {
    .name = "cases",
    .title = "Cases",
    .open = cases_open,
    .close = cases_close,
    .refresh = cases_refresh,
    .enter = cases_enter,
    .select = cases_select,
};
