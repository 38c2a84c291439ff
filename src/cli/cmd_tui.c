/* `minca tui` (and `minca` with no command): the terminal desk. */
#include "minca/cli.h"
#include "minca/tui.h"

#include <stdio.h>
#include <unistd.h>

static int run_tui(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "minca tui: takes no arguments (see 'minca help tui')\n");
        return 2;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "minca: the desk needs a terminal; use a subcommand (see 'minca help') when "
                        "scripting\n");
        return 2;
    }
    return tui_run();
}

CLI_COMMAND(cmd_tui, {
    .name = "tui",
    .summary = "open the terminal desk (the default with no command)",
    .usage = "usage: minca [tui]\n\n"
             "Opens the full-screen desk: Inbox, Cases, Matches and Profiles panes.\n"
             "Keys: 1-4 or Tab switch panes, j/k move, Enter opens, / filters, ? lists every key,\n"
             "q quits. Keys are remapped with a `keys:` mapping in the config file, e.g.\n"
             "  keys: {quit: Q, reload: R}\n"
             "The theme is themes/<name>.yaml, chosen by `theme:` in the config file or MINCA_THEME.\n"
             "Panes refresh themselves on the engine's events; MINCA_TUI_POLL=SECONDS sets how often\n"
             "the database is checked as well (default 3).\n",
    .run = run_tui,
})
