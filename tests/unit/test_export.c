/* Unit tests for export: text cleaning, templates and their errors, coverage packages, the
 * decision rules (refusal without force), bytes + SHA-256 and the file written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/export.h"
#include "test_export_fixture.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *share;
static char tmpdir[] = "/tmp/minca-export-unit.XXXXXX";

static int setup(void **state)
{
    (void)state;
    share = fx_share_dir();
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = core_strdup_printf("rm -rf '%s'", tmpdir);
    int rc = system(cmd);
    (void)rc;
    g_free(cmd);
    g_free(share);
    return 0;
}

static char *write_tmp(const char *name, const char *text)
{
    char *path = core_path_join(tmpdir, name);
    char *dir = g_path_get_dirname(path);
    core_mkdir_p(dir, 0755, NULL);
    g_free(dir);
    assert_int_equal(core_write_file(path, text, strlen(text), NULL), 0);
    return path;
}

/* ---- text ---- */

static void test_text_plain_and_empty(void **state)
{
    (void)state;
    int fl = -1;
    assert_null(export_text_clean(NULL, 0, &fl));
    assert_int_equal(fl, 0);
    char *s = export_text_clean("  NISSAN VERSA  ", 0, &fl);
    assert_string_equal(s, "NISSAN VERSA");
    assert_int_equal(fl, 0);
    g_free(s);
    s = export_text_clean(" \t\n ", 0, &fl);
    assert_string_equal(s, "");
    g_free(s);
}

static void test_text_accents_nfc(void **state)
{
    (void)state;
    int fl;
    /* "PEÑA" with N + combining tilde becomes the single code point Ñ */
    char *s = export_text_clean("PEN\xCC\x83" "A CAMIÓN", 0, &fl);
    assert_string_equal(s, "PE\xC3\x91" "A CAMI\xC3\x93N");
    assert_int_equal(fl, 0);
    g_free(s);
}

static void test_text_invalid_utf8_repaired(void **state)
{
    (void)state;
    int fl;
    char *s = export_text_clean("CAMI\xD3N \xFF" "ROJO", 0, &fl); /* Latin-1 Ó and a stray byte */
    assert_true(g_utf8_validate(s, -1, NULL));
    assert_non_null(strstr(s, "CAMI"));
    assert_non_null(strstr(s, "ROJO"));
    assert_non_null(strstr(s, "\xEF\xBF\xBD")); /* U+FFFD */
    assert_true(fl & EXPORT_TEXT_REPAIRED);
    g_free(s);
}

static void test_text_controls(void **state)
{
    (void)state;
    int fl;
    char *s = export_text_clean("A\x01" "B\x1F" "C\r\nD\rE\tF\x7F", 0, &fl);
    assert_string_equal(s, "A B C\nD\nE\tF");
    assert_true(fl & EXPORT_TEXT_CONTROLS);
    g_free(s);
}

static void test_text_ooxml_escape(void **state)
{
    (void)state;
    char *s = export_text_clean("REF _x0041_ y _x12", 0, NULL);
    assert_string_equal(s, "REF _x005F_x0041_ y _x12");
    g_free(s);
}

static void test_text_formula_kept_as_text(void **state)
{
    (void)state;
    int fl;
    char *s = export_text_clean("=HYPERLINK(\"http://x\",\"clic\")", 0, &fl);
    assert_string_equal(s, "=HYPERLINK(\"http://x\",\"clic\")");
    assert_int_equal(fl, 0);
    g_free(s);
}

static void test_text_truncated_at_cell_limit(void **state)
{
    (void)state;
    size_t n = 40000;
    char *big = g_malloc(n * 2 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(big + 2 * i, "\xC3\x91", 2); /* Ñ: 1 UTF-16 unit, 2 bytes */
    big[n * 2] = '\0';
    int fl;
    char *s = export_text_clean(big, 0, &fl);
    assert_true(fl & EXPORT_TEXT_TRUNCATED);
    assert_int_equal(g_utf8_strlen(s, -1), EXPORT_CELL_MAX_CHARS);
    assert_string_equal(s + strlen(s) - 3, "\xE2\x80\xA6");
    g_free(s);
    g_free(big);

    /* characters outside the BMP count twice: never split, never over the limit */
    char *emoji = g_malloc(20000 * 4 + 1);
    for (int i = 0; i < 20000; i++)
        memcpy(emoji + 4 * i, "\xF0\x9F\x9A\x97", 4); /* U+1F697 */
    emoji[20000 * 4] = '\0';
    s = export_text_clean(emoji, 0, &fl);
    assert_true(g_utf8_validate(s, -1, NULL));
    glong units = 0;
    gunichar2 *u16 = g_utf8_to_utf16(s, -1, NULL, &units, NULL);
    assert_true(units <= EXPORT_CELL_MAX_CHARS);
    assert_true(units >= EXPORT_CELL_MAX_CHARS - 2);
    g_free(u16);
    g_free(s);
    g_free(emoji);
}

/* ---- templates ---- */

static void test_shipped_template(void **state)
{
    (void)state;
    minca_err err = {0};
    char *path = NULL;
    assert_int_equal(export_template_resolve(share, NULL, NULL, &path, &err), 0);
    export_template *tpl = NULL;
    int rc = export_template_load(path, &tpl, &err);
    if (rc < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(tpl->name, "gcotiza_v1");
    assert_string_equal(tpl->version, "1.3");
    assert_string_equal(tpl->sheet, "COTIZACION");
    assert_int_equal(tpl->print_scale, 100);
    assert_int_equal(tpl->print_min_scale, 55);
    assert_int_equal(tpl->n_printed, tpl->n_columns - 7);   /* the review and source columns are not printed */
    assert_int_equal(tpl->print_repeat_columns, 2);
    assert_string_equal(tpl->columns[0].header, "INCISO");
    assert_string_equal(tpl->columns[0].source, "row.inciso");
    assert_string_equal(tpl->columns[1].header, "CLAVE VEHÍCULO");
    assert_string_equal(tpl->columns[1].source, "match.cvegs");
    assert_string_equal(tpl->columns[4].header, "A\xC3\x91O");
    assert_int_equal(tpl->columns[4].type, EXPORT_COL_INTEGER);
    /* every vehicle field the underwriter sends, and where the row came from */
    static const char *sources[] = {"row.vin", "row.engine_number", "row.sum_basis", "row.package",
                                    "row.source_file", "row.source_sheet", "row.source_row",
                                    "row.plates", "row.insured_amount", "row.description",
                                    "match.reviewer", "match.note", "match.confidence"};
    for (size_t k = 0; k < sizeof sources / sizeof sources[0]; k++) {
        int found = 0;
        for (int i = 0; i < tpl->n_columns; i++)
            found += !strcmp(tpl->columns[i].source, sources[k]) ||
                     (tpl->columns[i].fallback && !strcmp(tpl->columns[i].fallback, sources[k]));
        if (!found)
            fail_msg("gcotiza_v1 has no column for %s", sources[k]);
    }
    export_template_free(tpl);
    g_free(path);
}

static void expect_template_error(const char *yaml, const char *needle)
{
    char *path = write_tmp("bad.yaml", yaml);
    export_template *tpl = NULL;
    minca_err err = {0};
    assert_int_equal(export_template_load(path, &tpl, &err), -1);
    assert_null(tpl);
    if (!strstr(err.msg, needle))
        fail_msg("expected [%s] in [%s]", needle, err.msg);
    assert_non_null(strstr(err.msg, "bad.yaml:"));
    g_free(path);
}

#define TPL_HEAD "name: t\nversion: \"1\"\nsheet: HOJA\ncolumns:\n"

/* The row.<field> sources come from the vehicle field list: each exported field is a source
 * of its kind, a field that is not exported (version) is none. */
#define FIELD_SOURCE(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) check_field_source("row." #name, #EXPORT);

static void check_field_source(const char *source, const char *export)
{
    char yaml[256];
    snprintf(yaml, sizeof yaml, TPL_HEAD "  - {header: A, type: %s, source: %s}\n",
             !strcmp(export, "TEXT") || !strcmp(export, "BASIS") ? "text" : "integer", source);
    char *path = write_tmp("field.yaml", yaml);
    export_template *tpl = NULL;
    minca_err err = {0};
    int rc = export_template_load(path, &tpl, &err);
    if (!strcmp(export, "NONE")) {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, "unknown source"));
    } else if (rc != 0) {
        fail_msg("%s: %s", source, err.msg);
    }
    export_template_free(tpl);
    free(path);
}

static void test_sources_from_field_list(void **state)
{
    (void)state;
    VEHICLE_FIELDS(FIELD_SOURCE)
    /* a number column takes no text source */
    expect_template_error(TPL_HEAD "  - {header: A, type: money, source: row.plates}\n", "cannot fill a money column");
}

static void test_template_errors_name_line_and_column(void **state)
{
    (void)state;
    expect_template_error(TPL_HEAD "  - {header: A, type: text, source: match.cvegs\n",
                          "bad.yaml:6:1: did not find expected");
    expect_template_error("name: t\n  version: 1\n", "bad.yaml:2:10: mapping values are not allowed");
    expect_template_error(TPL_HEAD "  - header: A\n    type: moneda\n    source: row.marca\n",
                          "bad.yaml:6:11: unknown column type 'moneda'");
    expect_template_error(TPL_HEAD "  - {header: A, type: text, source: row.color}\n",
                          "bad.yaml:5:37: unknown source 'row.color'");
    expect_template_error(TPL_HEAD "  - {header: A, type: date, source: row.marca}\n",
                          "source 'row.marca' cannot fill a date column");
    expect_template_error(TPL_HEAD "  - {type: text, source: row.marca}\n", "has no header");
    expect_template_error(TPL_HEAD "  - {header: A, type: text, source: row.marca}\n"
                                   "  - {header: A, type: text, source: row.submarca}\n",
                          "bad.yaml:6:5: header 'A' appears twice (also on line 5)");
    expect_template_error(TPL_HEAD "  - {header: A, type: text, source: row.marca, colour: red}\n",
                          "unknown key 'colour'");
    expect_template_error(TPL_HEAD "  - {header: A, type: text, width: ancho, source: row.marca}\n",
                          "width must be a number");
    expect_template_error("name: t\nversion: \"1\"\nsheet: \"COT:2026\"\ncolumns:\n"
                          "  - {header: A, type: text, source: row.marca}\n",
                          "bad.yaml:3:8: sheet name");
    expect_template_error("name: t\nsheet: HOJA\ncolumns:\n  - {header: A, type: text, source: row.marca}\n",
                          "missing version");
    expect_template_error(TPL_HEAD "  - {header: A, type: text, source: coverage.../x}\n",
                          "unknown source");
}

static void test_template_resolve_override(void **state)
{
    (void)state;
    char *sh = core_path_join(tmpdir, "share");
    char *base = write_tmp("share/templates/gcotiza_v1.yaml", "x");
    char *over = write_tmp("share/templates/aseguradora-norte/gcotiza_v1.yaml", "x");
    char *path = NULL;
    minca_err err = {0};
    assert_int_equal(export_template_resolve(sh, "aseguradora-norte", NULL, &path, &err), 0);
    assert_string_equal(path, over);
    g_free(path);
    assert_int_equal(export_template_resolve(sh, "otra", "gcotiza_v1", &path, &err), 0);
    assert_string_equal(path, base);
    g_free(path);
    assert_int_equal(export_template_resolve(sh, NULL, "no_existe", &path, &err), -1);
    assert_non_null(strstr(err.msg, "no template 'no_existe'"));
    assert_int_equal(export_template_resolve(sh, "..", NULL, &path, &err), -1);
    assert_int_equal(export_template_resolve(sh, NULL, "../etc", &path, &err), -1);
    assert_int_equal(export_template_resolve(sh, NULL, over, &path, &err), 0);
    assert_string_equal(path, over);
    g_free(path);
    g_free(base);
    g_free(over);
    g_free(sh);
}

/* ---- coverage ---- */

static void test_coverage_packages(void **state)
{
    (void)state;
    minca_err err = {0};
    char *path = export_coverage_resolve(share, "demo");
    export_coverage *cov = NULL;
    if (export_coverage_load(path, &cov, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(cov->n_packages, 3);
    const export_coverage_package *amplia = export_coverage_find(cov, "amplia");
    assert_non_null(amplia);
    assert_string_equal(amplia->name, "AMPLIA");
    assert_non_null(export_coverage_find(cov, " Limitada "));
    assert_non_null(export_coverage_find(cov, "rc"));
    assert_null(export_coverage_find(cov, "PLATINO"));
    int seen = 0;
    for (int i = 0; i < amplia->n_values; i++) {
        const export_coverage_value *v = &amplia->values[i];
        if (!strcmp(v->key, "ded_dm_pp")) {
            assert_null(v->text);
            assert_true(v->number > 0.049 && v->number < 0.051);
            seen++;
        } else if (!strcmp(v->key, "asistencia_legal")) {
            assert_string_equal(v->text, "AMPARADA");
            seen++;
        } else if (!strcmp(v->key, "otros_beneficios")) {
            assert_string_equal(v->text, "CRISTALES DED 20%");
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    export_coverage_free(cov);
    g_free(path);

    char *bad = write_tmp("cov.yaml", "packages:\n  AMPLIA:\n    values:\n      ded: [1, 2]\n");
    assert_int_equal(export_coverage_load(bad, &cov, &err), -1);
    assert_non_null(strstr(err.msg, "cov.yaml:4:12:"));
    g_free(bad);
}

/* ---- rules and output ---- */

static void test_refuses_undecided_without_force(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 40, 0);
    export_result res;
    minca_err err = {0};
    char *out = core_path_join(tmpdir, "refused.xlsx");
    export_options opt = {.share_dir = share, .out_path = out};
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_true(res.refused);
    assert_int_equal(res.n_rows, 40);
    assert_true(res.n_undecided > 0);
    assert_int_equal(res.n_decided + res.n_undecided, 40);
    char want[128];
    snprintf(want, sizeof want, "%d of 40 vehicles have no decided key", res.n_undecided);
    if (!strstr(err.msg, want))
        fail_msg("expected [%s] in [%s]", want, err.msg);
    assert_non_null(strstr(err.msg, "--force"));
    assert_false(core_file_exists(out));
    assert_null(res.data);
    export_result_clear(&res);

    /* a key that nobody confirmed is not decided; a reviewed one is */
    export_case_clear(&c);
    fx_build_fleet(&c, 0, 1);
    export_row *r = fx_add_vehicle(&c, 0, 1);
    r->match.decision = EXPORT_DECISION_REVIEW;
    r->match.reviewed = false;
    assert_false(export_row_decided(r));
    r->match.reviewed = true;
    assert_true(export_row_decided(r));
    g_free(r->match.cvegs);
    r->match.cvegs = g_strdup(" ");
    assert_false(export_row_decided(r));
    export_case_clear(&c);
    g_free(out);
}

static void test_force_writes_bytes_and_file(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 40, 0);
    export_result res;
    minca_err err = {0};
    char *out = core_path_join(tmpdir, "sub/dir/forced.xlsx");
    export_options opt = {.share_dir = share, .out_path = out, .force = true};
    if (export_case_write(&c, &opt, &res, &err) < 0)
        fail_msg("%s", err.msg);
    assert_false(res.refused);
    assert_string_equal(res.path, out);
    assert_string_equal(res.template_name, "gcotiza_v1");
    assert_string_equal(res.template_version, "1.3");
    assert_true(res.len > 1000);
    assert_memory_equal(res.data, "PK\x03\x04", 4);
    char *file = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(out, 1 << 26, &file, &len, &err), 0);
    assert_int_equal(len, res.len);
    assert_memory_equal(file, res.data, len);
    char hex[65];
    core_sha256_hex(file, len, hex);
    assert_string_equal(hex, res.sha256);
    assert_true(res.n_incidences >= res.n_undecided);

    /* same case, same export time: same bytes, whether written to a file or not */
    export_result again;
    export_options bytes_only = {.share_dir = share, .force = true, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write(&c, &bytes_only, &again, &err), 0);
    assert_null(again.path);
    assert_string_equal(again.sha256, res.sha256);
    export_result_clear(&again);

    g_free(file);
    g_free(out);
    export_result_clear(&res);
    export_case_clear(&c);
}

static void test_case_errors(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 3, 1);
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};

    g_free(c.coverage_package);
    c.coverage_package = g_strdup("PLATINO");
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_non_null(strstr(err.msg, "coverage package 'PLATINO'"));
    assert_non_null(strstr(err.msg, "AMPLIA, LIMITADA, RC"));
    g_free(c.coverage_package);
    c.coverage_package = g_strdup("Limitada");

    g_free(c.vigencia_end);
    c.vigencia_end = g_strdup("2027-02-30");
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_non_null(strstr(err.msg, "vigencia_end '2027-02-30' is not a date"));
    export_result_clear(&res); /* a refused export may hold its counts */
    g_free(c.vigencia_end);
    c.vigencia_end = NULL; /* absent dates are empty cells */
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    export_result_clear(&res);

    opt.template_name = "no_such_template";
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_non_null(strstr(err.msg, "no template 'no_such_template'"));
    export_result_clear(&res); /* a refused export may hold its counts */

    export_case_clear(&c);
    fx_build_fleet(&c, 0, 1);
    opt.template_name = NULL;
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_non_null(strstr(err.msg, "has no vehicles"));
    export_result_clear(&res); /* a refused export may hold its counts */
    opt.force = true;
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    export_result_clear(&res);
    export_case_clear(&c);
}

static void test_insurer_override_is_used(void **state)
{
    (void)state;
    char *sh = core_path_join(tmpdir, "share2");
    char *t = write_tmp("share2/templates/norte/gcotiza_v1.yaml",
                        "name: gcotiza_v1\nversion: \"1.0-norte\"\nsheet: COTIZA NORTE\n"
                        "columns:\n"
                        "  - {header: CLAVE, type: text, source: match.cvegs}\n"
                        "  - {header: SERIE, type: text, width: 20, source: row.vin}\n"
                        "  - {header: DM, type: percent, source: coverage.ded_dm_pp}\n");
    char *cv = write_tmp("share2/templates/coverage_packages.yaml",
                         "packages:\n  AMPLIA:\n    values:\n      ded_dm_pp: 10%\n");
    export_case c;
    fx_build_fleet(&c, 5, 1);
    g_free(c.insurer);
    c.insurer = g_strdup("norte");
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = sh, .tmp_dir = tmpdir};
    if (export_case_write(&c, &opt, &res, &err) < 0)
        fail_msg("%s", err.msg);
    assert_string_equal(res.template_version, "1.0-norte");
    assert_string_equal(res.template_path, t);
    export_result_clear(&res);

    /* a package without a value for a coverage column is a clear error */
    g_free(c.coverage_package);
    c.coverage_package = g_strdup("AMPLIA");
    char *cv2 = write_tmp("share2/templates/norte/coverage_packages.yaml",
                          "packages:\n  AMPLIA:\n    values:\n      ded_rt: 0.1\n");
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    if (!strstr(err.msg, "package AMPLIA has no value for 'ded_dm_pp' (template column DM)"))
        fail_msg("got [%s]", err.msg);
    export_case_clear(&c);
    g_free(cv2);
    g_free(cv);
    g_free(t);
    g_free(sh);
}

static void test_names(void **state)
{
    (void)state;
    char *f = export_default_filename("COT-2026/00 1", 2);
    assert_string_equal(f, "COT-2026_00_1_v2.xlsx");
    g_free(f);
    f = export_default_filename("COT-1", 0);
    assert_string_equal(f, "COT-1.xlsx");
    g_free(f);
    assert_int_equal(export_decision_parse("AUTO"), EXPORT_DECISION_AUTO);
    assert_int_equal(export_decision_parse("review"), EXPORT_DECISION_REVIEW);
    assert_int_equal(export_decision_parse("no_match"), EXPORT_DECISION_NO_MATCH);
    assert_int_equal(export_decision_parse("x"), -1);
    assert_string_equal(export_decision_name(EXPORT_DECISION_NO_MATCH), "no_match");
    export_match m = {0};
    assert_int_equal(export_match_set_status(&m, "picked"), 0);
    assert_int_equal(m.decision, EXPORT_DECISION_REVIEW);
    assert_true(m.reviewed);
    assert_int_equal(export_match_set_status(&m, "auto_accept"), 0);
    assert_int_equal(m.decision, EXPORT_DECISION_AUTO);
    assert_false(m.reviewed);
    assert_int_equal(export_match_set_status(&m, "rejected"), 0);
    assert_int_equal(m.decision, EXPORT_DECISION_NO_MATCH);
    assert_true(m.reviewed);
    assert_int_equal(export_match_set_status(&m, "needs_review"), 0);
    assert_false(m.reviewed);
    assert_int_equal(export_match_set_status(&m, "maybe"), -1);
}

/* Coverage, vigencia and payment terms are requirements of the quote: a case without them is
 * refused like undecided rows; --force writes it with the coverage cells empty (never the
 * AMPLIA defaults) and says so. */
static void test_missing_requirements_block(void **state)
{
    (void)state;
    static const struct {
        size_t offset;
        const char *label;
    } reqs[] = {
        {offsetof(export_case, client_name), "nombre del cliente"},
        {offsetof(export_case, client_rfc), "RFC"},
        {offsetof(export_case, coverage_package), "cobertura"},
        {offsetof(export_case, vigencia_start), "vigencia"},
        {offsetof(export_case, payment_terms), "forma de pago"},
    };
    for (size_t k = 0; k < sizeof reqs / sizeof reqs[0]; k++) {
        export_case c;
        fx_build_fleet(&c, 12, 1);
        char **slot = (char **)((char *)&c + reqs[k].offset);
        g_free(*slot);
        *slot = NULL;
        const char *missing[4];
        assert_int_equal(export_case_missing(&c, missing, 4), 1);
        assert_string_equal(missing[0], reqs[k].label);
        export_result res;
        minca_err err = {0};
        export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
        assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
        assert_true(res.refused);
        assert_int_equal(res.n_missing, 1);
        if (!strstr(err.msg, reqs[k].label) || !strstr(err.msg, "--force"))
            fail_msg("refusal does not name %s: %s", reqs[k].label, err.msg);
        export_result_clear(&res);
        assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), -1);
        assert_true(res.refused);
        export_result_clear(&res);

        opt.force = true;
        assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
        assert_true(res.overridden);
        assert_true(res.n_incidences >= 1);
        export_result_clear(&res);
        assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
        assert_true(res.overridden);
        export_result_clear(&res);
        export_case_clear(&c);
    }
    /* a complete, decided case is not an override */
    export_case c;
    fx_build_fleet(&c, 12, 1);
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir, .force = true};
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    assert_false(res.overridden);
    assert_int_equal(res.n_missing, 0);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* "No match" decided by a person is a decision: the case exports without --force, the row is
 * counted as reviewed and listed on Incidencias; "no match" from the codifier alone blocks. */
static void test_reviewed_no_match_is_a_decision(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 10, 1);
    export_row *r = &c.rows[3];
    g_free(r->match.cvegs);
    r->match.cvegs = NULL;
    r->match.decision = EXPORT_DECISION_NO_MATCH;
    r->match.reviewed = false;
    assert_false(export_row_decided(r));
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write(&c, &opt, &res, &err), -1);
    assert_true(res.refused);
    assert_int_equal(res.n_undecided, 1);
    export_result_clear(&res);

    r->match.reviewed = true;
    g_free(r->match.reviewer);
    r->match.reviewer = g_strdup("lperez");
    assert_true(export_row_decided(r));
    if (export_case_write(&c, &opt, &res, &err) < 0)
        fail_msg("%s", err.msg);
    assert_false(res.refused);
    assert_false(res.overridden);
    assert_int_equal(res.n_undecided, 0);
    assert_int_equal(res.n_no_match, 1);
    assert_true(res.n_incidences >= 1);
    export_result_clear(&res);
    if (export_case_write_pdf(&c, &opt, &res, &err) < 0)
        fail_msg("%s", err.msg);
    assert_memory_equal(res.data, "%PDF-", 5);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* A case without vehicles is refused; forced, it is written and flagged as an override. */
static void test_no_vehicles(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 0, 1);
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), -1);
    assert_true(res.refused);
    assert_non_null(strstr(err.msg, "no vehicles"));
    export_result_clear(&res);
    opt.force = true;
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_true(res.overridden);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    assert_true(res.overridden);
    export_result_clear(&res);
    export_case_clear(&c);
}


/* The text pdftotext reads from a PDF (g_free). */
static char *pdf_text(const export_result *res)
{
    char *path = core_path_join(tmpdir, "text.pdf");
    assert_int_equal(core_write_file(path, res->data, res->len, NULL), 0);
    char *argv[] = {"pdftotext", "-layout", path, "-", NULL};
    char *out = NULL;
    gint status = 0;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                               NULL, &status, NULL);
    g_free(path);
    if (!ok || status != 0)
        fail_msg("pdftotext failed");
    return out;
}

/* The rows of the Incidencias sheet and the cells of the others, as text: read back by
 * xlsx2csv (an independent reader). g_free. */
static char *xlsx_sheet(const export_result *res, const char *sheet)
{
    char *path = core_path_join(tmpdir, "sheet.xlsx");
    assert_int_equal(core_write_file(path, res->data, res->len, NULL), 0);
    char *argv[] = {"xlsx2csv", "-n", (char *)sheet, path, NULL};
    char *out = NULL;
    gint status = 0;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                               NULL, &status, NULL);
    g_free(path);
    if (!ok || status != 0)
        fail_msg("xlsx2csv failed on sheet %s", sheet);
    return out;
}

/* The quote is dated on the insurer's clock, whatever the server's TZ says. */
static void test_dates_on_the_insurers_clock(void **state)
{
    (void)state;
    char *old_tz = g_strdup(getenv("TZ"));
    setenv("TZ", "Etc/GMT+12", 1);
    tzset();
    export_case c;
    fx_build_fleet(&c, 3, 1);
    /* 2026-12-08 08:00 UTC: 8 December 02:00 in Mexico City, 7 December 20:00 on the server */
    c.exported_at = 1796716800;
    char day[16];
    export_case_issue_date(&c, day);
    assert_string_equal(day, "2026-12-08");
    c.timezone = g_strdup("Pacific/Honolulu");
    export_case_issue_date(&c, day);
    assert_string_equal(day, "2026-12-07");
    g_free(c.timezone);
    c.timezone = NULL;

    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    char *text = pdf_text(&res);
    if (!strstr(text, "Emitida el 08/12/2026"))
        fail_msg("the PDF is not dated on Mexico City's clock:\n%.600s", text);
    g_free(text);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    char *summary = xlsx_sheet(&res, "Resumen");
    if (!strstr(summary, "08/12/2026 02:00"))
        fail_msg("Resumen's export time is not Mexico City's:\n%s", summary);
    g_free(summary);
    export_result_clear(&res);

    c.timezone = g_strdup("Marte/Olympus");
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), -1);
    assert_non_null(strstr(err.msg, "Marte/Olympus"));
    export_result_clear(&res);
    export_case_clear(&c);
    if (old_tz)
        setenv("TZ", old_tz, 1);
    else
        unsetenv("TZ");
    tzset();
    g_free(old_tz);
}

/* A vigencia that began before the issue date is a warning in both files, not a refusal. */
static void test_vigencia_started_warns(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 3, 1);
    c.exported_at = 1796716800;   /* 2026-12-08 in Mexico City */
    g_free(c.vigencia_start);
    c.vigencia_start = g_strdup("2026-12-08");
    assert_false(export_vigencia_started(&c));   /* the same day is not before */
    g_free(c.vigencia_start);
    c.vigencia_start = g_strdup("2026-12-07");
    assert_true(export_vigencia_started(&c));
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_true(res.vigencia_started);
    assert_false(res.overridden);
    char *text = pdf_text(&res);
    if (!strstr(text, "inicia el 07/12/2026, antes de la fecha de emisión (08/12/2026)"))
        fail_msg("the PDF does not warn about the vigencia:\n%s", text);
    g_free(text);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    char *issues = xlsx_sheet(&res, "Incidencias");
    if (!strstr(issues, "vigencia,AVISO,\"La vigencia solicitada inicia el 07/12/2026, antes de la fecha de emisión "
                        "(08/12/2026)"))
        fail_msg("Incidencias does not warn about the vigencia:\n%s", issues);
    g_free(issues);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* Two attachments numbering their units 1..n: the second continues the case's numbering, and
 * both files say where each range came from. */
static void test_incisos_unique_across_attachments(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 5, 1);
    for (int i = 0; i < 5; i++) {
        c.rows[i].source_file = g_strdup(i < 3 ? "flotilla norte.xlsx" : "flotilla sur.xlsx");
        c.rows[i].vehicle.inciso = i < 3 ? i + 1 : i - 2;
    }
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_true(res.renumbered);
    assert_int_equal(res.n_spans, 2);
    for (int i = 0; i < 5; i++)
        assert_int_equal(res.inciso[i], i + 1);
    char *note = export_span_note(&res, 1);
    assert_string_equal(note, "Incisos 4 a 5: unidades de «flotilla sur.xlsx» (en el archivo, incisos 1 a 2)");
    g_free(note);
    char *text = pdf_text(&res);
    if (!strstr(text, "Incisos 1 a 3: unidades de «flotilla norte.xlsx»") ||
        !strstr(text, "Incisos 4 a 5: unidades de «flotilla sur.xlsx» (en el archivo, incisos 1 a 2)"))
        fail_msg("the PDF has no heading per attachment:\n%s", text);
    g_free(text);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    char *main_sheet = xlsx_sheet(&res, "COTIZACION");
    int seen[6] = {0};
    char **lines = g_strsplit(main_sheet, "\n", -1);
    for (int i = 1; lines[i] && *lines[i]; i++) {
        int n = atoi(lines[i]);
        assert_true(n >= 1 && n <= 5);
        assert_int_equal(seen[n]++, 0);
    }
    g_strfreev(lines);
    g_free(main_sheet);
    char *issues = xlsx_sheet(&res, "Incidencias");
    if (!strstr(issues, "inciso,AVISO,\"Incisos 4 a 5: unidades de «flotilla sur.xlsx» (en el archivo, incisos 1 a 2)"))
        fail_msg("Incidencias does not say how the second file was numbered:\n%s", issues);
    g_free(issues);
    export_result_clear(&res);

    /* unique numbers across the files are kept as they are */
    for (int i = 0; i < 5; i++)
        c.rows[i].vehicle.inciso = 10 + i;
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_false(res.renumbered);
    assert_int_equal(res.inciso[4], 14);
    export_result_clear(&res);
    /* one file numbering twice: the case is numbered in order */
    c.rows[1].vehicle.inciso = 10;
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_true(res.renumbered);
    for (int i = 0; i < 5; i++)
        assert_int_equal(res.inciso[i], i + 1);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* Units insured at commercial value say so and are counted apart from the fleet's sum. */
static void test_valor_comercial_counted_apart(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 4, 1);
    c.rows[1].vehicle.insured_amount = -1;
    c.rows[1].vehicle.sum_basis = VEHICLE_SUM_COMERCIAL;
    c.rows[2].vehicle.insured_amount = -1;
    c.rows[2].vehicle.sum_basis = VEHICLE_SUM_COMERCIAL;
    c.rows[3].vehicle.insured_amount = -1;
    c.rows[3].vehicle.sum_basis = VEHICLE_SUM_UNKNOWN;
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_int_equal(res.n_commercial, 2);
    assert_int_equal(res.n_with_sum, 1);
    assert_true(res.fleet_sum == c.rows[0].vehicle.insured_amount);
    char *text = pdf_text(&res);
    char **lines = g_strsplit(text, "\n", -1);
    int commercial_cells = 0;
    for (int i = 0; lines[i]; i++)
        commercial_cells += strstr(lines[i], "3N1CN7AD") && strstr(lines[i], "VALOR COMERCIAL");
    g_strfreev(lines);
    assert_int_equal(commercial_cells, 2);
    if (!strstr(text, "Suma asegurada de las unidades con suma") ||
        !strstr(text, "Fuera de la suma: 2 unidades a VALOR COMERCIAL; 1 sin suma asegurada"))
        fail_msg("the total does not say what it leaves out:\n%s", text);
    g_free(text);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    char *main_sheet = xlsx_sheet(&res, "COTIZACION");
    assert_non_null(strstr(main_sheet, "VALOR COMERCIAL"));
    g_free(main_sheet);
    char *client = xlsx_sheet(&res, "Cliente");
    if (!strstr(client, "Unidades a VALOR COMERCIAL (fuera de la suma),2"))
        fail_msg("Cliente does not count the commercial-value units:\n%s", client);
    g_free(client);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* A unit with neither serie nor plates is an incidencia: named in the PDF and on Incidencias. */
static void test_unit_without_vin_or_plates(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 4, 1);
    g_free(c.rows[2].vehicle.vin);
    c.rows[2].vehicle.vin = NULL;
    g_free(c.rows[2].vehicle.plates);
    c.rows[2].vehicle.plates = NULL;
    g_free(c.rows[3].vehicle.vin);   /* plates alone identify the unit */
    c.rows[3].vehicle.vin = NULL;
    g_free(c.rows[3].vehicle.plates);
    c.rows[3].vehicle.plates = g_strdup("ABC1234");
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    assert_int_equal(res.n_unidentified, 1);
    char *text = pdf_text(&res);
    char *want = g_strdup_printf("Unidades sin serie (VIN) ni placas: 1 (incisos %d)", res.inciso[2]);
    if (!strstr(text, want))
        fail_msg("the PDF does not name the unit without serie or plates (%s):\n%s", want, text);
    g_free(want);
    g_free(text);
    export_result_clear(&res);
    assert_int_equal(export_case_write(&c, &opt, &res, &err), 0);
    char *issues = xlsx_sheet(&res, "Incidencias");
    char **lines = g_strsplit(issues, "\n", -1);
    int found = 0;
    for (int i = 0; lines[i]; i++)
        found += strstr(lines[i], "Unidad sin serie (VIN) ni placas") != NULL;
    g_strfreev(lines);
    assert_int_equal(found, 1);
    g_free(issues);
    export_result_clear(&res);
    export_case_clear(&c);
}

/* A forced export says PRELIMINAR on every page. */
static void test_forced_pdf_is_preliminar(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 120, 0);
    g_free(c.client_rfc);
    c.client_rfc = NULL;
    export_result res;
    minca_err err = {0};
    export_options opt = {.share_dir = share, .tmp_dir = tmpdir, .force = true};
    assert_int_equal(export_case_write_pdf(&c, &opt, &res, &err), 0);
    char *text = pdf_text(&res);
    char **pages = g_strsplit(text, "\f", -1);
    int n = 0, marked = 0;
    for (int i = 0; pages[i]; i++) {
        if (!strstr(pages[i], "Página"))
            continue;
        n++;
        marked += strstr(pages[i], "COTIZACIÓN PRELIMINAR") != NULL;
    }
    g_strfreev(pages);
    assert_true(n > 1);
    assert_int_equal(marked, n);
    if (!strstr(text, "Requisitos pendientes: RFC") || !strstr(text, "Filas sombreadas"))
        fail_msg("the forced PDF does not say what is pending:\n%.2000s", text);
    g_free(text);
    export_result_clear(&res);
    export_case_clear(&c);
}

static export_tariff *demo_tariff(void)
{
    char *path = core_path_join(share, "samples/tariff/demo.yaml"), *body = NULL;
    size_t len = 0;
    minca_err err = {0};
    export_tariff *t = NULL;
    assert_int_equal(core_read_file(path, 1 << 22, &body, &len, &err), 0);
    if (export_tariff_parse(body, len, path, &t, &err) < 0)
        fail_msg("%s", err.msg);
    g_free(body);
    g_free(path);
    return t;
}

/* The receipts add up to the total to the cent, for every frequency; a unit the tariff does
 * not cover is a referral. */
static void test_tariff_prices_in_cents(void **state)
{
    (void)state;
    export_case c;
    fx_build_fleet(&c, 37, 1);
    c.tariff = demo_tariff();
    c.rows[3].vehicle.year = 1990;
    c.rows[3].match.year = 1990;
    const char *freqs[] = {"ANUAL", "SEMESTRAL", "TRIMESTRAL", "MENSUAL"};
    const int receipts[] = {1, 2, 4, 12};
    for (int f = 0; f < 4; f++) {
        g_free(c.payment_terms);
        c.payment_terms = g_strdup(freqs[f]);
        export_quote q;
        minca_err err = {0};
        assert_int_equal(export_quote_price(c.tariff, &c, &q, &err), 0);
        assert_int_equal(q.n_receipts, receipts[f]);
        assert_int_equal(q.n_referrals, 1);
        assert_false(q.units[3].priced);
        assert_non_null(strstr(q.units[3].referral, "antigüedad"));
        long long sum = 0, neta = 0, by_cov = 0;
        for (int r = 0; r < q.n_receipts; r++)
            sum += q.receipts[r].total;
        for (int i = 0; i < q.n_units; i++)
            neta += q.units[i].priced ? q.units[i].neta_cents : 0;
        for (int k = 0; k < q.n_coverages; k++)
            by_cov += q.coverage_totals[k];
        assert_true(sum == q.total);
        assert_true(neta == q.neta);
        assert_true(by_cov + q.minimum_total == q.neta);
        assert_true(q.total == q.neta + q.recargo + q.derecho + q.iva);
        assert_true(q.iva == ((q.neta + q.recargo + q.derecho) * 1600 + 5000) / 10000);
        export_quote_clear(&q);
    }
    export_case_clear(&c);
}

static void test_tariff_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"name: x\niva: 0.16\nderecho_poliza: 1.005\n", "derecho_poliza"},
        {"name: x\niva: 0.16000\n", "iva"},
        {"[unclosed", "t.yaml:"},
        {"- a list\n", "mapping"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        export_tariff *t = NULL;
        minca_err err = {0};
        assert_int_equal(export_tariff_parse(bad[i].text, strlen(bad[i].text), "t.yaml", &t, &err), -1);
        assert_null(t);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
    }
    const char nul[] = "name: x\xff";
    export_tariff *t = NULL;
    minca_err err = {0};
    assert_int_equal(export_tariff_parse(nul, sizeof nul - 1, "t.yaml", &t, &err), -1);
    assert_non_null(strstr(err.msg, "UTF-8"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_plain_and_empty),
        cmocka_unit_test(test_text_accents_nfc),
        cmocka_unit_test(test_text_invalid_utf8_repaired),
        cmocka_unit_test(test_text_controls),
        cmocka_unit_test(test_text_ooxml_escape),
        cmocka_unit_test(test_text_formula_kept_as_text),
        cmocka_unit_test(test_text_truncated_at_cell_limit),
        cmocka_unit_test(test_shipped_template),
        cmocka_unit_test(test_template_errors_name_line_and_column),
        cmocka_unit_test(test_sources_from_field_list),
        cmocka_unit_test(test_template_resolve_override),
        cmocka_unit_test(test_coverage_packages),
        cmocka_unit_test(test_refuses_undecided_without_force),
        cmocka_unit_test(test_force_writes_bytes_and_file),
        cmocka_unit_test(test_missing_requirements_block),
        cmocka_unit_test(test_reviewed_no_match_is_a_decision),
        cmocka_unit_test(test_no_vehicles),
        cmocka_unit_test(test_case_errors),
        cmocka_unit_test(test_insurer_override_is_used),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dates_on_the_insurers_clock),
        cmocka_unit_test(test_vigencia_started_warns),
        cmocka_unit_test(test_incisos_unique_across_attachments),
        cmocka_unit_test(test_valor_comercial_counted_apart),
        cmocka_unit_test(test_unit_without_vin_or_plates),
        cmocka_unit_test(test_forced_pdf_is_preliminar),
        cmocka_unit_test(test_tariff_prices_in_cents),
        cmocka_unit_test(test_tariff_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
