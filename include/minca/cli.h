/* cli: subcommand registry. Each command is defined with CLI_COMMAND in its src/cli/cmd_*.c
 * and named once in CLI_COMMANDS, the table cli_find and cli_each read (as tmux's cmd_table):
 * nothing registers itself before main. `minca help` lists them in name order. */
#ifndef MINCA_CLI_H
#define MINCA_CLI_H

#include <stdio.h>

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct cli_command {
    const char *name;      /* first word after `minca` */
    const char *summary;   /* one line for `minca help` */
    const char *usage;     /* full usage text for `minca help NAME` and `NAME --help` */
    /* argv[0] is the command name; returns the process exit status. */
    int (*run)(int argc, char **argv);
    /* Optional: help generated from data (e.g. the options table), printed after usage. */
    void (*more_help)(FILE *out);
} cli_command;
/* Prints the command's usage and its generated help to out. */
void cli_print_help(const cli_command *cmd, FILE *out);

/* The manual page minca(1) in troff, generated from the command table (each command's
 * summary, usage and generated help), to out. */
void cli_print_man(FILE *out, const char *version);
const cli_command *cli_find(const char *name);
/* Calls fn for every registered command in name order. */
void cli_each(void (*fn)(const cli_command *cmd, void *user), void *user);
/* True when argv holds -h or --help (then the command prints its usage and returns 0). */
bool cli_wants_help(int argc, char **argv);
/* Checks argv[1..argc) against the options the command's help names (its usage and generated
 * help: "--json", "--insurer SLUG", "--by day|week"): an option it does not name, or one
 * named with a value given none (the last word, or followed by another option), is answered
 * with the reason and the usage on stderr. Returns 0 when they are fine, else the exit status
 * 2. A word after "--" is no option. */
int cli_check_options(const cli_command *cmd, int argc, char **argv);
/* Prints "minca NAME: message" to stderr and returns exit status 2 (usage) for convenience. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs the user in (store_open) and checks that they may do act for every insurer. 0, or an
 * exit status (1) after "minca NAME: reason" on stderr. act is an access_action. */
int cli_require_all(const cli_command *cmd, int act);

/* "no insurer 'SLUG'; the insurers are: a, b" (or that there is none yet and how one is made),
 * for a command that was given an insurer nobody created. A static buffer, valid until the next
 * call. */
const char *cli_unknown_insurer(PGconn *c, const char *slug);

/* s fitted to exactly width terminal columns (UTF-8 aware: accents and Ñ count one column,
 * cut with an ellipsis). Returns one of a few rotating static buffers: valid for the next
 * eight calls, enough for one printf line. */
const char *cli_fit(const char *s, int width);

/* Hands the loaded configuration to the libraries, which never read it themselves: the login
 * check with MINCA_USER (access_install), the data directory of the codifier, intake and
 * profiles, the servers' home, URLs and account (servers_configure). Called after every
 * config_load (start-up, a command that reloads it, a test program that loads it). */
void cli_apply_settings(void);

/* Every command, by the name of its definition (CLI_COMMAND in its file). */
#define CLI_COMMANDS(X) \
    X(audit_command) \
    X(batch_command) \
    X(case_command) \
    X(catalog_command) \
    X(cmd_mail) \
    X(cmd_tui) \
    X(codify_cmd) \
    X(config_command) \
    X(correction_command) \
    X(db_command) \
    X(eval_cmd) \
    X(export_command) \
    X(insurer_command) \
    X(intake_command) \
    X(jobs_command) \
    X(llm_command) \
    X(metrics_command) \
    X(profile_cmd) \
    X(report_command) \
    X(review_command) \
    X(service_command) \
    X(status_command) \
    X(tariff_command) \
    X(user_command) \
    X(worker_command)
#define CLI_COMMAND_DECLARE_(ident) extern const cli_command ident;
CLI_COMMANDS(CLI_COMMAND_DECLARE_)

#define CLI_COMMAND(ident, ...) const cli_command ident = __VA_ARGS__;

#endif
