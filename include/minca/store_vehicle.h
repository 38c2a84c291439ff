/* store_vehicle: vehicle rows and their matches (vehicle_repo.c) as extraction and codify
 * write them and the export of a case reads them. Same conventions as store.h: parameterised
 * queries, 0 / -1 with the reason in err.
 *
 * The mapping between a vehicle_row and a vehicle_rows row is one table in vehicle_repo.c
 * (VEHICLE_COLUMNS, whose canonical fields are core_vehicle.h's VEHICLE_FIELDS): the insert and the
 * export's select are both made from it, so a new vehicle field is its row in VEHICLE_FIELDS
 * (and its column in a migration).
 *
 * Ownership: a store_vehicle_batch is the caller's (store_vehicle_batch_free); the rows added
 * to it are copied, never kept. Strings in store_codify_row belong to the store_codify_rows
 * that holds them (store_codify_rows_clear). The vehicle_row and store_match_read handed to a
 * store_export_row_fn belong to the callback from then on (vehicle_row_clear /
 * store_match_read_clear, or move the pointers out). */
#ifndef MINCA_STORE_VEHICLE_H
#define MINCA_STORE_VEHICLE_H

#include "minca/store.h"
#include "minca/core_vehicle.h"

/* ---- writing extracted rows ---- */
/* Rows of one source (an attachment, or attachment_id 0: a table of the message body) of a
 * case, queued and inserted many per statement. */
typedef struct store_vehicle_batch store_vehicle_batch;
store_vehicle_batch *store_vehicle_batch_new(long long insurer_id, long long case_id, long long attachment_id);
void store_vehicle_batch_free(store_vehicle_batch *b);
/* Queues a copy of v as it will be stored. An insured amount the column cannot hold (negative
 * values mean absent; at least 10^12 or not finite) is stored as NULL with an issue on the row.
 * Fails (nothing queued) when a text is not valid UTF-8. */
int store_vehicle_batch_add(store_vehicle_batch *b, const vehicle_row *v, minca_err *err);
/* Rows queued and not inserted yet. */
size_t store_vehicle_batch_pending(const store_vehicle_batch *b);
/* Inserts the queued rows in their order (rows already stored are skipped: a retry) and
 * empties the queue; *inserted (may be NULL) receives how many were new. */
int store_vehicle_batch_flush(PGconn *c, store_vehicle_batch *b, int *inserted, minca_err *err);

/* ---- codify ---- */
typedef struct store_codify_row {
    long long id;          /* vehicle_rows.id */
    char *marca;           /* "" when NULL */
    char *submarca;        /* "" when NULL */
    int year;              /* 0 when NULL */
    char *description;     /* "" when NULL */
    char *vin;             /* NULL when NULL */
    char *broker;          /* the case's broker id as text; NULL when none */
    double ocr_confidence; /* read from an image: its OCR confidence 0..100; -1 when not */
} store_codify_row;
typedef struct store_codify_rows {
    store_codify_row *rows;
    int n;
} store_codify_rows;
/* Up to limit rows of the case without a match, in id order. */
int store_vehicle_unmatched(PGconn *c, long long case_id, int limit, store_codify_rows *out, minca_err *err);
void store_codify_rows_clear(store_codify_rows *rows);

/* The codifier's match of one row (borrowed strings). cvegs NULL or "": no key (year is then
 * not stored); note, model_note NULL when absent. */
typedef struct store_match_new {
    long long vehicle_row_id, insurer_id, catalog_version_id;
    const char *cvegs;
    int year;
    double confidence;     /* stored rounded to 6 decimals */
    const char *decision;
    const char *candidates_json;
    const char *note, *model_note, *norm_key;
} store_match_new;
/* Inserts the match unless the row has one already. */
int store_match_insert(PGconn *c, const store_match_new *m, minca_err *err);
/* Brings back the decisions and notes held for the case by a re-run (review_carryover) onto
 * the rows read again from the same source position with the same content, over their fresh
 * matches, each with a review.kept audit entry. */
int store_match_restore_carryover(PGconn *c, long long case_id, minca_err *err);

/* ---- reading for export ---- */
/* A row's match as the export reads it: strings g_malloc'd, NULL when absent. */
typedef struct store_match_read {
    char *cvegs;
    char *description, *brand, *model, *body;   /* the catalog entry of the key */
    int year;                                   /* 0 when unknown */
    double confidence;                          /* < 0 when unknown */
    char *decision;                             /* never NULL: 'needs_review' when no match */
    char *reviewer;
    char *note;                                 /* the latest review note */
    char *source_file;                          /* the attachment's file name; NULL: the body */
} store_match_read;
void store_match_read_clear(store_match_read *m);
/* Called once per row; v and m are the callback's (see Ownership above). Returns 0, or -1 to
 * stop with err set. */
typedef int (*store_export_row_fn)(vehicle_row *v, store_match_read *m, void *user, minca_err *err);
/* Every row of the case with its match, in source order: attachment by attachment (the body's
 * own table first), each sheet in the order it was read, then by inciso. */
int store_vehicle_rows_for_export(PGconn *c, long long case_id, store_export_row_fn fn, void *user, minca_err *err);

#endif
