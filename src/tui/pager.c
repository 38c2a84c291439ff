/* The pager: a pushed view showing text (a message, a case, the help screen), wrapped to the
 * window's width and rewrapped on resize. Movement and the filter are the table's. */
#include "minca/tui.h"

#include <stdlib.h>
#include <string.h>

typedef struct pager {
    char *title;
    char *text;
    int wrapped_width;   /* width the rows were built for; 0: not built */
    int line_no;         /* while wrapping */
} pager;

static const tui_column pager_cols[] = {{"", 1, 1, false}};

static int pager_open(tui_view *v)
{
    v->rows_redraw_alone = true;
    v->priv = g_malloc0_n(1, sizeof(pager));
    v->table = tui_table_new(pager_cols, 1);
    if (!v->priv || !v->table)
        return -1;
    tui_table_set_header(v->table, false);
    tui_table_set_empty(v->table, "(nothing to show)");
    return 0;
}

static void pager_close(tui_view *v)
{
    pager *p = v->priv;
    if (p) {
        g_free(p->title);
        g_free(p->text);
        g_free(p);
    }
    tui_table_free(v->table);
}

static void add_line(char *line, void *user)
{
    tui_view *v = user;
    pager *p = v->priv;
    char key[32];
    snprintf(key, sizeof key, "%d", p->line_no++);
    const char *cells[] = {line};
    tui_table_add(v->table, key, cells, TUI_EL_NORMAL, NULL);
    g_free(line);
}

static void rewrap(tui_view *v, int width)
{
    pager *p = v->priv;
    /* Keep roughly the same place: the selected line number scales with the new wrap. */
    int pos = tui_table_position(v->table);
    int total = tui_table_total(v->table);
    tui_table_clear(v->table);
    p->line_no = 0;
    tui_text_wrap(p->text, width, add_line, v);
    tui_table_done(v->table);
    if (total && pos > 1) {
        int target = (int)((long)pos * tui_table_total(v->table) / total);
        tui_table_move(v->table, TUI_ACT_FIRST, 1);
        for (int i = 1; i < target && tui_table_move(v->table, TUI_ACT_DOWN, 1); i++)
            ;
    }
    p->wrapped_width = width;
}

static void pager_draw(tui_view *v, WINDOW *win, int h, int w)
{
    pager *p = v->priv;
    if (p->wrapped_width != w - 1)
        rewrap(v, w - 1);
    wattrset(win, tui_theme_attr(TUI_EL_HEADER));
    mvwhline(win, 0, 0, ' ', w);
    tui_text_put(win, 0, 0, w, p->title, false);
    wattrset(win, A_NORMAL);
    v->body_rows = h - 1;
    tui_table_draw(v->table, win, 1, 0, h - 1, w);
}

static const tui_view_ops pager_ops = {
    .name = "detail",
    .title = "Detail",
    .open = pager_open,
    .close = pager_close,
    .draw = pager_draw,
};

tui_view *tui_pager_new(tui_app *app, const char *title, const char *text)
{
    tui_view *v = tui_view_new(app, &pager_ops);
    if (!v)
        return NULL;
    pager *p = v->priv;
    p->title = g_strdup(title ? title : "");
    p->text = g_strdup(text ? text : "");
    v->loaded = true;
    return v;
}
