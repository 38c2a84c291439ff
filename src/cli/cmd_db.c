/* minca db start|stop|status|migrate|url and minca config */
#include <glib.h>
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/queue.h"
#include "minca/servers.h"
#include "minca/store.h"
#include "minca/store_bootstrap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int db_run(int argc, char **argv);

CLI_COMMAND(db_command, {
    .name = "db",
    .summary = "start, stop and inspect the database and Redis servers; apply migrations",
    .usage = "usage: minca db start|stop|status|migrate|url [--shell]\n\n"
             "  start    start the embedded PostgreSQL and Redis under $MINCA_HOME (if not running)\n"
             "           and apply pending migrations\n"
             "  stop     stop the embedded servers\n"
             "  status   show whether the servers are reachable\n"
             "  migrate  apply pending migrations\n"
             "  url      print the two connection URLs in use (--shell: as shell assignments)\n\n"
             "With MINCA_DATABASE_URL / MINCA_REDIS_URL set (or database_url / redis_url in the\n"
             "config file) those servers are used and nothing is started or stopped.\n",
    .run = db_run,
})

static void shell_quote(const char *name, const char *value)
{
    printf("%s='", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            fputs("'\\''", stdout);
        else
            putchar(*p);
    }
    printf("'\n");
}

static int db_migrate(void)
{
    minca_err err = {0};
    if (store_servers_ensure(&err) < 0) {
        fprintf(stderr, "minca db: %s\n", err.msg);
        return 1;
    }
    PGconn *c = store_connect(&err);
    if (!c) {
        fprintf(stderr, "minca db: %s\n", err.msg);
        return 1;
    }
    int applied = 0;
    char *dir = core_path_join(config_share_dir(), "migrations");
    int rc = store_migrate(c, dir, &applied, &err);
    g_free(dir);
    PQfinish(c);
    if (rc < 0) {
        fprintf(stderr, "minca db: %s\n", err.msg);
        return 1;
    }
    printf("migrations: %d applied now, schema up to date\n", applied);
    return 0;
}

static int db_run(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(&db_command, "missing action");
    const char *action = argv[1];
    minca_err err = {0};
    if (strcmp(action, "start") == 0) {
        if (store_servers_ensure(&err) < 0) {
            fprintf(stderr, "minca db: %s\n", err.msg);
            return 1;
        }
        int rc = db_migrate();
        if (rc == 0)
            printf("servers running\n  database: %s\n  redis:    %s\n", servers_database_url(),
                   servers_redis_url());
        return rc;
    }
    if (strcmp(action, "stop") == 0) {
        if (servers_stop(&err) < 0) {
            fprintf(stderr, "minca db: %s\n", err.msg);
            return 1;
        }
        printf("embedded servers stopped\n");
        return 0;
    }
    if (strcmp(action, "migrate") == 0)
        return db_migrate();
    if (strcmp(action, "url") == 0) {
        /* A URL with a password is for an admin of every insurer; the embedded servers' (unix
         * sockets reached by this account alone) hold none. */
        char *db_masked = config_mask_url(servers_database_url()), *redis_masked = config_mask_url(servers_redis_url());
        bool secret = strcmp(db_masked, servers_database_url()) != 0 || strcmp(redis_masked, servers_redis_url()) != 0;
        g_free(db_masked);
        g_free(redis_masked);
        if (secret && cli_require_all(&db_command, ACCESS_READ_CREDENTIALS) != 0)
            return 1;
        bool shell = argc > 2 && strcmp(argv[2], "--shell") == 0;
        if (shell) {
            shell_quote("MINCA_DATABASE_URL", servers_database_url());
            shell_quote("MINCA_REDIS_URL", servers_redis_url());
        } else {
            printf("%s\n%s\n", servers_database_url(), servers_redis_url());
        }
        return 0;
    }
    if (strcmp(action, "status") == 0) {
        servers_status st;
        if (servers_status_get(&st, &err) < 0) {
            fprintf(stderr, "minca db: %s\n", err.msg);
            return 1;
        }
        char *db = config_mask_url(servers_database_url());
        printf("postgresql: %s (%s%s)\n", st.pg_running ? "running" : "not running",
               st.pg_embedded ? "embedded, " : "", db);
        if (st.pg_embedded)
            printf("  data: %s%s\n", st.pg_data, st.pg_running ? "" : "");
        /* Durability as the server has it (not as a config file says it should be). */
        char fsync_setting[16] = "";
        if (!st.pg_embedded || st.pg_running)
            store_server_fsync(servers_database_url(), fsync_setting, sizeof fsync_setting);
        if (strcmp(fsync_setting, "off") == 0)
            printf("  durability: OFF (fsync off%s): data is lost on a crash\n",
                   st.pg_embedded ? ", MINCA_PG_FAST=1: a throwaway test cluster" : " on the server");
        else if (fsync_setting[0])
            printf("  durability: on (fsync %s)\n", fsync_setting);
        if (st.pg_fast_ignored)
            printf("  MINCA_PG_FAST=1 is ignored: only a throwaway cluster under the temporary directory may "
                   "run without fsync\n");
        char *redis = config_mask_url(servers_redis_url());
        char redis_why[1100] = "";
        if (!st.redis_embedded) {
            /* A shared Redis is running only if it answers. */
            minca_err rerr = {0};
            redisContext *r = queue_redis_connect(&rerr);
            redisReply *pong = r ? queue_redis_cmd(r, &rerr, "PING") : NULL;
            st.redis_running = pong && pong->type == REDIS_REPLY_STATUS && strcmp(pong->str, "PONG") == 0;
            if (!st.redis_running)
                snprintf(redis_why, sizeof redis_why, "  %s\n", rerr.msg[0] ? rerr.msg : "no PONG");
            if (pong)
                freeReplyObject(pong);
            if (r)
                redisFree(r);
        }
        printf("redis:      %s (%s%s)\n%s", st.redis_running ? "running" : "not running",
               st.redis_embedded ? "embedded, " : "", redis, redis_why);
        g_free(redis);
        g_free(db);
        return st.pg_running && st.redis_running ? 0 : 3;
    }
    return cli_usage_error(&db_command, "unknown action '%s'", action);
}

static const cli_command config_command;

/* `minca config get NAME...`: one bare value per line, for scripts. */
static int config_get_run(int argc, char **argv)
{
    if (argc < 3)
        return cli_usage_error(&config_command, "'get' needs the name of a setting (minca config --options lists them)");
    int status = 0;
    for (int i = 2; i < argc; i++) {
        bool known = false;
        char *value = config_value(argv[i], &known);
        if (!known) {
            g_free(value);
            return cli_usage_error(&config_command, "no setting named '%s' (minca config --options lists them)", argv[i]);
        }
        if (!value) {
            fprintf(stderr, "minca config: %s has no value\n", argv[i]);
            printf("\n");
            status = 1;
            continue;
        }
        printf("%s\n", value);
        g_free(value);
    }
    return status;
}

static const char *origin_name(config_origin o)
{
    return o == CONFIG_FROM_ENV ? "env" : o == CONFIG_FROM_FILE ? "file" : "default";
}

/* `minca config --json`: {"name": {"value": ..., "from": "default|file|env"}, ...}. */
static int config_json_run(void)
{
    size_t n = 0;
    const config_option *opts = config_options(&n);
    json_t *all = json_object();
    for (size_t i = 0; i < n; i++) {
        char *value = config_value(opts[i].name, NULL);
        json_object_set_new(all, opts[i].name,
                            json_pack("{s:o, s:s}", "value", value ? json_string(value) : json_null(), "from",
                                      origin_name(config_option_origin(opts[i].name))));
        g_free(value);
    }
    char *text = json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(all);
    return 0;
}

static int config_run(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--options") == 0 || strcmp(argv[1], "options") == 0)) {
        config_print_options(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "get") == 0)
        return config_get_run(argc, argv);
    if (argc == 2 && strcmp(argv[1], "--json") == 0)
        return config_json_run();
    if (argc > 1)
        return cli_usage_error(&config_command, "unknown argument '%s'", argv[1]);
    config_print(stdout);
    return 0;
}

CLI_COMMAND(config_command, {
    .name = "config",
    .summary = "print every setting in effect and where it came from (secrets masked)",
    .usage = "usage: minca config [--options | --json | get NAME...]\n\n"
             "Prints every setting in effect, each with where its value came from: the default,\n"
             "the file (~/.config/minca/config.yaml, or $MINCA_CONFIG) or the environment, which\n"
             "wins over the file. Passwords in URLs are masked.\n"
             "--options (and this help) lists every setting with its type, default, environment\n"
             "variable and help.\n"
             "--json prints every setting as {\"NAME\": {\"value\": ..., \"from\": \"default|file|env\"}}.\n"
             "get NAME... prints the bare value of each named setting, one per line, for scripts\n"
             "(`minca config get home`); exit status 1 when one has no value, 2 for an unknown name.\n",
    .run = config_run,
    .more_help = config_print_options,
})
