/* store_llm: the language model's bookkeeping (llm_requests) and the insurer's switch for it.
 * Same conventions as store.h: parameterised queries, 0 / -1 with err, JSON results owned by
 * the caller. */
#ifndef MINCA_STORE_LLM_H
#define MINCA_STORE_LLM_H

#include "minca/store.h"

/* The insurer's setting `llm`, lower-cased, into out ("" when unset or no such insurer). */
int store_llm_setting(PGconn *c, long long insurer_id, char *out, size_t outlen, minca_err *err);
/* What the insurer's questions cost since the start of the current month. */
int store_llm_month_cost(PGconn *c, long long insurer_id, double *cost, minca_err *err);

/* One question put to the model (text fields borrowed for the call). */
typedef struct store_llm_request {
    long long insurer_id;
    const char *purpose, *model;
    const char *prompt_sha256, *masked_prompt;
    bool cached;
    const char *outcome;          /* "ok", "refused", "failed" */
    int http_status;              /* 0: no HTTP answer (stored as NULL) */
    int attempts;
    long prompt_tokens, completion_tokens;
    double cost;                  /* stored rounded to 8 decimals */
    const char *note;             /* may be NULL */
} store_llm_request;
int store_llm_request_add(PGconn *c, const store_llm_request *rq, minca_err *err);

/* The current month per insurer and purpose: insurer, purpose, requests, cached, failed,
 * prompt_tokens, completion_tokens, cost. New reference, or NULL with err. */
json_t *store_llm_usage(PGconn *c, minca_err *err);
/* The insurer's latest limit questions, newest first: id, at, purpose, model, cached, outcome,
 * http_status, attempts, prompt_tokens, completion_tokens, cost, note, masked_prompt. New
 * reference, or NULL with err. */
json_t *store_llm_request_list(PGconn *c, long long insurer_id, int limit, minca_err *err);

#endif
