/* Unit tests for the desk's action rows (tui_actions.h, the dispatch tables of app.c and the
 * views): every action has a help text and a handler somewhere, every row a handler, and no
 * key means two actions in one table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/tui.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

/* The first key of rows bound to two different actions, described in why; false when none. */
static bool key_bound_twice(const tui_action_row *rows, char *why, size_t len)
{
    GHashTable *owner = g_hash_table_new(g_direct_hash, g_direct_equal);
    bool found = false;
    for (const tui_action_row *r = rows; r && r->act != TUI_ACT_NONE && !found; r++) {
        tui_key keys[16];
        int n = tui_keys_of(r->act, keys, 16);
        for (int i = 0; i < n && !found; i++) {
            gpointer k = GINT_TO_POINTER(keys[i]);
            gpointer had = g_hash_table_lookup(owner, k);
            if (had && GPOINTER_TO_INT(had) != (int)r->act) {
                char name[32];
                tui_key_name(keys[i], name, sizeof name);
                snprintf(why, len, "%s runs both %s and %s", name, tui_action_name((tui_action)GPOINTER_TO_INT(had)),
                         tui_action_name(r->act));
                found = true;
            }
            g_hash_table_insert(owner, k, GINT_TO_POINTER(r->act));
        }
    }
    g_hash_table_destroy(owner);
    return found;
}

static bool has_row(tui_action act)
{
    if (tui_action_row_of(tui_app_actions(), act))
        return true;
    for (const tui_view_ops *const *k = tui_view_kinds(); *k; k++)
        if (tui_action_row_of((*k)->actions, act))
            return true;
    return false;
}

static void test_every_action_has_help_and_handler(void **state)
{
    (void)state;
    for (int a = TUI_ACT_NONE + 1; a < TUI_ACT_COUNT; a++) {
        const char *name = tui_action_name((tui_action)a);
        if (!*tui_action_help((tui_action)a) || !has_row((tui_action)a))
            fail_msg("action %s: help \"%s\", %s", name, tui_action_help((tui_action)a),
                     has_row((tui_action)a) ? "handled" : "no row runs it");
        assert_int_equal(tui_action_by_name(name), a);
    }
}

static void test_every_row_has_handler(void **state)
{
    (void)state;
    for (const tui_action_row *r = tui_app_actions(); r->act != TUI_ACT_NONE; r++)
        assert_non_null(r->run);
    for (const tui_view_ops *const *k = tui_view_kinds(); *k; k++)
        for (const tui_action_row *r = (*k)->actions; r && r->act != TUI_ACT_NONE; r++)
            if (!r->run)
                fail_msg("view %s: the row of %s has no handler", (*k)->name, tui_action_name(r->act));
}

static void test_no_key_twice_in_one_table(void **state)
{
    (void)state;
    tui_keys_init();
    char why[128];
    if (key_bound_twice(tui_app_actions(), why, sizeof why))
        fail_msg("the desk's table: %s", why);
    for (const tui_view_ops *const *k = tui_view_kinds(); *k; k++)
        if (key_bound_twice((*k)->actions, why, sizeof why))
            fail_msg("view %s: %s", (*k)->name, why);
}

/* The check finds what it is for: n is next-review in Matches and search-next elsewhere, so a
 * table holding both binds n twice. */
static bool never(tui_view *v, tui_action act, const char *args)
{
    (void)v, (void)act, (void)args;
    return false;
}

static void test_duplicate_key_is_found(void **state)
{
    (void)state;
    tui_keys_init();
    static const tui_action_row planted[] = {
        {TUI_ACT_NEXT_REVIEW, never}, {TUI_ACT_DOWN, never}, {TUI_ACT_SEARCH_NEXT, never}, TUI_ROWS_END};
    char why[128];
    assert_true(key_bound_twice(planted, why, sizeof why));
    assert_string_equal(why, "n runs both next-review and search-next");
}

/* Help lists the desk's actions and then the focused view's own, not those of other views. */
static void test_help_per_view(void **state)
{
    (void)state;
    tui_keys_init();
    char *text = tui_keys_help_text("Cases", tui_pane_cases_ops.actions, tui_app_actions());
    assert_non_null(strstr(text, "Everywhere:"));
    assert_non_null(strstr(text, "In Cases:"));
    assert_true(strstr(text, "status-filter") > strstr(text, "In Cases:"));
    assert_null(strstr(text, "next-review"));
    g_free(text);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_action_has_help_and_handler),
        cmocka_unit_test(test_every_row_has_handler),
        cmocka_unit_test(test_no_key_twice_in_one_table),
        cmocka_unit_test(test_duplicate_key_is_found),
        cmocka_unit_test(test_help_per_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
