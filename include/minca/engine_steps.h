/* steps: the pipeline's job kinds, their payloads and their handlers (src/engine/steps*.c).
 *
 * Each kind is one row (an engine_kind, engine_run.h) defined in the file that implements it,
 * listed once in steps_kinds (steps.c), the table every entry point gives engine_start().
 * Callers enqueue with engine_enqueue(c, &steps_ingest, &(steps_ingest_job){...}, ...): the
 * payload is the kind's struct, never JSON built by hand. Rows and the table are static data:
 * nothing to free. */
#ifndef MINCA_ENGINE_STEPS_H
#define MINCA_ENGINE_STEPS_H

#include "minca/codify.h"
#include "minca/engine_run.h"
#include "minca/queue.h"
#include "minca/store.h"

/* ingest: a raw email blob -> message, case. Strings are borrowed. */
typedef struct steps_ingest_job {
    const char *sha256;       /* the raw bytes' blob (required) */
    const char *origin;       /* file path or the source's id of the message */
    const char *source;       /* eml, maildir, imap, graph, manual (NULL: eml) */
    const char *source_name;  /* the configured source, NULL for a batch */
    const char *source_id;    /* the source's own id of the message, when it has one */
    const char *content_sha256; /* the source's identity of the message (intake_item), or NULL */
    const char *notes;        /* problems the source noted, one per line, or NULL */
} steps_ingest_job;

/* extract (attachments and body tables -> vehicle rows) and codify (rows -> matches). */
typedef struct steps_case_job {
    long long case_id;        /* required */
} steps_case_job;

/* revise: a reply of the case carrying a vehicle list -> revision N+1 of the case's list. */
typedef struct steps_revise_job {
    long long case_id;        /* required */
    long long message_id;     /* messages.id of the reply (required) */
} steps_revise_job;

/* outbox: send one message of the outbox (store_outbox.h). */
typedef struct steps_outbox_job {
    long long outbox_id;      /* required */
} steps_outbox_job;

/* probe: diagnostics for operators (minca jobs probe). */
typedef struct steps_probe_job {
    long long sleep_ms;
    const char *fail;         /* fail with this text */
    long long permanent;      /* non-zero: the failure is permanent (dead at once) */
} steps_probe_job;

extern const engine_kind steps_ingest;    /* transient; the blob gone is permanent */
extern const engine_kind steps_extract;   /* transient; on dead: the case shows error */
extern const engine_kind steps_revise;    /* transient; on dead: the case shows error */
extern const engine_kind steps_codify;    /* transient; waits for a catalog; on dead: case error */
extern const engine_kind steps_outbox;    /* transient (back-off while the server fails); sent once */
extern const engine_kind steps_probe;     /* transient unless asked */

/* The pipeline's job kinds, NULL-terminated: engine_opts.kinds. */
extern const engine_kind *const steps_kinds[];

/* The ingest job of a raw message whose bytes are stored (blob job->sha256), inside the
 * caller's open transaction: keyed by insurer and bytes (steps_ingest_key), so the same bytes
 * are queued once; with revive_dead a dead job of the same bytes is queued again. *job_id: the
 * id, or 0 when the job existed already. The one place a message is handed to the pipeline
 * (minca batch, the mail sources, the desk's typed mail). */
int steps_enqueue_ingest(PGconn *c, long long insurer_id, const steps_ingest_job *job, const char *batch_id,
                         bool revive_dead, long long *job_id, minca_err *err);
/* The ingest job's idempotency key for the insurer and the message's bytes, into key. */
void steps_ingest_key(long long insurer_id, const char *sha256, char key[96]);

/* The extract handler (steps_extract.c), steps_extract's row. */
int steps_extract_run(engine_ctx *ctx, const void *payload, minca_err *err);
/* The revise handler (steps_extract.c), steps_revise's row: reads the reply's list into the
 * case, keeps the match of every unit that reads the same (engine_revision_diff), records the
 * revision and codifies the rest. A reply without readable rows changes nothing. */
int steps_revise_run(engine_ctx *ctx, const void *payload, minca_err *err);
/* Recomputes a case's status from its rows' decisions (review / ready). */
int steps_update_case_status(PGconn *c, long long case_id, minca_err *err);
/* Candidates of a codifier result as the JSON stored in matches.candidates. */
json_t *steps_candidates_json(const codify_result *res);

#endif
