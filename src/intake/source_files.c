/* What the eml and maildir backends share: the file list is taken when the source is opened
 * (sorted, so runs are reproducible); bytes are read one message at a time, each bounded by
 * max_message_bytes. */
#include "intake_internal.h"
#include "minca/core_config.h"

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_eml_name(const char *name)
{
    size_t l = strlen(name);
    return l > 4 && g_ascii_strcasecmp(name + l - 4, ".eml") == 0;
}

bool intake_path_is_maildir(const char *path)
{
    char *cur = core_path_join(path, "cur"), *nw = core_path_join(path, "new");
    bool yes = core_is_dir(path) && (core_is_dir(cur) || core_is_dir(nw));
    g_free(cur);
    g_free(nw);
    return yes;
}

/* Adds the regular files of dir (all of them, or only *.eml) in name order. */
static int list_dir(const char *dir, bool only_eml, GPtrArray *out, minca_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return minca_err_set(err, "cannot open directory %s: %s", dir, strerror(errno));
    GPtrArray *names = g_ptr_array_new();
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
            g_free(p);
    }
    closedir(d);
    if (names->len > 1)
        qsort(names->pdata, names->len, sizeof(char *), cmp_str);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(out, g_ptr_array_index(names, i));
    g_ptr_array_free(names, TRUE);
    return 0;
}

int intake_files_open(const intake_source_args *args, bool maildir, void **state, minca_err *err)
{
    const char *path = args->path ? args->path : config_source_get(args->cfg, "path");
    struct stat st;
    if (!path)
        return minca_err_set(err, "%s: no path configured", args->name ? args->name : "source");
    if (stat(path, &st) != 0)
        return minca_err_set(err, "cannot open mail source %s: %s", path, strerror(errno));
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    int rc = 0;
    if (S_ISREG(st.st_mode) && !maildir) {
        g_ptr_array_add(paths, g_strdup(path));
    } else if (S_ISDIR(st.st_mode) && maildir) {
        char *cur = core_path_join(path, "cur"), *nw = core_path_join(path, "new");
        if (!core_is_dir(cur) && !core_is_dir(nw))
            rc = minca_err_set(err, "%s is not a Maildir (no cur/ or new/)", path);
        if (rc == 0 && core_is_dir(cur))
            rc = list_dir(cur, false, paths, err);
        if (rc == 0 && core_is_dir(nw))
            rc = list_dir(nw, false, paths, err);
        g_free(cur);
        g_free(nw);
    } else if (S_ISDIR(st.st_mode)) {
        rc = list_dir(path, true, paths, err);
    } else {
        rc = minca_err_set(err, "mail source %s is neither a file nor a directory", path);
    }
    if (rc < 0) {
        g_ptr_array_free(paths, TRUE);
        return -1;
    }
    intake_files *f = g_malloc0_n(1, sizeof *f);
    f->n_paths = paths->len;
    g_ptr_array_set_free_func(paths, NULL);
    f->paths = (char **)g_ptr_array_free(paths, FALSE);
    f->max_bytes = args->max_message_bytes ? args->max_message_bytes : INTAKE_DEFAULT_MAX_MESSAGE_BYTES;
    f->maildir = maildir;
    f->seen = args->seen;
    f->seen_user = args->seen_user;
    *state = f;
    return 0;
}

/* A Maildir message keeps its unique name when it moves from new/ to cur/ and gains flags
 * (":2,S"): the part before ':' is its id. A plain file is known by its path. */
static char *file_source_id(const intake_files *f, const char *path)
{
    if (!f->maildir)
        return g_strdup(path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return g_strndup(base, strcspn(base, ":"));
}

int intake_files_next(void *state, intake_item *item, minca_err *err)
{
    intake_files *f = state;
    for (;;) {
        if (f->next >= f->n_paths)
            return 0;
        const char *path = f->paths[f->next++];
        char *id = file_source_id(f, path);
        if (f->seen && f->seen(f->seen_user, id)) {
            g_free(id);
            continue;
        }
        item->source_id = id;
        item->origin = g_strdup(path);
        struct stat st;
        if (stat(path, &st) != 0)
            return minca_err_set(err, "%s: cannot read: %s", path, strerror(errno));
        if ((size_t)st.st_size > f->max_bytes)
            return minca_err_set(err, "%s: message is %lld bytes, above the limit of %zu bytes; skipped", path,
                                 (long long)st.st_size, f->max_bytes);
        if (core_read_file(path, f->max_bytes, &item->data, &item->len, err) != 0)
            return -1;
        return 1;
    }
}

long intake_files_count(void *state) { return (long)((intake_files *)state)->n_paths; }

void intake_files_close(void *state)
{
    intake_files *f = state;
    if (!f)
        return;
    for (size_t i = 0; i < f->n_paths; i++)
        g_free(f->paths[i]);
    g_free(f->paths);
    g_free(f);
}
