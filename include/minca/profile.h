/* profile: broker profiles (a YAML DSL) and the extraction of canonical vehicle rows.
 *
 * One call turns an attachment into vehicle rows:
 *
 *     profile_result res;
 *     profile_extract(bytes, len, "flotilla.xlsx", profile_or_NULL, &opts, &res, &err);
 *
 * With a profile, its table hints and column mapping are used. Without one, the broker is
 * recognised among opts.candidates (sender domain first, then required headers); failing
 * that, columns are mapped automatically (header synonyms + value sniffing, each with a
 * confidence and a reason) and res.auto_mapped is set so the case can be flagged for a
 * profile to be saved. profile_suggest() turns the same automatic mapping into a draft YAML
 * profile with one comment per mapping (used by `minca profile suggest` and the TUI wizard).
 *
 * Profile YAML (every section optional except mapping):
 *
 *   name: altamira                      # identifier (file name without .yaml by default)
 *   version: 1
 *   description: Seguros Altamira, one sheet, header in row 1
 *   detect:
 *     sender_domains: [seguros-altamira.com.mx]
 *     required_headers: [Marca, Submarca, "Año MOdelos"]
 *     sheet_name: "^Hoja1$"              # regex, case-insensitive
 *   table:
 *     sheet: "^Hoja1$"                   # regex choosing the sheet (default: detected)
 *     header_row: 1                      # default: detected
 *   mapping:                             # source header -> canonical field
 *     Marca: marca
 *     "Año MOdelos": year
 *     CONCATENADO: ignore
 *   normalize:                           # steps per field; "all" runs first on every field
 *     all: [strip, collapse_spaces]
 *     vin: [upper, {replace: {pattern: "[^A-Z0-9]", with: ""}}]
 *     coverage: [upper, remove_accents, {map: {"AMPLIA PLUS": AMPLIA}}]
 *   parse:                               # year | money | date | percent | vin | int | text
 *     year: year
 *     insured_amount: money
 *   compute:                             # templates over fields and source headers
 *     description: "{marca} {submarca} {version}"
 *   defaults:                            # constants for fields the sheet lacks
 *     sum_basis: factura
 *   validate:
 *     year: {required: true, min: 1950, max: 2027}
 *     vin: {check_digit: true, on_error: warn}
 *     coverage: {enum: [AMPLIA, LIMITADA, RC]}
 *     plates: {pattern: "^[A-Z0-9-]{5,10}$|^EN TRAMITE$"}
 *   on_error: warn                       # warn | skip_row | fail (default for every rule)
 *
 * Canonical fields: those of VEHICLE_FIELDS (core_vehicle.h: inciso marca submarca version
 * description year vin engine_number plates use service coverage insured_amount sum_basis),
 * and `ignore`. The description stored on the
 * row is compute.description when given, else marca + submarca + version + description
 * (the non-empty ones, in that order).
 *
 * A profile that does not parse, or names an unknown field / step, fails with its line and
 * column. Ownership: every pointer inside a result or column is owned by it. */
#ifndef MINCA_PROFILE_H
#define MINCA_PROFILE_H

#include "minca/core.h"
#include "minca/docs.h"
#include "minca/core_vehicle.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The canonical fields of VEHICLE_FIELDS (core_vehicle.h), in its order, then `ignore`. */
#define PROFILE_FIELD_ENUM(ID, name, KIND, PARSE, EXPORT, FLAGS, label, aliases) PF_##ID,
typedef enum {
    PF_NONE = -1,
    VEHICLE_FIELDS(PROFILE_FIELD_ENUM)
    PF_IGNORE,
    PF_COUNT
} profile_field;

/* "inciso", "marca", ..., "engine_number", ..., "ignore" (a field's name or one of its
 * aliases, core_vehicle.h); NULL for PF_NONE. */
const char *profile_field_name(profile_field f);
profile_field profile_field_from_name(const char *name);   /* PF_NONE when unknown */

typedef enum {
    PROFILE_ON_ERROR_WARN = 0,
    PROFILE_ON_ERROR_SKIP_ROW,
    PROFILE_ON_ERROR_FAIL,
} profile_policy;

typedef struct profile profile;

/* Loading. origin names the text in messages (a path, "db:altamira v3", ...). */
int profile_load_file(const char *path, profile **out, minca_err *err);
int profile_load_string(const char *yaml, size_t len, const char *origin, profile **out,
                        minca_err *err);
void profile_free(profile *p);

const char *profile_name(const profile *p);
const char *profile_description(const profile *p);   /* "" when absent */
int profile_version(const profile *p);
const char *profile_text(const profile *p);           /* the YAML as loaded */
/* Sender domains of detect.sender_domains (owned by the profile). */
int profile_domains(const profile *p, const char *const **domains);

/* ---- profile source: the shipped profiles/ directory (the DB adds its own later) ---- */

/* Directory of shipped profiles: $MINCA_PROFILES, else <share dir>/profiles. */
const char *profile_dir(void);
/* Names (file stems) of the .yaml files in dir, sorted; *names is a NULL-terminated g_malloc'd array. */
int profile_dir_list(const char *dir, char ***names, int *n, minca_err *err);
void profile_names_free(char **names);
/* Loads dir/NAME.yaml (or NAME as a path when it contains '/' or ends in .yaml). */
int profile_dir_load(const char *dir, const char *name, profile **out, minca_err *err);

/* ---- broker recognition ---- */

/* How well a profile's detect rules fit: 100 for a sender-domain match (subdomains count),
 * + 10 per required header present, + 5 for a sheet-name match; 0 when a stated rule fails
 * (all required headers must be present when headers are given). Any argument may be
 * NULL / 0 to skip that rule. */
int profile_detect_score(const profile *p, const char *sender_domain, const char *const *headers,
                         int n_headers, const char *sheet_name);
/* Index of the best-scoring profile, or -1 when none scores. */
int profile_recognize(profile *const *list, int n, const char *sender_domain,
                      const char *const *headers, int n_headers, const char *sheet_name);

/* ---- extraction ---- */

typedef struct profile_column {
    int table;            /* 0-based table on the sheet (see docs_tables_find) */
    int col;              /* 0-based source column */
    char *header;         /* header text as written (a header band composed: "GROUP / NAME") */
    bool hidden;          /* the column is hidden in the sheet */
    profile_field field;  /* PF_IGNORE when not used */
    double confidence;    /* 0..1 (1 for a profile mapping) */
    char *reason;         /* why, in words */
    int n_filled;         /* extracted vehicle rows with a value in this column */
    bool beyond_profile;  /* a profile was applied but did not map this column: mapped automatically */
} profile_column;

typedef struct profile_options {
    const char *sender_domain;          /* for recognition; may be NULL */
    profile *const *candidates;         /* profiles to recognise from when p is NULL */
    int n_candidates;
    const docs_limits *limits;          /* NULL: defaults */
    /* Streaming: when set, each row goes to on_row as soon as it is built instead of being
     * kept in res->rows (which stays NULL; res->n_rows still counts them), so memory stays
     * flat for any fleet size. The row is cleared after the call: copy or store what you
     * need. A non-zero return stops the extraction with that row's error in err. */
    int (*on_row)(vehicle_row *row, void *user, minca_err *err);
    void *user;
} profile_options;

typedef struct profile_result {
    vehicle_row *rows;
    int n_rows;
    /* report */
    char *format;            /* "xlsx", "xls", "csv", "grid" */
    char *encoding;          /* CSV only */
    char delimiter;          /* CSV only */
    char *sheet;             /* sheet name of the table */
    long header_row;
    long stop_row;           /* TOTAL row that ended the table, 0 if none */
    int n_tables;            /* vehicle tables read on the sheet (rows of every one) */
    long *table_header_rows; /* n_tables: first row of each table's header band */
    int n_subtotals;         /* subtotal rows left out */
    int n_repeated_headers;  /* repeated header rows (continuation pages) left out */
    char *profile_name;      /* profile applied; NULL when mapped automatically */
    /* How the profile was chosen: "given" (passed in), "domain" (sender domain matched),
     * "headers" (required headers matched although the domain did not: the broker may write
     * from a new address), or NULL with auto_mapped. Static strings. */
    const char *recognized_by;
    bool auto_mapped;        /* no profile: flag the case so staff save one */
    /* A profile bound to other sender domains was recognised by the table's headers: its
     * mapping was used only where the values agree with it (automatic mapping elsewhere).
     * resembles names it; needs_profile is set, as with auto_mapped, so the case is flagged
     * for the profile wizard. */
    char *resembles;
    bool needs_profile;
    int n_beyond_profile;    /* columns the applied profile does not map, mapped automatically */
    int n_ignored_with_data; /* ignored columns that held data on some vehicle row */
    int n_not_vehicle;       /* data rows without any vehicle field (notes, signatures), left out */
    profile_column *columns;
    int n_columns;
    int n_skipped;           /* rows dropped by a skip_row rule */
    int n_warnings;          /* issues of severity warn over all rows */
    int n_errors;            /* issues of severity error over all rows */
    char **notes;            /* file-level remarks */
    int n_notes;
} profile_result;

/* The one call: attachment bytes (borrowed) + file name hint + optional profile -> rows and
 * report. On failure err holds a readable reason (corrupt file, no table, a `fail` rule). */
int profile_extract(const void *data, size_t len, const char *filename_hint, const profile *p,
                    const profile_options *opt, profile_result *res, minca_err *err);
/* Same over an already-open book (e.g. a grid built from an HTML table). */
int profile_extract_book(docs_book *book, const profile *p, const profile_options *opt,
                         profile_result *res, minca_err *err);
void profile_result_clear(profile_result *res);
/* The result as JSON {report: {...}, rows: [...]}; g_malloc'd. */
char *profile_result_json(const profile_result *res, bool with_rows);

/* What a person must see about a stored extraction ({report: ...} as profile_result_json
 * writes it): the broker profile the layout resembled, columns mapped beyond the applied
 * profile, and, starting with "warning:", every column that held data but was ignored, with
 * why. One line per item, each starting with indent and ending in '\n'; "" when there is
 * nothing to say. the caller g_free()s it. */
char *profile_report_summary(const json_t *extraction, const char *indent);
/* Number of "warning:" lines profile_report_summary() would give. */
int profile_report_warnings(const json_t *extraction);

/* ---- automatic mapping and suggestions ---- */

/* Maps every column of the table: header synonyms (Spanish broker vocabulary, typos and
 * truncations included) weighed with value sniffing (4-digit years, 17-character VINs with a
 * valid check digit, plates, money, brands, coverage words). Reads up to 200 data rows. */
int profile_auto_map(docs_book *book, docs_table *table, profile_column **cols, int *n,
                     minca_err *err);
void profile_columns_free(profile_column *cols, int n);
/* Draft profile YAML for the attachment, with a comment per mapping giving its confidence and
 * reason. name may be NULL (derived from the domain or the file name); domain may be NULL. */
int profile_suggest(const void *data, size_t len, const char *filename_hint, const char *name,
                    const char *domain, const docs_limits *lim, char **yaml, minca_err *err);
int profile_suggest_book(docs_book *book, const char *filename_hint, const char *name,
                         const char *domain, char **yaml, minca_err *err);

/* ---- value parsers (shared with the wizard and tests) ---- */

bool profile_parse_year(const char *s, int *year);          /* "2019", "2019.0", "MY2019" */
bool profile_parse_money(const char *s, double *value);     /* "$ 450,000.00", "450000", "450.000,00" */
bool profile_parse_date(const char *s, char iso[11]);       /* dd/mm/yyyy, yyyy-mm-dd, serial */
bool profile_parse_percent(const char *s, double *value);   /* "5%", "0.05", "5 %" -> 5 */
bool profile_vin_check_digit(const char *vin);              /* ISO 3779 position 9 */
char *profile_vin_clean(const char *s);   /* upper case, spaces and dashes removed; g_malloc'd */
/* A VIN read by OCR (cleaned, upper case), repaired in place where the usual confusions make
 * its ISO 3779 check digit valid: I, O and Q (never in a VIN) become 1, 0 and 0 (Q also 9),
 * and when that is not enough, the one swap among S/5, B/8, Z/2, G/6, D/0 that makes the check
 * digit valid (none when two different swaps would; never a letter into the serial number,
 * the last five characters). Punctuation OCR reads from ruling lines is dropped first (off the
 * ends; a bar inside is an I). An 18-character reading loses its first or last character or
 * one I when exactly one reading made so is valid. Returns true when the VIN ends valid
 * (vin may get shorter); otherwise vin is left as it was. */
bool profile_vin_ocr_repair(char *vin);
/* The same knowing the row's model year (0: unknown). Before the check digit is tried, the
 * VIN's structure fixes what leaves no doubt (data/profile/vin_ocr.txt): a manufacturer prefix
 * no one has becomes the one known prefix it resembles, letters where only digits go (the
 * last four; for North America the check digit and the serial from position 13) become the
 * digit OCR mistakes them for, and the model-year character that of year when they look alike. */
bool profile_vin_ocr_repair_year(char *vin, int year);
/* A VIN read by OCR that no repair made valid (a check digit other regions do not use):
 * punctuation dropped as above and I, O, Q (never in a VIN) read as 1, 0, 0 when that leaves
 * 17 characters. Returns whether vin changed (it may get shorter). */
bool profile_vin_ocr_tidy(char *vin);
bool profile_vin_ocr_tidy_year(char *vin, int year);   /* with the structural fixes above */
/* A model year read by OCR ("2O19", "2Ol9"): digits for the letters OCR mistakes them for. */
bool profile_parse_year_ocr(const char *s, int *year);
bool profile_looks_plate(const char *s);
bool profile_looks_vin(const char *s);    /* 17 chars A-Z0-9 without I, O, Q */

#endif
