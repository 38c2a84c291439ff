/* Unit test for starting the pipeline engine while PostgreSQL is out of reach (a restart under
 * way when a batch reaches its engine, or a worker started a moment too early): the engine
 * starts, its threads wait for the server, and it stops promptly when asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core_config.h"
#include "minca/core.h"
#include "minca/engine_run.h"
#include "minca/engine_steps.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_engine_starts_while_postgres_is_down(void **state)
{
    (void)state;
    char home[] = "/tmp/minca-engine-start.XXXXXX";
    assert_non_null(mkdtemp(home));
    setenv("MINCA_HOME", home, 1);
    setenv("MINCA_CONFIG", "/nonexistent/minca-test.yaml", 1);
    /* Sockets in a directory that does not exist: nothing answers there. */
    setenv("MINCA_DATABASE_URL", "postgresql:///minca?host=/nonexistent-minca-test&connect_timeout=1", 1);
    setenv("MINCA_REDIS_URL", "unix:///nonexistent-minca-test/redis.sock", 1);
    minca_err err = {0};
    assert_int_equal(config_load(&err), 0);

    engine_opts o = {.threads = 2, .name = "unit", .kinds = steps_kinds};
    engine *e = engine_start(&o, &err);
    if (!e)
        fail_msg("engine_start refused to start while PostgreSQL is down: %s", err.msg);
    usleep(300 * 1000);
    engine_event_counts n = engine_counts(e);
    assert_int_equal(n.done + n.failed + n.dead, 0);
    double t0 = core_now_seconds();
    engine_stop(e);
    assert_true(core_now_seconds() - t0 < 5.0);

    /* No handlers is still refused, with a reason. */
    engine_opts none = {.threads = 1, .kinds = NULL};
    memset(&err, 0, sizeof err);
    assert_null(engine_start(&none, &err));
    assert_true(strlen(err.msg) > 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_starts_while_postgres_is_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
