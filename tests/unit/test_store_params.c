/* Unit tests for the statement parameter builder (store/params.c): what each binder puts in
 * the values array, and that one parameter too many fails instead of being dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/store.h"

#include <stdlib.h>
#include <string.h>

static void test_binders(void **state)
{
    (void)state;
    store_params p = {0};
    const char *cot = "QUA-2026-000001";
    store_param_ll(&p, -9223372036854775807LL - 1);
    store_param_id(&p, 42);
    store_param_id(&p, 0);
    store_param_text(&p, cot);
    store_param_text(&p, NULL);
    store_param_bool(&p, true);
    store_param_double(&p, 0.1);
    store_param_ll_if(&p, true, 2024);
    store_param_ll_if(&p, false, 2024);
    assert_int_equal(p.n, 9);
    assert_false(p.overflow);
    assert_string_equal(p.values[0], "-9223372036854775808");
    assert_string_equal(p.values[1], "42");
    assert_null(p.values[2]);
    assert_ptr_equal(p.values[3], cot); /* borrowed, not copied */
    assert_null(p.values[4]);
    assert_string_equal(p.values[5], "t");
    assert_true(strtod(p.values[6], NULL) == 0.1); /* round-trips exactly */
    assert_string_equal(p.values[7], "2024");
    assert_null(p.values[8]);
}

static void test_numbers_keep_their_own_storage(void **state)
{
    (void)state;
    store_params p = {0};
    for (int i = 0; i < 5; i++)
        store_param_ll(&p, i * 1000);
    assert_string_equal(p.values[0], "0");
    assert_string_equal(p.values[4], "4000");
}

static void test_overflow_fails_the_statement(void **state)
{
    (void)state;
    store_params p = {0};
    for (int i = 0; i < STORE_PARAMS_MAX + 1; i++)
        store_param_ll(&p, i);
    assert_int_equal(p.n, STORE_PARAMS_MAX);
    assert_true(p.overflow);
    minca_err err = {0};
    /* Refused before any connection is touched. */
    assert_null(store_query_p(NULL, &err, "SELECT 1", &p));
    assert_non_null(strstr(err.msg, "more than"));
    assert_int_equal(store_exec_p(NULL, &err, "SELECT 1", &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binders),
        cmocka_unit_test(test_numbers_keep_their_own_storage),
        cmocka_unit_test(test_overflow_fails_the_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
