/* Cases pane: the insurer's cases by their clock (late first, the longest overdue first, then
 * soonest due, then the cases without a running clock), with vehicle counts by decision
 * (automatic or reviewed key / to review / no match). The selected case is the one the
 * Matches tab shows; Enter opens the case (its matches, pushed over the list). `/` filters
 * on any column (client, RFC, broker, date), `o` sorts, `f` shows one status at a time; `r`
 * answers the selected case's broker (the compose form), the Reply column showing the newest
 * message sent and its state; `T` takes the case (the Owner column), or gives one's own back. */
#include "minca/tui.h"
#include "minca/store.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cases_cols[] = {
    {"COT", 15, 0, false},   {"Client", 7, 4, false},  {"RFC", 13, 0, false},   {"Broker", 8, 2, false},
    {"Received", 11, 0, false}, {"Veh", 3, 0, true},   {"A/R/N", 7, 0, true},   {"Status", 8, 0, false},
    {"Due", 8, 0, false},    {"Reply", 9, 0, false},   {"Owner", 8, 1, false},
};
#define N_COLS (int)(sizeof cases_cols / sizeof cases_cols[0])
#define COL_RFC 2
#define COL_BROKER 3
#define COL_RECEIVED 4
#define COL_ARN 6
#define COL_DUE 8
#define COL_REPLY 9
#define COL_OWNER 10

static const char *empty_hint = "No cases yet. Every message with a vehicle list becomes a case: run\n"
                                "`minca batch PATH`, then press {reload}.";

typedef struct cases_pane {
    char *status;      /* only cases with this status, NULL: all */
    json_t *statuses;  /* the statuses seen at the last refresh, for cycling */
    int late;          /* late cases at the last refresh */
} cases_pane;

static int cases_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    v->priv = g_malloc0_n(1, sizeof(cases_pane));
    v->table = tui_table_new(cases_cols, N_COLS);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_empty(v->table, empty_hint);
    tui_table_set_optional(v->table, COL_REPLY);   /* shown once a case has a message sent */
    tui_table_set_optional(v->table, COL_DUE);     /* shown once a case has a running clock */
    tui_table_set_optional(v->table, COL_OWNER);   /* shown once a case has an owner */
    /* At 80 columns RFC, A/R/N and Received make room for Due, Reply and Owner. */
    tui_table_set_drop(v->table, COL_RFC, 4);
    tui_table_set_drop(v->table, COL_ARN, 3);
    tui_table_set_drop(v->table, COL_RECEIVED, 2);
    tui_table_set_drop(v->table, COL_BROKER, 1);
    return 0;
}

static void cases_close(tui_view *v)
{
    cases_pane *cp = v->priv;
    if (cp) {
        g_free(cp->status);
        json_decref(cp->statuses);
        g_free(cp);
    }
    tui_table_free(v->table);
}

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

/* A span of time in its largest whole unit: 45m, 3h, 2d. */
static void span(long long secs, char *out, size_t n)
{
    if (secs < 0)
        secs = -secs;
    if (secs < 3600)
        snprintf(out, n, "%lldm", secs / 60);
    else if (secs < 48 * 3600)
        snprintf(out, n, "%lldh", secs / 3600);
    else
        snprintf(out, n, "%lldd", secs / 86400);
}

/* Whether a case's clock runs (it has a due time and no quote went out), or it is late. */
static bool clock_runs(json_t *c)
{
    return json_is_true(json_object_get(c, "late")) ||
           (json_is_integer(json_object_get(c, "due_in_seconds")) && !json_is_true(json_object_get(c, "clock_stopped")));
}

/* The Due cell ("late 2h", "in 3h", "—": no running clock; empty when no case of the list has
 * one, so the column is left out) and its sort key (the list's own order: late, running,
 * none; then the due time). */
static tui_elem due_cell(json_t *c, bool any_clock, char *cell, size_t n, char *key, size_t kn)
{
    json_t *in = json_object_get(c, "due_in_seconds");
    bool late = json_is_true(json_object_get(c, "late"));
    bool running = json_is_integer(in) && !json_is_true(json_object_get(c, "clock_stopped"));
    char t[24];
    int rank = late ? 0 : running ? 1 : 2;
    snprintf(key, kn, "%d%020lld", rank, running || late ? tui_json_int(c, "due_epoch") : 0);
    if (late) {
        span(json_integer_value(in), t, sizeof t);
        snprintf(cell, n, "late %s", t);
        return TUI_EL_ERROR;
    }
    if (running && json_integer_value(in) >= 0) {
        span(json_integer_value(in), t, sizeof t);
        snprintf(cell, n, "in %s", t);
    } else {
        snprintf(cell, n, "%s", any_clock ? "—" : "");
    }
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
    json_t *list = store_case_list_by_due(db, insurer_id, &err);
    if (!list) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read cases: %s", err.msg);
        return;
    }
    cases_pane *cp = v->priv;
    json_decref(cp->statuses);
    cp->statuses = json_array();
    cp->late = 0;
    tui_table_clear(v->table);
    size_t i;
    json_t *c;
    bool any_clock = false;
    json_array_foreach(list, i, c) any_clock |= clock_runs(c);
    json_array_foreach(list, i, c) {
        const char *status = tui_json_str(c, "status");
        bool seen = false;
        size_t j;
        json_t *st;
        json_array_foreach(cp->statuses, j, st) seen |= strcmp(json_string_value(st), status) == 0;
        if (!seen)
            json_array_append_new(cp->statuses, json_string(status));
        if (cp->status && strcmp(cp->status, status) != 0)
            continue;
        char veh[16], counts[48], date[32], due[32], due_key[32];
        tui_elem due_el = due_cell(c, any_clock, due, sizeof due, due_key, sizeof due_key);
        cp->late += due_el == TUI_EL_ERROR;
        snprintf(veh, sizeof veh, "%lld", tui_json_int(c, "vehicles"));
        /* accepted/picked rows were reviewed into a key: they count with the automatic ones. */
        snprintf(counts, sizeof counts, "%lld/%lld/%lld", tui_json_int(c, "auto") + tui_json_int(c, "reviewed"),
                 tui_json_int(c, "review"), tui_json_int(c, "no_match"));
        tui_text_when(tui_json_str(c, "received"), date, sizeof date);
        /* The newest message to the broker and where it stands: queued, sending, sent,
         * failing or uncertain. */
        const char *cells[N_COLS] = {tui_json_str(c, "cot"),   tui_json_str(c, "client_name"), tui_json_str(c, "rfc"),
                                     tui_json_str(c, "broker"), date, veh, counts, status, due, tui_json_str(c, "outbox"),
                                     tui_json_str(c, "assignee")};
        /* A late case is drawn as an error whatever its status. */
        tui_table_add(v->table, tui_json_str(c, "cot"), cells, due_el == TUI_EL_ERROR ? due_el : status_elem(status), c);
        tui_table_set_sort_key(v->table, COL_RECEIVED, tui_json_str(c, "received"));
        tui_table_set_sort_key(v->table, COL_DUE, due_key);
    }
    tui_table_done(v->table);
    if (cp->status) {
        char *hint = core_strdup_printf("No case has status '%s' now. Press {status-filter} to show another status.",
                                        cp->status);
        tui_table_set_empty(v->table, hint);
        g_free(hint);
    } else {
        tui_table_set_empty(v->table, empty_hint);
    }
    json_decref(list);
    cases_select(v);
}

static tui_view *cases_enter(tui_view *v)
{
    const char *cot = tui_table_selected_key(v->table);
    if (!cot)
        return NULL;
    return tui_matches_new(v->app, cot);
}

/* The status filter: all, then each status seen, in the order they first appear. */
static void cycle_status(tui_view *v)
{
    cases_pane *cp = v->priv;
    size_t n = json_array_size(cp->statuses), next = 0;
    if (cp->status) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(json_string_value(json_array_get(cp->statuses, i)), cp->status) == 0)
                next = i + 1;
    }
    g_free(cp->status);
    cp->status = next < n ? g_strdup(json_string_value(json_array_get(cp->statuses, next))) : NULL;
    tui_app_message(v->app, TUI_EL_NORMAL, cp->status ? "showing cases with status %s" : "showing every case%s",
                    cp->status ? cp->status : "");
    v->stale = true;
}

static bool act_status_filter(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    cycle_status(v);
    return true;
}

static bool act_reply(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    const char *cot = tui_table_selected_key(v->table);
    if (cot)
        tui_app_push(v->app, tui_reply_new(v->app, cot));
    return true;
}

/* T: the selected case becomes the user's (audited as their assignment); on their own case,
 * nobody's again. */
static bool act_take(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    const char *cot = tui_table_selected_key(v->table);
    json_t *row = tui_table_selected(v->table);
    PGconn *db = tui_app_db(v->app);
    const char *me = tui_app_user(v->app);
    if (!cot || !row || !db || !me)
        return true;
    const char *owner = tui_json_str(row, "assignee");
    bool mine = strcmp(owner, me) == 0;
    minca_err err = {0};
    char *case_cot = g_strdup(cot), *was = g_strdup(owner);
    int rc = store_case_assign(db, tui_app_insurer_id(v->app), case_cot, mine ? NULL : me, me, &err);
    if (rc < 0)
        tui_app_message(v->app, TUI_EL_ERROR, "cannot assign %s: %s", case_cot, err.msg);
    else if (rc == 0)
        tui_app_message(v->app, TUI_EL_WARN, "%s is gone", case_cot);
    else if (mine)
        tui_app_message(v->app, TUI_EL_NORMAL, "%s has no owner now", case_cot);
    else if (*was)
        tui_app_message(v->app, TUI_EL_OK, "%s is yours (it was %s's)", case_cot, was);
    else
        tui_app_message(v->app, TUI_EL_OK, "%s is yours", case_cot);
    g_free(case_cot);
    g_free(was);
    v->stale = true;
    return true;
}

static bool act_wizard(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    const char *cot = tui_table_selected_key(v->table);
    if (cot)
        tui_app_push(v->app, tui_wizard_new(v->app, cot));
    return true;
}

static const tui_action_row cases_rows[] = {
    {TUI_ACT_STATUS_FILTER, act_status_filter},
    {TUI_ACT_REPLY, act_reply},
    {TUI_ACT_TAKE, act_take},
    {TUI_ACT_WIZARD, act_wizard},
    TUI_ROWS_END,
};

static void cases_draw(tui_view *v, WINDOW *win, int h, int w)
{
    cases_pane *cp = v->priv;
    char late[32] = "";
    if (cp->late)
        snprintf(late, sizeof late, " · %d LATE", cp->late);
    char *head = core_strdup_printf(" Cases%s · status: %s ({status-filter} cycles) · {filter} filters · {sort} sorts ·"
                                    " Enter opens",
                                    late, cp->status ? cp->status : "all");
    char *text = tui_keys_expand(head);
    wattrset(win, tui_theme_attr(TUI_EL_TITLE));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, text, false);
    wattrset(win, A_NORMAL);
    g_free(text);
    g_free(head);
    v->body_rows = h - 2;
    tui_table_draw(v->table, win, 1, 0, h - 1, w);
}

const tui_view_ops tui_pane_cases_ops = {
    .name = "cases",
    .title = "Cases",
    .open = cases_open,
    .close = cases_close,
    .refresh = cases_refresh,
    .draw = cases_draw,
    .actions = cases_rows,
    .enter = cases_enter,
    .select = cases_select,
};
