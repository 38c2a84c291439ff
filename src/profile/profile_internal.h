/* profile internals: the loaded profile and the per-field pipeline. */
#ifndef MINCA_PROFILE_INTERNAL_H
#define MINCA_PROFILE_INTERNAL_H

#include "minca/profile.h"

#include <glib.h>

typedef struct pf_step pf_step;

/* One normalisation step of the DSL (the table is in profile_steps.c). */
typedef struct pf_step_type {
    const char *name;
    const char *alias;     /* another accepted name, or NULL */
    /* Steps with arguments ({name: {key: value, ...}}): reads args (key, value, key, value...)
     * into st; -1 with the reason in why. NULL for a step named alone. */
    int (*init)(pf_step *st, const GPtrArray *args, char *why, size_t whylen);
    /* The value rewritten: a new g_malloc'd string (s is not consumed). */
    char *(*apply)(const pf_step *st, const char *s);
} pf_step_type;

struct pf_step {
    const pf_step_type *type;
    GRegex *re;            /* replace */
    char *with;            /* replace */
    GHashTable *map;       /* map: folded key -> value */
};

const pf_step_type *pf_step_type_named(const char *name);   /* NULL when unknown */
/* "strip, collapse_spaces, ..." (with_args false) or "{replace: ...}, {map: ...}"; g_malloc'd. */
char *pf_step_names(bool with_args);
/* Runs of white space as one space, none at the ends; g_malloc'd. */
char *pf_collapse_spaces(const char *s);

typedef enum {
    PARSE_NONE = 0, PARSE_TEXT, PARSE_YEAR, PARSE_MONEY, PARSE_DATE, PARSE_PERCENT, PARSE_VIN,
    PARSE_INT,
} parse_kind;

/* How a field is held on a vehicle_row (the KIND of VEHICLE_FIELDS, core_vehicle.h). */
typedef enum { PF_HELD_NONE = 0, PF_HELD_TEXT, PF_HELD_INT, PF_HELD_YEAR, PF_HELD_AMOUNT, PF_HELD_BASIS } pf_held;

/* One row of VEHICLE_FIELDS as extraction reads it; pf_fields[PF_IGNORE] is `ignore`. */
typedef struct pf_field_info {
    const char *name;
    const char *aliases;   /* other names a profile may use, space-separated */
    pf_held held;
    size_t offset;         /* of the vehicle_row member (PF_HELD_NONE: none) */
    parse_kind parse;      /* the value check when the profile's parse: names none */
    int flags;             /* VEHICLE_F_KEY, VEHICLE_F_DESC */
} pf_field_info;
extern const pf_field_info pf_fields[PF_COUNT];

typedef struct pf_rule {
    bool present;
    bool required;
    bool has_min, has_max;
    double min, max;
    char **enum_vals;      /* NULL-terminated, folded */
    GRegex *pattern;
    bool check_digit;
    bool has_policy;
    profile_policy policy;
} pf_rule;

typedef struct pf_map {
    char *header;          /* as written in the profile */
    char *folded;
    profile_field field;
} pf_map;

struct profile {
    char *name;
    char *description;
    char *text;
    int version;
    GPtrArray *domains;          /* char*, lower case */
    GPtrArray *required_headers; /* char* */
    char *detect_sheet;          /* regex */
    char *table_sheet;           /* regex */
    long header_row;
    GArray *map;                 /* pf_map */
    GPtrArray *norm_all;         /* pf_step* */
    GPtrArray *norm[PF_COUNT];   /* pf_step* or NULL */
    parse_kind parse[PF_COUNT];
    char *compute[PF_COUNT];
    char *defaults[PF_COUNT];
    pf_rule rules[PF_COUNT];
    profile_policy on_error;
};

/* What automatic mapping saw in one column, beside the field it chose. */
typedef struct pf_auto_col {
    profile_field header_field;   /* what the header alone says (PF_NONE: no synonym) */
    profile_field value_field;    /* what the sampled values alone say (PF_NONE: nothing) */
    double value_conf;
    int n_values;                 /* non-empty cells in the sample */
} pf_auto_col;

/* profile_auto_map() plus, when detail is not NULL, one pf_auto_col per column (g_malloc'd,
 * caller frees). */
/* docs_table_hint.header_known: 1 when the header names a field in the column vocabulary. */
int pf_auto_header_known(const char *header, void *unused);
int pf_auto_map_detail(docs_book *book, docs_table *table, profile_column **cols,
                       pf_auto_col **detail, int *n, minca_err *err);

/* A 17-character VIN read by OCR (upper case, I, O and Q already read as digits), fixed in
 * place where its structure leaves no doubt (data/profile/vin_ocr.txt): a prefix that is no
 * known manufacturer's becomes the one known prefix alike it, letters where only digits go
 * become the digits OCR mistakes them for, and the model-year character that of year (0:
 * none known) when the two are alike. */
void pf_vin_ocr_fix_positions(char *vin, int year);
/* The pairs of vin_ocr.txt's swap rules, two characters each ("S5B8..."). Static. */
const char *pf_vin_ocr_swaps(void);
/* Whether the VIN begins with a known manufacturer prefix (true when none are known). */
bool pf_vin_ocr_maker_known(const char *vin);

void pf_step_free(gpointer p);
/* Applies steps to s (consumed); returns a new g_malloc'd string. */
char *pf_apply_steps(GPtrArray *steps, char *s);

#endif
