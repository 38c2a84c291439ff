/* Internal to src/export: the source fields a template column may name. */
#ifndef MINCA_EXPORT_INTERNAL_H
#define MINCA_EXPORT_INTERNAL_H

#include "minca/export.h"

#include <stddef.h>

typedef enum {
    FIELD_TEXT = 0,
    FIELD_NUMBER,
    FIELD_INT,
    FIELD_DATE,
    FIELD_DATETIME,
    FIELD_BOOL,
    FIELD_COVERAGE,   /* number or text, from the coverage package */
} export_field_kind;

/* A source a template column may name: one row plus a callback that gives its value for a
 * row of the case (tmux's format_table). The rows live in workbook.c, whose writer and cell
 * value the callbacks fill; row.<field> rows are made from VEHICLE_FIELDS (core_vehicle.h). */
struct writer;
struct cell_value;
typedef struct export_field export_field;
/* The value of f for row into v (left empty when absent); -1 with the writer's err set.
 * source and col: the column's own words (coverage.<key> reads its key from source). */
typedef int (*export_field_fn)(struct writer *w, const export_row *row, const export_field *f,
                               const char *source, const export_column *col, struct cell_value *v);
struct export_field {
    const char *name;        /* "row.marca", "match.cvegs", "case.cot"; "coverage.*" */
    export_field_kind kind;
    export_field_fn value;
    size_t offset;           /* of the member the callback reads (vehicle_row, export_match,
                              * export_row or export_case, as the callback says) */
};
extern const export_field export_fields[];
extern const size_t export_n_fields;
extern const export_field export_coverage_field;   /* coverage.<key> */
/* Whether f is the row's premium (row.premium): a workbook without a price says why. */
bool export_field_is_premium(const export_field *f);

/* Looks up "row.x" / "match.x" / "case.x"; "coverage.<key>" gives the F_COVERAGE entry.
 * NULL when unknown. */
const export_field *export_field_find(const char *source);
/* Comma-separated list of the known names, for error messages (static storage). */
const char *export_field_names(void);
bool export_valid_slug(const char *s);

#endif
