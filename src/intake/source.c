/* Mail sources: the table of backends and the calls every caller goes through. Adding a
 * backend is one file (source_<kind>.c with its ops) and one row here. */
#include <glib.h>
#include "intake_internal.h"
#include "minca/core_config.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const intake_source_ops *const source_table[] = {
    &intake_source_eml_ops,
    &intake_source_maildir_ops,
    &intake_source_imap_ops,
    &intake_source_graph_ops,
    &intake_source_manual_ops,
    NULL,
};

static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void intake_curl_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
}

struct intake_source {
    const intake_source_ops *ops;
    void *state;
};

const intake_source_ops *const *intake_source_ops_all(void) { return source_table; }

const intake_source_ops *intake_source_ops_find(const char *kind)
{
    for (size_t i = 0; kind && source_table[i]; i++)
        if (strcmp(source_table[i]->kind, kind) == 0)
            return source_table[i];
    return NULL;
}

int intake_source_open_kind(const char *kind, const intake_source_args *args, intake_source **out,
                            minca_err *err)
{
    *out = NULL;
    const intake_source_ops *ops = intake_source_ops_find(kind);
    if (!ops)
        return minca_err_set(err, "unknown mail source kind '%s' (eml, maildir, imap, graph, manual)",
                             kind ? kind : "(none)");
    void *state = NULL;
    if (ops->open(args, &state, err) < 0)
        return -1;
    intake_source *s = g_malloc0_n(1, sizeof *s);
    s->ops = ops;
    s->state = state;
    *out = s;
    return 0;
}

int intake_source_open(const char *path, const intake_source_opts *opts, intake_source **out, minca_err *err)
{
    *out = NULL;
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return minca_err_set(err, "cannot open mail source %s: %s", path ? path : "(null)", strerror(errno));
    intake_source_args a = {.name = path, .path = path, .max_message_bytes = opts ? opts->max_message_bytes : 0};
    return intake_source_open_kind(intake_path_is_maildir(path) ? "maildir" : "eml", &a, out, err);
}

int intake_source_next(intake_source *src, intake_item *item, minca_err *err)
{
    memset(item, 0, sizeof *item);
    if (!src)
        return 0;
    int r = src->ops->next(src->state, item, err);
    if (!item->source)
        item->source = src->ops->kind;
    return r;
}

int intake_source_ack(intake_source *src, const intake_item *item, minca_err *err)
{
    return src && src->ops->ack ? src->ops->ack(src->state, item, err) : 0;
}

void intake_item_clear(intake_item *item)
{
    if (!item)
        return;
    g_free(item->origin);
    g_free(item->data);
    g_free(item->source_id);
    g_free(item->cursor);
    intake_strv_free(item->notes, item->n_notes);
    memset(item, 0, sizeof *item);
}

size_t intake_source_count(const intake_source *src)
{
    long n = src && src->ops->count ? src->ops->count(src->state) : 0;
    return n > 0 ? (size_t)n : 0;
}

long intake_source_pending(const intake_source *src)
{
    return src && src->ops->count ? src->ops->count(src->state) : -1;
}

const char *intake_source_kind(const intake_source *src) { return src ? src->ops->kind : NULL; }

void intake_source_close(intake_source *src)
{
    if (!src)
        return;
    src->ops->close(src->state);
    g_free(src);
}

/* ---- credentials ---- */

static int read_secret_file(const char *path, char **out, minca_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return minca_err_set(err, "cannot read the credential file %s: %s", path, strerror(errno));
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        minca_err_set(err, "credential file %s is not a regular file", path);
        goto done;
    }
    if (st.st_uid != geteuid()) {
        minca_err_set(err, "credential file %s must be owned by the user minca runs as", path);
        goto done;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        minca_err_set(err, "credential file %s is readable by others (mode %03o); chmod 600 it", path,
                      (unsigned)(st.st_mode & 0777));
        goto done;
    }
    if (st.st_size > 64 * 1024) {
        minca_err_set(err, "credential file %s is too large", path);
        goto done;
    }
    char *buf = g_malloc0_n(1, (size_t)st.st_size + 1);
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    if (n < 0) {
        g_free(buf);
        minca_err_set(err, "cannot read the credential file %s: %s", path, strerror(errno));
        goto done;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    *out = buf;
    rc = 0;
done:
    close(fd);
    return rc;
}

int intake_source_secret(const config_source *cfg, const char *key, char **out, minca_err *err)
{
    *out = NULL;
    char env_key[64], file_key[64];
    snprintf(env_key, sizeof env_key, "%s_env", key);
    snprintf(file_key, sizeof file_key, "%s_file", key);
    const char *env = config_source_get(cfg, env_key), *file = config_source_get(cfg, file_key);
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v)
            return minca_err_set(err, "%s: the environment variable %s (%s) is not set", cfg->name, env, env_key);
        *out = g_strdup(v);
        core_secret_add(v);
        return 0;
    }
    if (file) {
        if (read_secret_file(file, out, err) < 0)
            return minca_err_prefix(err, "%s", cfg->name);
        core_secret_add(*out);
        return 0;
    }
    return minca_err_set(err, "%s: no %s configured (set %s or %s)", cfg->name, key, env_key, file_key);
}
