/* access: who is acting, and what their role lets them do for each insurer.
 *
 * The identity is the operating-system account the process runs as (the SSH login), never an
 * environment variable. MINCA_USER (or `user:` in the config) names another user only when the
 * account is an active admin of every insurer: a test or setup mode, recorded in every audit
 * entry (the entry's os_login is the real account). With no user at all yet, the account that
 * runs minca first becomes the admin of every insurer.
 *
 * Roles per insurer, each including the ones before it: viewer (read), reviewer (decide rows,
 * notes, mark ready), supervisor (export, re-run, revoke corrections, edit profiles), admin
 * (catalogs, thresholds and settings, users, mail sources). A role granted for every insurer
 * (`--all`) counts for insurers created later too.
 *
 * The login runs once per process, from store_open() (a hook registered here), and sets the
 * database session's insurer scope used by row-level security. */
#ifndef MINCA_ACCESS_H
#define MINCA_ACCESS_H

#include "minca/core.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef enum access_role {
    ACCESS_NONE = 0,
    ACCESS_VIEWER,
    ACCESS_REVIEWER,
    ACCESS_SUPERVISOR,
    ACCESS_ADMIN,
} access_role;

/* What can be asked for: one row each in access.c's table (name, wording, role needed). */
typedef enum access_action {
    ACCESS_READ,            /* cases, messages, matches, reports, catalogs, profiles */
    ACCESS_DECIDE,          /* review decisions, notes, undo */
    ACCESS_MARK_READY,
    ACCESS_READ_AUDIT,
    ACCESS_EXPORT,
    ACCESS_RERUN,
    ACCESS_REVOKE_CORRECTION,
    ACCESS_EDIT_PROFILE,
    ACCESS_RUN_PIPELINE,    /* workers and retries of dead jobs */
    ACCESS_IMPORT_CATALOG,
    ACCESS_SET_INSURER,
    ACCESS_MANAGE_USERS,
    ACCESS_INGEST,          /* mail sources: batch ingest */
    ACCESS_VERIFY_AUDIT,
    ACCESS_READ_METRICS,    /* the whole team's numbers and the servers' health */
    ACCESS_READ_CREDENTIALS,/* the servers' URLs with their passwords */
    ACCESS_RECEIVE_HOOKS,   /* a listener holding the mail sources' shared secrets */
    ACCESS_ACTION_COUNT
} access_action;

/* "viewer", "reviewer"...; NULL for ACCESS_NONE. */
const char *access_role_name(access_role role);
/* ACCESS_NONE when name is not a role. */
access_role access_role_parse(const char *name);
/* The role an action needs, and how it is worded in a refusal ("exporting"). */
access_role access_action_role(access_action act);
const char *access_action_verb(access_action act);

/* Installs the login check into the store: every store_open afterwards runs access_login.
 * user_override is the user MINCA_USER or the file's `user:` asks to act as (copied; NULL or
 * "": none), honoured only for an admin. Called once by the program's start-up, after the
 * config is loaded and before the first connection. */
void access_install(const char *user_override);

/* Resolves the acting user on c (bootstrapping the first admin when there is no user yet),
 * loads their roles and sets the session scope for every later connection. Idempotent: later
 * calls return the first outcome. */
int access_login(PGconn *c, minca_err *err);
bool access_logged_in(void);
/* True when the login check refused the account (not a user, disabled, MINCA_USER denied). */
bool access_refused(void);
/* The acting user's login, and the account the process runs as (both static). */
const char *access_user(void);
const char *access_os_login(void);
/* True when MINCA_USER named the acting user (test or setup mode). */
bool access_impersonating(void);

/* The user's role for an insurer (the higher of its own grant and an all-insurers grant). */
access_role access_role_for(long long insurer_id);
/* True when the user holds at least `role` on every insurer (an all-insurers grant). */
bool access_has_all(access_role role);
/* 0 when the acting user may do act for the insurer; otherwise -1 with err saying what is
 * missing: "exporting needs the supervisor role for insurer qualitas (ana is a viewer there)".
 * c (may be NULL) is used to name the insurer. insurer_id 0 asks for every insurer. */
int access_require(PGconn *c, long long insurer_id, access_action act, minca_err *err);
/* Same for an insurer named by slug, which may not exist yet (then only an all-insurers grant
 * counts). */
int access_require_slug(PGconn *c, const char *slug, access_action act, minca_err *err);

/* Forgets the login (tests). */
void access_reset(void);

#endif
