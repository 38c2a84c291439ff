/* config: the effective configuration — defaults, then ~/.config/minca/config.yaml (or
 * $MINCA_CONFIG), then environment variables. Loaded once at start; read-only afterwards. */
#ifndef MINCA_CONFIG_H
#define MINCA_CONFIG_H

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
    char *data_dir;        /* directory with codifier data files (aliases) */
    char *export_dir;      /* default directory for exported workbooks */
    int workers;           /* engine threads */
    int max_attempts;      /* a failing job is retried up to this many attempts, then dead */
    int lease_seconds;     /* job lease: a job whose worker stops responding is retried after it */
    int max_rows_per_attachment;   /* vehicle rows one attachment may hold; more is refused */
    int max_rows_per_case;         /* vehicle rows one case may hold over all its attachments */
    int max_extract_seconds;       /* reading one case's attachments stops with an error after this */
    char *metrics_listen;  /* HOST:PORT for the metrics listener of `minca worker`; NULL: off */
    char *log_format;      /* "text" (default) or "json": one JSON object per log line */
    config_llm llm;        /* the optional language model */
    config_keybinding *keys;   /* TUI key remaps from the `keys:` mapping */
    int n_keys;
    config_source *sources;    /* `sources:` mapping: configured mailboxes, in file order */
    int n_sources;
} minca_config;

/* Loads defaults, the YAML file and the environment. A YAML syntax error is reported with
 * its line and column. */
int config_load(minca_err *err);
const minca_config *config_get(void);
/* Sets the acting user (called once, by the login check in access.c). */
void config_set_user(const char *login);
/* Prints the effective configuration, with passwords in URLs masked. */
void config_print(FILE *out);
/* Returns a malloc'd copy of url with any password replaced by "****". */
char *config_mask_url(const char *url);
/* True when a model endpoint is configured (llm.base_url and llm.model). */
bool config_llm_enabled(void);
/* Directory holding the project's shipped files (themes, profiles, migrations, samples):
 * $MINCA_SHARE, else the source tree the binary was built in. */
const char *config_share_dir(void);

#endif
