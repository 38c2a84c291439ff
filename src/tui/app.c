/* The desk's frame: terminal setup, the tab bar, the status line, the view stack, the key
 * loop, resize and redraw. Only what changed is redrawn: each of the three windows is drawn
 * when marked dirty and sent with wnoutrefresh(), then one doupdate() per key.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP only set a flag; the loop (woken every second by the
 * input timeout, or at once by the interrupted read) sees it and leaves curses cleanly.
 * SIGWINCH is ncurses' own: it turns into KEY_RESIZE in the input stream. */
#include "minca/core_config.h"
#include "minca/engine_run.h"
#include "minca/desk_review.h"
#include "minca/store.h"
#include "minca/engine_steps.h"
#include "minca/store_jobs.h"
#include "minca/store_tui.h"
#include "minca/tui.h"
#include "minca/core_text.h"

#include <errno.h>
#include <glib.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TUI_MIN_COLS 80
#define TUI_MIN_LINES 24
#define TUI_STACK_MAX 8
#define TUI_EVENTS_RETRY_SECONDS 2.0 /* first retry; doubles up to 10 minutes */
#define TUI_WAKE_SECONDS 0.25      /* a finished job is shown within this */

enum { DIRTY_TABS = 1, DIRTY_BODY = 2, DIRTY_STATUS = 4, DIRTY_ALL = 7 };
/* The tabs, in order: the rows of TUI_TABS (tui_actions.h), each with its pane and action. */
#define TAB_ENUM_(id, name, key, pane, help) TAB_##id,
enum { TUI_TABS(TAB_ENUM_) TAB_COUNT };
typedef struct tab_def {
    tui_action act;           /* the action that shows it */
    const tui_view_ops *ops;  /* its pane */
} tab_def;
#define TAB_DEF_(id, name, key, pane, help) [TAB_##id] = {TUI_ACT_TAB_##id, &tui_pane_##pane##_ops},
static const tab_def tab_defs[TAB_COUNT] = {TUI_TABS(TAB_DEF_)};

/* The tab act shows, or -1 for an action that is no tab. */
static int tab_of_action(tui_action act)
{
    for (int i = 0; i < TAB_COUNT; i++)
        if (tab_defs[i].act == act)
            return i;
    return -1;
}
typedef enum { PROMPT_NONE, PROMPT_FILTER, PROMPT_COMMAND, PROMPT_TEXT, PROMPT_CHOICE } prompt_kind;

struct tui_app {
    PGconn *db;
    char db_error[1024];
    store_insurer insurer;
    bool insurer_known;
    bool insurer_looked;    /* the first look-up of the start insurer is done */
    bool insurer_asked;     /* the start asked which insurer (until one is chosen) */
    char insurer_slug[64];  /* the insurer shown: MINCA_INSURER, else the last one used here, else config */
    char *current_cot;

    tui_view *tabs[TAB_COUNT];
    int active;
    tui_view *stack[TUI_STACK_MAX];   /* views pushed over the active tab */
    int depth;

    WINDOW *tabwin, *body, *status;   /* status also reads the keys */
    bool too_small;
    unsigned dirty;

    char message[512];
    tui_elem message_level;
    char *messages[100];  /* the message history (M), oldest first: "HH:MM:SS text" */
    int n_messages;

    char stamp[512];      /* store_tui_change_stamp() at the last poll */
    char stamp_cot[64];   /* the case it covered */
    double last_poll;
    double poll_seconds;  /* tui.poll (MINCA_TUI_POLL) */
    tui_events *events;   /* Redis subscription, NULL when Redis is away */
    double events_retry;  /* when to try subscribing again */
    double events_backoff; /* doubles while Redis stays away (a TCP connect may take seconds) */
    prompt_kind prompt;   /* the status line is a prompt: `/` filter, `:` command or text */
    tui_line line;
    char search[512];          /* the text last typed at `/`, for n and N */
    char prompt_label[320];
    tui_view *prompt_view;
    void (*prompt_done)(tui_view *v, const char *text, void *user);
    void (*choice_done)(tui_view *v, tui_key key, void *user);
    void *prompt_user;
    tui_view *closing;    /* a view that asked to be closed (tui_app_close) */
    char *history[32];    /* `:` commands run, oldest first */
    int n_history, history_at;
    bool quit;

    engine *engine;       /* the pipeline, run in-process while the desk is open */
    bool engine_tried;
    int wake_pipe[2];     /* engine threads write a byte here when a job finished */
    long jobs_unfinished; /* queue activity on the status line; -1 unknown */

    /* Key-to-screen timing (MINCA_TUI_TIMING=FILE) and a full-redraw baseline
     * (MINCA_TUI_FULL_REDRAW=1) for the redraw benchmark. */
    FILE *timing;
    bool full_redraw;

    bool mouse;               /* tui.mouse (MINCA_TUI_MOUSE=1) */
    int tab_x[TAB_COUNT], tab_w[TAB_COUNT]; /* where draw_tabs put each label */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

static tui_view *top_view(tui_app *app)
{
    return app->depth ? app->stack[app->depth - 1] : app->tabs[app->active];
}

/* ---- services for views ---------------------------------------------------------------- */

void tui_app_message(tui_app *app, tui_elem level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->message, sizeof app->message, fmt, ap);
    va_end(ap);
    app->message_level = level;
    app->dirty |= DIRTY_STATUS;
    char when[16];
    time_t now = time(NULL);
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    if (app->n_messages == (int)(sizeof app->messages / sizeof app->messages[0])) {
        g_free(app->messages[0]);
        memmove(app->messages, app->messages + 1, sizeof app->messages - sizeof app->messages[0]);
        app->n_messages--;
    }
    app->messages[app->n_messages++] = core_strdup_printf("%s %s%s", when,
                                                          level == TUI_EL_ERROR  ? "error: "
                                                          : level == TUI_EL_WARN ? "warning: "
                                                                                 : "",
                                                          app->message);
    if (level == TUI_EL_ERROR)
        log_error("tui: %s", app->message);
    else if (level == TUI_EL_WARN)
        log_warn("tui: %s", app->message);
    else
        log_debug("tui: %s", app->message);
}

void tui_app_dirty(tui_app *app) { app->dirty |= DIRTY_BODY | DIRTY_STATUS; }

static void switch_insurer(tui_app *app, const char *slug);

/* At the first start (no insurer named by MINCA_INSURER, none used here before, or that one is
 * gone): the only insurer there is, or the `:insurer ` prompt listing them when there are
 * several. True when it did either. */
static bool pick_start_insurer(tui_app *app)
{
    if (app->insurer_looked || config_option_origin("insurer") == CONFIG_FROM_ENV)
        return false;
    app->insurer_looked = true;
    minca_err err = {0};
    char *known = store_tui_insurer_slugs(app->db, &err);
    bool done = false;
    if (known && *known && !strchr(known, ',')) {
        char *gone = g_strdup(app->insurer_slug);
        switch_insurer(app, known);
        tui_app_message(app, TUI_EL_OK, "insurer %s, the only one (there is no '%s')", known, gone);
        g_free(gone);
        done = true;
    } else if (known && *known) {
        app->prompt = PROMPT_COMMAND;
        app->history_at = app->n_history;
        tui_line_reset(&app->line, "insurer ");
        tui_app_message(app, TUI_EL_WARN, "no insurer '%s': which one? %s (Tab completes, Enter opens it)",
                        app->insurer_slug, known);
        app->insurer_asked = true;
        done = true;
    }
    g_free(known);
    return done;
}

static void find_insurer(tui_app *app)
{
    minca_err err = {0};
    const char *slug = app->insurer_slug;
    int found = store_insurer_find(app->db, slug, &app->insurer, &err);
    app->insurer_known = found == 1;
    if (found < 0)
        tui_app_message(app, TUI_EL_ERROR, "cannot read insurer %s: %s", slug, err.msg);
    else if (found == 0 && !app->insurer_asked && !pick_start_insurer(app))
        tui_app_message(app, TUI_EL_WARN, "insurer '%s' not found; `minca batch --insurer %s` creates it", slug, slug);
    app->insurer_looked = true;
}

PGconn *tui_app_db(tui_app *app)
{
    if (store_tui_connected(app->db))
        return app->db;
    if (app->db) {
        if (store_tui_reconnect(app->db) == 0) {
            log_info("tui: database connection restored");
            app->db_error[0] = '\0';
            return app->db;
        }
        store_tui_close(app->db);
        app->db = NULL;
    }
    minca_err err = {0};
    app->db = store_open(&err);
    if (!app->db) {
        snprintf(app->db_error, sizeof app->db_error, "%s", err.msg);
        tui_app_message(app, TUI_EL_ERROR, "database unavailable: %s", err.msg);
        return NULL;
    }
    app->db_error[0] = '\0';
    find_insurer(app);
    return app->db;
}

long long tui_app_insurer_id(tui_app *app)
{
    if (!app->insurer_known && app->db)
        find_insurer(app); /* created since (e.g. by a batch run in another window) */
    return app->insurer_known ? app->insurer.id : 0;
}

const char *tui_app_insurer_slug(tui_app *app) { return app->insurer_slug; }

/* The insurer the desk last showed, kept under MINCA_HOME so the next start opens on it. */
static char *last_insurer_path(void)
{
    const char *home = config_get()->home;
    return home ? core_strdup_printf("%s/tui-insurer", home) : NULL;
}

static void choose_start_insurer(tui_app *app)
{
    snprintf(app->insurer_slug, sizeof app->insurer_slug, "%s", config_get()->insurer ? config_get()->insurer : "demo");
    if (config_option_origin("insurer") == CONFIG_FROM_ENV)
        return; /* asked for by name (MINCA_INSURER) */
    char *path = last_insurer_path();
    FILE *f = path ? fopen(path, "r") : NULL;
    char line[64];
    if (f && fgets(line, sizeof line, f) && *core_trim(line))
        snprintf(app->insurer_slug, sizeof app->insurer_slug, "%s", core_trim(line));
    if (f)
        fclose(f);
    g_free(path);
}

static void remember_insurer(tui_app *app)
{
    char *path = last_insurer_path();
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%s\n", app->insurer_slug);
        fclose(f);
    }
    g_free(path);
}

static void pop_view(tui_app *app);

/* Switches the desk to another insurer: every pane reloads for it. */
static void switch_insurer(tui_app *app, const char *slug)
{
    PGconn *db = tui_app_db(app);
    if (!db)
        return;
    store_insurer ins;
    minca_err err = {0};
    int found = store_insurer_find(db, slug, &ins, &err);
    if (found <= 0) {
        char *known = store_tui_insurer_slugs(db, &err);
        tui_app_message(app, TUI_EL_ERROR, "no insurer '%s'%s%s", slug, known ? "; known: " : "", known ? known : "");
        g_free(known);
        return;
    }
    snprintf(app->insurer_slug, sizeof app->insurer_slug, "%s", slug);
    app->insurer = ins;
    app->insurer_known = true;
    app->insurer_asked = false;
    remember_insurer(app);
    while (app->depth)
        pop_view(app);
    tui_app_set_current_case(app, NULL);
    app->stamp[0] = '\0';
    for (int i = 0; i < TAB_COUNT; i++)
        app->tabs[i]->stale = true;
    app->dirty = DIRTY_ALL;
    tui_app_message(app, TUI_EL_OK, "insurer %s", slug);
}

PGconn *tui_app_store(tui_app *app, tui_table *t, long long *insurer_id)
{
    *insurer_id = 0;
    PGconn *db = tui_app_db(app);
    if (!db) {
        tui_table_clear(t);
        tui_table_done(t);
        char *hint = core_strdup_printf("The database is unavailable: %s\n\nPress {reload} to try again.", app->db_error);
        tui_table_set_empty(t, hint);
        g_free(hint);
        return NULL;
    }
    *insurer_id = tui_app_insurer_id(app);
    if (!*insurer_id) {
        tui_table_clear(t);
        tui_table_done(t);
        char *hint = core_strdup_printf("Insurer '%s' has no data yet. Load some mail with\n"
                                        "`minca batch --insurer %s PATH`, then press {reload}.",
                                        app->insurer_slug, app->insurer_slug);
        tui_table_set_empty(t, hint);
        g_free(hint);
        return NULL;
    }
    return db;
}

const char *tui_app_current_case(tui_app *app) { return app->current_cot; }

void tui_app_set_current_case(tui_app *app, const char *cot)
{
    if ((!cot && !app->current_cot) || (cot && app->current_cot && strcmp(cot, app->current_cot) == 0))
        return;
    g_free(app->current_cot);
    app->current_cot = cot ? g_strdup(cot) : NULL;
    app->tabs[TAB_MATCHES]->stale = true;
    app->dirty |= DIRTY_STATUS;
}

/* ---- view stack and tabs --------------------------------------------------------------- */

static void refresh_view(tui_app *app, tui_view *v)
{
    if (v->ops->refresh)
        v->ops->refresh(v);
    v->loaded = true;
    v->stale = false;
    app->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

static void push_view(tui_app *app, tui_view *v)
{
    if (app->depth == TUI_STACK_MAX) {
        tui_view_free(v);
        tui_app_message(app, TUI_EL_WARN, "too many open views; press q to close some");
        return;
    }
    app->stack[app->depth++] = v;
    app->prompt = PROMPT_NONE;
    app->dirty = DIRTY_ALL;
}

static void pop_view(tui_app *app)
{
    if (!app->depth)
        return;
    tui_view_free(app->stack[--app->depth]);
    app->prompt = PROMPT_NONE;
    app->dirty = DIRTY_ALL;
}

static void show_tab(tui_app *app, int tab)
{
    /* A message belongs to the pane it was said in. */
    app->message[0] = '\0';
    while (app->depth)
        pop_view(app);
    app->active = (tab + TAB_COUNT) % TAB_COUNT;
    app->prompt = PROMPT_NONE;
    tui_view *v = app->tabs[app->active];
    if (!v->loaded || v->stale)
        refresh_view(app, v);
    app->dirty = DIRTY_ALL;
}

void tui_app_push(tui_app *app, tui_view *v)
{
    if (v)
        push_view(app, v);
}

void tui_app_close(tui_app *app, tui_view *v) { app->closing = v; }

void tui_app_changed(tui_app *app)
{
    for (int i = 0; i < TAB_COUNT; i++)
        if (app->tabs[i]->loaded)
            app->tabs[i]->stale = true;
    for (int i = 0; i < app->depth; i++)
        if (app->stack[i]->ops->refresh)
            app->stack[i]->stale = true;
    app->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

void tui_app_prompt(tui_app *app, tui_view *v, const char *label, const char *initial,
                    void (*done)(tui_view *v, const char *text, void *user), void *user)
{
    app->prompt = PROMPT_TEXT;
    snprintf(app->prompt_label, sizeof app->prompt_label, "%s", label ? label : "");
    app->prompt_view = v;
    app->prompt_done = done;
    app->prompt_user = user;
    tui_line_reset(&app->line, initial);
    app->dirty |= DIRTY_STATUS;
}

void tui_app_confirm(tui_app *app, tui_view *v, const char *question,
                     void (*done)(tui_view *v, tui_key key, void *user), void *user)
{
    app->prompt = PROMPT_CHOICE;
    snprintf(app->prompt_label, sizeof app->prompt_label, "%s", question ? question : "");
    app->prompt_view = v;
    app->choice_done = done;
    app->prompt_user = user;
    tui_line_reset(&app->line, NULL);
    app->dirty |= DIRTY_STATUS;
}

const char *tui_app_user(tui_app *app)
{
    (void)app;
    return config_get()->user ? config_get()->user : "unknown";
}

/* ---- drawing --------------------------------------------------------------------------- */

static void draw_tabs(tui_app *app)
{
    WINDOW *w = app->tabwin;
    int cols = getmaxx(w);
    wattrset(w, tui_theme_attr(TUI_EL_TAB));
    mvwhline(w, 0, 0, ' ', cols);
    wattrset(w, tui_theme_attr(TUI_EL_TITLE));
    mvwaddstr(w, 0, 0, " Minca ");
    int x = 7;
    for (int i = 0; i < TAB_COUNT; i++) {
        char label[64], key[16];
        tui_keys_primary(tab_defs[i].act, key, sizeof key);
        snprintf(label, sizeof label, " %s%s%s ", key, *key ? " " : "", app->tabs[i]->ops->title);
        int lw = text_display_width(label);
        if (x + 1 + lw > cols)
            break;
        wattrset(w, tui_theme_attr(TUI_EL_TAB));
        mvwaddch(w, 0, x++, ' ');
        wattrset(w, tui_theme_attr(i == app->active ? TUI_EL_TAB_ACTIVE : TUI_EL_TAB));
        mvwaddstr(w, 0, x, label);
        app->tab_x[i] = x;
        app->tab_w[i] = lw;
        x += lw;
    }
    /* Breadcrumb of pushed views, right-aligned. */
    if (app->depth) {
        const char *crumb = "Esc/q: back ";
        int cw = text_display_width(crumb);
        if (x + cw + 1 < cols) {
            wattrset(w, tui_theme_attr(TUI_EL_TAB));
            tui_text_put(w, 0, cols - cw, cw, crumb, true);
        }
    }
    wattrset(w, A_NORMAL);
    wnoutrefresh(w);
}

static void draw_body(tui_app *app)
{
    WINDOW *w = app->body;
    tui_view *v = top_view(app);
    int h = getmaxy(w), cols = getmaxx(w);
    werase(w);
    if (v->ops->draw) {
        v->ops->draw(v, w, h, cols);
    } else if (v->table) {
        v->body_rows = h - 1;
        tui_table_draw(v->table, w, 0, 0, h, cols);
    }
    wnoutrefresh(w);
}

static void draw_status(tui_app *app)
{
    WINDOW *w = app->status;
    int cols = getmaxx(w);
    tui_view *v = top_view(app);
    werase(w);
    wattrset(w, tui_theme_attr(TUI_EL_STATUS));
    mvwhline(w, 0, 0, ' ', cols);

    char right[160], jobs[32] = "";
    if (app->jobs_unfinished > 0)
        snprintf(jobs, sizeof jobs, "jobs:%ld  ", app->jobs_unfinished);
    else if (app->jobs_unfinished == 0)
        snprintf(jobs, sizeof jobs, "idle  ");
    bool busy = app->message[0] || app->prompt != PROMPT_NONE; /* room for the message */
    snprintf(right, sizeof right, " %s%s@%s%s ", jobs, config_get()->user ? config_get()->user : "?",
             app->insurer_slug, busy ? "" : "  ?:help");
    int rw = text_display_width(right);

    char left[160];
    const char *pane = app->depth ? v->ops->title : app->tabs[app->active]->ops->title;
    if (v->table) {
        const char *filter = tui_table_filter(v->table);
        if (filter && app->prompt != PROMPT_FILTER)
            snprintf(left, sizeof left, " %s %d/%d of %d [/%s] ", pane, tui_table_position(v->table),
                     tui_table_visible(v->table), tui_table_total(v->table), filter);
        else
            snprintf(left, sizeof left, " %s %d/%d ", pane, tui_table_position(v->table),
                     tui_table_visible(v->table));
    } else {
        snprintf(left, sizeof left, " %s ", pane);
    }
    int lw = text_display_width(left);
    if (lw > cols / 2)
        lw = cols / 2;
    tui_text_put(w, 0, 0, lw, left, false);

    int mid_x = lw, mid_w = cols - lw - rw;
    if (mid_w < 10 || ((app->prompt == PROMPT_CHOICE || app->prompt == PROMPT_TEXT) &&
                        text_display_width(app->prompt_label) + (int)app->line.len + 1 > mid_w)) { /* narrow, or a question to read whole: drop the user part */
        rw = 0;
        mid_w = cols - lw;
    }
    if (app->prompt != PROMPT_NONE) {
        char prompt[600];   /* a prompt longer than this is shown cut: it does not fit a line anyway */
        if (app->prompt == PROMPT_TEXT || app->prompt == PROMPT_CHOICE)
            core_fmt(prompt, sizeof prompt, "%s%s", app->prompt_label, app->line.buf);
        else
            core_fmt(prompt, sizeof prompt, "%c%s", app->prompt == PROMPT_FILTER ? '/' : ':', app->line.buf);
        int pw = text_display_width(prompt) + 1;
        if (pw > mid_w)
            pw = mid_w;
        wattrset(w, tui_theme_attr(TUI_EL_FILTER));
        /* Show the end of a long filter: that is where the typing happens. */
        const char *shown = prompt;
        while (text_display_width(shown) + 1 > mid_w && *shown)
            shown++;
        tui_text_put(w, 0, mid_x, pw, shown, false);
        wattrset(w, tui_theme_attr(TUI_EL_STATUS));
        /* Beside the `:` prompt, what Tab found or what the desk asks (the insurers to pick). */
        if (app->prompt == PROMPT_COMMAND && app->message[0] && mid_w - pw > 12)
            tui_text_put(w, 0, mid_x + pw + 1, mid_w - pw - 1, app->message, false);
    } else if (app->message[0]) {
        attr_t a = tui_theme_attr(TUI_EL_STATUS);
        if (app->message_level == TUI_EL_ERROR || app->message_level == TUI_EL_WARN)
            a = tui_theme_attr(app->message_level) | A_BOLD;
        wattrset(w, a);
        tui_text_put(w, 0, mid_x, mid_w, app->message, false);
        wattrset(w, tui_theme_attr(TUI_EL_STATUS));
    }
    if (rw)
        tui_text_put(w, 0, cols - rw, rw, right, true);
    wattrset(w, A_NORMAL);
    wnoutrefresh(w);
}

void tui_app_progress(tui_app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->message, sizeof app->message, fmt, ap);
    va_end(ap);
    app->message_level = TUI_EL_NORMAL;
    app->dirty |= DIRTY_STATUS;
    if (app->too_small || !app->status)
        return;
    draw_status(app);
    doupdate();
}

static void draw_too_small(tui_app *app)
{
    WINDOW *w = app->status;
    werase(w);
    char text[200];
    snprintf(text, sizeof text, "Terminal too small: %dx%d. Minca needs at least %dx%d.", COLS, LINES,
             TUI_MIN_COLS, TUI_MIN_LINES);
    const char *hint = "Enlarge the window, or press q to quit.";
    int y = LINES / 2 - 1;
    if (y < 0)
        y = 0;
    wattrset(w, tui_theme_attr(TUI_EL_WARN));
    tui_text_put(w, y, 0, COLS, text, false);
    wattrset(w, A_NORMAL);
    if (y + 1 < LINES)
        tui_text_put(w, y + 1, 0, COLS, hint, false);
    wnoutrefresh(w);
}

static void render(tui_app *app)
{
    if (app->too_small) {
        if (app->dirty)
            draw_too_small(app);
        app->dirty = 0;
        doupdate();
        return;
    }
    tui_view *v = top_view(app);
    if (v->stale || !v->loaded)
        refresh_view(app, v);
    if (!app->dirty)
        return;
    if (app->dirty & DIRTY_TABS)
        draw_tabs(app);
    if (app->dirty & DIRTY_BODY)
        draw_body(app);
    /* The body draw can change the position (page size), so the status line follows it. */
    if (app->dirty & (DIRTY_STATUS | DIRTY_BODY))
        draw_status(app);
    app->dirty = 0;
    doupdate();
}

/* ---- windows and resize ---------------------------------------------------------------- */

static void destroy_windows(tui_app *app)
{
    if (app->tabwin)
        delwin(app->tabwin);
    if (app->body)
        delwin(app->body);
    if (app->status)
        delwin(app->status);
    app->tabwin = app->body = app->status = NULL;
}

static void create_windows(tui_app *app)
{
    destroy_windows(app);
    app->too_small = COLS < TUI_MIN_COLS || LINES < TUI_MIN_LINES;
    if (app->too_small) {
        app->status = newwin(LINES > 0 ? LINES : 1, COLS > 0 ? COLS : 1, 0, 0);
    } else {
        app->tabwin = newwin(1, COLS, 0, 0);
        app->body = newwin(LINES - 2, COLS, 1, 0);
        idlok(app->body, TRUE); /* a one-line scroll of a list goes out as a terminal scroll */
        app->status = newwin(1, COLS, LINES - 1, 0);
    }
    keypad(app->status, TRUE);
    wtimeout(app->status, 0); /* the loop waits in poll(), with the events socket */
    app->dirty = DIRTY_ALL;
}

static void handle_resize(tui_app *app)
{
    /* ncurses has already resized stdscr and curscr; our windows are rebuilt to the new size. */
    log_debug("tui: resized to %dx%d", COLS, LINES);
    wnoutrefresh(stdscr);
    create_windows(app);
    clearok(curscr, TRUE);
}

/* ---- keys ------------------------------------------------------------------------------- */

static void dispatch(tui_app *app, tui_action act, tui_key key, const char *args);

static bool row_has_inciso(json_t *row, void *user)
{
    return tui_json_int(row, "inciso") == *(long long *)user && json_is_integer(json_object_get(row, "inciso"));
}

/* The words of the `:` line that are not action names: vi's ways out (nothing is unsaved)
 * and the short name of switch-insurer. */
static const struct {
    const char *word;
    tui_action act;
} command_aliases[] = {
    {"q", TUI_ACT_QUIT}, {"q!", TUI_ACT_QUIT}, {"qa", TUI_ACT_QUIT}, {"wq", TUI_ACT_QUIT}, {"insurer", TUI_ACT_INSURER},
};

/* The action a `:` word names: an action's name, an alias, or goto for a bare number. */
static tui_action command_action(const char *word)
{
    if (word[strspn(word, "0123456789")] == '\0')
        return TUI_ACT_GOTO;
    for (size_t i = 0; i < sizeof command_aliases / sizeof command_aliases[0]; i++)
        if (strcmp(word, command_aliases[i].word) == 0)
            return command_aliases[i].act;
    return tui_action_by_name(word);
}

/* Tab after `:insurer ` (or I): the insurers' slugs the typed text begins, completed as far as
 * they agree (listed when several). */
static void complete_insurer(tui_app *app, const char *typed)
{
    minca_err err = {0};
    char *known = app->db ? store_tui_insurer_slugs(app->db, &err) : NULL;
    if (!known)
        return;
    gchar **slugs = g_strsplit(known, ", ", -1);
    size_t n = strlen(typed);
    const char *first = NULL;
    size_t common = 0;
    GString *list = g_string_new(NULL);
    for (gchar **sl = slugs; *sl; sl++) {
        if (!**sl || strncmp(*sl, typed, n) != 0)
            continue;
        if (!first) {
            first = *sl;
            common = strlen(first);
        } else {
            size_t k = 0;
            while (k < common && (*sl)[k] == first[k])
                k++;
            common = k;
        }
        g_string_append_printf(list, "%s%s", list->len ? " " : "", *sl);
    }
    if (!first) {
        tui_app_message(app, TUI_EL_WARN, "no insurer begins with '%s'; the insurers are: %s", typed, known);
    } else {
        char buf[sizeof app->line.buf];
        snprintf(buf, sizeof buf, "insurer %.*s", (int)common, first);
        tui_line_reset(&app->line, buf);
        if (strchr(list->str, ' '))
            tui_app_message(app, TUI_EL_NORMAL, "%s", list->str);
    }
    g_string_free(list, TRUE);
    g_strfreev(slugs);
    g_free(known);
}

/* Tab in the `:` prompt: the action or command names the typed word begins, completed as far
 * as they agree (listed when several). */
static void complete_command(tui_app *app)
{
    const char *typed = app->line.buf;
    if (strncmp(typed, "insurer ", 8) == 0) {
        complete_insurer(app, typed + 8);
        return;
    }
    if (strchr(typed, ' '))
        return;
    size_t n = strlen(typed);
    GPtrArray *found = g_ptr_array_new();
    for (int a = 1; a < TUI_ACT_COUNT; a++) {
        const char *name = tui_action_name((tui_action)a);
        if (name && *name && strncmp(name, typed, n) == 0)
            g_ptr_array_add(found, (gpointer)name);
    }
    for (size_t i = 0; i < sizeof command_aliases / sizeof command_aliases[0]; i++)
        if (strlen(command_aliases[i].word) > 2 && strncmp(command_aliases[i].word, typed, n) == 0)
            g_ptr_array_add(found, (gpointer)command_aliases[i].word);
    if (found->len) {
        const char *first = g_ptr_array_index(found, 0);
        size_t common = strlen(first);
        GString *list = g_string_new(NULL);
        for (guint i = 0; i < found->len; i++) {
            const char *name = g_ptr_array_index(found, i);
            size_t k = 0;
            while (k < common && name[k] == first[k])
                k++;
            common = k;
            g_string_append_printf(list, "%s%s", i ? " " : "", name);
        }
        char buf[sizeof app->line.buf];
        snprintf(buf, sizeof buf, "%.*s%s", (int)common, first, found->len == 1 ? " " : "");
        tui_line_reset(&app->line, buf);
        if (found->len > 1)
            tui_app_message(app, TUI_EL_NORMAL, "%s", list->str);
        g_string_free(list, TRUE);
    }
    g_ptr_array_free(found, TRUE);
}

static void remember_command(tui_app *app, const char *text)
{
    if (!*text || (app->n_history && strcmp(app->history[app->n_history - 1], text) == 0))
        return;
    if (app->n_history == (int)(sizeof app->history / sizeof app->history[0])) {
        g_free(app->history[0]);
        memmove(app->history, app->history + 1, sizeof app->history - sizeof app->history[0]);
        app->n_history--;
    }
    app->history[app->n_history++] = g_strdup(text);
}

static void handle_command_key(tui_app *app, tui_key key)
{
    if (key == '\t') {
        complete_command(app);
        app->dirty |= DIRTY_STATUS;
        return;
    }
    if (key == TUI_FN(KEY_UP) || key == TUI_FN(KEY_DOWN)) {
        /* Up and Down walk the commands run before. */
        int at = app->history_at + (key == TUI_FN(KEY_UP) ? -1 : 1);
        if (at >= 0 && at <= app->n_history) {
            app->history_at = at;
            tui_line_reset(&app->line, at < app->n_history ? app->history[at] : "");
        }
        app->dirty |= DIRTY_STATUS;
        return;
    }
    bool changed = false;
    tui_line_result r = tui_line_key(&app->line, key, &changed);
    app->dirty |= DIRTY_STATUS;
    if (r == TUI_LINE_EDITING)
        return;
    app->prompt = PROMPT_NONE;
    if (r == TUI_LINE_CANCEL)
        return;
    char name[sizeof app->line.buf];
    snprintf(name, sizeof name, "%s", app->line.buf);
    remember_command(app, core_trim(name));
    char *word = core_trim(name);
    char *args = word + strcspn(word, " ");
    if (*args)
        *args++ = '\0';
    args = core_trim(args);
    if (!*word)
        return;
    tui_action act = command_action(word);
    if (act == TUI_ACT_NONE || act == TUI_ACT_COMMAND) {
        tui_app_message(app, TUI_EL_ERROR, "unknown command: %s (? lists the action names)", word);
        return;
    }
    dispatch(app, act, 0, act == TUI_ACT_GOTO && g_ascii_isdigit(*word) ? word : args);
}

static void handle_text_key(tui_app *app, tui_key key)
{
    bool changed = false;
    tui_line_result r = tui_line_key(&app->line, key, &changed);
    app->dirty |= DIRTY_STATUS;
    if (r == TUI_LINE_EDITING)
        return;
    app->prompt = PROMPT_NONE;
    tui_view *v = app->prompt_view;
    app->prompt_view = NULL;
    if (r == TUI_LINE_CANCEL || v != top_view(app)) {
        tui_app_message(app, TUI_EL_NORMAL, "cancelled");
        return;
    }
    char text[sizeof app->line.buf];
    snprintf(text, sizeof text, "%s", app->line.buf);
    app->prompt_done(v, text, app->prompt_user);
    app->dirty |= DIRTY_BODY;
}

/* A one-key answer: Esc cancels, any other key goes to the asking view. */
static void handle_choice_key(tui_app *app, tui_key key)
{
    app->prompt = PROMPT_NONE;
    app->dirty |= DIRTY_STATUS | DIRTY_BODY;
    tui_view *v = app->prompt_view;
    app->prompt_view = NULL;
    if (key == 27 || v != top_view(app)) {
        tui_app_message(app, TUI_EL_NORMAL, "cancelled");
        return;
    }
    app->message[0] = '\0';
    app->choice_done(v, key, app->prompt_user);
}

static void handle_filter_key(tui_app *app, tui_key key)
{
    tui_view *v = top_view(app);
    bool changed = false;
    tui_line_result r = tui_line_key(&app->line, key, &changed);
    if (r == TUI_LINE_CANCEL) {
        tui_table_set_filter(v->table, NULL);
        app->prompt = PROMPT_NONE;
        tui_app_message(app, TUI_EL_NORMAL, "filter cleared");
    } else if (r == TUI_LINE_ACCEPT) {
        app->prompt = PROMPT_NONE;
        if (!app->line.len)
            tui_table_set_filter(v->table, NULL);
        else
            snprintf(app->search, sizeof app->search, "%s", app->line.buf);
    } else if (changed) {
        tui_table_set_filter(v->table, app->line.buf);
    } else if (key >= TUI_FN(0)) {
        /* Arrows and page keys still move through the matches while typing. */
        tui_table_move(v->table, tui_keys_lookup(key), v->body_rows);
    }
    if (v->ops->select)
        v->ops->select(v);
    app->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

/* ---- the desk's own actions: one handler each, rows in app_rows below ------------------- */

/* The view's selection moved or its rows changed order: it follows, the body is redrawn. */
static void moved(tui_view *v)
{
    if (v->ops->select)
        v->ops->select(v);
    v->app->dirty |= DIRTY_BODY | DIRTY_STATUS;
}

static bool act_help(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    char *text = tui_keys_help_text(v->ops->title, v->ops->actions, tui_app_actions());
    char *title = core_strdup_printf("Help: keys of minca %s", MINCA_VERSION);
    tui_view *nv = tui_pager_new(v->app, title, text);
    g_free(text);
    g_free(title);
    if (nv)
        push_view(v->app, nv);
    return true;
}

/* M: the messages of this session, newest first, so a status line that was replaced is not lost. */
static bool act_messages(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    tui_app *app = v->app;
    GString *text = g_string_new(NULL);
    for (int i = app->n_messages - 1; i >= 0; i--)
        g_string_append_printf(text, "%s\n", app->messages[i]);
    if (!text->len)
        g_string_append(text, "No message yet.\n");
    tui_view *nv = tui_pager_new(app, "Messages (newest first)", text->str);
    g_string_free(text, TRUE);
    if (nv)
        push_view(app, nv);
    return true;
}

/* The current case's audit trail, oldest first, as a table (pane_audit.c). */
static bool act_audit(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    const char *cot = tui_app_current_case(v->app);
    if (!cot || !*cot) {
        tui_app_message(v->app, TUI_EL_NORMAL, "open a case first (Cases, Enter), then H shows its audit trail");
        return true;
    }
    tui_view *nv = tui_audit_new(v->app, cot);
    if (nv)
        push_view(v->app, nv);
    return true;
}

/* n and N after `/`: the next or previous line with the text. */
static bool act_search_again(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    tui_app *app = v->app;
    if (!v->table)
        return true;
    if (!app->search[0]) {
        tui_app_message(app, TUI_EL_NORMAL, "type / and a text first; then n and N go to the lines with it");
        return true;
    }
    if (!tui_table_find(v->table, app->search, act == TUI_ACT_SEARCH_PREV)) {
        tui_app_message(app, TUI_EL_WARN, "no line has \"%s\"", app->search);
        return true;
    }
    tui_app_message(app, TUI_EL_NORMAL, "/%s", app->search);
    moved(v);
    return true;
}

static bool act_quit(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    if (v->app->depth)
        pop_view(v->app);
    else
        v->app->quit = true;
    return true;
}

static bool act_back(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    if (v->table && tui_table_filter(v->table)) {
        tui_table_set_filter(v->table, NULL);
        tui_app_message(v->app, TUI_EL_NORMAL, "filter cleared");
        moved(v);
    } else if (v->app->depth) {
        pop_view(v->app);
    }
    return true;
}

static bool act_reload(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    tui_app *app = v->app;
    tui_view *base = app->tabs[app->active];
    app->events_retry = 0; /* a reload also retries the live-update subscription */
    for (int i = 0; i < TAB_COUNT; i++)
        app->tabs[i]->stale = true;
    for (int i = 0; i < app->depth; i++)
        if (app->stack[i]->ops->refresh)
            app->stack[i]->stale = true;
    app->message[0] = '\0';
    refresh_view(app, app->depth ? top_view(app) : base);
    if (!app->message[0])
        tui_app_message(app, TUI_EL_OK, "reloaded");
    return true;
}

static bool act_redraw(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    clearok(curscr, TRUE);
    v->app->dirty = DIRTY_ALL;
    return true;
}

static bool act_tab(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    tui_app *app = v->app;
    if (act == TUI_ACT_TAB_NEXT || act == TUI_ACT_TAB_PREV)
        show_tab(app, app->active + (act == TUI_ACT_TAB_NEXT ? 1 : -1));
    else
        show_tab(app, tab_of_action(act));
    return true;
}

static bool act_move(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    tui_app *app = v->app;
    if (!v->table || !tui_table_move(v->table, act, v->body_rows))
        return true;
    if (v->ops->select)
        v->ops->select(v);
    /* Within the same screenful only the two rows whose highlight changed are redrawn. */
    bool alone = !v->ops->draw || v->rows_redraw_alone;
    if (!(app->dirty & DIRTY_BODY) && alone && tui_table_draw_selection(v->table))
        wnoutrefresh(app->body);
    else
        app->dirty |= DIRTY_BODY;
    app->dirty |= DIRTY_STATUS;
    return true;
}

static bool act_enter(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    if (v->ops->enter) {
        tui_view *nv = v->ops->enter(v);
        if (nv)
            push_view(v->app, nv);
    }
    return true;
}

static bool act_command(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    tui_app *app = v->app;
    app->prompt = PROMPT_COMMAND;
    app->history_at = app->n_history;
    tui_line_reset(&app->line, NULL);
    app->dirty |= DIRTY_STATUS;
    return true;
}

/* I opens the `:` line on `insurer `; `:insurer SLUG` switches, `:insurer` says which. */
static bool act_insurer(tui_view *v, tui_action act, const char *args)
{
    tui_app *app = v->app;
    if (!args) {
        act_command(v, act, NULL);
        tui_line_reset(&app->line, "insurer ");
    } else if (*args) {
        switch_insurer(app, args);
    } else {
        minca_err err = {0};
        char *known = app->db ? store_tui_insurer_slugs(app->db, &err) : NULL;
        tui_app_message(app, TUI_EL_NORMAL, "insurer %s%s%s; :insurer SLUG switches", app->insurer_slug,
                        known ? " of " : "", known ? known : "");
        g_free(known);
    }
    return true;
}

/* `:334` or `:goto 334`: the line of inciso 334. */
static bool act_goto(tui_view *v, tui_action act, const char *args)
{
    (void)act;
    long long inciso = args ? atoll(args) : 0;
    if (!args || !g_ascii_isdigit(*args))
        tui_app_message(v->app, TUI_EL_ERROR, "go to which inciso? :goto NUMBER (or :NUMBER)");
    else if (!v->table || !tui_table_select_next(v->table, row_has_inciso, &inciso))
        tui_app_message(v->app, TUI_EL_WARN, "no inciso %lld here", inciso);
    moved(v);
    return true;
}

/* Outside the wizard, > and < pick the sort column (htop's way), descending for numbers: the
 * header shows the column and its direction. */
static bool act_sort_column(tui_view *v, tui_action act, const char *args)
{
    (void)args;
    if (!v->table)
        return true;
    int n = tui_table_columns(v->table), col = tui_table_sort_column(v->table);
    col = act == TUI_ACT_STEP_NEXT ? (col + 1 < n ? col + 1 : -1) : (col < 0 ? n - 1 : col - 1);
    tui_table_sort(v->table, col, false);
    moved(v);
    return true;
}

/* `:sort COLUMN [asc|desc]`: the column whose title begins with COLUMN; without one, the
 * columns there are. */
static void sort_by_name(tui_view *v, const char *args)
{
    char col[64] = "", dir[16] = "";
    sscanf(args, "%63s %15s", col, dir);
    int n = tui_table_columns(v->table), found = -1;
    for (int i = 0; i < n && found < 0 && *col; i++)
        if (g_ascii_strncasecmp(tui_table_column_title(v->table, i), col, strlen(col)) == 0)
            found = i;
    if (found < 0) {
        GString *names = g_string_new(NULL);
        for (int i = 0; i < n; i++)
            g_string_append_printf(names, "%s%s", i ? ", " : "", tui_table_column_title(v->table, i));
        tui_app_message(v->app, TUI_EL_ERROR, "sort by what? columns: %s", names->str);
        g_string_free(names, TRUE);
        return;
    }
    tui_table_sort(v->table, found, g_ascii_strncasecmp(dir, "desc", 1) == 0 && *dir);
    moved(v);
}

/* o: the next column, then unsorted; O: the other direction. */
static bool act_sort(tui_view *v, tui_action act, const char *args)
{
    if (!v->table)
        return true;
    if (args && act == TUI_ACT_SORT) {
        sort_by_name(v, args);
        return true;
    }
    int col = tui_table_sort_column(v->table);
    bool desc = tui_table_sort_desc(v->table);
    if (act == TUI_ACT_SORT) {
        col = col + 1 < tui_table_columns(v->table) ? col + 1 : -1;
        desc = false;
    } else if (col < 0) {
        col = 0, desc = true;
    } else {
        desc = !desc;
    }
    tui_table_sort(v->table, col, desc);
    moved(v);
    return true;
}

static bool act_filter(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    if (v->table) {
        /* A new filter starts empty (typing on after the previous one read as narrowing it,
         * a trap); the rows it shows follow the typing, Enter on nothing clears it. */
        v->app->prompt = PROMPT_FILTER;
        tui_line_reset(&v->app->line, NULL);
        v->app->dirty |= DIRTY_STATUS;
    }
    return true;
}

/* What every view does with an action it has no row of its own for. */
#define TAB_ROW_(id, name, key, pane, help) {TUI_ACT_TAB_##id, act_tab},
static const tui_action_row app_rows[] = {
    {TUI_ACT_DOWN, act_move},
    {TUI_ACT_UP, act_move},
    {TUI_ACT_PAGE_DOWN, act_move},
    {TUI_ACT_PAGE_UP, act_move},
    {TUI_ACT_FIRST, act_move},
    {TUI_ACT_LAST, act_move},
    {TUI_ACT_ENTER, act_enter},
    {TUI_ACT_BACK, act_back},
    {TUI_ACT_FILTER, act_filter},
    {TUI_ACT_SORT, act_sort},
    {TUI_ACT_SORT_REVERSE, act_sort},
    {TUI_ACT_SEARCH_NEXT, act_search_again},
    {TUI_ACT_SEARCH_PREV, act_search_again},
    {TUI_ACT_AUDIT, act_audit},
    {TUI_ACT_STEP_NEXT, act_sort_column},
    {TUI_ACT_STEP_PREV, act_sort_column},
    {TUI_ACT_COMMAND, act_command},
    {TUI_ACT_GOTO, act_goto},
    {TUI_ACT_INSURER, act_insurer},
    TUI_TABS(TAB_ROW_)
    {TUI_ACT_TAB_NEXT, act_tab},
    {TUI_ACT_TAB_PREV, act_tab},
    {TUI_ACT_RELOAD, act_reload},
    {TUI_ACT_REDRAW, act_redraw},
    {TUI_ACT_HELP, act_help},
    {TUI_ACT_MESSAGES, act_messages},
    {TUI_ACT_QUIT, act_quit},
    TUI_ROWS_END,
};

const tui_action_row *tui_app_actions(void) { return app_rows; }

#define TAB_KIND_(id, name, key, pane, help) &tui_pane_##pane##_ops,
static const tui_view_ops *const view_kinds[] = {
    TUI_TABS(TAB_KIND_) &tui_pane_wizard_ops, &tui_pane_compose_ops, &tui_pane_search_ops, NULL,
};

const tui_view_ops *const *tui_view_kinds(void) { return view_kinds; }

const tui_action_row *tui_action_row_of(const tui_action_row *rows, tui_action act)
{
    for (const tui_action_row *r = rows; r && r->act != TUI_ACT_NONE; r++)
        if (r->act == act)
            return r;
    return NULL;
}

/* Runs row r in v once the user's role allows it (else the reason on the status line). */
static bool run_row(tui_view *v, const tui_action_row *r, const char *args)
{
    char why[512];
    if (!tui_action_permitted(v->app, r->act, why, sizeof why)) {
        tui_app_message(v->app, TUI_EL_ERROR, "%s", why);
        v->app->dirty |= DIRTY_STATUS;
        return true;
    }
    return r->run(v, r->act, args);
}

/* One key (or, with key 0, the action act from the `:` line or the mouse, args its argument):
 * the actions bound to it, tried as the focused view's rows, then as its typing, then as the
 * desk's rows; the first that runs ends it. */
static void dispatch(tui_app *app, tui_action act, tui_key key, const char *args)
{
    tui_view *v = top_view(app);
    tui_action bound[8];
    int n = key ? tui_keys_lookup_all(key, bound, 8) : 0;
    if (!key && act != TUI_ACT_NONE)
        bound[n++] = act;
    for (int i = 0; i < n; i++) {
        const tui_action_row *r = tui_action_row_of(v->ops->actions, bound[i]);
        if (r && run_row(v, r, args)) {
            app->dirty |= DIRTY_BODY | DIRTY_STATUS;
            return;
        }
    }
    if (key && v->ops->key && v->ops->key(v, n ? bound[0] : TUI_ACT_NONE, key)) {
        app->dirty |= DIRTY_BODY | DIRTY_STATUS;
        return;
    }
    for (int i = 0; i < n; i++) {
        const tui_action_row *r = tui_action_row_of(app_rows, bound[i]);
        if (r && run_row(v, r, args))
            return;
    }
    if (n) {
        tui_app_message(app, TUI_EL_NORMAL, "%s is not available here", tui_action_name(bound[0]));
    } else {
        char name[32];
        tui_key_name(key, name, sizeof name);
        tui_app_message(app, TUI_EL_NORMAL, "%s does nothing here; ? lists the keys", name);
    }
}

/* Mouse (MINCA_TUI_MOUSE=1): a click on a tab label switches panes, a click on a row selects
 * it, a double click opens it, the wheel moves three lines. */
static void handle_mouse(tui_app *app)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || app->too_small || app->prompt != PROMPT_NONE)
        return;
    tui_view *v = top_view(app);
    if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
        for (int i = 0; i < 3; i++)
            dispatch(app, (ev.bstate & BUTTON4_PRESSED) ? TUI_ACT_UP : TUI_ACT_DOWN, 0, NULL);
        return;
    }
    if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_PRESSED)))
        return;
    if (ev.y == 0) {
        for (int i = 0; i < TAB_COUNT; i++)
            if (app->tab_w[i] && ev.x >= app->tab_x[i] && ev.x < app->tab_x[i] + app->tab_w[i])
                show_tab(app, i);
        return;
    }
    if (!v->table || !tui_table_select_at(v->table, ev.y - 1))
        return;
    if (v->ops->select)
        v->ops->select(v);
    app->dirty |= DIRTY_BODY | DIRTY_STATUS;
    if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
        dispatch(app, TUI_ACT_ENTER, 0, NULL);
}

static void handle_key(tui_app *app, tui_key key)
{
    if (key == TUI_FN(KEY_RESIZE)) {
        handle_resize(app);
        return;
    }
    if (app->too_small) {
        tui_action act = tui_keys_lookup(key);
        if (act == TUI_ACT_QUIT)
            app->quit = true;
        return;
    }
    if (app->prompt == PROMPT_FILTER) {
        handle_filter_key(app, key);
        return;
    }
    if (app->prompt == PROMPT_COMMAND) {
        handle_command_key(app, key);
        return;
    }
    if (app->prompt == PROMPT_TEXT) {
        handle_text_key(app, key);
        return;
    }
    if (app->prompt == PROMPT_CHOICE) {
        handle_choice_key(app, key);
        if (app->closing) {
            if (app->depth && app->stack[app->depth - 1] == app->closing)
                pop_view(app);
            app->closing = NULL;
        }
        return;
    }
    if (key == TUI_FN(KEY_MOUSE))
        handle_mouse(app);
    else
        dispatch(app, tui_keys_lookup(key), key, NULL);
    if (app->closing) {
        if (app->depth && app->stack[app->depth - 1] == app->closing)
            pop_view(app);
        app->closing = NULL;
    }
}

/* Reads one key; false on timeout or interruption. */
static bool read_key(tui_app *app, tui_key *key)
{
    wint_t wc;
    int r = wget_wch(app->status, &wc);
    if (r == KEY_CODE_YES) {
        *key = TUI_FN((int)wc);
        return true;
    }
    if (r == OK) {
        *key = (tui_key)wc;
        return true;
    }
    return false;
}

/* Live refresh: every few seconds, a cheap query tells whether what the panes show has
 * changed (another window ran a batch, a worker codified a case); if so the panes reload,
 * keeping their selection and filter. This is the fallback that always works; Redis
 * live-update events can wake it sooner. */
static void poll_changes(tui_app *app)
{
    double now = core_now_seconds();
    if (now - app->last_poll < app->poll_seconds)
        return;
    app->last_poll = now;
    if (app->too_small || !store_tui_connected(app->db) || !app->insurer_known)
        return;
    char stamp[sizeof app->stamp];
    minca_err err = {0};
    if (store_tui_change_stamp(app->db, app->insurer.id, app->current_cot, stamp, sizeof stamp, &err) < 0) {
        log_warn("tui: %s", err.msg);
        return;
    }
    const char *cot = app->current_cot ? app->current_cot : "";
    /* The stamp's last part covers the current case: comparable only for the same case (on a
     * case change Matches reloads anyway); the rest covers the whole insurer. */
    char *case_part = strrchr(stamp, '|'), *old_case_part = strrchr(app->stamp, '|');
    bool changed = false;
    if (app->stamp[0] && case_part && old_case_part) {
        changed = (case_part - stamp) != (old_case_part - app->stamp) ||
                  strncmp(stamp, app->stamp, (size_t)(case_part - stamp)) != 0 ||
                  (strcmp(cot, app->stamp_cot) == 0 && strcmp(case_part, old_case_part) != 0);
    }
    if (changed) {
        log_debug("tui: data changed (%s -> %s); reloading the panes", app->stamp, stamp);
        tui_app_changed(app);
    }
    long jobs = store_jobs_unfinished(app->db, &err);
    if (jobs >= 0 && jobs != app->jobs_unfinished) {
        app->jobs_unfinished = jobs;
        app->dirty |= DIRTY_STATUS;
    }
    memcpy(app->stamp, stamp, sizeof stamp);
    snprintf(app->stamp_cot, sizeof app->stamp_cot, "%s", cot);
}

/* Subscribes to the engine's events once the database is up, and again a while after Redis
 * went away. */
static void ensure_events(tui_app *app)
{
    if (app->events || !app->db || core_now_seconds() < app->events_retry)
        return;
    app->events = tui_events_open();
    if (app->events) {
        app->events_backoff = 0;
        return;
    }
    app->events_backoff = app->events_backoff ? app->events_backoff * 2 : TUI_EVENTS_RETRY_SECONDS;
    if (app->events_backoff > 600)
        app->events_backoff = 600;
    app->events_retry = core_now_seconds() + app->events_backoff;
}

/* A job finished: check for changes within TUI_WAKE_SECONDS, so that a burst of jobs (a batch
 * running in the desk) costs one reload, not one per job. */
static void poll_soon(tui_app *app)
{
    double soon = core_now_seconds() - app->poll_seconds + TUI_WAKE_SECONDS;
    if (app->last_poll > soon)
        app->last_poll = soon;
}

/* Milliseconds until the next change check is due (at most a second). */
static int poll_wait_ms(tui_app *app)
{
    double left = app->last_poll + app->poll_seconds - core_now_seconds();
    int ms = (int)(left * 1000) + 1;
    return ms < 10 ? 10 : ms > 1000 ? 1000 : ms;
}

/* Engine threads: a finished job wakes the key loop through the pipe (write() is safe from
 * any thread; a full pipe already holds a wake-up). */
static void on_job_done(const queue_job *job, bool ok, const char *error, json_t *event, void *user)
{
    (void)job, (void)ok, (void)error, (void)event;
    tui_app *app = user;
    char b = 1;
    if (app->wake_pipe[1] >= 0 && write(app->wake_pipe[1], &b, 1) < 0 && errno != EAGAIN)
        log_debug("tui: wake-up pipe: %s", strerror(errno));
}

/* The pipeline runs inside the desk (threads), so mail that arrives or a case that is
 * re-run is processed while staff work. Started once the database is reachable;
 * MINCA_TUI_ENGINE=0 leaves the work to `minca worker` processes. */
static void ensure_engine(tui_app *app)
{
    if (app->engine_tried || !app->db)
        return;
    app->engine_tried = true;
    if (!config_get()->tui_engine) {
        log_info("tui: tui.engine is off (MINCA_TUI_ENGINE=0): no in-process engine");
        return;
    }
    minca_err err = {0};
    engine_opts o = {.threads = config_get()->workers > 0 ? config_get()->workers : 1, .name = "tui",
                     .listener = on_job_done, .listener_user = app, .kinds = steps_kinds};
    app->engine = engine_start(&o, &err);
    if (!app->engine)
        tui_app_message(app, TUI_EL_WARN, "pipeline not started: %s", err.msg);
    else
        log_info("tui: pipeline running in-process with %d thread(s)", o.threads);
}

/* Sleeps until a key, an event or the timeout. An event makes the change check run at once.
 * A signal (SIGWINCH included) interrupts the wait; ncurses then reports KEY_RESIZE. */
static void wait_input(tui_app *app, int timeout_ms)
{
    struct pollfd fds[3] = {{.fd = STDIN_FILENO, .events = POLLIN},
                            {.fd = app->wake_pipe[0], .events = POLLIN},
                            {.fd = tui_events_fd(app->events), .events = POLLIN}};
    nfds_t nfds = fds[2].fd >= 0 ? 3 : 2;
    if (poll(fds, nfds, timeout_ms) <= 0)
        return;
    if (fds[1].revents & POLLIN) {
        char buf[256];
        while (read(app->wake_pipe[0], buf, sizeof buf) > 0)
            ;
        poll_soon(app);
    }
    if (nfds == 3 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
        int n = tui_events_drain(app->events);
        if (n < 0) {
            tui_events_close(app->events);
            app->events = NULL;
            app->events_retry = 0; /* Redis restarted, most likely: try again at once */
            app->last_poll = 0;    /* and catch up with what happened meanwhile */
        } else if (n > 0) {
            poll_soon(app);
        }
    }
}

/* ---- run --------------------------------------------------------------------------------- */

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns so the loop sees the flag */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void app_free(tui_app *app)
{
    if (app->engine) {
        engine_stop(app->engine); /* finishes or releases the jobs in hand */
        app->engine = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (app->wake_pipe[i] >= 0)
            close(app->wake_pipe[i]);
    if (app->timing)
        fclose(app->timing);
    while (app->depth)
        pop_view(app);
    for (int i = 0; i < TAB_COUNT; i++)
        tui_view_free(app->tabs[i]);
    g_free(app->current_cot);
    for (int i = 0; i < app->n_history; i++)
        g_free(app->history[i]);
    for (int i = 0; i < app->n_messages; i++)
        g_free(app->messages[i]);
    tui_events_close(app->events);
    store_tui_close(app->db);
}

static void show_connecting(tui_app *app)
{
    if (app->too_small)
        return;
    draw_tabs(app);
    werase(app->body);
    wattrset(app->body, tui_theme_attr(TUI_EL_DIM));
    tui_text_put(app->body, 1, 1, getmaxx(app->body) - 1, "Connecting to the database…", false);
    wattrset(app->body, A_NORMAL);
    wnoutrefresh(app->body);
    werase(app->status);
    wnoutrefresh(app->status);
    doupdate();
}

int tui_run(void)
{
    const minca_config *cfg = config_get();
    tui_app app;
    memset(&app, 0, sizeof app);
    app.jobs_unfinished = -1;
    app.wake_pipe[0] = app.wake_pipe[1] = -1;
    if (pipe(app.wake_pipe) == 0) {
        for (int i = 0; i < 2; i++)
            fcntl(app.wake_pipe[i], F_SETFL, fcntl(app.wake_pipe[i], F_GETFL) | O_NONBLOCK);
    } else {
        app.wake_pipe[0] = app.wake_pipe[1] = -1;
    }
    const char *timing = getenv("MINCA_TUI_TIMING");
    if (timing && *timing && !(app.timing = fopen(timing, "a")))
        log_warn("tui: cannot write key timings to %s", timing);
    app.full_redraw = getenv("MINCA_TUI_FULL_REDRAW") && strcmp(getenv("MINCA_TUI_FULL_REDRAW"), "1") == 0;
    install_signals();
    tui_keys_init();
    choose_start_insurer(&app);
    for (int i = 0; i < TAB_COUNT; i++) {
        app.tabs[i] = tui_view_new(&app, tab_defs[i].ops);
        if (!app.tabs[i]) {
            app_free(&app);
            return 1;
        }
    }

    /* newterm, unlike initscr, returns NULL instead of exiting on an unusable TERM. */
    SCREEN *screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        const char *term = getenv("TERM");
        log_error("tui: cannot use terminal type '%s'", term ? term : "");
        fprintf(stderr, "minca: cannot use terminal type '%s'; set TERM (e.g. xterm-256color)\n", term ? term : "");
        app_free(&app);
        return 1;
    }
    log_info("tui: started on a %dx%d terminal (TERM=%s)", COLS, LINES, getenv("TERM") ? getenv("TERM") : "?");
    cbreak();
    noecho();
    nonl();
    curs_set(0);
    set_escdelay(25);
    if (cfg->tui_mouse) {
        app.mouse = mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL) != 0;
        log_info("tui: mouse %s", app.mouse ? "on" : "not available on this terminal");
    }
    tui_theme_load(cfg->theme);
    const char *codeset = nl_langinfo(CODESET);
    bool utf8 = codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
    wnoutrefresh(stdscr);
    create_windows(&app);
    show_connecting(&app);

    /* The first render refreshes the Inbox, which connects (starting the embedded servers
     * when needed) and reports a database that is down on the status line. */
    app.active = TAB_INBOX;
    app.dirty = DIRTY_ALL;
    if (!utf8)
        tui_app_message(&app, TUI_EL_WARN, "the locale is not UTF-8 (%s): accents and Ñ may show wrong; set LANG=C.UTF-8",
                        codeset ? codeset : "?");

    app.poll_seconds = cfg->tui_poll;

    while (!app.quit && !got_signal) {
        render(&app);
        ensure_events(&app);
        ensure_engine(&app);
        tui_key key;
        /* Keys ncurses already buffered first; poll() only sees what is still unread. */
        if (!read_key(&app, &key)) {
            wait_input(&app, poll_wait_ms(&app));
            if (!read_key(&app, &key)) {
                poll_changes(&app);
                continue;
            }
        }
        double t0 = app.timing ? core_now_seconds() : 0;
        if (app.full_redraw) {
            /* Baseline for the benchmark: every key repaints every cell. */
            clearok(curscr, TRUE);
            app.dirty = DIRTY_ALL;
        }
        /* The action the key stands for, named before it runs (it may open a prompt). */
        tui_action timed_act = app.prompt == PROMPT_NONE ? tui_keys_lookup(key) : TUI_ACT_NONE;
        handle_key(&app, key);
        if (app.timing) {
            tui_action act = timed_act;
            if (app.full_redraw)
                app.dirty = DIRTY_ALL;
            render(&app);
            fprintf(app.timing, "%s %.1f\n", tui_action_name(act), (core_now_seconds() - t0) * 1e6);
            fflush(app.timing);
        }
        poll_changes(&app);
    }
    int status = 0;
    if (got_signal) {
        log_info("tui: leaving on signal %d", (int)got_signal);
        status = 128 + (int)got_signal; /* what a shell reports for a signalled program */
    }
    endwin();
    delscreen(screen);
    app_free(&app);
    log_info("tui: closed");
    return status;
}
