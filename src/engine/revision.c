/* The difference between two revisions of a case's vehicle list: units matched by VIN, else
 * by plates, else by inciso and description; each matched unit compared field by field. */
#include "minca/engine.h"

#include <glib.h>
#include <string.h>

/* A key for matching: upper case, without spaces, dashes and dots ("ABC-12-34" = "abc 1234");
 * NULL when nothing is left. g_free. */
static char *unit_key(const char *s)
{
    if (!s || !*s)
        return NULL;
    char *up = g_utf8_strup(s, -1);
    GString *k = g_string_new(NULL);
    for (const char *p = up; *p; p++)
        if (!g_ascii_isspace(*p) && *p != '-' && *p != '.')
            g_string_append_c(k, *p);
    g_free(up);
    if (!k->len) {
        g_string_free(k, TRUE);
        return NULL;
    }
    return g_string_free(k, FALSE);
}

static char *inciso_key(const store_unit *u)
{
    char *d = unit_key(u->description);
    char *k = *u->inciso || d ? g_strdup_printf("%s|%s", u->inciso, d ? d : "") : NULL;
    g_free(d);
    return k;
}

typedef char *(*key_fn)(const store_unit *u);
static char *vin_key(const store_unit *u) { return unit_key(u->vin); }
static char *plates_key(const store_unit *u) { return unit_key(u->plates); }

/* key -> GQueue of old indices, in order. */
static GHashTable *index_by(const store_units *old, key_fn fn)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_queue_free);
    for (int i = 0; i < old->n; i++) {
        char *k = fn(&old->items[i]);
        if (!k)
            continue;
        GQueue *q = g_hash_table_lookup(h, k);
        if (!q) {
            q = g_queue_new();
            g_hash_table_insert(h, g_strdup(k), q);
        }
        g_queue_push_tail(q, GINT_TO_POINTER(i + 1));
        g_free(k);
    }
    return h;
}

/* The first old unit under u's key not taken yet, -1 when none. */
static int take(GHashTable *h, key_fn fn, const store_unit *u, const bool *taken)
{
    char *k = fn(u);
    int found = -1;
    GQueue *q = k ? g_hash_table_lookup(h, k) : NULL;
    while (q && !g_queue_is_empty(q) && found < 0) {
        int i = GPOINTER_TO_INT(g_queue_pop_head(q)) - 1;
        if (!taken[i])
            found = i;
    }
    g_free(k);
    return found;
}

static json_t *unit_json(const store_unit *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "inciso", u->inciso, "description", u->description, "year", u->year,
                     "vin", u->vin, "plates", u->plates);
}

static json_t *changes(const store_unit *a, const store_unit *b)
{
    json_t *out = json_array();
#define UNIT_CMP(f)                                                                                   \
    if (strcmp(a->f, b->f) != 0)                                                                       \
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "field", #f, "from", a->f, "to", b->f));
    STORE_UNIT_FIELDS(UNIT_CMP)
#undef UNIT_CMP
    return out;
}

json_t *engine_revision_diff(const store_units *old, const store_units *cur, long long *keep_from)
{
    bool *taken = g_new0(bool, old->n > 0 ? old->n : 1);
    key_fn fns[3] = {vin_key, plates_key, inciso_key};
    GHashTable *idx[3];
    for (int f = 0; f < 3; f++)
        idx[f] = index_by(old, fns[f]);
    json_t *added = json_array(), *removed = json_array(), *changed = json_array();
    int kept = 0;
    for (int i = 0; i < cur->n; i++) {
        const store_unit *u = &cur->items[i];
        keep_from[i] = 0;
        int o = -1;
        for (int f = 0; f < 3 && o < 0; f++)
            o = take(idx[f], fns[f], u, taken);
        if (o < 0) {
            json_array_append_new(added, unit_json(u));
            continue;
        }
        taken[o] = true;
        json_t *ch = changes(&old->items[o], u);
        if (json_array_size(ch) == 0) {
            keep_from[i] = old->items[o].id;
            kept++;
            json_decref(ch);
        } else {
            json_t *c = unit_json(u);
            json_object_set_new(c, "changes", ch);
            json_array_append_new(changed, c);
        }
    }
    for (int o = 0; o < old->n; o++)
        if (!taken[o])
            json_array_append_new(removed, unit_json(&old->items[o]));
    for (int f = 0; f < 3; f++)
        g_hash_table_destroy(idx[f]);
    g_free(taken);
    return json_pack("{s:o, s:o, s:o, s:i}", "added", added, "removed", removed, "changed", changed, "kept", kept);
}
