/* store_review: the statements of the review desk (src/store/review_repo.c): decisions on
 * matches, the case and row locks a decision takes, group decisions and their undo, the
 * corrections a decision writes and the decisions held across a re-run. Same conventions as
 * store.h: parameterised queries, 0 / -1 with the reason in err; a function that looks
 * something up returns 1 found, 0 absent, -1 on error. Functions marked "inside the caller's
 * transaction" do not begin or commit one.
 *
 * Ownership: strings and JSON passed in are borrowed for the call. Lists of rows are typed
 * (store_rows.h: each type generated from its column list): the function zeroes *out, fills
 * it, and the caller clears it with the type's _list_clear even on error. Only stored JSON
 * documents stay JSON (an audit entry's details, a case's suggestions): a json_t * stored
 * through a json_t ** argument or held in a row is a new reference, released with
 * json_decref() (the row's own by its _clear); other memory returned is said beside its
 * function.
 *
 * Locks are always taken in one order: the case row, then the vehicle row (and its match),
 * then the description's correction key. store_review_lock_row takes the first two itself. */
#ifndef MINCA_STORE_REVIEW_H
#define MINCA_STORE_REVIEW_H

#include "minca/store.h"
#include "minca/store_rows.h"

#include <glib.h>

/* A vehicle row, as the review reads it. The strings are g_malloc'd (never NULL: "" for SQL
 * NULL) and freed by store_review_row_clear(). */
typedef struct store_review_row {
    long long id;
    long long case_id;
    long long broker_id;   /* the case's broker; 0 when none (or not read) */
    char *marca;
    char *submarca;
    int year;              /* 0 when unknown */
    char *description;
    int inciso;            /* 0 when none (read by store_review_lock_row only) */
} store_review_row;
/* Frees the strings and zeroes the struct (safe on a zeroed or cleared one). */
void store_review_row_clear(store_review_row *row);

/* A row's match as the review reads it; "" where the column is NULL. */
typedef struct store_review_match {
    char cvegs[16];
    int year;
    char decision[24];
    char confidence[32];     /* the codifier's probability, as text */
    char reviewed_by[128];
    char reviewed_at[64];    /* timestamptz as text */
    long long catalog_version_id;  /* 0 when none */
    char version[96];        /* the match's version (decision, key, time decided), as the desk's rows carry it */
    char reviewed_hm[8];     /* HH:MM of reviewed_at, "" when none */
} store_review_match;

/* ---- locks (inside the caller's transaction) ---- */

/* Locks the case row (FOR NO KEY UPDATE); status (may be NULL, status_len bytes) receives its
 * status. An absent case is an error ("no case N"). */
int store_review_lock_case(PGconn *c, long long insurer_id, long long case_id, char *status, size_t status_len,
                           minca_err *err);
/* Locks the case, then the vehicle row (FOR UPDATE), and reads the row as it stands once both
 * are held into *row (may be NULL; zeroed first, the caller clears it). 1 locked, 0 no such row in the
 * case's insurer (the case is locked all the same), -1 on error (an absent case included). */
int store_review_lock_row(PGconn *c, long long insurer_id, long long case_id, long long row_id,
                          store_review_row *row, minca_err *err);
/* Serialises the decisions on one normalised description (transaction advisory lock). */
int store_review_lock_correction_key(PGconn *c, long long insurer_id, const char *norm_key, minca_err *err);

/* ---- rows and matches ---- */

/* The row without a lock (broker_id left 0); *row is cleared first, the caller clears it. */
int store_review_row_get(PGconn *c, long long insurer_id, long long row_id, store_review_row *row, minca_err *err);
/* The row's match into *out (zeroed first); lock: FOR UPDATE, after store_review_lock_row. */
int store_review_match_get(PGconn *c, long long row_id, bool lock, store_review_match *out, minca_err *err);
/* The active catalog version of the insurer holding key cvegs for model year `year`. */
int store_review_catalog_version(PGconn *c, long long insurer_id, const char *cvegs, int year,
                                 long long *version_id, minca_err *err);
/* Inside the caller's transaction: writes a person's decision on the row's match (created
 * when missing): cvegs (NULL: no key) and year, decision, reviewed_by = user, now;
 * catalog_version_id 0 keeps the stored one. The codifier's confidence stays with its own key
 * (accepted, picked again or no key), and is dropped for another key. */
int store_review_match_decide(PGconn *c, long long insurer_id, long long row_id, const char *cvegs, int year,
                              const char *decision, const char *user, long long catalog_version_id,
                              minca_err *err);
/* Inside the caller's transaction: puts back the match of an undone decision: every field of
 * before ("" fields as NULL; decision "" as needs_review; reviewed_at only with reviewed_by,
 * now when it is ""). A row that is gone changes nothing. */
int store_review_match_restore(PGconn *c, long long row_id, const store_review_match *before, minca_err *err);
/* Sets the note of the row's match (note NULL clears it). 1 set, 0 the row has no match. */
int store_review_match_note(PGconn *c, long long insurer_id, long long row_id, const char *note, minca_err *err);
/* Inside the caller's transaction: an exported case keeps its status but its reason says the
 * workbook no longer matches (nothing for a case that is not exported). */
int store_review_case_flag_changed(PGconn *c, long long case_id, minca_err *err);

/* ---- corrections ---- */

/* The ids a statement touched. */
#define STORE_REVIEW_ID_COLUMNS(X) X(id, LL)
STORE_ROW_TYPES(store_review_id, STORE_REVIEW_ID_COLUMNS)
/* Inside the caller's transaction: revokes (by user) the corrections in force for norm_key;
 * *out receives their ids. */
int store_review_corrections_revoke_key(PGconn *c, long long insurer_id, const char *norm_key, const char *user,
                                        store_review_id_list *out, minca_err *err);
/* Inside the caller's transaction: the correction of a decision (cvegs NULL: "no match"),
 * bound to broker_id (0: none) only when the insurer's setting corrections_per_broker is on;
 * *id receives its id. */
int store_review_correction_add(PGconn *c, long long insurer_id, const char *norm_key, const char *cvegs, int year,
                                long long source_row_id, const char *user, long long broker_id, long long *id,
                                minca_err *err);
/* The correction's norm_key into key (key_len bytes). */
int store_review_correction_key(PGconn *c, long long correction_id, char *key, size_t key_len, minca_err *err);
/* Revokes (by user) the correction when it is in force: 1 revoked, 0 it was not in force. */
int store_review_correction_revoke(PGconn *c, long long insurer_id, long long correction_id, const char *user,
                                   minca_err *err);
/* Inside the caller's transaction: brings back in force the corrections whose ids are in the
 * JSON array ids (borrowed; NULL: none). */
int store_review_corrections_restore(PGconn *c, json_t *ids, minca_err *err);
/* A correction as listed: cvegs NULL for "no match", year 0 when none; created_at and
 * revoked_at as "YYYY-MM-DD HH24:MI", revoked_by and revoked_at NULL while in force. */
#define STORE_REVIEW_CORRECTION_COLUMNS(X)                                                        \
    X(id, LL) X(norm_key, TEXT) X(cvegs, OPT_TEXT) X(year, INT) X(created_by, TEXT) X(created_at, TEXT) \
    X(revoked_by, OPT_TEXT) X(revoked_at, OPT_TEXT)
STORE_ROW_TYPES(store_review_correction, STORE_REVIEW_CORRECTION_COLUMNS)
/* The insurer's corrections, newest first (revoked ones too when include_revoked). */
int store_review_corrections_list(PGconn *c, long long insurer_id, bool include_revoked,
                                  store_review_correction_list *out, minca_err *err);

/* ---- the audit entries of decisions, for undo ---- */

/* The newest decision (review.accept / pick / no_match) of user on the case that no undo
 * refers to yet: *audit_id and *details (a new reference the caller json_decref's). */
int store_review_last_decision(PGconn *c, long long insurer_id, long long case_id, const char *user,
                               long long *audit_id, json_t **details, minca_err *err);
/* An audit entry of a decision: its id and details (the stored JSON document). */
#define STORE_REVIEW_DECISION_ENTRY_COLUMNS(X) X(id, LL) X(details, JSON)
STORE_ROW_TYPES(store_review_decision_entry, STORE_REVIEW_DECISION_ENTRY_COLUMNS)
/* The decisions of user tagged with group that no undo refers to yet, newest first. */
int store_review_group_decisions(PGconn *c, long long insurer_id, const char *user, const char *group,
                                 store_review_decision_entry_list *out, minca_err *err);
/* Whether the row was decided (or undone) again after audit entry audit_id: 1 yes, with the
 * actor of the newest such entry in actor (actor_len bytes), 0 no. */
int store_review_decided_since(PGconn *c, long long row_id, long long audit_id, char *actor, size_t actor_len,
                               minca_err *err);

/* ---- cases ---- */

/* Case id of a COT: 1 found (*case_id set), 0 absent. */
int store_review_case_find(PGconn *c, long long insurer_id, const char *cot, long long *case_id, minca_err *err);
/* Rows of the case (*rows) and how many of them still need a decision (*open): no decision,
 * needs_review, or the codifier's no_match. incisos (may be NULL) receives the first 12 open
 * incisos, comma-separated ("211, 340"; the caller g_free()s; "" when none). */
int store_review_case_open_rows(PGconn *c, long long insurer_id, long long case_id, long *open, long *rows,
                                char **incisos, minca_err *err);
/* Inside the caller's transaction: the case becomes ready (its reason cleared). */
int store_review_case_set_ready(PGconn *c, long long insurer_id, long long case_id, minca_err *err);
/* Locks the case (FOR UPDATE) and reads its suggested and missing_requirements JSON into
 * *suggested and *missing (new references, NULL when the column is NULL; the caller
 * json_decref's them). */
int store_review_case_suggestions(PGconn *c, long long insurer_id, long long case_id, json_t **suggested,
                                  json_t **missing, minca_err *err);
/* Inside the caller's transaction: stores both (borrowed); the pre-analysis is complete when
 * missing is empty, incomplete otherwise. */
int store_review_case_set_suggestions(PGconn *c, long long insurer_id, long long case_id, json_t *suggested,
                                      json_t *missing, minca_err *err);

/* How a row of a case is named (review_row_find). */
typedef enum { STORE_REVIEW_ROW_BY_ID, STORE_REVIEW_ROW_BY_INCISO, STORE_REVIEW_ROW_BY_FILE } store_review_row_by;
/* A row of a case as a name finds it: the file it came from (its name, else its sheet, else
 * "?") and that file's number in the message (0 when none). */
#define STORE_REVIEW_NAMED_ROW_COLUMNS(X) X(id, LL) X(file, TEXT) X(ordinal, INT)
STORE_ROW_TYPES(store_review_named_row, STORE_REVIEW_NAMED_ROW_COLUMNS)
/* Rows of the case named by key (a row id, or an inciso; with BY_FILE also the file: its
 * name, its number in the message or its sheet), at most 20 by id. */
int store_review_case_rows_named(PGconn *c, long long case_id, store_review_row_by by, const char *key,
                                 const char *file, store_review_named_row_list *out, minca_err *err);
/* An undecided row with its case's COT and its match's version ("" for NULL text, 0 for a
 * NULL inciso or year). */
#define STORE_REVIEW_UNDECIDED_COLUMNS(X)                                                         \
    X(id, LL) X(case_id, LL) X(cot, TEXT) X(inciso, INT) X(marca, TEXT) X(submarca, TEXT) X(year, INT) \
    X(description, TEXT) X(version, TEXT)
STORE_ROW_TYPES(store_review_undecided, STORE_REVIEW_UNDECIDED_COLUMNS)
/* Undecided rows (the codifier left them to a person and nobody decided them): every one of
 * case_id but row_id; or, across_cases, those of the insurer's other open cases (case_id left
 * out) whose match stores norm_key. By case and id; the caller compares their keys. */
int store_review_undecided_rows(PGconn *c, long long insurer_id, long long row_id, long long case_id,
                                const char *norm_key, bool across_cases, store_review_undecided_list *out,
                                minca_err *err);
/* ---- many rows in a few statements ---- */

/* A row and its match as a group decision reads them under their locks. */
typedef struct store_review_locked {
    store_review_row row;      /* broker_id and inciso read too; strings freed by store_review_locked_clear */
    store_review_match match;  /* all "" when the row has no match */
} store_review_locked;
/* Clears each element's row and frees the array (safe on NULL). */
void store_review_locked_free(GArray *rows);
/* Inside the caller's transaction: locks the cases of the rows among ids[0..n) (borrowed) that
 * belong to the insurer, in case order, then those rows and their matches, and reads them:
 * a new GArray of store_review_locked in lock order (case, then id) the caller frees with
 * store_review_locked_free(); NULL + err on failure. */
GArray *store_review_lock_rows(PGconn *c, long long insurer_id, const long long *ids, size_t n, minca_err *err);

/* One row's decision in a group (store_review_decide_many); everything borrowed. */
typedef struct store_review_decision {
    long long row_id;
    long long case_id;
    long long broker_id;         /* 0: none */
    const char *norm_key;
    const char *cvegs;           /* NULL: no key ("no match") */
    int year;
    const char *decision;        /* accepted, picked, rejected */
    const char *action;          /* the audit action: review.accept, review.pick, review.no_match */
    long long catalog_version_id;  /* 0 keeps the stored one */
    json_t *before;              /* the match before, for undo */
} store_review_decision;
/* Inside the caller's transaction, after store_review_lock_rows and the correction keys'
 * locks: the n decisions in a few statements, as n single decisions in their order would
 * leave them: each match decided; per description, the corrections in force revoked and one
 * correction a row, only the last in force, each row's audit entry naming the corrections
 * its own replaced (undo takes them back newest first) and the group. */
int store_review_decide_many(PGconn *c, long long insurer_id, const char *user, const char *group,
                             const store_review_decision *d, size_t n, minca_err *err);

/* ---- decisions held across a re-run ---- */

/* Rows of the case a person decided, rows with a note a person wrote, and rows with either. */
int store_review_case_reviewed(PGconn *c, long long insurer_id, long long case_id, int *decisions, int *notes,
                               int *rows, minca_err *err);
/* A decision held across a re-run: where its row was (inciso and year 0, source_sheet NULL
 * when none), the description it was taken on, and what it was (cvegs, note and reviewed_by
 * NULL when none). */
#define STORE_REVIEW_CARRYOVER_COLUMNS(X)                                                         \
    X(id, LL) X(inciso, INT) X(source_sheet, OPT_TEXT) X(source_row, INT) X(description, TEXT)    \
    X(cvegs, OPT_TEXT) X(year, INT) X(decision, TEXT) X(note, OPT_TEXT) X(reviewed_by, OPT_TEXT)
STORE_ROW_TYPES(store_review_carryover, STORE_REVIEW_CARRYOVER_COLUMNS)
/* The held decisions no row took back, once the case is read and codified again. */
int store_review_carryover_pending(PGconn *c, long long insurer_id, long long case_id,
                                   store_review_carryover_list *out, minca_err *err);
/* Inside the caller's transaction: discards them (by user); *out receives what each one was. */
int store_review_carryover_discard(PGconn *c, long long insurer_id, long long case_id, const char *user,
                                   store_review_carryover_list *out, minca_err *err);

#endif
