/* codify: vehicle codification. Maps a free-text vehicle (brand, model, year, description,
 * optional VIN) to a catalog entry (CVEGS key + model year) of an insurer's AMIS CATVER catalog,
 * with a calibrated confidence, a decision and explained candidates.
 *
 * Layers (one file per idea under src/codify/):
 *   normalize.c   Unicode -> upper-case ASCII, tokenizer
 *   aliases.c     user-extensible data files (brands, models, token synonyms, VIN WMI prefixes)
 *   attributes.c  attribute extraction (year, doors, cylinders, displacement, ...)
 *   vin.c         ISO 3779 check digit, model-year character, WMI
 *   index.c       in-memory catalog index (no I/O)
 *   match.c       candidate generation and scoring
 *   calibrate.c   confidence model and decision
 *   corrections.c reviewer corrections (learning from review)
 *   reading.c     the normalised reading rows are grouped by for review
 *   catver.c      CATVER CSV loader (the only file-reading part besides aliases.c)
 *   eval.c        evaluation metrics over labeled files
 *   insurer_source.c  index for an insurer's stored catalog
 *
 * Threading: an index, an alias set and a corrections table are read-only after they are
 * built; any number of threads may call codify_match() on the same ones concurrently.
 * Errors follow core.h: 0 / -1 and the reason written once into err. */
#ifndef MINCA_CODIFY_H
#define MINCA_CODIFY_H

#include "minca/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- catalog entries ------------------------------------------------------------------ */

/* One CATVER row as the engine needs it. Strings are borrowed by codify_index_build (it
 * copies them). cvegs is the 5-digit key as text (leading zeros kept). */
typedef struct codify_entry {
    const char *marca;
    const char *submarca;
    const char *cvegs;
    int modelo;                 /* model year */
    const char *descveh;
    const char *tipveh;         /* AUTO / SUV / PICKUP / VAN / CAMION; may be NULL */
    const char *transmision;    /* AUTO / MANUAL / empty or NULL */
} codify_entry;

/* A loaded catalog file: entries plus the storage behind their strings. Owned by the caller;
 * free with codify_catalog_free. */
typedef struct codify_catalog {
    codify_entry *entries;
    size_t n_entries;
    void *storage;              /* private */
} codify_catalog;

/* Reads an AMIS CATVER CSV (the 15 columns; header names matched case- and
 * accent-insensitively; only MARCA, SUBMARCA, MODELO, CVEGS, DESCVEH are required).
 * Bad rows are an error naming the file and line. */
int codify_catalog_load_csv(const char *path, codify_catalog *out, minca_err *err);
void codify_catalog_free(codify_catalog *cat);

/* ---- aliases (data files) ------------------------------------------------------------- */

/* Tables users extend as plain text (format documented at the top of each file in
 * data/codify/; calibration.txt is written by scripts/fit-codify-calibration.py):
 *   brands.txt   ALIAS = CATALOG BRAND[, CATALOG BRAND...]  and  %ignore WORD...
 *   models.txt   [BRAND:] ALIAS = CATALOG SUBMARCA
 *   tokens.txt   WORDS = CANONICAL WORDS  (abbreviations and synonyms, phrases allowed)
 *   wmi.txt      WMI = CATALOG BRAND[, ...]  (VIN manufacturer prefix, 2 or 3 chars)
 *   junk.txt     WORD...  words that say nothing about the version (colours, fleet
 *                words), and  %marker WORD...  words whose next token is an identifier
 *                ("ECO 15", "PLACAS ABC123"); optional file
 *   calibration.txt  SCORE CONFIDENCE pairs: the map from the model's score to the share
 *                of proposals right at that score, interpolated linearly; optional file
 *                (without it the score is the confidence). `%class NAME` starts the map of
 *                one class of proposal (codify_calib_class_name: a proposal whose brand or
 *                VIN year the query contradicts has its own, and so has a coin flip, a
 *                proposal whose text says nothing that tells it from another key); `%feature NAME COEF` sets the
 *                score's coefficient of a named feature (codify_feature_name) in place of
 *                the built-in one (all or none) */
typedef enum {
    CODIFY_ALIAS_BRANDS,
    CODIFY_ALIAS_MODELS,
    CODIFY_ALIAS_TOKENS,
    CODIFY_ALIAS_WMI,
    CODIFY_ALIAS_JUNK,
    CODIFY_ALIAS_CALIBRATION,
} codify_alias_kind;

typedef struct codify_aliases codify_aliases;

codify_aliases *codify_aliases_new(void);
void codify_aliases_free(codify_aliases *a);
/* Parses one table from text; name is used in error messages ("name:LINE: reason"). */
int codify_aliases_parse(codify_aliases *a, codify_alias_kind kind, const char *text,
                         const char *name, minca_err *err);
/* Loads brands.txt, models.txt, tokens.txt and wmi.txt from dir (each must exist) and
 * junk.txt and calibration.txt when present. */
int codify_aliases_load_dir(const char *dir, codify_aliases **out, minca_err *err);
/* Loads from DIR/codify, DIR the data directory codify_set_data_dir gave ("data" when none). */
int codify_aliases_load_default(codify_aliases **out, minca_err *err);
/* The codifier's data directory: the configured data_dir, given once by the program's
 * start-up before the codifier loads its tables (copied). */
void codify_set_data_dir(const char *dir);

/* ---- normalisation and attributes ----------------------------------------------------- */

/* Normalises UTF-8 (invalid bytes tolerated) to upper-case ASCII: accents removed, Ñ -> N,
 * punctuation and runs of spaces collapsed to one space, decimal points kept inside
 * numbers, dots and hyphens inside words joined ("B.M.W." -> "BMW", "F-150" -> "F150").
 * Writes at most cap-1 bytes plus NUL into out; returns the length written. Input longer
 * than CODIFY_MAX_INPUT bytes is truncated first. */
#define CODIFY_MAX_INPUT 4096
size_t codify_normalize(const char *in, char *out, size_t cap);

typedef enum { CODIFY_TRANS_UNKNOWN = 0, CODIFY_TRANS_AUTO, CODIFY_TRANS_MANUAL } codify_trans;
typedef enum { CODIFY_DRIVE_UNKNOWN = 0, CODIFY_DRIVE_4X2, CODIFY_DRIVE_4X4 } codify_drive;
typedef enum {
    CODIFY_FUEL_UNKNOWN = 0, CODIFY_FUEL_DIESEL, CODIFY_FUEL_HYBRID, CODIFY_FUEL_PLUGIN,
    CODIFY_FUEL_ELECTRIC,
} codify_fuel;

/* Attributes read from a description; 0 / UNKNOWN when the text does not say. */
typedef struct codify_attrs {
    int year;                   /* model year found in the text ("MOD 2019", "(2014)", "M-22") */
    bool year_short;            /* written with two digits ("MOD 20", "'20"): the century is a
                                 * guess the codifier checks against the catalog */
    int doors;
    int cylinders;
    int displacement_dl;        /* litres x 10, rounded (2.5L -> 25) */
    bool turbo;
    int occupants;
    int tonnage_dt;             /* payload tonnes x 10 */
    codify_trans trans;
    codify_drive drive;
    codify_fuel fuel;
    char body[16];              /* PICKUP, CHASIS, VAN, SEDAN, HB, COUPE, CONVERTIBLE, ... or "" */
    char vin[18];               /* a 17-character VIN found in the text, or "" */
} codify_attrs;

/* Extracts attributes from free text using the synonym tables of aliases (may be NULL for
 * the built-in grammar only). */
void codify_extract_attrs(const codify_aliases *aliases, const char *text, codify_attrs *out);

/* ---- VIN ------------------------------------------------------------------------------ */

/* True when vin is 17 characters of the VIN alphabet (no I, O, Q). */
bool codify_vin_wellformed(const char *vin);
/* ISO 3779 / FMVSS 115 check digit ('0'..'9' or 'X') computed over vin; 0 when malformed. */
char codify_vin_check_digit(const char *vin);
bool codify_vin_check_ok(const char *vin);
/* Model year from position 10. The 30-year cycle is resolved with position 7 (a letter there
 * means 2010-2039, a digit 1980-2009), as the North American rule does. 0 when invalid. */
int codify_vin_year(const char *vin);
/* Both model years position 10 may mean (the code repeats every 30 years): out[0] the one
 * position 7 points to, out[1] the other. Returns 2, or 0 when the VIN is malformed or has
 * no year code there. The codifier keeps the one the catalog has for the model. */
int codify_vin_years(const char *vin, int out[2]);
/* True when the VIN may be read as evidence: well-formed, a year code in position 10, and
 * either a valid check digit or a maker region that does not require one (wmi.txt
 * `%checkdigit` lists the regions that do: North America). aliases may be NULL (the check
 * digit is then always required). */
bool codify_vin_usable(const codify_aliases *aliases, const char *vin);
/* The model year of a year column as brokers write it: "2020", "20", "'20", "MOD 20",
 * "M-20", "AÑO 2020". A four-digit year is returned as is; a two-digit one as 1..99 (the
 * codifier resolves the century against the catalog; "00" is 2000); 0 when there is none. */
int codify_year_column(const char *text);

/* ---- index ---------------------------------------------------------------------------- */

typedef struct codify_index codify_index;

/* Builds the in-memory index from n entries (copied). aliases may be NULL (no aliases) and
 * is only read during the call. No I/O. */
codify_index *codify_index_build(const codify_entry *entries, size_t n,
                                 const codify_aliases *aliases, minca_err *err);
void codify_index_free(codify_index *idx);
size_t codify_index_size(const codify_index *idx);
/* Seconds codify_index_build took for this index. */
double codify_index_build_seconds(const codify_index *idx);
/* Convenience: load CSV + default aliases (or aliases_dir when non-NULL) and build. */
int codify_index_from_csv(const char *csv_path, const char *aliases_dir, codify_index **out,
                          minca_err *err);
/* The index of an insurer's active catalog in storage is built by the catalog module
 * (catalog_build_index), which sits above this one. */

/* ---- corrections (learning from review) ----------------------------------------------- */

typedef struct codify_corrections codify_corrections;

typedef struct codify_query {
    const char *marca;          /* any of these may be NULL or empty */
    const char *submarca;
    int anio;                   /* 0 when unknown; 1..99: written with two digits (the
                                 * century is resolved against the catalog and the VIN) */
    const char *descripcion;
    const char *vin;            /* optional; a VIN inside descripcion is found as well */
    const char *broker;         /* optional broker id/slug, used only for corrections */
} codify_query;

#define CODIFY_KEY_MAX 512
/* The normalised key a reviewer correction is stored under: brand, model, year and
 * description normalised ("NISSAN|NP300|2019|PICK UP 2P ..."); broker is not part of it.
 * Writes into buf[CODIFY_KEY_MAX]; returns buf. */
char *codify_correction_key(const codify_query *q, char buf[CODIFY_KEY_MAX]);

/* The codifier's normalised reading of a query, so that rows saying the same thing in
 * different ways read the same (the desk's review queue groups by it): "BRAND|MODEL|YEAR|WORDS"
 * with the brand and model as the alias tables name them, and the description's words after
 * synonyms and units, attributes in canonical form ("#D4", "#AUT"), sorted, without repeats.
 * Left out: words that say nothing about the version (junk.txt, the identifier after a
 * marker, VIN-shaped words), equipment words (%minor, rim sizes), power, the brand's and
 * model's own words, and the brand said again at the head of the model column; runs of one-letter words are joined ("D C" reads as "DC"). Punctuation, accents,
 * spacing and word order do not change it. aliases may be NULL. Writes into
 * buf[CODIFY_KEY_MAX]; returns buf. */
char *codify_reading(const codify_aliases *aliases, const codify_query *q, char buf[CODIFY_KEY_MAX]);

codify_corrections *codify_corrections_new(void);
void codify_corrections_free(codify_corrections *c);
/* Adds (or replaces) a correction; broker NULL or "" applies to every broker. Strings copied. */
void codify_corrections_add(codify_corrections *c, const char *key, const char *broker,
                            const char *cvegs, int year);
/* Removes a correction; returns true when one was present. */
bool codify_corrections_remove(codify_corrections *c, const char *key, const char *broker);
size_t codify_corrections_count(const codify_corrections *c);

/* ---- matching ------------------------------------------------------------------------- */

typedef enum {
    CODIFY_AUTO_ACCEPT = 0,
    CODIFY_NEEDS_REVIEW,
    CODIFY_NO_MATCH,
} codify_decision;

const char *codify_decision_name(codify_decision d);   /* "auto_accept" | "needs_review" | "no_match" */

/* Decision thresholds on the calibrated confidence (per insurer in storage). */
typedef struct codify_thresholds {
    double auto_accept;         /* confidence >= this: AUTO_ACCEPT */
    double no_match;            /* confidence < this: NO_MATCH (candidates still listed) */
} codify_thresholds;

extern const codify_thresholds CODIFY_DEFAULT_THRESHOLDS;

/* Attributes compared for the explanation of a candidate. */
typedef enum {
    CODIFY_ATTR_BRAND = 0, CODIFY_ATTR_MODEL, CODIFY_ATTR_YEAR, CODIFY_ATTR_TRANS,
    CODIFY_ATTR_DOORS, CODIFY_ATTR_CYLINDERS, CODIFY_ATTR_DISPLACEMENT, CODIFY_ATTR_TURBO,
    CODIFY_ATTR_OCCUPANTS, CODIFY_ATTR_DRIVE, CODIFY_ATTR_FUEL, CODIFY_ATTR_TONNAGE,
    CODIFY_ATTR_WORDS, CODIFY_ATTR_VIN, CODIFY_ATTR_CORRECTION,
    CODIFY_ATTR__COUNT
} codify_attr;

const char *codify_attr_name(codify_attr a);   /* "brand", "model", "transmission", ... */

/* AGREE: query and entry say the same; CONFLICT: they say different things; UNSAID: the
 * entry says it (a distinctive word such as a trim name) and the query does not. For query
 * words (CODIFY_ATTR_WORDS) also: FUZZY, a word read as the catalog's with a typo or an
 * abbreviation ("TRENDLIN" ~ "TRENDLINE", "ADV" ~ "ADVANCE"); IGNORED, a word that says
 * nothing about the version (a colour, "ECO 15", a plate); UNEXPLAINED, a word no candidate
 * of the block accounts for (it lowers the confidence). */
typedef enum {
    CODIFY_CONFLICT = -1, CODIFY_UNSAID = 0, CODIFY_AGREE = 1, CODIFY_FUZZY = 2, CODIFY_IGNORED = 3,
    CODIFY_UNEXPLAINED = 4,
} codify_verdict;

/* "agree", "conflict", "catalog_only", "fuzzy", "ignored", "unexplained". */
const char *codify_verdict_name(codify_verdict v);

typedef struct codify_evidence {
    codify_attr attr;
    codify_verdict verdict;
    char query_value[24];       /* as read from the query ("AUT", "2.5L", ...) */
    char catalog_value[24];     /* as read from the catalog entry */
} codify_evidence;

#define CODIFY_MAX_EVIDENCE 32
#define CODIFY_MAX_CANDIDATES 10

typedef struct codify_candidate {
    char cvegs[8];
    int year;
    double score;               /* ranking score, comparable within one result */
    const char *marca;          /* borrowed from the index: valid while the index lives */
    const char *submarca;
    const char *description;
    codify_evidence evidence[CODIFY_MAX_EVIDENCE];
    int n_evidence;
    char explanation[384];      /* "agrees: model, year, AUT, 2.5L, EXCLUSIVE; typo: TRENDLIN ~
                                 * TRENDLINE; conflicts: doors 4P vs 2P; catalog only: PIEL;
                                 * ignored: BLANCO, 15; unexplained: XYZ; words 80%" */
} codify_candidate;

/* Numbers the confidence is computed from; exposed for calibration and evaluation. One list,
 * a row per feature: its name and its computation, an expression over match.c's feature
 * context `c` (feature_ctx: the query's state s, the top entry be and its scores best, the
 * runner-up's discrimination d). It gives the order of x[] in codify_features (CODIFY_F_name),
 * the body of codify_match's features, the names of calibration.txt's %feature lines, of the
 * built-in coefficients (data/codify/score_coef.inc) and of the header of `minca eval
 * --features`. A new feature is a new row here, then a refit. */
#define CODIFY_FEATURE_LIST(X)                                                                      \
    X(bias, 1.0)                                                                                    \
    X(s1, c->s1)                               /* top score */                                      \
    X(margin, c->s1 - c->s2)                   /* to the second distinct candidate */               \
    X(cov_catalog, c->be->cw > 0 ? c->best->m / c->be->cw : 0)                                      \
    X(cov_query, c->qw > 0 ? c->best->m / c->qw : 0)                                                \
    X(conflicts, c->best->conflicts)           /* conflicting attributes */                         \
    X(model_level, c->s->model_level)          /* 0 brand only .. 3 exact model */                  \
    X(brand_ok, feature_brand_ok(c))           /* -1 contradicted, 0 unknown, 1 agrees */           \
    X(year_known, c->s->year_src > 0 ? 1.0 : 0.0)                                                   \
    X(log_block, log1p((double)c->nb))                                                              \
    X(alt_s1, c->best->alt)                    /* second opinion, catalog side weighed more */      \
    X(alt_margin, c->best->alt - c->alt2)                                                           \
    X(unexplained, c->s->unknown_w > 0 ? c->s->unknown_w / (c->qw + c->s->unknown_w) : 0.0)         \
    X(log_unknown, log1p((double)c->s->n_unknown))                                                  \
    X(fuzzy_share, c->best->m > 0 ? c->fuzzy_m / c->best->m : 0.0)                                  \
    X(disc, c->d.only_t + c->d.only_r > 0 ? (c->d.said_t - c->d.said_r) / (c->d.only_t + c->d.only_r) \
                                          : 0.0)                                                    \
    /* both entries have words of their own and the query says neither's: a coin flip (when   \
     * the top entry has none, the runner-up's extras are what the query leaves out) */         \
    X(no_disc, c->d.only_t > 0 && c->d.said_t <= 1e-6f && c->pen_r <= c->pen_t + 1e-6f ? 1.0 : 0.0) \
    X(attr_margin, c->pen_r - c->pen_t)        /* the margin stated attributes give */          \
    X(fuzzy_disc, c->d.said_t > 0 ? c->d.said_t_fuzzy / c->d.said_t : 0.0)                          \
    X(typo_key, c->s->brand_fuzzy || c->s->model_fuzzy ? 1.0 : 0.0)                                 \
    X(has_runner, c->runner ? 1.0 : 0.0)                                                            \
    X(runner_support, c->d.only_r > 0 ? c->d.said_r / c->d.only_r : 0.0)
#define CODIFY_FEATURE_ENUM_(name, computation) CODIFY_F_##name,
enum { CODIFY_FEATURE_LIST(CODIFY_FEATURE_ENUM_) CODIFY_N_FEATURES };
/* The feature's name (static), or NULL when i is out of range. */
const char *codify_feature_name(int i);

/* Classes of proposal calibrated apart (calibration.txt %class NAME). */
typedef enum {
    CODIFY_CALIB_ALL,            /* every other proposal */
    CODIFY_CALIB_CONTRADICTED,   /* the query's brand or VIN year contradicts the proposal */
    CODIFY_CALIB_COIN_FLIP,      /* the query says none of the words that tell the proposal from
                                  * the best entry of another key (feature no_disc) */
    CODIFY_CALIB__COUNT,
} codify_calib_class;
/* "all", "contradicted", "coin_flip" (static). */
const char *codify_calib_class_name(codify_calib_class c);

typedef struct codify_features {
    double x[CODIFY_N_FEATURES];
    double cap;                 /* the ceiling codify_match put on the logistic's output (1: none) */
    int div;                    /* and the number of years it was shared among (1: none) */
    codify_calib_class cls;     /* the calibration map the score went through */
} codify_features;

typedef struct codify_result {
    codify_decision decision;
    char cvegs[8];              /* "" when there is no proposal */
    int year;
    double confidence;          /* calibrated probability the proposal is right, [0,1] */
    double score;               /* the model's score of the version before calibration.txt
                                 * maps it (and before it is shared among guessed years) */
    bool corrected;             /* answered from a reviewer correction */
    char reason[128];           /* for NO_MATCH: why ("brand not in catalog", ...) */
    int n_candidates;
    codify_candidate candidates[CODIFY_MAX_CANDIDATES];
    codify_features features;
} codify_result;

typedef struct codify_options {
    codify_thresholds thresholds;
    int top_n;                          /* candidates to return, 1..CODIFY_MAX_CANDIDATES */
    bool explain;                       /* fill evidence and explanation strings */
    const codify_corrections *corrections;   /* optional, borrowed */
} codify_options;

void codify_options_default(codify_options *o);

/* Codifies one query. out is filled completely (no allocation; candidate strings borrow from
 * the index). Fails only on invalid arguments. Thread-safe on a shared index. */
int codify_match(const codify_index *idx, const codify_query *q, const codify_options *opts,
                 codify_result *out, minca_err *err);

/* The model's score from features (calibrate.c): a logistic function of the features, before
 * the caps codify_match applies and the calibration map; the built-in coefficients, or those
 * of aliases' calibration.txt (%feature) when it names them (aliases may be NULL); exposed for
 * tests and refitting. */
double codify_confidence(const codify_features *f);
double codify_score(const codify_aliases *aliases, const codify_features *f);
/* The confidence for a score through the calibration map of aliases (calibration.txt) for
 * proposals of class cls (the map of all when the file has none for cls); the score itself
 * when aliases is NULL or has no map. */
double codify_calibrate(const codify_aliases *aliases, double score);
double codify_calibrate_class(const codify_aliases *aliases, codify_calib_class cls, double score);
codify_decision codify_decide(double confidence, bool has_proposal, const codify_thresholds *t);

/* ---- evaluation ----------------------------------------------------------------------- */

typedef struct codify_eval_counts {
    long rows, positives, negatives;
    long top1, auto_n, auto_ok, review, nomatch_on_pos;
    long neg_auto, neg_nomatch;
} codify_eval_counts;

/* Evaluates one labeled file (columns of data/eval/README.md: id, marca, submarca, anio,
 * descripcion, expected_cvegs, expected_year, difficulty) and prints the metrics for the file
 * and per difficulty stratum to out. Only the four input columns reach the matcher. Adds the
 * file's counts to total (may be NULL). */
typedef struct codify_eval_opts {
    const codify_options *match;    /* NULL: codify_options_default */
    struct _GArray *latencies;      /* GArray of double: CPU seconds per row appended; or NULL */
    FILE *features_out;             /* CSV rows: file,id,correct,features... (calibration); or NULL */
    FILE *pred_out;                 /* JSON Lines predictions (tools/score.py format); or NULL */
    bool bands;                     /* print the reliability table by confidence band and the
                                     * expected calibration error */
} codify_eval_opts;

int codify_eval_file(const codify_index *idx, const char *path, const codify_eval_opts *o,
                     FILE *out, codify_eval_counts *total, minca_err *err);
void codify_eval_print_counts(FILE *out, const char *label, const codify_eval_counts *c);

#endif
