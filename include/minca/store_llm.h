/* store_llm: the language model's bookkeeping (llm_requests) and the insurer's switch for it.
 * Same conventions as store.h: parameterised queries, 0 / -1 with err, JSON results owned by
 * the caller. */
#ifndef MINCA_STORE_LLM_H
#define MINCA_STORE_LLM_H

#include "minca/store.h"
#include "minca/store_rows.h"

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

/* Usage of the current month for one insurer (its slug) and purpose. */
#define STORE_LLM_USAGE_COLUMNS(X)                                                                \
    X(insurer, TEXT) X(purpose, TEXT) X(requests, LL) X(cached, LL) X(failed, LL) X(prompt_tokens, LL) \
    X(completion_tokens, LL) X(cost, DOUBLE)
STORE_ROW_TYPES(store_llm_usage_row, STORE_LLM_USAGE_COLUMNS)
/* The current month per insurer and purpose, by insurer and purpose into *out (zeroed first;
 * the caller clears it with store_llm_usage_row_list_clear, also on error). */
int store_llm_usage(PGconn *c, store_llm_usage_row_list *out, minca_err *err);
/* A question as the audit lists it: at "YYYY-MM-DD HH24:MI:SS", http_status
 * STORE_ROW_NULL_LL when no HTTP answer, note NULL when none. */
#define STORE_LLM_REQUEST_ROW_COLUMNS(X)                                                          \
    X(id, LL) X(at, TEXT) X(purpose, TEXT) X(model, TEXT) X(cached, BOOL) X(outcome, TEXT)          \
    X(http_status, OPT_LL) X(attempts, INT) X(prompt_tokens, LL) X(completion_tokens, LL) X(cost, DOUBLE) \
    X(note, OPT_TEXT) X(masked_prompt, TEXT)
STORE_ROW_TYPES(store_llm_request_row, STORE_LLM_REQUEST_ROW_COLUMNS)
/* The insurer's latest limit questions, newest first, into *out (as store_llm_usage). */
int store_llm_request_list(PGconn *c, long long insurer_id, int limit, store_llm_request_row_list *out,
                           minca_err *err);

#endif
