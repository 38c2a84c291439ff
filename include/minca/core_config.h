/* config: the effective configuration — defaults, then ~/.config/minca/config.yaml (or
 * $MINCA_CONFIG), then environment variables. Loaded once at start; read-only afterwards.
 *
 * Every setting is one row of the options table in config.c (name, type, default,
 * environment variable, file key, help), in the manner of tmux's options-table.c: the row
 * fills its field of minca_config, `minca config` prints it with where its value came from,
 * and `minca config --options` lists it with its help. A new setting is a field here and a
 * row there; nothing else reads the environment for a setting. */
#ifndef MINCA_CORE_CONFIG_H
#define MINCA_CORE_CONFIG_H

#include "minca/core.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct config_keybinding {
    char *action;   /* action name, e.g. "quit" */
    char *key;      /* key spec, e.g. "q", "C-x", "F5" */
} config_keybinding;

/* The optional language model (`llm:` in the file). With no base_url nothing is ever sent. */
typedef struct config_llm {
    char *base_url;          /* OpenAI-compatible API root, e.g. https://host/v1; NULL: no model */
    char *model;             /* model name sent with every request */
    char *api_key_env;       /* environment variable holding the API key (MINCA_LLM_API_KEY) */
    char *api_key_file;      /* or a file whose first line is the key */
    int timeout_seconds;     /* per request (default 30) */
    int max_tokens;          /* answer size limit (default 800) */
    int max_retries;         /* retries on 429 / 5xx (default 3) */
    double monthly_budget;   /* per insurer and calendar month, in price units; 0: unlimited */
    double price_prompt;     /* price per million prompt tokens (default 0) */
    double price_completion; /* price per million completion tokens (default 0) */
} config_llm;
/* One configured mail source (`sources:` mapping, keyed by name): its settings as written.
 * Secrets are never values here: only the name of the environment variable or file that
 * holds them (`password_env`, `password_file`, `client_secret_env`, ...). */
typedef struct config_source {
    char *name;
    char **keys;    /* n settings, in file order */
    char **values;
    int n;
} config_source;

/* Value of a source setting, or NULL when absent. */
const char *config_source_get(const config_source *s, const char *key);
/* Integer setting, or def when absent or not a number. */
int config_source_int(const config_source *s, const char *key, int def);
/* The configured source by name, or NULL. */
const config_source *config_source_find(const char *name);
/* True for setting names that would hold a secret in clear ("password", "client_secret",
 * "client_state", "token"): those are refused and never printed. */
bool config_key_is_secret(const char *key);

typedef struct minca_config {
    char *config_path;     /* file read (may not exist) */
    char *home;            /* MINCA_HOME: state directory (embedded servers, logs, exports) */
    char *log_dir;         /* $home/log */
    char *database_url;    /* NULL: use the embedded PostgreSQL under home */
    char *redis_url;       /* NULL: use the embedded redis-server under home */
    char *insurer;         /* default insurer slug */
    char *theme;           /* theme name or path */
    char *user;            /* acting user: the account's login, then the user the login check
                            * resolved (access.h) */
    char *user_override;   /* MINCA_USER or `user:`: honoured only for an admin (access.h) */
    char *catalog_dir;     /* directory with the demo catalog */
    char *share;           /* config_share_dir() at load, for printing */
    char *data_dir;        /* directory with codifier data files (aliases) */
    char *export_dir;      /* default directory for exported workbooks */
    int workers;           /* engine threads */
    int max_attempts;      /* a failing job is retried up to this many attempts, then dead */
    int lease_seconds;     /* job lease: a job whose worker stops responding is retried after it */
    int max_rows_per_attachment;   /* vehicle rows one attachment may hold; more is refused */
    int max_rows_per_case;         /* vehicle rows one case may hold over all its attachments */
    int max_extract_seconds;       /* reading one case's attachments stops with an error after this */
    double ocr_auto_accept;        /* a row read from an image (OCR) may be auto-accepted only when
                                    * its OCR confidence (0..100) is at least this; above 100: never */
    int ocr_min_image_width;       /* a smaller attached picture is no vehicle list (a logo) */
    int ocr_min_image_height;
    char *metrics_listen;  /* HOST:PORT for the metrics listener of `minca worker`; NULL: off */
    char *log_format;      /* "text" (default) or "json": one JSON object per log line */
    char *app_database_url; /* MINCA_APP_DATABASE_URL: the login the sessions run as; NULL: database_url */
    char *profiles_dir;    /* MINCA_PROFILES: shipped profiles; NULL: <share>/profiles */
    char *service_home;    /* service.home: a team desk's servers live here; NULL: single person */
    char *service_account; /* service.account: the account owning them (default minca) */
    char *service_group;   /* service.group: staff group that may reach the socket (account-staff) */
    char *pg_bindir;       /* MINCA_PG_BINDIR: PostgreSQL programs; NULL: searched for */
    bool pg_fast;          /* MINCA_PG_FAST: a throwaway test cluster runs without fsync */
    double review_accept_share; /* review.accept_share: share right A promises (0.5..1) */
    double tui_poll;       /* tui.poll: seconds between change checks of the desk (>= 0.5) */
    bool tui_engine;       /* tui.engine: run the pipeline inside the desk */
    bool tui_mouse;        /* tui.mouse: clicks and the wheel in the desk */
    bool tui_ascii;        /* tui.ascii: the dashboard draws its bars in ASCII */
    config_llm llm;        /* the optional language model */
    config_keybinding *keys;   /* TUI key remaps from the `keys:` mapping (a GArray's data) */
    int n_keys;
    config_source *sources;    /* `sources:` mapping: configured mailboxes, in file order (a GArray's data) */
    int n_sources;
} minca_config;

typedef enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_DOUBLE, CONFIG_BOOL } config_type;
typedef enum config_origin { CONFIG_FROM_DEFAULT, CONFIG_FROM_FILE, CONFIG_FROM_ENV } config_origin;

enum {
    CONFIG_OPT_URL = 1,      /* a URL or conninfo: its password is masked when printed */
    CONFIG_OPT_ENV_NAME = 2, /* names an environment variable: printed with whether it is set */
};

/* One row of the options table. */
typedef struct config_option {
    const char *name;     /* shown name; "llm.model" is `model:` under `llm:` in the file */
    config_type type;
    const char *def;      /* default as text; NULL: unset or derived at load (see unset) */
    const char *env;      /* environment variable that overrides the file, or NULL */
    const char *key;      /* key in the file ("llm.model"), or NULL: environment only */
    const char *alias;    /* another accepted file key, or NULL */
    size_t offset;        /* the field of minca_config it fills */
    int min;              /* integers and numbers: a smaller value is raised to this */
    unsigned flags;       /* CONFIG_OPT_* */
    const char *unset;    /* what no value means, shown instead of one ("(off)") */
    const char *help;
} config_option;

/* The options table (static, n rows in *n). */
const config_option *config_options(size_t *n);
/* Where the named option's value came from at the last config_load (default when unknown). */
config_origin config_option_origin(const char *name);
/* Lists every option with its type, default, environment variable and help. */
void config_print_options(FILE *out);

/* Loads defaults, the YAML file and the environment. A YAML syntax error is reported with
 * its line and column. */
int config_load(minca_err *err);
const minca_config *config_get(void);
/* Sets the acting user (called once, by the login check in access.c). */
void config_set_user(const char *login);
/* Prints every setting of the options table with its value and where it came from
 * (default, file, env), then the key remaps and mail sources; passwords in URLs masked. */
void config_print(FILE *out);
/* The value in effect of the option named `name` (as `minca config` names it), as text with
 * passwords in URLs masked; g_malloc'd, NULL when the option has no value. *known (may be NULL)
 * says whether the table has such an option. */
char *config_value(const char *name, bool *known);
/* Returns a g_malloc'd copy of url with any password replaced by "****". */
char *config_mask_url(const char *url);
/* True when a model endpoint is configured (llm.base_url and llm.model). */
bool config_llm_enabled(void);
/* The file a host's team desk is described in (minca service init writes it; read by every
 * account with no file of its own and no MINCA_CONFIG). */
#define CONFIG_SYSTEM_FILE "/etc/minca/config.yaml"
/* A team desk is configured: service.home is set. */
bool config_team(void);
/* The process runs as the team desk's service account (service.account). */
bool config_is_service_account(void);
/* The process is one person of a team desk: a team desk is configured and the process runs
 * neither as its service account nor as root. Its identity is the database session's role. */
bool config_team_staff(void);

/* Directory holding the project's shipped files (themes, profiles, migrations, samples):
 * $MINCA_SHARE, else the source tree the binary was built in. */
const char *config_share_dir(void);

#endif
