/* minca: entry point. Global options, logging, then the subcommand (the TUI by default). */
#include <glib.h>
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/core.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void print_summary(const cli_command *cmd, void *user)
{
    (void)user;
    printf("  %-10s %s\n", cmd->name, cmd->summary);
}

static int print_help(const char *topic)
{
    if (topic && strcmp(topic, "--man") == 0) {
        cli_print_man(stdout, MINCA_VERSION);
        return 0;
    }
    if (topic) {
        const cli_command *cmd = cli_find(topic);
        if (!cmd) {
            fprintf(stderr, "minca: unknown command '%s' (see 'minca help')\n", topic);
            return 2;
        }
        cli_print_help(cmd, stdout);
        return 0;
    }
    printf("minca %s — fleet quote intake and vehicle codification desk\n\n"
           "usage: minca [-v] [COMMAND [ARGS...]]\n\n"
           "With no command, opens the terminal UI.\n\ncommands:\n",
           MINCA_VERSION);
    cli_each(print_summary, NULL);
    printf("\noptions:\n  -v, --verbose  more detail in the log (twice: also on stderr)\n"
           "  --log-format text|json  the log's format (json: one object per line)\n"
           "  --version      print the version\n\n"
           "'minca help COMMAND' or 'minca COMMAND --help' shows a command's usage;\n"
           "'minca help --man' writes the manual page (installed as minca.1).\n");
    return 0;
}

int main(int argc, char **argv)
{
    /* Every minca process may hold secrets (server passwords, mail and model keys): no core
     * dump, and no other process of the account reads its memory. */
    core_no_core_dumps();
    setlocale(LC_ALL, "");
    /* Exported workbooks, logs and everything else under $MINCA_HOME: the service user and its
     * group only (directories that must be traversable say so explicitly). */
    umask(027);
    int verbose = 0;
    const char *log_format_opt = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
            verbose++;
        else if (strcmp(argv[i], "-vv") == 0)
            verbose += 2;
        else if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc)
            log_format_opt = argv[++i];
        else if (strncmp(argv[i], "--log-format=", 13) == 0)
            log_format_opt = argv[i] + 13;
        else if (strcmp(argv[i], "--version") == 0) {
            printf("minca %s\n", MINCA_VERSION);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return print_help(NULL);
        else {
            fprintf(stderr, "minca: unknown option '%s' (see 'minca help')\n", argv[i]);
            return 2;
        }
    }

    minca_err err = {0};
    if (config_load(&err) < 0) {
        fprintf(stderr, "minca: %s\n", err.msg);
        return 1;
    }
    const minca_config *cfg = config_get();
    /* Traversable (not listable) so the embedded PostgreSQL's service user can reach its
     * data directory below it when minca runs as root. */
    bool home_existed = core_is_dir(cfg->home);
    core_mkdir_p(cfg->home, 0711, NULL);
    if (!home_existed)
        chmod(cfg->home, 0711);   /* the umask may have taken the search bits */
    char *log_path = core_path_join(cfg->log_dir, "minca.log");
    if (log_open(log_path, &err) < 0)
        fprintf(stderr, "minca: %s (logging to stderr)\n", err.msg);
    g_free(log_path);
    const char *format = log_format_opt ? log_format_opt : cfg->log_format;
    if (format && strcmp(format, "json") != 0 && strcmp(format, "text") != 0) {
        fprintf(stderr, "minca: log format '%s' is not text or json\n", format);
        return 2;
    }
    log_set_format(format && strcmp(format, "json") == 0 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
    log_set_level(verbose ? LOG_DEBUG : LOG_INFO);
    log_set_stderr(verbose > 1);

    const char *name = i < argc ? argv[i] : "tui";
    if (strcmp(name, "help") == 0)
        return print_help(i + 1 < argc ? argv[i + 1] : NULL);
    const cli_command *cmd = cli_find(name);
    if (!cmd) {
        fprintf(stderr, "minca: unknown command '%s' (see 'minca help')\n", name);
        return 2;
    }
    if (strcmp(cmd->name, "tui") != 0)
        core_guard_output();   /* broker text printed by any command reaches no terminal raw */
    int sub_argc = i < argc ? argc - i : 1;
    char *tui_argv[] = {(char *)"tui", NULL};
    char **sub_argv = i < argc ? argv + i : tui_argv;
    if (cli_wants_help(sub_argc, sub_argv)) {
        cli_print_help(cmd, stdout);
        return 0;
    }
    int status = cli_check_options(cmd, sub_argc, sub_argv);
    if (status == 0)
        status = cmd->run(sub_argc, sub_argv);
    log_close();
    return status;
}
