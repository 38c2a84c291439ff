/* store: PostgreSQL access. One connection per thread (libpq connections are not shared);
 * every query goes through PQexecParams. Functions return 0 / -1 with the reason in err. */
#ifndef MINCA_STORE_H
#define MINCA_STORE_H

#include "minca/core.h"
#include "minca/store_rows.h"

#include <jansson.h>
#include <libpq-fe.h>

/* Connects to servers_database_url() (call store_servers_ensure() first). Caller owns the
 * connection (PQfinish). */
PGconn *store_connect(minca_err *err);
/* Same, giving up after timeout_seconds (health checks must answer even when the server's
 * host is unreachable). */
PGconn *store_connect_timeout(int timeout_seconds, minca_err *err);
/* A connection listening on the desk's live-update channel (a job that finishes notifies it,
 * migration 081): wait for input on PQsocket(), then call store_events_drain. NULL on error;
 * the caller PQfinish()es it. */
PGconn *store_events_listen(minca_err *err);
/* Reads what arrived without blocking: the number of notices (0: none), -1 when the
 * connection is lost. */
int store_events_drain(PGconn *c);
/* Connects, applies pending migrations, runs the login hook (access.h) and applies the
 * user's session: the usual start of a command. */
PGconn *store_open(minca_err *err);

/* ---- the logged-in user's session (set once by the login check) ---- */
/* insurer_ids: "*" (every insurer) or "1,4", the insurers row-level security lets the
 * session see; NULL: no scope (connections keep the login's own rights). Every connection
 * made afterwards (store_connect*, store_open) takes it. */
void store_set_session_scope(const char *insurer_ids);
/* Sets the scope on c and, when the login may, switches it to the application role
 * minca_app. Call again after PQreset (a reset connection starts a new session). */
int store_session_apply(PGconn *c, minca_err *err);
/* Runs in store_open() after migrations, before the session is applied. */
typedef int (*store_login_fn)(PGconn *c, minca_err *err);
void store_set_login_hook(store_login_fn fn);
/* The operating-system account written with every audit entry (static copy; NULL if unset). */
void store_set_audit_os_login(const char *login);
const char *store_audit_os_login(void);

/* Runs a parameterised statement. Returns the result (caller PQclear's it) or NULL on
 * error with the server's message in err. */
PGresult *store_query(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params);
/* Same, for statements whose result is not needed. */
int store_exec(PGconn *c, minca_err *err, const char *sql, int n, const char *const *params);
int store_begin(PGconn *c, minca_err *err);
int store_commit(PGconn *c, minca_err *err);
void store_rollback(PGconn *c);

/* ---- statement parameters (params.c) ----
 * Build a statement's parameters in place instead of formatting numbers by hand:
 *
 *     store_params p = {0};
 *     store_param_id(&p, insurer_id);
 *     store_param_text(&p, cot);
 *     PGresult *r = store_query_p(c, err, "SELECT ... WHERE insurer_id = $1 AND cot = $2", &p);
 *
 * Numbers are formatted into the struct's own storage; text is borrowed (the caller keeps it
 * alive until the statement has run). Past STORE_PARAMS_MAX the struct is marked overflowed
 * and the statement fails with an error instead of running with missing parameters. */
#define STORE_PARAMS_MAX 32
typedef struct store_params {
    int n;
    bool overflow;
    const char *values[STORE_PARAMS_MAX];
    char numbers[STORE_PARAMS_MAX][32];
} store_params;
/* s NULL binds SQL NULL. */
void store_param_text(store_params *p, const char *s);
void store_param_ll(store_params *p, long long v);
/* v, or SQL NULL when !present (a year without a key, an optional number). */
void store_param_ll_if(store_params *p, bool present, long long v);
/* An id: SQL NULL when id <= 0 (no such row). */
void store_param_id(store_params *p, long long id);
/* Round-trips exactly (%.17g). */
void store_param_double(store_params *p, double v);
void store_param_bool(store_params *p, bool v);
/* store_query / store_exec with the parameters of p. */
PGresult *store_query_p(PGconn *c, minca_err *err, const char *sql, const store_params *p);
int store_exec_p(PGconn *c, minca_err *err, const char *sql, const store_params *p);

/* SQL fragment: the timestamptz expression TS as the wall clock of the insurer whose id is the
 * SQL expression INSURER (settings.timezone, default America/Mexico_City). */
#define STORE_SQL_LOCAL(ts, insurer)                                                             \
    "((" ts ") AT TIME ZONE coalesce((SELECT tz_i.settings->>'timezone' FROM insurers tz_i"     \
    " WHERE tz_i.id = " insurer "), 'America/Mexico_City'))"
/* When the message aliased M was received: its Date: header, else when it was ingested. */
#define STORE_SQL_RECEIVED(m) STORE_SQL_LOCAL("coalesce(" m ".sent_at, " m ".received_at)", m ".insurer_id")

/* ---- migrations (migrate.c) ---- */
/* Applies migrations/NNN_*.sql from dir in order under an advisory lock, each in its own
 * transaction, recorded with its SHA-256; refuses when an applied file was edited.
 * *applied (may be NULL) receives how many were applied now. */
int store_migrate(PGconn *c, const char *dir, int *applied, minca_err *err);

/* How many migrations in dir are not applied yet (*unknown: applied versions with no file,
 * i.e. the database is newer than this binary). Reads only; takes no lock. */
int store_migrations_pending(PGconn *c, const char *dir, int *pending, int *unknown, minca_err *err);

/* ---- operational metrics: store_metrics.h ---- */

/* ---- the business report (report_repo.c) ---- */
/* since: an ISO date or timestamp, or NULL for all time. Each returns a new JSON array. */
/* Cases, vehicles and decision rates, one object per group: by = NULL or "all" (one group,
 * the totals), "day", "week" (ISO week, in the insurer's time zone) or "broker". */
json_t *store_report_groups(PGconn *c, long long insurer_id, const char *since, const char *by, minca_err *err);
/* Time to quote as the report counts it (the request's date to the first quote sent, over
 * the cases opened since): one object with p50_seconds_to_quote, p90_seconds_to_quote (null
 * when none was quoted), cases_quoted and cases_past_due. The report's groups use the same
 * definition; the desk's Dashboard shows it. */
json_t *store_report_quote_clock(PGconn *c, long long insurer_id, const char *since, minca_err *err);
/* A reviewer (user, the login): decisions, rows reviewed, active hours (clock hours with a
 * decision), rows per hour. */
#define STORE_REPORT_REVIEWER_COLUMNS(X)                                                          \
    X(user, TEXT) X(decisions, LL) X(rows_reviewed, LL) X(active_hours, LL) X(rows_per_hour, DOUBLE)
STORE_ROW_TYPES(store_report_reviewer, STORE_REPORT_REVIEWER_COLUMNS)
/* The reviewers, most rows reviewed first, into *out (zeroed first; the caller clears it with
 * store_report_reviewer_list_clear, also on error). */
int store_report_reviewers(PGconn *c, long long insurer_id, const char *since, store_report_reviewer_list *out,
                           minca_err *err);
/* A broker whose lists needed the profile wizard: its cases, how many needed it, the share. */
#define STORE_REPORT_WIZARD_BROKER_COLUMNS(X) X(broker, OPT_TEXT) X(cases, LL) X(needed_wizard, LL) X(share, DOUBLE)
STORE_ROW_TYPES(store_report_wizard_broker, STORE_REPORT_WIZARD_BROKER_COLUMNS)
/* The brokers whose lists most often needed the wizard (at most limit), into *out (as above). */
int store_report_wizard_brokers(PGconn *c, long long insurer_id, const char *since, int limit,
                                store_report_wizard_broker_list *out, minca_err *err);

/* ---- insurers (insurer_repo.c) ---- */
typedef struct store_insurer {
    long long id;
    char slug[64];
    char name[256];
    char cot_prefix[32];
} store_insurer;
/* Finds the insurer by slug, creating it (name = slug) when missing. */
int store_insurer_ensure(PGconn *c, const char *slug, store_insurer *out, minca_err *err);
/* Finds it; returns 1 when found, 0 when absent, -1 on error. */
int store_insurer_find(PGconn *c, const char *slug, store_insurer *out, minca_err *err);

/* ---- blobs (blob_repo.c) ---- */
/* Stores bytes content-addressed; sha_out (65 bytes, may be NULL) receives the hash. */
int store_blob_put(PGconn *c, const void *data, size_t len, char *sha_out, minca_err *err);
/* Reads a blob; *data is the caller's (g_free). */
int store_blob_get(PGconn *c, const char *sha256, char **data, size_t *len, minca_err *err);

/* ---- cases (case_repo.c) ---- */
/* Allocates the next COT number for the insurer and year ("PREFIX-YYYY-NNNNNN") into out;
 * year 0 means the current year in the insurer's time zone (settings.timezone, default
 * America/Mexico_City).
 * Must run inside the transaction that uses it (the counter row stays locked until commit,
 * so numbers are unique and never reused). */
int store_cot_next(PGconn *c, long long insurer_id, int year, char *out, size_t outlen, minca_err *err);
/* Cases of an insurer, newest first, as a JSON array (COT, client, broker, status, counts). */
json_t *store_case_list(PGconn *c, long long insurer_id, minca_err *err);
/* The same list in the order of the clock (the Cases pane): late cases first, the longest
 * overdue first, then the others by due time soonest first, then the cases without a running
 * clock (no due time, or the quote exported or sent), newest first. Each case also carries
 * due_in_seconds (negative past due), due_epoch and clock_stopped. New JSON array. */
json_t *store_case_list_by_due(PGconn *c, long long insurer_id, minca_err *err);
/* One case with its message, attachments, vehicle rows and matches; NULL + err when absent. */
json_t *store_case_show(PGconn *c, long long insurer_id, const char *cot, minca_err *err);
/* Gives case cot of the insurer to assignee (NULL: nobody), audited as actor's case_assigned
 * (the case by its id) in the same transaction. 1 done, 0 no such case, -1 error. */
int store_case_assign(PGconn *c, long long insurer_id, const char *cot, const char *assignee, const char *actor,
                      minca_err *err);
/* Messages of an insurer, newest first (sender, subject, received, attachments, case). */
json_t *store_message_list(PGconn *c, long long insurer_id, minca_err *err);
/* The actor of the entries the desk writes on its own (an owner given by a rule). */
#define STORE_AUDIT_SYSTEM "system"
/* Writes an audit entry (details may be NULL; it is not stolen). */
int store_audit(PGconn *c, long long insurer_id, const char *actor, const char *action,
                const char *entity, const char *entity_id, json_t *details, minca_err *err);

/* ---- insurer settings (insurer_repo.c) ---- */
/* An insurer; settings is its stored JSON settings document. */
#define STORE_INSURER_ROW_COLUMNS(X) X(id, LL) X(slug, TEXT) X(name, TEXT) X(cot_prefix, TEXT) X(settings, JSON)
STORE_ROW_TYPES(store_insurer_row, STORE_INSURER_ROW_COLUMNS)
/* Every insurer the session sees, by slug, into *out (zeroed first; the caller clears it with
 * store_insurer_row_list_clear, also on error). */
int store_insurer_list(PGconn *c, store_insurer_row_list *out, minca_err *err);
/* The insurer's settings object (new reference), or NULL with err. */
json_t *store_insurer_settings(PGconn *c, long long insurer_id, minca_err *err);
/* Sets settings[key] = value (value NULL removes it) through the database's function, which
 * checks a team desk person's role and writes the audit entry (actor `by`); *old_value
 * receives the previous value (new reference, json null when absent). */
int store_insurer_setting_set(PGconn *c, long long insurer_id, const char *key, json_t *value, const char *by,
                              json_t **old_value, minca_err *err);

/* ---- users and roles (user_repo.c) ---- */
typedef struct store_user {
    long long id;
    char login[128];
    char display_name[256];
    bool active;
} store_user;
/* 1 found, 0 absent, -1 error. */
int store_user_find(PGconn *c, const char *login, store_user *out, minca_err *err);
/* How many users exist (-1 on error). */
long store_user_count(PGconn *c, minca_err *err);
/* Users and roles change through the database's functions (migration 080), which check a team
 * desk person's role from the session and write the audit entry (actor `by`, or the session's
 * role for a person of a team desk). */
/* Creates the user (active; on a team desk also their database role); the audit entry goes to
 * audit_insurer's chain (0: none); *id_out (may be NULL) receives its id. */
int store_user_add(PGconn *c, const char *login, const char *display_name, const char *by, long long audit_insurer,
                   long long *id_out, minca_err *err);
/* Enables or disables the user (on a team desk: LOGIN given or taken, sessions ended). */
int store_user_set_active(PGconn *c, long long user_id, bool active, const char *by, minca_err *err);
/* Grants role on insurer_id (0: every insurer), replacing the role held there; old_role
 * (may be NULL, 32 bytes) receives the previous one or "". */
int store_user_grant(PGconn *c, long long user_id, long long insurer_id, const char *role, const char *by,
                     char *old_role, minca_err *err);
/* Removes the role held on insurer_id (0: the every-insurer grant); old_role as above.
 * Returns 1 when there was one, 0 when not. */
int store_user_revoke(PGconn *c, long long user_id, long long insurer_id, const char *by, char *old_role,
                      minca_err *err);
/* The user's roles: [{insurer_id (null: every insurer), insurer (slug or "*"), role}]. */
json_t *store_user_roles(PGconn *c, long long user_id, minca_err *err);
/* Every user with their roles: [{login, display_name, active, roles: [...]}], by login. */
json_t *store_user_list(PGconn *c, minca_err *err);
/* When there is no user yet, creates login as admin of every insurer (serialised, so two
 * first runs make one admin). Returns 1 when it did, 0 when users existed, -1 on error. */
int store_user_bootstrap(PGconn *c, const char *login, minca_err *err);

/* ---- the audit trail (audit_repo.c) ---- */
typedef struct store_audit_filter {
    long long insurer_id;     /* 0: every insurer the session sees */
    long long case_id;        /* 0: any; else entries about the case and its rows */
    const char *user;         /* NULL: anyone */
    const char *since;        /* NULL: all time; an ISO date or timestamp */
    int limit;                /* 0: 1000 */
} store_audit_filter;
/* Entries, oldest first: id, at, actor, os_login, action, entity, entity_id, details, seq,
 * insurer (slug), inciso (the vehicle row's, for entries about one; else null). */
json_t *store_audit_list(PGconn *c, const store_audit_filter *f, minca_err *err);
/* Checks every chain the session sees: each entry's hash over its content, its link to the
 * previous entry, the sequence without gaps, and the chain's recorded head. Returns a JSON
 * object {chains, entries, heads: [{chain, insurer, last_seq, last_hash}], problems: [{chain,
 * seq, id, problem}]} (new reference). */
json_t *store_audit_verify(PGconn *c, minca_err *err);
/* Compares entry seq of chain with a head recorded earlier: 1 same hash, 2 a different hash
 * (the chain was rewritten), 0 no such entry (deleted), -1 error. */
int store_audit_check_head(PGconn *c, long long chain, long long seq, const char *hash, minca_err *err);

#endif
