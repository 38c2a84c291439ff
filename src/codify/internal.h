/* Private declarations shared by the src/codify/ files. Not part of the public interface. */
#ifndef MINCA_CODIFY_INTERNAL_H
#define MINCA_CODIFY_INTERNAL_H

#include "minca/codify.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>

/* ---- tokens ---------------------------------------------------------------------------- */

#define CX_MAX_TOK 160
#define CX_TOKBUF (CODIFY_MAX_INPUT * 2 + 512)

/* A token list whose strings live in buf (NUL-separated). Lives on the stack. */
typedef struct cx_tokens {
    const char *tok[CX_MAX_TOK];
    int n;
    size_t used;
    char buf[CX_TOKBUF];
} cx_tokens;

void cx_tokens_init(cx_tokens *t);
/* Appends a copy of s (len bytes); silently drops it when full. */
void cx_tokens_push(cx_tokens *t, const char *s, size_t len);

/* normalize.c: splits normalised text into tokens, separating glued number+unit tokens
 * ("5OCUP" -> "5" "OCUP", "MOD2016" -> "MOD" "2016"). */
void cx_tokenize(const codify_aliases *al, const char *norm, cx_tokens *out);
/* A number and a unit written together ("4P", "2.0L", "5PTAS"): the unit's canonical
 * spelling (static or owned by al) and the number's length in *num_len; NULL otherwise. */
const char *cx_number_unit(const codify_aliases *al, const char *w, size_t len, size_t *num_len);
/* Writes the decimal digits of v and a NUL; returns the digit count (at most 10). */
size_t cx_format_uint(char *buf, unsigned v);
/* Compact form: only [A-Z0-9] kept ("NP-300 FRONTIER" -> "NP300FRONTIER"). */
size_t cx_compact(const char *norm, char *out, size_t cap);

/* aliases.c: token synonyms; phrases up to al->max_phrase words. */
void cx_apply_synonyms(const codify_aliases *al, const cx_tokens *in, cx_tokens *out);
const char *cx_synonym_word(const codify_aliases *al, const char *word);
/* Unit spelling ("PTAS" -> "P") from %unit rules, or NULL. */
const char *cx_unit_word(const codify_aliases *al, const char *word);
/* True for equipment words listed with %minor (they weigh less than trim words). */
bool cx_minor_word(const codify_aliases *al, const char *word);
/* junk.txt: words that carry no version information, and markers of identifiers. */
bool cx_junk_word(const codify_aliases *al, const char *word);
bool cx_junk_marker(const codify_aliases *al, const char *word);

/* attributes.c: parses attributes out of canonical tokens. Words that are not attributes are
 * copied to words; canonical attribute tokens ("#D4", "#AUT", ...) are appended. */
void cx_parse_attrs(const cx_tokens *in, codify_attrs *a, cx_tokens *words);
/* Full pipeline: normalise, tokenize, synonyms, attributes. */
void cx_analyse(const codify_aliases *al, const char *text, codify_attrs *a, cx_tokens *words);
/* Formats one attribute of a for explanations ("2.5L", "AUT", "4P"); "" when unknown. */
void cx_attr_value(const codify_attrs *a, codify_attr which, char *buf, size_t cap);

/* vin.c: a word shaped like a VIN (17 characters of the VIN alphabet, letters and digits). */
bool cx_vin_like(const char *w);

/* ---- approximate matching (fuzzy.c) ------------------------------------------------------ */

/* Edits a word of len letters may carry and still count as the same word: 0 below 4
 * letters, 1 up to 7, 2 from 8. */
int cx_edit_budget(size_t len);
/* Bit per letter A-Z (bit 26: any digit); two words k edits apart differ in at most 2k bits. */
uint32_t cx_letter_mask(const char *s);
/* Edit distance with adjacent transpositions, or k + 1 once it exceeds k. */
int cx_edit_distance(const char *a, size_t la, const char *b, size_t lb, int k);

/* Words stored with their one-letter deletions: finds the words exactly one edit (insertion,
 * deletion, substitution or adjacent transposition) away from a query word. */
typedef struct cx_delindex cx_delindex;
cx_delindex *cx_delindex_new(void);
void cx_delindex_free(cx_delindex *d);
/* Adds word (copied); returns its id (the same id when added twice), -1 when empty/too long. */
int cx_delindex_add(cx_delindex *d, const char *word);
const char *cx_delindex_word(const cx_delindex *d, int id);
bool cx_delindex_has(const cx_delindex *d, const char *word);
/* Ids of the stored words one edit from q (never q itself), at most max; returns the count. */
int cx_delindex_find(const cx_delindex *d, const char *q, int *out, int max);

/* attributes.c: true for a word the attribute grammar reads (AUT, CVT, AWD, SEDAN, TDI...). */
bool cx_attr_word(const char *word);
/* attributes.c: calls fn for every word the attribute grammar knows (AUT, TIPTRONIC, ...). */
void cx_attr_words(void (*fn)(const char *word, void *data), void *data);

/* ---- aliases --------------------------------------------------------------------------- */

typedef struct cx_model_alias {
    char *brand;      /* compact brand or NULL (any brand) */
    char *alias;      /* compact alias */
    char *target;     /* compact catalog submarca */
} cx_model_alias;

struct codify_aliases {
    GHashTable *brand_alias;   /* compact alias -> GPtrArray of compact brand names */
    GHashTable *brand_ignore;  /* word -> non-NULL */
    GPtrArray *model_alias;    /* cx_model_alias* */
    GHashTable *token_syn;     /* phrase ("DOBLE CAB") -> replacement ("DOBLE CABINA") */
    int max_phrase;
    uint64_t phrase_start_bits[16];   /* filter: first words of multi-word phrases (hashed) */
    GHashTable *wmi;           /* WMI (2 or 3 chars) -> GPtrArray of compact brand names */
    GHashTable *junk_word;     /* word -> non-NULL: says nothing about the version */
    GHashTable *junk_marker;   /* word -> non-NULL: the next token is an identifier */
    char vin_check_regions[40];   /* wmi.txt %checkdigit: first VIN characters of the regions
                                   * that require the check digit ("12345": North America) */
    GPtrArray *sources;        /* kind/name/text triples, to clone */
    GArray *calib_score[CODIFY_CALIB__COUNT];   /* calibration.txt: per class of proposal,
                                                 * increasing scores (double) ... */
    GArray *calib_conf[CODIFY_CALIB__COUNT];    /* ... and the confidence at each (non-decreasing) */
    codify_calib_class calib_parsing;           /* the %class the next knots belong to */
    double coef[CODIFY_N_FEATURES];             /* %feature NAME COEF ... */
    uint32_t coef_set[(CODIFY_N_FEATURES + 31) / 32];   /* ... which were given */
    bool has_coef;                              /* every coefficient given: used in place of
                                                 * the built-in ones */
};

codify_aliases *cx_aliases_clone(const codify_aliases *a);
/* FNV-1a over a NUL-terminated word. */
static inline uint32_t cx_hash(const char *w)
{
    uint32_t h = 2166136261u;
    for (; *w; w++)
        h = (h ^ (unsigned char)*w) * 16777619u;
    return h;
}

/* Small hash for the phrase-start filter. */
static inline unsigned cx_word_bit(const char *w)
{
    unsigned h = 2166136261u;
    for (; *w; w++)
        h = (h ^ (unsigned char)*w) * 16777619u;
    return h & 1023u;
}

#define CX_MINOR_FACTOR 0.3
/* Highest confidence of a proposal the text does not tell from the runner-up (both entries
 * have words of their own and the query says neither's): on the development files such
 * proposals were right 78-95% of the time, never enough to go into a quote unseen. */
#define CX_COIN_FLIP_CONFIDENCE 0.95

/* ---- index ----------------------------------------------------------------------------- */

typedef struct cx_entry {
    char cvegs[8];
    int year;
    int model;                /* index into models */
    const char *desc;         /* owned by the index string chunk */
    uint32_t tok_off;         /* into tok_pool */
    uint16_t n_tok;
    float cw;                 /* sum of token weights */
    codify_attrs attrs;
} cx_entry;

typedef struct cx_model {
    int brand;
    const char *name;         /* catalog SUBMARCA */
    uint32_t first, count;    /* entries of this model, sorted by year */
} cx_model;

typedef struct cx_brand {
    const char *name;         /* catalog MARCA */
    GArray *models;           /* int model ids */
} cx_brand;

typedef struct cx_model_ref {
    int model;
    int level;                /* 3 exact model name, 2 alias / family, 1 weak part */
} cx_model_ref;

struct codify_index {
    codify_aliases *al;
    GStringChunk *strings;
    cx_entry *entries;
    size_t n_entries;
    cx_model *models;
    int n_models;
    cx_brand *brands;
    int n_brands;
    GHashTable *vocab;        /* token -> id + 1 */
    float *weight;            /* per token id */
    const char **tok_str;     /* per token id: the token (owned by strings) */
    uint8_t *model_tok;       /* per token id: 1 when it comes from a model name */
    int n_vocab;
    int32_t *tok_pool;
    GHashTable *brand_keys;   /* compact -> GArray of int brand ids */
    GHashTable *model_keys;   /* compact -> GArray of cx_model_ref */
    uint64_t *model_key_bits; /* filter: bit cx_hash(key) & model_key_mask set for every model
                               * key, so most words the text looks up miss without the table */
    uint32_t model_key_mask;
    GHashTable *wmi_brands;   /* WMI -> GArray of int brand ids */
    GHashTable *by_key;       /* "CVEGS|YEAR" -> entry index + 1 */
    uint8_t *tok_flags;       /* per token id: CX_TOK_* */
    uint64_t *vmap;           /* frozen vocabulary: open addressing, (hash << 32 | id + 1) */
    uint32_t vmap_mask;
    uint32_t *tok_mask;       /* per token id: cx_letter_mask */
    uint8_t *tok_len;         /* per token id: length (capped at 255) */
    float unknown_weight;     /* weight of a word the catalog never uses (a hapax) */
    cx_delindex *typo_words;  /* synonym keys, unit and attribute words: fixes "AUTOMTAICO" */
    cx_delindex *brand_fuzzy; /* brand keys, for "CHEVORLET" */
    cx_delindex *model_fuzzy; /* exact model keys, for "SILVVERADO" */
    unsigned serial;          /* distinguishes indexes in per-thread scratch memory */
    double build_seconds;
};

/* What the alias tables say of a catalog token, precomputed so the matcher does not look
 * each query word up again. */
enum {
    CX_TOK_BRAND = 1,      /* a brand key or a filler word of brand names */
    CX_TOK_JUNK = 2,       /* junk.txt word */
    CX_TOK_MARKER = 4,     /* junk.txt %marker */
    CX_TOK_MINOR = 8,      /* %minor equipment word */
    CX_TOK_ATTR = 16,      /* a word the attribute grammar reads (CVT, AWD, SEDAN...) */
};

int cx_token_id(const codify_index *idx, const char *tok);
/* False when key is surely not a model key (model_key_bits); true when it may be. */
static inline bool cx_model_key_maybe(const codify_index *idx, const char *key)
{
    if (!idx->model_key_bits)
        return true;
    uint32_t b = cx_hash(key) & idx->model_key_mask;
    return (idx->model_key_bits[b >> 6] >> (b & 63)) & 1;
}
/* match.c: a word the catalog does not know, glued from words it does where letters meet
 * figures ("GL4P", "A7TRENDLINE"): cut once, else twice, where every piece is a catalog word,
 * a number (with its unit) or a word the tables read; among the cuts of that count the one
 * whose catalog words are longest, none when two tie. Pushes the pieces into out and returns
 * true, or pushes nothing (a known word, a VIN, a word no cut explains). */
bool cx_split_known(const codify_index *idx, const char *w, cx_tokens *out);

int cx_find_entry(const codify_index *idx, const char *cvegs, int year);

/* corrections.c */
bool cx_corrections_lookup(const codify_corrections *c, const char *key, const char *broker,
                           char cvegs[8], int *year);

#endif
