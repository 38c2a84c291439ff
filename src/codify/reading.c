/* The codifier's normalised reading of a row: what it takes from the text, in one canonical
 * spelling, so rows that say the same thing in different ways read the same (the desk's
 * review queue groups by it). Built from the same steps the matcher reads a query with:
 * normalisation, tokens, synonyms and units, attributes, and the junk, marker and equipment
 * word lists of data/codify. */
#include "internal.h"

#include <string.h>

/* The alias tables' name for a brand written as compact text, or the text itself. */
static void canonical_brand(const codify_aliases *al, const char *compact, char *out, size_t cap)
{
    GPtrArray *names = al && *compact ? g_hash_table_lookup(al->brand_alias, compact) : NULL;
    g_strlcpy(out, names && names->len == 1 ? (const char *)g_ptr_array_index(names, 0) : compact, cap);
}

static void canonical_model(const codify_aliases *al, const char *brand, const char *compact, char *out, size_t cap)
{
    g_strlcpy(out, compact, cap);
    if (!al || !*compact)
        return;
    for (guint i = 0; i < al->model_alias->len; i++) {
        const cx_model_alias *m = g_ptr_array_index(al->model_alias, i);
        if (strcmp(m->alias, compact) == 0 && (!m->brand || strcmp(m->brand, brand) == 0)) {
            g_strlcpy(out, m->target, cap);
            return;
        }
    }
}

/* Runs of one-letter words joined: "D C" is the "DC" another broker wrote "D.C.". */
static void join_letters(const cx_tokens *in, cx_tokens *out)
{
    cx_tokens_init(out);
    for (int i = 0; i < in->n;) {
        int j = i;
        char run[CX_MAX_TOK + 1];
        size_t len = 0;
        while (j < in->n && strlen(in->tok[j]) == 1 && g_ascii_isalpha(in->tok[j][0]))
            run[len++] = in->tok[j++][0];
        if (j - i >= 2) {
            cx_tokens_push(out, run, len);
            i = j;
            continue;
        }
        cx_tokens_push(out, in->tok[i], strlen(in->tok[i]));
        i++;
    }
}

/* True for the words of the brand and model columns, said again in the description. */
static bool names_word(const cx_tokens *names, const char *w)
{
    for (int i = 0; i < names->n; i++)
        if (strcmp(names->tok[i], w) == 0)
            return true;
    return false;
}

/* A rim size (R13..R29): equipment, as the index weighs it. */
static bool rim_word(const char *w)
{
    return w[0] == 'R' && w[1] >= '1' && w[1] <= '2' && w[2] >= '0' && w[2] <= '9' && !w[3];
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The description's words that say something about the version, sorted. */
static int version_words(const codify_aliases *al, const char *desc, const cx_tokens *names, const char **out,
                         cx_tokens *store)
{
    char norm[CODIFY_MAX_INPUT + 1];
    codify_normalize(desc, norm, sizeof norm);
    cx_tokens *t = g_new(cx_tokens, 3);
    cx_tokenize(al, norm, &t[0]);
    join_letters(&t[0], &t[1]);
    cx_apply_synonyms(al, &t[1], &t[2]);
    codify_attrs attrs;
    cx_parse_attrs(&t[2], &attrs, store);
    g_free(t);
    int n = 0;
    for (int i = 0; i < store->n; i++) {
        const char *w = store->tok[i];
        if (cx_junk_marker(al, w)) {
            i++;   /* "ECO 15": the identifier after the marker goes with it */
            continue;
        }
        if (cx_junk_word(al, w) || cx_minor_word(al, w) || rim_word(w) || cx_vin_like(w) || names_word(names, w) ||
            strncmp(w, "#HP", 3) == 0)
            continue;
        out[n++] = w;
    }
    qsort(out, (size_t)n, sizeof *out, cmp_str);
    return n;
}

char *codify_reading(const codify_aliases *al, const codify_query *q, char buf[CODIFY_KEY_MAX])
{
    char norm[256], brand_c[128], brand[128], model_c[128], model[128];
    codify_normalize(q && q->marca ? q->marca : "", norm, sizeof norm);
    cx_compact(norm, brand_c, sizeof brand_c);
    canonical_brand(al, brand_c, brand, sizeof brand);
    cx_tokens *names = g_new(cx_tokens, 2);
    cx_tokens_init(&names[0]);
    cx_tokenize(al, norm, &names[1]);
    for (int i = 0; i < names[1].n; i++)
        cx_tokens_push(&names[0], names[1].tok[i], strlen(names[1].tok[i]));
    codify_normalize(q && q->submarca ? q->submarca : "", norm, sizeof norm);
    cx_compact(norm, model_c, sizeof model_c);
    /* The model column saying the brand again ("NISSAN SENTRA") reads as the model alone. */
    size_t blen = strlen(brand), clen = strlen(brand_c);
    const char *bare = model_c;
    if (blen && strncmp(model_c, brand, blen) == 0 && model_c[blen])
        bare = model_c + blen;
    else if (clen && strncmp(model_c, brand_c, clen) == 0 && model_c[clen])
        bare = model_c + clen;
    canonical_model(al, brand, bare, model, sizeof model);
    cx_tokenize(al, norm, &names[1]);
    for (int i = 0; i < names[1].n; i++)
        cx_tokens_push(&names[0], names[1].tok[i], strlen(names[1].tok[i]));
    cx_tokens_push(&names[0], brand, strlen(brand));
    cx_tokens_push(&names[0], model, strlen(model));

    cx_tokens *store = g_new(cx_tokens, 1);
    const char *words[CX_MAX_TOK];
    int n = version_words(al, q && q->descripcion ? q->descripcion : "", &names[0], words, store);
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "%s|%s|", brand, model);
    if (q && q->anio > 0)
        g_string_append_printf(out, "%d", q->anio);
    g_string_append_c(out, '|');
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(words[i], words[i - 1]) != 0)
            g_string_append_printf(out, "%s%s", i ? " " : "", words[i]);
    g_strlcpy(buf, out->str, CODIFY_KEY_MAX);
    g_string_free(out, TRUE);
    g_free(store);
    g_free(names);
    return buf;
}
