/* llm: the optional language model, used only where the rules run out.
 *
 *   text ──llm_mask_text──► masked text (RFC, e-mail, phone, VIN, plates, known names replaced
 *   by placeholders such as [RFC_1]) ──llm_ask──► validated JSON answer ──llm_unmask_json──►
 *   the answer with the real values back.
 *
 * llm_ask() is the one client: an OpenAI-compatible /chat/completions endpoint over libcurl
 * (config `llm:`), a JSON schema the answer must satisfy (checked here, never trusted), retries
 * with back-off on 429 / 5xx honouring Retry-After, a Redis cache keyed by the hash of the masked
 * prompt (the same question is never paid twice), and one llm_requests row per question with the
 * masked prompt, the tokens and the cost (the insurer's monthly budget is enforced from them).
 * With no model configured, or the insurer's setting `llm` false, nothing is sent and llm_ask()
 * says so: every caller keeps its rule-based result. */
#ifndef MINCA_LLM_H
#define MINCA_LLM_H

#include "minca/core.h"
#include "minca/store_llm.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

/* ---- settings (options.c) ---- */

/* The optional language model (`llm:` in the config file). With no base_url nothing is ever
 * sent. */
typedef struct llm_settings {
    char *base_url;          /* OpenAI-compatible API root, e.g. https://host/v1; NULL: no model */
    char *model;             /* model name sent with every request */
    char *api_key_env;       /* environment variable holding the API key (MINCA_LLM_API_KEY) */
    char *api_key_file;      /* or a file whose first line is the key */
    int timeout_seconds;     /* per request (default 30) */
    int max_tokens;          /* answer size limit (default 800) */
    int max_retries;         /* retries on 429 / 5xx (default 3) */
    double monthly_budget;   /* per insurer and calendar month, in price units; 0: unlimited */
    double price_prompt;     /* price per million prompt tokens (default 0) */
    double price_completion; /* price per million completion tokens (default 0) */
} llm_settings;

/* Registers the llm.* options with the config (config_register); the program's start-up calls
 * it before config_load. */
void llm_options_register(void);
/* The settings the last config_load gave (static; all unset before llm_options_register). */
const llm_settings *llm_settings_get(void);
/* True when a model endpoint is configured (llm.base_url and llm.model). */
bool llm_enabled(void);

/* ---- masking (mask.c) ---- */

/* The placeholders of one conversation: the same value always gets the same placeholder, so a
 * masked prompt (and its cache key) is stable. Owned by the caller (llm_mask_free). */
typedef struct llm_mask llm_mask;
llm_mask *llm_mask_new(void);
void llm_mask_free(llm_mask *m);
/* Masks a person's name known from the message (sender, contact) wherever it appears. */
void llm_mask_add_name(llm_mask *m, const char *name);
/* A masked copy of text (the caller g_free()s it): RFCs, e-mail addresses, phone numbers, VINs,
 * plates and the names added are replaced by [RFC_n], [EMAIL_n], [PHONE_n], [VIN_n], [PLATE_n],
 * [NAME_n]. */
char *llm_mask_text(llm_mask *m, const char *text);
/* text with every placeholder replaced by the value it stands for (g_malloc'd). */
char *llm_unmask_text(const llm_mask *m, const char *text);
/* Same, in place, over every string of a JSON value. */
void llm_unmask_json(const llm_mask *m, json_t *v);
/* Number of placeholders handed out. */
int llm_mask_count(const llm_mask *m);

/* ---- schema (schema.c) ---- */

/* Checks value against a JSON schema subset: type (one or a list), properties, required,
 * additionalProperties false, items, enum, maxLength, minItems/maxItems, minimum/maximum.
 * 0 when it conforms; -1 with the first violation (a JSON path) in err. */
int llm_schema_check(const json_t *schema, const json_t *value, minca_err *err);

/* True when a string reads like instructions to a machine rather than data ("ignore the
 * previous instructions", "system prompt", "auto-accept"...): such an answer is refused. */
bool llm_looks_like_instructions(const char *s);

/* ---- the client (client.c) ---- */

typedef struct llm_request {
    long long insurer_id;
    const char *purpose;       /* "body", "columns", "review": counted and logged per purpose */
    const char *system;        /* instructions; never holds data from the mail */
    const char *prompt;        /* the question, already masked */
    const char *schema_name;   /* name sent with the schema */
    const json_t *schema;      /* the answer's JSON schema (borrowed) */
} llm_request;

typedef struct llm_result {
    json_t *answer;            /* the validated answer (owned; NULL on failure) */
    bool cached;               /* answered from the cache, no request made */
    int http_status;           /* last HTTP status (0: none) */
    int attempts;              /* HTTP requests made */
    long prompt_tokens, completion_tokens;
    double cost;
} llm_result;

/* Whether the model may be asked for this insurer: configured, and the insurer's setting `llm`
 * is not false. pg may be NULL (then only the configuration is checked). */
bool llm_available(PGconn *pg, long long insurer_id);

/* Asks the model. 0 with res->answer set (conforming to rq->schema); -1 with a readable reason
 * in err (not configured, turned off, over budget, network, timeout, HTTP error, invalid JSON,
 * schema violation, instructions in the answer): the caller keeps its rule-based result and may
 * show the reason as a note. Records one llm_requests row on pg (may be NULL: nothing recorded,
 * no budget check). Thread-safe. res is cleared with llm_result_clear(). */
int llm_ask(PGconn *pg, const llm_request *rq, llm_result *res, minca_err *err);
void llm_result_clear(llm_result *res);

/* Usage of the current month per insurer and purpose (requests, cached answers, failures,
 * tokens, cost) as a JSON array; for `minca status`. New reference, NULL + err on failure. */
json_t *llm_usage_json(PGconn *pg, minca_err *err);
/* The insurer's latest questions (limit, 20 when <= 0), newest first, into *out: the audit of
 * what was sent (store_llm.h's rows; the caller clears *out with
 * store_llm_request_row_list_clear, also on error). */
int llm_requests(PGconn *pg, long long insurer_id, int limit, store_llm_request_row_list *out, minca_err *err);

#endif
