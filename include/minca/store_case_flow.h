/* store_case_flow: cases as the pipeline opens and moves them (case_flow_repo.c): opened by
 * ingest, locked and read by extraction, their status set by extraction, codify and a failed
 * step. Same conventions as store.h: parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: the strings of a store_case_source are g_malloc'd and belong to it
 * (store_case_source_clear). Every other string is borrowed for the call only. */
#ifndef MINCA_STORE_CASE_FLOW_H
#define MINCA_STORE_CASE_FLOW_H

#include "minca/store.h"

/* A case to open (borrowed strings; NULL when absent; *_json are JSON texts). */
typedef struct store_case_new {
    long long insurer_id, message_id;
    long long broker_id;           /* 0: none known */
    const char *cot;
    const char *client_name, *rfc, *contact_json, *coverage, *payment_terms, *uso;
    const char *uso_stated;     /* the use in the broker's words; may be NULL */
    const char *validity_start, *validity_end;   /* dates as text */
    const char *preanalysis_status;              /* "complete" | "incomplete" */
    const char *missing_json;                    /* array of missing requirements */
    bool needs_profile;
    const char *suggested_json;                  /* object of suggested fields */
} store_case_new;
int store_case_open(PGconn *c, const store_case_new *k, long long *case_id, minca_err *err);

/* Locks the case row until the caller's transaction ends. */
int store_case_lock(PGconn *c, long long case_id, minca_err *err);

/* What the extraction of a case reads: its message and the broker's active profile. */
typedef struct store_case_source {
    long long message_id;
    char *sender_domain;           /* NULL when none */
    char *forwarded_domain;        /* domain of the forwarded email's author, NULL when none */
    char *body_html;               /* NULL when none */
    char *profile_yaml;            /* the broker's active profile (newest version), NULL when none */
    char *profile_origin;          /* "name vN" of it */
} store_case_source;
/* The message holding the case's current list (the one that opened it, or the reply of its
 * latest revision). 1 found, 0 no such case, -1 error. */
int store_case_source_get(PGconn *c, long long case_id, store_case_source *out, minca_err *err);
/* The same for message_id, a message of the case (a reply being read as a new revision);
 * 0 when the case has no such message. */
int store_case_source_of(PGconn *c, long long case_id, long long message_id, store_case_source *out, minca_err *err);
void store_case_source_clear(store_case_source *s);

/* The extraction's outcome: status ("codifying" | "error") and reason (NULL: none); the
 * case needs a profile when it did already or needs_profile says so. */
int store_case_extracted(PGconn *c, long long case_id, const char *status, const char *reason, bool needs_profile,
                         minca_err *err);
/* While codify works through a case in chunks: "codifying: N of M vehicle(s) done". */
int store_case_codify_progress(PGconn *c, long long case_id, minca_err *err);
/* The status from the rows' decisions: review while a row needs a person (or there are no
 * rows), ready when every row has a decided key. An exported case stays exported. */
int store_case_settle_status(PGconn *c, long long case_id, minca_err *err);
/* A step of the case waits for something it needs (reason says what): the status stays, the
 * reason shows it (unless exported). */
int store_case_waiting(PGconn *c, long long case_id, const char *reason, minca_err *err);
/* A step of the case failed for good: status error with reason (unless exported). */
int store_case_mark_failed(PGconn *c, long long case_id, const char *reason, minca_err *err);
/* Sets the broker of the case and of its message where none is set yet. */
int store_case_set_broker(PGconn *c, long long case_id, long long broker_id, minca_err *err);

#endif
