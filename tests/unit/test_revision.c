/* Unit tests for engine_revision_diff: units of two revisions matched by VIN, else plates,
 * else inciso and description, compared field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/engine.h"

#include <glib.h>
#include <string.h>

static void set_unit(store_unit *u, long long id, const char *inciso, const char *desc, const char *year,
                     const char *vin, const char *plates)
{
#define UNIT_EMPTY(f) u->f = g_strdup("");
    STORE_UNIT_FIELDS(UNIT_EMPTY)
#undef UNIT_EMPTY
    u->id = id;
    u->inciso = g_strdup(inciso);
    g_free(u->description);
    u->description = g_strdup(desc);
    g_free(u->year);
    u->year = g_strdup(year);
    g_free(u->vin);
    u->vin = g_strdup(vin);
    g_free(u->plates);
    u->plates = g_strdup(plates);
    u->decision = g_strdup("");
}

static void units_free(store_unit *u, int n)
{
    for (int i = 0; i < n; i++) {
        g_free(u[i].inciso);
#define UNIT_FREE(f) g_free(u[i].f);
        STORE_UNIT_FIELDS(UNIT_FREE)
#undef UNIT_FREE
        g_free(u[i].decision);
    }
}

static void test_diff(void **state)
{
    (void)state;
    store_unit o[5], c[5];
    set_unit(&o[0], 1, "1", "NP300 PICKUP", "2020", "3N6AD33A0LK800001", "");
    set_unit(&o[1], 2, "2", "HILUX CHASIS", "2021", "", "ABC-12-34");
    set_unit(&o[2], 3, "3", "AVEO LS", "2019", "", "");
    set_unit(&o[3], 4, "4", "VERSA SENSE", "2022", "", "");
    set_unit(&o[4], 5, "5", "MARCH ADVANCE", "2018", "", "");
    /* renumbered (VIN still matches), plates written another way, a year changed by inciso and
     * description, one removed (5), one added (6). */
    set_unit(&c[0], 11, "9", "NP300 PICKUP", "2020", "3N6AD33A0LK800001", "");
    set_unit(&c[1], 12, "2", "HILUX CHASIS", "2021", "", "abc 1234");
    set_unit(&c[2], 13, "3", "aveo  ls", "2019", "", "");
    set_unit(&c[3], 14, "4", "VERSA SENSE", "2023", "", "");
    set_unit(&c[4], 15, "6", "FRONTIER", "2024", "", "");
    store_units old = {o, 5}, cur = {c, 5};
    long long keep[5];
    json_t *d = engine_revision_diff(&old, &cur, keep);
    assert_int_equal(keep[0], 1);
    assert_int_equal(keep[1], 0);   /* plates read the same key, but their text changed */
    assert_int_equal(keep[2], 0);   /* matched by inciso + description; the text changed */
    assert_int_equal(keep[3], 0);
    assert_int_equal(keep[4], 0);
    assert_int_equal(json_array_size(json_object_get(d, "added")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d, "added"), 0), "inciso")),
                        "6");
    assert_int_equal(json_array_size(json_object_get(d, "removed")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(d, "removed"), 0), "inciso")),
                        "5");
    json_t *changed = json_object_get(d, "changed");
    assert_int_equal(json_array_size(changed), 3);
    json_t *versa = json_array_get(changed, 2);
    assert_string_equal(json_string_value(json_object_get(versa, "inciso")), "4");
    json_t *ch = json_array_get(json_object_get(versa, "changes"), 0);
    assert_string_equal(json_string_value(json_object_get(ch, "field")), "year");
    assert_string_equal(json_string_value(json_object_get(ch, "from")), "2022");
    assert_string_equal(json_string_value(json_object_get(ch, "to")), "2023");
    assert_int_equal(json_integer_value(json_object_get(d, "kept")), 1);
    json_decref(d);
    units_free(o, 5);
    units_free(c, 5);
}

/* Two units with the same VIN (a typo) take one old unit each, never the same one twice. */
static void test_diff_duplicates(void **state)
{
    (void)state;
    store_unit o[1], c[2];
    set_unit(&o[0], 1, "1", "NP300", "2020", "VIN1", "");
    set_unit(&c[0], 2, "1", "NP300", "2020", "VIN1", "");
    set_unit(&c[1], 3, "2", "NP300", "2020", "VIN1", "");
    store_units old = {o, 1}, cur = {c, 2};
    long long keep[2];
    json_t *d = engine_revision_diff(&old, &cur, keep);
    assert_int_equal(keep[0], 1);
    assert_int_equal(keep[1], 0);
    assert_int_equal(json_array_size(json_object_get(d, "added")), 1);
    json_decref(d);
    units_free(o, 1);
    units_free(c, 2);
    /* Nothing before: everything added. */
    store_unit n[1];
    set_unit(&n[0], 4, "1", "X", "2020", "", "");
    store_units none = {NULL, 0}, one = {n, 1};
    d = engine_revision_diff(&none, &one, keep);
    assert_int_equal(json_array_size(json_object_get(d, "added")), 1);
    json_decref(d);
    units_free(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
