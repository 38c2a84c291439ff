/* Which role each desk action needs: one table, checked where actions are dispatched (app.c),
 * so a pane never has to know about roles. Actions not listed only read. The services behind
 * the actions (review.h, export_case.h, profile_store.h) check again, and the database's
 * row-level security keeps other insurers' rows out of reach whatever the C does. */
#include "minca/access.h"
#include "minca/tui.h"

#include <stdio.h>

static const struct {
    tui_action act;
    access_action needs;
} guarded[] = {
    {TUI_ACT_ACCEPT, ACCESS_DECIDE},
    {TUI_ACT_NO_MATCH, ACCESS_DECIDE},
    {TUI_ACT_UNDO, ACCESS_DECIDE},
    {TUI_ACT_NOTE, ACCESS_DECIDE},
    {TUI_ACT_READY, ACCESS_MARK_READY},
    {TUI_ACT_EXPORT, ACCESS_EXPORT},
    {TUI_ACT_RERUN, ACCESS_RERUN},
    {TUI_ACT_SAVE, ACCESS_EDIT_PROFILE},
    {TUI_ACT_AUDIT, ACCESS_READ_AUDIT},
    {TUI_ACT_ACCEPT_ABOVE, ACCESS_DECIDE},
    {TUI_ACT_TAG_PREFIX, ACCESS_DECIDE},
    {TUI_ACT_DISCARD_HELD, ACCESS_DECIDE},
    {TUI_ACT_CONFIRM, ACCESS_DECIDE},
    {TUI_ACT_COMPOSE, ACCESS_DECIDE},
};

bool tui_action_permitted(tui_app *app, tui_action act, char *why, size_t len)
{
    for (size_t i = 0; i < sizeof guarded / sizeof guarded[0]; i++) {
        if (guarded[i].act != act)
            continue;
        minca_err err = {0};
        if (access_require(tui_app_db(app), tui_app_insurer_id(app), guarded[i].needs, &err) == 0)
            return true;
        snprintf(why, len, "%s", err.msg);
        return false;
    }
    return true;
}
