/* steps: the pipeline's job kinds and their handlers (src/engine/steps*.c).
 *
 * Each kind is one engine_handler entry in the file that implements it and one row in
 * steps_handlers (steps.c), the table every entry point gives engine_start(). Entries and the
 * table are static data: nothing to free. */
#ifndef MINCA_STEPS_H
#define MINCA_STEPS_H

#include "minca/codify.h"
#include "minca/engine_run.h"
#include "minca/queue.h"
#include "minca/store.h"

#define STEP_INGEST "ingest"      /* {sha256, origin, source}: raw email blob -> message, case */
#define STEP_EXTRACT "extract"    /* {case_id}: attachments and body tables -> vehicle rows */
#define STEP_CODIFY "codify"      /* {case_id}: vehicle rows without a match -> matches */
#define STEP_PROBE "probe"        /* {sleep_ms, fail}: diagnostics for operators */

/* The pipeline's job kinds, NULL-terminated: engine_opts.handlers. */
extern const engine_handler *const steps_handlers[];
/* The extract step (steps_extract.c). */
extern const engine_handler steps_extract_entry;
/* Recomputes a case's status from its rows' decisions (review / ready). */
int steps_update_case_status(PGconn *c, long long case_id, minca_err *err);
/* A job of a case ended dead: the case shows status error with the reason, so it does not
 * sit in an intermediate status (retrying the job runs the step again). */
void steps_job_dead(PGconn *c, const queue_job *job, const char *error);
/* Candidates of a codifier result as the JSON stored in matches.candidates. */
json_t *steps_candidates_json(const codify_result *res);

#endif
