/* The compose form (`m` in the Inbox): an email typed in at the desk. From, To and Subject
 * are one-line prompts; the body is written in $VISUAL / $EDITOR when one is set, otherwise
 * line by line on the prompt; files are attached by path. Send builds a real MIME message
 * (intake_compose_build) and hands it to the desk's manual source, so it reaches the same
 * pipeline as mail from any other source; its case shows up in the Inbox.
 *
 * The same form answers a case's broker (`r` in the Cases pane): it opens on the reply's
 * draft (reply_draft_make: the quote with the latest export's files, else the request for
 * the missing data), To, Subject and body editable, the sender, files and threading as
 * drafted; sending queues it in the outbox (reply_queue), where the desk's engine sends it. */
#include "minca/intake.h"
#include "minca/engine_intake_poll.h"
#include "minca/queue.h"
#include "minca/desk_reply.h"
#include "minca/tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct compose {
    char *from, *to, *subject;
    GString *body;
    GPtrArray *paths;   /* attached files (char *) */
    int body_lines;     /* lines typed inline in the current body prompt run */
    reply_draft *reply; /* answering a case: its draft (sender, files, threading), or NULL */
} compose;

static const tui_column form_cols[] = {{"Field", 10, 0, false}, {"Value", 20, 1, false}};

static const char *hint = "Enter edit the line · a attach a file · d remove the selected file or clear the field · "
                          "{save} send · {back} cancel";

static int compose_open(tui_view *v)
{
    compose *c = g_malloc0_n(1, sizeof *c);
    v->priv = c;
    v->table = tui_table_new(form_cols, 2);
    if (!c || !v->table)
        return -1;
    tui_table_set_header(v->table, false);
    c->from = g_strdup("");
    c->to = g_strdup("");
    c->subject = g_strdup("");
    c->body = g_string_new(NULL);
    c->paths = g_ptr_array_new_with_free_func(g_free);
    return 0;
}

static void compose_close(tui_view *v)
{
    compose *c = v->priv;
    if (c) {
        g_free(c->from);
        g_free(c->to);
        g_free(c->subject);
        g_string_free(c->body, TRUE);
        g_ptr_array_free(c->paths, TRUE);
        if (c->reply) {
            reply_draft_clear(c->reply);
            g_free(c->reply);
        }
        g_free(c);
    }
    tui_table_free(v->table);
}

static void add_row(tui_view *v, const char *key, const char *label, const char *value, tui_elem elem)
{
    const char *cells[] = {label, value};
    tui_table_add(v->table, key, cells, elem, NULL);
}

static void compose_refresh(tui_view *v)
{
    compose *c = v->priv;
    tui_table_clear(v->table);
    if (c->reply)
        add_row(v, "fixed", "From", c->from, TUI_EL_DIM);
    else
        add_row(v, "from", "From", *c->from ? c->from : "(required: sender address)",
                *c->from ? TUI_EL_NORMAL : TUI_EL_DIM);
    add_row(v, "to", "To", *c->to ? c->to : c->reply ? "(required)" : "(optional)", *c->to ? TUI_EL_NORMAL : TUI_EL_DIM);
    add_row(v, "subject", "Subject", *c->subject ? c->subject : "(required)", *c->subject ? TUI_EL_NORMAL : TUI_EL_DIM);
    if (c->body->len) {
        int lines = 1;
        for (const char *p = c->body->str; *p; p++)
            lines += *p == '\n' && p[1];
        char first[160];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(c->body->str, "\n"), c->body->str);
        char *shown = core_strdup_printf("%d line(s): %s", lines, first);
        add_row(v, "body", "Body", shown, TUI_EL_NORMAL);
        g_free(shown);
    } else {
        const char *ed = getenv("VISUAL") && *getenv("VISUAL") ? getenv("VISUAL") : getenv("EDITOR");
        char *shown = ed && *ed ? core_strdup_printf("(empty; Enter opens %s)", ed)
                                : g_strdup("(empty; Enter types it line by line)");
        add_row(v, "body", "Body", shown, TUI_EL_DIM);
        g_free(shown);
    }
    for (guint i = 0; i < c->paths->len; i++) {
        char key[32];
        snprintf(key, sizeof key, "att:%u", i);
        const char *path = g_ptr_array_index(c->paths, i);
        struct stat st;
        char *shown = stat(path, &st) == 0 ? core_strdup_printf("%s (%lld bytes)", path, (long long)st.st_size)
                                           : core_strdup_printf("%s (cannot read it)", path);
        add_row(v, key, i == 0 ? "Attached" : "", shown, TUI_EL_NORMAL);
        g_free(shown);
    }
    for (size_t i = 0; c->reply && c->reply->file_names && c->reply->file_names[i]; i++)
        add_row(v, "fixed", i == 0 ? "Attached" : "", c->reply->file_names[i], TUI_EL_NORMAL);
    if (!c->reply)
        add_row(v, "attach", "", "+ attach a file by path", TUI_EL_HINT);
    add_row(v, "send", "", c->reply ? "» queue in the outbox and send" : "» send to the pipeline", TUI_EL_OK);
    tui_table_done(v->table);
}

static void compose_draw(tui_view *v, WINDOW *win, int h, int w)
{
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    mvwhline(win, 0, 0, ' ', w);
    compose *c = v->priv;
    char *title = c->reply ? core_strdup_printf("Reply to the broker of %s: %s", c->reply->cot,
                                                strcmp(c->reply->kind, "quote") == 0 ? "the quote"
                                                                                     : "request for the missing data")
                           : g_strdup("New email typed in at the desk");
    tui_text_put(win, 0, 0, w, title, false);
    g_free(title);
    wattrset(win, A_NORMAL);
    v->body_rows = h - 3;
    tui_table_draw(v->table, win, 1, 0, h - 3, w);
    char *text = tui_keys_expand(hint);
    wattrset(win, tui_theme_attr(TUI_EL_HINT));
    mvwhline(win, h - 1, 0, ' ', w);
    tui_text_put(win, h - 1, 0, w, text, false);
    wattrset(win, A_NORMAL);
    g_free(text);
}

static void refresh_form(tui_view *v)
{
    compose_refresh(v);
    tui_app_dirty(v->app);
}

static void set_field(tui_view *v, const char *text, void *user)
{
    compose *c = v->priv;
    char **slot = user == (void *)"from" ? &c->from : user == (void *)"to" ? &c->to : &c->subject;
    g_free(*slot);
    *slot = g_strstrip(g_strdup(text));
    refresh_form(v);
}

static void body_line(tui_view *v, const char *text, void *user);

static void ask_body_line(tui_view *v)
{
    compose *c = v->priv;
    char label[64];
    snprintf(label, sizeof label, "body line %d (empty line ends): ", c->body_lines + 1);
    tui_app_prompt(v->app, v, label, "", body_line, NULL);
}

static void body_line(tui_view *v, const char *text, void *user)
{
    compose *c = v->priv;
    if (!*text) {
        refresh_form(v);
        return;
    }
    g_string_append(c->body, text);
    g_string_append_c(c->body, '\n');
    c->body_lines++;
    refresh_form(v);
    ask_body_line(v);
}

/* The body in the user's editor, the terminal handed over meanwhile. */
static void edit_body_externally(tui_view *v, const char *editor)
{
    compose *c = v->priv;
    char path[] = "/tmp/minca-compose-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "cannot make a temporary file for the editor");
        return;
    }
    if (c->body->len && write(fd, c->body->str, c->body->len) < 0)
        log_warn("compose: cannot write the draft for the editor");
    close(fd);
    gchar *quoted = g_shell_quote(path);
    char *cmd = core_strdup_printf("%s %s", editor, quoted);
    def_prog_mode();
    endwin();
    int rc = system(cmd);
    reset_prog_mode();
    clearok(curscr, TRUE);
    char *data = NULL;
    size_t len = 0;
    minca_err err = {0};
    if (rc != 0)
        tui_app_message(v->app, TUI_EL_WARN, "the editor exited with status %d; body unchanged", rc);
    else if (core_read_file(path, 10 * 1024 * 1024, &data, &len, &err) == 0) {
        g_string_assign(c->body, data);
        tui_app_message(v->app, TUI_EL_OK, "body: %zu bytes", len);
    }
    g_free(data);
    unlink(path);
    g_free(cmd);
    g_free(quoted);
    refresh_form(v);
}

static void attach_path(tui_view *v, const char *text, void *user)
{
    compose *c = v->priv;
    gchar *path = g_strstrip(g_strdup(text));
    if (g_str_has_prefix(path, "~/") && getenv("HOME")) {
        gchar *full = g_build_filename(getenv("HOME"), path + 2, NULL);
        g_free(path);
        path = full;
    }
    struct stat st;
    if (!*path) {
        g_free(path);
        return;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        tui_app_message(v->app, TUI_EL_ERROR, "no such file: %s", path);
        g_free(path);
        return;
    }
    g_ptr_array_add(c->paths, path);
    tui_app_message(v->app, TUI_EL_OK, "attached %s", path);
    refresh_form(v);
}

static void queue_reply(tui_view *v)
{
    compose *c = v->priv;
    reply_draft *d = c->reply;
    if (!strchr(c->to, '@') || !*c->subject) {
        tui_app_message(v->app, TUI_EL_ERROR, "a recipient address (To) and a Subject are needed");
        return;
    }
    PGconn *db = tui_app_db(v->app);
    if (!db)
        return;
    g_free(d->to_addr);
    g_free(d->subject);
    g_free(d->body);
    d->to_addr = g_strdup(c->to);
    d->subject = g_strdup(c->subject);
    d->body = g_strdup(c->body->str);
    long long outbox_id = 0, job = 0;
    minca_err err = {0};
    if (reply_queue(db, tui_app_insurer_id(v->app), d, tui_app_user(v->app), NULL, &outbox_id, &job, &err) < 0) {
        tui_app_message(v->app, TUI_EL_ERROR, "not queued: %s", err.msg);
        return;
    }
    /* The wake-up for the engines (the desk's own among them); a lost one only delays it. */
    redisContext *r = queue_redis_connect(&err);
    queue_dispatch(r, &job, 1);
    if (r)
        redisFree(r);
    tui_app_message(v->app, TUI_EL_OK, "queued (outbox #%lld) to %s; its state shows in the Cases pane: \"%s\"",
                    outbox_id, d->to_addr, d->subject);
    tui_app_changed(v->app);
    tui_app_close(v->app, v);
}

static void send_mail(tui_view *v)
{
    compose *c = v->priv;
    if (c->reply) {
        queue_reply(v);
        return;
    }
    if (!*c->from || !*c->subject) {
        tui_app_message(v->app, TUI_EL_ERROR, "a sender (From) and a Subject are needed");
        return;
    }
    intake_compose_attachment *atts = g_malloc0_n(c->paths->len + 1, sizeof *atts);
    for (guint i = 0; i < c->paths->len; i++)
        atts[i].path = g_ptr_array_index(c->paths, i);
    intake_compose m = {.from = c->from, .to = *c->to ? c->to : NULL, .subject = c->subject,
                        .text_body = c->body->str, .attachments = atts, .n_attachments = c->paths->len};
    char *raw = NULL, *mid = NULL;
    size_t len = 0;
    minca_err err = {0};
    if (intake_compose_build(&m, &raw, &len, &mid, &err) < 0) {
        g_free(atts);
        tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
        return;
    }
    g_free(atts);
    PGconn *db = tui_app_db(v->app);
    if (!db) {
        g_free(raw);
        g_free(mid);
        return;
    }
    redisContext *r = queue_redis_connect(&err);
    intake_item item = {.origin = (char *)"desk", .data = raw, .len = len, .source_id = mid};
    intake_poll_target t = {.name = "desk", .kind = "manual", .insurer = tui_app_insurer_slug(v->app),
                            .items = &item, .n_items = 1};
    intake_poll_stats st;
    int rc = intake_poll_once(db, r, &t, &st, &err);
    if (r)
        redisFree(r);
    if (rc < 0)
        tui_app_message(v->app, TUI_EL_ERROR, "not sent: %s", st.error[0] ? st.error : err.msg);
    else {
        tui_app_message(v->app, TUI_EL_OK, "sent to the pipeline; its case appears here (%s)", mid);
        tui_app_changed(v->app);
        tui_app_close(v->app, v);
    }
    g_free(raw);
    g_free(mid);
}

static void edit_selected(tui_view *v)
{
    compose *c = v->priv;
    const char *key = tui_table_selected_key(v->table);
    if (!key)
        return;
    if (strcmp(key, "from") == 0)
        tui_app_prompt(v->app, v, "from: ", c->from, set_field, (void *)"from");
    else if (strcmp(key, "to") == 0)
        tui_app_prompt(v->app, v, "to: ", c->to, set_field, (void *)"to");
    else if (strcmp(key, "subject") == 0)
        tui_app_prompt(v->app, v, "subject: ", c->subject, set_field, (void *)"subject");
    else if (strcmp(key, "body") == 0) {
        const char *ed = getenv("VISUAL") && *getenv("VISUAL") ? getenv("VISUAL") : getenv("EDITOR");
        if (ed && *ed)
            edit_body_externally(v, ed);
        else {
            c->body_lines = 0;
            g_string_truncate(c->body, 0);
            ask_body_line(v);
        }
    } else if (strcmp(key, "send") == 0)
        send_mail(v);
    else if (strcmp(key, "fixed") == 0)
        tui_app_message(v->app, TUI_EL_NORMAL, "the sender and the files are the case's own");
    else
        tui_app_prompt(v->app, v, "attach file: ", "", attach_path, NULL);
}

static void clear_selected(tui_view *v)
{
    compose *c = v->priv;
    const char *key = tui_table_selected_key(v->table);
    if (!key)
        return;
    if (g_str_has_prefix(key, "att:"))
        g_ptr_array_remove_index(c->paths, (guint)atoi(key + 4));
    else if (strcmp(key, "body") == 0)
        g_string_truncate(c->body, 0);
    else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0 || strcmp(key, "subject") == 0)
        set_field(v, "", (void *)(strcmp(key, "from") == 0 ? "from" : strcmp(key, "to") == 0 ? "to" : "subject"));
    refresh_form(v);
}

static bool act_edit(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    edit_selected(v);
    return true;
}

static bool act_send(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    send_mail(v);
    return true;
}

static const tui_action_row compose_rows[] = {
    {TUI_ACT_ENTER, act_edit},
    {TUI_ACT_SEND, act_send},
    TUI_ROWS_END,
};

/* The form's own letters (a attaches, d clears a field); the other panes' keys mean nothing
 * here, only moving, leaving, help and the `:` line go on to the desk. */
static bool compose_key(tui_view *v, tui_action act, tui_key key)
{
    if (key == 'a' && act != TUI_ACT_COMPOSE && !((compose *)v->priv)->reply) {
        tui_app_prompt(v->app, v, "attach file: ", "", attach_path, NULL);
        return true;
    }
    if (key == 'd') {
        clear_selected(v);
        return true;
    }
    return act != TUI_ACT_BACK && act != TUI_ACT_QUIT && act != TUI_ACT_DOWN && act != TUI_ACT_UP &&
           act != TUI_ACT_PAGE_DOWN && act != TUI_ACT_PAGE_UP && act != TUI_ACT_FIRST && act != TUI_ACT_LAST &&
           act != TUI_ACT_HELP && act != TUI_ACT_REDRAW && act != TUI_ACT_COMMAND && act != TUI_ACT_NONE;
}

const tui_view_ops tui_pane_compose_ops = {
    .name = "compose",
    .title = "Compose",
    .open = compose_open,
    .close = compose_close,
    .refresh = compose_refresh,
    .draw = compose_draw,
    .actions = compose_rows,
    .key = compose_key,
};

tui_view *tui_compose_new(tui_app *app)
{
    tui_view *v = tui_view_new(app, &tui_pane_compose_ops);
    if (!v)
        return NULL;
    compose_refresh(v);
    v->loaded = true;
    return v;
}

tui_view *tui_reply_new(tui_app *app, const char *cot)
{
    PGconn *db = tui_app_db(app);
    if (!db)
        return NULL;
    reply_draft *d = g_new0(reply_draft, 1);
    minca_err err = {0}, quote_err = {0};
    long long insurer_id = tui_app_insurer_id(app);
    /* The quote when the case has one exported, else the request for what it lacks. */
    if (reply_draft_make(db, insurer_id, cot, "quote", NULL, d, &quote_err) < 0 &&
        reply_draft_make(db, insurer_id, cot, "missing", NULL, d, &err) < 0) {
        tui_app_message(app, TUI_EL_ERROR, "no reply to draft: %s; %s", err.msg, quote_err.msg);
        g_free(d);
        return NULL;
    }
    tui_view *v = tui_view_new(app, &tui_pane_compose_ops);
    if (!v) {
        reply_draft_clear(d);
        g_free(d);
        return NULL;
    }
    compose *c = v->priv;
    c->reply = d;
    g_free(c->from);
    g_free(c->to);
    g_free(c->subject);
    c->from = g_strdup(d->from_addr);
    c->to = g_strdup(d->to_addr);
    c->subject = g_strdup(d->subject);
    g_string_assign(c->body, d->body);
    compose_refresh(v);
    v->loaded = true;
    return v;
}
