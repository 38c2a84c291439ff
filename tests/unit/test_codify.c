/* Unit tests for the vehicle codifier: normalisation, attributes, VIN, alias tables, matching
 * on a small in-test catalog, decisions, corrections, hostile input, concurrent matching.
 * The last test uses the shared Qualitas catalog and skips when it is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/codify.h"
#include "../../src/codify/internal.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *aliases_dir(void)
{
    const char *src = getenv("MINCA_SRC");
    return core_strdup_printf("%s/data/codify", src && *src ? src : ".");
}

static const codify_entry CATALOG[] = {
    {"NISSAN", "NP300", "30156", 2019, "PICK UP 2P L4 2.5L AC DH PQS 1.5TON 6 VEL STD 3 OCUP", "PICKUP", "MANUAL"},
    {"NISSAN", "NP300", "30156", 2020, "PICK UP 2P L4 2.5L AC DH PQS 1.5TON 6 VEL STD 3 OCUP", "PICKUP", "MANUAL"},
    {"NISSAN", "NP300", "68187", 2019, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", "PICKUP", "MANUAL"},
    {"NISSAN", "NP300", "68187", 2020, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", "PICKUP", "MANUAL"},
    {"NISSAN", "NP300", "11111", 2019, "DOBLE CABINA SE 4P L4 2.5L AC BA ABS 1TON STD 5 OCUP", "PICKUP", "MANUAL"},
    {"NISSAN", "NP300", "22222", 2019, "DOBLE CABINA LE 4P L4 2.5L AC BA ABS 1TON AUT 5 OCUP", "PICKUP", "AUTO"},
    {"NISSAN", "VERSA", "33333", 2018, "SENSE 4P L4 1.6L ABS BA AC STD 5 OCUP", "AUTO", "MANUAL"},
    {"NISSAN", "VERSA", "44444", 2018, "ADVANCE 4P L4 1.6L ABS BA AC EE CVT 5 OCUP", "AUTO", "AUTO"},
    {"NISSAN", "VERSA", "55555", 2018, "EXCLUSIVE 4P L4 1.6L ABS BA AC EE VP CVT 5 OCUP", "AUTO", "AUTO"},
    {"CHEVROLET", "AVEO", "66666", 2018, "LS 4P L4 1.5L BA AC STD 5 OCUP", "AUTO", "MANUAL"},
    {"CHEVROLET", "AVEO", "77777", 2018, "LT 4P L4 1.5L BA ABS AC EE AUT 5 OCUP", "AUTO", "AUTO"},
    {"TOYOTA", "HILUX", "88888", 2021, "DOBLE CABINA SR 4P L4 2.7L AC BA ABS STD 5 OCUP", "PICKUP", "MANUAL"},
    {"TOYOTA", "HILUX", "99999", 2021, "CHASIS CABINA 2P L4 2.7L AC STD 3 OCUP", "PICKUP", "MANUAL"},
    {"TOYOTA", "HILUX", "12345", 2021, "DOBLE CABINA DIESEL 4P L4 2.8L TURBO 4X4 AUT 5 OCUP", "PICKUP", "AUTO"},
};

typedef struct fixture {
    codify_aliases *al;
    codify_index *idx;
} fixture;

static int setup(void **state)
{
    fixture *f = g_malloc0_n(1, sizeof *f);
    minca_err err = {0};
    char *dir = aliases_dir();
    if (codify_aliases_load_dir(dir, &f->al, &err) != 0) {
        fprintf(stderr, "aliases: %s\n", err.msg);
        g_free(dir);
        g_free(f);
        return -1;
    }
    g_free(dir);
    f->idx = codify_index_build(CATALOG, G_N_ELEMENTS(CATALOG), f->al, &err);
    if (!f->idx) {
        fprintf(stderr, "index: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    codify_index_free(f->idx);
    codify_aliases_free(f->al);
    g_free(f);
    return 0;
}

static void test_normalize(void **state)
{
    (void)state;
    char out[256];
    codify_normalize("  Sedán  Ñandú,  B.M.W.  F-150 2.5L, AUT.,05 OCUP. (2014)", out, sizeof out);
    assert_string_equal(out, "SEDAN NANDU BMW F150 2.5L AUT 05 OCUP 2014");
    codify_normalize("C/A  A/AC  T/M  PICK-UP  4X4/4X2", out, sizeof out);
    assert_string_equal(out, "CA AAC TM PICKUP 4X4 4X2");
    codify_normalize("", out, sizeof out);
    assert_string_equal(out, "");
    codify_normalize(NULL, out, sizeof out);
    assert_string_equal(out, "");
    char tiny[4];
    codify_normalize("ABCDEFGH", tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
}

static void test_attributes_catalog_text(void **state)
{
    fixture *f = *state;
    codify_attrs a;
    codify_extract_attrs(f->al, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", &a);
    assert_int_equal(a.doors, 2);
    assert_int_equal(a.cylinders, 4);
    assert_int_equal(a.displacement_dl, 25);
    assert_int_equal(a.tonnage_dt, 15);
    assert_int_equal(a.occupants, 3);
    assert_int_equal(a.trans, CODIFY_TRANS_MANUAL);
    assert_string_equal(a.body, "PICKUP");
    assert_int_equal(a.year, 0);
}

static void test_attributes_broker_text(void **state)
{
    fixture *f = *state;
    codify_attrs a;
    codify_extract_attrs(f->al, "hyundai accent gl 4 ptas 4 cilindros 1.6 lts abs std 5 pasajeros 2019", &a);
    assert_int_equal(a.doors, 4);
    assert_int_equal(a.cylinders, 4);
    assert_int_equal(a.displacement_dl, 16);
    assert_int_equal(a.occupants, 5);
    assert_int_equal(a.trans, CODIFY_TRANS_MANUAL);
    assert_int_equal(a.year, 2019);

    codify_extract_attrs(f->al, "NISSAN NP300 PICKUP TM DH AC 6 VEL PAQ. SEG. mod: 19", &a);
    assert_int_equal(a.year, 2019);
    assert_int_equal(a.trans, CODIFY_TRANS_MANUAL);
    codify_extract_attrs(f->al, "(2014) CHEV AVEO LT 4P AUTOMATICA", &a);
    assert_int_equal(a.year, 2014);
    assert_int_equal(a.trans, CODIFY_TRANS_AUTO);
    codify_extract_attrs(f->al, "EVOQUE S 5P 2.0 TURBO AWD MOD.2016", &a);
    assert_int_equal(a.year, 2016);
    assert_int_equal(a.displacement_dl, 20);
    assert_true(a.turbo);
    assert_int_equal(a.drive, CODIFY_DRIVE_4X4);
    codify_extract_attrs(f->al, "LAND ROVER M-2022 5PTAS 7OCUP DSL 4 X 2", &a);
    assert_int_equal(a.year, 2022);
    assert_int_equal(a.doors, 5);
    assert_int_equal(a.occupants, 7);
    assert_int_equal(a.fuel, CODIFY_FUEL_DIESEL);
    assert_int_equal(a.drive, CODIFY_DRIVE_4X2);
    codify_extract_attrs(f->al, "COROLLA HIBRIDO CVT", &a);
    assert_int_equal(a.fuel, CODIFY_FUEL_HYBRID);
    assert_int_equal(a.trans, CODIFY_TRANS_AUTO);
    codify_extract_attrs(f->al, "MACH-E PREMIUM 5 PTAS TA EV", &a);
    assert_int_equal(a.fuel, CODIFY_FUEL_ELECTRIC);
    assert_int_equal(a.trans, CODIFY_TRANS_AUTO);
    /* another insurer's layout: the lone number after the transmission is the door count */
    codify_extract_attrs(f->al, "EX L4 IMP STD 4 ABS CA CE TELA SM SQ CB", &a);
    assert_int_equal(a.doors, 4);
    assert_int_equal(a.cylinders, 4);
    /* the trim "LT" is not a litre unit */
    codify_extract_attrs(f->al, "LT 1.8 LT", &a);
    assert_int_equal(a.displacement_dl, 18);
    /* VIN inside the text */
    codify_extract_attrs(f->al, "CR-V TOURING SERIE 1HGCM82633A004352", &a);
    assert_string_equal(a.vin, "1HGCM82633A004352");
}

static void test_vin(void **state)
{
    (void)state;
    assert_true(codify_vin_wellformed("1HGCM82633A004352"));
    assert_int_equal(codify_vin_check_digit("1HGCM82633A004352"), '3');
    assert_true(codify_vin_check_ok("1HGCM82633A004352"));
    assert_int_equal(codify_vin_year("1HGCM82633A004352"), 2003);
    assert_true(codify_vin_check_ok("1M8GDM9AXKP042788"));   /* check digit X */
    assert_false(codify_vin_check_ok("1HGCM82643A004352"));
    assert_false(codify_vin_wellformed("1HGCM82633A00435"));  /* 16 chars */
    assert_false(codify_vin_wellformed("1HGCM8263OA004352")); /* O is not allowed */
    assert_false(codify_vin_wellformed(NULL));
    assert_int_equal(codify_vin_check_digit("short"), 0);
    /* letter in position 7: second 30-year cycle */
    assert_int_equal(codify_vin_year("3N1CN7AP0KL000000"), 2019);
    assert_int_equal(codify_vin_year("XXXXXXXXXUXXXXXXX"), 0);   /* U is no year code */
}

static void test_alias_errors(void **state)
{
    (void)state;
    minca_err err = {0};
    codify_aliases *a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_BRANDS, "# c\nCHEV = CHEVROLET\n\nnot a rule\n",
                                          "brands.txt", &err), -1);
    assert_non_null(strstr(err.msg, "brands.txt:4:"));
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_WMI, "3N1 = NISSAN\nABCD = X\n", "wmi.txt", &err), -1);
    assert_non_null(strstr(err.msg, "wmi.txt:2:"));
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_MODELS, "MAZDA: = 3\n", "models.txt", &err), -1);
    assert_non_null(strstr(err.msg, "models.txt:1:"));
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_TOKENS, "%unit TWO WORDS = P\n", "tokens.txt", &err), -1);
    assert_non_null(strstr(err.msg, "tokens.txt:1:"));
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_BRANDS, "X = \xff\n", "bad.txt", &err), -1);
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_BRANDS, "CHEV = CHEVROLET\n%ignore MOTORS\n", "ok.txt", &err), 0);
    codify_aliases_free(a);

    codify_aliases *none = NULL;
    assert_int_equal(codify_aliases_load_dir("/nonexistent/dir", &none, &err), -1);
    assert_null(none);
    assert_non_null(strstr(err.msg, "brands.txt"));
}

static void match(const fixture *f, const char *marca, const char *sub, int anio, const char *desc,
                  codify_result *r)
{
    codify_query q = {.marca = marca, .submarca = sub, .anio = anio, .descripcion = desc};
    codify_options o;
    codify_options_default(&o);
    assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
}

static void test_match_small_catalog(void **state)
{
    fixture *f = *state;
    codify_result *r = g_malloc(sizeof *r);

    match(f, "NISSAN", "NP300", 2019, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_string_equal(r->cvegs, "68187");
    assert_int_equal(r->year, 2019);
    assert_true(r->confidence > 0.5 && r->confidence <= 1.0);
    assert_int_not_equal(r->decision, CODIFY_NO_MATCH);
    assert_true(r->n_candidates >= 2);
    assert_non_null(strstr(r->candidates[0].explanation, "agrees:"));

    /* brand alias, year in the text, transmission decides between LS and LT */
    match(f, "CHEV", "", 0, "AVEO LT AUTOMATICO MOD 2018", r);
    assert_string_equal(r->cvegs, "77777");
    assert_int_equal(r->year, 2018);

    /* filler words in the brand column, synonyms in the description */
    match(f, "NISSAN MEXICANA", "VERSA", 2018, "Exclusive 4 ptas 1.6 lts piel CVT", r);
    assert_string_equal(r->cvegs, "55555");

    /* the conflicting transmission is explained */
    match(f, "TOYOTA", "HILUX", 2021, "DOBLE CABINA SR 2.7 AUTOMATICA", r);
    bool conflict_shown = false;
    for (int i = 0; i < r->n_candidates; i++)
        if (strcmp(r->candidates[i].cvegs, "88888") == 0)
            conflict_shown = strstr(r->candidates[i].explanation, "conflicts: transmission") != NULL;
    assert_true(conflict_shown);

    /* no year anywhere: the version is found but its year is a guess, never auto-accepted */
    match(f, "NISSAN", "NP300", 0, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_string_equal(r->cvegs, "68187");
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    assert_true(r->confidence <= 0.5);

    /* year outside the model's years: no match with a reason */
    match(f, "NISSAN", "VERSA", 1999, "SENSE 4P STD", r);
    assert_int_equal(r->decision, CODIFY_NO_MATCH);
    assert_string_equal(r->cvegs, "");
    assert_non_null(strstr(r->reason, "1999"));

    /* brand not in the catalog */
    match(f, "HINO", "300", 2015, "616 CHASIS CABINA", r);
    assert_int_equal(r->decision, CODIFY_NO_MATCH);

    /* known brand, unknown model */
    match(f, "NISSAN", "CABSTAR", 2019, "CHASIS DIESEL", r);
    assert_int_equal(r->decision, CODIFY_NO_MATCH);
    g_free(r);
}

/* A VIN with the given WMI, position 7 and model-year code, and a valid check digit. */
static void make_vin(char vin[18], const char *wmi, char pos7, char year_code)
{
    snprintf(vin, 18, "%sCN7%cP0%cL012345", wmi, pos7, year_code);
    vin[8] = codify_vin_check_digit(vin);
}

static bool explained(const codify_result *r, const char *text)
{
    return r->n_candidates > 0 && strstr(r->candidates[0].explanation, text) != NULL;
}

static void test_years_as_written(void **state)
{
    fixture *f = *state;
    /* the year column as brokers fill it */
    assert_int_equal(codify_year_column("2020"), 2020);
    assert_int_equal(codify_year_column("20"), 20);
    assert_int_equal(codify_year_column("'20"), 20);
    assert_int_equal(codify_year_column("MOD 20"), 20);
    assert_int_equal(codify_year_column("M-20"), 20);
    assert_int_equal(codify_year_column("A\xc3\x91O \xe2\x80\x99" "20"), 20);
    assert_int_equal(codify_year_column("00"), 2000);
    assert_int_equal(codify_year_column("2020.0"), 2020);
    assert_int_equal(codify_year_column("2.5"), 0);
    assert_int_equal(codify_year_column("2.0"), 0);
    assert_int_equal(codify_year_column("20L"), 0);
    assert_int_equal(codify_year_column("ROJO 20"), 0);
    assert_int_equal(codify_year_column(""), 0);
    assert_int_equal(codify_year_column(NULL), 0);

    /* two-digit years in the text */
    codify_attrs a;
    static const char *const forms[] = {"VERSA SENSE '18", "VERSA SENSE MOD.18", "VERSA SENSE MOD 18",
                                        "VERSA SENSE A\xc3\x91O '18", "VERSA SENSE \xe2\x80\x99" "18 STD"};
    for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
        codify_extract_attrs(f->al, forms[i], &a);
        assert_int_equal(a.year, 2018);
        assert_true(a.year_short);
    }
    codify_extract_attrs(f->al, "SENSE 4P L4 1 .6 L STD", &a);
    assert_int_equal(a.displacement_dl, 16);
    codify_extract_attrs(f->al, "SENSE 4P L4 16L STD", &a);
    assert_int_equal(a.displacement_dl, 16);

    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "VERSA", 18, "SENSE 4P L4 1.6L STD 5 OCUP", r);
    assert_string_equal(r->cvegs, "33333");
    assert_int_equal(r->year, 2018);
    match(f, "NISSAN", "VERSA", 0, "SENSE 4P L4 1.6L STD 5 OCUP M-18", r);
    assert_string_equal(r->cvegs, "33333");
    assert_int_equal(r->year, 2018);
    match(f, "", "", 0, "NISSAN VERSA SENSE 4P STD 5 OCUP '18", r);
    assert_int_equal(r->year, 2018);

    /* the year only in the VIN: position 7 (a digit) points to 1988, the catalog has 2018 */
    char vin[18];
    make_vin(vin, "3N1", '0', 'J');
    assert_true(codify_vin_usable(f->al, vin));
    int ys[2];
    assert_int_equal(codify_vin_years(vin, ys), 2);
    assert_int_equal(ys[0], 1988);
    assert_int_equal(ys[1], 2018);
    char desc[128];
    snprintf(desc, sizeof desc, "SENSE 4P L4 1.6L STD 5 OCUP VIN %s", vin);
    match(f, "NISSAN", "VERSA", 0, desc, r);
    assert_string_equal(r->cvegs, "33333");
    assert_int_equal(r->year, 2018);
    assert_true(explained(r, "vin"));

    /* a North American VIN with a wrong check digit is not evidence; elsewhere it may lack one */
    vin[8] = vin[8] == '1' ? '2' : '1';
    assert_false(codify_vin_usable(f->al, vin));
    char jp[18];
    make_vin(jp, "JN1", 'A', 'J');
    jp[8] = jp[8] == '1' ? '2' : '1';
    assert_true(codify_vin_usable(f->al, jp));
    assert_false(codify_vin_usable(NULL, jp));

    /* the VIN says 2018, the column 2019: shown as a conflict, never auto-accepted */
    make_vin(vin, "3N6", 'A', 'J');
    snprintf(desc, sizeof desc, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP %s", vin);
    match(f, "NISSAN", "NP300", 2019, desc, r);
    assert_string_equal(r->cvegs, "68187");
    assert_int_equal(r->year, 2019);
    assert_true(explained(r, "conflicts: vin 2018 vs 2019"));
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    /* the same VIN with the year it says agrees */
    match(f, "NISSAN", "NP300", 0, desc, r);
    assert_int_equal(r->decision, CODIFY_NO_MATCH);   /* no 2018 NP300 in this catalog */
    make_vin(vin, "3N6", 'A', 'K');
    snprintf(desc, sizeof desc, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP %s", vin);
    match(f, "NISSAN", "NP300", 19, desc, r);
    assert_int_equal(r->year, 2019);
    assert_false(explained(r, "conflicts: vin"));
    g_free(r);
}

/* Forms broker text takes: digits for letters, words glued to figures, units spelt apart. */
static void test_broker_forms(void **state)
{
    fixture *f = *state;
    codify_attrs a;
    codify_extract_attrs(f->al, "STD5 OCUP AUT05", &a);
    assert_int_equal(a.occupants, 5);
    codify_extract_attrs(f->al, "ZEN4P 4X2AUT R16STD 2.4L4X2", &a);
    assert_int_equal(a.doors, 4);
    assert_int_equal(a.drive, CODIFY_DRIVE_4X2);
    assert_int_equal(a.trans, CODIFY_TRANS_MANUAL);
    assert_int_equal(a.displacement_dl, 24);
    codify_extract_attrs(f->al, "2.0LTTDI", &a);
    assert_int_equal(a.displacement_dl, 20);
    assert_int_equal(a.fuel, CODIFY_FUEL_DIESEL);
    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "VERSA", 2018, "ADVANCE 4P L4 1.6L CVT5 OCUP", r);
    assert_string_equal(r->cvegs, "44444");
    match(f, "NISSAN", "VERSA", 2018, "EXCLU5IVE 4P 1.6L CVT", r);
    assert_string_equal(r->cvegs, "55555");
    match(f, "TOYOTA", "HILUX", 2021, "D0BLE CAB1NA SR 4P 2 .7 L STD", r);
    assert_string_equal(r->cvegs, "88888");
    g_free(r);
}

/* Joins the tokens of t with spaces into buf. */
static const char *joined(const cx_tokens *t, char *buf, size_t cap)
{
    buf[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        if (i)
            g_strlcat(buf, " ", cap);
        g_strlcat(buf, t->tok[i], cap);
    }
    return buf;
}

/* A word glued from catalog words where letters meet figures is cut where the pieces are
 * catalog words (once, else twice); a known word, a VIN or a word no cut explains stays. */
static void test_glued_catalog_words(void **state)
{
    fixture *f = *state;
    cx_tokens *t = g_new(cx_tokens, 1);
    char buf[256];
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"LE4P", "LE 4 P"},           /* a trim glued to the doors */
        {"NP300SE", "NP300 SE"},      /* a model glued to its trim */
        {"SR2.7L", "SR 2.7 L"},       /* a trim glued to the displacement */
        {"SR4X4LE", "SR 4X4 LE"},     /* two cuts */
        {"NP300", NULL},              /* a catalog word stays whole */
        {"ZQ4W", NULL},               /* pieces the catalog does not know */
        {"LE", NULL},                 /* letters only */
        {"3N1CN7AD5JL812345", NULL},  /* a VIN */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        cx_tokens_init(t);
        bool split = cx_split_known(f->idx, cases[i].in, t);
        if (!cases[i].out) {
            assert_false(split);
            assert_int_equal(t->n, 0);
            continue;
        }
        assert_true(split);
        assert_string_equal(joined(t, buf, sizeof buf), cases[i].out);
    }
    g_free(t);

    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "NP300", 2019, "DOBLE CABINA LE4P 2.5L", r);
    assert_string_equal(r->cvegs, "22222");
    match(f, "NISSAN", "", 2019, "NP300SE DOBLE CABINA", r);
    assert_string_equal(r->cvegs, "11111");
    /* the word after a marker of identifiers is one identifier, never cut into catalog words */
    match(f, "NISSAN", "NP300", 2019, "DOBLE CABINA SE PLACAS LE4P", r);
    assert_string_equal(r->cvegs, "11111");
    assert_non_null(strstr(r->candidates[0].explanation, "ignored: PLACAS, LE4P"));
    g_free(r);
}

/* The map from score to confidence (calibration.txt): parsed strictly, interpolated, and the
 * shipped one never lifts a score below the auto-accept threshold over it. */
static void test_calibration_map(void **state)
{
    fixture *f = *state;
    minca_err err = {0};
    codify_aliases *a = codify_aliases_new();
    assert_true(codify_calibrate(a, 0.42) == 0.42);   /* no map: the score itself */
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION, "# c\n0 0\n0.5 0.4\n1 0.99\n", "cal.txt", &err), 0);
    assert_true(fabs(codify_calibrate(a, 0.25) - 0.2) < 1e-9);
    assert_true(fabs(codify_calibrate(a, 0.75) - 0.695) < 1e-9);
    assert_true(codify_calibrate(a, 1.0) == 0.99);
    assert_true(codify_calibrate(a, -1.0) == 0.0);
    codify_aliases_free(a);
    static const char *const bad[] = {"0 0\n0.5 0.4\n0.4 0.5\n", "0 0\n0.5 0.4\n0.6 0.3\n", "0 1.5\n",
                                      "0.5\n", "x y\n", "0.1 0.2 0.3\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        a = codify_aliases_new();
        assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION, bad[i], "cal.txt", &err), -1);
        assert_non_null(strstr(err.msg, "cal.txt:"));
        codify_aliases_free(a);
    }
    /* the shipped map: monotone, below the threshold stays below */
    double prev = 0;
    for (double s = 0; s <= 1.0; s += 0.0005) {
        double c = codify_calibrate(f->al, s);
        assert_true(c >= prev - 1e-12 && c >= 0 && c <= 1);
        if (s < CODIFY_DEFAULT_THRESHOLDS.auto_accept)
            assert_true(c < CODIFY_DEFAULT_THRESHOLDS.auto_accept);
        prev = c;
    }
    /* the result carries both */
    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "NP300", 2019, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_true(fabs(r->confidence - codify_calibrate(f->al, r->score)) < 1e-12);
    g_free(r);
}

/* calibration.txt's classes and named coefficients: a contradicted proposal goes through its
 * own map (the map of all when the file has none), coefficients are all given or none and then
 * replace the built-in ones; unknown names, classes and directives are refused by line. */
static void test_calibration_classes(void **state)
{
    fixture *f = *state;
    minca_err err = {0};
    codify_aliases *a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION, "0 0\n1 0.9\n", "cal.txt", &err), 0);
    assert_true(fabs(codify_calibrate_class(a, CODIFY_CALIB_CONTRADICTED, 0.5) - 0.45) < 1e-9);
    codify_aliases_free(a);
    a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION,
                                          "0 0\n1 0.9\n%class contradicted\n0 0.06\n1 0.06\n", "cal.txt", &err), 0);
    assert_true(fabs(codify_calibrate_class(a, CODIFY_CALIB_CONTRADICTED, 0.95) - 0.06) < 1e-9);
    assert_true(fabs(codify_calibrate_class(a, CODIFY_CALIB_ALL, 0.5) - 0.45) < 1e-9);
    codify_features x = {0};
    for (int i = 0; i < CODIFY_N_FEATURES; i++)
        x.x[i] = i == 0 ? 1.0 : 0.5;
    assert_true(fabs(codify_score(a, &x) - codify_confidence(&x)) < 1e-12);   /* built-in */
    codify_aliases_free(a);
    /* every coefficient named: bias 2, the rest 0 -> logistic(2) */
    GString *t = g_string_new("0 0\n1 1\n");
    for (int i = 0; i < CODIFY_N_FEATURES; i++)
        g_string_append_printf(t, "%%feature %s %s\n", codify_feature_name(i), i == 0 ? "2" : "0");
    a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION, t->str, "cal.txt", &err), 0);
    assert_true(fabs(codify_score(a, &x) - 1.0 / (1.0 + exp(-2.0))) < 1e-12);
    codify_aliases_free(a);
    g_string_free(t, TRUE);
    static const char *const bad[] = {"%feature bias 1\n",                 /* not all of them */
                                      "%feature nosuch 1\n", "%feature bias x\n", "%feature bias 1e9\n",
                                      "%class nosuch\n", "%class contradicted\n0 0\n%class contradicted\n",
                                      "%classy all\n", "%weights 1\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        a = codify_aliases_new();
        assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION, bad[i], "cal.txt", &err), -1);
        assert_non_null(strstr(err.msg, "cal.txt"));
        codify_aliases_free(a);
    }
    /* the shipped file: a contradicted proposal is far from sure, and a result says its class */
    assert_true(codify_calibrate_class(f->al, CODIFY_CALIB_CONTRADICTED, 0.95) < 0.5);
    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "NP300", 2019, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_int_equal(r->features.cls, CODIFY_CALIB_ALL);
    g_free(r);
}

/* A coin flip (the text says none of the words that tell two keys apart) is calibrated apart:
 * its class is set, its confidence comes from its own map (%class coin_flip), and the shipped
 * map holds it below a sound proposal of the same score. */
static void test_calibration_coin_flip(void **state)
{
    fixture *f = *state;
    minca_err err = {0};
    codify_aliases *a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_CALIBRATION,
                                          "0 0\n1 0.9\n%class coin_flip\n0 0\n1 0.5\n", "cal.txt", &err), 0);
    assert_true(fabs(codify_calibrate_class(a, CODIFY_CALIB_COIN_FLIP, 0.5) - 0.25) < 1e-9);
    assert_true(fabs(codify_calibrate_class(a, CODIFY_CALIB_ALL, 0.5) - 0.45) < 1e-9);
    codify_aliases_free(a);
    assert_string_equal(codify_calib_class_name(CODIFY_CALIB_COIN_FLIP), "coin_flip");
    /* 30156 says AC and 6 VEL, 68187 says ABS and BA: this text says none of them */
    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "NP300", 2019, "PICK UP 2P L4 2.5L DH PQS 1.5TON STD 3 OCUP", r);
    assert_int_equal(r->features.cls, CODIFY_CALIB_COIN_FLIP);
    assert_true(fabs(r->confidence - codify_calibrate_class(f->al, CODIFY_CALIB_COIN_FLIP, r->score)) < 1e-12);
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    /* saying one of them is no coin flip */
    match(f, "NISSAN", "NP300", 2019, "PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_int_equal(r->features.cls, CODIFY_CALIB_ALL);
    g_free(r);
    assert_true(codify_calibrate_class(f->al, CODIFY_CALIB_COIN_FLIP, 0.90) <
                codify_calibrate_class(f->al, CODIFY_CALIB_ALL, 0.90));
}

/* A model name with one figure put for another is another model (F550 is no typo of F250):
 * not read as the catalog's; a letter typo in it still is. */
static void test_model_figures(void **state)
{
    fixture *f = *state;
    codify_result *r = g_malloc(sizeof *r);
    match(f, "NISSAN", "", 2019, "NP350 PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_false(explained(r, "agrees: brand, model"));
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    match(f, "NISSAN", "", 2019, "NPP300 PICK UP 2P L4 2.5L ABS BA DH PQS 1.5TON STD 3 OCUP", r);
    assert_true(explained(r, "agrees: brand, model"));
    g_free(r);
}

static void test_fuzzy_words(void **state)
{
    (void)state;
    assert_int_equal(cx_edit_distance("TRENDLIN", 8, "TRENDLINE", 9, 2), 1);
    assert_int_equal(cx_edit_distance("TIIAD", 5, "TIIDA", 5, 1), 1);       /* transposition */
    assert_int_equal(cx_edit_distance("LUURY", 5, "LUXURY", 6, 1), 1);
    assert_int_equal(cx_edit_distance("SENSE", 5, "ADVANCE", 7, 2), 3);     /* k + 1: too far */
    assert_int_equal(cx_edit_distance("ABC", 3, "ABC", 3, 1), 0);
    assert_int_equal(cx_edit_budget(3), 0);
    assert_int_equal(cx_edit_budget(5), 1);
    assert_int_equal(cx_edit_budget(9), 2);

    cx_delindex *d = cx_delindex_new();
    int sil = cx_delindex_add(d, "SILVERADO");
    assert_int_equal(cx_delindex_add(d, "SILVERADO"), sil);
    cx_delindex_add(d, "SIERRA");
    cx_delindex_add(d, "TIIDA");
    int ids[4];
    assert_int_equal(cx_delindex_find(d, "SILVVERADO", ids, 4), 1);   /* insertion */
    assert_string_equal(cx_delindex_word(d, ids[0]), "SILVERADO");
    assert_int_equal(cx_delindex_find(d, "SILVERADP", ids, 4), 1);    /* substitution */
    assert_int_equal(cx_delindex_find(d, "TIIAD", ids, 4), 1);        /* transposition */
    assert_string_equal(cx_delindex_word(d, ids[0]), "TIIDA");
    assert_int_equal(cx_delindex_find(d, "SILVERADO", ids, 4), 0);    /* itself is not a typo */
    assert_int_equal(cx_delindex_find(d, "SIERRAXX", ids, 4), 0);     /* two edits */
    assert_true(cx_delindex_has(d, "SIERRA"));
    cx_delindex_free(d);
}

static void test_junk_table(void **state)
{
    (void)state;
    minca_err err = {0};
    codify_aliases *a = codify_aliases_new();
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_JUNK, "# c\nBlanco  NEGRO\n%marker Eco PLACAS\n", "junk.txt", &err), 0);
    assert_true(cx_junk_word(a, "BLANCO"));
    assert_true(cx_junk_marker(a, "ECO"));
    assert_false(cx_junk_word(a, "ECO"));
    assert_int_equal(codify_aliases_parse(a, CODIFY_ALIAS_JUNK, "%colours ROJO\n", "junk.txt", &err), -1);
    assert_non_null(strstr(err.msg, "junk.txt:1"));
    codify_aliases_free(a);
}

static bool has_evidence(const codify_candidate *c, codify_verdict v, const char *query, const char *catalog)
{
    for (int i = 0; i < c->n_evidence; i++)
        if (c->evidence[i].verdict == v && (!query || strcmp(c->evidence[i].query_value, query) == 0) &&
            (!catalog || strcmp(c->evidence[i].catalog_value, catalog) == 0))
            return true;
    return false;
}

static void test_match_broker_noise(void **state)
{
    fixture *f = *state;
    codify_result *r = g_malloc(sizeof *r);

    /* the trim word misspelt: read as the catalog's, explained */
    match(f, "NISSAN", "VERSA", 2018, "ADVANSE 4P L4 1.6L CVT 5 OCUP", r);
    assert_string_equal(r->cvegs, "44444");
    assert_true(has_evidence(&r->candidates[0], CODIFY_FUZZY, "ADVANSE", "ADVANCE"));
    assert_non_null(strstr(r->candidates[0].explanation, "ADVANSE \u2248 ADVANCE"));

    /* an abbreviated trim */
    match(f, "NISSAN", "VERSA", 2018, "EXCL 4P 1.6 CVT", r);
    assert_string_equal(r->cvegs, "55555");

    /* brand and model misspelt */
    match(f, "NISAN", "VERZA", 2018, "SENSE 4P L4 1.6L STD 5 OCUP", r);
    assert_string_equal(r->cvegs, "33333");
    assert_int_not_equal(r->decision, CODIFY_NO_MATCH);

    /* a misspelt transmission word still states the transmission */
    match(f, "CHEVROLET", "AVEO", 2018, "LS 4P 1.5L AUTOMTAICO", r);
    assert_string_equal(r->cvegs, "77777");

    /* junk is ignored, not held against the entry */
    match(f, "TOYOTA", "HILUX", 2021, "CHASIS CABINA 2P L4 2.7L AC STD 3 OCUP BLANCO ECO 15 PLACAS XR340L", r);
    assert_string_equal(r->cvegs, "99999");
    assert_true(has_evidence(&r->candidates[0], CODIFY_IGNORED, "BLANCO", NULL));
    assert_true(has_evidence(&r->candidates[0], CODIFY_IGNORED, "15", NULL));
    assert_true(has_evidence(&r->candidates[0], CODIFY_IGNORED, "XR340L", NULL));
    assert_false(has_evidence(&r->candidates[0], CODIFY_UNEXPLAINED, NULL, NULL));
    double clean_conf = 0;
    {
        codify_result *c = g_malloc(sizeof *c);
        match(f, "TOYOTA", "HILUX", 2021, "CHASIS CABINA 2P L4 2.7L AC STD 3 OCUP", c);
        clean_conf = c->confidence;
        g_free(c);
    }
    assert_true(r->confidence > clean_conf - 0.02);

    /* the word that tells two versions apart is unreadable: never auto-accepted */
    match(f, "NISSAN", "VERSA", 2018, "XQZWV 4P L4 1.6L CVT 5 OCUP", r);
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    assert_true(has_evidence(&r->candidates[0], CODIFY_UNEXPLAINED, "XQZWV", NULL));

    /* nothing in the text tells ADVANCE from EXCLUSIVE: never auto-accepted */
    match(f, "NISSAN", "VERSA", 2018, "4P L4 1.6L CVT 5 OCUP", r);
    assert_int_not_equal(r->decision, CODIFY_AUTO_ACCEPT);
    g_free(r);
}

static void test_decisions(void **state)
{
    (void)state;
    codify_thresholds t = {.auto_accept = 0.9, .no_match = 0.3};
    assert_int_equal(codify_decide(0.95, true, &t), CODIFY_AUTO_ACCEPT);
    assert_int_equal(codify_decide(0.9, true, &t), CODIFY_AUTO_ACCEPT);
    assert_int_equal(codify_decide(0.5, true, &t), CODIFY_NEEDS_REVIEW);
    assert_int_equal(codify_decide(0.1, true, &t), CODIFY_NO_MATCH);
    assert_int_equal(codify_decide(0.99, false, &t), CODIFY_NO_MATCH);
    assert_int_equal(codify_decide(0.99, true, NULL), CODIFY_AUTO_ACCEPT);
    assert_string_equal(codify_decision_name(CODIFY_NEEDS_REVIEW), "needs_review");
    assert_true(CODIFY_DEFAULT_THRESHOLDS.auto_accept > CODIFY_DEFAULT_THRESHOLDS.no_match);
    codify_features x;
    memset(&x, 0, sizeof x);
    double c = codify_confidence(&x);
    assert_true(c >= 0.0 && c <= 1.0);
}

static void test_corrections(void **state)
{
    fixture *f = *state;
    codify_query q = {.marca = "Nissan", .submarca = "NP-300", .anio = 2019, .descripcion = "estaquitas  DH", .broker = "acme"};
    char key[CODIFY_KEY_MAX];
    codify_correction_key(&q, key);
    assert_string_equal(key, "NISSAN|NP300|2019|ESTAQUITAS DH");

    codify_corrections *c = codify_corrections_new();
    codify_corrections_add(c, key, "acme", "30156", 2019);
    assert_int_equal(codify_corrections_count(c), 1);
    codify_options o;
    codify_options_default(&o);
    o.corrections = c;
    codify_result *r = g_malloc(sizeof *r);
    assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
    assert_true(r->corrected);
    assert_string_equal(r->cvegs, "30156");
    assert_int_equal(r->decision, CODIFY_AUTO_ACCEPT);
    assert_string_equal(r->candidates[0].explanation, "corrected by reviewer");

    /* another broker does not see a broker-specific correction */
    q.broker = "other";
    codify_match(f->idx, &q, &o, r, NULL);
    assert_false(r->corrected);

    /* a correction for every broker; revocable */
    codify_corrections_add(c, key, NULL, "68187", 2019);
    codify_match(f->idx, &q, &o, r, NULL);
    assert_true(r->corrected);
    assert_string_equal(r->cvegs, "68187");
    assert_true(codify_corrections_remove(c, key, NULL));
    assert_false(codify_corrections_remove(c, key, NULL));
    codify_match(f->idx, &q, &o, r, NULL);
    assert_false(r->corrected);

    /* a correction to a key the catalog no longer has is ignored */
    codify_corrections_add(c, key, "other", "00000", 2019);
    codify_match(f->idx, &q, &o, r, NULL);
    assert_false(r->corrected);
    g_free(r);
    codify_corrections_free(c);
}

static void test_hostile_input(void **state)
{
    fixture *f = *state;
    codify_result *r = g_malloc(sizeof *r);
    codify_options o;
    codify_options_default(&o);

    const char *texts[] = {
        "", " ", "\xff\xfe\xfd NISSAN \xc3 NP300 \xe2\x82", "'; DROP TABLE vehicles; --",
        "SELECT * FROM catalog WHERE 1=1", "NISSAN NP300 \x01\x02\x7f 2019", "9999999999999999999999 P",
        "1.2.3.4.5 L", "MOD 99999", "%s%s%s%n", "NP300 " "\xf0\x9f\x9a\x97\xf0\x9f\x9a\x97",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        codify_query q = {.marca = texts[i], .submarca = texts[i], .descripcion = texts[i]};
        assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
        assert_true(r->confidence >= 0 && r->confidence <= 1);
        assert_true(r->n_candidates >= 0 && r->n_candidates <= CODIFY_MAX_CANDIDATES);
    }
    assert_int_equal(codify_match(f->idx, &(codify_query){0}, &o, r, NULL), 0);
    assert_int_equal(r->decision, CODIFY_NO_MATCH);

    /* 100 KB description of repeated words, and one of 100 KB without spaces */
    size_t n = 100 * 1024;
    char *big = g_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "NISSAN NP300 PICK UP 2019 "[i % 26];
    big[n] = '\0';
    codify_query q = {.descripcion = big};
    assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
    memset(big, 'A', n);
    assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
    memset(big, '\xc3', n);
    assert_int_equal(codify_match(f->idx, &q, &o, r, NULL), 0);
    g_free(big);

    minca_err err = {0};
    assert_int_equal(codify_match(NULL, &q, &o, r, &err), -1);
    assert_non_null(strstr(err.msg, "codify_match"));
    g_free(r);

    /* an index of nothing answers no_match */
    codify_index *empty = codify_index_build(NULL, 0, NULL, &err);
    assert_non_null(empty);
    codify_result r2;
    codify_query q2 = {.marca = "NISSAN", .descripcion = "NP300"};
    assert_int_equal(codify_match(empty, &q2, NULL, &r2, NULL), 0);
    assert_int_equal(r2.decision, CODIFY_NO_MATCH);
    codify_index_free(empty);

    /* entries without a key are refused with a reason */
    codify_entry bad = {.marca = "X", .submarca = "Y", .cvegs = "", .modelo = 2020, .descveh = "Z"};
    assert_null(codify_index_build(&bad, 1, NULL, &err));
    assert_non_null(strstr(err.msg, "entry 1"));
}

typedef struct worker_arg {
    const fixture *f;
    int failures;
} worker_arg;

static gpointer worker(gpointer p)
{
    worker_arg *w = p;
    codify_result r;
    for (int i = 0; i < 2000; i++) {
        codify_query q = {.marca = "NISSAN", .submarca = "VERSA", .anio = 2018,
                          .descripcion = i % 2 ? "ADVANCE CVT" : "SENSE STD"};
        codify_match(w->f->idx, &q, NULL, &r, NULL);
        if (strcmp(r.cvegs, i % 2 ? "44444" : "33333") != 0)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_matching(void **state)
{
    fixture *f = *state;
    worker_arg args[4];
    GThread *threads[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){f, 0};
        threads[i] = g_thread_new("codify", worker, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(threads[i]);
        assert_int_equal(args[i].failures, 0);
    }
}

static char *shared_catalog(void)
{
    const char *shared = getenv("MINCA_SHARED");
    const char *src = getenv("MINCA_SRC");
    char *p = shared && *shared ? core_strdup_printf("%s/data/catalog/catver_qualitas.csv", shared)
                                : core_strdup_printf("%s/../shared/data/catalog/catver_qualitas.csv",
                                                     src && *src ? src : ".");
    if (core_file_exists(p))
        return p;
    g_free(p);
    return NULL;
}

static void test_shared_catalog(void **state)
{
    (void)state;
    char *path = shared_catalog();
    if (!path) {
        fprintf(stderr, "# shared catalog not found ($MINCA_SHARED or ../shared): skipped\n");
        skip();
    }
    codify_index *idx = NULL;
    minca_err err = {0};
    char *dir = aliases_dir();
    assert_int_equal(codify_index_from_csv(path, dir, &idx, &err), 0);
    g_free(dir);
    g_free(path);
    assert_int_equal(codify_index_size(idx), 39715);
    codify_result *r = g_malloc(sizeof *r);
    codify_query q = {.marca = "NISSAN MOTOR", .submarca = "NP300", .anio = 2019,
                      .descripcion = "PK 2P L4 2.5L 2WD AC DH PQS 1.5TON 6 VEL STD 2 OCUP"};
    assert_int_equal(codify_match(idx, &q, NULL, r, NULL), 0);
    assert_string_equal(r->cvegs, "06446");
    assert_int_equal(r->decision, CODIFY_AUTO_ACCEPT);
    g_free(r);
    codify_index_free(idx);
}

/* Rows that say the same thing in different ways read the same; a different version does not. */
static void test_reading(void **state)
{
    fixture *f = *state;
    char a[CODIFY_KEY_MAX], b[CODIFY_KEY_MAX];
    codify_query base = {.marca = "Nissan", .submarca = "NP-300", .anio = 2019,
                         .descripcion = "PICK UP D.C. 4P AC BA STD"};
    codify_reading(f->al, &base, a);
    static const char *const same[] = {
        "pick-up  d c 4p a/c std",            /* punctuation, spacing, accents, equipment */
        "Pickup D. C. STD 4 PTAS",            /* units written out, letters spaced */
        "STD PICKUP DC 4P BLANCO ECO 15",     /* order, a colour, an identifier */
        "NISSAN NP300 PICK UP DC 4P BOLSAS DE AIRE ESTANDAR R16",   /* the names again, synonyms, rims */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(same); i++) {
        codify_query q = base;
        q.descripcion = same[i];
        codify_reading(f->al, &q, b);
        assert_string_equal(a, b);
    }
    codify_query named = base;
    named.submarca = "NISSAN NP300";   /* the model column says the brand again */
    assert_string_equal(a, codify_reading(f->al, &named, b));
    codify_query other = base;
    other.descripcion = "PICK UP DC 2P AC STD";
    assert_string_not_equal(a, codify_reading(f->al, &other, b));
    other.descripcion = "PICK UP DC 4P AUT";
    assert_string_not_equal(a, codify_reading(f->al, &other, b));
    other = base;
    other.anio = 2020;
    assert_string_not_equal(a, codify_reading(f->al, &other, b));
    codify_query empty = {0};
    assert_string_equal(codify_reading(NULL, &empty, b), "|||");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_attributes_catalog_text),
        cmocka_unit_test(test_attributes_broker_text),
        cmocka_unit_test(test_vin),
        cmocka_unit_test(test_alias_errors),
        cmocka_unit_test(test_match_small_catalog),
        cmocka_unit_test(test_years_as_written),
        cmocka_unit_test(test_broker_forms),
        cmocka_unit_test(test_glued_catalog_words),
        cmocka_unit_test(test_calibration_map),
        cmocka_unit_test(test_calibration_classes),
        cmocka_unit_test(test_model_figures),
        cmocka_unit_test(test_fuzzy_words),
        cmocka_unit_test(test_junk_table),
        cmocka_unit_test(test_match_broker_noise),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_calibration_coin_flip),
        cmocka_unit_test(test_corrections),
        cmocka_unit_test(test_reading),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_concurrent_matching),
        cmocka_unit_test(test_shared_catalog),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
