/* minca metrics serve | show | health */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/metrics.h"
#include "minca/store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define METRICS_DEFAULT_LISTEN "127.0.0.1:9464"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int metrics_run(int argc, char **argv);

CLI_COMMAND(metrics_command, {
    .name = "metrics",
    .summary = "Prometheus metrics, health and readiness over HTTP",
    .usage = "usage: minca metrics serve [--listen HOST:PORT]\n"
             "       minca metrics show\n"
             "       minca metrics health\n\n"
             "serve   listens (default " METRICS_DEFAULT_LISTEN ") until SIGTERM/SIGINT and answers\n"
             "        /metrics  the Prometheus text format: messages, jobs and their durations, queue\n"
             "                  depth, codifier decisions and confidence, reviews, time to ready,\n"
             "                  exports, live workers; the whole team's numbers, read from PostgreSQL\n"
             "        /healthz  200 when PostgreSQL and Redis answer and the schema is current, else 503\n"
             "        /readyz   200 when /metrics can be served\n"
             "show    prints what /metrics would answer\n"
             "health  prints the /healthz answer; exit status 1 when unhealthy\n\n"
             "'minca worker --metrics-listen HOST:PORT' (or metrics_listen in the config) runs the same\n"
             "listener inside a worker.\n\n"
             "The whole team's numbers: every action needs the supervisor role for every insurer (health,\n"
             "only while PostgreSQL answers). The listener limits connections per client and in total,\n"
             "and the time and size of a request head (see README, Watching the desk).\n",
    .run = metrics_run,
})

static int metrics_serve(int argc, char **argv)
{
    const char *listen = METRICS_DEFAULT_LISTEN;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strncmp(argv[i], "--listen=", 9) == 0)
            listen = argv[i] + 9;
        else
            return cli_usage_error(&metrics_command, "unknown argument '%s'", argv[i]);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    minca_err err = {0};
    metrics_server *s = metrics_server_start(listen, &err);
    if (!s) {
        fprintf(stderr, "minca metrics: %s\n", err.msg);
        return 1;
    }
    fprintf(stderr, "minca metrics: serving /metrics, /healthz and /readyz on %s (port %d)\n", listen,
            metrics_server_port(s));
    while (!stop_requested)
        pause();
    metrics_server_stop(s);
    return 0;
}

static int metrics_show(void)
{
    minca_err err = {0};
    PGconn *c = store_connect(&err);
    if (!c) {
        fprintf(stderr, "minca metrics: %s\n", err.msg);
        return 1;
    }
    GString *out = g_string_new(NULL);
    int rc = metrics_render(c, out, &err);
    PQfinish(c);
    if (rc == 0)
        fputs(out->str, stdout);
    else
        fprintf(stderr, "minca metrics: %s\n", err.msg);
    g_string_free(out, TRUE);
    return rc == 0 ? 0 : 1;
}

static int metrics_health_cmd(void)
{
    metrics_health h;
    metrics_health_check(&h);
    char *json = metrics_health_json(&h);
    puts(json);
    g_free(json);
    return h.postgresql && h.redis && h.migrations ? 0 : 1;
}

static int metrics_run(int argc, char **argv)
{
    const char *action = argc > 1 ? argv[1] : "show";
    /* The whole team's numbers: a supervisor of every insurer. Health alone is still told
     * when PostgreSQL does not answer (no one can be checked then, and it holds no data). */
    bool health = strcmp(action, "health") == 0;
    minca_err perr = {0};
    PGconn *probe = health ? store_connect_timeout(3, &perr) : NULL;
    if (probe)
        PQfinish(probe);
    if ((!health || probe) && cli_require_all(&metrics_command, ACCESS_READ_METRICS) != 0)
        return 1;
    if (strcmp(action, "serve") == 0)
        return metrics_serve(argc, argv);
    if (argc > 2)
        return cli_usage_error(&metrics_command, "unexpected argument '%s'", argv[2]);
    if (strcmp(action, "show") == 0)
        return metrics_show();
    if (strcmp(action, "health") == 0)
        return metrics_health_cmd();
    return cli_usage_error(&metrics_command, "unknown action '%s'", action);
}
