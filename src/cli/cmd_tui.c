/* `minca tui` (and `minca` with no command): the terminal desk. */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/store.h"
#include "minca/tui.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The login to the desk: refused without a role for the insurer, audited otherwise. When the
 * database cannot be reached the desk opens anyway and says so (it retries). */
static int desk_login(void)
{
    minca_err err = {0};
    PGconn *c = store_open(&err);
    if (!c && access_refused())
        fprintf(stderr, "minca: cannot open the desk: %s\n", err.msg);
    if (!c)
        return access_refused() ? -1 : 0;
    const char *slug = config_get()->insurer;
    int rc = access_require_slug(c, slug, ACCESS_READ, &err);
    store_insurer ins;
    if (rc == 0) {
        json_t *d = json_pack("{s:s, s:b}", "os_login", access_os_login(), "via_minca_user", access_impersonating());
        int found = store_insurer_find(c, slug, &ins, NULL);
        store_audit(c, found == 1 ? ins.id : 0, config_get()->user, "desk.login", "user", config_get()->user, d, NULL);
        json_decref(d);
    }
    PQfinish(c);
    if (rc < 0) {
        fprintf(stderr, "minca: cannot open the desk: %s\n", err.msg);
        return -1;
    }
    return 0;
}

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
    if (desk_login() < 0)
        return 1;
    return tui_run();
}

CLI_COMMAND(cmd_tui, {
    .name = "tui",
    .summary = "open the terminal desk (the default with no command)",
    .usage = "usage: minca [tui]\n\n"
             "Opens the full-screen desk: Inbox, Cases, Matches and Profiles panes. The pipeline runs\n"
             "inside it (config `workers` threads), so new mail and re-runs are processed while you work\n"
             "(MINCA_TUI_ENGINE=0 leaves that to `minca worker`).\n\n"
             "Keys: 1-4 or Tab switch panes, j/k move, Enter opens, / filters, o sorts, ? lists every\n"
             "key, q quits. Cases: f shows one status at a time, Enter opens the case. In a case:\n"
             "n next row to review, a accept, c candidates, s catalog search, x no match, u undo,\n"
             "N note, R ready, e export, W profile wizard, ! re-run. Decisions are saved at once,\n"
             "audited with your login name; A lists the case's audit trail. Keys your role does not\n"
             "allow are refused with the role they need.\n\n"
             "Keys are remapped with a `keys:` mapping in the config file, e.g.\n"
             "  keys: {quit: Q, reload: F5}\n"
             "The theme is themes/<name>.yaml, chosen by `theme:` in the config file or MINCA_THEME.\n"
             "Panes refresh themselves on the engine's events; MINCA_TUI_POLL=SECONDS sets how often\n"
             "the database is checked as well (default 3).\n",
    .run = run_tui,
})
