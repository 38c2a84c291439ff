/* export: the Gcotiza quote workbook of a case, and its PDF quote summary.
 *
 * One call turns a decided case into an .xlsx file and its bytes:
 *
 *     export_case c;            // filled by the caller (e.g. from the store)
 *     export_options opt = { .insurer = "demo", .out_path = "/x/COT-1.xlsx" };
 *     export_result res;
 *     if (export_case_write(&c, &opt, &res, &err) < 0) ...  // err says why; res.refused
 *     store the blob res.data / res.len, res.sha256, res.template_version ...
 *     export_result_clear(&res);
 *
 * The column layout comes from a YAML template (templates/gcotiza_v1.yaml, overridden by
 * templates/<insurer>/gcotiza_v1.yaml) and the coverage columns' values from
 * templates/coverage_packages.yaml (AMPLIA / LIMITADA / RC), both under the share directory.
 *
 * Rules (export_check_rules, shared with the PDF): by default a case exports only when it has
 * vehicles, every row is decided (see export_row_decided) and the request states coverage,
 * vigencia and payment terms (export_case_missing); with `force` it exports anyway, highlights
 * the undecided rows, lists what is missing on Incidencias and sets res->overridden.
 * Every text cell is cleaned (invalid UTF-8 repaired, control characters removed, cut at the
 * 32,767-character cell limit) and always written as text, never as a formula. */
#ifndef MINCA_EXPORT_H
#define MINCA_EXPORT_H

#include "minca/core.h"
#include "minca/core_vehicle.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* ---- the case to export ------------------------------------------------------------------ */

typedef enum {
    EXPORT_DECISION_NO_MATCH = 0,  /* the codifier found no acceptable key */
    EXPORT_DECISION_AUTO,          /* accepted automatically (confidence above threshold) */
    EXPORT_DECISION_REVIEW,        /* needs a person: accept / pick a candidate / search */
} export_decision;

/* The codifier's match for one row, after any review. Strings are g_malloc'd and owned by the
 * row (freed by export_case_clear); NULL when absent. */
typedef struct export_match {
    char *cvegs;          /* catalog (CVEGS / AMIS) key; NULL or "" when there is none */
    char *description;    /* catalog description of the key */
    char *brand;          /* catalog brand */
    char *model;          /* catalog model line (submarca) */
    char *body;           /* catalog body type (carrocería) */
    int year;             /* model year of the match; 0 when unknown */
    double confidence;    /* 0..1; < 0 when unknown */
    export_decision decision;
    bool reviewed;        /* a person confirmed or chose the key (or said there is none) */
    char *reviewer;       /* who reviewed, NULL when not reviewed */
    char *note;           /* the reviewer's note on the row, NULL when none */
} export_match;

typedef struct export_row {
    vehicle_row vehicle;  /* canonical data, validation issues, source sheet / row */
    export_match match;
    char *source_file;    /* attachment file name the row came from (owned); NULL = the body */
    double premium;       /* prima; < 0 when absent (Gcotiza usually computes it) */
    long long rated_cents; /* prima neta the insurer's rating system returned for the unit
                            * (minca export import-rated), in cents; < 0 when none. With a
                            * tariff and c->rated_source it replaces the tariff's prima neta */
} export_row;

/* Dates are text as PostgreSQL prints them: "YYYY-MM-DD", optionally followed by
 * " HH:MM[:SS[.fff]][zone]" or "THH:MM..."; the zone is ignored. NULL or "" = absent. */
typedef struct export_case {
    char *cot;               /* case number, e.g. "COT-2026-000123" (required) */
    char *insurer;           /* insurer slug; selects templates/<insurer>/ overrides (may be NULL) */
    char *client_name;
    char *client_rfc;
    char *broker;            /* broker's name; the loader falls back to the sender */
    char *agent;             /* agent key or name as the broker wrote it (may be NULL) */
    char *contact;           /* contact person, phone, email on one line (may be NULL) */
    char *insurer_name;      /* insurer's legal name (setting legal_name, else its name), printed
                              * on the quote; the slug never is */
    char *logo_path;         /* PNG printed on every PDF page (setting logo); NULL = none */
    int validity_days;       /* how long the quote holds (setting quote_validity_days); 0 = 30 */
    int version;             /* export version printed on the PDF and the workbook; 0 = none */
    int revision;            /* revision of the case's vehicle list; printed when > 1 */
    char *received_date;
    char *coverage_package;  /* AMPLIA / LIMITADA / RC, a key of coverage_packages.yaml; required
                              * when the template has coverage columns. A row whose own
                              * vehicle.coverage names a known package uses that one. */
    char *vigencia_start;
    char *vigencia_end;
    char *use;               /* uso requested for the whole fleet (fallback of row.use) */
    char *payment_terms;     /* forma de pago: ANUAL, SEMESTRAL, TRIMESTRAL, MENSUAL ... */
    char *currency;          /* MXN / USD */
    char *catalog_version;   /* label of the catalog the keys come from */
    char *exported_by;       /* acting user; NULL = core_login_name() */
    time_t exported_at;      /* 0 = now */
    char *timezone;          /* the insurer's clock (IANA name) on which the quote is dated;
                              * NULL or "" = EXPORT_DEFAULT_TIMEZONE */
    struct export_tariff *tariff;   /* owned (export_tariff_free); NULL = the quote is unpriced */
    char *rated_source;      /* where the rows' rated_cents came from, printed with the price
                              * ("primas de «x.xlsx», importación 2 ..."); NULL = none (owned) */

    export_row *rows;        /* n_rows rows: the data of row_store; grow with export_case_add_row */
    int n_rows;
    struct _GArray *row_store; /* GArray of export_row, owned (export_case_clear); NULL until a row */
} export_case;

void export_case_init(export_case *c);
/* Appends a zeroed row (vehicle_row_init, premium and confidence -1) and returns it; the
 * pointer stays valid until the next add. Running out of memory ends the process (GLib). */
export_row *export_case_add_row(export_case *c);
/* Frees every string, row and issue the case owns; leaves an empty, initialised case. */
void export_case_clear(export_case *c);

/* A row is decided when it has a key that was either accepted automatically or confirmed by a
 * reviewer, or when a reviewer decided that no catalog key fits ("no match" by a person is a
 * decision: the row is exported and listed on Incidencias, it does not block the export). */
bool export_row_decided(const export_row *row);
/* The quote requirements the case lacks, as Spanish labels ("nombre del cliente", "RFC",
 * "cobertura", "vigencia", "forma de pago"); fills up to max entries of out with static
 * strings, returns how many. EXPORT_MAX_MISSING entries always suffice. */
#define EXPORT_MAX_MISSING 8
int export_case_missing(const export_case *c, const char **out, int max);
/* The sentence Incidencias gives a missing requirement (static storage), e.g. for "RFC":
 * "La solicitud no indica el RFC del cliente; ...". */
const char *export_missing_sentence(const char *label);

#define EXPORT_DEFAULT_TIMEZONE "America/Mexico_City"
/* t (0 = now) on the case's clock (c->timezone). -1 with err set when the zone is unknown. */
int export_case_local_time(const export_case *c, time_t t, struct tm *out, minca_err *err);
/* The issue date of the quote, "YYYY-MM-DD" on the case's clock (exported_at, else now);
 * "" when the zone is unknown. */
void export_case_issue_date(const export_case *c, char out[16]);
/* true when the requested vigencia starts before the issue date (a warning, not a refusal). */
bool export_vigencia_started(const export_case *c);

/* The insurer as the quote names it: its legal name; never the slug (an unset name, or one
 * that is only the slug, reads "ASEGURADORA (razón social sin configurar)"). Borrowed or static. */
const char *export_case_insurer_label(const export_case *c);
/* The last day the quote holds, "dd/mm/yyyy": the issue date plus validity_days (30 when 0). */
void export_case_valid_until(const export_case *c, char out[16]);

/* A unit the policy cannot identify: neither serie (VIN) nor plates. */
bool export_row_unidentified(const export_row *row);
/* A valor comercial unit: no insured amount stated, insured at commercial value. */
bool export_row_commercial(const export_row *row);
/* "auto" / "review" / "no_match" (also "revision", "sin_coincidencia"); -1 otherwise. */
int export_decision_parse(const char *text);
/* Sets decision and reviewed from the stored match status (matches.decision):
 * auto_accept -> auto; needs_review -> review; no_match -> no_match; accepted / picked ->
 * review, reviewed; rejected -> no_match, reviewed (a person said there is no key).
 * Also accepts the three export_decision names. Returns -1 for anything else. */
int export_match_set_status(export_match *m, const char *status);
const char *export_decision_name(export_decision d);   /* "auto", "review", "no_match" */

/* ---- templates --------------------------------------------------------------------------- */

typedef enum {
    EXPORT_COL_TEXT = 0,
    EXPORT_COL_INTEGER,
    EXPORT_COL_MONEY,
    EXPORT_COL_PERCENT,
    EXPORT_COL_DATE,
} export_col_type;

typedef struct export_column {
    char *header;          /* header cell text */
    export_col_type type;
    double width;          /* the widest the column gets, in characters: it is sized to its
                            * content (header and cells) up to this; longer text wraps */
    char *num_format;      /* Excel number format; NULL = the type's default */
    char *source;          /* "row.marca", "match.cvegs", "case.vigencia_start", "coverage.rc_limite" */
    char *fallback;        /* source used when `source` is empty (may be NULL) */
    bool color_scale;      /* 3-colour scale (red - yellow - green) over the column */
    bool no_print;         /* `print: false`: shown, not printed (after every printed column) */
    int line;              /* 1-based line of the column in the template file */
} export_column;

typedef struct export_template {
    char *name;            /* e.g. "gcotiza_v1" */
    char *version;         /* e.g. "1.0" */
    char *path;            /* file it was loaded from */
    char *sheet;           /* main sheet name, e.g. "COTIZACION" */
    int print_scale;       /* print: the largest scale in percent; 0 = fit the columns to one page wide */
    int print_min_scale;   /* print: the smallest scale; below it the columns go on more pages
                            * (0 = print_scale) */
    int print_repeat_columns; /* print: leading columns repeated on every page, and frozen */
    int n_printed;         /* the printed columns: the first n_printed (the others say print: false) */
    export_column *columns;
    int n_columns;
} export_template;

/* Loads and validates a template. Errors name the file, line and column:
 * "templates/x.yaml:12:11: unknown column type 'moneda' (text, integer, money, percent, date)". */
int export_template_load(const char *path, export_template **out, minca_err *err);
void export_template_free(export_template *tpl);

/* Resolves a template name to a file: a name containing '/' or ending in ".yaml" is a path;
 * otherwise <share>/templates/<insurer>/<name>.yaml when it exists, else
 * <share>/templates/<name>.yaml. NULL name = "gcotiza_v1"; NULL share = config_share_dir().
 * Returns a g_malloc'd path. */
int export_template_resolve(const char *share_dir, const char *insurer, const char *name,
                            char **path, minca_err *err);

/* Coverage packages: package name -> coverage key -> value (a number or a text such as
 * "AMPARADA" / "NO AMPARADA"). */
typedef struct export_coverage_value {
    char *key;
    char *text;            /* set when the value is text */
    double number;         /* used when text is NULL */
} export_coverage_value;

typedef struct export_coverage_package {
    char *name;            /* upper-case package name, e.g. "AMPLIA" */
    char *description;     /* optional */
    export_coverage_value *values;
    int n_values;
} export_coverage_package;

typedef struct export_coverage {
    char *path;
    export_coverage_package *packages;
    int n_packages;
} export_coverage;

int export_coverage_load(const char *path, export_coverage **out, minca_err *err);
void export_coverage_free(export_coverage *cov);
/* Case- and accent-insensitive lookup ("amplia", "Amplia" -> AMPLIA); NULL when unknown. */
const export_coverage_package *export_coverage_find(const export_coverage *cov, const char *name);
/* The coverage package applied to a row: the row's own when the broker's sheet named a known
 * one, else the case's; NULL when neither is known. */
const export_coverage_package *export_row_package(const export_coverage *cov,
                                                  const export_case *c, const export_row *row);
/* <share>/templates/<insurer>/coverage_packages.yaml when present, else
 * <share>/templates/coverage_packages.yaml. g_malloc'd. */
char *export_coverage_resolve(const char *share_dir, const char *insurer);

/* ---- text cleaning ----------------------------------------------------------------------- */

#define EXPORT_CELL_MAX_CHARS 32767   /* Excel's limit, counted in UTF-16 code units */

enum {
    EXPORT_TEXT_REPAIRED  = 1 << 0,   /* invalid UTF-8 replaced by U+FFFD */
    EXPORT_TEXT_CONTROLS  = 1 << 1,   /* control characters removed */
    EXPORT_TEXT_TRUNCATED = 1 << 2,   /* cut at max_units, ending in "…" */
};

/* Returns a g_malloc'd copy of text fit for a cell: valid UTF-8 in NFC, control characters
 * other than tab and newline replaced by a space (CR LF -> LF), leading and trailing spaces
 * trimmed, literal "_xHHHH_" sequences escaped so spreadsheet programs show them as typed, and
 * at most max_units UTF-16 code units. NULL input gives NULL. *flags (may be NULL) receives
 * EXPORT_TEXT_* bits. */
char *export_text_clean(const char *text, size_t max_units, int *flags);

/* ---- rating: a tariff kept as data ------------------------------------------------------- */

/* A parsed tariff (samples/tariff/demo.yaml documents the file). Opaque; export_tariff_free. */
typedef struct export_tariff export_tariff;

#define EXPORT_TARIFF_MAX_COVERAGES 16
#define EXPORT_TARIFF_MAX_RECEIPTS 12

/* Parses a tariff file's text (origin names it in errors: "demo.yaml:12:5: ..."). Amounts
 * with more than two decimals, factors with more than four, unknown coverages or bands in a
 * base table are errors. */
int export_tariff_parse(const char *text, size_t len, const char *origin, export_tariff **out, minca_err *err);
void export_tariff_free(export_tariff *t);
const char *export_tariff_name(const export_tariff *t);    /* "TARIFA DE DEMOSTRACIÓN" */
bool export_tariff_is_demo(const export_tariff *t);

/* One coverage as the tariff describes it (strings owned by the tariff). */
typedef struct export_tariff_coverage {
    const char *key, *name;      /* "DM", "Daños materiales" */
    const char *limit;           /* "VALOR COMERCIAL", "$3,000,000.00", "AMPARADA" */
    const char *deductible;      /* of the package: "5%", "0"; NULL when the package lacks it */
} export_tariff_coverage;
/* The coverages of a package (case- and accent-insensitive name) in the tariff's order; returns
 * how many (0 when the package is unknown). */
int export_tariff_package_coverages(const export_tariff *t, const char *package, export_tariff_coverage *out,
                                    int max);

/* The price of one unit. */
typedef struct export_unit_price {
    bool priced;                 /* false: a referral, `referral` says why */
    char referral[160];
    const char *type, *band;     /* vehicle type and age band (owned by the tariff) */
    long long cents[EXPORT_TARIFF_MAX_COVERAGES];   /* prima neta per coverage, package order */
    int n_coverages;
    long long minimum_cents;     /* added to reach the minimum premium (0 when not needed) */
    long long neta_cents;        /* sum of cents[] + minimum_cents */
} export_unit_price;

/* One receipt of the schedule. */
typedef struct export_receipt {
    long long neta, recargo, derecho, iva, total;   /* cents */
} export_receipt;

/* The priced quote of a case. */
typedef struct export_quote {
    char *tariff_name;           /* owned */
    bool demo;
    char *package;               /* the case's package as the tariff names it (owned) */
    export_tariff_coverage coverages[EXPORT_TARIFF_MAX_COVERAGES];   /* of the case's package */
    int n_coverages;
    export_unit_price *units;    /* one per row of the case (owned) */
    int n_units, n_priced, n_referrals;
    long long coverage_totals[EXPORT_TARIFF_MAX_COVERAGES];  /* prima neta by coverage, cents */
    long long minimum_total, neta, recargo, derecho, iva, total;   /* cents */
    int recargo_bp;              /* the frequency's recargo rate, in ten-thousandths */
    int iva_bp;
    char *frequency;             /* ANUAL / SEMESTRAL / TRIMESTRAL / MENSUAL (owned) */
    export_receipt receipts[EXPORT_TARIFF_MAX_RECEIPTS];
    int n_receipts;
    char *source;                /* the imported premiums' origin (copy of c->rated_source, owned);
                                  * NULL when the tariff priced every unit */
    int n_imported;              /* units whose prima neta was imported: their coverage split is
                                  * the insurer's and coverage_totals leave them out */
} export_quote;

/* Prices every row of c with the tariff at the issue date (export_case_issue_date). Rows the
 * tariff does not cover (vehicle type, age band, use, package) are referrals. With
 * c->rated_source, a row with rated_cents >= 0 takes that prima neta instead (never a
 * referral); derecho, recargo, IVA and receipts still follow the tariff. -1 with err when
 * the case cannot be priced at all (payment frequency or package not in the tariff). */
int export_quote_price(const export_tariff *t, const export_case *c, export_quote *q, minca_err *err);
void export_quote_clear(export_quote *q);
/* Cents as "$1,234,567.89" into out. */
void export_money_cents(long long cents, char *out, size_t n);

/* ---- the export -------------------------------------------------------------------------- */

typedef struct export_options {
    const char *template_name;   /* NULL = "gcotiza_v1"; a name or a path (see resolve) */
    const char *share_dir;       /* NULL = config_share_dir() */
    const char *out_path;        /* where to write the .xlsx (atomically); NULL = bytes only */
    const char *tmp_dir;         /* scratch directory when out_path is NULL; NULL = $TMPDIR or /tmp */
    bool force;                  /* export even with undecided rows (they are highlighted) */
} export_options;

typedef struct export_result {
    unsigned char *data;         /* the workbook bytes, g_malloc'd, owned by the result */
    size_t len;
    char sha256[65];             /* lowercase hex of data */
    char *path;                  /* file written (copy of out_path), NULL when bytes only */
    char *template_name;         /* as loaded */
    char *template_version;
    char *template_path;
    bool refused;                /* true when the rules refused the case (undecided rows,
                                  * missing requirements, no vehicles) */
    bool overridden;             /* exported with --force past a rule that would refuse it */
    int n_rows;
    int n_auto, n_review, n_no_match;   /* by state: automatic, awaiting a person, no key */
    int n_reviewed;              /* rows a person accepted, picked or marked without a key */
    int n_decided, n_undecided;
    int n_missing;               /* quote requirements missing (coverage, vigencia, payment) */
    double fleet_sum;            /* sum of the rows' insured amounts */
    int n_with_sum;              /* rows that state an insured amount */
    int n_incidences;            /* rows on the Incidencias sheet */
    int n_repaired_cells;        /* cells whose text was repaired, cleaned or cut */
    int n_commercial;            /* units at valor comercial: not in fleet_sum */
    int n_unidentified;          /* units with neither serie (VIN) nor plates: an incidencia */
    bool priced;                 /* a tariff priced the quote: total_cents and n_referrals hold */
    long long total_cents;       /* prima total */
    int n_referrals;             /* units the tariff does not cover */
    int n_imported;              /* units priced by premiums imported from the insurer's system */
    bool vigencia_started;       /* the vigencia starts before the issue date (a warning) */
    /* Incisos unique in the case (filled by export_check_rules): inciso[i] is row i's number
     * in the quote. When two attachments repeat numbers, each attachment after the first
     * continues the numbering (renumbered is then true); spans says which rows came from
     * which file and how the file numbered them. Owned by the result. */
    int *inciso;
    bool renumbered;
    struct export_span *spans;
    int n_spans;
} export_result;

/* Consecutive rows of one source file (the case's rows come in file order). */
typedef struct export_span {
    const char *file;            /* borrowed from the case's rows; NULL = the email body */
    int first_row, n_rows;       /* rows [first_row, first_row + n_rows) of the case */
    int first, last;             /* their incisos in the quote */
    int src_first, src_last;     /* as the file numbered them (0 when it did not) */
} export_span;

/* "Incisos 13 a 20: unidades de «b.xlsx» (en el archivo, incisos 1 a 8)": where span s of
 * res came from and how its file numbered it. g_malloc'd. */
char *export_span_note(const export_result *res, int s);

/* Exports the case. On success fills res (the caller calls export_result_clear). On failure
 * returns -1 with the reason in err; res is still cleared-safe, and when the case was refused
 * because rows are undecided, res->refused is true and the counts are filled. */
int export_case_write(const export_case *c, const export_options *opt, export_result *res,
                      minca_err *err);

/* Same with an already loaded template and coverage table (for batch exports). */
int export_case_write_with(const export_case *c, const export_template *tpl,
                           const export_coverage *cov, const export_options *opt,
                           export_result *res, minca_err *err);

void export_result_clear(export_result *res);

/* The PDF quote summary for the broker (cairo + pango): client block, the vehicle table with a
 * header repeated on every page, totals, validity, the insurer's name, COT and version, page
 * numbers. Same rules, options and result as the workbook (template_name is ignored; the
 * coverage table gives each row's package). */
int export_case_write_pdf(const export_case *c, const export_options *opt, export_result *res,
                          minca_err *err);
int export_case_write_pdf_with(const export_case *c, const export_coverage *cov,
                               const export_options *opt, export_result *res, minca_err *err);

/* The rules shared by both formats: counts the rows into res, numbers the incisos
 * (res->inciso, res->spans), checks the clock (an unknown timezone is an error) and refuses
 * (res->refused, err says why) a case with undecided rows, missing requirements (client name,
 * RFC, coverage, vigencia, payment terms) or no vehicles unless force. */
int export_check_rules(const export_case *c, bool force, export_result *res, minca_err *err);

/* Writes len bytes to path atomically (scratch file in the same directory, then rename). */
int export_write_file(const char *path, const void *data, size_t len, minca_err *err);

/* A file-system-safe default file name, e.g. "COT-2026-000123_v2.xlsx" (version <= 0: no
 * suffix). g_malloc'd. */
char *export_default_filename(const char *cot, int version);
/* The same with another extension ("pdf"). g_malloc'd. */
char *export_default_filename_ext(const char *cot, int version, const char *ext);

#endif
