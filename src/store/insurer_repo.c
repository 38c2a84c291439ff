#include "minca/store.h"
#include "store_internal.h"
#include "minca/store_insurer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill(PGresult *r, store_insurer *out)
{
    out->id = store_get_ll(r, 0, 0);
    snprintf(out->slug, sizeof out->slug, "%s", PQgetvalue(r, 0, 1));
    snprintf(out->name, sizeof out->name, "%s", PQgetvalue(r, 0, 2));
    snprintf(out->cot_prefix, sizeof out->cot_prefix, "%s", PQgetvalue(r, 0, 3));
}

int store_insurer_find(PGconn *c, const char *slug, store_insurer *out, minca_err *err)
{
    const char *p[] = {slug};
    PGresult *r = store_query(c, err, "SELECT id, slug, name, cot_prefix FROM insurers WHERE slug = $1", 1, p);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        fill(r, out);
    PQclear(r);
    return found;
}

int store_insurer_ensure(PGconn *c, const char *slug, store_insurer *out, minca_err *err)
{
    int found = store_insurer_find(c, slug, out, err);
    if (found != 0)
        return found < 0 ? -1 : 0;
    const char *p[] = {slug};
    PGresult *r = store_query(c, err,
                              "INSERT INTO insurers (slug, name) VALUES ($1, $1) "
                              "ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug "
                              "RETURNING id, slug, name, cot_prefix",
                              1, p);
    if (!r)
        return minca_err_prefix(err, "insurer '%s'", slug);
    fill(r, out);
    PQclear(r);
    log_info("created insurer %s", slug);
    return 0;
}

STORE_ROW_READER(store_insurer_row, STORE_INSURER_ROW_COLUMNS)

int store_insurer_list(PGconn *c, store_insurer_row_list *out, minca_err *err)
{
    return store_insurer_row_list_query(c, "SELECT id, slug, name, cot_prefix, settings FROM insurers ORDER BY slug", NULL,
                                        out, err);
}

json_t *store_insurer_settings(PGconn *c, long long insurer_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    json_t *rows = store_query_json_p(c, err, "SELECT settings FROM insurers WHERE id = $1::bigint", &p);
    if (!rows)
        return NULL;
    json_t *s = json_object_get(json_array_get(rows, 0), "settings");
    json_t *out = json_is_object(s) ? json_incref(s) : json_object();
    json_decref(rows);
    return out;
}

int store_insurer_setting_set(PGconn *c, long long insurer_id, const char *key, json_t *value, const char *by,
                              json_t **old_value, minca_err *err)
{
    char *v = value ? json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, key);
    store_param_text(&p, v);
    store_param_text(&p, by);
    store_param_text(&p, store_audit_os_login());
    /* The database's function changes the setting and writes the audit entry (old and new). */
    json_t *rows = store_query_json_p(c, err, "SELECT minca_insurer_set($1::bigint, $2, $3::jsonb, $4, $5) AS old", &p);
    free(v);
    if (!rows)
        return -1;
    if (old_value) {
        json_t *o = json_object_get(json_array_get(rows, 0), "old");
        *old_value = o ? json_incref(o) : json_null();
    }
    json_decref(rows);
    return 0;
}

int store_insurer_slug(PGconn *c, long long insurer_id, char *out, size_t outlen, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err, "SELECT slug FROM insurers WHERE id = $1::bigint", &p);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return found;
}
