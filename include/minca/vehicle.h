/* vehicle: the canonical vehicle row shared by extraction (docs/profile), codification,
 * storage and export. All strings are UTF-8, g_malloc'd, owned by the row; NULL when absent. */
#ifndef MINCA_VEHICLE_H
#define MINCA_VEHICLE_H

#include <stdbool.h>

/* Model years, in one place. A stored model year (a catalog row, a cell typed as the year
 * column) is valid within VEHICLE_YEAR_MIN..VEHICLE_YEAR_MAX; a bare number in free text or
 * an unlabelled column is read as a model year only when it is plausible: from
 * VEHICLE_YEAR_PLAUSIBLE_MIN to two years after the current one (next year's models are sold
 * from mid-year). */
#define VEHICLE_YEAR_MIN 1900
#define VEHICLE_YEAR_MAX 2100
#define VEHICLE_YEAR_PLAUSIBLE_MIN 1950
bool vehicle_year_valid(int year);
bool vehicle_year_plausible(int year);

typedef enum {
    VEHICLE_SUM_UNKNOWN = 0,
    VEHICLE_SUM_COMERCIAL,   /* valor comercial */
    VEHICLE_SUM_FACTURA,     /* valor factura */
    VEHICLE_SUM_CONVENIDO,   /* valor convenido */
} vehicle_sum_basis;

typedef struct vehicle_issue {
    char *field;      /* canonical field name, or NULL for the whole row */
    char *severity;   /* "warn" | "error" */
    char *message;    /* readable reason, Spanish-speaking staff read it */
} vehicle_issue;

typedef struct vehicle_row {
    /* where it came from */
    char *source_sheet;      /* sheet name (xlsx/xls), NULL for csv / html */
    int source_row;          /* 1-based row (sheet row, csv physical line, html <tr>) */
    int source_table;        /* 0-based table on the sheet, in reading order */
    char *raw_json;          /* every source cell of the row as a JSON object header -> value */
    char *extra_json;        /* the source columns the profile did not map that hold text
                              * (observaciones, conductor...): JSON object header -> text; NULL
                              * when none */

    /* canonical fields */
    int inciso;              /* item number in the fleet list; 0 when absent */
    char *marca;             /* brand as written */
    char *submarca;          /* model line as written */
    int year;                /* model year; 0 when absent or unparseable */
    char *description;       /* version / description as written (or composed by the profile) */
    char *vin;               /* serie, upper-cased, spaces removed */
    char *engine_number;     /* numero de motor */
    char *plates;            /* placas */
    char *use;               /* uso: PARTICULAR, CARGA, COMERCIAL, ... */
    char *service;           /* servicio: PARTICULAR, PUBLICO, ... */
    char *coverage;          /* paquete: AMPLIA, LIMITADA, RC */
    double insured_amount;   /* suma asegurada; < 0 when absent */
    vehicle_sum_basis sum_basis;
    double ocr_confidence;   /* read from an image by OCR: the lowest character confidence of
                              * its mapped cells, 0..100; < 0 when read from text */

    vehicle_issue *issues;
    int n_issues;
} vehicle_row;

void vehicle_row_init(vehicle_row *row);
void vehicle_row_clear(vehicle_row *row);   /* frees the strings and issues, keeps the struct */
void vehicle_row_add_issue(vehicle_row *row, const char *field, const char *severity,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *vehicle_sum_basis_name(vehicle_sum_basis basis);   /* "comercial", ... or NULL */

#endif
