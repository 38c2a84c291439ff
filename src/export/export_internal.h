/* Internal to src/export: the source fields a template column may name. */
#ifndef MINCA_EXPORT_INTERNAL_H
#define MINCA_EXPORT_INTERNAL_H

#include "minca/export.h"

typedef enum {
    FIELD_TEXT = 0,
    FIELD_NUMBER,
    FIELD_INT,
    FIELD_DATE,
    FIELD_DATETIME,
    FIELD_BOOL,
    FIELD_COVERAGE,   /* number or text, from the coverage package */
} export_field_kind;

typedef enum {
    F_ROW_MARCA, F_ROW_SUBMARCA, F_ROW_DESCRIPTION, F_ROW_VIN, F_ROW_ENGINE, F_ROW_PLATES,
    F_ROW_USE, F_ROW_SERVICE, F_ROW_COVERAGE, F_ROW_YEAR, F_ROW_INCISO, F_ROW_INSURED,
    F_ROW_SUM_BASIS, F_ROW_PREMIUM, F_ROW_SOURCE_SHEET, F_ROW_SOURCE_ROW, F_ROW_SOURCE_FILE,
    F_ROW_PACKAGE,
    F_MATCH_CVEGS, F_MATCH_DESCRIPTION, F_MATCH_BRAND, F_MATCH_MODEL, F_MATCH_BODY,
    F_MATCH_YEAR, F_MATCH_CONFIDENCE, F_MATCH_DECISION, F_MATCH_REVIEWED, F_MATCH_REVIEWER,
    F_MATCH_NOTE,
    F_CASE_COT, F_CASE_CLIENT, F_CASE_RFC, F_CASE_BROKER, F_CASE_AGENT, F_CASE_CONTACT, F_CASE_RECEIVED, F_CASE_PACKAGE,
    F_CASE_VIG_START, F_CASE_VIG_END, F_CASE_USE, F_CASE_PAYMENT, F_CASE_CURRENCY, F_CASE_CATALOG,
    F_CASE_EXPORTED_BY, F_CASE_EXPORTED_AT,
    F_COVERAGE,
} export_field_id;

typedef struct export_field {
    const char *name;
    export_field_id id;
    export_field_kind kind;
} export_field;

/* Looks up "row.x" / "match.x" / "case.x"; "coverage.<key>" gives the F_COVERAGE entry.
 * NULL when unknown. */
const export_field *export_field_find(const char *source);
/* Comma-separated list of the known names, for error messages (static storage). */
const char *export_field_names(void);
bool export_valid_slug(const char *s);

#endif
