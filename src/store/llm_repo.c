/* The language model's bookkeeping: the insurer's switch, the month's cost, one row per
 * question, usage and the latest questions. */
#include "store_internal.h"
#include "minca/store_llm.h"

#include <stdio.h>
#include <stdlib.h>

int store_llm_setting(PGconn *c, long long insurer_id, char *out, size_t outlen, minca_err *err)
{
    if (outlen)
        out[0] = '\0';
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err, "SELECT lower(coalesce(settings->>'llm', '')) FROM insurers WHERE id = $1::bigint",
                                &p);
    if (!r)
        return -1;
    if (PQntuples(r))
        snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int store_llm_month_cost(PGconn *c, long long insurer_id, double *cost, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    PGresult *r = store_query_p(c, err,
                                "SELECT coalesce(sum(cost), 0)::float8 FROM llm_requests"
                                " WHERE insurer_id = $1::bigint AND at >= date_trunc('month', now())",
                                &p);
    if (!r)
        return -1;
    *cost = atof(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int store_llm_request_add(PGconn *c, const store_llm_request *rq, minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, rq->insurer_id);
    store_param_text(&p, rq->purpose);
    store_param_text(&p, rq->model);
    store_param_text(&p, rq->prompt_sha256);
    store_param_text(&p, rq->masked_prompt);
    store_param_bool(&p, rq->cached);
    store_param_text(&p, rq->outcome);
    store_param_ll_if(&p, rq->http_status != 0, rq->http_status);
    store_param_ll(&p, rq->attempts);
    store_param_ll(&p, rq->prompt_tokens);
    store_param_ll(&p, rq->completion_tokens);
    store_param_double(&p, rq->cost);
    store_param_text(&p, rq->note);
    return store_exec_p(c, err,
                        "INSERT INTO llm_requests (insurer_id, purpose, model, prompt_sha256, masked_prompt, cached, outcome,"
                        " http_status, attempts, prompt_tokens, completion_tokens, cost, note)"
                        " VALUES ($1::bigint, $2, $3, $4, $5, $6::boolean, $7, $8::int, $9::int, $10::bigint, $11::bigint,"
                        " round($12::numeric, 8), $13)",
                        &p);
}

STORE_ROW_READER(store_llm_usage_row, STORE_LLM_USAGE_COLUMNS)
STORE_ROW_READER(store_llm_request_row, STORE_LLM_REQUEST_ROW_COLUMNS)

int store_llm_usage(PGconn *c, store_llm_usage_row_list *out, minca_err *err)
{
    return store_llm_usage_row_list_query(c,
                            "SELECT i.slug AS insurer, r.purpose, count(*) AS requests,"
                            "       count(*) FILTER (WHERE r.cached) AS cached,"
                            "       count(*) FILTER (WHERE r.outcome <> 'ok') AS failed,"
                            "       sum(r.prompt_tokens)::bigint AS prompt_tokens,"
                            "       sum(r.completion_tokens)::bigint AS completion_tokens,"
                            "       round(sum(r.cost), 4)::float8 AS cost"
                            "  FROM llm_requests r JOIN insurers i ON i.id = r.insurer_id"
                            " WHERE r.at >= date_trunc('month', now())"
                            " GROUP BY i.slug, r.purpose ORDER BY i.slug, r.purpose",
                            NULL, out, err);
}

int store_llm_request_list(PGconn *c, long long insurer_id, int limit, store_llm_request_row_list *out,
                           minca_err *err)
{
    store_params p = {0};
    store_param_ll(&p, insurer_id);
    store_param_ll(&p, limit);
    return store_llm_request_row_list_query(c,
                              "SELECT id, to_char(at, 'YYYY-MM-DD HH24:MI:SS') AS at, purpose, model, cached, outcome,"
                              "       http_status, attempts, prompt_tokens, completion_tokens, cost::float8 AS cost,"
                              "       note, masked_prompt"
                              "  FROM llm_requests WHERE insurer_id = $1::bigint ORDER BY id DESC LIMIT $2::int",
                              &p, out, err);
}
