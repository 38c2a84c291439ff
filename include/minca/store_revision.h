/* store_revision: revisions of a case's vehicle list (revision_repo.c) and the client fields a
 * later message fills. Same conventions as store.h: parameterised queries, 0 / -1 with the
 * reason in err.
 *
 * Ownership: the strings of a store_units are g_malloc'd and belong to it (store_units_clear);
 * *filled of store_case_fill is g_malloc'd and the caller's (g_free). Every other string or JSON
 * text passed in is borrowed for the call only. */
#ifndef MINCA_STORE_REVISION_H
#define MINCA_STORE_REVISION_H

#include "minca/store.h"
#include "minca/store_rows.h"

/* The fields a unit is compared on, in the order shown (one list: the unit's struct, the
 * query and the difference all read it). */
#define STORE_UNIT_FIELDS(X) \
    X(marca) X(submarca) X(year) X(description) X(vin) X(plates) X(engine_number) X(use) X(service) \
    X(coverage) X(insured_amount)

/* One vehicle row of a case as text ("" when absent), with its match. */
typedef struct store_unit {
    long long id;
    char *inciso;
#define STORE_UNIT_MEMBER(f) char *f;
    STORE_UNIT_FIELDS(STORE_UNIT_MEMBER)
#undef STORE_UNIT_MEMBER
    char *decision;   /* "" when not codified */
} store_unit;
typedef struct store_units {
    store_unit *items;
    int n;
} store_units;

/* The case's rows with after_id < id <= upto_id, in source order. */
int store_units_of_case(PGconn *c, long long case_id, long long after_id, long long upto_id, store_units *out,
                        minca_err *err);
void store_units_clear(store_units *u);
/* The highest row id of the case (0: none). */
int store_units_last_id(PGconn *c, long long case_id, long long *last_id, minca_err *err);

/* Removes the case's rows with id > after_id (a new list refused half-read). */
int store_units_drop_after(PGconn *c, long long case_id, long long after_id, minca_err *err);

/* The new row to_id reads as from_id: it takes from_id's match (key, decision, reviewer, note). */
int store_unit_keep_match(PGconn *c, long long from_id, long long to_id, minca_err *err);

/* Revision N+1 of the case from message_id: the rows up to last_old_id (revision N) are kept
 * with their matches in case_revisions.previous_units and removed from the case; diff_json is
 * the difference; the case reads its list from message_id from now on. *revision receives N+1. */
int store_revision_record(PGconn *c, long long case_id, long long message_id, long long last_old_id,
                          const char *diff_json, int *revision, minca_err *err);

/* A case's latest revision: its number, its difference (the stored JSON document; NULL when
 * none is recorded, as for revision 1), the message it came from and when (NULL when none). */
#define STORE_REVISION_COLUMNS(X)                                                                 \
    X(revision, INT) X(diff, JSON) X(message_id, OPT_TEXT) X(from_addr, OPT_TEXT) X(subject, OPT_TEXT) \
    X(created_at, OPT_TEXT)
STORE_ROW_TYPES(store_revision_row, STORE_REVISION_COLUMNS)
/* The case's latest revision into *out (zeroed first, all zero when there is no such case;
 * the caller clears it with store_revision_row_clear, also on error). */
int store_revision_latest(PGconn *c, long long case_id, store_revision_row *out, minca_err *err);

/* The client fields a later message of the case states that the case lacks (borrowed, NULL
 * when the message does not state it). */
typedef struct store_case_fill_in {
    const char *client_name, *rfc, *coverage, *payment_terms, *uso, *validity_start, *validity_end;
    bool has_list;    /* the message carries a vehicle list */
} store_case_fill_in;
/* Fills what the case lacks from message_id, drops them from its missing list and records
 * where each came from (cases.filled_from). *filled: the names filled, comma-separated, ""
 * when none. */
int store_case_fill(PGconn *c, long long case_id, long long message_id, const store_case_fill_in *f, char **filled,
                    minca_err *err);

#endif
