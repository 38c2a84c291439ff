#include "minca/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include <glib.h>

#ifndef MINCA_SHARE_DIR
#define MINCA_SHARE_DIR "."
#endif

static minca_config cfg;
static char *share_dir;

static void set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
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
        share_dir = strdup(env);
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
                free(probe);
                if (found) {
                    share_dir = strdup(exe);
                    return share_dir;
                }
                /* installed: <prefix>/bin/minca with its data in <prefix>/share/minca */
                char *installed = core_path_join(exe, "share/minca");
                probe = core_path_join(installed, "migrations");
                found = core_is_dir(probe);
                free(probe);
                if (found) {
                    share_dir = installed;
                    return share_dir;
                }
                free(installed);
            }
        }
    }
    share_dir = strdup(MINCA_SHARE_DIR);
    return share_dir;
}

static void apply_llm_key(const char *key, const char *value)
{
    config_llm *l = &cfg.llm;
    if (strcmp(key, "base_url") == 0)
        set_str(&l->base_url, value);
    else if (strcmp(key, "model") == 0)
        set_str(&l->model, value);
    else if (strcmp(key, "api_key_env") == 0)
        set_str(&l->api_key_env, value);
    else if (strcmp(key, "api_key_file") == 0)
        set_str(&l->api_key_file, value);
    else if (strcmp(key, "timeout_seconds") == 0 || strcmp(key, "timeout") == 0)
        l->timeout_seconds = atoi(value);
    else if (strcmp(key, "max_tokens") == 0)
        l->max_tokens = atoi(value);
    else if (strcmp(key, "max_retries") == 0)
        l->max_retries = atoi(value);
    else if (strcmp(key, "monthly_budget") == 0)
        l->monthly_budget = atof(value);
    else if (strcmp(key, "price_prompt") == 0)
        l->price_prompt = atof(value);
    else if (strcmp(key, "price_completion") == 0)
        l->price_completion = atof(value);
    else if (strcmp(key, "api_key") == 0)
        log_warn("config: llm.api_key is not read from the file; use api_key_env or api_key_file");
    else
        log_warn("config: unknown key 'llm.%s' ignored", key);
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

/* sources: NAME: {key: value}. A secret written in clear is dropped (with a warning that
 * does not repeat it): credentials come from the environment or a private file. */
static void apply_source_key(const char *name, const char *key, const char *value)
{
    config_source *s = (config_source *)config_source_find(name);
    if (!s) {
        cfg.sources = realloc(cfg.sources, sizeof *cfg.sources * (size_t)(cfg.n_sources + 1));
        s = &cfg.sources[cfg.n_sources++];
        memset(s, 0, sizeof *s);
        s->name = strdup(name);
    }
    if (config_key_is_secret(key)) {
        log_warn("config: sources.%s.%s ignored: a secret is never kept in the config file; "
                 "use %s_env (an environment variable) or %s_file (a file only the service user can read)",
                 name, key, key, key);
        return;
    }
    s->keys = realloc(s->keys, sizeof *s->keys * (size_t)(s->n + 1));
    s->values = realloc(s->values, sizeof *s->values * (size_t)(s->n + 1));
    s->keys[s->n] = strdup(key);
    s->values[s->n] = strdup(value);
    s->n++;
}

static void apply_key(const char *section, const char *key, const char *value)
{
    if (section && strcmp(section, "keys") == 0) {
        cfg.keys = realloc(cfg.keys, sizeof *cfg.keys * (size_t)(cfg.n_keys + 1));
        cfg.keys[cfg.n_keys].action = strdup(key);
        cfg.keys[cfg.n_keys].key = strdup(value);
        cfg.n_keys++;
        return;
    }
    if (section && strcmp(section, "llm") == 0) {
        apply_llm_key(key, value);
        return;
    }
    if (section)
        return;
    if (strcmp(key, "home") == 0)
        set_str(&cfg.home, value);
    else if (strcmp(key, "database_url") == 0)
        set_str(&cfg.database_url, value);
    else if (strcmp(key, "redis_url") == 0)
        set_str(&cfg.redis_url, value);
    else if (strcmp(key, "insurer") == 0)
        set_str(&cfg.insurer, value);
    else if (strcmp(key, "theme") == 0)
        set_str(&cfg.theme, value);
    else if (strcmp(key, "user") == 0)
        set_str(&cfg.user_override, value);
    else if (strcmp(key, "export_dir") == 0)
        set_str(&cfg.export_dir, value);
    else if (strcmp(key, "data_dir") == 0)
        set_str(&cfg.data_dir, value);
    else if (strcmp(key, "workers") == 0)
        cfg.workers = atoi(value);
    else if (strcmp(key, "lease_seconds") == 0)
        cfg.lease_seconds = atoi(value);
    else if (strcmp(key, "max_attempts") == 0)
        cfg.max_attempts = atoi(value);
    else if (strcmp(key, "max_rows_per_attachment") == 0)
        cfg.max_rows_per_attachment = atoi(value);
    else if (strcmp(key, "max_rows_per_case") == 0)
        cfg.max_rows_per_case = atoi(value);
    else if (strcmp(key, "max_extract_seconds") == 0)
        cfg.max_extract_seconds = atoi(value);
    else if (strcmp(key, "metrics_listen") == 0)
        set_str(&cfg.metrics_listen, value);
    else if (strcmp(key, "log_format") == 0)
        set_str(&cfg.log_format, value);
    else
        log_warn("config: unknown key '%s' ignored", key);
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
                free(section);
                section = pending_key;
                pending_key = NULL;
            } else if (depth == 3 && pending_key) {
                free(subsection);
                subsection = pending_key;
                pending_key = NULL;
            }
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (depth == 2) {
                free(subsection);
                subsection = NULL;
            }
            if (depth == 1) {
                free(section);
                section = NULL;
            }
            break;
        case YAML_SCALAR_EVENT: {
            const char *text = (const char *)ev.data.scalar.value;
            if (!pending_key) {
                pending_key = strdup(text);
            } else {
                if (depth == 3 && section && subsection && strcmp(section, "sources") == 0)
                    apply_source_key(subsection, pending_key, text);
                else if (depth <= 2)
                    apply_key(depth == 2 ? section : NULL, pending_key, text);
                free(pending_key);
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
    free(section);
    free(subsection);
    free(pending_key);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

/* Forgets a previous load (config_load may run more than once, e.g. in tests). */
static char *retired_user;

static void config_reset(void)
{
    free(retired_user);
    retired_user = NULL;
    char **strings[] = {&cfg.config_path, &cfg.home, &cfg.log_dir, &cfg.database_url, &cfg.redis_url,
                        &cfg.insurer, &cfg.theme, &cfg.user, &cfg.user_override, &cfg.catalog_dir, &cfg.data_dir, &cfg.export_dir,
                        &cfg.metrics_listen, &cfg.log_format,
                        &cfg.llm.base_url, &cfg.llm.model, &cfg.llm.api_key_env, &cfg.llm.api_key_file};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
    for (int i = 0; i < cfg.n_keys; i++) {
        free(cfg.keys[i].action);
        free(cfg.keys[i].key);
    }
    free(cfg.keys);
    for (int i = 0; i < cfg.n_sources; i++) {
        config_source *src = &cfg.sources[i];
        for (int j = 0; j < src->n; j++) {
            free(src->keys[j]);
            free(src->values[j]);
        }
        free(src->keys);
        free(src->values);
        free(src->name);
    }
    free(cfg.sources);
    memset(&cfg, 0, sizeof cfg);
}

int config_load(minca_err *err)
{
    config_reset();
    const char *home_env = env_nonempty("HOME");
    const char *home = home_env ? home_env : "/tmp";
    const char *xdg_config = env_nonempty("XDG_CONFIG_HOME");
    const char *xdg_data = env_nonempty("XDG_DATA_HOME");

    cfg.config_path = env_nonempty("MINCA_CONFIG")
                          ? strdup(getenv("MINCA_CONFIG"))
                          : (xdg_config ? core_strdup_printf("%s/minca/config.yaml", xdg_config)
                                        : core_strdup_printf("%s/.config/minca/config.yaml", home));
    cfg.home = xdg_data ? core_strdup_printf("%s/minca", xdg_data)
                        : core_strdup_printf("%s/.local/share/minca", home);
    cfg.insurer = strdup("demo");
    cfg.theme = strdup("default");
    cfg.workers = 2;
    cfg.lease_seconds = 30;
    cfg.max_attempts = 5;
    cfg.max_rows_per_attachment = 10000;
    cfg.max_rows_per_case = 20000;
    cfg.max_extract_seconds = 300;

    cfg.llm.timeout_seconds = 30;
    cfg.llm.max_tokens = 800;
    cfg.llm.max_retries = 3;

    if (parse_file(cfg.config_path, err) < 0)
        return -1;

    const char *v;
    if ((v = env_nonempty("MINCA_HOME")))
        set_str(&cfg.home, v);
    if ((v = env_nonempty("MINCA_DATABASE_URL")))
        set_str(&cfg.database_url, v);
    if ((v = env_nonempty("MINCA_REDIS_URL")))
        set_str(&cfg.redis_url, v);
    if ((v = env_nonempty("MINCA_INSURER")))
        set_str(&cfg.insurer, v);
    if ((v = env_nonempty("MINCA_THEME")))
        set_str(&cfg.theme, v);
    if ((v = env_nonempty("MINCA_EXPORT_DIR")))
        set_str(&cfg.export_dir, v);
    if ((v = env_nonempty("MINCA_DATA_DIR")))
        set_str(&cfg.data_dir, v);
    if ((v = env_nonempty("MINCA_WORKERS")))
        cfg.workers = atoi(v);
    if ((v = env_nonempty("MINCA_LEASE_SECONDS")))
        cfg.lease_seconds = atoi(v);
    if ((v = env_nonempty("MINCA_MAX_ATTEMPTS")))
        cfg.max_attempts = atoi(v);
    if ((v = env_nonempty("MINCA_MAX_ROWS_PER_ATTACHMENT")))
        cfg.max_rows_per_attachment = atoi(v);
    if ((v = env_nonempty("MINCA_MAX_ROWS_PER_CASE")))
        cfg.max_rows_per_case = atoi(v);
    if ((v = env_nonempty("MINCA_MAX_EXTRACT_SECONDS")))
        cfg.max_extract_seconds = atoi(v);
    if (cfg.max_rows_per_attachment < 1)
        cfg.max_rows_per_attachment = 1;
    if (cfg.max_rows_per_case < 1)
        cfg.max_rows_per_case = 1;
    if (cfg.max_extract_seconds < 1)
        cfg.max_extract_seconds = 1;
    if ((v = env_nonempty("MINCA_METRICS_LISTEN")))
        set_str(&cfg.metrics_listen, v);
    if ((v = env_nonempty("MINCA_LOG_FORMAT")))
        set_str(&cfg.log_format, v);
    if ((v = env_nonempty("MINCA_LLM_BASE_URL")))
        set_str(&cfg.llm.base_url, v);
    if ((v = env_nonempty("MINCA_LLM_MODEL")))
        set_str(&cfg.llm.model, v);
    if (!cfg.llm.api_key_env)
        cfg.llm.api_key_env = strdup("MINCA_LLM_API_KEY");
    if (cfg.llm.timeout_seconds < 1)
        cfg.llm.timeout_seconds = 1;
    if (cfg.llm.max_tokens < 16)
        cfg.llm.max_tokens = 16;
    if (cfg.llm.max_retries < 0)
        cfg.llm.max_retries = 0;
    if (cfg.max_attempts < 1)
        cfg.max_attempts = 1;
    if (cfg.lease_seconds < 2)
        cfg.lease_seconds = 2;
    /* The account the process runs as; MINCA_USER is only a request the login check weighs. */
    cfg.user = core_os_login();
    if ((v = env_nonempty("MINCA_USER")))
        set_str(&cfg.user_override, v);
    if (cfg.workers < 1)
        cfg.workers = 1;

    cfg.log_dir = core_path_join(cfg.home, "log");
    if (!cfg.export_dir)
        cfg.export_dir = core_path_join(cfg.home, "exports");
    if (!cfg.data_dir)
        cfg.data_dir = core_path_join(config_share_dir(), "data");
    cfg.catalog_dir = core_path_join(config_share_dir(), "samples/catalog");
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
    free(retired_user);
    retired_user = cfg.user;
    cfg.user = login ? strdup(login) : NULL;
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
    char *result = mask_userinfo(masked);
    g_free(masked);
    return result;
}

/* Masks the password of scheme://user:password@host. */
static char *mask_userinfo(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *at = strchr(url, '@');
    if (!scheme || !at || at < scheme)
        return strdup(url);
    const char *colon = memchr(scheme + 3, ':', (size_t)(at - (scheme + 3)));
    if (!colon)
        return strdup(url);
    return core_strdup_printf("%.*s:****%s", (int)(colon - url), url, at);
}

void config_print(FILE *out)
{
    char *db = config_mask_url(cfg.database_url);
    char *redis = config_mask_url(cfg.redis_url);
    fprintf(out, "# effective configuration (file: %s%s)\n", cfg.config_path,
            core_file_exists(cfg.config_path) ? "" : ", not present");
    fprintf(out, "home: %s\n", cfg.home);
    fprintf(out, "database_url: %s\n", db ? db : "(embedded PostgreSQL under home)");
    fprintf(out, "redis_url: %s\n", redis ? redis : "(embedded redis-server under home)");
    fprintf(out, "insurer: %s\n", cfg.insurer);
    fprintf(out, "theme: %s\n", cfg.theme);
    if (cfg.user_override)
        fprintf(out, "user: %s (MINCA_USER asks for %s)\n", cfg.user, cfg.user_override);
    else
        fprintf(out, "user: %s\n", cfg.user);
    fprintf(out, "workers: %d\n", cfg.workers);
    fprintf(out, "lease_seconds: %d\n", cfg.lease_seconds);
    fprintf(out, "max_attempts: %d\n", cfg.max_attempts);
    fprintf(out, "max_rows_per_attachment: %d\n", cfg.max_rows_per_attachment);
    fprintf(out, "max_rows_per_case: %d\n", cfg.max_rows_per_case);
    fprintf(out, "max_extract_seconds: %d\n", cfg.max_extract_seconds);
    fprintf(out, "metrics_listen: %s\n", cfg.metrics_listen ? cfg.metrics_listen : "(off)");
    fprintf(out, "log_format: %s\n", cfg.log_format ? cfg.log_format : "text");
    fprintf(out, "export_dir: %s\n", cfg.export_dir);
    fprintf(out, "data_dir: %s\n", cfg.data_dir);
    fprintf(out, "log: %s/minca.log\n", cfg.log_dir);
    fprintf(out, "share: %s\n", config_share_dir());
    if (config_llm_enabled()) {
        char *url = config_mask_url(cfg.llm.base_url);
        fprintf(out, "llm:\n  base_url: %s\n  model: %s\n", url, cfg.llm.model);
        if (cfg.llm.api_key_file)
            fprintf(out, "  api_key_file: %s\n", cfg.llm.api_key_file);
        fprintf(out, "  api_key_env: %s (%s)\n", cfg.llm.api_key_env, getenv(cfg.llm.api_key_env) ? "set" : "not set");
        fprintf(out, "  timeout_seconds: %d\n  max_tokens: %d\n  max_retries: %d\n", cfg.llm.timeout_seconds,
                cfg.llm.max_tokens, cfg.llm.max_retries);
        fprintf(out, "  monthly_budget: %.2f%s\n", cfg.llm.monthly_budget, cfg.llm.monthly_budget > 0 ? "" : " (unlimited)");
        fprintf(out, "  price_prompt: %g\n  price_completion: %g\n", cfg.llm.price_prompt, cfg.llm.price_completion);
        free(url);
    } else {
        fprintf(out, "llm: (none: every feature runs on rules alone)\n");
    }
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
                free(masked);
            }
        }
    }
    free(db);
    free(redis);
}
