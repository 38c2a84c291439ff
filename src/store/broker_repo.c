/* Brokers, their sender domains and their stored profiles, as the pipeline uses them. */
#include <glib.h>
#include "minca/store_broker.h"
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_broker_by_domain(PGconn *c, long long insurer_id, const char *domain, long long *broker_id, minca_err *err)
{
    *broker_id = 0;
    if (!domain)
        return 0;
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, domain);
    PGresult *r = store_query_p(c, err, "SELECT broker_id FROM broker_domains WHERE insurer_id = $1::bigint AND domain = $2", &p);
    if (!r)
        return -1;
    if (PQntuples(r) > 0)
        *broker_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_broker_ensure(PGconn *c, long long insurer_id, const char *name, long long *broker_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, name);
    PGresult *r = store_query_p(c, err,
                                "INSERT INTO brokers (insurer_id, name) VALUES ($1::bigint, $2)"
                                " ON CONFLICT (insurer_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                                &p);
    if (!r)
        return -1;
    *broker_id = store_get_ll(r, 0, 0);
    PQclear(r);
    return 0;
}

int store_broker_domain_add(PGconn *c, long long insurer_id, const char *domain, long long broker_id, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_text(&p, domain);
    store_param_ll(&p, broker_id);
    return store_exec_p(c, err,
                        "INSERT INTO broker_domains (insurer_id, domain, broker_id) VALUES ($1::bigint, lower($2), $3::bigint)"
                        " ON CONFLICT DO NOTHING",
                        &p);
}

int store_broker_profiles_active(PGconn *c, long long insurer_id, store_profile_texts *out, minca_err *err)
{
    memset(out, 0, sizeof *out);
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT id, name, version, yaml FROM broker_profiles"
                                " WHERE insurer_id = $1::bigint AND active ORDER BY name",
                                &p);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->items = g_malloc0_n(n > 0 ? (size_t)n : 1, sizeof *out->items);
    for (int i = 0; i < n; i++) {
        out->items[i].id = store_get_ll(r, i, 0);
        out->items[i].name = g_strdup(PQgetvalue(r, i, 1));
        out->items[i].version = store_get_int(r, i, 2);
        out->items[i].yaml = g_strdup(PQgetvalue(r, i, 3));
    }
    out->n = n;
    PQclear(r);
    return 0;
}

void store_profile_texts_clear(store_profile_texts *t)
{
    for (int i = 0; i < t->n; i++) {
        g_free(t->items[i].name);
        g_free(t->items[i].yaml);
    }
    g_free(t->items);
    memset(t, 0, sizeof *t);
}
