/* minca service init|start|stop|status: a desk for a team on one host. A service account owns
 * the servers (PostgreSQL and Redis on unix sockets under its home), the workers and the mail
 * intake; each person logs in to PostgreSQL as the role of their own account's name. */
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/servers.h"
#include "minca/store.h"
#include "minca/store_team.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int service_run(int argc, char **argv);

CLI_COMMAND(service_command, {
    .name = "service",
    .summary = "a desk for a team on one host: the service account and its servers",
    .usage = "usage: minca service init [--home DIR] [--account NAME] [--group NAME] [--config FILE]\n"
             "       minca service start|stop|status\n\n"
             "  init    (as root) create the service account (default minca) and the staff group\n"
             "          (default ACCOUNT-staff), the home (default /var/lib/minca, 0750), start\n"
             "          PostgreSQL and Redis as the account on unix sockets only, apply the\n"
             "          migrations and write the config file every account reads (default\n"
             "          /etc/minca/config.yaml, or $MINCA_CONFIG); it holds no secret\n"
             "  start   (as root or the account) start the servers and apply pending migrations\n"
             "  stop    stop them\n"
             "  status  say whether they run\n\n"
             "A colleague: `minca user add LOGIN --role ROLE --insurer SLUG` (an admin), then, as root,\n"
             "`gpasswd -a LOGIN ACCOUNT-staff` so their account reaches the database socket.\n"
             "Workers and mail intake run as the account: runuser -u ACCOUNT -- minca worker.\n",
    .run = service_run,
})

typedef struct service_opts {
    const char *home, *account, *group, *config;
} service_opts;

/* Runs argv (a path and its arguments) and returns its exit status (-1: did not run). */
static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int ensure_group(const char *group, minca_err *err)
{
    if (getgrnam(group))
        return 0;
    char *argv[] = {(char *)"/usr/sbin/groupadd", (char *)"--system", (char *)group, NULL};
    if (run(argv) != 0 || !getgrnam(group))
        return minca_err_set(err, "cannot create the staff group %s (groupadd)", group);
    return 0;
}

static int ensure_account(const char *account, const char *home, minca_err *err)
{
    if (getpwnam(account))
        return 0;
    char *argv[] = {(char *)"/usr/sbin/useradd", (char *)"--system", (char *)"--no-create-home",
                    (char *)"--home-dir", (char *)home, (char *)"--shell", (char *)"/usr/sbin/nologin",
                    (char *)account, NULL};
    if (run(argv) != 0 || !getpwnam(account))
        return minca_err_set(err, "cannot create the service account %s (useradd)", account);
    return 0;
}

/* A directory of the account, group staff, with mode: created when missing, fixed when not. */
static int own_dir(const char *path, uid_t uid, gid_t gid, mode_t mode, minca_err *err)
{
    if (core_mkdir_p(path, mode, err) < 0)
        return -1;
    if (chown(path, uid, gid) != 0 || chmod(path, mode) != 0)
        return minca_err_set(err, "cannot give %s to the service account: %s", path, strerror(errno));
    return 0;
}

static int write_config(const service_opts *o, minca_err *err)
{
    /* Every account reads the file: its directory is opened to them (umask aside). */
    char *dir = g_path_get_dirname(o->config);
    int rc = core_mkdir_p(dir, 0755, err);
    if (rc == 0 && chmod(dir, 0755) != 0)
        rc = minca_err_set(err, "cannot make %s readable: %s", dir, strerror(errno));
    g_free(dir);
    if (rc < 0)
        return -1;
    char *text = core_strdup_printf("# written by minca service init: the desk for a team on this host.\n"
                                    "# Read by every account; it holds no secret (the servers take peer\n"
                                    "# authentication on their unix sockets: no passwords anywhere).\n"
                                    "service:\n"
                                    "  home: \"%s\"\n"
                                    "  account: \"%s\"\n"
                                    "  group: \"%s\"\n",
                                    o->home, o->account, o->group);
    rc = core_write_file(o->config, text, strlen(text), err);
    g_free(text);
    if (rc == 0 && chmod(o->config, 0644) != 0)
        rc = minca_err_set(err, "cannot make %s readable: %s", o->config, strerror(errno));
    return rc;
}

/* Becomes the service account (its groups, home and umask) and reloads the configuration as
 * the account reads it. */
static int become_account(const char *account, minca_err *err)
{
    struct passwd *pw = getpwnam(account);
    if (!pw)
        return minca_err_set(err, "no service account %s (minca service init)", account);
    if (geteuid() == pw->pw_uid)
        return 0;
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        return minca_err_set(err, "cannot become the service account %s: %s", account, strerror(errno));
    setenv("HOME", config_get()->service_home, 1);
    setenv("USER", pw->pw_name, 1);
    umask(027);
    return config_load(err);
}

/* fn as the service account, in a child when root (the parent stays root). */
static int as_account(int (*fn)(minca_err *), minca_err *err)
{
    const char *account = config_get()->service_account;
    if (geteuid() != 0) {
        if (!config_is_service_account())
            return minca_err_set(err, "run this as root or as the service account %s", account);
        return fn(err);
    }
    int pipefd[2];
    /* Close-on-exec: the servers the child starts must not hold the pipe open. */
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return minca_err_set(err, "pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        return minca_err_set(err, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(pipefd[0]);
        minca_err e = {0};
        int rc = become_account(account, &e) < 0 ? -1 : fn(&e);
        if (rc < 0 && write(pipefd[1], e.msg, strlen(e.msg)) < 0)
            rc = -1;
        _exit(rc < 0 ? 1 : 0);
    }
    close(pipefd[1]);
    char msg[sizeof err->msg] = "";
    ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
    close(pipefd[0]);
    msg[n > 0 ? n : 0] = '\0';
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    return minca_err_set(err, "%s", msg[0] ? msg : "the service account's process failed");
}

static int start_fn(minca_err *err) { return store_team_prepare(err); }
static int stop_fn(minca_err *err) { return servers_stop(err); }

static int service_init(const service_opts *o, minca_err *err)
{
    if (geteuid() != 0)
        return minca_err_set(err, "service init creates an account and starts servers as it: run it as root");
    if (o->home[0] != '/' || o->config[0] != '/')
        return minca_err_set(err, "--home and --config take absolute paths");
    if (ensure_group(o->group, err) < 0 || ensure_account(o->account, o->home, err) < 0)
        return -1;
    struct passwd *pw = getpwnam(o->account);
    struct group *gr = getgrnam(o->group);
    if (!pw || !gr)
        return minca_err_set(err, "the service account %s or group %s vanished", o->account, o->group);
    uid_t uid = pw->pw_uid;
    gid_t gid = gr->gr_gid;
    char *pg = core_path_join(o->home, "pg"), *pg_run = core_path_join(pg, "run");
    int rc = own_dir(o->home, uid, gid, 0750, err);
    if (rc == 0)
        rc = own_dir(pg, uid, gid, 0750, err);
    if (rc == 0)
        rc = own_dir(pg_run, uid, gid, 0750, err);
    g_free(pg);
    g_free(pg_run);
    if (rc < 0 || write_config(o, err) < 0)
        return -1;
    /* From here on this process reads the file it wrote, as every account will. */
    setenv("MINCA_CONFIG", o->config, 1);
    unsetenv("MINCA_SERVICE_HOME");
    unsetenv("MINCA_SERVICE_ACCOUNT");
    unsetenv("MINCA_SERVICE_GROUP");
    unsetenv("MINCA_HOME");
    if (config_load(err) < 0)
        return -1;
    if (as_account(start_fn, err) < 0)
        return -1;
    printf("team desk ready\n  service account: %s (owns %s, the servers, workers and mail intake)\n"
           "  staff group:     %s (reaches the database socket)\n  config:          %s\n"
           "next: as %s, `minca user add LOGIN --role admin --all`; as root, `gpasswd -a LOGIN %s`\n",
           o->account, o->home, o->group, o->config, o->account, o->group);
    return 0;
}

/* A person sees the servers' files no more than Redis: the desk runs if it takes their login. */
static int staff_status(void)
{
    minca_err err = {0};
    PGconn *c = store_connect(&err);
    printf("team desk:  %s (service account %s)\n", config_get()->service_home, config_get()->service_account);
    if (c)
        printf("postgresql: running; you log in as the database role %s\n", PQuser(c));
    else
        printf("postgresql: not reachable: %s\n", err.msg);
    printf("redis:      the service account's alone\n");
    PQfinish(c);
    return c ? 0 : 3;
}

static int service_status(minca_err *err)
{
    if (config_team_staff())
        return staff_status();
    servers_status st;
    if (servers_status_get(&st, err) < 0)
        return -1;
    printf("team desk:  %s (service account %s, staff group %s)\n", config_get()->service_home,
           config_get()->service_account, config_get()->service_group);
    printf("postgresql: %s (%s)\n", st.pg_running ? "running" : "not running", st.pg_data);
    printf("redis:      %s\n", st.redis_running ? "running" : "not running (or not reachable by this account)");
    return st.pg_running ? 0 : 3;
}

static int service_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&service_command, "missing action");
    const char *action = argv[1];
    const minca_config *cfg = config_get();
    service_opts o = {.home = "/var/lib/minca", .account = cfg->service_account ? cfg->service_account : "minca",
                      .group = NULL, .config = getenv("MINCA_CONFIG") ? getenv("MINCA_CONFIG") : CONFIG_SYSTEM_FILE};
    for (int i = 2; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--home") == 0 && next)
            o.home = argv[++i];
        else if (strcmp(argv[i], "--account") == 0 && next)
            o.account = argv[++i];
        else if (strcmp(argv[i], "--group") == 0 && next)
            o.group = argv[++i];
        else if (strcmp(argv[i], "--config") == 0 && next)
            o.config = argv[++i];
        else
            return cli_usage_error(&service_command, "unexpected argument '%s'", argv[i]);
    }
    char group[128];
    snprintf(group, sizeof group, "%s-staff", o.account);
    if (!o.group)
        o.group = group;
    minca_err err = {0};
    int rc = 0;
    if (strcmp(action, "init") == 0) {
        rc = service_init(&o, &err);
    } else if (!config_team()) {
        rc = minca_err_set(&err, "no team desk is configured (service.home in %s); minca service init sets one up",
                           cfg->config_path);
    } else if (strcmp(action, "start") == 0) {
        rc = as_account(start_fn, &err);
        if (rc == 0)
            printf("team desk servers running under %s\n", cfg->service_home);
    } else if (strcmp(action, "stop") == 0) {
        rc = as_account(stop_fn, &err);
        if (rc == 0)
            printf("team desk servers stopped\n");
    } else if (strcmp(action, "status") == 0) {
        rc = service_status(&err);
        if (rc > 0)
            return rc;
    } else {
        return cli_usage_error(&service_command, "unknown action '%s'", action);
    }
    if (rc < 0) {
        fprintf(stderr, "minca service: %s\n", err.msg);
        return 1;
    }
    return 0;
}
