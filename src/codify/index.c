/* In-memory catalog index: token vocabulary with IDF weights, entries grouped by model and
 * sorted by year, lookup tables for brands, models (with aliases and family keys) and VIN
 * prefixes. Built once per catalog, read-only afterwards. No I/O. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct tmp_entry {
    cx_entry e;
    int32_t *toks;
    int n_toks;
    int order;      /* original row, for a stable sort */
} tmp_entry;

static void garray_free(gpointer p) { g_array_unref(p); }

int cx_token_id(const codify_index *idx, const char *tok)
{
    if (idx->vmap) {
        uint32_t h = cx_hash(tok);
        for (uint32_t i = h & idx->vmap_mask;; i = (i + 1) & idx->vmap_mask) {
            uint64_t slot = idx->vmap[i];
            if (!slot)
                return -1;
            if ((uint32_t)(slot >> 32) == h) {
                int id = (int)(uint32_t)slot - 1;
                if (strcmp(idx->tok_str[id], tok) == 0)
                    return id;
            }
        }
    }
    gpointer v = g_hash_table_lookup(idx->vocab, tok);
    return v ? GPOINTER_TO_INT(v) - 1 : -1;
}

/* The vocabulary as a flat open-addressing table: the matcher looks every query word up,
 * and this is several times cheaper than a GHashTable lookup. */
static void freeze_vocab(codify_index *idx)
{
    uint32_t cap = 16;
    while (cap < (uint32_t)idx->n_vocab * 2u + 16u)
        cap <<= 1;
    idx->vmap = g_new0(uint64_t, cap);
    idx->vmap_mask = cap - 1;
    for (int id = 0; id < idx->n_vocab; id++) {
        uint32_t h = cx_hash(idx->tok_str[id]);
        uint32_t i = h & idx->vmap_mask;
        while (idx->vmap[i])
            i = (i + 1) & idx->vmap_mask;
        idx->vmap[i] = (uint64_t)h << 32 | (uint32_t)(id + 1);
    }
}

static int intern_token(codify_index *idx, const char *tok, GArray *df)
{
    gpointer v = g_hash_table_lookup(idx->vocab, tok);
    if (v)
        return GPOINTER_TO_INT(v) - 1;
    int id = idx->n_vocab++;
    g_hash_table_insert(idx->vocab, g_string_chunk_insert(idx->strings, tok), GINT_TO_POINTER(id + 1));
    int zero = 0;
    g_array_append_val(df, zero);
    return id;
}

static int cmp_int32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_tmp(const void *a, const void *b)
{
    const tmp_entry *x = a, *y = b;
    if (x->e.model != y->e.model)
        return x->e.model - y->e.model;
    if (x->e.year != y->e.year)
        return x->e.year - y->e.year;
    return x->order - y->order;
}

static void add_key(GHashTable *table, const char *key, int value, int level)
{
    if (!key || !*key)
        return;
    GArray *arr = g_hash_table_lookup(table, key);
    if (!arr) {
        arr = g_array_new(FALSE, FALSE, level >= 0 ? sizeof(cx_model_ref) : sizeof(int));
        g_hash_table_insert(table, g_strdup(key), arr);
    }
    if (level >= 0) {
        for (guint i = 0; i < arr->len; i++) {
            cx_model_ref *r = &g_array_index(arr, cx_model_ref, i);
            if (r->model == value) {
                if (level > r->level)
                    r->level = level;
                return;
            }
        }
        cx_model_ref r = {value, level};
        g_array_append_val(arr, r);
    } else {
        for (guint i = 0; i < arr->len; i++)
            if (g_array_index(arr, int, i) == value)
                return;
        g_array_append_val(arr, value);
    }
}

static bool has_digit(const char *s)
{
    for (; *s; s++)
        if (*s >= '0' && *s <= '9')
            return true;
    return false;
}

/* Keys a model is found by: its compact name (3), family keys such as "CLASEE" for "E-500"
 * or "SERIE5" for "535I" (2), and distinctive parts of a multi-word name (1). */
static void add_model_keys(codify_index *idx, int model_id)
{
    const char *name = idx->models[model_id].name;
    char norm[256], comp[256];
    codify_normalize(name, norm, sizeof norm);
    cx_compact(norm, comp, sizeof comp);
    add_key(idx->model_keys, comp, model_id, 3);

    /* family: LETTERS[-]DIGITS... (Mercedes "E-500", "GLE-400") */
    size_t k = 0;
    while (comp[k] >= 'A' && comp[k] <= 'Z')
        k++;
    if (k >= 1 && k <= 3 && comp[k] >= '0' && comp[k] <= '9') {
        char fam[64];
        snprintf(fam, sizeof fam, "CLASE%.*s", (int)k, comp);
        add_key(idx->model_keys, fam, model_id, 2);
        snprintf(fam, sizeof fam, "%.*s", (int)k, comp);
        add_key(idx->model_keys, fam, model_id, 1);
    }
    /* family: DIGIT DIGIT DIGIT letters (BMW "535I", "118IA") */
    if (strlen(comp) >= 3 && comp[0] >= '1' && comp[0] <= '9' && comp[1] >= '0' && comp[1] <= '9' &&
        comp[2] >= '0' && comp[2] <= '9' && (comp[3] == '\0' || (comp[3] >= 'A' && comp[3] <= 'Z'))) {
        char fam[16];
        snprintf(fam, sizeof fam, "SERIE%c", comp[0]);
        add_key(idx->model_keys, fam, model_id, 2);
    }
    /* parts of multi-word names: "RAM 2500" -> "2500", "NP300 FRONTIER" -> "NP300" */
    if (strchr(norm, ' ')) {
        char **parts = g_strsplit(norm, " ", -1);
        for (int i = 0; parts[i]; i++) {
            size_t len = strlen(parts[i]);
            if ((len >= 2 && has_digit(parts[i])) || len >= 4)
                add_key(idx->model_keys, parts[i], model_id, 1);
        }
        g_strfreev(parts);
    }
}

static int brand_id_of(const codify_index *idx, const char *compact)
{
    GArray *arr = g_hash_table_lookup(idx->brand_keys, compact);
    return arr && arr->len ? g_array_index(arr, int, 0) : -1;
}

static void add_alias_tables(codify_index *idx)
{
    /* brands: alias -> catalog brands present in this catalog */
    GHashTableIter it;
    gpointer k, v;
    GPtrArray *pending_keys = g_ptr_array_new();
    GPtrArray *pending_vals = g_ptr_array_new();
    g_hash_table_iter_init(&it, idx->al->brand_alias);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GPtrArray *targets = v;
        for (guint i = 0; i < targets->len; i++) {
            int id = brand_id_of(idx, g_ptr_array_index(targets, i));
            if (id >= 0) {
                g_ptr_array_add(pending_keys, k);
                g_ptr_array_add(pending_vals, GINT_TO_POINTER(id));
            }
        }
    }
    for (guint i = 0; i < pending_keys->len; i++)
        add_key(idx->brand_keys, g_ptr_array_index(pending_keys, i),
                GPOINTER_TO_INT(g_ptr_array_index(pending_vals, i)), -1);
    g_ptr_array_free(pending_keys, TRUE);
    g_ptr_array_free(pending_vals, TRUE);

    /* VIN prefixes */
    g_hash_table_iter_init(&it, idx->al->wmi);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GPtrArray *targets = v;
        for (guint i = 0; i < targets->len; i++) {
            int id = brand_id_of(idx, g_ptr_array_index(targets, i));
            if (id >= 0)
                add_key(idx->wmi_brands, k, id, -1);
        }
    }

    /* models: alias -> catalog submarca (optionally within one brand) */
    for (guint i = 0; i < idx->al->model_alias->len; i++) {
        cx_model_alias *m = g_ptr_array_index(idx->al->model_alias, i);
        int want_brand = m->brand ? brand_id_of(idx, m->brand) : -1;
        if (m->brand && want_brand < 0)
            continue;
        GArray *refs = g_hash_table_lookup(idx->model_keys, m->target);
        if (!refs)
            continue;
        /* copy: add_key may grow the array being read when alias == target */
        GArray *copy = g_array_copy(refs);
        for (guint j = 0; j < copy->len; j++) {
            cx_model_ref r = g_array_index(copy, cx_model_ref, j);
            if (r.level != 3)
                continue;
            if (want_brand >= 0) {
                /* brand aliases may map to several brands: accept any of them */
                GArray *ids = g_hash_table_lookup(idx->brand_keys, m->brand);
                bool ok = false;
                for (guint b = 0; ids && b < ids->len; b++)
                    ok |= g_array_index(ids, int, b) == idx->models[r.model].brand;
                if (!ok)
                    continue;
            }
            add_key(idx->model_keys, m->alias, r.model, 3);
        }
        g_array_unref(copy);
    }
}

static bool all_letters(const char *w)
{
    for (; *w; w++)
        if (*w < 'A' || *w > 'Z')
            return false;
    return true;
}

static void add_typo_word(const char *word, void *data)
{
    if (strlen(word) >= 4 && all_letters(word))
        cx_delindex_add(data, word);
}

/* Tables for words written with a typo: per-token letter masks for the block's fuzzy word
 * match, and deletion indexes of the spellings a typo is fixed to (synonym and attribute
 * words), of brand keys and of exact model keys. */
static void build_fuzzy_tables(codify_index *idx, size_t kept)
{
    int nv = idx->n_vocab ? idx->n_vocab : 1;
    idx->tok_mask = g_new0(uint32_t, nv);
    idx->tok_len = g_new0(uint8_t, nv);
    for (int v = 0; v < idx->n_vocab; v++) {
        size_t len = strlen(idx->tok_str[v]);
        idx->tok_mask[v] = cx_letter_mask(idx->tok_str[v]);
        idx->tok_len[v] = (uint8_t)(len > 255 ? 255 : len);
    }
    idx->unknown_weight = (float)(1.0 + log((double)(kept + 1) / 2.0));
    idx->tok_flags = g_new0(uint8_t, nv);
    for (int t = 0; t < idx->n_vocab; t++) {
        const char *w = idx->tok_str[t];
        uint8_t f = 0;
        if (g_hash_table_contains(idx->brand_keys, w) || g_hash_table_contains(idx->al->brand_ignore, w))
            f |= CX_TOK_BRAND;
        if (cx_junk_word(idx->al, w))
            f |= CX_TOK_JUNK;
        if (cx_junk_marker(idx->al, w))
            f |= CX_TOK_MARKER;
        if (cx_minor_word(idx->al, w))
            f |= CX_TOK_MINOR;
        if (cx_attr_word(w))
            f |= CX_TOK_ATTR;
        idx->tok_flags[t] = f;
    }

    idx->typo_words = cx_delindex_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, idx->al->token_syn);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *key = k;
        if (key[0] == '\x01' || key[0] == '\x03' || strchr(key, ' '))
            continue;
        add_typo_word(key[0] == '\x02' ? key + 1 : key, idx->typo_words);
    }
    cx_attr_words(add_typo_word, idx->typo_words);

    idx->brand_fuzzy = cx_delindex_new();
    g_hash_table_iter_init(&it, idx->brand_keys);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (strlen(k) >= 4)
            cx_delindex_add(idx->brand_fuzzy, k);

    idx->model_fuzzy = cx_delindex_new();
    g_hash_table_iter_init(&it, idx->model_keys);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        GArray *refs = v;
        bool exact = false;
        for (guint i = 0; i < refs->len; i++)
            exact |= g_array_index(refs, cx_model_ref, i).level == 3;
        const char *key = k;
        bool digits_only = true;
        for (const char *p = key; *p; p++)
            digits_only &= *p >= '0' && *p <= '9';
        if (exact && strlen(key) >= 4 && !digits_only)
            cx_delindex_add(idx->model_fuzzy, key);
    }
}

/* ---- codify_index_build, stage by stage ----------------------------------------------- */

/* What the build holds until the index owns it. */
typedef struct index_build {
    GHashTable *brand_ids;    /* normalised MARCA -> brand + 1 */
    GHashTable *model_ids;    /* "brand|SUBMARCA" -> model + 1 */
    GArray *brands;           /* cx_brand, until idx->brands */
    GArray *models;           /* cx_model, until idx->models */
    GArray *df;               /* int per token: entries containing it */
    GArray *df_model;         /* uint8_t per token: 1 when a model name gives it */
    tmp_entry *tmp;           /* one per catalog row (n) */
    size_t n, kept;
    cx_tokens *words;         /* two token scratch lists */
} index_build;

static void index_build_init(index_build *b, size_t n)
{
    b->brand_ids = g_hash_table_new(g_str_hash, g_str_equal);
    b->model_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    b->brands = g_array_new(FALSE, TRUE, sizeof(cx_brand));
    b->models = g_array_new(FALSE, TRUE, sizeof(cx_model));
    b->df = g_array_new(FALSE, TRUE, sizeof(int));
    b->df_model = g_array_new(FALSE, TRUE, sizeof(uint8_t));
    b->tmp = g_new0(tmp_entry, n ? n : 1);
    b->n = n;
    b->kept = 0;
    b->words = g_new(cx_tokens, 2);
}

/* Frees what the index did not take (brands, models and df_model are NULL once it has). */
static void index_build_clear(index_build *b)
{
    if (b->df_model)
        g_array_free(b->df_model, TRUE);
    for (size_t i = 0; i < b->n; i++)
        g_free(b->tmp[i].toks);
    g_free(b->tmp);
    g_free(b->words);
    g_array_free(b->df, TRUE);
    g_hash_table_destroy(b->brand_ids);
    g_hash_table_destroy(b->model_ids);
    if (b->brands) {
        for (guint i = 0; i < b->brands->len; i++)
            g_array_unref(g_array_index(b->brands, cx_brand, i).models);
        g_array_free(b->brands, TRUE);
    }
    if (b->models)
        g_array_free(b->models, TRUE);
}

/* The row's brand and model, added on first sight; returns the model. */
static int build_brand_model(codify_index *idx, index_build *b, const codify_entry *src)
{
    char bnorm[256];
    codify_normalize(src->marca, bnorm, sizeof bnorm);
    gpointer bv = g_hash_table_lookup(b->brand_ids, bnorm);
    int brand;
    if (bv) {
        brand = GPOINTER_TO_INT(bv) - 1;
    } else {
        cx_brand nb = {g_string_chunk_insert(idx->strings, src->marca), g_array_new(FALSE, FALSE, sizeof(int))};
        g_array_append_val(b->brands, nb);
        brand = (int)b->brands->len - 1;
        g_hash_table_insert(b->brand_ids, g_string_chunk_insert(idx->strings, bnorm), GINT_TO_POINTER(brand + 1));
    }
    char mkey[600];
    snprintf(mkey, sizeof mkey, "%d|%s", brand, src->submarca);
    gpointer mv = g_hash_table_lookup(b->model_ids, mkey);
    if (mv)
        return GPOINTER_TO_INT(mv) - 1;
    cx_model m = {brand, g_string_chunk_insert(idx->strings, src->submarca), 0, 0};
    g_array_append_val(b->models, m);
    int model = (int)b->models->len - 1;
    g_hash_table_insert(b->model_ids, g_strdup(mkey), GINT_TO_POINTER(model + 1));
    g_array_append_val(g_array_index(b->brands, cx_brand, brand).models, model);
    return model;
}

/* The row's words into words[0]: its description analysed (the TRANSMISION column decides the
 * gearbox token), "50IA" also as "50I", then the model name's words ("E43" also as "43") and
 * the name compacted. Returns how many words came before the model name's. */
static int build_entry_words(const codify_index *idx, const codify_entry *src, tmp_entry *t, cx_tokens *words)
{
    cx_analyse(idx->al, src->descveh, &t->e.attrs, &words[0]);
    if (src->transmision && strcmp(src->transmision, "AUTO") == 0)
        t->e.attrs.trans = CODIFY_TRANS_AUTO;
    else if (src->transmision && strcmp(src->transmision, "MANUAL") == 0)
        t->e.attrs.trans = CODIFY_TRANS_MANUAL;
    if (t->e.attrs.trans) {
        /* make sure the transmission token reflects the column */
        bool has = false;
        for (int w = 0; w < words[0].n; w++)
            has |= strcmp(words[0].tok[w], "#AUT") == 0 || strcmp(words[0].tok[w], "#STD") == 0;
        if (!has)
            cx_tokens_push(&words[0], t->e.attrs.trans == CODIFY_TRANS_AUTO ? "#AUT" : "#STD", 4);
    }
    /* "50IA" is also written "50I" (the A marks the automatic gearbox) */
    int n_desc = words[0].n;
    for (int w = 0; w < n_desc; w++) {
        const char *tok = words[0].tok[w];
        size_t len = strlen(tok), d = 0;
        while (d < len && tok[d] >= '0' && tok[d] <= '9')
            d++;
        if (d >= 2 && len >= d + 2 && tok[len - 1] == 'A')
            cx_tokens_push(&words[0], tok, len - 1);
    }
    /* the model name is part of what identifies the entry */
    int n_before_model = words[0].n;
    char snorm[256], scomp[256];
    codify_normalize(src->submarca, snorm, sizeof snorm);
    cx_compact(snorm, scomp, sizeof scomp);
    cx_tokenize(idx->al, snorm, &words[1]);
    for (int w = 0; w < words[1].n; w++) {
        const char *tok = words[1].tok[w];
        cx_tokens_push(&words[0], tok, strlen(tok));
        /* "E43" is also written "CLASE E 43": index the number part too */
        size_t k = 0;
        while (tok[k] >= 'A' && tok[k] <= 'Z')
            k++;
        if (k > 0 && k <= 3 && tok[k] >= '0' && tok[k] <= '9')
            cx_tokens_push(&words[0], tok + k, strlen(tok + k));
    }
    cx_tokens_push(&words[0], scomp, strlen(scomp));
    return n_before_model;
}

/* The row's words as token ids, sorted and distinct; each counted once in df, and marked in
 * df_model when the model name gives it. */
static void build_entry_tokens(codify_index *idx, index_build *b, tmp_entry *t, const cx_tokens *words,
                               int n_before_model)
{
    t->toks = g_new(int32_t, words->n ? words->n : 1);
    for (int w = 0; w < words->n; w++) {
        t->toks[w] = intern_token(idx, words->tok[w], b->df);
        if ((int)b->df_model->len < idx->n_vocab)
            g_array_set_size(b->df_model, (guint)idx->n_vocab);
        if (w >= n_before_model)
            g_array_index(b->df_model, uint8_t, t->toks[w]) = 1;
    }
    qsort(t->toks, (size_t)words->n, sizeof(int32_t), cmp_int32);
    int u = 0;
    for (int w = 0; w < words->n; w++)
        if (u == 0 || t->toks[u - 1] != t->toks[w])
            t->toks[u++] = t->toks[w];
    t->n_toks = u;
    for (int w = 0; w < u; w++)
        g_array_index(b->df, int, t->toks[w])++;
}

/* One catalog row into the build; -1 with err when it lacks a field. */
static int build_add_row(codify_index *idx, index_build *b, const codify_entry *src, size_t i, minca_err *err)
{
    if (core_str_empty(src->marca) || core_str_empty(src->submarca) || core_str_empty(src->cvegs) ||
        !src->descveh || src->modelo <= 0)
        return minca_err_set(err, "codify index: entry %zu lacks MARCA, SUBMARCA, CVEGS, MODELO or DESCVEH", i + 1);
    int model = build_brand_model(idx, b, src);
    tmp_entry *t = &b->tmp[b->kept];
    t->order = (int)i;
    memset(t->e.cvegs, 0, sizeof t->e.cvegs);   /* zero-padded: compared with memcmp */
    g_strlcpy(t->e.cvegs, src->cvegs, sizeof t->e.cvegs);
    t->e.year = src->modelo;
    t->e.model = model;
    t->e.desc = g_string_chunk_insert_const(idx->strings, src->descveh);
    int n_before_model = build_entry_words(idx, src, t, b->words);
    build_entry_tokens(idx, b, t, &b->words[0], n_before_model);
    b->kept++;
    return 0;
}

/* Token weights (IDF; equipment words, %minor, and rim sizes weigh less than trim words), the
 * model-name marks and each token's text. */
static void build_weights(codify_index *idx, index_build *b)
{
    idx->weight = g_new(float, idx->n_vocab ? idx->n_vocab : 1);
    for (int v = 0; v < idx->n_vocab; v++) {
        int d = g_array_index(b->df, int, v);
        idx->weight[v] = (float)(1.0 + log((double)(b->kept + 1) / (double)(d + 1)));
    }
    g_array_set_size(b->df_model, (guint)(idx->n_vocab ? idx->n_vocab : 1));
    idx->model_tok = (uint8_t *)g_array_free(b->df_model, FALSE);
    b->df_model = NULL;
    idx->tok_str = g_new0(const char *, idx->n_vocab ? idx->n_vocab : 1);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, idx->vocab);
    while (g_hash_table_iter_next(&it, &k, &v))
        idx->tok_str[GPOINTER_TO_INT(v) - 1] = k;
    g_hash_table_iter_init(&it, idx->vocab);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *w = k;
        bool rim = w[0] == 'R' && w[1] >= '1' && w[1] <= '2' && w[2] >= '0' && w[2] <= '9' && !w[3];
        if (rim || cx_minor_word(idx->al, w))
            idx->weight[GPOINTER_TO_INT(v) - 1] *= (float)CX_MINOR_FACTOR;
    }
}

/* The entries in catalog order (sorted tmp) with their tokens in one pool, each model's run of
 * entries, the (cvegs, year) lookup; the index takes the models and brands. */
static void build_entries(codify_index *idx, index_build *b)
{
    size_t kept = b->kept, pool = 0;
    idx->n_entries = kept;
    idx->entries = g_new0(cx_entry, kept ? kept : 1);
    for (size_t i = 0; i < kept; i++)
        pool += (size_t)b->tmp[i].n_toks;
    idx->tok_pool = g_new(int32_t, pool ? pool : 1);
    size_t off = 0;
    idx->n_models = (int)b->models->len;
    idx->models = (cx_model *)g_array_free(b->models, FALSE);
    b->models = NULL;
    for (size_t i = 0; i < kept; i++) {
        const tmp_entry *t = &b->tmp[i];
        cx_entry *e = &idx->entries[i];
        *e = t->e;
        e->tok_off = (uint32_t)off;
        e->n_tok = (uint16_t)t->n_toks;
        float cw = 0;
        for (int w = 0; w < t->n_toks; w++) {
            idx->tok_pool[off++] = t->toks[w];
            cw += idx->weight[t->toks[w]];
        }
        e->cw = cw;
        cx_model *m = &idx->models[e->model];
        if (m->count == 0)
            m->first = (uint32_t)i;
        m->count++;
        char key[32];
        snprintf(key, sizeof key, "%s|%d", e->cvegs, e->year);
        if (!g_hash_table_contains(idx->by_key, key))
            g_hash_table_insert(idx->by_key, g_strdup(key), GSIZE_TO_POINTER(i + 1));
    }
    idx->n_brands = (int)b->brands->len;
    idx->brands = (cx_brand *)g_array_free(b->brands, FALSE);
    b->brands = NULL;
}

/* Each brand's keys: its name compacted, and without filler words ("TESLA MOTORS" is found as
 * "TESLA"). */
static void build_brand_keys(codify_index *idx)
{
    for (int b = 0; b < idx->n_brands; b++) {
        char norm[256], comp[256];
        codify_normalize(idx->brands[b].name, norm, sizeof norm);
        cx_compact(norm, comp, sizeof comp);
        add_key(idx->brand_keys, comp, b, -1);
        char **words = g_strsplit(norm, " ", -1);
        GString *kept = g_string_new(NULL);
        for (int w = 0; words[w]; w++)
            if (!g_hash_table_contains(idx->al->brand_ignore, words[w]))
                g_string_append(kept, words[w]);
        if (kept->len)
            add_key(idx->brand_keys, kept->str, b, -1);
        g_string_free(kept, TRUE);
        g_strfreev(words);
    }
}

/* The model keys' filter (cx_model_key_maybe): 16 bits or more per key. */
static void build_model_key_filter(codify_index *idx)
{
    uint32_t bits = 1024;
    while (bits < 16u * g_hash_table_size(idx->model_keys) && bits < (1u << 24))
        bits <<= 1;
    idx->model_key_mask = bits - 1;
    idx->model_key_bits = g_new0(uint64_t, bits / 64);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, idx->model_keys);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        uint32_t b = cx_hash(k) & idx->model_key_mask;
        idx->model_key_bits[b >> 6] |= (uint64_t)1 << (b & 63);
    }
}

codify_index *codify_index_build(const codify_entry *entries, size_t n,
                                 const codify_aliases *aliases, minca_err *err)
{
    double t0 = core_now_seconds();
    if (!entries && n > 0) {
        minca_err_set(err, "codify index: no entries");
        return NULL;
    }
    codify_index *idx = g_new0(codify_index, 1);
    static gint serials = 0;
    idx->serial = (unsigned)g_atomic_int_add(&serials, 1) + 1;
    idx->al = cx_aliases_clone(aliases);
    idx->strings = g_string_chunk_new(1 << 16);
    idx->vocab = g_hash_table_new(g_str_hash, g_str_equal);
    idx->brand_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, garray_free);
    idx->model_keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, garray_free);
    idx->wmi_brands = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, garray_free);
    idx->by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    index_build b;
    index_build_init(&b, n);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = build_add_row(idx, &b, &entries[i], i, err) == 0;
    if (!ok)
        goto done;
    qsort(b.tmp, b.kept, sizeof *b.tmp, cmp_tmp);
    build_weights(idx, &b);
    build_entries(idx, &b);
    build_brand_keys(idx);
    for (int m = 0; m < idx->n_models; m++)
        add_model_keys(idx, m);
    add_alias_tables(idx);
    build_fuzzy_tables(idx, b.kept);
    freeze_vocab(idx);
    build_model_key_filter(idx);
    idx->build_seconds = core_now_seconds() - t0;

done:
    index_build_clear(&b);
    if (!ok) {
        codify_index_free(idx);
        return NULL;
    }
    return idx;
}

void codify_index_free(codify_index *idx)
{
    if (!idx)
        return;
    codify_aliases_free(idx->al);
    if (idx->brands)
        for (int b = 0; b < idx->n_brands; b++)
            g_array_unref(idx->brands[b].models);
    g_free(idx->brands);
    g_free(idx->models);
    g_free(idx->entries);
    g_free(idx->weight);
    g_free(idx->tok_str);
    g_free(idx->model_tok);
    g_free(idx->tok_pool);
    g_free(idx->tok_mask);
    g_free(idx->tok_flags);
    g_free(idx->vmap);
    g_free(idx->model_key_bits);
    g_free(idx->tok_len);
    cx_delindex_free(idx->typo_words);
    cx_delindex_free(idx->brand_fuzzy);
    cx_delindex_free(idx->model_fuzzy);
    g_hash_table_destroy(idx->vocab);
    g_hash_table_destroy(idx->brand_keys);
    g_hash_table_destroy(idx->model_keys);
    g_hash_table_destroy(idx->wmi_brands);
    g_hash_table_destroy(idx->by_key);
    if (idx->strings)
        g_string_chunk_free(idx->strings);
    g_free(idx);
}

size_t codify_index_size(const codify_index *idx) { return idx ? idx->n_entries : 0; }

double codify_index_build_seconds(const codify_index *idx) { return idx ? idx->build_seconds : 0; }

int cx_find_entry(const codify_index *idx, const char *cvegs, int year)
{
    char key[32];
    snprintf(key, sizeof key, "%s|%d", cvegs, year);
    gpointer v = g_hash_table_lookup(idx->by_key, key);
    return v ? (int)GPOINTER_TO_SIZE(v) - 1 : -1;
}
