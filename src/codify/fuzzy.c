/* Approximate word matching: a bounded Damerau-Levenshtein distance, a deletion index
 * (every word stored with each of its one-letter deletions, so a word one edit away from a
 * query shares a key with it) and the edit budget a word of a given length is allowed.
 * No I/O; an index is read-only once built. */
#include "internal.h"

#include <string.h>

int cx_edit_budget(size_t len)
{
    return len >= 8 ? 2 : len >= 4 ? 1 : 0;
}

uint32_t cx_letter_mask(const char *s)
{
    uint32_t m = 0;
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            m |= 1u << (*s - 'A');
        else if (*s >= '0' && *s <= '9')
            m |= 1u << 26;
    }
    return m;
}

/* Optimal string alignment distance (adjacent transpositions count one), or k + 1 as soon as
 * it is sure to exceed k. Words longer than 63 bytes are compared exactly. */
int cx_edit_distance(const char *a, size_t la, const char *b, size_t lb, int k)
{
    if (la > 63 || lb > 63)
        return la == lb && memcmp(a, b, la) == 0 ? 0 : k + 1;
    if ((la > lb ? la - lb : lb - la) > (size_t)k)
        return k + 1;
    int prev2[64], prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > k)
            return k + 1;
        memcpy(prev2, prev, sizeof(int) * (lb + 1));
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb] <= k ? prev[lb] : k + 1;
}

struct cx_delindex {
    GHashTable *map;        /* variant -> GArray of int word ids */
    GPtrArray *words;       /* id -> word (owned) */
    GHashTable *ids;        /* word -> id + 1 */
};

static void garray_unref(gpointer p) { g_array_unref(p); }

cx_delindex *cx_delindex_new(void)
{
    cx_delindex *d = g_new0(cx_delindex, 1);
    d->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, garray_unref);
    d->words = g_ptr_array_new_with_free_func(g_free);
    d->ids = g_hash_table_new(g_str_hash, g_str_equal);
    return d;
}

void cx_delindex_free(cx_delindex *d)
{
    if (!d)
        return;
    g_hash_table_destroy(d->map);
    g_hash_table_destroy(d->ids);
    g_ptr_array_unref(d->words);
    g_free(d);
}

static void map_add(cx_delindex *d, const char *key, int id)
{
    GArray *arr = g_hash_table_lookup(d->map, key);
    if (!arr) {
        arr = g_array_new(FALSE, FALSE, sizeof(int));
        g_hash_table_insert(d->map, g_strdup(key), arr);
    }
    for (guint i = 0; i < arr->len; i++)
        if (g_array_index(arr, int, i) == id)
            return;
    g_array_append_val(arr, id);
}

int cx_delindex_add(cx_delindex *d, const char *word)
{
    size_t len = strlen(word);
    if (len == 0 || len > 63)
        return -1;
    gpointer v = g_hash_table_lookup(d->ids, word);
    if (v)
        return GPOINTER_TO_INT(v) - 1;
    int id = (int)d->words->len;
    char *copy = g_strdup(word);
    g_ptr_array_add(d->words, copy);
    g_hash_table_insert(d->ids, copy, GINT_TO_POINTER(id + 1));
    map_add(d, word, id);
    char del[64];
    for (size_t i = 0; i < len; i++) {
        memcpy(del, word, i);
        memcpy(del + i, word + i + 1, len - i);
        map_add(d, del, id);
    }
    return id;
}

bool cx_delindex_has(const cx_delindex *d, const char *word)
{
    return d && g_hash_table_contains(d->ids, word);
}

const char *cx_delindex_word(const cx_delindex *d, int id)
{
    return id >= 0 && (guint)id < d->words->len ? g_ptr_array_index(d->words, id) : NULL;
}

static void collect(const cx_delindex *d, const char *key, const char *q, size_t lq, int *out, int *n,
                    int max)
{
    GArray *arr = g_hash_table_lookup(d->map, key);
    for (guint i = 0; arr && i < arr->len && *n < max; i++) {
        int id = g_array_index(arr, int, i);
        bool dup = false;
        for (int k = 0; k < *n; k++)
            dup |= out[k] == id;
        if (dup)
            continue;
        const char *w = g_ptr_array_index(d->words, id);
        if (cx_edit_distance(q, lq, w, strlen(w), 1) == 1)
            out[(*n)++] = id;
    }
}

int cx_delindex_find(const cx_delindex *d, const char *q, int *out, int max)
{
    size_t len = strlen(q);
    int n = 0;
    if (!d || len == 0 || len > 63 || max <= 0)
        return 0;
    collect(d, q, q, len, out, &n, max);
    char del[64];
    for (size_t i = 0; i < len && n < max; i++) {
        if (i > 0 && q[i] == q[i - 1])
            continue;   /* deleting either of two equal letters gives the same key */
        memcpy(del, q, i);
        memcpy(del + i, q + i + 1, len - i);
        collect(d, del, q, len, out, &n, max);
    }
    return n;
}
