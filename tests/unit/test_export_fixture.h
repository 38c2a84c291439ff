/* Shared by the export tests and benchmark: builds realistic fleet cases in memory. */
#ifndef TEST_EXPORT_FIXTURE_H
#define TEST_EXPORT_FIXTURE_H

#include "minca/export.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *fx_dup(const char *s) { return s ? strdup(s) : NULL; }

/* The repository root: $MINCA_SRC, else two levels above the test binary (build/tests/x). */
static char *fx_share_dir(void)
{
    const char *env = getenv("MINCA_SRC");
    if (env && *env)
        return strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (!slash)
                break;
            *slash = '\0';
            char probe[PATH_MAX + 64];
            snprintf(probe, sizeof probe, "%s/templates/gcotiza_v1.yaml", exe);
            if (access(probe, R_OK) == 0)
                return strdup(exe);
        }
    }
    return strdup(".");
}

static const struct fx_vehicle {
    const char *brand, *model, *body, *desc, *use;
    double amount;
} fx_vehicles[] = {
    {"NISSAN", "VERSA", "SEDAN", "VERSA ADVANCE 1.6L STD 4 PTAS A/AC", "PARTICULAR", 289900},
    {"NISSAN", "NP300", "PICK UP", "NP300 DOBLE CABINA SE 2.5L 4X2 A/AC", "CARGA", 452000},
    {"VOLKSWAGEN", "JETTA", "SEDAN", "JETTA COMFORTLINE 1.4 TSI TIPTRONIC", "PARTICULAR", 489500},
    {"CHEVROLET", "AVEO", "SEDAN", "AVEO LS 1.5L MANUAL 4 PTAS", "PARTICULAR", 268300},
    {"TOYOTA", "HILUX", "PICK UP", "HILUX CHASIS CABINA 2.7L 4X2 ESTÁNDAR", "CARGA", 517900},
    {"FORD", "RANGER", "PICK UP", "RANGER XL CREW CAB 2.5L 4X2", "CARGA", 598000},
    {"KIA", "RIO", "HATCHBACK", "RIO HB LX 1.6L AUT. CÁMARA DE REVERSA", "PARTICULAR", 312400},
    {"HONDA", "CR-V", "SUV", "CR-V TURBO PLUS 1.5L CVT AWD", "PARTICULAR", 689900},
    {"MAZDA", "MAZDA 3", "SEDAN", "MAZDA 3 I SPORT 2.5L AUT.", "PARTICULAR", 445900},
    {"RENAULT", "KANGOO", "VAN", "KANGOO ZEN 1.6L FURGÓN", "COMERCIAL", 356700},
};
#define FX_N_VEHICLES (int)(sizeof fx_vehicles / sizeof fx_vehicles[0])

static void fx_case_header(export_case *c)
{
    c->cot = fx_dup("COT-2026-000123");
    c->insurer = fx_dup("demo");
    c->client_name = fx_dup("Transportes Peñasco y Logística del Bajío, S.A. de C.V.");
    c->client_rfc = fx_dup("TPL980512AB3");
    c->broker = fx_dup("Agente Núñez Seguros");
    c->received_date = fx_dup("2026-11-20 09:15:42.123+00");
    c->coverage_package = fx_dup("AMPLIA");
    c->vigencia_start = fx_dup("2026-12-01");
    c->vigencia_end = fx_dup("2027-12-01");
    c->payment_terms = fx_dup("ANUAL");
    c->currency = fx_dup("MXN");
    c->catalog_version = fx_dup("CATVER demo 2026-11");
    c->exported_by = fx_dup("mgonzalez");
    c->exported_at = 1795000000; /* fixed so the bytes are reproducible */
}

/* Row i of a generated fleet; `all_decided` makes every row auto or reviewed. */
static export_row *fx_add_vehicle(export_case *c, int i, int all_decided)
{
    const struct fx_vehicle *v = &fx_vehicles[i % FX_N_VEHICLES];
    export_row *row = export_case_add_row(c);
    vehicle_row *vr = &row->vehicle;
    char buf[128];
    vr->source_sheet = fx_dup("Flotilla");
    vr->source_row = i + 2;
    vr->inciso = i + 1;
    vr->marca = fx_dup(v->brand);
    vr->submarca = fx_dup(v->model);
    vr->year = 2018 + i % 8;
    vr->description = fx_dup(v->desc);
    snprintf(buf, sizeof buf, "3N1CN7AD%09d", 100000 + i);
    vr->vin = fx_dup(buf);
    snprintf(buf, sizeof buf, "%c%c%c-%03d-%c", 'A' + i % 26, 'B' + i % 20, 'C' + i % 17,
             i % 1000, 'A' + i % 26);
    vr->plates = fx_dup(buf);
    vr->use = fx_dup(v->use);
    vr->insured_amount = v->amount + (i % 7) * 1000.5;
    vr->sum_basis = VEHICLE_SUM_COMERCIAL;

    export_match *m = &row->match;
    snprintf(buf, sizeof buf, "%08d", 1100000 + (i % FX_N_VEHICLES) * 1000 + vr->year % 100);
    m->cvegs = fx_dup(buf);
    m->brand = fx_dup(v->brand);
    m->model = fx_dup(v->model);
    m->body = fx_dup(v->body);
    m->description = fx_dup(v->desc);
    m->year = vr->year;
    m->confidence = 0.55 + (double)(i % 45) / 100.0;
    if (m->confidence >= 0.9) {
        m->decision = EXPORT_DECISION_AUTO;
    } else {
        m->decision = EXPORT_DECISION_REVIEW;
        if (all_decided || i % 5 != 0) {
            m->reviewed = true;
            m->reviewer = fx_dup("mgonzalez");
        }
    }
    if (i % 50 == 7)
        vehicle_row_add_issue(vr, "year", "warn", "Año %d fuera del rango habitual de la flotilla",
                              vr->year);
    return row;
}

static void fx_build_fleet(export_case *c, int n, int all_decided)
{
    export_case_init(c);
    fx_case_header(c);
    for (int i = 0; i < n; i++)
        fx_add_vehicle(c, i, all_decided);
}

#endif
