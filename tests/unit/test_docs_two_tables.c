/* Unit tests: cars, then trucks with two more columns, on one sheet, each table with a title
 * line above its header (tests/fixtures/docs/make_two_tables.py, saved by LibreOffice Calc as
 * PDF, xlsx and ods; in the PDF the trucks start page 2). Every vehicle of both tables is
 * extracted with its year, VIN, plates and sum insured from its own table's columns: the
 * cars are not read with the trucks' header, whose VIN, plates and sum sit further right. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/profile.h"
#include "test_docs_fixture.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* CARS and TRUCKS of make_two_tables.py. */
static const struct {
    int table, inciso, year;
    const char *vin, *plates;
    double sum;
} want[] = {
    { 0, 1, 2021, "3N1CN8AE2ML812399", "STU-333-F", 265400 },
    { 0, 2, 2022, "5YFBURHE0NP123456", "XYZ-987-A", 389500 },
    { 0, 3, 2020, "3KPA24AD8LE401234", "VWX-444-G", 231000 },
    { 0, 4, 2023, "MRHGM6635PP012345", "HIJ-888-L", 342000 },
    { 1, 1, 2019, "JALE5W166K7901234", "LM-12-345", 612000 },
    { 1, 2, 2021, "JHHAFJ4H5MK004321", "LN-45-678", 845500 },
    { 1, 3, 2018, "3ALACWDT0JDJ12345", "LP-78-901", 1250000 },
    { 1, 4, 2020, "3HAMMAAR4LL567890", "LR-23-456", 980000 },
    { 1, 5, 2022, "1FDRF3G60NEC11223", "LS-56-789", 715250 },
};
#define N_WANT (int)(sizeof want / sizeof *want)

static void check_file(const char *name)
{
    size_t len = 0;
    char *data = docs_fixture(name, &len);
    minca_err e = { 0 };
    profile_result res;
    if (profile_extract(data, len, name, NULL, NULL, &res, &e) != 0)
        fail_msg("%s: extract: %s", name, e.msg);
    if (res.n_rows != N_WANT)
        fail_msg("%s: %d rows, want %d", name, res.n_rows, N_WANT);
    for (int i = 0; i < N_WANT; i++) {
        const vehicle_row *r = &res.rows[i];
        const char *vin = r->vin ? r->vin : "", *plates = r->plates ? r->plates : "";
        if (r->source_table != want[i].table || r->inciso != want[i].inciso ||
            r->year != want[i].year || strcmp(vin, want[i].vin) != 0 ||
            strcmp(plates, want[i].plates) != 0 || fabs(r->insured_amount - want[i].sum) > 0.01)
            fail_msg("%s: row %d: table %d inciso %d year %d VIN '%s' plates '%s' sum %.2f; "
                     "want table %d inciso %d year %d VIN '%s' plates '%s' sum %.2f",
                     name, i + 1, r->source_table, r->inciso, r->year, vin, plates,
                     r->insured_amount, want[i].table, want[i].inciso, want[i].year,
                     want[i].vin, want[i].plates, want[i].sum);
    }
    profile_result_clear(&res);
    g_free(data);
}

static void test_pdf(void **state)
{
    (void)state;
    check_file("two_tables_calc.pdf");
}

static void test_xlsx(void **state)
{
    (void)state;
    check_file("two_tables_calc.xlsx");
}

static void test_ods(void **state)
{
    (void)state;
    check_file("two_tables_calc.ods");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_ods),
    };
    return cmocka_run_group_tests_name("docs_two_tables", tests, NULL, NULL);
}
