/* profile_store (module desk, src/desk/profile_store.c): broker profiles saved in PostgreSQL
 * (versioned, one active version per name) and bound to the broker's sender domains;
 * re-running a case's extraction after a change.
 *
 * Module desk: the dependency runs one way: tui and cli include desk; desk includes store,
 * access, profile, queue and the engine's public engine_steps.h (the job kind a re-run queues);
 * engine never includes desk.
 *
 * Ownership: every pointer passed in (yaml, domain, author, name, user, batch_id) is borrowed
 * for the call only; what a function returns is said beside it. The connection stays the
 * caller's; each change runs in its own transaction (do not call these inside one). */
#ifndef MINCA_DESK_PROFILE_STORE_H
#define MINCA_DESK_PROFILE_STORE_H

#include "minca/core.h"
#include "minca/store.h"
#include "minca/store_profile.h"

typedef struct profile_saved {
    long long id;          /* broker_profiles.id */
    int version;
    long long broker_id;   /* 0 when no domain was bound */
} profile_saved;

/* Validates yaml (it must load as a profile), stores it as the next version of its name
 * (the previous active version is kept, inactive) and binds every sender domain it names,
 * plus `domain` when given, to the broker (created from the profile's description or name).
 * One transaction, audited with author. *out is the caller's struct (filled in, no memory
 * to free). */
int profile_store_save(PGconn *c, long long insurer_id, const char *yaml, const char *domain, const char *author,
                       profile_saved *out, minca_err *err);
/* Stored profiles of the insurer (every version with active flag, by name, newest first) into
 * *out (store_profile.h's rows; the caller clears it with store_profile_version_list_clear,
 * also on error). */
int profile_store_list(PGconn *c, long long insurer_id, store_profile_version_list *out, minca_err *err);
/* The YAML of the active version of name: a new string the caller g_free()s; NULL + err
 * when absent or on failure. *version (may be NULL) receives its version. */
char *profile_store_get(PGconn *c, long long insurer_id, const char *name, int *version, minca_err *err);

/* Discards the case's extracted rows and matches and queues its extraction again (with the
 * broker's current profile). Refused for an exported case. The new job's id goes to *job_id
 * and it carries batch_id (may be NULL) so the caller can wait for it. No memory is
 * returned. */
int profile_store_rerun_case(PGconn *c, long long insurer_id, long long case_id, const char *user,
                             const char *batch_id, long long *job_id, minca_err *err);

#endif
