/* engine: pipeline steps that wire intake, docs/profile, codify and store together.
 * Each step runs in its own PostgreSQL transaction on a connection the caller owns, and is
 * idempotent (unique keys guard every effect), so running it twice has the effect of once. */
#ifndef MINCA_ENGINE_H
#define MINCA_ENGINE_H

#include "minca/core.h"
#include "minca/store.h"
#include "minca/store_revision.h"

#include <jansson.h>

typedef struct engine_ingest_result {
    long long message_id;      /* messages.id (0 when nothing was stored) */
    long long case_id;         /* cases.id, 0 when the message opens or joins no case */
    bool joined;               /* the message answers case_id (opened before): it opened none */
    char joined_by[16];        /* how: "in_reply_to", "references", "cot_subject", "cot_body" */
    bool has_list;             /* the joined message carries a vehicle list (a revision to read) */
    char cot[64];              /* COT number of the case, "" when none */
    bool duplicate;            /* this message (same Message-ID and same raw bytes) was already stored */
    bool message_id_reused;    /* the Message-ID belongs to a different stored message: kept, flagged */
    bool parse_failed;         /* not readable as an email: recorded with its error */
    char error[1024];          /* the reason when parse_failed */
    int n_attachments;
    int n_problems;            /* MIME problems recorded on the message */
    char subject[256];
    char from[256];
} engine_ingest_result;

/* Ingests one raw message for the insurer: stores the raw bytes and every attachment as blobs,
 * the message (unique per insurer by Message-ID) and, when the message asks for a quote, a
 * case with a new COT number and the body's pre-analysis. source is the kind ("eml",
 * "maildir", "imap", "graph", "manual"); source_name the configured source (NULL for a
 * batch); origin the source's id of the message (file path, IMAP "UIDVALIDITY:UID", Graph id). Runs inside the caller's open transaction (the caller
 * commits, or rolls back on -1). hints may be NULL. Returns -1 only when the database fails (err); a broken
 * email is recorded (res->parse_failed) and returns 0. */
/* What the source knew about the message beyond its bytes (all borrowed, all optional). */
typedef struct engine_ingest_hints {
    const char *content_sha256;  /* the source's identity of the message (see intake_item) */
    const json_t *notes;         /* array of strings: kept among the message's problems */
} engine_ingest_hints;

int engine_ingest(PGconn *c, const store_insurer *ins, const char *source, const char *source_name, const char *origin,
                  const char *data, size_t len, const engine_ingest_hints *hints, engine_ingest_result *res,
                  minca_err *err);

/* The difference from revision old to revision cur of a case's list: each unit of cur is
 * matched to an old unit by VIN, else by plates, else by inciso and description (spaces,
 * dashes, dots and letter case aside), then compared field by field (STORE_UNIT_FIELDS).
 * Returns a new object {added: [unit], removed: [unit], changed: [unit + changes: [{field,
 * from, to}]], kept: N}; keep_from (cur->n entries, the caller's) receives for each unit of
 * cur the id of the old unit it reads the same as, 0 when added or changed. */
json_t *engine_revision_diff(const store_units *old, const store_units *cur, long long *keep_from);

#endif
