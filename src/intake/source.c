/* Mail sources: one .eml file, a directory of .eml files, or a Maildir (cur/ and new/).
 * The file list is taken when the source is opened (sorted, so runs are reproducible); bytes
 * are read one message at a time, each bounded by max_message_bytes. */
#include "intake_internal.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct intake_source {
    char **paths;
    size_t n_paths;
    size_t next;
    size_t max_bytes;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_eml_name(const char *name)
{
    size_t l = strlen(name);
    return l > 4 && g_ascii_strcasecmp(name + l - 4, ".eml") == 0;
}

/* Adds the regular files of dir (all of them, or only *.eml) in name order. */
static int list_dir(const char *dir, bool only_eml, GPtrArray *out, minca_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return minca_err_set(err, "cannot open directory %s: %s", dir, strerror(errno));
    GPtrArray *names = g_ptr_array_new_with_free_func(free);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (only_eml && !is_eml_name(e->d_name))
            continue;
        char *p = core_path_join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            g_ptr_array_add(names, p);
        else
            free(p);
    }
    closedir(d);
    qsort(names->pdata, names->len, sizeof(char *), cmp_str);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(out, strdup(g_ptr_array_index(names, i)));
    g_ptr_array_free(names, TRUE);
    return 0;
}

int intake_source_open(const char *path, const intake_source_opts *opts, intake_source **out,
                       minca_err *err)
{
    *out = NULL;
    struct stat st;
    if (!path || stat(path, &st) != 0)
        return minca_err_set(err, "cannot open mail source %s: %s", path ? path : "(null)", strerror(errno));
    GPtrArray *paths = g_ptr_array_new();
    int rc = -1;
    if (S_ISREG(st.st_mode)) {
        g_ptr_array_add(paths, strdup(path));
    } else if (S_ISDIR(st.st_mode)) {
        char *cur = core_path_join(path, "cur");
        char *nw = core_path_join(path, "new");
        bool maildir = core_is_dir(cur) || core_is_dir(nw);
        if (maildir) {
            if (core_is_dir(cur) && list_dir(cur, false, paths, err) != 0)
                rc = -2;
            if (rc != -2 && core_is_dir(nw) && list_dir(nw, false, paths, err) != 0)
                rc = -2;
        } else if (list_dir(path, true, paths, err) != 0) {
            rc = -2;
        }
        free(cur);
        free(nw);
        if (rc == -2) {
            rc = -1;
            goto fail;
        }
    } else {
        minca_err_set(err, "mail source %s is neither a file nor a directory", path);
        goto fail;
    }
    intake_source *s = calloc(1, sizeof *s);
    s->n_paths = paths->len;
    s->paths = (char **)g_ptr_array_free(paths, FALSE);
    s->max_bytes = opts && opts->max_message_bytes ? opts->max_message_bytes : INTAKE_DEFAULT_MAX_MESSAGE_BYTES;
    *out = s;
    return 0;
fail:
    g_ptr_array_set_free_func(paths, free);
    g_ptr_array_free(paths, TRUE);
    return rc;
}

int intake_source_next(intake_source *src, intake_item *item, minca_err *err)
{
    memset(item, 0, sizeof *item);
    if (!src || src->next >= src->n_paths)
        return 0;
    const char *path = src->paths[src->next++];
    item->origin = strdup(path);
    struct stat st;
    if (stat(path, &st) != 0)
        return minca_err_set(err, "%s: cannot read: %s", path, strerror(errno));
    if ((size_t)st.st_size > src->max_bytes)
        return minca_err_set(err, "%s: message is %lld bytes, above the limit of %zu bytes; skipped", path,
                             (long long)st.st_size, src->max_bytes);
    if (core_read_file(path, src->max_bytes, &item->data, &item->len, err) != 0)
        return -1;
    return 1;
}

void intake_item_clear(intake_item *item)
{
    if (!item)
        return;
    free(item->origin);
    free(item->data);
    memset(item, 0, sizeof *item);
}

size_t intake_source_count(const intake_source *src)
{
    return src ? src->n_paths : 0;
}

void intake_source_close(intake_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n_paths; i++)
        free(src->paths[i]);
    g_free(src->paths);
    free(src);
}
