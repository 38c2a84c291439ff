/* review: the decisions staff take on vehicle matches, each saved at once in one transaction
 * with its audit entry, and turned into a correction the codifier learns from.
 *
 *   accept     keep the proposed key                  -> decision 'accepted'
 *   pick       choose another key (candidate/search)  -> decision 'picked'
 *   no_match   no catalog key fits                    -> decision 'rejected'
 *   undo       revert the user's last decision on the case (its correction is revoked)
 *   note       free text on the row
 *
 * Rows are addressed by vehicle_rows.id. `user` is the acting login name. Errors (unknown
 * row, nothing to undo, a key not in the active catalog) come back in err. */
#ifndef MINCA_REVIEW_H
#define MINCA_REVIEW_H

#include "minca/core.h"
#include "minca/store.h"

int review_accept(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err);
int review_pick(PGconn *c, long long insurer_id, long long row_id, const char *cvegs, int year, const char *user,
                minca_err *err);
int review_no_match(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err);
int review_note(PGconn *c, long long insurer_id, long long row_id, const char *note, const char *user, minca_err *err);
/* Undoes the user's most recent decision on the case that is not undone yet. On success
 * *row_id (may be NULL) receives the row it restored. */
int review_undo(PGconn *c, long long insurer_id, long long case_id, const char *user, long long *row_id,
                minca_err *err);
/* Marks the case ready when every row is decided (auto-accepted, accepted, picked or
 * rejected); refuses with the count of open rows otherwise. */
int review_mark_ready(PGconn *c, long long insurer_id, long long case_id, const char *user, minca_err *err);

/* Confirms the case's fields the language model suggested (field NULL: all of them): they stop
 * being listed as missing, and the pre-analysis is complete when nothing else is. *n (may be
 * NULL) receives how many were confirmed; none to confirm is an error. Audited. */
int review_confirm_suggested(PGconn *c, long long insurer_id, long long case_id, const char *field,
                             const char *user, int *n, minca_err *err);

/* Corrections: list (JSON array, newest first) and revoke. */
json_t *review_corrections(PGconn *c, long long insurer_id, bool include_revoked, minca_err *err);
int review_revoke_correction(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                             minca_err *err);

/* Case id of a COT (0 when absent, -1 on error). */
long long review_case_id(PGconn *c, long long insurer_id, const char *cot, minca_err *err);
/* Row id of the case's row named by spec: "#ID" (or "id:ID") the row id; "FILE:INCISO" the
 * inciso within one attachment, FILE its file name or its number in the message (1, 2, ...);
 * "INCISO" alone when only one row of the case has it (a case with two files repeats
 * incisos: then the error lists how to name each). 0 with err set when no row fits or the
 * inciso is ambiguous, -1 on a database error. */
long long review_row_find(PGconn *c, long long case_id, const char *spec, minca_err *err);

#endif
