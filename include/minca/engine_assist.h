/* assist: the three places where the optional language model helps, each only where the rules
 * are unsure, each falling back to the rule-based result (with a note) on any failure.
 *
 *   body     fields of the pre-analysis the rules did not find       -> suggestions to confirm
 *   columns  columns the automatic mapping left below its confidence -> field suggestions + reasons
 *   review   rows that need review                                   -> a ranking of their candidates
 *
 * Everything sent is masked (llm.h); every answer is checked against what the rules can check
 * (enumerations, dates, RFC check digits, values that must appear in the mail, keys that must be
 * among the candidates). None of them ever decides on its own. */
#ifndef MINCA_ENGINE_ASSIST_H
#define MINCA_ENGINE_ASSIST_H

#include "minca/intake.h"
#include "minca/profile.h"

#include <jansson.h>
#include <libpq-fe.h>

/* Text that follows a missing-requirement code of a field the model suggested. */
#define ASSIST_SUGGESTED_SUFFIX " (suggested by the model)"

/* Asks for the body fields a left empty (client_name, rfc, coverage, vigencia, uso,
 * payment_terms) and fills those that pass validation into a. *suggested (new object, or NULL
 * when nothing was suggested) maps each filled field to {"value", "by": "model"}; a->missing
 * lists each filled field as "FIELD (suggested by the model)" until a person confirms it.
 * Returns 1 when something was filled, 0 when not (*note says why when the model failed or
 * was not asked: g_malloc'd, may be NULL). Never fails the caller. */
int assist_body(PGconn *pg, long long insurer_id, const intake_message *msg, intake_analysis *a,
                json_t **suggested, char **note);

/* A column the automatic mapping was unsure of, as the wizard shows it. */
typedef struct assist_column {
    int col;                  /* 0-based source column */
    const char *header;       /* as written */
    const char *samples;      /* "v1 | v2 | v3" (may be NULL) */
    const char *guess;        /* the automatic mapping's field name (may be NULL) */
    double confidence;        /* the automatic mapping's confidence */
} assist_column;

/* Columns below this automatic confidence are the ones worth a question. */
#define ASSIST_COLUMN_CONFIDENCE 0.6

/* Field suggestions for cols (the caller passes only the unsure ones). Returns a new array of
 * {"col", "field", "reason"}: only fields profile_field_from_name() knows, only columns asked
 * about, one entry per column; or NULL with *note (g_malloc'd) saying why. */
json_t *assist_columns(PGconn *pg, long long insurer_id, const assist_column *cols, int n, char **note);

/* Ranks the candidates of a row that needs review: sets "model_rank" (1 = best) and
 * "model_reason" (one line) on the candidates the model ranked, in place. The stored decision
 * and confidence are left as they are. Returns 1 when ranked, 0 otherwise (*note says why). */
int assist_rank(PGconn *pg, long long insurer_id, const char *description, int year, const char *vin,
                json_t *candidates, char **note);

#endif
