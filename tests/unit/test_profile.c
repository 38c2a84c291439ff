/* Unit tests for profile: value parsers, VIN check digit, the YAML DSL (errors with line and
 * column), normalisation / compute / validation policies, automatic mapping, suggestions and
 * broker recognition. Tables are built as grids so no file is needed. */
#include <glib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/docs.h"
#include "minca/profile.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static profile *load(const char *yaml)
{
    profile *p = NULL;
    minca_err e = { 0 };
    if (profile_load_string(yaml, strlen(yaml), "test.yaml", &p, &e) != 0)
        fail_msg("load: %s", e.msg);
    return p;
}

static const char *load_error(const char *yaml)
{
    static minca_err e;
    profile *p = NULL;
    memset(&e, 0, sizeof e);
    assert_int_equal(profile_load_string(yaml, strlen(yaml), "bad.yaml", &p, &e), -1);
    assert_null(p);
    return e.msg;
}

/* A broker grid: title, header, three vehicles, a TOTAL row. */
static docs_book *sample_book(const char *modelo_header, bool modelo_years)
{
    docs_grid *g = docs_grid_new("Hoja1");
    const char *title[] = { "RELACIÓN DE UNIDADES" };
    const char *hdr[] = { "No.", "MARCA", "TIPO", modelo_header, "VERSION", "NO. SERIE", "PLACAS",
                          "SUMA ASEGURADA", "Paquete De Cobert" };
    const char *r1[] = { "1", "FORD", "RANGER", modelo_years ? "2019" : "RANGER XL", " XL  DC PK  ",
                         "8afre9eu3kx923696", "GMN-499-H", "$ 450,000.00", "Amplia" };
    const char *r2[] = { "2", "NISSAN", "NP300", modelo_years ? "2022" : "NP300 PICK UP", "PICK UP",
                         "3N6U4X5A5NCV82070", "EN TRAMITE", "VALOR COMERCIAL", "Limitada" };
    const char *r3[] = { "3", "KIA", "RIO", modelo_years ? "1890" : "RIO EX", "EX AUT", "",
                         "", "215000", "Amplia" };
    const char *tot[] = { "", "TOTAL", "", "", "", "", "", "665,000.00", "" };
    docs_grid_add_row(g, 0, title, 1);
    docs_grid_add_row(g, 0, hdr, 9);
    docs_grid_add_row(g, 0, r1, 9);
    docs_grid_add_row(g, 0, r2, 9);
    docs_grid_add_row(g, 0, r3, 9);
    docs_grid_add_row(g, 0, tot, 9);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    return b;
}

static void test_parsers(void **state)
{
    (void)state;
    int y;
    assert_true(profile_parse_year("2019", &y));
    assert_int_equal(y, 2019);
    assert_true(profile_parse_year(" 2019.0 ", &y));
    assert_false(profile_parse_year("19", &y));
    assert_false(profile_parse_year("RANGER", &y));
    double v;
    assert_true(profile_parse_money("$ 450,000.00", &v));
    assert_true(v == 450000.0);
    assert_true(profile_parse_money("450.000,50", &v));
    assert_true(v == 450000.5);
    assert_true(profile_parse_money("724,200", &v));
    assert_true(v == 724200.0);
    assert_true(profile_parse_money("$346,500.00 MXN", &v));
    assert_true(v == 346500.0);
    assert_true(profile_parse_money("1,5", &v));
    assert_true(v == 1.5);
    assert_true(profile_parse_money("$356.500.00", &v));   /* OCR read the comma as a dot */
    assert_true(v == 356500.0);
    assert_true(profile_parse_money("$343,700,00", &v));
    assert_true(v == 343700.0);
    assert_true(profile_parse_money("1.250.000", &v));
    assert_true(v == 1250000.0);
    assert_false(profile_parse_money("VALOR COMERCIAL", &v));
    char iso[11];
    assert_true(profile_parse_date("14/10/2025", iso));
    assert_string_equal(iso, "2025-10-14");
    assert_true(profile_parse_date("2025-10-14", iso));
    assert_true(profile_parse_date("45000", iso));
    assert_string_equal(iso, "2023-03-15");
    assert_false(profile_parse_date("31/02/2025", iso));
    assert_true(profile_parse_percent("5%", &v));
    assert_true(v == 5);
    assert_true(profile_parse_percent("0.05", &v));
    assert_true(v == 5);
}

static void test_vin(void **state)
{
    (void)state;
    assert_true(profile_vin_check_digit("1FTNR77H4PB826510"));
    assert_true(profile_vin_check_digit("WV2RD796XSK961869"));   /* X check digit */
    assert_false(profile_vin_check_digit("1FTNR77H5PB826510"));
    assert_false(profile_vin_check_digit("8AF83ZW9XSV33O165"));   /* letter O */
    assert_false(profile_looks_vin("3G1H52ZG7JH59356"));          /* 16 characters */
    char *c = profile_vin_clean(" 3c6-d9zw05 ht638639 ");
    assert_string_equal(c, "3C6D9ZW05HT638639");
    g_free(c);
    assert_true(profile_looks_plate("GMN-499-H"));
    assert_true(profile_looks_plate("EN TRÁMITE"));
    assert_false(profile_looks_plate("FORD"));
    assert_int_equal(profile_field_from_name("engine_number"), PF_ENGINE);
    assert_string_equal(profile_field_name(PF_INSURED_AMOUNT), "insured_amount");
}

static void test_yaml_errors(void **state)
{
    (void)state;
    const char *m = load_error("name: x\nmapping:\n  Marca: marca\n   bad: [\n");
    assert_non_null(strstr(m, "bad.yaml: line "));
    assert_non_null(strstr(m, "column"));
    m = load_error("name: x\nmapping:\n  Marca: brand\n");
    assert_non_null(strstr(m, "line 3, column 10"));
    assert_non_null(strstr(m, "unknown canonical field 'brand'"));
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [shout]\n");
    assert_non_null(strstr(m, "line 4"));
    assert_non_null(strstr(m, "unknown normalize step 'shout'"));
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [{replace: {pattern: \"(\", with: x}}]\n");
    assert_non_null(strstr(m, "invalid regular expression"));
    /* the steps come from one table: the message lists them, arguments are checked by shape */
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [shout]\n");
    assert_non_null(strstr(m, "(strip, collapse_spaces, upper, lower, remove_accents, {replace: ...}, {map: ...})"));
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [replace]\n");
    assert_non_null(strstr(m, "needs its arguments"));
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [{upper: {a: b}}]\n");
    assert_non_null(strstr(m, "takes no arguments"));
    m = load_error("mapping:\n  A: marca\nnormalize:\n  marca: [{replace: {with: x}}]\n");
    assert_non_null(strstr(m, "replace needs a pattern"));
    profile *steps = load("mapping: {A: marca}\nnormalize:\n  marca: [trim, unaccent, upper, {map: {\"chevy\": CHEVROLET}}]\n");
    profile_free(steps);
    m = load_error("mapping: {A: marca}\nvalidate:\n  year: {min: abc}\n");
    assert_non_null(strstr(m, "line 3"));
    assert_non_null(strstr(m, "must be a number"));
    m = load_error("mapping: {A: marca}\non_error: explode\n");
    assert_non_null(strstr(m, "warn, skip_row or fail"));
    m = load_error("name: x\n");
    assert_non_null(strstr(m, "no 'mapping'"));
    m = load_error("mapping: {A: marca}\ncompute:\n  description: \"{marca\"\n");
    assert_non_null(strstr(m, "unbalanced"));
    m = load_error("");
    assert_non_null(strstr(m, "empty"));
    m = load_error("mapping: {A: marca}\nbogus: 1\n");
    assert_non_null(strstr(m, "unknown section 'bogus'"));
}

static const char *FULL =
    "name: prueba\n"
    "version: 3\n"
    "description: Broker de prueba\n"
    "detect:\n"
    "  sender_domains: [prueba-seguros.mx]\n"
    "  required_headers: [MARCA, TIPO]\n"
    "mapping:\n"
    "  No.: inciso\n"
    "  MARCA: marca\n"
    "  TIPO: submarca\n"
    "  MODELO: year\n"
    "  VERSION: version\n"
    "  NO. SERIE: vin\n"
    "  PLACAS: plates\n"
    "  SUMA ASEGURADA: insured_amount\n"
    "  Paquete De Cobert: coverage\n"
    "normalize:\n"
    "  all: [strip, collapse_spaces]\n"
    "  coverage: [upper, remove_accents, {map: {LIMITADA: LIMITADA PLUS}}]\n"
    "  plates: [{replace: {pattern: \"-\", with: \"\"}}]\n"
    "parse:\n"
    "  year: year\n"
    "  insured_amount: money\n"
    "compute:\n"
    "  description: \"{marca} / {submarca} {version}\"\n"
    "defaults:\n"
    "  use: PARTICULAR\n"
    "validate:\n"
    "  year: {required: true, min: 1950, max: 2030}\n"
    "  vin: {check_digit: true}\n"
    "  coverage: {enum: [AMPLIA, LIMITADA PLUS]}\n"
    "on_error: warn\n";

/* The canonical fields are one list (core_vehicle.h): every row is a profile field by its name and
 * its aliases, has its staff label, and reaches the row JSON when the row holds it. */
#define FIELD_CHECK(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases)                           \
    assert_string_equal(profile_field_name(PF_##ID), #name);                                       \
    assert_int_equal(profile_field_from_name(#name), PF_##ID);                                     \
    assert_string_equal(vehicle_field_label(#name), label);                                        \
    check_aliases(aliases, PF_##ID);                                                               \
    n_fields++;

static void check_aliases(const char *aliases, profile_field f)
{
    char **names = g_strsplit(aliases, " ", -1);
    for (char **a = names; *a; a++)
        if (**a)
            assert_int_equal(profile_field_from_name(*a), f);
    g_strfreev(names);
}

static void test_field_list(void **state)
{
    (void)state;
    int n_fields = 0;
    VEHICLE_FIELDS(FIELD_CHECK)
    assert_int_equal(n_fields, PF_IGNORE);
    assert_string_equal(profile_field_name(PF_IGNORE), "ignore");
    assert_int_equal(profile_field_from_name("motor"), PF_ENGINE);
    assert_int_equal(profile_field_from_name(""), PF_NONE);
    assert_int_equal(profile_field_from_name("engine motor"), PF_NONE);
    assert_null(vehicle_field_label("ignore"));
    /* the loader's message names every field of the list */
    const char *m = load_error("mapping:\n  A: brand\n");
    assert_non_null(strstr(m, "(inciso, marca, submarca, version, description, year, vin, engine_number, "
                              "plates, use, service, coverage, insured_amount, sum_basis, ignore)"));
    /* one row through every field: each lands on its member, the description composed */
    const char *yaml = "name: todo\nmapping:\n  No: inciso\n  Marca: marca\n  Tipo: submarca\n  Version: version\n"
                       "  Desc: description\n  Anio: year\n  Serie: vin\n  Motor: engine_number\n  Placas: plates\n"
                       "  Uso: use\n  Servicio: service\n  Paquete: coverage\n  Suma: insured_amount\n  Base: sum_basis\n";
    profile *p = load(yaml);
    docs_grid *g = docs_grid_new("Hoja1");
    const char *hdr[] = { "No", "Marca", "Tipo", "Version", "Desc", "Anio", "Serie", "Motor", "Placas", "Uso",
                          "Servicio", "Paquete", "Suma", "Base" };
    const char *r1[] = { "7", "FORD", "RANGER", "XL", "DOBLE CABINA", "2019", "8afre9eu3kx923696", "M-1",
                         "GMN-499-H", "CARGA", "PARTICULAR", "AMPLIA", "$ 450,000.00", "factura" };
    docs_grid_add_row(g, 0, hdr, 14);
    docs_grid_add_row(g, 0, r1, 14);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    profile_result res;
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 1);
    vehicle_row *r = &res.rows[0];
    assert_int_equal(r->inciso, 7);
    assert_string_equal(r->marca, "FORD");
    assert_string_equal(r->submarca, "RANGER");
    assert_string_equal(r->description, "FORD RANGER XL DOBLE CABINA");
    assert_int_equal(r->year, 2019);
    assert_string_equal(r->vin, "8AFRE9EU3KX923696");
    assert_string_equal(r->engine_number, "M-1");
    assert_string_equal(r->plates, "GMN-499-H");
    assert_string_equal(r->use, "CARGA");
    assert_string_equal(r->service, "PARTICULAR");
    assert_string_equal(r->coverage, "AMPLIA");
    assert_true(r->insured_amount == 450000);
    assert_int_equal(r->sum_basis, VEHICLE_SUM_FACTURA);
    char *json = profile_result_json(&res, true);
    assert_non_null(strstr(json, "\"inciso\": 7"));
    assert_non_null(strstr(json, "\"engine_number\": \"M-1\""));
    assert_non_null(strstr(json, "\"insured_amount\": 450000"));
    assert_non_null(strstr(json, "\"sum_basis\": \"factura\""));
    assert_null(strstr(json, "\"version\": \"XL\""));   /* not held on the row: in the description */
    free(json);
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);
}

static void test_profile_apply(void **state)
{
    (void)state;
    profile *p = load(FULL);
    assert_string_equal(profile_name(p), "prueba");
    assert_int_equal(profile_version(p), 3);
    const char *const *d;
    assert_int_equal(profile_domains(p, &d), 1);
    assert_string_equal(d[0], "prueba-seguros.mx");
    docs_book *b = sample_book("MODELO", true);
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_string_equal(res.profile_name, "prueba");
    assert_false(res.auto_mapped);
    assert_int_equal(res.header_row, 2);
    assert_int_equal(res.stop_row, 6);
    assert_int_equal(res.n_rows, 3);
    vehicle_row *r = &res.rows[0];
    assert_int_equal(r->inciso, 1);
    assert_int_equal(r->year, 2019);
    assert_string_equal(r->description, "FORD / RANGER XL DC PK");
    assert_string_equal(r->vin, "8AFRE9EU3KX923696");
    assert_string_equal(r->plates, "GMN499H");
    assert_true(r->insured_amount == 450000);
    assert_string_equal(r->coverage, "AMPLIA");
    assert_string_equal(r->use, "PARTICULAR");
    assert_int_equal(r->source_row, 3);
    assert_non_null(strstr(r->raw_json, "\"MARCA\":\"FORD\""));
    r = &res.rows[1];
    assert_string_equal(r->coverage, "LIMITADA PLUS");
    assert_true(r->insured_amount < 0);
    assert_int_equal(r->sum_basis, VEHICLE_SUM_COMERCIAL);
    assert_int_equal(r->n_issues, 1);   /* VIN check digit */
    assert_string_equal(r->issues[0].field, "vin");
    assert_string_equal(r->issues[0].severity, "warn");
    r = &res.rows[2];
    assert_int_equal(r->year, 0);       /* 1890 is not a model year */
    assert_true(res.n_warnings >= 2);
    char *json = profile_result_json(&res, true);
    assert_non_null(strstr(json, "\"profile\": \"prueba\""));
    assert_non_null(strstr(json, "\"vin\": \"8AFRE9EU3KX923696\""));
    g_free(json);
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);
}

static void test_policies(void **state)
{
    (void)state;
    const char *skip =
        "mapping: {MARCA: marca, TIPO: submarca, MODELO: year, NO. SERIE: vin}\n"
        "validate:\n  vin: {required: true, on_error: skip_row}\n";
    profile *p = load(skip);
    docs_book *b = sample_book("MODELO", true);
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 2);
    assert_int_equal(res.n_skipped, 1);
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);

    const char *fail =
        "mapping: {MARCA: marca, MODELO: year}\n"
        "validate:\n  year: {required: true}\n"
        "on_error: fail\n";
    p = load(fail);
    b = sample_book("MODELO", true);
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), -1);
    assert_non_null(strstr(e.msg, "row 5"));
    assert_non_null(strstr(e.msg, "year"));
    docs_close(b);
    profile_free(p);

    const char *pattern =
        "mapping: {MARCA: marca, MODELO: year, PLACAS: plates}\n"
        "validate:\n  plates: {pattern: \"^[A-Z]{3}-[0-9]{3}-[A-Z]$\", on_error: warn}\n"
        "  marca: {enum: [FORD, NISSAN]}\n";
    p = load(pattern);
    b = sample_book("MODELO", true);
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_false(res.auto_mapped);
    assert_int_equal(res.rows[0].n_issues, 0);
    assert_true(res.rows[1].n_issues >= 1);              /* EN TRAMITE */
    assert_true(res.rows[2].n_issues >= 1);              /* KIA not in the enum */
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);
}

static void test_auto_map(void **state)
{
    (void)state;
    docs_book *b = sample_book("MODELO", true);
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_true(res.auto_mapped);
    assert_null(res.profile_name);
    assert_int_equal(res.n_columns, 9);
    assert_int_equal(res.columns[0].field, PF_INCISO);
    assert_int_equal(res.columns[2].field, PF_SUBMARCA);     /* TIPO = submarca */
    assert_int_equal(res.columns[3].field, PF_YEAR);         /* MODELO holds years */
    assert_true(res.columns[3].confidence >= 0.7);
    assert_non_null(strstr(res.columns[3].reason, "model year"));
    assert_int_equal(res.columns[5].field, PF_VIN);
    assert_int_equal(res.columns[8].field, PF_COVERAGE);     /* truncated header */
    assert_non_null(strstr(res.columns[8].reason, "truncated"));
    assert_int_equal(res.n_rows, 3);
    assert_string_equal(res.rows[0].description, "FORD RANGER XL DC PK");
    profile_result_clear(&res);
    docs_close(b);

    /* MODELO with model names is the model line, and TIPO loses to it or stays submarca */
    b = sample_book("MODELO", false);
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_not_equal(res.columns[3].field, PF_YEAR);
    profile_result_clear(&res);
    docs_close(b);

    /* typo in a year header */
    b = sample_book("Año MOdelos", true);
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_equal(res.columns[3].field, PF_YEAR);
    profile_result_clear(&res);
    docs_close(b);
}

/* The vocabulary is data (data/profile/columns.txt): headers written the long way and plural
 * use values are read without a line of C. */
static void test_auto_map_vocabulary(void **state)
{
    (void)state;
    docs_grid *g = docs_grid_new("Hoja1");
    const char *hdr[] = { "Descripción completa", "Año", "Número de identificación vehicular",
                          "Placas de circulación", "Valor asegurado", "Uso" };
    const char *r1[] = { "FORD RANGER XL DC", "2019", "8AFRE9EU3KX923696", "GMN-499-H", "450,000.00", "Particulares" };
    const char *r2[] = { "KIA RIO EX AUT", "2018", "3KPKYBHZ1JCC76369", "PRT-12-34", "215,000.00", "Comerciales" };
    docs_grid_add_row(g, 0, hdr, 6);
    docs_grid_add_row(g, 0, r1, 6);
    docs_grid_add_row(g, 0, r2, 6);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    profile_result res;
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_equal(res.columns[2].field, PF_VIN);
    assert_non_null(strstr(res.columns[2].reason, "numero de identificacion vehicular"));
    assert_int_equal(res.columns[3].field, PF_PLATES);
    assert_int_equal(res.columns[4].field, PF_INSURED_AMOUNT);
    assert_non_null(strstr(res.columns[4].reason, "valor asegurado"));
    assert_int_equal(res.columns[5].field, PF_USE);
    assert_non_null(strstr(res.columns[5].reason, "vehicle uses"));
    profile_result_clear(&res);
    docs_close(b);
}

/* Header names OCR read with their letters spaced out still name their fields. */
static void test_auto_map_spaced_headers(void **state)
{
    (void)state;
    docs_grid *g = docs_grid_new("Hoja1");
    const char *hdr[] = { "MARCA", "SU B MARCA", "AÑO", "VIN", "SU MA ASEG U RADA" };
    const char *r1[] = { "FORD", "RANGER", "2019", "8AFRE9EU3KX923696", "MEMO 1" };
    const char *r2[] = { "KIA", "RIO", "2018", "3KPKYBHZ1JCC76369", "MEMO 2" };
    docs_grid_add_row(g, 0, hdr, 5);
    docs_grid_add_row(g, 0, r1, 5);
    docs_grid_add_row(g, 0, r2, 5);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    profile_result res;
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_equal(res.columns[1].field, PF_SUBMARCA);
    assert_int_equal(res.columns[4].field, PF_INSURED_AMOUNT);
    assert_non_null(strstr(res.columns[4].reason, "without its spaces"));
    profile_result_clear(&res);
    docs_close(b);
}

static void test_suggest_round_trip(void **state)
{
    (void)state;
    docs_book *b = sample_book("MODELO", true);
    char *yaml = NULL;
    minca_err e = { 0 };
    assert_int_equal(profile_suggest_book(b, "flotilla.xlsx", NULL, "prueba-seguros.com.mx", &yaml, &e), 0);
    assert_non_null(strstr(yaml, "name: prueba-seguros"));
    assert_non_null(strstr(yaml, "\"MODELO\": year"));
    assert_non_null(strstr(yaml, "# 0.9"));
    assert_non_null(strstr(yaml, "sender_domains: [\"prueba-seguros.com.mx\"]"));
    profile *p = load(yaml);
    profile_result res;
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_int_equal(res.n_rows, 3);
    assert_int_equal(res.rows[0].year, 2019);
    assert_string_equal(res.rows[0].coverage, "AMPLIA");
    profile_result_clear(&res);
    profile_free(p);
    g_free(yaml);
    docs_close(b);
}

static void test_recognition(void **state)
{
    (void)state;
    profile *a = load(FULL);
    profile *b = load("name: otro\ndetect:\n  sender_domains: [otro.mx]\n  required_headers: [Inciso, Serie]\nmapping: {Inciso: inciso, Serie: vin}\n");
    profile *list[] = { a, b };
    assert_int_equal(profile_recognize(list, 2, "prueba-seguros.mx", NULL, 0, NULL), 0);
    assert_int_equal(profile_recognize(list, 2, "mail.otro.mx", NULL, 0, NULL), 1);
    assert_int_equal(profile_recognize(list, 2, "nootro.mx", NULL, 0, NULL), -1);
    const char *h1[] = { "inciso", "SERIE", "Placas" };
    assert_int_equal(profile_recognize(list, 2, "gmail.com", h1, 3, "Hoja1"), 1);
    const char *h2[] = { "Placas" };
    assert_int_equal(profile_recognize(list, 2, "gmail.com", h2, 1, NULL), -1);
    /* extraction picks the candidate by domain */
    docs_book *book = sample_book("MODELO", true);
    profile_options opt = { .sender_domain = "prueba-seguros.mx", .candidates = list, .n_candidates = 2 };
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(book, NULL, &opt, &res, &e), 0);
    assert_string_equal(res.profile_name, "prueba");
    assert_string_equal(res.recognized_by, "domain");
    profile_result_clear(&res);
    /* unknown domain, headers fit the first profile's required headers */
    opt.sender_domain = "desconocido.mx";
    assert_int_equal(profile_extract_book(book, NULL, &opt, &res, &e), 0);
    assert_string_equal(res.profile_name, "prueba");
    assert_string_equal(res.recognized_by, "headers");
    assert_false(res.auto_mapped);
    profile_result_clear(&res);
    docs_close(book);
    profile_free(a);
    profile_free(b);
}

static void test_profile_that_does_not_fit(void **state)
{
    (void)state;
    profile *p = load("name: otro\nmapping: {Inciso: inciso, Serie: vin}\n");
    docs_book *b = sample_book("MODELO", true);
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, p, NULL, &res, &e), 0);
    assert_true(res.auto_mapped);
    assert_null(res.profile_name);
    assert_int_equal(res.rows[0].year, 2019);
    bool noted = false;
    for (int i = 0; i < res.n_notes; i++)
        noted |= strstr(res.notes[i], "mapped automatically instead") != NULL;
    assert_true(noted);
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);
}

static int take_row(vehicle_row *row, void *user, minca_err *err)
{
    int *n = user;
    assert_non_null(row->description);
    if (++*n == 2)
        return minca_err_set(err, "stop after %d rows", *n);
    return 0;
}

static void test_streaming(void **state)
{
    (void)state;
    docs_book *b = sample_book("MODELO", true);
    int n = 0;
    profile_options opt = { .on_row = take_row, .user = &n };
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, NULL, &opt, &res, &e), -1);
    assert_string_equal(e.msg, "stop after 2 rows");
    assert_int_equal(n, 2);
    assert_null(res.rows);
    docs_close(b);
}

static void test_shipped_profiles_load(void **state)
{
    (void)state;
    const char *src = getenv("MINCA_SRC");
    char *dir = core_strdup_printf("%s/profiles", src ? src : ".");
    char **names;
    int n;
    minca_err e = { 0 };
    if (profile_dir_list(dir, &names, &n, &e) != 0) {
        g_free(dir);
        skip();
    }
    assert_true(n >= 8);
    for (int i = 0; i < n; i++) {
        profile *p = NULL;
        if (profile_dir_load(dir, names[i], &p, &e) != 0)
            fail_msg("%s: %s", names[i], e.msg);
        assert_string_equal(profile_name(p), names[i]);
        profile_free(p);
    }
    assert_int_equal(profile_dir_load(dir, "no-such-broker", &(profile *){ NULL }, &e), -1);
    assert_non_null(strstr(e.msg, "no profile named"));
    profile_names_free(names);
    g_free(dir);
}

/* A broker Minca has never seen, whose headers look like the shipped xoconostle profile's but
 * who writes NO. SERIE, SUMA ASEGURADA and USO where xoconostle has SERIE and VALOR FACTURA and
 * no use column at all. */
static docs_book *stranger_book(void)
{
    docs_grid *g = docs_grid_new("Flotilla");
    const char *hdr[] = { "ECO", "MARCA", "SUBMARCA", "VERSIÓN", "AÑO", "NO. SERIE", "PLACAS",
                          "SUMA ASEGURADA", "USO" };
    const char *r1[] = { "E-01", "FORD", "RANGER", "XL DC PK L4 2.5L STD", "2019", "8AFRE9EU3KX923696",
                         "GMN-499-H", "$ 450,000.00", "CARGA" };
    const char *r2[] = { "E-02", "NISSAN", "NP300", "PICK UP L4 2.5L STD", "2022", "3N6U4X5A5NCV82071",
                         "EN TRAMITE", "282,800.00", "COMERCIAL" };
    const char *r3[] = { "E-03", "KIA", "RIO", "EX 4P L4 1.6L AUT", "2018", "3KPKYBHZ1JCC76369",
                         "PRT-12-34", "215000", "PARTICULAR" };
    docs_grid_add_row(g, 0, hdr, 9);
    docs_grid_add_row(g, 0, r1, 9);
    docs_grid_add_row(g, 0, r2, 9);
    docs_grid_add_row(g, 0, r3, 9);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    return b;
}

static profile *shipped(const char *name)
{
    const char *src = getenv("MINCA_SRC");
    char *dir = core_strdup_printf("%s/profiles", src ? src : ".");
    profile *p = NULL;
    minca_err e = { 0 };
    int rc = profile_dir_load(dir, name, &p, &e);
    g_free(dir);
    return rc == 0 ? p : NULL;
}

static bool has_note(const profile_result *res, const char *text)
{
    for (int i = 0; i < res->n_notes; i++)
        if (strstr(res->notes[i], text))
            return true;
    return false;
}

static const profile_column *column(const profile_result *res, const char *header)
{
    for (int i = 0; i < res->n_columns; i++)
        if (strcmp(res->columns[i].header, header) == 0)
            return &res->columns[i];
    return NULL;
}

static void assert_stranger_rows(const profile_result *res)
{
    static const char *vins[] = { "8AFRE9EU3KX923696", "3N6U4X5A5NCV82071", "3KPKYBHZ1JCC76369" };
    static const double sums[] = { 450000, 282800, 215000 };
    static const char *uses[] = { "CARGA", "COMERCIAL", "PARTICULAR" };
    assert_int_equal(res->n_rows, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(res->rows[i].vin, vins[i]);
        assert_true(res->rows[i].insured_amount == sums[i]);
        assert_string_equal(res->rows[i].use, uses[i]);
        assert_non_null(res->rows[i].plates);
    }
    assert_string_equal(res->rows[0].description, "FORD RANGER XL DC PK L4 2.5L STD");
}

static void test_profile_of_another_broker_hides_nothing(void **state)
{
    (void)state;
    profile *x = shipped("xoconostle");
    if (!x)
        skip();
    profile *list[] = { x };
    docs_book *book = stranger_book();
    profile_options opt = { .sender_domain = "corredor-nuevo.mx", .candidates = list, .n_candidates = 1 };
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(book, NULL, &opt, &res, &e), 0);
    assert_string_equal(res.recognized_by, "headers");
    assert_string_equal(res.resembles, "xoconostle");
    assert_true(res.needs_profile);
    assert_true(has_note(&res, "resembles broker profile 'xoconostle'"));
    assert_stranger_rows(&res);
    assert_int_equal(column(&res, "NO. SERIE")->field, PF_VIN);
    assert_int_equal(column(&res, "SUMA ASEGURADA")->field, PF_INSURED_AMOUNT);
    assert_true(column(&res, "USO")->beyond_profile);
    assert_non_null(strstr(column(&res, "USO")->reason, "mapped automatically"));
    assert_true(has_note(&res, "profile column 'SERIE' (vin) read from column 'NO. SERIE'"));
    /* every column is accounted for: ECO held data and is ignored, with its reason */
    assert_int_equal(column(&res, "ECO")->field, PF_IGNORE);
    assert_int_equal(column(&res, "ECO")->n_filled, 3);
    assert_int_equal(res.n_ignored_with_data, 1);
    profile_result_clear(&res);
    /* The broker's own profile (sender domain in it) gets the same columns back. */
    opt.sender_domain = "xoconostle.mx";
    assert_int_equal(profile_extract_book(book, NULL, &opt, &res, &e), 0);
    assert_string_equal(res.recognized_by, "domain");
    assert_null(res.resembles);
    assert_false(res.needs_profile);
    assert_stranger_rows(&res);
    assert_int_equal(res.n_beyond_profile, 1);
    profile_result_clear(&res);
    docs_close(book);
    profile_free(x);
}

static void test_foreign_profile_yields_to_values(void **state)
{
    (void)state;
    /* Another broker's profile reads MODELO as the year; here MODELO holds model lines. */
    profile *p = load("name: otro\ndetect:\n  sender_domains: [otro.mx]\n  required_headers: [MARCA, MODELO]\n"
                      "mapping: {MARCA: marca, MODELO: year, VERSION: version}\n"
                      "validate:\n  year: {required: true}\non_error: skip_row\n");
    profile *list[] = { p };
    docs_book *b = sample_book("MODELO", false);
    profile_options opt = { .sender_domain = "nuevo.mx", .candidates = list, .n_candidates = 1 };
    profile_result res;
    minca_err e = { 0 };
    assert_int_equal(profile_extract_book(b, NULL, &opt, &res, &e), 0);
    assert_string_equal(res.resembles, "otro");
    assert_int_not_equal(column(&res, "MODELO")->field, PF_YEAR);
    /* its skip_row rule is a hint too: no row is dropped */
    assert_int_equal(res.n_rows, 3);
    assert_int_equal(res.n_skipped, 0);
    assert_string_equal(res.rows[0].vin, "8AFRE9EU3KX923696");
    profile_result_clear(&res);
    docs_close(b);
    profile_free(p);
}

/* A column with data but no header is accounted for: listed as ignored, with why. */
static void test_headerless_column_accounted(void **state)
{
    (void)state;
    docs_grid *g = docs_grid_new("Hoja1");
    const char *hdr[] = { "MARCA", "AÑO", "SERIE" };
    const char *r1[] = { "FORD", "2019", "8AFRE9EU3KX923696", "nota del corredor" };
    const char *r2[] = { "KIA", "2018", "3KPKYBHZ1JCC76369", "otra nota" };
    docs_grid_add_row(g, 0, hdr, 3);
    docs_grid_add_row(g, 0, r1, 4);
    docs_grid_add_row(g, 0, r2, 4);
    docs_book *b;
    minca_err e = { 0 };
    assert_int_equal(docs_open_grid(g, NULL, &b, &e), 0);
    profile_result res;
    assert_int_equal(profile_extract_book(b, NULL, NULL, &res, &e), 0);
    assert_int_equal(res.n_columns, 4);
    assert_int_equal(res.columns[3].col, 3);
    assert_int_equal(res.columns[3].field, PF_IGNORE);
    assert_int_equal(res.columns[3].n_filled, 2);
    assert_string_equal(res.columns[3].reason, "no header above this column");
    assert_int_equal(res.n_ignored_with_data, 1);
    char *json = profile_result_json(&res, false);
    json_t *j = json_loads(json, 0, NULL);
    char *summary = profile_report_summary(j, "  ");
    assert_non_null(strstr(summary, "warning: column '(no header)' held data on 2 rows"));
    assert_int_equal(profile_report_warnings(j), 1);
    g_free(summary);
    json_decref(j);
    g_free(json);
    profile_result_clear(&res);
    docs_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parsers),
        cmocka_unit_test(test_vin),
        cmocka_unit_test(test_yaml_errors),
        cmocka_unit_test(test_field_list),
        cmocka_unit_test(test_profile_apply),
        cmocka_unit_test(test_policies),
        cmocka_unit_test(test_auto_map),
        cmocka_unit_test(test_auto_map_vocabulary),
        cmocka_unit_test(test_auto_map_spaced_headers),
        cmocka_unit_test(test_suggest_round_trip),
        cmocka_unit_test(test_recognition),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_profile_that_does_not_fit),
        cmocka_unit_test(test_shipped_profiles_load),
        cmocka_unit_test(test_profile_of_another_broker_hides_nothing),
        cmocka_unit_test(test_foreign_profile_yields_to_values),
        cmocka_unit_test(test_headerless_column_accounted),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
