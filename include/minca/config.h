/* config: the effective configuration — defaults, then ~/.config/minca/config.yaml (or
 * $MINCA_CONFIG), then environment variables. Loaded once at start; read-only afterwards. */
#ifndef MINCA_CONFIG_H
#define MINCA_CONFIG_H

#include "minca/core.h"

#include <stdio.h>

typedef struct config_keybinding {
    char *action;   /* action name, e.g. "quit" */
    char *key;      /* key spec, e.g. "q", "C-x", "F5" */
} config_keybinding;

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
    config_keybinding *keys;   /* TUI key remaps from the `keys:` mapping */
    int n_keys;
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
/* Directory holding the project's shipped files (themes, profiles, migrations, samples):
 * $MINCA_SHARE, else the source tree the binary was built in. */
const char *config_share_dir(void);

#endif
