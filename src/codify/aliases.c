/* Alias tables loaded from user-editable text files (the data/codify directory). */
#include "internal.h"

#include "minca/core_config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct alias_source {
    codify_alias_kind kind;
    char *name;
    char *text;
} alias_source;

static void source_free(gpointer p)
{
    alias_source *s = p;
    g_free(s->name);
    g_free(s->text);
    g_free(s);
}

static void model_alias_free(gpointer p)
{
    cx_model_alias *m = p;
    g_free(m->brand);
    g_free(m->alias);
    g_free(m->target);
    g_free(m);
}

static void ptr_array_unref(gpointer p) { g_ptr_array_unref(p); }

codify_aliases *codify_aliases_new(void)
{
    codify_aliases *a = g_new0(codify_aliases, 1);
    a->brand_alias = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ptr_array_unref);
    a->brand_ignore = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->model_alias = g_ptr_array_new_with_free_func(model_alias_free);
    a->token_syn = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    a->wmi = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, ptr_array_unref);
    a->junk_word = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->junk_marker = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->sources = g_ptr_array_new_with_free_func(source_free);
    for (int c = 0; c < CODIFY_CALIB__COUNT; c++) {
        a->calib_score[c] = g_array_new(FALSE, FALSE, sizeof(double));
        a->calib_conf[c] = g_array_new(FALSE, FALSE, sizeof(double));
    }
    a->max_phrase = 1;
    return a;
}

void codify_aliases_free(codify_aliases *a)
{
    if (!a)
        return;
    g_hash_table_destroy(a->brand_alias);
    g_hash_table_destroy(a->brand_ignore);
    g_ptr_array_unref(a->model_alias);
    g_hash_table_destroy(a->token_syn);
    g_hash_table_destroy(a->wmi);
    g_hash_table_destroy(a->junk_word);
    g_hash_table_destroy(a->junk_marker);
    g_ptr_array_unref(a->sources);
    for (int c = 0; c < CODIFY_CALIB__COUNT; c++) {
        g_array_free(a->calib_score[c], TRUE);
        g_array_free(a->calib_conf[c], TRUE);
    }
    g_free(a);
}

static char *compact_of(const char *text)
{
    char norm[512], comp[512];
    codify_normalize(text, norm, sizeof norm);
    cx_compact(norm, comp, sizeof comp);
    return g_strdup(comp);
}

/* Normalised, tokenized, space-joined form (no synonyms applied). */
static char *phrase_of(const char *text, int *n_words)
{
    char norm[512];
    codify_normalize(text, norm, sizeof norm);
    cx_tokens *t = g_new(cx_tokens, 1);
    cx_tokenize(NULL, norm, t);
    GString *s = g_string_new(NULL);
    for (int i = 0; i < t->n; i++) {
        if (i)
            g_string_append_c(s, ' ');
        g_string_append(s, t->tok[i]);
    }
    if (n_words)
        *n_words = t->n;
    g_free(t);
    return g_string_free(s, FALSE);
}

/* Adds the comma-separated compact brand list to table[key]. */
static void add_brand_list(GHashTable *table, const char *key, const char *list)
{
    GPtrArray *arr = g_hash_table_lookup(table, key);
    if (!arr) {
        arr = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(table, g_strdup(key), arr);
    }
    char **parts = g_strsplit(list, ",", -1);
    for (int i = 0; parts[i]; i++) {
        char *c = compact_of(parts[i]);
        if (*c)
            g_ptr_array_add(arr, c);
        else
            g_free(c);
    }
    g_strfreev(parts);
}

/* %class NAME: the knots after it belong to that class's map */
static int parse_calib_class(codify_aliases *a, const char *s, const char *name, int lineno, minca_err *err)
{
    for (int c = 0; c < CODIFY_CALIB__COUNT; c++)
        if (strcmp(s, codify_calib_class_name((codify_calib_class)c)) == 0) {
            if (a->calib_score[c]->len)
                return minca_err_set(err, "%s:%d: class '%s' given twice", name, lineno, s);
            a->calib_parsing = (codify_calib_class)c;
            return 0;
        }
    return minca_err_set(err, "%s:%d: unknown class '%.40s' (all, contradicted, coin_flip)", name, lineno, s);
}

/* %feature NAME COEF: the score's coefficient of a named feature */
static int parse_calib_feature(codify_aliases *a, const char *s, const char *name, int lineno, minca_err *err)
{
    size_t n = strcspn(s, " \t");
    int f = -1;
    for (int i = 0; i < CODIFY_N_FEATURES && f < 0; i++)
        if (strlen(codify_feature_name(i)) == n && strncmp(s, codify_feature_name(i), n) == 0)
            f = i;
    if (f < 0)
        return minca_err_set(err, "%s:%d: unknown feature '%.*s'", name, lineno, (int)(n < 40 ? n : 40), s);
    char *end = NULL;
    const char *v = s + n;
    double coef = g_ascii_strtod(v, &end);
    if (end == v || *g_strstrip(end) != '\0' || !isfinite(coef) || coef < -1000 || coef > 1000)
        return minca_err_set(err, "%s:%d: expected '%%feature NAME COEFFICIENT' (|coefficient| <= 1000)", name, lineno);
    if (a->coef_set[f / 32] & (1u << (f % 32)))
        return minca_err_set(err, "%s:%d: feature '%s' given twice", name, lineno, codify_feature_name(f));
    a->coef[f] = coef;
    a->coef_set[f / 32] |= 1u << (f % 32);
    return 0;
}

static int parse_calibration(codify_aliases *a, char *s, const char *name, int lineno, minca_err *err)
{
    if (g_str_has_prefix(s, "%class") && (s[6] == ' ' || s[6] == '\t'))
        return parse_calib_class(a, g_strstrip(s + 6), name, lineno, err);
    if (g_str_has_prefix(s, "%feature") && (s[8] == ' ' || s[8] == '\t'))
        return parse_calib_feature(a, g_strstrip(s + 8), name, lineno, err);
    if (*s == '%')
        return minca_err_set(err, "%s:%d: unknown directive '%.20s' (%%class, %%feature)", name, lineno, s);
    char *end1 = NULL, *end2 = NULL;
    double x = g_ascii_strtod(s, &end1);
    double y = end1 != s ? g_ascii_strtod(end1, &end2) : 0;
    if (end1 == s || !end2 || end2 == end1 || *g_strstrip(end2) != '\0')
        return minca_err_set(err, "%s:%d: expected 'SCORE CONFIDENCE', got '%.60s'", name, lineno, s);
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1))
        return minca_err_set(err, "%s:%d: score and confidence lie in [0, 1]", name, lineno);
    GArray *xs = a->calib_score[a->calib_parsing], *ys = a->calib_conf[a->calib_parsing];
    guint n = xs->len;
    if (n && (x <= g_array_index(xs, double, n - 1) || y < g_array_index(ys, double, n - 1)))
        return minca_err_set(err, "%s:%d: scores must increase and confidences not decrease", name, lineno);
    g_array_append_val(xs, x);
    g_array_append_val(ys, y);
    return 0;
}

/* After calibration.txt: the coefficients are all given or none */
static int calibration_done(codify_aliases *a, const char *name, minca_err *err)
{
    a->calib_parsing = CODIFY_CALIB_ALL;
    int given = 0;
    for (int i = 0; i < CODIFY_N_FEATURES; i++)
        given += (a->coef_set[i / 32] >> (i % 32)) & 1u;
    if (given && given < CODIFY_N_FEATURES)
        return minca_err_set(err, "%s: %%feature gives %d of the %d coefficients (all or none)", name, given,
                             CODIFY_N_FEATURES);
    a->has_coef = given == CODIFY_N_FEATURES;
    return 0;
}

/* A line of the junk words: words, or %marker and the words that mark the start of junk. */
static int parse_junk(codify_aliases *a, char *s, const char *name, int lineno, minca_err *err)
{
    bool marker = g_str_has_prefix(s, "%marker");
    if (*s == '%' && !marker)
        return minca_err_set(err, "%s:%d: unknown directive '%.20s' (only %%marker)", name, lineno, s);
    GHashTable *table = marker ? a->junk_marker : a->junk_word;
    char **list = g_strsplit_set(marker ? s + 7 : s, " \t", -1);
    for (int i = 0; list[i]; i++) {
        char *w = phrase_of(list[i], NULL);   /* "S/N" -> "SN", accents folded */
        if (*w && !strchr(w, ' '))
            g_hash_table_replace(table, w, GINT_TO_POINTER(1));
        else
            g_free(w);
    }
    g_strfreev(list);
    return 0;
}

/* The directives of a table without '=' (%ignore of brands, %minor of tokens, %checkdigit of
 * WMI): 1 when the line was one, 0 when it was not, -1 with err set. */
static int parse_directive(codify_aliases *a, codify_alias_kind kind, char *s, const char *name, int lineno,
                           minca_err *err)
{
    if (kind == CODIFY_ALIAS_BRANDS && g_str_has_prefix(s, "%ignore")) {
        char **words = g_strsplit_set(s + 7, " \t", -1);
        for (int i = 0; words[i]; i++) {
            char *c = compact_of(words[i]);
            if (*c)
                g_hash_table_replace(a->brand_ignore, c, GINT_TO_POINTER(1));
            else
                g_free(c);
        }
        g_strfreev(words);
        return 1;
    }
    if (kind == CODIFY_ALIAS_TOKENS && g_str_has_prefix(s, "%minor")) {
        char **words = g_strsplit_set(s + 6, " \t", -1);
        for (int i = 0; words[i]; i++) {
            char *w = phrase_of(words[i], NULL);
            if (*w)
                g_hash_table_replace(a->token_syn, g_strconcat("\x03", w, NULL), g_strdup(""));
            g_free(w);
        }
        g_strfreev(words);
        return 1;
    }
    if (kind == CODIFY_ALIAS_WMI && g_str_has_prefix(s, "%checkdigit")) {
        char *c = compact_of(s + 11);
        g_strlcpy(a->vin_check_regions, c, sizeof a->vin_check_regions);
        g_free(c);
        if (!a->vin_check_regions[0])
            return minca_err_set(err, "%s:%d: %%checkdigit needs the first VIN characters of the regions", name, lineno);
        return 1;
    }
    return 0;
}

/* MODEL = TARGET or BRAND:MODEL = TARGET of the model aliases. */
static int parse_model_alias(codify_aliases *a, char *left, const char *right, const char *name, int lineno,
                             minca_err *err)
{
    if (*right == '\0')
        return minca_err_set(err, "%s:%d: no catalog model after '='", name, lineno);
    cx_model_alias *m = g_new0(cx_model_alias, 1);
    char *colon = strchr(left, ':');
    if (colon) {
        *colon = '\0';
        m->brand = compact_of(left);
        m->alias = compact_of(colon + 1);
    } else {
        m->alias = compact_of(left);
    }
    m->target = compact_of(right);
    if (!*m->alias || !*m->target || (m->brand && !*m->brand)) {
        model_alias_free(m);
        return minca_err_set(err, "%s:%d: alias, brand and model need letters or digits",
                             name, lineno);
    }
    g_ptr_array_add(a->model_alias, m);
    return 0;
}

/* WORDS = WORDS, or %unit WORD = VALUE, of the token synonyms. */
static int parse_token_synonym(codify_aliases *a, const char *left, const char *right, const char *name, int lineno,
                               minca_err *err)
{
    int n_words = 0;
    if (g_str_has_prefix(left, "%minor"))
        return minca_err_set(err, "%s:%d: %%minor takes a list of words, not '='", name, lineno);
    bool unit = g_str_has_prefix(left, "%unit");
    char *key = phrase_of(unit ? left + 5 : left, &n_words);
    if (unit) {
        if (n_words != 1) {
            g_free(key);
            return minca_err_set(err, "%s:%d: %%unit takes exactly one word", name, lineno);
        }
        char *val = phrase_of(right, NULL);
        g_hash_table_replace(a->token_syn, g_strconcat("\x02", key, NULL), val);
        g_free(key);
        return 0;
    }
    if (n_words == 0) {
        g_free(key);
        return minca_err_set(err, "%s:%d: word has no letters or digits", name, lineno);
    }
    char *val = phrase_of(right, NULL);
    g_hash_table_replace(a->token_syn, key, val);
    if (n_words > a->max_phrase)
        a->max_phrase = n_words;
    if (n_words > 1) {
        /* remember the first word, with the longest phrase it starts, so lookups of
         * longer phrases are only tried after it and only up to that length */
        char *first = g_strndup(key, strcspn(key, " "));
        char *mark = g_strconcat("\x01", first, NULL);
        const char *prev = g_hash_table_lookup(a->token_syn, mark);
        int longest = prev && *prev ? atoi(prev) : 0;
        g_hash_table_replace(a->token_syn, mark, g_strdup_printf("%d", n_words > longest ? n_words : longest));
        unsigned bit = cx_word_bit(first);
        a->phrase_start_bits[bit / 64] |= (uint64_t)1 << (bit % 64);
        g_free(first);
    }
    return 0;
}

static int parse_line(codify_aliases *a, codify_alias_kind kind, char *line, const char *name,
                      int lineno, minca_err *err)
{
    char *s = g_strstrip(line);
    if (*s == '\0' || *s == '#')
        return 0;
    if (kind == CODIFY_ALIAS_JUNK) {
        return parse_junk(a, s, name, lineno, err);
    }
    if (kind == CODIFY_ALIAS_CALIBRATION)
        return parse_calibration(a, s, name, lineno, err);
    int handled = parse_directive(a, kind, s, name, lineno, err);
    if (handled != 0)
        return handled < 0 ? -1 : 0;
    char *eq = strchr(s, '=');
    if (!eq)
        return minca_err_set(err, "%s:%d: expected 'ALIAS = VALUE', got '%.60s'", name, lineno, s);
    *eq = '\0';
    char *left = g_strstrip(s);
    char *right = g_strstrip(eq + 1);
    if (*left == '\0')
        return minca_err_set(err, "%s:%d: empty name before '='", name, lineno);

    switch (kind) {
    case CODIFY_ALIAS_JUNK:
    case CODIFY_ALIAS_CALIBRATION:
        break;   /* handled above: these lines have no '=' */
    case CODIFY_ALIAS_BRANDS: {
        if (*right == '\0')
            return minca_err_set(err, "%s:%d: no catalog brand after '='", name, lineno);
        char *key = compact_of(left);
        if (!*key) {
            g_free(key);
            return minca_err_set(err, "%s:%d: alias has no letters or digits", name, lineno);
        }
        add_brand_list(a->brand_alias, key, right);
        g_free(key);
        return 0;
    }
    case CODIFY_ALIAS_WMI: {
        if (*right == '\0')
            return minca_err_set(err, "%s:%d: no catalog brand after '='", name, lineno);
        char *key = compact_of(left);
        size_t kl = strlen(key);
        if (kl < 2 || kl > 3) {
            g_free(key);
            return minca_err_set(err, "%s:%d: a WMI prefix has 2 or 3 characters", name, lineno);
        }
        add_brand_list(a->wmi, key, right);
        g_free(key);
        return 0;
    }
    case CODIFY_ALIAS_MODELS: {
        return parse_model_alias(a, left, right, name, lineno, err);
    }
    case CODIFY_ALIAS_TOKENS: {
        return parse_token_synonym(a, left, right, name, lineno, err);
    }
    }
    return minca_err_set(err, "%s: unknown table kind", name);
}

int codify_aliases_parse(codify_aliases *a, codify_alias_kind kind, const char *text,
                         const char *name, minca_err *err)
{
    if (!a || !text)
        return minca_err_set(err, "aliases: no table to parse");
    if (!g_utf8_validate(text, -1, NULL))
        return minca_err_set(err, "%s: not valid UTF-8", name);
    char **lines = g_strsplit(text, "\n", -1);
    int rc = 0;
    if (kind == CODIFY_ALIAS_CALIBRATION)
        a->calib_parsing = CODIFY_CALIB_ALL;
    for (int i = 0; lines[i] && rc == 0; i++)
        rc = parse_line(a, kind, lines[i], name, i + 1, err);
    g_strfreev(lines);
    if (rc == 0 && kind == CODIFY_ALIAS_CALIBRATION)
        rc = calibration_done(a, name, err);
    if (rc == 0) {
        alias_source *s = g_new0(alias_source, 1);
        s->kind = kind;
        s->name = g_strdup(name);
        s->text = g_strdup(text);
        g_ptr_array_add(a->sources, s);
    }
    return rc;
}

codify_aliases *cx_aliases_clone(const codify_aliases *a)
{
    codify_aliases *c = codify_aliases_new();
    if (!a)
        return c;
    for (guint i = 0; i < a->sources->len; i++) {
        alias_source *s = g_ptr_array_index(a->sources, i);
        codify_aliases_parse(c, s->kind, s->text, s->name, NULL);
    }
    return c;
}

int codify_aliases_load_dir(const char *dir, codify_aliases **out, minca_err *err)
{
    static const struct {
        const char *file;
        codify_alias_kind kind;
    } files[] = {
        {"brands.txt", CODIFY_ALIAS_BRANDS},
        {"models.txt", CODIFY_ALIAS_MODELS},
        {"tokens.txt", CODIFY_ALIAS_TOKENS},
        {"wmi.txt", CODIFY_ALIAS_WMI},
        {"junk.txt", CODIFY_ALIAS_JUNK},
        {"calibration.txt", CODIFY_ALIAS_CALIBRATION},
    };
    *out = NULL;
    codify_aliases *a = codify_aliases_new();
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        char *path = core_path_join(dir, files[i].file);
        bool optional = files[i].kind == CODIFY_ALIAS_JUNK || files[i].kind == CODIFY_ALIAS_CALIBRATION;
        if (optional && !g_file_test(path, G_FILE_TEST_EXISTS)) {
            g_free(path);   /* optional: directories made before it existed still load */
            continue;
        }
        char *data = NULL;
        size_t len = 0;
        int rc = core_read_file(path, 8u << 20, &data, &len, err);
        if (rc == 0)
            rc = codify_aliases_parse(a, files[i].kind, data, path, err);
        g_free(data);
        g_free(path);
        if (rc != 0) {
            codify_aliases_free(a);
            return minca_err_prefix(err, "codifier aliases");
        }
    }
    *out = a;
    return 0;
}

int codify_aliases_load_default(codify_aliases **out, minca_err *err)
{
    const minca_config *cfg = config_get();
    const char *base = cfg && cfg->data_dir ? cfg->data_dir : "data";
    char *dir = core_path_join(base, "codify");
    int rc = codify_aliases_load_dir(dir, out, err);
    g_free(dir);
    return rc;
}

/* key = marker byte + word; false when it does not fit */
static bool prefixed(char *key, size_t cap, char marker, const char *word)
{
    size_t n = strlen(word);
    if (n + 2 > cap)
        return false;
    key[0] = marker;
    memcpy(key + 1, word, n + 1);
    return true;
}

bool cx_minor_word(const codify_aliases *al, const char *word)
{
    if (!al)
        return false;
    char key[80];
    if (!prefixed(key, sizeof key, '\x03', word))
        return false;
    return g_hash_table_contains(al->token_syn, key);
}

const char *cx_unit_word(const codify_aliases *al, const char *word)
{
    if (!al)
        return NULL;
    char key[80];
    if (!prefixed(key, sizeof key, '\x02', word))
        return NULL;
    return g_hash_table_lookup(al->token_syn, key);
}

const char *cx_synonym_word(const codify_aliases *al, const char *word)
{
    if (!al)
        return NULL;
    return g_hash_table_lookup(al->token_syn, word);
}

static void push_words(cx_tokens *out, const char *words)
{
    const char *p = words;
    while (*p) {
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        cx_tokens_push(out, s, (size_t)(p - s));
        while (*p == ' ')
            p++;
    }
}

void cx_apply_synonyms(const codify_aliases *al, const cx_tokens *in, cx_tokens *out)
{
    cx_tokens_init(out);
    for (int i = 0; i < in->n;) {
        int used = 0;
        if (al && al->max_phrase > 1) {
            char mark[80];
            unsigned bit = cx_word_bit(in->tok[i]);
            const char *longest = NULL;
            if ((al->phrase_start_bits[bit / 64] >> (bit % 64) & 1) &&
                prefixed(mark, sizeof mark, '\x01', in->tok[i]) &&
                (longest = g_hash_table_lookup(al->token_syn, mark)) != NULL) {
                /* the phrase's words joined by spaces; ends[k] is where k + 1 words end */
                char phrase[256];
                size_t ends[16];
                int max_len = atoi(longest);
                if (max_len > in->n - i)
                    max_len = in->n - i;
                if (max_len > (int)G_N_ELEMENTS(ends))
                    max_len = (int)G_N_ELEMENTS(ends);
                size_t o = 0;
                int have = 0;
                for (int k = 0; k < max_len; k++) {
                    size_t l = strlen(in->tok[i + k]);
                    if (o + l + 2 > sizeof phrase)
                        break;
                    if (k)
                        phrase[o++] = ' ';
                    memcpy(phrase + o, in->tok[i + k], l);
                    o += l;
                    ends[have++] = o;
                }
                for (int len = have; len > 1 && !used; len--) {
                    phrase[ends[len - 1]] = '\0';
                    const char *rep = g_hash_table_lookup(al->token_syn, phrase);
                    if (rep) {
                        push_words(out, rep);
                        used = len;
                    }
                }
            }
        }
        if (!used) {
            const char *rep = cx_synonym_word(al, in->tok[i]);
            if (rep)
                push_words(out, rep);
            else
                cx_tokens_push(out, in->tok[i], strlen(in->tok[i]));
            used = 1;
        }
        i += used;
    }
}

bool cx_junk_word(const codify_aliases *al, const char *word)
{
    return al && g_hash_table_contains(al->junk_word, word);
}

bool cx_junk_marker(const codify_aliases *al, const char *word)
{
    return al && g_hash_table_contains(al->junk_marker, word);
}
