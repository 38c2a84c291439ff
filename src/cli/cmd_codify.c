/* `minca codify` and `minca eval`: the vehicle codifier from the command line. */
#include "minca/catalog.h"
#include "minca/cli.h"
#include "minca/codify.h"
#include "minca/core_config.h"
#include "minca/core_csv.h"

#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct source_opts {
    const char *insurer;
    const char *catalog;
    const char *aliases;
} source_opts;

/* Parses a source option at argv[*i]; returns 1 when consumed, 0 when not a source option,
 * -1 when its value is missing. */
static int parse_source(int argc, char **argv, int *i, source_opts *s)
{
    const char *a = argv[*i];
    const char **slot = strcmp(a, "--insurer") == 0   ? &s->insurer
                        : strcmp(a, "--catalog") == 0 ? &s->catalog
                        : strcmp(a, "--aliases") == 0 ? &s->aliases
                                                      : NULL;
    if (!slot)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *slot = argv[++*i];
    return 1;
}

/* The index from a CATVER file, or from the insurer's active catalog in the database (then
 * with the insurer's thresholds and, when corr is non-NULL, its reviewer corrections). */
static int load_index(const source_opts *s, codify_index **idx, codify_thresholds *thr, codify_corrections **corr,
                      minca_err *err)
{
    if (s->catalog)
        return codify_index_from_csv(s->catalog, s->aliases, idx, err);
    const char *slug = s->insurer;
    if (!slug) {
        const minca_config *cfg = config_get();
        slug = cfg ? cfg->insurer : NULL;
    }
    if (core_str_empty(slug))
        return minca_err_set(err, "no catalog: give --catalog FILE.csv or --insurer SLUG");
    return catalog_open_insurer_index(slug, idx, thr, corr, err);
}

/* ---- codify ----------------------------------------------------------------------------- */

/* Compact form (the default): the answer and the ranked keys with their scores. */
static void print_json_compact(const char *id, const codify_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", id ? json_string(id) : json_null());
    json_object_set_new(j, "cvegs", r->cvegs[0] ? json_string(r->cvegs) : json_null());
    json_object_set_new(j, "year", r->year ? json_integer(r->year) : json_null());
    json_object_set_new(j, "confidence", json_real(round(r->confidence * 10000) / 10000));
    json_object_set_new(j, "decision", json_string(codify_decision_name(r->decision)));
    if (r->reason[0])
        json_object_set_new(j, "reason", json_string(r->reason));
    if (r->corrected)
        json_object_set_new(j, "corrected", json_true());
    json_t *cands = json_array();
    for (int i = 0; i < r->n_candidates; i++) {
        const codify_candidate *c = &r->candidates[i];
        json_array_append_new(cands, json_pack("{s:s, s:i, s:f}", "cvegs", c->cvegs, "year", c->year, "score",
                                               round(c->score * 10000) / 10000));
    }
    json_object_set_new(j, "candidates", cands);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

/* Full form (--explain): every candidate with its catalog text, explanation and evidence. */
static void print_json(const char *id, const codify_result *r)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", id ? json_string(id) : json_null());
    json_object_set_new(j, "cvegs", r->cvegs[0] ? json_string(r->cvegs) : json_null());
    json_object_set_new(j, "year", r->year ? json_integer(r->year) : json_null());
    json_object_set_new(j, "confidence", json_real(round(r->confidence * 10000) / 10000));
    json_object_set_new(j, "decision", json_string(codify_decision_name(r->decision)));
    if (r->decision == CODIFY_NO_MATCH && r->reason[0])
        json_object_set_new(j, "reason", json_string(r->reason));
    json_t *cands = json_array();
    for (int i = 0; i < r->n_candidates; i++) {
        const codify_candidate *c = &r->candidates[i];
        json_t *o = json_object();
        json_object_set_new(o, "cvegs", json_string(c->cvegs));
        json_object_set_new(o, "year", json_integer(c->year));
        json_object_set_new(o, "score", json_real(round(c->score * 10000) / 10000));
        json_object_set_new(o, "marca", json_string(c->marca));
        json_object_set_new(o, "submarca", json_string(c->submarca));
        json_object_set_new(o, "description", json_string(c->description));
        json_object_set_new(o, "explanation", json_string(c->explanation));
        json_t *ev = json_array();
        for (int k = 0; k < c->n_evidence; k++) {
            const codify_evidence *e = &c->evidence[k];
            json_t *x = json_object();
            json_object_set_new(x, "attribute", json_string(codify_attr_name(e->attr)));
            json_object_set_new(x, "verdict", json_string(codify_verdict_name(e->verdict)));
            if (e->query_value[0])
                json_object_set_new(x, "query", json_string(e->query_value));
            if (e->catalog_value[0])
                json_object_set_new(x, "catalog", json_string(e->catalog_value));
            json_array_append_new(ev, x);
        }
        json_object_set_new(o, "evidence", ev);
        json_array_append_new(cands, o);
    }
    json_object_set_new(j, "candidates", cands);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    puts(s);
    free(s);
    json_decref(j);
}

static void print_human(const char *id, const char *text, const codify_result *r)
{
    printf("%s%s%s\n", id ? id : "", id ? "  " : "", text);
    if (r->decision == CODIFY_NO_MATCH)
        printf("  -> no_match: %s\n", r->reason[0] ? r->reason : "nothing close enough");
    else
        printf("  -> %s  %s %d  confidence %.3f%s\n", codify_decision_name(r->decision), r->cvegs, r->year,
               r->confidence, r->corrected ? "  (corrected by reviewer)" : "");
    if (r->n_candidates > 0) {
        printf("     %-2s %-6s %-5s %6s  %s\n", "#", "CVEGS", "YEAR", "SCORE", "CATALOG");
        for (int i = 0; i < r->n_candidates; i++) {
            const codify_candidate *c = &r->candidates[i];
            printf("     %-2d %-6s %-5d %6.3f  %s %s %s\n", i + 1, c->cvegs, c->year, c->score, c->marca,
                   c->submarca, c->description);
            printf("     %2s %-6s %-5s %6s  %s\n", "", "", "", "", c->explanation);
        }
    }
    putchar('\n');
}

typedef enum { OUT_HUMAN, OUT_JSON, OUT_JSON_EXPLAIN } out_mode;

static void print_result(out_mode mode, const char *id, const char *text, const codify_result *r)
{
    if (mode == OUT_JSON)
        print_json_compact(id, r);
    else if (mode == OUT_JSON_EXPLAIN)
        print_json(id, r);
    else
        print_human(id, text, r);
}

static int codify_csv_input(const codify_index *idx, const char *path, const codify_options *o, out_mode mode,
                            minca_err *err)
{
    char *data = NULL;
    size_t len = 0;
    if (core_read_file(path, 256u << 20, &data, &len, err) != 0)
        return -1;
    csv_reader *r = csv_reader_new(data, len, ',');
    char **f;
    int nf;
    int rc = csv_next(r, &f, &nf, err);
    int c_id = -1, c_marca = -1, c_sub = -1, c_anio = -1, c_desc = -1;
    if (rc == 1) {
        c_id = csv_header_index(f, nf, "id");
        c_marca = csv_header_index(f, nf, "marca");
        c_sub = csv_header_index(f, nf, "submarca");
        c_anio = csv_header_index(f, nf, "anio");
        c_desc = csv_header_index(f, nf, "descripcion");
    }
    if (rc == 1 && c_desc < 0) {
        rc = minca_err_set(err, "%s: the header needs a 'descripcion' column", path);
    } else if (rc == 0) {
        rc = minca_err_set(err, "%s: empty file", path);
    }
    codify_result *res = g_new(codify_result, 1);
    long row = 0;
    while (rc == 1 && (rc = csv_next(r, &f, &nf, err)) == 1) {
        if (nf == 1 && f[0][0] == '\0')
            continue;
        row++;
#define FIELD(c) ((c) >= 0 && (c) < nf ? f[c] : "")
        codify_query q = {.marca = FIELD(c_marca), .submarca = FIELD(c_sub),
                          .anio = codify_year_column(FIELD(c_anio)),
                          .descripcion = FIELD(c_desc)};
        char idbuf[32];
        const char *id = FIELD(c_id);
        if (c_id < 0) {
            snprintf(idbuf, sizeof idbuf, "%ld", row);
            id = idbuf;
        }
        codify_match(idx, &q, o, res, NULL);
        if (mode != OUT_HUMAN) {
            print_result(mode, id, NULL, res);
        } else {
            char *text = g_strdup_printf("%s %s %s %s", q.marca, q.submarca, FIELD(c_anio), q.descripcion);
            print_human(id, g_strstrip(text), res);
            g_free(text);
        }
#undef FIELD
    }
    g_free(res);
    csv_reader_free(r);
    g_free(data);
    if (rc < 0)
        return minca_err_prefix(err, "%s", path);
    return 0;
}

static const char CODIFY_USAGE[] =
    "usage: minca codify [--insurer SLUG | --catalog FILE.csv] [--aliases DIR] [--json [--explain]]\n"
    "                    [--top N] (TEXT... | --input FILE.csv)\n\n"
    "Finds the catalog entry (CVEGS key and model year) of each vehicle description, with a\n"
    "confidence, a decision (auto_accept, needs_review, no_match) and ranked candidates.\n\n"
    "  --insurer SLUG     the insurer's active catalog in the database (default: config insurer)\n"
    "  --catalog FILE     an AMIS CATVER CSV file instead\n"
    "  --aliases DIR      alias tables directory (default: DATA_DIR/codify)\n"
    "  --input FILE.csv   header with 'descripcion' and optionally id, marca, submarca, anio\n"
    "  --json             JSON Lines, one compact object per input in input order: id, cvegs,\n"
    "                     year, confidence, decision (reason when no_match) and the ranked\n"
    "                     candidates' cvegs, year and score\n"
    "  --explain          with --json: every candidate with its catalog text, explanation and\n"
    "                     evidence (typo readings, ignored and unexplained words, conflicts)\n"
    "  --top N            candidates per input (default 5, at most 10)\n"
    "  TEXT...            each argument is one description (year inside the text, e.g. MOD 2019)\n";

static int run_codify(int argc, char **argv);

CLI_COMMAND(codify_cmd, {
    .name = "codify",
    .summary = "find the catalog key (CVEGS + year) of vehicle descriptions",
    .usage = CODIFY_USAGE,
    .run = run_codify,
})

static int run_codify(int argc, char **argv)
{
    source_opts src = {0};
    const char *input = NULL;
    bool json = false, explain = false;
    int top = 5;
    GPtrArray *texts = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        int s = parse_source(argc, argv, &i, &src);
        if (s < 0) {
            g_ptr_array_free(texts, TRUE);
            return cli_usage_error(&codify_cmd, "%s needs a value", argv[i]);
        }
        if (s > 0)
            continue;
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--explain") == 0) {
            explain = true;
        } else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
            top = atoi(argv[++i]);
            if (top < 1 || top > CODIFY_MAX_CANDIDATES) {
                g_ptr_array_free(texts, TRUE);
                return cli_usage_error(&codify_cmd, "--top takes 1..%d", CODIFY_MAX_CANDIDATES);
            }
        } else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc) {
            input = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            g_ptr_array_free(texts, TRUE);
            return cli_usage_error(&codify_cmd, "unknown option %s", argv[i]);
        } else {
            g_ptr_array_add(texts, argv[i]);
        }
    }
    if ((input != NULL) == (texts->len > 0)) {
        g_ptr_array_free(texts, TRUE);
        return cli_usage_error(&codify_cmd, "give either descriptions or --input FILE.csv");
    }
    if (explain && !json) {
        g_ptr_array_free(texts, TRUE);
        return cli_usage_error(&codify_cmd, "--explain goes with --json (the text output always explains)");
    }
    if (src.insurer && src.catalog) {
        g_ptr_array_free(texts, TRUE);
        return cli_usage_error(&codify_cmd, "--insurer and --catalog are exclusive");
    }
    minca_err err = {0};
    codify_index *idx = NULL;
    codify_options o;
    codify_options_default(&o);
    codify_corrections *corr = NULL;
    if (load_index(&src, &idx, &o.thresholds, &corr, &err) != 0) {
        fprintf(stderr, "minca codify: %s\n", err.msg);
        g_ptr_array_free(texts, TRUE);
        return 1;
    }
    o.corrections = corr;
    o.top_n = top;
    out_mode mode = !json ? OUT_HUMAN : explain ? OUT_JSON_EXPLAIN : OUT_JSON;
    o.explain = mode != OUT_JSON;   /* the compact form prints no explanation */
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    int status = 0;
    if (input) {
        if (codify_csv_input(idx, input, &o, mode, &err) != 0) {
            fprintf(stderr, "minca codify: %s\n", err.msg);
            status = 1;
        }
    } else {
        codify_result *res = g_new(codify_result, 1);
        for (guint i = 0; i < texts->len; i++) {
            codify_query q = {.descripcion = g_ptr_array_index(texts, i)};
            codify_match(idx, &q, &o, res, NULL);
            char id[16];
            snprintf(id, sizeof id, "%u", i + 1);
            print_result(mode, mode == OUT_HUMAN ? NULL : id, q.descripcion, res);
        }
        g_free(res);
    }
    codify_corrections_free(corr);
    codify_index_free(idx);
    g_ptr_array_free(texts, TRUE);
    return status;
}

/* ---- eval ------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char EVAL_USAGE[] =
    "usage: minca eval [--insurer SLUG | --catalog FILE.csv] [--aliases DIR] [--features OUT.csv]\n"
    "                  [--pred OUT.jsonl] [--bands] FILE.csv...\n\n"
    "Codifies labeled files (columns id, marca, submarca, anio, descripcion, expected_cvegs,\n"
    "expected_year, difficulty) and prints per file and per difficulty: top-1 accuracy (key and\n"
    "year), auto-accept rate and precision, review and no-match shares, and on rows without an\n"
    "entry the share auto-accepted and the share answered no_match; then throughput on one core,\n"
    "p50/p99 latency and the index build time.\n"
    "  --features OUT.csv  write the confidence features per row (for calibration refits): the\n"
    "                      file, id, whether the top proposal is right, the features, the cap,\n"
    "                      the years shared among, the score, its calibration class, the\n"
    "                      confidence and the decision\n"
    "  --pred OUT.jsonl    write predictions as JSON Lines (for tools/score.py)\n"
    "  --bands             per file, the reliability table by confidence band (rows, share\n"
    "                      whose top proposal is right, mean confidence, gap; * marks a band\n"
    "                      below the auto-accept threshold of 30 rows or more off by over 0.05)\n"
    "                      and the expected calibration error\n";

static int run_eval(int argc, char **argv);

CLI_COMMAND(eval_cmd, {
    .name = "eval",
    .summary = "measure the codifier on labeled files",
    .usage = EVAL_USAGE,
    .run = run_eval,
})

static int run_eval(int argc, char **argv)
{
    source_opts src = {0};
    const char *features = NULL, *pred = NULL;
    bool bands = false;
    GPtrArray *files = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        int s = parse_source(argc, argv, &i, &src);
        if (s < 0) {
            g_ptr_array_free(files, TRUE);
            return cli_usage_error(&eval_cmd, "%s needs a value", argv[i]);
        }
        if (s > 0)
            continue;
        if (strcmp(argv[i], "--bands") == 0)
            bands = true;
        else if (strcmp(argv[i], "--features") == 0 && i + 1 < argc)
            features = argv[++i];
        else if (strcmp(argv[i], "--pred") == 0 && i + 1 < argc)
            pred = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            g_ptr_array_free(files, TRUE);
            return cli_usage_error(&eval_cmd, "unknown option %s", argv[i]);
        } else
            g_ptr_array_add(files, argv[i]);
    }
    if (files->len == 0) {
        g_ptr_array_free(files, TRUE);
        return cli_usage_error(&eval_cmd, "no labeled files");
    }
    minca_err err = {0};
    codify_index *idx = NULL;
    double t0 = core_now_seconds();
    codify_options mo;
    codify_options_default(&mo);
    if (load_index(&src, &idx, &mo.thresholds, NULL, &err) != 0) {
        fprintf(stderr, "minca eval: %s\n", err.msg);
        g_ptr_array_free(files, TRUE);
        return 1;
    }
    double load_s = core_now_seconds() - t0;
    FILE *ff = NULL, *pf = NULL;
    if (features && !(ff = fopen(features, "w"))) {
        fprintf(stderr, "minca eval: cannot write %s\n", features);
        codify_index_free(idx);
        g_ptr_array_free(files, TRUE);
        return 1;
    }
    if (ff) {
        fprintf(ff, "file,id,correct");
        for (int k = 0; k < CODIFY_N_FEATURES; k++)
            fprintf(ff, ",%s", codify_feature_name(k));
        fprintf(ff, ",cap,div,score,class,confidence,decision\n");
    }
    if (pred && !(pf = fopen(pred, "w"))) {
        fprintf(stderr, "minca eval: cannot write %s\n", pred);
        if (ff)
            fclose(ff);
        codify_index_free(idx);
        g_ptr_array_free(files, TRUE);
        return 1;
    }
    GArray *lat = g_array_new(FALSE, FALSE, sizeof(double));
    codify_eval_opts eo = {.match = &mo, .latencies = lat, .features_out = ff, .pred_out = pf, .bands = bands};
    codify_eval_counts total = {0};
    int status = 0;
    for (guint i = 0; i < files->len; i++) {
        if (codify_eval_file(idx, g_ptr_array_index(files, i), &eo, stdout, &total, &err) != 0) {
            fprintf(stderr, "minca eval: %s\n", err.msg);
            status = 1;
        }
    }
    if (files->len > 1) {
        printf("all files\n");
        codify_eval_print_counts(stdout, "all", &total);
    }
    double sum = 0;
    for (guint i = 0; i < lat->len; i++)
        sum += g_array_index(lat, double, i);
    qsort(lat->data, lat->len, sizeof(double), cmp_double);
    double p50 = lat->len ? g_array_index(lat, double, lat->len / 2) : 0;
    double p99 = lat->len ? g_array_index(lat, double, (guint)((lat->len - 1) * 0.99)) : 0;
    printf("speed: %u rows, %.0f rows/s on one core (CPU time), latency p50 %.1f us, p99 %.1f us\n",
           lat->len, sum > 0 ? lat->len / sum : 0.0, p50 * 1e6, p99 * 1e6);
    printf("index: %zu entries, build %.3f s (with reading the catalog and alias files %.3f s)\n",
           codify_index_size(idx), codify_index_build_seconds(idx), load_s);
    g_array_free(lat, TRUE);
    if (ff)
        fclose(ff);
    if (pf)
        fclose(pf);
    codify_index_free(idx);
    g_ptr_array_free(files, TRUE);
    return status;
}
