/* Round trip of the exported workbook through independent readers: python3-openpyxl dumps
 * every sheet as JSON (values, types, number formats, fills, frozen panes, filters,
 * conditional formats) and the checks compare it with the case that was exported; xlsx2csv
 * must convert it without error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "minca/core.h"
#include "minca/export.h"
#include "test_export_fixture.h"

#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xlsxwriter.h>

static const char dump_py[] =
    "import datetime, json, sys, zipfile\n"
    "import openpyxl\n"
    "path = sys.argv[1]\n"
    "wb = openpyxl.load_workbook(path)\n"
    "def kind(v, dt):\n"
    "    if v is None: return 'empty'\n"
    "    if dt == 'f': return 'formula'\n"
    "    if isinstance(v, bool): return 'bool'\n"
    "    if isinstance(v, datetime.datetime): return 'date'\n"
    "    if isinstance(v, (int, float)): return 'num'\n"
    "    if isinstance(v, str): return 'str'\n"
    "    return type(v).__name__\n"
    "out = {'sheets': wb.sheetnames, 'ws': {}}\n"
    "for ws in wb.worksheets:\n"
    "    cells = []\n"
    "    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):\n"
    "        r = []\n"
    "        for c in row:\n"
    "            v = c.value\n"
    "            k = kind(v, c.data_type)\n"
    "            if isinstance(v, datetime.datetime): v = v.strftime('%Y-%m-%d %H:%M:%S')\n"
    "            fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == 'solid' else None\n"
    "            r.append([v, k, c.number_format, fill if isinstance(fill, str) else None])\n"
    "        cells.append(r)\n"
    "    cf = []\n"
    "    for rng in ws.conditional_formatting:\n"
    "        for rule in rng.rules:\n"
    "            cf.append([str(rng.sqref), rule.type])\n"
    "    ps = ws.page_setup\n"
    "    fit = ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None\n"
    "    pr = {'orientation': ps.orientation, 'scale': ps.scale, 'fit': bool(fit),\n"
    "        'title_rows': ws.print_title_rows, 'title_cols': ws.print_title_cols,\n"
    "        'col_breaks': len(ws.col_breaks.brk), 'header': ws.oddHeader.center.text}\n"
    "    out['ws'][ws.title] = {'max_row': ws.max_row, 'max_col': ws.max_column,\n"
    "        'freeze': ws.freeze_panes, 'filter': ws.auto_filter.ref, 'cf': cf, 'cells': cells,\n"
    "        'print': pr}\n"
    "z = zipfile.ZipFile(path)\n"
    "out['formulas'] = sum(z.read(n).count(b'<f>') + z.read(n).count(b'<f ')\n"
    "    for n in z.namelist() if n.startswith('xl/worksheets/'))\n"
    "out['bad_zip'] = z.testzip()\n"
    "import xml.etree.ElementTree as ET\n"
    "for n in z.namelist():\n"
    "    if n.endswith('.xml') or n.endswith('.rels'): ET.fromstring(z.read(n))\n"
    "json.dump(out, sys.stdout, ensure_ascii=False)\n";

static char *share;
static char tmpdir[] = "/tmp/minca-export-rt.XXXXXX";
static const char *python;
static export_case kase;
static export_result res;
static export_template *tpl;
static json_t *dump;
static char *xlsx_path;

/* Special rows appended after the generated fleet; their indexes in kase.rows. */
static int r_accents, r_long, r_controls, r_formula, r_empty, r_pending, r_nokey, r_rc, r_unknown_pkg;
static char *long_description;

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *find_python(void)
{
    if (run("/usr/bin/python3 -c 'import openpyxl' >/dev/null 2>&1") == 0)
        return "/usr/bin/python3";
    if (run("python3 -c 'import openpyxl' >/dev/null 2>&1") == 0)
        return "python3";
    return NULL;
}

static void add_special_rows(export_case *c)
{
    export_row *r;
    int base = c->n_rows;

    r = fx_add_vehicle(c, base, 1);
    r_accents = c->n_rows - 1;
    g_free(r->match.brand);
    r->match.brand = NULL; /* MARCA falls back to the broker's text */
    g_free(r->vehicle.marca);
    r->vehicle.marca = g_strdup("PEÑA ÁÉÍÓÚ ü");
    g_free(r->match.description);
    r->match.description = g_strdup("CAMIÓN ÑANDÚ 3.5 T CAJA SECA «ESPECIAL»");

    r = fx_add_vehicle(c, base + 1, 1);
    r_long = c->n_rows - 1;
    g_free(r->match.description);
    r->match.description = NULL;
    GString *s = g_string_new(NULL);
    while (s->len < 40000)
        g_string_append(s, "CARROCERÍA ESPECIAL CON EQUIPO DE REFRIGERACIÓN Ñ ");
    long_description = g_string_free(s, FALSE);
    g_free(r->vehicle.description);
    r->vehicle.description = g_strdup(long_description);

    r = fx_add_vehicle(c, base + 2, 1);
    r_controls = c->n_rows - 1;
    g_free(r->match.description);
    r->match.description = g_strdup("SENTRA\x01 SR\x0B 2.0L\r\nCVT");
    g_free(r->vehicle.plates);
    r->vehicle.plates = g_strdup("PEQ\xD1" "A-12"); /* Latin-1 Ñ: invalid UTF-8 */

    r = fx_add_vehicle(c, base + 3, 1);
    r_formula = c->n_rows - 1;
    g_free(r->match.description);
    r->match.description = g_strdup("=HYPERLINK(\"http://example.com\",\"clic\")");
    g_free(r->vehicle.plates);
    r->vehicle.plates = g_strdup("@SUM(A1:A9)");
    g_free(r->vehicle.use);
    r->vehicle.use = g_strdup("+52 55 1234");

    r = fx_add_vehicle(c, base + 4, 1);
    r_empty = c->n_rows - 1;
    g_free(r->vehicle.plates);
    r->vehicle.plates = NULL;
    g_free(r->vehicle.use);
    r->vehicle.use = g_strdup("   ");
    r->vehicle.insured_amount = -1;
    g_free(r->match.body);
    r->match.body = NULL;

    r = fx_add_vehicle(c, base + 5, 1);
    r_pending = c->n_rows - 1;
    r->match.decision = EXPORT_DECISION_REVIEW;
    r->match.reviewed = false;
    r->match.confidence = 0.62;
    g_free(r->match.reviewer);
    r->match.reviewer = NULL;

    r = fx_add_vehicle(c, base + 6, 1);
    r_nokey = c->n_rows - 1;
    r->match.decision = EXPORT_DECISION_NO_MATCH;
    r->match.reviewed = false;
    r->match.confidence = 0.12;
    g_free(r->match.cvegs);
    r->match.cvegs = NULL;
    g_free(r->match.brand);
    r->match.brand = NULL;
    g_free(r->match.description);
    r->match.description = NULL;
    vehicle_row_add_issue(&r->vehicle, "vin", "error", "VIN con dígito verificador inválido");

    r = fx_add_vehicle(c, base + 7, 1);
    r_rc = c->n_rows - 1;
    r->vehicle.coverage = g_strdup("rc");

    r = fx_add_vehicle(c, base + 8, 1);
    r_unknown_pkg = c->n_rows - 1;
    r->vehicle.coverage = g_strdup("PLATINO");
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    share = fx_share_dir();
    python = find_python();
    fx_build_fleet(&kase, 120, 1);
    add_special_rows(&kase);
    kase.use = g_strdup("PARTICULAR FLOTILLA"); /* USO of rows that do not say */
    kase.agent = g_strdup("AG-4471");
    kase.contact = g_strdup("Lucía Ibáñez · 55 1234 5678");
    kase.insurer_name = g_strdup("Seguros Demo, S.A.");
    kase.version = 3;
    for (int i = 0; i < kase.n_rows; i++)   /* two attachments */
        kase.rows[i].source_file = g_strdup(i < 60 ? "flotilla_norte.xlsx" : "flotilla sur (2).xlsx");
    kase.rows[5].match.note = g_strdup("Confirmado con el broker por teléfono");

    minca_err err = {0};
    char *tpath = NULL;
    if (export_template_resolve(share, NULL, NULL, &tpath, &err) < 0 ||
        export_template_load(tpath, &tpl, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    g_free(tpath);
    xlsx_path = core_path_join(tmpdir, "COT-2026-000123.xlsx");
    export_options opt = {.share_dir = share, .out_path = xlsx_path, .force = true};
    if (export_case_write(&kase, &opt, &res, &err) < 0) {
        fprintf(stderr, "export failed: %s\n", err.msg);
        return -1;
    }
    if (!python)
        return 0;
    char *script = core_path_join(tmpdir, "dump.py");
    char *json_path = core_path_join(tmpdir, "dump.json");
    core_write_file(script, dump_py, strlen(dump_py), NULL);
    char *cmd = core_strdup_printf("%s '%s' '%s' > '%s'", python, script, xlsx_path, json_path);
    int rc = run(cmd);
    json_error_t jerr;
    if (rc == 0)
        dump = json_load_file(json_path, 0, &jerr);
    if (rc != 0 || !dump)
        fprintf(stderr, "openpyxl dump failed (status %d)\n", rc);
    g_free(cmd);
    g_free(script);
    g_free(json_path);
    return dump ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = core_strdup_printf("rm -rf '%s'", tmpdir);
    run(cmd);
    g_free(cmd);
    json_decref(dump);
    export_result_clear(&res);
    export_template_free(tpl);
    export_case_clear(&kase);
    g_free(long_description);
    g_free(xlsx_path);
    g_free(share);
    return 0;
}

#define NEED_READER()                                                                  \
    do {                                                                               \
        if (!python) {                                                                 \
            print_message("python3-openpyxl not installed (scripts/deps.sh)\n");       \
            skip();                                                                    \
        }                                                                              \
    } while (0)

/* ---- access to the dump ---- */

static json_t *sheet(const char *name)
{
    json_t *ws = json_object_get(json_object_get(dump, "ws"), name);
    if (!ws)
        fail_msg("no sheet %s", name);
    return ws;
}

/* [value, kind, number_format, fill] of a 0-based cell */
static json_t *cell(const char *ws, int r, int c)
{
    json_t *row = json_array_get(json_object_get(sheet(ws), "cells"), (size_t)r);
    json_t *x = row ? json_array_get(row, (size_t)c) : NULL;
    if (!x)
        fail_msg("%s: no cell at row %d col %d", ws, r + 1, c + 1);
    return x;
}

static const char *kind(const char *ws, int r, int c)
{
    return json_string_value(json_array_get(cell(ws, r, c), 1));
}

static const char *str(const char *ws, int r, int c)
{
    json_t *v = json_array_get(cell(ws, r, c), 0);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static double num(const char *ws, int r, int c)
{
    json_t *v = json_array_get(cell(ws, r, c), 0);
    if (!json_is_number(v))
        fail_msg("%s row %d col %d is not a number (%s)", ws, r + 1, c + 1, kind(ws, r, c));
    return json_number_value(v);
}

static const char *numfmt(const char *ws, int r, int c)
{
    return json_string_value(json_array_get(cell(ws, r, c), 2));
}

static const char *fill(const char *ws, int r, int c)
{
    return json_string_value(json_array_get(cell(ws, r, c), 3));
}

static int col(const char *header)
{
    for (int i = 0; i < tpl->n_columns; i++)
        if (!strcmp(tpl->columns[i].header, header))
            return i;
    fail_msg("no column %s", header);
    return -1;
}

#define MAIN "COTIZACION"
#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-6)

/* ---- checks ---- */

static void test_sheets_and_layout(void **state)
{
    (void)state;
    NEED_READER();
    json_t *names = json_object_get(dump, "sheets");
    assert_int_equal(json_array_size(names), 4);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "COTIZACION");
    assert_string_equal(json_string_value(json_array_get(names, 1)), "Cliente");
    assert_string_equal(json_string_value(json_array_get(names, 2)), "Resumen");
    assert_string_equal(json_string_value(json_array_get(names, 3)), "Incidencias");
    assert_true(json_is_null(json_object_get(dump, "bad_zip")));

    json_t *ws = sheet(MAIN);
    assert_int_equal(json_integer_value(json_object_get(ws, "max_row")), kase.n_rows + 1);
    assert_int_equal(json_integer_value(json_object_get(ws, "max_col")), tpl->n_columns);
    assert_string_equal(json_string_value(json_object_get(ws, "freeze")), "C2");   /* header, inciso and key */
    char want[64], last[8], conf[8];
    lxw_col_to_name(last, (lxw_col_t)(tpl->n_columns - 1), 0);
    lxw_col_to_name(conf, (lxw_col_t)col("CONFIANZA"), 0);
    snprintf(want, sizeof want, "A1:%s%d", last, kase.n_rows + 1);
    assert_string_equal(json_string_value(json_object_get(ws, "filter")), want);
    for (int i = 0; i < tpl->n_columns; i++) {
        assert_string_equal(str(MAIN, 0, i), tpl->columns[i].header);
        assert_string_equal(fill(MAIN, 0, i), "FF1F4E78");
    }
    assert_string_equal(str(MAIN, 0, 4), "AÑO");

    json_t *cf = json_object_get(ws, "cf");
    assert_int_equal(json_array_size(cf), 1);
    snprintf(want, sizeof want, "%s2:%s%d", conf, conf, kase.n_rows + 1);
    assert_string_equal(json_string_value(json_array_get(json_array_get(cf, 0), 0)), want);
    assert_string_equal(json_string_value(json_array_get(json_array_get(cf, 0), 1)), "colorScale");
    assert_int_equal(json_integer_value(json_object_get(dump, "formulas")), 0);
}

static void test_values_and_types(void **state)
{
    (void)state;
    NEED_READER();
    int c_key = col("CLAVE VEHÍCULO"), c_brand = col("MARCA"), c_model = col("MODELO"),
        c_year = col("AÑO"), c_body = col("CARROCERÍA"), c_desc = col("DESCRIPCIÓN"),
        c_plate = col("PLACA"), c_sum = col("VALOR ASEGURADO"), c_prima = col("PRIMA"),
        c_start = col("VIGENCIA INICIO"), c_end = col("VIGENCIA FIN"), c_conf = col("CONFIANZA"),
        c_rev = col("REVISADO"), c_pay = col("FORMA PAGO"), c_cur = col("MONEDA"),
        c_dm = col("DED DM PP"), c_rc = col("RC LÍMITE"), c_legal = col("ASISTENCIA LEGAL");
    for (int i = 0; i < kase.n_rows; i++) {
        const export_row *row = &kase.rows[i];
        int r = i + 1;
        if (row->match.cvegs) {
            assert_string_equal(kind(MAIN, r, c_key), "str");
            assert_string_equal(str(MAIN, r, c_key), row->match.cvegs);
        } else {
            assert_string_equal(kind(MAIN, r, c_key), "empty");
        }
        if (i != r_accents && i != r_nokey)
            assert_string_equal(str(MAIN, r, c_brand), row->match.brand);
        assert_string_equal(str(MAIN, r, c_model), row->match.model);
        assert_string_equal(kind(MAIN, r, c_year), "num");
        assert_int_equal((int)num(MAIN, r, c_year), row->match.year);
        assert_string_equal(numfmt(MAIN, r, c_year), "0");
        if (i != r_empty)
            assert_string_equal(str(MAIN, r, c_body), row->match.body);
        if (i < r_accents) {
            assert_string_equal(str(MAIN, r, c_desc), row->match.description);
            assert_string_equal(str(MAIN, r, c_plate), row->vehicle.plates);
            assert_near(num(MAIN, r, c_sum), row->vehicle.insured_amount);
            assert_string_equal(numfmt(MAIN, r, c_sum), "#,##0.00");
        }
        assert_string_equal(kind(MAIN, r, c_prima), "empty");
        assert_string_equal(kind(MAIN, r, c_start), "date");
        assert_string_equal(str(MAIN, r, c_start), "2026-12-01 00:00:00");
        assert_string_equal(str(MAIN, r, c_end), "2027-12-01 00:00:00");
        assert_string_equal(numfmt(MAIN, r, c_start), "dd/mm/yyyy");
        assert_near(num(MAIN, r, c_conf), row->match.confidence);
        assert_string_equal(numfmt(MAIN, r, c_conf), "0.0%");   /* 0.9959 reads 99.6%, not 100% */
        assert_string_equal(str(MAIN, r, c_rev), row->match.reviewed ? "SÍ" : "NO");
        assert_string_equal(str(MAIN, r, c_pay), "ANUAL");
        assert_string_equal(str(MAIN, r, c_cur), "MXN");
        if (i == r_rc) {
            assert_string_equal(str(MAIN, r, c_dm), "NO AMPARADA");
            assert_near(num(MAIN, r, c_rc), 1500000);
        } else {
            assert_near(num(MAIN, r, c_dm), 0.05);
            assert_near(num(MAIN, r, c_rc), 3000000);
        }
        assert_string_equal(str(MAIN, r, c_legal), "AMPARADA");
    }
}

static void test_hard_text(void **state)
{
    (void)state;
    NEED_READER();
    int c_brand = col("MARCA"), c_desc = col("DESCRIPCIÓN"), c_plate = col("PLACA"),
        c_use = col("USO"), c_sum = col("VALOR ASEGURADO"), c_body = col("CARROCERÍA");
    assert_string_equal(str(MAIN, r_accents + 1, c_brand), "PEÑA ÁÉÍÓÚ ü");
    assert_string_equal(str(MAIN, r_accents + 1, c_desc), "CAMIÓN ÑANDÚ 3.5 T CAJA SECA «ESPECIAL»");

    const char *lng = str(MAIN, r_long + 1, c_desc);
    assert_non_null(lng);
    assert_int_equal(g_utf8_strlen(lng, -1), EXPORT_CELL_MAX_CHARS);
    size_t keep = strlen(lng) - 3;
    assert_memory_equal(lng, long_description, keep);
    assert_string_equal(lng + keep, "…");

    assert_string_equal(str(MAIN, r_controls + 1, c_desc), "SENTRA  SR  2.0L\nCVT");
    const char *plate = str(MAIN, r_controls + 1, c_plate);
    assert_true(g_utf8_validate(plate, -1, NULL));
    assert_string_equal(plate, "PEQ\xEF\xBF\xBD" "A-12");

    assert_string_equal(kind(MAIN, r_formula + 1, c_desc), "str");
    assert_string_equal(str(MAIN, r_formula + 1, c_desc), "=HYPERLINK(\"http://example.com\",\"clic\")");
    assert_string_equal(str(MAIN, r_formula + 1, c_plate), "@SUM(A1:A9)");
    assert_string_equal(str(MAIN, r_formula + 1, c_use), "+52 55 1234");

    assert_string_equal(kind(MAIN, r_empty + 1, c_plate), "empty");
    assert_string_equal(str(MAIN, r_empty + 1, c_use), "PARTICULAR FLOTILLA");
    /* no amount, insured at commercial value: said so, not left blank */
    assert_string_equal(str(MAIN, r_empty + 1, c_sum), "VALOR COMERCIAL");
    assert_string_equal(kind(MAIN, r_empty + 1, c_body), "empty");
}

static void test_undecided_rows_highlighted(void **state)
{
    (void)state;
    NEED_READER();
    int c_key = col("CLAVE VEHÍCULO"), c_desc = col("DESCRIPCIÓN");
    assert_string_equal(fill(MAIN, r_pending + 1, c_desc), "FFFFEB9C");
    assert_string_equal(fill(MAIN, r_nokey + 1, c_key), "FFFFC7CE");
    assert_string_equal(fill(MAIN, r_nokey + 1, c_desc), "FFFFC7CE");
    assert_string_equal(kind(MAIN, r_nokey + 1, c_key), "empty");
    /* the no-match row's description falls back to the broker's text */
    assert_string_equal(str(MAIN, r_nokey + 1, c_desc), kase.rows[r_nokey].vehicle.description);
    assert_null(fill(MAIN, 1, c_desc));
    assert_null(fill(MAIN, r_accents + 1, c_key));
}

static const char *summary_value(const char *label, int *row_out)
{
    json_t *cells = json_object_get(sheet("Resumen"), "cells");
    for (size_t r = 0; r < json_array_size(cells); r++) {
        const char *l = str("Resumen", (int)r, 0);
        if (l && !strcmp(l, label)) {
            *row_out = (int)r;
            return str("Resumen", (int)r, 1);
        }
    }
    fail_msg("Resumen has no %s", label);
    return NULL;
}

static const char *client_value(const char *label, int *row_out)
{
    json_t *cells = json_object_get(sheet("Cliente"), "cells");
    for (size_t r = 0; r < json_array_size(cells); r++) {
        const char *l = str("Cliente", (int)r, 0);
        if (l && !strcmp(l, label)) {
            *row_out = (int)r;
            return str("Cliente", (int)r, 1);
        }
    }
    fail_msg("Cliente has no %s", label);
    return NULL;
}

/* The client block and the totals, and the rows' origin, package and reviewer columns. */
static void test_client_block_and_totals(void **state)
{
    (void)state;
    NEED_READER();
    int r;
    assert_string_equal(client_value("COT", &r), "COT-2026-000123 (versión 3)");
    assert_string_equal(client_value("Aseguradora", &r), "Seguros Demo, S.A.");
    assert_string_equal(client_value("Cliente", &r), kase.client_name);
    assert_string_equal(client_value("RFC", &r), "TPL980512AB3");
    assert_string_equal(client_value("Broker / agente", &r), "Agente Núñez Seguros");
    assert_string_equal(client_value("Clave de agente", &r), "AG-4471");
    assert_string_equal(client_value("Contacto", &r), "Lucía Ibáñez · 55 1234 5678");
    assert_string_equal(client_value("Paquete de cobertura", &r), "AMPLIA");
    assert_string_equal(client_value("Uso", &r), "PARTICULAR FLOTILLA");
    assert_string_equal(client_value("Forma de pago", &r), "ANUAL");
    client_value("Vigencia inicio", &r);
    assert_string_equal(str("Cliente", r, 1), "2026-12-01 00:00:00");
    client_value("Vehículos", &r);
    assert_int_equal((int)num("Cliente", r, 1), kase.n_rows);
    double total = 0;
    int with_sum = 0, commercial = 0;
    for (int i = 0; i < kase.n_rows; i++)
        if (kase.rows[i].vehicle.insured_amount >= 0) {
            total += kase.rows[i].vehicle.insured_amount;
            with_sum++;
        } else {
            commercial += export_row_commercial(&kase.rows[i]);
        }
    client_value(with_sum < kase.n_rows ? "Suma asegurada de las unidades con suma" : "Suma asegurada de la flotilla",
                 &r);
    assert_near(num("Cliente", r, 1), total);
    if (commercial) {
        client_value("Unidades a VALOR COMERCIAL (fuera de la suma)", &r);
        assert_int_equal((int)num("Cliente", r, 1), commercial);
    }
    assert_non_null(strstr(client_value("Prima total", &r), "Sin tarifa"));
    assert_string_equal(client_value("Requisitos faltantes", &r), "ninguno");

    int c_file = col("ARCHIVO ORIGEN"), c_pkg = col("PAQUETE"), c_vin = col("SERIE"),
        c_inciso = col("INCISO"), c_note = col("NOTA REVISOR"), c_by = col("CONFIRMADO POR");
    for (int i = 0; i < kase.n_rows; i++) {
        assert_string_equal(str(MAIN, i + 1, c_file), kase.rows[i].source_file);
        assert_string_equal(str(MAIN, i + 1, c_vin), kase.rows[i].vehicle.vin);
        assert_int_equal((int)num(MAIN, i + 1, c_inciso), kase.rows[i].vehicle.inciso);
    }
    assert_string_equal(str(MAIN, r_rc + 1, c_pkg), "RC");
    assert_string_equal(str(MAIN, 1, c_pkg), "AMPLIA");
    assert_string_equal(str(MAIN, 6, c_note), "Confirmado con el broker por teléfono");
    assert_string_equal(str(MAIN, 6, c_by), kase.rows[5].match.reviewer);
}

/* Printing: landscape at the template's minimum scale, split into pages of whole columns, with the header
 * row and the inciso and key columns on every page and the COT / client on top. */
static void test_print_setup(void **state)
{
    (void)state;
    NEED_READER();
    json_t *pr = json_object_get(sheet(MAIN), "print");
    assert_string_equal(json_string_value(json_object_get(pr, "orientation")), "landscape");
    /* 33 printed columns do not fit one page wide at 55%: the minimum scale, pages of columns */
    assert_int_equal(json_integer_value(json_object_get(pr, "scale")), 55);
    assert_false(json_is_true(json_object_get(pr, "fit")));
    assert_non_null(strstr(json_string_value(json_object_get(pr, "title_rows")), "$1:$1"));
    assert_non_null(strstr(json_string_value(json_object_get(pr, "title_cols")), "$A:$B"));
    assert_true(json_integer_value(json_object_get(pr, "col_breaks")) >= 2);
    assert_non_null(strstr(json_string_value(json_object_get(pr, "header")), "Transportes Pe"));
}

/* The PDF of the same case, read back with poppler-utils: every VIN and key is in the text,
 * the client keeps its accents and Ñ, hostile cells (control characters, invalid UTF-8, a
 * 40,000-character description) do not break it, and every page renders. */
static void test_pdf_reads_back(void **state)
{
    (void)state;
    if (run("command -v pdftotext >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1") != 0) {
        print_message("poppler-utils not installed (scripts/deps.sh)\n");
        skip();
    }
    char *pdf = core_path_join(tmpdir, "COT-2026-000123.pdf");
    char *txt = core_path_join(tmpdir, "pdf.txt");
    export_options opt = {.share_dir = share, .out_path = pdf, .force = true};
    export_result pr;
    minca_err err = {0};
    if (export_case_write_pdf(&kase, &opt, &pr, &err) < 0)
        fail_msg("%s", err.msg);
    assert_memory_equal(pr.data, "%PDF-", 5);
    assert_string_equal(pr.path, pdf);
    assert_int_equal(pr.n_rows, kase.n_rows);
    char *cmd = core_strdup_printf("pdftotext -layout '%s' '%s'", pdf, txt);
    assert_int_equal(run(cmd), 0);
    g_free(cmd);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(core_read_file(txt, 1 << 26, &text, &len, NULL), 0);
    assert_non_null(strstr(text, "Seguros Demo, S.A."));
    assert_non_null(strstr(text, "COT-2026-000123 · versión 3"));
    assert_non_null(strstr(text, "Transportes Peñasco y Logística del Bajío"));
    assert_non_null(strstr(text, "AG-4471"));
    const char *prev = text;
    for (int i = 0; i < kase.n_rows; i++) {
        const export_row *r = &kase.rows[i];
        if (!r->vehicle.vin)
            continue;
        const char *at = strstr(prev, r->vehicle.vin);
        if (!at)
            fail_msg("VIN %s (row %d) missing or out of order in the PDF", r->vehicle.vin, i + 1);
        prev = at;
        if (!core_str_empty(r->match.cvegs) && !strstr(text, r->match.cvegs))
            fail_msg("key %s missing from the PDF", r->match.cvegs);
    }
    assert_non_null(strstr(text, "SIN CLAVE"));
    assert_non_null(strstr(text, "Vehículos: "));
    g_free(text);
    cmd = core_strdup_printf("pdftoppm -r 15 -png '%s' '%s/page' 2>'%s.err' && test ! -s '%s.err'", pdf,
                             tmpdir, txt, txt);
    assert_int_equal(run(cmd), 0);
    g_free(cmd);
    export_result_clear(&pr);
    g_free(pdf);
    g_free(txt);
}

static void test_summary(void **state)
{
    (void)state;
    NEED_READER();
    int r;
    assert_string_equal(summary_value("COT", &r), "COT-2026-000123");
    assert_string_equal(summary_value("Cliente", &r), kase.client_name);
    assert_string_equal(summary_value("RFC", &r), "TPL980512AB3");
    assert_string_equal(summary_value("Broker / agente", &r), "Agente Núñez Seguros");
    summary_value("Fecha de recepción", &r);
    assert_string_equal(kind("Resumen", r, 1), "date");
    assert_string_equal(str("Resumen", r, 1), "2026-11-20 00:00:00");
    summary_value("Vigencia fin", &r);
    assert_string_equal(str("Resumen", r, 1), "2027-12-01 00:00:00");
    assert_string_equal(summary_value("Paquete de cobertura", &r), "AMPLIA");
    summary_value("Vehículos", &r);
    assert_int_equal((int)num("Resumen", r, 1), kase.n_rows);
    summary_value("Aceptados automáticamente", &r);
    assert_int_equal((int)num("Resumen", r, 1), res.n_auto);
    summary_value("En revisión", &r);
    assert_int_equal((int)num("Resumen", r, 1), res.n_review);
    summary_value("Sin coincidencia", &r);
    assert_int_equal((int)num("Resumen", r, 1), res.n_no_match);
    /* awaiting a person: rows a reviewer accepted or picked are not "en revisión" */
    int awaiting = 0, reviewed = 0;
    for (int i = 0; i < kase.n_rows; i++) {
        awaiting += !kase.rows[i].match.reviewed && kase.rows[i].match.decision == EXPORT_DECISION_REVIEW;
        reviewed += kase.rows[i].match.reviewed;
    }
    assert_int_equal(res.n_review, awaiting);
    summary_value("Revisados por personal", &r);
    assert_int_equal((int)num("Resumen", r, 1), reviewed);
    summary_value("Sin clave decidida", &r);
    assert_int_equal((int)num("Resumen", r, 1), 2);
    summary_value("Tasa de aceptación automática", &r);
    assert_near(num("Resumen", r, 1), (double)res.n_auto / kase.n_rows);
    assert_string_equal(summary_value("Versión de catálogo", &r), "CATVER demo 2026-11");
    assert_string_equal(summary_value("Plantilla", &r), "gcotiza_v1");
    assert_string_equal(summary_value("Versión de plantilla", &r), "1.3");
    assert_string_equal(summary_value("Exportado por", &r), "mgonzalez");
    summary_value("Fecha de exportación", &r);
    assert_string_equal(kind("Resumen", r, 1), "date");
    assert_string_equal(summary_value("Exportación forzada", &r), "SÍ");
}

static void test_incidences(void **state)
{
    (void)state;
    NEED_READER();
    json_t *ws = sheet("Incidencias");
    int n = (int)json_integer_value(json_object_get(ws, "max_row")) - 1;
    assert_int_equal(n, res.n_incidences);
    assert_string_equal(str("Incidencias", 0, 1), "HOJA ORIGEN");
    int expected_issues = 0;
    for (int i = 0; i < kase.n_rows; i++)
        expected_issues += kase.rows[i].vehicle.n_issues;
    /* every validation issue, both undecided rows, the unknown package, the repaired texts */
    int issues = 0, pending = 0, nokey = 0, pkg = 0, repaired = 0, notes = 0;
    for (int r = 1; r <= n; r++) {
        const char *sev = str("Incidencias", r, 6), *msg = str("Incidencias", r, 7);
        int src_row = (int)num("Incidencias", r, 2);
        assert_string_equal(str("Incidencias", r, 1), "Flotilla");
        if (!strcmp(sev, "PENDIENTE")) {
            if (src_row == kase.rows[r_pending].vehicle.source_row) {
                pending++;
                assert_non_null(strstr(msg, "pendiente de revisión (confianza 62%)"));
                assert_int_equal((int)num("Incidencias", r, 0), r_pending + 2);
            } else if (src_row == kase.rows[r_nokey].vehicle.source_row) {
                nokey++;
            }
        } else if (strstr(msg, "Paquete 'PLATINO'")) {
            pkg++;
        } else if (strstr(msg, "Texto corregido")) {
            repaired++;
        } else if (!strcmp(msg, "Confirmado con el broker por teléfono")) {
            notes++;
        } else {
            issues++;
        }
    }
    assert_int_equal(issues, expected_issues);
    assert_int_equal(pending, 1);
    assert_int_equal(nokey, 1);
    assert_int_equal(pkg, 1);
    assert_int_equal(repaired, 2); /* the long text and the control characters / bad UTF-8 */
    assert_int_equal(notes, 1);    /* the reviewer's note */
}

static void test_xlsx2csv_converts(void **state)
{
    (void)state;
    if (run("command -v xlsx2csv >/dev/null 2>&1") != 0) {
        print_message("xlsx2csv not installed (scripts/deps.sh)\n");
        skip();
    }
    char *csv = core_path_join(tmpdir, "out.csv");
    char *err_path = core_path_join(tmpdir, "xlsx2csv.err");
    char *cmd = core_strdup_printf("xlsx2csv -n COTIZACION '%s' '%s' 2>'%s'", xlsx_path, csv,
                                   err_path);
    assert_int_equal(run(cmd), 0);
    char *text = NULL, *errs = NULL;
    size_t len = 0, elen = 0;
    assert_int_equal(core_read_file(csv, 1 << 26, &text, &len, NULL), 0);
    assert_int_equal(core_read_file(err_path, 1 << 20, &errs, &elen, NULL), 0);
    assert_int_equal(elen, 0);
    assert_true(g_str_has_prefix(text, "INCISO,CLAVE VEHÍCULO,MARCA,MODELO,AÑO,"));
    assert_non_null(strstr(text, "CAMIÓN ÑANDÚ"));
    assert_non_null(strstr(text, "=HYPERLINK"));
    g_free(text);
    g_free(errs);
    g_free(cmd);
    cmd = core_strdup_printf("xlsx2csv -a '%s' '%s/all' 2>'%s'", xlsx_path, tmpdir, err_path);
    assert_int_equal(run(cmd), 0);
    g_free(cmd);
    g_free(csv);
    g_free(err_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sheets_and_layout),
        cmocka_unit_test(test_values_and_types),
        cmocka_unit_test(test_hard_text),
        cmocka_unit_test(test_undecided_rows_highlighted),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_client_block_and_totals),
        cmocka_unit_test(test_print_setup),
        cmocka_unit_test(test_pdf_reads_back),
        cmocka_unit_test(test_incidences),
        cmocka_unit_test(test_xlsx2csv_converts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
