/* tui options: the tui.* rows of the configuration, owned by the desk and registered at
 * start-up. */
#include "minca/core_config.h"
#include "minca/tui.h"

#include <stddef.h>

static tui_settings settings;

#define OPT(field) offsetof(tui_settings, field)

static const config_option options[] = {
    {"tui.poll", CONFIG_DOUBLE, "3", "MINCA_TUI_POLL", "tui.poll", NULL, OPT(poll), 0, 0, NULL,
     "seconds between the desk's change checks (at least 0.5)"},
    {"tui.engine", CONFIG_BOOL, "1", "MINCA_TUI_ENGINE", "tui.engine", NULL, OPT(engine), 0, 0, NULL,
     "run the pipeline inside the desk; 0 leaves it to `minca worker`"},
    {"tui.mouse", CONFIG_BOOL, "0", "MINCA_TUI_MOUSE", "tui.mouse", NULL, OPT(mouse), 0, 0, NULL,
     "clicks select lines and panes, the wheel scrolls"},
    {"tui.ascii", CONFIG_BOOL, "0", "MINCA_TUI_ASCII", "tui.ascii", NULL, OPT(ascii), 0, 0, NULL,
     "the dashboard draws its bars in plain ASCII (always on a terminal that is not UTF-8)"},
};

static void loaded(void *base)
{
    tui_settings *s = base;
    if (s->poll < 0.5)
        s->poll = 3.0; /* a poll this fast would be busy work: the default instead */
    /* A person of a team desk leaves the pipeline to the service's workers unless told otherwise. */
    if (config_team_staff() && config_option_origin("tui.engine") == CONFIG_FROM_DEFAULT)
        s->engine = false;
}

void tui_options_register(void)
{
    config_register(options, sizeof options / sizeof options[0], &settings, loaded);
}

const tui_settings *tui_settings_get(void) { return &settings; }
