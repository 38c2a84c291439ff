/* Typed store rows (store_rows.h, src/store/rows.c) read from real PostgreSQL results: each
 * kind with values and with SQL NULL, columns found by name whatever their order, and a
 * column the statement does not return is an error naming it, never a silent "".
 * Needs MINCA_DATABASE_URL (tests/integration/store_rows.sh runs it against the test server);
 * without it the tests are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/store.h"
#include "minca/store_rows.h"
#include "../../src/store/store_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TEST_ROW_COLUMNS(X)                                                                       \
    X(id, LL) X(name, TEXT) X(note, OPT_TEXT) X(year, INT) X(amount, DOUBLE) X(p50, OPT_DOUBLE)   \
    X(active, BOOL) X(body, JSON) X(status, OPT_LL)
STORE_ROW_TYPES(test_row, TEST_ROW_COLUMNS)
STORE_ROW_READER(test_row, TEST_ROW_COLUMNS)

static PGconn *conn;

static int setup(void **state)
{
    (void)state;
    const char *url = getenv("MINCA_DATABASE_URL");
    if (!url || !*url)
        return 0;
    conn = PQconnectdb(url);
    return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (conn)
        PQfinish(conn);
    return 0;
}

#define NEED_DB()                                                                                 \
    do {                                                                                          \
        if (!conn)                                                                                \
            skip();                                                                               \
    } while (0)

static void test_every_kind_with_values_and_nulls(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row_list rows;
    /* Columns in another order than the list, and one the list does not name. */
    int rc = test_row_list_query(conn,
                                 "SELECT * FROM (VALUES"
                                 " ('{\"k\": [1]}'::jsonb, 't'::bool, 'extra', 2.5::float8, 12.75::numeric, 2024,"
                                 "  'una nota', 'Año Ñ', 9007199254740993::bigint, 0),"
                                 " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL))"
                                 " AS t(body, active, other, p50, amount, year, note, name, id, status)",
                                 NULL, &rows, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 2);
    test_row *a = &rows.items[0], *b = &rows.items[1];
    assert_true(a->id == 9007199254740993LL);
    assert_string_equal(a->name, "Año Ñ");
    assert_string_equal(a->note, "una nota");
    assert_int_equal(a->year, 2024);
    assert_true(a->amount == 12.75);
    assert_true(a->p50 == 2.5);
    assert_true(a->active);
    assert_non_null(a->body);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(a->body, "k"), 0)), 1);
    assert_true(a->status == 0);
    /* SQL NULL: "" for TEXT, NULL for OPT_TEXT, NAN for OPT_DOUBLE, zeroes and false. */
    assert_true(b->id == 0);
    assert_string_equal(b->name, "");
    assert_null(b->note);
    assert_int_equal(b->year, 0);
    assert_true(b->amount == 0);
    assert_true(isnan(b->p50));
    assert_false(b->active);
    assert_null(b->body);
    assert_true(b->status == STORE_ROW_NULL_LL);
    /* As JSON, in column order: null where the kind keeps SQL NULL apart. */
    json_t *js = test_row_list_json(&rows);
    char *text = json_dumps(js, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_string_equal(text, "[{\"id\":9007199254740993,\"name\":\"Año Ñ\",\"note\":\"una nota\","
                              "\"year\":2024,\"amount\":12.75,\"p50\":2.5,\"active\":true,\"body\":{\"k\":[1]},\"status\":0},"
                              "{\"id\":0,\"name\":\"\",\"note\":null,\"year\":0,\"amount\":0.0,\"p50\":null,"
                              "\"active\":false,\"body\":null,\"status\":null}]");
    free(text);
    json_decref(js);
    test_row_list_clear(&rows);
    assert_int_equal(rows.n, 0);
    assert_null(rows.items);
    test_row_list_clear(&rows); /* twice is safe */
}

static void test_parameters_and_no_rows(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row_list rows;
    store_params p = {0};
    store_param_text(&p, "x");
    int rc = test_row_list_query(conn,
                                 "SELECT 1::bigint AS id, $1::text AS name, NULL::text AS note, 0 AS year,"
                                 " 0::float8 AS amount, NULL::float8 AS p50, false AS active, NULL::jsonb AS body, 1 AS status"
                                 " WHERE $1::text <> 'x'",
                                 &p, &rows, &err);
    if (rc != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(rows.n, 0);
    test_row_list_clear(&rows);
}

static void test_one_row(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row row;
    const char *sql = "SELECT id, 'n' || id AS name, NULL AS note, 0 AS year, 0 AS amount, 0 AS p50, true AS active,"
                      " NULL::jsonb AS body, 1 AS status FROM generate_series(7, 9) AS id WHERE id > $1::int ORDER BY id";
    store_params p = {0};
    store_param_ll(&p, 7);
    assert_int_equal(test_row_query_one(conn, sql, &p, &row, &err), 1);
    assert_true(row.id == 8);
    assert_string_equal(row.name, "n8");
    test_row_clear(&row);
    store_params none = {0};
    store_param_ll(&none, 9);
    assert_int_equal(test_row_query_one(conn, sql, &none, &row, &err), 0);
    assert_null(row.name);
    test_row_clear(&row);
}

static void test_missing_column_is_an_error_naming_it(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row_list rows;
    /* "note" renamed to "notes": the reader refuses instead of reading "". */
    int rc = test_row_list_query(conn,
                                 "SELECT 1::bigint AS id, 'n' AS name, 'x' AS notes, 0 AS year, 0 AS amount,"
                                 " 0 AS p50, true AS active, NULL::jsonb AS body, 1 AS status",
                                 NULL, &rows, &err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "test_row"));
    assert_non_null(strstr(err.msg, "\"note\""));
    assert_int_equal(rows.n, 0);
    assert_null(rows.items);
    test_row_list_clear(&rows);
}

static void test_text_that_is_no_json_document_is_an_error(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row_list rows;
    int rc = test_row_list_query(conn,
                                 "SELECT 1::bigint AS id, 'n' AS name, NULL AS note, 0 AS year, 0 AS amount,"
                                 " 0 AS p50, true AS active, '{}' AS body, 1 AS status"
                                 " UNION ALL SELECT 2, 'n', NULL, 0, 0, 0, true, '{broken', 1",
                                 NULL, &rows, &err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "\"body\""));
    assert_int_equal(rows.n, 0); /* the row read before it is freed too */
    test_row_list_clear(&rows);
}

static void test_statement_error_leaves_an_empty_list(void **state)
{
    (void)state;
    NEED_DB();
    minca_err err = {0};
    test_row_list rows;
    assert_int_equal(test_row_list_query(conn, "SELECT * FROM no_such_table_here", NULL, &rows, &err), -1);
    assert_non_null(strstr(err.msg, "no_such_table_here"));
    assert_int_equal(rows.n, 0);
    test_row_list_clear(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_with_values_and_nulls),
        cmocka_unit_test(test_parameters_and_no_rows),
        cmocka_unit_test(test_one_row),
        cmocka_unit_test(test_missing_column_is_an_error_naming_it),
        cmocka_unit_test(test_text_that_is_no_json_document_is_an_error),
        cmocka_unit_test(test_statement_error_leaves_an_empty_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
