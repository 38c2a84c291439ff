/* Statement parameters built in place: numbers are formatted into the struct's own storage,
 * text is borrowed. One mechanism instead of a char buffer and an snprintf per number. */
#include "store_internal.h"
#include "minca/store.h"

#include <stdio.h>
#include <string.h>

static char *slot(store_params *p)
{
    if (p->n >= STORE_PARAMS_MAX) {
        p->overflow = true;
        return NULL;
    }
    return p->numbers[p->n];
}

void store_param_text(store_params *p, const char *s)
{
    if (!slot(p))
        return;
    p->values[p->n++] = s;
}

void store_param_ll(store_params *p, long long v)
{
    char *buf = slot(p);
    if (!buf)
        return;
    snprintf(buf, sizeof p->numbers[0], "%lld", v);
    p->values[p->n++] = buf;
}

void store_param_id(store_params *p, long long id)
{
    if (id > 0)
        store_param_ll(p, id);
    else
        store_param_text(p, NULL);
}

void store_param_ll_if(store_params *p, bool present, long long v)
{
    if (present)
        store_param_ll(p, v);
    else
        store_param_text(p, NULL);
}

void store_param_double(store_params *p, double v)
{
    char *buf = slot(p);
    if (!buf)
        return;
    snprintf(buf, sizeof p->numbers[0], "%.17g", v);
    p->values[p->n++] = buf;
}

void store_param_bool(store_params *p, bool v) { store_param_text(p, v ? "t" : "f"); }

static bool params_ok(const store_params *p, minca_err *err)
{
    if (!p->overflow)
        return true;
    minca_err_set(err, "statement has more than %d parameters", STORE_PARAMS_MAX);
    return false;
}

PGresult *store_query_p(PGconn *c, minca_err *err, const char *sql, const store_params *p)
{
    if (!params_ok(p, err))
        return NULL;
    return store_query(c, err, sql, p->n, p->values);
}

int store_exec_p(PGconn *c, minca_err *err, const char *sql, const store_params *p)
{
    if (!params_ok(p, err))
        return -1;
    return store_exec(c, err, sql, p->n, p->values);
}

json_t *store_query_json_p(PGconn *c, minca_err *err, const char *sql, const store_params *p)
{
    if (!params_ok(p, err))
        return NULL;
    return store_query_json(c, err, sql, p->n, p->values);
}
