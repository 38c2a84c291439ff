/* The language model client: one OpenAI-compatible chat-completions request per question,
 * answers validated against their schema, cached in Redis, counted in PostgreSQL. */
#include "minca/core_config.h"
#include "minca/llm.h"
#include "minca/queue.h"
#include "minca/store_llm.h"

#include <curl/curl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LLM_CACHE_PREFIX "minca:llm:"
#define LLM_CACHE_TTL (30 * 24 * 3600)
#define LLM_MAX_RESPONSE (4u << 20)
#define LLM_MAX_WAIT_SECONDS 30

static gsize curl_once;

static void curl_setup(void)
{
    if (g_once_init_enter(&curl_once)) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        g_once_init_leave(&curl_once, 1);
    }
}

void llm_result_clear(llm_result *res)
{
    if (!res)
        return;
    json_decref(res->answer);
    memset(res, 0, sizeof *res);
}

bool llm_available(PGconn *pg, long long insurer_id)
{
    if (!llm_enabled())
        return false;
    if (!pg || !insurer_id)
        return true;
    minca_err err = {0};
    char v[32];
    if (store_llm_setting(pg, insurer_id, v, sizeof v, &err) < 0)
        return false;
    bool off = strcmp(v, "false") == 0 || strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0;
    return !off;
}

/* The API key: the configured environment variable, else the first line of the key file. */
static char *api_key(void)
{
    const llm_settings *l = llm_settings_get();
    const char *env = l->api_key_env ? getenv(l->api_key_env) : NULL;
    if (env && *env) {
        core_secret_add(env);
        return g_strdup(env);
    }
    if (!l->api_key_file)
        return NULL;
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(l->api_key_file, 64 * 1024, &data, &len, NULL) < 0)
        return NULL;
    data[strcspn(data, "\r\n")] = '\0';
    char *key = g_strdup(core_trim(data));
    g_free(data);
    core_secret_add(key);
    return key;
}

/* ---- HTTP ---------------------------------------------------------------------------- */

typedef struct http_reply {
    GString *body;
    long status;
    int retry_after;     /* seconds, -1 when absent */
} http_reply;

static size_t on_body(char *ptr, size_t size, size_t n, void *user)
{
    http_reply *h = user;
    if (h->body->len + size * n > LLM_MAX_RESPONSE)
        return 0;
    g_string_append_len(h->body, ptr, (gssize)(size * n));
    return size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *user)
{
    http_reply *h = user;
    size_t len = size * n;
    if (len > 12 && strncasecmp(ptr, "retry-after:", 12) == 0) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", (int)(len - 12 < 63 ? len - 12 : 63), ptr + 12);
        char *end = NULL;
        long v = strtol(core_trim(buf), &end, 10);
        if (end && end != buf)
            h->retry_after = v < 0 ? 0 : (int)v;
    }
    return len;
}

/* One POST. 0 with h filled (any HTTP status), -1 on a transport failure (err). */
static int post(const char *url, const char *key, const char *body, http_reply *h, minca_err *err)
{
    curl_setup();
    CURL *curl = curl_easy_init();
    if (!curl)
        return minca_err_set(err, "cannot start an HTTP request");
    const llm_settings *l = llm_settings_get();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    char *auth = key ? core_strdup_printf("Authorization: Bearer %s", key) : NULL;
    if (auth)
        hdrs = curl_slist_append(hdrs, auth);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)l->timeout_seconds);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)(l->timeout_seconds < 10 ? l->timeout_seconds : 10));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "minca/" MINCA_VERSION);
    g_string_truncate(h->body, 0);
    h->status = 0;
    h->retry_after = -1;
    CURLcode rc = curl_easy_perform(curl);
    int out = 0;
    if (rc != CURLE_OK)
        out = minca_err_set(err, "%s", rc == CURLE_OPERATION_TIMEDOUT ? "the model did not answer in time"
                                                                       : curl_easy_strerror(rc));
    else
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &h->status);
    curl_slist_free_all(hdrs);
    g_free(auth);
    curl_easy_cleanup(curl);
    return out;
}

static char *request_body(const llm_request *rq)
{
    const llm_settings *l = llm_settings_get();
    json_t *schema = json_deep_copy(rq->schema);
    json_t *req = json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}], s:i, s:f, s:{s:s, s:{s:s, s:b, s:o}}}", "model",
                            l->model, "messages", "role", "system", "content", rq->system, "role", "user", "content",
                            rq->prompt, "max_tokens", l->max_tokens, "temperature", 0.0, "response_format", "type",
                            "json_schema", "json_schema", "name", rq->schema_name, "strict", 1, "schema", schema);
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return s;
}

static bool has_instructions(const json_t *v)
{
    if (json_is_string(v))
        return llm_looks_like_instructions(json_string_value(v));
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v))
        json_array_foreach((json_t *)v, i, x) if (has_instructions(x)) return true;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, x) if (has_instructions(x)) return true;
    return false;
}

/* Some endpoints wrap the JSON in a Markdown code fence even when a schema was asked for:
 * the fence is dropped, never anything inside it. Returns a g_malloc'd copy. */
static char *unfenced(const char *content)
{
    const char *p = content;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    if (strncmp(p, "```", 3) != 0)
        return g_strdup(content);
    const char *nl = strchr(p, '\n');
    if (!nl)
        return g_strdup(content);
    char *body = g_strdup(nl + 1);
    char *end = strstr(body, "```");
    if (end)
        *end = '\0';
    return body;
}

/* The answer's content, parsed and checked: a new reference, or NULL with err. */
static json_t *validated(const llm_request *rq, const char *content, minca_err *err)
{
    json_error_t je;
    char *text = unfenced(content);
    json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    g_free(text);
    if (!v) {
        minca_err_set(err, "the model's answer is not valid JSON (%s)", je.text);
        return NULL;
    }
    minca_err se = {0};
    if (llm_schema_check(rq->schema, v, &se) < 0) {
        minca_err_set(err, "the model's answer does not follow the schema (%s)", se.msg);
        json_decref(v);
        return NULL;
    }
    if (has_instructions(v)) {
        minca_err_set(err, "the model's answer was refused: it reads like instructions, not data");
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Parses a 200 reply: content, tokens. */
static json_t *parse_reply(const llm_request *rq, const char *body, llm_result *res, minca_err *err)
{
    json_error_t je;
    json_t *doc = json_loads(body, 0, &je);
    if (!doc) {
        minca_err_set(err, "the model's reply is not valid JSON (%s)", je.text);
        return NULL;
    }
    json_t *usage = json_object_get(doc, "usage");
    res->prompt_tokens += (long)json_integer_value(json_object_get(usage, "prompt_tokens"));
    res->completion_tokens += (long)json_integer_value(json_object_get(usage, "completion_tokens"));
    json_t *msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
    const char *content = json_string_value(json_object_get(msg, "content"));
    json_t *v = NULL;
    if (!content)
        minca_err_set(err, "the model's reply has no answer%s", json_object_get(msg, "refusal") ? " (it refused)" : "");
    else
        v = validated(rq, content, err);
    json_decref(doc);
    return v;
}

static double backoff_seconds(int attempt, int retry_after)
{
    if (retry_after >= 0)
        return retry_after > LLM_MAX_WAIT_SECONDS ? LLM_MAX_WAIT_SECONDS : retry_after;
    double d = 0.5 * (double)(1 << (attempt < 6 ? attempt : 6));
    return d + g_random_double_range(0, d / 4);
}

static json_t *ask_http(const llm_request *rq, llm_result *res, minca_err *err)
{
    const llm_settings *l = llm_settings_get();
    char *body = request_body(rq);
    if (!body) {
        minca_err_set(err, "cannot build the request");
        return NULL;
    }
    char *key = api_key();
    size_t blen = strlen(l->base_url);
    char *url = core_strdup_printf("%.*s/chat/completions", (int)(blen && l->base_url[blen - 1] == '/' ? blen - 1 : blen),
                                   l->base_url);
    http_reply h = {.body = g_string_new(NULL)};
    json_t *answer = NULL;
    for (int attempt = 0; attempt <= l->max_retries; attempt++) {
        res->attempts++;
        if (post(url, key, body, &h, err) < 0)
            break;
        res->http_status = (int)h.status;
        if (h.status == 200) {
            answer = parse_reply(rq, h.body->str, res, err);
            break;
        }
        bool transient = h.status == 429 || h.status >= 500;
        minca_err_set(err, "the model endpoint answered HTTP %ld%s", h.status,
                      transient && attempt == l->max_retries ? " after retries" : "");
        if (!transient || attempt == l->max_retries)
            break;
        double wait = backoff_seconds(attempt, h.retry_after);
        log_info("llm: HTTP %ld, retrying in %.1f s", h.status, wait);
        g_usleep((gulong)(wait * G_USEC_PER_SEC));
    }
    g_string_free(h.body, TRUE);
    g_free(url);
    g_free(key);
    g_free(body);
    return answer;
}

/* ---- cache ----------------------------------------------------------------------------- */

static void cache_key(const llm_request *rq, char out[128])
{
    char *schema = json_dumps(rq->schema, JSON_COMPACT | JSON_SORT_KEYS);
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    const char *parts[] = {llm_settings_get()->model, rq->schema_name, schema ? schema : "", rq->system, rq->prompt};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        g_checksum_update(ck, (const guchar *)(parts[i] ? parts[i] : ""), -1);
        g_checksum_update(ck, (const guchar *)"\n\x1f", 2);
    }
    snprintf(out, 128, "%s%s", LLM_CACHE_PREFIX, g_checksum_get_string(ck));
    g_checksum_free(ck);
    free(schema);
}

static json_t *cache_get(redisContext *r, const char *key, const llm_request *rq)
{
    if (!r)
        return NULL;
    minca_err e = {0};
    redisReply *rep = queue_redis_cmd(r, &e, "GET %s", key);
    json_t *v = NULL;
    if (rep && rep->type == REDIS_REPLY_STRING) {
        minca_err ve = {0};
        v = validated(rq, rep->str, &ve);
    }
    if (rep)
        freeReplyObject(rep);
    return v;
}

static void cache_put(redisContext *r, const char *key, const json_t *answer)
{
    if (!r)
        return;
    char *s = json_dumps(answer, JSON_COMPACT);
    minca_err e = {0};
    redisReply *rep = queue_redis_cmd(r, &e, "SET %s %s EX %d", key, s, LLM_CACHE_TTL);
    if (rep)
        freeReplyObject(rep);
    else
        log_warn("llm: answer not cached: %s", e.msg);
    free(s);
}

/* ---- accounting ------------------------------------------------------------------------ */

static void record(PGconn *pg, const llm_request *rq, const llm_result *res, const char *outcome, const char *note)
{
    if (!pg || !rq->insurer_id)
        return;
    char sha[65];
    core_sha256_hex(rq->prompt, strlen(rq->prompt), sha);
    store_llm_request row = {
        .insurer_id = rq->insurer_id, .purpose = rq->purpose, .model = llm_settings_get()->model,
        .prompt_sha256 = sha, .masked_prompt = rq->prompt, .cached = res->cached, .outcome = outcome,
        .http_status = res->http_status, .attempts = res->attempts, .prompt_tokens = res->prompt_tokens,
        .completion_tokens = res->completion_tokens, .cost = res->cost, .note = note,
    };
    minca_err err = {0};
    if (store_llm_request_add(pg, &row, &err) < 0)
        log_warn("llm: request not recorded: %s", err.msg);
}

int llm_ask(PGconn *pg, const llm_request *rq, llm_result *res, minca_err *err)
{
    memset(res, 0, sizeof *res);
    const llm_settings *l = llm_settings_get();
    if (!llm_enabled())
        return minca_err_set(err, "no language model is configured");
    if (!rq->schema || !rq->prompt || !rq->system)
        return minca_err_set(err, "a question for the language model needs a prompt and a schema");
    if (!llm_available(pg, rq->insurer_id))
        return minca_err_set(err, "the language model is turned off for this insurer");
    char key[128];
    cache_key(rq, key);
    minca_err cerr = {0};
    redisContext *redis = queue_redis_connect(&cerr);
    if (!redis)
        log_debug("llm: no cache: %s", cerr.msg);
    res->answer = cache_get(redis, key, rq);
    if (res->answer) {
        res->cached = true;
        record(pg, rq, res, "ok", "answered from the cache");
        redisFree(redis);
        return 0;
    }
    double spent = 0;
    if (pg && l->monthly_budget > 0 && store_llm_month_cost(pg, rq->insurer_id, &spent, err) == 0 && spent >= l->monthly_budget) {
        minca_err_set(err, "the monthly language model budget (%.2f) is spent", l->monthly_budget);
        record(pg, rq, res, "refused", err->msg);
        redisFree(redis);
        return -1;
    }
    minca_err herr = {0};
    res->answer = ask_http(rq, res, &herr);
    res->cost = (double)res->prompt_tokens * l->price_prompt / 1e6 + (double)res->completion_tokens * l->price_completion / 1e6;
    if (res->answer) {
        cache_put(redis, key, res->answer);
        record(pg, rq, res, "ok", NULL);
    } else {
        log_warn("llm: %s: %s", rq->purpose, herr.msg);
        record(pg, rq, res, "failed", herr.msg);
        minca_err_set(err, "%s", herr.msg);
    }
    if (redis)
        redisFree(redis);
    return res->answer ? 0 : -1;
}

json_t *llm_usage_json(PGconn *pg, minca_err *err)
{
    store_llm_usage_row_list rows;
    int rc = store_llm_usage(pg, &rows, err);
    json_t *out = rc == 0 ? store_llm_usage_row_list_json(&rows) : NULL;
    store_llm_usage_row_list_clear(&rows);
    return out;
}

int llm_requests(PGconn *pg, long long insurer_id, int limit, store_llm_request_row_list *out, minca_err *err)
{
    return store_llm_request_list(pg, insurer_id, limit > 0 ? limit : 20, out, err);
}
