#include <glib.h>
#include <time.h>
#include "minca/core_vehicle.h"
#include "minca/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per KIND: the value of an absent field, and how a field is let go. */
#define INIT_TEXT(row, name)
#define INIT_INT(row, name)
#define INIT_YEAR(row, name)
#define INIT_AMOUNT(row, name) (row)->name = -1;
#define INIT_BASIS(row, name)
#define INIT_NONE(row, name)
#define FIELD_INIT(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) INIT_##KIND(row, name)
#define FREE_TEXT(row, name) g_free((row)->name);
#define FREE_INT(row, name)
#define FREE_YEAR(row, name)
#define FREE_AMOUNT(row, name)
#define FREE_BASIS(row, name)
#define FREE_NONE(row, name)
#define FIELD_FREE(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) FREE_##KIND(row, name)

void vehicle_row_init(vehicle_row *row)
{
    memset(row, 0, sizeof *row);
    VEHICLE_FIELDS(FIELD_INIT)
    row->ocr_confidence = -1;
}

void vehicle_row_clear(vehicle_row *row)
{
    g_free(row->source_sheet);
    g_free(row->raw_json);
    g_free(row->extra_json);
    VEHICLE_FIELDS(FIELD_FREE)
    for (int i = 0; i < row->n_issues; i++) {
        g_free(row->issues[i].field);
        g_free(row->issues[i].severity);
        g_free(row->issues[i].message);
    }
    g_free(row->issues);
    vehicle_row_init(row);
}

void vehicle_row_add_issue(vehicle_row *row, const char *field, const char *severity,
                           const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    row->issues = g_realloc_n(row->issues, (size_t)row->n_issues + 1, sizeof *row->issues);
    vehicle_issue *is = &row->issues[row->n_issues++];
    is->field = field ? g_strdup(field) : NULL;
    is->severity = g_strdup(severity ? severity : "warn");
    is->message = g_strdup(msg);
}

#define FIELD_LABEL(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) {#name, label},
static const struct {
    const char *name, *label;
} field_labels[] = {VEHICLE_FIELDS(FIELD_LABEL)};

const char *vehicle_field_label(const char *name)
{
    for (size_t i = 0; name && i < sizeof field_labels / sizeof field_labels[0]; i++)
        if (strcmp(field_labels[i].name, name) == 0)
            return field_labels[i].label;
    return NULL;
}

const char *vehicle_sum_basis_name(vehicle_sum_basis basis)
{
    switch (basis) {
    case VEHICLE_SUM_COMERCIAL: return "comercial";
    case VEHICLE_SUM_FACTURA: return "factura";
    case VEHICLE_SUM_CONVENIDO: return "convenido";
    default: return NULL;
    }
}

bool vehicle_year_valid(int year)
{
    return year >= VEHICLE_YEAR_MIN && year <= VEHICLE_YEAR_MAX;
}

bool vehicle_year_plausible(int year)
{
    static int max_year;   /* racy first use is harmless: every thread computes the same value */
    if (!max_year) {
        time_t now = time(NULL);
        struct tm tm;
        max_year = gmtime_r(&now, &tm) ? tm.tm_year + 1900 + 2 : VEHICLE_YEAR_MAX;
    }
    return year >= VEHICLE_YEAR_PLAUSIBLE_MIN && year <= max_year;
}
