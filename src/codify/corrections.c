/* Reviewer corrections: a normalised query key (optionally per broker) -> CVEGS + year. The
 * table is filled by storage from the corrections an insurer's reviewers made; the matcher
 * answers from it before scoring. */
#include "internal.h"

#include <string.h>

typedef struct correction {
    char cvegs[8];
    int year;
} correction;

struct codify_corrections {
    GHashTable *map;   /* "broker\x1fkey" -> correction */
};

static char *map_key(const char *key, const char *broker)
{
    return g_strconcat(broker ? broker : "", "\x1f", key ? key : "", NULL);
}

char *codify_correction_key(const codify_query *q, char buf[CODIFY_KEY_MAX])
{
    char marca[128], submarca[128], desc[CODIFY_KEY_MAX];
    codify_normalize(q && q->marca ? q->marca : "", marca, sizeof marca);
    codify_normalize(q && q->submarca ? q->submarca : "", submarca, sizeof submarca);
    codify_normalize(q && q->descripcion ? q->descripcion : "", desc, sizeof desc);
    char year[12] = "";
    if (q && q->anio > 0)
        g_snprintf(year, sizeof year, "%d", q->anio);
    g_snprintf(buf, CODIFY_KEY_MAX, "%s|%s|%s|%s", marca, submarca, year, desc);
    return buf;
}

codify_corrections *codify_corrections_new(void)
{
    codify_corrections *c = g_new0(codify_corrections, 1);
    c->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return c;
}

void codify_corrections_free(codify_corrections *c)
{
    if (!c)
        return;
    g_hash_table_destroy(c->map);
    g_free(c);
}

void codify_corrections_add(codify_corrections *c, const char *key, const char *broker,
                            const char *cvegs, int year)
{
    if (!c || !key || !cvegs)
        return;
    correction *v = g_new0(correction, 1);
    g_strlcpy(v->cvegs, cvegs, sizeof v->cvegs);
    v->year = year;
    g_hash_table_replace(c->map, map_key(key, broker), v);
}

bool codify_corrections_remove(codify_corrections *c, const char *key, const char *broker)
{
    if (!c || !key)
        return false;
    char *k = map_key(key, broker);
    bool removed = g_hash_table_remove(c->map, k);
    g_free(k);
    return removed;
}

size_t codify_corrections_count(const codify_corrections *c)
{
    return c ? g_hash_table_size(c->map) : 0;
}

bool cx_corrections_lookup(const codify_corrections *c, const char *key, const char *broker,
                           char cvegs[8], int *year)
{
    if (!c || g_hash_table_size(c->map) == 0)
        return false;
    correction *v = NULL;
    if (broker && *broker) {
        char *k = map_key(key, broker);
        v = g_hash_table_lookup(c->map, k);
        g_free(k);
    }
    if (!v) {
        char *k = map_key(key, "");
        v = g_hash_table_lookup(c->map, k);
        g_free(k);
    }
    if (!v)
        return false;
    g_strlcpy(cvegs, v->cvegs, 8);
    *year = v->year;
    return true;
}
