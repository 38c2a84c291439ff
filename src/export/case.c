/* export case: the input of an export and the decision rules. */
#include "minca/export.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void export_case_init(export_case *c)
{
    memset(c, 0, sizeof *c);
}

export_row *export_case_add_row(export_case *c)
{
    if (c->n_rows == c->cap_rows) {
        int cap = c->cap_rows ? c->cap_rows * 2 : 64;
        export_row *rows = realloc(c->rows, sizeof *rows * (size_t)cap);
        if (!rows)
            abort();
        c->rows = rows;
        c->cap_rows = cap;
    }
    export_row *row = &c->rows[c->n_rows++];
    memset(row, 0, sizeof *row);
    vehicle_row_init(&row->vehicle);
    row->premium = -1;
    row->match.confidence = -1;
    row->match.decision = EXPORT_DECISION_NO_MATCH;
    return row;
}

static void match_clear(export_match *m)
{
    free(m->cvegs);
    free(m->description);
    free(m->brand);
    free(m->model);
    free(m->body);
    free(m->reviewer);
}

void export_case_clear(export_case *c)
{
    for (int i = 0; i < c->n_rows; i++) {
        vehicle_row_clear(&c->rows[i].vehicle);
        match_clear(&c->rows[i].match);
    }
    free(c->rows);
    free(c->cot);
    free(c->insurer);
    free(c->client_name);
    free(c->client_rfc);
    free(c->broker);
    free(c->received_date);
    free(c->coverage_package);
    free(c->vigencia_start);
    free(c->vigencia_end);
    free(c->use);
    free(c->payment_terms);
    free(c->currency);
    free(c->catalog_version);
    free(c->exported_by);
    export_case_init(c);
}

bool export_row_decided(const export_row *row)
{
    if (core_str_empty(row->match.cvegs))
        return false;
    return row->match.decision == EXPORT_DECISION_AUTO || row->match.reviewed;
}

int export_decision_parse(const char *text)
{
    if (!text)
        return -1;
    if (!strcasecmp(text, "auto") || !strcasecmp(text, "automatico"))
        return EXPORT_DECISION_AUTO;
    if (!strcasecmp(text, "review") || !strcasecmp(text, "revision"))
        return EXPORT_DECISION_REVIEW;
    if (!strcasecmp(text, "no_match") || !strcasecmp(text, "sin_coincidencia"))
        return EXPORT_DECISION_NO_MATCH;
    return -1;
}

int export_match_set_status(export_match *m, const char *status)
{
    static const struct {
        const char *status;
        export_decision decision;
        bool reviewed;
    } map[] = {
        {"auto_accept", EXPORT_DECISION_AUTO, false},
        {"needs_review", EXPORT_DECISION_REVIEW, false},
        {"no_match", EXPORT_DECISION_NO_MATCH, false},
        {"accepted", EXPORT_DECISION_REVIEW, true},
        {"picked", EXPORT_DECISION_REVIEW, true},
        {"rejected", EXPORT_DECISION_NO_MATCH, true},
    };
    for (size_t i = 0; status && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(status, map[i].status)) {
            m->decision = map[i].decision;
            m->reviewed = map[i].reviewed;
            return 0;
        }
    int d = export_decision_parse(status);
    if (d < 0)
        return -1;
    m->decision = (export_decision)d;
    return 0;
}

const char *export_decision_name(export_decision d)
{
    switch (d) {
    case EXPORT_DECISION_AUTO: return "auto";
    case EXPORT_DECISION_REVIEW: return "review";
    case EXPORT_DECISION_NO_MATCH: return "no_match";
    }
    return "no_match";
}

char *export_default_filename(const char *cot, int version)
{
    const char *base = (cot && *cot) ? cot : "cotizacion";
    size_t n = strlen(base);
    char *safe = malloc(n + 1);
    if (!safe)
        abort();
    size_t j = 0;
    for (size_t i = 0; i < n && j < 120; i++) {
        unsigned char ch = (unsigned char)base[i];
        safe[j++] = (isalnum(ch) || ch == '-' || ch == '_') ? (char)ch : '_';
    }
    safe[j] = '\0';
    char *name = version > 0 ? core_strdup_printf("%s_v%d.xlsx", safe, version)
                             : core_strdup_printf("%s.xlsx", safe);
    free(safe);
    return name;
}

void export_result_clear(export_result *res)
{
    if (!res)
        return;
    free(res->data);
    free(res->path);
    free(res->template_name);
    free(res->template_version);
    free(res->template_path);
    memset(res, 0, sizeof *res);
}
