/* Masking: personal data is replaced by placeholders before a prompt leaves the machine and
 * put back in the answer. Patterns run most specific first (an e-mail holds no RFC, a VIN is
 * masked before its digits could read as a phone number). */
#include "minca/llm.h"
#include "minca/core_text.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct llm_mask {
    GHashTable *by_value;     /* value -> placeholder (owned strings) */
    GHashTable *by_holder;    /* placeholder -> value (borrowed from by_value) */
    GPtrArray *names;         /* names to mask literally (owned) */
    int counts[11];
};

/* In the order they run: the longer and more specific first (a CURP holds what reads as an
 * RFC, a CLABE or a card number holds what reads as a phone number). */
typedef enum { K_EMAIL, K_CURP, K_CLABE, K_CARD, K_RFC, K_VIN, K_PLATE, K_ADDRESS, K_PHONE, K_NAME } kind;
static const char *const kind_tag[] = {"EMAIL", "CURP", "CLABE", "CARD", "RFC", "VIN", "PLATE", "ADDRESS", "PHONE", "NAME"};

static const char *const kind_pattern[] = {
    [K_EMAIL] = "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
    /* CURP: 4 letters, birth date, H/M, state, 3 consonants, a homonymy character, a digit */
    [K_CURP] = "(?<![A-Za-z0-9])[A-Za-z][AEIOUXaeioux][A-Za-z]{2}[0-9]{6}[HMXhmx][A-Za-z]{5}[A-Za-z0-9][0-9](?![A-Za-z0-9])",
    /* CLABE: 18 digits (bank, branch, account, check digit), in groups or not */
    [K_CLABE] = "(?<![0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{11}[ -]?[0-9](?![0-9])",
    /* a card number: 13 to 19 digits in groups of any size, the whole of it */
    [K_CARD] = "(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])",
    [K_RFC] = "(?<![A-Za-z0-9])[A-Za-zÑñ&]{3,4}[ -]?[0-9]{6}[ -]?[A-Za-z0-9]{3}(?![A-Za-z0-9])",
    [K_VIN] = "(?<![A-Za-z0-9])[A-HJ-NPR-Za-hj-npr-z0-9]{17}(?![A-Za-z0-9])",
    [K_PLATE] = "(?<![A-Za-z0-9-])(?:[A-Za-z]{3}-?[0-9]{3}-?[A-Za-z]|[A-Za-z]{3}-[0-9]{3,4}|[A-Za-z]{1,3}-[0-9]{2,3}-[0-9]{2,3})"
                "(?![A-Za-z0-9-])",
    /* a street and its number: "Calle Hidalgo 123", "Av. de la Paz No. 45 int. 3", and whatever
     * follows a "Domicilio:" or "Dirección:" label to the end of the line */
    [K_ADDRESS] = "(?i)(?:(?<=domicilio:)|(?<=domicilio :)|(?<=direcci\u00f3n:)|(?<=direccion:))[ \\t]*[^\\r\\n]+"
                  "|\\b(?:calle|av\\.|avenida|blvd\\.?|boulevard|bulevar|calz\\.?|calzada|privada|priv\\.|"
                  "carretera|camino|andador|cerrada|circuito|prolongaci(?:o|\u00f3)n|prol\\.|paseo|callej(?:o|\u00f3)n)"
                  "\\s+[^\\r\\n,;]{1,60}?\\s*(?:no\\.?|n(?:u|\u00fa)m\\.?|n\u00b0|#)?\\s*[0-9]{1,5}[A-Za-z]?"
                  "(?:\\s*(?:int\\.?|interior|depto\\.?)\\s*[A-Za-z0-9-]+)?",
    [K_PHONE] = "(?<![0-9A-Za-z])(?:\\+?[0-9]{1,3}[ .-]?)?(?:\\(?[0-9]{2,3}\\)?[ .-]?)?[0-9]{3,4}[ .-]?[0-9]{4}(?![0-9])",
};

llm_mask *llm_mask_new(void)
{
    llm_mask *m = g_malloc0_n(1, sizeof *m);
    if (!m)
        return NULL;
    m->by_value = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->by_holder = g_hash_table_new(g_str_hash, g_str_equal);
    m->names = g_ptr_array_new_with_free_func(g_free);
    return m;
}

void llm_mask_free(llm_mask *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->by_holder);
    g_hash_table_destroy(m->by_value);
    g_ptr_array_free(m->names, TRUE);
    g_free(m);
}

int llm_mask_count(const llm_mask *m) { return (int)g_hash_table_size(m->by_holder); }

void llm_mask_add_name(llm_mask *m, const char *name)
{
    if (!m || !name)
        return;
    char *n = g_strstrip(g_strdup(name));
    /* A single short word would mask ordinary words of the text. */
    if (g_utf8_strlen(n, -1) < 5 || !strchr(n, ' ')) {
        g_free(n);
        return;
    }
    for (guint i = 0; i < m->names->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(m->names, i), n) == 0) {
            g_free(n);
            return;
        }
    g_ptr_array_add(m->names, n);
}

static const char *holder_for(llm_mask *m, kind k, const char *value)
{
    const char *have = g_hash_table_lookup(m->by_value, value);
    if (have)
        return have;
    char *holder = g_strdup_printf("[%s_%d]", kind_tag[k], ++m->counts[k]);
    char *key = g_strdup(value);
    g_hash_table_insert(m->by_value, key, holder);
    g_hash_table_insert(m->by_holder, holder, key);
    return holder;
}

static int count_digits(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += g_ascii_isdigit(*s);
    return n;
}

static int count_alpha(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += g_ascii_isalpha(*s);
    return n;
}

typedef struct eval_ctx {
    llm_mask *m;
    kind k;
} eval_ctx;

static gboolean replace_match(const GMatchInfo *info, GString *out, gpointer user)
{
    eval_ctx *e = user;
    char *found = g_match_info_fetch(info, 0);
    bool take = true;
    if (e->k == K_VIN)
        take = count_digits(found) >= 3 && count_alpha(found) >= 2;
    else if (e->k == K_PHONE)
        take = count_digits(found) >= 10 && count_digits(found) <= 13;
    else if (e->k == K_RFC)
        take = count_alpha(found) >= 3;
    else if (e->k == K_ADDRESS)
        take = count_alpha(found) >= 2;
    if (take) {
        g_string_append(out, holder_for(e->m, e->k, found));
    } else {
        g_string_append(out, found);
    }
    g_free(found);
    return FALSE;
}

static char *replace_all(llm_mask *m, kind k, const char *pattern, GRegexCompileFlags flags, const char *text)
{
    GError *ge = NULL;
    GRegex *re = g_regex_new(pattern, flags | G_REGEX_OPTIMIZE, 0, &ge);
    if (!re) {
        log_error("llm mask: bad pattern %s: %s", kind_tag[k], ge ? ge->message : "?");
        g_clear_error(&ge);
        return g_strdup(text);
    }
    eval_ctx e = {m, k};
    char *out = g_regex_replace_eval(re, text, -1, 0, 0, replace_match, &e, &ge);
    g_regex_unref(re);
    if (!out) {
        g_clear_error(&ge);
        return g_strdup(text);
    }
    return out;
}

static bool fold_word_edge(const char *folded, size_t at)
{
    return !g_ascii_isalnum(folded[at]);
}

/* Every occurrence of name in text, with or without its accents, in any case, and with any
 * run of spaces between its words, replaced by the name's placeholder. */
static char *replace_name(llm_mask *m, const char *name, const char *text)
{
    char *fname = text_fold(name, TEXT_FOLD_ASCII | TEXT_FOLD_WORDS);
    size_t *offs = NULL;
    char *ftext = text_fold_offsets(text, &offs);
    /* the text's runs of spaces count as one, like the name's: compare word by word */
    GString *out = g_string_new(NULL);
    size_t flen = strlen(ftext), nlen = strlen(fname), copied = 0;
    for (size_t i = 0; nlen && i < flen;) {
        size_t j = i, k = 0;
        if (i == 0 || fold_word_edge(ftext, i - 1)) {
            while (j < flen && k < nlen) {
                if (fname[k] == ' ') {
                    if (!g_ascii_isspace(ftext[j]))
                        break;
                    while (j < flen && g_ascii_isspace(ftext[j]))
                        j++;
                    k++;
                } else if (ftext[j] == fname[k]) {
                    j++, k++;
                } else {
                    break;
                }
            }
        }
        if (k == nlen && (j == flen || fold_word_edge(ftext, j))) {
            g_string_append_len(out, text + copied, (gssize)(offs[i] - copied));
            char *value = g_strndup(text + offs[i], offs[j] - offs[i]);
            g_string_append(out, holder_for(m, K_NAME, value));
            g_free(value);
            copied = offs[j];
            i = j;
        } else {
            i++;
        }
    }
    g_string_append(out, text + copied);
    g_free(fname);
    g_free(ftext);
    g_free(offs);
    return g_string_free(out, FALSE);
}

char *llm_mask_text(llm_mask *m, const char *text)
{
    if (!text)
        return NULL;
    char *cur = g_strdup(text);
    for (kind k = K_EMAIL; k <= K_PHONE; k++) {
        char *next = replace_all(m, k, kind_pattern[k], 0, cur);
        g_free(cur);
        cur = next;
    }
    for (guint i = 0; i < m->names->len; i++) {
        char *next = replace_name(m, g_ptr_array_index(m->names, i), cur);
        g_free(cur);
        cur = next;
    }
    char *res = g_strdup(cur);
    g_free(cur);
    return res;
}

static gboolean restore_match(const GMatchInfo *info, GString *out, gpointer user)
{
    const llm_mask *m = user;
    char *found = g_match_info_fetch(info, 0);
    const char *value = g_hash_table_lookup(m->by_holder, found);
    g_string_append(out, value ? value : found);
    g_free(found);
    return FALSE;
}

char *llm_unmask_text(const llm_mask *m, const char *text)
{
    if (!text)
        return NULL;
    static GRegex *re;
    static gsize once;
    if (g_once_init_enter(&once)) {
        re = g_regex_new("\\[(?:EMAIL|CURP|CLABE|CARD|RFC|VIN|PLATE|ADDRESS|PHONE|NAME)_[0-9]+\\]", G_REGEX_OPTIMIZE, 0, NULL);
        g_once_init_leave(&once, 1);
    }
    char *out = re ? g_regex_replace_eval(re, text, -1, 0, 0, restore_match, (gpointer)m, NULL) : NULL;
    char *res = g_strdup(out ? out : text);
    g_free(out);
    return res;
}

void llm_unmask_json(const llm_mask *m, json_t *v)
{
    if (json_is_string(v)) {
        char *plain = llm_unmask_text(m, json_string_value(v));
        json_string_set(v, plain);
        g_free(plain);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) llm_unmask_json(m, x);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) llm_unmask_json(m, x);
    }
}
