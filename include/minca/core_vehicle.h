/* vehicle: the canonical vehicle row shared by extraction (docs/profile), codification,
 * storage and export. All strings are UTF-8, g_malloc'd, owned by the row; NULL when absent. */
#ifndef MINCA_CORE_VEHICLE_H
#define MINCA_CORE_VEHICLE_H

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

/* ---- the canonical vehicle fields, defined once ----------------------------------------------
 * One row per field, in the order profiles list them:
 *
 *   X(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases)
 *
 *   ID      the profile field is PF_<ID> (profile.h)
 *   name    the field's name in profiles and JSON; also the vehicle_row member, the
 *           vehicle_rows column (vehicle_repo.c) and the template source row.<name>
 *   KIND    how the row holds and the store keeps it:
 *             TEXT    char *, NULL when absent; a text column
 *             INT     int, 0 when absent; an int column
 *             YEAR    int, 0 when absent (stored as NULL); an int column
 *             AMOUNT  double, < 0 when absent; a numeric column
 *             BASIS   vehicle_sum_basis, kept by name; a text column
 *             NONE    not held on the row (version only feeds the composed description)
 *   PARSE   the value check a profile's parse: section overrides (profile_extract.c):
 *             TEXT, INT, YEAR, MONEY, VIN (cleaned, check digit)
 *   EXPORT  the template source row.<name> (export/workbook.c): TEXT, YEAR (a number when
 *             > 0), INCISO (the number on the quote), INSURED (the sum, or VALOR COMERCIAL),
 *             BASIS (its name), NONE (not a source)
 *   FLAGS   VEHICLE_F_KEY: tells a vehicle (a row with none of them is a note under the table);
 *           VEHICLE_F_DESC: a part of the composed description, in list order
 *   label   what Spanish-speaking staff call it (the PDF's headings, extraction's warnings)
 *   aliases other names a profile may use for it, space-separated ("" for none)
 *
 * A new field is one row here, plus its vehicle_rows column (a migration), the header words
 * that name it (data/profile/columns.txt) and its column in the templates that show it. */
#define VEHICLE_F_KEY 1
#define VEHICLE_F_DESC 2
#define VEHICLE_FIELDS(X)                                                                         \
    X(INCISO, inciso, INT, INT, INCISO, 0, "Inciso", "")                                          \
    X(MARCA, marca, TEXT, TEXT, TEXT, VEHICLE_F_KEY | VEHICLE_F_DESC, "Marca", "")                 \
    X(SUBMARCA, submarca, TEXT, TEXT, TEXT, VEHICLE_F_KEY | VEHICLE_F_DESC, "Submarca", "")        \
    X(VERSION, version, NONE, TEXT, NONE, VEHICLE_F_KEY | VEHICLE_F_DESC, "Versión", "")           \
    X(DESCRIPTION, description, TEXT, TEXT, TEXT, VEHICLE_F_KEY | VEHICLE_F_DESC, "Descripción", "") \
    X(YEAR, year, YEAR, YEAR, YEAR, VEHICLE_F_KEY, "Año", "")                                      \
    X(VIN, vin, TEXT, VIN, TEXT, VEHICLE_F_KEY, "Serie (VIN)", "serie")                           \
    X(ENGINE, engine_number, TEXT, TEXT, TEXT, 0, "Motor", "engine motor")                        \
    X(PLATES, plates, TEXT, TEXT, TEXT, 0, "Placas", "placas plate")                              \
    X(USE, use, TEXT, TEXT, TEXT, 0, "Uso", "uso")                                                \
    X(SERVICE, service, TEXT, TEXT, TEXT, 0, "Servicio", "")                                      \
    X(COVERAGE, coverage, TEXT, TEXT, TEXT, 0, "Paquete", "")                                     \
    X(INSURED_AMOUNT, insured_amount, AMOUNT, MONEY, INSURED, 0, "Suma asegurada",                \
      "sum_insured suma_asegurada")                                                               \
    X(SUM_BASIS, sum_basis, BASIS, TEXT, BASIS, 0, "Base de la suma", "")

/* The C type of a KIND; VEHICLE_IF_HELD(KIND, tokens...) gives the tokens for a field held on
 * the row and nothing for a NONE one (for lists of members, columns and sources). */
#define VEHICLE_CTYPE_TEXT char *
#define VEHICLE_CTYPE_INT int
#define VEHICLE_CTYPE_YEAR int
#define VEHICLE_CTYPE_AMOUNT double
#define VEHICLE_CTYPE_BASIS vehicle_sum_basis
#define VEHICLE_IF_HELD(KIND, ...) VEHICLE_IF_HELD_##KIND(__VA_ARGS__)
#define VEHICLE_IF_HELD_TEXT(...) __VA_ARGS__
#define VEHICLE_IF_HELD_INT(...) __VA_ARGS__
#define VEHICLE_IF_HELD_YEAR(...) __VA_ARGS__
#define VEHICLE_IF_HELD_AMOUNT(...) __VA_ARGS__
#define VEHICLE_IF_HELD_BASIS(...) __VA_ARGS__
#define VEHICLE_IF_HELD_NONE(...)
#define VEHICLE_FIELD_MEMBER(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases)                \
    VEHICLE_IF_HELD(KIND, VEHICLE_CTYPE_##KIND name;)

/* The staff's name of a field ("Año" for "year"); NULL when name is no field. Static. */
const char *vehicle_field_label(const char *name);

typedef struct vehicle_row {
    /* where it came from */
    char *source_sheet;      /* sheet name (xlsx/xls), NULL for csv / html */
    int source_row;          /* 1-based row (sheet row, csv physical line, html <tr>) */
    int source_table;        /* 0-based table on the sheet, in reading order */
    char *raw_json;          /* every source cell of the row as a JSON object header -> value */
    char *extra_json;        /* the source columns the profile did not map that hold text
                              * (observaciones, conductor...): JSON object header -> text; NULL
                              * when none */

    /* canonical fields: one member per VEHICLE_FIELDS row held on the row */
    VEHICLE_FIELDS(VEHICLE_FIELD_MEMBER)
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
