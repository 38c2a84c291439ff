/* Embedded PostgreSQL and Redis: private servers under $MINCA_HOME, unix sockets only. */
#include "minca/servers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <hiredis.h>
#include <limits.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OWNER_ROLE "minca"       /* the database role that owns the schema and runs migrations */
#define STAFF_ROLE "minca_staff" /* the group role of a team desk's people (migration 080) */
#define APP_ROLE "minca_app"     /* the application's database login (created by the bootstrap) */
#define PG_PORT 5432
#define SOCKET_PATH_MAX 100   /* sun_path is 108 bytes; keep a margin */

static char pg_url[2048], pg_app_url[2048], redis_url[2048];

/* ---- paths ------------------------------------------------------------------------ */

typedef struct paths {
    char home[1024];
    char pg_base[1024], pg_data[1024], pg_run[1024], pg_log[1024];
    char run[1024], lock[1024];
    char redis_dir[1024], redis_sock[1024], redis_pid[1024], redis_conf[1024], redis_log[1024];
} paths;

static bool running_as_root(void) { return geteuid() == 0; }

/* servers_configure's copy (every string g_strdup'd). */
typedef struct held_settings {
    char *home, *service_home, *service_account, *database_url, *app_database_url, *redis_url, *pg_bindir;
    bool pg_fast;
} held_settings;
static held_settings settings;

static void hold(char **slot, const char *value)
{
    g_free(*slot);
    *slot = value ? g_strdup(value) : NULL;
}

void servers_configure(const servers_settings *s)
{
    hold(&settings.home, s->home);
    hold(&settings.service_home, s->service_home);
    hold(&settings.service_account, s->service_account);
    hold(&settings.database_url, s->database_url);
    hold(&settings.app_database_url, s->app_database_url);
    hold(&settings.redis_url, s->redis_url);
    hold(&settings.pg_bindir, s->pg_bindir);
    settings.pg_fast = s->pg_fast;
}

/* The operating-system account that runs the servers when minca runs as root: the team desk's
 * service account, else minca. */
static const char *service_account(void)
{
    const char *a = settings.service_account;
    return config_team() && a && *a ? a : "minca";
}
#define SERVICE_USER service_account()

/* Does uid/gid have search (x) permission on every ancestor of path? Checked in a child that
 * drops privileges, so it follows the kernel's own rules (ACLs included). */
static bool reachable_by(const char *path, uid_t uid, gid_t gid)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
            _exit(2);
        char *copy = g_strdup(path);
        /* Walk up to the nearest existing ancestor, then test access on it. */
        while (strlen(copy) > 1 && access(copy, F_OK) != 0) {
            char *slash = strrchr(copy, '/');
            if (!slash || slash == copy)
                break;
            *slash = '\0';
        }
        _exit(access(copy, X_OK) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int paths_init(paths *p, minca_err *err)
{
    const held_settings *cfg = &settings;
    memset(p, 0, sizeof *p);
    bool ok = true;
    if (!cfg->home)
        return minca_err_set(err, "the servers were given no home directory (servers_configure at start-up)");
    ok &= core_fmt(p->home, sizeof p->home, "%s", config_team() ? cfg->service_home : cfg->home);
    ok &= core_fmt(p->run, sizeof p->run, "%s/run", p->home);
    ok &= core_fmt(p->lock, sizeof p->lock, "%s/servers.lock", p->run);
    ok &= core_fmt(p->redis_dir, sizeof p->redis_dir, "%s/redis", p->home);
    ok &= core_fmt(p->redis_sock, sizeof p->redis_sock, "%s/redis.sock", p->run);
    ok &= core_fmt(p->redis_pid, sizeof p->redis_pid, "%s/redis.pid", p->run);
    ok &= core_fmt(p->redis_conf, sizeof p->redis_conf, "%s/redis.conf", p->redis_dir);
    ok &= core_fmt(p->redis_log, sizeof p->redis_log, "%s/log/redis.log", p->home);
    ok &= core_fmt(p->pg_base, sizeof p->pg_base, "%s/pg", p->home);

    if (running_as_root()) {
        struct passwd *pw = getpwnam(SERVICE_USER);
        if (pw && !reachable_by(p->home, pw->pw_uid, pw->pw_gid)) {
            /* $MINCA_HOME sits under a directory the service user may not enter (root's
             * home is 0700): keep the cluster in a system location keyed by MINCA_HOME. */
            char hash[65];
            core_sha256_hex(p->home, strlen(p->home), hash);
            ok &= core_fmt(p->pg_base, sizeof p->pg_base, "/var/lib/minca/%.16s", hash);
        }
    }
    ok &= core_fmt(p->pg_data, sizeof p->pg_data, "%s/data", p->pg_base);
    ok &= core_fmt(p->pg_run, sizeof p->pg_run, "%s/run", p->pg_base);
    ok &= core_fmt(p->pg_log, sizeof p->pg_log, "%s/postgresql.log", p->pg_base);
    if (!ok)
        return minca_err_set(err, "MINCA_HOME is too long for the server paths under it (%.80s...); choose a "
                                  "shorter MINCA_HOME", cfg->home);
    return 0;
}

/* Unix socket paths are limited (sun_path): checked only for an embedded server in use. */
static int check_socket_path(const char *path, minca_err *err)
{
    if (strlen(path) > SOCKET_PATH_MAX)
        return minca_err_set(err, "MINCA_HOME path is too long for unix sockets (%s); choose a shorter "
                                  "MINCA_HOME", path);
    return 0;
}

/* ---- processes ---------------------------------------------------------------------- */

/* Runs argv (argv[0] is a path) as `user` when root (NULL: as ourselves), output appended to
 * log_path. Returns the exit status, or -1 when it could not run. */
static int run_cmd(char *const argv[], const char *user, const char *log_path)
{
    struct passwd *pw = (user && running_as_root()) ? getpwnam(user) : NULL;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            if (pw && fchown(fd, pw->pw_uid, pw->pw_gid) != 0) {
                /* log ownership is cosmetic */
            }
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        if (pw) {
            if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
                _exit(126);
            setenv("HOME", pw->pw_dir, 1);
            setenv("USER", pw->pw_name, 1);
        }
        setsid();
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int find_pg_bindir(char *out, size_t outlen, minca_err *err)
{
    const char *env = settings.pg_bindir;
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return 0;
    }
    int best = -1;
    DIR *d = opendir("/usr/lib/postgresql");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            int v = atoi(e->d_name);
            char probe[512];
            snprintf(probe, sizeof probe, "/usr/lib/postgresql/%s/bin/pg_ctl", e->d_name);
            if (v > best && access(probe, X_OK) == 0)
                best = v;
        }
        closedir(d);
    }
    if (best >= 0) {
        snprintf(out, outlen, "/usr/lib/postgresql/%d/bin", best);
        return 0;
    }
    const char *path = getenv("PATH");
    char *copy = g_strdup(path ? path : "/usr/bin:/usr/local/bin");
    for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char probe[1024];
        snprintf(probe, sizeof probe, "%s/pg_ctl", dir);
        if (access(probe, X_OK) == 0) {
            snprintf(out, outlen, "%s", dir);
            g_free(copy);
            return 0;
        }
    }
    g_free(copy);
    return minca_err_set(err, "PostgreSQL server programs (pg_ctl, initdb) not found; "
                              "install the 'postgresql' package (make deps) or set MINCA_DATABASE_URL");
}

static int ensure_service_user(minca_err *err)
{
    if (!running_as_root() || getpwnam(SERVICE_USER))
        return 0;
    char *argv[] = {(char *)"/usr/sbin/useradd", (char *)"--system", (char *)"--no-create-home",
                    (char *)"--home-dir", (char *)"/nonexistent", (char *)"--shell",
                    (char *)"/usr/sbin/nologin", (char *)SERVICE_USER, NULL};
    if (run_cmd(argv, NULL, NULL) != 0 || !getpwnam(SERVICE_USER))
        return minca_err_set(err, "cannot create the system user '%s' that runs PostgreSQL "
                                  "(PostgreSQL refuses to run as root)", SERVICE_USER);
    log_info("created system user %s for the embedded PostgreSQL", SERVICE_USER);
    return 0;
}

static int mkdir_owned(const char *path, minca_err *err)
{
    if (core_mkdir_p(path, 0700, err) < 0)
        return -1;
    if (running_as_root()) {
        struct passwd *pw = getpwnam(SERVICE_USER);
        if (pw && chown(path, pw->pw_uid, pw->pw_gid) != 0)
            return minca_err_set(err, "cannot give %s to user %s: %s", path, SERVICE_USER, strerror(errno));
    }
    return 0;
}

static bool pid_alive(long pid) { return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM); }

/* A pid from a pid file is ours only when it is alive AND runs the expected program: after a
 * crash or a reboot the number may belong to an unrelated process, which must never be
 * signalled or waited for. */
static bool pid_is(long pid, const char *program)
{
    if (!pid_alive(pid))
        return false;
    char path[64], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    if (!fgets(comm, sizeof comm, f))
        comm[0] = '\0';
    fclose(f);
    comm[strcspn(comm, "\n")] = '\0';
    return strncmp(comm, program, strlen(program)) == 0;
}

static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid;
}

/* ---- PostgreSQL --------------------------------------------------------------------- */

static void build_pg_url(const paths *p)
{
    const char *url = settings.database_url;
    if (config_team_staff()) {
        /* One person of a team desk: the role of the same name as the account, which the server
         * checks by peer authentication; no user is named, so no one can ask for another. */
        char *host = g_uri_escape_string(p->pg_run, "/", FALSE);
        snprintf(pg_url, sizeof pg_url, "postgresql:///minca?host=%s&port=%d", host, PG_PORT);
        snprintf(pg_app_url, sizeof pg_app_url, "%s", pg_url);
        g_free(host);
    } else if (url) {
        const char *app = settings.app_database_url;
        snprintf(pg_url, sizeof pg_url, "%s", url);
        snprintf(pg_app_url, sizeof pg_app_url, "%s", app && *app ? app : url);
    } else {
        /* The socket directory goes in the URL's query: escape what a URI cannot hold as is. */
        char *host = g_uri_escape_string(p->pg_run, "/", FALSE);
        snprintf(pg_url, sizeof pg_url, "postgresql:///minca?host=%s&port=%d&user=%s", host, PG_PORT,
                 OWNER_ROLE);
        snprintf(pg_app_url, sizeof pg_app_url, "postgresql:///minca?host=%s&port=%d&user=%s", host, PG_PORT,
                 APP_ROLE);
        g_free(host);
    }
}

static bool pg_running(const paths *p, long *pid_out)
{
    char pidfile[1100];
    snprintf(pidfile, sizeof pidfile, "%s/postmaster.pid", p->pg_data);
    long pid = read_pid(pidfile);
    if (pid_out)
        *pid_out = pid;
    return pid_is(pid, "postgres");
}

static bool pg_fast_requested(void)
{
    return settings.pg_fast;
}

/* MINCA_PG_FAST turns durability off (fsync, synchronous commit, full page writes): only for
 * throwaway test clusters, which live under the system's temporary directory. A cluster
 * anywhere else keeps its data safe whatever the environment says. */
static bool pg_fast_allowed(const paths *p)
{
    char data[PATH_MAX], tmp[PATH_MAX];
    if (!realpath(p->pg_data, data) || !realpath(g_get_tmp_dir(), tmp))
        return false;
    size_t n = strlen(tmp);
    return n > 1 && strncmp(data, tmp, n) == 0 && data[n] == '/';
}

static int pg_write_conf(const paths *p, minca_err *err)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/minca.conf", p->pg_data);
    bool fast = pg_fast_requested() && pg_fast_allowed(p);
    if (pg_fast_requested() && !fast)
        log_warn("MINCA_PG_FAST=1 ignored: %s is not a throwaway cluster under %s; durability stays on", p->pg_data,
                 g_get_tmp_dir());
    char *text = core_strdup_printf(
        "# written by minca: private cluster, unix socket only\n"
        "listen_addresses = ''\n"
        "unix_socket_directories = '%s'\n"
        "port = %d\n"
        "max_connections = 200\n"
        "shared_buffers = 128MB\n"
        "%s",
        p->pg_run, PG_PORT,
        fast ? "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" : "");
    int rc = core_write_file(path, text, strlen(text), err);
    g_free(text);
    if (rc == 0 && running_as_root()) {
        struct passwd *pw = getpwnam(SERVICE_USER);
        if (pw && chown(path, pw->pw_uid, pw->pw_gid) != 0)
            rc = minca_err_set(err, "cannot chown %s: %s", path, strerror(errno));
    }
    return rc;
}

/* Writes path (owned by the service user when root); *changed tells whether it differed. */
static int write_server_file(const char *path, const char *text, bool *changed, minca_err *err)
{
    char *old = NULL;
    size_t len = 0;
    bool same = core_read_file(path, 1 << 20, &old, &len, NULL) == 0 && len == strlen(text) &&
                memcmp(old, text, len) == 0;
    g_free(old);
    if (same)
        return 0;
    *changed = true;
    if (core_write_file(path, text, strlen(text), err) < 0)
        return -1;
    chmod(path, 0600);
    if (running_as_root()) {
        struct passwd *pw = getpwnam(SERVICE_USER);
        if (pw && chown(path, pw->pw_uid, pw->pw_gid) != 0)
            return minca_err_set(err, "cannot chown %s: %s", path, strerror(errno));
    }
    return 0;
}

/* Authentication: peer (the kernel says which account is on the other end of the socket),
 * never trust. The account that runs minca and the server's own account may log in as the
 * owner role (minca, which runs migrations) and as the application role (minca_app); nobody
 * else, whatever they can reach. */
static int pg_write_auth(const paths *p, bool *changed, minca_err *err)
{
    char path[1100];
    struct passwd *me = getpwuid(geteuid());
    const char *account = me ? me->pw_name : SERVICE_USER;
    const char *service = running_as_root() ? SERVICE_USER : account;
    snprintf(path, sizeof path, "%s/pg_hba.conf", p->pg_data);
    /* A team desk also admits its people: each logs in as the role of its own account's name,
     * a member of the staff group role, to the desk's database only. */
    const char *hba = config_team() ? "# written by minca: unix socket only, peer authentication\n"
                                      "local all " OWNER_ROLE "," APP_ROLE " peer map=minca\n"
                                      "local minca +" STAFF_ROLE " peer\n"
                                    : "# written by minca: unix socket only, peer authentication through the minca map\n"
                                      "local all all peer map=minca\n";
    if (write_server_file(path, hba, changed, err) < 0)
        return -1;
    char *ident = core_strdup_printf("# written by minca: who may log in as the owner and the application role\n"
                                     "minca %s minca\nminca %s minca_app\nminca %s minca\nminca %s minca_app\n",
                                     service, service, account, account);
    snprintf(path, sizeof path, "%s/pg_ident.conf", p->pg_data);
    int rc = write_server_file(path, ident, changed, err);
    g_free(ident);
    return rc;
}

static int pg_init_cluster(const paths *p, const char *bindir, minca_err *err)
{
    char version_file[1100];
    snprintf(version_file, sizeof version_file, "%s/PG_VERSION", p->pg_data);
    if (core_file_exists(version_file))
        return 0;
    /* Parents are created traversable so the service user can reach its own directory. */
    char *parent = g_path_get_dirname(p->pg_base);
    int prc = core_mkdir_p(parent, 0711, err);
    /* The mode asked for is masked by the umask (027 on hardened hosts): set it explicitly. */
    if (prc == 0 && running_as_root() && chmod(parent, 0711) != 0)
        prc = minca_err_set(err, "cannot make %s traversable: %s", parent, strerror(errno));
    g_free(parent);
    if (prc < 0 || mkdir_owned(p->pg_base, err) < 0 || mkdir_owned(p->pg_data, err) < 0)
        return -1;
    log_info("initialising PostgreSQL cluster in %s", p->pg_data);
    char initdb[1100];
    snprintf(initdb, sizeof initdb, "%s/initdb", bindir);
    char *argv[] = {initdb, (char *)"-D", (char *)p->pg_data, (char *)"-U", (char *)OWNER_ROLE,
                    (char *)"--auth-local=peer", (char *)"--auth-host=reject", (char *)"-E", (char *)"UTF8",
                    (char *)"--no-locale", (char *)"--no-sync", NULL};
    int rc = run_cmd(argv, SERVICE_USER, p->pg_log);
    if (rc != 0)
        return minca_err_set(err, "initdb failed (exit %d); see %s", rc, p->pg_log);
    char conf[1100];
    snprintf(conf, sizeof conf, "%s/postgresql.conf", p->pg_data);
    FILE *f = fopen(conf, "a");
    if (!f)
        return minca_err_set(err, "cannot edit %s: %s", conf, strerror(errno));
    fprintf(f, "\ninclude_if_exists = 'minca.conf'\n");
    fclose(f);
    return 0;
}

/* The owner's login to the maintenance database, for the bootstrap callback. */
static void pg_admin_conninfo(const paths *p, char *out, size_t outlen)
{
    snprintf(out, outlen, "host=%s port=%d user=%s dbname=postgres connect_timeout=10", p->pg_run, PG_PORT,
             OWNER_ROLE);
}

static int pg_ensure(const paths *p, servers_bootstrap_fn bootstrap, minca_err *err)
{
    char sock[1100];
    snprintf(sock, sizeof sock, "%s/.s.PGSQL.%d", p->pg_run, PG_PORT);
    if (check_socket_path(sock, err) < 0)
        return -1;
    char bindir[1024];
    if (find_pg_bindir(bindir, sizeof bindir, err) < 0 || ensure_service_user(err) < 0)
        return -1;
    if (pg_init_cluster(p, bindir, err) < 0)
        return -1;
    bool auth_changed = false;
    if (mkdir_owned(p->pg_run, err) < 0 || pg_write_conf(p, err) < 0 || pg_write_auth(p, &auth_changed, err) < 0)
        return -1;
    /* The team's staff group reaches the socket directory (service init gave it the group). */
    if (config_team() && chmod(p->pg_run, 0750) != 0)
        return minca_err_set(err, "cannot open %s to the staff group: %s", p->pg_run, strerror(errno));
    long pid = 0;
    if (pg_running(p, &pid) && auth_changed) {
        /* A cluster started with an older authentication file: the server rereads it now. */
        char pg_ctl[1100];
        snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", bindir);
        char *argv[] = {pg_ctl, (char *)"-D", (char *)p->pg_data, (char *)"reload", NULL};
        if (run_cmd(argv, SERVICE_USER, p->pg_log) != 0)
            log_warn("could not make PostgreSQL reread its authentication file; see %s", p->pg_log);
    }
    if (!pg_running(p, &pid)) {
        char pidfile[1100];
        snprintf(pidfile, sizeof pidfile, "%s/postmaster.pid", p->pg_data);
        if (pid > 0) {
            log_warn("removing stale PostgreSQL pid file (pid %ld is not running)", pid);
            unlink(pidfile);
        }
        log_info("starting PostgreSQL (%s)", p->pg_data);
        char pg_ctl[1100];
        snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", bindir);
        char *argv[] = {pg_ctl, (char *)"-D", (char *)p->pg_data, (char *)"-l", (char *)p->pg_log,
                        (char *)"-w", (char *)"-t", (char *)"120", (char *)"start", NULL};
        /* After a crash the old server's backends may hold its shared memory for a moment
         * ("pre-existing shared memory block is still in use"): try again shortly. */
        int rc = -1;
        for (int attempt = 0; attempt < 5 && rc != 0; attempt++) {
            if (attempt)
                sleep(2);
            rc = run_cmd(argv, SERVICE_USER, NULL);
        }
        if (rc != 0)
            return minca_err_set(err, "PostgreSQL did not start (pg_ctl exit %d); see %s", rc, p->pg_log);
    }
    if (!bootstrap)
        return 0;
    char conninfo[2048];
    pg_admin_conninfo(p, conninfo, sizeof conninfo);
    return bootstrap(conninfo, err);
}

static int pg_stop(const paths *p, minca_err *err)
{
    if (!pg_running(p, NULL))
        return 0;
    char bindir[1024];
    if (find_pg_bindir(bindir, sizeof bindir, err) < 0)
        return -1;
    char pg_ctl[1100];
    snprintf(pg_ctl, sizeof pg_ctl, "%s/pg_ctl", bindir);
    char *argv[] = {pg_ctl, (char *)"-D", (char *)p->pg_data, (char *)"-m", (char *)"fast",
                    (char *)"-w", (char *)"-t", (char *)"60", (char *)"stop", NULL};
    int rc = run_cmd(argv, SERVICE_USER, p->pg_log);
    if (rc != 0)
        return minca_err_set(err, "PostgreSQL did not stop (pg_ctl exit %d); see %s", rc, p->pg_log);
    log_info("stopped PostgreSQL");
    return 0;
}

/* ---- Redis -------------------------------------------------------------------------- */

static void build_redis_url(const paths *p)
{
    const char *url = settings.redis_url;
    if (config_team_staff())
        redis_url[0] = '\0';   /* a team desk's Redis belongs to its service account alone */
    else if (url)
        snprintf(redis_url, sizeof redis_url, "%s", url);
    else
        snprintf(redis_url, sizeof redis_url, "unix://%s", p->redis_sock);
}

static bool redis_ping(const char *sock)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectUnixWithTimeout(sock, tv);
    bool ok = false;
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "PING");
        ok = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
    }
    if (c)
        redisFree(c);
    return ok;
}

static int redis_ensure(const paths *p, minca_err *err)
{
    if (check_socket_path(p->redis_sock, err) < 0)
        return -1;
    if (redis_ping(p->redis_sock))
        return 0;
    if (core_mkdir_p(p->redis_dir, 0700, err) < 0 || core_mkdir_p(p->run, 0700, err) < 0)
        return -1;
    long pid = read_pid(p->redis_pid);
    if (pid_is(pid, "redis-server")) {
        /* Running but not answering yet (loading its AOF): give it time below. */
    } else {
        if (pid > 0)
            log_warn("removing stale Redis pid file (pid %ld is not running)", pid);
        unlink(p->redis_pid);
        unlink(p->redis_sock);
        char *conf = core_strdup_printf("# written by minca: private redis, unix socket only\n"
                                        "port 0\n"
                                        "unixsocket %s\n"
                                        "unixsocketperm 700\n"
                                        "daemonize yes\n"
                                        "pidfile %s\n"
                                        "logfile %s\n"
                                        "dir %s\n"
                                        "appendonly yes\n"
                                        "appendfsync everysec\n"
                                        "save \"\"\n",
                                        p->redis_sock, p->redis_pid, p->redis_log, p->redis_dir);
        int rc = core_write_file(p->redis_conf, conf, strlen(conf), err);
        g_free(conf);
        if (rc < 0)
            return -1;
        char *log_dir = core_path_join(p->home, "log");
        core_mkdir_p(log_dir, 0700, NULL);
        g_free(log_dir);
        const char *server = access("/usr/bin/redis-server", X_OK) == 0 ? "/usr/bin/redis-server"
                                                                        : "/usr/local/bin/redis-server";
        if (access(server, X_OK) != 0)
            return minca_err_set(err, "redis-server not found; install the 'redis-server' package "
                                      "(make deps) or set MINCA_REDIS_URL");
        log_info("starting redis-server (%s)", p->redis_sock);
        char *argv[] = {(char *)server, (char *)p->redis_conf, NULL};
        rc = run_cmd(argv, NULL, p->redis_log);
        if (rc != 0)
            return minca_err_set(err, "redis-server did not start (exit %d); see %s", rc, p->redis_log);
    }
    for (int i = 0; i < 300; i++) {
        if (redis_ping(p->redis_sock))
            return 0;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return minca_err_set(err, "redis-server did not answer on %s within 30 s; see %s", p->redis_sock,
                         p->redis_log);
}

static int redis_stop(const paths *p, minca_err *err)
{
    long pid = read_pid(p->redis_pid);
    if (!pid_is(pid, "redis-server")) {
        if (pid > 0)
            unlink(p->redis_pid);   /* stale: the number belongs to no redis-server of ours */
        return 0;
    }
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectUnixWithTimeout(p->redis_sock, tv);
    if (c && !c->err) {
        redisReply *r = redisCommand(c, "SHUTDOWN");
        if (r)
            freeReplyObject(r);
    } else {
        kill((pid_t)pid, SIGTERM);
    }
    if (c)
        redisFree(c);
    for (int i = 0; i < 300 && pid_is(pid, "redis-server"); i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (pid_is(pid, "redis-server"))
        return minca_err_set(err, "redis-server (pid %ld) did not stop", pid);
    log_info("stopped redis-server");
    return 0;
}

/* ---- public ------------------------------------------------------------------------- */

static int lock_servers(const paths *p, minca_err *err)
{
    if (core_mkdir_p(p->run, 0700, err) < 0)
        return -1;
    int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return minca_err_set(err, "cannot open %s: %s", p->lock, strerror(errno));
    while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
        ;
    return fd;
}

int servers_ensure(servers_bootstrap_fn bootstrap, minca_err *err)
{
    const held_settings *cfg = &settings;
    paths p;
    if (config_team() && running_as_root())
        return minca_err_set(err, "a team desk's servers run as its service account %s: start them with `minca "
                                  "service start`; run other commands as %s (runuser -u %s -- minca ...) or as a "
                                  "person of the desk", service_account(), service_account(), service_account());
    if (config_team_staff()) {
        /* The service account runs a team desk's servers; a person only connects. */
        if (paths_init(&p, err) < 0)
            return -1;
        build_pg_url(&p);
        redis_url[0] = '\0';
        return 0;
    }
    if (!cfg->database_url && ensure_service_user(err) < 0)
        return -1;
    if (paths_init(&p, err) < 0)
        return -1;
    build_pg_url(&p);
    build_redis_url(&p);
    if (cfg->database_url && cfg->redis_url)
        return 0;
    int fd = lock_servers(&p, err);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (!cfg->database_url && pg_ensure(&p, bootstrap, err) < 0)
        rc = -1;
    if (rc == 0 && !cfg->redis_url && redis_ensure(&p, err) < 0)
        rc = -1;
    close(fd);
    return rc;
}

int servers_stop(minca_err *err)
{
    const held_settings *cfg = &settings;
    paths p;
    if (config_team_staff())
        return minca_err_set(err, "the team desk's servers belong to the service account %s (minca service stop, as root)",
                             service_account());
    if (paths_init(&p, err) < 0)
        return -1;
    if (cfg->database_url && cfg->redis_url)
        return 0;
    int fd = lock_servers(&p, err);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (!cfg->redis_url && redis_stop(&p, err) < 0)
        rc = -1;
    if (!cfg->database_url && pg_stop(&p, rc == 0 ? err : NULL) < 0)
        rc = -1;
    close(fd);
    return rc;
}

int servers_status_get(servers_status *st, minca_err *err)
{
    const held_settings *cfg = &settings;
    memset(st, 0, sizeof *st);
    paths p;
    if (paths_init(&p, err) < 0)
        return -1;
    build_pg_url(&p);
    build_redis_url(&p);
    st->pg_embedded = cfg->database_url == NULL;
    st->redis_embedded = cfg->redis_url == NULL;
    snprintf(st->pg_data, sizeof st->pg_data, "%s", p.pg_data);
    snprintf(st->run_dir, sizeof st->run_dir, "%s", p.run);
    if (st->pg_embedded)
        st->pg_running = pg_running(&p, &st->pg_pid);
    /* A configured server is running if it takes the login. */
    if (!st->pg_embedded) {
        PGconn *c = PQconnectdb(pg_url);
        st->pg_running = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
    }
    st->pg_fast_ignored = st->pg_embedded && pg_fast_requested() && !pg_fast_allowed(&p);
    if (st->redis_embedded) {
        st->redis_pid = read_pid(p.redis_pid);
        st->redis_running = redis_ping(p.redis_sock);
    } else {
        st->redis_running = true; /* checked by the queue layer, which parses the URL */
    }
    return 0;
}

const char *servers_database_url(void)
{
    if (!pg_url[0]) {
        paths p;
        if (paths_init(&p, NULL) == 0)
            build_pg_url(&p);
    }
    return pg_url;
}

const char *servers_app_database_url(void)
{
    if (!pg_app_url[0])
        servers_database_url();
    return pg_app_url;
}

const char *servers_redis_url(void)
{
    if (!redis_url[0]) {
        paths p;
        if (paths_init(&p, NULL) == 0)
            build_redis_url(&p);
    }
    return redis_url;
}
