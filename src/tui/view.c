/* View lifetime: every pane and pushed view is created and destroyed through its ops. */
#include "minca/tui.h"

#include <stdlib.h>

tui_view *tui_view_new(tui_app *app, const tui_view_ops *ops)
{
    tui_view *v = g_malloc0_n(1, sizeof *v);
    if (!v)
        return NULL;
    v->ops = ops;
    v->app = app;
    v->stale = true;
    if (ops->open && ops->open(v) < 0) {
        log_error("tui: cannot open the %s view", ops->name);
        tui_view_free(v);
        return NULL;
    }
    return v;
}

void tui_view_free(tui_view *v)
{
    if (!v)
        return;
    if (v->ops->close)
        v->ops->close(v);
    else
        tui_table_free(v->table);
    g_free(v);
}
