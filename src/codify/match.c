/* Candidate generation and scoring.
 *
 * 1. The query is normalised; attributes and canonical words are read from the description.
 * 2. Brand: the marca column through the brand keys (aliases, filler words dropped), else the
 *    description, else the VIN manufacturer prefix.
 * 3. Model: the longest model key found among the n-grams of the submarca column (else of the
 *    description) within the brand; several models when a family key matches ("CLASE E").
 * 4. Block: entries of those models in the model year (all years when it is unknown); when
 *    no model is found, every model of the brand in that year.
 * 5. Score: IDF-weighted token agreement (a Dice coefficient over the tokens the block knows)
 *    minus penalties for conflicting attributes (transmission, doors, cylinders, ...).
 * 6. Confidence from a few features of the ranking (calibrate.c), then the decision. */
#include "internal.h"
#include "minca/core_vehicle.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BRANDS 32
#define MAX_MODELS 96
#define SCORE_ALPHA 0.2f    /* weight of the catalog side in the Dice denominator */
#define ALT_ALPHA 0.5f      /* the same for the second opinion used by the confidence */

typedef struct qstate {
    codify_attrs attrs;
    int year;
    int year_src;             /* 0 unknown, 1 column, 2 text, 3 VIN */
    int brands[MAX_BRANDS];
    int n_brands;
    int brand_src;            /* 0 none, 1 column, 2 description, 3 VIN */
    bool brand_unknown;       /* a brand was written but is not in the catalog */
    int models[MAX_MODELS];
    int n_models;
    int model_level;          /* 0 brand only, 1 weak key, 2 family/description, 3 exact */
    bool brand_fuzzy;         /* the brand was recognised only through a typo */
    bool model_fuzzy;         /* the model was recognised only through a typo */
    int year_cand[2];         /* a year written with two digits or read from the VIN: the */
    int n_year_cand;          /* years it may mean, preferred first (the catalog decides) */
    int vin_years[2];         /* the years the VIN's model-year character may mean */
    int n_vin_years;
    int vin_year;             /* the VIN's year as read against the catalog; 0 without one */
    bool vin_conflict;        /* the VIN says another year than the one stated */
    int32_t q[CX_MAX_TOK];    /* catalog tokens the query supports, sorted */
    float qmul[CX_MAX_TOK];   /* credit per token: 1 written exactly, less when fuzzy */
    int nq;
    /* words of the query the block does not contain as written */
    int n_fuzzy, n_junk, n_unknown;
    const char *fuzzy_word[CX_MAX_TOK];   /* query spelling ... */
    int32_t fuzzy_tok[CX_MAX_TOK];        /* ... and the catalog token it was taken for */
    const char *junk_word[CX_MAX_TOK];
    const char *unknown_word[CX_MAX_TOK];
    float unknown_w;          /* summed weight of the unknown words */
    bool vin_ok;
    char qval[CODIFY_ATTR__COUNT][24];   /* query attribute values as shown in explanations */
    bool qval_ready;
} qstate;

typedef struct scored {
    int entry;
    float m;
    float score;
    float alt;                /* balanced Dice (catalog and query sides weighed equally) */
    int conflicts;
} scored;

static const struct {
    codify_attr attr;
    float penalty;
} CONFLICT_PENALTY[] = {
    {CODIFY_ATTR_TRANS, 0.25f},    {CODIFY_ATTR_DOORS, 0.12f},    {CODIFY_ATTR_CYLINDERS, 0.15f},
    {CODIFY_ATTR_DISPLACEMENT, 0.15f}, {CODIFY_ATTR_OCCUPANTS, 0.06f}, {CODIFY_ATTR_DRIVE, 0.12f},
    {CODIFY_ATTR_FUEL, 0.20f},     {CODIFY_ATTR_TONNAGE, 0.05f},
};

/* Compares one attribute; returns 1 agree, -1 conflict, 0 unknown on either side. */
static int compare_attr(const codify_attrs *q, const codify_attrs *c, codify_attr a)
{
    int x = 0, y = 0;
    switch (a) {
    case CODIFY_ATTR_TRANS: x = q->trans; y = c->trans; break;
    case CODIFY_ATTR_DOORS:
        x = q->doors;
        y = c->doors;
        if (x && !y) {
            /* the body implies the doors: a sedan has 4, a hatchback 3 or 5 */
            if (c->body[0] == 'S' && strcmp(c->body, "SEDAN") == 0)
                y = 4;
            else if (c->body[0] == 'H' && c->body[1] == 'B' && !c->body[2])
                return x == 3 || x == 5 ? 1 : -1;
        }
        break;
    case CODIFY_ATTR_CYLINDERS: x = q->cylinders; y = c->cylinders; break;
    case CODIFY_ATTR_DISPLACEMENT:
        if (!q->displacement_dl || !c->displacement_dl)
            return 0;
        return abs(q->displacement_dl - c->displacement_dl) <= 1 ? 1 : -1;
    case CODIFY_ATTR_OCCUPANTS: x = q->occupants; y = c->occupants; break;
    case CODIFY_ATTR_DRIVE: x = q->drive; y = c->drive; break;
    case CODIFY_ATTR_FUEL:
        /* an electric query against an entry with cylinders, or the reverse, conflicts */
        if (q->fuel == CODIFY_FUEL_ELECTRIC && c->fuel != CODIFY_FUEL_ELECTRIC && c->cylinders)
            return -1;
        if (c->fuel == CODIFY_FUEL_ELECTRIC && q->fuel != CODIFY_FUEL_ELECTRIC && q->cylinders)
            return -1;
        x = q->fuel; y = c->fuel;
        break;
    case CODIFY_ATTR_TONNAGE: x = q->tonnage_dt; y = c->tonnage_dt; break;
    case CODIFY_ATTR_TURBO:
        if (!q->turbo || !c->turbo)
            return 0;
        return 1;
    default:
        return 0;
    }
    if (!x || !y)
        return 0;
    return x == y ? 1 : -1;
}

/* True when the query states something compare_attr could find in conflict for a. */
static bool query_states(const codify_attrs *q, codify_attr a)
{
    switch (a) {
    case CODIFY_ATTR_TRANS: return q->trans != 0;
    case CODIFY_ATTR_DOORS: return q->doors != 0;
    case CODIFY_ATTR_CYLINDERS: return q->cylinders != 0;
    case CODIFY_ATTR_DISPLACEMENT: return q->displacement_dl != 0;
    case CODIFY_ATTR_OCCUPANTS: return q->occupants != 0;
    case CODIFY_ATTR_DRIVE: return q->drive != 0;
    case CODIFY_ATTR_FUEL: return q->fuel != 0 || q->cylinders != 0;
    case CODIFY_ATTR_TONNAGE: return q->tonnage_dt != 0;
    default: return true;
    }
}

static float conflict_penalty(const codify_attrs *q, const codify_attrs *c, int *n)
{
    float p = 0;
    *n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(CONFLICT_PENALTY); i++)
        if (query_states(q, CONFLICT_PENALTY[i].attr) && compare_attr(q, c, CONFLICT_PENALTY[i].attr) < 0) {
            p += CONFLICT_PENALTY[i].penalty;
            (*n)++;
        }
    return p;
}

/* ---- brand ---------------------------------------------------------------------------- */

static void add_brands(qstate *s, GArray *ids)
{
    for (guint i = 0; ids && i < ids->len && s->n_brands < MAX_BRANDS; i++) {
        int id = g_array_index(ids, int, i);
        bool dup = false;
        for (int k = 0; k < s->n_brands; k++)
            dup |= s->brands[k] == id;
        if (!dup)
            s->brands[s->n_brands++] = id;
    }
}

static GArray *brand_lookup(const codify_index *idx, const char *compact)
{
    return *compact ? g_hash_table_lookup(idx->brand_keys, compact) : NULL;
}

/* Brands one edit away from word (4 letters or more); marks the brand as read from a typo. */
static bool brands_fuzzy(const codify_index *idx, const char *word, qstate *s)
{
    if (strlen(word) < 4)
        return false;
    int ids[8];
    int n = cx_delindex_find(idx->brand_fuzzy, word, ids, 8);
    for (int k = 0; k < n; k++)
        add_brands(s, brand_lookup(idx, cx_delindex_word(idx->brand_fuzzy, ids[k])));
    if (s->n_brands)
        s->brand_fuzzy = true;
    return s->n_brands > 0;
}

/* Brand from a normalised marca column. */
static bool brands_from_column(const codify_index *idx, const cx_tokens *t, qstate *s)
{
    char comp[256] = "";
    size_t o = 0;
    for (int i = 0; i < t->n; i++)
        o += (size_t)g_strlcpy(comp + o, t->tok[i], o < sizeof comp ? sizeof comp - o : 0);
    if (o >= sizeof comp)
        comp[sizeof comp - 1] = '\0';
    GArray *ids = brand_lookup(idx, comp);
    if (!ids) {
        /* drop filler words ("MOTOR", "DE", "MEXICO") and try again */
        o = 0;
        comp[0] = '\0';
        for (int i = 0; i < t->n && o < sizeof comp; i++)
            if (!g_hash_table_contains(idx->al->brand_ignore, t->tok[i]))
                o += (size_t)g_strlcpy(comp + o, t->tok[i], sizeof comp - o);
        if (o >= sizeof comp)
            comp[sizeof comp - 1] = '\0';
        ids = brand_lookup(idx, comp);
    }
    for (int i = 0; !ids && i < t->n; i++)
        if (!g_hash_table_contains(idx->al->brand_ignore, t->tok[i]))
            ids = brand_lookup(idx, t->tok[i]);
    if (!ids) {
        /* a typo: "CHEVORLET", "VOLKSWAGN" */
        if (brands_fuzzy(idx, comp, s))
            return true;
        for (int i = 0; i < t->n; i++)
            if (!g_hash_table_contains(idx->al->brand_ignore, t->tok[i]) && brands_fuzzy(idx, t->tok[i], s))
                return true;
    }
    add_brands(s, ids);
    return s->n_brands > 0;
}

/* Brand named inside the description: the first bigram or word that is a brand key. */
static bool brands_from_text(const codify_index *idx, const cx_tokens *t, qstate *s)
{
    for (int i = 0; i < t->n; i++) {
        GArray *ids = NULL;
        if (i + 1 < t->n) {
            char comp[160];
            size_t a = strlen(t->tok[i]), b = strlen(t->tok[i + 1]);
            if (a + b < sizeof comp) {
                memcpy(comp, t->tok[i], a);
                memcpy(comp + a, t->tok[i + 1], b + 1);
                ids = brand_lookup(idx, comp);
            }
        }
        if (!ids && strlen(t->tok[i]) >= 2)
            ids = brand_lookup(idx, t->tok[i]);
        if (ids) {
            add_brands(s, ids);
            return true;
        }
    }
    /* a misspelt brand opening the description: only longer words, a short word one edit
     * from a brand is too often something else */
    for (int i = 0; i < t->n && i < 3; i++)
        if (strlen(t->tok[i]) >= 5 && brands_fuzzy(idx, t->tok[i], s))
            return true;
    return false;
}

static bool brand_allowed(const qstate *s, int brand)
{
    if (s->n_brands == 0)
        return true;
    for (int i = 0; i < s->n_brands; i++)
        if (s->brands[i] == brand)
            return true;
    return false;
}

/* ---- model ---------------------------------------------------------------------------- */

typedef struct model_pick {
    int n;
    int models[MAX_MODELS];
    int rank[MAX_MODELS];
    int level[MAX_MODELS];
    bool from_column[MAX_MODELS];
} model_pick;

static void consider_key(const codify_index *idx, const qstate *s, const char *key, int bonus,
                         int min_level, bool from_column, model_pick *best)
{
    int len = (int)strlen(key);
    if (s->n_brands == 0 && len < 3)
        return;   /* without a brand, short keys ("3", "SA") are too ambiguous */
    GArray *refs = g_hash_table_lookup(idx->model_keys, key);
    if (!refs)
        return;
    for (guint i = 0; i < refs->len; i++) {
        cx_model_ref r = g_array_index(refs, cx_model_ref, i);
        if (r.level < min_level || !brand_allowed(s, idx->models[r.model].brand))
            continue;
        int rank = r.level * 1000 + len * 10 + bonus;
        int k = 0;
        while (k < best->n && best->models[k] != r.model)
            k++;
        if (k == best->n) {
            if (best->n == MAX_MODELS)
                continue;
            best->n++;
            best->models[k] = r.model;
            best->rank[k] = -1;
        }
        if (rank > best->rank[k]) {
            best->rank[k] = rank;
            best->level[k] = r.level;
            best->from_column[k] = from_column;
        }
    }
}

/* Looks up every n-gram (n <= max_n) of t ending at or after token min_end as a compact
 * model key. */
static void models_from_tokens(const codify_index *idx, const qstate *s, const cx_tokens *t, int max_n,
                               int bonus_full, int min_level, bool from_column, int min_end,
                               model_pick *best)
{
    char key[192];
    if (bonus_full && t->n > 1) {
        size_t o = 0;
        for (int i = 0; i < t->n && o < sizeof key; i++)
            o += (size_t)g_strlcpy(key + o, t->tok[i], sizeof key - o);
        if (o < sizeof key)
            consider_key(idx, s, key, bonus_full, min_level, from_column, best);
    }
    for (int i = 0; i < t->n; i++) {
        size_t o = 0;
        for (int L = 1; L <= max_n && i + L <= t->n; L++) {
            o += (size_t)g_strlcpy(key + o, t->tok[i + L - 1], o < sizeof key ? sizeof key - o : 0);
            if (o >= sizeof key)
                break;
            if (i + L - 1 >= min_end)
                consider_key(idx, s, key, 0, min_level, from_column, best);
        }
    }
}

/* Two words one edit apart differ by one figure put for another (F550 and F250, CX3 and CX5):
 * another model, not a typo (a letter read as a figure, C0LORADO, still is one). */
static bool figure_for_figure(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++)
        if (a[i] != b[i])
            return a[i] >= '0' && a[i] <= '9' && b[i] >= '0' && b[i] <= '9';
    return false;
}

/* Model names one edit away from a word (or two adjacent words written apart) of t, within
 * the recognised brands: "SILVVERADO", "TIIAD", "CYBERRRUCK". */
static void models_fuzzy(const codify_index *idx, const qstate *s, const cx_tokens *t, bool from_column,
                         model_pick *best)
{
    if (s->n_brands == 0)
        return;
    char key[128];
    for (int i = 0; i < t->n; i++) {
        for (int L = 1; L <= 2 && i + L <= t->n; L++) {
            size_t o = 0;
            bool letters = false;
            for (int k = 0; k < L && o < sizeof key; k++)
                o += (size_t)g_strlcpy(key + o, t->tok[i + k], sizeof key - o);
            if (o >= sizeof key || o < 4)
                continue;
            for (size_t k = 0; k < o; k++)
                letters |= key[k] >= 'A' && key[k] <= 'Z';
            if (!letters)
                continue;
            int ids[8];
            int n = cx_delindex_find(idx->model_fuzzy, key, ids, 8);
            for (int k = 0; k < n; k++) {
                const char *w = cx_delindex_word(idx->model_fuzzy, ids[k]);
                if (!figure_for_figure(key, w))
                    consider_key(idx, s, w, 0, 3, from_column, best);
            }
        }
    }
}

/* The centuries a two-digit year may mean, the plausible one first. */
static void short_year(qstate *s, int v)
{
    int a = 2000 + v, b = 1900 + v;
    bool a_ok = vehicle_year_plausible(a);
    s->year_cand[0] = a_ok ? a : b;
    s->year_cand[1] = a_ok ? b : a;
    s->n_year_cand = 2;
}

static bool model_has_year(const codify_index *idx, int model, int year)
{
    const cx_model *m = &idx->models[model];
    uint32_t a = m->first, b = m->first + m->count;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (idx->entries[mid].year < year)
            a = mid + 1;
        else
            b = mid;
    }
    return a < m->first + m->count && idx->entries[a].year == year;
}

static bool models_have_year(const codify_index *idx, const qstate *s, const model_pick *p, int year)
{
    for (int k = 0; k < p->n; k++)
        if (model_has_year(idx, p->models[k], year))
            return true;
    if (p->n == 0)
        for (int b = 0; b < s->n_brands; b++) {
            GArray *ms = idx->brands[s->brands[b]].models;
            for (guint i = 0; i < ms->len; i++)
                if (model_has_year(idx, g_array_index(ms, int, i), year))
                    return true;
        }
    return false;
}

/* Picks the century of an ambiguous year (two digits, or the VIN's 30-year cycle): the one
 * the catalog has for the models found, the VIN's when it says one of them; then compares
 * the stated year with the VIN's. */
static void resolve_year(const codify_index *idx, qstate *s, const model_pick *p)
{
    if (s->n_year_cand > 1) {
        int order[4], n = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int k = 0; k < s->n_year_cand; k++) {
                bool vin_says = false;
                for (int v = 0; v < s->n_vin_years; v++)
                    vin_says |= s->vin_years[v] == s->year_cand[k];
                if (vin_says == (pass == 0))
                    order[n++] = s->year_cand[k];
            }
        s->year = order[0];
        for (int k = 0; k < n; k++)
            if (models_have_year(idx, s, p, order[k])) {
                s->year = order[k];
                break;
            }
    }
    if (!s->n_vin_years || !s->year)
        return;
    if (s->year == s->vin_years[0] || s->year == s->vin_years[1]) {
        s->vin_year = s->year;
        return;
    }
    s->vin_conflict = true;
    s->vin_year = models_have_year(idx, s, p, s->vin_years[1]) && !models_have_year(idx, s, p, s->vin_years[0])
                      ? s->vin_years[1]
                      : s->vin_years[0];
}

/* Entries of the selected models in the query year (every year when it is unknown). */
static size_t gather_block(const codify_index *idx, const qstate *s, GArray *sc)
{
    g_array_set_size(sc, 0);
    for (int k = 0; k < s->n_models; k++) {
        const cx_model *m = &idx->models[s->models[k]];
        uint32_t lo = m->first, hi = m->first + m->count;
        if (s->year) {
            /* entries of a model are sorted by year: binary search the first of the year */
            uint32_t a = lo, b = hi;
            while (a < b) {
                uint32_t mid = a + (b - a) / 2;
                if (idx->entries[mid].year < s->year)
                    a = mid + 1;
                else
                    b = mid;
            }
            lo = a;
        }
        for (uint32_t i = lo; i < hi; i++) {
            if (s->year && idx->entries[i].year != s->year)
                break;
            g_array_set_size(sc, sc->len + 1);
            g_array_index(sc, scored, sc->len - 1).entry = (int)i;
        }
    }
    return sc->len;
}

/* ---- scoring -------------------------------------------------------------------------- */

static float match_weight(const codify_index *idx, const cx_entry *e, const qstate *s, uint8_t *mark)
{
    const int32_t *c = idx->tok_pool + e->tok_off;
    int i = 0, j = 0;
    float m = 0;
    while (i < s->nq && j < e->n_tok) {
        if (s->q[i] < c[j]) {
            i++;
        } else if (s->q[i] > c[j]) {
            j++;
        } else {
            m += idx->weight[c[j]] * s->qmul[i];
            if (mark)
                mark[i] = 1;
            i++;
            j++;
        }
    }
    return m;
}

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->entry - y->entry;
}

/* ---- explanation ---------------------------------------------------------------------- */

/* Bounded copy that reads src only up to its NUL or the size of dst. */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static void add_evidence(codify_candidate *c, codify_attr a, codify_verdict v, const char *qv, const char *cv)
{
    if (c->n_evidence >= CODIFY_MAX_EVIDENCE)
        return;
    codify_evidence *e = &c->evidence[c->n_evidence++];
    e->attr = a;
    e->verdict = v;
    copy_field(e->query_value, sizeof e->query_value, qv);
    copy_field(e->catalog_value, sizeof e->catalog_value, cv);
}

/* The most distinctive words (trim names...) the entry shares with the query, and those it
 * has that the query lacks; attribute tokens and the model name are reported elsewhere. */
static void explain_words(const codify_index *idx, const qstate *s, const cx_entry *e, codify_candidate *c)
{
    enum { N_SHOW = 3 };
    int agree[N_SHOW], unsaid[N_SHOW];
    int n_agree = 0, n_unsaid = 0;
    const int32_t *ct = idx->tok_pool + e->tok_off;
    int i = 0;
    for (int j = 0; j < e->n_tok; j++) {
        int32_t id = ct[j];
        const char *w = idx->tok_str[id];
        if (w[0] == '#' || idx->weight[id] < 4.0f || idx->model_tok[id])
            continue;
        while (i < s->nq && s->q[i] < id)
            i++;
        if (i < s->nq && s->q[i] == id && s->qmul[i] < 1.0f)
            continue;   /* read through a typo: listed with the typo readings */
        bool shared = i < s->nq && s->q[i] == id;
        int *list = shared ? agree : unsaid;
        int *n = shared ? &n_agree : &n_unsaid;
        /* keep the N_SHOW heaviest */
        if (*n < N_SHOW) {
            list[(*n)++] = id;
        } else {
            int lo = 0;
            for (int k = 1; k < N_SHOW; k++)
                if (idx->weight[list[k]] < idx->weight[list[lo]])
                    lo = k;
            if (idx->weight[id] > idx->weight[list[lo]])
                list[lo] = id;
        }
    }
    for (int k = 0; k < n_agree; k++)
        add_evidence(c, CODIFY_ATTR_WORDS, CODIFY_AGREE, idx->tok_str[agree[k]], idx->tok_str[agree[k]]);
    for (int k = 0; k < n_unsaid; k++)
        add_evidence(c, CODIFY_ATTR_WORDS, CODIFY_UNSAID, "", idx->tok_str[unsaid[k]]);
}

static bool entry_has(const codify_index *idx, const cx_entry *e, int32_t tok)
{
    const int32_t *c = idx->tok_pool + e->tok_off;
    int lo = 0, hi = e->n_tok;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (c[mid] < tok)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_tok && c[lo] == tok;
}

/* Query words read with a typo as one of this entry's words, ignored as junk, or that no
 * entry of the block explains. */
static void explain_query_words(const codify_index *idx, const qstate *s, const cx_entry *e, codify_candidate *c)
{
    enum { N_SHOW = 4 };
    for (int i = 0, shown = 0; i < s->n_fuzzy && shown < N_SHOW; i++)
        if (entry_has(idx, e, s->fuzzy_tok[i])) {
            add_evidence(c, CODIFY_ATTR_WORDS, CODIFY_FUZZY, s->fuzzy_word[i], idx->tok_str[s->fuzzy_tok[i]]);
            shown++;
        }
    for (int i = 0; i < s->n_junk && i < N_SHOW + 2; i++)
        add_evidence(c, CODIFY_ATTR_WORDS, CODIFY_IGNORED, s->junk_word[i], "");
    for (int i = 0; i < s->n_unknown && i < N_SHOW; i++)
        add_evidence(c, CODIFY_ATTR_WORDS, CODIFY_UNEXPLAINED, s->unknown_word[i], "");
}

/* Appends "; LABEL: a, b" for the evidence of one verdict, each item formatted by its kind. */
static char *put_verdict(char *p, char *end, const codify_candidate *c, codify_verdict v, const char *label)
{
    int n = 0;
    for (int i = 0; i < c->n_evidence; i++) {
        const codify_evidence *ev = &c->evidence[i];
        if (ev->verdict != v)
            continue;
        const char *parts[3] = {n++ ? ", " : label, ev->query_value, NULL};
        if (v == CODIFY_FUZZY)
            parts[2] = ev->catalog_value;
        for (int k = 0; k < 3; k++) {
            if (!parts[k])
                continue;
            if (k == 2 && end - p > 5) {   /* never a partial UTF-8 sequence */
                memcpy(p, " \u2248 ", 5);
                p += 5;
            }
            for (const char *q = parts[k]; *q && p < end; q++)
                *p++ = *q;
        }
    }
    return p;
}

static void explain(const codify_index *idx, qstate *s, const cx_entry *e, float m,
                    float qw, codify_candidate *c)
{
    const cx_model *model = &idx->models[e->model];
    if (s->n_brands)
        add_evidence(c, CODIFY_ATTR_BRAND, brand_allowed(s, model->brand) ? CODIFY_AGREE : CODIFY_CONFLICT,
                     "", idx->brands[model->brand].name);
    if (s->model_level >= 2)
        add_evidence(c, CODIFY_ATTR_MODEL, CODIFY_AGREE, "", model->name);
    if (s->year) {
        char y[12];
        cx_format_uint(y, (unsigned)s->year);
        add_evidence(c, CODIFY_ATTR_YEAR, s->year == e->year ? CODIFY_AGREE : CODIFY_CONFLICT, y, y);
    }
    static const codify_attr attrs[] = {CODIFY_ATTR_TRANS, CODIFY_ATTR_DOORS, CODIFY_ATTR_CYLINDERS,
                                        CODIFY_ATTR_DISPLACEMENT, CODIFY_ATTR_TURBO, CODIFY_ATTR_OCCUPANTS,
                                        CODIFY_ATTR_DRIVE, CODIFY_ATTR_FUEL, CODIFY_ATTR_TONNAGE};
    if (!s->qval_ready) {
        for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++)
            cx_attr_value(&s->attrs, attrs[i], s->qval[attrs[i]], sizeof s->qval[0]);
        s->qval_ready = true;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(attrs); i++) {
        int v = compare_attr(&s->attrs, &e->attrs, attrs[i]);
        if (!v)
            continue;
        char cv[24];
        cx_attr_value(&e->attrs, attrs[i], cv, sizeof cv);
        add_evidence(c, attrs[i], v > 0 ? CODIFY_AGREE : CODIFY_CONFLICT, s->qval[attrs[i]], cv);
    }
    if (s->vin_year) {
        /* the VIN's model-year character against the entry's year */
        char vy[12], ey[12];
        cx_format_uint(vy, (unsigned)s->vin_year);
        cx_format_uint(ey, (unsigned)e->year);
        add_evidence(c, CODIFY_ATTR_VIN, s->vin_year == e->year ? CODIFY_AGREE : CODIFY_CONFLICT, vy, ey);
    }
    explain_words(idx, s, e, c);
    explain_query_words(idx, s, e, c);

    /* short human string: "agrees: brand, model, year, AUT, 2.5L; conflicts: doors 4P vs 2P; words 80%" */
    char *p = c->explanation;
    char *end = c->explanation + sizeof c->explanation - 1;
#define PUT(str) for (const char *q_ = (str); *q_ && p < end; q_++) *p++ = *q_
    PUT("agrees: ");
    int n_agree = 0;
    for (int i = 0; i < c->n_evidence; i++) {
        const codify_evidence *ev = &c->evidence[i];
        if (ev->verdict != CODIFY_AGREE)
            continue;
        bool named = ev->attr == CODIFY_ATTR_YEAR || ev->attr == CODIFY_ATTR_BRAND ||
                     ev->attr == CODIFY_ATTR_MODEL || ev->attr == CODIFY_ATTR_VIN || !ev->query_value[0];
        if (n_agree++)
            PUT(", ");
        PUT(named ? codify_attr_name(ev->attr) : ev->query_value);
    }
    if (!n_agree)
        PUT("-");
    int n_conf = 0;
    for (int i = 0; i < c->n_evidence; i++) {
        const codify_evidence *ev = &c->evidence[i];
        if (ev->verdict != CODIFY_CONFLICT)
            continue;
        PUT(n_conf++ ? ", " : "; conflicts: ");
        PUT(codify_attr_name(ev->attr));
        PUT(" ");
        PUT(ev->query_value[0] ? ev->query_value : "?");
        PUT(" vs ");
        PUT(ev->catalog_value[0] ? ev->catalog_value : "?");
    }
    int n_unsaid = 0;
    for (int i = 0; i < c->n_evidence; i++) {
        const codify_evidence *ev = &c->evidence[i];
        if (ev->verdict != CODIFY_UNSAID)
            continue;
        PUT(n_unsaid++ ? ", " : "; catalog only: ");
        PUT(ev->catalog_value);
    }
    p = put_verdict(p, end, c, CODIFY_FUZZY, "; typo: ");
    p = put_verdict(p, end, c, CODIFY_IGNORED, "; ignored: ");
    p = put_verdict(p, end, c, CODIFY_UNEXPLAINED, "; unexplained: ");
    char num[16];
    cx_format_uint(num, qw > 0 ? (unsigned)(100.0f * m / qw + 0.5f) : 0u);
    PUT("; words ");
    PUT(num);
    PUT("%");
#undef PUT
    *p = '\0';
}

/* ---- main entry ----------------------------------------------------------------------- */

/* Per-thread working memory, reused across calls (freed by GLib when the thread exits). */
typedef struct scratch {
    qstate s;
    cx_tokens tk[6];          /* 0 marca, 1 submarca, 2 description words, 3 raw desc, 4-5 tmp */
    GArray *sc;               /* of scored: the block's entries */
    unsigned stamp_serial;    /* index the stamps belong to */
    int stamp_n;
    uint32_t *stamp;          /* per token id: == gen when the block contains it */
    uint32_t gen;
    GArray *bvocab;           /* of int32_t: distinct tokens of the block */
} scratch;

static void scratch_free(gpointer p)
{
    scratch *w = p;
    if (w) {
        g_array_free(w->sc, TRUE);
        g_free(w->stamp);
        g_array_free(w->bvocab, TRUE);
        g_free(w);
    }
}

static GPrivate scratch_key = G_PRIVATE_INIT(scratch_free);

static scratch *get_scratch(void)
{
    scratch *w = g_private_get(&scratch_key);
    if (!w) {
        w = g_new0(scratch, 1);
        w->sc = g_array_sized_new(FALSE, FALSE, sizeof(scored), 256);
        w->bvocab = g_array_sized_new(FALSE, FALSE, sizeof(int32_t), 256);
        g_private_set(&scratch_key, w);
    }
    return w;
}

static void fill_candidate(const codify_index *idx, const cx_entry *e, double score, codify_candidate *c)
{
    c->n_evidence = 0;
    c->explanation[0] = '\0';
    g_strlcpy(c->cvegs, e->cvegs, sizeof c->cvegs);
    c->year = e->year;
    c->score = score;
    c->marca = idx->brands[idx->models[e->model].brand].name;
    c->submarca = idx->models[e->model].name;
    c->description = e->desc;
}

static int answer_correction(const codify_index *idx, const codify_query *q, const codify_options *o,
                             codify_result *out)
{
    if (!o->corrections)
        return 0;
    char key[CODIFY_KEY_MAX];
    codify_correction_key(q, key);
    char cvegs[8];
    int year;
    if (!cx_corrections_lookup(o->corrections, key, q->broker, cvegs, &year))
        return 0;
    int e = cx_find_entry(idx, cvegs, year);
    if (e < 0)
        return 0;   /* the corrected key left the catalog: codify normally */
    codify_candidate *c = &out->candidates[0];
    fill_candidate(idx, &idx->entries[e], 1.0, c);
    add_evidence(c, CODIFY_ATTR_CORRECTION, CODIFY_AGREE, "", "");
    snprintf(c->explanation, sizeof c->explanation, "corrected by reviewer");
    out->n_candidates = 1;
    out->corrected = true;
    out->confidence = 0.995;
    g_strlcpy(out->cvegs, cvegs, sizeof out->cvegs);
    out->year = year;
    out->decision = codify_decide(out->confidence, true, &o->thresholds);
    return 1;
}

/* ---- words written differently from the catalog ------------------------------------- */

static bool letters_only(const char *w)
{
    if (!*w)
        return false;
    for (; *w; w++)
        if (*w < 'A' || *w > 'Z')
            return false;
    return true;
}

static bool is_digit_char(char c)
{
    return c >= '0' && c <= '9';
}

static bool number_word(const char *w)
{
    if (*w < '0' || *w > '9')
        return false;
    for (; *w; w++)
        if ((*w < '0' || *w > '9') && *w != '.')
            return false;
    return true;
}

/* A word OCR or a keyboard wrote with digits for letters (0 for O, 1 for I, 5 for S, 8 for
 * B) between letters: "SEN5E", "C0NFORT", "PLAT1NUM". Writes the letters-only reading into
 * buf; false when w is a catalog word, has fewer than three letters, or another digit. */
static bool unconfuse(const codify_index *idx, const char *w, char *buf, size_t cap)
{
    static const char from[] = "0158", to[] = "OISB";
    size_t n = strlen(w);
    if (n < 4 || n >= cap)
        return false;
    int letters = 0, swapped = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (c >= 'A' && c <= 'Z') {
            letters++;
            buf[i] = c;
            continue;
        }
        const char *p = c ? strchr(from, c) : NULL;
        bool inside = i > 0 && i + 1 < n && w[i - 1] >= 'A' && w[i - 1] <= 'Z' && w[i + 1] >= 'A' && w[i + 1] <= 'Z';
        if (!p || !inside)
            return false;
        buf[i] = to[p - from];
        swapped++;
    }
    buf[n] = '\0';
    return swapped > 0 && letters >= 3 && cx_token_id(idx, w) < 0;
}

/* Words the catalog never uses that are one edit from a synonym, unit or attribute word take
 * that spelling before the synonyms apply: "AUTOMTAICO" -> "AUTOMATICO", "TITRONIC" ->
 * "TIPTRONIC", "5 PASAJERSO" -> "5 OCUP". */
static void fix_typos(const codify_index *idx, const cx_tokens *in, cx_tokens *out)
{
    cx_tokens_init(out);
    for (int i = 0; i < in->n; i++) {
        const char *w = in->tok[i];
        const char *fixed = NULL;
        if (w[0] == 'M' && is_digit_char(w[1]) && is_digit_char(w[2]) && !w[3] && cx_token_id(idx, w) < 0) {
            /* "M-11", "M20": a model year, unless the catalog uses the word (BMW "M50") */
            cx_tokens_push(out, "MOD", 3);
            cx_tokens_push(out, w + 1, 2);
            continue;
        }
        if (strlen(w) >= 4 && letters_only(w) && cx_token_id(idx, w) < 0 && !cx_synonym_word(idx->al, w) &&
            !cx_unit_word(idx->al, w) && !cx_junk_word(idx->al, w) && !cx_junk_marker(idx->al, w) &&
            !cx_delindex_has(idx->typo_words, w)) {
            int ids[4];
            if (cx_delindex_find(idx->typo_words, w, ids, 4) == 1)
                fixed = cx_delindex_word(idx->typo_words, ids[0]);
        }
        char plain[64];
        if (!fixed && unconfuse(idx, w, plain, sizeof plain)) {
            w = plain;   /* "SEN5E" -> "SENSE", then the usual typo reading */
            if (cx_token_id(idx, w) < 0 && !cx_synonym_word(idx->al, w) && !cx_unit_word(idx->al, w) &&
                !cx_delindex_has(idx->typo_words, w)) {
                int ids[4];
                if (cx_delindex_find(idx->typo_words, w, ids, 4) == 1)
                    fixed = cx_delindex_word(idx->typo_words, ids[0]);
            }
        }
        if (!fixed) {
            cx_tokens_push(out, w, strlen(w));
            continue;
        }
        const char *unit = i > 0 && number_word(in->tok[i - 1]) ? cx_unit_word(idx->al, fixed) : NULL;
        const char *use = unit ? unit : fixed;
        cx_tokens_push(out, use, strlen(use));
    }
}

/* Marks the tokens of the block's entries (w->stamp[t] == w->gen) and lists them once. */
static void stamp_block(const codify_index *idx, scratch *w, const scored *sc, size_t nb)
{
    if (w->stamp_serial != idx->serial || w->stamp_n < idx->n_vocab) {
        g_free(w->stamp);
        w->stamp_n = idx->n_vocab ? idx->n_vocab : 1;
        w->stamp = g_new0(uint32_t, w->stamp_n);
        w->stamp_serial = idx->serial;
        w->gen = 0;
    }
    if (++w->gen == 0) {
        memset(w->stamp, 0, sizeof(uint32_t) * (size_t)w->stamp_n);
        w->gen = 1;
    }
    g_array_set_size(w->bvocab, 0);
    for (size_t i = 0; i < nb; i++) {
        const cx_entry *e = &idx->entries[sc[i].entry];
        const int32_t *c = idx->tok_pool + e->tok_off;
        for (int j = 0; j < e->n_tok; j++) {
            if (w->stamp[c[j]] == w->gen)
                continue;
            w->stamp[c[j]] = w->gen;
            g_array_append_val(w->bvocab, c[j]);
        }
    }
}

#define FUZZY_MAX_TIES 4

/* The block's tokens a query word the block lacks is most likely a spelling of: one or two
 * edits away (by length), or the word is a prefix (an abbreviation: "ADV", "PLAT", "SENS").
 * Returns how many tokens tie for the best reading (0: none) and the credit they get. */
static int fuzzy_in_block(const codify_index *idx, const scratch *w, const char *q, int32_t *out, float *credit)
{
    size_t lq = strlen(q);
    if (lq < 3 || !letters_only(q))
        return 0;
    int budget = cx_edit_budget(lq);
    uint32_t mq = cx_letter_mask(q);
    int best = 99, n = 0;
    for (guint i = 0; i < w->bvocab->len; i++) {
        int32_t t = g_array_index(w->bvocab, int32_t, i);
        const char *ts = idx->tok_str[t];
        if (ts[0] != q[0] && budget == 0)
            continue;
        size_t lt = idx->tok_len[t];
        uint32_t mt = idx->tok_mask[t];
        int cost = 99;
        if (lt > lq && ts[0] == q[0] && (mq & ~mt) == 0 && memcmp(ts, q, lq) == 0 && letters_only(ts))
            cost = lq >= 4 ? 15 : 20;
        size_t dl = lt > lq ? lt - lq : lq - lt;
        if (budget && dl <= (size_t)budget && __builtin_popcount(mq ^ mt) <= 2 * budget && ts[0] != '#') {
            int d = cx_edit_distance(q, lq, ts, lt, budget);
            if (d > 0 && d <= budget && d * 10 < cost)
                cost = d * 10;
        }
        if (cost > best || cost == 99)
            continue;
        if (cost < best) {
            best = cost;
            n = 0;
        }
        if (n < FUZZY_MAX_TIES)
            out[n++] = t;
    }
    *credit = best == 10 ? 0.8f : best == 15 ? 0.7f : 0.5f;
    return n;
}

static void add_q(qstate *s, int32_t id, float mul)
{
    for (int i = 0; i < s->nq; i++)
        if (s->q[i] == id) {
            if (mul > s->qmul[i])
                s->qmul[i] = mul;
            return;
        }
    if (s->nq < CX_MAX_TOK) {
        s->q[s->nq] = id;
        s->qmul[s->nq++] = mul;
    }
}

static bool has_digit_char(const char *w)
{
    for (; *w; w++)
        if (*w >= '0' && *w <= '9')
            return true;
    return false;
}

/* One query word against the block: supported as written, an attribute the block does not
 * state, junk, a typo or abbreviation of a block token, or unexplained. */
static uint8_t word_flags(const codify_index *idx, const char *word, int id)
{
    if (id >= 0)
        return idx->tok_flags[id];
    uint8_t f = 0;
    if (brand_lookup(idx, word) || g_hash_table_contains(idx->al->brand_ignore, word))
        f |= CX_TOK_BRAND;
    if (cx_junk_word(idx->al, word))
        f |= CX_TOK_JUNK;
    if (cx_junk_marker(idx->al, word))
        f |= CX_TOK_MARKER;
    if (cx_minor_word(idx->al, word))
        f |= CX_TOK_MINOR;
    if (cx_attr_word(word))
        f |= CX_TOK_ATTR;
    return f;
}

static void classify_word(const codify_index *idx, const scratch *w, qstate *s, const char *word, int id,
                          uint8_t f, bool after_marker)
{
    if (word[0] == '#') {
        if (id >= 0 && w->stamp[id] == w->gen)
            add_q(s, id, 1.0f);
        return;   /* else an attribute the block does not state: neither for nor against */
    }
    if (id >= 0 && w->stamp[id] == w->gen && !(s->n_brands && (f & CX_TOK_BRAND))) {
        add_q(s, id, 1.0f);
        return;
    }
    if (f & CX_TOK_BRAND)
        return;   /* the brand again ("NISSAN MOTOR ..."): it chose the block already */
    if (f & CX_TOK_ATTR)
        return;   /* CVT, AWD, SEDAN: an attribute, compared as one, not a trim word */
    if ((f & (CX_TOK_JUNK | CX_TOK_MARKER | CX_TOK_MINOR)) ||
        (after_marker && (has_digit_char(word) || strlen(word) <= 3))) {
        s->junk_word[s->n_junk++] = word;
        return;
    }
    int32_t t[FUZZY_MAX_TIES];
    float credit = 0;
    int n = fuzzy_in_block(idx, w, word, t, &credit);
    if (n > 0) {
        for (int k = 0; k < n; k++)
            add_q(s, t[k], credit);
        s->fuzzy_word[s->n_fuzzy] = word;
        s->fuzzy_tok[s->n_fuzzy++] = t[0];
        return;
    }
    size_t len = strlen(word);
    bool digits = has_digit_char(word);
    if (number_word(word) || (digits && len >= 5)) {
        s->junk_word[s->n_junk++] = word;   /* fleet numbers, plates, serials */
        return;
    }
    float wt = id >= 0 ? idx->weight[id] : idx->unknown_weight;
    if (len == 1)
        wt *= (float)CX_MINOR_FACTOR;
    s->unknown_w += wt;
    s->unknown_word[s->n_unknown++] = word;
}

static int cmp_qpair(const void *a, const void *b)
{
    const int32_t *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* The catalog tokens the query supports (q, with their credit), from the description words
 * and the model column, and what it says that the block cannot use. */
static void query_tokens(const codify_index *idx, const scratch *w, const cx_tokens *words, const cx_tokens *sub,
                         const char *sub_compact, qstate *s)
{
    s->nq = 0;
    s->n_fuzzy = s->n_junk = s->n_unknown = 0;
    s->unknown_w = 0;
    bool marker = false;
    for (int i = 0; i < words->n; i++) {
        const char *word = words->tok[i];
        int id = cx_token_id(idx, word);
        bool in_block = id >= 0 && w->stamp[id] == w->gen;
        uint8_t f = word[0] == '#' || (in_block && !s->n_brands) ? 0 : word_flags(idx, word, id);
        classify_word(idx, w, s, word, id, f, marker);
        marker = (f & CX_TOK_MARKER) != 0;
    }
    marker = false;
    for (int i = 0; i < sub->n; i++) {
        const char *syn = cx_synonym_word(idx->al, sub->tok[i]);   /* "3 HATCHBACK" -> HB */
        const char *word = syn && *syn && !strchr(syn, ' ') ? syn : sub->tok[i];
        int id = cx_token_id(idx, word);
        uint8_t f = word_flags(idx, word, id);
        classify_word(idx, w, s, word, id, f, marker);
        marker = (f & CX_TOK_MARKER) != 0;
    }
    if (*sub_compact) {
        int id = cx_token_id(idx, sub_compact);
        if (id >= 0 && w->stamp[id] == w->gen)
            add_q(s, id, 1.0f);
    }
    /* sort (id, credit) pairs by id */
    int32_t pairs[CX_MAX_TOK][2];
    for (int i = 0; i < s->nq; i++) {
        pairs[i][0] = s->q[i];
        memcpy(&pairs[i][1], &s->qmul[i], sizeof(float));
    }
    qsort(pairs, (size_t)s->nq, sizeof pairs[0], cmp_qpair);
    for (int i = 0; i < s->nq; i++) {
        s->q[i] = pairs[i][0];
        memcpy(&s->qmul[i], &pairs[i][1], sizeof(float));
    }
}

/* Credit the query gives a token (0 when it does not support it). */
static float q_credit(const qstate *s, int32_t id)
{
    int lo = 0, hi = s->nq;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->q[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nq && s->q[lo] == id ? s->qmul[lo] : 0.0f;
}

/* What tells the top entry t from the runner-up r: the weight of the tokens only one of them
 * has, and how much of it the query supports (fuzzy support apart). */
typedef struct discrimination {
    float only_t, only_r;         /* weight of tokens in one entry and not the other */
    float said_t, said_r;         /* query credit on those tokens */
    float said_t_fuzzy;           /* part of said_t that comes from typo readings */
} discrimination;

static void discriminate(const codify_index *idx, const qstate *s, const cx_entry *t, const cx_entry *r,
                         discrimination *d)
{
    memset(d, 0, sizeof *d);
    const int32_t *a = idx->tok_pool + t->tok_off, *b = idx->tok_pool + r->tok_off;
    int i = 0, j = 0;
    while (i < t->n_tok || j < r->n_tok) {
        if (j >= r->n_tok || (i < t->n_tok && a[i] < b[j])) {
            float wt = idx->weight[a[i]], c = q_credit(s, a[i]);
            d->only_t += wt;
            d->said_t += wt * c;
            if (c > 0 && c < 1)
                d->said_t_fuzzy += wt * c;
            i++;
        } else if (i >= t->n_tok || b[j] < a[i]) {
            float wt = idx->weight[b[j]];
            d->only_r += wt;
            d->said_r += wt * q_credit(s, b[j]);
            j++;
        } else {
            i++;
            j++;
        }
    }
}

/* ---- codify_match, stage by stage ------------------------------------------------------ */

/* Tokens: the columns and the description normalised and split; the description's typos
 * repaired, its synonyms applied and its attributes read (tk[2]: the words left). */
static void stage_tokens(const codify_index *idx, const codify_query *q, scratch *w, char *sub_compact,
                         size_t sub_cap)
{
    cx_tokens *tk = w->tk;
    char norm[CODIFY_MAX_INPUT + 1];
    codify_normalize(q->marca ? q->marca : "", norm, sizeof norm);
    cx_tokenize(NULL, norm, &tk[0]);
    codify_normalize(q->submarca ? q->submarca : "", norm, sizeof norm);
    cx_tokenize(NULL, norm, &tk[1]);
    cx_compact(norm, sub_compact, sub_cap);
    codify_normalize(q->descripcion ? q->descripcion : "", norm, sizeof norm);
    cx_tokenize(idx->al, norm, &tk[3]);
    fix_typos(idx, &tk[3], &tk[5]);
    cx_apply_synonyms(idx->al, &tk[5], &tk[4]);
    cx_parse_attrs(&tk[4], &w->s.attrs, &tk[2]);
}

/* VIN: the explicit column first, then one found in the text; its model-year character read
 * when the VIN is usable. Returns the VIN (held in s->attrs), or NULL. */
static const char *stage_vin(const codify_index *idx, const codify_query *q, qstate *s)
{
    if (!core_str_empty(q->vin)) {
        char vinbuf[32], comp[32];
        codify_normalize(q->vin, vinbuf, sizeof vinbuf);
        cx_compact(vinbuf, comp, sizeof comp);
        if (codify_vin_wellformed(comp))
            g_strlcpy(s->attrs.vin, comp, sizeof s->attrs.vin);
    }
    const char *vin = s->attrs.vin[0] ? s->attrs.vin : NULL;
    s->vin_ok = vin && codify_vin_usable(idx->al, vin);
    if (s->vin_ok)
        s->n_vin_years = codify_vin_years(vin, s->vin_years);
    return vin;
}

/* Year: the column, else the text, else the VIN; a two-digit year and the VIN's leave the
 * century to the catalog (resolve_year, once the model is known). */
static void stage_year(const codify_query *q, qstate *s)
{
    if (vehicle_year_valid(q->anio)) {
        s->year = q->anio;
        s->year_src = 1;
    } else if (q->anio >= 1 && q->anio <= 99) {
        short_year(s, q->anio);
        s->year_src = 1;
    } else if (s->attrs.year) {
        if (s->attrs.year_short)
            short_year(s, s->attrs.year % 100);
        else
            s->year = s->attrs.year;
        s->year_src = 2;
    } else if (s->n_vin_years) {
        s->year_cand[0] = s->vin_years[0];
        s->year_cand[1] = s->vin_years[1];
        s->n_year_cand = 2;
        s->year_src = 3;
    }
    if (s->n_year_cand)
        s->year = s->year_cand[0];
}

/* Brand: the marca column, else the description, else the VIN's manufacturer prefix. */
static void stage_brand(const codify_index *idx, const cx_tokens *tk, const char *vin, qstate *s)
{
    if (tk[0].n && brands_from_column(idx, &tk[0], s))
        s->brand_src = 1;
    else if (tk[0].n)
        s->brand_unknown = true;
    else if (brands_from_text(idx, &tk[3], s))
        s->brand_src = 2;
    else if (vin) {
        char wmi[4];
        g_strlcpy(wmi, vin, sizeof wmi);
        GArray *ids = g_hash_table_lookup(idx->wmi_brands, wmi);
        if (!ids) {
            wmi[2] = '\0';
            ids = g_hash_table_lookup(idx->wmi_brands, wmi);
        }
        add_brands(s, ids);
        if (s->n_brands)
            s->brand_src = 3;
    }
}

/* The submarca column's models, and n-grams that start in the column and continue into the
 * description ("MIRAGE" + "G4 GLS ..."); tk[4] is the scratch for the joined words. */
static void models_from_column(const codify_index *idx, qstate *s, cx_tokens *tk, model_pick *pick)
{
    cx_tokens *joined = &tk[4];
    cx_tokens_init(joined);
    for (int i = 0; i < tk[1].n; i++)
        cx_tokens_push(joined, tk[1].tok[i], strlen(tk[1].tok[i]));
    models_from_tokens(idx, s, joined, 3, 5, s->n_brands ? 1 : 2, true, 0, pick);
    int n_col = joined->n;
    for (int i = 0; i < 2 && i < tk[3].n; i++)
        cx_tokens_push(joined, tk[3].tok[i], strlen(tk[3].tok[i]));
    if (joined->n == n_col)
        return;
    model_pick ext = {0};
    models_from_tokens(idx, s, joined, 3, 0, 3, true, n_col, &ext);
    for (int k = 0; k < ext.n; k++) {
        int j = 0;
        while (j < pick->n && pick->models[j] != ext.models[k])
            j++;
        if (j == pick->n) {
            if (pick->n == MAX_MODELS)
                continue;
            pick->n++;
            pick->models[j] = ext.models[k];
            pick->rank[j] = -1;
        }
        if (ext.rank[k] > pick->rank[j]) {
            pick->rank[j] = ext.rank[k];
            pick->level[j] = ext.level[k];
            pick->from_column[j] = true;
        }
    }
}

/* Model: the column (and its continuation), else the description, else an exact model of
 * another brand than the column's, else a weak key, else a typo of a model name. */
static void stage_model(const codify_index *idx, qstate *s, cx_tokens *tk, model_pick *pick)
{
    if (tk[1].n)
        models_from_column(idx, s, tk, pick);
    if (pick->n > 0 && s->n_brands) {
        /* a weak column match: the description may name the model exactly ("RAM-2500") */
        int best_level = 0;
        for (int k = 0; k < pick->n; k++)
            best_level = pick->level[k] > best_level ? pick->level[k] : best_level;
        if (best_level < 3)
            models_from_tokens(idx, s, &tk[3], 2, 0, 3, false, 0, pick);
    }
    if (pick->n == 0)
        models_from_tokens(idx, s, &tk[3], 2, 0, s->n_brands ? 2 : 3, false, 0, pick);
    if (pick->n == 0 && s->n_brands && tk[1].n) {
        /* the brand column may be wrong: accept an exact model name of another brand */
        int saved = s->n_brands;
        s->n_brands = 0;
        models_from_tokens(idx, s, &tk[1], 3, 5, 3, true, 0, pick);
        s->n_brands = saved;
        if (pick->n)
            s->n_brands = 0;
    }
    if (pick->n == 0 && s->n_brands) {
        /* a weak key in the description ("2500" of "RAM 2500", "EXPRESS" of "EXPRESS VAN"),
         * or a name written in three words ("GRAND I 10") */
        models_from_tokens(idx, s, &tk[3], 3, 0, 1, false, 0, pick);
    }
    if (pick->n == 0 && s->n_brands) {
        if (tk[1].n)
            models_fuzzy(idx, s, &tk[1], true, pick);
        if (pick->n == 0)
            models_fuzzy(idx, s, &tk[3], false, pick);
        s->model_fuzzy = pick->n > 0;
    }
}

/* Block: every model found at the best evidence level that has entries in the year (the text
 * may name two: "C20 CHEYENNE", "NP 300 FRONTIER"; scoring tells them apart), else the next
 * level; without a model, every model of the brand. Returns the entries gathered in w->sc;
 * 0 with the reason in out when there are none. */
static size_t stage_block(const codify_index *idx, scratch *w, const model_pick *pick, codify_result *out)
{
    qstate *s = &w->s;
    size_t nb = 0;
    if (pick->n) {
        int done_level = INT32_MAX;
        while (nb == 0) {
            int lv = -1;
            for (int k = 0; k < pick->n; k++)
                if (pick->rank[k] / 1000 < done_level && pick->rank[k] / 1000 > lv)
                    lv = pick->rank[k] / 1000;
            if (lv < 0)
                break;
            done_level = lv;
            s->n_models = 0;
            s->model_level = 0;
            for (int k = 0; k < pick->n; k++) {
                if (pick->rank[k] / 1000 != lv)
                    continue;
                s->models[s->n_models++] = pick->models[k];
                int level = pick->level[k] == 3 && !pick->from_column[k] ? 2 : pick->level[k];
                if (level > s->model_level)
                    s->model_level = level;
            }
            nb = gather_block(idx, s, w->sc);
        }
    } else if (s->n_brands) {
        for (int b = 0; b < s->n_brands; b++) {
            GArray *ms = idx->brands[s->brands[b]].models;
            for (guint i = 0; i < ms->len && s->n_models < MAX_MODELS; i++)
                s->models[s->n_models++] = g_array_index(ms, int, i);
        }
        s->model_level = 0;
        nb = gather_block(idx, s, w->sc);
    } else {
        g_strlcpy(out->reason, "brand and model not found in the catalog", sizeof out->reason);
        return 0;
    }
    if (nb == 0)
        snprintf(out->reason, sizeof out->reason, "%s has no catalog entry for model year %d",
                 pick->n ? "model" : "brand", s->year);
    return nb;
}

/* Score: each entry of the block by IDF-weighted agreement with the query (and the second
 * opinion that weighs the catalog side more), minus conflicting attributes; best first.
 * Returns the query's weight in tokens the block knows. */
static float stage_score(const codify_index *idx, scratch *w, size_t nb, const char *sub_compact)
{
    qstate *s = &w->s;
    scored *sc = (scored *)(void *)w->sc->data;
    stamp_block(idx, w, sc, nb);
    query_tokens(idx, w, &w->tk[2], &w->tk[1], sub_compact, s);
    for (size_t i = 0; i < nb; i++)
        sc[i].m = match_weight(idx, &idx->entries[sc[i].entry], s, NULL);
    float qw = 0;   /* every token in q occurs in the block */
    for (int i = 0; i < s->nq; i++)
        qw += idx->weight[s->q[i]] * s->qmul[i];
    for (size_t i = 0; i < nb; i++) {
        const cx_entry *e = &idx->entries[sc[i].entry];
        float denom = SCORE_ALPHA * e->cw + (1 - SCORE_ALPHA) * qw;
        float sim = denom > 0 ? sc[i].m / denom : 0;
        float pen = conflict_penalty(&s->attrs, &e->attrs, &sc[i].conflicts);
        sc[i].score = sim - pen;
        float alt_denom = ALT_ALPHA * e->cw + (1 - ALT_ALPHA) * qw;
        sc[i].alt = (alt_denom > 0 ? sc[i].m / alt_denom : 0) - pen;
    }
    qsort(sc, nb, sizeof *sc, cmp_scored);
    return qw;
}

/* Candidates: the first `want` distinct (cvegs, year) of the sorted block; their indexes in
 * picked, their count returned. */
static int stage_candidates(const codify_index *idx, const scored *sc, size_t nb, int want, int *picked)
{
    int np = 0;
    for (size_t i = 0; i < nb && np < want; i++) {
        const cx_entry *e = &idx->entries[sc[i].entry];
        bool dup = false;
        for (int k = 0; k < np; k++) {
            const cx_entry *o = &idx->entries[sc[picked[k]].entry];
            dup |= o->year == e->year && memcmp(o->cvegs, e->cvegs, sizeof e->cvegs) == 0;
        }
        if (!dup)
            picked[np++] = (int)i;
    }
    return np;
}

/* Features: what CODIFY_FEATURE_LIST's computations read (codify.h: each feature is one row,
 * its name and its expression over this context `c`). */
typedef struct feature_ctx {
    const codify_index *idx;
    const qstate *s;
    const scored *best;       /* the top entry's scores ... */
    const cx_entry *be;       /* ... and the entry */
    double s1, s2;            /* the top score and the second distinct candidate's */
    float qw;                 /* the query's weight in tokens the block knows */
    size_t nb;                /* entries in the block */
    double alt2;              /* best second-opinion score of another key or year */
    float fuzzy_m;            /* the top entry's evidence from typo readings */
    bool runner;              /* an entry of another key exists ... */
    discrimination d;         /* ... what tells the top entry from it (zeros without one) */
    float pen_t, pen_r;       /* ... and the conflict penalties of both */
} feature_ctx;

static double feature_brand_ok(const feature_ctx *c)
{
    const qstate *s = c->s;
    return s->brand_unknown ? -1.0
           : s->brand_src == 0 ? 0.0
           : brand_allowed(s, c->idx->models[c->be->model].brand) ? 1.0 : -1.0;
}

static void feature_context(const codify_index *idx, const qstate *s, const scored *sc, size_t nb,
                            const scored *best, double s2, float qw, feature_ctx *c)
{
    const cx_entry *be = &idx->entries[best->entry];
    *c = (feature_ctx){.idx = idx, .s = s, .best = best, .be = be, .s1 = best->score, .s2 = s2,
                       .qw = qw, .nb = nb};
    /* second opinion: does a scoring that weighs the catalog side more prefer another entry? */
    for (size_t i = 0; i < nb; i++) {
        const cx_entry *e = &idx->entries[sc[i].entry];
        if (e->year == be->year && memcmp(e->cvegs, be->cvegs, sizeof e->cvegs) == 0)
            continue;
        if (sc[i].alt > c->alt2)
            c->alt2 = sc[i].alt;
    }
    const int32_t *t = idx->tok_pool + be->tok_off;
    for (int j = 0; j < be->n_tok; j++) {
        float cr = q_credit(s, t[j]);
        if (cr > 0 && cr < 1)
            c->fuzzy_m += idx->weight[t[j]] * cr;
    }
    /* what tells the top entry from the best entry of another key, and whether the query
     * says it */
    const scored *runner = NULL;
    for (size_t i = 0; i < nb && !runner; i++)
        if (memcmp(idx->entries[sc[i].entry].cvegs, be->cvegs, sizeof be->cvegs) != 0)
            runner = &sc[i];
    if (runner) {
        const cx_entry *re = &idx->entries[runner->entry];
        int nc;
        c->runner = true;
        discriminate(idx, s, be, re, &c->d);
        c->pen_t = conflict_penalty(&s->attrs, &be->attrs, &nc);
        c->pen_r = conflict_penalty(&s->attrs, &re->attrs, &nc);
    }
}

static void stage_features(const feature_ctx *c, codify_features *f)
{
#define X(name, computation) f->x[CODIFY_F_##name] = (computation);
    CODIFY_FEATURE_LIST(X)
#undef X
}

/* Caps and calibration: the class of proposal, the ceiling on the score, the share among
 * guessed years, and the confidence through the class's map. */
static void stage_confidence(const codify_index *idx, const qstate *s, const scored *sc, size_t nb,
                             const scored *best, codify_result *out)
{
    const double *x = out->features.x;
    const cx_entry *be = &idx->entries[best->entry];
    out->confidence = codify_score(idx->al, &out->features);
    /* never auto-accept a coin flip, nor a proposal whose brand the stated brand contradicts
     * (a brand the catalog lacks, or another brand than the one written), nor a stated year
     * the VIN contradicts */
    bool contradicted = x[CODIFY_F_brand_ok] < 0 || s->vin_conflict;
    bool coin_flip = x[CODIFY_F_no_disc] > 0;
    out->features.cap = 1.0;
    out->features.div = 1;
    out->features.cls = contradicted ? CODIFY_CALIB_CONTRADICTED
                        : coin_flip  ? CODIFY_CALIB_COIN_FLIP
                                     : CODIFY_CALIB_ALL;
    if (coin_flip || contradicted)
        out->features.cap = CX_COIN_FLIP_CONFIDENCE;
    if (out->confidence > out->features.cap)
        out->confidence = out->features.cap;
    if (s->year_src == 0) {
        /* no model year anywhere: the same version in k years scores the same, so the year
         * of the proposal is one guess among k */
        int k = 0;
        for (size_t i = 0; i < nb && sc[i].score >= best->score; i++)
            k += strcmp(idx->entries[sc[i].entry].cvegs, be->cvegs) == 0;
        if (k > 1)
            out->features.div = k;
    }
    /* the score is what the model says of the version; the confidence is the share of
     * proposals right at that score on text the fit did not see (calibration.txt; a
     * contradicted proposal and a coin flip have maps of their own), shared among the years
     * the version is a guess between */
    out->score = out->confidence;
    out->confidence = codify_calibrate_class(idx->al, out->features.cls, out->score) / out->features.div;
}

/* Decision: by the thresholds; a contradicted proposal close enough to be one by the map of
 * all stays a proposal for a person to see the conflict, however rarely such proposals are
 * right; a block of the brand alone answers no match. */
static void stage_decision(const codify_index *idx, const qstate *s, const codify_options *opts,
                           codify_result *out)
{
    out->decision = codify_decide(out->confidence, true, &opts->thresholds);
    if (out->decision == CODIFY_NO_MATCH && out->features.cls == CODIFY_CALIB_CONTRADICTED &&
        codify_calibrate(idx->al, out->score) / out->features.div >= opts->thresholds.no_match)
        out->decision = CODIFY_NEEDS_REVIEW;
    if (s->model_level == 0) {
        /* only the brand was recognised: the candidates are listed for the reviewer, but
         * a model the catalog does not have is the usual reason */
        out->decision = CODIFY_NO_MATCH;
        g_strlcpy(out->reason, "model not found in the catalog for this brand", sizeof out->reason);
    } else if (out->decision == CODIFY_NO_MATCH) {
        g_strlcpy(out->reason, "no catalog entry is close enough", sizeof out->reason);
    }
}

int codify_match(const codify_index *idx, const codify_query *q, const codify_options *opts,
                 codify_result *out, minca_err *err)
{
    if (!idx || !q || !out)
        return minca_err_set(err, "codify_match: missing index, query or result");
    codify_options defaults;
    if (!opts) {
        codify_options_default(&defaults);
        opts = &defaults;
    }
    memset(out, 0, offsetof(codify_result, candidates));
    memset(&out->features, 0, sizeof out->features);
    out->decision = CODIFY_NO_MATCH;
    if (answer_correction(idx, q, opts, out))
        return 0;

    scratch *w = get_scratch();
    qstate *s = &w->s;
    memset(s, 0, offsetof(qstate, q));
    s->qval_ready = false;
    char sub_compact[256] = "";
    stage_tokens(idx, q, w, sub_compact, sizeof sub_compact);
    const char *vin = stage_vin(idx, q, s);
    stage_year(q, s);
    stage_brand(idx, w->tk, vin, s);
    model_pick pick = {0};
    stage_model(idx, s, w->tk, &pick);
    resolve_year(idx, s, &pick);
    size_t nb = stage_block(idx, w, &pick, out);
    if (nb == 0)
        goto done;
    float qw = stage_score(idx, w, nb, sub_compact);
    const scored *sc = (const scored *)(void *)w->sc->data;

    int top_n = opts->top_n < 1 ? 1 : opts->top_n > CODIFY_MAX_CANDIDATES ? CODIFY_MAX_CANDIDATES : opts->top_n;
    int picked[CODIFY_MAX_CANDIDATES];
    int np = stage_candidates(idx, sc, nb, top_n < 2 ? 2 : top_n, picked);
    const scored *best = &sc[picked[0]];
    feature_ctx fc;
    feature_context(idx, s, sc, nb, best, np > 1 ? sc[picked[1]].score : 0.0, qw, &fc);
    stage_features(&fc, &out->features);
    stage_confidence(idx, s, sc, nb, best, out);

    out->n_candidates = np < top_n ? np : top_n;
    for (int k = 0; k < out->n_candidates; k++) {
        const scored *c = &sc[picked[k]];
        const cx_entry *e = &idx->entries[c->entry];
        fill_candidate(idx, e, c->score, &out->candidates[k]);
        if (opts->explain)
            explain(idx, s, e, c->m, qw, &out->candidates[k]);
    }
    const cx_entry *be = &idx->entries[best->entry];
    g_strlcpy(out->cvegs, be->cvegs, sizeof out->cvegs);
    out->year = be->year;
    stage_decision(idx, s, opts, out);

done:
    if (out->decision == CODIFY_NO_MATCH) {
        out->cvegs[0] = '\0';
        out->year = 0;
    }
    return 0;
}

void codify_options_default(codify_options *o)
{
    memset(o, 0, sizeof *o);
    o->thresholds = CODIFY_DEFAULT_THRESHOLDS;
    o->top_n = 5;
    o->explain = true;
}

const char *codify_decision_name(codify_decision d)
{
    switch (d) {
    case CODIFY_AUTO_ACCEPT: return "auto_accept";
    case CODIFY_NEEDS_REVIEW: return "needs_review";
    case CODIFY_NO_MATCH: return "no_match";
    }
    return "no_match";
}

const char *codify_attr_name(codify_attr a)
{
    static const char *const names[CODIFY_ATTR__COUNT] = {
        "brand", "model", "year", "transmission", "doors", "cylinders", "displacement", "turbo",
        "occupants", "drive", "fuel", "tonnage", "words", "vin", "correction"};
    return (unsigned)a < CODIFY_ATTR__COUNT ? names[a] : "?";
}

const char *codify_verdict_name(codify_verdict v)
{
    switch (v) {
    case CODIFY_CONFLICT: return "conflict";
    case CODIFY_UNSAID: return "catalog_only";
    case CODIFY_AGREE: return "agree";
    case CODIFY_FUZZY: return "fuzzy";
    case CODIFY_IGNORED: return "ignored";
    case CODIFY_UNEXPLAINED: return "unexplained";
    }
    return "?";
}
