/* The review queue: the store's lines per description key, gathered by the codifier's
 * reading (codify_reading), so one decision reaches every row that says the same thing. */
#include "minca/codify.h"
#include "minca/desk_review.h"
#include "minca/store_tui.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const codify_aliases *queue_aliases(void)
{
    static gsize once = 0;
    static codify_aliases *aliases;
    if (g_once_init_enter(&once)) {
        minca_err err = {0};
        if (codify_aliases_load_default(&aliases, &err) < 0) {
            log_warn("review queue: the alias tables cannot be read (%s); lines are told apart by their words only",
                     err.msg);
            aliases = NULL;
        }
        g_once_init_leave(&once, 1);
    }
    return aliases;
}

char *review_reading_of_key(const char *norm_key, char *buf)
{
    gchar **part = g_strsplit(norm_key ? norm_key : "", "|", 4);
    guint n = g_strv_length(part);
    codify_query q = {.marca = n > 0 ? part[0] : "", .submarca = n > 1 ? part[1] : "",
                      .anio = n > 2 ? atoi(part[2]) : 0, .descripcion = n > 3 ? part[3] : ""};
    codify_reading(queue_aliases(), &q, buf);
    g_strfreev(part);
    return buf;
}

/* A line being gathered. */
typedef struct gather {
    char *reading;
    json_t *norm_keys;
    json_t *proposals;     /* "CVEGS/YEAR" -> rows */
    GHashTable *cases;     /* case ids (as pointers to the JSON integers' values) */
    long long n_rows, sample_row_id;
    bool mine;             /* a row of a case assigned to the desk's user */
    double due;            /* the earliest due time of its cases (epoch seconds), 0 when none */
    json_t *min_conf, *max_conf;
    GPtrArray *keys;       /* the store's lines it gathers (borrowed) */
    gchar **words;         /* the reading's words (after "BRAND|MODEL|YEAR|") */
    size_t head_len;       /* length of "BRAND|MODEL|YEAR|" */
    bool gone;             /* joined another line */
} gather;

static void gather_free(gpointer p)
{
    gather *g = p;
    g_free(g->reading);
    json_decref(g->norm_keys);
    json_decref(g->proposals);
    g_hash_table_destroy(g->cases);
    json_decref(g->min_conf);
    json_decref(g->max_conf);
    g_strfreev(g->words);
    g_ptr_array_free(g->keys, TRUE);
    g_free(g);
}

static void keep_extreme(json_t **held, json_t *v, int sign)
{
    if (!json_is_number(v))
        return;
    if (!*held || sign * (json_number_value(v) - json_number_value(*held)) > 0) {
        json_decref(*held);
        *held = json_incref(v);
    }
}

static void add_key(gather *g, json_t *k)
{
    json_array_append(g->norm_keys, json_object_get(k, "norm_key"));
    g->n_rows += json_integer_value(json_object_get(k, "n_rows"));
    long long sample = json_integer_value(json_object_get(k, "sample_row_id"));
    if (!g->sample_row_id || sample < g->sample_row_id)
        g->sample_row_id = sample;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(k, "case_ids"), i, id) {
        long long *cid = g_new(long long, 1);
        *cid = json_integer_value(id);
        g_hash_table_add(g->cases, cid);
    }
    if (json_is_true(json_object_get(k, "mine")))
        g->mine = true;
    double due = json_number_value(json_object_get(k, "due_epoch"));
    if (due > 0 && (g->due == 0 || due < g->due))
        g->due = due;
    keep_extreme(&g->min_conf, json_object_get(k, "min_conf"), -1);
    keep_extreme(&g->max_conf, json_object_get(k, "max_conf"), 1);
    const char *p;
    json_t *n;
    json_object_foreach(json_object_get(k, "proposals"), p, n) {
        long long had = json_integer_value(json_object_get(g->proposals, p));
        json_object_set_new(g->proposals, p, json_integer(had + json_integer_value(n)));
    }
}

/* The proposal most rows of the line have (ties: the lowest key). */
static const char *line_proposal(const gather *g)
{
    const char *best = NULL, *p;
    long long best_n = 0;
    json_t *n;
    json_object_foreach(g->proposals, p, n) {
        long long c = json_integer_value(n);
        if (c > best_n || (c == best_n && best && strcmp(p, best) < 0)) {
            best = p;
            best_n = c;
        }
    }
    return best;
}

/* ---- a line that leaves attributes unsaid ------------------------------------------------ */

/* The attribute a canonical token states ("#D4": doors, "#AUT" and "#STD": transmission), or
 * NULL for a word that is no attribute. */
static const char *attr_kind(const char *w, char *buf, size_t cap)
{
    if (w[0] != '#')
        return NULL;
    if (strcmp(w, "#AUT") == 0 || strcmp(w, "#STD") == 0)
        return "trans";
    if (strncmp(w, "#4X", 3) == 0)
        return "drive";
    if (strcmp(w, "#DIESEL") == 0 || strcmp(w, "#HEV") == 0 || strcmp(w, "#PHEV") == 0 || strcmp(w, "#EV") == 0)
        return "fuel";
    size_t n = 1;
    while (w[n] && g_ascii_isalpha(w[n]))
        n++;
    snprintf(buf, cap, "%.*s", (int)n, w);
    return buf;
}

static bool has_word(gchar **words, const char *w)
{
    for (; *words; words++)
        if (strcmp(*words, w) == 0)
            return true;
    return false;
}

static bool states_kind(gchar **words, const char *kind)
{
    char buf[16];
    for (; *words; words++) {
        const char *k = attr_kind(*words, buf, sizeof buf);
        if (k && strcmp(k, kind) == 0)
            return true;
    }
    return false;
}

/* True when b reads as a with attributes a leaves unsaid added, and nothing else. */
static bool says_more(const gather *a, const gather *b)
{
    if (a == b || b->gone || a->head_len != b->head_len || strncmp(a->reading, b->reading, a->head_len) != 0 ||
        g_strv_length(b->words) <= g_strv_length(a->words))
        return false;
    for (gchar **w = a->words; *w; w++)
        if (!has_word(b->words, *w))
            return false;
    char buf[16];
    for (gchar **w = b->words; *w; w++) {
        if (has_word(a->words, *w))
            continue;
        const char *kind = attr_kind(*w, buf, sizeof buf);
        if (!kind || states_kind(a->words, kind))
            return false;
    }
    return true;
}

/* True when two lines that say more than a disagree on one of the attributes a leaves unsaid
 * ("4P" against "2P"): a may be either, so it joins neither. */
static bool disagree(const gather *b, const gather *c)
{
    char kb[16], kc[16];
    for (gchar **x = b->words; *x; x++) {
        const char *k1 = attr_kind(*x, kb, sizeof kb);
        if (!k1)
            continue;
        for (gchar **y = c->words; *y; y++) {
            const char *k2 = attr_kind(*y, kc, sizeof kc);
            if (k2 && strcmp(k1, k2) == 0 && strcmp(*x, *y) != 0)
                return true;
        }
    }
    return false;
}

static const char *line_proposal(const gather *g);

static void absorb(gather *into, gather *from)
{
    for (guint i = 0; i < from->keys->len; i++)
        add_key(into, g_ptr_array_index(from->keys, i));
    g_ptr_array_extend(into->keys, from->keys, NULL, NULL);
    from->gone = true;
}

static gint by_words(gconstpointer a, gconstpointer b)
{
    guint x = g_strv_length((*(const gather *const *)a)->words), y = g_strv_length((*(const gather *const *)b)->words);
    return x < y ? -1 : x > y;
}

/* A line whose reading leaves attributes unsaid ("EX 1.6L AUT") joins the line that says
 * them and reads the same otherwise ("EX 4P 1.6L AUT") when the codifier proposes the same
 * key for both and no other line says them differently. */
static void join_unsaid(GPtrArray *lines)
{
    g_ptr_array_sort(lines, by_words);
    for (guint i = 0; i < lines->len; i++) {
        gather *a = g_ptr_array_index(lines, i);
        const char *pa = line_proposal(a);
        if (a->gone || !pa)
            continue;
        gather *best = NULL;
        bool ambiguous = false;
        for (guint j = i + 1; j < lines->len && !ambiguous; j++) {
            gather *b = g_ptr_array_index(lines, j);
            if (!says_more(a, b))
                continue;
            const char *pb = line_proposal(b);
            if (!pb || strcmp(pa, pb) != 0 || (best && disagree(best, b)))
                ambiguous = true;
            else if (!best || g_strv_length(b->words) > g_strv_length(best->words))
                best = b;
        }
        if (best && !ambiguous)
            absorb(best, a);
    }
}

/* The user's own cases first, then by the earliest due time (none last), then most rows. */
static gint by_order(gconstpointer a, gconstpointer b)
{
    const gather *x = *(const gather *const *)a, *y = *(const gather *const *)b;
    if (x->mine != y->mine)
        return x->mine ? -1 : 1;
    if (x->due != y->due) {
        if (x->due == 0 || y->due == 0)
            return x->due == 0 ? 1 : -1;
        return x->due < y->due ? -1 : 1;
    }
    if (x->n_rows != y->n_rows)
        return x->n_rows > y->n_rows ? -1 : 1;
    return strcmp(x->reading, y->reading);
}

static json_t *line_json(const gather *g, int ord, json_t *samples)
{
    const char *proposal = line_proposal(g);
    char cvegs[16] = "";
    int year = 0;
    if (proposal) {
        const char *slash = strchr(proposal, '/');
        snprintf(cvegs, sizeof cvegs, "%.*s", slash ? (int)(slash - proposal) : (int)strlen(proposal), proposal);
        year = slash ? atoi(slash + 1) : 0;
    }
    json_array_append_new(samples, json_pack("{s:i, s:I, s:s, s:i}", "ord", ord, "row_id",
                                             (json_int_t)g->sample_row_id, "cvegs", cvegs, "year", year));
    json_t *l = json_pack("{s:s, s:O, s:I, s:I, s:I}", "reading", g->reading, "norm_keys", g->norm_keys, "n_rows",
                          (json_int_t)g->n_rows, "n_cases", (json_int_t)g_hash_table_size(g->cases),
                          "sample_row_id", (json_int_t)g->sample_row_id);
    json_object_set(l, "min_conf", g->min_conf ? g->min_conf : json_null());
    json_object_set(l, "max_conf", g->max_conf ? g->max_conf : json_null());
    json_object_set_new(l, "cvegs", json_string(cvegs));
    json_object_set_new(l, "year", year ? json_integer(year) : json_null());
    return l;
}

json_t *review_queue(PGconn *c, long long insurer_id, const char *user, int limit, minca_err *err)
{
    json_t *keys = store_tui_review_keys(c, insurer_id, user, err);
    if (!keys)
        return NULL;
    GHashTable *by_reading = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *lines = g_ptr_array_new_with_free_func(gather_free);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        char reading[CODIFY_KEY_MAX];
        review_reading_of_key(json_string_value(json_object_get(k, "norm_key")), reading);
        gather *g = g_hash_table_lookup(by_reading, reading);
        if (!g) {
            g = g_new0(gather, 1);
            g->reading = g_strdup(reading);
            g->norm_keys = json_array();
            g->proposals = json_object();
            g->cases = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
            g->keys = g_ptr_array_new();
            const char *bar = strrchr(g->reading, '|');
            g->head_len = bar ? (size_t)(bar - g->reading) + 1 : 0;
            g->words = g_strsplit(g->reading + g->head_len, " ", -1);
            g_hash_table_insert(by_reading, g->reading, g);
            g_ptr_array_add(lines, g);
        }
        add_key(g, k);
        g_ptr_array_add(g->keys, k);
    }
    g_hash_table_destroy(by_reading);
    join_unsaid(lines);
    for (guint j = lines->len; j-- > 0;)
        if (((gather *)g_ptr_array_index(lines, j))->gone)
            g_ptr_array_remove_index_fast(lines, j);
    g_ptr_array_sort(lines, by_order);
    json_decref(keys);
    guint n = limit > 0 && (guint)limit < lines->len ? (guint)limit : lines->len;
    json_t *out = json_array(), *samples = json_array();
    for (guint j = 0; j < n; j++)
        json_array_append_new(out, line_json(g_ptr_array_index(lines, j), (int)j, samples));
    g_ptr_array_free(lines, TRUE);
    json_t *shown = n ? store_tui_review_samples(c, insurer_id, samples, err) : json_array();
    json_decref(samples);
    if (!shown) {
        json_decref(out);
        return NULL;
    }
    json_t *s;
    json_array_foreach(shown, i, s) {
        json_t *l = json_array_get(out, (size_t)json_integer_value(json_object_get(s, "ord")));
        if (!l)
            continue;
        json_object_del(s, "ord");
        json_object_update(l, s);
    }
    json_decref(shown);
    return out;
}
