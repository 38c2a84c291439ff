/* review (module desk, src/desk/review.c): the decisions staff take on vehicle matches, each
 * saved at once in one transaction with its audit entry, and turned into a correction the
 * codifier learns from.
 *
 *   accept     keep the proposed key                  -> decision 'accepted'
 *   pick       choose another key (candidate/search)  -> decision 'picked'
 *   no_match   no catalog key fits                    -> decision 'rejected'
 *   undo       revert the user's last decision on the case (its correction is revoked)
 *   note       free text on the row
 *
 * Rows are addressed by vehicle_rows.id. `user` is the acting login name. Errors (unknown
 * row, nothing to undo, a key not in the active catalog) come back in err.
 *
 * Module desk: the services the TUI and the CLI call on a person's behalf. The dependency runs
 * one way: tui and cli include desk; desk includes store, access, codify and the engine's public
 * engine_steps.h / engine_assist.h (the case status a decision recomputes); engine never includes desk. */
#ifndef MINCA_DESK_REVIEW_H
#define MINCA_DESK_REVIEW_H

#include "minca/core.h"
#include "minca/store.h"
#include "minca/store_review.h"

#include <glib.h>

/* The one definition of a row that blocks a case from being ready: no decision yet, the
 * codifier's needs_review, or its no_match (no key proposed). `n`, `R`, the case header and the
 * Queue all count by it; the store's open-row count uses the same three states. */
bool review_decision_open(const char *decision);

/* One decision on a row, saved at once. No memory is returned. */
int review_accept(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err);
int review_pick(PGconn *c, long long insurer_id, long long row_id, const char *cvegs, int year, const char *user,
                minca_err *err);
int review_no_match(PGconn *c, long long insurer_id, long long row_id, const char *user, minca_err *err);
/* Sets the row's note (note NULL: cleared), audited. No memory is returned. */
int review_note(PGconn *c, long long insurer_id, long long row_id, const char *note, const char *user, minca_err *err);
/* Undoes the user's most recent decision on the case that is not undone yet. On success
 * *row_id (may be NULL; the caller's variable) receives the row it restored. */
int review_undo(PGconn *c, long long insurer_id, long long case_id, const char *user, long long *row_id,
                minca_err *err);
/* The same; *n_undone (may be NULL) receives how many rows it restored: a decision taken
 * for several rows at once (review_decide_rows) is undone as a whole. No memory is returned. */
int review_undo_n(PGconn *c, long long insurer_id, long long case_id, const char *user, long long *row_id,
                  int *n_undone, minca_err *err);
/* Marks the case ready when every row is decided (auto-accepted, accepted, picked or
 * rejected); refuses with the count of open rows otherwise. No memory is returned. */
int review_mark_ready(PGconn *c, long long insurer_id, long long case_id, const char *user, minca_err *err);

/* Confirms the case's fields the language model suggested (field NULL: all of them): they stop
 * being listed as missing, and the pre-analysis is complete when nothing else is. *n (may be
 * NULL) receives how many were confirmed; none to confirm is an error. Audited. No memory is
 * returned. */
int review_confirm_suggested(PGconn *c, long long insurer_id, long long case_id, const char *field,
                             const char *user, int *n, minca_err *err);

/* The insurer's corrections, newest first (revoked ones too when include_revoked) into *out
 * (store_review.h's rows; the caller clears it with store_review_correction_list_clear, also
 * on error). */
int review_corrections(PGconn *c, long long insurer_id, bool include_revoked, store_review_correction_list *out,
                       minca_err *err);
/* Revokes a correction in force, audited. No memory is returned. */
int review_revoke_correction(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                             minca_err *err);

/* Case id of a COT (0 when absent, -1 on error). No memory is returned. */
long long review_case_id(PGconn *c, long long insurer_id, const char *cot, minca_err *err);
/* Row id of the case's row named by spec: "#ID" (or "id:ID") the row id; "FILE:INCISO" the
 * inciso within one attachment, FILE its file name or its number in the message (1, 2, ...);
 * "INCISO" alone when only one row of the case has it (a case with two files repeats
 * incisos: then the error lists how to name each). 0 with err set when no row fits or the
 * inciso is ambiguous, -1 on a database error. No memory is returned. */
long long review_row_find(PGconn *c, long long case_id, const char *spec, minca_err *err);

/* ---- many rows at once ---- */

typedef enum { REVIEW_ACCEPT, REVIEW_PICK, REVIEW_NO_MATCH } review_kind;
typedef enum { REVIEW_SCOPE_CASE, REVIEW_SCOPE_INSURER } review_scope;

/* The undecided rows (the codifier left them to review or without a key, and nobody decided
 * them) with the same normalised description as row_id (the key corrections are stored
 * under), row_id left out: within its case, or in the insurer's other open cases. A new JSON
 * array of {id, case_id, cot, inciso, version} the caller json_decref's; NULL + err on failure. */
json_t *review_similar_rows(PGconn *c, long long insurer_id, long long row_id, review_scope scope, minca_err *err);
/* The review queue: the insurer's rows waiting for a person in open cases, one line per
 * codifier's reading (codify_reading), so descriptions that differ only in punctuation,
 * accents, spacing, word order, synonyms or equipment words share a line; the lines that
 * settle most rows first, at most limit of them. Each line: reading, norm_keys (the stored
 * description keys it gathers, for store_tui_review_group_rows), n_rows, n_cases,
 * sample_row_id, sample_cot, min_conf, max_conf, cvegs and year (the proposal most of its
 * rows have), key_text, description, marca, submarca, row_year, top_candidate, other_description, top_score,
 * runner_score, n_candidates. Order: lines with a row of a case assigned to user first, then by
 * their cases' earliest due time (none last), then the lines that settle most rows. A new JSON array the caller json_decref's; NULL + err on
 * failure. */
json_t *review_queue(PGconn *c, long long insurer_id, const char *user, int limit, minca_err *err);
/* The reading codify_reading gives a stored description key ("MARCA|SUBMARCA|YEAR|DESC",
 * codify_correction_key), with the alias tables of the data directory (read once; without
 * them the reading still ignores punctuation, spacing and order). Writes into
 * buf[CODIFY_KEY_MAX]; returns buf. */
char *review_reading_of_key(const char *norm_key, char *buf);

/* A row a decision names, with the version of its match the person saw (the desk's rows carry
 * it as "version"; version NULL or "": the row must still be undecided by a person). Both
 * borrowed for the call. */
typedef struct review_target {
    long long row_id;
    const char *version;
} review_target;

/* A row a decision left as it was, because it changed since it was shown: who changed it and
 * when ("" when the codifier did), and what it reads now ("accepted 1234567 2020",
 * "no match", "to review"). */
typedef struct review_refusal {
    long long row_id;
    int inciso;
    char by[128];
    char at[8];       /* HH:MM */
    char now[64];
} review_refusal;

/* Called between rows of a long decision (done of total rows handled); may be NULL. */
typedef void (*review_progress_fn)(size_t done, size_t total, void *user);

/* What a decision on several rows did: rows decided, and the rows it refused. refused is a
 * new GArray of review_refusal the caller frees with review_outcome_clear(). */
typedef struct review_outcome {
    int n_done;
    GArray *refused;
} review_outcome;
void review_outcome_clear(review_outcome *out);
/* "inciso 12 changed by ana at 09:57 (now: no match)"; a new string the caller g_free's. */
char *review_refusal_text(const review_refusal *r);

/* One decision for n rows (targets borrowed), in one transaction; every row gets its own
 * match update, correction and audit entry, tagged with one group so that an undo takes them
 * back together. REVIEW_ACCEPT with cvegs NULL accepts each row's own proposal (rows without
 * one are left); with a key, that key (an accept where it is the row's proposal, a pick
 * elsewhere). A row whose match is no longer the version named is refused, row by row (the
 * others are decided) and listed in out->refused. The case status is settled once per case.
 * out (zeroed first) is cleared by the caller. No other memory is returned. */
int review_decide_targets(PGconn *c, long long insurer_id, const review_target *targets, size_t n, review_kind kind,
                          const char *cvegs, int year, const char *user, review_progress_fn progress,
                          void *progress_user, review_outcome *out, minca_err *err);
/* The same for rows named by id alone (each must still be undecided by a person); rows
 * decided meanwhile keep their decision. *n_done: rows decided. No memory is returned. */
int review_decide_rows(PGconn *c, long long insurer_id, const long long *row_ids, size_t n, review_kind kind,
                       const char *cvegs, int year, const char *user, int *n_done, minca_err *err);

/* ---- re-running a case ---- */

/* Rows of the case a person decided, rows with a note a person wrote, and rows with either,
 * into the caller's three counters. No memory is returned. */
int review_case_reviewed(PGconn *c, long long insurer_id, long long case_id, int *decisions, int *notes, int *rows,
                         minca_err *err);
/* Decisions and notes held by a re-run of the case (profile_store_rerun_case) that came back
 * on no row, because the row reads differently now, into *out (empty while the case is still
 * being read; the caller clears it with store_review_carryover_list_clear, also on error). */
int review_carryover_pending(PGconn *c, long long insurer_id, long long case_id, store_review_carryover_list *out,
                             minca_err *err);
/* Discards them (audited with what each one was); *n receives how many. No memory is
 * returned. */
int review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user, int *n,
                             minca_err *err);

/* The difference of a case's latest revision (store_case_show's revision_diff) as lines, each
 * after indent: the counts, then + added, - removed, ~ changed units with each field's old and
 * new value. "" for the first revision. The caller g_free()s it. */
char *review_revision_summary(const json_t *diff, const char *indent);

#endif
