#include "minca/core_config.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <yaml.h>
#include <glib.h>

#ifndef MINCA_SHARE_DIR
#define MINCA_SHARE_DIR "."
#endif

static minca_config cfg;
static char *share_dir;

static void set_str(char **slot, const char *value)
{
    g_free(*slot);
    *slot = value ? g_strdup(value) : NULL;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

const char *config_share_dir(void)
{
    if (share_dir)
        return share_dir;
    const char *env = env_nonempty("MINCA_SHARE");
    if (env) {
        share_dir = g_strdup(env);
        return share_dir;
    }
    /* The binary lives in <share>/build/minca (or build-asan): prefer that tree, it is the one
     * it was built from; else an installed layout beside the binary; else the compiled-in
     * share directory. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0';
                char *probe = core_path_join(exe, "migrations");
                bool found = core_is_dir(probe);
                g_free(probe);
                if (found) {
                    share_dir = g_strdup(exe);
                    return share_dir;
                }
                /* installed: <prefix>/bin/minca with its data in <prefix>/share/minca */
                char *installed = core_path_join(exe, "share/minca");
                probe = core_path_join(installed, "migrations");
                found = core_is_dir(probe);
                g_free(probe);
                if (found) {
                    share_dir = installed;
                    return share_dir;
                }
                g_free(installed);
            }
        }
    }
    share_dir = g_strdup(MINCA_SHARE_DIR);
    return share_dir;
}

#define OPT(field) offsetof(minca_config, field)

/* Every setting, in the order `minca config` prints them. A row with no default and no
 * value shows `unset`; home, config, export_dir, data_dir and share get a derived default
 * at load. Environment variables win over the file, the file over the default. */
static const config_option options[] = {
    {"config", CONFIG_STRING, NULL, "MINCA_CONFIG", NULL, NULL, OPT(config_path), 0, 0, NULL,
     "the config file read (default $XDG_CONFIG_HOME/minca/config.yaml or ~/.config/minca/config.yaml)"},
    {"home", CONFIG_STRING, NULL, "MINCA_HOME", "home", NULL, OPT(home), 0, 0, NULL,
     "state directory: embedded servers, logs, exports (default $XDG_DATA_HOME/minca or ~/.local/share/minca)"},
    {"database_url", CONFIG_STRING, NULL, "MINCA_DATABASE_URL", "database_url", NULL, OPT(database_url), 0, CONFIG_OPT_URL,
     "(embedded PostgreSQL under home)", "PostgreSQL to use instead of the embedded one"},
    {"app_database_url", CONFIG_STRING, NULL, "MINCA_APP_DATABASE_URL", NULL, NULL, OPT(app_database_url), 0,
     CONFIG_OPT_URL, "(database_url)", "the login the desk's sessions run as on a configured server"},
    {"redis_url", CONFIG_STRING, NULL, "MINCA_REDIS_URL", "redis_url", NULL, OPT(redis_url), 0, CONFIG_OPT_URL,
     "(embedded redis-server under home)", "Redis to use instead of the embedded one"},
    {"service.home", CONFIG_STRING, NULL, "MINCA_SERVICE_HOME", "service.home", NULL, OPT(service_home), 0, 0,
     "(no team desk: the embedded servers of the account)",
     "home of a team desk's servers, run by the service account (minca service init writes it)"},
    {"service.account", CONFIG_STRING, "minca", "MINCA_SERVICE_ACCOUNT", "service.account", NULL, OPT(service_account),
     0, 0, NULL, "the operating-system account that owns a team desk's servers"},
    {"service.group", CONFIG_STRING, NULL, "MINCA_SERVICE_GROUP", "service.group", NULL, OPT(service_group), 0, 0,
     "(service.account-staff)", "the operating-system group of the staff who may reach the team desk's database socket"},
    {"insurer", CONFIG_STRING, "demo", "MINCA_INSURER", "insurer", NULL, OPT(insurer), 0, 0, NULL,
     "insurer slug the commands and the desk work on"},
    {"theme", CONFIG_STRING, "default", "MINCA_THEME", "theme", NULL, OPT(theme), 0, 0, NULL,
     "colour theme of the desk: a name under themes/ or a path to a .yaml file"},
    {"user", CONFIG_STRING, NULL, "MINCA_USER", "user", NULL, OPT(user_override), 0, 0, "(the login account)",
     "act as this user; honoured only for an admin of every insurer"},
    {"workers", CONFIG_INT, "2", "MINCA_WORKERS", "workers", NULL, OPT(workers), 1, 0, NULL,
     "pipeline threads (desk, batch, worker)"},
    {"lease_seconds", CONFIG_INT, "30", "MINCA_LEASE_SECONDS", "lease_seconds", NULL, OPT(lease_seconds), 2, 0, NULL,
     "a job whose worker stops responding is retried after this"},
    {"max_attempts", CONFIG_INT, "5", "MINCA_MAX_ATTEMPTS", "max_attempts", NULL, OPT(max_attempts), 1, 0, NULL,
     "a failing job is retried up to this many attempts, then dead"},
    {"max_rows_per_attachment", CONFIG_INT, "10000", "MINCA_MAX_ROWS_PER_ATTACHMENT", "max_rows_per_attachment", NULL,
     OPT(max_rows_per_attachment), 1, 0, NULL, "vehicle rows one attachment may hold; more is refused"},
    {"max_rows_per_case", CONFIG_INT, "20000", "MINCA_MAX_ROWS_PER_CASE", "max_rows_per_case", NULL,
     OPT(max_rows_per_case), 1, 0, NULL, "vehicle rows one case may hold over all its attachments"},
    {"max_extract_seconds", CONFIG_INT, "300", "MINCA_MAX_EXTRACT_SECONDS", "max_extract_seconds", NULL,
     OPT(max_extract_seconds), 1, 0, NULL, "reading one case's attachments stops with an error after this"},
    {"ocr_auto_accept", CONFIG_DOUBLE, "101", "MINCA_OCR_AUTO_ACCEPT", "ocr_auto_accept", NULL, OPT(ocr_auto_accept), 0,
     0, "(never)", "a vehicle row read from an image by OCR is auto-accepted only at this OCR confidence (0-100) or above"},
    {"ocr_min_image_width", CONFIG_INT, "300", "MINCA_OCR_MIN_IMAGE_WIDTH", "ocr_min_image_width", NULL,
     OPT(ocr_min_image_width), 1, 0, NULL, "an attached picture narrower than this (pixels) is skipped as a logo"},
    {"ocr_min_image_height", CONFIG_INT, "60", "MINCA_OCR_MIN_IMAGE_HEIGHT", "ocr_min_image_height", NULL,
     OPT(ocr_min_image_height), 1, 0, NULL, "an attached picture lower than this (pixels) is skipped as a logo"},
    {"metrics_listen", CONFIG_STRING, NULL, "MINCA_METRICS_LISTEN", "metrics_listen", NULL, OPT(metrics_listen), 0, 0,
     "(off)", "HOST:PORT of the metrics listener of `minca worker`"},
    {"log_format", CONFIG_STRING, NULL, "MINCA_LOG_FORMAT", "log_format", NULL, OPT(log_format), 0, 0, "text",
     "text, or json: one JSON object per log line"},
    {"export_dir", CONFIG_STRING, NULL, "MINCA_EXPORT_DIR", "export_dir", NULL, OPT(export_dir), 0, 0, NULL,
     "where exported workbooks go (default home/exports)"},
    {"data_dir", CONFIG_STRING, NULL, "MINCA_DATA_DIR", "data_dir", NULL, OPT(data_dir), 0, 0, NULL,
     "codifier data files: aliases, abbreviations (default share/data)"},
    {"profiles_dir", CONFIG_STRING, NULL, "MINCA_PROFILES", NULL, NULL, OPT(profiles_dir), 0, 0, "(share/profiles)",
     "the shipped broker profiles"},
    {"share", CONFIG_STRING, NULL, "MINCA_SHARE", NULL, NULL, OPT(share), 0, 0, NULL,
     "the project's shipped files: themes, profiles, migrations, samples (default the source tree built from)"},
    {"pg_bindir", CONFIG_STRING, NULL, "MINCA_PG_BINDIR", NULL, NULL, OPT(pg_bindir), 0, 0,
     "(newest under /usr/lib/postgresql, else PATH)", "PostgreSQL programs for the embedded cluster"},
    {"pg_fast", CONFIG_BOOL, "0", "MINCA_PG_FAST", NULL, NULL, OPT(pg_fast), 0, 0, NULL,
     "an embedded cluster under the temporary directory runs without fsync (tests)"},
    {"tui.poll", CONFIG_DOUBLE, "3", "MINCA_TUI_POLL", "tui.poll", NULL, OPT(tui_poll), 0, 0, NULL,
     "seconds between the desk's change checks (at least 0.5)"},
    {"review.accept_share", CONFIG_DOUBLE, "0.99", "MINCA_REVIEW_ACCEPT_SHARE", "review.accept_share", NULL,
     OPT(review_accept_share), 0, 0, NULL,
     "share of proposals that must be right among the rows A accepts at once (its proposed confidence level)"},
    {"tui.engine", CONFIG_BOOL, "1", "MINCA_TUI_ENGINE", "tui.engine", NULL, OPT(tui_engine), 0, 0, NULL,
     "run the pipeline inside the desk; 0 leaves it to `minca worker`"},
    {"tui.mouse", CONFIG_BOOL, "0", "MINCA_TUI_MOUSE", "tui.mouse", NULL, OPT(tui_mouse), 0, 0, NULL,
     "clicks select lines and panes, the wheel scrolls"},
    {"tui.ascii", CONFIG_BOOL, "0", "MINCA_TUI_ASCII", "tui.ascii", NULL, OPT(tui_ascii), 0, 0, NULL,
     "the dashboard draws its bars in plain ASCII (always on a terminal that is not UTF-8)"},
    {"llm.base_url", CONFIG_STRING, NULL, "MINCA_LLM_BASE_URL", "llm.base_url", NULL, OPT(llm.base_url), 0,
     CONFIG_OPT_URL, "(none)", "OpenAI-compatible API root of the optional language model"},
    {"llm.model", CONFIG_STRING, NULL, "MINCA_LLM_MODEL", "llm.model", NULL, OPT(llm.model), 0, 0, "(none)",
     "model name sent with every request"},
    {"llm.api_key_env", CONFIG_STRING, "MINCA_LLM_API_KEY", NULL, "llm.api_key_env", NULL, OPT(llm.api_key_env), 0,
     CONFIG_OPT_ENV_NAME, NULL, "environment variable holding the API key"},
    {"llm.api_key_file", CONFIG_STRING, NULL, NULL, "llm.api_key_file", NULL, OPT(llm.api_key_file), 0, 0, "(none)",
     "or a file whose first line is the API key"},
    {"llm.timeout_seconds", CONFIG_INT, "30", NULL, "llm.timeout_seconds", "llm.timeout", OPT(llm.timeout_seconds), 1, 0,
     NULL, "per request"},
    {"llm.max_tokens", CONFIG_INT, "800", NULL, "llm.max_tokens", NULL, OPT(llm.max_tokens), 16, 0, NULL,
     "answer size limit"},
    {"llm.max_retries", CONFIG_INT, "3", NULL, "llm.max_retries", NULL, OPT(llm.max_retries), 0, 0, NULL,
     "retries on 429 / 5xx"},
    {"llm.monthly_budget", CONFIG_DOUBLE, "0", NULL, "llm.monthly_budget", NULL, OPT(llm.monthly_budget), 0, 0, NULL,
     "per insurer and calendar month, in price units; 0: unlimited"},
    {"llm.price_prompt", CONFIG_DOUBLE, "0", NULL, "llm.price_prompt", NULL, OPT(llm.price_prompt), 0, 0, NULL,
     "price per million prompt tokens"},
    {"llm.price_completion", CONFIG_DOUBLE, "0", NULL, "llm.price_completion", NULL, OPT(llm.price_completion), 0, 0,
     NULL, "price per million completion tokens"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static config_origin origins[N_OPTIONS];

const config_option *config_options(size_t *n)
{
    *n = N_OPTIONS;
    return options;
}

static const config_option *option_named(const char *name)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

config_origin config_option_origin(const char *name)
{
    const config_option *o = option_named(name);
    return o ? origins[o - options] : CONFIG_FROM_DEFAULT;
}

static bool parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0)
            return *out = true, true;
        if (g_ascii_strcasecmp(text, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

/* Stores text (NULL: no value) into the option's field. */
static void option_set(const config_option *o, const char *text, config_origin origin)
{
    void *field = (char *)&cfg + o->offset;
    switch (o->type) {
    case CONFIG_STRING:
        set_str((char **)field, text);
        break;
    case CONFIG_INT:
        *(int *)field = text ? atoi(text) : 0;
        break;
    case CONFIG_DOUBLE:
        *(double *)field = text ? atof(text) : 0;
        break;
    case CONFIG_BOOL:
        if (text && !parse_bool(text, (bool *)field)) {
            log_warn("config: %s: '%s' is not a yes/no value; kept %s", o->name, text, *(bool *)field ? "1" : "0");
            return;
        }
        break;
    }
    origins[o - options] = origin;
}

/* Raises a number below the option's floor to it. */
static void option_clamp(const config_option *o)
{
    void *field = (char *)&cfg + o->offset;
    if (o->type == CONFIG_INT && *(int *)field < o->min)
        *(int *)field = o->min;
    else if (o->type == CONFIG_DOUBLE && *(double *)field < o->min)
        *(double *)field = o->min;
}

/* The option's value as text (g_malloc'd; NULL when it has none), URLs masked. */
static char *option_text(const config_option *o)
{
    const void *field = (const char *)&cfg + o->offset;
    switch (o->type) {
    case CONFIG_STRING: {
        const char *v = *(char *const *)field;
        if (!v)
            return NULL;
        return (o->flags & CONFIG_OPT_URL) ? config_mask_url(v) : g_strdup(v);
    }
    case CONFIG_INT:
        return core_strdup_printf("%d", *(const int *)field);
    case CONFIG_DOUBLE:
        return core_strdup_printf("%g", *(const double *)field);
    case CONFIG_BOOL:
        return g_strdup(*(const bool *)field ? "1" : "0");
    }
    return NULL;
}

char *config_value(const char *name, bool *known)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (strcmp(options[i].name, name) == 0) {
            if (known)
                *known = true;
            return option_text(&options[i]);
        }
    }
    if (known)
        *known = false;
    return NULL;
}

bool config_key_is_secret(const char *key)
{
    static const char *const secret[] = {"password", "client_secret", "client_state", "token", "secret"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (strcmp(key, secret[i]) == 0)
            return true;
    return false;
}

const char *config_source_get(const config_source *s, const char *key)
{
    if (!s)
        return NULL;
    for (int i = s->n - 1; i >= 0; i--)
        if (strcmp(s->keys[i], key) == 0)
            return s->values[i];
    return NULL;
}

int config_source_int(const config_source *s, const char *key, int def)
{
    const char *v = config_source_get(s, key);
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && end != v && *end == '\0' ? (int)n : def;
}

const config_source *config_source_find(const char *name)
{
    for (int i = 0; name && i < cfg.n_sources; i++)
        if (strcmp(cfg.sources[i].name, name) == 0)
            return &cfg.sources[i];
    return NULL;
}

static GArray *sources_arr; /* of config_source: cfg.sources is its data */
static GArray *keys_arr;    /* of config_keybinding: cfg.keys is its data */

/* sources: NAME: {key: value}. A secret written in clear is dropped (with a warning that
 * does not repeat it): credentials come from the environment or a private file. */
static void apply_source_key(const char *name, const char *key, const char *value)
{
    config_source *s = (config_source *)config_source_find(name);
    if (!s) {
        if (!sources_arr)
            sources_arr = g_array_new(FALSE, TRUE, sizeof(config_source));
        config_source fresh = {.name = g_strdup(name)};
        g_array_append_val(sources_arr, fresh);
        cfg.sources = (config_source *)(void *)sources_arr->data;
        cfg.n_sources = (int)sources_arr->len;
        s = &cfg.sources[cfg.n_sources - 1];
    }
    if (config_key_is_secret(key)) {
        log_warn("config: sources.%s.%s ignored: a secret is never kept in the config file; "
                 "use %s_env (an environment variable) or %s_file (a file only the service user can read)",
                 name, key, key, key);
        return;
    }
    /* g_renew aborts rather than fail: the old arrays are never lost. */
    s->keys = g_renew(char *, s->keys, (gsize)s->n + 1);
    s->values = g_renew(char *, s->values, (gsize)s->n + 1);
    s->keys[s->n] = g_strdup(key);
    s->values[s->n] = g_strdup(value);
    s->n++;
}

static void apply_keybinding(const char *action, const char *spec)
{
    if (!keys_arr)
        keys_arr = g_array_new(FALSE, TRUE, sizeof(config_keybinding));
    config_keybinding kb = {.action = g_strdup(action), .key = g_strdup(spec)};
    g_array_append_val(keys_arr, kb);
    cfg.keys = (config_keybinding *)(void *)keys_arr->data;
    cfg.n_keys = (int)keys_arr->len;
}

/* A file key, `key` at the top or `section.key`: the option whose file key or alias it is. */
static const config_option *option_for_file_key(const char *full)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if ((options[i].key && strcmp(options[i].key, full) == 0) ||
            (options[i].alias && strcmp(options[i].alias, full) == 0))
            return &options[i];
    return NULL;
}

static void apply_key(const char *section, const char *key, const char *value)
{
    if (section && strcmp(section, "keys") == 0) {
        apply_keybinding(key, value);
        return;
    }
    char *full = section ? core_strdup_printf("%s.%s", section, key) : g_strdup(key);
    const config_option *o = option_for_file_key(full);
    if (o)
        option_set(o, value, CONFIG_FROM_FILE);
    else if (section && strcmp(section, "llm") == 0 && strcmp(key, "api_key") == 0)
        log_warn("config: llm.api_key is not read from the file; use api_key_env or api_key_file");
    else if (!section || strcmp(section, "llm") == 0 || strcmp(section, "tui") == 0)
        log_warn("config: unknown key '%s' ignored", full);
    g_free(full);
}

/* Reads a mapping of scalars, with one level of nested mappings (e.g. `keys:`). */
static int parse_file(const char *path, minca_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : minca_err_set(err, "cannot read %s: %s", path, strerror(errno));
    yaml_parser_t parser;
    yaml_event_t ev;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0, depth = 0;
    char *section = NULL, *subsection = NULL, *pending_key = NULL;
    bool done = false;
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = minca_err_set(err, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                               parser.problem_mark.column + 1,
                               parser.problem ? parser.problem : "YAML syntax error");
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
            depth++;
            if (depth == 2 && pending_key) {
                g_free(section);
                section = pending_key;
                pending_key = NULL;
            } else if (depth == 3 && pending_key) {
                g_free(subsection);
                subsection = pending_key;
                pending_key = NULL;
            }
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (depth == 2) {
                g_free(subsection);
                subsection = NULL;
            }
            if (depth == 1) {
                g_free(section);
                section = NULL;
            }
            break;
        case YAML_SCALAR_EVENT: {
            const char *text = (const char *)ev.data.scalar.value;
            if (!pending_key) {
                pending_key = g_strdup(text);
            } else {
                if (depth == 3 && section && subsection && strcmp(section, "sources") == 0)
                    apply_source_key(subsection, pending_key, text);
                else if (depth <= 2)
                    apply_key(depth == 2 ? section : NULL, pending_key, text);
                g_free(pending_key);
                pending_key = NULL;
            }
            break;
        }
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    g_free(section);
    g_free(subsection);
    g_free(pending_key);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

/* Forgets a previous load (config_load may run more than once, e.g. in tests). */
static char *retired_user;

static void config_reset(void)
{
    g_free(retired_user);
    retired_user = NULL;
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].type == CONFIG_STRING)
            set_str((char **)(void *)((char *)&cfg + options[i].offset), NULL);
    char **derived[] = {&cfg.log_dir, &cfg.user, &cfg.catalog_dir};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        set_str(derived[i], NULL);
    for (int i = 0; i < cfg.n_keys; i++) {
        g_free(cfg.keys[i].action);
        g_free(cfg.keys[i].key);
    }
    if (keys_arr)
        g_array_free(keys_arr, TRUE);
    keys_arr = NULL;
    for (int i = 0; i < cfg.n_sources; i++) {
        config_source *src = &cfg.sources[i];
        for (int j = 0; j < src->n; j++) {
            g_free(src->keys[j]);
            g_free(src->values[j]);
        }
        g_free(src->keys);
        g_free(src->values);
        g_free(src->name);
    }
    if (sources_arr)
        g_array_free(sources_arr, TRUE);
    sources_arr = NULL;
    memset(&cfg, 0, sizeof cfg);
    memset(origins, 0, sizeof origins);
}

bool config_team(void) { return cfg.service_home && *cfg.service_home; }

bool config_is_service_account(void)
{
    struct passwd *pw = getpwnam(cfg.service_account ? cfg.service_account : "minca");
    return pw && pw->pw_uid == geteuid();
}

bool config_team_staff(void) { return config_team() && geteuid() != 0 && !config_is_service_account(); }

int config_load(minca_err *err)
{
    config_reset();
    const char *home_env = env_nonempty("HOME");
    const char *home = home_env ? home_env : "/tmp";
    const char *xdg_config = env_nonempty("XDG_CONFIG_HOME");
    const char *xdg_data = env_nonempty("XDG_DATA_HOME");

    for (size_t i = 0; i < N_OPTIONS; i++)
        option_set(&options[i], options[i].def, CONFIG_FROM_DEFAULT);
    cfg.config_path = xdg_config ? core_strdup_printf("%s/minca/config.yaml", xdg_config)
                                 : core_strdup_printf("%s/.config/minca/config.yaml", home);
    cfg.home = xdg_data ? core_strdup_printf("%s/minca", xdg_data) : core_strdup_printf("%s/.local/share/minca", home);
    /* The file to read is itself a setting, of the environment only. */
    const config_option *file_opt = option_named("config");
    if (env_nonempty(file_opt->env))
        option_set(file_opt, getenv(file_opt->env), CONFIG_FROM_ENV);

    /* A host's team desk (minca service init) is read by every account that has no file of its own. */
    if (!env_nonempty(file_opt->env) && !core_file_exists(cfg.config_path) && core_file_exists(CONFIG_SYSTEM_FILE))
        set_str(&cfg.config_path, CONFIG_SYSTEM_FILE);
    if (parse_file(cfg.config_path, err) < 0)
        return -1;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = options[i].env && &options[i] != file_opt ? env_nonempty(options[i].env) : NULL;
        if (v)
            option_set(&options[i], v, CONFIG_FROM_ENV);
        option_clamp(&options[i]);
    }
    if (cfg.tui_poll < 0.5)
        cfg.tui_poll = 3.0; /* a poll this fast would be busy work: the default instead */
    if (!(cfg.review_accept_share >= 0.5 && cfg.review_accept_share <= 1.0))
        cfg.review_accept_share = 0.99; /* below a coin flip is no promise: the default instead */
    /* The account the process runs as; MINCA_USER is only a request the login check weighs. */
    cfg.user = core_os_login();

    if (!cfg.service_group || !*cfg.service_group) {
        g_free(cfg.service_group);
        cfg.service_group = core_strdup_printf("%s-staff", cfg.service_account ? cfg.service_account : "minca");
    }
    /* A person of a team desk leaves the pipeline to the service's workers unless told otherwise. */
    if (config_team_staff() && config_option_origin("tui.engine") == CONFIG_FROM_DEFAULT)
        cfg.tui_engine = false;
    /* The service account of a team desk keeps its state in the desk's home. */
    if (cfg.service_home && *cfg.service_home && config_is_service_account())
        set_str(&cfg.home, cfg.service_home);
    cfg.log_dir = core_path_join(cfg.home, "log");
    if (!cfg.export_dir)
        cfg.export_dir = core_path_join(cfg.home, "exports");
    if (!cfg.data_dir)
        cfg.data_dir = core_path_join(config_share_dir(), "data");
    set_str(&cfg.share, config_share_dir());
    cfg.catalog_dir = core_path_join(config_share_dir(), "samples/catalog");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = options[i].type == CONFIG_STRING ? *(char *const *)((const char *)&cfg + options[i].offset) : NULL;
        if (v && (options[i].flags & CONFIG_OPT_URL))
            core_secret_add_url(v);   /* masked wherever a message echoes it */
    }
    return 0;
}

const minca_config *config_get(void) { return &cfg; }

bool config_llm_enabled(void) { return !core_str_empty(cfg.llm.base_url) && !core_str_empty(cfg.llm.model); }

/* Callers may hold the account's name from before the login check: it stays valid (kept in
 * retired_user) until the next config_load. */
void config_set_user(const char *login)
{
    if (cfg.user && login && strcmp(cfg.user, login) == 0)
        return;
    g_free(retired_user);
    retired_user = cfg.user;
    cfg.user = login ? g_strdup(login) : NULL;
}

static char *mask_userinfo(const char *url);

/* Masks every value of key=VALUE (conninfo keywords, or ?password= in a URL query). */
static char *mask_keyword(const char *text, const char *key)
{
    GString *out = g_string_new(NULL);
    const char *p = text, *at;
    while ((at = strstr(p, key))) {
        const char *value = at + strlen(key);
        g_string_append_len(out, p, value - p);
        g_string_append(out, "****");
        p = value + strcspn(value, " &");
    }
    g_string_append(out, p);
    return g_string_free(out, FALSE);
}

char *config_mask_url(const char *url)
{
    if (!url)
        return NULL;
    char *masked = mask_keyword(url, "password=");
    char *once = mask_userinfo(masked);
    char *result = core_mask_secrets(once);   /* every URL in the text, and known secrets */
    g_free(masked);
    g_free(once);
    return result;
}

/* Masks the password of scheme://user:password@host. */
static char *mask_userinfo(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *at = strchr(url, '@');
    if (!scheme || !at || at < scheme)
        return g_strdup(url);
    const char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
    if (!colon)
        return g_strdup(url);
    return core_strdup_printf("%.*s:****%s", (int)(colon - url), url, at);
}

static const char *origin_word(config_origin o)
{
    return o == CONFIG_FROM_ENV ? "env" : o == CONFIG_FROM_FILE ? "file" : "default";
}

void config_print(FILE *out)
{
    fprintf(out, "# effective configuration (file: %s%s); each value says where it came from\n", cfg.config_path,
            core_file_exists(cfg.config_path) ? "" : ", not present");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        char *value = option_text(o);
        const char *shown = value ? value : o->unset ? o->unset : "(none)";
        GString *note = g_string_new(origin_word(origins[i]));
        if (origins[i] == CONFIG_FROM_ENV)
            g_string_append_printf(note, " %s", o->env);
        if ((o->flags & CONFIG_OPT_ENV_NAME) && value)
            g_string_append_printf(note, ", %s", env_nonempty(value) ? "set" : "not set");
        fprintf(out, "%s: %s  # %s\n", o->name, shown, note->str);
        g_string_free(note, TRUE);
        g_free(value);
    }
    fprintf(out, "# acting user: %s\n", cfg.user ? cfg.user : "?");
    fprintf(out, "# log: %s/minca.log\n", cfg.log_dir);
    if (!config_llm_enabled())
        fprintf(out, "# llm: (none: every feature runs on rules alone)\n");
    if (cfg.n_keys) {
        fprintf(out, "keys:\n");
        for (int i = 0; i < cfg.n_keys; i++)
            fprintf(out, "  %s: %s\n", cfg.keys[i].action, cfg.keys[i].key);
    }
    if (cfg.n_sources) {
        fprintf(out, "sources:\n");
        for (int i = 0; i < cfg.n_sources; i++) {
            fprintf(out, "  %s:\n", cfg.sources[i].name);
            for (int j = 0; j < cfg.sources[i].n; j++) {
                char *masked = config_mask_url(cfg.sources[i].values[j]);
                fprintf(out, "    %s: %s\n", cfg.sources[i].keys[j], masked);
                g_free(masked);
            }
        }
    }
}

static const char *type_word(config_type t)
{
    return t == CONFIG_INT ? "integer" : t == CONFIG_DOUBLE ? "number" : t == CONFIG_BOOL ? "0/1" : "text";
}

void config_print_options(FILE *out)
{
    fprintf(out, "Settings (defaults < config file < environment):\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const config_option *o = &options[i];
        fprintf(out, "  %s (%s", o->name, type_word(o->type));
        if (o->def)
            fprintf(out, ", default %s", o->def);
        else if (o->unset)
            fprintf(out, ", default %s", o->unset);
        if (o->env)
            fprintf(out, ", env %s", o->env);
        if (!o->key)
            fprintf(out, ", not in the file");
        fprintf(out, ")\n      %s\n", o->help);
    }
    fprintf(out, "\n  keys: ACTION: KEYS   remap the desk's keys (the action names of its ? screen)\n"
                 "  sources: NAME: {...}  mail sources (see `minca intake --help`)\n");
}
