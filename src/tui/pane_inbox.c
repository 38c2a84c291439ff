/* Inbox pane: the insurer's messages, newest first; Enter shows the message, its
 * attachments and what extraction made of them. */
#include "minca/store_tui.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column inbox_cols[] = {
    {"Received", 11, 0, false}, {"From", 10, 1, false}, {"Subject", 16, 5, false},
    {"Att", 3, 0, true},        {"Broker", 7, 1, false}, {"Case", 15, 0, false},
};
#define N_COLS (int)(sizeof inbox_cols / sizeof inbox_cols[0])

static const char *empty_hint = "No messages yet. Run `minca batch PATH` to load .eml files (a folder of them works\n"
                                "too), then press {reload}; {compose} types one in. `make run` loads the demo inbox.";

static int inbox_open(tui_view *v)
{
    v->table = tui_table_new(inbox_cols, N_COLS);
    if (!v->table)
        return -1;
    tui_table_set_empty(v->table, empty_hint);
    return 0;
}

static void inbox_close(tui_view *v) { tui_table_free(v->table); }

static void inbox_refresh(tui_view *v)
{
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return;
    minca_err err = {0};
    json_t *list = store_message_list(db, insurer_id, &err);
    if (!list) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read messages: %s", err.msg);
        return;
    }
    tui_table_clear(v->table);
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        char key[32], atts[16];
        snprintf(key, sizeof key, "%lld", tui_json_int(m, "id"));
        long long n_att = tui_json_int(m, "attachments");
        snprintf(atts, sizeof atts, "%lld", n_att);
        const char *from = *tui_json_str(m, "from_name") ? tui_json_str(m, "from_name") : tui_json_str(m, "from_addr");
        const char *received = *tui_json_str(m, "sent") ? tui_json_str(m, "sent") : tui_json_str(m, "received");
        const char *cot = *tui_json_str(m, "cot") ? tui_json_str(m, "cot") : "—";
        char when[32];
        tui_text_when(received, when, sizeof when);
        const char *cells[N_COLS] = {when, from, tui_json_str(m, "subject"), n_att ? atts : "",
                                     tui_json_str(m, "broker"), cot};
        const char *status = tui_json_str(m, "status");
        tui_elem elem = strcmp(status, "error") == 0 ? TUI_EL_ERROR
                        : strcmp(status, "ignored") == 0 ? TUI_EL_DIM
                                                         : TUI_EL_NORMAL;
        tui_table_add(v->table, key, cells, elem, m);
        tui_table_set_sort_key(v->table, 0, received);
    }
    tui_table_done(v->table);
    tui_table_set_empty(v->table, empty_hint);
    json_decref(list);
}

static void append_field(GString *out, const char *label, const char *value)
{
    if (value && *value)
        g_string_append_printf(out, "%-10s %s\n", label, value);
}

/* One line first: which sheet and header row were read, how many rows, what went wrong. */
static void append_extraction(GString *out, json_t *ex)
{
    if (!ex || json_is_null(ex))
        return;
    json_t *rep = json_object_get(ex, "report");
    if (!rep)
        rep = ex;
    if (json_object_get(rep, "rows")) {
        g_string_append_printf(out, "      read: %s%s%s", *tui_json_str(rep, "sheet") ? "sheet '" : "",
                               tui_json_str(rep, "sheet"), *tui_json_str(rep, "sheet") ? "', " : "");
        if (json_object_get(rep, "header_row"))
            g_string_append_printf(out, "header row %lld, ", tui_json_int(rep, "header_row"));
        g_string_append_printf(out, "%lld rows, %lld errors, %lld warnings, %lld skipped; %s\n", tui_json_int(rep, "rows"),
                               tui_json_int(rep, "errors"), tui_json_int(rep, "warnings"), tui_json_int(rep, "skipped"),
                               *tui_json_str(rep, "profile") ? tui_json_str(rep, "profile")
                                                             : "columns guessed (no broker profile)");
    }
    char *text = tui_json_text(ex, 6);
    g_string_append(out, text);
    g_free(text);
}

static tui_view *inbox_enter(tui_view *v)
{
    json_t *sel = tui_table_selected(v->table);
    if (!sel)
        return NULL;
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    if (!db)
        return NULL;
    minca_err err = {0};
    json_t *m = store_tui_message_show(db, insurer_id, tui_json_int(sel, "id"), &err);
    if (!m) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot read the message: %s", err.msg);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    char from[512];
    if (*tui_json_str(m, "from_name"))
        snprintf(from, sizeof from, "%s <%s>", tui_json_str(m, "from_name"), tui_json_str(m, "from_addr"));
    else
        snprintf(from, sizeof from, "%s", tui_json_str(m, "from_addr"));
    append_field(out, "From:", from);
    append_field(out, "To:", tui_json_str(m, "to_addrs"));
    append_field(out, "Subject:", tui_json_str(m, "subject"));
    append_field(out, "Sent:", tui_json_str(m, "sent"));
    append_field(out, "Received:", tui_json_str(m, "received"));
    append_field(out, "Broker:", tui_json_str(m, "broker"));
    {
        /* Where it came in: the source kind, the configured source and its own id. */
        char src[512];
        snprintf(src, sizeof src, "%s%s%s%s%s", tui_json_str(m, "source"), *tui_json_str(m, "source_name") ? " " : "",
                 tui_json_str(m, "source_name"), *tui_json_str(m, "source_ref") ? ", " : "", tui_json_str(m, "source_ref"));
        append_field(out, "Source:", src);
    }
    if (*tui_json_str(m, "cot"))
        g_string_append_printf(out, "%-10s %s (%s)\n", "Case:", tui_json_str(m, "cot"), tui_json_str(m, "case_status"));
    append_field(out, "Status:", tui_json_str(m, "status"));
    append_field(out, "Error:", tui_json_str(m, "error"));
    json_t *problems = json_object_get(m, "problems");
    if (json_array_size(problems)) {
        g_string_append(out, "Problems:\n");
        char *text = tui_json_text(problems, 2);
        g_string_append(out, text);
        g_free(text);
    }
    json_t *atts = json_object_get(m, "attachments");
    g_string_append_printf(out, "\nAttachments (%zu):\n", json_array_size(atts));
    size_t i;
    json_t *a;
    json_array_foreach(atts, i, a) {
        g_string_append_printf(out, "  %lld. %s: %s, %lld bytes\n      type: %s\n", tui_json_int(a, "ordinal"),
                               *tui_json_str(a, "filename") ? tui_json_str(a, "filename") : "(no name)",
                               tui_json_str(a, "status"), tui_json_int(a, "size"), tui_json_str(a, "content_type"));
        if (*tui_json_str(a, "error"))
            g_string_append_printf(out, "      error: %s\n", tui_json_str(a, "error"));
        append_extraction(out, json_object_get(a, "extraction"));
    }
    const char *body = tui_json_str(m, "body_text");
    g_string_append(out, "\n");
    if (*body)
        g_string_append(out, body);
    else if (json_is_true(json_object_get(m, "has_html")))
        g_string_append(out, "(HTML only message; no text part)");
    else
        g_string_append(out, "(no text)");
    char *title = core_strdup_printf("Message: %s", tui_json_str(m, "subject"));
    tui_view *pv = tui_pager_new(v->app, title, out->str);
    g_free(title);
    g_string_free(out, TRUE);
    json_decref(m);
    return pv;
}

static bool act_compose(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    tui_app_push(v->app, tui_compose_new(v->app));
    return true;
}

static const tui_action_row inbox_rows[] = {
    {TUI_ACT_COMPOSE, act_compose},
    TUI_ROWS_END,
};

const tui_view_ops tui_pane_inbox_ops = {
    .name = "inbox",
    .title = "Inbox",
    .open = inbox_open,
    .close = inbox_close,
    .refresh = inbox_refresh,
    .enter = inbox_enter,
    .actions = inbox_rows,
};
