/* Identity and roles: who is acting (the operating-system account), what each role allows, and
 * the one table of actions every command and TUI key is checked against. */
#include "minca/access.h"
#include "minca/core_config.h"
#include "minca/store.h"
#include "minca/store_insurer.h"
#include "minca/store_user.h"

#include <glib.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct action_def {
    access_action act;
    const char *verb;     /* "exporting needs the supervisor role ..." */
    access_role role;
} action_def;

static const action_def actions[ACCESS_ACTION_COUNT] = {
    [ACCESS_READ] = {ACCESS_READ, "reading the desk", ACCESS_VIEWER},
    [ACCESS_DECIDE] = {ACCESS_DECIDE, "deciding rows", ACCESS_REVIEWER},
    [ACCESS_MARK_READY] = {ACCESS_MARK_READY, "marking a case ready", ACCESS_REVIEWER},
    [ACCESS_READ_AUDIT] = {ACCESS_READ_AUDIT, "reading the audit trail", ACCESS_REVIEWER},
    [ACCESS_EXPORT] = {ACCESS_EXPORT, "exporting", ACCESS_SUPERVISOR},
    [ACCESS_RERUN] = {ACCESS_RERUN, "re-running a case", ACCESS_SUPERVISOR},
    [ACCESS_REVOKE_CORRECTION] = {ACCESS_REVOKE_CORRECTION, "revoking a correction", ACCESS_SUPERVISOR},
    [ACCESS_EDIT_PROFILE] = {ACCESS_EDIT_PROFILE, "editing broker profiles", ACCESS_SUPERVISOR},
    [ACCESS_RUN_PIPELINE] = {ACCESS_RUN_PIPELINE, "running pipeline jobs", ACCESS_SUPERVISOR},
    [ACCESS_IMPORT_CATALOG] = {ACCESS_IMPORT_CATALOG, "importing a catalog", ACCESS_ADMIN},
    [ACCESS_SET_INSURER] = {ACCESS_SET_INSURER, "changing insurer settings", ACCESS_ADMIN},
    [ACCESS_MANAGE_USERS] = {ACCESS_MANAGE_USERS, "managing users", ACCESS_ADMIN},
    [ACCESS_INGEST] = {ACCESS_INGEST, "ingesting mail", ACCESS_ADMIN},
    [ACCESS_VERIFY_AUDIT] = {ACCESS_VERIFY_AUDIT, "verifying the audit trail", ACCESS_ADMIN},
    [ACCESS_READ_METRICS] = {ACCESS_READ_METRICS, "reading the team's metrics", ACCESS_SUPERVISOR},
    [ACCESS_READ_CREDENTIALS] = {ACCESS_READ_CREDENTIALS, "reading the servers' credentials", ACCESS_ADMIN},
    [ACCESS_RECEIVE_HOOKS] = {ACCESS_RECEIVE_HOOKS, "receiving mail notifications", ACCESS_ADMIN},
};

static const char *role_names[] = {NULL, "viewer", "reviewer", "supervisor", "admin"};

typedef struct grant {
    long long insurer_id;   /* 0: every insurer */
    access_role role;
} grant;

static struct {
    int state;              /* 0 not yet, 1 logged in, -1 refused */
    char refusal[512];
    char user[128];
    char os_login[128];
    bool impersonating;
    grant *grants;
    size_t n_grants;
} me;

const char *access_role_name(access_role role)
{
    return role > ACCESS_NONE && role <= ACCESS_ADMIN ? role_names[role] : NULL;
}

access_role access_role_parse(const char *name)
{
    for (int r = ACCESS_VIEWER; r <= ACCESS_ADMIN; r++)
        if (name && strcmp(name, role_names[r]) == 0)
            return (access_role)r;
    return ACCESS_NONE;
}

access_role access_action_role(access_action act) { return actions[act].role; }
const char *access_action_verb(access_action act) { return actions[act].verb; }

bool access_logged_in(void) { return me.state == 1; }
bool access_refused(void) { return me.state == -1; }
const char *access_user(void) { return me.user[0] ? me.user : NULL; }
const char *access_os_login(void) { return me.os_login; }
bool access_impersonating(void) { return me.impersonating; }

/* The account the process runs as: the effective uid's name, whatever the environment says. */
static void resolve_os_login(void)
{
    struct passwd *pw = getpwuid(geteuid());
    if (pw)
        snprintf(me.os_login, sizeof me.os_login, "%s", pw->pw_name);
    else
        snprintf(me.os_login, sizeof me.os_login, "uid%ld", (long)geteuid());
}

static int load_grants(PGconn *c, long long user_id, minca_err *err)
{
    json_t *roles = store_user_roles(c, user_id, err);
    if (!roles)
        return -1;
    g_free(me.grants);
    me.n_grants = json_array_size(roles);
    me.grants = g_malloc0_n(me.n_grants ? me.n_grants : 1, sizeof *me.grants);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        me.grants[i].insurer_id = json_integer_value(json_object_get(r, "insurer_id"));
        me.grants[i].role = access_role_parse(json_string_value(json_object_get(r, "role")));
    }
    json_decref(roles);
    return 0;
}

access_role access_role_for(long long insurer_id)
{
    access_role best = ACCESS_NONE;
    for (size_t i = 0; i < me.n_grants; i++) {
        bool applies = me.grants[i].insurer_id == 0 || (insurer_id > 0 && me.grants[i].insurer_id == insurer_id);
        if (applies && me.grants[i].role > best)
            best = me.grants[i].role;
    }
    return best;
}

bool access_has_all(access_role role)
{
    for (size_t i = 0; i < me.n_grants; i++)
        if (me.grants[i].insurer_id == 0 && me.grants[i].role >= role)
            return true;
    return false;
}

/* "*" or the comma-separated insurer ids the user holds any role on. */
static void apply_scope(void)
{
    if (access_has_all(ACCESS_VIEWER)) {
        store_set_session_scope("*");
        return;
    }
    GString *ids = g_string_new(NULL);
    for (size_t i = 0; i < me.n_grants; i++)
        if (me.grants[i].insurer_id > 0)
            g_string_append_printf(ids, "%s%lld", ids->len ? "," : "", me.grants[i].insurer_id);
    store_set_session_scope(ids->str);
    g_string_free(ids, TRUE);
}

static int refuse(minca_err *err, const char *fmt, const char *a, const char *b)
{
    snprintf(me.refusal, sizeof me.refusal, fmt, a, b);
    me.state = -1;
    return minca_err_set(err, "%s", me.refusal);
}

int access_login(PGconn *c, minca_err *err)
{
    if (me.state == 1)
        return 0;
    if (me.state == -1)
        return minca_err_set(err, "%s", me.refusal);
    bool staff = config_team_staff();
    if (staff) {
        /* A person of a team desk is the database role peer authentication admitted: what the
         * process believes about itself (getpwuid, the environment) decides nothing. */
        store_session_info who;
        if (store_session_describe(c, &who, err) < 0)
            return -1;
        snprintf(me.os_login, sizeof me.os_login, "%s", who.login);
    } else {
        resolve_os_login();
    }
    store_set_audit_os_login(me.os_login);
    int boot = staff ? 0 : store_user_bootstrap(c, me.os_login, err);
    if (boot < 0)
        return -1;
    if (boot == 1)
        log_info("access: no user existed; %s is now the admin of every insurer", me.os_login);
    store_user account;
    int found = store_user_find(c, me.os_login, &account, err);
    if (found < 0)
        return -1;
    if (found == 0)
        return refuse(err, "the account %s is not a minca user; an admin can add it with `minca user add %s`",
                      me.os_login, me.os_login);
    if (!account.active)
        return refuse(err, "the minca user %s is disabled%s", me.os_login, "");
    if (load_grants(c, account.id, err) < 0)
        return -1;
    snprintf(me.user, sizeof me.user, "%s", me.os_login);
    const char *requested = config_get()->user_override;
    if (requested && *requested && strcmp(requested, me.os_login) != 0) {
        if (staff)
            return refuse(err, "MINCA_USER=%s is not honoured on a team desk: you are %s, the database role of your "
                               "account", requested, me.os_login);
        if (!access_has_all(ACCESS_ADMIN))
            return refuse(err, "MINCA_USER=%s is honoured only for an admin of every insurer; %s is not one",
                          requested, me.os_login);
        /* Test or setup mode: act as the named user, with their roles when they are a user
         * (else the admin's own); every audit entry keeps the real account in os_login. */
        store_user as;
        found = store_user_find(c, requested, &as, err);
        if (found < 0)
            return -1;
        if (found == 1 && !as.active)
            return refuse(err, "the minca user %s is disabled%s", requested, "");
        if (found == 1 && load_grants(c, as.id, err) < 0)
            return -1;
        snprintf(me.user, sizeof me.user, "%s", requested);
        me.impersonating = true;
        log_info("access: %s acts as %s (MINCA_USER, %s)", me.os_login, requested,
                 found == 1 ? "with that user's roles" : "not a user: with the admin's roles");
    }
    config_set_user(me.user);
    apply_scope();
    me.state = 1;
    return 0;
}

/* Names the insurer for a refusal (the id when it cannot be read). */
static void insurer_label(PGconn *c, long long insurer_id, char *out, size_t len)
{
    snprintf(out, len, "%lld", insurer_id);
    if (!c || insurer_id <= 0)
        return;
    store_insurer_slug(c, insurer_id, out, len, NULL);
}

static int refusal(long long insurer_id, access_action act, access_role have, const char *label, minca_err *err)
{
    const char *need = access_role_name(actions[act].role);
    if (insurer_id == 0)
        return minca_err_set(err, "%s needs the %s role for every insurer (%s %s)", actions[act].verb, need,
                             me.user, have ? "has a narrower grant" : "has none");
    if (have == ACCESS_NONE)
        return minca_err_set(err, "%s needs the %s role for insurer %s (%s has no role there)", actions[act].verb,
                             need, label, me.user);
    return minca_err_set(err, "%s needs the %s role for insurer %s (%s is a %s there)", actions[act].verb, need,
                         label, me.user, access_role_name(have));
}

int access_require(PGconn *c, long long insurer_id, access_action act, minca_err *err)
{
    if (me.state != 1)
        return minca_err_set(err, "%s needs a logged-in user%s%s", actions[act].verb, me.refusal[0] ? ": " : "",
                             me.refusal);
    access_role have = insurer_id == 0 ? (access_has_all(actions[act].role) ? actions[act].role : ACCESS_NONE)
                                       : access_role_for(insurer_id);
    if (have >= actions[act].role)
        return 0;
    char label[64];
    insurer_label(c, insurer_id, label, sizeof label);
    return refusal(insurer_id, act, have, label, err);
}

int access_require_slug(PGconn *c, const char *slug, access_action act, minca_err *err)
{
    store_insurer ins;
    int found = c ? store_insurer_find(c, slug, &ins, NULL) : 0;
    if (found == 1)
        return access_require(c, ins.id, act, err);
    if (me.state == 1 && access_has_all(actions[act].role))
        return 0;
    if (me.state != 1)
        return access_require(c, 0, act, err);
    return refusal(-1, act, ACCESS_NONE, slug, err);
}

void access_reset(void)
{
    g_free(me.grants);
    memset(&me, 0, sizeof me);
    store_set_session_scope(NULL);
}

__attribute__((constructor)) static void access_register(void) { store_set_login_hook(access_login); }
