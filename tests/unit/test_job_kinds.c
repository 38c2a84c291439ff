/* Unit tests for the table of job kinds (engine_kind rows, steps_kinds): every row is whole,
 * payloads survive packing and unpacking, and a payload missing a required field or carrying
 * a field of the wrong type is refused with the field named (the runner makes that failure
 * permanent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/engine_steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_every_kind_is_whole_and_named_once(void **state)
{
    (void)state;
    int n = 0;
    for (const engine_kind *const *k = steps_kinds; *k; k++, n++) {
        assert_non_null((*k)->name);
        assert_non_null((*k)->run);
        assert_non_null((*k)->fields);
        assert_true((*k)->payload_size > 0 && (*k)->payload_size <= ENGINE_PAYLOAD_MAX);
        for (const engine_field *f = (*k)->fields; f->name; f++)
            assert_true(f->offset < (*k)->payload_size);
        for (const engine_kind *const *o = steps_kinds; o != k; o++)
            assert_string_not_equal((*o)->name, (*k)->name);
    }
    assert_int_equal(n, 6);
    /* The steps of a case say so on the case when they end dead. */
    assert_non_null(steps_extract.on_dead);
    assert_non_null(steps_codify.on_dead);
    assert_non_null(steps_revise.on_dead);
}

static void test_ingest_payload_round_trip(void **state)
{
    (void)state;
    steps_ingest_job in = {.sha256 = "ab12", .origin = "/srv/mail/1.eml", .source = "eml"};
    json_t *j = engine_payload_pack(&steps_ingest, &in);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "sha256")), "ab12");
    assert_null(json_object_get(j, "source_name"));   /* absent, not null */
    steps_ingest_job out;
    minca_err err = {0};
    assert_int_equal(engine_payload_unpack(&steps_ingest, j, &out, &err), 0);
    assert_string_equal(out.sha256, "ab12");
    assert_string_equal(out.origin, "/srv/mail/1.eml");
    assert_null(out.source_name);
    json_decref(j);
}

static void test_case_payload_and_refusals(void **state)
{
    (void)state;
    json_t *j = engine_payload_pack(&steps_codify, &(steps_case_job){.case_id = 9007199254740993LL});
    steps_case_job out;
    minca_err err = {0};
    assert_int_equal(engine_payload_unpack(&steps_codify, j, &out, &err), 0);
    assert_true(out.case_id == 9007199254740993LL);
    json_decref(j);

    json_t *empty = json_object();
    assert_int_equal(engine_payload_unpack(&steps_extract, empty, &out, &err), -1);
    assert_non_null(strstr(err.msg, "extract job without case_id"));
    json_decref(empty);

    /* A revision names its case and the reply it reads; one without the reply is refused. */
    steps_revise_job rv;
    json_t *half = json_pack("{s:I}", "case_id", (json_int_t)4);
    assert_int_equal(engine_payload_unpack(&steps_revise, half, &rv, &err), -1);
    assert_non_null(strstr(err.msg, "message_id"));
    json_decref(half);
    json_t *whole = engine_payload_pack(&steps_revise, &(steps_revise_job){.case_id = 4, .message_id = 7});
    assert_int_equal(engine_payload_unpack(&steps_revise, whole, &rv, &err), 0);
    assert_true(rv.case_id == 4 && rv.message_id == 7);
    json_decref(whole);

    json_t *wrong = json_pack("{s:s}", "case_id", "12");
    assert_int_equal(engine_payload_unpack(&steps_codify, wrong, &out, &err), -1);
    assert_non_null(strstr(err.msg, "case_id in its payload is not a whole number"));
    json_decref(wrong);

    json_t *no_sha = json_pack("{s:s}", "origin", "x.eml");
    steps_ingest_job ing;
    assert_int_equal(engine_payload_unpack(&steps_ingest, no_sha, &ing, &err), -1);
    assert_non_null(strstr(err.msg, "sha256"));
    json_decref(no_sha);
}

static void test_probe_permanent_flag_packs_only_when_set(void **state)
{
    (void)state;
    json_t *plain = engine_payload_pack(&steps_probe, &(steps_probe_job){.fail = "x"});
    assert_null(json_object_get(plain, "permanent"));
    json_t *perm = engine_payload_pack(&steps_probe, &(steps_probe_job){.fail = "x", .permanent = 1});
    assert_int_equal(json_integer_value(json_object_get(perm, "permanent")), 1);
    json_decref(plain);
    json_decref(perm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_is_whole_and_named_once),
        cmocka_unit_test(test_ingest_payload_round_trip),
        cmocka_unit_test(test_case_payload_and_refusals),
        cmocka_unit_test(test_probe_permanent_flag_packs_only_when_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
