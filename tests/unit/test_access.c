/* Unit tests for access: role names, what each action needs, and that nothing is allowed
 * before the login check has run. (Roles against a database: tests/integration/access.sh.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/access.h"

#include <string.h>

static void test_role_names(void **state)
{
    (void)state;
    assert_int_equal(access_role_parse("viewer"), ACCESS_VIEWER);
    assert_int_equal(access_role_parse("admin"), ACCESS_ADMIN);
    assert_int_equal(access_role_parse("root"), ACCESS_NONE);
    assert_int_equal(access_role_parse(NULL), ACCESS_NONE);
    assert_string_equal(access_role_name(ACCESS_SUPERVISOR), "supervisor");
    assert_null(access_role_name(ACCESS_NONE));
}

static void test_roles_include_the_ones_before(void **state)
{
    (void)state;
    assert_true(ACCESS_VIEWER < ACCESS_REVIEWER && ACCESS_REVIEWER < ACCESS_SUPERVISOR &&
                ACCESS_SUPERVISOR < ACCESS_ADMIN);
    assert_int_equal(access_action_role(ACCESS_READ), ACCESS_VIEWER);
    assert_int_equal(access_action_role(ACCESS_DECIDE), ACCESS_REVIEWER);
    assert_int_equal(access_action_role(ACCESS_MARK_READY), ACCESS_REVIEWER);
    assert_int_equal(access_action_role(ACCESS_EXPORT), ACCESS_SUPERVISOR);
    assert_int_equal(access_action_role(ACCESS_RERUN), ACCESS_SUPERVISOR);
    assert_int_equal(access_action_role(ACCESS_REVOKE_CORRECTION), ACCESS_SUPERVISOR);
    assert_int_equal(access_action_role(ACCESS_EDIT_PROFILE), ACCESS_SUPERVISOR);
    assert_int_equal(access_action_role(ACCESS_IMPORT_CATALOG), ACCESS_ADMIN);
    assert_int_equal(access_action_role(ACCESS_SET_INSURER), ACCESS_ADMIN);
    assert_int_equal(access_action_role(ACCESS_MANAGE_USERS), ACCESS_ADMIN);
    assert_string_equal(access_action_verb(ACCESS_EXPORT), "exporting");
    for (int a = 0; a < ACCESS_ACTION_COUNT; a++) {
        assert_non_null(access_action_verb((access_action)a));
        assert_true(access_action_role((access_action)a) >= ACCESS_VIEWER);
    }
}

static void test_nothing_before_login(void **state)
{
    (void)state;
    access_reset();
    assert_false(access_logged_in());
    assert_int_equal(access_role_for(1), ACCESS_NONE);
    minca_err err = {0};
    assert_int_equal(access_require(NULL, 1, ACCESS_READ, &err), -1);
    assert_non_null(strstr(err.msg, "needs a logged-in user"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_roles_include_the_ones_before),
        cmocka_unit_test(test_nothing_before_login),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
