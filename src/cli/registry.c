#include "minca/access.h"
#include "minca/cli.h"
#include "minca/store_tui.h"
#include "minca/store.h"
#include "minca/core_text.h"

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLI_MAX_COMMANDS 64

static const cli_command *commands[CLI_MAX_COMMANDS];
static int command_count;

void cli_register(const cli_command *cmd)
{
    if (command_count < CLI_MAX_COMMANDS)
        commands[command_count++] = cmd;
}

const cli_command *cli_find(const char *name)
{
    for (int i = 0; i < command_count; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const cli_command *const *)a)->name, (*(const cli_command *const *)b)->name);
}

void cli_each(void (*fn)(const cli_command *cmd, void *user), void *user)
{
    qsort(commands, (size_t)command_count, sizeof commands[0], by_name);
    for (int i = 0; i < command_count; i++)
        fn(commands[i], user);
}

void cli_print_help(const cli_command *cmd, FILE *out)
{
    fputs(cmd->usage, out);
    if (cmd->more_help) {
        fputc('\n', out);
        cmd->more_help(out);
    }
}

/* How the help text names option opt (with its "--"): 0 not at all, 1 as a flag, 2 with a value
 * after it (an upper-case placeholder, or choices a|b). */
static int option_form(const char *help, const char *opt, size_t len)
{
    int form = 0;
    for (const char *at = strstr(help, opt); at; at = strstr(at + 1, opt)) {
        char next = at[len];
        if ((at > help && (g_ascii_isalnum(at[-1]) || at[-1] == '-')) || g_ascii_isalnum(next) || next == '-')
            continue;   /* part of a longer word */
        const char *v = at + len;
        if (*v == ' ' || *v == '=') {
            v++;
            bool upper = g_ascii_isupper(*v);
            const char *w = v;
            while (g_ascii_isalnum(*w) || *w == '-' || *w == '_')
                w++;
            if (upper || (*w == '|' && w > v)) {
                form = 2;
                continue;
            }
        }
        if (!form)
            form = 1;
    }
    return form;
}

int cli_check_options(const cli_command *cmd, int argc, char **argv)
{
    char *help = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&help, &size);
    if (!out)
        return 0;
    cli_print_help(cmd, out);
    fclose(out);
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strncmp(a, "--", 2) != 0 || !a[2])
            continue;
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        char opt[64];
        snprintf(opt, sizeof opt, "%.*s", (int)(len < sizeof opt - 1 ? len : sizeof opt - 1), a);
        int form = option_form(help, opt, strlen(opt));
        if (form == 0)
            rc = cli_usage_error(cmd, "unknown option '%s'", opt);
        else if (form == 2 && !eq && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0))
            rc = cli_usage_error(cmd, "option '%s' needs a value", opt);
        else if (form == 2 && !eq)
            i++;   /* its value, whatever it looks like */
    }
    free(help);
    return rc;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "minca %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s", cmd->usage);
    va_end(ap);
    return 2;
}

const char *cli_unknown_insurer(PGconn *c, const char *slug)
{
    static char msg[1024];
    minca_err err = {0};
    char *known = c ? store_tui_insurer_slugs(c, &err) : NULL;
    if (known && *known)
        snprintf(msg, sizeof msg, "no insurer '%s'; the insurers are: %s (--insurer SLUG or MINCA_INSURER picks one)",
                 slug ? slug : "", known);
    else
        snprintf(msg, sizeof msg,
                 "no insurer '%s' yet, and no other: `minca catalog import --insurer %s FILE` or `minca batch "
                 "--insurer %s DIR` creates it",
                 slug ? slug : "", slug ? slug : "", slug ? slug : "");
    g_free(known);
    return msg;
}

const char *cli_fit(const char *s, int width)
{
    static char bufs[8][512];
    static int next;
    char *out = bufs[next];
    next = (next + 1) % 8;
    text_fit_width(s ? s : "", width, false, out, sizeof bufs[0]);
    return out;
}

int cli_require_all(const cli_command *cmd, int act)
{
    minca_err err = {0};
    PGconn *c = store_open(&err);
    int rc = c ? access_require(c, 0, (access_action)act, &err) : -1;
    if (c)
        PQfinish(c);
    if (rc < 0) {
        fprintf(stderr, "minca %s: %s\n", cmd->name, err.msg);
        return 1;
    }
    return 0;
}

/* Text as troff: backslashes escaped, a line starting with . or ' kept as text. */
static void man_text(FILE *out, const char *text)
{
    bool line_start = true;
    for (const char *p = text; *p; p++) {
        if (line_start && (*p == '.' || *p == '\''))
            fputs("\\&", out);
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-')
            fputs("\\-", out);
        else
            fputc(*p, out);
        line_start = *p == '\n';
    }
    if (!line_start)
        fputc('\n', out);
}

static void man_command(const cli_command *cmd, void *user)
{
    FILE *out = user;
    fprintf(out, ".SS %s\n", cmd->name);
    man_text(out, cmd->summary);
    fputs(".PP\n.nf\n", out);
    char *more = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&more, &len);
    if (m) {
        cli_print_help(cmd, m);
        fclose(m);
        man_text(out, more);
        free(more);
    }
    fputs(".fi\n", out);
}

void cli_print_man(FILE *out, const char *version)
{
    fprintf(out, ".TH MINCA 1 \"\" \"minca %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\nminca \\- fleet quote intake and vehicle codification desk\n"
          ".SH SYNOPSIS\n.B minca\n[\\-v] [\\-\\-log\\-format text|json] [\\fICOMMAND\\fR [\\fIARGS\\fR...]]\n"
          ".SH DESCRIPTION\nWith no command, minca opens the terminal desk. Each command below is listed with\n"
          "its usage, as \\fBminca help\\fR \\fICOMMAND\\fR prints it. An unknown option or a missing value\n"
          "gets the command's usage and exit status 2.\n.SH COMMANDS\n",
          out);
    cli_each(man_command, out);
    fputs(".SH EXIT STATUS\n0 on success, 1 when the work failed, 2 for a usage error.\n"
          ".SH SEE ALSO\n\\fBminca help\\fR, \\fBminca config \\-\\-options\\fR\n",
          out);
}
