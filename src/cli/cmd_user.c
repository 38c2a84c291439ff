/* minca user add|list|grant|revoke|disable|enable|whoami: the desk's users and their roles. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/store.h"
#include "minca/store_user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int user_run(int argc, char **argv);

CLI_COMMAND(user_command, {
    .name = "user",
    .summary = "users of the desk and their role per insurer (viewer, reviewer, supervisor, admin)",
    .usage = "usage: minca user whoami\n"
             "       minca user list [--json]\n"
             "       minca user add LOGIN [--name NAME] [--role ROLE (--insurer SLUG | --all)]\n"
             "       minca user grant LOGIN ROLE (--insurer SLUG | --all)\n"
             "       minca user revoke LOGIN (--insurer SLUG | --all)\n"
             "       minca user disable LOGIN | enable LOGIN\n\n"
             "LOGIN is the operating-system account (the SSH login) the person runs minca as.\n"
             "Roles, each including the ones before it: viewer (read), reviewer (decide rows, notes,\n"
             "mark ready), supervisor (also export, re-run, revoke corrections, edit profiles),\n"
             "admin (also catalogs, thresholds and settings, users, mail sources). --all grants the\n"
             "role on every insurer, present and future. Changing roles on an insurer needs the\n"
             "admin role there (--all: on every insurer); every change is audited.\n",
    .run = user_run,
})

typedef struct user_opts {
    const char *insurer;    /* --insurer SLUG */
    bool all;               /* --all */
    const char *name, *role;
    bool json;
    const char *args[3];
    int n_args;
} user_opts;

static int parse(int argc, char **argv, user_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--insurer") == 0 && i + 1 < argc)
            o->insurer = argv[++i];
        else if (strcmp(argv[i], "--all") == 0)
            o->all = true;
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            o->name = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            o->role = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (argv[i][0] == '-')
            return cli_usage_error(&user_command, "unknown option '%s'", argv[i]);
        else if (o->n_args < 3)
            o->args[o->n_args++] = argv[i];
        else
            return cli_usage_error(&user_command, "unexpected argument '%s'", argv[i]);
    }
    return 0;
}

/* The insurer a grant or revoke is about: 0 for --all; -1 when neither or missing. */
static long long target_insurer(PGconn *c, const user_opts *o, store_insurer *ins, minca_err *err)
{
    if (o->all == (o->insurer != NULL)) {
        minca_err_set(err, "say which insurer: --insurer SLUG or --all");
        return -1;
    }
    if (o->all)
        return access_require(c, 0, ACCESS_MANAGE_USERS, err) < 0 ? -1 : 0;
    int found = store_insurer_find(c, o->insurer, ins, err);
    if (found <= 0) {
        if (found == 0)
            minca_err_set(err, "no insurer %s", o->insurer);
        return -1;
    }
    return access_require(c, ins->id, ACCESS_MANAGE_USERS, err) < 0 ? -1 : ins->id;
}

/* Admin on every insurer the user holds a role on (an all-insurers role needs an all-insurers
 * admin); a user with no role yet, admin of the default insurer. */
static int require_admin_over(PGconn *c, const store_user *u, minca_err *err)
{
    if (access_has_all(ACCESS_ADMIN))
        return 0;
    json_t *roles = store_user_roles(c, u->id, err);
    if (!roles)
        return -1;
    int rc = 0;
    if (json_array_size(roles) == 0)
        rc = access_require_slug(c, config_get()->insurer, ACCESS_MANAGE_USERS, err);
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        if (rc == 0)
            rc = access_require(c, json_integer_value(json_object_get(r, "insurer_id")), ACCESS_MANAGE_USERS, err);
    }
    json_decref(roles);
    return rc;
}

static void print_roles(json_t *roles)
{
    size_t j;
    json_t *r;
    json_array_foreach(roles, j, r) printf("%s%s=%s", j ? ", " : "", json_string_value(json_object_get(r, "insurer")),
                                           json_string_value(json_object_get(r, "role")));
}

static int do_grant(PGconn *c, const char *login, const char *role_name, const user_opts *o, minca_err *err)
{
    access_role role = access_role_parse(role_name);
    if (role == ACCESS_NONE)
        return minca_err_set(err, "unknown role '%s' (viewer, reviewer, supervisor or admin)", role_name);
    store_insurer ins;
    long long insurer_id = target_insurer(c, o, &ins, err);
    if (insurer_id < 0)
        return -1;
    store_user u;
    int found = store_user_find(c, login, &u, err);
    if (found <= 0)
        return found == 0 ? minca_err_set(err, "no user %s (minca user add %s)", login, login) : -1;
    char old[32];
    if (store_begin(c, err) < 0)
        return -1;
    if (store_user_grant(c, u.id, insurer_id, role_name, config_get()->user, old, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    printf("%s: %s for %s%s%s%s\n", login, role_name, insurer_id ? "insurer " : "every insurer",
           insurer_id ? ins.slug : "", *old ? ", was " : "", old);
    return 0;
}

static int user_list(PGconn *c, const user_opts *o, minca_err *err)
{
    json_t *list = store_user_list(c, err);
    if (!list)
        return -1;
    if (o->json) {
        char *s = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
    } else {
        printf("%-16s %-24s %-8s %s\n", "LOGIN", "NAME", "ACTIVE", "ROLES");
        size_t i;
        json_t *u;
        json_array_foreach(list, i, u) {
            printf("%-16s %s %-8s ", json_string_value(json_object_get(u, "login")),
                   cli_fit(json_string_value(json_object_get(u, "display_name")), 24),
                   json_is_true(json_object_get(u, "active")) ? "yes" : "no");
            print_roles(json_object_get(u, "roles"));
            printf("\n");
        }
    }
    json_decref(list);
    return 0;
}

static int user_action(PGconn *c, const char *action, const user_opts *o, minca_err *err)
{
    if (strcmp(action, "whoami") == 0) {
        store_user u;
        if (store_user_find(c, access_user(), &u, err) < 0)
            return -1;
        printf("%s (account %s%s)\n", access_user(), access_os_login(),
               access_impersonating() ? ", acting through MINCA_USER" : "");
        json_t *roles = store_user_roles(c, u.id, err);
        if (!roles)
            return -1;
        printf("roles: ");
        print_roles(roles);
        printf("%s\n", json_array_size(roles) ? "" : "none");
        json_decref(roles);
        store_session_info db;
        if (store_session_describe(c, &db, err) < 0)
            return -1;
        printf("database: login %s, acting as %s, insurers %s\n", db.login, db.acting_as, db.insurers);
        return 0;
    }
    if (strcmp(action, "list") == 0) {
        if (!access_has_all(ACCESS_ADMIN) && access_require_slug(c, o->insurer ? o->insurer : config_get()->insurer,
                                                                 ACCESS_MANAGE_USERS, err) < 0)
            return -1;
        return user_list(c, o, err);
    }
    if (o->n_args < 1)
        return minca_err_set(err, "%s needs a LOGIN", action);
    const char *login = o->args[0];
    if (strcmp(action, "add") == 0) {
        store_insurer ins;
        long long insurer_id = 0;
        if (o->role) {
            if (access_role_parse(o->role) == ACCESS_NONE)
                return minca_err_set(err, "unknown role '%s' (viewer, reviewer, supervisor or admin)", o->role);
            if ((insurer_id = target_insurer(c, o, &ins, err)) < 0)
                return -1;
        } else if (access_require_slug(c, o->insurer ? o->insurer : config_get()->insurer, ACCESS_MANAGE_USERS,
                                       err) < 0) {
            return -1;
        }
        long long id = 0;
        if (store_begin(c, err) < 0)
            return -1;
        if (store_user_add(c, login, o->name ? o->name : login, config_get()->user, insurer_id, &id, err) < 0 ||
            store_commit(c, err) < 0) {
            store_rollback(c);
            return -1;
        }
        printf("user %s added\n", login);
        if (config_team())
            printf("  on this team desk %s logs in as the database role %s; as root, `gpasswd -a %s %s` lets the "
                   "account reach the desk's socket\n",
                   login, login, login, config_get()->service_group);
        return o->role ? do_grant(c, login, o->role, o, err) : 0;
    }
    if (strcmp(action, "grant") == 0) {
        if (o->n_args < 2)
            return minca_err_set(err, "grant needs LOGIN and ROLE");
        return do_grant(c, login, o->args[1], o, err);
    }
    if (strcmp(action, "revoke") == 0) {
        store_insurer ins;
        long long insurer_id = target_insurer(c, o, &ins, err);
        if (insurer_id < 0)
            return -1;
        store_user u;
        int found = store_user_find(c, login, &u, err);
        if (found <= 0)
            return found == 0 ? minca_err_set(err, "no user %s", login) : -1;
        char old[32];
        if (store_begin(c, err) < 0)
            return -1;
        int had = store_user_revoke(c, u.id, insurer_id, config_get()->user, old, err);
        if (had < 0 || store_commit(c, err) < 0) {
            store_rollback(c);
            return -1;
        }
        printf(had ? "%s: role %s revoked\n" : "%s: held no role there%s\n", login, had ? old : "");
        return 0;
    }
    if (strcmp(action, "disable") == 0 || strcmp(action, "enable") == 0) {
        bool enable = action[0] == 'e';
        store_user u;
        int found = store_user_find(c, login, &u, err);
        if (found <= 0)
            return found == 0 ? minca_err_set(err, "no user %s", login) : -1;
        if (require_admin_over(c, &u, err) < 0)
            return -1;
        if (store_begin(c, err) < 0)
            return -1;
        if (store_user_set_active(c, u.id, enable, config_get()->user, err) < 0 || store_commit(c, err) < 0) {
            store_rollback(c);
            return -1;
        }
        printf("user %s %s\n", login, enable ? "enabled" : "disabled");
        return 0;
    }
    return minca_err_set(err, "unknown action '%s' (see minca help user)", action);
}

static int user_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&user_command, "missing action");
    user_opts o;
    int prc = parse(argc, argv, &o);
    if (prc)
        return prc;
    minca_err err = {0};
    PGconn *c = store_open(&err);
    int rc = c ? user_action(c, argv[1], &o, &err) : -1;
    if (rc < 0)
        fprintf(stderr, "minca user: %s\n", err.msg);
    PQfinish(c);
    return rc < 0 ? 1 : 0;
}
