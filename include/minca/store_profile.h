/* store_profile: broker profiles stored in PostgreSQL (src/store/profile_repo.c): their
 * versions, the brokers and sender domains they are bound to, and the statements of
 * re-running a case's extraction. Same conventions as store.h: parameterised queries, 0 / -1
 * with the reason in err; a look-up returns 1 found, 0 absent, -1 on error. Functions marked
 * "inside the caller's transaction" do not begin or commit one. Strings passed in are
 * borrowed for the call; lists of rows are typed (store_rows.h) and cleared by the caller. */
#ifndef MINCA_STORE_PROFILE_H
#define MINCA_STORE_PROFILE_H

#include "minca/store.h"
#include "minca/store_rows.h"

/* Inside the caller's transaction: the insurer's broker called name, created when missing;
 * *broker_id receives its id. */
int store_profile_broker_ensure(PGconn *c, long long insurer_id, const char *name, long long *broker_id,
                                minca_err *err);
/* Inside the caller's transaction: mail from domain (stored as given: the caller lowercases
 * it) belongs to broker_id, replacing an earlier binding. */
int store_profile_domain_bind(PGconn *c, long long insurer_id, const char *domain, long long broker_id,
                              minca_err *err);
/* Inside the caller's transaction: stores yaml as the next version of name, the active one
 * (the previous active version is kept, inactive; the name is locked until commit).
 * broker_id 0: none. *id and *version receive the new row's. */
int store_profile_add_version(PGconn *c, long long insurer_id, long long broker_id, const char *name,
                              const char *yaml, const char *author, long long *id, int *version, minca_err *err);
/* A stored profile version: created_at "YYYY-MM-DD HH24:MI"; author and broker NULL when
 * none; domains its broker's sender domains, ", "-separated, NULL when none. */
#define STORE_PROFILE_VERSION_COLUMNS(X)                                                          \
    X(id, LL) X(name, TEXT) X(version, INT) X(active, BOOL) X(author, OPT_TEXT) X(broker, OPT_TEXT) \
    X(created_at, TEXT) X(domains, OPT_TEXT)
STORE_ROW_TYPES(store_profile_version, STORE_PROFILE_VERSION_COLUMNS)
/* Every stored version of the insurer's profiles, by name and newest version first, into *out
 * (zeroed first; the caller clears it with store_profile_version_list_clear, also on error). */
int store_profile_list(PGconn *c, long long insurer_id, store_profile_version_list *out, minca_err *err);
/* The active version of name: *yaml (the caller g_free()s it) and *version (may be
 * NULL). 1 found, 0 absent (*yaml NULL). */
int store_profile_active(PGconn *c, long long insurer_id, const char *name, char **yaml, int *version,
                         minca_err *err);

/* ---- re-running a case ---- */

/* Inside the caller's transaction: locks the case (FOR UPDATE) and reads whether it was
 * exported (*exported) and the broker its sender's domain is bound to now (*broker_id, 0 when
 * none). 1 found, 0 absent. */
int store_profile_rerun_lock_case(PGconn *c, long long insurer_id, long long case_id, bool *exported,
                                  long long *broker_id, minca_err *err);
/* Inside the caller's transaction: holds the decisions and notes a person made on the case's
 * rows (review_carryover), discards its rows and matches, sets its attachments back to stored
 * and the case to extracting (broker_id, when not 0, becomes its broker). */
int store_profile_rerun_reset(PGconn *c, long long case_id, long long broker_id, minca_err *err);

#endif
