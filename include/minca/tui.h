/* tui: the full-screen terminal desk (ncursesw).
 *
 * Layout: a tab bar (line 0), the body (the active view), a status line (last line).
 * Every pane is a `tui_view` driven through one `tui_view_ops` vtable (open, close, refresh,
 * draw, key, enter, select), in the manner of tig's view_ops: one file per pane
 * (pane_inbox.c, pane_cases.c, ...). Detail and help screens are views too (pager.c), pushed
 * over the pane and popped with Esc or q; so are the case view (pane_matches.c, Enter in
 * Cases), the candidate list (pane_candidates.c), the catalog search (pane_search.c) and the
 * profile wizard (pane_wizard.c).
 *
 * Review decisions go through desk_review.h, one transaction each, as the acting user
 * (config user); the pipeline engine runs in-process (engine threads) and wakes the key loop
 * through a pipe when a job finishes.
 *
 * Keys go through one list of named actions (tui_actions.h, bound in keys.c); `keys:` in the config
 * remaps them, `?` lists them and `:` runs them by name. Each view names the actions it runs in
 * a table of rows {action, handler}; the desk's own table holds the rest, and one dispatch
 * (app.c) picks the row, checks the role and calls the handler. Colours come from
 * themes/<name>.yaml (theme.c).
 *
 * Live refresh: the engine's events on Redis (events.c) and, as the fallback that always
 * works, a change stamp polled every MINCA_TUI_POLL seconds (default 3) mark the panes stale;
 * a stale pane reloads before it is drawn, keeping its selection and filter.
 *
 * Redraw: the tab bar, body and status line are separate windows redrawn only when dirty
 * (wnoutrefresh + one doupdate per key); a move redraws two rows, scrolling by one line
 * when it passes the edge.
 *
 * Threading: everything here runs on the thread that called tui_run(). Nothing is printed to
 * stdout/stderr while curses owns the terminal; problems go to the log and the status line. */
#ifndef MINCA_TUI_H
#define MINCA_TUI_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include "minca/core.h"
#include "minca/desk_review.h"
#include "minca/tui_actions.h"

#include <curses.h>
/* curses' refresh() macro (stdscr only, never used here) would shadow the view op. */
#undef refresh
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Opens the UI on the terminal and runs until the user quits (or SIGINT/SIGTERM/SIGHUP).
 * Returns the process exit status: 0 on quit, 128 + the signal number on a signal, 1 when
 * the terminal cannot be used. */
int tui_run(void);

/* ---- keys (keys.c) ------------------------------------------------------------------ */

/* A key: a Unicode code point for characters (Ctrl-X is 0x18), TUI_FN(KEY_xxx) for curses
 * function keys, so the two ranges never collide. */
typedef int tui_key;
#define TUI_FN(k) (0x110000 + (k))

/* The actions and tabs are rows of the lists in tui_actions.h. */
#define TUI_ACTION_ENUM_(id, name, keys, fixed, needs, help) TUI_ACT_##id,
#define TUI_TAB_ACTION_ENUM_(id, name, key, pane, help) TUI_ACT_TAB_##id,
typedef enum tui_action {
    TUI_ACT_NONE = 0,
    TUI_ACTIONS(TUI_ACTION_ENUM_, TUI_TAB_ACTION_ENUM_)
    TUI_ACT_COUNT
} tui_action;

/* A row {action, handler} of a dispatch table (below, "actions as rows"). */
typedef struct tui_action_row tui_action_row;

/* Builds the bindings from the action table, then applies config_get()->keys. An unknown
 * action name or key spec is logged and skipped. Idempotent. */
void tui_keys_init(void);
tui_action tui_keys_lookup(tui_key key);
/* Every action bound to key, in binding order (a key may mean different things in different
 * panes, e.g. `m` composes in the Inbox and cycles a normalisation in the wizard); returns
 * how many were written to out (at most max). */
int tui_keys_lookup_all(tui_key key, tui_action *out, int max);
/* Action by name ("quit"); TUI_ACT_NONE when unknown. */
tui_action tui_action_by_name(const char *name);
const char *tui_action_name(tui_action act);
/* Parses a key spec: "q", "Q", "C-x", "F5", "Enter", "Esc", "Tab", "S-Tab", "Up", "Down",
 * "Left", "Right", "PgUp", "PgDn", "Home", "End", "Space", "Backspace", "Del", or one
 * UTF-8 character. Returns 0 or -1. */
int tui_key_parse(const char *spec, tui_key *out);
/* Human name of a key ("j", "Down", "C-l") into buf. */
void tui_key_name(tui_key key, char *buf, size_t len);
/* Name of the first key bound to act ("" when none), e.g. for the tab labels. */
void tui_keys_primary(tui_action act, char *buf, size_t len);
/* Copy of text with each "{action}" (an action name) replaced by its first bound key, so
 * hints name the keys the user really has. g_malloc'd. */
char *tui_keys_expand(const char *text);
/* The keys bound to act (remappable first, then fixed; Enter's aliases left out) into
 * out; returns how many were written (at most max). */
int tui_keys_of(tui_action act, tui_key *out, int max);
/* The action's help text from its row ("" for an unknown action). Static string. */
const char *tui_action_help(tui_action act);
/* The help screen text for a view titled title whose rows are pane (may be NULL): the
 * desk's actions (global, may be NULL), then the view's own, with the live bindings
 * (g_malloc'd). */
char *tui_keys_help_text(const char *title, const tui_action_row *pane, const tui_action_row *global);

/* ---- theme (theme.c) ----------------------------------------------------------------- */

typedef enum tui_elem {
    TUI_EL_NORMAL = 0,
    TUI_EL_TITLE,
    TUI_EL_TAB,
    TUI_EL_TAB_ACTIVE,
    TUI_EL_HEADER,
    TUI_EL_SELECTED,
    TUI_EL_STATUS,
    TUI_EL_ERROR,
    TUI_EL_WARN,
    TUI_EL_OK,
    TUI_EL_DIM,
    TUI_EL_FILTER,
    TUI_EL_HINT,
    TUI_EL_COUNT
} tui_elem;

/* Loads the theme (a name under <share>/themes/, or a path to a .yaml file) and sets up
 * colour pairs; call after initscr(). Falls back to 8 colours, or to attributes only when the
 * terminal has no colours or the theme is missing or broken (logged). Returns 0, or -1 when
 * the built-in fallback is in use. */
int tui_theme_load(const char *name_or_path);
/* Attributes (colour pair included) for an element. */
attr_t tui_theme_attr(tui_elem elem);
const char *tui_theme_elem_name(tui_elem elem);
/* Short description of what was loaded, e.g. "default (256 colours)". Static string. */
const char *tui_theme_describe(void);

/* ---- text (text.c): UTF-8 by display columns ------------------------------------------ */

/* Measuring and fitting are text_display_width() and text_fit_width() (minca/core_text.h). */
/* Draws a horizontal rule ("─") of width columns at (y, x). */
void tui_text_rule(WINDOW *w, int y, int x, int width);
/* Draws utf8 at (y, x) fitted to width columns. */
void tui_text_put(WINDOW *w, int y, int x, int width, const char *utf8, bool right_align);
/* A compact time for list columns from "YYYY-MM-DD HH:MM[...]" (the store's UTC text):
 * "MM-DD HH:MM" within the current year, "YYYY-MM-DD" before it, the input otherwise. */
void tui_text_when(const char *iso, char *out, size_t outsz);
/* text with the words that tell it apart from the others first: the words of text missing
 * from at least one of others[0..n) (n may be 0), then " · " and the words every one shares
 * ("AUT 4X4 · SENTRA SENSE 5OCUP" beside "SENTRA SENSE STD 4X2 5OCUP"). Without a
 * difference, text as it is. g_malloc'd. */
char *tui_text_distinct(const char *text, const char *const *others, int n);
/* Splits text into lines no wider than width columns, breaking at spaces where possible;
 * calls fn for each line (a g_malloc'd string that fn takes). */
void tui_text_wrap(const char *utf8, int width, void (*fn)(char *line, void *user), void *user);

/* ---- table (table.c): the list widget shared by the panes ----------------------------- */

typedef struct tui_column {
    const char *title;
    int min_width;     /* columns always given */
    int weight;        /* share of the spare width (0: fixed) */
    bool right;        /* right-aligned (numbers) */
} tui_column;

typedef struct tui_table tui_table;

/* cols is borrowed (usually a static array) and must outlive the table. */
tui_table *tui_table_new(const tui_column *cols, int ncols);
void tui_table_free(tui_table *t);
/* Drops the rows (keeping the filter and remembering the selected row's key, so that a
 * reload keeps the selection on the same item). */
void tui_table_clear(tui_table *t);
/* Appends a row. key identifies the item across reloads (copied); cells (ncols strings,
 * NULL shown empty) are copied; data is borrowed with a new reference (may be NULL). */
void tui_table_add(tui_table *t, const char *key, const char *const *cells, tui_elem elem, json_t *data);
/* Gives the last added row a sort key for column col (e.g. a full timestamp behind a short
 * date shown in the cell). Copied. */
void tui_table_set_sort_key(tui_table *t, int col, const char *sort_key);
/* Re-applies the filter after rows were added and restores the remembered selection. */
void tui_table_done(tui_table *t);
/* Sets the incremental filter (NULL or "" clears it); matching ignores case and accents. */
void tui_table_set_filter(tui_table *t, const char *filter);
const char *tui_table_filter(const tui_table *t);
/* Text drawn when there is no row (and no filter); "{action}" placeholders are expanded
 * with tui_keys_expand(). Copied. */
void tui_table_set_empty(tui_table *t, const char *hint);
void tui_table_set_header(tui_table *t, bool show);
/* Sorts by column col (-1: the order rows were added in), descending when desc; kept across
 * reloads. Right-aligned columns sort as numbers, the others ignoring case and accents. */
void tui_table_sort(tui_table *t, int col, bool desc);
int tui_table_sort_column(const tui_table *t);
bool tui_table_sort_desc(const tui_table *t);
int tui_table_columns(const tui_table *t);
const char *tui_table_column_title(const tui_table *t, int col);
/* Moves the selection to the next row after it (wrapping) whose data satisfies match.
 * True when one was found. */
bool tui_table_select_next(tui_table *t, bool (*match)(json_t *data, void *user), void *user);
/* The same, backwards: the row before it (wrapping). */
bool tui_table_select_prev(tui_table *t, bool (*match)(json_t *data, void *user), void *user);
/* Moves the selection to the next row after it (backwards: before it), wrapping, among the rows
 * passing the filter, whose cells contain text (ignoring case and accents, as the filter
 * does). True when one was found. */
bool tui_table_find(tui_table *t, const char *text, bool backwards);
/* Applies a movement action; page is the number of visible rows. True when it moved. */
bool tui_table_move(tui_table *t, tui_action act, int page);
/* Selects the row drawn at line y of the window the table was last drawn in; true when a
 * row is there (mouse clicks). */
bool tui_table_select_at(tui_table *t, int y);
/* Selected row's data / key (NULL when none). */
json_t *tui_table_selected(const tui_table *t);
const char *tui_table_selected_key(const tui_table *t);
int tui_table_position(const tui_table *t);   /* 1-based; 0 when empty */
int tui_table_visible(const tui_table *t);    /* rows passing the filter */
int tui_table_total(const tui_table *t);
/* Column col is left out (no width, no title) while no row has text in it. */
void tui_table_set_optional(tui_table *t, int col);
/* When the width is short of every column's minimum, the columns given a rank are left out,
 * the highest rank first (the rightmost of equals); unranked columns are then cut from the
 * right. */
void tui_table_set_drop(tui_table *t, int col, int rank);
/* A long cell of column col shows its end ("…KL123456", a VIN's serial), not its start. */
void tui_table_set_tail(tui_table *t, int col);
/* Data of the i-th row passing the filter (0-based, in the order shown); NULL past the end. */
json_t *tui_table_visible_data(const tui_table *t, int i);
/* Draws header and rows into the rectangle (y, x, h, w) of win. */
void tui_table_draw(tui_table *t, WINDOW *win, int y, int x, int h, int w);

/* After a move, redraws just the previously and newly selected rows where the last
 * tui_table_draw() put them; a move past the edge scrolls the drawn rows by one line
 * (wscrl, sent as a terminal scroll when the window has idlok) and draws the line that came
 * in. False when the table must be drawn in full (paged, reloaded, filtered, never drawn). */
bool tui_table_draw_selection(tui_table *t);

/* ---- line editor (lineedit.c): the `/` filter prompt and later `:` and notes ----------- */

typedef struct tui_line {
    char buf[512];     /* UTF-8 */
    size_t len;
} tui_line;

typedef enum { TUI_LINE_EDITING, TUI_LINE_ACCEPT, TUI_LINE_CANCEL } tui_line_result;

void tui_line_reset(tui_line *l, const char *initial);
/* Handles one key; *changed tells whether the text changed. */
tui_line_result tui_line_key(tui_line *l, tui_key key, bool *changed);

/* ---- live-update events (events.c) ---------------------------------------------------- */

typedef struct tui_events tui_events;
/* Subscribes to the engine's events on Redis; NULL when Redis is unavailable (logged). */
tui_events *tui_events_open(void);
/* The socket to poll() for readability, or -1. */
int tui_events_fd(const tui_events *ev);
/* Reads what arrived (call when the socket is readable): the number of events, or -1 when
 * the connection is lost (then close it and open again later). */
int tui_events_drain(tui_events *ev);
void tui_events_close(tui_events *ev);

/* ---- views -------------------------------------------------------------------------- */

typedef struct tui_app tui_app;
typedef struct tui_view tui_view;

typedef struct tui_view_ops {
    const char *name;      /* "inbox" */
    const char *title;     /* "Inbox" (tab label, status line) */
    /* Allocates v->priv and v->table; no database work. 0 or -1. */
    int (*open)(tui_view *v);
    /* Frees what open allocated (v itself is freed by the caller). */
    void (*close)(tui_view *v);
    /* Reloads from the store (tui_app_db()); reports problems with tui_app_message(). */
    void (*refresh)(tui_view *v);
    /* Draws the body (h x w at the window's origin). NULL: the table fills the body. */
    void (*draw)(tui_view *v, WINDOW *win, int h, int w);
    /* The actions this view gives a meaning of its own (the rows whose `where` is this
     * view), ending with TUI_ROWS_END; tried before the desk's own rows. NULL: none. */
    const tui_action_row *actions;
    /* Typing: a view that takes text (the search query, the compose form) sees each key,
     * with the first action bound to it, after its own rows and before the desk's; true
     * when it took the key. NULL for views that only run actions. */
    bool (*key)(tui_view *v, tui_action act, tui_key key);
    /* Enter on the selection: a new view to push (the app owns it), or NULL. */
    tui_view *(*enter)(tui_view *v);
    /* The selection moved (e.g. Cases tells the app which case Matches shows). */
    void (*select)(tui_view *v);
} tui_view_ops;

struct tui_view {
    const tui_view_ops *ops;
    tui_app *app;
    void *priv;            /* the pane's state, owned by the pane */
    tui_table *table;      /* the pane's list (movement and filter are generic), or NULL */
    int body_rows;         /* rows the table had at the last draw (page size) */
    /* Set by a view whose draw does not depend on the selection beyond the table's rows, so
     * a move may redraw just two rows (implied for views without a draw op). */
    bool rows_redraw_alone;
    bool loaded;           /* refresh ran at least once */
    bool stale;            /* refresh before the next draw */
};

/* ---- actions as rows (dispatch in app.c) ------------------------------------------------
 *
 * An action is one row of TUI_ACTIONS (name, keys, role, help) and, for each place it applies,
 * one row {action, handler}: in the desk's own table (app.c: every view) or in a view's
 * `actions` (that view only), the way NeoMutt gives each menu its table of functions. A key
 * or a `:NAME ARGS` line is dispatched by one function: the actions bound to the key (or the
 * name), the focused view's rows first, then its typing, then the desk's rows; the first row
 * found has its role checked (permissions.c) and its handler called. */

/* Runs act in v. args: NULL when a key ran it, the text after the name when the `:` line did
 * ("" for none; handlers that take an argument parse it). True when done; false hands the
 * action on to the next row (a view's row giving way to the desk's, e.g. Esc in the wizard
 * with nothing unsaved). */
typedef bool (*tui_handler)(tui_view *v, tui_action act, const char *args);
struct tui_action_row {
    tui_action act;
    tui_handler run;
};
#define TUI_ROWS_END {TUI_ACT_NONE, NULL}

/* The desk's own rows, ending with TUI_ROWS_END (static, app.c). */
const tui_action_row *tui_app_actions(void);
/* Every kind of view that has action rows or takes typing, ending with NULL (static, app.c);
 * the help screen and the table checks read it. */
const tui_view_ops *const *tui_view_kinds(void);
/* The row of act among rows (NULL-safe), or NULL. */
const tui_action_row *tui_action_row_of(const tui_action_row *rows, tui_action act);

/* Creates a view and calls ops->open; NULL on failure. */
tui_view *tui_view_new(tui_app *app, const tui_view_ops *ops);
/* Calls ops->close and frees the view. NULL is fine. */
void tui_view_free(tui_view *v);

/* The panes of the tabs (TUI_TABS in tui_actions.h): tui_pane_inbox_ops, ... */
#define TUI_TAB_OPS_DECL_(id, name, key, pane, help) extern const tui_view_ops tui_pane_##pane##_ops;
TUI_TABS(TUI_TAB_OPS_DECL_)

/* The views pushed over a pane that have action rows or take typing. */
extern const tui_view_ops tui_pane_wizard_ops;
extern const tui_view_ops tui_pane_compose_ops;
extern const tui_view_ops tui_pane_search_ops;

/* The audit trail of case `cot` as a table (pane_audit.c): time, who, action, inciso,
 * before → after; Enter shows an entry in full. */
tui_view *tui_audit_new(tui_app *app, const char *cot);
/* A scrolling text view (detail screens, help); text is copied and wrapped to the width. */
tui_view *tui_pager_new(tui_app *app, const char *title, const char *text);
/* The Matches pane opened on one case (Enter in Cases pushes it). */
tui_view *tui_matches_new(tui_app *app, const char *cot);
/* The same, with the row row_id selected once the case is loaded (the Queue's `i`). */
tui_view *tui_matches_new_at(tui_app *app, const char *cot, long long row_id);
/* Ranked candidates of vehicle row row_id (pane_candidates.c); Enter picks one through
 * review_pick and closes the list. NULL (reason on the status line) when unavailable. */
tui_view *tui_candidates_new(tui_app *app, long long row_id);
/* Picks key (an object with cvegs and year) for the vehicle row through review_pick, reports
 * it on the status line (origin is appended, may be NULL) and closes the picking view v. */
void tui_pick_key(tui_view *v, long long row_id, json_t *row, json_t *key, const char *origin);
/* Incremental search of the insurer's active catalog (pane_search.c) for row row_id; the
 * query starts as `initial`. Enter picks the selected key and year for the row. */
tui_view *tui_search_new(tui_app *app, long long row_id, const char *initial);
/* The same, where Enter hands the selected entry (borrowed: cvegs, year, marca, submarca,
 * descveh) to pick(v, key, user) instead of deciding the row; pick may close v
 * (tui_app_close). The Queue's `s` decides a whole line this way. */
tui_view *tui_search_new_pick(tui_app *app, long long row_id, const char *initial,
                              void (*pick)(tui_view *v, json_t *key, void *user), void *user);
/* The query a row's catalog search starts with, into out: its brand and model (or the first
 * two words of its description when it has neither) and its year when > 0. */
void tui_search_initial(const char *marca, const char *submarca, const char *description, long long year, char *out,
                        size_t outsz);
/* The compose form (pane_compose.c): an email typed in at the desk (from, subject, body in
 * $VISUAL/$EDITOR or line by line, files attached by path), sent as a real MIME message
 * through the desk's manual source into the same pipeline as any other mail. */
tui_view *tui_compose_new(tui_app *app);
/* The same form answering the broker of case cot (pane_compose.c): the quote when the case
 * has an export, else the request for its missing data, drafted from the templates; To,
 * Subject and body editable; queued in the outbox on send. NULL (reason on the status line)
 * when there is nothing to draft. */
tui_view *tui_reply_new(tui_app *app, const char *cot);
/* The profile wizard (pane_wizard.c) for case `cot`: reads the case's spreadsheet. NULL
 * (reason on the status line) when the case has no readable sheet. */
tui_view *tui_wizard_new(tui_app *app, const char *cot);

/* ---- services the app gives to views (app.c) ------------------------------------------- */

/* The database connection, reconnecting when it was lost; NULL (with the reason on the
 * status line) when the database is unavailable. Owned by the app. */
PGconn *tui_app_db(tui_app *app);
/* For a pane's refresh: the connection, with the insurer's id in *insurer_id; or NULL after
 * emptying t and setting its empty-state text to the reason (database down, no such
 * insurer). The pane sets its own empty-state text again when it has data. */
PGconn *tui_app_store(tui_app *app, tui_table *t, long long *insurer_id);
/* The configured insurer's id; 0 when unknown (not found or no database). */
long long tui_app_insurer_id(tui_app *app);
const char *tui_app_insurer_slug(tui_app *app);
/* permissions.c: false (with why, naming the role needed) when the user's role for the
 * insurer does not allow the action; checked before every action is dispatched. */
bool tui_action_permitted(tui_app *app, tui_action act, char *why, size_t len);
/* The case the Matches pane follows (COT, or NULL). */
const char *tui_app_current_case(tui_app *app);
void tui_app_set_current_case(tui_app *app, const char *cot);
/* Sets the status line's message (also logged at the matching level). */
void tui_app_message(tui_app *app, tui_elem level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Shows a long step's progress on the status line at once (the key that started it is still
 * being handled); not logged. */
void tui_app_progress(tui_app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks the body (and status line) for redraw. */
void tui_app_dirty(tui_app *app);
/* Pushes v over the current view (the app owns it from now on). */
void tui_app_push(tui_app *app, tui_view *v);
/* Closes v (the top view) once the current key is handled: a view may ask for its own close
 * from its key op. */
void tui_app_close(tui_app *app, tui_view *v);
/* Marks every pane and pushed view stale (they reload before their next draw), e.g. after a
 * decision changed what several of them show. */
void tui_app_changed(tui_app *app);
/* Opens a one-line prompt on the status line; on Enter done(v, text, user) runs with the
 * typed text (Esc cancels without a call). label is shown before the text, e.g. "note: ". */
void tui_app_prompt(tui_app *app, tui_view *v, const char *label, const char *initial,
                    void (*done)(tui_view *v, const char *text, void *user), void *user);
/* Asks a question on the status line answered with one key: done(v, key, user) gets the key
 * (Esc cancels without a call). */
void tui_app_confirm(tui_app *app, tui_view *v, const char *question,
                     void (*done)(tui_view *v, tui_key key, void *user), void *user);
/* The acting user's login name (config user). */
const char *tui_app_user(tui_app *app);

/* ---- review helpers (decide.c) -------------------------------------------------------- */

/* A confidence (JSON number, or null) as a percentage rounded down to a tenth ("98.6"), so a
 * row to review never shows the figure of an auto-accepted one; "—" when there is none. */
void tui_conf_text(json_t *conf, char *out, size_t outsz);
/* Why a row (store_tui_case_rows() or a review-queue line) waits for a person, in words:
 * "close runner-up (AUT vs STD)", "conflicting transmission AUT≠STD", "unknown word
 * \"TRENDLIN\"", "model not in catalog"; "" for a decided row. g_malloc'd. */
char *tui_review_reason(json_t *row);
/* Decides row (an object with id, inciso, cvegs, match_year): with no undecided row like it
 * (same normalised description), at once; otherwise after a one-key question: y the row and
 * those of its case, o only this row, c also those of the insurer's other open cases. kind
 * REVIEW_ACCEPT with cvegs NULL keeps the row's own proposal. close_after: close v once
 * decided (a picking view); origin is appended to the outcome (may be NULL). The outcome goes to the status line; every view reloads. */
void tui_decide_row(tui_view *v, json_t *row, review_kind kind, const char *cvegs, int year, bool close_after,
                    const char *origin);
/* Decides the n rows of ids at once (review_decide_rows); 0 or -1 (reason on the status
 * line). *n_done: rows decided. */
int tui_decide_ids(tui_view *v, const long long *ids, size_t n, review_kind kind, const char *cvegs, int year,
                   int *n_done);
/* The same for rows named with the version shown (review_decide_targets): progress on the
 * status line while it runs; the rows refused because they changed since are reported on the
 * status line (the first in full, "changed by LOGIN at HH:MM (now: ...)"), every view
 * reloads, and *first_refused (may be NULL) receives the first refused row's id (0: none),
 * for the pane to show it again. */
int tui_decide_targets(tui_view *v, const review_target *t, size_t n, review_kind kind, const char *cvegs, int year,
                       int *n_done, long long *first_refused);
/* The version a row of the desk carries (its "version"), for a review_target: borrowed from
 * row. */
const char *tui_row_version(json_t *row);

/* JSON as indented, readable text for detail screens (g_malloc'd; NULL v gives ""). */
char *tui_json_text(json_t *v, int indent);
/* Small helpers for panes building rows from the store's JSON. */
const char *tui_json_str(json_t *obj, const char *key);          /* "" when absent/null */
long long tui_json_int(json_t *obj, const char *key);

#endif
