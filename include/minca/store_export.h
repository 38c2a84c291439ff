/* store_export: what the export of a case reads and records (export_repo.c): the case row
 * locked for the export, the next version, the case's header fields, the exports rows. Same
 * conventions as store.h: parameterised queries, 0 / -1 with the reason in err.
 *
 * Ownership: the strings of a store_export_header are g_malloc'd and belong to it
 * (store_export_header_clear frees them; a caller may move a pointer out and set it NULL).
 * Every other string is borrowed for the call only. */
#ifndef MINCA_STORE_EXPORT_H
#define MINCA_STORE_EXPORT_H

#include "minca/store.h"

typedef struct store_export_lock {
    long long case_id;
    bool in_error;           /* status 'error' */
    char reason[256];        /* status_reason ("" when none) */
    char unconfirmed[256];   /* suggested fields nobody confirmed, "a, b" ("" when none) */
} store_export_lock;
/* Locks case cot of the insurer (FOR UPDATE, until the caller's transaction ends) so that
 * concurrent exports of it take turns. 1 when found, 0 when there is no such case, -1 error. */
int store_export_lock_case(PGconn *c, long long insurer_id, const char *cot, store_export_lock *out, minca_err *err);
/* The version the next export of the case gets (1 for the first). Run it after the lock: a
 * statement of its own sees the versions committed meanwhile. */
int store_export_next_version(PGconn *c, long long insurer_id, const char *cot, int *version, minca_err *err);

/* The case's fields the quote shows; NULL when absent. */
typedef struct store_export_header {
    long long case_id;
    int revision;              /* revision of the case's vehicle list (1: as first received) */
    char *cot, *insurer, *insurer_name;
    char *client_name, *client_rfc;
    char *broker;              /* the broker's name, else who sent the request */
    char *received_date;       /* YYYY-MM-DD in the insurer's time zone */
    char *coverage, *vigencia_start, *vigencia_end, *payment_terms, *use;
    char *catalog_version;     /* "label (source)" of the active catalog */
    char *contact;             /* name · phone · email */
    char *agent;               /* the agent key stated in the body */
} store_export_header;
/* 1 found, 0 no such case, -1 error. */
int store_export_header_get(PGconn *c, long long insurer_id, const char *cot, store_export_header *out,
                            minca_err *err);
void store_export_header_clear(store_export_header *h);

/* One exported file, inside the caller's transaction (the case row locked). */
typedef struct store_export_file {
    long long insurer_id, case_id;
    int version;
    const char *format;        /* "xlsx" | "pdf" */
    const char *template_name, *template_version;
    const char *sha256;        /* of the bytes, stored as a blob */
    const char *path;
    bool forced;
    const char *exported_by;
} store_export_file_row;
int store_export_record(PGconn *c, const store_export_file_row *f, minca_err *err);
/* The case is exported (status 'exported', no reason). */
int store_export_mark_case(PGconn *c, long long case_id, minca_err *err);

#endif
