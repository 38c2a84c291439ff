/* profile: the shipped profiles/ directory as a profile source, and broker recognition. */
#include "profile_internal.h"
#include "minca/core_config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *profile_dir(void)
{
    static char path[4096];
    const char *env = config_get()->profiles_dir;
    if (env && *env)
        return env;
    snprintf(path, sizeof path, "%s/profiles", config_share_dir());
    return path;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_dir_list(const char *dir, char ***names, int *n, minca_err *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return minca_err_set(err, "cannot open the profile directory %s", dir);
    GPtrArray *list = g_ptr_array_new();
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        g_ptr_array_add(list, g_strndup(e->d_name, len - 5));
    }
    closedir(d);
    qsort(list->pdata, list->len, sizeof(char *), cmp_str);
    *n = (int)list->len;
    g_ptr_array_add(list, NULL);
    *names = (char **)g_ptr_array_free(list, FALSE);
    return 0;
}

void profile_names_free(char **names)
{
    if (!names)
        return;
    for (char **p = names; *p; p++)
        g_free(*p);
    g_free(names);
}

int profile_dir_load(const char *dir, const char *name, profile **out, minca_err *err)
{
    if (strchr(name, '/') || g_str_has_suffix(name, ".yaml") || g_str_has_suffix(name, ".yml"))
        return profile_load_file(name, out, err);
    char *path = g_strdup_printf("%s/%s.yaml", dir, name);
    if (!core_file_exists(path)) {
        minca_err_set(err, "no profile named '%s' in %s (see 'minca profile list')", name, dir);
        g_free(path);
        return -1;
    }
    int rc = profile_load_file(path, out, err);
    g_free(path);
    return rc;
}

static bool domain_matches(const char *sender, const char *want)
{
    size_t a = strlen(sender), b = strlen(want);
    if (a < b || !b)
        return false;
    if (g_ascii_strcasecmp(sender + a - b, want) != 0)
        return false;
    return a == b || sender[a - b - 1] == '.' || sender[a - b - 1] == '@';
}

int profile_detect_score(const profile *p, const char *sender_domain, const char *const *headers,
                         int n_headers, const char *sheet_name)
{
    int score = 0;
    if (sender_domain && *sender_domain && p->domains->len) {
        for (guint i = 0; i < p->domains->len; i++)
            if (domain_matches(sender_domain, g_ptr_array_index(p->domains, i)))
                score += 100;
    }
    if (headers && n_headers > 0 && p->required_headers->len) {
        int found = 0;
        for (guint k = 0; k < p->required_headers->len; k++) {
            char *want = docs_fold(g_ptr_array_index(p->required_headers, k));
            for (int h = 0; h < n_headers; h++) {
                char *have = docs_fold(headers[h]);
                bool eq = strcmp(have, want) == 0;
                g_free(have);
                if (eq) {
                    found++;
                    break;
                }
            }
            g_free(want);
        }
        if (found < (int)p->required_headers->len)
            return score >= 100 ? score : 0;
        score += 10 * found;
        /* headers that the mapping knows add a little */
        int known = 0;
        for (int h = 0; h < n_headers; h++) {
            char *have = docs_fold(headers[h]);
            for (guint i = 0; i < p->map->len; i++)
                if (*have && strcmp(g_array_index(p->map, pf_map, i).folded, have) == 0) {
                    known++;
                    break;
                }
            g_free(have);
        }
        score += known;
    }
    if (score > 0 && sheet_name && p->detect_sheet) {
        GRegex *re = g_regex_new(p->detect_sheet, G_REGEX_CASELESS, 0, NULL);
        if (re) {
            if (g_regex_match(re, sheet_name, 0, NULL))
                score += 5;
            g_regex_unref(re);
        }
    }
    return score;
}

int profile_recognize(profile *const *list, int n, const char *sender_domain,
                      const char *const *headers, int n_headers, const char *sheet_name)
{
    int best = -1, best_score = 0;
    for (int i = 0; i < n; i++) {
        int s = profile_detect_score(list[i], sender_domain, headers, n_headers, sheet_name);
        if (s > best_score) {
            best_score = s;
            best = i;
        }
    }
    return best;
}
