/* Unit tests for core: errors, CSV splitting, URL masking, SHA-256, config file parsing. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core_config.h"
#include "minca/core.h"
#include "minca/core_csv.h"
#include "minca/core_vehicle.h"
#include <time.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_err_prefix(void **state)
{
    (void)state;
    minca_err e = {0};
    assert_int_equal(minca_err_set(&e, "file %s missing", "x.eml"), -1);
    minca_err_prefix(&e, "batch");
    assert_string_equal(e.msg, "batch: file x.eml missing");
    assert_int_equal(minca_err_set(NULL, "ignored"), -1);
}

static void test_csv_quotes_and_newlines(void **state)
{
    (void)state;
    const char *data = "\xEF\xBB\xBF" "a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\nlines\"\r\nlast,,\n";
    csv_reader *r = csv_reader_new(data, strlen(data), ',');
    char **f;
    int n;
    minca_err e = {0};
    assert_int_equal(csv_next(r, &f, &n, &e), 1);
    assert_int_equal(n, 3);
    assert_string_equal(f[0], "a");
    assert_int_equal(csv_next(r, &f, &n, &e), 1);
    assert_int_equal(csv_line(r), 2);
    assert_string_equal(f[0], "x, y");
    assert_string_equal(f[1], "he said \"hi\"");
    assert_string_equal(f[2], "two\nlines");
    assert_int_equal(csv_next(r, &f, &n, &e), 1);
    assert_int_equal(csv_line(r), 4);
    assert_int_equal(n, 3);
    assert_string_equal(f[1], "");
    assert_int_equal(csv_next(r, &f, &n, &e), 0);
    csv_reader_free(r);
}

static void test_csv_unterminated_quote(void **state)
{
    (void)state;
    const char *data = "a,b\n\"open,c\n";
    csv_reader *r = csv_reader_new(data, strlen(data), ',');
    char **f;
    int n;
    minca_err e = {0};
    assert_int_equal(csv_next(r, &f, &n, &e), 1);
    assert_int_equal(csv_next(r, &f, &n, &e), -1);
    assert_non_null(strstr(e.msg, "line 2"));
    csv_reader_free(r);
}

static void test_csv_header_index_folds_accents(void **state)
{
    (void)state;
    char *hdr[] = {"Marca", " AÑO ", "Descripción"};
    assert_int_equal(csv_header_index(hdr, 3, "ano"), 1);
    assert_int_equal(csv_header_index(hdr, 3, "DESCRIPCION"), 2);
    assert_int_equal(csv_header_index(hdr, 3, "placas"), -1);
}

static void test_mask_url(void **state)
{
    (void)state;
    char *m = config_mask_url("postgresql://minca:s3cret@db.local:5432/minca");
    assert_string_equal(m, "postgresql://minca:****@db.local:5432/minca");
    g_free(m);
    m = config_mask_url("unix:///tmp/redis.sock");
    assert_string_equal(m, "unix:///tmp/redis.sock");
    g_free(m);
    m = config_mask_url("redis://:pw@host:6379/0");
    assert_string_equal(m, "redis://:****@host:6379/0");
    g_free(m);
    m = config_mask_url("host=db.local user=minca password=s3cret dbname=minca");
    assert_string_equal(m, "host=db.local user=minca password=**** dbname=minca");
    g_free(m);
    m = config_mask_url("postgresql://db.local/minca?user=minca&password=s3cret&sslmode=require");
    assert_string_equal(m, "postgresql://db.local/minca?user=minca&password=****&sslmode=require");
    g_free(m);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65];
    core_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_config_file_and_env(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-config-XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "insurer: qualitas\ntheme: mono\nworkers: 3\nkeys:\n  quit: Q\n  help: F1\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    setenv("MINCA_CONFIG", path, 1);
    setenv("MINCA_THEME", "light", 1);
    minca_err e = {0};
    assert_int_equal(config_load(&e), 0);
    const minca_config *c = config_get();
    assert_string_equal(c->insurer, "qualitas");
    assert_string_equal(c->theme, "light"); /* the environment wins over the file */
    assert_int_equal(c->workers, 3);
    assert_int_equal(c->n_keys, 2);
    assert_string_equal(c->keys[0].action, "quit");
    assert_string_equal(c->keys[0].key, "Q");
    unlink(path);
}

/* `minca config` (config_print) shows every row of the options table with its origin, and
 * an environment variable wins over the file. */
static void test_config_print_lists_every_option(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-config-XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "workers: 3\nlease_seconds: 40\ntui:\n  poll: 7\nllm:\n  timeout: 12\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    setenv("MINCA_CONFIG", path, 1);
    setenv("MINCA_WORKERS", "5", 1);
    unsetenv("MINCA_LEASE_SECONDS");
    unsetenv("MINCA_TUI_POLL");
    minca_err e = {0};
    assert_int_equal(config_load(&e), 0);
    const minca_config *c = config_get();
    assert_int_equal(c->workers, 5); /* the environment wins over the file */
    assert_int_equal(config_option_origin("workers"), CONFIG_FROM_ENV);
    assert_int_equal(c->lease_seconds, 40);
    assert_int_equal(config_option_origin("lease_seconds"), CONFIG_FROM_FILE);
    assert_true(c->tui_poll > 6.9 && c->tui_poll < 7.1);
    assert_int_equal(c->llm.timeout_seconds, 12); /* the alias llm.timeout */
    assert_int_equal(config_option_origin("max_attempts"), CONFIG_FROM_DEFAULT);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    config_print(out);
    fclose(out);
    size_t n;
    const config_option *opts = config_options(&n);
    assert_true(n > 30);
    for (size_t i = 0; i < n; i++) {
        char *line = NULL;
        assert_true(asprintf(&line, "\n%s: ", opts[i].name) > 0);
        if (!strstr(text, line))
            fail_msg("minca config does not show %s", opts[i].name);
        g_free(line);
    }
    assert_non_null(strstr(text, "\nworkers: 5  # env MINCA_WORKERS\n"));
    assert_non_null(strstr(text, "\nlease_seconds: 40  # file\n"));
    assert_non_null(strstr(text, "\nmax_attempts: 5  # default\n"));
    free(text);
    unsetenv("MINCA_WORKERS");
    unsetenv("MINCA_CONFIG");
    unlink(path);
}

static void test_config_syntax_error_names_line(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-config-XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "insurer: demo\ntheme: [unclosed\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    setenv("MINCA_CONFIG", path, 1);
    minca_err e = {0};
    assert_int_equal(config_load(&e), -1);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, ":3:") ? strstr(e.msg, ":3:") : strstr(e.msg, ":2:"));
    unlink(path);
}

static void test_read_file_limit(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-big-XXXXXX";
    int fd = mkstemp(path);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    char *data;
    size_t len;
    minca_err e = {0};
    assert_int_equal(core_read_file(path, 5, &data, &len, &e), -1);
    assert_non_null(strstr(e.msg, "too large"));
    assert_int_equal(core_read_file(path, 100, &data, &len, &e), 0);
    assert_int_equal(len, 10);
    g_free(data);
    unlink(path);
}

/* Personal data and connection passwords never reach the log, in either format. */
static void test_log_masks_personal_data(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(log_open(path, NULL), 0);
    log_warn("ingest: RFC TPR010101AB8, serie 3N6AD33C5KK812345, tel. (55) 5123-4567 o 5512345678,"
             " host=/run port=5432 password=s3cr3t user=minca; job 123456 of 1000000 rows at 2026-12-02 01:56:09");
    log_close();
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(path, 1 << 20, &text, &len, NULL), 0);
    unlink(path);
    assert_null(strstr(text, "TPR010101AB8"));
    assert_null(strstr(text, "3N6AD33C5KK812345"));
    assert_null(strstr(text, "5123-4567"));
    assert_null(strstr(text, "5512345678"));
    assert_null(strstr(text, "s3cr3t"));
    assert_non_null(strstr(text, "RFC <rfc>, serie <vin>, tel. <phone> o <phone>"));
    assert_non_null(strstr(text, "password=**** user=minca"));
    assert_non_null(strstr(text, "job 123456 of 1000000 rows at 2026-12-02 01:56:09"));
    g_free(text);
}

/* A number's context decides: a mailbox's UIDVALIDITY or a UID is no telephone; a number
 * after "tel" is one, whatever came before. */
static void test_log_masks_by_context(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(log_open(path, NULL), 0);
    log_warn("imap: UIDVALIDITY of INBOX is now 1733571234 (cursor 1733571230:7); UID 5512345670 is gone;"
             " case 12 tel 5512345679; contacto 5587654321");
    log_close();
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(path, 1 << 20, &text, &len, NULL), 0);
    unlink(path);
    assert_non_null(strstr(text, "UIDVALIDITY of INBOX is now 1733571234 (cursor 1733571230:7)"));
    assert_non_null(strstr(text, "UID 5512345670 is gone"));
    assert_non_null(strstr(text, "case 12 tel <phone>"));
    assert_non_null(strstr(text, "contacto <phone>"));
    g_free(text);
}

static void test_log_json_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/minca-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(log_open(path, NULL), 0);
    log_set_format(LOG_FORMAT_JSON);
    log_set_ids(42, 7, 0);
    log_warn("metrics: mail from \"Ana\" <ana.perez@corredor.com.mx> via redis://:hunter2@cache:6379 on worker@host");
    log_set_ids(0, 0, 0);
    log_info("no component here");
    log_close();
    log_set_format(LOG_FORMAT_TEXT);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(path, 1 << 20, &text, &len, NULL), 0);
    unlink(path);
    char *second = strchr(text, '\n');
    assert_non_null(second);
    *second++ = '\0';
    assert_non_null(strstr(text, "\"level\":\"warn\""));
    assert_non_null(strstr(text, "\"component\":\"metrics\""));
    assert_non_null(strstr(text, "\"job_id\":42,\"case_id\":7,\"msg\":"));
    assert_null(strstr(text, "message_id"));
    assert_null(strstr(text, "ana.perez"));
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "<email>"));
    assert_non_null(strstr(text, "redis://:****@cache:6379"));
    assert_non_null(strstr(text, "worker@host"));
    assert_non_null(strstr(text, "\\\"Ana\\\""));
    assert_non_null(strstr(second, "\"component\":\"minca\""));
    assert_null(strstr(second, "job_id"));
    g_free(text);
}

static void test_model_year_bounds(void **state)
{
    (void)state;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int this_year = tm.tm_year + 1900;
    assert_true(vehicle_year_valid(1900) && vehicle_year_valid(2100));
    assert_false(vehicle_year_valid(1899) || vehicle_year_valid(2101));
    assert_true(vehicle_year_plausible(1950) && vehicle_year_plausible(this_year + 2));
    assert_false(vehicle_year_plausible(1949) || vehicle_year_plausible(this_year + 3));
}

static void test_fmt_reports_truncation(void **state)
{
    (void)state;
    char buf[8];
    assert_true(core_fmt(buf, sizeof buf, "%s", "1234567"));
    assert_false(core_fmt(buf, sizeof buf, "%s", "12345678"));
    assert_string_equal(buf, "1234567");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_prefix),
        cmocka_unit_test(test_csv_quotes_and_newlines),
        cmocka_unit_test(test_csv_unterminated_quote),
        cmocka_unit_test(test_csv_header_index_folds_accents),
        cmocka_unit_test(test_mask_url),
        cmocka_unit_test(test_config_print_lists_every_option),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_config_file_and_env),
        cmocka_unit_test(test_config_syntax_error_names_line),
        cmocka_unit_test(test_read_file_limit),
        cmocka_unit_test(test_log_json_lines),
        cmocka_unit_test(test_model_year_bounds),
        cmocka_unit_test(test_fmt_reports_truncation),
        cmocka_unit_test(test_log_masks_personal_data),
        cmocka_unit_test(test_log_masks_by_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
