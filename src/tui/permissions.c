/* Which role each desk action needs: a column of the action list (tui_actions.h), checked
 * where actions are dispatched (app.c), so a pane never has to know about roles. The services behind
 * the actions (desk_review.h, desk_export_case.h, desk_profile_store.h) check again, and the database's
 * row-level security keeps other insurers' rows out of reach whatever the C does. */
#include "minca/access.h"
#include "minca/tui.h"

#include <stdio.h>

/* The role column of TUI_ACTIONS (tui_actions.h); tabs only read. */
#define ACTION_NEEDS_(id, name, keys, fixed, needs, help) [TUI_ACT_##id] = ACCESS_##needs,
#define TAB_NEEDS_(id, name, key, pane, help) [TUI_ACT_TAB_##id] = ACCESS_READ,
static const access_action action_needs[TUI_ACT_COUNT] = {TUI_ACTIONS(ACTION_NEEDS_, TAB_NEEDS_)};

bool tui_action_permitted(tui_app *app, tui_action act, char *why, size_t len)
{
    if (act <= TUI_ACT_NONE || act >= TUI_ACT_COUNT || action_needs[act] == ACCESS_READ)
        return true;
    minca_err err = {0};
    if (access_require(tui_app_db(app), tui_app_insurer_id(app), action_needs[act], &err) == 0)
        return true;
    snprintf(why, len, "%s", err.msg);
    return false;
}
